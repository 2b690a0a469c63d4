//! Sessions (pages, kind `web`) and API tokens (kind `api`). The token goes to
//! the client; only its SHA-256 is stored, so a database dump holds no live token.

use super::{Assignment, Caller, Role};
use crate::db::{now_ms, Db};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::Row;

pub const WEB: &str = "web";
pub const API: &str = "api";
pub const WEB_TTL_MS: i64 = 12 * 3600 * 1000;
pub const API_TTL_MS: i64 = 30 * 24 * 3600 * 1000;

pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Creates a session; returns the token for the client.
pub async fn create(db: &Db, account_id: i64, kind: &str) -> Result<String, sqlx::Error> {
    let token = random_token();
    let ttl = if kind == WEB { WEB_TTL_MS } else { API_TTL_MS };
    let now = now_ms();
    sqlx::query(
        "INSERT INTO sessions (token_hash, account_id, kind, csrf, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token_hash(&token))
    .bind(account_id)
    .bind(kind)
    .bind(random_token())
    .bind(now)
    .bind(now + ttl)
    .execute(&db.pool)
    .await?;
    // Expired sessions of this account are cleared now and then, here, where it costs nothing extra.
    sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND expires_at < $2")
        .bind(account_id)
        .bind(now)
        .execute(&db.pool)
        .await?;
    Ok(token)
}

pub async fn load(db: &Db, token: &str, kind: &str) -> Result<Option<Caller>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT a.id, COALESCE(a.login_shown, a.username), a.member_id, s.csrf, a.username FROM sessions s \
         JOIN accounts a ON a.id = s.account_id \
         WHERE s.token_hash = $1 AND s.kind = $2 AND s.expires_at > $3 AND a.disabled = 0",
    )
    .bind(token_hash(token))
    .bind(kind)
    .bind(now_ms())
    .fetch_optional(&db.pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let account_id: i64 = row.try_get(0)?;
    Ok(Some(Caller {
        account_id,
        username: row.try_get(1)?,
        member_id: row.try_get(2)?,
        csrf: row.try_get(3)?,
        login: row.try_get(4)?,
        assignments: assignments(db, account_id).await?,
    }))
}

pub async fn assignments(db: &Db, account_id: i64) -> Result<Vec<Assignment>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT g.role, g.org_id, o.path, o.name FROM assignments g JOIN orgs o ON o.id = g.org_id \
         WHERE g.account_id = $1 ORDER BY g.id",
    )
    .bind(account_id)
    .fetch_all(&db.pool)
    .await?;
    let mut out = vec![];
    for r in rows {
        let role: String = r.try_get(0)?;
        // An unknown role in the table grants nothing rather than failing every request.
        if let Ok(role) = Role::parse(&role) {
            out.push(Assignment {
                role,
                org_id: r.try_get(1)?,
                org_path: r.try_get(2)?,
                org_name: r.try_get(3)?,
            });
        }
    }
    Ok(out)
}

pub async fn revoke(db: &Db, token: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash(token))
        .execute(&db.pool)
        .await?;
    Ok(())
}

pub async fn revoke_account(db: &Db, account_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE account_id = $1")
        .bind(account_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}
