//! `/api/v1/enterprises`.

use super::rules::{self, RawEnterprise};
use super::store;
use crate::audit::Actor;
use crate::auth::{ApiCaller, Caller, Right};
use crate::db::Paging;
use crate::state::AppState;
use crate::web::error::{AppError, AppResult};
use crate::web::ApiJson;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/enterprises", get(list).post(create))
        .route("/api/v1/enterprises/{id}", get(show).patch(update))
}

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    org_id: Option<i64>,
    page: Option<i64>,
    per_page: Option<i64>,
}

/// The read scope, narrowed to one organisation's subtree when asked.
pub async fn list_scope(
    s: &AppState,
    c: &Caller,
    org_id: Option<i64>,
) -> AppResult<crate::auth::Scope> {
    let scope = c.scope(Right::Read);
    match org_id {
        Some(id) => Ok(scope.narrowed_to(&crate::org::store::get(&s.db, &scope, id).await?.path)),
        None => Ok(scope),
    }
}

async fn list(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Value>> {
    let paging = Paging::new(q.page, q.per_page);
    let scope = list_scope(&s, &c, q.org_id).await?;
    let (items, total) = store::list(&s.db, &scope, q.q.as_deref(), paging).await?;
    Ok(Json(
        json!({ "items": items, "total": total, "page": paging.page, "per_page": paging.per_page }),
    ))
}

async fn show(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<Json<store::Enterprise>> {
    Ok(Json(store::get(&s.db, &c.scope(Right::Read), id).await?))
}

#[derive(Deserialize)]
pub struct Body {
    credit_code: Option<String>,
    name: Option<String>,
    industry: Option<String>,
    size: Option<String>,
    org_id: Option<i64>,
}

impl Body {
    fn raw(&self) -> RawEnterprise {
        RawEnterprise {
            credit_code: self.credit_code.clone(),
            name: self.name.clone(),
            industry: self.industry.clone(),
            size: self.size.clone(),
        }
    }
}

/// The covering organisation must be visible (else 404) and writable (else 403).
pub async fn check_target_org(s: &AppState, c: &Caller, org_id: i64) -> AppResult<()> {
    let org = crate::org::store::get(&s.db, &c.scope(Right::Read), org_id).await?;
    if !c.scope(Right::Roster).covers_path(&org.path) {
        return Err(AppError::forbidden());
    }
    Ok(())
}

async fn create(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(b): ApiJson<Body>,
) -> AppResult<(StatusCode, Json<store::Enterprise>)> {
    let Some(org_id) = b.org_id else {
        return Err(AppError::invalid("org_id", "请指定所属工会组织 org_id"));
    };
    check_target_org(&s, &c, org_id).await?;
    let fields = rules::parse(&b.raw(), true)?;
    let id = store::create(&s.db, &Actor::of(&c), &fields, org_id).await?;
    Ok((
        StatusCode::CREATED,
        Json(store::get(&s.db, &c.scope(Right::Read), id).await?),
    ))
}

async fn update(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<Body>,
) -> AppResult<Json<store::Enterprise>> {
    let e = store::get(&s.db, &c.scope(Right::Read), id).await?;
    if !c.scope(Right::Roster).covers_path(&e.org_path) {
        return Err(AppError::forbidden());
    }
    if let Some(org_id) = b.org_id {
        check_target_org(&s, &c, org_id).await?;
    }
    let fields = rules::parse(&b.raw(), false)?;
    store::update(&s.db, &Actor::of(&c), id, &fields, b.org_id).await?;
    Ok(Json(store::get(&s.db, &c.scope(Right::Read), id).await?))
}
