//! The auditor's view: entries by person, by account and by time, within the
//! caller's subtree: `GET /audit`.

use super::ops::{filter, require, AuditQuery};
use super::store;
use super::Entry;
use crate::auth::{PageCaller, Right};
use crate::db::{format_ms, Paging};
use crate::state::AppState;
use crate::web::pages::{render_with, OrPage, PageResult};
use crate::web::Nav;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new().route("/audit", get(page))
}

/// What an action means, for people reading the page (each program names its own).
pub fn action_label(action: &str) -> &'static str {
    crate::program::audit_label(action)
}

#[derive(Template)]
#[template(path = "audit/list.html")]
struct AuditPage {
    nav: Option<Nav>,
    items: Vec<Entry>,
    total: i64,
    page: i64,
    pages: i64,
    q: AuditQuery,
    query_base: String,
    error: String,
}

impl AuditPage {
    fn when(&self, ms: &i64) -> String {
        format_ms(*ms)
    }
    fn label(&self, action: &str) -> &'static str {
        action_label(action)
    }
    fn text<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }
}

async fn page(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Query(q): Query<AuditQuery>,
) -> PageResult {
    require(&c).or_page(&c)?;
    let paging = Paging::new(q.page, Some(50));
    let (items, total, error, status) = match filter(&q) {
        Ok(f) => {
            let (items, total) = store::list(&s.db, &c.scope(Right::Audit), &f, paging)
                .await
                .or_page(&c)?;
            (items, total, String::new(), StatusCode::OK)
        }
        Err(e) => {
            let msg = e
                .field_errors()
                .into_iter()
                .map(|f| f.message)
                .collect::<Vec<_>>()
                .join("；");
            (vec![], 0, msg, StatusCode::UNPROCESSABLE_ENTITY)
        }
    };
    let query_base = serde_urlencoded::to_string([
        ("member_id", q.member_id.clone().unwrap_or_default()),
        ("account_id", q.account_id.clone().unwrap_or_default()),
        ("actor", q.actor.clone().unwrap_or_default()),
        ("action", q.action.clone().unwrap_or_default()),
        ("from", q.from.clone().unwrap_or_default()),
        ("to", q.to.clone().unwrap_or_default()),
    ])
    .unwrap_or_default();
    let page = AuditPage {
        nav: Some(Nav::new(&c, "audit")),
        items,
        total,
        page: paging.page,
        pages: paging.pages(total),
        q,
        query_base,
        error,
    };
    Ok(render_with(status, &page))
}
