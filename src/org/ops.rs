//! What can be done with the union tree, for the API and the console alike.

use super::rules;
use super::store::{self, NewOrg, Org, OrgPatch};
use crate::audit::Actor;
use crate::auth::{Caller, Right};
use crate::db::Paging;
use crate::fields::Errors;
use crate::program::{one_each, scopes_of, Figure, Subtree};
use crate::state::AppState;
use crate::web::api::Page;
use crate::web::error::{AppError, AppResult};
use serde::Deserialize;

/// An organisation under a parent (`POST /api/v1/orgs`).
#[derive(Debug, Default, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewOrgInput {
    /// 2–32 letters, digits, `-` or `_`; unique.
    #[serde(default)]
    #[schema(
        required = true,
        nullable = false,
        pattern = r"^[A-Za-z0-9_-]{2,32}$",
        example = "JS-HUARUI"
    )]
    pub code: Option<String>,
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
    #[schema(required = true, nullable = false, value_type = Option<OrgKind>)]
    pub kind: Option<String>,
    /// The union above (organisations right there).
    #[serde(default)]
    #[schema(required = true, nullable = false)]
    pub parent_id: Option<i64>,
}

/// Changes to an organisation; a new `parent_id` moves its whole subtree
/// (organisations right at the old parent and the new one).
#[derive(Debug, Default, Clone, Deserialize, utoipa::ToSchema)]
pub struct OrgPatchInput {
    #[serde(default)]
    #[schema(nullable = false, pattern = r"^[A-Za-z0-9_-]{2,32}$")]
    pub code: Option<String>,
    #[serde(default)]
    #[schema(nullable = false, min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: Option<String>,
    #[serde(default)]
    #[schema(nullable = false, value_type = Option<OrgKind>)]
    pub kind: Option<String>,
    #[serde(default)]
    #[schema(nullable = false)]
    pub parent_id: Option<i64>,
    /// 负责人 ("" clears it).
    #[serde(default)]
    #[schema(nullable = false, max_length = 50)]
    pub leader: Option<String>,
    /// The union office's telephone, a mobile or a landline ("" clears it).
    #[serde(default)]
    #[schema(
        nullable = false,
        pattern = r"^(1[3-9][0-9]{9}|0[0-9]{9,11})?$",
        example = "057487651234"
    )]
    pub phone: Option<String>,
}

/// The kinds of union in the tree.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub enum OrgKind {
    #[schema(rename = "省总工会")]
    Province,
    #[schema(rename = "市总工会")]
    City,
    #[schema(rename = "区县总工会")]
    County,
    #[schema(rename = "乡镇街道总工会")]
    Town,
    #[schema(rename = "产业工会")]
    Industry,
    #[schema(rename = "联合工会")]
    Joint,
    #[schema(rename = "企业工会")]
    Enterprise,
}

#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Name or code contains.
    pub q: Option<String>,
    /// Only the direct children of this organisation.
    pub parent_id: Option<i64>,
    /// Only this organisation and those below it.
    pub org_id: Option<i64>,
    #[param(minimum = 1)]
    pub page: Option<i64>,
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<i64>,
}

pub async fn list(s: &AppState, c: &Caller, q: &ListQuery) -> AppResult<Page<Org>> {
    let paging = Paging::new(q.page, q.per_page);
    let scope = crate::auth::checks::list_scope(s, c, q.org_id).await?;
    let (items, total) = store::list(&s.db, &scope, q.q.as_deref(), q.parent_id, paging).await?;
    Ok(Page::of(items, total, paging))
}

pub async fn get(s: &AppState, c: &Caller, id: i64) -> AppResult<Org> {
    store::get(&s.db, &c.scope(Right::Read), id).await
}

pub async fn create(s: &AppState, c: &Caller, input: &NewOrgInput) -> AppResult<Org> {
    let parent_id = input
        .parent_id
        .ok_or_else(|| AppError::invalid("parent_id", "请指定上级组织 parent_id"))?;
    let access = c.access(Right::Orgs);
    // Out of reach is answered before the fields are looked at.
    store::writable(&s.db, &access, parent_id).await?;
    let mut errs = Errors::default();
    let code = errs.take(
        "code",
        rules::parse_code(input.code.as_deref().unwrap_or("")),
    );
    let name = errs.take(
        "name",
        rules::parse_name(input.name.as_deref().unwrap_or("")),
    );
    let kind = errs.take(
        "kind",
        rules::parse_kind(input.kind.as_deref().unwrap_or("")),
    );
    errs.finish()?;
    let new = NewOrg {
        code: code.unwrap_or_default(),
        name: name.unwrap_or_default(),
        kind: kind.unwrap_or_default(),
    };
    store::create(&s.db, &Actor::of(c), Some(&access), new, Some(parent_id)).await
}

pub async fn update(s: &AppState, c: &Caller, id: i64, input: &OrgPatchInput) -> AppResult<Org> {
    let access = c.access(Right::Orgs);
    store::writable(&s.db, &access, id).await?;
    let mut errs = Errors::default();
    let patch = OrgPatch {
        code: input
            .code
            .as_deref()
            .and_then(|v| errs.take("code", rules::parse_code(v))),
        name: input
            .name
            .as_deref()
            .and_then(|v| errs.take("name", rules::parse_name(v))),
        kind: input
            .kind
            .as_deref()
            .and_then(|v| errs.take("kind", rules::parse_kind(v))),
        parent_id: input.parent_id,
        leader: input
            .leader
            .as_deref()
            .and_then(|v| errs.take("leader", rules::parse_leader(v))),
        phone: input
            .phone
            .as_deref()
            .and_then(|v| errs.take("phone", rules::parse_office_phone(v))),
    };
    errs.finish()?;
    store::update(&s.db, &Actor::of(c), &access, id, patch).await
}

/// The organisations on the dashboard: how many unions each subtree holds.
pub async fn figures(
    s: &AppState,
    subtrees: &[Subtree],
    _: &crate::program::Period,
) -> AppResult<Vec<Vec<Figure>>> {
    let counts = store::count_in(&s.db, &scopes_of(subtrees)).await?;
    Ok(one_each(subtrees, counts, |org, n| {
        Figure::counting(
            "orgs.total",
            "工会组织",
            "个",
            n,
            &format!("/orgs?org_id={org}"),
        )
        .with_page(format!("/orgs/{org}"))
    }))
}
