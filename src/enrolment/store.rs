//! SQL of the enrolment engine. Every change locks the target's row first
//! (a no-op UPDATE: a row lock on PostgreSQL, the write lock on SQLite), so
//! two members cannot both take the last place.

use super::rules::{self, Place};
use crate::audit::{self, Actor, Event};
use crate::db::{now_ms, Db, Tx};
use crate::web::error::{AppError, AppResult};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Enrolment {
    pub id: i64,
    pub member_id: i64,
    pub member_name: String,
    pub state: String,
    pub position: i64,
}

/// Registers (or resizes) a target's capacity.
pub async fn set_target(
    tx: &mut Tx,
    kind: &str,
    target_id: i64,
    capacity: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO enrolment_targets (kind, target_id, capacity) VALUES ($1, $2, $3) \
         ON CONFLICT (kind, target_id) DO UPDATE SET capacity = excluded.capacity",
    )
    .bind(kind)
    .bind(target_id)
    .bind(capacity)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn lock(tx: &mut Tx, kind: &str, target_id: i64) -> AppResult<i64> {
    let row = sqlx::query("UPDATE enrolment_targets SET capacity = capacity WHERE kind = $1 AND target_id = $2 RETURNING capacity")
        .bind(kind)
        .bind(target_id)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row
        .ok_or_else(|| AppError::not_found("报名对象"))?
        .try_get(0)?)
}

async fn taken(tx: &mut Tx, kind: &str, target_id: i64) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) FROM enrolments WHERE kind = $1 AND target_id = $2 AND state IN ('enrolled', 'attended')")
        .bind(kind)
        .bind(target_id)
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)
}

/// Enrols a member: a seat while there is one, else the waiting list (409 when
/// already enrolled or waiting). Returns the state and waiting position.
pub async fn enrol(
    db: &Db,
    actor: &Actor,
    kind: &'static str,
    target_id: i64,
    member_id: i64,
    org_id: i64,
) -> AppResult<(String, i64)> {
    let mut tx = db.begin().await?;
    let capacity = lock(&mut tx, kind, target_id).await?;
    let place = rules::place_for(taken(&mut tx, kind, target_id).await?, capacity);
    let (state, position) = match place {
        Place::Enrolled => ("enrolled", 0),
        Place::Waiting => {
            let last: i64 = sqlx::query("SELECT COALESCE(MAX(position), 0) FROM enrolments WHERE kind = $1 AND target_id = $2 AND state = 'waiting'")
                .bind(kind)
                .bind(target_id)
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
            ("waiting", last + 1)
        }
    };
    let now = now_ms();
    // Someone who cancelled may come back; anyone else already has a place.
    let row = sqlx::query(
        "INSERT INTO enrolments (kind, target_id, member_id, org_id, state, position, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
         ON CONFLICT (kind, target_id, member_id) DO UPDATE SET state = excluded.state, position = excluded.position, \
         updated_at = excluded.updated_at WHERE enrolments.state = 'cancelled' RETURNING id",
    )
    .bind(kind)
    .bind(target_id)
    .bind(member_id)
    .bind(org_id)
    .bind(state)
    .bind(position)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Err(AppError::conflict(None, "您已报名（或已在候补名单中）"));
    };
    let id: i64 = row.try_get(0)?;
    let ev = Event::new("enrolment.enrol", "enrolment", id)
        .member(member_id)
        .org(org_id)
        .detail(json!({ "kind": kind, "target": target_id, "state": state }));
    audit::append(&mut tx, actor, ev).await?;
    tx.commit().await?;
    Ok((state.to_string(), position))
}

/// Cancels a member's place; a freed seat goes to the first on the waiting
/// list, whose member id is returned.
pub async fn cancel(
    db: &Db,
    actor: &Actor,
    kind: &'static str,
    target_id: i64,
    member_id: i64,
) -> AppResult<Option<i64>> {
    let mut tx = db.begin().await?;
    let capacity = lock(&mut tx, kind, target_id).await?;
    let row = sqlx::query(
        "UPDATE enrolments SET state = 'cancelled', updated_at = $1 WHERE kind = $2 AND target_id = $3 AND member_id = $4 \
         AND state IN ('enrolled', 'waiting') RETURNING id, org_id",
    )
    .bind(now_ms())
    .bind(kind)
    .bind(target_id)
    .bind(member_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Err(AppError::conflict(
            None,
            "没有可取消的报名（未报名、已取消或已签到）",
        ));
    };
    let (id, org_id): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
    let mut promoted = None;
    if taken(&mut tx, kind, target_id).await? < capacity {
        let next = sqlx::query(
            "SELECT id, member_id FROM enrolments WHERE kind = $1 AND target_id = $2 AND state = 'waiting' ORDER BY position, id LIMIT 1",
        )
        .bind(kind)
        .bind(target_id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(n) = next {
            let (nid, nmember): (i64, i64) = (n.try_get(0)?, n.try_get(1)?);
            sqlx::query("UPDATE enrolments SET state = 'enrolled', position = 0, updated_at = $1 WHERE id = $2").bind(now_ms()).bind(nid).execute(&mut *tx).await?;
            promoted = Some(nmember);
        }
    }
    let ev = Event::new("enrolment.cancel", "enrolment", id)
        .member(member_id)
        .org(org_id)
        .detail(json!({ "kind": kind, "target": target_id, "promoted": promoted }));
    audit::append(&mut tx, actor, ev).await?;
    tx.commit().await?;
    Ok(promoted)
}

/// Marks an enrolled member present, inside the caller's transaction (so that
/// what attending pays commits with it); again is fine (idempotent); waiting
/// or not enrolled is refused.
pub async fn attend(
    tx: &mut Tx,
    actor: &Actor,
    kind: &'static str,
    target_id: i64,
    member_id: i64,
) -> AppResult<bool> {
    lock(tx, kind, target_id).await?;
    let row = sqlx::query("SELECT id, state, org_id FROM enrolments WHERE kind = $1 AND target_id = $2 AND member_id = $3")
        .bind(kind)
        .bind(target_id)
        .bind(member_id)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(row) = row else {
        return Err(AppError::conflict(None, "您没有报名本场，不能签到"));
    };
    let (id, state, org_id): (i64, String, i64) =
        (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
    match state.as_str() {
        "attended" => return Ok(false),
        "enrolled" => {}
        "waiting" => {
            return Err(AppError::conflict(
                None,
                "您在候补名单中，尚未获得名额，不能签到",
            ))
        }
        _ => return Err(AppError::conflict(None, "您的报名已取消，不能签到")),
    }
    sqlx::query("UPDATE enrolments SET state = 'attended', updated_at = $1 WHERE id = $2")
        .bind(now_ms())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    let ev = Event::new("enrolment.attend", "enrolment", id)
        .member(member_id)
        .org(org_id)
        .detail(json!({ "kind": kind, "target": target_id }));
    audit::append(tx, actor, ev).await?;
    Ok(true)
}

pub async fn roster(db: &Db, kind: &str, target_id: i64) -> AppResult<Vec<Enrolment>> {
    Ok(sqlx::query_as(
        "SELECT e.id, e.member_id, m.name AS member_name, e.state, e.position FROM enrolments e JOIN members m ON m.id = e.member_id \
         WHERE e.kind = $1 AND e.target_id = $2 ORDER BY CASE e.state WHEN 'attended' THEN 0 WHEN 'enrolled' THEN 0 WHEN 'waiting' THEN 1 ELSE 2 END, e.position, e.id",
    )
    .bind(kind)
    .bind(target_id)
    .fetch_all(&db.pool)
    .await?)
}
