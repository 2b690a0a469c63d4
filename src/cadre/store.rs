//! SQL for cadre points. Reads take the caller's scope (a record outside it
//! is not found); every write is one transaction with its audit entry.
//! Entries are append-only: a mistake is undone by one reversing entry.

use super::rules;
use crate::audit::{self, Actor, Event};
use crate::auth::{Access, Scope};
use crate::db::sql::Sql;
use crate::db::Paging;
use crate::db::{now_ms, Db};
use crate::web::error::{AppError, AppResult};
use serde::Serialize;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Cadre {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub name: String,
    pub title: String,
    pub member_id: Option<i64>,
    #[sqlx(try_from = "crate::db::IntFlag")]
    pub active: bool,
    /// The year `points` and `entries` are counted for.
    #[sqlx(default)]
    pub year: i32,
    /// The year's total (reversals included, so a reversed entry nets to nothing).
    pub points: i64,
    /// The year's entries that stand: neither reversed nor reversals.
    pub entries: i64,
    pub created_at: i64,
    pub updated_at: i64,
    #[serde(skip)]
    #[schema(ignore)]
    pub org_path: String,
}

/// The year's total and the count of entries that stand, for cadre `c`;
/// `$y1`/`$y2` are the year's bounds.
fn year_totals(y1: &str, y2: &str) -> String {
    format!(
        "CAST(COALESCE((SELECT SUM(e.points) FROM cadre_entries e WHERE e.cadre_id = c.id \
         AND e.occurred_on >= {y1} AND e.occurred_on < {y2}), 0) AS BIGINT) AS points, \
         (SELECT COUNT(*) FROM cadre_entries e WHERE e.cadre_id = c.id AND e.occurred_on >= {y1} \
         AND e.occurred_on < {y2} AND e.reverses_id IS NULL \
         AND NOT EXISTS (SELECT 1 FROM cadre_entries r WHERE r.reverses_id = e.id)) AS entries"
    )
}

const CADRE_COLS: &str =
    "c.id, c.org_id, o.name AS org_name, c.name, c.title, c.member_id, c.active, \
     c.created_at, c.updated_at, o.path AS org_path";
const CADRE_FROM: &str = "FROM cadres c JOIN orgs o ON o.id = c.org_id";

/// A cadre as read, with the year its totals are for.
fn cadre_of(r: &AnyRow, year: i32) -> Result<Cadre, sqlx::Error> {
    Ok(Cadre {
        year,
        ..Cadre::from_row(r)?
    })
}

/// A cadre the scope covers, with `year`'s points.
pub async fn cadre(db: &Db, scope: &Scope, id: i64, year: i32) -> AppResult<Cadre> {
    let mut sql = Sql::new("");
    let (from, to) = rules::year_range(year);
    let (y1, y2) = (sql.text(from), sql.text(to));
    let p = sql.int(id);
    let pred = scope.org_predicate(&mut sql, "o.path");
    sql.push(&format!(
        "SELECT {CADRE_COLS}, {} {CADRE_FROM} WHERE c.id = {p} AND {pred}",
        year_totals(&y1, &y2)
    ));
    match sql.query().fetch_optional(&db.pool).await? {
        Some(r) => Ok(cadre_of(&r, year)?),
        None => Err(AppError::not_found("干部")),
    }
}

/// The cadres of a scope's subtrees (active first, then by union and name),
/// with `year`'s points; only those in office (or out of it) where `active`
/// says so. Also how many, and the year's points of them all.
pub async fn cadres(
    db: &Db,
    scope: &Scope,
    year: i32,
    active: Option<bool>,
    paging: Paging,
) -> AppResult<(Vec<Cadre>, i64, i64)> {
    let mut sql = Sql::new("");
    let (from, to) = rules::year_range(year);
    let (y1, y2) = (sql.text(from.clone()), sql.text(to.clone()));
    let pred = cadres_where(&mut sql, scope, active);
    let mut count = Sql::new("");
    let count_pred = cadres_where(&mut count, scope, active);
    let (c1, c2) = (count.text(from), count.text(to));
    let counted = count
        .fetch_counts(
            &[
                format!("SELECT COUNT(*) {CADRE_FROM} WHERE {count_pred}"),
                format!(
                    "SELECT COALESCE(SUM(e.points), 0) FROM cadre_entries e JOIN cadres c ON c.id = e.cadre_id \
                     JOIN orgs o ON o.id = c.org_id WHERE {count_pred} AND e.occurred_on >= {c1} AND e.occurred_on < {c2}"
                ),
            ],
            &db.pool,
        )
        .await?;
    let (total, points) = (counted[0], counted[1]);
    let lim = sql.int(paging.per_page);
    let off = sql.int(paging.offset());
    sql.push(&format!(
        "SELECT {CADRE_COLS}, {} {CADRE_FROM} WHERE {pred} ORDER BY c.active DESC, o.path, c.name, c.id LIMIT {lim} OFFSET {off}",
        year_totals(&y1, &y2)
    ));
    let rows = sql.fetch_all(&db.pool).await?;
    let items = rows
        .iter()
        .map(|r| cadre_of(r, year))
        .collect::<Result<_, _>>()?;
    Ok((items, total, points))
}

/// Cadres of the scope, in office or not as `active` asks (either, left out).
fn cadres_where(sql: &mut Sql, scope: &Scope, active: Option<bool>) -> String {
    let pred = scope.org_predicate(sql, "o.path");
    match active {
        Some(a) => format!("{pred} AND c.active = {}", sql.int(i64::from(a))),
        None => pred,
    }
}

/// For the dashboard: the cadres in office in each scope, and the year's
/// points of all its cadres, kept per subtree by the triggers of migration 0021.
pub async fn figures(db: &Db, scopes: &[Scope], year: i32) -> AppResult<Vec<(i64, i64)>> {
    use crate::org::subtree;
    let in_office = subtree::totals(db, scopes, &["cadres_in_office"]).await?;
    let (first, last) = (format!("{year:04}-01"), format!("{year:04}-12"));
    let points = subtree::months(db, scopes, &["cadre_points"], (&first, &last)).await?;
    Ok(in_office
        .iter()
        .zip(&points)
        .map(|(c, p)| (c[0], p[0]))
        .collect())
}

/// A cadre the caller may manage or record for: 404 out of sight, 403 without the right.
pub async fn writable_cadre(db: &Db, access: &Access, id: i64, year: i32) -> AppResult<Cadre> {
    let c = cadre(db, &access.see, id, year).await?;
    access.check(&c.org_path, "干部")?;
    Ok(c)
}

/// An entry the caller may reverse: 404 out of sight, 403 without the right.
pub async fn writable_entry(db: &Db, access: &Access, id: i64) -> AppResult<Entry> {
    let e = entry(db, &access.see, id).await?;
    access.check(&e.org_path, "积分记录")?;
    Ok(e)
}

/// A cadre to add, its fields checked by `rules::check_cadre`.
pub struct NewCadre {
    pub org_id: i64,
    pub name: String,
    pub title: String,
    pub member_id: Option<i64>,
}

/// Adds a cadre (the caller has checked the union and the member); one member
/// is one cadre of a union (409 the second time).
pub async fn create_cadre(db: &Db, actor: &Actor, c: &NewCadre) -> AppResult<i64> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO cadres (org_id, name, title, member_id, active, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 1, $5, $5) RETURNING id",
    )
    .bind(c.org_id)
    .bind(&c.name)
    .bind(&c.title)
    .bind(c.member_id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await;
    let id: i64 = match inserted {
        Ok(r) => r.try_get(0)?,
        Err(e) if crate::db::is_unique_violation(&e) => {
            return Err(AppError::conflict(
                Some("member_id"),
                "这位会员已是该工会的干部",
            ))
        }
        Err(e) => return Err(e.into()),
    };
    let mut ev = Event::new("cadre.create", "cadre", id)
        .org(c.org_id)
        .detail(json!({ "name": c.name, "title": c.title }));
    if let Some(m) = c.member_id {
        ev = ev.member(m);
    }
    audit::append(&mut tx, actor, ev).await?;
    tx.commit().await?;
    Ok(id)
}

/// What a PATCH may change; `None` leaves a field as it is.
#[derive(Debug, Default, Clone)]
pub struct CadrePatch {
    pub name: Option<String>,
    pub title: Option<String>,
    pub active: Option<bool>,
}

pub async fn update_cadre(db: &Db, actor: &Actor, c: &Cadre, p: &CadrePatch) -> AppResult<()> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE cadres SET name = COALESCE($1, name), title = COALESCE($2, title), \
         active = COALESCE($3, active), updated_at = $4 WHERE id = $5",
    )
    .bind(p.name.clone())
    .bind(p.title.clone())
    .bind(p.active.map(i64::from))
    .bind(now_ms())
    .bind(c.id)
    .execute(&mut *tx)
    .await?;
    let mut ev = Event::new("cadre.update", "cadre", c.id)
        .org(c.org_id)
        .detail(json!({ "name": p.name, "title": p.title, "active": p.active }));
    if let Some(m) = c.member_id {
        ev = ev.member(m);
    }
    audit::append(&mut tx, actor, ev).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema, sqlx::FromRow)]
#[schema(as = CadreItem)]
pub struct Item {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub label: String,
    pub points: i64,
    #[sqlx(try_from = "crate::db::IntFlag")]
    pub active: bool,
    pub created_at: i64,
    #[serde(skip)]
    #[schema(ignore)]
    pub org_path: String,
}

const ITEM_COLS: &str =
    "i.id, i.org_id, o.name AS org_name, i.label, i.points, i.active, i.created_at, o.path AS org_path";
const ITEM_FROM: &str = "FROM cadre_rule_items i JOIN orgs o ON o.id = i.org_id";

impl Item {
    /// Whether the item counts for a cadre of the union at `path`: it belongs
    /// to that union or to one above it.
    pub fn applies_to(&self, path: &str) -> bool {
        path.starts_with(&self.org_path)
    }
}

/// An item in the scope (a union's items reach the cadres of its whole
/// subtree: `Scope::offered_to` the cadre's union finds the ones that apply).
pub async fn item(db: &Db, scope: &Scope, id: i64) -> AppResult<Option<Item>> {
    let mut sql = Sql::new("");
    let p = sql.int(id);
    let pred = scope.org_predicate(&mut sql, "o.path");
    sql.push(&format!(
        "SELECT {ITEM_COLS} {ITEM_FROM} WHERE i.id = {p} AND {pred}"
    ));
    let row = sql.query().fetch_optional(&db.pool).await?;
    Ok(row.map(|r| Item::from_row(&r)).transpose()?)
}

/// An item the caller may switch on or off: 404 out of sight, 403 without the right.
pub async fn writable_item(db: &Db, access: &Access, id: i64) -> AppResult<Item> {
    let item = item(db, &access.see, id)
        .await?
        .ok_or_else(|| AppError::not_found("积分项目"))?;
    access.check(&item.org_path, "积分项目")?;
    Ok(item)
}

/// The items that apply at the union at `path`: its own and those of the unions
/// above it, the highest union's first.
pub async fn items_for(db: &Db, path: &str) -> AppResult<Vec<Item>> {
    let mut sql = Sql::new("");
    let pred = Scope::offered_to(path).org_predicate(&mut sql, "o.path");
    sql.push(&format!(
        "SELECT {ITEM_COLS} {ITEM_FROM} WHERE {pred} ORDER BY length(o.path), i.active DESC, i.points DESC, i.id"
    ));
    Ok(sql
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(Item::from_row)
        .collect::<Result<_, _>>()?)
}

/// Adds a union's rule item (the caller has checked the union); a label is
/// used once per union (409 the second time).
pub async fn create_item(
    db: &Db,
    actor: &Actor,
    org_id: i64,
    label: &str,
    points: i64,
) -> AppResult<Item> {
    let mut tx = db.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO cadre_rule_items (org_id, label, points, active, created_at) \
         VALUES ($1, $2, $3, 1, $4) RETURNING id",
    )
    .bind(org_id)
    .bind(label)
    .bind(points)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await;
    let id: i64 = match inserted {
        Ok(r) => r.try_get(0)?,
        Err(e) if crate::db::is_unique_violation(&e) => {
            return Err(AppError::conflict(
                Some("label"),
                format!("该工会已有积分项目“{label}”"),
            ))
        }
        Err(e) => return Err(e.into()),
    };
    let ev = Event::new("cadre.item.create", "cadre_rule_item", id)
        .org(org_id)
        .detail(json!({ "label": label, "points": points }));
    audit::append(&mut tx, actor, ev).await?;
    tx.commit().await?;
    item(db, &Scope::everything(), id)
        .await?
        .ok_or_else(|| AppError::not_found("积分项目"))
}

/// Takes an item out of use (past entries keep their points) or back in.
pub async fn set_item_active(db: &Db, actor: &Actor, i: &Item, active: bool) -> AppResult<()> {
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE cadre_rule_items SET active = $1 WHERE id = $2")
        .bind(i64::from(active))
        .bind(i.id)
        .execute(&mut *tx)
        .await?;
    let ev = Event::new("cadre.item.update", "cadre_rule_item", i.id)
        .org(i.org_id)
        .detail(json!({ "label": i.label, "active": active }));
    audit::append(&mut tx, actor, ev).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema, sqlx::FromRow)]
#[schema(as = CadreEntry)]
pub struct Entry {
    pub id: i64,
    pub cadre_id: i64,
    pub org_id: i64,
    pub item_id: Option<i64>,
    pub points: i64,
    pub label: String,
    pub evidence: String,
    /// `YYYY-MM-DD`: decides the year the entry counts in.
    pub occurred_on: String,
    /// The entry this one reverses.
    pub reverses_id: Option<i64>,
    /// The entry that reverses this one.
    pub reversed_by: Option<i64>,
    pub account_id: Option<i64>,
    pub created_at: i64,
    #[serde(skip)]
    #[schema(ignore)]
    pub org_path: String,
}

const ENTRY_COLS: &str =
    "e.id, e.cadre_id, e.org_id, e.item_id, e.points, e.label, e.evidence, e.occurred_on, \
     e.reverses_id, r.id AS reversed_by, e.account_id, e.created_at, o.path AS org_path";
const ENTRY_FROM: &str = "FROM cadre_entries e JOIN orgs o ON o.id = e.org_id \
     LEFT JOIN cadre_entries r ON r.reverses_id = e.id";

/// An entry the scope covers.
pub async fn entry(db: &Db, scope: &Scope, id: i64) -> AppResult<Entry> {
    let mut sql = Sql::new("");
    let p = sql.int(id);
    let pred = scope.org_predicate(&mut sql, "o.path");
    sql.push(&format!(
        "SELECT {ENTRY_COLS} {ENTRY_FROM} WHERE e.id = {p} AND {pred}"
    ));
    match sql.query().fetch_optional(&db.pool).await? {
        Some(r) => Ok(Entry::from_row(&r)?),
        None => Err(AppError::not_found("积分记录")),
    }
}

/// A cadre's entries (of one year, or all), the latest day first.
pub async fn entries(
    db: &Db,
    scope: &Scope,
    cadre_id: i64,
    year: Option<i32>,
) -> AppResult<Vec<Entry>> {
    let mut sql = Sql::new("");
    let c = sql.int(cadre_id);
    let pred = scope.org_predicate(&mut sql, "o.path");
    let mut filter = format!("e.cadre_id = {c} AND {pred}");
    if let Some(y) = year {
        let (from, to) = rules::year_range(y);
        let (y1, y2) = (sql.text(from), sql.text(to));
        filter.push_str(&format!(
            " AND e.occurred_on >= {y1} AND e.occurred_on < {y2}"
        ));
    }
    sql.push(&format!(
        "SELECT {ENTRY_COLS} {ENTRY_FROM} WHERE {filter} ORDER BY e.occurred_on DESC, e.id DESC LIMIT 1000"
    ));
    Ok(sql
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(Entry::from_row)
        .collect::<Result<_, _>>()?)
}

/// Records an entry for a cadre by an item, copying the item's label and
/// points as they are now. The item is read inside the statement, so an item
/// taken out of use a moment ago is refused (422) rather than paid.
pub async fn add_entry(
    db: &Db,
    actor: &Actor,
    cadre: &Cadre,
    item: &Item,
    evidence: &str,
    occurred_on: &str,
) -> AppResult<Entry> {
    let mut tx = db.begin().await?;
    let row = sqlx::query(
        "INSERT INTO cadre_entries (cadre_id, org_id, item_id, points, label, evidence, occurred_on, account_id, created_at) \
         SELECT $1, $2, i.id, i.points, i.label, $3, $4, $5, $6 FROM cadre_rule_items i WHERE i.id = $7 AND i.active = 1 \
         RETURNING id, points, label",
    )
    .bind(cadre.id)
    .bind(cadre.org_id)
    .bind(evidence)
    .bind(occurred_on)
    .bind(actor.account_id)
    .bind(now_ms())
    .bind(item.id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Err(AppError::invalid(
            "item_id",
            format!("积分项目“{}”已停用", item.label),
        ));
    };
    let (id, points, label): (i64, i64, String) =
        (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
    let mut ev = Event::new("cadre.entry", "cadre_entry", id)
        .org(cadre.org_id)
        .detail(json!({ "cadre_id": cadre.id, "item_id": item.id, "label": label, "points": points, "occurred_on": occurred_on }));
    if let Some(m) = cadre.member_id {
        ev = ev.member(m);
    }
    audit::append(&mut tx, actor, ev).await?;
    tx.commit().await?;
    entry(db, &Scope::new(vec![cadre.org_path.clone()], None), id).await
}

/// Reverses an entry once: a new entry of the opposite points on the same day
/// (so the year it counted in nets to nothing), with the reason as its
/// evidence. A second reversal, or reversing a reversal, is a 409.
pub async fn reverse(db: &Db, actor: &Actor, e: &Entry, reason: &str) -> AppResult<Entry> {
    if e.reverses_id.is_some() {
        return Err(AppError::conflict(None, "这是一条冲销记录，不能再冲销"));
    }
    if let Some(by) = e.reversed_by {
        return Err(AppError::conflict(
            None,
            format!("该记录已被冲销（冲销记录 {by}）"),
        ));
    }
    let mut tx = db.begin().await?;
    let label = format!("冲销：{}", e.label);
    let inserted = sqlx::query(
        "INSERT INTO cadre_entries (cadre_id, org_id, item_id, points, label, evidence, occurred_on, reverses_id, account_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(e.cadre_id)
    .bind(e.org_id)
    .bind(e.item_id)
    .bind(-e.points)
    .bind(&label)
    .bind(reason)
    .bind(&e.occurred_on)
    .bind(e.id)
    .bind(actor.account_id)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await;
    let id: i64 = match inserted {
        Ok(r) => r.try_get(0)?,
        // Two reversals at once: the unique reverses_id lets one in.
        Err(err) if crate::db::is_unique_violation(&err) => {
            return Err(AppError::conflict(None, "该记录已被冲销"))
        }
        Err(err) => return Err(err.into()),
    };
    let ev = Event::new("cadre.reverse", "cadre_entry", id)
        .org(e.org_id)
        .detail(json!({ "cadre_id": e.cadre_id, "reverses": e.id, "points": -e.points, "reason": reason }));
    audit::append(&mut tx, actor, ev).await?;
    tx.commit().await?;
    entry(db, &Scope::new(vec![e.org_path.clone()], None), id).await
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = CadreStanding)]
pub struct Standing {
    pub rank: i64,
    pub cadre_id: i64,
    pub name: String,
    pub title: String,
    pub org_id: i64,
    pub org_name: String,
    pub points: i64,
    /// Entries that stand (neither reversed nor reversals).
    pub entries: i64,
}

/// The year's ranking of the cadres in a scope's subtrees: every active cadre
/// (with 0 when nothing was recorded) and any other with entries that year,
/// most points first; equal totals share a rank.
pub async fn ranking(db: &Db, scope: &Scope, year: i32, limit: i64) -> AppResult<Vec<Standing>> {
    let mut sql = Sql::new("");
    let (from, to) = rules::year_range(year);
    let (y1, y2) = (sql.text(from), sql.text(to));
    let pred = scope.org_predicate(&mut sql, "o.path");
    let lim = sql.int(limit);
    sql.push(&format!(
        "SELECT c.id, c.name, c.title, c.org_id, o.name, CAST(COALESCE(SUM(e.points), 0) AS BIGINT) AS total, \
         CAST(COALESCE(SUM(CASE WHEN e.id IS NOT NULL AND e.reverses_id IS NULL AND r.id IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT) \
         FROM cadres c JOIN orgs o ON o.id = c.org_id \
         LEFT JOIN cadre_entries e ON e.cadre_id = c.id AND e.occurred_on >= {y1} AND e.occurred_on < {y2} \
         LEFT JOIN cadre_entries r ON r.reverses_id = e.id \
         WHERE {pred} GROUP BY c.id, c.name, c.title, c.org_id, o.name, c.active \
         HAVING c.active = 1 OR COUNT(e.id) > 0 ORDER BY total DESC, c.id LIMIT {lim}"
    ));
    let rows = sql.fetch_all(&db.pool).await?;
    let points: Vec<i64> = rows
        .iter()
        .map(|r| r.try_get(5))
        .collect::<Result<_, _>>()?;
    let ranks = rules::ranks(&points);
    rows.iter()
        .zip(ranks)
        .map(|(r, rank)| {
            Ok(Standing {
                rank,
                cadre_id: r.try_get(0)?,
                name: r.try_get(1)?,
                title: r.try_get(2)?,
                org_id: r.try_get(3)?,
                org_name: r.try_get(4)?,
                points: r.try_get(5)?,
                entries: r.try_get(6)?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(AppError::from)
}
