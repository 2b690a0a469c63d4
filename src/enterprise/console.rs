//! Console pages for enterprises.

use super::ops::{EnterprisePatch, NewEnterprise};
use super::rules;
use super::store;
use crate::auth::{Caller, PageCaller, Right};
use crate::db::Paging;
use crate::state::AppState;
use crate::web::error::AppError;
use crate::web::org_picker::{org_options, OrgOption};
use crate::web::pages::{render_with, OrPage, PageResult};
use crate::web::{form, FormErrors, Nav, PageForm};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/enterprises", get(list_page).post(create))
        .route("/enterprises/new", get(new_page))
        .route("/enterprises/{id}", get(detail_page).post(update))
}

#[derive(Deserialize, Default)]
struct ListQuery {
    q: Option<String>,
    org_id: Option<i64>,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "enterprise/list.html")]
struct ListPage {
    nav: Option<Nav>,
    items: Vec<store::Enterprise>,
    total: i64,
    q: String,
    org_id: Option<i64>,
    org_name: String,
    pager: crate::web::Pager,
    can_add: bool,
}

async fn list_page(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let query = super::ops::ListQuery {
        q: q.q.clone(),
        org_id: q.org_id,
        page: q.page,
        per_page: Some(50),
    };
    let list = super::ops::list(&s, &c, &query).await.or_page(&c)?;
    let paging = Paging::new(q.page, Some(50));
    let org_name = match q.org_id {
        Some(id) => {
            crate::org::store::get(&s.db, &c.scope(Right::Read), id)
                .await
                .or_page(&c)?
                .name
        }
        None => String::new(),
    };
    let (items, total) = (list.items, list.total);
    let page = ListPage {
        nav: Some(Nav::new(&c, "enterprises")),
        items,
        total,
        q: q.q.clone().unwrap_or_default(),
        org_id: q.org_id,
        org_name,
        pager: crate::web::Pager::new(
            "/enterprises",
            paging.page,
            paging.pages(total),
            &[
                ("q", q.q.clone().unwrap_or_default()),
                (
                    "org_id",
                    q.org_id.map(|v| v.to_string()).unwrap_or_default(),
                ),
            ],
        ),
        can_add: c.can(Right::Roster),
    };
    Ok(render_with(StatusCode::OK, &page))
}

#[derive(Default)]
struct Values {
    credit_code: String,
    name: String,
    industry: String,
    size: String,
    org_id: i64,
}

#[derive(Template)]
#[template(path = "enterprise/form.html")]
struct FormPage {
    nav: Option<Nav>,
    enterprise: Option<store::Enterprise>,
    can_edit: bool,
    v: Values,
    errors: FormErrors,
    orgs: Vec<OrgOption>,
    sizes: Vec<&'static str>,
}

async fn form_view(
    s: &AppState,
    c: &Caller,
    enterprise: Option<store::Enterprise>,
    v: Values,
    errors: FormErrors,
    status: StatusCode,
) -> PageResult {
    let can_edit = match &enterprise {
        Some(e) => c.holds_at(Right::Roster, &e.org_path),
        None => c.can(Right::Roster),
    };
    let orgs = if can_edit {
        org_options(s, &c.scope(Right::Roster)).await.or_page(c)?
    } else {
        vec![]
    };
    let page = FormPage {
        nav: Some(Nav::new(c, "enterprises")),
        enterprise,
        can_edit,
        v,
        errors,
        orgs,
        sizes: rules::SIZES.to_vec(),
    };
    Ok(render_with(status, &page))
}

#[derive(Deserialize)]
struct NewQuery {
    org_id: Option<i64>,
}

async fn new_page(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Query(q): Query<NewQuery>,
) -> PageResult {
    if !c.can(Right::Roster) {
        return Err(AppError::forbidden()).or_page(&c);
    }
    let v = Values {
        org_id: q.org_id.unwrap_or(0),
        ..Default::default()
    };
    form_view(&s, &c, None, v, FormErrors::default(), StatusCode::OK).await
}

async fn detail_page(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Path(id): Path<i64>,
) -> PageResult {
    let e = store::get(&s.db, &c.scope(Right::Read), id)
        .await
        .or_page(&c)?;
    let v = Values {
        credit_code: e.credit_code.clone(),
        name: e.name.clone(),
        industry: e.industry.clone(),
        size: e.size.clone(),
        org_id: e.org_id,
    };
    form_view(&s, &c, Some(e), v, FormErrors::default(), StatusCode::OK).await
}

#[derive(Deserialize)]
struct Form {
    #[serde(default)]
    credit_code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    industry: String,
    #[serde(default)]
    size: String,
    org_id: Option<String>,
}

impl Form {
    fn org(&self) -> Option<i64> {
        self.org_id.as_deref().and_then(|v| v.trim().parse().ok())
    }
    fn values(&self) -> Values {
        Values {
            credit_code: self.credit_code.clone(),
            name: self.name.clone(),
            industry: self.industry.clone(),
            size: self.size.clone(),
            org_id: self.org().unwrap_or(0),
        }
    }
}

async fn create(
    State(s): State<AppState>,
    PageForm { caller: c, form: f }: PageForm<Form>,
) -> PageResult {
    let input = NewEnterprise {
        credit_code: Some(f.credit_code.clone()),
        name: Some(f.name.clone()),
        industry: Some(f.industry.clone()),
        size: Some(f.size.clone()),
        org_id: f.org(),
    };
    let result = super::ops::create(&s, &c, &input).await;
    form::finish(
        &c,
        result,
        |e| form::see(format!("/enterprises/{}", e.id)),
        |e| {
            form_view(
                &s,
                &c,
                None,
                f.values(),
                FormErrors::from_error(&e),
                e.status(),
            )
        },
    )
    .await
}

async fn update(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    PageForm { caller: c, form: f }: PageForm<Form>,
) -> PageResult {
    let existing = super::ops::get(&s, &c, id).await.or_page(&c)?;
    // The form sends every field: each is checked as for a new enterprise.
    let input = EnterprisePatch {
        credit_code: Some(f.credit_code.clone()),
        name: Some(f.name.clone()),
        industry: Some(f.industry.clone()),
        size: Some(f.size.clone()),
        org_id: f.org(),
    };
    let result = super::ops::update(&s, &c, id, &input).await;
    form::finish(
        &c,
        result,
        |e| form::see(format!("/enterprises/{}", e.id)),
        |e| {
            form_view(
                &s,
                &c,
                Some(existing),
                f.values(),
                FormErrors::from_error(&e),
                e.status(),
            )
        },
    )
    .await
}
