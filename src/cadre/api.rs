//! `/api/v1/cadres*` and `/api/v1/cadre-points/*`. Staff only: a record
//! outside the caller's subtree answers 404, one inside it without the right
//! 403. Managing cadres and recording entries needs the roster right over the
//! cadre's union; configuring rule items the organisations right over the
//! item's union; reading needs the read right.

use super::rules;
use super::store::{self, Cadre, CadrePatch, Entry, Item, NewCadre};
use crate::audit::Actor;
use crate::auth::{ApiCaller, Caller, Right};
use crate::db::Paging;
use crate::org::store::Org;
use crate::state::AppState;
use crate::web::error::{AppError, AppResult, Errors};
use crate::web::ApiJson;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/cadres", post(create_cadre).get(list_cadres))
        .route("/api/v1/cadres/{id}", get(show_cadre).patch(update_cadre))
        .route(
            "/api/v1/cadre-points/items",
            post(create_item).get(list_items),
        )
        .route(
            "/api/v1/cadre-points/items/{id}",
            axum::routing::patch(update_item),
        )
        .route(
            "/api/v1/cadre-points/entries",
            post(add_entry).get(list_entries),
        )
        .route("/api/v1/cadre-points/entries/{id}/reverse", post(reverse))
        .route("/api/v1/cadre-points/ranking", get(ranking))
}

/// Cadre points are staff business: a member account may not use them.
pub fn staff_only(c: &Caller) -> AppResult<()> {
    if c.can(Right::Read) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "工会干部积分仅供工会工作人员使用".into(),
        ))
    }
}

/// A union the caller sees (else 404) and holds `right` over (else 403).
pub async fn writable_org(s: &AppState, c: &Caller, org_id: i64, right: Right) -> AppResult<Org> {
    staff_only(c)?;
    let org = crate::org::store::get(&s.db, &c.scope(Right::Read), org_id).await?;
    if !c.scope(right).covers_path(&org.path) {
        return Err(AppError::forbidden());
    }
    Ok(org)
}

/// The union a list is about: the one asked for, or the caller's own; seen by the caller (else 404).
pub async fn viewed_org(s: &AppState, c: &Caller, org_id: Option<i64>) -> AppResult<Org> {
    staff_only(c)?;
    let id = org_id
        .or(c.home_org())
        .ok_or_else(|| AppError::invalid("org_id", "请指定组织 org_id"))?;
    crate::org::store::get(&s.db, &c.scope(Right::Read), id).await
}

/// A cadre the caller sees (else 404), with this year's points.
pub async fn visible_cadre(s: &AppState, c: &Caller, id: i64) -> AppResult<Cadre> {
    staff_only(c)?;
    store::cadre(&s.db, &c.scope(Right::Read), id, super::this_year()).await
}

/// A cadre the caller may manage or record for: seen (else 404), roster right over its union (else 403).
pub async fn writable_cadre(s: &AppState, c: &Caller, id: i64) -> AppResult<Cadre> {
    let cadre = visible_cadre(s, c, id).await?;
    if !c.scope(Right::Roster).covers_path(&cadre.org_path) {
        return Err(AppError::forbidden());
    }
    Ok(cadre)
}

/// The year of a query: the one given (422 when it is not a year), else this year.
pub fn year_param(v: Option<&str>) -> AppResult<i32> {
    match v.map(str::trim).filter(|v| !v.is_empty()) {
        Some(y) => rules::parse_year(y).map_err(|m| AppError::invalid("year", m)),
        None => Ok(super::this_year()),
    }
}

/// Adds a cadre to a union (shared by the API and the console).
pub async fn add_cadre(
    s: &AppState,
    c: &Caller,
    org_id: Option<i64>,
    name: &str,
    title: &str,
    member_id: Option<i64>,
) -> AppResult<i64> {
    let org_id = org_id.ok_or_else(|| AppError::invalid("org_id", "请指定干部所在工会 org_id"))?;
    let org = writable_org(s, c, org_id, Right::Roster).await?;
    let mut e = Errors::default();
    let name = e.take("name", rules::parse_name(name));
    let title = e.take("title", rules::parse_title(title));
    if let Some(mid) = member_id {
        // The member must be on a roster the caller sees, in this union or below it.
        match crate::member::store::get(&s.db, &s.keys, &c.scope(Right::Read), mid).await {
            Ok(m) if m.org_path.starts_with(&org.path) => {}
            Ok(_) => e.add("member_id", "该会员不在这个工会或其下级工会的名册上"),
            Err(AppError::NotFound(_)) => e.add("member_id", "会员不存在或不在您的管辖范围内"),
            Err(other) => return Err(other),
        }
    }
    e.finish()?;
    let new = NewCadre {
        org_id: org.id,
        name: name.unwrap_or_default(),
        title: title.unwrap_or_default(),
        member_id,
    };
    store::create_cadre(&s.db, &Actor::of(c), &new).await
}

/// Adds a rule item to a union (organisations right over it).
pub async fn add_item(
    s: &AppState,
    c: &Caller,
    org_id: Option<i64>,
    label: &str,
    points: Option<i64>,
) -> AppResult<Item> {
    let org_id =
        org_id.ok_or_else(|| AppError::invalid("org_id", "请指定积分项目所属工会 org_id"))?;
    let org = writable_org(s, c, org_id, Right::Orgs).await?;
    let (label, points) = rules::check_item(label, points)?;
    store::create_item(&s.db, &Actor::of(c), org.id, &label, points).await
}

/// A rule item the caller may switch on or off: organisations right over its
/// union (else 403 when the caller sees that union, 404 when not).
pub async fn writable_item(s: &AppState, c: &Caller, id: i64) -> AppResult<Item> {
    staff_only(c)?;
    let item = store::item(&s.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("积分项目"))?;
    if c.scope(Right::Orgs).covers_path(&item.org_path) {
        return Ok(item);
    }
    if c.scope(Right::Read).covers_path(&item.org_path) {
        return Err(AppError::forbidden());
    }
    Err(AppError::not_found("积分项目"))
}

/// Records an entry for a cadre by a rule item that applies to the cadre's union.
pub async fn record(
    s: &AppState,
    c: &Caller,
    cadre_id: Option<i64>,
    item_id: Option<i64>,
    evidence: &str,
    occurred_on: &str,
) -> AppResult<Entry> {
    let cadre_id = cadre_id.ok_or_else(|| AppError::invalid("cadre_id", "请指定干部 cadre_id"))?;
    let cadre = writable_cadre(s, c, cadre_id).await?;
    let mut e = Errors::default();
    if !cadre.active {
        e.add(
            "cadre_id",
            format!("干部“{}”已停用，不能再记分", cadre.name),
        );
    }
    let item = match item_id {
        None => {
            e.add("item_id", "请选择积分项目 item_id");
            None
        }
        Some(id) => match store::item(&s.db, id).await? {
            Some(i) if !i.applies_to(&cadre.org_path) => {
                e.add("item_id", "该积分项目不适用于这位干部所在的工会");
                None
            }
            Some(i) if !i.active => {
                e.add("item_id", format!("积分项目“{}”已停用", i.label));
                None
            }
            Some(i) => Some(i),
            None => {
                e.add("item_id", "积分项目不存在");
                None
            }
        },
    };
    let evidence = e.take("evidence", rules::parse_evidence(evidence));
    let occurred_on = e.take(
        "occurred_on",
        rules::parse_occurred_on(occurred_on, &super::today()),
    );
    e.finish()?;
    let (Some(item), Some(evidence), Some(occurred_on)) = (item, evidence, occurred_on) else {
        return Err(AppError::invalid("body", "提交的内容有误"));
    };
    store::add_entry(&s.db, &Actor::of(c), &cadre, &item, &evidence, &occurred_on).await
}

/// Reverses an entry once (409 the second time), with a reason.
pub async fn reverse_entry(s: &AppState, c: &Caller, id: i64, reason: &str) -> AppResult<Entry> {
    staff_only(c)?;
    let entry = store::entry(&s.db, &c.scope(Right::Read), id).await?;
    if !c.scope(Right::Roster).covers_path(&entry.org_path) {
        return Err(AppError::forbidden());
    }
    let reason = rules::parse_reason(reason).map_err(|m| AppError::invalid("reason", m))?;
    store::reverse(&s.db, &Actor::of(c), &entry, &reason).await
}

#[derive(Deserialize)]
struct CadreBody {
    org_id: Option<i64>,
    name: Option<String>,
    title: Option<String>,
    member_id: Option<i64>,
    active: Option<bool>,
}

/// `POST /api/v1/cadres` `{org_id, name, title?, member_id?}` → 201.
async fn create_cadre(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(b): ApiJson<CadreBody>,
) -> AppResult<(StatusCode, Json<Cadre>)> {
    let id = add_cadre(
        &s,
        &c,
        b.org_id,
        b.name.as_deref().unwrap_or(""),
        b.title.as_deref().unwrap_or(""),
        b.member_id,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(visible_cadre(&s, &c, id).await?)))
}

#[derive(Deserialize)]
struct CadresQuery {
    org_id: Option<i64>,
    year: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

/// `GET /api/v1/cadres?org_id=&year=`: the cadres of a subtree with the year's points.
async fn list_cadres(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<CadresQuery>,
) -> AppResult<Json<Value>> {
    staff_only(&c)?;
    let year = year_param(q.year.as_deref())?;
    let scope = crate::auth::checks::list_scope(&s, &c, q.org_id).await?;
    let paging = Paging::new(q.page, q.per_page);
    let (items, total) = store::cadres(&s.db, &scope, year, paging).await?;
    Ok(Json(json!({
        "year": year, "items": items, "total": total, "page": paging.page, "per_page": paging.per_page,
    })))
}

async fn show_cadre(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<Json<Cadre>> {
    Ok(Json(visible_cadre(&s, &c, id).await?))
}

/// `PATCH /api/v1/cadres/{id}` `{name?, title?, active?}`.
async fn update_cadre(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<CadreBody>,
) -> AppResult<Json<Cadre>> {
    let cadre = writable_cadre(&s, &c, id).await?;
    let mut e = Errors::default();
    if b.org_id.is_some() || b.member_id.is_some() {
        e.add(
            "org_id",
            "干部的工会和会员身份不能修改；如有变动请停用后重新登记",
        );
    }
    let patch = CadrePatch {
        name: b
            .name
            .as_deref()
            .and_then(|n| e.take("name", rules::parse_name(n))),
        title: b
            .title
            .as_deref()
            .and_then(|t| e.take("title", rules::parse_title(t))),
        active: b.active,
    };
    if b.name.is_none() && b.title.is_none() && b.active.is_none() {
        e.add("body", "请提供要修改的 name、title 或 active");
    }
    e.finish()?;
    store::update_cadre(&s.db, &Actor::of(&c), &cadre, &patch).await?;
    Ok(Json(visible_cadre(&s, &c, id).await?))
}

#[derive(Deserialize)]
struct ItemBody {
    org_id: Option<i64>,
    label: Option<String>,
    points: Option<i64>,
    active: Option<bool>,
}

/// `POST /api/v1/cadre-points/items` `{org_id, label, points}` → 201.
async fn create_item(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(b): ApiJson<ItemBody>,
) -> AppResult<(StatusCode, Json<Item>)> {
    let item = add_item(&s, &c, b.org_id, b.label.as_deref().unwrap_or(""), b.points).await?;
    Ok((StatusCode::CREATED, Json(item)))
}

#[derive(Deserialize)]
struct ItemsQuery {
    org_id: Option<i64>,
}

/// `GET /api/v1/cadre-points/items?org_id=`: the items that apply there (its own and its ancestors').
async fn list_items(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<ItemsQuery>,
) -> AppResult<Json<Value>> {
    let org = viewed_org(&s, &c, q.org_id).await?;
    let items = store::items_for(&s.db, &org.path).await?;
    Ok(Json(
        json!({ "org_id": org.id, "total": items.len(), "items": items }),
    ))
}

/// `PATCH /api/v1/cadre-points/items/{id}` `{active}`: past entries keep their points.
async fn update_item(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<ItemBody>,
) -> AppResult<Json<Item>> {
    let item = writable_item(&s, &c, id).await?;
    let mut e = Errors::default();
    if b.org_id.is_some() || b.label.is_some() || b.points.is_some() {
        e.add(
            "body",
            "积分项目只能启用或停用（active）；要改名称或分值，请停用后新建",
        );
    }
    if b.active.is_none() {
        e.add("active", "请指定 active（true 启用，false 停用）");
    }
    e.finish()?;
    let active = b.active.unwrap_or(item.active);
    store::set_item_active(&s.db, &Actor::of(&c), &item, active).await?;
    Ok(Json(Item { active, ..item }))
}

#[derive(Deserialize)]
struct EntryBody {
    cadre_id: Option<i64>,
    item_id: Option<i64>,
    evidence: Option<String>,
    occurred_on: Option<String>,
}

/// `POST /api/v1/cadre-points/entries` `{cadre_id, item_id, evidence, occurred_on}` → 201.
async fn add_entry(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(b): ApiJson<EntryBody>,
) -> AppResult<(StatusCode, Json<Entry>)> {
    let entry = record(
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

#[derive(Deserialize)]
struct EntriesQuery {
    cadre_id: Option<i64>,
    year: Option<String>,
}

/// `GET /api/v1/cadre-points/entries?cadre_id=&year=`: a cadre's entries (of a year, or all).
async fn list_entries(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<EntriesQuery>,
) -> AppResult<Json<Value>> {
    staff_only(&c)?;
    let cadre_id = q
        .cadre_id
        .ok_or_else(|| AppError::invalid("cadre_id", "请指定干部 cadre_id"))?;
    let year = match q.year.as_deref().map(str::trim).filter(|y| !y.is_empty()) {
        Some(y) => Some(rules::parse_year(y).map_err(|m| AppError::invalid("year", m))?),
        None => None,
    };
    let cadre = visible_cadre(&s, &c, cadre_id).await?;
    let items = store::entries(&s.db, &c.scope(Right::Read), cadre.id, year).await?;
    let points: i64 = items.iter().map(|e| e.points).sum();
    Ok(Json(json!({
        "cadre_id": cadre.id, "year": year, "points": points, "total": items.len(), "items": items,
    })))
}

#[derive(Deserialize)]
struct ReverseBody {
    reason: Option<String>,
}

/// `POST /api/v1/cadre-points/entries/{id}/reverse` `{reason}` → 201 with the reversing entry.
async fn reverse(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<ReverseBody>,
) -> AppResult<(StatusCode, Json<Entry>)> {
    let entry = reverse_entry(&s, &c, id, b.reason.as_deref().unwrap_or("")).await?;
    Ok((StatusCode::CREATED, Json(entry)))
}

#[derive(Deserialize)]
struct RankingQuery {
    org_id: Option<i64>,
    year: Option<String>,
    limit: Option<i64>,
}

/// `GET /api/v1/cadre-points/ranking?org_id=&year=`: the subtree's cadres by the year's total.
async fn ranking(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<RankingQuery>,
) -> AppResult<Json<Value>> {
    let org = viewed_org(&s, &c, q.org_id).await?;
    let year = year_param(q.year.as_deref())?;
    let scope = c.scope(Right::Read).narrowed_to(&org.path);
    let limit = q.limit.unwrap_or(500).clamp(1, 5000);
    let items = store::ranking(&s.db, &scope, year, limit).await?;
    Ok(Json(json!({
        "org_id": org.id, "org_name": org.name, "year": year, "total": items.len(), "items": items,
    })))
}
