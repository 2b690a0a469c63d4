//! The auditor's view: entries by person, by account and by time, within the
//! caller's subtree. `GET /audit` (page) and `GET /api/v1/audit` (JSON).

use super::store::{self, Filter};
use super::Entry;
use crate::auth::{ApiCaller, Caller, PageCaller, Right};
use crate::db::{date_start_ms, format_ms, Paging};
use crate::state::AppState;
use crate::web::error::{AppError, AppResult};
use crate::web::pages::{render_with, OrPage, PageResult};
use crate::web::{non_empty, Nav};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/audit", get(page))
        .route("/api/v1/audit", get(api_list))
}

#[derive(Deserialize, Default, Clone)]
pub struct AuditQuery {
    member_id: Option<String>,
    account_id: Option<String>,
    actor: Option<String>,
    action: Option<String>,
    /// `YYYY-MM-DD`, Beijing time, inclusive.
    from: Option<String>,
    /// `YYYY-MM-DD`, Beijing time, inclusive.
    to: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

fn filter(q: &AuditQuery) -> AppResult<Filter> {
    let int = |field: &str, v: &Option<String>| -> AppResult<Option<i64>> {
        match non_empty(v) {
            None => Ok(None),
            Some(t) => t
                .parse()
                .map(Some)
                .map_err(|_| AppError::invalid(field, "应为数字编号")),
        }
    };
    let day = |field: &str, v: &Option<String>, next: bool| -> AppResult<Option<i64>> {
        match non_empty(v) {
            None => Ok(None),
            Some(t) => date_start_ms(t, next)
                .map(Some)
                .map_err(|m| AppError::invalid(field, m)),
        }
    };
    Ok(Filter {
        member_id: int("member_id", &q.member_id)?,
        account_id: int("account_id", &q.account_id)?,
        actor: non_empty(&q.actor).map(str::to_string),
        action: non_empty(&q.action).map(str::to_string),
        from_ms: day("from", &q.from, false)?,
        to_ms: day("to", &q.to, true)?,
    })
}

fn require(c: &Caller) -> AppResult<()> {
    if c.can(Right::Audit) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "审计日志仅管理员和审计（只读）账号可以查看".into(),
        ))
    }
}

async fn api_list(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<AuditQuery>,
) -> AppResult<Json<Value>> {
    require(&c)?;
    let paging = Paging::new(q.page, q.per_page);
    let (items, total) = store::list(&s.db, &c.scope(Right::Audit), &filter(&q)?, paging).await?;
    let items: Vec<Value> = items.iter().map(entry_json).collect();
    Ok(Json(
        json!({ "items": items, "total": total, "page": paging.page, "per_page": paging.per_page }),
    ))
}

fn entry_json(e: &Entry) -> Value {
    json!({
        "id": e.id, "at": e.at, "account_id": e.account_id, "actor": e.actor, "action": e.action,
        "entity": e.entity, "entity_id": e.entity_id, "member_id": e.member_id, "org_id": e.org_id,
        "detail": serde_json::from_str::<Value>(&e.detail).unwrap_or(Value::Null), "hash": e.hash,
    })
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
