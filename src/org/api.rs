//! `/api/v1/orgs`.

use super::{rules, store};
use crate::audit::Actor;
use crate::auth::{ApiCaller, Right};
use crate::db::Paging;
use crate::state::AppState;
use crate::web::error::{AppError, AppResult, Errors};
use crate::web::ApiJson;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/orgs", get(list).post(create))
        .route("/api/v1/orgs/{id}", get(show).patch(update))
}

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    parent_id: Option<i64>,
    page: Option<i64>,
    per_page: Option<i64>,
}

async fn list(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Value>> {
    let paging = Paging::new(q.page, q.per_page);
    let (items, total) = store::list(
        &s.db,
        &c.scope(Right::Read),
        q.q.as_deref(),
        q.parent_id,
        paging,
    )
    .await?;
    Ok(Json(
        json!({ "items": items, "total": total, "page": paging.page, "per_page": paging.per_page }),
    ))
}

async fn show(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<Json<store::Org>> {
    Ok(Json(store::get(&s.db, &c.scope(Right::Read), id).await?))
}

#[derive(Deserialize)]
pub struct CreateBody {
    code: Option<String>,
    name: Option<String>,
    kind: Option<String>,
    parent_id: Option<i64>,
}

async fn create(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(b): ApiJson<CreateBody>,
) -> AppResult<(StatusCode, Json<store::Org>)> {
    let Some(parent_id) = b.parent_id else {
        return Err(AppError::invalid("parent_id", "请指定上级组织 parent_id"));
    };
    let parent = store::get(&s.db, &c.scope(Right::Read), parent_id).await?;
    if !c.scope(Right::Orgs).covers_path(&parent.path) {
        return Err(AppError::forbidden());
    }
    let mut errs = Errors::default();
    let code = errs.take("code", rules::parse_code(b.code.as_deref().unwrap_or("")));
    let name = errs.take("name", rules::parse_name(b.name.as_deref().unwrap_or("")));
    let kind = errs.take("kind", rules::parse_kind(b.kind.as_deref().unwrap_or("")));
    errs.finish()?;
    let new = store::NewOrg {
        code: code.unwrap_or_default(),
        name: name.unwrap_or_default(),
        kind: kind.unwrap_or_default(),
    };
    let org = store::create(
        &s.db,
        &Actor::of(&c),
        Some(&c.scope(Right::Orgs)),
        new,
        Some(parent_id),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(org)))
}

#[derive(Deserialize)]
pub struct PatchBody {
    code: Option<String>,
    name: Option<String>,
    kind: Option<String>,
    parent_id: Option<i64>,
}

async fn update(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<PatchBody>,
) -> AppResult<Json<store::Org>> {
    let org = store::get(&s.db, &c.scope(Right::Read), id).await?;
    if !c.scope(Right::Orgs).covers_path(&org.path) {
        return Err(AppError::forbidden());
    }
    let patch = parse_patch(
        b.code.as_deref(),
        b.name.as_deref(),
        b.kind.as_deref(),
        b.parent_id,
    )?;
    Ok(Json(
        store::update(&s.db, &Actor::of(&c), &c.scope(Right::Orgs), id, patch).await?,
    ))
}

/// Validates the fields a PATCH (or the edit form) gives.
pub fn parse_patch(
    code: Option<&str>,
    name: Option<&str>,
    kind: Option<&str>,
    parent_id: Option<i64>,
) -> AppResult<store::OrgPatch> {
    let mut errs = Errors::default();
    let patch = store::OrgPatch {
        code: code.and_then(|v| errs.take("code", rules::parse_code(v))),
        name: name.and_then(|v| errs.take("name", rules::parse_name(v))),
        kind: kind.and_then(|v| errs.take("kind", rules::parse_kind(v))),
        parent_id,
    };
    errs.finish()?;
    Ok(patch)
}
