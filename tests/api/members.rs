//! The roster over HTTP: validation, one person one member, transfers, search.

use crate::support::{id_number, TestApp};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn create_derives_birth_and_gender_and_masks() {
    let app = TestApp::spawn().await;
    let t = app.login("jiangshan").await;
    let org = app.org_id("JS-HUARUI").await;
    let ent = app.enterprise_of("JS-HUARUI").await;
    // 11010519491231002X: born 1949-12-31, sequence 002 (even: female); typed with a lower-case x.
    let (s, m) = app
        .post(&t, "/api/v1/members", json!({
            "name": "测试者", "id_number": "11010519491231002x", "phone": "138-1234-5678", "org_id": org,
            "enterprise_id": ent, "skill_level": "三级", "political_status": "党员", "join_date": "2020/3/1",
            "is_migrant_worker": true
        }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    assert_eq!(m["birth_date"], "1949-12-31");
    assert_eq!(m["gender"], "女");
    assert_eq!(m["id_number_masked"], "110105************");
    assert_eq!(m["phone_masked"], "138****5678");
    assert_eq!(m["skill_level"], "高级工");
    assert_eq!(m["political_status"], "中共党员");
    assert_eq!(m["join_date"], "2020-03-01");
    assert_eq!(m["status"], "在册");
    assert_eq!(m["is_migrant_worker"], true);
    assert_eq!(m["enterprise_id"], ent);
    let text = m.to_string();
    assert!(
        !text.contains("11010519491231002X") && !text.contains("13812345678"),
        "no plaintext in answers"
    );

    // Found by the whole ID number and the whole phone, through the keyed hash.
    for q in [
        "11010519491231002X",
        "11010519491231002x",
        "13812345678",
        "测试",
    ] {
        let (_, list) = app
            .get(&t, &format!("/api/v1/members?q={}", urlencode(q)))
            .await;
        assert_eq!(list["total"], 1, "search {q}: {list}");
        assert_eq!(list["items"][0]["id"], m["id"]);
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn invalid_input_is_422_with_every_field_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let t = app.login("jiangshan").await;
    let org = app.org_id("JS-HUARUI").await;
    let before = app.fingerprint().await;
    let (s, e) = app
        .post(
            &t,
            "/api/v1/members",
            json!({
                "name": "", "id_number": "110105194912310021", "phone": "12345", "org_id": org,
                "skill_level": "大师", "join_date": "2023-02-30", "status": "开除"
            }),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let mut fields: Vec<&str> = e["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["field"].as_str().unwrap())
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "id_number",
            "join_date",
            "name",
            "phone",
            "skill_level",
            "status"
        ],
        "{e}"
    );
    let id_msg = e["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["field"] == "id_number")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(id_msg.contains("校验位"), "{id_msg}");
    // Wrong JSON types name the field too.
    let (s, e) = app
        .post(
            &t,
            "/api/v1/members",
            json!({"name": "x", "id_number": id_number(3), "org_id": "abc"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (s, e) = app
        .post(
            &t,
            "/api/v1/members",
            json!({"name": "x", "id_number": id_number(3)}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["errors"][0]["field"], "org_id");
    assert_eq!(before, app.fingerprint().await);

    // A PATCH with one bad field applies none of its fields.
    let id = app.member_of("JS-HUARUI").await;
    let (s, _) = app
        .patch(
            &t,
            &format!("/api/v1/members/{id}"),
            json!({"occupation": "新工种", "phone": "999"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = app
        .patch(&t, &format!("/api/v1/members/{id}"), json!({"org_id": org}))
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "changing organisation is a transfer"
    );
    assert_eq!(before, app.fingerprint().await);

    // And a good PATCH applies, re-deriving birth date and gender from a corrected ID number.
    let (s, m) = app
        .patch(
            &t,
            &format!("/api/v1/members/{id}"),
            json!({"occupation": "新工种", "id_number": "11010519491231002X", "phone": ""}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{m}");
    assert_eq!(m["occupation"], "新工种");
    assert_eq!(m["birth_date"], "1949-12-31");
    assert_eq!(m["phone_masked"], serde_json::Value::Null);
}

#[tokio::test]
async fn one_person_is_one_member_and_the_409_says_where_only_if_visible() {
    let app = TestApp::spawn().await;
    let root = app.login("admin").await;
    let town = app.login("jiangshan").await;
    let huzhou = app.org_id("ZJ-HZ").await;
    let huarui = app.org_id("JS-HUARUI").await;
    let (s, _) = app
        .post(
            &root,
            "/api/v1/members",
            json!({"name": "湖州人", "id_number": id_number(7), "org_id": huzhou}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let before = app.fingerprint().await;

    // The town cannot see 湖州: it learns the person is registered, not where.
    let lower = id_number(7).to_lowercase();
    let (s, e) = app
        .post(
            &town,
            "/api/v1/members",
            json!({"name": "同一人", "id_number": lower, "org_id": huarui}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["errors"][0]["field"], "id_number");
    let msg = e["detail"].as_str().unwrap();
    assert!(!msg.contains("湖州"), "{msg}");
    assert!(msg.contains("转会"), "{msg}");

    // The province can: the message names the union.
    let (s, e) = app
        .post(
            &root,
            "/api/v1/members",
            json!({"name": "同一人", "id_number": id_number(7), "org_id": huarui}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(
        e["detail"].as_str().unwrap().contains("湖州市总工会"),
        "{e}"
    );
    assert_eq!(before, app.fingerprint().await);

    // Changing someone's ID number to one in use is refused the same way.
    let other = app.member_of("JS-HUARUI").await;
    let (s, _) = app
        .patch(
            &town,
            &format!("/api/v1/members/{other}"),
            json!({"id_number": id_number(7)}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(before, app.fingerprint().await);
}

#[tokio::test]
async fn transfer_moves_and_keeps_history() {
    let app = TestApp::spawn().await;
    let town = app.login("jiangshan").await;
    let root = app.login("admin").await;
    let id = app.member_of("JS-HUARUI").await;
    let jingmi = app.org_id("JS-JINGMI").await;
    let yizhou = app.org_id("JS-YIZHOU").await;
    let huzhou = app.org_id("ZJ-HZ").await;

    let (s, m) = app
        .post(
            &town,
            &format!("/api/v1/members/{id}/transfer"),
            json!({"to_org_id": jingmi, "reason": "调动"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{m}");
    assert_eq!(m["org_id"], jingmi);
    assert_eq!(
        m["enterprise_id"],
        serde_json::Value::Null,
        "the old employer does not follow"
    );
    let (s, _) = app
        .post(
            &town,
            &format!("/api/v1/members/{id}/transfer"),
            json!({"to_org_id": yizhou}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        app.members_with_a_stale_path().await,
        0,
        "the path moves with the member"
    );

    let before = app.fingerprint().await;
    // Same organisation, missing target, and a target outside the town are refused.
    let (s, _) = app
        .post(
            &town,
            &format!("/api/v1/members/{id}/transfer"),
            json!({"to_org_id": yizhou}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = app
        .post(&town, &format!("/api/v1/members/{id}/transfer"), json!({}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = app
        .post(
            &town,
            &format!("/api/v1/members/{id}/transfer"),
            json!({"to_org_id": huzhou}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(before, app.fingerprint().await);

    let (_, h) = app
        .get(&town, &format!("/api/v1/members/{id}/transfers"))
        .await;
    assert_eq!(h["total"], 2);
    assert_eq!(h["items"][0]["from_org_name"], "华瑞电器股份有限公司工会");
    assert_eq!(h["items"][0]["to_org_name"], "宁波姜山精密机械有限公司工会");
    assert_eq!(h["items"][0]["reason"], "调动");
    assert_eq!(h["items"][0]["by"], "jiangshan");
    assert_eq!(h["items"][1]["to_org_id"], yizhou);

    // The province moves the person out of the town: the town loses sight of them, the history stays.
    let (s, _) = app
        .post(
            &root,
            &format!("/api/v1/members/{id}/transfer"),
            json!({"to_org_id": huzhou}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.get(&town, &format!("/api/v1/members/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, h) = app
        .get(&root, &format!("/api/v1/members/{id}/transfers"))
        .await;
    assert_eq!(h["total"], 3);
}

#[tokio::test]
async fn list_filters_and_pages() {
    let app = TestApp::spawn().await;
    let t = app.login("jiangshan").await;
    let yizhou = app.org_id("JS-YIZHOU").await;
    let (_, all) = app
        .get(&t, &format!("/api/v1/members?org_id={yizhou}&per_page=200"))
        .await;
    let total = all["total"].as_i64().unwrap();
    assert_eq!(total, 60, "the demo gives 一舟 60 members");
    let (_, p1) = app
        .get(
            &t,
            &format!("/api/v1/members?org_id={yizhou}&per_page=25&page=1"),
        )
        .await;
    let (_, p3) = app
        .get(
            &t,
            &format!("/api/v1/members?org_id={yizhou}&per_page=25&page=3"),
        )
        .await;
    assert_eq!(p1["items"].as_array().unwrap().len(), 25);
    assert_eq!(p3["items"].as_array().unwrap().len(), 10);
    assert_eq!(p1["total"], 60);
    let (_, tech) = app
        .get(
            &t,
            &format!("/api/v1/members?org_id={yizhou}&skill_level=%E6%8A%80%E5%B8%88&per_page=200"),
        )
        .await;
    assert!(tech["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["skill_level"] == "技师"));
    let by_level = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["skill_level"] == "技师")
        .count();
    assert_eq!(tech["total"].as_i64().unwrap() as usize, by_level);
    let (s, _) = app
        .get(&t, "/api/v1/members?skill_level=%E5%A4%A7%E5%B8%88")
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an unknown skill level is an error, not an empty list"
    );
    // So is an unknown membership status (it once answered an empty list).
    let (s, e) = app.get(&t, "/api/v1/members?status=null").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["errors"][0]["field"], "status");
    let (s, on_roll) = app
        .get(&t, "/api/v1/members?status=%E5%9C%A8%E5%86%8C&per_page=1")
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(on_roll["total"].as_i64().unwrap() > 0);
}

#[tokio::test]
async fn enterprises_validate_credit_codes() {
    let app = TestApp::spawn().await;
    let t = app.login("jiangshan").await;
    let org = app.org_id("JS-HUARUI").await;
    let before = app.fingerprint().await;
    let (s, e) = app
        .post(
            &t,
            "/api/v1/enterprises",
            json!({"credit_code": "91350100M000100Y44", "name": "错码企业", "org_id": org}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["errors"][0]["field"], "credit_code");
    assert!(e["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("校验位"));
    let existing = app.enterprise_of("JS-YIZHOU").await;
    let (_, ex) = app
        .get(&t, &format!("/api/v1/enterprises/{existing}"))
        .await;
    let (s, e) = app
        .post(
            &t,
            "/api/v1/enterprises",
            json!({"credit_code": ex["credit_code"], "name": "重复", "org_id": org}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!(before, app.fingerprint().await);
    let (s, e) = app.post(&t, "/api/v1/enterprises", json!({"credit_code": "91350100m000100y43", "name": "新企业", "industry": "制造业", "size": "小型", "org_id": org})).await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    assert_eq!(e["credit_code"], "91350100M000100Y43");
    let (_, found) = app
        .get(&t, "/api/v1/enterprises?q=91350100M000100Y43")
        .await;
    assert_eq!(found["total"], 1);
}

/// A subtree's total is read from counts the database keeps per organisation
/// (issue 11): after a create, transfers and a deletion they equal a recount,
/// and a filtered list (counted row by row) agrees with them.
#[tokio::test]
async fn totals_from_the_kept_counts_equal_a_recount_after_every_write() {
    use sqlx::Row;
    let app = TestApp::spawn().await;
    let root = app.login("admin").await;
    let town_id = app.org_id("ZJ-NB-YZ-JS").await;
    let huarui = app.org_id("JS-HUARUI").await;
    let huzhou = app.org_id("ZJ-HZ").await;
    let recount = |sql: &'static str| {
        let pool = app.state.db.pool.clone();
        async move {
            sqlx::query(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
                .get::<i64, _>(0)
        }
    };
    let total = |q: String| {
        let (app, root) = (&app, &root);
        async move { app.get(root, &q).await.1["total"].as_i64().unwrap() }
    };
    let everyone = recount("SELECT COUNT(*) FROM members").await;
    assert_eq!(total("/api/v1/members?per_page=1".into()).await, everyone);
    let in_town = total(format!("/api/v1/members?org_id={town_id}&per_page=1")).await;

    let (s, m) = app
        .post(
            &root,
            "/api/v1/members",
            json!({"name": "计数者", "id_number": id_number(9077), "org_id": huarui}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    let new_id = m["id"].as_i64().unwrap();
    assert_eq!(
        total(format!("/api/v1/members?org_id={town_id}&per_page=1")).await,
        in_town + 1
    );
    let (s, _) = app
        .post(
            &root,
            &format!("/api/v1/members/{new_id}/transfer"),
            json!({"to_org_id": huzhou}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        total(format!("/api/v1/members?org_id={town_id}&per_page=1")).await,
        in_town
    );
    assert_eq!(app.member_counts_off().await, 0);
    // A level, the flags and the status are counted too (issue 12's figures).
    for patch in [
        json!({"skill_level": "技师", "is_hardship": true, "is_migrant_worker": true}),
        json!({"skill_level": "高级工"}),
        json!({"status": "退会"}),
        json!({"status": "在册", "is_hardship": false}),
    ] {
        let (s, m) = app
            .patch(&root, &format!("/api/v1/members/{new_id}"), patch)
            .await;
        assert_eq!(s, StatusCode::OK, "{m}");
        assert_eq!(app.member_counts_off().await, 0, "after {m}");
    }
    // Whatever removes a row, the database's own trigger counts it.
    sqlx::query("DELETE FROM member_transfers WHERE member_id = $1")
        .bind(new_id)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM members WHERE id = $1")
        .bind(new_id)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(app.member_counts_off().await, 0);
    assert_eq!(total("/api/v1/members?per_page=1".into()).await, everyone);
    // A filter counts the rows themselves: the two ways agree.
    let (_, levels) = app
        .get(&root, "/api/v1/members?skill_level=高级工&per_page=1")
        .await;
    assert_eq!(
        levels["total"].as_i64().unwrap(),
        recount("SELECT COUNT(*) FROM members WHERE skill_level = '高级工'").await
    );
}
