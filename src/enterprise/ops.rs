//! What can be done with enterprises, for the API and the console alike:
//! typed inputs in, typed records out; scope is decided in the store.

use super::rules::{self, RawEnterprise};
use super::store::{self, Enterprise};
use crate::audit::Actor;
use crate::auth::{Caller, Right};
use crate::db::Paging;
use crate::program::{one_each, scopes_of, Figure, Subtree};
use crate::state::AppState;
use crate::web::api::Page;
use crate::web::error::{AppError, AppResult};
use serde::Deserialize;

/// GB 32100: 18 characters, no I, O, S, V, Z (the last is a check character).
pub const CREDIT_CODE_PATTERN: &str = r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$";

/// A new enterprise (`POST /api/v1/enterprises`).
#[derive(Debug, Default, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewEnterprise {
    /// 统一社会信用代码, checked by its check character.
    #[serde(default)]
    #[schema(
        required = true,
        nullable = false,
        format = "gb32100",
        pattern = r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$",
        example = "91330212MA2GQ6KX52"
    )]
    pub credit_code: Option<String>,
    #[serde(default)]
    #[schema(
        required = true,
        nullable = false,
        min_length = 1,
        max_length = 100,
        pattern = r"\S"
    )]
    pub name: Option<String>,
    #[serde(default)]
    #[schema(nullable = false, max_length = 50)]
    pub industry: Option<String>,
    /// 大型, 中型, 小型, 微型, or empty.
    #[serde(default)]
    #[schema(nullable = false, value_type = Option<EnterpriseSize>)]
    pub size: Option<String>,
    /// The union that covers it (roster right there).
    #[serde(default)]
    #[schema(required = true, nullable = false)]
    pub org_id: Option<i64>,
}

/// Changes to an enterprise (`PATCH`): what is left out stays.
#[derive(Debug, Default, Clone, Deserialize, utoipa::ToSchema)]
pub struct EnterprisePatch {
    #[serde(default)]
    #[schema(
        nullable = false,
        format = "gb32100",
        pattern = r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"
    )]
    pub credit_code: Option<String>,
    #[serde(default)]
    #[schema(nullable = false, min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: Option<String>,
    #[serde(default)]
    #[schema(nullable = false, max_length = 50)]
    pub industry: Option<String>,
    #[serde(default)]
    #[schema(nullable = false, value_type = Option<EnterpriseSize>)]
    pub size: Option<String>,
    /// Moves it to another union (roster right at both).
    #[serde(default)]
    #[schema(nullable = false)]
    pub org_id: Option<i64>,
}

/// An enterprise's size class, or "" for not recorded.
pub struct EnterpriseSize;

impl utoipa::PartialSchema for EnterpriseSize {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        crate::web::api::texts_schema(
            "An enterprise's size class, or \"\" for not recorded.",
            &super::rules::SIZES,
            true,
        )
    }
}

impl utoipa::ToSchema for EnterpriseSize {}

/// Which enterprises a list shows.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Name or industry contains, or the whole credit code.
    pub q: Option<String>,
    /// Only this union's subtree.
    pub org_id: Option<i64>,
    #[param(minimum = 1)]
    pub page: Option<i64>,
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<i64>,
}

pub async fn list(s: &AppState, c: &Caller, q: &ListQuery) -> AppResult<Page<Enterprise>> {
    let paging = Paging::new(q.page, q.per_page);
    let scope = crate::auth::checks::list_scope(s, c, q.org_id).await?;
    let (items, total) = store::list(&s.db, &scope, q.q.as_deref(), paging).await?;
    Ok(Page::of(items, total, paging))
}

pub async fn get(s: &AppState, c: &Caller, id: i64) -> AppResult<Enterprise> {
    store::get(&s.db, &c.scope(Right::Read), id).await
}

pub async fn create(s: &AppState, c: &Caller, input: &NewEnterprise) -> AppResult<Enterprise> {
    let org_id = input
        .org_id
        .ok_or_else(|| AppError::invalid("org_id", "请指定所属工会组织 org_id"))?;
    let raw = RawEnterprise {
        credit_code: input.credit_code.clone(),
        name: input.name.clone(),
        industry: input.industry.clone(),
        size: input.size.clone(),
    };
    let fields = rules::parse(&raw, true)?;
    let access = c.access(Right::Roster);
    let id = store::create(&s.db, &Actor::of(c), &access, &fields, org_id).await?;
    store::get(&s.db, &access.see, id).await
}

pub async fn update(
    s: &AppState,
    c: &Caller,
    id: i64,
    input: &EnterprisePatch,
) -> AppResult<Enterprise> {
    let access = c.access(Right::Roster);
    // Out of reach is answered before the fields are looked at.
    store::writable(&s.db, &access, id).await?;
    let raw = RawEnterprise {
        credit_code: input.credit_code.clone(),
        name: input.name.clone(),
        industry: input.industry.clone(),
        size: input.size.clone(),
    };
    let fields = rules::parse(&raw, false)?;
    store::update(&s.db, &Actor::of(c), &access, id, &fields, input.org_id).await?;
    store::get(&s.db, &access.see, id).await
}

/// The enterprises on the dashboard: how many each subtree holds.
pub async fn figures(
    s: &AppState,
    subtrees: &[Subtree],
    _: &crate::program::Period,
) -> AppResult<Vec<Vec<Figure>>> {
    let counts = store::count_in(&s.db, &scopes_of(subtrees)).await?;
    Ok(one_each(subtrees, counts, |org, n| {
        Figure::counting(
            "enterprises.total",
            "企业",
            "家",
            n,
            &format!("/enterprises?org_id={org}"),
        )
    }))
}
