//! The console pages behind the dashboard's points: the entries 本年发放积分
//! and 本年兑换积分 add up, and the balances 积分余额 adds up.

use super::figures::{self, HoldingsQuery, LedgerQuery};
use super::store::figures::Flow;
use crate::auth::PageCaller;
use crate::db::format_ms;
use crate::state::AppState;
use crate::web::pages::{render_with, OrPage, PageResult};
use crate::web::{non_empty, Nav};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/points/ledger", get(ledger_page))
        .route("/points/holdings", get(holdings_page))
}

/// The pages' query as typed in an address bar: text, read as the API's.
#[derive(Deserialize)]
struct Typed {
    org_id: Option<String>,
    flow: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<String>,
}

fn number(v: &Option<String>) -> Option<i64> {
    non_empty(v).and_then(|v| v.parse::<i64>().ok())
}

#[derive(Template)]
#[template(path = "points/ledger.html")]
struct LedgerPage {
    nav: Option<Nav>,
    title: String,
    total: i64,
    sum: i64,
    /// (member id, name, union, points, reason, when)
    items: Vec<(i64, String, String, i64, String, String)>,
    pager: crate::web::Pager,
}

async fn ledger_page(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Query(typed): Query<Typed>,
) -> PageResult {
    let q = LedgerQuery {
        org_id: number(&typed.org_id),
        flow: typed.flow.clone(),
        from: typed.from.clone(),
        to: typed.to.clone(),
        page: number(&typed.page),
        per_page: Some(50),
    };
    let (org, flow, page) = figures::ledger(&s, &c, &q).await.or_page(&c)?;
    let span = match (non_empty(&q.from), non_empty(&q.to)) {
        (Some(a), Some(b)) => format!("{a} 至 {b}"),
        (Some(a), None) => format!("{a} 起"),
        (None, Some(b)) => format!("{b} 前"),
        (None, None) => String::new(),
    };
    let what = match flow {
        Flow::Earned => "发放的积分",
        Flow::Redeemed => "兑换的积分",
    };
    let pages = (page.total + page.per_page - 1) / page.per_page.max(1);
    let view = LedgerPage {
        nav: Some(Nav::new(&c, "points")),
        title: format!("{}{span}{what}", org.name),
        total: page.total,
        sum: page.sum.unwrap_or(0),
        items: page
            .items
            .into_iter()
            .map(|l| {
                (
                    l.member_id,
                    l.member_name,
                    l.org_name,
                    l.amount,
                    l.reason,
                    format_ms(l.created_at),
                )
            })
            .collect(),
        pager: crate::web::Pager::new(
            "/points/ledger",
            page.page,
            pages,
            &[
                ("org_id", org.id.to_string()),
                ("flow", q.flow.clone().unwrap_or_default()),
                ("from", q.from.clone().unwrap_or_default()),
                ("to", q.to.clone().unwrap_or_default()),
            ],
        ),
    };
    Ok(render_with(StatusCode::OK, &view))
}

#[derive(Template)]
#[template(path = "points/holdings.html")]
struct HoldingsPage {
    nav: Option<Nav>,
    title: String,
    total: i64,
    sum: i64,
    /// (member id, name, union, balance)
    items: Vec<(i64, String, String, i64)>,
    pager: crate::web::Pager,
}

async fn holdings_page(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Query(typed): Query<Typed>,
) -> PageResult {
    let q = HoldingsQuery {
        org_id: number(&typed.org_id),
        page: number(&typed.page),
        per_page: Some(50),
    };
    let (org, page) = figures::holdings(&s, &c, &q).await.or_page(&c)?;
    let pages = (page.total + page.per_page - 1) / page.per_page.max(1);
    let view = HoldingsPage {
        nav: Some(Nav::new(&c, "points")),
        title: format!("{}会员的积分余额", org.name),
        total: page.total,
        sum: page.sum.unwrap_or(0),
        items: page
            .items
            .into_iter()
            .map(|h| (h.member_id, h.member_name, h.org_name, h.balance))
            .collect(),
        pager: crate::web::Pager::new(
            "/points/holdings",
            page.page,
            pages,
            &[("org_id", org.id.to_string())],
        ),
    };
    Ok(render_with(StatusCode::OK, &view))
}
