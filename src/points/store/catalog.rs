//! SQL for the redemption catalogue (积分兑换) and its orders. A redemption is
//! one transaction: the unit of stock, the member's limit, the order, the
//! ledger's debit and the audit entries.

use super::super::rules::ItemFields;
use crate::audit::{self, Actor, Event};
use crate::auth::{Access, Scope};
use crate::db::sql::Sql;
use crate::db::{now_ms, Db, Tx};
use crate::ledger::store::{give_back_to_lots, post, NewEntry};
use crate::web::error::{AppError, AppResult};
use serde::Serialize;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Item {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub name: String,
    pub description: String,
    pub price: i64,
    pub stock: i64,
    pub per_member_limit: i64,
    #[sqlx(try_from = "crate::db::IntFlag")]
    pub active: bool,
    /// The last day it can be redeemed (YYYY-MM-DD, Beijing time), if it has one.
    #[sqlx(default)]
    pub valid_until: Option<String>,
    #[serde(skip)]
    #[schema(ignore)]
    pub org_path: String,
    /// `valid_until` as the first millisecond it can no longer be redeemed.
    #[serde(skip)]
    #[schema(ignore)]
    pub valid_until_ms: Option<i64>,
}

impl Item {
    /// Past its last day of redemption at `now`.
    pub fn ended(&self, now: i64) -> bool {
        self.valid_until_ms.is_some_and(|end| end <= now)
    }
}

const ITEM_COLS: &str =
    "i.id, i.org_id, o.name AS org_name, i.name, i.description, i.price, i.stock, \
     i.per_member_limit, i.active, o.path AS org_path, i.valid_until AS valid_until_ms";

/// An item as read, with its last day (the end is exclusive) as a date.
fn item_of(r: &AnyRow) -> Result<Item, sqlx::Error> {
    let mut item = Item::from_row(r)?;
    item.valid_until = item
        .valid_until_ms
        .map(|end| crate::db::format_ms(end - 1).chars().take(10).collect());
    Ok(item)
}

/// What of the catalogue a scope sees: staff their subtrees' items (whether
/// on offer or not); a member (`offered_to`) the items of their union and of
/// the unions above it that are on offer (`now` before their end).
fn item_predicate(sql: &mut Sql, scope: &Scope, now: Option<i64>) -> String {
    let mut parts = vec![];
    if !scope.paths.is_empty() {
        let staff = Scope::new(scope.paths.clone(), None);
        parts.push(staff.org_predicate(sql, "o.path"));
    }
    if let Some(below) = &scope.offered_to {
        let offered = Scope::offered_to(below).org_predicate(sql, "o.path");
        let open = match now {
            Some(now) => format!(
                " AND (i.valid_until IS NULL OR i.valid_until > {})",
                sql.int(now)
            ),
            None => String::new(),
        };
        parts.push(format!("({offered} AND i.active = 1{open})"));
    }
    if parts.is_empty() {
        return "1 = 0".into();
    }
    format!("({})", parts.join(" OR "))
}

/// An item in the scope (see `item_predicate`), else "not found".
pub async fn item(db: &Db, scope: &Scope, id: i64) -> AppResult<Item> {
    let mut sql = Sql::new("");
    let p = sql.int(id);
    let pred = item_predicate(&mut sql, scope, None);
    sql.push(&format!(
        "SELECT {ITEM_COLS} FROM catalog_items i JOIN orgs o ON o.id = i.org_id WHERE i.id = {p} AND {pred}"
    ));
    sql.query()
        .fetch_optional(&db.pool)
        .await?
        .map(|r| item_of(&r))
        .transpose()?
        .ok_or_else(|| AppError::not_found("兑换物品"))
}

/// An item the caller may change: 404 out of sight, 403 in sight without the right.
pub async fn writable_item(db: &Db, access: &Access, id: i64) -> AppResult<Item> {
    let i = item(db, &access.see, id).await?;
    access.check(&i.org_path, "兑换物品")?;
    Ok(i)
}

/// The items a scope sees (see `item_predicate`; a member's only those open now).
pub async fn items(db: &Db, scope: &Scope) -> AppResult<Vec<Item>> {
    let mut sql = Sql::new("");
    let pred = item_predicate(&mut sql, scope, Some(now_ms()));
    sql.push(&format!("SELECT {ITEM_COLS} FROM catalog_items i JOIN orgs o ON o.id = i.org_id WHERE {pred} ORDER BY o.path, i.id"));
    Ok(sql
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(item_of)
        .collect::<Result<_, _>>()?)
}

/// Puts an item in the catalogue of `org_id`, a union in reach of `access`.
pub async fn create_item(
    db: &Db,
    actor: &Actor,
    access: &Access,
    org_id: i64,
    f: &ItemFields,
) -> AppResult<i64> {
    crate::org::store::writable(db, access, org_id).await?;
    let now = now_ms();
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query(
        "INSERT INTO catalog_items (org_id, name, description, price, stock, per_member_limit, active, created_at, updated_at, valid_until) \
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7, $8) RETURNING id",
    )
    .bind(org_id)
    .bind(f.name.clone().unwrap_or_default())
    .bind(f.description.clone().unwrap_or_default())
    .bind(f.price.unwrap_or(1))
    .bind(f.stock.unwrap_or(0))
    .bind(f.per_member_limit.unwrap_or(0))
    .bind(now)
    .bind(f.valid_until.flatten())
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    let ev = Event::new("catalog.create", "catalog_item", id)
        .org(org_id)
        .detail(json!({ "name": f.name, "price": f.price, "stock": f.stock }));
    audit::append(&mut tx, actor, ev).await?;
    tx.commit().await?;
    Ok(id)
}

/// Changes an item in reach of `access`.
pub async fn update_item(
    db: &Db,
    actor: &Actor,
    access: &Access,
    id: i64,
    f: &ItemFields,
) -> AppResult<()> {
    let item = &writable_item(db, access, id).await?;
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE catalog_items SET name = COALESCE($1, name), description = COALESCE($2, description), \
         price = COALESCE($3, price), stock = COALESCE($4, stock), per_member_limit = COALESCE($5, per_member_limit), \
         active = COALESCE($6, active), updated_at = $7, \
         valid_until = CASE WHEN $9 = 1 THEN $10 ELSE valid_until END WHERE id = $8",
    )
    .bind(f.name.clone())
    .bind(f.description.clone())
    .bind(f.price)
    .bind(f.stock)
    .bind(f.per_member_limit)
    .bind(f.active.map(|a| a as i64))
    .bind(now_ms())
    .bind(item.id)
    .bind(f.valid_until.is_some() as i64)
    .bind(f.valid_until.flatten())
    .execute(&mut *tx)
    .await?;
    let ev = Event::new("catalog.update", "catalog_item", item.id)
        .org(item.org_id)
        .detail(json!({ "price": f.price, "stock": f.stock, "active": f.active, "valid_until": f.valid_until }));
    audit::append(&mut tx, actor, ev).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Order {
    pub id: i64,
    pub item_id: i64,
    pub item_name: String,
    pub member_id: i64,
    /// The member's name and union, as staff know them.
    pub member_name: String,
    pub member_org_name: String,
    pub points: i64,
    pub state: String,
    pub created_at: i64,
    #[serde(skip)]
    #[schema(ignore)]
    pub org_path: String,
}

const ORDER_COLS: &str =
    "r.id, r.item_id, i.name AS item_name, r.member_id, m.name AS member_name, mo.name AS member_org_name, \
     r.points, r.state, r.created_at, o.path AS org_path";

const ORDER_FROM: &str = "FROM redemption_orders r JOIN catalog_items i ON i.id = r.item_id JOIN orgs o ON o.id = r.org_id \
     JOIN members m ON m.id = r.member_id JOIN orgs mo ON mo.id = m.org_id";

/// An order in the scope: of the scope's subtrees (the item's union), or the
/// member's own.
pub async fn order(db: &Db, scope: &Scope, id: i64) -> AppResult<Order> {
    let mut sql = Sql::new("");
    let p = sql.int(id);
    let pred = scope.member_predicate(&mut sql, "o.path", "r.member_id");
    sql.push(&format!(
        "SELECT {ORDER_COLS} {ORDER_FROM} WHERE r.id = {p} AND {pred}"
    ));
    sql.query()
        .fetch_optional(&db.pool)
        .await?
        .map(|r| Order::from_row(&r))
        .transpose()?
        .ok_or_else(|| AppError::not_found("兑换订单"))
}

/// An order the caller may act on: staff with the right over its union, or —
/// when `member_may` (cancelling) — the member who placed it. 404 out of
/// sight, 403 in sight without the right.
pub async fn actionable_order(
    db: &Db,
    access: &Access,
    id: i64,
    member_may: bool,
) -> AppResult<Order> {
    let o = order(db, &access.see, id).await?;
    let own = member_may && access.see.own_member == Some(o.member_id);
    if own || access.change.covers_path(&o.org_path) {
        return Ok(o);
    }
    Err(AppError::forbidden())
}

/// Orders in the scope (a staff subtree's, or a member's own), newest first.
pub async fn orders(db: &Db, scope: &Scope) -> AppResult<Vec<Order>> {
    let mut sql = Sql::new("");
    let pred = scope.member_predicate(&mut sql, "o.path", "r.member_id");
    sql.push(&format!(
        "SELECT {ORDER_COLS} {ORDER_FROM} WHERE {pred} ORDER BY r.id DESC LIMIT 200"
    ));
    Ok(sql
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(Order::from_row)
        .collect::<Result<_, _>>()?)
}

/// Why an item cannot be redeemed now, if it cannot.
fn unavailable(item: &Item, now: i64) -> Option<String> {
    match &item.valid_until {
        Some(day) if item.ended(now) => Some(format!("“{}”的兑换已于 {day} 截止", item.name)),
        _ if !item.active || item.stock <= 0 => Some(format!("“{}”已兑完或已下架", item.name)),
        _ => None,
    }
}

/// How many live (not cancelled) orders a member holds, by item: what the
/// catalogue compares with each item's per-member limit.
pub async fn live_orders_by_item(
    db: &Db,
    member_id: i64,
) -> Result<std::collections::HashMap<i64, i64>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT item_id, COUNT(*) FROM redemption_orders WHERE member_id = $1 AND state <> 'cancelled' GROUP BY item_id",
    )
    .bind(member_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

/// Refuses (409) when the member already has the item's limit of live orders.
async fn limit_reached(tx: &mut Tx, item: &Item, member_id: i64) -> AppResult<()> {
    let had: i64 = sqlx::query(
        "SELECT COUNT(*) FROM redemption_orders WHERE item_id = $1 AND member_id = $2 AND state <> 'cancelled'",
    )
    .bind(item.id)
    .bind(member_id)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    if had >= item.per_member_limit {
        return Err(AppError::conflict(
            None,
            format!(
                "“{}”每人限兑 {} 件，您已兑换 {had} 件",
                item.name, item.per_member_limit
            ),
        ));
    }
    Ok(())
}

/// Redeems one of an item for a member, in one transaction: a unit of stock
/// claimed by a conditional UPDATE (no oversell; the item's row stays locked
/// to the commit, so buyers of one item go one at a time), the member's limit,
/// the order, the debit (never below zero), and the audit entries in one go.
///
/// Claiming first is what measured fastest on 2 cores: buyers queue on the
/// item before doing any work, instead of all working at once and then
/// queueing with the lock holder short of CPU (BENCHMARKS.md).
pub async fn redeem(
    db: &Db,
    actor: &Actor,
    member_id: i64,
    member_org: i64,
    item: &Item,
) -> AppResult<Order> {
    let now = now_ms();
    if let Some(why) = unavailable(item, now) {
        return Err(AppError::conflict(None, why));
    }
    let (price, limit) = (item.price, item.per_member_limit);
    let mut tx = db.begin().await?;
    // The price and limit the member saw must still be the item's: a change
    // by staff meanwhile refuses the claim.
    let claimed = sqlx::query(
        "UPDATE catalog_items SET stock = stock - 1, updated_at = $1 WHERE id = $2 AND active = 1 AND stock > 0 \
         AND (valid_until IS NULL OR valid_until > $1) AND price = $3 AND per_member_limit = $4",
    )
    .bind(now)
    .bind(item.id)
    .bind(price)
    .bind(limit)
    .execute(&mut *tx)
    .await?;
    if claimed.rows_affected() != 1 {
        drop(tx);
        let fresh = self::item(db, &Scope::everything(), item.id).await?;
        let why = unavailable(&fresh, now)
            .unwrap_or_else(|| format!("“{}”的积分或限兑数量刚刚调整，请刷新后重试", item.name));
        return Err(AppError::conflict(None, why));
    }
    if limit > 0 {
        limit_reached(&mut tx, item, member_id).await?;
    }
    let order_id: i64 = sqlx::query(
        "INSERT INTO redemption_orders (item_id, member_id, org_id, points, state, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'placed', $5, $5) RETURNING id",
    )
    .bind(item.id)
    .bind(member_id)
    .bind(member_org)
    .bind(price)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    let reason = format!("兑换 {}", item.name);
    let key = format!("redeem:{order_id}");
    let entry = NewEntry {
        member_id,
        org_id: member_org,
        amount: -price,
        reason: &reason,
        source: "redeem",
        source_id: Some(order_id),
        key: Some(&key),
        expires_at: None,
    };
    let mut events = vec![];
    post(&mut tx, actor, &entry, &mut events).await?;
    events.push(
        Event::new("catalog.redeem", "order", order_id)
            .member(member_id)
            .org(member_org)
            .detail(json!({ "item_id": item.id, "points": price })),
    );
    audit::append_all(&mut tx, actor, events).await?;
    tx.commit().await?;
    order(db, &Scope::everything(), order_id).await
}

/// Cancels a placed order: the unit goes back to stock and the points back to the member, once.
pub async fn cancel(db: &Db, actor: &Actor, o: &Order) -> AppResult<Order> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let row = sqlx::query("UPDATE redemption_orders SET state = 'cancelled', updated_at = $1 WHERE id = $2 AND state = 'placed' RETURNING org_id")
        .bind(now)
        .bind(o.id)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(row) = row else {
        return Err(AppError::conflict(
            None,
            format!("订单已{}，不能取消", state_label(&o.state)),
        ));
    };
    let org_id: i64 = row.try_get(0)?;
    let reason = format!("取消兑换 {}，退回积分", o.item_name);
    let key = format!("refund:{}", o.id);
    let entry = NewEntry {
        member_id: o.member_id,
        org_id,
        amount: o.points,
        reason: &reason,
        source: "refund",
        source_id: Some(o.id),
        key: Some(&key),
        expires_at: None,
    };
    let mut events = vec![];
    post(&mut tx, actor, &entry, &mut events).await?;
    give_back_to_lots(&mut tx, &format!("redeem:{}", o.id)).await?;
    // The rows every buyer shares come last (see `redeem`).
    sqlx::query("UPDATE catalog_items SET stock = stock + 1, updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(o.item_id)
        .execute(&mut *tx)
        .await?;
    audit::append_all(&mut tx, actor, events).await?;
    tx.commit().await?;
    order(db, &Scope::everything(), o.id).await
}

pub async fn fulfil(db: &Db, actor: &Actor, o: &Order) -> AppResult<Order> {
    let mut tx = db.begin().await?;
    let row = sqlx::query("UPDATE redemption_orders SET state = 'fulfilled', updated_at = $1 WHERE id = $2 AND state = 'placed' RETURNING org_id")
        .bind(now_ms())
        .bind(o.id)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(row) = row else {
        return Err(AppError::conflict(
            None,
            format!("订单已{}，不能再发放", state_label(&o.state)),
        ));
    };
    let ev = Event::new("catalog.fulfil", "order", o.id)
        .member(o.member_id)
        .org(row.try_get(0)?);
    audit::append(&mut tx, actor, ev).await?;
    tx.commit().await?;
    order(db, &Scope::everything(), o.id).await
}

fn state_label(state: &str) -> &'static str {
    match state {
        "placed" => "下单",
        "fulfilled" => "发放",
        "cancelled" => "取消",
        _ => "处理",
    }
}
