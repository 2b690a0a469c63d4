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

    // The province's admin grants it to the town admin (nobody grants it to
    // themself); the grant is audited too.
    let (_, me) = app.get(&town, "/api/v1/me").await;
    let me_id = me["account_id"].as_i64().unwrap();
    let (s, a) = app
        .patch(
            &app.login("admin").await,
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
    // By account (whose doing: the town admin's reveal) and by time.
    let (_, by_acct) = app
        .get(
            &town,
            &format!("/api/v1/audit?account_id={me_id}&action=member.reveal"),
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

/// Drops the triggers that keep the log append-only: what someone holding the
/// database file (but not the key file) can do.
async fn drop_triggers(db: &gongjiang::db::Db) {
    let drops: &[&str] = if db.backend == gongjiang::db::Backend::Sqlite {
        &[
            "DROP TRIGGER audit_log_no_update",
            "DROP TRIGGER audit_log_no_delete",
        ]
    } else {
        &["DROP TRIGGER audit_log_no_change ON audit_log"]
    };
    for d in drops {
        sqlx::query(d).execute(&db.pool).await.unwrap();
    }
}

#[tokio::test]
async fn a_rewrite_rehashed_onward_is_caught_without_the_key() {
    let app = TestApp::spawn().await;
    let db = &app.state.db;
    drop_triggers(db).await;
    // The attacker edits entry 7 and recomputes every hash after it with plain
    // SHA-256 (all that was needed before the chain was sealed), head included.
    sqlx::query("UPDATE audit_log SET actor = 'nobody' WHERE id = 7")
        .execute(&db.pool)
        .await
        .unwrap();
    let rows = sqlx::query("SELECT id, at, account_id, actor, action, entity, entity_id, member_id, org_id, detail, prev_hash, hash FROM audit_log WHERE id >= 7 ORDER BY id")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    let mut prev: String = sqlx::query_scalar("SELECT hash FROM audit_log WHERE id = 6")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let mut last = 0i64;
    for r in rows {
        use sqlx::Row;
        let mut e = gongjiang::audit::Entry {
            id: r.get(0),
            at: r.get(1),
            account_id: r.get(2),
            actor: r.get(3),
            action: r.get(4),
            entity: r.get(5),
            entity_id: r.get(6),
            member_id: r.get(7),
            org_id: r.get(8),
            detail: r.get(9),
            prev_hash: prev.clone(),
            hash: String::new(),
        };
        e.hash = gongjiang::audit::entry_hash(&e);
        sqlx::query("UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE id = $3")
            .bind(&e.prev_hash)
            .bind(&e.hash)
            .bind(e.id)
            .execute(&db.pool)
            .await
            .unwrap();
        prev = e.hash;
        last = e.id;
    }
    sqlx::query("UPDATE audit_head SET last_hash = $1, seq = $2 WHERE id = 1")
        .bind(&prev)
        .bind(last)
        .execute(&db.pool)
        .await
        .unwrap();
    let broken = gongjiang::audit::store::verify(db)
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(broken.id, 7, "{broken:?}");
    assert!(broken.reason.contains("seal"), "{broken:?}");
}

#[tokio::test]
async fn deleting_the_last_entries_and_fixing_the_head_is_caught_by_the_checkpoint() {
    let app = TestApp::spawn().await;
    let db = &app.state.db;
    // The server writes a checkpoint every few minutes (and every export does).
    let line = gongjiang::audit::store::checkpoint(db).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT seq FROM audit_head WHERE id = 1")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert!(line.contains(&format!("entries={n} ")), "{line}");
    assert!(app.key_file.with_extension("audit-checkpoints").exists());
    drop_triggers(db).await;
    sqlx::query("DELETE FROM audit_log WHERE id > $1")
        .bind(n - 5)
        .execute(&db.pool)
        .await
        .unwrap();
    let hash: String = sqlx::query_scalar("SELECT hash FROM audit_log WHERE id = $1")
        .bind(n - 5)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_head SET seq = $1, last_hash = $2 WHERE id = 1")
        .bind(n - 5)
        .bind(hash)
        .execute(&db.pool)
        .await
        .unwrap();
    let broken = gongjiang::audit::store::verify(db)
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(broken.id, n - 4, "{broken:?}");
    assert!(broken.reason.contains("removed"), "{broken:?}");

    // With the checkpoint file gone as well, the line printed earlier still tells.
    std::fs::remove_file(app.key_file.with_extension("audit-checkpoints")).unwrap();
    assert!(gongjiang::audit::store::verify(db).await.unwrap().is_ok());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gongjiang"))
        .args([
            "audit",
            "verify",
            "--db",
            &app.db_url,
            "--checkpoint",
            &line,
            "--key-file",
        ])
        .arg(&app.key_file)
        .env_remove("GONGJIANG_DB")
        .env_remove("GONGJIANG_KEY_FILE")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("removed"), "{stderr}");
    // A forged checkpoint (edited count) is refused too.
    let forged = line.replace(&format!("entries={n} "), "entries=3 ");
    let r = gongjiang::audit::store::verify_with(db, &[forged])
        .await
        .unwrap()
        .unwrap_err();
    assert!(r.reason.contains("checkpoint"), "{r:?}");
}

#[tokio::test]
async fn a_database_with_the_plain_chain_is_upgraded_and_continues_sealed() {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::support::fresh_db_url(dir.path()).await;
    let key = dir.path().join("old.key");
    // A database as the version before wrote it: three entries chained by plain SHA-256.
    let old = gongjiang::db::Db::connect(&url).await.unwrap();
    old.migrate().await.unwrap();
    let mut prev = gongjiang::audit::GENESIS.to_string();
    for id in 1..=3i64 {
        let mut e = gongjiang::audit::Entry {
            id,
            at: 1_700_000_000_000 + id,
            account_id: None,
            actor: "cli:old".into(),
            action: "org.create".into(),
            entity: "org".into(),
            entity_id: Some(id),
            member_id: None,
            org_id: None,
            detail: String::new(),
            prev_hash: prev.clone(),
            hash: String::new(),
        };
        e.hash = gongjiang::audit::entry_hash(&e);
        sqlx::query("INSERT INTO audit_log (id, at, account_id, actor, action, entity, entity_id, member_id, org_id, detail, prev_hash, hash) VALUES ($1, $2, NULL, $3, $4, $5, $6, NULL, NULL, $7, $8, $9)")
            .bind(e.id).bind(e.at).bind(&e.actor).bind(&e.action).bind(&e.entity).bind(e.entity_id).bind(&e.detail).bind(&e.prev_hash).bind(&e.hash)
            .execute(&old.pool).await.unwrap();
        prev = e.hash;
    }
    sqlx::query("UPDATE audit_head SET seq = 3, last_hash = $1 WHERE id = 1")
        .bind(&prev)
        .execute(&old.pool)
        .await
        .unwrap();
    old.pool.close().await;

    // Opened by this version: verified once, then continued sealed.
    let (db, keys) = gongjiang::config::open(&url, Some(&key)).await.unwrap();
    crate::support::load_fixture(&db, &keys).await;
    let n = gongjiang::audit::store::verify(&db).await.unwrap().unwrap();
    assert!(n > 3, "{n}");
    let fourth: String = sqlx::query_scalar("SELECT hash FROM audit_log WHERE id = 4")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let fourth_plain: String = {
        let r = sqlx::query("SELECT id, at, account_id, actor, action, entity, entity_id, member_id, org_id, detail, prev_hash FROM audit_log WHERE id = 4")
            .fetch_one(&db.pool).await.unwrap();
        use sqlx::Row;
        gongjiang::audit::entry_hash(&gongjiang::audit::Entry {
            id: r.get(0),
            at: r.get(1),
            account_id: r.get(2),
            actor: r.get(3),
            action: r.get(4),
            entity: r.get(5),
            entity_id: r.get(6),
            member_id: r.get(7),
            org_id: r.get(8),
            detail: r.get(9),
            prev_hash: r.get(10),
            hash: String::new(),
        })
    };
    assert_ne!(
        fourth, fourth_plain,
        "entry 4 is sealed with the key, not plain SHA-256"
    );
    // Rewriting an old entry now breaks the first sealed one's link.
    drop_triggers(&db).await;
    sqlx::query("UPDATE audit_log SET actor = 'x' WHERE id = 2")
        .execute(&db.pool)
        .await
        .unwrap();
    let b = gongjiang::audit::store::verify(&db)
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(b.id, 2, "{b:?}");
    db.pool.close().await;
    if let Some(admin) = crate::support::postgres_url() {
        let name = url.rsplit('/').next().unwrap().to_string();
        let pool = sqlx::AnyPool::connect(&admin).await.unwrap();
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&pool)
            .await;
    }
}
