//! The console page `/academy/categories`: the categories a union adds.

use crate::academy::ops::categories as ops;
use crate::academy::store::categories::{self as store, Category};
use crate::auth::{Caller, PageCaller, Right};
use crate::state::AppState;
use crate::web::org_picker::{org_options, OrgOption};
use crate::web::pages::{render_with, OrPage, PageResult};
use crate::web::{form, FormErrors, Nav, PageForm};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/academy/categories", get(page).post(page_create))
}

#[derive(Template)]
#[template(path = "academy/categories.html")]
struct CategoriesPage {
    nav: Option<Nav>,
    categories: Vec<Category>,
    orgs: Vec<OrgOption>,
    org_id: i64,
    name: String,
    notice: String,
    errors: FormErrors,
    can_add: bool,
}

async fn view(
    s: &AppState,
    c: &Caller,
    org_id: i64,
    name: String,
    notice: String,
    errors: FormErrors,
    status: StatusCode,
) -> PageResult {
    if !c.can(Right::Read) {
        return Ok(Redirect::to("/m/courses").into_response());
    }
    let categories = store::in_scope(&s.db, &c.scope(Right::Read))
        .await
        .or_page(c)?;
    let orgs = org_options(s, &c.scope(Right::Orgs)).await.or_page(c)?;
    let page = CategoriesPage {
        nav: Some(Nav::new(c, "academy")),
        categories,
        orgs,
        org_id: if org_id > 0 {
            org_id
        } else {
            c.home_org().unwrap_or(0)
        },
        name,
        notice,
        errors,
        can_add: c.can(Right::Orgs),
    };
    Ok(render_with(status, &page))
}

#[derive(Deserialize)]
struct AddedQuery {
    added: Option<String>,
}

async fn page(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Query(q): Query<AddedQuery>,
) -> PageResult {
    let notice = q
        .added
        .map(|n| format!("已添加类别“{n}”"))
        .unwrap_or_default();
    view(
        &s,
        &c,
        0,
        String::new(),
        notice,
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
struct CategoryForm {
    org_id: Option<String>,
    #[serde(default)]
    name: String,
}

async fn page_create(
    State(s): State<AppState>,
    PageForm { caller: c, form: f }: PageForm<CategoryForm>,
) -> PageResult {
    let org_id = f.org_id.as_deref().and_then(|v| v.trim().parse().ok());
    let result = ops::create_for(&s, &c, org_id, &f.name).await;
    let (s, c) = (&s, &c);
    form::finish(
        c,
        result,
        |cat| {
            let q = serde_urlencoded::to_string([("added", &cat.name)]).unwrap_or_default();
            form::see(format!("/academy/categories?{q}"))
        },
        |e| async move {
            let errors = FormErrors::from_error(&e);
            view(
                s,
                c,
                org_id.unwrap_or(0),
                f.name,
                String::new(),
                errors,
                e.status(),
            )
            .await
        },
    )
    .await
}
