//! `/api/v1/members`: read the request, call an operation, answer.

use super::ops::{self, ListQuery, MemberPatch, NewMember, RevealInput, Revealed, TransferInput};
use super::store::{Member, Transfer};
use crate::auth::ApiCaller;
use crate::state::AppState;
use crate::web::api::{Page, ReadErrors, WriteErrors};
use crate::web::error::{AppError, AppResult};
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
        .routes(routes!(record))
        .routes(routes!(transfer))
        .routes(routes!(transfers))
        .routes(routes!(reveal))
        .routes(routes!(transfers_crossing))
}

/// Transfers into (`in`) or out of (`out`) a union's subtree in a period, newest first.
#[utoipa::path(get, path = "/api/v1/transfers", operation_id = "list_transfers_crossing", tag = "members",
    params(ops::TransfersQuery),
    responses((status = 200, description = "one page of the transfers", body = Page<super::store::Crossed>), ReadErrors))]
async fn transfers_crossing(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<ops::TransfersQuery>,
) -> AppResult<Json<Page<super::store::Crossed>>> {
    Ok(Json(ops::transfers_crossing(&s, &c, &q).await?.2))
}

/// Members in the caller's subtree (a member account: itself), searched and filtered.
#[utoipa::path(get, path = "/api/v1/members", operation_id = "list_members", tag = "members", params(ListQuery),
    responses((status = 200, description = "one page of the list; a broad search counts up to 1000 of each kind", body = Page<Member>),
        (status = 429, description = "whole-number searches stopped for the day", body = crate::web::api::Problem, content_type = "application/problem+json"),
        ReadErrors))]
async fn list(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Page<Member>>> {
    Ok(Json(ops::list(&s, &c, &q).await?))
}

#[utoipa::path(get, path = "/api/v1/members/{id}", operation_id = "get_member", tag = "members",
    params(("id" = i64, Path, description = "member id")),
    responses((status = 200, description = "the member, numbers masked", body = Member), ReadErrors))]
async fn show(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<Json<Member>> {
    Ok(Json(ops::get(&s, &c, id).await?))
}

/// The member's growth record (成长档案): what every program has recorded of
/// them, newest first — for staff who see the member and for the member themself.
#[utoipa::path(get, path = "/api/v1/members/{id}/record", operation_id = "get_member_record", tag = "members",
    params(("id" = i64, Path, description = "member id")),
    responses((status = 200, description = "the record, newest first", body = super::record::Record), ReadErrors))]
async fn record(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<Json<super::record::Record>> {
    Ok(Json(super::record::of(&s, &c, id).await?))
}

/// Registers a member (one person, one member: the ID number is the identity).
#[utoipa::path(post, path = "/api/v1/members", operation_id = "create_member", tag = "members", request_body = NewMember,
    responses((status = 201, description = "registered", body = Member), WriteErrors))]
async fn create(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(b): ApiJson<NewMember>,
) -> AppResult<(StatusCode, Json<Member>)> {
    let raw = b.details.raw(b.name.clone(), b.id_number.clone());
    let enterprise_id = b.details.enterprise_id.flatten();
    let m = ops::create(&s, &c, b.org_id, enterprise_id, &raw).await?;
    Ok((StatusCode::CREATED, Json(m)))
}

#[utoipa::path(patch, path = "/api/v1/members/{id}", operation_id = "update_member", tag = "members", request_body = MemberPatch,
    params(("id" = i64, Path, description = "member id")),
    responses((status = 200, description = "the member as it is now", body = Member), WriteErrors))]
async fn update(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<MemberPatch>,
) -> AppResult<Json<Member>> {
    if b.org_id.is_some() {
        ops::get(&s, &c, id).await?;
        return Err(AppError::invalid(
            "org_id",
            "更换所属工会请使用转会：POST /api/v1/members/{id}/transfer",
        ));
    }
    let raw = b.details.raw(b.name.clone(), b.id_number.clone());
    Ok(Json(
        ops::update(&s, &c, id, b.details.enterprise_id, &raw).await?,
    ))
}

/// 会员转会: moves the member to another union; the history is kept.
#[utoipa::path(post, path = "/api/v1/members/{id}/transfer", operation_id = "transfer_member", tag = "members", request_body = TransferInput,
    params(("id" = i64, Path, description = "member id")),
    responses((status = 200, description = "the member at the new union", body = Member), WriteErrors))]
async fn transfer(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<TransferInput>,
) -> AppResult<Json<Member>> {
    Ok(Json(ops::transfer(&s, &c, id, &b).await?))
}

#[utoipa::path(get, path = "/api/v1/members/{id}/transfers", operation_id = "list_member_transfers", tag = "members",
    params(("id" = i64, Path, description = "member id")),
    responses((status = 200, description = "the member's transfers, oldest first", body = Page<Transfer>), ReadErrors))]
async fn transfers(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<Json<Page<Transfer>>> {
    Ok(Json(Page::all(ops::transfers(&s, &c, id).await?)))
}

/// The whole ID number and phone (the reveal right; every reveal is audited).
#[utoipa::path(post, path = "/api/v1/members/{id}/reveal", operation_id = "reveal_member", tag = "members",
    request_body(content = RevealInput, description = "optional: why (for the audit log)"),
    params(("id" = i64, Path, description = "member id")),
    responses((status = 200, description = "the whole numbers", body = Revealed), WriteErrors))]
async fn reveal(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> AppResult<Json<Revealed>> {
    // The body is optional: `{"purpose": "…"}` says why, for the audit log.
    let purpose = serde_json::from_slice::<RevealInput>(&body)
        .ok()
        .and_then(|b| b.purpose)
        .unwrap_or_default();
    Ok(Json(ops::reveal(&s, &c, id, &purpose).await?.1))
}
