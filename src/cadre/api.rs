//! `/api/v1/cadres*` and `/api/v1/cadre-points/*`: read the request, call an
//! operation, answer.

use super::ops::{self, CadreChanges};
use super::store::{Cadre, Entry, Item, Standing};
use crate::auth::ApiCaller;
use crate::db::Paging;
use crate::state::AppState;
use crate::web::api::{Page, ReadErrors, WriteErrors};
use crate::web::error::AppResult;
use crate::web::ApiJson;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_cadre, list_cadres))
        .routes(routes!(show_cadre, update_cadre))
        .routes(routes!(create_item, list_items))
        .routes(routes!(update_item))
        .routes(routes!(add_entry, list_entries))
        .routes(routes!(reverse))
        .routes(routes!(ranking))
}

/// A new cadre of a union.
#[derive(Deserialize, utoipa::ToSchema)]
struct NewCadreBody {
    #[serde(default)]
    #[schema(required = true, nullable = false)]
    org_id: Option<i64>,
    #[serde(default)]
    #[schema(
        required = true,
        nullable = false,
        min_length = 1,
        max_length = 50,
        pattern = r"\S"
    )]
    name: Option<String>,
    /// The post, e.g. 工会主席.
    #[serde(default)]
    #[schema(nullable = false, max_length = 50)]
    title: Option<String>,
    /// A member on the roster of the union or below.
    #[serde(default)]
    #[schema(nullable = false)]
    member_id: Option<i64>,
}

#[utoipa::path(post, path = "/api/v1/cadres", operation_id = "create_cadre", tag = "cadre-points",
    request_body = NewCadreBody, responses((status = 201, description = "added", body = Cadre), WriteErrors))]
async fn create_cadre(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(b): ApiJson<NewCadreBody>,
) -> AppResult<(StatusCode, Json<Cadre>)> {
    let id = ops::add_cadre(
        &s,
        &c,
        b.org_id,
        b.name.as_deref().unwrap_or(""),
        b.title.as_deref().unwrap_or(""),
        b.member_id,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(ops::visible_cadre(&s, &c, id).await?),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct CadresQuery {
    /// The subtree (default: all the caller sees).
    org_id: Option<i64>,
    /// Whose points (default: this year).
    #[param(pattern = r"^(19|20)[0-9]{2}$")]
    year: Option<String>,
    /// Only those in office (`true`) or out of it (`false`).
    active: Option<bool>,
    #[param(minimum = 1)]
    page: Option<i64>,
    #[param(minimum = 1, maximum = 200)]
    per_page: Option<i64>,
}

/// A page of cadres and the year their points are of.
#[derive(Serialize, utoipa::ToSchema)]
struct CadrePage {
    year: i32,
    #[serde(flatten)]
    page: Page<Cadre>,
}

/// A cadre's changes as sent: [`CadreChanges`], documented with "at least
/// one of name, title, active" (an empty change is refused).
#[derive(Deserialize)]
#[serde(transparent)]
struct CadreChangesBody(CadreChanges);

impl utoipa::PartialSchema for CadreChangesBody {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let fields = <CadreChanges as utoipa::PartialSchema>::schema();
        crate::web::api::at_least_one_of(fields, &["name", "title", "active"])
    }
}

impl utoipa::ToSchema for CadreChangesBody {
    fn name() -> std::borrow::Cow<'static, str> {
        "CadreChanges".into()
    }
}

/// The cadres of a subtree with the year's points.
#[utoipa::path(get, path = "/api/v1/cadres", operation_id = "list_cadres", tag = "cadre-points", params(CadresQuery),
    responses((status = 200, description = "one page of cadres", body = CadrePage), ReadErrors))]
async fn list_cadres(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<CadresQuery>,
) -> AppResult<Json<CadrePage>> {
    let paging = Paging::new(q.page, q.per_page);
    let (year, page) = ops::cadres(&s, &c, q.org_id, q.year.as_deref(), q.active, paging).await?;
    Ok(Json(CadrePage { year, page }))
}

#[utoipa::path(get, path = "/api/v1/cadres/{id}", operation_id = "get_cadre", tag = "cadre-points",
    params(("id" = i64, Path, description = "cadre id")),
    responses((status = 200, description = "the cadre, with this year's points", body = Cadre), ReadErrors))]
async fn show_cadre(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<Json<Cadre>> {
    Ok(Json(ops::visible_cadre(&s, &c, id).await?))
}

#[utoipa::path(patch, path = "/api/v1/cadres/{id}", operation_id = "update_cadre", tag = "cadre-points",
    request_body = CadreChangesBody, params(("id" = i64, Path, description = "cadre id")),
    responses((status = 200, description = "the cadre as it is now", body = Cadre), WriteErrors))]
async fn update_cadre(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(CadreChangesBody(b)): ApiJson<CadreChangesBody>,
) -> AppResult<Json<Cadre>> {
    Ok(Json(ops::update_cadre(&s, &c, id, &b).await?))
}

/// A rule item of a union, or (on PATCH) whether it is active.
/// An item's value: not zero (negative deducts), within ±1000 (`rules::parse_points`).
fn item_points() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    crate::web::api::nonzero_within(1000)
}

#[derive(Deserialize, utoipa::ToSchema)]
struct ItemBody {
    #[serde(default)]
    #[schema(required = true, nullable = false)]
    org_id: Option<i64>,
    #[serde(default)]
    #[schema(
        required = true,
        nullable = false,
        min_length = 1,
        max_length = 50,
        pattern = r"\S",
        example = "组织培训一次"
    )]
    label: Option<String>,
    /// Non-zero: negative deducts.
    #[serde(default)]
    #[schema(required = true, nullable = false, schema_with = item_points)]
    points: Option<i64>,
}

#[utoipa::path(post, path = "/api/v1/cadre-points/items", operation_id = "create_cadre_item", tag = "cadre-points",
    request_body = ItemBody, responses((status = 201, description = "added", body = Item), WriteErrors))]
async fn create_item(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(b): ApiJson<ItemBody>,
) -> AppResult<(StatusCode, Json<Item>)> {
    let item = ops::add_item(&s, &c, b.org_id, b.label.as_deref().unwrap_or(""), b.points).await?;
    Ok((StatusCode::CREATED, Json(item)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ItemsQuery {
    /// The union (default: the caller's).
    org_id: Option<i64>,
}

/// The items that apply at a union and the union they are for.
#[derive(Serialize, utoipa::ToSchema)]
struct ItemPage {
    org_id: i64,
    #[serde(flatten)]
    page: Page<Item>,
}

/// The items that apply at a union: its own and its ancestors'.
#[utoipa::path(get, path = "/api/v1/cadre-points/items", operation_id = "list_cadre_items", tag = "cadre-points", params(ItemsQuery),
    responses((status = 200, description = "the items", body = ItemPage), ReadErrors))]
async fn list_items(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<ItemsQuery>,
) -> AppResult<Json<ItemPage>> {
    let org = ops::viewed_org(&s, &c, q.org_id).await?;
    let items = super::store::items_for(&s.db, &org.path).await?;
    Ok(Json(ItemPage {
        org_id: org.id,
        page: Page::all(items),
    }))
}

/// Only `active` may change.
#[derive(Deserialize, utoipa::ToSchema)]
struct ItemActive {
    #[serde(default)]
    #[schema(required = true, nullable = false)]
    active: Option<bool>,
    #[serde(default)]
    #[schema(ignore)]
    org_id: Option<i64>,
    #[serde(default)]
    #[schema(ignore)]
    label: Option<String>,
    #[serde(default)]
    #[schema(ignore)]
    points: Option<i64>,
}

/// Switches a rule item on or off; past entries keep their points.
#[utoipa::path(patch, path = "/api/v1/cadre-points/items/{id}", operation_id = "update_cadre_item", tag = "cadre-points",
    request_body = ItemActive, params(("id" = i64, Path, description = "item id")),
    responses((status = 200, description = "the item", body = Item), WriteErrors))]
async fn update_item(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<ItemActive>,
) -> AppResult<Json<Item>> {
    let others = b.org_id.is_some() || b.label.is_some() || b.points.is_some();
    Ok(Json(
        ops::set_item_active(&s, &c, id, b.active, others).await?,
    ))
}

/// An entry for a cadre by a rule item that applies to the cadre's union.
#[derive(Deserialize, utoipa::ToSchema)]
struct EntryBody {
    #[serde(default)]
    #[schema(required = true, nullable = false)]
    cadre_id: Option<i64>,
    #[serde(default)]
    #[schema(required = true, nullable = false)]
    item_id: Option<i64>,
    /// What shows the work was done.
    #[serde(default)]
    #[schema(
        required = true,
        nullable = false,
        min_length = 1,
        max_length = 500,
        pattern = r"\S"
    )]
    evidence: Option<String>,
    /// YYYY-MM-DD, not after today; decides the year.
    #[serde(default)]
    #[schema(required = true, nullable = false, format = Date, pattern = r"^(19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}$")]
    occurred_on: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/cadre-points/entries", operation_id = "add_cadre_entry", tag = "cadre-points",
    request_body = EntryBody, responses((status = 201, description = "recorded", body = Entry), WriteErrors))]
async fn add_entry(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(b): ApiJson<EntryBody>,
) -> AppResult<(StatusCode, Json<Entry>)> {
    let entry = ops::record(
        &s,
        &c,
        b.cadre_id,
        b.item_id,
        b.evidence.as_deref().unwrap_or(""),
        b.occurred_on.as_deref().unwrap_or(""),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(entry)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct EntriesQuery {
    /// The cadre (required for staff).
    #[param(example = 1)]
    cadre_id: Option<i64>,
    /// Only this year's (default: all).
    #[param(pattern = r"^(19|20)[0-9]{2}$")]
    year: Option<String>,
}

/// A cadre's entries and their sum.
#[derive(Serialize, utoipa::ToSchema)]
struct EntryPage {
    cadre_id: i64,
    year: Option<i32>,
    points: i64,
    #[serde(flatten)]
    page: Page<Entry>,
}

#[utoipa::path(get, path = "/api/v1/cadre-points/entries", operation_id = "list_cadre_entries", tag = "cadre-points", params(EntriesQuery),
    responses((status = 200, description = "the entries, latest day first", body = EntryPage), ReadErrors))]
async fn list_entries(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<EntriesQuery>,
) -> AppResult<Json<EntryPage>> {
    let (cadre, year, items) = ops::entries(&s, &c, q.cadre_id, q.year.as_deref()).await?;
    Ok(Json(EntryPage {
        cadre_id: cadre.id,
        year,
        points: items.iter().map(|e| e.points).sum(),
        page: Page::all(items),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct ReverseBody {
    #[serde(default)]
    #[schema(
        required = true,
        nullable = false,
        min_length = 1,
        max_length = 200,
        pattern = r"\S"
    )]
    reason: Option<String>,
}

/// Reverses an entry once (409 the second time), with a reason.
#[utoipa::path(post, path = "/api/v1/cadre-points/entries/{id}/reverse", operation_id = "reverse_cadre_entry", tag = "cadre-points",
    request_body = ReverseBody, params(("id" = i64, Path, description = "entry id")),
    responses((status = 201, description = "the reversing entry", body = Entry), WriteErrors))]
async fn reverse(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<ReverseBody>,
) -> AppResult<(StatusCode, Json<Entry>)> {
    let entry = ops::reverse_entry(&s, &c, id, b.reason.as_deref().unwrap_or("")).await?;
    Ok((StatusCode::CREATED, Json(entry)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct RankingQuery {
    /// The subtree (default: the caller's).
    org_id: Option<i64>,
    #[param(pattern = r"^(19|20)[0-9]{2}$")]
    year: Option<String>,
    #[param(minimum = 1, maximum = 5000)]
    limit: Option<i64>,
}

/// The year's ranking of a subtree's cadres.
#[derive(Serialize, utoipa::ToSchema)]
struct RankingPage {
    org_id: i64,
    org_name: String,
    year: i32,
    #[serde(flatten)]
    page: Page<Standing>,
}

/// Cadres by the year's total, most first; ties share a rank (1, 2, 2, 4).
#[utoipa::path(get, path = "/api/v1/cadre-points/ranking", operation_id = "cadre_ranking", tag = "cadre-points", params(RankingQuery),
    responses((status = 200, description = "the ranking", body = RankingPage), ReadErrors))]
async fn ranking(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<RankingQuery>,
) -> AppResult<Json<RankingPage>> {
    let (org, year, items) = ops::ranking(&s, &c, q.org_id, q.year.as_deref(), q.limit).await?;
    Ok(Json(RankingPage {
        org_id: org.id,
        org_name: org.name,
        year,
        page: Page::all(items),
    }))
}
