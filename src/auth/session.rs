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

/// The caller a token names, read from the database (see `Sessions::load`
/// for the one served from memory).
pub async fn load(db: &Db, token: &str, kind: &str) -> Result<Option<Caller>, sqlx::Error> {
    Ok(load_hashed(db, &token_hash(token), kind)
        .await?
        .map(|(caller, _)| caller))
}

/// The caller behind a token's hash, and when its session ends.
async fn load_hashed(
    db: &Db,
    hash: &str,
    kind: &str,
) -> Result<Option<(Caller, i64)>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT a.id, COALESCE(a.login_shown, a.username), a.member_id, s.csrf, a.username, s.expires_at \
         FROM sessions s JOIN accounts a ON a.id = s.account_id \
         WHERE s.token_hash = $1 AND s.kind = $2 AND s.expires_at > $3 AND a.disabled = 0",
    )
    .bind(hash)
    .bind(kind)
    .bind(now_ms())
    .fetch_optional(&db.pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let account_id: i64 = row.try_get(0)?;
    let caller = Caller {
        account_id,
        username: row.try_get(1)?,
        member_id: row.try_get(2)?,
        csrf: row.try_get(3)?,
        login: row.try_get(4)?,
        assignments: assignments(db, account_id).await?,
    };
    Ok(Some((caller, row.try_get(5)?)))
}

/// Signed-in callers served from memory. Each is kept with the value of
/// `auth_epoch` it was read at; database triggers move that counter with
/// every change a caller is made of (a session ended, an account changed or
/// disabled, a role given or taken, a union renamed or moved), whichever
/// process made it — the CLI included. A request reads the counter (one row
/// by its key) and uses the kept caller only while it has not moved, so a
/// changed right takes effect on the next request.
#[derive(Default)]
pub struct Sessions {
    kept: std::sync::Mutex<std::collections::HashMap<String, Kept>>,
}

struct Kept {
    kind: &'static str,
    caller: Caller,
    expires_at: i64,
    epoch: i64,
}

/// Callers kept at most: past it the memory starts again (a bound no
/// number of tokens can move).
const KEPT_MAX: usize = 20_000;

impl Sessions {
    pub async fn load(
        &self,
        db: &Db,
        token: &str,
        kind: &'static str,
    ) -> Result<Option<Caller>, sqlx::Error> {
        let epoch = current_epoch(db).await?;
        let hash = token_hash(token);
        {
            let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(k) = kept.get(&hash) {
                if k.epoch == epoch && k.kind == kind && k.expires_at > now_ms() {
                    return Ok(Some(k.caller.clone()));
                }
            }
        }
        let loaded = load_hashed(db, &hash, kind).await?;
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        match &loaded {
            Some((caller, expires_at)) => {
                if kept.len() >= KEPT_MAX {
                    kept.clear();
                }
                kept.insert(
                    hash,
                    Kept {
                        kind,
                        caller: caller.clone(),
                        expires_at: *expires_at,
                        epoch,
                    },
                );
            }
            None => {
                kept.remove(&hash);
            }
        }
        Ok(loaded.map(|(caller, _)| caller))
    }
}

/// Where the `auth_epoch` counter stands.
async fn current_epoch(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT n FROM auth_epoch WHERE id = 1")
        .fetch_one(&db.pool)
        .await?
        .try_get(0)
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
