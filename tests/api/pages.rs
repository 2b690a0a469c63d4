//! The server-rendered console (zh-CN, no JavaScript needed): login and logout,
//! the pages a town admin works with, the session CSRF token on every form,
//! and what member and viewer accounts may see and do.

use crate::support::{self, TestApp};
use reqwest::StatusCode;
use serde_json::json;
use sqlx::Row;
use std::collections::BTreeMap;

// ---------------------------------------------------------------------------
// A browser without JavaScript, and reading the HTML it gets.
// ---------------------------------------------------------------------------

/// One answer from the app, read completely.
pub(crate) struct Page {
    pub(crate) status: StatusCode,
    pub(crate) location: Option<String>,
    pub(crate) set_cookies: Vec<String>,
    pub(crate) content_type: String,
    pub(crate) html: String,
}

impl Page {
    /// The raw `set-cookie` header that sets `name`, if any.
    fn set_cookie(&self, name: &str) -> Option<&str> {
        self.set_cookies
            .iter()
            .map(String::as_str)
            .find(|c| c.starts_with(&format!("{name}=")))
    }

    fn assert_html(&self, what: &str) {
        assert_eq!(
            self.content_type, "text/html; charset=utf-8",
            "{what}: answered {} with {}",
            self.status, self.content_type
        );
    }
}

/// Keeps cookies by name and sends them back, like a browser would. Paths are
/// ignored: every cookie this app sets is for its own pages, and the tests that
/// need a cookie missing start from a new `Browser`. Redirects are not followed
/// (the shared client is built that way), so each test sees every 303.
pub(crate) struct Browser<'a> {
    app: &'a TestApp,
    cookies: BTreeMap<String, String>,
}

impl<'a> Browser<'a> {
    pub(crate) fn new(app: &'a TestApp) -> Browser<'a> {
        Browser {
            app,
            cookies: BTreeMap::new(),
        }
    }

    /// A new browser signed in through the login form.
    pub(crate) async fn login(app: &'a TestApp, username: &str, password: &str) -> Browser<'a> {
        let mut b = Browser::new(app);
        let form = b.get("/login").await;
        let csrf = csrf_of(&form.html);
        let resp = b
            .post(
                "/login",
                &[
                    ("username", username),
                    ("password", password),
                    ("csrf", &csrf),
                    ("next", "/"),
                ],
            )
            .await;
        assert_eq!(
            resp.status,
            StatusCode::SEE_OTHER,
            "login {username}: {}",
            resp.html
        );
        assert!(
            b.cookies.contains_key("gj_session"),
            "login {username} set no session cookie"
        );
        b
    }

    pub(crate) fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Page {
        let req = if self.cookies.is_empty() {
            req
        } else {
            req.header("cookie", self.cookie_header())
        };
        let resp = req.send().await.expect("request");
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let status = resp.status();
        let location = header("location");
        let content_type = header("content-type").unwrap_or_default();
        let set_cookies: Vec<String> = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_string)
            .collect();
        // Remember what the server set; an empty value or Max-Age=0 deletes.
        for c in &set_cookies {
            let first = c.split(';').next().unwrap_or("");
            let Some((name, value)) = first.split_once('=') else {
                continue;
            };
            if value.is_empty() || c.to_ascii_lowercase().contains("max-age=0") {
                self.cookies.remove(name.trim());
            } else {
                self.cookies
                    .insert(name.trim().to_string(), value.to_string());
            }
        }
        let html = resp.text().await.expect("body");
        Page {
            status,
            location,
            set_cookies,
            content_type,
            html,
        }
    }

    pub(crate) async fn get(&mut self, path: &str) -> Page {
        let req = self.app.client.get(self.app.url(path));
        self.send(req).await
    }

    /// Posts a form as a browser would (application/x-www-form-urlencoded).
    pub(crate) async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let req = self.app.client.post(self.app.url(path)).form(fields);
        self.send(req).await
    }

    /// GETs a console page and asserts it is a 200 HTML page.
    pub(crate) async fn page(&mut self, path: &str) -> Page {
        let p = self.get(path).await;
        assert_eq!(p.status, StatusCode::OK, "GET {path}: {}", p.html);
        p.assert_html(path);
        p
    }
}

/// The text of an attribute value that starts right after `prefix`.
fn value_after<'h>(html: &'h str, prefix: &str) -> Option<&'h str> {
    let start = html.find(prefix)? + prefix.len();
    let len = html[start..].find('"')?;
    Some(&html[start..start + len])
}

/// The CSRF token a page's forms carry in `<input type="hidden" name="csrf" value="...">`.
pub(crate) fn csrf_of(html: &str) -> String {
    let token = value_after(html, r#"name="csrf" value=""#).expect("page has no csrf field");
    assert!(token.len() >= 20, "csrf token too short: {token:?}");
    token.to_string()
}

/// The `value` of the input named `name` (the form templates write `name` then `value`).
fn input_value(html: &str, name: &str) -> Option<String> {
    value_after(html, &format!(r#"name="{name}" value=""#)).map(str::to_string)
}

/// The message in the `field-error` box that follows the input named `name`:
/// an error shown beside its field, not somewhere else on the page.
fn field_error(html: &str, name: &str) -> String {
    let at = html
        .find(&format!(r#"name="{name}""#))
        .unwrap_or_else(|| panic!("no field {name}"));
    let open = r#"<div class="field-error">"#;
    let start = at + html[at..].find(open).expect("no field-error box") + open.len();
    let len = html[start..]
        .find("</div>")
        .expect("unclosed field-error box");
    html[start..start + len].to_string()
}

/// "共 N 人" on the member list.
fn member_total(html: &str) -> i64 {
    let start = html.find("共 ").expect("no total") + "共 ".len();
    let len = html[start..].find(" 人").expect("no total");
    html[start..start + len].parse().expect("total is a number")
}

/// The id at the end of a `/members/{id}` redirect.
fn member_id_from(location: &str) -> i64 {
    let rest = location
        .strip_prefix("/members/")
        .unwrap_or_else(|| panic!("not a member page: {location}"));
    rest.split(['#', '?'])
        .next()
        .unwrap()
        .parse()
        .expect("member id")
}

async fn member_name(app: &TestApp, id: i64) -> String {
    sqlx::query("SELECT name FROM members WHERE id = $1")
        .bind(id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
        .get(0)
}

/// Members in an organisation's subtree, counted straight from the table.
async fn subtree_members(app: &TestApp, code: &str) -> i64 {
    let org = gongjiang::org::store::get_by_code(&app.state.db, code)
        .await
        .unwrap()
        .unwrap();
    sqlx::query(
        "SELECT COUNT(*) FROM members m JOIN orgs o ON o.id = m.org_id WHERE o.path LIKE $1",
    )
    .bind(format!("{}%", org.path))
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap()
    .get(0)
}

/// A complete, valid new-member form for 姜山镇总工会 (the CSRF token is added by each test).
fn new_member_form(org_id: &str, id_number: &str) -> Vec<(&'static str, String)> {
    vec![
        ("name", "测试工匠".into()),
        ("id_number", id_number.into()),
        ("phone", "13957412345".into()),
        ("org_id", org_id.into()),
        ("enterprise_id", String::new()),
        ("ethnicity", "汉族".into()),
        ("education", "技校".into()),
        ("political_status", "群众".into()),
        ("occupation", "数控车工".into()),
        ("skill_level", "高级工".into()),
        ("card_no", "NB-TEST-001".into()),
        ("join_date", "2024-05-01".into()),
        ("is_migrant_worker", "1".into()),
        ("status", "在册".into()),
    ]
}

fn with_csrf<'f>(form: &'f [(&'static str, String)], csrf: &'f str) -> Vec<(&'f str, &'f str)> {
    let mut fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    fields.push(("csrf", csrf));
    fields
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[tokio::test]
async fn login_form_sets_a_protected_session_cookie() {
    let app = TestApp::spawn().await;

    // The form and a double-submit cookie with the same token.
    let mut b = Browser::new(&app);
    let form = b.get("/login").await;
    assert_eq!(form.status, StatusCode::OK);
    form.assert_html("/login");
    assert!(form.html.contains("登录"));
    let csrf = csrf_of(&form.html);
    let cookie = form
        .set_cookie("gj_login_csrf")
        .expect("login page sets gj_login_csrf");
    assert!(
        cookie.starts_with(&format!("gj_login_csrf={csrf};")),
        "cookie {cookie} does not carry the form's token"
    );

    // Right password: a redirect to `next` and a session cookie scripts cannot read.
    let ok = b
        .post(
            "/login",
            &[
                ("username", "jiangshan"),
                ("password", "gongjiang"),
                ("csrf", &csrf),
                ("next", "/members"),
            ],
        )
        .await;
    assert!(
        matches!(ok.status, StatusCode::SEE_OTHER | StatusCode::FOUND),
        "{}: {}",
        ok.status,
        ok.html
    );
    assert_eq!(ok.location.as_deref(), Some("/members"));
    let session = ok.set_cookie("gj_session").expect("gj_session cookie");
    let lower = session.to_ascii_lowercase();
    assert!(lower.contains("httponly"), "{session}");
    assert!(lower.contains("samesite="), "{session}");
    assert!(
        b.page("/members").await.html.contains("jiangshan"),
        "the session signs the browser in"
    );

    // `next` only ever leads back into this site.
    let mut other = Browser::new(&app);
    let csrf = csrf_of(&other.get("/login").await.html);
    let open_redirect = other
        .post(
            "/login",
            &[
                ("username", "jiangshan"),
                ("password", "gongjiang"),
                ("csrf", &csrf),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(open_redirect.location.as_deref(), Some("/"));

    // Wrong password: the form again, with the reason, and no session.
    let mut wrong = Browser::new(&app);
    let csrf = csrf_of(&wrong.get("/login").await.html);
    let denied = wrong
        .post(
            "/login",
            &[
                ("username", "jiangshan"),
                ("password", "wrong-password"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(denied.status, StatusCode::UNAUTHORIZED);
    denied.assert_html("wrong password");
    assert!(denied.html.contains("用户名或密码错误"), "{}", denied.html);
    assert_eq!(
        input_value(&denied.html, "username").as_deref(),
        Some("jiangshan"),
        "typed username kept"
    );
    assert!(denied.set_cookie("gj_session").is_none());

    // A form posted without the login cookie (a cross-site post) is refused before the password is checked.
    let mut page = Browser::new(&app);
    let csrf = csrf_of(&page.get("/login").await.html);
    let mut cross_site = Browser::new(&app);
    let refused = cross_site
        .post(
            "/login",
            &[
                ("username", "jiangshan"),
                ("password", "gongjiang"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.html);
    assert!(
        refused.set_cookie("gj_session").is_none(),
        "no session without the csrf cookie"
    );
    assert!(!cross_site.cookies.contains_key("gj_session"));
}

#[tokio::test]
async fn a_town_admin_browses_the_console() {
    let app = TestApp::spawn().await;
    let mut b = Browser::login(&app, "jiangshan", "gongjiang").await;
    let town = app.org_id("ZJ-NB-YZ-JS").await;
    let town_members = subtree_members(&app, "ZJ-NB-YZ-JS").await;
    assert!(town_members > 0);

    // The union tree: the town and its unions, nothing outside it.
    let orgs = b.page("/orgs").await;
    assert!(orgs.html.contains("组织架构"));
    assert!(orgs.html.contains("姜山镇总工会"));
    assert!(orgs.html.contains("宁波姜山精密机械有限公司工会"));
    assert!(
        !orgs.html.contains("湖州市总工会"),
        "another city's union is out of scope"
    );

    let org = b.page(&format!("/orgs/{town}")).await;
    assert!(org.html.contains("<h1>姜山镇总工会"));
    assert!(org.html.contains("ZJ-NB-YZ-JS"));
    assert!(org.html.contains("直属下级组织"));
    assert!(org.html.contains("浙江一舟电子科技股份有限公司工会"));
    assert!(
        org.html.contains(&format!("{town_members} 人")),
        "member count of the subtree"
    );

    let enterprises = b.page("/enterprises").await;
    assert!(enterprises.html.contains("浙江一舟电子科技股份有限公司"));
    assert!(
        !enterprises.html.contains("攀西钒钛冶炼有限公司"),
        "an enterprise in Sichuan is out of scope"
    );

    let members = b.page("/members").await;
    assert_eq!(member_total(&members.html), town_members);
    assert!(!members.html.contains("湖州市总工会"));

    // Searching by name narrows the list to that person.
    let someone = app.member_of("ZJ-NB-YZ-JS").await;
    let name = member_name(&app, someone).await;
    let found = b.page(&format!("/members?q={name}")).await;
    assert!(
        found
            .html
            .contains(&format!(r#"<a href="/members/{someone}">{name}</a>"#)),
        "{name} not listed"
    );
    assert!(member_total(&found.html) < town_members);
    assert_eq!(
        input_value(&found.html, "q").as_deref(),
        Some(name.as_str()),
        "the search box keeps the query"
    );

    let detail = b.page(&format!("/members/{someone}")).await;
    assert!(detail.html.contains(&format!("<h1>{name}")));
    assert!(detail.html.contains("姜山镇总工会"));
    assert!(detail.html.contains("修改会员信息"), "an admin may edit");
    assert!(detail.html.contains("会籍变动记录"));

    let new_member = b.page("/members/new").await;
    assert!(new_member.html.contains("登记会员"));
    assert!(new_member.html.contains(r#"name="id_number""#));
    assert!(new_member
        .html
        .contains(&format!(r#"<option value="{town}" "#)));

    let new_enterprise = b.page("/enterprises/new").await;
    assert!(new_enterprise.html.contains("登记企业"));
    assert!(new_enterprise.html.contains("统一社会信用代码"));

    // Accounts inside the town only: worker is, admin (province-wide) is not.
    let accounts = b.page("/accounts").await;
    assert!(accounts.html.contains("新建账号"));
    assert!(accounts.html.contains(">jiangshan</a>"));
    assert!(accounts.html.contains(">worker</a>"));
    assert!(!accounts.html.contains(">admin</a>"));
    // Roles read as staff say them, never as codes.
    assert!(accounts.html.contains("·管理员") && accounts.html.contains("·会员"));
    for code in ["·admin", "·officer", "·viewer", "·member", ">officer<"] {
        assert!(!accounts.html.contains(code), "{code}");
    }
    assert!(
        accounts.html.contains(">工作人员</option>") && accounts.html.contains(">只读</option>")
    );

    let password = b.page("/password").await;
    assert!(password.html.contains("修改密码"));
    assert!(password.html.contains(r#"name="current""#));

    // A member of another city is "not found", and its name does not leak.
    let outside = app.member_of("ZJ-HZ").await;
    let outside_name = member_name(&app, outside).await;
    let hidden = b.get(&format!("/members/{outside}")).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    hidden.assert_html("out-of-scope member");
    assert!(hidden.html.contains("未找到"));
    assert!(!hidden.html.contains(&outside_name));

    // Without a cookie, a page sends the browser to log in and come back.
    let mut anonymous = Browser::new(&app);
    let to_login = anonymous.get("/members").await;
    assert_eq!(to_login.status, StatusCode::SEE_OTHER);
    assert_eq!(to_login.location.as_deref(), Some("/login?next=/members"));
    let with_query = anonymous.get("/members?q=x&page=2").await;
    assert_eq!(
        with_query.location.as_deref(),
        Some("/login?next=/members%3Fq%3Dx%26page%3D2")
    );
}

#[tokio::test]
async fn creating_a_member_needs_the_session_csrf_token() {
    let app = TestApp::spawn().await;
    let mut b = Browser::login(&app, "jiangshan", "gongjiang").await;
    let town = app.org_id("ZJ-NB-YZ-JS").await.to_string();
    let csrf = csrf_of(&b.page("/members/new").await.html);
    // The token belongs to the session, not to one page.
    assert_eq!(csrf_of(&b.page("/orgs").await.html), csrf);

    let idn = support::id_number(7);
    let form = new_member_form(&town, &idn);
    let before = app.fingerprint().await;

    // No token, or someone else's token: refused, nothing written.
    let no_token: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = b.post("/members", &no_token).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.html);
    refused.assert_html("POST /members without csrf");
    assert!(refused.html.contains("CSRF"));
    let forged = b
        .post(
            "/members",
            &with_csrf(&form, "not-the-session-token-at-all"),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.fingerprint().await,
        before,
        "a refused form changed data"
    );

    // A bad ID number: the form comes back with the message beside the field, as typed.
    let mut bad = form.clone();
    bad.iter_mut().find(|(k, _)| *k == "id_number").unwrap().1 = "33021219900101".into();
    let invalid = b.post("/members", &with_csrf(&bad, &csrf)).await;
    assert_eq!(
        invalid.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        invalid.html
    );
    invalid.assert_html("invalid member");
    assert!(
        field_error(&invalid.html, "id_number").contains("身份证号应为18位"),
        "{}",
        invalid.html
    );
    assert_eq!(
        field_error(&invalid.html, "name"),
        "",
        "only the wrong field is marked"
    );
    assert_eq!(
        input_value(&invalid.html, "name").as_deref(),
        Some("测试工匠")
    );
    assert_eq!(
        input_value(&invalid.html, "id_number").as_deref(),
        Some("33021219900101")
    );
    assert_eq!(
        input_value(&invalid.html, "occupation").as_deref(),
        Some("数控车工")
    );
    assert_eq!(
        app.fingerprint().await,
        before,
        "an invalid form changed data"
    );

    // Valid: a redirect to the new record, which exists and shows the ID number masked.
    let created = b.post("/members", &with_csrf(&form, &csrf)).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);
    let id = member_id_from(created.location.as_deref().expect("location"));
    let row = sqlx::query("SELECT name, org_id FROM members WHERE id = $1")
        .bind(id)
        .fetch_one(&app.state.db.pool)
        .await
        .expect("the new member is stored");
    assert_eq!(row.get::<String, _>(0), "测试工匠");
    assert_eq!(row.get::<i64, _>(1).to_string(), town);
    let detail = b.page(&format!("/members/{id}")).await;
    assert!(detail.html.contains("<h1>测试工匠"));
    assert!(detail
        .html
        .contains(&gongjiang::pii::idnumber::mask_id_number(&idn)));
    assert!(
        !detail.html.contains(&idn),
        "the full ID number is never shown"
    );
    assert!(
        !detail.html.contains("13957412345"),
        "the full phone is never shown"
    );
}

#[tokio::test]
async fn editing_and_transferring_a_member() {
    let app = TestApp::spawn().await;
    let mut b = Browser::login(&app, "jiangshan", "gongjiang").await;
    let id = app.member_of("ZJ-NB-YZ-JS").await;
    let name = member_name(&app, id).await;
    let detail = b.page(&format!("/members/{id}")).await;
    let csrf = csrf_of(&detail.html);
    assert!(detail.html.contains("没有转会记录"));

    // An invalid phone: 422 with the message beside the phone field, and the record untouched.
    let before = app.fingerprint().await;
    let edit = b
        .post(
            &format!("/members/{id}"),
            &[
                ("csrf", csrf.as_str()),
                ("name", &name),
                ("phone", "12345"),
                ("status", "在册"),
            ],
        )
        .await;
    assert_eq!(
        edit.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        edit.html
    );
    edit.assert_html("invalid edit");
    assert!(
        field_error(&edit.html, "phone").contains("手机号"),
        "{}",
        edit.html
    );
    assert_eq!(
        app.fingerprint().await,
        before,
        "an invalid edit changed data"
    );

    // A transfer to another union of the town: a redirect, then the record shows it.
    let jingmi = app.org_id("JS-JINGMI").await;
    let moved = b
        .post(
            &format!("/members/{id}/transfer"),
            &[
                ("csrf", csrf.as_str()),
                ("to_org_id", &jingmi.to_string()),
                ("reason", "调动至精密机械"),
            ],
        )
        .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.html);
    assert_eq!(moved.location, Some(format!("/members/{id}#transfers")));
    let org_now: i64 = sqlx::query("SELECT org_id FROM members WHERE id = $1")
        .bind(id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
        .get(0);
    assert_eq!(org_now, jingmi);

    let after = b.page(&format!("/members/{id}")).await;
    assert!(after.html.contains("会籍变动记录"));
    assert!(!after.html.contains("没有转会记录"));
    assert!(
        after.html.contains("<td>姜山镇总工会</td><td>宁波姜山精密机械有限公司工会</td><td>调动至精密机械</td><td>jiangshan</td>"),
        "{}",
        after.html
    );
}

#[tokio::test]
async fn a_member_account_sees_only_its_own_record() {
    let app = TestApp::spawn().await;
    let own: i64 = sqlx::query("SELECT member_id FROM accounts WHERE username = 'worker'")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
        .get(0);
    let mut b = Browser::login(&app, "worker", "gongjiang").await;

    let home = b.get("/").await;
    assert_eq!(home.status, StatusCode::SEE_OTHER);
    assert_eq!(
        home.location.as_deref(),
        Some("/m"),
        "a worker's home is the phone pages"
    );
    let list = b.get("/members").await;
    assert_eq!(
        list.location,
        Some(format!("/members/{own}")),
        "the roster is the own record"
    );

    let mine = b.page(&format!("/members/{own}")).await;
    assert!(mine.html.contains(&member_name(&app, own).await));
    assert!(mine.html.contains("我的会员信息"));
    assert!(
        !mine.html.contains("修改会员信息"),
        "a member does not edit the roster"
    );

    // A colleague in the same enterprise union is as hidden as a stranger.
    let colleague: i64 = sqlx::query("SELECT MAX(id) FROM members WHERE org_id = $1")
        .bind(app.org_id("JS-YIZHOU").await)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
        .get(0);
    assert_ne!(colleague, own);
    for other in [colleague, app.member_of("ZJ-HZ").await] {
        let p = b.get(&format!("/members/{other}")).await;
        assert_eq!(p.status, StatusCode::NOT_FOUND, "member {other}");
        p.assert_html("another member");
    }

    let accounts = b.get("/accounts").await;
    assert_eq!(accounts.status, StatusCode::FORBIDDEN);
    accounts.assert_html("/accounts as a member");
    assert!(accounts.html.contains("无权操作"));
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = TestApp::spawn().await;
    let mut b = Browser::login(&app, "jiangshan", "gongjiang").await;
    let old = b.cookies["gj_session"].clone();
    let csrf = csrf_of(&b.page("/members").await.html);

    // Logging out is a form too: without the token it does nothing.
    let refused = b.post("/logout", &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    b.page("/members").await;

    let out = b.post("/logout", &[("csrf", csrf.as_str())]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location.as_deref(), Some("/login"));
    assert!(
        !b.cookies.contains_key("gj_session"),
        "the browser is told to drop the cookie"
    );

    // A copy of the old cookie is worth nothing now.
    let mut stolen = Browser::new(&app);
    stolen.cookies.insert("gj_session".into(), old);
    let p = stolen.get("/members").await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(p.location.as_deref(), Some("/login?next=/members"));
}

#[tokio::test]
async fn a_viewer_cannot_post() {
    let app = TestApp::spawn().await;
    let town = app.org_id("ZJ-NB-YZ-JS").await;
    let token = app.login("jiangshan").await;
    let (status, body) = app
        .post(
            &token,
            "/api/v1/accounts",
            json!({"username": "viewer1", "password": "viewer-pass-1", "role": "viewer", "org_id": town}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let mut b = Browser::login(&app, "viewer1", "viewer-pass-1").await;
    let list = b.page("/members").await;
    assert_eq!(
        member_total(&list.html),
        subtree_members(&app, "ZJ-NB-YZ-JS").await,
        "a viewer reads the town"
    );
    assert!(
        !list.html.contains(r#"href="/members/new"#),
        "no add button for a viewer"
    );
    let csrf = csrf_of(&list.html);

    // Every console form that writes: each must answer 403 with the reason on the
    // page (a bare form without it leaves the user guessing), and change nothing.
    let before = app.fingerprint().await;
    let member = app.member_of("ZJ-NB-YZ-JS").await;
    let name = member_name(&app, member).await;
    let jingmi = app.org_id("JS-JINGMI").await.to_string();
    let credit = support::credit_code(3);
    let new_member = new_member_form(&town.to_string(), &support::id_number(11));
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        ("/members".into(), with_csrf(&new_member, &csrf)),
        (
            format!("/members/{member}"),
            vec![("csrf", &csrf), ("name", &name), ("status", "在册")],
        ),
        (
            format!("/members/{member}/transfer"),
            vec![("csrf", &csrf), ("to_org_id", &jingmi), ("reason", "调动")],
        ),
        (
            "/enterprises".into(),
            vec![
                ("csrf", &csrf),
                ("name", "测试企业有限公司"),
                ("credit_code", &credit),
                ("org_id", &jingmi),
            ],
        ),
        (
            format!("/orgs/{town}/children"),
            vec![
                ("csrf", &csrf),
                ("name", "测试工会"),
                ("code", "JS-TEST"),
                ("kind", "企业工会"),
            ],
        ),
    ];
    let mut unexplained = vec![];
    for (path, fields) in &posts {
        let p = b.post(path, fields).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "POST {path}: {}", p.html);
        p.assert_html(path);
        if !p.html.contains("无权") {
            unexplained.push(path.clone());
        }
    }
    assert_eq!(
        app.fingerprint().await,
        before,
        "a viewer's post changed data"
    );
    assert!(
        unexplained.is_empty(),
        "403 pages without the reason (您的角色无权进行此操作): {unexplained:?}"
    );
}

/// Spending points, cancelling, fulfilling, disabling an account and reversing
/// an entry ask first (issue 10): those forms carry `data-confirm`, which the
/// served `/static/confirm.js` turns into a confirmation step.
#[tokio::test]
async fn actions_that_spend_or_undo_ask_for_confirmation() {
    let app = TestApp::spawn().await;
    let mut b = Browser::login(&app, "admin", "gongjiang").await;
    let (_, accounts) = app.get(&app.login("admin").await, "/api/v1/accounts").await;
    let other = accounts["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["username"] == "jiangshan")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let page = b.page(&format!("/accounts/{other}")).await;
    assert!(
        page.html.contains("data-confirm=\"确定停用这个账号吗？"),
        "{}",
        page.html
    );
    assert!(page
        .html
        .contains("<script src=\"/static/confirm.js\"></script>"));
    let script = b.get("/static/confirm.js").await;
    assert_eq!(script.status, StatusCode::OK);
    assert!(script.html.contains("window.confirm"));
    let mut w = Browser::login(&app, "worker", "gongjiang").await;
    let catalog = w.page("/m/catalog").await;
    for form in catalog
        .html
        .split("<form")
        .filter(|f| f.contains("/redeem\""))
    {
        assert!(form.contains("data-confirm=\"确定用"), "{form}");
    }
    assert!(catalog.html.contains("/static/confirm.js"));
}

/// An unknown console address or a path id that does not parse gets the
/// product's own Chinese error page, never plain text or an empty body (issue 10).
#[tokio::test]
async fn unknown_addresses_and_bad_ids_get_the_chinese_error_page() {
    let app = TestApp::spawn().await;
    let mut b = Browser::login(&app, "jiangshan", "gongjiang").await;
    for (path, status, says) in [
        ("/no-such-page", StatusCode::NOT_FOUND, "没有这个页面"),
        ("/orgs/abc", StatusCode::BAD_REQUEST, "编号应为数字"),
        ("/m/courses/x1", StatusCode::BAD_REQUEST, "编号应为数字"),
    ] {
        let page = b.get(path).await;
        assert_eq!(page.status, status, "{path}");
        assert!(
            page.content_type.starts_with("text/html"),
            "{path}: {}",
            page.content_type
        );
        assert!(page.html.contains(says), "{path}: {}", page.html);
    }
    // The API keeps answering problem+json.
    let resp = app
        .client
        .get(app.url("/api/v1/orgs/abc"))
        .send()
        .await
        .unwrap();
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/problem+json"));
}

/// A rating sent without its stars comes back with the comment as typed and
/// the reason (issue 10: forms keep what was typed after an error).
#[tokio::test]
async fn the_course_rating_keeps_its_comment_after_a_mistake() {
    let app = TestApp::spawn().await;
    let staff = app.login("jiangshan").await;
    let yizhou = app.org_id("JS-YIZHOU").await;
    let (_, course) = app
        .post(
            &staff,
            "/api/v1/courses",
            json!({"org_id": yizhou, "title": "焊接安全", "category": "职业技能"}),
        )
        .await;
    let cid = course["id"].as_i64().unwrap();
    let mut w = Browser::login(&app, "worker", "gongjiang").await;
    let page = w.page(&format!("/m/courses/{cid}")).await;
    let csrf = csrf_of(&page.html);
    let again = w
        .post(
            &format!("/m/courses/{cid}"),
            &[
                ("csrf", &csrf),
                ("rating", ""),
                ("comment", "老师讲得很细，希望多些实操"),
            ],
        )
        .await;
    assert_eq!(
        again.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        again.html
    );
    assert!(again.html.contains("请选择星级"), "{}", again.html);
    assert!(
        again.html.contains("老师讲得很细，希望多些实操"),
        "the comment is kept"
    );
}

/// At city scale the console stays usable: the tree counts its members, a
/// member is picked by typing (never by an internal number), paging jumps,
/// and the bar folds on a phone.
#[tokio::test]
async fn the_tree_counts_members_members_are_picked_by_typing_and_paging_jumps() {
    let app = TestApp::spawn().await;
    let token = app.login("jiangshan").await;
    let town = app.org_id("ZJ-NB-YZ-JS").await;
    let yizhou = app.org_id("JS-YIZHOU").await;
    let mut b = Browser::login(&app, "jiangshan", "gongjiang").await;

    // The tree: each node with its members on the roll, its branch included.
    let tree = b.page("/orgs").await;
    for org in [town, yizhou] {
        let (_, l) = app
            .get(
                &token,
                &format!("/api/v1/members?org_id={org}&status=%E5%9C%A8%E5%86%8C&per_page=1"),
            )
            .await;
        let want = format!(
            r#"<a href="/members?org_id={org}" class="muted">会员 {} 人</a>"#,
            l["total"]
        );
        assert!(tree.html.contains(&want), "{want}\n{}", tree.html);
    }
    assert!(tree.html.contains("查找组织（名称或代码）") && tree.html.contains("/static/tree.js"));

    // The type-ahead offers members by name, as the forms take them.
    let (s, made) = app
        .post(
            &token,
            "/api/v1/members",
            json!({"name": "挑选测试", "id_number": crate::support::id_number(61), "org_id": yizhou, "card_no": "PK-0001"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{made}");
    let id = made["id"].as_i64().unwrap();
    for typed in ["挑选测试", "PK-0001"] {
        let offers = b
            .get(&format!("/members/pick?q={}", urlencoding(typed)))
            .await;
        assert_eq!(offers.status, StatusCode::OK);
        let v: serde_json::Value = serde_json::from_str(&offers.html).unwrap();
        assert_eq!(
            v[0]["value"],
            format!("挑选测试（编号 {id}）"),
            "{typed}: {v}"
        );
        assert!(
            v[0]["label"].as_str().unwrap().contains("卡号 PK-0001"),
            "{v}"
        );
    }
    // What the type-ahead wrote names the member in a form; a card number alone does too.
    let page = b.page("/points").await;
    let csrf = csrf_of(&page.html);
    assert!(
        page.html
            .contains(r#"name="member_id" data-pick="member" value="""#),
        "{}",
        page.html
    );
    for (typed, amount) in [
        (format!("挑选测试（编号 {id}）"), "3"),
        ("PK-0001".to_string(), "4"),
    ] {
        let done = b
            .post(
                "/points/grant",
                &[
                    ("csrf", &csrf),
                    ("member_id", &typed),
                    ("amount", amount),
                    ("reason", "挑选"),
                ],
            )
            .await;
        assert!(
            done.html.contains(&format!("已为 挑选测试 记 {amount} 分")),
            "{}",
            done.html
        );
    }
    // A picked name that is not that member's is refused, and kept in the field.
    let wrong = format!("别人（编号 {id}）");
    let refused = b
        .post(
            "/points/grant",
            &[
                ("csrf", &csrf),
                ("member_id", &wrong),
                ("amount", "1"),
                ("reason", "挑选"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.html.contains("请重新输入姓名并从列表中选择"),
        "{}",
        refused.html
    );
    assert!(refused.html.contains(&format!(r#"value="{wrong}""#)));

    // Paging keeps the filters and can jump.
    let list = b.page(&format!("/members?org_id={town}")).await;
    assert!(
        list.html.contains("跳到第")
            && list.html.contains(&format!(
                r#"<input type="hidden" name="org_id" value="{town}">"#
            )),
        "{}",
        list.html
    );
    let third = b.page(&format!("/members?org_id={town}&page=3")).await;
    assert!(third.html.contains("第 3 / "), "{}", third.html);

    // On a phone the bar folds behind 菜单; no English in the title.
    assert!(list
        .html
        .contains(r#"<label for="menu-toggle" class="menu-button">菜单</label>"#));
    assert!(!list.html.contains("Gongjiang"));
    let css = b.get("/static/app.css").await;
    assert!(
        css.html.contains(".menu-toggle:checked ~ nav") && css.html.contains("overflow-x: auto")
    );
}

fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
