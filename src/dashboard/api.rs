//! `/api/v1/dashboard`: read the request, call the operation, answer.

use super::ops::{self, Dashboard, DashboardQuery, TargetInput};
use super::store::Target;
use crate::auth::ApiCaller;
use crate::state::AppState;
use crate::web::api::{ReadErrors, WriteErrors};
use crate::web::error::AppResult;
use crate::web::ApiJson;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(dashboard))
        .routes(routes!(report))
        .routes(routes!(set_target))
        .routes(routes!(delete_target))
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
    Ok(Json(ops::dashboard(&s, &c, &q).await?))
}

/// The report upward as .xlsx: 会员统计, 技能等级 and each program's sheet, a
/// row per child organisation with 本级 and 合计, numbers as numbers.
#[utoipa::path(get, path = "/api/v1/dashboard/report.xlsx", operation_id = "get_dashboard_report", tag = "dashboard", params(DashboardQuery),
    responses((status = 200, description = "Excel workbook (attachment)", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>), ReadErrors))]
async fn report(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<DashboardQuery>,
) -> AppResult<axum::response::Response> {
    let (bytes, name) = ops::report(&s, &c, q.org_id, q.year).await?;
    Ok(crate::web::files::xlsx_response(bytes, &name))
}

/// Sets a union's target for one figure and year (replacing the one set before):
/// people, or a percentage for a figure that is a share (高技能人才 of 技能劳动者).
#[utoipa::path(post, path = "/api/v1/dashboard/targets", operation_id = "set_dashboard_target", tag = "dashboard",
    request_body = TargetInput, responses((status = 201, description = "set", body = Target), WriteErrors))]
async fn set_target(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(b): ApiJson<TargetInput>,
) -> AppResult<(StatusCode, Json<Target>)> {
    Ok((
        StatusCode::CREATED,
        Json(ops::set_target(&s, &c, &b).await?),
    ))
}

#[utoipa::path(delete, path = "/api/v1/dashboard/targets/{id}", operation_id = "delete_dashboard_target", tag = "dashboard",
    params(("id" = i64, Path, description = "target id")),
    responses((status = 204, description = "removed"), WriteErrors))]
async fn delete_target(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    ops::delete_target(&s, &c, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
