//! What can be done with accounts, for the API and the console alike.

use super::store::{self, NewAccount};
use super::{Caller, Right, Role};
use crate::audit::Actor;
use crate::state::AppState;
use crate::web::error::{AppError, AppResult};
use serde::Deserialize;

pub fn require_accounts_right(c: &Caller) -> AppResult<()> {
    if c.can(Right::Accounts) {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

pub async fn list(s: &AppState, c: &Caller) -> AppResult<Vec<store::Account>> {
    require_accounts_right(c)?;
    store::list(&s.db, &c.scope(Right::Accounts)).await
}

pub async fn get(s: &AppState, c: &Caller, id: i64) -> AppResult<store::Account> {
    require_accounts_right(c)?;
    store::get(&s.db, &c.scope(Right::Accounts), id).await
}

/// A new account with one role at one union (`POST /api/v1/accounts`).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct CreateBody {
    /// 3–32 lowercase letters, digits, `_ . -` (stored in lower case).
    #[serde(default)]
    #[schema(required = true, nullable = false, pattern = r"^[A-Za-z0-9_.-]{3,32}$")]
    pub username: Option<String>,
    /// At least 8 characters.
    #[serde(default)]
    #[schema(required = true, nullable = false, min_length = 8, max_length = 128)]
    pub password: Option<String>,
    #[serde(default)]
    #[schema(required = true, nullable = false, value_type = Option<AccountRole>)]
    pub role: Option<String>,
    /// The union the role covers (the member's own union for a member account).
    #[serde(default)]
    #[schema(nullable = false)]
    pub org_id: Option<i64>,
    /// For a member account: the member it belongs to.
    #[serde(default)]
    #[schema(nullable = false)]
    pub member_id: Option<i64>,
}

/// A role an account is given.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
#[schema(rename_all = "lowercase")]
pub enum AccountRole {
    Admin,
    Officer,
    Viewer,
    Member,
}

/// Creates an account from the API's body.
pub async fn create(s: &AppState, c: &Caller, b: &CreateBody) -> AppResult<store::Account> {
    let id = create_account(
        s,
        c,
        b.username.as_deref().unwrap_or(""),
        b.password.as_deref().unwrap_or(""),
        b.role.as_deref().unwrap_or(""),
        b.org_id,
        b.member_id,
    )
    .await?;
    store::get(&s.db, &c.scope(Right::Accounts), id).await
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
        &s.keys,
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

/// Changes to an account (`PATCH /api/v1/accounts/{id}`).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = AccountPatch)]
pub struct PatchBody {
    /// A new password (ends every session of the account).
    #[serde(default)]
    #[schema(nullable = false, min_length = 8, max_length = 128)]
    pub password: Option<String>,
    /// Required when changing one's own password.
    #[serde(default)]
    #[schema(nullable = false, max_length = 128)]
    pub current_password: Option<String>,
    #[serde(default)]
    #[schema(nullable = false)]
    pub disabled: Option<bool>,
    /// Grant or withdraw the right to reveal whole ID numbers and phones:
    /// granted by an admin of a union above, or asked and confirmed by two
    /// admins of the account's union; never by oneself.
    #[serde(default)]
    #[schema(nullable = false)]
    pub can_reveal: Option<bool>,
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

/// Changes an account: every field is checked before anything is written.
pub async fn update(
    s: &AppState,
    c: &Caller,
    addr: &str,
    id: i64,
    b: &PatchBody,
) -> AppResult<store::Account> {
    require_accounts_right(c)?;
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
            store::authenticate(&s.db, &s.keys, &s.limiter, &c.login, current, addr)
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
        set_reveal(s, c, &account, on).await?;
    }
    if let Some(d) = b.disabled {
        store::set_disabled(&s.db, &Actor::of(c), id, d).await?;
    }
    if let Some(p) = &b.password {
        store::set_password(&s.db, &Actor::of(c), id, p).await?;
    }
    store::get(&s.db, &scope, id).await
}
