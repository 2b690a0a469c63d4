//! Login, logout, one's own password, and the accounts console.

use super::store;
use super::{session, session_cookie, ClientAddr, PageCaller, Right, Role, SESSION_COOKIE};
use crate::audit::Actor;
use crate::state::AppState;
use crate::web::error::AppError;
use crate::web::pages::{render, render_with, OrPage, PageResult};
use crate::web::{constant_time_eq, form, FormErrors, Nav, PageForm};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login_submit))
        .route("/m/activate", get(activate_page).post(activate_submit))
        .route("/logout", post(logout))
        .route("/password", get(password_page).post(password_submit))
        .route("/accounts", get(accounts_page).post(account_create))
        .route("/accounts/bulk", post(accounts_bulk))
        .route("/accounts/{id}", get(account_page))
        .route("/accounts/{id}/password", post(account_password))
        .route("/accounts/{id}/disabled", post(account_disabled))
        .route("/accounts/{id}/reveal", post(account_reveal))
}

const LOGIN_CSRF_COOKIE: &str = "gj_login_csrf";
const ACTIVATE_CSRF_COOKIE: &str = "gj_activate_csrf";

async fn home(PageCaller(c): PageCaller) -> Redirect {
    match (c.can(Right::Read), c.member_id) {
        // A worker's home is the phone pages.
        (false, Some(_)) => Redirect::to("/m"),
        _ => Redirect::to("/dashboard"),
    }
}

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    nav: Option<Nav>,
    username: String,
    next: String,
    csrf: String,
    error: String,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if super::rules::is_local_path(n) => n.to_string(),
        _ => "/".into(),
    }
}

fn login_form(
    status: StatusCode,
    username: &str,
    next: &str,
    error: &str,
    secure: bool,
) -> Response {
    // Before there is a session, the form is protected by a double-submit cookie.
    let csrf = session::random_token();
    let page = LoginPage {
        nav: None,
        username: username.into(),
        next: next.into(),
        csrf: csrf.clone(),
        error: error.into(),
    };
    let mut resp = render_with(status, &page);
    let secure = if secure { "; Secure" } else { "" };
    if let Ok(v) =
        format!("{LOGIN_CSRF_COOKIE}={csrf}; Path=/login; HttpOnly; SameSite=Strict{secure}")
            .parse()
    {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

async fn login_page(State(s): State<AppState>, Query(q): Query<NextQuery>) -> Response {
    login_form(
        StatusCode::OK,
        "",
        &safe_next(q.next.as_deref()),
        "",
        s.behind_https,
    )
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
    #[serde(default)]
    csrf: String,
}

async fn login_submit(
    State(s): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let next = safe_next(f.next.as_deref());
    let cookie_csrf = cookie_of(&headers, LOGIN_CSRF_COOKIE);
    if f.csrf.is_empty() || !constant_time_eq(f.csrf.as_bytes(), cookie_csrf.as_bytes()) {
        return login_form(
            StatusCode::FORBIDDEN,
            &f.username,
            &next,
            "登录页面已过期，请重新输入",
            s.behind_https,
        );
    }
    match store::authenticate(&s.db, &s.keys, &s.limiter, &f.username, &f.password, &addr).await {
        Ok(id) => match session::create(&s.db, id, session::WEB).await {
            Ok(token) => {
                let mut resp = Redirect::to(&next).into_response();
                let cookie = session_cookie(&token, session::WEB_TTL_MS / 1000, s.behind_https);
                if let Ok(v) = cookie.parse() {
                    resp.headers_mut().append(header::SET_COOKIE, v);
                }
                resp
            }
            Err(e) => crate::web::pages::error_page(None, &e.into()),
        },
        Err(e) => {
            let status = e.status();
            login_form(status, &f.username, &next, &e.to_string(), s.behind_https)
        }
    }
}

#[derive(Deserialize)]
struct Empty {}

async fn logout(State(s): State<AppState>, headers: HeaderMap, form: PageForm<Empty>) -> Response {
    let _ = form.form;
    let token = super::extract::cookie_in(&headers, SESSION_COOKIE);
    if let Some(t) = token {
        if let Err(e) = session::revoke(&s.db, &t).await {
            tracing::error!("logout: {e}");
        }
    }
    let mut resp = Redirect::to("/login").into_response();
    if let Ok(v) = session_cookie("", 0, s.behind_https).parse() {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

#[derive(Template)]
#[template(path = "auth/password.html")]
struct PasswordPage {
    nav: Option<Nav>,
    errors: FormErrors,
}

async fn password_page(PageCaller(c): PageCaller) -> Response {
    render(&PasswordPage {
        nav: Some(Nav::new(&c, "")),
        errors: FormErrors::default(),
    })
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm: String,
}

async fn password_submit(
    State(s): State<AppState>,
    ClientAddr(addr): ClientAddr,
    PageForm { caller: c, form: f }: PageForm<PasswordForm>,
) -> PageResult {
    let result = async {
        if f.new_password != f.confirm {
            return Err(AppError::invalid("confirm", "两次输入的新密码不一致"));
        }
        store::authenticate(&s.db, &s.keys, &s.limiter, &c.login, &f.current, &addr)
            .await
            .map_err(|e| match e {
                AppError::LoginFailed => AppError::invalid("current", "当前密码不正确"),
                other => other,
            })?;
        store::set_password(&s.db, &Actor::of(&c), c.account_id, &f.new_password)
            .await
            .map_err(|e| match e {
                AppError::Invalid(mut v) => {
                    v.iter_mut().for_each(|e| e.field = "new_password".into());
                    AppError::Invalid(v)
                }
                other => other,
            })
    }
    .await;
    form::finish(
        &c,
        result,
        // Changing the password ended every session, this one included.
        |()| form::see("/login"),
        |e| {
            let page = PasswordPage {
                nav: Some(Nav::new(&c, "")),
                errors: FormErrors::from_error(&e),
            };
            std::future::ready(Ok(render_with(e.status(), &page)))
        },
    )
    .await
}

#[derive(Default)]
struct AccountFormValues {
    username: String,
    role: String,
    org_id: i64,
    member_id: String,
}

#[derive(Template)]
#[template(path = "auth/accounts.html")]
struct AccountsPage {
    nav: Option<Nav>,
    accounts: Vec<store::Account>,
    orgs: Vec<crate::web::org_picker::OrgOption>,
    roles: Vec<(&'static str, &'static str)>,
    form: AccountFormValues,
    errors: FormErrors,
}

fn roles() -> Vec<(&'static str, &'static str)> {
    Role::ALL.iter().map(|r| (r.as_str(), r.label())).collect()
}

async fn accounts_view(
    s: &AppState,
    c: &super::Caller,
    form: AccountFormValues,
    errors: FormErrors,
    status: StatusCode,
) -> PageResult {
    if !c.can(Right::Accounts) {
        return Err(AppError::forbidden()).or_page(c);
    }
    let scope = c.scope(Right::Accounts);
    let accounts = store::list(&s.db, &scope).await.or_page(c)?;
    let orgs = crate::web::org_picker::org_options(s, &scope)
        .await
        .or_page(c)?;
    Ok(render_with(
        status,
        &AccountsPage {
            nav: Some(Nav::new(c, "accounts")),
            accounts,
            orgs,
            roles: roles(),
            form,
            errors,
        },
    ))
}

async fn accounts_page(State(s): State<AppState>, PageCaller(c): PageCaller) -> PageResult {
    let form = AccountFormValues {
        role: "officer".into(),
        ..Default::default()
    };
    accounts_view(&s, &c, form, FormErrors::default(), StatusCode::OK).await
}

#[derive(Deserialize)]
struct AccountForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    role: String,
    org_id: Option<String>,
    member_id: Option<String>,
}

async fn account_create(
    State(s): State<AppState>,
    PageForm { caller: c, form: f }: PageForm<AccountForm>,
) -> PageResult {
    let org_id = f
        .org_id
        .as_deref()
        .and_then(|v| v.trim().parse::<i64>().ok());
    let member_id_text = f.member_id.clone().unwrap_or_default();
    // The member as staff name them: picked from the type-ahead, a name, a card number.
    let member_id = match member_id_text.trim() {
        "" => Ok(None),
        v => crate::member::store::resolve(
            &s.db,
            &s.keys,
            &crate::audit::Actor::of(&c),
            &c.scope(Right::Accounts),
            v,
            "member_id",
        )
        .await
        .map(|m| Some(m.id)),
    };
    let result = match member_id {
        Ok(mid) => {
            super::ops::create_account(&s, &c, &f.username, &f.password, &f.role, org_id, mid).await
        }
        Err(e) => Err(e),
    };
    let (s, c) = (&s, &c);
    form::finish(
        c,
        result,
        |id| form::see(format!("/accounts/{id}")),
        |e| async move {
            let form = AccountFormValues {
                username: f.username,
                role: f.role,
                org_id: org_id.unwrap_or(0),
                member_id: member_id_text,
            };
            accounts_view(s, c, form, FormErrors::from_error(&e), e.status()).await
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "auth/account.html")]
struct AccountPage {
    nav: Option<Nav>,
    account: store::Account,
    errors: FormErrors,
    notice: String,
    is_self: bool,
}

async fn account_view(
    s: &AppState,
    c: &super::Caller,
    id: i64,
    errors: FormErrors,
    notice: &str,
    status: StatusCode,
) -> PageResult {
    if !c.can(Right::Accounts) {
        return Err(AppError::forbidden()).or_page(c);
    }
    let account = store::get(&s.db, &c.scope(Right::Accounts), id)
        .await
        .or_page(c)?;
    Ok(render_with(
        status,
        &AccountPage {
            nav: Some(Nav::new(c, "accounts")),
            account,
            errors,
            notice: notice.into(),
            is_self: id == c.account_id,
        },
    ))
}

async fn account_page(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Path(id): Path<i64>,
) -> PageResult {
    account_view(&s, &c, id, FormErrors::default(), "", StatusCode::OK).await
}

#[derive(Deserialize)]
struct ResetForm {
    #[serde(default)]
    password: String,
}

async fn account_password(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    PageForm { caller: c, form: f }: PageForm<ResetForm>,
) -> PageResult {
    account_view(&s, &c, id, FormErrors::default(), "", StatusCode::OK).await?;
    let result = store::set_password(&s.db, &Actor::of(&c), id, &f.password).await;
    let (s, c) = (&s, &c);
    form::finish(
        c,
        result,
        |()| async move {
            if id == c.account_id {
                return form::see("/login").await;
            }
            let notice = "密码已重置，该账号的所有登录已失效";
            account_view(s, c, id, FormErrors::default(), notice, StatusCode::OK).await
        },
        |e| account_error(s, c, id, e),
    )
    .await
}

/// The account page again with what was wrong with its form.
async fn account_error(s: &AppState, c: &super::Caller, id: i64, e: AppError) -> PageResult {
    account_view(s, c, id, FormErrors::from_error(&e), "", e.status()).await
}

#[derive(Deserialize)]
struct RevealForm {
    #[serde(default)]
    can_reveal: String,
}

async fn account_reveal(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    PageForm { caller: c, form: f }: PageForm<RevealForm>,
) -> PageResult {
    account_view(&s, &c, id, FormErrors::default(), "", StatusCode::OK).await?;
    let account = store::get(&s.db, &c.scope(Right::Accounts), id)
        .await
        .or_page(&c)?;
    let on = f.can_reveal == "1";
    let result = super::ops::set_reveal(&s, &c, &account, on).await;
    let (s, c) = (&s, &c);
    form::finish(
        c,
        result,
        |outcome| async move {
            use super::ops::RevealOutcome;
            let notice = match outcome {
                RevealOutcome::Granted => {
                    "已授予查看完整身份证号和手机号的权限（每次查看都会记录）"
                }
                RevealOutcome::Requested => {
                    "已提交授权申请：需本工会另一位管理员确认，或由上级工会管理员授予"
                }
                RevealOutcome::Revoked => "已收回查看完整证件号的权限",
            };
            account_view(s, c, id, FormErrors::default(), notice, StatusCode::OK).await
        },
        |e| account_error(s, c, id, e),
    )
    .await
}

#[derive(Deserialize)]
struct DisabledForm {
    #[serde(default)]
    disabled: String,
}

async fn account_disabled(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    PageForm { caller: c, form: f }: PageForm<DisabledForm>,
) -> PageResult {
    account_view(&s, &c, id, FormErrors::default(), "", StatusCode::OK).await?;
    let disable = f.disabled == "1";
    let result = if disable && id == c.account_id {
        Err(AppError::invalid("disabled", "不能停用自己的账号"))
    } else {
        store::set_disabled(&s.db, &Actor::of(&c), id, disable).await
    };
    let (s, c) = (&s, &c);
    form::finish(
        c,
        result,
        |()| {
            let notice = if disable {
                "账号已停用，其登录已全部失效"
            } else {
                "账号已启用"
            };
            account_view(s, c, id, FormErrors::default(), notice, StatusCode::OK)
        },
        |e| account_error(s, c, id, e),
    )
    .await
}

/// A cookie of the request (the double-submit token of a form before login).
fn cookie_of(headers: &HeaderMap, name: &str) -> String {
    super::extract::cookie_in(headers, name).unwrap_or_default()
}

#[derive(Template)]
#[template(path = "auth/activate.html")]
struct ActivatePage {
    nav: Option<Nav>,
    csrf: String,
    phone: String,
    way: String,
    code: String,
    name: String,
    error: String,
}

#[derive(Deserialize, Default)]
struct ActivateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    way: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password2: String,
}

/// The activation form again, with what was typed (never the ID number or
/// the password) and a fresh double-submit cookie.
fn activate_form(status: StatusCode, f: &ActivateForm, error: &str, secure: bool) -> Response {
    let csrf = session::random_token();
    let page = ActivatePage {
        nav: None,
        csrf: csrf.clone(),
        phone: f.phone.clone(),
        way: f.way.clone(),
        code: f.code.clone(),
        name: f.name.clone(),
        error: error.into(),
    };
    let mut resp = render_with(status, &page);
    let secure = if secure { "; Secure" } else { "" };
    if let Ok(v) = format!(
        "{ACTIVATE_CSRF_COOKIE}={csrf}; Path=/m/activate; HttpOnly; SameSite=Strict{secure}"
    )
    .parse()
    {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

async fn activate_page(State(s): State<AppState>) -> Response {
    activate_form(StatusCode::OK, &ActivateForm::default(), "", s.behind_https)
}

async fn activate_submit(
    State(s): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Form(f): Form<ActivateForm>,
) -> Response {
    let cookie_csrf = cookie_of(&headers, ACTIVATE_CSRF_COOKIE);
    if f.csrf.is_empty() || !constant_time_eq(f.csrf.as_bytes(), cookie_csrf.as_bytes()) {
        return activate_form(
            StatusCode::FORBIDDEN,
            &f,
            "页面已过期，请重新输入",
            s.behind_https,
        );
    }
    if f.password != f.password2 {
        return activate_form(
            StatusCode::UNPROCESSABLE_ENTITY,
            &f,
            "两次输入的密码不一致",
            s.behind_https,
        );
    }
    let by_code = f.way != "id";
    let body = super::activation::ops::ActivationBody {
        phone: f.phone.clone(),
        password: f.password.clone(),
        code: by_code.then(|| f.code.clone()),
        name: (!by_code).then(|| f.name.clone()),
        id_number: (!by_code).then(|| f.id_number.clone()),
    };
    let activated = super::activation::ops::activate(&s, &body, &addr).await;
    let signed_in = match activated {
        Ok(id) => session::create(&s.db, id, session::WEB)
            .await
            .map_err(AppError::from),
        Err(e) => Err(e),
    };
    match signed_in {
        Ok(token) => {
            let mut resp = Redirect::to("/m").into_response();
            let cookie = session_cookie(&token, session::WEB_TTL_MS / 1000, s.behind_https);
            if let Ok(v) = cookie.parse() {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
            resp
        }
        Err(e) if e.is_form_error() || matches!(e, AppError::TooManyRequests { .. }) => {
            activate_form(e.status(), &f, &e.form_message(), s.behind_https)
        }
        Err(e) => crate::web::pages::error_page(None, &e),
    }
}

#[derive(Deserialize)]
struct BulkForm {
    org_id: Option<String>,
    /// xlsx (the sheet of codes) or slips (a page to print, with a QR code).
    #[serde(default)]
    output: String,
}

#[derive(Template)]
#[template(path = "auth/slips.html")]
struct SlipsPage {
    nav: Option<Nav>,
    result: super::activation::ops::BulkResult,
    url: String,
    qr_svg: String,
}

/// Opens accounts for the members of a subtree and hands out their codes at
/// once, as a workbook or as slips to print (the codes are shown only now).
async fn accounts_bulk(
    State(s): State<AppState>,
    headers: HeaderMap,
    PageForm { caller: c, form: f }: PageForm<BulkForm>,
) -> PageResult {
    let org_id = f
        .org_id
        .as_deref()
        .and_then(|v| v.trim().parse::<i64>().ok());
    let body = super::activation::ops::BulkBody {
        org_id,
        member_ids: None,
    };
    let result = super::activation::ops::bulk(&s, &c, &body).await;
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1:8080")
        .to_string();
    let url = format!("http://{host}/m/activate");
    let (s, c) = (&s, &c);
    form::finish(
        c,
        result,
        |r| {
            let page = if f.output == "slips" {
                let qr_svg = qrcode::QrCode::new(url.as_bytes())
                    .map(|q| {
                        q.render::<qrcode::render::svg::Color>()
                            .min_dimensions(96, 96)
                            .build()
                    })
                    .unwrap_or_default();
                Ok(render(&SlipsPage {
                    nav: Some(Nav::new(c, "accounts")),
                    result: r,
                    url,
                    qr_svg,
                }))
            } else {
                super::activation::ops::codes_workbook(&r, &url)
                    .map(|bytes| crate::web::files::xlsx_response(bytes, "会员账号激活码.xlsx"))
                    .map_err(AppError::from)
                    .or_page(c)
            };
            std::future::ready(page)
        },
        |e| async move {
            let form = AccountFormValues {
                role: "officer".into(),
                ..Default::default()
            };
            accounts_view(s, c, form, FormErrors::from_error(&e), e.status()).await
        },
    )
    .await
}
