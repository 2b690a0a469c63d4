//! `/api/v1/orgs`: read the request, call an operation, answer.

use super::ops::{self, ListQuery, NewOrgInput, OrgPatchInput};
use super::store::Org;
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

/// Organisations in the caller's subtree.
#[utoipa::path(get, path = "/api/v1/orgs", operation_id = "list_orgs", tag = "orgs", params(ListQuery),
    responses((status = 200, description = "one page of the list", body = Page<Org>), ReadErrors))]
async fn list(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Page<Org>>> {
    Ok(Json(ops::list(&s, &c, &q).await?))
}

#[utoipa::path(get, path = "/api/v1/orgs/{id}", operation_id = "get_org", tag = "orgs",
    params(("id" = i64, Path, description = "organisation id")),
    responses((status = 200, description = "the organisation", body = Org), ReadErrors))]
async fn show(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<Json<Org>> {
    Ok(Json(ops::get(&s, &c, id).await?))
}

/// Creates an organisation under `parent_id` (an admin there).
#[utoipa::path(post, path = "/api/v1/orgs", operation_id = "create_org", tag = "orgs", request_body = NewOrgInput,
    responses((status = 201, description = "created", body = Org), WriteErrors))]
async fn create(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(b): ApiJson<NewOrgInput>,
) -> AppResult<(StatusCode, Json<Org>)> {
    Ok((StatusCode::CREATED, Json(ops::create(&s, &c, &b).await?)))
}

/// Renames, recodes or moves an organisation (a new parent moves its subtree).
#[utoipa::path(patch, path = "/api/v1/orgs/{id}", operation_id = "update_org", tag = "orgs", request_body = OrgPatchInput,
    params(("id" = i64, Path, description = "organisation id")),
    responses((status = 200, description = "the organisation as it is now", body = Org), WriteErrors))]
async fn update(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<OrgPatchInput>,
) -> AppResult<Json<Org>> {
    Ok(Json(ops::update(&s, &c, id, &b).await?))
}
