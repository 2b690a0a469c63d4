//! Accounts, sessions and tokens, roles, and the subtree scope.

pub mod api;
pub mod checks;
pub mod console;
pub mod limit;
pub mod ops;
pub mod password;
pub mod rules;
pub mod scope;
pub mod session;
pub mod store;

pub use scope::{Access, Right, Role, Scope};

use crate::state::AppState;
use crate::web::error::AppError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

#[derive(Debug, Clone)]
pub struct Assignment {
    pub role: Role,
    pub org_id: i64,
    pub org_path: String,
    pub org_name: String,
}

/// The account behind a request, with its assignments.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account_id: i64,
    pub username: String,
    pub member_id: Option<i64>,
    pub assignments: Vec<Assignment>,
    pub csrf: String,
}

impl Caller {
    /// The subtrees (and own record) where this caller holds `right`.
    pub fn scope(&self, right: Right) -> Scope {
        let paths = self
            .assignments
            .iter()
            .filter(|a| a.role.grants(right))
            .map(|a| a.org_path.clone())
            .collect();
        let own = if right == Right::Read && self.assignments.iter().any(|a| a.role == Role::Member)
        {
            self.member_id
        } else {
            None
        };
        Scope::new(paths, own)
    }

    /// What this caller sees, and where it holds `right`: the pair a store
    /// function that changes a scoped record decides 404 or 403 from.
    pub fn access(&self, right: Right) -> Access {
        Access {
            see: self.scope(Right::Read),
            change: self.scope(right),
        }
    }

    /// Holds `right` somewhere (for showing buttons and choosing 403 over 404).
    pub fn can(&self, right: Right) -> bool {
        self.assignments.iter().any(|a| a.role.grants(right))
    }

    pub fn roles_label(&self) -> String {
        self.assignments
            .iter()
            .map(|a| format!("{}·{}", a.org_name, a.role.label()))
            .collect::<Vec<_>>()
            .join("，")
    }

    /// The organisation to start a console view from: the first staff assignment.
    pub fn home_org(&self) -> Option<i64> {
        self.assignments
            .iter()
            .find(|a| a.role != Role::Member)
            .map(|a| a.org_id)
    }
}

/// A caller authenticated by `Authorization: Bearer <token>`.
pub struct ApiCaller(pub Caller);

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or(AppError::Unauthorized)?;
        match session::load(&state.db, token, session::API).await? {
            Some(c) => Ok(ApiCaller(c)),
            None => Err(AppError::Unauthorized),
        }
    }
}

/// The client's address for login throttling: the peer, or behind an HTTPS
/// proxy (`--behind-https`) the address the proxy appended to `X-Forwarded-For`.
pub struct ClientAddr(pub String);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_default();
        if state.behind_https {
            let forwarded = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect::<Vec<_>>()
                .join(",")
                .rsplit(',')
                .map(str::trim)
                .find(|v| !v.is_empty())
                .map(str::to_string);
            if let Some(addr) = forwarded {
                return Ok(ClientAddr(addr));
            }
        }
        Ok(ClientAddr(peer))
    }
}

pub const SESSION_COOKIE: &str = "gj_session";

/// The session cookie: HttpOnly, SameSite, and `Secure` behind HTTPS.
pub fn session_cookie(token: &str, max_age_secs: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
    )
}

pub fn cookie_value(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

/// A caller authenticated by the session cookie; without one, pages send
/// the browser to the login page.
pub struct PageCaller(pub Caller);

pub struct LoginRedirect(String);

impl IntoResponse for LoginRedirect {
    fn into_response(self) -> Response {
        Redirect::to(&format!("/login?next={}", self.0)).into_response()
    }
}

impl FromRequestParts<AppState> for PageCaller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        if let Some(c) = parts.extensions.get::<Caller>() {
            return Ok(PageCaller(c.clone()));
        }
        let next = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let next = if rules::is_local_path(next) {
            next
        } else {
            "/"
        };
        let encoded: String = form_urlencode(next);
        let Some(token) = cookie_value(parts, SESSION_COOKIE) else {
            return Err(LoginRedirect(encoded).into_response());
        };
        match session::load(&state.db, &token, session::WEB).await {
            Ok(Some(c)) => {
                parts.extensions.insert(c.clone());
                Ok(PageCaller(c))
            }
            Ok(None) => Err(LoginRedirect(encoded).into_response()),
            Err(e) => {
                tracing::error!("session lookup failed: {e:#}");
                Err((StatusCode::INTERNAL_SERVER_ERROR, "服务器内部错误").into_response())
            }
        }
    }
}

fn form_urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

use crate::program::{NavItem, Program, Show};

/// Sign-in, one's own password, and accounts.
pub const PROGRAM: Program = Program {
    name: "auth",
    api: api::router,
    pages: console::router,
    console_nav: &[NavItem {
        key: "accounts",
        label: "账号",
        href: "/accounts",
        order: 80,
        show: Show::Holding(Right::Accounts),
    }],
    phone_nav: &[],
    audit_labels: &[
        ("account.create", "新建账号"),
        ("account.password", "设置密码"),
        ("account.disable", "停用账号"),
        ("account.enable", "启用账号"),
        ("account.request_reveal", "申请查看权限"),
        ("account.grant_reveal", "授予查看权限"),
        ("account.revoke_reveal", "收回查看权限"),
    ],
    jobs: &[],
    demo: &[],
};
