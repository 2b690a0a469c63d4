//! The console page for campuses ("1 总院 + N 企业分院"): the main academies
//! and branches in the caller's subtree with their staff and courses, setting
//! up a campus, and adding staff from the campus's own roster.

use crate::academy::{ops, store};
use crate::auth::{Caller, PageCaller, Right};
use crate::state::AppState;
use crate::web::error::{AppError, AppResult};
use crate::web::org_picker::{org_options, OrgOption};
use crate::web::pages::{render_with, OrPage, PageResult};
use crate::web::{form, FormErrors, Nav, PageForm};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/academy/campuses", get(page).post(create))
        .route("/academy/campuses/{id}/staff", post(add_staff))
}

#[derive(Template)]
#[template(path = "academy/campuses.html")]
struct CampusesPage {
    nav: Option<Nav>,
    campuses: Vec<store::Academy>,
    /// Courses per campus.
    courses: HashMap<i64, usize>,
    orgs: Vec<OrgOption>,
    notice: String,
    errors: FormErrors,
    can_write: bool,
}

impl CampusesPage {
    fn name_of(&self, id: &i64) -> String {
        self.campuses
            .iter()
            .find(|a| a.id == *id)
            .map(|a| a.name.clone())
            .unwrap_or_else(|| "上级总院".into())
    }
    fn courses_of(&self, id: &i64) -> usize {
        self.courses.get(id).copied().unwrap_or(0)
    }
}

async fn view(
    s: &AppState,
    c: &Caller,
    notice: String,
    errors: FormErrors,
    status: StatusCode,
) -> PageResult {
    if !c.can(Right::Read) {
        return Ok(Redirect::to("/m/courses").into_response());
    }
    let campuses = store::academies(&s.db, &c.scope(Right::Read))
        .await
        .or_page(c)?;
    let mut courses = HashMap::new();
    for course in store::courses_in(&s.db, &c.scope(Right::Read))
        .await
        .or_page(c)?
    {
        if let Some(a) = course.academy_id {
            *courses.entry(a).or_insert(0) += 1;
        }
    }
    let page = CampusesPage {
        nav: Some(Nav::new(c, "academy")),
        campuses,
        courses,
        orgs: org_options(s, &c.scope(Right::Roster)).await.or_page(c)?,
        notice,
        errors,
        can_write: c.can(Right::Roster),
    };
    Ok(render_with(status, &page))
}

async fn page(State(s): State<AppState>, PageCaller(c): PageCaller) -> PageResult {
    view(&s, &c, String::new(), FormErrors::default(), StatusCode::OK).await
}

/// What a form's failure shows on the page; anything else is an error page.
async fn answer(s: &AppState, c: &Caller, r: AppResult<String>) -> PageResult {
    form::finish(
        c,
        r,
        |notice| view(s, c, notice, FormErrors::default(), StatusCode::OK),
        |e| async move { view(s, c, String::new(), FormErrors::from_error(&e), e.status()).await },
    )
    .await
}

#[derive(Deserialize)]
struct CampusForm {
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
}

async fn create(
    State(s): State<AppState>,
    PageForm { caller: c, form: f }: PageForm<CampusForm>,
) -> PageResult {
    let r = async {
        let org_id = f
            .org_id
            .trim()
            .parse()
            .map_err(|_| AppError::invalid("org_id", "请选择设立学院的工会"))?;
        let id = ops::create_academy_for(&s, &c, org_id, &f.name, &f.kind).await?;
        let (a, _) = store::academy(&s.db, &c.scope(Right::Read), id).await?;
        Ok(format!("已设立“{}”", a.name))
    }
    .await;
    answer(&s, &c, r).await
}

#[derive(Deserialize)]
struct StaffForm {
    #[serde(default)]
    member_id: String,
    #[serde(default)]
    role: String,
}

async fn add_staff(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    PageForm { caller: c, form: f }: PageForm<StaffForm>,
) -> PageResult {
    let r = async {
        // By name or member number, among the campus's own roster.
        let (_, path) = store::academy(&s.db, &c.scope(Right::Read), id).await?;
        let scope = c.scope(Right::Read).narrowed_to(&path);
        let m = crate::member::store::resolve(
            &s.db,
            &s.keys,
            &crate::audit::Actor::of(&c),
            &scope,
            &f.member_id,
            "member_id",
        )
        .await?;
        ops::add_staff_for(&s, &c, id, m.id, &f.role).await?;
        Ok(format!("已加入工作人员：{}", f.role.trim()))
    }
    .await;
    answer(&s, &c, r).await
}
