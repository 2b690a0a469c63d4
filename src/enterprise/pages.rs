//! Console pages for enterprises.

use super::rules::{self, RawEnterprise};
use super::store;
use crate::audit::Actor;
use crate::auth::{Caller, PageCaller, Right};
use crate::db::Paging;
use crate::state::AppState;
use crate::web::error::{AppError, AppResult};
use crate::web::org_picker::{org_options, OrgOption};
use crate::web::pages::{render_with, OrPage, PageResult};
use crate::web::{FormErrors, Nav, PageForm};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
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
    page: i64,
    pages: i64,
    can_add: bool,
}

async fn list_page(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let paging = Paging::new(q.page, Some(50));
    let scope = super::api::list_scope(&s, &c, q.org_id).await.or_page(&c)?;
    let org_name = match q.org_id {
        Some(id) => {
            crate::org::store::get(&s.db, &c.scope(Right::Read), id)
                .await
                .or_page(&c)?
                .name
        }
        None => String::new(),
    };
    let (items, total) = store::list(&s.db, &scope, q.q.as_deref(), paging)
        .await
        .or_page(&c)?;
    let page = ListPage {
        nav: Some(Nav::new(&c, "enterprises")),
        items,
        total,
        q: q.q.unwrap_or_default(),
        org_id: q.org_id,
        org_name,
        page: paging.page,
        pages: paging.pages(total),
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
        Some(e) => c.scope(Right::Roster).covers_path(&e.org_path),
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
    fn raw(&self) -> RawEnterprise {
        RawEnterprise {
            credit_code: Some(self.credit_code.clone()),
            name: Some(self.name.clone()),
            industry: Some(self.industry.clone()),
            size: Some(self.size.clone()),
        }
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
    let result: AppResult<i64> = async {
        let org_id = f
            .org()
            .ok_or_else(|| AppError::invalid("org_id", "请选择所属工会组织"))?;
        super::api::check_target_org(&s, &c, org_id).await?;
        let fields = rules::parse(&f.raw(), true)?;
        store::create(&s.db, &Actor::of(&c), &fields, org_id).await
    }
    .await;
    match result {
        Ok(id) => Ok(Redirect::to(&format!("/enterprises/{id}")).into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. } | AppError::NotFound(_))) => {
            form_view(
                &s,
                &c,
                None,
                f.values(),
                FormErrors::from_error(&e),
                e.status(),
            )
            .await
        }
        Err(e) => Err(e).or_page(&c),
    }
}

async fn update(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    PageForm { caller: c, form: f }: PageForm<Form>,
) -> PageResult {
    let existing = store::get(&s.db, &c.scope(Right::Read), id)
        .await
        .or_page(&c)?;
    let result: AppResult<()> = async {
        if !c.scope(Right::Roster).covers_path(&existing.org_path) {
            return Err(AppError::forbidden());
        }
        let org_id = f.org();
        if let Some(o) = org_id {
            super::api::check_target_org(&s, &c, o).await?;
        }
        let fields = rules::parse(&f.raw(), true)?;
        store::update(&s.db, &Actor::of(&c), id, &fields, org_id).await
    }
    .await;
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/enterprises/{id}")).into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. } | AppError::NotFound(_))) => {
            form_view(
                &s,
                &c,
                Some(existing),
                f.values(),
                FormErrors::from_error(&e),
                e.status(),
            )
            .await
        }
        Err(e) => Err(e).or_page(&c),
    }
}
