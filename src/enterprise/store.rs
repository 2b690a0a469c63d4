//! SQL for enterprises, scoped by the covering organisation's subtree.

use super::rules::EnterpriseFields;
use crate::audit::{self, Actor, Event};
use crate::auth::{Access, Scope};
use crate::db::sql::Sql;
use crate::db::Paging;
use crate::db::{like_escape, now_ms, Db};
use crate::web::error::{AppError, AppResult};
use serde::Serialize;
use serde_json::json;
use sqlx::{FromRow, Row};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Enterprise {
    pub id: i64,
    /// 统一社会信用代码 (GB 32100), 18 characters.
    pub credit_code: String,
    pub name: String,
    pub industry: String,
    pub size: String,
    pub address: String,
    /// 联系人 and their telephone ("" when not recorded).
    pub contact: String,
    pub contact_phone: String,
    /// Registered from a roster by its name alone: the credit code (then "")
    /// is still to be filled in.
    #[sqlx(try_from = "crate::db::IntFlag")]
    pub credit_code_pending: bool,
    pub org_id: i64,
    pub org_name: String,
    #[serde(skip)]
    #[schema(ignore)]
    pub org_path: String,
}

const COLS: &str = "e.id, CASE WHEN e.credit_code_pending = 0 THEN e.credit_code ELSE '' END AS credit_code, e.name, e.industry, e.size, e.address, e.contact, e.contact_phone, e.credit_code_pending, e.org_id, o.name AS org_name, o.path AS org_path";

pub async fn get(db: &Db, scope: &Scope, id: i64) -> AppResult<Enterprise> {
    let mut sql = Sql::new("");
    let p = sql.int(id);
    let pred = scope.org_predicate(&mut sql, "o.path");
    sql.push(&format!("SELECT {COLS} FROM enterprises e JOIN orgs o ON o.id = e.org_id WHERE e.id = {p} AND {pred}"));
    match sql.query().fetch_optional(&db.pool).await? {
        Some(r) => Ok(Enterprise::from_row(&r)?),
        None => Err(AppError::not_found("企业")),
    }
}

/// How many enterprises each scope holds, in one statement (the dashboard).
pub async fn count_in(db: &Db, scopes: &[Scope]) -> AppResult<Vec<i64>> {
    // Kept per subtree by the triggers of migration 0020.
    let n = crate::org::subtree::totals(db, scopes, &["enterprises"]).await?;
    Ok(n.into_iter().map(|v| v[0]).collect())
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
    Ok((
        rows.iter()
            .map(Enterprise::from_row)
            .collect::<Result<_, _>>()?,
        total,
    ))
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

/// The union an enterprise is registered under, in reach of `access` (404
/// out of sight, 403 without the right there).
async fn covering_org(db: &Db, access: &Access, org_id: i64) -> AppResult<()> {
    let org = crate::org::store::get(db, &access.see, org_id).await?;
    access.check(&org.path, "组织")
}

/// Registers an enterprise under `org_id`, which must be in reach of `access`.
pub async fn create(
    db: &Db,
    actor: &Actor,
    access: &Access,
    f: &EnterpriseFields,
    org_id: i64,
) -> AppResult<i64> {
    covering_org(db, access, org_id).await?;
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

/// An enterprise the caller may change: 404 out of sight, 403 in sight without the right.
pub async fn writable(db: &Db, access: &Access, id: i64) -> AppResult<Enterprise> {
    let e = get(db, &access.see, id).await?;
    access.check(&e.org_path, "企业")?;
    Ok(e)
}

/// Applies the given fields to an enterprise in reach of `access`; `org_id`,
/// when given, moves it to another union in reach.
pub async fn update(
    db: &Db,
    actor: &Actor,
    access: &Access,
    id: i64,
    f: &EnterpriseFields,
    org_id: Option<i64>,
) -> AppResult<()> {
    let e = writable(db, access, id).await?;
    if let Some(o) = org_id {
        covering_org(db, access, o).await?;
    }
    if let Some(code) = &f.credit_code {
        check_code_free(db, code, id).await?;
    }
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE enterprises SET credit_code = COALESCE($1, credit_code), \
         credit_code_pending = CASE WHEN $1 IS NULL THEN credit_code_pending ELSE 0 END, name = COALESCE($2, name), \
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
    let detail = json!({ "credit_code": f.credit_code, "name": f.name, "industry": f.industry, "size": f.size, "org_id": org_id });
    audit::append(
        &mut tx,
        actor,
        Event::new("enterprise.update", "enterprise", id)
            .org(org_id.unwrap_or(e.org_id))
            .detail(detail),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Enterprises covered by exactly one organisation in the scope (for choosing an employer).
pub async fn of_org(db: &Db, scope: &Scope, org_id: i64) -> AppResult<Vec<Enterprise>> {
    let mut sql = Sql::new("");
    let p = sql.int(org_id);
    let pred = scope.org_predicate(&mut sql, "o.path");
    sql.push(&format!(
        "SELECT {COLS} FROM enterprises e JOIN orgs o ON o.id = e.org_id WHERE e.org_id = {p} AND {pred} ORDER BY e.name"
    ));
    let rows = sql.fetch_all(&db.pool).await?;
    Ok(rows
        .iter()
        .map(Enterprise::from_row)
        .collect::<Result<_, _>>()?)
}

/// An enterprise as an import writes it, inside the import's transaction
/// (which has checked the right at the subtree imported into).
pub struct ImportedEnterprise<'a> {
    pub credit_code: &'a str,
    pub name: &'a str,
    pub org_id: i64,
    pub industry: &'a str,
    pub size: &'a str,
    pub address: &'a str,
    pub contact: &'a str,
    pub contact_phone: &'a str,
}

/// Registers it, or updates the one with its credit code (`existing`): what
/// the file leaves blank stays as it was.
pub async fn upsert_in(
    tx: &mut crate::db::Tx,
    e: &ImportedEnterprise<'_>,
    existing: Option<i64>,
) -> Result<(), sqlx::Error> {
    let now = now_ms();
    let q = match existing {
        None => sqlx::query(
            "INSERT INTO enterprises (credit_code, name, org_id, industry, size, address, contact, contact_phone, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        )
        .bind(e.credit_code),
        Some(id) => sqlx::query(
            "UPDATE enterprises SET name = $2, org_id = $3, \
             industry = CASE WHEN $4 = '' THEN industry ELSE $4 END, size = CASE WHEN $5 = '' THEN size ELSE $5 END, \
             address = CASE WHEN $6 = '' THEN address ELSE $6 END, contact = CASE WHEN $7 = '' THEN contact ELSE $7 END, \
             contact_phone = CASE WHEN $8 = '' THEN contact_phone ELSE $8 END, updated_at = $9 WHERE id = $1",
        )
        .bind(id),
    };
    q.bind(e.name)
        .bind(e.org_id)
        .bind(e.industry)
        .bind(e.size)
        .bind(e.address)
        .bind(e.contact)
        .bind(e.contact_phone)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// An enterprise already registered under a credit code a file names.
pub struct Registered {
    pub id: i64,
    /// The union covering it, and that union's path.
    pub org_id: i64,
    pub org_path: String,
}

/// The enterprises registered under these credit codes.
pub async fn by_credit_codes(
    db: &Db,
    codes: &[String],
) -> Result<std::collections::HashMap<String, Registered>, sqlx::Error> {
    let mut out = std::collections::HashMap::new();
    for chunk in codes.chunks(500) {
        let mut sql = Sql::new("");
        let list = chunk
            .iter()
            .map(|c| sql.text(c.clone()))
            .collect::<Vec<_>>()
            .join(", ");
        sql.push(&format!(
            "SELECT e.credit_code, e.id, o.path, e.org_id FROM enterprises e JOIN orgs o ON o.id = e.org_id \
             WHERE e.credit_code_pending = 0 AND e.credit_code IN ({list})"
        ));
        for r in sql.fetch_all(&db.pool).await? {
            let registered = Registered {
                id: r.try_get(1)?,
                org_path: r.try_get(2)?,
                org_id: r.try_get(3)?,
            };
            out.insert(r.try_get(0)?, registered);
        }
    }
    Ok(out)
}

/// An employer a roster names, registered by its name alone under `org_id`
/// and marked 待补充信用代码 (its code column holds a placeholder no real
/// code can equal, never shown).
pub async fn insert_pending_in(
    tx: &mut crate::db::Tx,
    name: &str,
    org_id: i64,
) -> Result<i64, sqlx::Error> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO enterprises (credit_code, name, org_id, credit_code_pending, created_at, updated_at) \
         VALUES ($1, $2, $3, 1, $4, $4) RETURNING id",
    )
    .bind(format!("待补充-{}", crate::auth::session::random_token()))
    .bind(name)
    .bind(org_id)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)
}
