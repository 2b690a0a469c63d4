//! Console pages for the union tree.

use super::ops::{NewOrgInput, OrgPatchInput};
use super::{rules, store};
use crate::auth::{Caller, PageCaller, Right};
use crate::state::AppState;
use crate::web::error::AppError;
use crate::web::org_picker::{org_options, OrgOption};
use crate::web::pages::{render_with, OrPage, PageResult};
use crate::web::{form, FormErrors, Nav, PageForm};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orgs", get(tree_page).post(create))
        .route("/orgs/{id}", get(org_page).post(update))
        .route("/orgs/{id}/children", post(create))
}

#[derive(Template)]
#[template(path = "org/tree.html")]
struct TreePage {
    nav: Option<Nav>,
    orgs: Vec<store::Org>,
    base_depth: usize,
    /// Members on the roll in each organisation's subtree.
    totals: std::collections::HashMap<i64, i64>,
}

impl TreePage {
    fn total(&self, id: &i64) -> i64 {
        self.totals.get(id).copied().unwrap_or(0)
    }
}

async fn tree_page(State(s): State<AppState>, PageCaller(c): PageCaller) -> PageResult {
    if !c.can(Right::Read) {
        return form::see("/").await;
    }
    let orgs = store::tree(&s.db, &c.scope(Right::Read))
        .await
        .or_page(&c)?;
    let base_depth = orgs.iter().map(|o| o.depth()).min().unwrap_or(0);
    let totals = store::member_totals(&s.db, &c.scope(Right::Read))
        .await
        .or_page(&c)?;
    Ok(render_with(
        StatusCode::OK,
        &TreePage {
            nav: Some(Nav::new(&c, "orgs")),
            orgs,
            base_depth,
            totals,
        },
    ))
}

#[derive(Default)]
struct OrgFormValues {
    code: String,
    name: String,
    kind: String,
    parent_id: i64,
    leader: String,
    phone: String,
}

#[derive(Template)]
#[template(path = "org/org.html")]
struct OrgPage {
    nav: Option<Nav>,
    org: store::Org,
    parent: Option<store::Org>,
    children: Vec<store::Org>,
    counts: (i64, i64, i64),
    can_edit: bool,
    kinds: Vec<&'static str>,
    parents: Vec<OrgOption>,
    edit: OrgFormValues,
    edit_errors: FormErrors,
    child: OrgFormValues,
    child_errors: FormErrors,
}

async fn org_view(
    s: &AppState,
    c: &Caller,
    id: i64,
    edit: Option<(OrgFormValues, FormErrors)>,
    child: Option<(OrgFormValues, FormErrors)>,
    status: StatusCode,
) -> PageResult {
    let read = c.scope(Right::Read);
    let org = store::get(&s.db, &read, id).await.or_page(c)?;
    let parent = match org.parent_id {
        Some(p) => store::get(&s.db, &read, p).await.ok(),
        None => None,
    };
    let children = store::children(&s.db, &read, id).await.or_page(c)?;
    let counts = store::subtree_counts(&s.db, &read, &org).await.or_page(c)?;
    let can_edit = c.holds_at(Right::Orgs, &org.path);
    let parents = if can_edit {
        org_options(s, &c.scope(Right::Orgs)).await.or_page(c)?
    } else {
        vec![]
    };
    let (edit, edit_errors) = edit.unwrap_or_else(|| {
        (
            OrgFormValues {
                code: org.code.clone(),
                name: org.name.clone(),
                kind: org.kind.clone(),
                parent_id: org.parent_id.unwrap_or(0),
                leader: org.leader.clone(),
                phone: org.phone.clone(),
            },
            FormErrors::default(),
        )
    });
    let (child, child_errors) = child.unwrap_or_else(|| {
        (
            OrgFormValues {
                kind: "企业工会".into(),
                ..Default::default()
            },
            FormErrors::default(),
        )
    });
    let page = OrgPage {
        nav: Some(Nav::new(c, "orgs")),
        org,
        parent,
        children,
        counts,
        can_edit,
        kinds: rules::KINDS.to_vec(),
        parents,
        edit,
        edit_errors,
        child,
        child_errors,
    };
    Ok(render_with(status, &page))
}

async fn org_page(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Path(id): Path<i64>,
) -> PageResult {
    org_view(&s, &c, id, None, None, StatusCode::OK).await
}

#[derive(Deserialize)]
struct OrgForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    parent_id: Option<String>,
    /// Only the edit form has them: None on the new-child form.
    leader: Option<String>,
    phone: Option<String>,
}

impl OrgForm {
    fn parent(&self) -> Option<i64> {
        self.parent_id
            .as_deref()
            .and_then(|v| v.trim().parse().ok())
    }

    fn values(&self) -> OrgFormValues {
        OrgFormValues {
            code: self.code.clone(),
            name: self.name.clone(),
            kind: self.kind.clone(),
            parent_id: self.parent().unwrap_or(0),
            leader: self.leader.clone().unwrap_or_default(),
            phone: self.phone.clone().unwrap_or_default(),
        }
    }
}

/// `POST /orgs/{id}/children` (and `POST /orgs` with a `parent_id`).
async fn create(
    State(s): State<AppState>,
    path: Option<Path<i64>>,
    PageForm { caller: c, form: f }: PageForm<OrgForm>,
) -> PageResult {
    let Some(parent_id) = path.map(|p| p.0).or(f.parent()) else {
        return Err(AppError::invalid("parent_id", "请选择上级组织")).or_page(&c);
    };
    let input = NewOrgInput {
        code: Some(f.code.clone()),
        name: Some(f.name.clone()),
        kind: Some(f.kind.clone()),
        parent_id: Some(parent_id),
    };
    let result = super::ops::create(&s, &c, &input).await;
    form::finish(
        &c,
        result,
        |org| form::see(format!("/orgs/{}", org.id)),
        |e| {
            org_view(
                &s,
                &c,
                parent_id,
                None,
                Some((f.values(), FormErrors::from_error(&e))),
                e.status(),
            )
        },
    )
    .await
}

async fn update(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    PageForm { caller: c, form: f }: PageForm<OrgForm>,
) -> PageResult {
    // The form always sends the parent: only a different one is a move.
    let current = super::ops::get(&s, &c, id).await.or_page(&c)?;
    let input = OrgPatchInput {
        code: Some(f.code.clone()),
        name: Some(f.name.clone()),
        kind: Some(f.kind.clone()),
        parent_id: f.parent().filter(|p| Some(*p) != current.parent_id),
        leader: f.leader.clone(),
        phone: f.phone.clone(),
    };
    let result = super::ops::update(&s, &c, id, &input).await;
    form::finish(
        &c,
        result,
        |_| form::see(format!("/orgs/{id}")),
        |e| {
            org_view(
                &s,
                &c,
                id,
                Some((f.values(), FormErrors::from_error(&e))),
                None,
                e.status(),
            )
        },
    )
    .await
}
