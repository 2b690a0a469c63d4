//! `GET /api/v1/audit`: read the request, call an operation, answer.

use super::ops::{self, AuditQuery, EntryView};
use crate::auth::ApiCaller;
use crate::state::AppState;
use crate::web::api::{Page, ReadErrors};
use crate::web::error::AppResult;
use axum::extract::{Query, State};
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

/// The audit log of the caller's subtree, newest first (admins and viewers).
#[utoipa::path(get, path = "/api/v1/audit", operation_id = "list_audit", tag = "audit", params(AuditQuery),
    responses((status = 200, description = "one page of entries", body = Page<EntryView>), ReadErrors))]
async fn list(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<AuditQuery>,
) -> AppResult<Json<Page<EntryView>>> {
    Ok(Json(ops::list(&s, &c, &q).await?))
}
