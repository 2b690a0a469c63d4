//! The academy's desk: feedback (意见反馈) a worker sends to the academy of their
//! union and the answer its staff write (API and pages, scope, bad input), and
//! the course categories an admin adds for a union's subtree.

use crate::pages::{csrf_of, Browser};
use crate::support::{member_token, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::Row;

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query(sql)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
        .get(0)
}

/// Another member of the union than `member_of` gives (the demo worker there).
async fn second_member(app: &TestApp, code: &str) -> i64 {
    sqlx::query("SELECT id FROM members WHERE org_id = $1 ORDER BY id LIMIT 1 OFFSET 1")
        .bind(app.org_id(code).await)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
        .get(0)
}

/// An officer account at the union with `code`, made by the province admin, logged in.
async fn officer_at(app: &TestApp, code: &str, username: &str) -> String {
    let admin = app.login("admin").await;
    let org = app.org_id(code).await;
    let (s, a) = app
        .post(
            &admin,
            "/api/v1/accounts",
            json!({"username": username, "password": "gongjiang", "role": "officer", "org_id": org}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    app.login(username).await
}

fn ids(list: &Value) -> Vec<i64> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect()
}

/// The message in the `field-error` box after the field named `name`.
fn field_error(html: &str, name: &str) -> String {
    let at = html
        .find(&format!(r#"name="{name}""#))
        .unwrap_or_else(|| panic!("no field {name}"));
    let open = r#"<div class="field-error""#;
    let start = at + html[at..].find(open).expect("no field-error box");
    let start = start + html[start..].find('>').unwrap() + 1;
    let len = html[start..].find("</div>").unwrap();
    html[start..start + len].to_string()
}

#[tokio::test]
async fn a_worker_asks_and_the_union_answers() {
    let app = TestApp::spawn().await;
    let worker = app.login("worker").await;
    let town = app.login("jiangshan").await;
    let (yizhou, huarui) = (app.org_id("JS-YIZHOU").await, app.org_id("JS-HUARUI").await);

    let (s, sent) = app
        .post(
            &worker,
            "/api/v1/academy/messages",
            json!({"body": "  希望开设电工证培训班，晚上上课最好。\n"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{sent}");
    assert_eq!(sent["body"], "希望开设电工证培训班，晚上上课最好。");
    assert_eq!(sent["org_id"], yizhou, "it goes to the worker's own union");
    assert!(sent["answer"].is_null());
    let mid = sent["id"].as_i64().unwrap();

    // A second worker of the same union, and one of 华瑞.
    let other = member_token(&app, second_member(&app, "JS-YIZHOU").await).await;
    let (s, o) = app
        .post(
            &other,
            "/api/v1/academy/messages",
            json!({"body": "食堂旁能不能开个读书角？"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let hr = member_token(&app, app.member_of("JS-HUARUI").await).await;
    let (_, h) = app
        .post(
            &hr,
            "/api/v1/academy/messages",
            json!({"body": "想学 Excel"}),
        )
        .await;

    // The town's staff see all three, unanswered first, paged like other lists.
    let (s, list) = app
        .get(&town, "/api/v1/academy/messages?unanswered=true")
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(list["total"], 3);
    assert_eq!(
        (list["page"].as_i64(), list["per_page"].as_i64()),
        (Some(1), Some(20))
    );
    assert_eq!(list["items"][0]["id"], mid, "the longest waiting on top");
    let (_, page2) = app
        .get(&town, "/api/v1/academy/messages?per_page=2&page=2")
        .await;
    assert_eq!((page2["total"].as_i64(), ids(&page2).len()), (Some(3), 1));
    let (_, hr_only) = app
        .get(&town, &format!("/api/v1/academy/messages?org_id={huarui}"))
        .await;
    assert_eq!(ids(&hr_only), vec![h["id"].as_i64().unwrap()]);

    // Answer it; the worker sees the answer.
    let (s, a) = app
        .post(
            &town,
            &format!("/api/v1/academy/messages/{mid}/answer"),
            json!({"answer": " 已列入下月开课计划，届时在“课程”里报名。 "}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    assert_eq!(a["answer"], "已列入下月开课计划，届时在“课程”里报名。");
    assert_eq!(a["answered_by_name"], "jiangshan");
    assert!(a["answered_at"].as_i64().unwrap() > 0);
    assert_eq!(a["replaced"], false);
    let (_, open) = app
        .get(&town, "/api/v1/academy/messages?unanswered=true")
        .await;
    assert_eq!(open["total"], 2);
    assert!(!ids(&open).contains(&mid));
    let (_, all) = app.get(&town, "/api/v1/academy/messages").await;
    assert_eq!(
        all["items"][2]["id"], mid,
        "answered ones come after the unanswered"
    );

    let (s, mine) = app.get(&worker, "/api/v1/academy/messages").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ids(&mine), vec![mid], "a member sees only their own");
    assert_eq!(
        mine["items"][0]["answer"],
        "已列入下月开课计划，届时在“课程”里报名。"
    );
    assert!(
        mine["items"][0]["answered_by"].is_null(),
        "not which staff account"
    );

    // Answering again replaces the answer; the audit log keeps the first.
    let admin = app.login("admin").await;
    let (s, again) = app
        .post(
            &admin,
            &format!("/api/v1/academy/messages/{mid}/answer"),
            json!({"answer": "电工证班定在每周二、四晚上。"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "a union above may answer too: {again}");
    assert_eq!(
        (
            again["answer"].as_str(),
            again["answered_by_name"].as_str(),
            again["replaced"].as_bool()
        ),
        (
            Some("电工证班定在每周二、四晚上。"),
            Some("admin"),
            Some(true)
        )
    );
    let detail: String = sqlx::query(
        "SELECT detail FROM audit_log WHERE action = 'academy.message.answer' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap()
    .get(0);
    assert!(detail.contains("已列入下月开课计划"), "{detail}");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'academy.message'"
        )
        .await,
        3
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'academy.message.answer'"
        )
        .await,
        2
    );
    gongjiang::audit::store::verify(&app.state.db)
        .await
        .unwrap()
        .expect("the audit chain holds");

    // Another town's officer neither sees nor answers it.
    let qiuai = officer_at(&app, "ZJ-NB-YZ-QY", "qiuai").await;
    let (s, list) = app.get(&qiuai, "/api/v1/academy/messages").await;
    assert_eq!((s, list["total"].as_i64()), (StatusCode::OK, Some(0)));
    let (s, _) = app
        .post(
            &qiuai,
            &format!("/api/v1/academy/messages/{mid}/answer"),
            json!({"answer": "越权"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .get(&qiuai, &format!("/api/v1/academy/messages?org_id={yizhou}"))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .post(
            &qiuai,
            "/api/v1/academy/messages/999999/answer",
            json!({"answer": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_input_changes_nothing_and_members_see_only_their_own() {
    let app = TestApp::spawn().await;
    let worker = app.login("worker").await;
    let town = app.login("jiangshan").await;
    let (_, sent) = app
        .post(
            &worker,
            "/api/v1/academy/messages",
            json!({"body": "第一条"}),
        )
        .await;
    let mid = sent["id"].as_i64().unwrap();
    let other = member_token(&app, second_member(&app, "JS-YIZHOU").await).await;

    let before = app.fingerprint().await;
    let messages = "SELECT COUNT(*) FROM academy_messages";
    for body in [
        json!({"body": ""}),
        json!({"body": " \n\t "}),
        json!({"body": "字".repeat(1001)}),
        json!({}),
        json!({"body": 42}),
    ] {
        let (s, e) = app
            .post(&worker, "/api/v1/academy/messages", body.clone())
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {e}");
        assert_eq!(e["errors"][0]["field"], "body", "{e}");
    }
    assert_eq!(app.fingerprint().await, before);

    for answer in [
        json!({"answer": "  "}),
        json!({"answer": "a".repeat(1001)}),
        json!({}),
    ] {
        let (s, e) = app
            .post(
                &town,
                &format!("/api/v1/academy/messages/{mid}/answer"),
                answer,
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["errors"][0]["field"], "answer");
    }
    let (s, e) = app
        .get(&town, "/api/v1/academy/messages?unanswered=maybe")
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    // Staff without a member record cannot send; members cannot answer, even their own.
    let (s, _) = app
        .post(&town, "/api/v1/academy/messages", json!({"body": "x"}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    for t in [&worker, &other] {
        let (s, _) = app
            .post(
                t,
                &format!("/api/v1/academy/messages/{mid}/answer"),
                json!({"answer": "自问自答"}),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
    assert_eq!(count(&app, messages).await, 1);
    assert_eq!(app.fingerprint().await, before);
    let unanswered: Option<String> =
        sqlx::query("SELECT answer FROM academy_messages WHERE id = $1")
            .bind(mid)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap()
            .get(0);
    assert_eq!(unanswered, None);

    // Another member of the same union lists nothing of the worker's, whatever they ask.
    let yizhou = app.org_id("JS-YIZHOU").await;
    for q in ["", "?unanswered=true", &format!("?org_id={yizhou}")] {
        let (s, list) = app
            .get(&other, &format!("/api/v1/academy/messages{q}"))
            .await;
        assert_eq!(
            (s, list["total"].as_i64()),
            (StatusCode::OK, Some(0)),
            "{q}"
        );
    }
    // A viewer account has no roster right: refused.
    let admin = app.login("admin").await;
    let (s, _) = app.post(&admin, "/api/v1/accounts", json!({"username": "looker", "password": "gongjiang", "role": "viewer", "org_id": app.org_id("ZJ-NB-YZ-JS").await})).await;
    assert_eq!(s, StatusCode::CREATED);
    let looker = app.login("looker").await;
    let (s, _) = app.get(&looker, "/api/v1/academy/messages").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .post(
            &worker,
            "/api/v1/academy/messages",
            json!({"body": "字".repeat(1000)}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "1000 characters are allowed");
}

#[tokio::test]
async fn the_phone_page_and_the_console_page() {
    let app = TestApp::spawn().await;
    let mut w = Browser::login(&app, "worker", "gongjiang").await;
    let page = w.page("/m/messages").await;
    assert!(
        page.html.contains(r#"href="/m/messages""#),
        "a tab in the phone nav"
    );
    assert!(page.html.contains("还没有发过意见反馈"));
    let csrf = csrf_of(&page.html);
    let forged = w
        .post("/m/messages", &[("csrf", "forged"), ("body", "x")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let empty = w
        .post("/m/messages", &[("csrf", &csrf), ("body", "  ")])
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        field_error(&empty.html, "body").contains("请填写"),
        "{}",
        empty.html
    );
    let long = "长".repeat(1001);
    let too_long = w
        .post("/m/messages", &[("csrf", &csrf), ("body", &long)])
        .await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(too_long.html.contains(&long), "what was typed is kept");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM academy_messages").await,
        0
    );
    let sent = w
        .post(
            "/m/messages",
            &[("csrf", &csrf), ("body", "希望周末也能上课")],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.html);
    let back = sent.location.unwrap();
    assert!(back.starts_with("/m/messages?sent="), "{back}");
    let mine = w.page(&back).await;
    assert!(mine.html.contains("希望周末也能上课") && mine.html.contains("待答复"));
    // The console is not a member's: back to the phone page.
    let console = w.get("/academy/messages").await;
    assert_eq!(
        (console.status, console.location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/m/messages"))
    );

    let mut s = Browser::login(&app, "jiangshan", "gongjiang").await;
    let academy = s.page("/academy").await;
    assert!(academy.html.contains(r#"href="/academy/messages""#));
    let list = s.page("/academy/messages").await;
    assert!(list.html.contains("希望周末也能上课") && list.html.contains("待答复"));
    let mid: i64 = count(&app, "SELECT MAX(id) FROM academy_messages").await;
    let csrf = csrf_of(&list.html);
    let action = format!("/academy/messages/{mid}/answer");
    let refused = s.post(&action, &[("csrf", &csrf), ("answer", "")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_error(&refused.html, "answer").contains("请填写答复"));
    let forged = s.post(&action, &[("csrf", "x"), ("answer", "好")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let done = s
        .post(&action, &[("csrf", &csrf), ("answer", "周六上午加开一班")])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    let shown = s.page(done.location.as_deref().unwrap()).await;
    assert!(shown.html.contains("周六上午加开一班") && shown.html.contains("已答复"));
    let only_open = s.page("/academy/messages?unanswered=1").await;
    assert!(!only_open.html.contains("希望周末也能上课"));

    let answered = w.page("/m/messages").await;
    assert!(
        answered.html.contains("周六上午加开一班") && answered.html.contains("已答复"),
        "{}",
        answered.html
    );
    // Another town's officer does not find it on the console either.
    officer_at(&app, "ZJ-NB-YZ-QY", "qiuai").await;
    let mut q = Browser::login(&app, "qiuai", "gongjiang").await;
    let theirs = q.page("/academy/messages").await;
    assert!(!theirs.html.contains("希望周末也能上课"));
    let csrf = csrf_of(&theirs.html);
    let denied = q
        .post(&action, &[("csrf", &csrf), ("answer", "越权")])
        .await;
    assert_eq!(denied.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn categories_an_admin_adds_for_a_subtree() {
    let app = TestApp::spawn().await;
    let town = app.login("jiangshan").await;
    let (town_id, yizhou, qiuai) = (
        app.org_id("ZJ-NB-YZ-JS").await,
        app.org_id("JS-YIZHOU").await,
        app.org_id("ZJ-NB-YZ-QY").await,
    );
    let (s, list) = app
        .get(
            &town,
            &format!("/api/v1/academy/categories?org_id={yizhou}"),
        )
        .await;
    assert_eq!(
        (s, list["total"].as_i64()),
        (StatusCode::OK, Some(4)),
        "{list}"
    );

    let (s, cat) = app
        .post(
            &town,
            "/api/v1/academy/categories",
            json!({"org_id": town_id, "name": " 安全生产 "}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{cat}");
    assert_eq!(
        (cat["name"].as_str(), cat["org_id"].as_i64()),
        (Some("安全生产"), Some(town_id))
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'course.category'"
        )
        .await,
        1
    );

    let before = app.fingerprint().await;
    for (body, status) in [
        (
            json!({"org_id": town_id, "name": "安全生产"}),
            StatusCode::CONFLICT,
        ),
        (
            json!({"org_id": town_id, "name": "职业技能"}),
            StatusCode::CONFLICT,
        ),
        (
            json!({"org_id": yizhou, "name": "安全生产"}),
            StatusCode::CONFLICT,
        ),
        (
            json!({"org_id": town_id, "name": "  "}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"org_id": town_id, "name": "类".repeat(21)}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (json!({"name": "无工会"}), StatusCode::UNPROCESSABLE_ENTITY),
        (
            json!({"org_id": qiuai, "name": "园艺"}),
            StatusCode::NOT_FOUND,
        ),
    ] {
        let (s, e) = app
            .post(&town, "/api/v1/academy/categories", body.clone())
            .await;
        assert_eq!(s, status, "{body}: {e}");
    }
    // Officers manage courses, not categories.
    let (s, _) = app.post(&town, "/api/v1/accounts", json!({"username": "js_officer", "password": "gongjiang", "role": "officer", "org_id": town_id})).await;
    assert_eq!(s, StatusCode::CREATED);
    let officer = app.login("js_officer").await;
    let mid = app.fingerprint().await;
    let (s, _) = app
        .post(
            &officer,
            "/api/v1/academy/categories",
            json!({"org_id": town_id, "name": "园艺"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(app.fingerprint().await, mid);
    assert_ne!(before, mid, "only the officer account was added");

    // Offered in the town's subtree, not beside it.
    let (_, list) = app
        .get(
            &officer,
            &format!("/api/v1/academy/categories?org_id={yizhou}"),
        )
        .await;
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["职业技能", "办公技能", "文化艺术", "思想政治", "安全生产"]
    );
    let worker = app.login("worker").await;
    let (s, own) = app.get(&worker, "/api/v1/academy/categories").await;
    assert_eq!(
        (s, own["total"].as_i64(), own["org_id"].as_i64()),
        (StatusCode::OK, Some(5), Some(yizhou))
    );
    let (s, _) = app
        .get(
            &worker,
            &format!("/api/v1/academy/categories?org_id={qiuai}"),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let admin = app.login("admin").await;
    let (_, beside) = app
        .get(
            &admin,
            &format!("/api/v1/academy/categories?org_id={qiuai}"),
        )
        .await;
    assert_eq!(beside["total"], 4);

    for (token, org) in [(&officer, yizhou), (&town, town_id)] {
        let (s, c) = app
            .post(
                token,
                "/api/v1/courses",
                json!({"org_id": org, "title": "安全生产月专题", "category": "安全生产"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
        assert_eq!(c["category"], "安全生产");
    }
    let before = app.fingerprint().await;
    let courses = "SELECT COUNT(*) FROM courses";
    let n = count(&app, courses).await;
    let (s, e) = app
        .post(
            &admin,
            "/api/v1/courses",
            json!({"org_id": qiuai, "title": "安全生产月专题", "category": "安全生产"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["errors"][0]["field"], "category");
    let (s, _) = app
        .post(
            &town,
            "/api/v1/courses",
            json!({"org_id": yizhou, "title": "乱填", "category": "不存在的类别"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        (count(&app, courses).await, app.fingerprint().await),
        (n, before)
    );

    // The console: the course form offers it, and an admin adds one from /academy.
    let mut b = Browser::login(&app, "jiangshan", "gongjiang").await;
    let page = b.page("/academy").await;
    assert!(
        page.html.contains("<option>安全生产</option>"),
        "the course form offers it"
    );
    assert!(page.html.contains(r#"action="/academy/categories""#));
    let csrf = csrf_of(&page.html);
    let town_s = town_id.to_string();
    let added = b
        .post(
            "/academy/categories",
            &[("csrf", &csrf), ("org_id", &town_s), ("name", "非遗手工")],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.html);
    let shown = b.page(added.location.as_deref().unwrap()).await;
    assert!(shown.html.contains("已添加类别“非遗手工”"));
    let dup = b
        .post(
            "/academy/categories",
            &[("csrf", &csrf), ("org_id", &town_s), ("name", "非遗手工")],
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    assert!(field_error(&dup.html, "name").contains("已有类别"));
    assert!(
        dup.html.contains(r#"value="非遗手工""#),
        "what was typed is kept"
    );
    let course = b
        .post(
            "/academy",
            &[
                ("csrf", &csrf),
                ("org_id", &yizhou.to_string()),
                ("title", "竹编入门"),
                ("category", "非遗手工"),
                ("description", ""),
            ],
        )
        .await;
    assert_eq!(course.status, StatusCode::SEE_OTHER, "{}", course.html);
    let mut o = Browser::login(&app, "js_officer", "gongjiang").await;
    let theirs = o.page("/academy").await;
    assert!(
        !theirs.html.contains(r#"action="/academy/categories""#),
        "officers get no category form"
    );
}
