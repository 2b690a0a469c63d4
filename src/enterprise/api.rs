//! `/api/v1/enterprises`: read the request, call an operation, answer.

use super::ops::{self, EnterprisePatch, ListQuery, NewEnterprise};
use super::store::Enterprise;
use crate::auth::ApiCaller;
use crate::state::AppState;
use crate::web::api::{Page, ReadErrors, WriteErrors};
use crate::web::error::AppResult;
use crate::web::ApiJson;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update))
}

/// Enterprises in the caller's subtree (or one union's).
#[utoipa::path(get, path = "/api/v1/enterprises", operation_id = "list_enterprises", tag = "enterprises", params(ListQuery),
    responses((status = 200, description = "one page of the list", body = Page<Enterprise>), ReadErrors))]
async fn list(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Page<Enterprise>>> {
    Ok(Json(ops::list(&s, &c, &q).await?))
}

#[utoipa::path(get, path = "/api/v1/enterprises/{id}", operation_id = "get_enterprise", tag = "enterprises",
    params(("id" = i64, Path, description = "enterprise id")),
    responses((status = 200, description = "the enterprise", body = Enterprise), ReadErrors))]
async fn show(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<Json<Enterprise>> {
    Ok(Json(ops::get(&s, &c, id).await?))
}

/// Registers an enterprise under a union (roster right there).
#[utoipa::path(post, path = "/api/v1/enterprises", operation_id = "create_enterprise", tag = "enterprises", request_body = NewEnterprise,
    responses((status = 201, description = "registered", body = Enterprise), WriteErrors))]
async fn create(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(b): ApiJson<NewEnterprise>,
) -> AppResult<(StatusCode, Json<Enterprise>)> {
    Ok((StatusCode::CREATED, Json(ops::create(&s, &c, &b).await?)))
}

#[utoipa::path(patch, path = "/api/v1/enterprises/{id}", operation_id = "update_enterprise", tag = "enterprises", request_body = EnterprisePatch,
    params(("id" = i64, Path, description = "enterprise id")),
    responses((status = 200, description = "the enterprise", body = Enterprise), WriteErrors))]
async fn update(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<EnterprisePatch>,
) -> AppResult<Json<Enterprise>> {
    Ok(Json(ops::update(&s, &c, id, &b).await?))
}
