//! The staff console for the academy: courses, their sessions and feedback,
//! a session's roster and the QR code that workers scan to check in.

use crate::academy::{ops, rules, store};
use crate::audit::Actor;
use crate::auth::{Caller, PageCaller, Right};
use crate::db::{datetime_local_ms, format_ms};
use crate::state::AppState;
use crate::web::error::{AppError, AppResult, Errors};
use crate::web::org_picker::{org_options, OrgOption};
use crate::web::pages::{render_with, OrPage, PageResult};
use crate::web::{form, FormErrors, Nav, PageForm};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/academy", get(courses_page).post(create_course))
        .route(
            "/academy/courses/{id}",
            get(course_page).post(create_session),
        )
        .route("/academy/sessions/{id}", get(session_page))
        .route("/academy/courses/{id}/settings", post(update_course))
}

#[derive(Template)]
#[template(path = "academy/courses.html")]
struct CoursesPage {
    nav: Option<Nav>,
    courses: Vec<store::Course>,
    orgs: Vec<OrgOption>,
    categories: Vec<String>,
    home_org: i64,
    errors: FormErrors,
    can_write: bool,
    /// An admin may add course categories (on /academy/categories).
    can_categories: bool,
}

async fn courses_view(
    s: &AppState,
    c: &Caller,
    errors: FormErrors,
    status: StatusCode,
) -> PageResult {
    courses_of(s, c, None, errors, status).await
}

/// The courses of the caller's subtrees, or of one union's (`org_id`: the dashboard's link).
async fn courses_of(
    s: &AppState,
    c: &Caller,
    org_id: Option<i64>,
    errors: FormErrors,
    status: StatusCode,
) -> PageResult {
    if !c.can(Right::Read) {
        return Ok(Redirect::to("/m/courses").into_response());
    }
    let scope = crate::auth::checks::list_scope(s, c, org_id)
        .await
        .or_page(c)?;
    let courses = store::courses_in(&s.db, &scope).await.or_page(c)?;
    let orgs = org_options(s, &c.scope(Right::Roster)).await.or_page(c)?;
    let page = CoursesPage {
        nav: Some(Nav::new(c, "academy")),
        courses,
        orgs,
        categories: crate::academy::store::categories::names_in_scope(
            &s.db,
            &c.scope(Right::Roster),
        )
        .await
        .or_page(c)?,
        home_org: c.home_org().unwrap_or(0),
        errors,
        can_write: c.can(Right::Roster),
        can_categories: c.can(Right::Orgs),
    };
    Ok(render_with(status, &page))
}

#[derive(Deserialize)]
struct CoursesQuery {
    org_id: Option<String>,
}

async fn courses_page(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    axum::extract::Query(q): axum::extract::Query<CoursesQuery>,
) -> PageResult {
    let org_id = crate::web::non_empty(&q.org_id).and_then(|v| v.parse::<i64>().ok());
    courses_of(&s, &c, org_id, FormErrors::default(), StatusCode::OK).await
}

#[derive(Deserialize)]
struct CourseForm {
    org_id: Option<String>,
    #[serde(default)]
    title: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    description: String,
}

async fn create_course(
    State(s): State<AppState>,
    PageForm { caller: c, form: f }: PageForm<CourseForm>,
) -> PageResult {
    let r: AppResult<i64> = async {
        let org_id = f
            .org_id
            .as_deref()
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| AppError::invalid("org_id", "请选择开课的工会"))?;
        crate::auth::checks::writable_org(&s, &c, org_id, crate::auth::Right::Roster).await?;
        let mut e = Errors::default();
        let title = e.take("title", crate::org::rules::parse_name(&f.title));
        e.take(
            "category",
            crate::academy::store::categories::check(&s.db, org_id, &f.category).await?,
        );
        let description = e
            .take(
                "description",
                crate::academy::rules::parse_description(&f.description),
            )
            .unwrap_or_default();
        e.finish()?;
        store::create_course(
            &s.db,
            &Actor::of(&c),
            org_id,
            &title.unwrap_or_default(),
            f.category.trim(),
            None,
            &description,
        )
        .await
    }
    .await;
    let (s, c) = (&s, &c);
    form::finish(
        c,
        r,
        |id| form::see(format!("/academy/courses/{id}")),
        |e| async move { courses_view(s, c, FormErrors::from_error(&e), e.status()).await },
    )
    .await
}

#[derive(Template)]
#[template(path = "academy/course.html")]
struct CoursePage {
    nav: Option<Nav>,
    course: store::Course,
    sessions: Vec<store::Session>,
    lessons: Vec<store::Lesson>,
    feedback: Vec<store::Feedback>,
    average: String,
    categories: Vec<String>,
    errors: FormErrors,
    can_write: bool,
}

impl CoursePage {
    fn when(&self, ms: &i64) -> String {
        format_ms(*ms)
    }
    fn minutes(&self, ms: &i64) -> String {
        let s = *ms / 1000;
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// A course in the console: staff over its union only (a worker's reach to
/// courses offered to its union is the phone's).
async fn staff_course(s: &AppState, c: &Caller, id: i64) -> AppResult<(store::Course, bool)> {
    match ops::visible_course(s, c, id).await? {
        (course, ops::Viewer::Staff { can_write }) => Ok((course, can_write)),
        _ => Err(AppError::not_found("课程")),
    }
}

pub(super) async fn course_view(
    s: &AppState,
    c: &Caller,
    id: i64,
    errors: FormErrors,
    status: StatusCode,
) -> PageResult {
    let (course, can_write) = staff_course(s, c, id).await.or_page(c)?;
    let sessions = store::sessions(&s.db, id).await.or_page(c)?;
    let lessons = store::lessons(&s.db, id).await.or_page(c)?;
    let feedback = store::feedback(&s.db, id).await.or_page(c)?;
    let average = if feedback.is_empty() {
        "暂无".to_string()
    } else {
        format!(
            "{:.1}",
            feedback.iter().map(|f| f.rating as f64).sum::<f64>() / feedback.len() as f64
        )
    };
    let categories = crate::academy::store::categories::offered_on_path(&s.db, &course.org_path)
        .await
        .or_page(c)?
        .into_iter()
        .map(|cat| cat.name)
        .collect();
    Ok(render_with(
        status,
        &CoursePage {
            nav: Some(Nav::new(c, "academy")),
            course,
            sessions,
            lessons,
            feedback,
            average,
            categories,
            errors,
            can_write,
        },
    ))
}

#[derive(Deserialize)]
struct SettingsForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    teacher: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    watch_percent: String,
}

/// The course's settings: title, category, teacher (a member's number),
/// description and the share of each lesson to watch.
async fn update_course(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    PageForm { caller: c, form: f }: PageForm<SettingsForm>,
) -> PageResult {
    let r: AppResult<()> = async {
        let course = ops::writable_course(&s, &c, id).await?;
        let number = |field: &str, v: &str, message: &str| -> AppResult<Option<i64>> {
            match v.trim() {
                "" => Ok(None),
                v => v
                    .parse::<i64>()
                    .map(Some)
                    .map_err(|_| AppError::invalid(field, message)),
            }
        };
        // The teacher by name or member number; blank: no teacher.
        let teacher = match f.teacher.trim() {
            "" => 0,
            t => {
                crate::member::store::resolve(
                    &s.db,
                    &s.keys,
                    &crate::audit::Actor::of(&c),
                    &c.scope(Right::Read),
                    t,
                    "teacher_member_id",
                )
                .await?
                .id
            }
        };
        let body = crate::academy::ops::CourseChangesBody {
            title: Some(f.title.clone()),
            category: Some(f.category.clone()),
            teacher_member_id: Some(teacher),
            description: Some(f.description.clone()),
            watch_percent: number("watch_percent", &f.watch_percent, "观看比例应为整数")?,
        };
        let changes = crate::academy::ops::check_changes(&s, &c, &course, &body).await?;
        store::update_course(&s.db, &Actor::of(&c), &course, &changes).await?;
        Ok(())
    }
    .await;
    let (s, c) = (&s, &c);
    form::finish(
        c,
        r,
        |()| form::see(format!("/academy/courses/{id}")),
        |e| async move { course_view(s, c, id, FormErrors::from_error(&e), e.status()).await },
    )
    .await
}

async fn course_page(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Path(id): Path<i64>,
) -> PageResult {
    course_view(&s, &c, id, FormErrors::default(), StatusCode::OK).await
}

#[derive(Deserialize)]
struct SessionForm {
    #[serde(default)]
    place: String,
    #[serde(default)]
    starts: String,
    #[serde(default)]
    ends: String,
    #[serde(default)]
    capacity: String,
    centralised: Option<String>,
}

async fn create_session(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    PageForm { caller: c, form: f }: PageForm<SessionForm>,
) -> PageResult {
    // The form's times are datetime-local text; the rule for a session is
    // the operation's, with its messages shown beside the form's own names.
    let r: AppResult<i64> = async {
        let mut e = Errors::default();
        let starts_at = e.take("starts", datetime_local_ms(&f.starts));
        let ends_at = e.take("ends", datetime_local_ms(&f.ends));
        let capacity = f.capacity.trim().parse().ok();
        if let Err(found) = rules::check_session(&f.place, starts_at, ends_at, capacity) {
            for m in found.0 {
                let field = form_name(&m.field);
                if !e.0.iter().any(|mine| mine.field == field) {
                    e.add(field, m.message);
                }
            }
        }
        e.finish()?;
        let input = ops::NewSessionInput {
            place: Some(f.place.clone()),
            starts_at,
            ends_at,
            capacity,
            centralised: Some(f.centralised.is_some()),
        };
        Ok(ops::create_session(&s, &c, id, &input).await?.id)
    }
    .await;
    let (s, c) = (&s, &c);
    form::finish(
        c,
        r,
        |sid| form::see(format!("/academy/sessions/{sid}")),
        |e| async move { course_view(s, c, id, FormErrors::from_error(&e), e.status()).await },
    )
    .await
}

/// The console form's name for a field of the session rule.
fn form_name(field: &str) -> &str {
    match field {
        "starts_at" => "starts",
        "ends_at" => "ends",
        other => other,
    }
}

#[derive(Template)]
#[template(path = "academy/session.html")]
struct SessionPage {
    nav: Option<Nav>,
    course: store::Course,
    session: store::Session,
    roster: Vec<crate::enrolment::store::Enrolment>,
    checkin_url: String,
    qr_svg: String,
}

impl SessionPage {
    fn when(&self, ms: &i64) -> String {
        format_ms(*ms)
    }
    fn state(&self, s: &str) -> &'static str {
        match s {
            "enrolled" => "已报名",
            "waiting" => "候补",
            "attended" => "已签到",
            "cancelled" => "已取消",
            _ => "",
        }
    }
}

/// The roster, and the QR code of the check-in link to show on a screen at the session.
async fn session_page(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> PageResult {
    let session = store::session(&s.db, id).await.or_page(&c)?;
    let (course, _) = staff_course(&s, &c, session.course_id).await.or_page(&c)?;
    let roster = ops::roster(&s, &c, id).await.or_page(&c)?;
    // The phone opens the link on this server, as the browser reached it.
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1:8080");
    // The QR code lets workers check in: the roster holds its link only for
    // staff who run the session, not for read-only accounts.
    let (checkin_url, qr_svg) = match roster.checkin_url {
        Some(link) => {
            let url = format!("http://{host}{link}");
            let svg = qrcode::QrCode::new(url.as_bytes())
                .map(|q| {
                    q.render::<qrcode::render::svg::Color>()
                        .min_dimensions(260, 260)
                        .build()
                })
                .map_err(|e| anyhow::anyhow!("QR code: {e}"))
                .or_page(&c)?;
            (url, svg)
        }
        None => (String::new(), String::new()),
    };
    let page = SessionPage {
        nav: Some(Nav::new(&c, "academy")),
        course,
        session: roster.session,
        roster: roster.items,
        checkin_url,
        qr_svg,
    };
    Ok(render_with(StatusCode::OK, &page))
}
