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

/// An entry as people read it: names, not numbers; words, not JSON.
struct Shown {
    id: i64,
    at: i64,
    actor: String,
    /// The acting account, to list its entries (many workers share a masked login).
    account_id: Option<i64>,
    action: &'static str,
    /// What it is about: 会员 胡志强, 组织 瞻岐镇总工会, 课程 …
    what: String,
    member: Option<(i64, String)>,
    detail: String,
}

/// The entries of a page with the names their numbers point at (one query per kind).
async fn shown(s: &AppState, items: &[Entry]) -> Result<Vec<Shown>, sqlx::Error> {
    use super::readable::{self, Ref};
    let details: Vec<serde_json::Value> = items
        .iter()
        .map(|e| serde_json::from_str(&e.detail).unwrap_or(serde_json::Value::Null))
        .collect();
    let mut refs = vec![];
    for (e, d) in items.iter().zip(&details) {
        readable::refs(d, &mut refs);
        refs.extend(e.member_id.map(|m| (Ref::Member, m)));
        let own = match e.entity.as_str() {
            "member" => Some(Ref::Member),
            "org" => Some(Ref::Org),
            "account" => Some(Ref::Account),
            _ => None,
        };
        if let (Some(kind), Some(id)) = (own, e.entity_id) {
            refs.push((kind, id));
        }
    }
    let names = store::names(&s.db, &refs).await?;
    let name = |r: Ref, id: i64| names.get(&(r, id)).cloned();
    Ok(items
        .iter()
        .zip(&details)
        .map(|(e, d)| {
            let label = readable::entity_label(&e.entity);
            let own = match e.entity.as_str() {
                "member" => e.entity_id.and_then(|id| name(Ref::Member, id)),
                "org" => e.entity_id.and_then(|id| name(Ref::Org, id)),
                "account" => e.entity_id.and_then(|id| name(Ref::Account, id)),
                _ => None,
            };
            Shown {
                id: e.id,
                at: e.at,
                actor: readable::login_shown(&e.actor),
                account_id: e.account_id,
                action: action_label(&e.action),
                what: match own {
                    Some(n) => format!("{label} {n}"),
                    None => label.to_string(),
                },
                member: e.member_id.map(|m| {
                    (
                        m,
                        name(Ref::Member, m).unwrap_or_else(|| "（已删除）".into()),
                    )
                }),
                detail: readable::describe(d, &name),
            }
        })
        .collect())
}

#[derive(Template)]
#[template(path = "audit/list.html")]
struct AuditPage {
    nav: Option<Nav>,
    items: Vec<Shown>,
    /// The actions to filter by (code, what it means).
    actions: Vec<(&'static str, &'static str)>,
    total: i64,
    q: AuditQuery,
    pager: crate::web::Pager,
    error: String,
}

impl AuditPage {
    fn when(&self, ms: &i64) -> String {
        format_ms(*ms)
    }
    fn text<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }
}

async fn page(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Query(mut q): Query<AuditQuery>,
) -> PageResult {
    require(&c).or_page(&c)?;
    let paging = Paging::new(q.page, Some(50));
    // Staff name the member (or type the card number); the form keeps what was typed.
    let typed_member = q.member_id.clone().unwrap_or_default();
    let mut error = String::new();
    let wanted = typed_member.trim();
    if !wanted.is_empty() && wanted.parse::<i64>().is_err() {
        match crate::member::store::resolve(
            &s.db,
            &s.keys,
            &crate::audit::Actor::of(&c),
            &c.scope(Right::Audit),
            wanted,
            "member_id",
        )
        .await
        {
            Ok(m) => q.member_id = Some(m.id.to_string()),
            Err(e) if e.is_form_error() => error = e.form_message(),
            Err(e) => return Err(e).or_page(&c),
        }
    }
    let (items, total, error, status) = match filter(&q) {
        _ if !error.is_empty() => (vec![], 0, error, StatusCode::UNPROCESSABLE_ENTITY),
        Ok(f) => {
            let (items, total) = store::list(&s.db, &c.scope(Right::Audit), &f, paging)
                .await
                .or_page(&c)?;
            let items = shown(&s, &items).await.or_page(&c)?;
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
    let pager = crate::web::Pager::new(
        "/audit",
        paging.page,
        paging.pages(total),
        &[
            ("member_id", q.member_id.clone().unwrap_or_default()),
            ("account_id", q.account_id.clone().unwrap_or_default()),
            ("actor", q.actor.clone().unwrap_or_default()),
            ("action", q.action.clone().unwrap_or_default()),
            ("from", q.from.clone().unwrap_or_default()),
            ("to", q.to.clone().unwrap_or_default()),
        ],
    );
    let page = AuditPage {
        nav: Some(Nav::new(&c, "audit")),
        items,
        actions: crate::program::registry().audit_labels.clone(),
        total,
        q: AuditQuery {
            member_id: Some(typed_member),
            ..q
        },
        pager,
        error,
    };
    Ok(render_with(status, &page))
}
