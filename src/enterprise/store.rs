//! SQL for enterprises, scoped by the covering organisation's subtree.

use super::rules::EnterpriseFields;
use crate::audit::{self, Actor, Event};
use crate::auth::Scope;
use crate::db::sql::Sql;
use crate::db::Paging;
use crate::db::{like_escape, now_ms, Db};
use crate::web::error::{AppError, AppResult};
use serde::Serialize;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::Row;

#[derive(Debug, Clone, Serialize)]
pub struct Enterprise {
    pub id: i64,
    pub credit_code: String,
    pub name: String,
    pub industry: String,
    pub size: String,
    pub org_id: i64,
    pub org_name: String,
    #[serde(skip)]
    pub org_path: String,
}

const COLS: &str = "e.id, e.credit_code, e.name, e.industry, e.size, e.org_id, o.name, o.path";

fn from_row(r: &AnyRow) -> Result<Enterprise, sqlx::Error> {
    Ok(Enterprise {
        id: r.try_get(0)?,
        credit_code: r.try_get(1)?,
        name: r.try_get(2)?,
        industry: r.try_get(3)?,
        size: r.try_get(4)?,
        org_id: r.try_get(5)?,
        org_name: r.try_get(6)?,
        org_path: r.try_get(7)?,
    })
}

pub async fn get(db: &Db, scope: &Scope, id: i64) -> AppResult<Enterprise> {
    let mut sql = Sql::new("");
    let p = sql.int(id);
    let pred = scope.org_predicate(&mut sql, "o.path");
    sql.push(&format!("SELECT {COLS} FROM enterprises e JOIN orgs o ON o.id = e.org_id WHERE e.id = {p} AND {pred}"));
    match sql.query().fetch_optional(&db.pool).await? {
        Some(r) => Ok(from_row(&r)?),
        None => Err(AppError::not_found("企业")),
    }
}

pub async fn list(
    db: &Db,
    scope: &Scope,
    q: Option<&str>,
    paging: Paging,
) -> AppResult<(Vec<Enterprise>, i64)> {
    let mut sql = Sql::new("");
    let pred = scope.org_predicate(&mut sql, "o.path");
    let mut filter = format!(" FROM enterprises e JOIN orgs o ON o.id = e.org_id WHERE {pred}");
    if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
        let p = sql.text(format!("%{}%", like_escape(q)));
        let exact = sql.text(q.to_ascii_uppercase());
        filter.push_str(&format!(" AND (e.name LIKE {p} ESCAPE '\\' OR e.credit_code = {exact} OR e.industry LIKE {p} ESCAPE '\\')"));
    }
    let mut count = sql.clone();
    count.push(&format!("SELECT COUNT(*){filter}"));
    let total = count.fetch_count(&db.pool).await?;
    let lim = sql.int(paging.per_page);
    let off = sql.int(paging.offset());
    sql.push(&format!(
        "SELECT {COLS}{filter} ORDER BY o.path, e.id LIMIT {lim} OFFSET {off}"
    ));
    let rows = sql.fetch_all(&db.pool).await?;
    Ok((rows.iter().map(from_row).collect::<Result<_, _>>()?, total))
}

async fn check_code_free(db: &Db, code: &str, except: i64) -> AppResult<()> {
    let row = sqlx::query("SELECT name FROM enterprises WHERE credit_code = $1 AND id <> $2")
        .bind(code)
        .bind(except)
        .fetch_optional(&db.pool)
        .await?;
    if row.is_some() {
        return Err(AppError::conflict(
            Some("credit_code"),
            format!("统一社会信用代码 {code} 已登记过企业"),
        ));
    }
    Ok(())
}

/// Inserts an enterprise; the caller has checked that `org_id` is in its scope.
pub async fn create(db: &Db, actor: &Actor, f: &EnterpriseFields, org_id: i64) -> AppResult<i64> {
    let code = f.credit_code.clone().unwrap_or_default();
    check_code_free(db, &code, -1).await?;
    let now = now_ms();
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query(
        "INSERT INTO enterprises (credit_code, name, industry, size, org_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
    )
    .bind(code)
    .bind(f.name.clone().unwrap_or_default())
    .bind(f.industry.clone().unwrap_or_default())
    .bind(f.size.clone().unwrap_or_default())
    .bind(org_id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    let ev = Event::new("enterprise.create", "enterprise", id)
        .org(org_id)
        .detail(json!({ "name": f.name, "credit_code": f.credit_code }));
    audit::append(&mut tx, actor, ev).await?;
    tx.commit().await?;
    Ok(id)
}

/// Applies the given fields; `org_id`, when given, has been scope-checked by the caller.
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: i64,
    f: &EnterpriseFields,
    org_id: Option<i64>,
) -> AppResult<()> {
    if let Some(code) = &f.credit_code {
        check_code_free(db, code, id).await?;
    }
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE enterprises SET credit_code = COALESCE($1, credit_code), name = COALESCE($2, name), \
         industry = COALESCE($3, industry), size = COALESCE($4, size), org_id = COALESCE($5, org_id), \
         updated_at = $6 WHERE id = $7",
    )
    .bind(f.credit_code.clone())
    .bind(f.name.clone())
    .bind(f.industry.clone())
    .bind(f.size.clone())
    .bind(org_id)
    .bind(now_ms())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    let owner: i64 = sqlx::query("SELECT org_id FROM enterprises WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    let detail = json!({ "credit_code": f.credit_code, "name": f.name, "industry": f.industry, "size": f.size, "org_id": org_id });
    audit::append(
        &mut tx,
        actor,
        Event::new("enterprise.update", "enterprise", id)
            .org(owner)
            .detail(detail),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Enterprises covered by exactly one organisation (for choosing an employer).
pub async fn of_org(db: &Db, org_id: i64) -> AppResult<Vec<Enterprise>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLS} FROM enterprises e JOIN orgs o ON o.id = e.org_id WHERE e.org_id = $1 ORDER BY e.name"
    ))
    .bind(org_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}
