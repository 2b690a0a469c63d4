//! `/api/v1/dashboard`: read the request, call the operation, answer.

use super::ops::{self, Dashboard, DashboardQuery};
use crate::auth::ApiCaller;
use crate::state::AppState;
use crate::web::api::ReadErrors;
use crate::web::error::AppResult;
use axum::extract::{Query, State};
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(dashboard))
}

/// An organisation's subtree in figures, and each child's: every figure
/// carries its `value` and `list`, the API list it counts (whose `total`
/// equals the value).
#[utoipa::path(get, path = "/api/v1/dashboard", operation_id = "get_dashboard", tag = "dashboard", params(DashboardQuery),
    responses((status = 200, description = "the figures", body = Dashboard), ReadErrors))]
async fn dashboard(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<DashboardQuery>,
) -> AppResult<Json<Dashboard>> {
    Ok(Json(ops::dashboard(&s, &c, q.org_id).await?))
}
