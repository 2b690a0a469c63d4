//! The dashboard's own records: the yearly targets a union sets for its figures.

use super::rules::TargetKind;
use crate::audit::{self, Actor, Event};
use crate::auth::{Access, Scope};
use crate::db::sql::Sql;
use crate::db::{now_ms, Db};
use crate::web::error::{AppError, AppResult};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Target {
    pub id: i64,
    pub org_id: i64,
    pub year: i64,
    pub figure_key: String,
    /// `count` (people) or `share` (per mille of the figure it is a share of).
    pub kind: String,
    pub target: i64,
}

impl Target {
    pub fn kind(&self) -> TargetKind {
        TargetKind::parse(&self.kind).unwrap_or(TargetKind::Count)
    }

    fn from_row(r: &sqlx::any::AnyRow) -> Result<Target, sqlx::Error> {
        Ok(Target {
            id: r.try_get(0)?,
            org_id: r.try_get(1)?,
            year: r.try_get(2)?,
            figure_key: r.try_get(3)?,
            kind: r.try_get(4)?,
            target: r.try_get(5)?,
        })
    }
}

const COLS: &str = "t.id, t.org_id, t.year, t.figure_key, t.kind, t.target";

/// The targets of `year` set at any of `org_ids`, within the scope.
pub async fn targets(db: &Db, scope: &Scope, org_ids: &[i64], year: i64) -> AppResult<Vec<Target>> {
    if org_ids.is_empty() {
        return Ok(vec![]);
    }
    let mut sql = Sql::new("");
    let pred = scope.org_predicate(&mut sql, "o.path");
    let ids: Vec<String> = org_ids.iter().map(|id| sql.int(*id)).collect();
    let y = sql.int(year);
    sql.push(&format!(
        "SELECT {COLS} FROM dashboard_targets t JOIN orgs o ON o.id = t.org_id \
         WHERE {pred} AND t.org_id IN ({}) AND t.year = {y} ORDER BY t.org_id, t.id",
        ids.join(", ")
    ));
    let rows = sql.fetch_all(&db.pool).await?;
    Ok(rows
        .iter()
        .map(Target::from_row)
        .collect::<Result<_, _>>()?)
}

/// What a target is set to.
pub struct NewTarget<'a> {
    pub year: i64,
    pub figure_key: &'a str,
    pub figure_label: &'a str,
    pub kind: TargetKind,
    pub target: i64,
}

/// Sets (or changes) a union's target for one figure and year: the caller
/// needs the targets right over the union (`access`).
pub async fn set(
    db: &Db,
    actor: &Actor,
    access: &Access,
    org: &crate::org::store::Org,
    t: &NewTarget<'_>,
) -> AppResult<Target> {
    access.check(&org.path, "组织")?;
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query(
        "INSERT INTO dashboard_targets (org_id, year, figure_key, figure_label, kind, target, account_id, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (org_id, year, figure_key) DO UPDATE SET kind = excluded.kind, figure_label = excluded.figure_label, \
         target = excluded.target, account_id = excluded.account_id, updated_at = excluded.updated_at \
         RETURNING id",
    )
    .bind(org.id)
    .bind(t.year)
    .bind(t.figure_key)
    .bind(t.figure_label)
    .bind(t.kind.as_str())
    .bind(t.target)
    .bind(actor.account_id)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    let ev = Event::new("dashboard.target.set", "dashboard_target", id)
        .org(org.id)
        .detail(json!({"year": t.year, "figure": t.figure_label, "kind": t.kind.as_str(), "goal": t.target}));
    audit::append(&mut tx, actor, ev).await?;
    tx.commit().await?;
    Ok(Target {
        id,
        org_id: org.id,
        year: t.year,
        figure_key: t.figure_key.to_string(),
        kind: t.kind.as_str().to_string(),
        target: t.target,
    })
}

/// Removes a target: out of sight is "not found", in sight but out of reach "forbidden".
pub async fn delete(db: &Db, actor: &Actor, access: &Access, id: i64) -> AppResult<()> {
    let mut sql = Sql::new("");
    let pred = access.see.org_predicate(&mut sql, "o.path");
    let i = sql.int(id);
    sql.push(&format!(
        "SELECT {COLS}, o.path, t.figure_label FROM dashboard_targets t JOIN orgs o ON o.id = t.org_id WHERE {pred} AND t.id = {i}"
    ));
    let row = sql
        .fetch_all(&db.pool)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::not_found("目标"))?;
    let target = Target::from_row(&row)?;
    let path: String = row.try_get(6)?;
    let label: String = row.try_get(7)?;
    access.check(&path, "目标")?;
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM dashboard_targets WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let ev = Event::new("dashboard.target.delete", "dashboard_target", id)
        .org(target.org_id)
        .detail(json!({"year": target.year, "figure": label, "goal": target.target}));
    audit::append(&mut tx, actor, ev).await?;
    tx.commit().await?;
    Ok(())
}
