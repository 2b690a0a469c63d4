//! How a request says who it is: a bearer token (the API), the session
//! cookie (pages), and the client's address (for login throttling).

use super::caller::Caller;
use super::{rules, session};
use crate::state::AppState;
use crate::web::error::AppError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

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
        match state.sessions.load(&state.db, token, session::API).await? {
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
    cookie_in(&parts.headers, name)
}

/// A cookie of a request's headers.
pub fn cookie_in(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
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
        match state.sessions.load(&state.db, &token, session::WEB).await {
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
