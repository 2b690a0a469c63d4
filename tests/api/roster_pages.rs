//! The console pages for rosters, reveals and the audit log, used the way a
//! browser without JavaScript uses them: importing a file through the upload
//! form and following the job page, revealing a member's whole numbers once
//! the right is granted, the auditor's filters, and the export buttons.

use crate::support::TestApp;
use calamine::{Data, Reader};
use reqwest::StatusCode;
use sqlx::Row;
use std::collections::BTreeMap;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

// ---------------------------------------------------------------------------
// A browser without JavaScript. Like the one in pages.rs (private there), but
// it keeps the body as bytes, because some answers here are workbooks, and it
// can post multipart forms.
// ---------------------------------------------------------------------------

struct Reply {
    status: StatusCode,
    location: Option<String>,
    content_type: String,
    body: Vec<u8>,
}

impl Reply {
    fn html(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Keeps cookies by name and sends them back; redirects are not followed
/// (the shared client is built that way), so each redirect can be checked.
struct Browser<'a> {
    app: &'a TestApp,
    cookies: BTreeMap<String, String>,
}

impl<'a> Browser<'a> {
    /// Signs in through the login form (it needs the double-submit cookie).
    async fn login(app: &'a TestApp, username: &str) -> Browser<'a> {
        let mut b = Browser {
            app,
            cookies: BTreeMap::new(),
        };
        let csrf = csrf_of(&b.get("/login").await.html());
        let fields = [
            ("username", username),
            ("password", "gongjiang"),
            ("csrf", &csrf),
            ("next", "/"),
        ];
        let r = b.post("/login", &fields).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "login {username}");
        assert!(b.cookies.contains_key("gj_session"), "login {username}");
        b
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Reply {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let resp = req.header("cookie", cookie).send().await.expect("request");
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let (status, location) = (resp.status(), header("location"));
        let content_type = header("content-type").unwrap_or_default();
        // Remember what the server set; an empty value deletes.
        for c in resp.headers().get_all("set-cookie") {
            let first = c.to_str().unwrap_or("").split(';').next().unwrap_or("");
            if let Some((name, value)) = first.split_once('=') {
                if value.is_empty() {
                    self.cookies.remove(name.trim());
                } else {
                    self.cookies.insert(name.trim().into(), value.into());
                }
            }
        }
        let body = resp.bytes().await.expect("body").to_vec();
        Reply {
            status,
            location,
            content_type,
            body,
        }
    }

    async fn get(&mut self, path: &str) -> Reply {
        let req = self.app.client.get(self.app.url(path));
        self.send(req).await
    }

    /// A 200 HTML page (most tests only go on from one).
    async fn page(&mut self, path: &str) -> String {
        let r = self.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "GET {path}: {}", r.html());
        assert!(r.content_type.starts_with("text/html"), "GET {path}");
        r.html()
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let req = self.app.client.post(self.app.url(path)).form(fields);
        self.send(req).await
    }

    /// Posts a multipart form as a browser does, built by hand: this reqwest
    /// has only the json feature.
    async fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: (&str, &[u8]),
    ) -> Reply {
        let boundary = "----gongjiang-test-boundary-7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\nContent-Type: {XLSX}\r\n\r\n",
                file.0
            )
            .as_bytes(),
        );
        body.extend_from_slice(file.1);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let req = self
            .app
            .client
            .post(self.app.url(path))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body);
        self.send(req).await
    }
}

/// The session's CSRF token, from any page's `<input name="csrf">`.
fn csrf_of(html: &str) -> String {
    let prefix = r#"name="csrf" value=""#;
    let start = html.find(prefix).expect("page has no csrf field") + prefix.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

/// The rows of the page's data table: the filter forms repeat the labels
/// (such as 查看完整号码 in the action list), so only `<tbody>` counts.
fn table_rows(html: &str) -> Vec<String> {
    let Some(start) = html.find("<tbody>") else {
        return vec![];
    };
    let end = start + html[start..].find("</tbody>").expect("unclosed tbody");
    html[start..end]
        .split("<tr>")
        .skip(1)
        .map(str::to_string)
        .collect()
}

/// "共 N 条" on the audit page.
fn audit_total(html: &str) -> i64 {
    let start = html.find("共 ").expect("no total") + "共 ".len();
    let len = html[start..].find(" 条").expect("no total");
    html[start..start + len].parse().expect("total is a number")
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// The first sheet of a workbook as text, row by row.
fn sheet_rows(bytes: Vec<u8>) -> Vec<Vec<String>> {
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("an xlsx");
    let name = wb.sheet_names()[0].clone();
    let range = wb.worksheet_range(&name).unwrap();
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

async fn scalar(app: &TestApp, sql: &str, bind: &str) -> i64 {
    sqlx::query(sql)
        .bind(bind)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
        .get(0)
}

/// A member's whole ID number, decrypted straight from the table.
async fn whole_id_number(app: &TestApp, member: i64) -> String {
    let enc: Vec<u8> = sqlx::query("SELECT id_number_enc FROM members WHERE id = $1")
        .bind(member)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
        .get(0);
    app.state.keys.decrypt(&enc).unwrap()
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[tokio::test]
async fn importing_through_the_upload_form() {
    let app = TestApp::spawn().await;
    let org = app.org_id("JS-HUARUI").await.to_string();
    let file = fixture("messy_roster.xlsx");
    let mut b = Browser::login(&app, "jiangshan").await;

    let form = b.page("/members/import").await;
    assert!(
        form.contains(r#"action="/members/import" enctype="multipart/form-data""#),
        "{form}"
    );
    assert!(form.contains(r#"type="file" id="file" name="file""#));
    let csrf = csrf_of(&form);

    // Without the token: refused, and no job was even registered.
    let before = app.fingerprint().await;
    let fields = [("org_id", org.as_str()), ("mode", "valid")];
    let refused = b
        .post_multipart("/members/import", &fields, ("messy_roster.xlsx", &file))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.html());
    assert!(refused.html().contains("CSRF"));
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM imports WHERE filename = $1",
            "messy_roster.xlsx"
        )
        .await,
        0
    );
    assert_eq!(before, app.fingerprint().await, "nothing imported");

    // With it: a redirect to the job's page.
    let fields = [
        ("csrf", csrf.as_str()),
        ("org_id", org.as_str()),
        ("mode", "valid"),
    ];
    let sent = b
        .post_multipart("/members/import", &fields, ("messy_roster.xlsx", &file))
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.html());
    let job_path = sent.location.expect("a redirect");
    let id: i64 = job_path
        .strip_prefix("/imports/")
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a job page: {job_path}"));

    // Reload the page, as its <noscript> refresh does, until it is finished (bounded).
    let mut html = String::new();
    for _ in 0..1200 {
        html = b.page(&job_path).await;
        if !html.contains("导入中") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(!html.contains("导入中"), "import {id} did not finish");
    assert!(html.contains("已完成"), "{html}");
    assert!(
        html.contains(r#"<strong id="done">9</strong> / <span id="total">9</span>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"有误 <strong id="failed">6</strong> 行"#),
        "{html}"
    );
    assert!(html.contains("新增 3 人，更新 0 人"), "{html}");
    assert!(html.contains("有误的行"));
    assert!(
        table_rows(&html)
            .iter()
            .any(|r| r.contains("<td>7</td><td>身份证号</td>") && r.contains("3.30203E+17")),
        "row 7's ID number stored as a number is listed: {html}"
    );
    let report = format!("/imports/{id}/report.xlsx");
    assert!(html.contains(&format!(r#"href="{report}""#)), "{html}");
    assert_ne!(
        before,
        app.fingerprint().await,
        "the valid rows were written"
    );

    let r = b.get(&report).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.content_type, XLSX);
    let rows = sheet_rows(r.body);
    assert_eq!(rows.len(), 7, "a heading and the six bad rows");
    assert!(rows[0].contains(&"错误原因".to_string()), "{:?}", rows[0]);
}

#[tokio::test]
async fn revealing_on_the_member_page_needs_the_granted_right() {
    let app = TestApp::spawn().await;
    let member = app.member_of("JS-HUARUI").await;
    let whole = whole_id_number(&app, member).await;
    assert_eq!(whole.chars().count(), 18);
    let page_path = format!("/members/{member}");
    let reveal_path = format!("/members/{member}/reveal");
    let audit_path = format!("/audit?member_id={member}");
    let mut b = Browser::login(&app, "jiangshan").await;
    // A reveal by jiangshan as the audit page lists it.
    let reveal_logged = |html: &str| {
        table_rows(html)
            .iter()
            .any(|r| r.contains("<td>查看完整号码</td>") && r.contains(">jiangshan</a>"))
    };

    let html = b.page(&page_path).await;
    assert!(!html.contains("查看完整号码"), "no reveal button yet");
    assert!(!html.contains(&whole));
    let csrf = csrf_of(&html);
    let fields = [("csrf", csrf.as_str()), ("purpose", "办理帮扶")];
    let refused = b.post(&reveal_path, &fields).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.html());
    assert!(!refused.html().contains(&whole));
    assert!(!reveal_logged(&b.page(&audit_path).await));

    // Nobody grants it to themself: the account page says who can.
    let own = scalar(
        &app,
        "SELECT id FROM accounts WHERE username = $1",
        "jiangshan",
    )
    .await;
    let account = b.page(&format!("/accounts/{own}")).await;
    assert!(account.contains("不能给自己授权"), "{account}");
    assert!(!account.contains(r#"name="can_reveal" value="1""#));
    // Granted through the account page's form, by the province's admin (a union above).
    let mut root = Browser::login(&app, "admin").await;
    let account = root.page(&format!("/accounts/{own}")).await;
    assert!(account.contains(&format!(r#"action="/accounts/{own}/reveal""#)));
    assert!(
        account.contains(r#"name="can_reveal" value="1""#),
        "{account}"
    );
    let root_csrf = csrf_of(&account);
    let fields = [("csrf", root_csrf.as_str()), ("can_reveal", "1")];
    let granted = root.post(&format!("/accounts/{own}/reveal"), &fields).await;
    assert_eq!(granted.status, StatusCode::OK, "{}", granted.html());
    assert!(granted.html().contains("已授权"), "{}", granted.html());

    let html = b.page(&page_path).await;
    assert!(html.contains(&format!(r#"action="{reveal_path}""#)));
    assert!(html.contains("查看完整号码"));
    assert!(!html.contains(&whole), "still masked until asked");
    let fields = [("csrf", csrf.as_str()), ("purpose", "办理帮扶")];
    let shown = b.post(&reveal_path, &fields).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.html());
    assert!(
        shown.html().contains(&format!("<strong>{whole}</strong>")),
        "the whole 18-character number: {}",
        shown.html()
    );
    assert!(reveal_logged(&b.page(&audit_path).await));
}

#[tokio::test]
async fn the_audit_page_filters_by_actor_and_day() {
    let app = TestApp::spawn().await;
    // One entry surely by jiangshan, beside the demo data's entries.
    let town = app.login("jiangshan").await;
    let (s, _) = app
        .post(
            &town,
            "/api/v1/members",
            serde_json::json!({"name": "审计页测试", "id_number": crate::support::id_number(7),
                               "org_id": app.org_id("JS-HUARUI").await}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let mut b = Browser::login(&app, "admin").await;

    let html = b.page("/audit").await;
    let all = audit_total(&html);
    assert!(all > 1 && !table_rows(&html).is_empty(), "{html}");

    let html = b.page("/audit?actor=jiangshan").await;
    let rows = table_rows(&html);
    assert!(!rows.is_empty() && audit_total(&html) < all, "{html}");
    assert!(rows.iter().all(|r| r.contains(">jiangshan</a>")), "{html}");

    // Days are Beijing days, taken from the entries themselves so that a test
    // running across midnight still holds.
    let day = |ms: i64| gongjiang::db::format_ms(ms)[..10].to_string();
    let (first, last): (i64, i64) = {
        let r = sqlx::query("SELECT MIN(at), MAX(at) FROM audit_log")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
        (r.get(0), r.get(1))
    };
    const DAY: i64 = 86_400_000;
    let span = format!("/audit?from={}&to={}", day(first), day(last));
    assert_eq!(
        audit_total(&b.page(&span).await),
        all,
        "the days they were written"
    );
    let after = format!("/audit?from={}", day(last + DAY));
    let html = b.page(&after).await;
    assert_eq!((audit_total(&html), table_rows(&html).len()), (0, 0));
    let before = format!("/audit?to={}", day(first - DAY));
    assert_eq!(audit_total(&b.page(&before).await), 0);

    let bad = b.get("/audit?from=2024-13-45").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.html()
            .contains(r#"<p class="error-box">日期“2024-13-45”无效"#),
        "{}",
        bad.html()
    );

    let mut worker = Browser::login(&app, "worker").await;
    let refused = worker.get("/audit").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        refused.html().contains("审计日志仅管理员"),
        "{}",
        refused.html()
    );
}

#[tokio::test]
async fn the_audit_page_reads_in_chinese_with_people_by_name() {
    let app = TestApp::spawn().await;
    let town = app.login("jiangshan").await;
    let (s, m) = app
        .post(
            &town,
            "/api/v1/members",
            serde_json::json!({"name": "审计读者", "id_number": crate::support::id_number(8),
                               "org_id": app.org_id("JS-HUARUI").await}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let id = m["id"].as_i64().unwrap();
    let (s, _) = app
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/members/{id}"),
            Some(&town),
            Some(serde_json::json!({"skill_level": "高级工", "phone": "13905742222"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let mut b = Browser::login(&app, "admin").await;
    // Found by name, not by an internal number.
    let html = b.page("/audit?member_id=审计读者").await;
    let rows = table_rows(&html);
    assert_eq!(rows.len(), 2, "{html}");
    let changed = rows
        .iter()
        .find(|r| r.contains("修改的项目"))
        .expect("the update");
    assert!(
        changed.contains("修改的项目：手机号、技能等级"),
        "{changed}"
    );
    assert!(
        changed.contains(">审计读者</a>") && changed.contains("会员 审计读者"),
        "{changed}"
    );
    for r in &rows {
        assert!(
            !r.contains('#') && !r.contains('{') && !r.contains("\"fields\""),
            "{r}"
        );
        assert!(
            !r.contains("member.update") && !r.contains(">member<"),
            "{r}"
        );
    }
    // Every action is offered by its meaning.
    assert!(html.contains(">批量开通会员账号</option>"), "{html}");
    let unknown = b.get("/audit?member_id=没有这个人").await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unknown.html().contains("没有找到会员“没有这个人”"),
        "{}",
        unknown.html()
    );
    assert!(unknown.html().contains(r#"value="没有这个人""#));
}

#[tokio::test]
async fn the_export_buttons_mask_unless_the_right_is_held() {
    let app = TestApp::spawn().await;
    let org = app.org_id("JS-HUARUI").await;
    let exported = || async {
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = $1",
            "member.export",
        )
        .await
    };
    let mut town = Browser::login(&app, "jiangshan").await;

    let r = town
        .get(&format!("/members/export.xlsx?org_id={org}"))
        .await;
    assert_eq!((r.status, r.content_type.as_str()), (StatusCode::OK, XLSX));
    let masked = sheet_rows(r.body);
    let col = masked[0]
        .iter()
        .position(|h| h == "身份证号")
        .expect("身份证号 column");
    assert!(masked.len() > 1, "the union has members");
    assert!(
        masked[1..].iter().all(|r| r[col].contains("**********")),
        "{masked:?}"
    );
    assert_eq!(exported().await, 1, "an export is audited");

    let r = town
        .get(&format!("/members/export.xlsx?org_id={org}&reveal=1"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.content_type.starts_with("text/html"));
    assert!(r.html().contains("单独授权"), "{}", r.html());
    assert_eq!(exported().await, 1, "a refused export is not one");

    // The same rows in the same order, each number whole and matching its mask.
    let mut admin = Browser::login(&app, "admin").await;
    let r = admin
        .get(&format!("/members/export.xlsx?org_id={org}&reveal=1"))
        .await;
    assert_eq!((r.status, r.content_type.as_str()), (StatusCode::OK, XLSX));
    let whole = sheet_rows(r.body);
    assert_eq!(whole.len(), masked.len());
    for (w, m) in whole[1..].iter().zip(&masked[1..]) {
        assert_eq!(w[col].len(), 18, "{w:?}");
        assert_eq!(gongjiang::pii::idnumber::mask_id_number(&w[col]), m[col]);
    }

    let r = town.get("/members/template.xlsx").await;
    assert_eq!((r.status, r.content_type.as_str()), (StatusCode::OK, XLSX));
    let template = sheet_rows(r.body);
    assert!(
        template[0].contains(&"身份证号".to_string()),
        "{:?}",
        template[0]
    );
}
