//! Logging in and out, tokens, rate limiting, disabled accounts.

use crate::support::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn login_logout_and_revocation() {
    let app = TestApp::spawn().await;
    let t = app.login("jiangshan").await;
    let (s, me) = app.get(&t, "/api/v1/me").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["username"], "jiangshan");
    assert_eq!(me["assignments"][0]["role"], "admin");
    let (s, _) = app
        .call(Method::DELETE, "/api/v1/session", Some(&t), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.get(&t, "/api/v1/me").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "a logged-out token is dead");

    let (s, e) = app
        .call(
            Method::POST,
            "/api/v1/session",
            None,
            Some(json!({"username": "jiangshan", "password": "wrong-password"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(e["detail"].as_str().unwrap().contains("用户名或密码错误"));
    let (s, e2) = app
        .call(
            Method::POST,
            "/api/v1/session",
            None,
            Some(json!({"username": "nobody", "password": "wrong-password"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(
        e["detail"], e2["detail"],
        "an unknown user looks like a wrong password"
    );
    let (s, _) = app
        .call(
            Method::POST,
            "/api/v1/session",
            None,
            Some(json!({"username": "jiangshan"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn logins_are_rate_limited_per_username() {
    let app = TestApp::spawn().await;
    for i in 0..5 {
        let (s, _) = app
            .call(
                Method::POST,
                "/api/v1/session",
                None,
                Some(json!({"username": "jiangshan", "password": "guess-guess"})),
            )
            .await;
        // Three tries, then each try from this address waits longer than the last.
        let expected = if i < 3 {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(s, expected, "try {i}");
    }
    // From this address even the right password waits: the delay holds the
    // guesser, not the account (see security::failed_logins_elsewhere…).
    let resp = app
        .client
        .post(app.url("/api/v1/session"))
        .json(&json!({"username": "jiangshan", "password": "gongjiang"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0);
    // Other accounts are not locked out by one account's failures.
    app.login("admin").await;
}

#[tokio::test]
async fn password_reset_and_disabling_end_sessions() {
    let app = TestApp::spawn().await;
    let admin = app.login("jiangshan").await;
    let town = app.org_id("ZJ-NB-YZ-JS").await;
    let (s, acct) = app.post(&admin, "/api/v1/accounts", json!({"username": "Clerk.One", "password": "gongjiang", "role": "officer", "org_id": town})).await;
    assert_eq!(s, StatusCode::CREATED, "{acct}");
    assert_eq!(
        acct["username"], "clerk.one",
        "usernames are case-insensitive"
    );
    let id = acct["id"].as_i64().unwrap();
    let clerk = app.login("clerk.one").await;

    let (s, _) = app
        .patch(
            &admin,
            &format!("/api/v1/accounts/{id}"),
            json!({"password": "short"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = app.get(&clerk, "/api/v1/me").await;
    assert_eq!(s, StatusCode::OK, "a refused reset changes nothing");

    let (s, _) = app
        .patch(
            &admin,
            &format!("/api/v1/accounts/{id}"),
            json!({"password": "new-password-1"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.get(&clerk, "/api/v1/me").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "a reset ends the old sessions");
    let (s, b) = app
        .call(
            Method::POST,
            "/api/v1/session",
            None,
            Some(json!({"username": "clerk.one", "password": "new-password-1"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let clerk = b["token"].as_str().unwrap().to_string();

    let (s, a) = app
        .patch(
            &admin,
            &format!("/api/v1/accounts/{id}"),
            json!({"disabled": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(a["disabled"], true);
    let (s, _) = app.get(&clerk, "/api/v1/me").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app
        .call(
            Method::POST,
            "/api/v1/session",
            None,
            Some(json!({"username": "clerk.one", "password": "new-password-1"})),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "a disabled account cannot log in"
    );

    // Usernames are unique; an admin cannot disable themself.
    let (s, _) = app.post(&admin, "/api/v1/accounts", json!({"username": "clerk.one", "password": "gongjiang", "role": "viewer", "org_id": town})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (_, me) = app.get(&admin, "/api/v1/me").await;
    let (s, _) = app
        .patch(
            &admin,
            &format!("/api/v1/accounts/{}", me["account_id"]),
            json!({"disabled": true}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // A member account must name its member record, which must be in the admin's subtree.
    let before = app.fingerprint().await;
    let (s, _) = app.post(&admin, "/api/v1/accounts", json!({"username": "member1", "password": "gongjiang", "role": "member", "org_id": town})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let outside = app.member_of("ZJ-HZ").await;
    let (s, _) = app.post(&admin, "/api/v1/accounts", json!({"username": "member1", "password": "gongjiang", "role": "member", "member_id": outside})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(before, app.fingerprint().await);
    let inside = app.member_of("JS-HUARUI").await;
    let (s, m) = app.post(&admin, "/api/v1/accounts", json!({"username": "member1", "password": "gongjiang", "role": "member", "member_id": inside})).await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    let mt = app.login("member1").await;
    let (s, own) = app.get(&mt, &format!("/api/v1/members/{inside}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(own["id"], inside);
}

/// Callers are served from memory (issue 11); every change a caller is made
/// of, written by another process straight into the database as the CLI
/// does, takes effect on the very next request.
#[tokio::test]
async fn a_caller_kept_in_memory_follows_every_change_on_the_next_request() {
    let app = TestApp::spawn().await;
    let t = app.login("jiangshan").await;
    let other = gongjiang::db::Db::connect(&app.db_url).await.unwrap();
    let (s, me) = app.get(&t, "/api/v1/me").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["assignments"][0]["role"], "admin");
    let org_id = me["assignments"][0]["org_id"].as_i64().unwrap();
    // Kept now: the same answer again.
    assert_eq!(app.get(&t, "/api/v1/me").await.1, me);

    // A role changed.
    sqlx::query("UPDATE assignments SET role = 'viewer' WHERE account_id = $1")
        .bind(me["account_id"].as_i64().unwrap())
        .execute(&other.pool)
        .await
        .unwrap();
    let (_, now) = app.get(&t, "/api/v1/me").await;
    assert_eq!(now["assignments"][0]["role"], "viewer", "the role changed");
    let (s, _) = app
        .post(
            &t,
            "/api/v1/orgs",
            json!({"code": "X-NEW", "name": "新工会", "kind": "企业工会", "parent_id": org_id}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "a viewer may not write any more");

    // The union renamed (the roles name it).
    sqlx::query("UPDATE orgs SET name = '姜山镇总工会（新）' WHERE id = $1")
        .bind(org_id)
        .execute(&other.pool)
        .await
        .unwrap();
    let (_, now) = app.get(&t, "/api/v1/me").await;
    assert_eq!(now["assignments"][0]["org_name"], "姜山镇总工会（新）");

    // A role taken away.
    sqlx::query("DELETE FROM assignments WHERE account_id = $1")
        .bind(me["account_id"].as_i64().unwrap())
        .execute(&other.pool)
        .await
        .unwrap();
    let (_, now) = app.get(&t, "/api/v1/me").await;
    assert_eq!(now["assignments"].as_array().unwrap().len(), 0);

    // The account disabled.
    sqlx::query("UPDATE accounts SET disabled = 1 WHERE id = $1")
        .bind(me["account_id"].as_i64().unwrap())
        .execute(&other.pool)
        .await
        .unwrap();
    let (s, _) = app.get(&t, "/api/v1/me").await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "a disabled account is out at once"
    );
    sqlx::query("UPDATE accounts SET disabled = 0 WHERE id = $1")
        .bind(me["account_id"].as_i64().unwrap())
        .execute(&other.pool)
        .await
        .unwrap();
    assert_eq!(app.get(&t, "/api/v1/me").await.0, StatusCode::OK);

    // The session ended elsewhere (another server's logout).
    sqlx::query("DELETE FROM sessions WHERE account_id = $1")
        .bind(me["account_id"].as_i64().unwrap())
        .execute(&other.pool)
        .await
        .unwrap();
    let (s, _) = app.get(&t, "/api/v1/me").await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "an ended session is out at once"
    );
    other.pool.close().await;
}
