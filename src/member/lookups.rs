//! Whole-number searches: an ID number or a phone typed in full. Without the
//! reveal right a member's numbers are shown masked, and a search that answers
//! "found" for a guessed number would unmask them one guess at a time. So each
//! such search is recorded (who, which kind of key, found or not) and written to
//! the audit log, and an account that misses too often in a day, or searches too
//! much, is stopped — the stop itself is audited, where the union's admins see it.
//! Staff holding a person's ID card find them with one search.

use crate::audit::{self, Actor, Event};
use crate::db::{now_ms, Db};
use crate::web::error::{AppError, AppResult};
use serde_json::json;
use sqlx::Row;

/// Misses an account may have in a day before its whole-number search stops.
pub const MISSES_PER_DAY: i64 = 10;
/// Whole-number searches an account may make in a day, found or not.
pub const SEARCHES_PER_DAY: i64 = 200;
/// ID-tail searches that found someone an account may make in a day (inside
/// the searches above): with a page's birth date and area, 1,000 guesses of a
/// tail rebuild a number, so that takes an account weeks of refusals its
/// admins see in the log.
pub const TAIL_FINDS_PER_DAY: i64 = 50;
const DAY_MS: i64 = 24 * 3600 * 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    IdNumber,
    Phone,
    /// The last 4 or 6 of an ID number that found someone.
    IdTail,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::IdNumber => "id_number",
            Kind::Phone => "phone",
            Kind::IdTail => "id_tail",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::IdNumber => "身份证号",
            Kind::Phone => "手机号",
            Kind::IdTail => "身份证号后几位",
        }
    }
}

/// Before a whole-number search: refused (429) once the account is over its
/// day's misses or searches. The command line (no account) is not limited.
pub async fn admit(db: &Db, actor: &Actor, kind: Kind) -> AppResult<()> {
    let Some(account) = actor.account_id else {
        return Ok(());
    };
    let now = now_ms();
    let row = sqlx::query(
        "SELECT COUNT(*), CAST(COALESCE(SUM(1 - found), 0) AS BIGINT), MIN(CASE WHEN found = 0 THEN at END), MIN(at), \
         CAST(COALESCE(SUM(CASE WHEN kind = 'id_tail' THEN 1 ELSE 0 END), 0) AS BIGINT), MIN(CASE WHEN kind = 'id_tail' THEN at END) \
         FROM pii_lookups WHERE account_id = $1 AND at > $2",
    )
    .bind(account)
    .bind(now - DAY_MS)
    .fetch_one(&db.pool)
    .await?;
    let (total, misses): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
    let (first_miss, first): (Option<i64>, Option<i64>) = (row.try_get(2)?, row.try_get(3)?);
    let (tails, first_tail): (i64, Option<i64>) = (row.try_get(4)?, row.try_get(5)?);
    let (over, since) = if kind == Kind::IdTail && tails >= TAIL_FINDS_PER_DAY {
        (format!("已达 {TAIL_FINDS_PER_DAY} 次"), first_tail)
    } else if misses >= MISSES_PER_DAY {
        (format!("未查到的次数已达 {MISSES_PER_DAY} 次"), first_miss)
    } else if total >= SEARCHES_PER_DAY {
        (format!("已达 {SEARCHES_PER_DAY} 次"), first)
    } else {
        return Ok(());
    };
    let wait_secs = (since.unwrap_or(now) + DAY_MS - now).max(1000) / 1000;
    let mut ev = Event::new("member.lookup_refused", "account", account)
        .detail(json!({ "kind": kind.as_str(), "searches": total, "misses": misses }));
    ev.org_id = actor.org_id;
    audit::append_now(db, actor, ev).await?;
    Err(AppError::Limited {
        message: format!(
            "按{}{}查找会员，本账号 24 小时内{over}，已暂停此类查找（约 {} 小时后恢复）；可按姓名、会员卡号查找，此次暂停已记入审计日志",
            if kind == Kind::IdTail { "" } else { "完整" },
            kind.label(),
            (wait_secs + 3599) / 3600
        ),
        retry_after_secs: wait_secs as u64,
    })
}

/// After a whole-number search: recorded and audited, found or not.
pub async fn record(db: &Db, actor: &Actor, kind: Kind, found: bool) -> AppResult<()> {
    let Some(account) = actor.account_id else {
        return Ok(());
    };
    let mut tx = db.begin().await?;
    sqlx::query("INSERT INTO pii_lookups (account_id, kind, found, at) VALUES ($1, $2, $3, $4)")
        .bind(account)
        .bind(kind.as_str())
        .bind(found as i64)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    let mut ev = Event::new("member.lookup", "account", account)
        .detail(json!({ "kind": kind.as_str(), "found": found }));
    ev.org_id = actor.org_id;
    audit::append(&mut tx, actor, ev).await?;
    tx.commit().await?;
    Ok(())
}
