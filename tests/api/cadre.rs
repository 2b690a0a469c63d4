//! Cadre points (工会干部积分制): cadres, rule items, entries with evidence and
//! reversal, the yearly ranking with shared ranks, scope and rights, the console.

use crate::support::{member_token, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::Row;

/// Every cadre row, and every row `fingerprint` covers (the audit log among
/// them): equal before and after means nothing changed.
async fn cadre_rows(app: &TestApp) -> String {
    let mut out = String::new();
    for q in [
        "SELECT id, org_id, name, title, member_id, active, updated_at FROM cadres ORDER BY id",
        "SELECT id, org_id, label, points, active FROM cadre_rule_items ORDER BY id",
        "SELECT id, cadre_id, item_id, points, label, evidence, occurred_on, reverses_id FROM cadre_entries ORDER BY id",
    ] {
        for row in sqlx::query(q).fetch_all(&app.state.db.pool).await.unwrap() {
            for i in 0..row.len() {
                let cell = row
                    .try_get::<Option<i64>, _>(i)
                    .map(|v| format!("{v:?}"))
                    .or_else(|_| row.try_get::<String, _>(i))
                    .unwrap_or_default();
                out.push_str(&cell);
                out.push('|');
            }
            out.push('\n');
        }
    }
    out.push_str(&app.fingerprint().await);
    out
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("no id in {v}"))
}

fn fields(v: &Value) -> Vec<String> {
    v["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors in {v}"))
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect()
}

async fn new_cadre(app: &TestApp, t: &str, org: i64, name: &str) -> i64 {
    let (s, c) = app
        .post(
            t,
            "/api/v1/cadres",
            json!({"org_id": org, "name": name, "title": "委员"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    id(&c)
}

async fn new_item(app: &TestApp, t: &str, org: i64, label: &str, points: i64) -> i64 {
    let (s, i) = app
        .post(
            t,
            "/api/v1/cadre-points/items",
            json!({"org_id": org, "label": label, "points": points}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{i}");
    id(&i)
}

async fn entry(app: &TestApp, t: &str, cadre: i64, item: i64, day: &str) -> (StatusCode, Value) {
    app.post(
        t,
        "/api/v1/cadre-points/entries",
        json!({"cadre_id": cadre, "item_id": item, "evidence": "会议通知及签到表", "occurred_on": day}),
    )
    .await
}

/// (cadre id, rank, points, entries) of a ranking answer.
fn standings(v: &Value) -> Vec<(i64, i64, i64, i64)> {
    v["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {v}"))
        .iter()
        .map(|s| {
            (
                s["cadre_id"].as_i64().unwrap(),
                s["rank"].as_i64().unwrap(),
                s["points"].as_i64().unwrap(),
                s["entries"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn cadres_items_entries_and_one_reversal() {
    let app = TestApp::spawn().await;
    let t = app.login("jiangshan").await;
    let (town, huarui, jingmi) = (
        app.org_id("ZJ-NB-YZ-JS").await,
        app.org_id("JS-HUARUI").await,
        app.org_id("JS-JINGMI").await,
    );
    let member = app.member_of("JS-HUARUI").await;
    let (s, c) = app
        .post(
            &t,
            "/api/v1/cadres",
            json!({"org_id": huarui, "name": " 王海燕 ", "title": "工会主席", "member_id": member}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(
        (
            &c["name"],
            &c["title"],
            &c["member_id"],
            &c["points"],
            &c["active"]
        ),
        (
            &json!("王海燕"),
            &json!("工会主席"),
            &json!(member),
            &json!(0),
            &json!(true)
        )
    );
    let cadre = id(&c);
    let (s, got) = app.get(&t, &format!("/api/v1/cadres/{cadre}")).await;
    assert_eq!(
        (s, &got["org_name"]),
        (StatusCode::OK, &json!("华瑞电器股份有限公司工会"))
    );

    // Rule items of the town reach the cadres below it.
    let train = new_item(&app, &t, town, "组织职工培训一次", 5).await;
    let late = new_item(&app, &t, town, "未按时报送统计表", -2).await;
    let own = new_item(&app, &t, jingmi, "精密机械专项", 1).await;
    let (s, items) = app
        .get(&t, &format!("/api/v1/cadre-points/items?org_id={huarui}"))
        .await;
    assert_eq!(s, StatusCode::OK);
    let ids: Vec<i64> = items["items"].as_array().unwrap().iter().map(id).collect();
    assert!(ids.contains(&train) && ids.contains(&late), "{items}");
    assert!(!ids.contains(&own), "a sibling union's item does not apply");

    let today = gongjiang::cadre::ops::today();
    let (s, e) = entry(&app, &t, cadre, train, &today).await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    assert_eq!(
        (&e["points"], &e["label"], &e["occurred_on"], &e["evidence"]),
        (
            &json!(5),
            &json!("组织职工培训一次"),
            &json!(today),
            &json!("会议通知及签到表")
        )
    );
    let first = id(&e);
    let (s, _) = entry(&app, &t, cadre, late, &today).await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, got) = app.get(&t, &format!("/api/v1/cadres/{cadre}")).await;
    assert_eq!((&got["points"], &got["entries"]), (&json!(3), &json!(2)));

    // Reversed once: a new entry of the opposite points; the second time is a 409.
    let path = format!("/api/v1/cadre-points/entries/{first}/reverse");
    let (s, e) = app.post(&t, &path, json!({"reason": ""})).await;
    assert_eq!(
        (s, fields(&e)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["reason".to_string()])
    );
    let (s, rev) = app.post(&t, &path, json!({"reason": "重复登记"})).await;
    assert_eq!(s, StatusCode::CREATED, "{rev}");
    assert_eq!(
        (
            &rev["points"],
            &rev["reverses_id"],
            &rev["evidence"],
            &rev["occurred_on"]
        ),
        (&json!(-5), &json!(first), &json!("重复登记"), &json!(today))
    );
    let before = cadre_rows(&app).await;
    let (s, _) = app.post(&t, &path, json!({"reason": "再次冲销"})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = app
        .post(
            &t,
            &format!("/api/v1/cadre-points/entries/{}/reverse", id(&rev)),
            json!({"reason": "冲销冲销"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "a reversal is not reversed");
    assert_eq!(before, cadre_rows(&app).await);
    let (s, list) = app
        .get(
            &t,
            &format!("/api/v1/cadre-points/entries?cadre_id={cadre}"),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!((&list["total"], &list["points"]), (&json!(3), &json!(-2)));
    let reversed = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| id(x) == first)
        .unwrap();
    assert_eq!(reversed["reversed_by"], rev["id"]);
    let (_, got) = app.get(&t, &format!("/api/v1/cadres/{cadre}")).await;
    assert_eq!(
        (&got["points"], &got["entries"]),
        (&json!(-2), &json!(1)),
        "{got}"
    );

    // The list of a subtree carries the year's points.
    let (s, list) = app
        .get(&t, &format!("/api/v1/cadres?org_id={huarui}"))
        .await;
    assert_eq!((s, &list["total"]), (StatusCode::OK, &json!(1)), "{list}");
    assert_eq!(list["items"][0]["points"], -2);

    // Renaming and deactivating; an inactive cadre takes no more entries.
    let (s, p) = app
        .patch(
            &t,
            &format!("/api/v1/cadres/{cadre}"),
            json!({"title": "工会副主席", "active": false}),
        )
        .await;
    assert_eq!(
        (s, &p["title"], &p["active"]),
        (StatusCode::OK, &json!("工会副主席"), &json!(false))
    );
    let before = cadre_rows(&app).await;
    let (s, e) = entry(&app, &t, cadre, train, &today).await;
    assert_eq!(
        (s, fields(&e)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["cadre_id".to_string()]
        )
    );
    assert_eq!(before, cadre_rows(&app).await);
    let (s, _) = app
        .patch(
            &t,
            &format!("/api/v1/cadres/{cadre}"),
            json!({"active": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    // An item taken out of use pays no more; the entries it paid keep their points.
    let (s, i) = app
        .patch(
            &t,
            &format!("/api/v1/cadre-points/items/{late}"),
            json!({"active": false}),
        )
        .await;
    assert_eq!((s, &i["active"]), (StatusCode::OK, &json!(false)));
    let (s, e) = entry(&app, &t, cadre, late, &today).await;
    assert_eq!(
        (s, fields(&e)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["item_id".to_string()]
        )
    );
    let (_, got) = app.get(&t, &format!("/api/v1/cadres/{cadre}")).await;
    assert_eq!(got["points"], -2);
    // The cadres in office and their points, kept per subtree, equal a recount.
    assert_eq!(app.member_counts_off().await, 0);
}

#[tokio::test]
async fn bad_input_is_a_422_with_the_field_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let t = app.login("jiangshan").await;
    let (town, huarui, jingmi) = (
        app.org_id("ZJ-NB-YZ-JS").await,
        app.org_id("JS-HUARUI").await,
        app.org_id("JS-JINGMI").await,
    );
    let cadre = new_cadre(&app, &t, huarui, "李明").await;
    let item = new_item(&app, &t, town, "按时报送月报", 2).await;
    let sibling = new_item(&app, &t, jingmi, "精密机械专项", 1).await;
    let other_member = app.member_of("JS-JINGMI").await;
    let before = cadre_rows(&app).await;

    let cases: Vec<(&str, Value, Vec<&str>)> = vec![
        (
            "/api/v1/cadres",
            json!({"org_id": huarui, "name": "", "title": "主".repeat(51)}),
            vec!["name", "title"],
        ),
        ("/api/v1/cadres", json!({"name": "张三"}), vec!["org_id"]),
        (
            "/api/v1/cadres",
            json!({"org_id": huarui, "name": "张三", "member_id": other_member}),
            vec!["member_id"],
        ),
        (
            "/api/v1/cadres",
            json!({"org_id": huarui, "name": "张三", "member_id": 999_999_999}),
            vec!["member_id"],
        ),
        (
            "/api/v1/cadres",
            json!({"org_id": "华瑞", "name": "张三"}),
            vec!["body"],
        ),
        (
            "/api/v1/cadre-points/items",
            json!({"org_id": town, "label": "", "points": 0}),
            vec!["label", "points"],
        ),
        (
            "/api/v1/cadre-points/items",
            json!({"org_id": town, "label": "项".repeat(51), "points": 1001}),
            vec!["label", "points"],
        ),
        (
            "/api/v1/cadre-points/items",
            json!({"org_id": town, "label": "无分值"}),
            vec!["points"],
        ),
        (
            "/api/v1/cadre-points/entries",
            json!({"cadre_id": cadre, "item_id": item, "evidence": " ", "occurred_on": "2099-01-01"}),
            vec!["evidence", "occurred_on"],
        ),
        (
            "/api/v1/cadre-points/entries",
            json!({"cadre_id": cadre, "item_id": item, "evidence": "证".repeat(501), "occurred_on": "2024-02-30"}),
            vec!["evidence", "occurred_on"],
        ),
        (
            "/api/v1/cadre-points/entries",
            json!({"cadre_id": cadre, "item_id": sibling, "evidence": "通知", "occurred_on": "2024-05-01"}),
            vec!["item_id"],
        ),
        (
            "/api/v1/cadre-points/entries",
            json!({"cadre_id": cadre, "item_id": 999_999_999, "evidence": "通知", "occurred_on": "2024-05-01"}),
            vec!["item_id"],
        ),
        (
            "/api/v1/cadre-points/entries",
            json!({"cadre_id": cadre, "evidence": "通知", "occurred_on": ""}),
            vec!["item_id", "occurred_on"],
        ),
        (
            "/api/v1/cadre-points/entries",
            json!({"item_id": item}),
            vec!["cadre_id"],
        ),
    ];
    for (path, body, want) in cases {
        let (s, e) = app.post(&t, path, body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{path} {body}: {e}");
        assert_eq!(fields(&e), want, "{path} {body}: {e}");
    }
    for (path, body, want) in [
        (
            format!("/api/v1/cadres/{cadre}"),
            json!({"name": ""}),
            vec!["name"],
        ),
        (format!("/api/v1/cadres/{cadre}"), json!({}), vec!["body"]),
        (
            format!("/api/v1/cadre-points/items/{item}"),
            json!({}),
            vec!["active"],
        ),
        (
            format!("/api/v1/cadre-points/items/{item}"),
            json!({"points": 9, "active": true}),
            vec!["body"],
        ),
    ] {
        let (s, e) = app.patch(&t, &path, body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{path} {body}: {e}");
        assert_eq!(fields(&e), want, "{path} {body}: {e}");
    }
    for path in [
        "/api/v1/cadre-points/ranking?year=24".to_string(),
        "/api/v1/cadres?year=next".to_string(),
        format!("/api/v1/cadre-points/entries?cadre_id={cadre}&year=abcd"),
        "/api/v1/cadre-points/entries".to_string(),
    ] {
        let (s, e) = app.get(&t, &path).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {e}");
    }
    // A label is used once per union; a member is one cadre of a union.
    let (s, e) = app
        .post(
            &t,
            "/api/v1/cadre-points/items",
            json!({"org_id": town, "label": "按时报送月报", "points": 3}),
        )
        .await;
    assert_eq!(
        (s, fields(&e)),
        (StatusCode::CONFLICT, vec!["label".to_string()])
    );
    assert_eq!(
        before,
        cadre_rows(&app).await,
        "refused requests change nothing"
    );

    let member = app.member_of("JS-HUARUI").await;
    let body = json!({"org_id": huarui, "name": "王芳", "member_id": member});
    let (s, _) = app.post(&t, "/api/v1/cadres", body.clone()).await;
    assert_eq!(s, StatusCode::CREATED);
    let before = cadre_rows(&app).await;
    let (s, e) = app.post(&t, "/api/v1/cadres", body).await;
    assert_eq!(
        (s, fields(&e)),
        (StatusCode::CONFLICT, vec!["member_id".to_string()])
    );
    assert_eq!(before, cadre_rows(&app).await);
}

#[tokio::test]
async fn the_yearly_ranking_shares_ranks_and_keeps_years_apart() {
    let app = TestApp::spawn().await;
    let t = app.login("jiangshan").await;
    let (town, jingmi) = (
        app.org_id("ZJ-NB-YZ-JS").await,
        app.org_id("JS-JINGMI").await,
    );
    let five = new_item(&app, &t, town, "组织职工培训一次", 5).await;
    let two = new_item(&app, &t, town, "按时报送月报", 2).await;
    let minus = new_item(&app, &t, town, "未按时报送月报", -2).await;
    let mut cadres = vec![];
    for name in ["甲", "乙", "丙", "丁"] {
        cadres.push(new_cadre(&app, &t, jingmi, name).await);
    }
    let (a, b, c, d) = (cadres[0], cadres[1], cadres[2], cadres[3]);
    for (cadre, item, day) in [
        (a, five, "2024-12-31"),
        (b, five, "2024-06-01"),
        (c, two, "2024-01-01"),
        (a, two, "2025-01-01"),
        (d, minus, "2025-03-01"),
        (c, five, "2023-12-31"),
    ] {
        let (s, e) = entry(&app, &t, cadre, item, day).await;
        assert_eq!(s, StatusCode::CREATED, "{e}");
    }
    let ranking = |year: i32| {
        let (app, t) = (&app, &t);
        async move {
            let (s, r) = app
                .get(
                    t,
                    &format!("/api/v1/cadre-points/ranking?org_id={jingmi}&year={year}"),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{r}");
            assert_eq!(r["year"], year);
            standings(&r)
        }
    };
    // 2024: 甲 and 乙 tie for first, 丙 is third, 丁 (nothing recorded) fourth.
    assert_eq!(
        ranking(2024).await,
        vec![(a, 1, 5, 1), (b, 1, 5, 1), (c, 3, 2, 1), (d, 4, 0, 0)]
    );
    // 2025 counts 1 January in 2025 and 31 December in 2024.
    assert_eq!(
        ranking(2025).await,
        vec![(a, 1, 2, 1), (b, 2, 0, 0), (c, 2, 0, 0), (d, 4, -2, 1)]
    );
    assert_eq!(ranking(2023).await[0], (c, 1, 5, 1));

    // A reversal counts in the year of the entry it reverses.
    let (_, list) = app
        .get(
            &t,
            &format!("/api/v1/cadre-points/entries?cadre_id={b}&year=2024"),
        )
        .await;
    assert_eq!(list["total"], 1);
    let (s, _) = app
        .post(
            &t,
            &format!(
                "/api/v1/cadre-points/entries/{}/reverse",
                id(&list["items"][0])
            ),
            json!({"reason": "培训未实际举办"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(
        ranking(2024).await,
        vec![(a, 1, 5, 1), (c, 2, 2, 1), (b, 3, 0, 0), (d, 3, 0, 0)]
    );
    let (_, all) = app
        .get(&t, &format!("/api/v1/cadre-points/entries?cadre_id={a}"))
        .await;
    assert_eq!((&all["total"], &all["points"]), (&json!(2), &json!(7)));
    let (_, y) = app
        .get(
            &t,
            &format!("/api/v1/cadres?org_id={jingmi}&year=2024&per_page=50"),
        )
        .await;
    let points: Vec<(i64, i64)> = y["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (id(x), x["points"].as_i64().unwrap()))
        .collect();
    assert!(points.contains(&(a, 5)) && points.contains(&(c, 2)), "{y}");

    // An inactive cadre stays in the years it has entries, and leaves the others.
    app.patch(&t, &format!("/api/v1/cadres/{d}"), json!({"active": false}))
        .await;
    assert!(ranking(2025).await.iter().any(|s| s.0 == d));
    assert!(!ranking(2024).await.iter().any(|s| s.0 == d));
    // The town's ranking covers its whole subtree.
    let (_, r) = app
        .get(
            &t,
            &format!("/api/v1/cadre-points/ranking?org_id={town}&year=2024"),
        )
        .await;
    let ids: Vec<i64> = standings(&r).iter().map(|s| s.0).collect();
    assert!(ids.contains(&a) && ids.contains(&c), "{r}");
}

#[tokio::test]
async fn scope_decides_404_and_rights_decide_403() {
    let app = TestApp::spawn().await;
    let root = app.login("admin").await;
    let town_admin = app.login("jiangshan").await;
    let (town, huarui, qiuai, hengda) = (
        app.org_id("ZJ-NB-YZ-JS").await,
        app.org_id("JS-HUARUI").await,
        app.org_id("ZJ-NB-YZ-QY").await,
        app.org_id("QY-HENGDA").await,
    );
    for (user, role) in [("js_officer", "officer"), ("js_viewer", "viewer")] {
        let (s, a) = app
            .post(
                &root,
                "/api/v1/accounts",
                json!({"username": user, "password": "gongjiang", "role": role, "org_id": town}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{a}");
    }
    let officer = app.login("js_officer").await;
    let viewer = app.login("js_viewer").await;
    let worker = app.login("worker").await;
    let hr_member = member_token(&app, app.member_of("JS-HUARUI").await).await;

    // Another town's cadre, item and entry.
    let qy_cadre = new_cadre(&app, &root, hengda, "邱隘干部").await;
    let qy_item = new_item(&app, &root, qiuai, "邱隘专项", 3).await;
    let (_, e) = entry(&app, &root, qy_cadre, qy_item, "2024-05-01").await;
    let qy_entry = id(&e);
    // The town's own.
    let js_cadre = new_cadre(&app, &town_admin, huarui, "姜山干部").await;
    let js_item = new_item(&app, &town_admin, town, "姜山专项", 2).await;
    let (_, e) = entry(&app, &town_admin, js_cadre, js_item, "2024-05-01").await;
    let js_entry = id(&e);

    let before = cadre_rows(&app).await;
    let reason = json!({"reason": "核对有误"});
    let qy_rec = json!({"cadre_id": qy_cadre, "item_id": qy_item, "evidence": "通知", "occurred_on": "2024-05-02"});
    let js_rec = json!({"cadre_id": js_cadre, "item_id": js_item, "evidence": "通知", "occurred_on": "2024-05-02"});
    // (who, token, method, path, body, answer)
    type Case<'a> = (
        &'a str,
        &'a String,
        Method,
        String,
        Option<Value>,
        StatusCode,
    );
    let cases: Vec<Case> = vec![
        // Outside the subtree: not found, for reading and writing alike.
        (
            "officer",
            &officer,
            Method::GET,
            format!("/api/v1/cadres/{qy_cadre}"),
            None,
            StatusCode::NOT_FOUND,
        ),
        (
            "officer",
            &officer,
            Method::GET,
            format!("/api/v1/cadres?org_id={qiuai}"),
            None,
            StatusCode::NOT_FOUND,
        ),
        (
            "officer",
            &officer,
            Method::GET,
            format!("/api/v1/cadre-points/ranking?org_id={qiuai}"),
            None,
            StatusCode::NOT_FOUND,
        ),
        (
            "officer",
            &officer,
            Method::GET,
            format!("/api/v1/cadre-points/items?org_id={qiuai}"),
            None,
            StatusCode::NOT_FOUND,
        ),
        (
            "officer",
            &officer,
            Method::GET,
            format!("/api/v1/cadre-points/entries?cadre_id={qy_cadre}"),
            None,
            StatusCode::NOT_FOUND,
        ),
        (
            "officer",
            &officer,
            Method::PATCH,
            format!("/api/v1/cadres/{qy_cadre}"),
            Some(json!({"active": false})),
            StatusCode::NOT_FOUND,
        ),
        (
            "officer",
            &officer,
            Method::POST,
            "/api/v1/cadres".into(),
            Some(json!({"org_id": hengda, "name": "越权"})),
            StatusCode::NOT_FOUND,
        ),
        (
            "officer",
            &officer,
            Method::POST,
            "/api/v1/cadre-points/entries".into(),
            Some(qy_rec.clone()),
            StatusCode::NOT_FOUND,
        ),
        (
            "officer",
            &officer,
            Method::POST,
            format!("/api/v1/cadre-points/entries/{qy_entry}/reverse"),
            Some(reason.clone()),
            StatusCode::NOT_FOUND,
        ),
        (
            "town admin",
            &town_admin,
            Method::PATCH,
            format!("/api/v1/cadre-points/items/{qy_item}"),
            Some(json!({"active": false})),
            StatusCode::NOT_FOUND,
        ),
        (
            "town admin",
            &town_admin,
            Method::POST,
            "/api/v1/cadre-points/items".into(),
            Some(json!({"org_id": qiuai, "label": "越权", "points": 1})),
            StatusCode::NOT_FOUND,
        ),
        // Inside, without the right.
        (
            "officer",
            &officer,
            Method::POST,
            "/api/v1/cadre-points/items".into(),
            Some(json!({"org_id": town, "label": "越权", "points": 1})),
            StatusCode::FORBIDDEN,
        ),
        (
            "officer",
            &officer,
            Method::PATCH,
            format!("/api/v1/cadre-points/items/{js_item}"),
            Some(json!({"active": false})),
            StatusCode::FORBIDDEN,
        ),
        (
            "viewer",
            &viewer,
            Method::POST,
            "/api/v1/cadres".into(),
            Some(json!({"org_id": huarui, "name": "越权"})),
            StatusCode::FORBIDDEN,
        ),
        (
            "viewer",
            &viewer,
            Method::PATCH,
            format!("/api/v1/cadres/{js_cadre}"),
            Some(json!({"active": false})),
            StatusCode::FORBIDDEN,
        ),
        (
            "viewer",
            &viewer,
            Method::POST,
            "/api/v1/cadre-points/entries".into(),
            Some(js_rec.clone()),
            StatusCode::FORBIDDEN,
        ),
        (
            "viewer",
            &viewer,
            Method::POST,
            format!("/api/v1/cadre-points/entries/{js_entry}/reverse"),
            Some(reason.clone()),
            StatusCode::FORBIDDEN,
        ),
        (
            "viewer",
            &viewer,
            Method::POST,
            "/api/v1/cadre-points/items".into(),
            Some(json!({"org_id": town, "label": "越权", "points": 1})),
            StatusCode::FORBIDDEN,
        ),
        // Members have no part in it, not even in their own union.
        (
            "worker",
            &worker,
            Method::GET,
            "/api/v1/cadres".into(),
            None,
            StatusCode::FORBIDDEN,
        ),
        (
            "worker",
            &worker,
            Method::GET,
            "/api/v1/cadre-points/ranking".into(),
            None,
            StatusCode::FORBIDDEN,
        ),
        (
            "member",
            &hr_member,
            Method::GET,
            format!("/api/v1/cadres/{js_cadre}"),
            None,
            StatusCode::FORBIDDEN,
        ),
        (
            "member",
            &hr_member,
            Method::POST,
            "/api/v1/cadre-points/entries".into(),
            Some(js_rec.clone()),
            StatusCode::FORBIDDEN,
        ),
    ];
    for (who, token, method, path, body, want) in cases {
        let (s, b) = app.call(method.clone(), &path, Some(token), body).await;
        assert_eq!(s, want, "{who} {method} {path}: {b}");
    }
    let (s, _) = app.call(Method::GET, "/api/v1/cadres", None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // Another town's item does not apply to this town's cadres.
    let (s, e) = app
        .post(&town_admin, "/api/v1/cadre-points/entries", json!({"cadre_id": js_cadre, "item_id": qy_item, "evidence": "通知", "occurred_on": "2024-05-02"}))
        .await;
    assert_eq!(
        (s, fields(&e)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["item_id".to_string()]
        )
    );
    assert_eq!(
        before,
        cadre_rows(&app).await,
        "refused requests change nothing"
    );

    // Reading is the read right; a town's lists hold only the town.
    for token in [&officer, &viewer] {
        let (s, list) = app.get(token, "/api/v1/cadres?per_page=200").await;
        assert_eq!(s, StatusCode::OK);
        let ids: Vec<i64> = list["items"].as_array().unwrap().iter().map(id).collect();
        assert!(
            ids.contains(&js_cadre) && !ids.contains(&qy_cadre),
            "{list}"
        );
        let (s, r) = app
            .get(token, "/api/v1/cadre-points/ranking?year=2024")
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            standings(&r).iter().any(|x| x.0 == js_cadre && x.2 == 2),
            "{r}"
        );
        assert!(!standings(&r).iter().any(|x| x.0 == qy_cadre));
        let (s, _) = app.get(token, &format!("/api/v1/cadres/{js_cadre}")).await;
        assert_eq!(s, StatusCode::OK);
    }
    // The province sees both towns.
    let (_, r) = app
        .get(&root, "/api/v1/cadre-points/ranking?year=2024")
        .await;
    let ids: Vec<i64> = standings(&r).iter().map(|x| x.0).collect();
    assert!(ids.contains(&js_cadre) && ids.contains(&qy_cadre));

    // An officer manages cadres and records entries in the town, and reverses them.
    let (s, c) = app
        .post(
            &officer,
            "/api/v1/cadres",
            json!({"org_id": huarui, "name": "新任干部"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let (s, e) = app
        .post(&officer, "/api/v1/cadre-points/entries", js_rec)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    let (s, _) = app
        .post(
            &officer,
            &format!("/api/v1/cadre-points/entries/{}/reverse", id(&e)),
            reason,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    // The items of the province and the town reach a town cadre; the town admin
    // may switch the town's own, and the province's only the province may.
    let zj = app.org_id("ZJ").await;
    let zj_item = new_item(&app, &root, zj, "省总专项", 10).await;
    let (_, items) = app
        .get(
            &officer,
            &format!("/api/v1/cadre-points/items?org_id={huarui}"),
        )
        .await;
    let ids: Vec<i64> = items["items"].as_array().unwrap().iter().map(id).collect();
    assert!(
        ids.contains(&zj_item) && ids.contains(&js_item) && !ids.contains(&qy_item),
        "{items}"
    );
    let (s, _) = app
        .patch(
            &town_admin,
            &format!("/api/v1/cadre-points/items/{zj_item}"),
            json!({"active": false}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .patch(
            &town_admin,
            &format!("/api/v1/cadre-points/items/{js_item}"),
            json!({"active": false}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn staff_keep_cadre_points_on_the_console() {
    use crate::pages::{csrf_of, Browser};
    let app = TestApp::spawn().await;
    let town = app.org_id("ZJ-NB-YZ-JS").await.to_string();
    let huarui = app.org_id("JS-HUARUI").await.to_string();
    let mut b = Browser::login(&app, "jiangshan", "gongjiang").await;
    let page = b.page("/cadres").await;
    let csrf = csrf_of(&page.html);
    assert!(
        page.html.contains("href=\"/cadres\""),
        "the nav links the page"
    );
    assert!(
        page.html.contains("工会干部积分")
            && page.html.contains("添加积分项目")
            && page.html.contains("登记干部")
    );
    // The demo town has cadres, items and this year's entries.
    assert!(
        page.html.contains("陈建国") && page.html.contains("组织培训一次"),
        "{}",
        page.html
    );

    let view = [("v_org", town.as_str()), ("v_year", "2024")];
    let bad = b
        .post(
            "/cadres",
            &[
                &[
                    ("csrf", csrf.as_str()),
                    ("org", huarui.as_str()),
                    ("name", ""),
                    ("title", "工会主席"),
                ][..],
                &view[..],
            ]
            .concat(),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.html.contains("请填写干部姓名") && bad.html.contains("value=\"工会主席\""),
        "{}",
        bad.html
    );
    let ok = b
        .post(
            "/cadres",
            &[
                &[
                    ("csrf", csrf.as_str()),
                    ("org", huarui.as_str()),
                    ("name", "赵磊"),
                    ("title", "工会主席"),
                ][..],
                &view[..],
            ]
            .concat(),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.html);
    assert!(
        ok.html.contains("已登记干部“赵磊”") && ok.html.contains("2024 年"),
        "{}",
        ok.html
    );
    let item = b
        .post(
            "/cadres/items",
            &[
                &[
                    ("csrf", csrf.as_str()),
                    ("org", town.as_str()),
                    ("label", "组织劳动竞赛一次"),
                    ("points", "8"),
                ][..],
                &view[..],
            ]
            .concat(),
        )
        .await;
    assert!(
        item.html
            .contains("已添加积分项目“组织劳动竞赛一次”（+8 分）"),
        "{}",
        item.html
    );
    let (cadre, item_id): (i64, i64) = (
        sqlx::query("SELECT id FROM cadres WHERE name = '赵磊'")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap()
            .get(0),
        sqlx::query("SELECT id FROM cadre_rule_items WHERE label = '组织劳动竞赛一次'")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap()
            .get(0),
    );
    let (cadre_s, item_s) = (cadre.to_string(), item_id.to_string());
    let future = b
        .post(
            "/cadres/entries",
            &[
                &[
                    ("csrf", csrf.as_str()),
                    ("cadre", cadre_s.as_str()),
                    ("item", item_s.as_str()),
                    ("evidence", "竞赛方案"),
                    ("occurred_on", "2099-01-01"),
                ][..],
                &view[..],
            ]
            .concat(),
        )
        .await;
    assert_eq!(future.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        future.html.contains("晚于今天") && future.html.contains("竞赛方案"),
        "{}",
        future.html
    );
    let rec = b
        .post(
            "/cadres/entries",
            &[
                &[
                    ("csrf", csrf.as_str()),
                    ("cadre", cadre_s.as_str()),
                    ("item", item_s.as_str()),
                    ("evidence", "竞赛方案及获奖名单"),
                    ("occurred_on", "2024-09-10"),
                ][..],
                &view[..],
            ]
            .concat(),
        )
        .await;
    assert_eq!(rec.status, StatusCode::OK, "{}", rec.html);
    assert!(
        rec.html
            .contains("已记分：组织劳动竞赛一次，+8 分（2024-09-10）"),
        "{}",
        rec.html
    );
    assert!(
        rec.html.contains("赵磊 的 2024 年积分记录（合计 8 分）"),
        "{}",
        rec.html
    );
    let entry: i64 = sqlx::query("SELECT id FROM cadre_entries WHERE cadre_id = $1")
        .bind(cadre)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
        .get(0);
    let rev_path = format!("/cadres/entries/{entry}/reverse");
    assert!(rec.html.contains(&rev_path), "a reverse button");
    let with_cadre = [
        ("v_org", town.as_str()),
        ("v_year", "2024"),
        ("v_cadre", cadre_s.as_str()),
    ];
    let rev = b
        .post(
            &rev_path,
            &[
                &[("csrf", csrf.as_str()), ("reason", "竞赛延期")][..],
                &with_cadre[..],
            ]
            .concat(),
        )
        .await;
    assert!(
        rev.html.contains(&format!("已冲销记录 {entry}")) && rev.html.contains("已冲销（"),
        "{}",
        rev.html
    );
    let again = b
        .post(
            &rev_path,
            &[
                &[("csrf", csrf.as_str()), ("reason", "再冲一次")][..],
                &with_cadre[..],
            ]
            .concat(),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let shown = b
        .page(&format!("/cadres?org_id={town}&year=2024&cadre_id={cadre}"))
        .await;
    assert!(
        shown.html.contains("竞赛延期") && shown.html.contains("（合计 0 分）"),
        "{}",
        shown.html
    );

    // Without the CSRF token nothing happens.
    let before = cadre_rows(&app).await;
    let forged = b
        .post(
            "/cadres",
            &[("csrf", "nope"), ("org", huarui.as_str()), ("name", "伪造")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(before, cadre_rows(&app).await);

    // An officer records but does not configure items; a member is sent to the phone pages.
    let root = app.login("admin").await;
    let (s, _) = app
        .post(&root, "/api/v1/accounts", json!({"username": "js_clerk", "password": "gongjiang", "role": "officer", "org_id": app.org_id("ZJ-NB-YZ-JS").await}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let mut o = Browser::login(&app, "js_clerk", "gongjiang").await;
    let op = o.page("/cadres").await;
    assert!(op.html.contains("登记干部") && op.html.contains("action=\"/cadres/entries"));
    assert!(!op.html.contains("添加积分项目") && !op.html.contains("/cadres/items/"));
    let mut w = Browser::login(&app, "worker", "gongjiang").await;
    assert_eq!(w.get("/cadres").await.status, StatusCode::SEE_OTHER);
    // Another town's organisation is not found.
    let qy = app.org_id("ZJ-NB-YZ-QY").await;
    assert_eq!(
        b.get(&format!("/cadres?org_id={qy}")).await.status,
        StatusCode::NOT_FOUND
    );
}
