//! SQL for accounts and their assignments, and the login check.

use super::{limit::LoginLimiter, password, session, Role, Scope};
use crate::db::{now_ms, Db};
use crate::web::error::{AppError, AppResult, Errors};
use crate::web::sql::Sql;
use serde::Serialize;
use sqlx::Row;

#[derive(Debug, Clone, Serialize)]
pub struct AccountAssignment {
    pub role: Role,
    pub org_id: i64,
    pub org_name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub member_id: Option<i64>,
    pub disabled: bool,
    pub assignments: Vec<AccountAssignment>,
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
    limiter: &LoginLimiter,
    username: &str,
    pass: &str,
    addr: &str,
) -> AppResult<i64> {
    if let Some(wait) = limiter.check(username, addr) {
        return Err(AppError::TooManyRequests {
            retry_after_secs: wait,
        });
    }
    let row = sqlx::query("SELECT id, password_hash, disabled FROM accounts WHERE username = $1")
        .bind(username.trim().to_lowercase())
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
    limiter.record_success(username);
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
pub async fn create(db: &Db, a: &NewAccount) -> AppResult<i64> {
    let exists = sqlx::query("SELECT id FROM accounts WHERE username = $1")
        .bind(&a.username)
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
        "INSERT INTO accounts (username, password_hash, member_id, disabled, created_at, updated_at) \
         VALUES ($1, $2, $3, 0, $4, $4) RETURNING id",
    )
    .bind(&a.username)
    .bind(hash)
    .bind(a.member_id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    sqlx::query("INSERT INTO assignments (account_id, role, org_id) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(a.role.as_str())
        .bind(a.org_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn id_by_username(db: &Db, username: &str) -> AppResult<Option<i64>> {
    let row = sqlx::query("SELECT id FROM accounts WHERE username = $1")
        .bind(username.trim().to_lowercase())
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

/// Sets a new password and ends every session of the account.
pub async fn set_password(db: &Db, account_id: i64, new_password: &str) -> AppResult<()> {
    password::validate_new(new_password).map_err(|m| AppError::invalid("password", m))?;
    let hash = password::hash_async(new_password.to_string()).await?;
    sqlx::query("UPDATE accounts SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(hash)
        .bind(now_ms())
        .bind(account_id)
        .execute(&db.pool)
        .await?;
    session::revoke_account(db, account_id).await?;
    Ok(())
}

pub async fn set_disabled(db: &Db, account_id: i64, disabled: bool) -> AppResult<()> {
    sqlx::query("UPDATE accounts SET disabled = $1, updated_at = $2 WHERE id = $3")
        .bind(disabled as i64)
        .bind(now_ms())
        .bind(account_id)
        .execute(&db.pool)
        .await?;
    if disabled {
        session::revoke_account(db, account_id).await?;
    }
    Ok(())
}

/// Accounts with every assignment inside the scope (an admin does not see, or
/// manage, an account that also holds rights elsewhere).
pub async fn list(db: &Db, scope: &Scope) -> AppResult<Vec<Account>> {
    let mut sql = Sql::new("");
    let pred = scope.org_predicate(&mut sql, "o.path");
    sql.push(&format!(
        "SELECT a.id, a.username, a.member_id, a.disabled FROM accounts a WHERE EXISTS \
         (SELECT 1 FROM assignments g WHERE g.account_id = a.id) AND NOT EXISTS \
         (SELECT 1 FROM assignments g JOIN orgs o ON o.id = g.org_id WHERE g.account_id = a.id AND NOT {pred}) \
         ORDER BY a.username"
    ));
    let rows = sql.fetch_all(&db.pool).await?;
    let mut out = vec![];
    for r in rows {
        let id: i64 = r.try_get(0)?;
        let assignments = session::assignments(db, id)
            .await?
            .into_iter()
            .map(|a| AccountAssignment {
                role: a.role,
                org_id: a.org_id,
                org_name: a.org_name,
            })
            .collect();
        out.push(Account {
            id,
            username: r.try_get(1)?,
            member_id: r.try_get(2)?,
            disabled: r.try_get::<i64, _>(3)? != 0,
            assignments,
        });
    }
    Ok(out)
}

pub async fn get(db: &Db, scope: &Scope, id: i64) -> AppResult<Account> {
    list(db, scope)
        .await?
        .into_iter()
        .find(|a| a.id == id)
        .ok_or_else(|| AppError::not_found("账号"))
}

/// Validates a new account's fields (not the scope).
pub fn parse_new(username: &str, password: &str, role: &str) -> AppResult<(String, Role)> {
    let mut e = Errors::default();
    let u = e.take("username", parse_username(username));
    e.take("password", password::validate_new(password));
    let r = e.take("role", Role::parse(role));
    e.finish()?;
    Ok((u.unwrap_or_default(), r.unwrap_or(Role::Viewer)))
}
