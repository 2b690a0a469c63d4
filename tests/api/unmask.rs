//! Masked means masked (finding 3 of the security review): what a viewer sees
//! of a member leaves too many candidates, and guessing them through the
//! search is stopped after a few misses, every try in the audit log.

use crate::support::TestApp;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A read-only account at the town, and its token.
async fn town_viewer(app: &TestApp, name: &str) -> String {
    let root = app.login("admin").await;
    let town = app.org_id("ZJ-NB-YZ-JS").await;
    let (s, body) = app
        .post(
            &root,
            "/api/v1/accounts",
            json!({"username": name, "password": "secret-123", "role": "viewer", "org_id": town}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let (s, body) = app
        .call(
            reqwest::Method::POST,
            "/api/v1/session",
            None,
            Some(json!({"username": name, "password": "secret-123"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body["token"].as_str().unwrap().to_string()
}

/// Every ID number that agrees with what the page shows: the masked form, the
/// birth date and the gender.
fn id_candidates(masked: &str, birth: &str, gender: &str) -> Vec<String> {
    let shown: Vec<char> = masked.chars().collect();
    let birth: String = birth.chars().filter(char::is_ascii_digit).collect();
    let mut out = vec![];
    for seq in 0..1000u32 {
        let odd = seq % 2 == 1;
        if (gender == "男") != odd {
            continue;
        }
        let first17 = format!("{}{birth}{seq:03}", &masked[..6]);
        let Some(c) = gongjiang::pii::idnumber::check_char(&first17) else {
            continue;
        };
        let whole = format!("{first17}{c}");
        let fits = whole.chars().zip(&shown).all(|(w, s)| *s == '*' || *s == w);
        if fits {
            out.push(whole);
        }
    }
    out
}

async fn search(app: &TestApp, token: &str, q: &str) -> (StatusCode, Value) {
    app.get(token, &format!("/api/v1/members?q={q}")).await
}

async fn audit_actions(app: &TestApp, username: &str) -> Vec<(String, String)> {
    let rows = sqlx::query("SELECT action, detail FROM audit_log WHERE actor = $1 ORDER BY id")
        .bind(username)
        .fetch_all(&app.state.db.pool)
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            use sqlx::Row;
            (r.get(0), r.get(1))
        })
        .collect()
}

#[tokio::test]
async fn guessing_a_masked_id_number_or_phone_is_stopped_and_audited() {
    let app = TestApp::spawn().await;
    let attacker = town_viewer(&app, "guesser").await;
    let target = app.member_of("JS-HUARUI").await;
    let (s, m) = app
        .get(&attacker, &format!("/api/v1/members/{target}"))
        .await;
    assert_eq!(s, StatusCode::OK, "{m}");
    let masked = m["id_number_masked"].as_str().unwrap();
    let candidates = id_candidates(
        masked,
        m["birth_date"].as_str().unwrap(),
        m["gender"].as_str().unwrap(),
    );
    assert_eq!(
        candidates.len(),
        500,
        "{masked}: the page leaves 500 ID numbers to try (it used to leave about nine)"
    );

    // The attack: try candidates one after the other, the real one placed late.
    let enc: Vec<u8> = sqlx::query_scalar("SELECT id_number_enc FROM members WHERE id = $1")
        .bind(target)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let real = app.state.keys.decrypt(&enc).unwrap();
    let mut order: Vec<&String> = candidates.iter().filter(|c| **c != real).collect();
    order.insert(50, &real);
    let (mut tries, mut refused) = (0, false);
    for c in order {
        let (s, body) = search(&app, &attacker, c).await;
        if s == StatusCode::TOO_MANY_REQUESTS {
            assert!(
                body["detail"].as_str().unwrap().contains("已暂停"),
                "{body}"
            );
            refused = true;
            break;
        }
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(body["total"], 0, "a miss until the limit: {c}");
        tries += 1;
    }
    assert!(refused, "the search is stopped");
    assert_eq!(tries, gongjiang::member::lookups::MISSES_PER_DAY);
    // Even the real number is refused now.
    let (s, _) = search(&app, &attacker, &real).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);

    // Every try is in the audit log, and so is the stop.
    let log = audit_actions(&app, "guesser").await;
    let misses = log
        .iter()
        .filter(|(a, d)| a == "member.lookup" && d.contains("\"found\":false"))
        .count();
    assert_eq!(misses, 10, "{log:?}");
    assert!(
        log.iter()
            .any(|(a, d)| a == "member.lookup_refused" && d.contains("id_number")),
        "{log:?}"
    );
    // Filed under the account's union, so the town's admins see them in its audit log.
    let town = app.org_id("ZJ-NB-YZ-JS").await;
    let filed: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE actor = 'guesser' AND org_id = $1",
    )
    .bind(town)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(filed as usize, log.len());

    // Staff holding the person's ID card find them with one search.
    let clerk = town_viewer(&app, "clerk").await;
    let (s, body) = search(&app, &clerk, &real).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["total"], 1, "{body}");
    assert_eq!(body["items"][0]["id"], target);
    let log = audit_actions(&app, "clerk").await;
    assert!(
        log.iter()
            .any(|(a, d)| a == "member.lookup" && d.contains("\"found\":true")),
        "{log:?}"
    );
}

#[tokio::test]
async fn guessing_the_middle_of_a_masked_phone_is_stopped() {
    let app = TestApp::spawn().await;
    let attacker = town_viewer(&app, "phoner").await;
    // A member with a phone.
    let (_, list) = app.get(&attacker, "/api/v1/members?per_page=100").await;
    let m = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["phone_masked"].is_string())
        .expect("a member with a phone")
        .clone();
    let masked = m["phone_masked"].as_str().unwrap();
    assert_eq!(masked.len(), 11);
    let (head, tail) = (&masked[..3], &masked[7..]);
    let mut stopped_after = None;
    for middle in 0..10_000 {
        let guess = format!("{head}{middle:04}{tail}");
        let (s, body) = search(&app, &attacker, &guess).await;
        if s == StatusCode::TOO_MANY_REQUESTS {
            stopped_after = Some(middle);
            break;
        }
        if body["total"] == 1 {
            // A hit inside the first ten guesses is luck, not an attack; start again elsewhere.
            panic!("found within the allowed misses at {middle}");
        }
    }
    assert_eq!(stopped_after, Some(10), "ten misses, then stopped");
}
