//! No plaintext ID number or phone number in the database: the SQLite file
//! (with its WAL) or a pg_dump of the PostgreSQL database.

use crate::support::{postgres_url, TestApp};
use reqwest::StatusCode;
use serde_json::json;

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn no_plaintext_id_numbers_or_phones_at_rest() {
    let app = TestApp::spawn().await;
    let t = app.login("admin").await;
    let org = app.org_id("JS-YIZHOU").await;
    let id_number = "11010519491231002X";
    let phone = "13957712345";
    let (s, _) = app
        .post(
            &t,
            "/api/v1/members",
            json!({"name": "密文测试", "id_number": id_number, "phone": phone, "org_id": org}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    // The demo people too: take some of their numbers from the generator that made them.
    let mut maker = gongjiang::seed::people::PersonMaker::new(20_180_501);
    let demo: Vec<_> = (0..20).map(|_| maker.person()).collect();

    let dump: Vec<u8> = match postgres_url() {
        None => {
            let db_file = app.dir.path().join("test.db");
            let mut bytes = std::fs::read(&db_file).unwrap();
            for ext in ["db-wal", "db-shm"] {
                if let Ok(b) = std::fs::read(db_file.with_extension(ext)) {
                    bytes.extend(b);
                }
            }
            bytes
        }
        Some(_) => {
            let out = std::process::Command::new("pg_dump")
                .arg("--data-only")
                .arg(&app.db_url)
                .output()
                .expect("pg_dump must be installed to check PostgreSQL");
            assert!(
                out.status.success(),
                "pg_dump failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            out.stdout
        }
    };
    assert!(
        contains(&dump, "密文测试"),
        "the dump is readable (the name is there in plain text)"
    );
    for needle in [id_number, phone, &id_number[..17]] {
        assert!(!contains(&dump, needle), "plaintext {needle} found at rest");
    }
    for p in &demo {
        assert!(
            !contains(&dump, &p.id_number),
            "demo ID number found at rest"
        );
        assert!(!contains(&dump, &p.phone), "demo phone found at rest");
    }
    // And the key never goes into the database.
    let key = std::fs::read_to_string(&app.key_file).unwrap();
    for line in key.lines().skip(1) {
        let hex = line.split('=').nth(1).unwrap();
        assert!(!contains(&dump, hex), "key material found in the database");
    }
}
