//! The worker's phone pages under /m/: points balance and history, the
//! catalogue with a redeem button, and their orders. Server-rendered,
//! mobile-first, every form with the session's CSRF token.

use super::store;
use crate::auth::{Caller, PageCaller};
use crate::db::format_ms;
use crate::state::AppState;
use crate::web::pages::{render_with, OrPage, PageResult};
use crate::web::phone::{nav, MNav};
use crate::web::{form, PageForm};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/m/points", get(points))
        .route("/m/catalog", get(catalog))
        .route("/m/catalog/{id}/redeem", post(redeem))
        .route("/m/orders", get(orders))
        .route("/m/orders/{id}/cancel", post(cancel))
}

/// The points card of the phone home page: the balance, what expires soon,
/// and the way to the catalogue, the orders and the history.
#[derive(Template)]
#[template(path = "points/home_card.html")]
struct HomeCard {
    org_name: String,
    balance: i64,
    lifetime: i64,
    /// Points that expire within 30 days, and the first day they do.
    expiring: i64,
    next_expiry: String,
    items: usize,
    open_orders: usize,
}

pub async fn home_card(
    s: &AppState,
    member: &crate::program::Worker,
) -> Result<Option<String>, crate::web::error::AppError> {
    let (balance, lifetime) = store::balance(&s.db, member.member_id).await?;
    let (expiring, next_expiry) = store::expiring(
        &s.db,
        member.member_id,
        crate::db::now_ms(),
        super::ops::EXPIRING_SOON_MS,
    )
    .await?;
    let next_expiry = next_expiry
        .map(|t| crate::db::format_ms(t).chars().take(10).collect())
        .unwrap_or_default();
    let items = store::items(&s.db, &crate::auth::Scope::offered_to(&member.org_path))
        .await?
        .len();
    let open_orders = store::orders(&s.db, &crate::auth::Scope::member(member.member_id))
        .await?
        .iter()
        .filter(|o| o.state == "placed")
        .count();
    let card = HomeCard {
        org_name: member.org_name.clone(),
        balance,
        lifetime,
        expiring,
        next_expiry,
        items,
        open_orders,
    };
    Ok(Some(card.render().map_err(anyhow::Error::from)?))
}

#[derive(Template)]
#[template(path = "m/points.html")]
struct PointsPage {
    m: MNav,
    balance: i64,
    entries: Vec<store::Entry>,
}

impl PointsPage {
    fn when(&self, ms: &i64) -> String {
        format_ms(*ms)
    }
}

async fn points(State(s): State<AppState>, PageCaller(c): PageCaller) -> PageResult {
    let (m, member) = nav(&s, &c, "points").await.or_page(&c)?;
    let (balance, _) = store::balance(&s.db, member.id).await.or_page(&c)?;
    let (entries, _) = store::entries(&s.db, member.id, crate::db::Paging::new(None, Some(100)))
        .await
        .or_page(&c)?;
    Ok(render_with(
        StatusCode::OK,
        &PointsPage {
            m,
            balance,
            entries,
        },
    ))
}

#[derive(Template)]
#[template(path = "m/catalog.html")]
struct CatalogPage {
    m: MNav,
    balance: i64,
    items: Vec<store::Item>,
    /// Live orders the member holds, by item (for the per-member limit).
    held: std::collections::HashMap<i64, i64>,
    error: String,
}

impl CatalogPage {
    /// Why the 兑换 button is off for an item, or "" when it is on.
    fn refusal(&self, i: &store::Item) -> &'static str {
        let held = self.held.get(&i.id).copied().unwrap_or(0);
        if i.stock == 0 {
            "已兑完"
        } else if i.per_member_limit > 0 && held >= i.per_member_limit {
            "已达每人限兑"
        } else if i.price > self.balance {
            "积分不足"
        } else {
            ""
        }
    }
}

async fn catalog_view(s: &AppState, c: &Caller, error: String, status: StatusCode) -> PageResult {
    let (m, member) = nav(s, c, "catalog").await.or_page(c)?;
    let (balance, _) = store::balance(&s.db, member.id).await.or_page(c)?;
    let items = store::items(&s.db, &crate::auth::Scope::offered_to(&member.org_path))
        .await
        .or_page(c)?;
    let held = store::live_orders_by_item(&s.db, member.id)
        .await
        .or_page(c)?;
    Ok(render_with(
        status,
        &CatalogPage {
            m,
            balance,
            items,
            held,
            error,
        },
    ))
}

async fn catalog(State(s): State<AppState>, PageCaller(c): PageCaller) -> PageResult {
    catalog_view(&s, &c, String::new(), StatusCode::OK).await
}

#[derive(Deserialize)]
struct Empty {}

/// Redeems and shows the order; a refusal (sold out, over the limit, too few
/// points) comes back on the catalogue page with its reason.
async fn redeem(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    form: PageForm<Empty>,
) -> PageResult {
    let c = form.caller;
    let result = super::ops::redeem(&s, &c, id).await;
    form::finish(
        &c,
        result,
        |o| form::see(format!("/m/orders?new={}", o.id)),
        |e| catalog_view(&s, &c, e.form_message(), e.status()),
    )
    .await
}

#[derive(Template)]
#[template(path = "m/orders.html")]
struct OrdersPage {
    m: MNav,
    orders: Vec<store::Order>,
    new_order: i64,
    error: String,
}

impl OrdersPage {
    fn when(&self, ms: &i64) -> String {
        format_ms(*ms)
    }
    fn state(&self, s: &str) -> &'static str {
        match s {
            "placed" => "待领取",
            "fulfilled" => "已领取",
            "cancelled" => "已取消",
            _ => "",
        }
    }
}

#[derive(Deserialize)]
struct OrdersQuery {
    new: Option<i64>,
}

async fn orders_view(
    s: &AppState,
    c: &Caller,
    new_order: i64,
    error: String,
    status: StatusCode,
) -> PageResult {
    let (m, member) = nav(s, c, "orders").await.or_page(c)?;
    let orders = store::orders(&s.db, &crate::auth::Scope::member(member.id))
        .await
        .or_page(c)?;
    Ok(render_with(
        status,
        &OrdersPage {
            m,
            orders,
            new_order,
            error,
        },
    ))
}

async fn orders(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Query(q): Query<OrdersQuery>,
) -> PageResult {
    orders_view(&s, &c, q.new.unwrap_or(0), String::new(), StatusCode::OK).await
}

async fn cancel(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    form: PageForm<Empty>,
) -> PageResult {
    let c = form.caller;
    let result = super::ops::cancel(&s, &c, id).await;
    form::finish(
        &c,
        result,
        |_| form::see("/m/orders"),
        |e| orders_view(&s, &c, 0, e.form_message(), e.status()),
    )
    .await
}
