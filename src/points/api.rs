//! `/api/v1/points/*`, `/api/v1/catalog/items*`, `/api/v1/orders*`.

use super::rules::{self, ItemFields};
use super::store::{self, NewEntry};
use crate::audit::Actor;
use crate::auth::{ApiCaller, Caller, Right};
use crate::db::Paging;
use crate::state::AppState;
use crate::web::error::{AppError, AppResult, Errors};
use crate::web::ApiJson;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/points/entries", post(add_entry).get(list_entries))
        .route("/api/v1/points/balance", get(balance))
        .route("/api/v1/catalog/items", post(create_item).get(list_items))
        .route(
            "/api/v1/catalog/items/{id}",
            get(show_item).patch(update_item),
        )
        .route("/api/v1/catalog/items/{id}/redeem", post(redeem))
        .route("/api/v1/orders", get(list_orders))
        .route("/api/v1/orders/{id}/cancel", post(cancel))
        .route("/api/v1/orders/{id}/fulfil", post(fulfil))
        .route("/api/v1/points/rules", post(set_rule).get(list_rules))
        .route("/api/v1/points/awards", post(award))
        .route("/api/v1/points/leaderboard", get(leaderboard))
}

/// The member a request is about: a member account may omit it (their own);
/// staff name one they can see.
async fn member_of(
    s: &AppState,
    c: &Caller,
    member_id: Option<i64>,
) -> AppResult<crate::member::store::Member> {
    let id = match (member_id, c.member_id) {
        (Some(id), _) => id,
        (None, Some(own)) if !c.can(Right::Read) => own,
        _ => return Err(AppError::invalid("member_id", "请指定会员 member_id")),
    };
    crate::member::store::get(&s.db, &s.keys, &c.scope(Right::Read), id).await
}

/// A member whose points the caller may change: visible (else 404) and in its roster scope (else 403).
async fn writable_member(
    s: &AppState,
    c: &Caller,
    member_id: Option<i64>,
) -> AppResult<crate::member::store::Member> {
    let m = member_of(s, c, member_id).await?;
    if !c.scope(Right::Roster).covers_path(&m.org_path) {
        return Err(AppError::forbidden());
    }
    Ok(m)
}

/// An entry and the balance after it: 201 when added now, 200 when it was there already.
async fn entry_result(
    s: &AppState,
    member_id: i64,
    entry: store::Entry,
    added: bool,
) -> AppResult<(StatusCode, Json<Value>)> {
    let (balance, lifetime) = store::balance(&s.db, member_id).await?;
    let status = if added {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let body = json!({ "entry": entry, "id": entry.id, "added": added, "balance": balance, "lifetime": lifetime });
    Ok((status, Json(body)))
}

#[derive(Deserialize)]
struct EntryBody {
    member_id: Option<i64>,
    amount: Option<i64>,
    reason: Option<String>,
    idempotency_key: Option<String>,
    /// Days the granted points stay valid (positive amounts only); omitted: no expiry.
    valid_days: Option<i64>,
}

/// `POST /api/v1/points/entries` (staff): 201 when added, 200 with the first
/// entry when the idempotency key was seen before.
async fn add_entry(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(b): ApiJson<EntryBody>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let m = writable_member(&s, &c, b.member_id).await?;
    let mut e = Errors::default();
    let amount = e.take(
        "amount",
        b.amount
            .ok_or_else(|| "请填写积分数 amount".to_string())
            .and_then(crate::ledger::rules::parse_amount),
    );
    let reason = e.take(
        "reason",
        crate::ledger::rules::parse_reason(b.reason.as_deref().unwrap_or("")),
    );
    let key = match b.idempotency_key.as_deref() {
        Some(k) => e.take("idempotency_key", crate::ledger::rules::parse_key(k)),
        None => None,
    };
    let valid_days = match b.valid_days {
        Some(_) if b.amount.unwrap_or(0) < 0 => {
            e.add("valid_days", "扣减积分不设有效期");
            None
        }
        Some(d) => e.take("valid_days", crate::ledger::rules::parse_valid_days(d)),
        None => None,
    };
    e.finish()?;
    let (reason, amount) = (reason.unwrap_or_default(), amount.unwrap_or(0));
    let entry = NewEntry {
        member_id: m.id,
        org_id: m.org_id,
        amount,
        reason: &reason,
        source: "manual",
        source_id: None,
        key: key.as_deref(),
        expires_at: crate::ledger::rules::expiry(crate::db::now_ms(), valid_days),
    };
    let (entry, added) = crate::ledger::store::add_entry(&s.db, &Actor::of(&c), entry).await?;
    entry_result(&s, m.id, entry, added).await
}

#[derive(Deserialize)]
struct MemberQuery {
    member_id: Option<i64>,
    page: Option<i64>,
    per_page: Option<i64>,
}

async fn balance(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<MemberQuery>,
) -> AppResult<Json<Value>> {
    let m = member_of(&s, &c, q.member_id).await?;
    let (balance, lifetime) = store::balance(&s.db, m.id).await?;
    let (expiring, next_expiry) =
        store::expiring(&s.db, m.id, crate::db::now_ms(), EXPIRING_SOON_MS).await?;
    Ok(Json(json!({
        "member_id": m.id, "balance": balance, "lifetime": lifetime,
        "expiring_30d": expiring, "next_expiry_at": next_expiry,
    })))
}

async fn list_entries(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<MemberQuery>,
) -> AppResult<Json<Value>> {
    let m = member_of(&s, &c, q.member_id).await?;
    let paging = Paging::new(q.page, q.per_page);
    let (items, total) = store::entries(&s.db, m.id, paging).await?;
    Ok(Json(
        json!({ "items": items, "total": total, "page": paging.page, "per_page": paging.per_page }),
    ))
}

#[derive(Deserialize, Default)]
struct ItemBody {
    org_id: Option<i64>,
    name: Option<String>,
    description: Option<String>,
    price: Option<i64>,
    stock: Option<i64>,
    per_member_limit: Option<i64>,
    active: Option<bool>,
    /// The last day it can be redeemed ("YYYY-MM-DD"); "" removes the end.
    valid_until: Option<String>,
}

impl ItemBody {
    fn fields(&self, now: i64) -> AppResult<ItemFields> {
        let valid_until = self
            .valid_until
            .as_deref()
            .map(|v| rules::parse_valid_until(v, now))
            .transpose()
            .map_err(|m| AppError::invalid("valid_until", m))?;
        Ok(ItemFields {
            name: self.name.clone(),
            description: self.description.clone(),
            price: self.price,
            stock: self.stock,
            per_member_limit: self.per_member_limit,
            active: self.active,
            valid_until,
        })
    }
}

async fn create_item(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(b): ApiJson<ItemBody>,
) -> AppResult<(StatusCode, Json<store::Item>)> {
    let org_id = b
        .org_id
        .ok_or_else(|| AppError::invalid("org_id", "请指定物品所属工会 org_id"))?;
    crate::auth::checks::writable_org(&s, &c, org_id, crate::auth::Right::Roster).await?;
    let f = b.fields(crate::db::now_ms())?;
    rules::check_item(&f, true)?;
    let id = store::create_item(&s.db, &Actor::of(&c), org_id, &f).await?;
    Ok((StatusCode::CREATED, Json(store::item(&s.db, id).await?)))
}

/// An item the caller may see: staff by subtree; a member when it belongs to
/// their union or a union above it.
async fn visible_item(
    s: &AppState,
    c: &Caller,
    id: i64,
) -> AppResult<(store::Item, Option<crate::member::store::Member>)> {
    let item = store::item(&s.db, id).await?;
    if c.scope(Right::Read).covers_path(&item.org_path) {
        return Ok((item, None));
    }
    if let Some(mid) = c.member_id {
        let m = crate::member::store::get(
            &s.db,
            &s.keys,
            &crate::auth::Scope::new(vec![], Some(mid)),
            mid,
        )
        .await?;
        if item.active && m.org_path.starts_with(&item.org_path) {
            return Ok((item, Some(m)));
        }
    }
    Err(AppError::not_found("兑换物品"))
}

async fn show_item(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<Json<store::Item>> {
    Ok(Json(visible_item(&s, &c, id).await?.0))
}

async fn update_item(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<ItemBody>,
) -> AppResult<Json<store::Item>> {
    // Who may see it but not change it (a viewer, a member) is refused (403).
    let (item, _) = visible_item(&s, &c, id).await?;
    if !c.scope(Right::Roster).covers_path(&item.org_path) {
        return Err(AppError::forbidden());
    }
    if b.org_id.is_some_and(|o| o != item.org_id) {
        return Err(AppError::invalid(
            "org_id",
            "兑换物品所属工会不能修改：请在新的工会重新上架该物品",
        ));
    }
    let f = b.fields(crate::db::now_ms())?;
    rules::check_item(&f, false)?;
    store::update_item(&s.db, &Actor::of(&c), &item, &f).await?;
    Ok(Json(store::item(&s.db, id).await?))
}

#[derive(Deserialize)]
struct ItemsQuery {
    org_id: Option<i64>,
}

async fn list_items(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<ItemsQuery>,
) -> AppResult<Json<Value>> {
    let items = if c.can(Right::Read) {
        let scope = crate::auth::checks::list_scope(&s, &c, q.org_id).await?;
        store::items(&s.db, &scope, None).await?
    } else {
        let m = member_of(&s, &c, None).await?;
        store::items(&s.db, &crate::auth::Scope::default(), Some(&m.org_path)).await?
    };
    Ok(Json(json!({ "total": items.len(), "items": items })))
}

/// Redeems item `id` as the caller's member record (shared by the API and the phone pages).
pub async fn redeem_for(s: &AppState, c: &Caller, id: i64) -> AppResult<store::Order> {
    let (item, member) = visible_item(s, c, id).await?;
    let member = match member {
        Some(m) => m,
        None => match c.member_id {
            // A staff member who is also a member redeems as themself, within the offer's reach.
            Some(mid) => {
                let m = crate::member::store::get(
                    &s.db,
                    &s.keys,
                    &crate::auth::Scope::new(vec![], Some(mid)),
                    mid,
                )
                .await?;
                if !m.org_path.starts_with(&item.org_path) {
                    return Err(AppError::Forbidden("此物品不面向您所在的工会".into()));
                }
                m
            }
            None => return Err(AppError::Forbidden("只有会员账号可以兑换".into())),
        },
    };
    store::redeem(&s.db, &Actor::of(c), member.id, member.org_id, &item).await
}

/// `POST /api/v1/catalog/items/{id}/redeem` with a member account's token.
async fn redeem(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<(StatusCode, Json<store::Order>)> {
    Ok((StatusCode::CREATED, Json(redeem_for(&s, &c, id).await?)))
}

/// The member's own view: balance, items on offer, orders (phone pages).
pub async fn own_member(s: &AppState, c: &Caller) -> AppResult<crate::member::store::Member> {
    member_of(s, c, None).await
}

async fn list_orders(State(s): State<AppState>, ApiCaller(c): ApiCaller) -> AppResult<Json<Value>> {
    let orders = if c.can(Right::Read) {
        store::orders(&s.db, &c.scope(Right::Read), None).await?
    } else {
        let m = member_of(&s, &c, None).await?;
        store::orders(&s.db, &crate::auth::Scope::default(), Some(m.id)).await?
    };
    Ok(Json(json!({ "total": orders.len(), "items": orders })))
}

/// An order the caller may act on: staff with the roster right over it, or its own member (cancel only).
pub async fn actionable(
    s: &AppState,
    c: &Caller,
    id: i64,
    member_may: bool,
) -> AppResult<store::Order> {
    let o = store::order(&s.db, id).await?;
    if c.scope(Right::Roster).covers_path(&o.org_path)
        || (member_may && c.member_id == Some(o.member_id))
    {
        return Ok(o);
    }
    if c.scope(Right::Read).covers_path(&o.org_path) || c.member_id == Some(o.member_id) {
        return Err(AppError::forbidden());
    }
    Err(AppError::not_found("兑换订单"))
}

async fn cancel(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<Json<store::Order>> {
    let o = actionable(&s, &c, id, true).await?;
    Ok(Json(store::cancel(&s.db, &Actor::of(&c), &o).await?))
}

async fn fulfil(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<Json<store::Order>> {
    let o = actionable(&s, &c, id, false).await?;
    Ok(Json(store::fulfil(&s.db, &Actor::of(&c), &o).await?))
}

/// "Expiring soon" on the balance: within 30 days.
pub const EXPIRING_SOON_MS: i64 = 30 * crate::ledger::rules::DAY_MS;

#[derive(Deserialize)]
struct RuleBody {
    org_id: Option<i64>,
    code: Option<String>,
    label: Option<String>,
    points: Option<i64>,
    active: Option<bool>,
    /// Days each payment's points stay valid; omitted or null: they do not expire.
    valid_days: Option<i64>,
}

/// `POST /api/v1/points/rules`: a union's earning rule (created, or changed by its code).
async fn set_rule(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(b): ApiJson<RuleBody>,
) -> AppResult<(StatusCode, Json<store::Rule>)> {
    let org_id = b
        .org_id
        .ok_or_else(|| AppError::invalid("org_id", "请指定规则所属工会 org_id"))?;
    crate::auth::checks::writable_org(&s, &c, org_id, crate::auth::Right::Roster).await?;
    let (code, label, points) = rules::parse_rule(
        b.code.as_deref().unwrap_or(""),
        b.label.as_deref().unwrap_or(""),
        b.points.unwrap_or(0),
    )?;
    let valid_days = b
        .valid_days
        .map(crate::ledger::rules::parse_valid_days)
        .transpose()
        .map_err(|m| AppError::invalid("valid_days", m))?;
    let f = store::RuleFields {
        code,
        label,
        points,
        active: b.active.unwrap_or(true),
        valid_days,
    };
    let rule = store::set_rule(&s.db, &Actor::of(&c), org_id, &f).await?;
    Ok((StatusCode::CREATED, Json(rule)))
}

#[derive(Deserialize)]
struct RulesQuery {
    member_id: Option<i64>,
    org_id: Option<i64>,
}

/// The rules in force for a member (or for members of an organisation).
async fn list_rules(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<RulesQuery>,
) -> AppResult<Json<Value>> {
    let path = match (q.org_id, q.member_id) {
        (Some(org), _) => {
            crate::org::store::get(&s.db, &c.scope(Right::Read), org)
                .await?
                .path
        }
        (None, m) => member_of(&s, &c, m).await?.org_path,
    };
    let items = store::rules_for(&s.db, &path).await?;
    Ok(Json(json!({ "total": items.len(), "items": items })))
}

#[derive(Deserialize)]
struct AwardBody {
    member_id: Option<i64>,
    rule: Option<String>,
    event: Option<String>,
}

/// `POST /api/v1/points/awards` `{member_id, rule, event}`: pays the rule once
/// per event (201), and nothing more when the same event comes again (200).
async fn award(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(b): ApiJson<AwardBody>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let m = writable_member(&s, &c, b.member_id).await?;
    let mut e = Errors::default();
    let rule = e.take(
        "rule",
        b.rule
            .map(|r| r.trim().to_lowercase())
            .filter(|r| !r.is_empty())
            .ok_or_else(|| "请指定规则代码 rule".to_string()),
    );
    let event = e.take(
        "event",
        b.event
            .as_deref()
            .map(crate::ledger::rules::parse_key)
            .unwrap_or_else(|| Err("请指定事件 event（如 course:42）".into())),
    );
    e.finish()?;
    let (entry, added) = store::award(
        &s.db,
        &Actor::of(&c),
        m.id,
        m.org_id,
        &m.org_path,
        &rule.unwrap_or_default(),
        &event.unwrap_or_default(),
    )
    .await?;
    entry_result(&s, m.id, entry, added).await
}

#[derive(Deserialize)]
struct BoardQuery {
    org_id: Option<i64>,
    /// YYYY-MM-DD, Beijing time, inclusive; default: the start of this year.
    from: Option<String>,
    /// YYYY-MM-DD, Beijing time, inclusive; default: today.
    to: Option<String>,
    limit: Option<i64>,
}

/// `GET /api/v1/points/leaderboard`: points earned in a period in a subtree (staff).
async fn leaderboard(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<BoardQuery>,
) -> AppResult<Json<Value>> {
    let org_id = q
        .org_id
        .or(c.home_org())
        .ok_or_else(|| AppError::invalid("org_id", "请指定组织 org_id"))?;
    let org = crate::org::store::get(&s.db, &c.scope(Right::Read), org_id).await?;
    let day = |field: &str, v: &Option<String>, next: bool, default: i64| -> AppResult<i64> {
        match v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            Some(d) => crate::db::date_start_ms(d, next).map_err(|m| AppError::invalid(field, m)),
            None => Ok(default),
        }
    };
    let year_start = crate::db::date_start_ms(
        &format!("{}-01-01", &crate::db::format_ms(crate::db::now_ms())[..4]),
        false,
    )
    .unwrap_or(0);
    let from = day("from", &q.from, false, year_start)?;
    let to = day("to", &q.to, true, crate::db::now_ms() + 1)?;
    let items = store::leaderboard(
        &s.db,
        &org.path,
        from,
        to,
        q.limit.unwrap_or(50).clamp(1, 500),
    )
    .await?;
    Ok(Json(
        json!({ "org_id": org.id, "from": from, "to": to, "total": items.len(), "items": items }),
    ))
}
