//! `/api/v1/session` (tokens), `/api/v1/me` and `/api/v1/accounts`: read the
//! request, call an operation, answer.

use super::ops::{self, CreateBody, PatchBody};
use super::store::{self, Account};
use super::{session, ApiCaller, ClientAddr, Role};
use crate::state::AppState;
use crate::web::api::{Page, ReadErrors, WriteErrors};
use crate::web::error::AppResult;
use crate::web::ApiJson;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login, logout))
        .routes(routes!(me))
        .routes(routes!(list, create))
        .routes(routes!(show, update))
        .routes(routes!(bulk))
        .routes(routes!(activate))
}

/// Opens member accounts for a union's subtree (or the members named) in
/// one action: the login is each member's phone, with a one-time activation
/// code shown only in this answer; members without a usable phone are listed.
#[utoipa::path(post, path = "/api/v1/accounts/bulk", operation_id = "create_member_accounts", tag = "accounts",
    request_body = super::activation::ops::BulkBody,
    responses((status = 200, description = "accounts opened and members skipped", body = super::activation::ops::BulkResult), WriteErrors))]
async fn bulk(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(b): ApiJson<super::activation::ops::BulkBody>,
) -> AppResult<Json<super::activation::ops::BulkResult>> {
    Ok(Json(super::activation::ops::bulk(&s, &c, &b).await?))
}

/// A worker activates their account: phone, a new password, and the code or
/// name + ID number as on the roster; answers a bearer token. Rate-limited
/// like the login; a wrong combination does not say which field was wrong.
#[utoipa::path(post, path = "/api/v1/activation", operation_id = "activate_account", tag = "session", security(()),
    request_body = super::activation::ops::ActivationBody,
    responses((status = 200, description = "activated and signed in", body = Token), WriteErrors))]
async fn activate(
    State(s): State<AppState>,
    ClientAddr(addr): ClientAddr,
    ApiJson(b): ApiJson<super::activation::ops::ActivationBody>,
) -> AppResult<Json<Token>> {
    let id = super::activation::ops::activate(&s, &b, &addr).await?;
    let token = session::create(&s.db, id, session::API).await?;
    Ok(Json(Token {
        token,
        token_type: "Bearer",
        expires_in: session::API_TTL_MS / 1000,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct LoginBody {
    #[schema(max_length = 64)]
    username: String,
    #[schema(max_length = 128)]
    password: String,
}

/// A bearer token for the API.
#[derive(Serialize, utoipa::ToSchema)]
struct Token {
    token: String,
    /// Always `Bearer`.
    token_type: &'static str,
    /// Seconds until it expires.
    expires_in: i64,
}

/// Logs in; returns a bearer token.
#[utoipa::path(post, path = "/api/v1/session", operation_id = "login", tag = "session", security(()),
    request_body = LoginBody,
    responses((status = 200, description = "signed in", body = Token), WriteErrors))]
async fn login(
    State(s): State<AppState>,
    ClientAddr(addr): ClientAddr,
    ApiJson(b): ApiJson<LoginBody>,
) -> AppResult<Json<Token>> {
    let id =
        store::authenticate(&s.db, &s.keys, &s.limiter, &b.username, &b.password, &addr).await?;
    let token = session::create(&s.db, id, session::API).await?;
    Ok(Json(Token {
        token,
        token_type: "Bearer",
        expires_in: session::API_TTL_MS / 1000,
    }))
}

/// Logs out (revokes the token).
#[utoipa::path(delete, path = "/api/v1/session", operation_id = "logout", tag = "session",
    responses((status = 204, description = "revoked"), ReadErrors))]
async fn logout(
    State(s): State<AppState>,
    headers: HeaderMap,
    ApiCaller(_c): ApiCaller,
) -> AppResult<StatusCode> {
    if let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        session::revoke(&s.db, token.trim()).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// One role of the caller, at one union.
#[derive(Serialize, utoipa::ToSchema)]
struct MyRole {
    #[schema(value_type = String)]
    role: Role,
    org_id: i64,
    org_name: String,
}

/// The caller.
#[derive(Serialize, utoipa::ToSchema)]
struct Me {
    account_id: i64,
    username: String,
    member_id: Option<i64>,
    assignments: Vec<MyRole>,
}

/// The caller and its roles.
#[utoipa::path(get, path = "/api/v1/me", operation_id = "me", tag = "session",
    responses((status = 200, description = "the caller", body = Me), ReadErrors))]
async fn me(ApiCaller(c): ApiCaller) -> Json<Me> {
    Json(Me {
        account_id: c.account_id,
        username: c.username.clone(),
        member_id: c.member_id,
        assignments: c
            .assignments
            .iter()
            .map(|a| MyRole {
                role: a.role,
                org_id: a.org_id,
                org_name: a.org_name.clone(),
            })
            .collect(),
    })
}

/// Accounts whose every role lies in the caller's subtree (admins).
#[utoipa::path(get, path = "/api/v1/accounts", operation_id = "list_accounts", tag = "accounts",
    responses((status = 200, description = "the accounts", body = Page<Account>), ReadErrors))]
async fn list(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
) -> AppResult<Json<Page<Account>>> {
    Ok(Json(Page::all(ops::list(&s, &c).await?)))
}

#[utoipa::path(get, path = "/api/v1/accounts/{id}", operation_id = "get_account", tag = "accounts",
    params(("id" = i64, Path, description = "account id")),
    responses((status = 200, description = "the account", body = Account), ReadErrors))]
async fn show(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<Json<Account>> {
    Ok(Json(ops::get(&s, &c, id).await?))
}

#[utoipa::path(post, path = "/api/v1/accounts", operation_id = "create_account", tag = "accounts",
    request_body = CreateBody,
    responses((status = 201, description = "created", body = Account), WriteErrors))]
async fn create(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(b): ApiJson<CreateBody>,
) -> AppResult<(StatusCode, Json<Account>)> {
    Ok((StatusCode::CREATED, Json(ops::create(&s, &c, &b).await?)))
}

/// Sets a password, disables or enables, grants or withdraws the reveal right.
#[utoipa::path(patch, path = "/api/v1/accounts/{id}", operation_id = "update_account", tag = "accounts",
    request_body = PatchBody, params(("id" = i64, Path, description = "account id")),
    responses((status = 200, description = "the account as it is now", body = Account), WriteErrors))]
async fn update(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ClientAddr(addr): ClientAddr,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<PatchBody>,
) -> AppResult<Json<Account>> {
    Ok(Json(ops::update(&s, &c, &addr, id, &b).await?))
}
