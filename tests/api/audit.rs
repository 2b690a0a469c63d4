//! The audit log: who did what, who looked at whose ID number, and a chain
//! that shows when an entry was edited behind the application's back.

use crate::support::TestApp;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn reveals_need_the_right_and_are_audited() {
    let app = TestApp::spawn().await;
    let town = app.login("jiangshan").await;
    let org = app.org_id("JS-YIZHOU").await;
    let (_, m) = app.post(&town, "/api/v1/members", json!({"name": "揭示测试", "id_number": "11010519491231002X", "phone": "13957712345", "org_id": org})).await;
    let id = m["id"].as_i64().unwrap();
    let before = app.fingerprint().await;

    // An admin is not allowed to reveal until the right is granted.
    let (s, e) = app
        .post(&town, &format!("/api/v1/members/{id}/reveal"), json!({}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    let (s, _) = app
        .post(
            &app.login("worker").await,
            &format!("/api/v1/members/{id}/reveal"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(
        before,
        app.fingerprint().await,
        "a refused reveal leaves no trace but the refusal"
    );

    // The town admin grants it to themself; the grant is audited too.
    let (_, me) = app.get(&town, "/api/v1/me").await;
    let me_id = me["account_id"].as_i64().unwrap();
    let (s, a) = app
        .patch(
            &town,
            &format!("/api/v1/accounts/{me_id}"),
            json!({"can_reveal": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    assert_eq!(a["can_reveal"], true);
    let (s, r) = app
        .post(
            &town,
            &format!("/api/v1/members/{id}/reveal"),
            json!({"purpose": "办理帮扶"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["id_number"], "11010519491231002X");
    assert_eq!(r["phone"], "13957712345");
    // Outside the town the right does not reach.
    let outside = app.member_of("ZJ-HZ").await;
    let (s, _) = app
        .post(
            &town,
            &format!("/api/v1/members/{outside}/reveal"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // The auditor's view by person: created, then revealed, with the purpose.
    let (s, log) = app
        .get(&town, &format!("/api/v1/audit?member_id={id}"))
        .await;
    assert_eq!(s, StatusCode::OK);
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["member.reveal", "member.create"]);
    assert_eq!(log["items"][0]["actor"], "jiangshan");
    assert_eq!(log["items"][0]["detail"]["purpose"], "办理帮扶");
    // By account and by time.
    let (_, by_acct) = app
        .get(
            &town,
            &format!("/api/v1/audit?account_id={me_id}&action=account.grant_reveal"),
        )
        .await;
    assert_eq!(by_acct["total"], 1);
    let (_, future) = app.get(&town, "/api/v1/audit?from=2099-01-01").await;
    assert_eq!(future["total"], 0);
    let (s, _) = app.get(&town, "/api/v1/audit?from=yesterday").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // Nothing in the log holds the plain number.
    let (_, all) = app.get(&town, "/api/v1/audit?per_page=200").await;
    assert!(
        !all.to_string().contains("11010519491231002X") && !all.to_string().contains("13957712345")
    );
    // The log is scoped: the town does not see 湖州's entries; the province does.
    let (_, hz) = app
        .get(
            &app.login("admin").await,
            &format!("/api/v1/audit?member_id={outside}"),
        )
        .await;
    assert_eq!(hz["total"], 1);
    let (_, hz_town) = app
        .get(&town, &format!("/api/v1/audit?member_id={outside}"))
        .await;
    assert_eq!(hz_town["total"], 0);
    // Officers and members cannot read the log.
    let (s, _) = app.get(&app.login("worker").await, "/api/v1/audit").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_chain_finds_an_edited_entry() {
    let app = TestApp::spawn().await;
    let town = app.login("jiangshan").await;
    let id = app.member_of("JS-HUARUI").await;
    let (s, _) = app
        .patch(
            &town,
            &format!("/api/v1/members/{id}"),
            json!({"occupation": "钳工"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let db = &app.state.db;
    let n = gongjiang::audit::store::verify(db)
        .await
        .unwrap()
        .expect("intact chain");
    assert!(
        n > 300,
        "the demo data and the edit are all in the log ({n})"
    );

    // The application cannot change the log at all…
    let err = sqlx::query("UPDATE audit_log SET detail = '{}' WHERE id = 5")
        .execute(&db.pool)
        .await;
    assert!(err.is_err(), "the append-only trigger refuses an update");
    assert!(sqlx::query("DELETE FROM audit_log WHERE id = 5")
        .execute(&db.pool)
        .await
        .is_err());

    // …and someone who drops the trigger and edits a row is caught by the chain.
    let drop = if db.backend == gongjiang::db::Backend::Sqlite {
        "DROP TRIGGER audit_log_no_update"
    } else {
        "DROP TRIGGER audit_log_no_change ON audit_log"
    };
    sqlx::query(drop).execute(&db.pool).await.unwrap();
    sqlx::query("UPDATE audit_log SET actor = 'nobody' WHERE id = 7")
        .execute(&db.pool)
        .await
        .unwrap();
    let broken = gongjiang::audit::store::verify(db)
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(broken.id, 7, "{broken:?}");

    // The CLI says so too, with a non-zero exit.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gongjiang"))
        .args(["audit", "verify", "--db", &app.db_url, "--key-file"])
        .arg(&app.key_file)
        .env_remove("GONGJIANG_DB")
        .env_remove("GONGJIANG_KEY_FILE")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("entry 7"), "{stderr}");
}
