//! The findings of the security review (issue 8) that are not about files or
//! masks: accounts that follow their member, logins an attacker cannot turn
//! against the right user, redirects that stay on the site, who grants the
//! reveal right, and the smaller ones (each test names its finding).

use crate::support::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::net::{IpAddr, Ipv4Addr};

/// A client whose requests come from another loopback address.
fn client_from(last_octet: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last_octet)))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn login_from(app: &TestApp, client: &reqwest::Client, user: &str, pass: &str) -> StatusCode {
    client
        .post(app.url("/api/v1/session"))
        .json(&json!({"username": user, "password": pass}))
        .send()
        .await
        .unwrap()
        .status()
}

async fn account_id(app: &TestApp, root: &str, username: &str) -> i64 {
    let (_, list) = app.get(root, "/api/v1/accounts").await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["username"] == username)
        .unwrap_or_else(|| panic!("no account {username}: {list}"))["id"]
        .as_i64()
        .unwrap()
}

// Finding 4: a transferred member's account stays with the old union.
#[tokio::test]
async fn a_members_account_moves_with_the_transfer() {
    let app = TestApp::spawn().await;
    let root = app.login("admin").await;
    let town = app.login("jiangshan").await;
    let (_, me) = app.get(&app.login("worker").await, "/api/v1/me").await;
    let member = me["member_id"].as_i64().unwrap();
    let account = account_id(&app, &root, "worker").await;
    // Points earned at the town, for the leaderboard.
    let (s, e) = app
        .post(
            &town,
            "/api/v1/points/entries",
            json!({"member_id": member, "amount": 50, "reason": "技能比武"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    let board = |t: String, org: i64| {
        let app = &app;
        async move {
            let (_, b) = app
                .get(&t, &format!("/api/v1/points/leaderboard?org_id={org}"))
                .await;
            b["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["member_id"] == member)
        }
    };
    let town_id = app.org_id("ZJ-NB-YZ-JS").await;
    let qiuai = app.org_id("ZJ-NB-YZ-QY").await;
    assert!(board(town.clone(), town_id).await);

    // Transferred to 恒达 in 邱隘, outside the town.
    let hengda = app.org_id("QY-HENGDA").await;
    let (s, e) = app
        .post(
            &root,
            &format!("/api/v1/members/{member}/transfer"),
            json!({"to_org_id": hengda, "reason": "调动"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");

    // The old union's admin no longer sees or manages the account: 404, nothing changed.
    let before = app.fingerprint().await;
    let (s, _) = app.get(&town, &format!("/api/v1/accounts/{account}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .patch(
            &town,
            &format!("/api/v1/accounts/{account}"),
            json!({"password": "taken-over-1"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(before, app.fingerprint().await);
    let (_, list) = app.get(&town, "/api/v1/accounts").await;
    assert!(!list.to_string().contains("\"worker\""), "{list}");
    // The new union's side administers it.
    let (s, a) = app.get(&root, &format!("/api/v1/accounts/{account}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(a["assignments"][0]["org_id"], hengda, "{a}");
    // The worker still reads their own record, now at 恒达.
    let (s, m) = app
        .get(
            &app.login("worker").await,
            &format!("/api/v1/members/{member}"),
        )
        .await;
    assert_eq!((s, m["org_id"].as_i64()), (StatusCode::OK, Some(hengda)));
    // Leaderboards show the member where they are now.
    assert!(
        !board(town.clone(), town_id).await,
        "no longer on the town's board"
    );
    assert!(
        board(root.clone(), qiuai).await,
        "on 邱隘's, with what they earned"
    );
}

// Finding 7: anyone could lock anyone out.
#[tokio::test]
async fn failed_logins_elsewhere_do_not_lock_out_the_right_user() {
    let app = TestApp::spawn().await;
    let attacker = client_from(2);
    for i in 0..5 {
        let s = login_from(&app, &attacker, "admin", "wrong-one").await;
        // Three tries, then each waits longer than the last.
        let expected = if i < 3 {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(s, expected, "try {i}");
    }
    // The attacker's next try waits (and the wait grows)…
    assert_eq!(
        login_from(&app, &attacker, "admin", "gongjiang").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // …while the admin at their own desk signs in at once.
    assert_eq!(
        login_from(&app, &client_from(1), "admin", "gongjiang").await,
        StatusCode::OK
    );

    // One address spraying many usernames is stopped…
    let sprayer = client_from(3);
    for i in 0..30 {
        login_from(&app, &sprayer, &format!("user{i}"), "wrong-one").await;
    }
    assert_eq!(
        login_from(&app, &sprayer, "jiangshan", "gongjiang").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // …but one colleague's forgotten password does not stop an office behind one address.
    let office = client_from(4);
    for _ in 0..20 {
        login_from(&app, &office, "jiangshan", "forgotten").await;
    }
    assert_eq!(
        login_from(&app, &office, "worker", "gongjiang").await,
        StatusCode::OK
    );
}

// Finding 8: an open redirect after login, and a 500 on CR/LF.
#[tokio::test]
async fn login_sends_the_browser_only_to_a_local_path() {
    let app = TestApp::spawn().await;
    for next in [
        "/%09/evil.com",
        "//evil.com",
        "/%5Cevil.com",
        "https://evil.com",
        "/x%0D%0ASet-Cookie:%20a=b",
    ] {
        // The form shows a safe next.
        let page = app
            .client
            .get(app.url(&format!("/login?next={next}")))
            .send()
            .await
            .unwrap();
        let cookie = page
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
            .collect::<Vec<_>>()
            .join("; ");
        let html = page.text().await.unwrap();
        assert!(html.contains(r#"name="next" value="/""#), "{next}: {html}");
        let csrf = html
            .split(r#"name="csrf" value=""#)
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        // Posting it straight is answered with a redirect home, never 500.
        let resp = app
            .client
            .post(app.url("/login"))
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "username=admin&password=gongjiang&csrf={csrf}&next={next}"
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{next}");
        assert_eq!(resp.headers()["location"], "/", "{next}");
    }
}

// Finding 9: an admin granted the reveal right to themself.
#[tokio::test]
async fn the_reveal_right_comes_from_above_or_from_two_admins() {
    let app = TestApp::spawn().await;
    let root = app.login("admin").await;
    let town = app.login("jiangshan").await;
    let town_id = app.org_id("ZJ-NB-YZ-JS").await;
    let me = account_id(&app, &root, "jiangshan").await;
    let before = app.fingerprint().await;
    let (s, e) = app
        .patch(
            &town,
            &format!("/api/v1/accounts/{me}"),
            json!({"can_reveal": true}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(
        e["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("不能给自己"),
        "{e}"
    );
    assert_eq!(before, app.fingerprint().await);

    // From above (the province's admin): granted at once, audited.
    let (s, a) = app
        .patch(
            &root,
            &format!("/api/v1/accounts/{me}"),
            json!({"can_reveal": true}),
        )
        .await;
    assert_eq!(
        (s, a["can_reveal"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{a}"
    );

    // Within one union: one admin asks, a second admin confirms.
    let mk = |name: &'static str, role: &'static str| {
        let (app, root) = (&app, root.clone());
        async move {
            let (s, a) = app.post(&root, "/api/v1/accounts", json!({"username": name, "password": "secret-123", "role": role, "org_id": town_id})).await;
            assert_eq!(s, StatusCode::CREATED, "{a}");
            a["id"].as_i64().unwrap()
        }
    };
    let clerk = mk("clerk1", "officer").await;
    let second = mk("admin2", "admin").await;
    let (s, a) = app
        .patch(
            &town,
            &format!("/api/v1/accounts/{clerk}"),
            json!({"can_reveal": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (a["can_reveal"].as_bool(), a["reveal_pending"].as_bool()),
        (Some(false), Some(true)),
        "{a}"
    );
    // The same admin asking again does not make it two.
    let (_, a) = app
        .patch(
            &town,
            &format!("/api/v1/accounts/{clerk}"),
            json!({"can_reveal": true}),
        )
        .await;
    assert_eq!(a["can_reveal"], false);
    let second_token = {
        let (_, b) = app
            .call(
                Method::POST,
                "/api/v1/session",
                None,
                Some(json!({"username": "admin2", "password": "secret-123"})),
            )
            .await;
        b["token"].as_str().unwrap().to_string()
    };
    let (s, a) = app
        .patch(
            &second_token,
            &format!("/api/v1/accounts/{clerk}"),
            json!({"can_reveal": true}),
        )
        .await;
    assert_eq!(
        (s, a["can_reveal"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{a}"
    );
    let _ = second;
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE entity = 'account' AND entity_id = $1 ORDER BY id",
    )
    .bind(clerk)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(
        actions,
        [
            "account.create",
            "account.request_reveal",
            "account.grant_reveal"
        ]
    );
    // Withdrawn by an admin of the union, audited.
    let (_, a) = app
        .patch(
            &town,
            &format!("/api/v1/accounts/{clerk}"),
            json!({"can_reveal": false}),
        )
        .await;
    assert_eq!(a["can_reveal"], false);
}

// Finding 10: a valid password beside an invalid field changed the password.
#[tokio::test]
async fn a_refused_account_change_changes_nothing_and_ones_own_password_needs_the_current_one() {
    let app = TestApp::spawn().await;
    let town = app.login("jiangshan").await;
    let root = app.login("admin").await;
    let me = account_id(&app, &root, "jiangshan").await;
    let before = app.fingerprint().await;
    let (s, _) = app
        .patch(
            &town,
            &format!("/api/v1/accounts/{me}"),
            json!({"password": "a-new-password", "disabled": true}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        before,
        app.fingerprint().await,
        "the password stays, the sessions too"
    );
    let (s, _) = app.get(&town, "/api/v1/me").await;
    assert_eq!(s, StatusCode::OK, "still signed in");
    // One's own password: the current one is asked for, and checked.
    let (s, e) = app
        .patch(
            &town,
            &format!("/api/v1/accounts/{me}"),
            json!({"password": "a-new-password"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["errors"][0]["field"], "current_password");
    let (s, _) = app
        .patch(
            &town,
            &format!("/api/v1/accounts/{me}"),
            json!({"password": "a-new-password", "current_password": "wrong-pass"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(before, app.fingerprint().await);
    let (s, _) = app
        .patch(
            &town,
            &format!("/api/v1/accounts/{me}"),
            json!({"password": "a-new-password", "current_password": "gongjiang"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
}

// Finding 10: over-large bodies, i64::MIN, org_id ignored on an item.
#[tokio::test]
async fn oversized_bodies_extreme_numbers_and_ignored_fields_are_refused() {
    let app = TestApp::spawn().await;
    let town = app.login("jiangshan").await;
    let huge = json!({"name": "字".repeat(1_200_000)});
    let (s, e) = app.post(&town, "/api/v1/members", huge).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{e}");
    let m = app.member_of("JS-HUARUI").await;
    let before = app.fingerprint().await;
    let (s, e) = app
        .post(
            &town,
            "/api/v1/points/entries",
            json!({"member_id": m, "amount": i64::MIN, "reason": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (s, _) = app
        .post(
            &town,
            "/api/v1/cadre-points/entries",
            json!({"amount": i64::MIN}),
        )
        .await;
    assert!(s.is_client_error());
    assert_eq!(before, app.fingerprint().await);
    let town_id = app.org_id("ZJ-NB-YZ-JS").await;
    let (_, item) = app
        .post(
            &town,
            "/api/v1/catalog/items",
            json!({"org_id": town_id, "name": "水杯", "price": 10, "stock": 5}),
        )
        .await;
    let id = item["id"].as_i64().unwrap();
    let other = app.org_id("JS-HUARUI").await;
    let (s, e) = app
        .patch(
            &town,
            &format!("/api/v1/catalog/items/{id}"),
            json!({"org_id": other, "stock": 6}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["errors"][0]["field"], "org_id");
}

fn inline_scripts(html: &str) -> Vec<String> {
    let mut found = vec![];
    for part in html.split("<script").skip(1) {
        let tag = part.split('>').next().unwrap_or("");
        if !tag.contains("src=") {
            found.push(part.chars().take(80).collect());
        }
    }
    for attr in [
        " onclick=",
        " onload=",
        " onchange=",
        " onsubmit=",
        "javascript:",
    ] {
        if html.contains(attr) {
            found.push(attr.to_string());
        }
    }
    found
}

/// Signs in through the login form; returns the raw `set-cookie` of the session.
async fn session_set_cookie(app: &TestApp, username: &str) -> String {
    let page = app.client.get(app.url("/login")).send().await.unwrap();
    let cookie = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .collect::<Vec<_>>()
        .join("; ");
    let html = page.text().await.unwrap();
    let csrf = crate::pages::csrf_of(&html);
    let resp = app
        .client
        .post(app.url("/login"))
        .header("cookie", cookie)
        .form(&[
            ("username", username),
            ("password", "gongjiang"),
            ("csrf", &csrf),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("gj_session="))
        .expect("a session cookie")
}

// Finding 10: no Content-Security-Policy; pages must pass the one added.
#[tokio::test]
async fn every_page_carries_a_csp_and_has_no_inline_script() {
    let app = TestApp::spawn().await;
    let mut staff = crate::pages::Browser::login(&app, "jiangshan", "gongjiang").await;
    let mut worker = crate::pages::Browser::login(&app, "worker", "gongjiang").await;
    let check = |path: &str, page: &crate::pages::Page| {
        assert_eq!(inline_scripts(&page.html), Vec::<String>::new(), "{path}");
    };
    for path in [
        "/orgs",
        "/members",
        "/members/import",
        "/accounts",
        "/audit",
        "/points",
        "/academy",
        "/cadres",
        "/no-such-page",
    ] {
        let page = staff.get(path).await;
        check(path, &page);
    }
    for path in ["/m", "/m/courses", "/m/points"] {
        let page = worker.get(path).await;
        check(path, &page);
    }
    let r = app.client.get(app.url("/login")).send().await.unwrap();
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("script-src 'self';") && csp.contains("object-src 'none'"),
        "{csp}"
    );
    // The lesson player and the import progress come as files.
    for js in ["/static/lesson.js", "/static/import-job.js"] {
        let r = app.client.get(app.url(js)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript"));
    }
}

// Finding 10: the session cookie was never Secure, not even behind HTTPS.
#[tokio::test]
async fn behind_https_cookies_are_secure_and_hsts_is_sent() {
    let app = TestApp::spawn_configured(|s| s.behind_https(true)).await;
    crate::support::load_fixture(&app.state.db, &app.state.keys).await;
    let cookie = session_set_cookie(&app, "jiangshan").await;
    assert!(cookie.contains("; Secure"), "{cookie}");
    let r = app.client.get(app.url("/login")).send().await.unwrap();
    assert_eq!(r.headers()["strict-transport-security"], "max-age=31536000");
    // Plain (the default): no Secure, no HSTS.
    let plain = TestApp::spawn().await;
    let cookie = session_set_cookie(&plain, "jiangshan").await;
    assert!(!cookie.contains("Secure"), "{cookie}");
    let r = plain.client.get(plain.url("/login")).send().await.unwrap();
    assert!(r.headers().get("strict-transport-security").is_none());
}

// Finding 10: the SQLite file, its WAL and the file store were world-readable.
#[tokio::test]
async fn the_database_and_the_file_store_are_the_owners_alone() {
    use std::os::unix::fs::PermissionsExt;
    let app = TestApp::spawn().await;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    if let Some(db) = gongjiang::db::sqlite_file(&app.db_url) {
        let mut wal = db.as_os_str().to_owned();
        wal.push("-wal");
        assert_eq!(mode(&db), 0o600, "{}", db.display());
        assert_eq!(mode(std::path::Path::new(&wal)), 0o600, "the WAL");
    }
    assert_eq!(mode(&app.key_file), 0o600);
    // An upload creates the file store: 0700, its files 0600.
    let staff = app.login("jiangshan").await;
    let org = app.org_id("JS-YIZHOU").await;
    let (_, job) =
        crate::imports::upload(&app, &staff, org, "check", "x.csv", b"a,b\n".to_vec()).await;
    let _ = crate::imports::finished(&app, &staff, job["id"].as_i64().unwrap()).await;
    let files = app.dir.path().join("files");
    assert_eq!(mode(&files), 0o700);
    assert_eq!(mode(&files.join("imports")), 0o700);
}
