//! Accounts for every worker (issue 10): staff open member accounts for a
//! town in one action, a worker activates with the code or with name + ID
//! number + phone; wrong combinations all read the same, and are rate-limited.

use crate::registers::{import, sample};
use crate::support::{id_number, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The demo town 瞻岐镇 built from its sample sheets; returns its union id.
pub async fn town(app: &TestApp, admin: &str) -> i64 {
    let county = app.org_id("ZJ-NB-YZ").await;
    let job = import(
        app,
        admin,
        "orgs",
        county,
        "all",
        "1.xlsx",
        sample("1-组织架构.xlsx"),
    )
    .await;
    assert_eq!(job["state"], "done", "{job}");
    let town = app.org_id("ZQ").await;
    for (kind, file) in [
        ("enterprises", "2-企业名录.xlsx"),
        ("members", "3-会员名册.xlsx"),
    ] {
        let job = import(app, admin, kind, town, "all", file, sample(file)).await;
        assert_eq!(job["state"], "done", "{job}");
    }
    town
}

async fn activate(app: &TestApp, body: Value) -> (StatusCode, Value) {
    let resp = app
        .client
        .post(app.url("/api/v1/activation"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_town_gets_accounts_and_a_worker_activates_with_the_code() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let town = town(&app, &admin).await;
    let firm = app.org_id("ZQ-JG").await;
    let (s, _) = app
        .post(
            &admin,
            "/api/v1/members",
            json!({"name": "无手机", "id_number": id_number(77), "org_id": firm}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    // Two members with one phone: one login, the other listed.
    let (s, _) = app
        .post(&admin, "/api/v1/members", json!({"name": "同号人", "id_number": id_number(78), "phone": "13905741001", "org_id": firm}))
        .await;
    assert_eq!(s, StatusCode::CREATED);

    // Out of reach: a town admin elsewhere sees no such union.
    let jiangshan = app.login("jiangshan").await;
    let (s, _) = app
        .post(&jiangshan, "/api/v1/accounts/bulk", json!({"org_id": town}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let (s, r) = app
        .post(&admin, "/api/v1/accounts/bulk", json!({"org_id": town}))
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["created"].as_array().unwrap().len(), 10, "{r}");
    let skipped = r["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 2, "{r}");
    let reason = |name: &str| {
        skipped
            .iter()
            .find(|m| m["name"] == name)
            .map(|m| m["reason"].as_str().unwrap().to_string())
    };
    assert!(reason("无手机").unwrap().contains("没有手机号"));
    let shared = reason("同号人").or_else(|| reason("郑晓燕")).unwrap();
    assert!(shared.contains("已被其他账号使用"), "{shared}");
    let hu = r["created"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "胡志强")
        .unwrap()
        .clone();
    assert_eq!(hu["org_name"], "宁波瞻岐精工机械有限公司工会");
    // The sheet shows the login masked, as the roster does; 胡志强 knows his phone.
    assert_eq!(hu["username"], "139****1000");
    let (phone, code) = ("13905741000", hu["code"].as_str().unwrap());
    let (_, accounts) = app.get(&admin, "/api/v1/accounts").await;
    assert!(
        !accounts.to_string().contains(phone),
        "no list shows the whole phone"
    );
    // Nobody gets a second account.
    let (_, again) = app
        .post(&admin, "/api/v1/accounts/bulk", json!({"org_id": town}))
        .await;
    assert_eq!(again["created"].as_array().unwrap().len(), 0);

    // Not activated, the account cannot log in with any password.
    let (s, _) = app
        .call(
            reqwest::Method::POST,
            "/api/v1/session",
            None,
            Some(json!({"username": phone, "password": "!"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    let password = "zhanqi-2026";
    let (s, wrong_code) = activate(
        &app,
        json!({"phone": phone, "password": password, "code": "AAAA-BBBB"}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{wrong_code}");
    let (_, wrong_phone) = activate(
        &app,
        json!({"phone": "13900000000", "password": password, "code": code}),
    )
    .await;
    assert_eq!(
        wrong_code, wrong_phone,
        "a wrong combination says nothing about which field"
    );
    let (s, ok) = activate(
        &app,
        json!({"phone": phone, "password": password, "code": code.to_lowercase()}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{ok}");
    let token = ok["token"].as_str().unwrap();
    let (s, me) = app.get(token, "/api/v1/me").await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!(me["member_id"], hu["member_id"]);
    // The code is spent; the phone and the password log in.
    let (s, _) = activate(
        &app,
        json!({"phone": phone, "password": "another-pass", "code": code}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = app
        .call(
            reqwest::Method::POST,
            "/api/v1/session",
            None,
            Some(json!({"username": phone, "password": password})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, audit) = app
        .get(&admin, "/api/v1/audit?action=account.activate")
        .await;
    assert_eq!(audit["total"], 1, "{audit}");
    // The phone is a login, yet no table keeps it in clear: not the
    // accounts, not the audit log (the worker acts as 139****1000).
    let (s, me) = app.get(token, "/api/v1/me").await;
    assert_eq!(me["username"], "139****1000", "{s} {me}");
    let pool = &app.state.db.pool;
    let like = format!("%{phone}%");
    for (table, cols) in [
        ("accounts", "username || COALESCE(login_shown, '')"),
        ("audit_log", "actor || detail"),
        ("sessions", "csrf"),
    ] {
        let n: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM {table} WHERE {cols} LIKE $1"
        ))
        .bind(&like)
        .fetch_one(pool)
        .await
        .unwrap();
        assert_eq!(n, 0, "{table} holds the phone in clear");
    }
}

#[tokio::test]
async fn a_worker_without_a_code_activates_with_name_and_id_number_and_guessing_is_stopped() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let _ = town(&app, &admin).await;
    let firm = app.org_id("ZQ-DH").await;
    let idn = id_number(88);
    let (s, _) = app
        .post(
            &admin,
            "/api/v1/members",
            json!({"name": "江小燕", "id_number": idn, "phone": "13905749988", "org_id": firm}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let password = "jiang-2026!";
    let wrong = [
        json!({"phone": "13905749988", "password": password, "name": "江小雁", "id_number": idn}),
        json!({"phone": "13905749987", "password": password, "name": "江小燕", "id_number": idn}),
        json!({"phone": "13905749988", "password": password, "name": "江小燕", "id_number": id_number(89)}),
    ];
    let mut answers = vec![];
    for body in &wrong {
        let (s, b) = activate(&app, body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        answers.push(b);
    }
    assert!(answers.iter().all(|a| a == &answers[0]), "{answers:?}");
    assert!(!answers[0].to_string().contains("身份证号错误"));
    let (s, ok) = activate(
        &app,
        json!({"phone": "13905749988", "password": password, "name": "江小燕", "id_number": idn}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{ok}");
    let (s, again) = activate(
        &app,
        json!({"phone": "13905749988", "password": password, "name": "江小燕", "id_number": idn}),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{again}");

    // Guessing codes for one phone is stopped like guessing passwords.
    let mut last = StatusCode::OK;
    for n in 0..6 {
        let (s, _) = activate(
            &app,
            json!({"phone": "13805740099", "password": password, "code": format!("AAAA-BBB{n}")}),
        )
        .await;
        last = s;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_phone_login_kept_in_clear_by_an_older_version_is_hashed_once_and_still_logs_in() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let (s, r) = app
        .post(
            &admin,
            "/api/v1/accounts",
            json!({"username": "legacy-staff", "password": "legacy-pass-1", "role": "officer", "org_id": app.org_id("ZJ").await}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    // As an older version kept it: the phone itself as the login.
    let pool = &app.state.db.pool;
    sqlx::query("UPDATE accounts SET username = '13905749999' WHERE username = 'legacy-staff'")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM settings WHERE key = 'phone_logins_hashed'")
        .execute(pool)
        .await
        .unwrap();
    let n = gongjiang::auth::store::hash_phone_logins(&app.state.db, &app.state.keys)
        .await
        .unwrap();
    assert_eq!(n, 1);
    let (login, shown): (String, Option<String>) =
        sqlx::query_as("SELECT username, login_shown FROM accounts WHERE id = $1")
            .bind(r["id"].as_i64().unwrap())
            .fetch_one(pool)
            .await
            .unwrap();
    assert!(
        login.starts_with("tel:") && !login.contains("13905749999"),
        "{login}"
    );
    assert_eq!(shown.as_deref(), Some("139****9999"));
    // Typed as people write it, the phone logs in.
    let (s, body) = app
        .call(
            reqwest::Method::POST,
            "/api/v1/session",
            None,
            Some(json!({"username": "139 0574 9999", "password": "legacy-pass-1"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    // Done once: a second start changes nothing.
    let again = gongjiang::auth::store::hash_phone_logins(&app.state.db, &app.state.keys)
        .await
        .unwrap();
    assert_eq!(again, 0);
}
