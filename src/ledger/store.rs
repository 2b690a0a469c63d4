//! The points ledger, an engine: append-only entries with idempotency keys,
//! a balance per member that never goes below zero (guarded by `balance >= 0`
//! in the UPDATE and by a CHECK in the table), lots that expire and are spent
//! soonest-first. Every change appends its entry, moves the balance row and its
//! audit entry in one transaction: the caller's (`post`, `add_in`), or one of
//! its own (`add_entry`).

use crate::audit::{self, Actor, Event};
use crate::db::{now_ms, Db, Tx};
use crate::web::error::{AppError, AppResult};
use serde::Serialize;
use serde_json::json;
use sqlx::{FromRow, Row};

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema, sqlx::FromRow)]
pub struct Entry {
    pub id: i64,
    pub member_id: i64,
    pub amount: i64,
    pub reason: String,
    pub source: String,
    pub source_id: Option<i64>,
    pub idempotency_key: Option<String>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
}

const ENTRY_COLS: &str =
    "id, member_id, amount, reason, source, source_id, idempotency_key, created_at, expires_at";

/// A ledger entry to write.
pub struct NewEntry<'a> {
    pub member_id: i64,
    pub org_id: i64,
    pub amount: i64,
    pub reason: &'a str,
    pub source: &'static str,
    pub source_id: Option<i64>,
    pub key: Option<&'a str>,
    /// When these (earned) points expire; `None` for points that do not.
    pub expires_at: Option<i64>,
}

/// Moves the balance and appends the entry inside `tx`; refuses (422) what
/// would take the balance below zero. Its audit events go into `events`, for
/// the caller to append just before it commits (see `audit::append_all`).
pub async fn post(
    tx: &mut Tx,
    actor: &Actor,
    e: &NewEntry<'_>,
    events: &mut Vec<Event>,
) -> AppResult<Entry> {
    let now = now_ms();
    sqlx::query("INSERT INTO point_balances (member_id, balance, lifetime) VALUES ($1, 0, 0) ON CONFLICT (member_id) DO NOTHING")
        .bind(e.member_id)
        .execute(&mut **tx)
        .await?;
    // Expired points leave before anything else moves, so they are never spent.
    let (due, live): (Vec<Lot>, Vec<Lot>) = open_lots(tx, e.member_id)
        .await?
        .into_iter()
        .partition(|l| l.expires_at <= now);
    expire_lots(tx, actor, e.member_id, &due, now, events).await?;
    let moved = sqlx::query(
        "UPDATE point_balances SET balance = balance + $1, lifetime = lifetime + $2 \
         WHERE member_id = $3 AND balance + $1 >= 0 RETURNING balance",
    )
    .bind(e.amount)
    // The lifetime total counts what was earned: a refund gives back, it does not earn.
    .bind(if e.source == "refund" {
        0
    } else {
        e.amount.max(0)
    })
    .bind(e.member_id)
    .fetch_optional(&mut **tx)
    .await?;
    if moved.is_none() {
        let balance: i64 = sqlx::query("SELECT balance FROM point_balances WHERE member_id = $1")
            .bind(e.member_id)
            .fetch_one(&mut **tx)
            .await?
            .try_get(0)?;
        let message = crate::ledger::rules::apply(balance, e.amount)
            .err()
            .unwrap_or_else(|| "积分不足".into());
        return Err(AppError::invalid("amount", message));
    }
    // Earned points that expire are a lot: `remaining` is what is left of them.
    let expires_at = e.expires_at.filter(|_| e.amount > 0);
    let row = sqlx::query(&format!(
        "INSERT INTO point_entries (member_id, org_id, amount, reason, source, source_id, idempotency_key, account_id, created_at, expires_at, remaining) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {ENTRY_COLS}"
    ))
    .bind(e.member_id)
    .bind(e.org_id)
    .bind(e.amount)
    .bind(e.reason)
    .bind(e.source)
    .bind(e.source_id)
    .bind(e.key)
    .bind(actor.account_id)
    .bind(now)
    .bind(expires_at)
    .bind(expires_at.map(|_| e.amount))
    .fetch_one(&mut **tx)
    .await?;
    let entry = Entry::from_row(&row)?;
    if e.amount < 0 {
        take_from_lots(tx, &entry, &live).await?;
    }
    events.push(
        Event::new("points.entry", "point_entry", entry.id)
            .member(e.member_id)
            .org(e.org_id)
            .detail(json!({ "amount": e.amount, "reason": e.reason, "source": e.source })),
    );
    Ok(entry)
}

/// What is left of a member's earned points that expire.
struct Lot {
    id: i64,
    remaining: i64,
    org_id: i64,
    earned_at: i64,
    expires_at: i64,
}

/// The member's lots with points left, soonest expiry first (one read serves
/// both the sweep of the due ones and a debit from the rest).
async fn open_lots(tx: &mut Tx, member_id: i64) -> AppResult<Vec<Lot>> {
    let rows = sqlx::query(
        "SELECT id, remaining, org_id, created_at, expires_at FROM point_entries \
         WHERE member_id = $1 AND remaining > 0 ORDER BY expires_at, id",
    )
    .bind(member_id)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            Ok(Lot {
                id: r.try_get(0)?,
                remaining: r.try_get(1)?,
                org_id: r.try_get(2)?,
                earned_at: r.try_get(3)?,
                expires_at: r.try_get(4)?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?)
}

/// A debit takes its points from the member's lots that expire soonest, and
/// remembers which, so that a refund gives them back with their own expiry.
async fn take_from_lots(tx: &mut Tx, debit: &Entry, live: &[Lot]) -> AppResult<()> {
    let lots: Vec<(i64, i64)> = live.iter().map(|l| (l.id, l.remaining)).collect();
    for (lot_id, take) in crate::ledger::rules::take_from_lots(&lots, -debit.amount) {
        let taken = sqlx::query(
            "UPDATE point_entries SET remaining = remaining - $1 WHERE id = $2 AND remaining >= $1",
        )
        .bind(take)
        .bind(lot_id)
        .execute(&mut **tx)
        .await?;
        if taken.rows_affected() != 1 {
            // Another transaction of this member's moved the lot first.
            return Err(AppError::conflict(None, "积分正在变动，请重试"));
        }
        sqlx::query("INSERT INTO point_lot_uses (debit_id, lot_id, amount) VALUES ($1, $2, $3)")
            .bind(debit.id)
            .bind(lot_id)
            .bind(take)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Gives a cancelled debit's points back to the lots it took them from. A lot
/// that has expired meanwhile is swept again by the next expiry run.
pub async fn give_back_to_lots(tx: &mut Tx, debit_key: &str) -> AppResult<()> {
    sqlx::query(
        "UPDATE point_entries SET remaining = remaining + (SELECT u.amount FROM point_lot_uses u JOIN point_entries d ON d.id = u.debit_id \
         WHERE d.idempotency_key = $1 AND u.lot_id = point_entries.id) \
         WHERE id IN (SELECT u.lot_id FROM point_lot_uses u JOIN point_entries d ON d.id = u.debit_id WHERE d.idempotency_key = $1)",
    )
    .bind(debit_key)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Appends an expiry debit for each of these lots (expired, with points left).
/// The member's balance row is already there.
async fn expire_lots(
    tx: &mut Tx,
    actor: &Actor,
    member_id: i64,
    due: &[Lot],
    now: i64,
    events: &mut Vec<Event>,
) -> AppResult<i64> {
    let mut expired = 0;
    for lot in due {
        let (lot_id, remaining, org_id, earned_at) =
            (lot.id, lot.remaining, lot.org_id, lot.earned_at);
        // Conditional on what was read: a concurrent sweep of the same lot does nothing.
        let claimed =
            sqlx::query("UPDATE point_entries SET remaining = 0 WHERE id = $1 AND remaining = $2")
                .bind(lot_id)
                .bind(remaining)
                .execute(&mut **tx)
                .await?;
        if claimed.rows_affected() != 1 {
            continue;
        }
        let moved = sqlx::query(
            "UPDATE point_balances SET balance = balance - $1 WHERE member_id = $2 AND balance >= $1",
        )
        .bind(remaining)
        .bind(member_id)
        .execute(&mut **tx)
        .await?;
        if moved.rows_affected() != 1 {
            return Err(AppError::conflict(
                None,
                "积分余额与有效期记录不一致，请联系管理员",
            ));
        }
        let reason = format!(
            "积分到期（{} 获得）",
            crate::db::format_ms(earned_at).get(..10).unwrap_or("")
        );
        let id: i64 = sqlx::query(
            "INSERT INTO point_entries (member_id, org_id, amount, reason, source, source_id, account_id, created_at) \
             VALUES ($1, $2, $3, $4, 'expiry', $5, $6, $7) RETURNING id",
        )
        .bind(member_id)
        .bind(org_id)
        .bind(-remaining)
        .bind(&reason)
        .bind(lot_id)
        .bind(actor.account_id)
        .bind(now)
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)?;
        events.push(
            Event::new("points.expire", "point_entry", id)
                .member(member_id)
                .org(org_id)
                .detail(json!({ "amount": -remaining, "lot": lot_id })),
        );
        expired += remaining;
    }
    Ok(expired)
}

/// Writes the expiry of every lot due by `now`, member by member (one
/// transaction each); the server runs it hourly and `gongjiang points expire`
/// on demand. Returns the points expired.
pub async fn expire_due(db: &Db, actor: &Actor, now: i64) -> AppResult<i64> {
    let mut total = 0;
    loop {
        let members: Vec<i64> = sqlx::query(
            "SELECT DISTINCT member_id FROM point_entries WHERE remaining > 0 AND expires_at <= $1 LIMIT 500",
        )
        .bind(now)
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
        if members.is_empty() {
            return Ok(total);
        }
        for member_id in members {
            let mut tx = db.begin().await?;
            // A write first: on SQLite the transaction takes the write lock before it reads.
            sqlx::query("UPDATE point_balances SET balance = balance WHERE member_id = $1")
                .bind(member_id)
                .execute(&mut *tx)
                .await?;
            let due: Vec<Lot> = open_lots(&mut tx, member_id)
                .await?
                .into_iter()
                .filter(|l| l.expires_at <= now)
                .collect();
            let mut events = vec![];
            total += expire_lots(&mut tx, actor, member_id, &due, now, &mut events).await?;
            audit::append_all(&mut tx, actor, events).await?;
            tx.commit().await?;
        }
    }
}

/// Points of a member's that expire within `within_ms` of `now`, and the first
/// date any of them expire.
pub async fn expiring(
    db: &Db,
    member_id: i64,
    now: i64,
    within_ms: i64,
) -> AppResult<(i64, Option<i64>)> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(remaining), 0) AS BIGINT), MIN(expires_at) FROM point_entries \
         WHERE member_id = $1 AND remaining > 0 AND expires_at > $2 AND expires_at <= $3",
    )
    .bind(member_id)
    .bind(now)
    .bind(now + within_ms)
    .fetch_one(&db.pool)
    .await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

pub async fn by_key(db: &Db, key: &str) -> AppResult<Option<Entry>> {
    let row = sqlx::query(&format!(
        "SELECT {ENTRY_COLS} FROM point_entries WHERE idempotency_key = $1"
    ))
    .bind(key)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(|r| Entry::from_row(&r)).transpose()?)
}

/// The entry of an idempotency key, read inside the caller's transaction.
async fn by_key_in(tx: &mut Tx, key: &str) -> AppResult<Option<Entry>> {
    let row = sqlx::query(&format!(
        "SELECT {ENTRY_COLS} FROM point_entries WHERE idempotency_key = $1"
    ))
    .bind(key)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|r| Entry::from_row(&r)).transpose()?)
}

/// Adds an entry inside the caller's transaction (so that what pays it — a
/// check-in, say — and the payment commit together or not at all), once per
/// idempotency key: a repeat returns the first entry and `false`.
pub async fn add_in(tx: &mut Tx, actor: &Actor, e: NewEntry<'_>) -> AppResult<(Entry, bool)> {
    if let Some(key) = e.key {
        one_posting_per_key(tx, key).await?;
        if let Some(existing) = by_key_in(tx, key).await? {
            return same_member(existing, e.member_id).map(|x| (x, false));
        }
    }
    let mut events = vec![];
    let entry = post(tx, actor, &e, &mut events).await?;
    audit::append_all(tx, actor, events).await?;
    Ok((entry, true))
}

/// Two postings with one idempotency key at the same moment take turns, so
/// the second finds the first instead of failing on the unique index inside
/// its caller's transaction. On SQLite the write lock (`BEGIN IMMEDIATE`)
/// already serialises them; on PostgreSQL a transaction-scoped advisory lock
/// on the key does (the next statement, in READ COMMITTED, sees the first).
async fn one_posting_per_key(tx: &mut Tx, key: &str) -> Result<(), sqlx::Error> {
    if (**tx).backend_name() == "PostgreSQL" {
        sqlx::query("SELECT 1 FROM (SELECT pg_advisory_xact_lock(hashtext($1))) AS locked")
            .bind(key)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Adds an entry once per idempotency key: a repeat returns the first entry
/// and `false` (nothing added). The caller has checked the member's scope.
pub async fn add_entry(db: &Db, actor: &Actor, e: NewEntry<'_>) -> AppResult<(Entry, bool)> {
    let mut tx = db.begin().await?;
    let posted = add_in(&mut tx, actor, e).await?;
    tx.commit().await?;
    Ok(posted)
}

fn same_member(existing: Entry, member_id: i64) -> AppResult<Entry> {
    if existing.member_id != member_id {
        return Err(AppError::conflict(
            Some("idempotency_key"),
            "这个 idempotency_key 已用于另一位会员的积分",
        ));
    }
    Ok(existing)
}

/// The spendable balance and the lifetime total. Points that expired but are
/// not yet swept are not spendable: they are left out here too.
pub async fn balance(db: &Db, member_id: i64) -> AppResult<(i64, i64)> {
    let row = sqlx::query(
        "SELECT b.balance - CAST(COALESCE((SELECT SUM(e.remaining) FROM point_entries e \
         WHERE e.member_id = b.member_id AND e.remaining > 0 AND e.expires_at <= $2), 0) AS BIGINT), b.lifetime \
         FROM point_balances b WHERE b.member_id = $1",
    )
    .bind(member_id)
    .bind(now_ms())
    .fetch_optional(&db.pool)
    .await?;
    Ok(match row {
        Some(r) => (r.try_get(0)?, r.try_get(1)?),
        None => (0, 0),
    })
}

pub async fn entries(
    db: &Db,
    member_id: i64,
    paging: crate::db::Paging,
) -> AppResult<(Vec<Entry>, i64)> {
    let total: i64 = sqlx::query("SELECT COUNT(*) FROM point_entries WHERE member_id = $1")
        .bind(member_id)
        .fetch_one(&db.pool)
        .await?
        .try_get(0)?;
    let rows = sqlx::query(&format!("SELECT {ENTRY_COLS} FROM point_entries WHERE member_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3"))
        .bind(member_id)
        .bind(paging.per_page)
        .bind(paging.offset())
        .fetch_all(&db.pool)
        .await?;
    Ok((
        rows.iter().map(Entry::from_row).collect::<Result<_, _>>()?,
        total,
    ))
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Standing {
    pub rank: i64,
    pub member_id: i64,
    pub name: String,
    pub org_name: String,
    pub points: i64,
}

/// Points earned in a period by the members of a subtree as it is now (a
/// member transferred out ranks at their new union, with what they earned
/// before), most first. Rankings use what was earned, never what is left.
pub async fn leaderboard(
    db: &Db,
    path: &str,
    from_ms: i64,
    to_ms: i64,
    limit: i64,
) -> AppResult<Vec<Standing>> {
    let rows = sqlx::query(
        "SELECT e.member_id, m.name, mo.name, CAST(SUM(e.amount) AS BIGINT) AS earned FROM point_entries e \
         JOIN members m ON m.id = e.member_id JOIN orgs mo ON mo.id = m.org_id \
         WHERE mo.path >= $1 AND mo.path < $2 AND e.amount > 0 AND e.source <> 'refund' AND e.created_at >= $3 AND e.created_at < $4 \
         GROUP BY e.member_id, m.name, mo.name ORDER BY earned DESC, e.member_id LIMIT $5",
    )
    .bind(path)
    .bind(crate::auth::scope::path_upper(path))
    .bind(from_ms)
    .bind(to_ms)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    let mut out: Vec<Standing> = vec![];
    for (i, r) in rows.iter().enumerate() {
        let points: i64 = r.try_get(3)?;
        // Equal points, equal rank (1, 2, 2, 4).
        let rank = match out.last() {
            Some(prev) if prev.points == points => prev.rank,
            _ => i as i64 + 1,
        };
        out.push(Standing {
            rank,
            member_id: r.try_get(0)?,
            name: r.try_get(1)?,
            org_name: r.try_get(2)?,
            points,
        });
    }
    Ok(out)
}
