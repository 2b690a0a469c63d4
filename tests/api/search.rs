//! Finding people: name (substring), full pinyin and initials, phone tail,
//! card number, whole phone and ID number — ranked, paged, in the subtree.

use crate::support::TestApp;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn enc(s: &str) -> String {
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

async fn names(app: &TestApp, token: &str, q: &str, org: Option<i64>) -> (i64, Vec<String>) {
    let org = org.map(|o| format!("&org_id={o}")).unwrap_or_default();
    let (s, body) = app
        .get(
            token,
            &format!("/api/v1/members?q={}&per_page=50{org}", enc(q)),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{q}: {body}");
    let items: Vec<String> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_string())
        .collect();
    (body["total"].as_i64().unwrap(), items)
}

async fn add(
    app: &TestApp,
    token: &str,
    org: i64,
    name: &str,
    id: &str,
    phone: &str,
    card: &str,
) -> Value {
    let (s, m) = app
        .post(
            token,
            "/api/v1/members",
            json!({"name": name, "id_number": id, "phone": phone, "org_id": org, "card_no": card}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    m
}

#[tokio::test]
async fn search_by_every_key_ranked_and_scoped() {
    let app = TestApp::spawn().await;
    let town = app.login("jiangshan").await;
    let yizhou = app.org_id("JS-YIZHOU").await;
    let huzhou = app.org_id("ZJ-HZ").await;
    let root = app.login("admin").await;
    // Names chosen so the demo roster (generated from other characters) cannot match them.
    add(
        &app,
        &town,
        yizhou,
        "欧阳靖",
        "11010519491231002X",
        "13900007777",
        "GJ-0001",
    )
    .await;
    add(
        &app,
        &town,
        yizhou,
        "欧阳靖宇",
        &crate::support::id_number(41),
        "13900008888",
        "GJ-0002",
    )
    .await;
    add(
        &app,
        &town,
        yizhou,
        "司欧阳",
        &crate::support::id_number(42),
        "13900009999",
        "GJ-0003",
    )
    .await;
    add(
        &app,
        &town,
        yizhou,
        "曾靖",
        &crate::support::id_number(43),
        "13700001234",
        "GJ-0004",
    )
    .await;
    // Outside the town: the same name, which the town must not find.
    add(
        &app,
        &root,
        huzhou,
        "欧阳靖",
        &crate::support::id_number(44),
        "13900006666",
        "GJ-0005",
    )
    .await;

    // Chinese name: exact first, then prefix, then substring.
    let (total, list) = names(&app, &town, "欧阳靖", None).await;
    assert_eq!(total, 2, "{list:?}");
    assert_eq!(list, ["欧阳靖", "欧阳靖宇"]);
    let (total, list) = names(&app, &town, "欧阳", None).await;
    assert_eq!(total, 3);
    assert_eq!(
        list.last().unwrap(),
        "司欧阳",
        "a substring match ranks after prefix matches"
    );
    // A surname alone and two initials: keys of their own (migration 0013),
    // the town's matches only, each once, prefixes before substrings.
    let (_, list) = names(&app, &town, "欧", None).await;
    let at = |n: &str| list.iter().position(|x| x == n);
    assert!(at("欧阳靖").unwrap() < at("司欧阳").unwrap(), "{list:?}");
    assert!(at("欧阳靖宇").unwrap() < at("司欧阳").unwrap(), "{list:?}");
    assert_eq!(
        list.iter().filter(|n| *n == "欧阳靖").count(),
        1,
        "{list:?}"
    );
    let (_, list) = names(&app, &town, "oy", None).await;
    assert!(list.contains(&"欧阳靖宇".to_string()), "{list:?}");
    assert_eq!(
        list.iter().filter(|n| *n == "欧阳靖").count(),
        1,
        "{list:?}"
    );
    // Full pinyin, initials, and a pinyin prefix.
    let (_, list) = names(&app, &town, "ouyangjing", None).await;
    assert_eq!(list.first().map(String::as_str), Some("欧阳靖"), "{list:?}");
    assert!(
        list.contains(&"欧阳靖宇".to_string()),
        "a pinyin prefix also matches: {list:?}"
    );
    let (_, list) = names(&app, &town, "oyj", None).await;
    assert_eq!(list.first().map(String::as_str), Some("欧阳靖"), "{list:?}");
    let (_, list) = names(&app, &town, "OYJY", None).await;
    assert_eq!(list, ["欧阳靖宇"]);
    let (_, list) = names(&app, &town, "zengjing", None).await;
    assert_eq!(list, ["曾靖"], "曾 as a surname reads zeng");
    // Phone tail, whole phone, ID number, card number.
    let (_, list) = names(&app, &town, "7777", None).await;
    assert_eq!(list, ["欧阳靖"]);
    let (_, list) = names(&app, &town, "139-0000-8888", None).await;
    assert_eq!(list, ["欧阳靖宇"]);
    let (_, list) = names(&app, &town, "11010519491231002x", None).await;
    assert_eq!(list, ["欧阳靖"]);
    let (_, list) = names(&app, &town, "GJ-0003", None).await;
    assert_eq!(list, ["司欧阳"]);
    // The subtree: 湖州's 欧阳靖 is found by the province, not by the town, and not by the town's phone tail.
    let (_, list) = names(&app, &town, "6666", None).await;
    assert!(list.is_empty(), "{list:?}");
    let (total, _) = names(&app, &root, "欧阳靖", None).await;
    assert_eq!(total, 3);
    let (total, _) = names(&app, &root, "欧阳靖", Some(huzhou)).await;
    assert_eq!(total, 1);

    // Paging keeps the ranking.
    let (_, p1) = app
        .get(
            &town,
            &format!("/api/v1/members?q={}&per_page=1&page=1", enc("欧阳")),
        )
        .await;
    let (_, p3) = app
        .get(
            &town,
            &format!("/api/v1/members?q={}&per_page=1&page=3", enc("欧阳")),
        )
        .await;
    assert_eq!(p1["items"][0]["name"], "欧阳靖");
    assert_eq!(p3["items"][0]["name"], "司欧阳");
    assert_eq!(p3["total"], 3);
}

#[tokio::test]
async fn members_written_by_schema_1_get_search_keys_on_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::support::fresh_db_url(dir.path()).await;
    let key = dir.path().join("k.key");
    {
        // A database as version 1 left it: no pinyin, no phone tail.
        let db = gongjiang::db::Db::connect(&url).await.unwrap();
        db.migrate_to(1).await.unwrap();
        let (keys, _) = gongjiang::pii::Keyring::load_or_create(&key, true).unwrap();
        db.set_setting("key_fingerprint", &keys.fingerprint())
            .await
            .unwrap();
        let now = gongjiang::db::now_ms();
        sqlx::query("INSERT INTO orgs (id, code, name, kind, path, created_at, updated_at) VALUES (1, 'R', '根', '省总工会', '/1/', $1, $1)")
            .bind(now)
            .execute(&db.pool)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO members (org_id, name, gender, birth_date, id_number_enc, id_number_hash, phone_enc, phone_hash, created_at, updated_at) \
             VALUES (1, '张伟', '男', '1949-12-31', $1, $2, $3, $4, $5, $5)",
        )
        .bind(keys.encrypt("11010519491231002X"))
        .bind(keys.lookup_hash("id_number", "11010519491231002X"))
        .bind(keys.encrypt("13812345678"))
        .bind(keys.lookup_hash("phone", "13812345678"))
        .bind(now)
        .execute(&db.pool)
        .await
        .unwrap();
        db.pool.close().await;
    }
    let (db, keys) = gongjiang::config::open(&url, Some(&key)).await.unwrap();
    let scope = gongjiang::auth::Scope::everything();
    // The ID tails too (schema 10), from the decrypted number.
    for q in ["zhangwei", "zw", "5678", "张", "002X", "31002X"] {
        let f = gongjiang::member::store::Filter {
            q: Some(q.into()),
            id_tails: Some(gongjiang::auth::Scope::everything()),
            ..Default::default()
        };
        let l = gongjiang::member::store::list(
            &db,
            &keys,
            &gongjiang::audit::Actor::system("test"),
            &scope,
            &f,
            gongjiang::db::Paging::new(None, None),
        )
        .await
        .unwrap();
        let (items, total) = (l.items, l.total);
        assert_eq!(total, 1, "{q}");
        assert_eq!(items[0].name, "张伟");
    }
}

#[tokio::test]
async fn a_broad_search_stops_counting_and_stays_in_order() {
    let app = TestApp::spawn_empty().await;
    let s = gongjiang::seed::synthetic::build(
        &app.state.db,
        &app.state.keys,
        20000,
        11,
        gongjiang::seed::synthetic::Target::Database,
    )
    .await
    .unwrap();
    assert_eq!(s.members, 20000);
    async fn search(app: &TestApp, q: &str, page: i64) -> gongjiang::member::store::Listing {
        let f = gongjiang::member::store::Filter {
            q: Some(q.into()),
            id_tails: Some(gongjiang::auth::Scope::everything()),
            ..Default::default()
        };
        let scope = gongjiang::auth::Scope::everything();
        gongjiang::member::store::list(
            &app.state.db,
            &app.state.keys,
            &gongjiang::audit::Actor::system("test"),
            &scope,
            &f,
            gongjiang::db::Paging::new(Some(page), Some(50)),
        )
        .await
        .unwrap()
    }
    // "z" starts the pinyin of about one name in nine (zhang, zhao, zhou, zhu …).
    let broad = search(&app, "z", 1).await;
    assert!(
        !broad.total_is_exact,
        "counting stops at {}",
        gongjiang::member::store::SEARCH_COUNT_CAP
    );
    assert!(broad.total >= gongjiang::member::store::SEARCH_COUNT_CAP);
    assert_eq!(broad.items.len(), 50);
    // Pages follow each other without repeats.
    let second = search(&app, "z", 2).await;
    let first_ids: std::collections::HashSet<i64> = broad.items.iter().map(|m| m.id).collect();
    assert!(second.items.iter().all(|m| !first_ids.contains(&m.id)));
    assert!(second.items.iter().all(|m| m.name.chars().next().is_some()));
    // A narrow search is counted exactly.
    let one = &broad.items[0].name;
    let narrow = search(&app, one, 1).await;
    assert!(narrow.total_is_exact);
    assert_eq!(narrow.items[0].name, *one, "the exact name ranks first");
}

#[tokio::test]
async fn the_last_four_or_six_of_an_id_number_find_a_member_limited_and_audited_like_a_whole_number(
) {
    let app = TestApp::spawn().await;
    let town = app.login("jiangshan").await;
    let yizhou = app.org_id("JS-YIZHOU").await;
    let huzhou = app.org_id("ZJ-HZ").await;
    let root = app.login("admin").await;
    add(
        &app,
        &town,
        yizhou,
        "尾号甲",
        "11010519491231002X",
        "13900005555",
        "",
    )
    .await;
    let other = crate::support::id_number(45);
    let other_tail = other[other.len() - 4..].to_string();
    add(&app, &root, huzhou, "尾号乙", &other, "13900004444", "").await;
    // Without the right to see whole numbers, a tail finds nobody: the
    // page's area code and birth date with a guessed tail would rebuild one.
    assert!(names(&app, &town, "31002X", None).await.1.is_empty());
    assert_eq!(
        names(&app, &town, "5555", None).await.1,
        vec!["尾号甲".to_string()]
    );
    // With it (granted by the province), the last 4 or 6 find the member.
    let (_, me) = app.get(&town, "/api/v1/me").await;
    let (s, a) = app
        .patch(
            &root,
            &format!("/api/v1/accounts/{}", me["account_id"]),
            json!({"can_reveal": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    let (total, list) = names(&app, &town, "002X", None).await;
    assert_eq!(
        (total, list.clone()),
        (1, vec!["尾号甲".to_string()]),
        "{list:?}"
    );
    let (_, list) = names(&app, &town, "31002x", None).await;
    assert_eq!(list, vec!["尾号甲".to_string()]);
    // Only inside the union where the right is held.
    assert!(names(&app, &town, &other_tail, None).await.1.is_empty());
    // The database keeps no tail in clear.
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM members WHERE id_tail4 LIKE '%002X%' OR id_tail6 LIKE '%31002X%'",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(n, 0);
    // Each tail that found someone is recorded and audited.
    let recorded: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM pii_lookups WHERE kind = 'id_tail'")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(recorded, 2);
    let (_, audit) = app
        .get(&root, "/api/v1/audit?action=member.lookup&per_page=50")
        .await;
    let tails = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["detail"]["kind"] == "id_tail")
        .count();
    assert_eq!(tails, 2, "{audit}");
    // Past the day's allowance the tail part is left out; phone tails and names still answer.
    for _ in 0..gongjiang::member::lookups::TAIL_FINDS_PER_DAY - 2 {
        names(&app, &town, "002X", None).await;
    }
    assert!(names(&app, &town, "002X", None).await.1.is_empty());
    assert_eq!(
        names(&app, &town, "5555", None).await.1,
        vec!["尾号甲".to_string()]
    );
    assert_eq!(names(&app, &town, "尾号甲", None).await.0, 1);
    let refused: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'member.lookup_refused'")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert!(refused >= 1);
}
