//! `/api/v1/points/*`, `/api/v1/catalog/items*`, `/api/v1/orders*`: read the
//! request, call an operation, answer.

use super::ops::{self, AwardInput, Balance, EntryInput, ItemInput, NewItem, Posted, RuleInput};
use super::store::{Item, Order, Rule};
use crate::auth::ApiCaller;
use crate::db::Paging;
use crate::ledger::store::{Entry, Standing};
use crate::state::AppState;
use crate::web::api::{Page, ReadErrors, WriteErrors};
use crate::web::error::AppResult;
use crate::web::ApiJson;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(add_entry, list_entries))
        .routes(routes!(balance))
        .routes(routes!(create_item, list_items))
        .routes(routes!(show_item, update_item))
        .routes(routes!(redeem))
        .routes(routes!(list_orders))
        .routes(routes!(cancel))
        .routes(routes!(fulfil))
        .routes(routes!(set_rule, list_rules))
        .routes(routes!(award))
        .routes(routes!(leaderboard))
        .routes(routes!(ledger))
        .routes(routes!(holdings))
}

fn posted(p: Posted) -> (StatusCode, Json<Posted>) {
    let status = if p.added {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    (status, Json(p))
}

/// A manual entry (staff): 201 when added, 200 with the first entry when the
/// idempotency key was seen before.
#[utoipa::path(post, path = "/api/v1/points/entries", operation_id = "add_points_entry", tag = "points",
    request_body = EntryInput,
    responses((status = 201, description = "added", body = Posted), (status = 200, description = "seen before: the first entry", body = Posted), WriteErrors))]
async fn add_entry(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(b): ApiJson<EntryInput>,
) -> AppResult<(StatusCode, Json<Posted>)> {
    Ok(posted(ops::add_entry(&s, &c, &b).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct MemberQuery {
    /// The member (a member account may leave it out for its own).
    #[param(example = 1)]
    member_id: Option<i64>,
    #[param(minimum = 1)]
    page: Option<i64>,
    #[param(minimum = 1, maximum = 200)]
    per_page: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/points/balance", operation_id = "points_balance", tag = "points", params(MemberQuery),
    responses((status = 200, description = "the balance", body = Balance), ReadErrors))]
async fn balance(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<MemberQuery>,
) -> AppResult<Json<Balance>> {
    Ok(Json(ops::balance(&s, &c, q.member_id).await?))
}

/// A member's entries, newest first.
#[utoipa::path(get, path = "/api/v1/points/entries", operation_id = "list_points_entries", tag = "points", params(MemberQuery),
    responses((status = 200, description = "one page of entries", body = Page<Entry>), ReadErrors))]
async fn list_entries(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<MemberQuery>,
) -> AppResult<Json<Page<Entry>>> {
    let paging = Paging::new(q.page, q.per_page);
    let (items, total) = ops::entries(&s, &c, q.member_id, paging).await?;
    Ok(Json(Page::of(items, total, paging)))
}

/// Puts an item in a union's catalogue (roster right there).
#[utoipa::path(post, path = "/api/v1/catalog/items", operation_id = "create_catalog_item", tag = "catalogue",
    request_body = NewItem, responses((status = 201, description = "on offer", body = Item), WriteErrors))]
async fn create_item(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(NewItem(b)): ApiJson<NewItem>,
) -> AppResult<(StatusCode, Json<Item>)> {
    Ok((
        StatusCode::CREATED,
        Json(ops::create_item(&s, &c, &b).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/catalog/items/{id}", operation_id = "get_catalog_item", tag = "catalogue",
    params(("id" = i64, Path, description = "item id")),
    responses((status = 200, description = "the item", body = Item), ReadErrors))]
async fn show_item(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<Json<Item>> {
    Ok(Json(ops::item(&s, &c, id).await?))
}

#[utoipa::path(patch, path = "/api/v1/catalog/items/{id}", operation_id = "update_catalog_item", tag = "catalogue",
    request_body = ItemInput, params(("id" = i64, Path, description = "item id")),
    responses((status = 200, description = "the item as it is now", body = Item), WriteErrors))]
async fn update_item(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<ItemInput>,
) -> AppResult<Json<Item>> {
    Ok(Json(ops::update_item(&s, &c, id, &b).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ItemsQuery {
    /// Staff: only this union's subtree.
    org_id: Option<i64>,
}

/// The catalogue: staff see their subtree's; a member what its union and the unions above offer.
#[utoipa::path(get, path = "/api/v1/catalog/items", operation_id = "list_catalog_items", tag = "catalogue", params(ItemsQuery),
    responses((status = 200, description = "the items", body = Page<Item>), ReadErrors))]
async fn list_items(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<ItemsQuery>,
) -> AppResult<Json<Page<Item>>> {
    Ok(Json(Page::all(ops::items(&s, &c, q.org_id).await?)))
}

/// Redeems one (a member account): never oversold, never below zero.
#[utoipa::path(post, path = "/api/v1/catalog/items/{id}/redeem", operation_id = "redeem_catalog_item", tag = "catalogue",
    params(("id" = i64, Path, description = "item id")),
    responses((status = 201, description = "the order", body = Order), WriteErrors))]
async fn redeem(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<(StatusCode, Json<Order>)> {
    Ok((StatusCode::CREATED, Json(ops::redeem(&s, &c, id).await?)))
}

/// Orders: staff their subtree's, a member its own (newest first, 200 at most).
#[utoipa::path(get, path = "/api/v1/orders", operation_id = "list_orders", tag = "catalogue",
    responses((status = 200, description = "the orders", body = Page<Order>), ReadErrors))]
async fn list_orders(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
) -> AppResult<Json<Page<Order>>> {
    Ok(Json(Page::all(ops::orders(&s, &c).await?)))
}

/// Cancels a placed order (its member, or staff): stock and points go back once.
#[utoipa::path(post, path = "/api/v1/orders/{id}/cancel", operation_id = "cancel_order", tag = "catalogue",
    params(("id" = i64, Path, description = "order id")),
    responses((status = 200, description = "the order, cancelled", body = Order), WriteErrors))]
async fn cancel(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<Json<Order>> {
    Ok(Json(ops::cancel(&s, &c, id).await?))
}

/// Hands out a placed order (staff of the item's union).
#[utoipa::path(post, path = "/api/v1/orders/{id}/fulfil", operation_id = "fulfil_order", tag = "catalogue",
    params(("id" = i64, Path, description = "order id")),
    responses((status = 200, description = "the order, fulfilled", body = Order), WriteErrors))]
async fn fulfil(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<Json<Order>> {
    Ok(Json(ops::fulfil(&s, &c, id).await?))
}

/// A union's earning rule: created, or changed by its code.
#[utoipa::path(post, path = "/api/v1/points/rules", operation_id = "set_points_rule", tag = "points",
    request_body = RuleInput, responses((status = 201, description = "the rule", body = Rule), WriteErrors))]
async fn set_rule(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(b): ApiJson<RuleInput>,
) -> AppResult<(StatusCode, Json<Rule>)> {
    Ok((StatusCode::CREATED, Json(ops::set_rule(&s, &c, &b).await?)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct RulesQuery {
    member_id: Option<i64>,
    org_id: Option<i64>,
}

/// The rules in force for a member (or for the members of an organisation):
/// each code from the nearest union up the tree.
#[utoipa::path(get, path = "/api/v1/points/rules", operation_id = "list_points_rules", tag = "points", params(RulesQuery),
    responses((status = 200, description = "the rules", body = Page<Rule>), ReadErrors))]
async fn list_rules(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<RulesQuery>,
) -> AppResult<Json<Page<Rule>>> {
    Ok(Json(Page::all(
        ops::rules_in_force(&s, &c, q.org_id, q.member_id).await?,
    )))
}

/// Pays a rule once per event (201), and nothing more when the same event comes again (200).
#[utoipa::path(post, path = "/api/v1/points/awards", operation_id = "award_points", tag = "points",
    request_body = AwardInput,
    responses((status = 201, description = "paid", body = Posted), (status = 200, description = "paid before", body = Posted), WriteErrors))]
async fn award(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(b): ApiJson<AwardInput>,
) -> AppResult<(StatusCode, Json<Posted>)> {
    Ok(posted(ops::award(&s, &c, &b).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct BoardQuery {
    /// The subtree (default: the caller's).
    org_id: Option<i64>,
    /// YYYY-MM-DD, Beijing time, inclusive; default: the start of this year.
    #[param(format = Date, pattern = r"^(19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}$")]
    from: Option<String>,
    /// YYYY-MM-DD, Beijing time, inclusive; default: today.
    #[param(format = Date, pattern = r"^(19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}$")]
    to: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

/// The leaderboard of a period.
#[derive(Serialize, utoipa::ToSchema)]
struct Board {
    org_id: i64,
    from: i64,
    to: i64,
    #[serde(flatten)]
    page: Page<Standing>,
}

/// Points earned in a period in a subtree, most first (staff).
#[utoipa::path(get, path = "/api/v1/points/leaderboard", operation_id = "points_leaderboard", tag = "points", params(BoardQuery),
    responses((status = 200, description = "the board", body = Board), ReadErrors))]
async fn leaderboard(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<BoardQuery>,
) -> AppResult<Json<Board>> {
    let (org_id, from, to, items) = ops::leaderboard(
        &s,
        &c,
        q.org_id,
        q.from.as_deref(),
        q.to.as_deref(),
        q.limit,
    )
    .await?;
    Ok(Json(Board {
        org_id,
        from,
        to,
        page: Page::all(items),
    }))
}

/// The points a union's subtree paid out (`flow=earned`) or took in
/// redemptions (`flow=redeemed`) in a period, newest first; `sum` adds them
/// all up (the dashboard's 本年发放积分 and 本年兑换积分).
#[utoipa::path(get, path = "/api/v1/points/ledger", operation_id = "list_points_ledger", tag = "points",
    params(super::figures::LedgerQuery),
    responses((status = 200, description = "one page of the entries and the sum of all", body = Page<super::store::figures::Line>), ReadErrors))]
async fn ledger(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<super::figures::LedgerQuery>,
) -> AppResult<Json<Page<super::store::figures::Line>>> {
    Ok(Json(super::figures::ledger(&s, &c, &q).await?.2))
}

/// The members of a union's subtree holding points, most first; `sum` is
/// what they hold together (the dashboard's 积分余额).
#[utoipa::path(get, path = "/api/v1/points/holdings", operation_id = "list_points_holdings", tag = "points",
    params(super::figures::HoldingsQuery),
    responses((status = 200, description = "one page of the balances and the sum of all", body = Page<super::store::figures::Holding>), ReadErrors))]
async fn holdings(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<super::figures::HoldingsQuery>,
) -> AppResult<Json<Page<super::store::figures::Holding>>> {
    Ok(Json(super::figures::holdings(&s, &c, &q).await?.1))
}
