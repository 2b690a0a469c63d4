//! The academy: capacity and the waiting list, check-in only by the enrolled
//! in the session's window, completion paid once, feedback, and scope.

use crate::support::{member_token, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::Row;

async fn members_of(app: &TestApp, code: &str, n: i64) -> Vec<i64> {
    let org = app.org_id(code).await;
    sqlx::query("SELECT id FROM members WHERE org_id = $1 ORDER BY id LIMIT $2")
        .bind(org)
        .bind(n)
        .fetch_all(&app.state.db.pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

async fn act(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    app.call(method, path, Some(token), body).await
}

/// A course at 一舟 with a session happening now (check-in open) of `capacity` places.
async fn course_now(app: &TestApp, staff: &str, capacity: i64) -> (i64, i64, String) {
    let org = app.org_id("JS-YIZHOU").await;
    let (s, c) = app
        .post(
            staff,
            "/api/v1/courses",
            json!({"org_id": org, "title": "数控车床操作", "category": "职业技能"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let now = gongjiang::db::now_ms();
    let (s, sess) = app
        .post(staff, &format!("/api/v1/courses/{}/sessions", c["id"]), json!({"place": "一舟学院 201 教室", "starts_at": now - 600_000, "ends_at": now + 3_600_000, "capacity": capacity, "centralised": true}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{sess}");
    (
        c["id"].as_i64().unwrap(),
        sess["session"]["id"].as_i64().unwrap(),
        sess["checkin_token"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn capacity_and_a_waiting_list_that_moves_up() {
    let app = TestApp::spawn().await;
    let staff = app.login("jiangshan").await;
    let (_, sid, _) = course_now(&app, &staff, 2).await;
    let ms = members_of(&app, "JS-YIZHOU", 4).await;
    let mut t = vec![];
    for m in &ms {
        t.push(member_token(&app, *m).await);
    }
    let path = format!("/api/v1/sessions/{sid}/enrol");
    let enrol = |i: usize| act(&app, &t[i], Method::POST, &path, None);
    assert_eq!(enrol(0).await.1["state"], "enrolled");
    assert_eq!(enrol(1).await.1["state"], "enrolled");
    let (_, w3) = enrol(2).await;
    assert_eq!(
        (w3["state"].as_str(), w3["position"].as_i64()),
        (Some("waiting"), Some(1))
    );
    let (_, w4) = enrol(3).await;
    assert_eq!(w4["position"], 2);
    let (s, _) = enrol(0).await;
    assert_eq!(s, StatusCode::CONFLICT, "one place a person");

    let (s, c) = act(
        &app,
        &t[1],
        Method::POST,
        &format!("/api/v1/sessions/{sid}/cancel"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        c["promoted_member_id"], ms[2],
        "the first on the waiting list moves up"
    );
    let (_, roster) = app
        .get(&staff, &format!("/api/v1/sessions/{sid}/roster"))
        .await;
    let states: Vec<(i64, String)> = roster["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["member_id"].as_i64().unwrap(),
                e["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        states.contains(&(ms[0], "enrolled".into()))
            && states.contains(&(ms[2], "enrolled".into()))
    );
    assert!(
        states.contains(&(ms[3], "waiting".into()))
            && states.contains(&(ms[1], "cancelled".into()))
    );
    // Back after cancelling: the list, not the front of it.
    assert_eq!(enrol(1).await.1["state"], "waiting");
    let (_, course) = app
        .get(&staff, &format!("/api/v1/sessions/{sid}/roster"))
        .await;
    assert_eq!(
        (
            course["session"]["enrolled"].as_i64(),
            course["session"]["waiting"].as_i64()
        ),
        (Some(2), Some(2))
    );
}

#[tokio::test]
async fn check_in_by_the_enrolled_in_the_window_and_completion_pays_once() {
    let app = TestApp::spawn().await;
    let staff = app.login("jiangshan").await;
    let town = app.org_id("ZJ-NB-YZ-JS").await;
    app.post(
        &staff,
        "/api/v1/points/rules",
        json!({"org_id": town, "code": "course_completed", "label": "完成课程", "points": 10}),
    )
    .await;
    app.post(
        &staff,
        "/api/v1/points/rules",
        json!({"org_id": town, "code": "feedback", "label": "提交课程反馈", "points": 2}),
    )
    .await;
    let (cid, sid, token) = course_now(&app, &staff, 1).await;
    let ms = members_of(&app, "JS-YIZHOU", 3).await;
    let (a, w, x) = (
        member_token(&app, ms[0]).await,
        member_token(&app, ms[1]).await,
        member_token(&app, ms[2]).await,
    );
    act(
        &app,
        &a,
        Method::POST,
        &format!("/api/v1/sessions/{sid}/enrol"),
        None,
    )
    .await;
    act(
        &app,
        &w,
        Method::POST,
        &format!("/api/v1/sessions/{sid}/enrol"),
        None,
    )
    .await;
    let checkin = |t: &str, tok: &str| {
        let (t, tok) = (t.to_string(), tok.to_string());
        let app = &app;
        async move {
            act(
                app,
                &t,
                Method::POST,
                &format!("/api/v1/sessions/{sid}/checkin"),
                Some(json!({"token": tok})),
            )
            .await
        }
    };
    assert_eq!(
        checkin(&a, "wrong").await.0,
        StatusCode::UNPROCESSABLE_ENTITY,
        "only the code shown at the session"
    );
    assert_eq!(
        checkin(&w, &token).await.0,
        StatusCode::CONFLICT,
        "the waiting list does not check in"
    );
    assert_eq!(
        checkin(&x, &token).await.0,
        StatusCode::CONFLICT,
        "not enrolled"
    );
    let (s, ok) = checkin(&a, &token).await;
    assert_eq!(
        (s, ok["points_awarded"].as_i64()),
        (StatusCode::OK, Some(10)),
        "{ok}"
    );
    let (_, again) = checkin(&a, &token).await;
    assert_eq!(
        (
            again["first_check_in"].as_bool(),
            again["points_awarded"].as_i64()
        ),
        (Some(false), Some(0))
    );
    let (_, bal) = act(&app, &a, Method::GET, "/api/v1/points/balance", None).await;
    assert_eq!(bal["balance"], 10);

    // A second session of the same course: attended, but the course pays once.
    let now = gongjiang::db::now_ms();
    let (_, s2) = app.post(&staff, &format!("/api/v1/courses/{cid}/sessions"), json!({"place": "车间", "starts_at": now - 60_000, "ends_at": now + 60_000, "capacity": 5})).await;
    let s2id = s2["session"]["id"].as_i64().unwrap();
    act(
        &app,
        &a,
        Method::POST,
        &format!("/api/v1/sessions/{s2id}/enrol"),
        None,
    )
    .await;
    let (_, second) = act(
        &app,
        &a,
        Method::POST,
        &format!("/api/v1/sessions/{s2id}/checkin"),
        Some(json!({"token": s2["checkin_token"]})),
    )
    .await;
    assert_eq!(
        (second["state"].as_str(), second["points_awarded"].as_i64()),
        (Some("attended"), Some(0))
    );
    // A session next week: check-in is not open yet.
    let (_, s3) = app.post(&staff, &format!("/api/v1/courses/{cid}/sessions"), json!({"place": "车间", "starts_at": now + 7 * 86_400_000, "ends_at": now + 7 * 86_400_000 + 3_600_000, "capacity": 5})).await;
    let s3id = s3["session"]["id"].as_i64().unwrap();
    act(
        &app,
        &a,
        Method::POST,
        &format!("/api/v1/sessions/{s3id}/enrol"),
        None,
    )
    .await;
    let (s, e) = act(
        &app,
        &a,
        Method::POST,
        &format!("/api/v1/sessions/{s3id}/checkin"),
        Some(json!({"token": s3["checkin_token"]})),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(e["errors"][0]["message"].as_str().unwrap().contains("开放"));

    // The dashboard of 一舟 counts this year's sessions and check-ins, and each
    // figure opens the list it counts, with the worker in it by name.
    let yizhou = app.org_id("JS-YIZHOU").await;
    let (_, d) = app
        .get(&staff, &format!("/api/v1/dashboard?org_id={yizhou}"))
        .await;
    let figure = |key: &str| {
        d["groups"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|g| g["figures"].as_array().unwrap().clone())
            .find(|f| f["key"] == key)
            .unwrap_or_else(|| panic!("no {key} in {d}"))
    };
    let (sessions, attendance) = (figure("academy.sessions"), figure("academy.attendance"));
    assert!(sessions["value"].as_i64().unwrap() >= 2, "{sessions}");
    assert_eq!(attendance["value"].as_i64(), Some(2), "{attendance}");
    let (s, l) = app.get(&staff, attendance["list"].as_str().unwrap()).await;
    assert_eq!((s, l["total"].as_i64()), (StatusCode::OK, Some(2)), "{l}");
    assert!(l["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["member_id"].as_i64() == Some(ms[0]) && i["course_title"] == "数控车床操作"));
    let (_, l) = app.get(&staff, sessions["list"].as_str().unwrap()).await;
    assert_eq!(l["total"], sessions["value"], "{l}");
    // Two check-ins by one worker at two sessions of one course: one person
    // reached, one completion (the course is completed once).
    let (reached, completions) = (figure("academy.reached"), figure("academy.completions"));
    assert_eq!(reached["value"].as_i64(), Some(1), "{reached}");
    assert_eq!(completions["value"].as_i64(), Some(1), "{completions}");
    let (s, l) = app.get(&staff, reached["list"].as_str().unwrap()).await;
    assert_eq!((s, l["total"].as_i64()), (StatusCode::OK, Some(1)), "{l}");
    assert_eq!(
        (
            l["items"][0]["member_id"].as_i64(),
            l["items"][0]["checkins"].as_i64()
        ),
        (Some(ms[0]), Some(2)),
        "{l}"
    );
    let (s, l) = app.get(&staff, completions["list"].as_str().unwrap()).await;
    assert_eq!((s, l["total"].as_i64()), (StatusCode::OK, Some(1)), "{l}");
    assert_eq!(
        (
            l["items"][0]["course_title"].as_str(),
            l["items"][0]["via"].as_str()
        ),
        (Some("数控车床操作"), Some("session")),
        "{l}"
    );
    // A worker does not read the unions' lists.
    let (s, _) = act(
        &app,
        &a,
        Method::GET,
        sessions["list"].as_str().unwrap(),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The kept subtree totals still equal a recount.
    assert_eq!(app.member_counts_off().await, 0);

    // Feedback: one per member and course, editable; the first pays the feedback rule.
    let (s, _) = act(
        &app,
        &a,
        Method::PUT,
        &format!("/api/v1/courses/{cid}/feedback"),
        Some(json!({"rating": 6})),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, f) = act(
        &app,
        &a,
        Method::PUT,
        &format!("/api/v1/courses/{cid}/feedback"),
        Some(json!({"rating": 5, "comment": "老师讲得清楚"})),
    )
    .await;
    assert_eq!(
        (s, f["points_awarded"].as_i64()),
        (StatusCode::CREATED, Some(2))
    );
    let (s, f) = act(
        &app,
        &a,
        Method::PUT,
        &format!("/api/v1/courses/{cid}/feedback"),
        Some(json!({"rating": 4, "comment": "希望多些实操"})),
    )
    .await;
    assert_eq!((s, f["points_awarded"].as_i64()), (StatusCode::OK, Some(0)));
    act(
        &app,
        &w,
        Method::PUT,
        &format!("/api/v1/courses/{cid}/feedback"),
        Some(json!({"rating": 3})),
    )
    .await;
    let (_, fb) = app
        .get(&staff, &format!("/api/v1/courses/{cid}/feedback"))
        .await;
    assert_eq!(
        (
            fb["rating"]["average"].as_f64(),
            fb["rating"]["count"].as_i64()
        ),
        (Some(3.5), Some(2))
    );
    assert!(fb["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["comment"] == "希望多些实操"));
    let (s, _) = act(
        &app,
        &a,
        Method::GET,
        &format!("/api/v1/courses/{cid}/feedback"),
        None,
    )
    .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "members see their own, staff see all"
    );
    // 一舟 moves (with its sessions) to 湖州: the people its sessions reached
    // leave 姜山 and 鄞州 and join 湖州, still counted once.
    let root = app.login("admin").await;
    let (town, huzhou) = (app.org_id("ZJ-NB-YZ-JS").await, app.org_id("ZJ-HZ").await);
    let reached_at = |org: i64| {
        let (app, root) = (&app, root.clone());
        async move {
            let (_, d) = app
                .get(&root, &format!("/api/v1/dashboard?org_id={org}"))
                .await;
            d["groups"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|g| g["figures"].as_array().unwrap().clone())
                .find(|f| f["key"] == "academy.reached")
                .unwrap()["value"]
                .as_i64()
                .unwrap()
        }
    };
    let (town_before, huzhou_before) = (reached_at(town).await, reached_at(huzhou).await);
    let (s, moved) = app
        .patch(
            &root,
            &format!("/api/v1/orgs/{yizhou}"),
            json!({"parent_id": huzhou}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{moved}");
    assert_eq!(
        (reached_at(town).await, reached_at(huzhou).await),
        (town_before - 1, huzhou_before + 1)
    );
    assert_eq!(app.member_counts_off().await, 0);
}

#[tokio::test]
async fn a_branch_cannot_touch_another_branchs_courses() {
    let app = TestApp::spawn().await;
    let town_admin = app.login("jiangshan").await;
    let (cid, sid, _) = course_now(&app, &town_admin, 5).await;
    let huarui = app.org_id("JS-HUARUI").await;
    let (s, _) = app.post(&town_admin, "/api/v1/accounts", json!({"username": "huarui_staff", "password": "gongjiang", "role": "officer", "org_id": huarui})).await;
    assert_eq!(s, StatusCode::CREATED);
    let branch = app.login("huarui_staff").await;
    // Member accounts first: making them is a write of its own.
    let hz = member_token(&app, app.member_of("ZJ-HZ").await).await;
    let hr = member_token(&app, app.member_of("JS-HUARUI").await).await;
    let before = app.fingerprint().await;
    let (s, _) = app
        .post(
            &branch,
            &format!("/api/v1/courses/{cid}/sessions"),
            json!({"place": "x", "starts_at": 1_900_000_000_000_i64, "ends_at": 1_900_003_600_000_i64, "capacity": 1}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "华瑞's staff do not see 一舟's course"
    );
    let (s, _) = app
        .get(&branch, &format!("/api/v1/sessions/{sid}/roster"))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .post(
            &branch,
            "/api/v1/courses",
            json!({"org_id": app.org_id("JS-YIZHOU").await, "title": "x", "category": "职业技能"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, e) = app
        .post(
            &branch,
            "/api/v1/courses",
            json!({"org_id": huarui, "title": "", "category": "烹饪"}),
        )
        .await;
    assert_eq!(
        (s, e["errors"].as_array().unwrap().len()),
        (StatusCode::UNPROCESSABLE_ENTITY, 2)
    );
    // A member of another town does not see the course; a member of 华瑞 does not either (一舟's branch).
    let (s, _) = act(
        &app,
        &hz,
        Method::POST,
        &format!("/api/v1/sessions/{sid}/enrol"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = act(
        &app,
        &hr,
        Method::POST,
        &format!("/api/v1/sessions/{sid}/enrol"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(before, app.fingerprint().await);
    // A course of the town (the main academy) is open to every branch's members.
    let town = app.org_id("ZJ-NB-YZ-JS").await;
    let (_, c2) = app
        .post(
            &town_admin,
            "/api/v1/courses",
            json!({"org_id": town, "title": "安全生产", "category": "思想政治"}),
        )
        .await;
    let (_, list) = act(&app, &hr, Method::GET, "/api/v1/courses", None).await;
    assert!(list["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["id"] == c2["id"]));
    assert!(!list["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["id"] == cid));
}

/// The worker on the phone: enrol, open the session's QR link and check in,
/// rate the course, and spend the points in the catalogue.
#[tokio::test]
async fn a_worker_enrols_checks_in_rates_and_redeems_on_the_phone() {
    use crate::pages::{csrf_of, Browser};
    let app = TestApp::spawn().await;
    let staff = app.login("jiangshan").await;
    let town = app.org_id("ZJ-NB-YZ-JS").await;
    app.post(
        &staff,
        "/api/v1/points/rules",
        json!({"org_id": town, "code": "course_completed", "label": "完成课程", "points": 30}),
    )
    .await;
    app.post(
        &staff,
        "/api/v1/points/rules",
        json!({"org_id": town, "code": "feedback", "label": "提交课程反馈", "points": 5}),
    )
    .await;
    app.post(
        &staff,
        "/api/v1/catalog/items",
        json!({"org_id": town, "name": "工具包", "price": 35, "stock": 10}),
    )
    .await;
    let (cid, sid, token) = course_now(&app, &staff, 10).await;

    let mut w = Browser::login(&app, "worker", "gongjiang").await;
    let list = w.page("/m/courses").await;
    assert!(
        list.html.contains("数控车床操作") && list.html.contains("已报 0 / 限 10 人"),
        "{}",
        list.html
    );
    let csrf = csrf_of(&list.html);
    // The course's own page lists its sessions too; enrolling there returns there.
    let page = w.page(&format!("/m/courses/{cid}")).await;
    assert!(
        page.html.contains("开课安排") && page.html.contains("已报 0 / 限 10 人"),
        "{}",
        page.html
    );
    let there = w
        .post(
            &format!("/m/sessions/{sid}/enrol"),
            &[("csrf", &csrf), ("back", "course")],
        )
        .await;
    assert!(
        there.html.contains("报名成功")
            && there.html.contains("开课安排")
            && there.html.contains("已报 1 / 限 10 人"),
        "{}",
        there.html
    );
    let cancelled = w
        .post(
            &format!("/m/sessions/{sid}/cancel"),
            &[("csrf", &csrf), ("back", "course")],
        )
        .await;
    assert!(
        cancelled.html.contains("已取消报名") && cancelled.html.contains("评分"),
        "{}",
        cancelled.html
    );
    // The home page has no course card before enrolling.
    assert!(!w.page("/m").await.html.contains("今天的课程"));
    let enrolled = w
        .post(&format!("/m/sessions/{sid}/enrol"), &[("csrf", &csrf)])
        .await;
    assert!(
        enrolled.html.contains("报名成功") && enrolled.html.contains("已报名"),
        "{}",
        enrolled.html
    );

    // Today's session is on the home page, waiting for the check-in (unless
    // the test runs across Beijing midnight, when it started yesterday).
    let started: i64 = sqlx::query_scalar("SELECT starts_at FROM course_sessions WHERE id = $1")
        .bind(sid)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let today = |ms: i64| gongjiang::db::format_ms(ms)[..10].to_string();
    let on_today = today(started) == today(gongjiang::db::now_ms());
    if on_today {
        let home = w.page("/m").await;
        assert!(
            home.html.contains("今天的课程")
                && home.html.contains("数控车床操作")
                && home.html.contains("扫描现场的签到二维码"),
            "{}",
            home.html
        );
    }
    // The QR code on the staff screen opens this page on the phone.
    let scan = w.page(&format!("/m/checkin/{sid}?token={token}")).await;
    assert!(scan.html.contains("确认签到"));
    let wrong = w
        .post(
            &format!("/m/checkin/{sid}"),
            &[("csrf", &csrf), ("token", "guess")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.html.contains("签到码无效"));
    let ok = w
        .post(
            &format!("/m/checkin/{sid}"),
            &[("csrf", &csrf), ("token", &token)],
        )
        .await;
    assert!(ok.html.contains("获得 30 积分"), "{}", ok.html);
    if on_today {
        let home = w.page("/m").await;
        assert!(
            home.html.contains("已签到") && !home.html.contains("扫描现场的签到二维码"),
            "{}",
            home.html
        );
    }

    let rated = w
        .post(
            &format!("/m/courses/{cid}"),
            &[
                ("csrf", &csrf),
                ("rating", "5"),
                ("comment", "实操多，收获大"),
            ],
        )
        .await;
    assert!(
        rated.html.contains("获得 5 积分") && rated.html.contains("修改评价"),
        "{}",
        rated.html
    );
    let bad = w
        .post(
            &format!("/m/courses/{cid}"),
            &[("csrf", &csrf), ("comment", "没有打分")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    let home = w.page("/m").await;
    assert!(home.html.contains(">35<"), "30 + 5 points: {}", home.html);
    let item: i64 = sqlx::query("SELECT id FROM catalog_items WHERE name = '工具包'")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
        .get(0);
    let redeemed = w
        .post(&format!("/m/catalog/{item}/redeem"), &[("csrf", &csrf)])
        .await;
    assert_eq!(redeemed.status, StatusCode::SEE_OTHER);
    assert!(w.page("/m").await.html.contains(">0<"));
    let (_, fb) = app
        .get(&staff, &format!("/api/v1/courses/{cid}/feedback"))
        .await;
    assert_eq!(fb["items"][0]["comment"], "实操多，收获大");
}

/// Staff open a course and a session from the console; the session page shows
/// the roster and the QR code of the check-in link that really checks in.
#[tokio::test]
async fn staff_open_courses_and_show_the_check_in_code() {
    use crate::pages::{csrf_of, Browser};
    let app = TestApp::spawn().await;
    let mut b = Browser::login(&app, "jiangshan", "gongjiang").await;
    let page = b.page("/academy").await;
    let csrf = csrf_of(&page.html);
    let yizhou = app.org_id("JS-YIZHOU").await.to_string();
    let bad = b
        .post(
            "/academy",
            &[
                ("csrf", &csrf),
                ("org_id", &yizhou),
                ("title", ""),
                ("category", "烹饪"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("课程类别应为"));
    let made = b
        .post(
            "/academy",
            &[
                ("csrf", &csrf),
                ("org_id", &yizhou),
                ("title", "电工安全操作"),
                ("category", "职业技能"),
                ("description", "劳模 魏明 主讲"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER);
    let course_path = made.location.unwrap();

    let bad = b
        .post(
            &course_path,
            &[
                ("csrf", &csrf),
                ("place", "车间"),
                ("starts", "2026-11-23T10:00"),
                ("ends", "2026-11-23T09:00"),
                ("capacity", "0"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.html.contains("结束时间须晚于开始时间") && bad.html.contains("名额应为"),
        "{}",
        bad.html
    );
    // A session happening now, in Beijing time as the form gives it.
    let fmt = |ms: i64| gongjiang::db::format_ms(ms).replace(' ', "T");
    let now = gongjiang::db::now_ms();
    let made = b
        .post(
            &course_path,
            &[
                ("csrf", &csrf),
                ("place", "一舟学院 201"),
                ("starts", &fmt(now - 600_000)),
                ("ends", &fmt(now + 3_600_000)),
                ("capacity", "20"),
                ("centralised", "1"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.html);
    let session_path = made.location.unwrap();
    let sid: i64 = session_path.rsplit('/').next().unwrap().parse().unwrap();

    // A worker enrols; the session page lists them and shows the code.
    let worker: i64 = sqlx::query("SELECT member_id FROM accounts WHERE username = 'worker'")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
        .get(0);
    let t = member_token(&app, worker).await;
    let (s, _) = act(
        &app,
        &t,
        Method::POST,
        &format!("/api/v1/sessions/{sid}/enrol"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let shown = b.page(&session_path).await;
    assert!(
        shown.html.contains("<svg") && shown.html.contains("签到二维码"),
        "the QR code is drawn"
    );
    assert!(shown.html.contains("已报名"));
    let url_start = shown.html.find("/m/checkin/").unwrap();
    let link: String = shown.html[url_start..]
        .chars()
        .take_while(|c| *c != '<' && *c != '"')
        .collect();
    let token = link.split("token=").nth(1).unwrap().to_string();
    let (s, ok) = act(
        &app,
        &t,
        Method::POST,
        &format!("/api/v1/sessions/{sid}/checkin"),
        Some(json!({"token": token})),
    )
    .await;
    assert_eq!(
        (s, ok["state"].as_str()),
        (StatusCode::OK, Some("attended")),
        "the code on the screen checks in: {ok}"
    );
    assert!(b.page(&session_path).await.html.contains("已签到"));
    assert!(b.page(&course_path).await.html.contains("集中培训"));
}

/// Replays: the server credits watch time no faster than the video plays, so a
/// script that reports the end at once earns nothing like the whole video;
/// watching to the course's percentage completes the course, once.
#[tokio::test]
async fn watch_time_cannot_run_faster_than_the_video() {
    let app = TestApp::spawn().await;
    let staff = app.login("jiangshan").await;
    let town = app.org_id("ZJ-NB-YZ-JS").await;
    app.post(
        &staff,
        "/api/v1/points/rules",
        json!({"org_id": town, "code": "course_completed", "label": "完成课程", "points": 20}),
    )
    .await;
    let (cid, _, _) = course_now(&app, &staff, 5).await;
    let (s, e) = app
        .post(
            &staff,
            &format!("/api/v1/courses/{cid}/lessons"),
            json!({"title": "回放", "video_url": "ftp://x", "duration_ms": 10}),
        )
        .await;
    assert_eq!(
        (s, e["errors"].as_array().unwrap().len()),
        (StatusCode::UNPROCESSABLE_ENTITY, 2)
    );
    // A three-second clip, so the test can watch it for real.
    let (s, lesson) = app.post(&staff, &format!("/api/v1/courses/{cid}/lessons"), json!({"title": "数控车床 第1讲", "video_url": "https://video.example/1.mp4", "duration_ms": 3000})).await;
    assert_eq!(s, StatusCode::CREATED, "{lesson}");
    let lid = lesson["id"].as_i64().unwrap();
    let ms = members_of(&app, "JS-YIZHOU", 2).await;
    let (cheat, honest) = (
        member_token(&app, ms[0]).await,
        member_token(&app, ms[1]).await,
    );
    let report = |t: &str, pos: i64| {
        let t = t.to_string();
        let app = &app;
        async move {
            act(
                app,
                &t,
                Method::POST,
                &format!("/api/v1/lessons/{lid}/progress"),
                Some(json!({"position_ms": pos})),
            )
            .await
            .1
        }
    };

    // The script gets a course of its own with a 30-second clip: however slow the
    // machine, a jump to the end cannot be credited 90 % of it.
    let (cid2, _, _) = course_now(&app, &staff, 5).await;
    let (_, long) = app.post(&staff, &format!("/api/v1/courses/{cid2}/lessons"), json!({"title": "第2讲", "video_url": "https://video.example/2.mp4", "duration_ms": 30000})).await;
    let long = long["id"].as_i64().unwrap();
    let jump = |pos: i64| {
        let (app, t) = (&app, cheat.clone());
        async move {
            act(
                app,
                &t,
                Method::POST,
                &format!("/api/v1/lessons/{long}/progress"),
                Some(json!({"position_ms": pos})),
            )
            .await
            .1
        }
    };
    jump(0).await;
    let jumped = jump(30000).await;
    assert!(
        jumped["watched_ms"].as_i64().unwrap() < 27000,
        "a jump to the end is not watching: {jumped}"
    );
    assert_eq!(jumped["course_completed"], false);

    report(&honest, 0).await;
    let mut last = Value::Null;
    for pos in [1100, 2200, 3000] {
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        last = report(&honest, pos).await;
    }
    assert_eq!(last["watched_ms"], 3000, "{last}");
    assert_eq!(
        (
            last["course_completed"].as_bool(),
            last["points_awarded"].as_i64()
        ),
        (Some(true), Some(20))
    );
    let again = report(&honest, 3000).await;
    assert_eq!(again["points_awarded"], 0, "completion pays once");
    // The completion is recorded once, online, for the dashboard's list; the
    // script's jump is not one.
    let yizhou = app.org_id("JS-YIZHOU").await;
    let (_, done) = app
        .get(&staff, &format!("/api/v1/completions?org_id={yizhou}"))
        .await;
    let mine: Vec<&Value> = done["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["course_id"].as_i64() == Some(cid) || k["course_id"].as_i64() == Some(cid2))
        .collect();
    assert_eq!(mine.len(), 1, "{done}");
    assert_eq!(
        (mine[0]["member_id"].as_i64(), mine[0]["via"].as_str()),
        (Some(ms[1]), Some("online"))
    );
    assert_eq!(app.member_counts_off().await, 0);
    let (_, list) = act(
        &app,
        &honest,
        Method::GET,
        &format!("/api/v1/courses/{cid}/lessons"),
        None,
    )
    .await;
    assert_eq!(list["items"][0]["watched_ms"], 3000);
}

/// "1 总院 + N 企业分院": a main academy at the town, branches at its enterprise
/// unions attached to it, staff from each campus's own roster.
#[tokio::test]
async fn a_main_academy_and_its_branches() {
    let app = TestApp::spawn().await;
    let staff = app.login("jiangshan").await;
    let (town, yizhou) = (
        app.org_id("ZJ-NB-YZ-JS").await,
        app.org_id("JS-YIZHOU").await,
    );
    let (s, e) = app
        .post(
            &staff,
            "/api/v1/academies",
            json!({"org_id": yizhou, "name": "一舟学院", "kind": "branch"}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no main academy above yet: {e}"
    );
    let (s, e) = app
        .post(
            &staff,
            "/api/v1/academies",
            json!({"org_id": yizhou, "name": "一舟学院", "kind": "main"}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a main academy is a federation's: {e}"
    );
    let (s, main) = app
        .post(
            &staff,
            "/api/v1/academies",
            json!({"org_id": town, "name": "姜山金领学院", "kind": "main"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{main}");
    let (s, branch) = app
        .post(
            &staff,
            "/api/v1/academies",
            json!({"org_id": yizhou, "name": "一舟学院", "kind": "branch"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{branch}");
    assert_eq!(
        branch["parent_id"], main["id"],
        "the branch belongs to the town's main academy"
    );
    let (s, _) = app
        .post(
            &staff,
            "/api/v1/academies",
            json!({"org_id": yizhou, "name": "又一个", "kind": "branch"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "one academy a union");

    let bid = branch["id"].as_i64().unwrap();
    let own = app.member_of("JS-YIZHOU").await;
    let (s, a) = app
        .post(
            &staff,
            &format!("/api/v1/academies/{bid}/staff"),
            json!({"member_id": own, "role": "院长"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(a["staff"][0]["role"], "院长");
    let other = app.member_of("JS-HUARUI").await;
    let (s, e) = app
        .post(
            &staff,
            &format!("/api/v1/academies/{bid}/staff"),
            json!({"member_id": other, "role": "教务"}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "staff come from the branch's own roster: {e}"
    );
    let (_, list) = app.get(&staff, "/api/v1/academies").await;
    assert_eq!(list["total"], 2);
    // Another town's admin does not see them.
    let hz = app
        .get(
            &app.login("worker").await,
            &format!("/api/v1/academies/{bid}"),
        )
        .await;
    assert_eq!(hz.0, StatusCode::NOT_FOUND);
}

/// A check-in and the points it pays commit together: when paying fails, the
/// member is not marked present either (the enrolment engine and the ledger
/// run inside one transaction).
#[tokio::test]
async fn a_check_in_and_its_points_commit_together_or_not_at_all() {
    let app = TestApp::spawn().await;
    let staff = app.login("jiangshan").await;
    let town = app.org_id("ZJ-NB-YZ-JS").await;
    let (s, r) = app
        .post(
            &staff,
            "/api/v1/points/rules",
            json!({"org_id": town, "code": "course_completed", "label": "完成课程", "points": 20}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let (_, sid, token) = course_now(&app, &staff, 5).await;
    let m = members_of(&app, "JS-YIZHOU", 1).await[0];
    let worker = member_token(&app, m).await;
    let (s, _) = act(
        &app,
        &worker,
        Method::POST,
        &format!("/api/v1/sessions/{sid}/enrol"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    // The ledger refuses every new entry, as a failing disk or a constraint would.
    let db = &app.state.db;
    let block = if db.backend == gongjiang::db::Backend::Sqlite {
        vec!["CREATE TRIGGER no_points BEFORE INSERT ON point_entries BEGIN SELECT RAISE(ABORT, 'ledger closed'); END"]
    } else {
        vec![
            "CREATE FUNCTION no_points() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'ledger closed'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER no_points BEFORE INSERT ON point_entries FOR EACH ROW EXECUTE FUNCTION no_points()",
        ]
    };
    for q in &block {
        sqlx::query(q).execute(&db.pool).await.unwrap();
    }
    let (s, _) = act(
        &app,
        &worker,
        Method::POST,
        &format!("/api/v1/sessions/{sid}/checkin"),
        Some(json!({"token": token})),
    )
    .await;
    assert!(s.is_server_error(), "the payment failed: {s}");
    let state: String =
        sqlx::query_scalar("SELECT state FROM enrolments WHERE target_id = $1 AND member_id = $2")
            .bind(sid)
            .bind(m)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(state, "enrolled", "not marked present without the points");
    // The ledger open again: the same check-in attends and pays, once.
    let unblock = if db.backend == gongjiang::db::Backend::Sqlite {
        "DROP TRIGGER no_points"
    } else {
        "DROP TRIGGER no_points ON point_entries"
    };
    sqlx::query(unblock).execute(&db.pool).await.unwrap();
    let (s, body) = act(
        &app,
        &worker,
        Method::POST,
        &format!("/api/v1/sessions/{sid}/checkin"),
        Some(json!({"token": token})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["points_awarded"], 20, "{body}");
}
