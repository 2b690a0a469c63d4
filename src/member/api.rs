//! `/api/v1/members`.

use super::rules::{self, RawMember};
use super::store;
use crate::audit::Actor;
use crate::auth::{ApiCaller, Caller, Right};
use crate::db::Paging;
use crate::state::AppState;
use crate::web::error::{AppError, AppResult};
use crate::web::ApiJson;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/members", get(list).post(create))
        .route("/api/v1/members/{id}", get(show).patch(update))
        .route("/api/v1/members/{id}/transfer", post(transfer))
        .route("/api/v1/members/{id}/transfers", get(transfers))
        .route("/api/v1/members/{id}/reveal", post(reveal))
}

#[derive(Deserialize)]
pub struct ListQuery {
    org_id: Option<i64>,
    q: Option<String>,
    skill_level: Option<String>,
    status: Option<String>,
    enterprise_id: Option<i64>,
    page: Option<i64>,
    per_page: Option<i64>,
}

async fn list(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Value>> {
    let paging = Paging::new(q.page, q.per_page);
    let mut scope = crate::auth::checks::list_scope(&s, &c, q.org_id).await?;
    if q.org_id.is_none() {
        scope.own_member = c.scope(Right::Read).own_member;
    }
    let level = match q.skill_level.as_deref() {
        Some(l) => {
            Some(rules::parse_skill_level(l).map_err(|m| AppError::invalid("skill_level", m))?)
        }
        None => None,
    };
    let filter = store::Filter {
        q: q.q,
        skill_level: level,
        status: q.status,
        enterprise_id: q.enterprise_id,
    };
    let l = store::list(
        &s.db,
        &s.keys,
        &crate::audit::Actor::of(&c),
        &scope,
        &filter,
        paging,
    )
    .await?;
    Ok(Json(json!({
        "items": l.items, "total": l.total, "total_is_exact": l.total_is_exact,
        "page": paging.page, "per_page": paging.per_page,
    })))
}

async fn show(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<Json<store::Member>> {
    Ok(Json(
        store::get(&s.db, &s.keys, &c.scope(Right::Read), id).await?,
    ))
}

fn double_option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(d).map(Some)
}

#[derive(Deserialize, Default)]
pub struct Body {
    name: Option<String>,
    id_number: Option<String>,
    phone: Option<String>,
    org_id: Option<i64>,
    #[serde(default, deserialize_with = "double_option")]
    enterprise_id: Option<Option<i64>>,
    ethnicity: Option<String>,
    education: Option<String>,
    political_status: Option<String>,
    occupation: Option<String>,
    skill_level: Option<String>,
    card_no: Option<String>,
    join_date: Option<String>,
    is_migrant_worker: Option<bool>,
    is_hardship: Option<bool>,
    status: Option<String>,
}

impl Body {
    fn raw(&self) -> RawMember {
        RawMember {
            name: self.name.clone(),
            id_number: self.id_number.clone(),
            phone: self.phone.clone(),
            ethnicity: self.ethnicity.clone(),
            education: self.education.clone(),
            political_status: self.political_status.clone(),
            occupation: self.occupation.clone(),
            skill_level: self.skill_level.clone(),
            card_no: self.card_no.clone(),
            join_date: self.join_date.clone(),
            is_migrant_worker: self.is_migrant_worker,
            is_hardship: self.is_hardship,
            status: self.status.clone(),
        }
    }
}

/// An employer named on a member must be one the caller can see.
pub async fn check_enterprise(
    s: &AppState,
    c: &Caller,
    enterprise_id: Option<i64>,
) -> AppResult<()> {
    if let Some(eid) = enterprise_id {
        crate::enterprise::store::get(&s.db, &c.scope(Right::Read), eid).await?;
    }
    Ok(())
}

async fn create(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(b): ApiJson<Body>,
) -> AppResult<(StatusCode, Json<store::Member>)> {
    let Some(org_id) = b.org_id else {
        return Err(AppError::invalid("org_id", "请指定所属工会组织 org_id"));
    };
    crate::auth::checks::writable_org(&s, &c, org_id, crate::auth::Right::Roster).await?;
    let enterprise_id = b.enterprise_id.flatten();
    check_enterprise(&s, &c, enterprise_id).await?;
    let fields = rules::parse(&b.raw(), true)?;
    let read = c.scope(Right::Read);
    let id = store::create(
        &s.db,
        &s.keys,
        &Actor::of(&c),
        &read,
        &fields,
        org_id,
        enterprise_id,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(store::get(&s.db, &s.keys, &read, id).await?),
    ))
}

/// Loads a member the caller may edit: 404 when not visible, 403 when visible but read-only.
pub async fn editable(s: &AppState, c: &Caller, id: i64) -> AppResult<store::Member> {
    let m = store::get(&s.db, &s.keys, &c.scope(Right::Read), id).await?;
    if !c.scope(Right::Roster).covers_path(&m.org_path) {
        return Err(AppError::forbidden());
    }
    Ok(m)
}

async fn update(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<Body>,
) -> AppResult<Json<store::Member>> {
    editable(&s, &c, id).await?;
    if b.org_id.is_some() {
        return Err(AppError::invalid(
            "org_id",
            "更换所属工会请使用转会：POST /api/v1/members/{id}/transfer",
        ));
    }
    if let Some(eid) = b.enterprise_id {
        check_enterprise(&s, &c, eid).await?;
    }
    let fields = rules::parse(&b.raw(), false)?;
    let read = c.scope(Right::Read);
    store::update(
        &s.db,
        &s.keys,
        &Actor::of(&c),
        &read,
        id,
        &fields,
        b.enterprise_id,
    )
    .await?;
    Ok(Json(store::get(&s.db, &s.keys, &read, id).await?))
}

#[derive(Deserialize)]
pub struct TransferBody {
    to_org_id: Option<i64>,
    enterprise_id: Option<i64>,
    reason: Option<String>,
}

/// Checks and performs a transfer; shared with the console page.
pub async fn do_transfer(
    s: &AppState,
    c: &Caller,
    id: i64,
    to_org_id: Option<i64>,
    enterprise_id: Option<i64>,
    reason: &str,
) -> AppResult<()> {
    let m = editable(s, c, id).await?;
    let Some(to) = to_org_id else {
        return Err(AppError::invalid("to_org_id", "请选择转入的工会组织"));
    };
    crate::auth::checks::writable_org(s, c, to, crate::auth::Right::Roster).await?;
    check_enterprise(s, c, enterprise_id).await?;
    if to == m.org_id {
        return Err(AppError::invalid("to_org_id", "转入组织与当前所属组织相同"));
    }
    if m.status == "退会" {
        return Err(AppError::invalid("to_org_id", "已退会的会员不能办理转会"));
    }
    if reason.chars().count() > 200 {
        return Err(AppError::invalid("reason", "转会原因不能超过200个字"));
    }
    store::transfer(
        &s.db,
        &Actor::of(c),
        id,
        m.org_id,
        to,
        enterprise_id,
        reason.trim(),
    )
    .await
}

async fn transfer(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<TransferBody>,
) -> AppResult<Json<store::Member>> {
    do_transfer(
        &s,
        &c,
        id,
        b.to_org_id,
        b.enterprise_id,
        b.reason.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(Json(
        store::get(&s.db, &s.keys, &c.scope(Right::Read), id).await?,
    ))
}

/// Loads a member whose personal numbers the caller may reveal: 404 when not
/// visible, 403 without the reveal right there.
pub async fn revealable(s: &AppState, c: &Caller, id: i64) -> AppResult<store::Member> {
    let m = store::get(&s.db, &s.keys, &c.scope(Right::Read), id).await?;
    if !c.scope(Right::Reveal).covers_path(&m.org_path) {
        return Err(AppError::Forbidden(
            "查看完整身份证号和手机号需要单独授权（由管理员授予），每次查看都会记录".into(),
        ));
    }
    Ok(m)
}

#[derive(Deserialize, Default)]
pub struct RevealBody {
    purpose: Option<String>,
}

async fn reveal(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> AppResult<Json<Value>> {
    let m = revealable(&s, &c, id).await?;
    // The body is optional: `{"purpose": "…"}` says why, for the audit log.
    let purpose = serde_json::from_slice::<RevealBody>(&body)
        .ok()
        .and_then(|b| b.purpose)
        .unwrap_or_default();
    let (id_number, phone) =
        store::reveal(&s.db, &s.keys, &Actor::of(&c), &m, purpose.trim()).await?;
    Ok(Json(
        json!({ "id": id, "id_number": id_number, "phone": phone }),
    ))
}

async fn transfers(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    store::get(&s.db, &s.keys, &c.scope(Right::Read), id).await?;
    let items = store::transfers(&s.db, id).await?;
    Ok(Json(json!({ "items": items, "total": items.len() })))
}
