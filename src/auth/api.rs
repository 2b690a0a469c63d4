//! `/api/v1/session` (tokens) and `/api/v1/accounts`.

use super::store::{self, NewAccount};
use super::{session, ApiCaller, Caller, ClientAddr, Right, Role};
use crate::audit::Actor;
use crate::state::AppState;
use crate::web::error::{AppError, AppResult};
use crate::web::ApiJson;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/session", post(login).delete(logout))
        .route("/api/v1/me", get(me))
        .route("/api/v1/accounts", get(list).post(create))
        .route("/api/v1/accounts/{id}", get(show).patch(update))
}

#[derive(Deserialize)]
struct LoginBody {
    username: String,
    password: String,
}

async fn login(
    State(s): State<AppState>,
    ClientAddr(addr): ClientAddr,
    ApiJson(b): ApiJson<LoginBody>,
) -> AppResult<Json<Value>> {
    let id = store::authenticate(&s.db, &s.limiter, &b.username, &b.password, &addr).await?;
    let token = session::create(&s.db, id, session::API).await?;
    Ok(Json(
        json!({ "token": token, "token_type": "Bearer", "expires_in": session::API_TTL_MS / 1000 }),
    ))
}

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

fn caller_json(c: &Caller) -> Value {
    let assignments: Vec<Value> = c
        .assignments
        .iter()
        .map(|a| json!({ "role": a.role, "org_id": a.org_id, "org_name": a.org_name }))
        .collect();
    json!({ "account_id": c.account_id, "username": c.username, "member_id": c.member_id, "assignments": assignments })
}

async fn me(ApiCaller(c): ApiCaller) -> Json<Value> {
    Json(caller_json(&c))
}

fn require_accounts_right(c: &Caller) -> AppResult<()> {
    if c.can(Right::Accounts) {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

async fn list(State(s): State<AppState>, ApiCaller(c): ApiCaller) -> AppResult<Json<Value>> {
    require_accounts_right(&c)?;
    let items = store::list(&s.db, &c.scope(Right::Accounts)).await?;
    Ok(Json(json!({ "total": items.len(), "items": items })))
}

async fn show(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<Json<store::Account>> {
    require_accounts_right(&c)?;
    Ok(Json(
        store::get(&s.db, &c.scope(Right::Accounts), id).await?,
    ))
}

#[derive(Deserialize)]
pub struct CreateBody {
    username: Option<String>,
    password: Option<String>,
    role: Option<String>,
    org_id: Option<i64>,
    member_id: Option<i64>,
}

/// Checks scope and the member link, then creates the account; shared with the console.
pub async fn create_account(
    s: &AppState,
    c: &Caller,
    username: &str,
    password: &str,
    role: &str,
    org_id: Option<i64>,
    member_id: Option<i64>,
) -> AppResult<i64> {
    require_accounts_right(c)?;
    let (username, role) = store::parse_new(username, password, role)?;
    let mut org_id = org_id;
    if role == Role::Member {
        // A member account is tied to one member record, and lives in that member's organisation.
        let Some(mid) = member_id else {
            return Err(AppError::invalid(
                "member_id",
                "会员账号必须关联会员编号 member_id",
            ));
        };
        let m = crate::member::store::get(&s.db, &s.keys, &c.scope(Right::Accounts), mid).await?;
        org_id = Some(m.org_id);
    } else if let Some(mid) = member_id {
        crate::member::store::get(&s.db, &s.keys, &c.scope(Right::Accounts), mid).await?;
    }
    let Some(org_id) = org_id else {
        return Err(AppError::invalid("org_id", "请指定账号所属组织 org_id"));
    };
    crate::org::store::get(&s.db, &c.scope(Right::Accounts), org_id).await?;
    store::create(
        &s.db,
        &Actor::of(c),
        &NewAccount {
            username,
            password: password.to_string(),
            role,
            org_id,
            member_id,
        },
    )
    .await
}

async fn create(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(b): ApiJson<CreateBody>,
) -> AppResult<(StatusCode, Json<store::Account>)> {
    let id = create_account(
        &s,
        &c,
        b.username.as_deref().unwrap_or(""),
        b.password.as_deref().unwrap_or(""),
        b.role.as_deref().unwrap_or(""),
        b.org_id,
        b.member_id,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(store::get(&s.db, &c.scope(Right::Accounts), id).await?),
    ))
}

#[derive(Deserialize)]
pub struct PatchBody {
    password: Option<String>,
    /// Required when changing one's own password.
    current_password: Option<String>,
    disabled: Option<bool>,
    /// Grant or withdraw the right to reveal whole ID numbers and phones.
    can_reveal: Option<bool>,
}

/// What asking for the reveal right did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevealOutcome {
    Granted,
    /// Waiting for a second admin of the same union.
    Requested,
    Revoked,
}

/// Grants or withdraws the reveal right over the account's own union. An admin
/// of a union above grants at once; an admin of the same union asks, and a
/// second admin there confirms; nobody grants it to themself.
pub async fn set_reveal(
    s: &AppState,
    c: &Caller,
    account: &store::Account,
    on: bool,
) -> AppResult<RevealOutcome> {
    let Some(union) = account
        .assignments
        .iter()
        .find(|a| a.role != Role::Reveal && a.role != Role::Member)
    else {
        return Err(AppError::invalid(
            "can_reveal",
            "会员账号不能授予查看完整证件号的权限",
        ));
    };
    let actor = Actor::of(c);
    if !on {
        store::set_reveal(&s.db, &actor, account.id, union.org_id, false).await?;
        return Ok(RevealOutcome::Revoked);
    }
    let org = crate::org::store::get(&s.db, &c.scope(Right::Accounts), union.org_id).await?;
    let admin_paths: Vec<String> = c
        .assignments
        .iter()
        .filter(|a| a.role == Role::Admin)
        .map(|a| a.org_path.clone())
        .collect();
    use super::rules::{reveal_grant, RevealGrant};
    match reveal_grant(&admin_paths, account.id == c.account_id, &org.path) {
        RevealGrant::SelfGrant => Err(AppError::invalid(
            "can_reveal",
            "不能给自己授予查看完整证件号的权限：请由上级工会的管理员授予，或由本工会另一位管理员确认",
        )),
        RevealGrant::NoRight => Err(AppError::forbidden()),
        RevealGrant::Above => {
            store::set_reveal(&s.db, &actor, account.id, union.org_id, true).await?;
            Ok(RevealOutcome::Granted)
        }
        RevealGrant::SameUnion => {
            if store::confirm_reveal(&s.db, &actor, account.id, union.org_id).await? {
                Ok(RevealOutcome::Granted)
            } else {
                Ok(RevealOutcome::Requested)
            }
        }
    }
}

async fn update(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ClientAddr(addr): ClientAddr,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<PatchBody>,
) -> AppResult<Json<store::Account>> {
    require_accounts_right(&c)?;
    let scope = c.scope(Right::Accounts);
    let account = store::get(&s.db, &scope, id).await?;
    // Every field is checked before anything is written: a refused request changes nothing.
    let mut e = crate::web::error::Errors::default();
    if let Some(p) = &b.password {
        e.take("password", super::password::validate_new(p));
    }
    if b.disabled == Some(true) && id == c.account_id {
        e.add("disabled", "不能停用自己的账号");
    }
    let is_member_account = !account
        .assignments
        .iter()
        .any(|a| a.role != Role::Reveal && a.role != Role::Member);
    if b.can_reveal.is_some() && is_member_account {
        e.add("can_reveal", "会员账号不能授予查看完整证件号的权限");
    }
    if b.can_reveal == Some(true) && id == c.account_id {
        e.add(
            "can_reveal",
            "不能给自己授予查看完整证件号的权限：请由上级工会的管理员授予，或由本工会另一位管理员确认",
        );
    }
    if b.password.is_some() && id == c.account_id && b.current_password.is_none() {
        e.add(
            "current_password",
            "修改自己的密码需要填写当前密码 current_password",
        );
    }
    e.finish()?;
    if let (Some(_), Some(current)) = (&b.password, &b.current_password) {
        if id == c.account_id {
            store::authenticate(&s.db, &s.limiter, &c.username, current, &addr)
                .await
                .map_err(|e| match e {
                    AppError::LoginFailed => {
                        AppError::invalid("current_password", "当前密码不正确")
                    }
                    other => other,
                })?;
        }
    }
    if let Some(on) = b.can_reveal {
        set_reveal(&s, &c, &account, on).await?;
    }
    if let Some(d) = b.disabled {
        store::set_disabled(&s.db, &Actor::of(&c), id, d).await?;
    }
    if let Some(p) = &b.password {
        store::set_password(&s.db, &Actor::of(&c), id, p).await?;
    }
    Ok(Json(store::get(&s.db, &scope, id).await?))
}
