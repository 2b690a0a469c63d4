//! The growth record (成长档案, issue 13): one timeline per member that
//! every program writes into through the list of programs — in the API
//! (`GET /api/v1/members/{id}/record`), on the phone (`/m/record`) and as a
//! printable console page; the member reads their own, nobody else's.

use crate::pages::Browser;
use crate::support::{member_token, TestApp};
use axum::http::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_members_record_holds_what_every_program_recorded_newest_first() {
    let app = TestApp::spawn().await;
    let staff = app.login("jiangshan").await;
    let yizhou = app.org_id("JS-YIZHOU").await;
    let worker = app.member_of("JS-YIZHOU").await;
    let token = member_token(&app, worker).await;

    // A session held now: the worker enrols and checks in (which completes the course).
    let (s, course) = app
        .post(
            &staff,
            "/api/v1/courses",
            json!({"org_id": yizhou, "title": "焊工安全操作", "category": "职业技能"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{course}");
    let now = gongjiang::db::now_ms();
    let (s, session) = app
        .post(
            &staff,
            &format!("/api/v1/courses/{}/sessions", course["id"]),
            json!({"place": "一舟学院 201 教室", "starts_at": now - 600_000, "ends_at": now + 3_600_000, "capacity": 10, "centralised": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{session}");
    let sid = session["session"]["id"].as_i64().unwrap();
    let (s, e) = app
        .post(&token, &format!("/api/v1/sessions/{sid}/enrol"), json!({}))
        .await;
    assert!(s.is_success(), "{e}");
    let (s, e) = app
        .post(
            &token,
            &format!("/api/v1/sessions/{sid}/checkin"),
            json!({"token": session["checkin_token"]}),
        )
        .await;
    assert!(s.is_success(), "{e}");
    // Points granted by the union.
    let (s, g) = app
        .post(
            &staff,
            "/api/v1/points/entries",
            json!({"member_id": worker, "amount": 6, "reason": "技能比武三等奖"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{g}");

    let path = format!("/api/v1/members/{worker}/record");
    let (s, r) = app.get(&staff, &path).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let items = r["items"].as_array().unwrap();
    let kinds: Vec<&str> = items.iter().map(|i| i["kind"].as_str().unwrap()).collect();
    for kind in ["session_attended", "course_completed", "points_earned"] {
        assert!(kinds.contains(&kind), "{kind} in {r}");
    }
    let of = |kind: &str| items.iter().find(|i| i["kind"] == kind).unwrap().clone();
    assert!(of("course_completed")["title"]
        .as_str()
        .unwrap()
        .contains("焊工安全操作"));
    assert!(of("points_earned")["title"]
        .as_str()
        .unwrap()
        .contains("技能比武三等奖"));
    assert!(items
        .iter()
        .all(|i| i["org_name"].is_string() && i["at"].is_i64()));
    let at: Vec<i64> = items.iter().map(|i| i["at"].as_i64().unwrap()).collect();
    assert!(at.windows(2).all(|w| w[0] >= w[1]), "newest first: {at:?}");
    assert!(items.iter().all(|i| i.get("certificate_id").is_none()));

    // The worker reads their own; not another's; staff elsewhere see no such member.
    let (s, own) = app.get(&token, &path).await;
    assert_eq!(
        (s, own["items"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(items.len()))
    );
    let other = app.member_of("JS-HUARUI").await;
    let (s, _) = app
        .get(&token, &format!("/api/v1/members/{other}/record"))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let huarui_org = app.org_id("JS-HUARUI").await;
    let (s, _) = app.post(&staff, "/api/v1/accounts", json!({"username": "huarui_staff", "password": "gongjiang", "role": "officer", "org_id": huarui_org})).await;
    assert_eq!(s, StatusCode::CREATED);
    let huarui = app.login("huarui_staff").await;
    let (s, _) = app.get(&huarui, &path).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.get(&staff, "/api/v1/members/999999/record").await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // The console's printable page says the same in words.
    let mut b = Browser::login(&app, "jiangshan", "gongjiang").await;
    let detail = b.page(&format!("/members/{worker}")).await.html;
    assert!(
        detail.contains(&format!("/members/{worker}/record")),
        "{detail}"
    );
    let page = b.page(&format!("/members/{worker}/record")).await.html;
    assert!(
        page.contains("的成长档案") && page.contains("焊工安全操作") && page.contains("打印"),
        "{page}"
    );
    let typo = b.get("/members/abc/record").await;
    assert_eq!(typo.status, StatusCode::NOT_FOUND, "{}", typo.html);
    // On the phone: the worker's own record, reached from the home page.
    let mut w = Browser::login(&app, "worker", "gongjiang").await;
    let home = w.page("/m").await.html;
    assert!(
        home.contains("/m/record") && home.contains("我的成长档案"),
        "{home}"
    );
    let phone = w.page("/m/record").await.html;
    assert!(phone.contains("我的成长档案"), "{phone}");
}
