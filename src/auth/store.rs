//! SQL for accounts and their assignments, and the login check.

use super::{limit::LoginLimiter, password, Role, Scope};
use crate::audit::{self, Actor, Event};
use crate::db::sql::Sql;
use crate::db::{now_ms, Db, Tx};
use crate::web::error::{AppError, AppResult, Errors};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccountAssignment {
    #[schema(value_type = String)]
    pub role: Role,
    pub org_id: i64,
    pub org_name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub member_id: Option<i64>,
    /// The member's name, for a member account.
    pub member_name: Option<String>,
    pub disabled: bool,
    pub can_reveal: bool,
    /// An admin of the account's union asked for the reveal right; a second
    /// admin there (or one above) confirms it.
    pub reveal_pending: bool,
    pub assignments: Vec<AccountAssignment>,
}

/// The stored login for what someone typed (a phone as its keyed hash, see
/// `rules::login_key`).
pub fn login_of(keys: &crate::pii::Keyring, typed: &str) -> String {
    super::rules::login_key(typed, |p| {
        keys.lookup_hash(crate::member::store::PHONE_HASH, p)
    })
}

pub fn parse_username(s: &str) -> Result<String, String> {
    let s = s.trim().to_lowercase();
    if !(3..=32).contains(&s.len())
        || !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
    {
        return Err("用户名应为3–32位小写字母、数字、_ . -".into());
    }
    Ok(s)
}

/// Checks a username and password, with rate limiting per username and address.
/// Unknown usernames cost the same time as wrong passwords.
pub async fn authenticate(
    db: &Db,
    keys: &crate::pii::Keyring,
    limiter: &LoginLimiter,
    typed: &str,
    pass: &str,
    addr: &str,
) -> AppResult<i64> {
    let username = login_of(keys, typed);
    let username = username.as_str();
    if let Some(wait) = limiter.check(username, addr) {
        return Err(AppError::TooManyRequests {
            retry_after_secs: wait,
        });
    }
    let row = sqlx::query("SELECT id, password_hash, disabled FROM accounts WHERE username = $1")
        .bind(username)
        .fetch_optional(&db.pool)
        .await?;
    let (id, hash, disabled) = match row {
        Some(r) => (
            r.try_get::<i64, _>(0)?,
            r.try_get::<String, _>(1)?,
            r.try_get::<i64, _>(2)? != 0,
        ),
        None => (-1, password::dummy_hash().to_string(), true),
    };
    let ok = password::verify_async(pass.to_string(), hash).await;
    if !ok || disabled || id < 0 {
        limiter.record_failure(username, addr);
        return Err(AppError::LoginFailed);
    }
    limiter.record_success(username, addr);
    Ok(id)
}

pub struct NewAccount {
    pub username: String,
    pub password: String,
    pub role: Role,
    pub org_id: i64,
    pub member_id: Option<i64>,
}

/// Creates an account with one assignment. The caller has checked the scope.
pub async fn create(
    db: &Db,
    keys: &crate::pii::Keyring,
    actor: &Actor,
    a: &NewAccount,
) -> AppResult<i64> {
    // A phone as the login is kept as its keyed hash, shown masked.
    let login = login_of(keys, &a.username);
    let shown = login
        .starts_with("tel:")
        .then(|| crate::pii::Phone::parse(&a.username).map(|p| p.masked()))
        .and_then(Result::ok);
    let exists = sqlx::query("SELECT id FROM accounts WHERE username = $1")
        .bind(&login)
        .fetch_optional(&db.pool)
        .await?;
    if exists.is_some() {
        return Err(AppError::conflict(
            Some("username"),
            format!("用户名“{}”已被使用", a.username),
        ));
    }
    let hash = password::hash_async(a.password.clone()).await?;
    let now = now_ms();
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query(
        "INSERT INTO accounts (username, password_hash, member_id, disabled, created_at, updated_at, login_shown) \
         VALUES ($1, $2, $3, 0, $4, $4, $5) RETURNING id",
    )
    .bind(&login)
    .bind(hash)
    .bind(a.member_id)
    .bind(now)
    .bind(&shown)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    sqlx::query("INSERT INTO assignments (account_id, role, org_id) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(a.role.as_str())
        .bind(a.org_id)
        .execute(&mut *tx)
        .await?;
    let ev = Event::new("account.create", "account", id)
        .org(a.org_id)
        .detail(
            json!({ "username": shown.as_deref().unwrap_or(&login), "role": a.role.as_str(), "member_id": a.member_id }),
        );
    audit::append(&mut tx, actor, ev).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn id_by_username(
    db: &Db,
    keys: &crate::pii::Keyring,
    username: &str,
) -> AppResult<Option<i64>> {
    let row = sqlx::query("SELECT id FROM accounts WHERE username = $1")
        .bind(login_of(keys, username))
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

/// The organisation an account's audit entries are filed under: its first assignment's.
async fn account_org(tx: &mut Tx, account_id: i64) -> Result<Option<i64>, sqlx::Error> {
    let row =
        sqlx::query("SELECT org_id FROM assignments WHERE account_id = $1 ORDER BY id LIMIT 1")
            .bind(account_id)
            .fetch_optional(&mut **tx)
            .await?;
    row.map(|r| r.try_get(0)).transpose()
}

async fn end_sessions(tx: &mut Tx, account_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE account_id = $1")
        .bind(account_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Sets a new password and ends every session of the account.
pub async fn set_password(
    db: &Db,
    actor: &Actor,
    account_id: i64,
    new_password: &str,
) -> AppResult<()> {
    password::validate_new(new_password).map_err(|m| AppError::invalid("password", m))?;
    let hash = password::hash_async(new_password.to_string()).await?;
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE accounts SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(hash)
        .bind(now_ms())
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
    end_sessions(&mut tx, account_id).await?;
    let mut ev = Event::new("account.password", "account", account_id);
    ev.org_id = account_org(&mut tx, account_id).await?;
    audit::append(&mut tx, actor, ev).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn set_disabled(
    db: &Db,
    actor: &Actor,
    account_id: i64,
    disabled: bool,
) -> AppResult<()> {
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE accounts SET disabled = $1, updated_at = $2 WHERE id = $3")
        .bind(disabled as i64)
        .bind(now_ms())
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
    if disabled {
        end_sessions(&mut tx, account_id).await?;
    }
    let mut ev = Event::new(
        if disabled {
            "account.disable"
        } else {
            "account.enable"
        },
        "account",
        account_id,
    );
    ev.org_id = account_org(&mut tx, account_id).await?;
    audit::append(&mut tx, actor, ev).await?;
    tx.commit().await?;
    Ok(())
}

/// Grants (from above, or the command line) or withdraws the right to reveal ID
/// numbers and phones in `org_id`'s subtree; a withdrawal also drops a pending request.
pub async fn set_reveal(
    db: &Db,
    actor: &Actor,
    account_id: i64,
    org_id: i64,
    on: bool,
) -> AppResult<()> {
    if on {
        return grant_reveal(db, actor, account_id, org_id, json!({ "by": "above" })).await;
    }
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM assignments WHERE account_id = $1 AND role = $2")
        .bind(account_id)
        .bind(Role::Reveal.as_str())
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM reveal_requests WHERE account_id = $1")
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
    let ev = Event::new("account.revoke_reveal", "account", account_id).org(org_id);
    audit::append(&mut tx, actor, ev).await?;
    tx.commit().await?;
    Ok(())
}

/// A same-union admin's step towards granting the reveal right: the first
/// admin's request is kept (and audited); a second, different admin's confirms
/// it and grants. Returns whether the right is now granted.
pub async fn confirm_reveal(
    db: &Db,
    actor: &Actor,
    account_id: i64,
    org_id: i64,
) -> AppResult<bool> {
    let by = actor.account_id.unwrap_or(0);
    let mut tx = db.begin().await?;
    let pending: Option<i64> =
        sqlx::query("SELECT requested_by FROM reveal_requests WHERE account_id = $1")
            .bind(account_id)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
    match pending {
        Some(first) if first != by => {
            sqlx::query("DELETE FROM reveal_requests WHERE account_id = $1")
                .bind(account_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            let ev_detail = json!({ "requested_by": first, "confirmed_by": by });
            grant_reveal(db, actor, account_id, org_id, ev_detail).await?;
            Ok(true)
        }
        Some(_) => Ok(false),
        None => {
            sqlx::query("INSERT INTO reveal_requests (account_id, org_id, requested_by, created_at) VALUES ($1, $2, $3, $4)")
                .bind(account_id)
                .bind(org_id)
                .bind(by)
                .bind(now_ms())
                .execute(&mut *tx)
                .await?;
            let ev = Event::new("account.request_reveal", "account", account_id).org(org_id);
            audit::append(&mut tx, actor, ev).await?;
            tx.commit().await?;
            Ok(false)
        }
    }
}

async fn grant_reveal(
    db: &Db,
    actor: &Actor,
    account_id: i64,
    org_id: i64,
    detail: serde_json::Value,
) -> AppResult<()> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO assignments (account_id, role, org_id) VALUES ($1, $2, $3) \
         ON CONFLICT (account_id, role, org_id) DO NOTHING",
    )
    .bind(account_id)
    .bind(Role::Reveal.as_str())
    .bind(org_id)
    .execute(&mut *tx)
    .await?;
    let ev = Event::new("account.grant_reveal", "account", account_id)
        .org(org_id)
        .detail(detail);
    audit::append(&mut tx, actor, ev).await?;
    tx.commit().await?;
    Ok(())
}

/// Accounts with every assignment inside the scope (an admin does not see, or
/// manage, an account that also holds rights elsewhere).
pub async fn list(db: &Db, scope: &Scope) -> AppResult<Vec<Account>> {
    select(db, scope, None).await
}

pub async fn get(db: &Db, scope: &Scope, id: i64) -> AppResult<Account> {
    select(db, scope, Some(id))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::not_found("账号"))
}

/// The accounts of `list` (only `id` when given), their assignments read in
/// one query beside them.
async fn select(db: &Db, scope: &Scope, id: Option<i64>) -> AppResult<Vec<Account>> {
    let mut sql = Sql::new("");
    let pred = scope.org_predicate(&mut sql, "o.path");
    let only = match id {
        Some(id) => format!(" AND a.id = {}", sql.int(id)),
        None => String::new(),
    };
    let visible = format!(
        "EXISTS (SELECT 1 FROM assignments g WHERE g.account_id = a.id) AND NOT EXISTS \
         (SELECT 1 FROM assignments g JOIN orgs o ON o.id = g.org_id WHERE g.account_id = a.id AND NOT {pred}){only}"
    );
    let mut accounts_sql = sql.clone();
    accounts_sql.push(&format!(
        "SELECT a.id, COALESCE(a.login_shown, a.username), a.member_id, a.disabled, \
         CASE WHEN EXISTS (SELECT 1 FROM reveal_requests q WHERE q.account_id = a.id) THEN 1 ELSE 0 END, \
         m.name FROM accounts a LEFT JOIN members m ON m.id = a.member_id WHERE {visible} \
         ORDER BY a.member_id IS NOT NULL, a.username"
    ));
    let mut grants_sql = sql;
    grants_sql.push(&format!(
        "SELECT g.account_id, g.role, g.org_id, og.name FROM assignments g JOIN orgs og ON og.id = g.org_id \
         JOIN accounts a ON a.id = g.account_id WHERE {visible} ORDER BY g.id"
    ));
    let mut grants: std::collections::HashMap<i64, Vec<AccountAssignment>> = Default::default();
    for r in grants_sql.fetch_all(&db.pool).await? {
        // An unknown role in the table grants nothing rather than failing the list.
        if let Ok(role) = Role::parse(&r.try_get::<String, _>(1)?) {
            grants
                .entry(r.try_get(0)?)
                .or_default()
                .push(AccountAssignment {
                    role,
                    org_id: r.try_get(2)?,
                    org_name: r.try_get(3)?,
                });
        }
    }
    let mut out = vec![];
    for r in accounts_sql.fetch_all(&db.pool).await? {
        let id: i64 = r.try_get(0)?;
        let assignments = grants.remove(&id).unwrap_or_default();
        let member_id: Option<i64> = r.try_get(2)?;
        out.push(Account {
            id,
            // A worker's login is their phone: shown masked, as the roster shows it.
            username: r.try_get(1)?,
            member_id,
            member_name: r.try_get(5)?,
            disabled: r.try_get::<i64, _>(3)? != 0,
            reveal_pending: r.try_get::<i64, _>(4)? != 0,
            can_reveal: assignments
                .iter()
                .any(|a: &AccountAssignment| a.role == Role::Reveal),
            assignments,
        });
    }
    Ok(out)
}

/// Validates a new account's fields (not the scope).
pub fn parse_new(username: &str, password: &str, role: &str) -> AppResult<(String, Role)> {
    let mut e = Errors::default();
    let u = e.take("username", parse_username(username));
    e.take("password", password::validate_new(password));
    let r = e.take(
        "role",
        Role::parse(role).and_then(|r| match r {
            Role::Reveal => Err("reveal 是附加权限，请先建账号，再在账号页授予".to_string()),
            r => Ok(r),
        }),
    );
    e.finish()?;
    Ok((u.unwrap_or_default(), r.unwrap_or(Role::Viewer)))
}

/// Accounts made by an older version whose login is a phone in clear: the
/// login becomes its keyed hash, the masked phone what is shown (once; then
/// remembered, so start-up stays instant).
pub async fn hash_phone_logins(db: &Db, keys: &crate::pii::Keyring) -> anyhow::Result<u64> {
    const DONE: &str = "phone_logins_hashed";
    if db.setting(DONE).await?.is_some() {
        return Ok(0);
    }
    let rows = sqlx::query("SELECT id, username FROM accounts WHERE username NOT LIKE 'tel:%'")
        .fetch_all(&db.pool)
        .await?;
    let mut tx = db.begin().await?;
    let mut done = 0;
    for r in rows {
        let (id, username): (i64, String) = (r.try_get(0)?, r.try_get(1)?);
        let login = login_of(keys, &username);
        if !login.starts_with("tel:") {
            continue;
        }
        let shown = crate::pii::Phone::parse(&username)
            .map(|p| p.masked())
            .unwrap_or_default();
        sqlx::query("UPDATE accounts SET username = $1, login_shown = $2 WHERE id = $3")
            .bind(&login)
            .bind(shown)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        done += 1;
    }
    tx.commit().await?;
    db.set_setting(DONE, "1").await?;
    Ok(done)
}
