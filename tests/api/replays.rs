//! Replays (课程回放): a lesson video uploaded into the file store (API and the
//! staff page's multipart form), served with ranges only to those who may see
//! the course, replaced without leaving the old file behind; the phone player
//! page and its progress reports; course settings (teacher, watch share) and
//! courses belonging to their campus.

use crate::pages::{csrf_of, Browser};
use crate::support::{member_token, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::Row;

/// Bytes that stand for a video: the server stores and serves them as given.
fn fake_video(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

async fn course_with_lesson(app: &TestApp, staff: &str) -> (i64, i64) {
    let org = app.org_id("JS-YIZHOU").await;
    let (s, c) = app
        .post(
            staff,
            "/api/v1/courses",
            json!({"org_id": org, "title": "焊接工艺", "category": "职业技能"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let course = c["id"].as_i64().unwrap();
    // No link: the video is uploaded next.
    let (s, l) = app
        .post(
            staff,
            &format!("/api/v1/courses/{course}/lessons"),
            json!({"title": "第一讲 焊前准备", "duration_ms": 600_000}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{l}");
    (course, l["id"].as_i64().unwrap())
}

async fn put_video(
    app: &TestApp,
    token: &str,
    lesson: i64,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let resp = app
        .client
        .put(app.url(&format!("/api/v1/lessons/{lesson}/video")))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn get_file(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    range: Option<&str>,
) -> (StatusCode, Vec<u8>) {
    let mut req = app.client.get(app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(r) = range {
        req = req.header("range", r);
    }
    let resp = req.send().await.unwrap();
    (resp.status(), resp.bytes().await.unwrap().to_vec())
}

fn stored_files(app: &TestApp) -> Vec<String> {
    let dir = app.dir.path().join("files/lessons");
    let mut v: Vec<String> = std::fs::read_dir(&dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[tokio::test]
async fn an_uploaded_video_is_served_with_ranges_to_the_course_only() {
    let app = TestApp::spawn().await;
    let staff = app.login("jiangshan").await;
    let (_, lesson) = course_with_lesson(&app, &staff).await;

    // A type phones cannot play is refused and nothing is stored.
    let before = app.fingerprint().await;
    let (s, e) = put_video(
        &app,
        &staff,
        lesson,
        "application/x-msvideo",
        fake_video(100),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["errors"][0]["field"], "content_type");
    assert_eq!(before, app.fingerprint().await);
    assert!(stored_files(&app).is_empty());
    // Members cannot upload.
    let worker = member_token(&app, app.member_of("JS-YIZHOU").await).await;
    let (s, _) = put_video(&app, &worker, lesson, "video/mp4", fake_video(100)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let video = fake_video(300_000);
    let (s, l) = put_video(&app, &staff, lesson, "video/mp4", video.clone()).await;
    assert_eq!(s, StatusCode::OK, "{l}");
    let url = l["video_url"].as_str().unwrap().to_string();
    assert_eq!(url, format!("/files/lessons/{lesson}"));
    assert_eq!(stored_files(&app).len(), 1);

    // The course's members and staff get it; seeking asks for a range.
    let (s, body) = get_file(&app, &url, Some(&worker), None).await;
    assert_eq!((s, body.len()), (StatusCode::OK, video.len()));
    assert_eq!(body, video);
    let (s, part) = get_file(&app, &url, Some(&worker), Some("bytes=1000-1999")).await;
    assert_eq!(s, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part, video[1000..2000]);
    // Another town's member, and nobody signed in, do not.
    let outsider = member_token(&app, app.member_of("ZJ-HZ").await).await;
    assert_eq!(
        get_file(&app, &url, Some(&outsider), None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get_file(&app, &url, None, None).await.0,
        StatusCode::UNAUTHORIZED
    );

    // A new upload replaces the old file.
    let (s, _) = put_video(&app, &staff, lesson, "video/webm", fake_video(5_000)).await;
    assert_eq!(s, StatusCode::OK);
    let files = stored_files(&app);
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].ends_with(".webm"));
    let (_, body) = get_file(&app, &url, Some(&staff), None).await;
    assert_eq!(body.len(), 5_000);
    let (_, audit) = app
        .get(&staff, "/api/v1/audit?action=course.lesson_video")
        .await;
    assert_eq!(audit["total"], 2, "{audit}");
}

/// Posts the staff page's lesson form as a browser does (multipart).
async fn post_lesson_form(
    app: &TestApp,
    b: &Browser<'_>,
    course: i64,
    fields: &[(&str, &str)],
    file: Option<(&str, &str, &[u8])>,
) -> (StatusCode, String) {
    let boundary = "----gongjiang-replay-boundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
    }
    if let Some((name, ct, bytes)) = file {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {ct}\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let resp = app
        .client
        .post(app.url(&format!("/academy/courses/{course}/lessons")))
        .header("cookie", b.cookie_header())
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.text().await.unwrap())
}

#[tokio::test]
async fn staff_upload_a_lesson_on_the_course_page_and_a_worker_watches_it_on_the_phone() {
    let app = TestApp::spawn().await;
    let staff = app.login("jiangshan").await;
    let (course, _) = course_with_lesson(&app, &staff).await;
    let mut b = Browser::login(&app, "jiangshan", "gongjiang").await;
    let page = b.page(&format!("/academy/courses/{course}")).await;
    assert!(page.html.contains("课程回放") && page.html.contains("未上传"));
    let csrf = csrf_of(&page.html);

    // A forged token stores nothing.
    let before = app.fingerprint().await;
    let video = fake_video(40_000);
    let (s, _) = post_lesson_form(
        &app,
        &b,
        course,
        &[
            ("csrf", "forged"),
            ("title", "第二讲"),
            ("duration", "0:30"),
        ],
        Some(("l2.mp4", "video/mp4", &video)),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(before, app.fingerprint().await);
    assert!(stored_files(&app).is_empty());
    // A bad length is shown beside its field; nothing is stored.
    let (s, html) = post_lesson_form(
        &app,
        &b,
        course,
        &[("csrf", &csrf), ("title", "第二讲"), ("duration", "半小时")],
        Some(("l2.mp4", "video/mp4", &video)),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("分:秒"), "{html}");
    assert_eq!(before, app.fingerprint().await);
    assert!(stored_files(&app).is_empty());

    let (s, _) = post_lesson_form(
        &app,
        &b,
        course,
        &[
            ("csrf", &csrf),
            ("title", "第二讲 实操"),
            ("duration", "0:30"),
        ],
        Some(("l2.mp4", "video/mp4", &video)),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(stored_files(&app).len(), 1);
    let (_, lessons) = app
        .get(&staff, &format!("/api/v1/courses/{course}/lessons"))
        .await;
    let second = &lessons["items"][1]["lesson"];
    assert_eq!(
        (second["title"].as_str(), second["duration_ms"].as_i64()),
        (Some("第二讲 实操"), Some(30_000))
    );
    let lesson = second["id"].as_i64().unwrap();

    // The worker's phone: the course lists its replays, the player plays the
    // stored file and reports the position with the page's token.
    let mut w = Browser::login(&app, "worker", "gongjiang").await;
    let course_page = w.page(&format!("/m/courses/{course}")).await;
    assert!(
        course_page.html.contains(&format!("/m/lessons/{lesson}"))
            && course_page.html.contains("已学 0%")
    );
    let player = w.page(&format!("/m/lessons/{lesson}")).await;
    assert!(
        player
            .html
            .contains(&format!("src=\"/files/lessons/{lesson}\""))
            && player.html.contains("<video")
    );
    let csrf = csrf_of_data(&player.html);
    let resp = app
        .client
        .get(app.url(&format!("/files/lessons/{lesson}")))
        .header("cookie", w.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.bytes().await.unwrap().len(), video.len());
    let first = w
        .post(
            &format!("/m/lessons/{lesson}/progress"),
            &[("csrf", &csrf), ("position_ms", "0")],
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.html);
    // A jump to the end is not 30 seconds of watching.
    let jump = w
        .post(
            &format!("/m/lessons/{lesson}/progress"),
            &[("csrf", &csrf), ("position_ms", "30000")],
        )
        .await;
    let p: Value = serde_json::from_str(&jump.html).unwrap();
    assert!(p["watched_ms"].as_i64().unwrap() < 5_000, "{p}");
    assert_eq!(p["course_completed"], false);
    let forged = w
        .post(
            &format!("/m/lessons/{lesson}/progress"),
            &[("csrf", "x"), ("position_ms", "1000")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

/// The player keeps the CSRF token in a data attribute for its script.
fn csrf_of_data(html: &str) -> String {
    let prefix = r#"data-csrf=""#;
    let start = html.find(prefix).expect("player has no data-csrf") + prefix.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

#[tokio::test]
async fn course_settings_and_campus() {
    let app = TestApp::spawn().await;
    let staff = app.login("jiangshan").await;
    let (course, _) = course_with_lesson(&app, &staff).await;
    let yizhou_member = app.member_of("JS-YIZHOU").await;
    let outsider = app.member_of("ZJ-HZ").await;

    let before = app.fingerprint().await;
    // Creating and changing a course check the same rules.
    let (s, e) = app
        .post(
            &staff,
            "/api/v1/courses",
            json!({"org_id": app.org_id("JS-YIZHOU").await, "title": "长介绍", "category": "职业技能", "description": "字".repeat(2001), "teacher_member_id": outsider}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let fields: Vec<&str> = e["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["teacher_member_id", "description"]);
    let (s, e) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/courses/{course}"),
            Some(&staff),
            Some(json!({"watch_percent": 5, "teacher_member_id": outsider})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let fields: Vec<&str> = e["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["teacher_member_id", "watch_percent"]);
    assert_eq!(before, app.fingerprint().await);

    let (s, c) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/courses/{course}"),
            Some(&staff),
            Some(json!({"watch_percent": 60, "teacher_member_id": yizhou_member})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(
        (c["watch_percent"].as_i64(), c["teacher_member_id"].as_i64()),
        (Some(60), Some(yizhou_member))
    );
    assert!(c["teacher_name"].as_str().is_some_and(|n| !n.is_empty()));
    assert_eq!(c["title"], "焊接工艺", "what is left out stays");
    let worker = member_token(&app, yizhou_member).await;
    let (s, _) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/courses/{course}"),
            Some(&worker),
            Some(json!({"watch_percent": 50})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // The console form says the same.
    let mut b = Browser::login(&app, "jiangshan", "gongjiang").await;
    let page = b.page(&format!("/academy/courses/{course}")).await;
    assert!(page.html.contains("授课：") && page.html.contains("每讲观看 60%"));
    let csrf = csrf_of(&page.html);
    let bad = b
        .post(
            &format!("/academy/courses/{course}/settings"),
            &[
                ("csrf", &csrf),
                ("title", "焊接工艺"),
                ("category", "职业技能"),
                ("teacher", ""),
                ("description", ""),
                ("watch_percent", "101"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("10–100"));
    let ok = b
        .post(
            &format!("/academy/courses/{course}/settings"),
            &[
                ("csrf", &csrf),
                ("title", "焊接工艺（进阶）"),
                ("category", "职业技能"),
                ("teacher", ""),
                ("description", "手工电弧焊"),
                ("watch_percent", "80"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.html);
    let (_, shown) = app.get(&staff, &format!("/api/v1/courses/{course}")).await;
    let c = &shown["course"];
    assert_eq!(
        (
            c["title"].as_str(),
            c["watch_percent"].as_i64(),
            c["teacher_member_id"].as_i64()
        ),
        (Some("焊接工艺（进阶）"), Some(80), None)
    );

    // A campus opened at the union takes the union's courses; new ones join it.
    let town = app.org_id("ZJ-NB-YZ-JS").await;
    let yizhou = app.org_id("JS-YIZHOU").await;
    app.post(
        &staff,
        "/api/v1/academies",
        json!({"org_id": town, "name": "姜山金领学院", "kind": "main"}),
    )
    .await;
    let (s, branch) = app
        .post(
            &staff,
            "/api/v1/academies",
            json!({"org_id": yizhou, "name": "一舟分院", "kind": "branch"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{branch}");
    let (_, shown) = app.get(&staff, &format!("/api/v1/courses/{course}")).await;
    let c = &shown["course"];
    assert_eq!(
        (c["academy_id"].clone(), c["academy_name"].as_str()),
        (branch["id"].clone(), Some("一舟分院"))
    );
    let (_, later) = app
        .post(
            &staff,
            "/api/v1/courses",
            json!({"org_id": yizhou, "title": "安全生产", "category": "职业技能"}),
        )
        .await;
    assert_eq!(later["academy_id"], branch["id"]);
}

/// The campus page: a town sets up its main academy and a branch, adds staff
/// from the branch's own roster, and sees each campus's courses; mistakes are
/// shown on the page and change nothing.
#[tokio::test]
async fn campuses_are_set_up_on_the_console() {
    let app = TestApp::spawn().await;
    let staff = app.login("jiangshan").await;
    let (town, yizhou) = (
        app.org_id("ZJ-NB-YZ-JS").await,
        app.org_id("JS-YIZHOU").await,
    );
    let mut b = Browser::login(&app, "jiangshan", "gongjiang").await;
    let page = b.page("/academy/campuses").await;
    assert!(page.html.contains("还没有设立学院"));
    let csrf = csrf_of(&page.html);

    let before = app.fingerprint().await;
    let refused = b
        .post(
            "/academy/campuses",
            &[
                ("csrf", &csrf),
                ("org_id", &yizhou.to_string()),
                ("name", "一舟分院"),
                ("kind", "branch"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.html.contains("总院"), "{}", refused.html);
    assert_eq!(before, app.fingerprint().await);

    for (org, name, kind) in [
        (town, "姜山金领学院", "main"),
        (yizhou, "一舟分院", "branch"),
    ] {
        let done = b
            .post(
                "/academy/campuses",
                &[
                    ("csrf", &csrf),
                    ("org_id", &org.to_string()),
                    ("name", name),
                    ("kind", kind),
                ],
            )
            .await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.html);
        assert!(done.html.contains(&format!("已设立“{name}”")));
    }
    app.post(
        &staff,
        "/api/v1/courses",
        json!({"org_id": yizhou, "title": "安全生产", "category": "职业技能"}),
    )
    .await;
    let (_, list) = app.get(&staff, "/api/v1/academies").await;
    let branch = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "branch")
        .unwrap()["id"]
        .as_i64()
        .unwrap();

    let outsider = app.member_of("ZJ-HZ").await.to_string();
    let own = app.member_of("JS-YIZHOU").await;
    let own_name: String = sqlx::query("SELECT name FROM members WHERE id = $1")
        .bind(own)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
        .get(0);
    let before = app.fingerprint().await;
    let refused = b
        .post(
            &format!("/academy/campuses/{branch}/staff"),
            &[
                ("csrf", &csrf),
                ("member_id", &format!("编号 {outsider}")),
                ("role", "教务"),
            ],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a member outside the branch is not there to add"
    );
    assert!(
        refused
            .html
            .contains(&format!("没有编号为 {outsider} 的会员")),
        "{}",
        refused.html
    );
    let unknown = b
        .post(
            &format!("/academy/campuses/{branch}/staff"),
            &[("csrf", &csrf), ("member_id", "查无此人"), ("role", "教务")],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unknown.html.contains("没有找到会员“查无此人”"),
        "{}",
        unknown.html
    );
    assert_eq!(before, app.fingerprint().await);
    // Staff name people as they know them: by name.
    let added = b
        .post(
            &format!("/academy/campuses/{branch}/staff"),
            &[("csrf", &csrf), ("member_id", &own_name), ("role", "教务")],
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.html);
    let page = b.page("/academy/campuses").await;
    assert!(
        page.html.contains("隶属 姜山金领学院")
            && page.html.contains("教务")
            && page.html.contains("课程 1 门"),
        "{}",
        page.html
    );
}

/// The check-in QR code lets workers check in, so a read-only account sees a
/// session's roster without it; the staff who run the session see it.
#[tokio::test]
async fn a_viewer_sees_the_roster_but_not_the_check_in_code() {
    let app = TestApp::spawn().await;
    let staff = app.login("jiangshan").await;
    let town = app.org_id("ZJ-NB-YZ-JS").await;
    let (s, _) = app
        .post(&staff, "/api/v1/accounts", json!({"username": "auditor1", "password": "gongjiang", "role": "viewer", "org_id": town}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let viewer = app.login("auditor1").await;
    let (course, _) = course_with_lesson(&app, &staff).await;
    let now = gongjiang::db::now_ms();
    let (_, sess) = app
        .post(
            &staff,
            &format!("/api/v1/courses/{course}/sessions"),
            json!({"place": "201", "starts_at": now, "ends_at": now + 3_600_000, "capacity": 5}),
        )
        .await;
    let sid = sess["session"]["id"].as_i64().unwrap();

    let (s, r) = app
        .get(&viewer, &format!("/api/v1/sessions/{sid}/roster"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        r.get("checkin_token").is_none() && r.get("checkin_url").is_none(),
        "{r}"
    );
    let (_, r) = app
        .get(&staff, &format!("/api/v1/sessions/{sid}/roster"))
        .await;
    assert_eq!(r["checkin_token"], sess["checkin_token"]);

    let mut b = Browser::login(&app, "auditor1", "gongjiang").await;
    let page = b.page(&format!("/academy/sessions/{sid}")).await;
    assert!(page.html.contains("仅对负责本场的工作人员显示") && !page.html.contains("<svg"));
    let mut b = Browser::login(&app, "jiangshan", "gongjiang").await;
    let page = b.page(&format!("/academy/sessions/{sid}")).await;
    assert!(page.html.contains("<svg") && page.html.contains("/m/checkin/"));
}
