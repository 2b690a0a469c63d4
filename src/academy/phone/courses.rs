//! The worker's phone pages for the academy: courses and sessions with enrol
//! and cancel, the check-in page a session's QR code opens, and feedback.

use crate::academy::{ops, store};
use crate::auth::{Caller, PageCaller};
use crate::db::format_ms;
use crate::state::AppState;
use crate::web::error::AppError;
use crate::web::pages::{render_with, OrPage, PageResult};
use crate::web::phone::{nav, MNav};
use crate::web::{form, PageForm};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/m/courses", get(courses))
        .route("/m/courses/{id}", get(course).post(feedback))
        .route("/m/sessions/{id}/enrol", post(enrol))
        .route("/m/sessions/{id}/cancel", post(cancel))
        .route("/m/checkin/{id}", get(checkin_page).post(checkin))
}

pub struct SessionLine {
    pub session: store::Session,
    /// The member's state here: "", enrolled, waiting, attended, cancelled.
    pub mine: String,
}

pub struct CourseLine {
    pub course: store::Course,
    pub sessions: Vec<SessionLine>,
}

#[derive(Template)]
#[template(path = "m/courses.html")]
struct CoursesPage {
    m: MNav,
    courses: Vec<CourseLine>,
    notice: String,
    error: String,
    /// Where enrolling returns to: this list ("").
    back: &'static str,
}

impl CoursesPage {
    fn when(&self, ms: &i64) -> String {
        format_ms(*ms)
    }
}

/// A course's sessions with the member's state in each (`states`: the
/// member's, from `store::member_states`).
async fn session_lines(
    s: &AppState,
    course: i64,
    states: &std::collections::HashMap<i64, String>,
) -> Result<Vec<SessionLine>, AppError> {
    Ok(store::sessions(&s.db, course)
        .await?
        .into_iter()
        .map(|session| SessionLine {
            mine: states.get(&session.id).cloned().unwrap_or_default(),
            session,
        })
        .collect())
}

async fn courses_view(
    s: &AppState,
    c: &Caller,
    notice: String,
    error: String,
    status: StatusCode,
) -> PageResult {
    let (m, member) = nav(s, c, "courses").await.or_page(c)?;
    let states = store::member_states(&s.db, member.id).await.or_page(c)?;
    let mut lines = vec![];
    for course in store::courses_on_path(&s.db, &member.org_path)
        .await
        .or_page(c)?
    {
        let sessions = session_lines(s, course.id, &states).await.or_page(c)?;
        lines.push(CourseLine { course, sessions });
    }
    Ok(render_with(
        status,
        &CoursesPage {
            m,
            courses: lines,
            notice,
            error,
            back: "",
        },
    ))
}

async fn courses(State(s): State<AppState>, PageCaller(c): PageCaller) -> PageResult {
    courses_view(&s, &c, String::new(), String::new(), StatusCode::OK).await
}

/// Enrolling or cancelling from the course's own page returns there
/// (`back` = "course"); from the list, to the list.
#[derive(Deserialize)]
struct Back {
    #[serde(default)]
    back: String,
}

/// The page an enrol or cancel form returns to, with what happened.
async fn back_to(
    s: &AppState,
    c: &Caller,
    session: i64,
    back: &str,
    (notice, error): (String, String),
    status: StatusCode,
) -> PageResult {
    if back == "course" {
        let course = store::session(&s.db, session).await.or_page(c)?.course_id;
        return course_view(s, c, course, (notice, error, None), status).await;
    }
    courses_view(s, c, notice, error, status).await
}

/// A refusal the member can understand goes back on the page; anything else is an error page.
async fn enrol(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    PageForm { caller: c, form: f }: PageForm<Back>,
) -> PageResult {
    let result = ops::enrol_for(&s, &c, id).await;
    form::finish(
        &c,
        result,
        |(state, position)| {
            let notice = if state == "enrolled" {
                "报名成功".to_string()
            } else {
                format!("名额已满，您在候补名单第 {position} 位，有人取消会自动递补")
            };
            back_to(&s, &c, id, &f.back, (notice, String::new()), StatusCode::OK)
        },
        |e| {
            let status = e.status();
            back_to(
                &s,
                &c,
                id,
                &f.back,
                (String::new(), e.form_message()),
                status,
            )
        },
    )
    .await
}

async fn cancel(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    PageForm { caller: c, form: f }: PageForm<Back>,
) -> PageResult {
    let result = ops::cancel_for(&s, &c, id).await;
    form::finish(
        &c,
        result,
        |_| {
            let notice = "已取消报名".to_string();
            back_to(&s, &c, id, &f.back, (notice, String::new()), StatusCode::OK)
        },
        |e| {
            let status = e.status();
            back_to(
                &s,
                &c,
                id,
                &f.back,
                (String::new(), e.form_message()),
                status,
            )
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "m/checkin.html")]
struct CheckinPage {
    m: MNav,
    course: store::Course,
    session: store::Session,
    token: String,
    result: String,
    error: String,
}

impl CheckinPage {
    fn when(&self, ms: &i64) -> String {
        format_ms(*ms)
    }
}

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

/// What the session's QR code opens on the phone: the session and a button.
async fn checkin_page(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Path(id): Path<i64>,
    Query(q): Query<TokenQuery>,
) -> PageResult {
    let (m, member) = nav(&s, &c, "courses").await.or_page(&c)?;
    let session = store::session(&s.db, id).await.or_page(&c)?;
    let course = store::course(&s.db, session.course_id).await.or_page(&c)?;
    if !member.org_path.starts_with(&course.org_path) {
        return Err(AppError::not_found("课程")).or_page(&c);
    }
    let page = CheckinPage {
        m,
        course,
        session,
        token: q.token.unwrap_or_default(),
        result: String::new(),
        error: String::new(),
    };
    Ok(render_with(StatusCode::OK, &page))
}

#[derive(Deserialize)]
struct CheckinForm {
    #[serde(default)]
    token: String,
}

async fn checkin(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    PageForm { caller: c, form: f }: PageForm<CheckinForm>,
) -> PageResult {
    let result = ops::checkin_for(&s, &c, id, &f.token).await;
    let token = f.token.as_str();
    form::finish(
        &c,
        result,
        |(first, points)| {
            let said = match (first, points) {
                (true, p) if p > 0 => format!("签到成功！完成课程，获得 {p} 积分"),
                (true, _) => "签到成功！".to_string(),
                (false, _) => "您已签到过了".to_string(),
            };
            checkin_view(&s, &c, id, token, said, String::new(), StatusCode::OK)
        },
        |e| {
            checkin_view(
                &s,
                &c,
                id,
                token,
                String::new(),
                e.form_message(),
                e.status(),
            )
        },
    )
    .await
}

/// The check-in page with what happened (`result`) or what went wrong.
async fn checkin_view(
    s: &AppState,
    c: &Caller,
    id: i64,
    token: &str,
    result: String,
    error: String,
    status: StatusCode,
) -> PageResult {
    let (m, _) = nav(s, c, "courses").await.or_page(c)?;
    let session = store::session(&s.db, id).await.or_page(c)?;
    let course = store::course(&s.db, session.course_id).await.or_page(c)?;
    Ok(render_with(
        status,
        &CheckinPage {
            m,
            course,
            session,
            token: token.to_string(),
            result,
            error,
        },
    ))
}

#[derive(Template)]
#[template(path = "m/course.html")]
struct CoursePage {
    m: MNav,
    course: store::Course,
    /// Its sessions, with the member's state in each.
    sessions: Vec<SessionLine>,
    /// Where enrolling returns to: this page.
    back: &'static str,
    /// The replays, each with the share of it the member has been credited.
    lessons: Vec<(store::Lesson, i64)>,
    rating: i64,
    comment: String,
    notice: String,
    error: String,
}

impl CoursePage {
    fn when(&self, ms: &i64) -> String {
        format_ms(*ms)
    }
}

/// What the feedback form shows: what was typed (after a mistake) or what
/// the member rated before.
type Typed = Option<(i64, String)>;

async fn course_view(
    s: &AppState,
    c: &Caller,
    id: i64,
    (notice, error, typed): (String, String, Typed),
    status: StatusCode,
) -> PageResult {
    let (m, member) = nav(s, c, "courses").await.or_page(c)?;
    let course = store::course(&s.db, id).await.or_page(c)?;
    if !member.org_path.starts_with(&course.org_path) {
        return Err(AppError::not_found("课程")).or_page(c);
    }
    let mine = store::feedback(&s.db, id)
        .await
        .or_page(c)?
        .into_iter()
        .find(|f| f.member_id == member.id);
    let (rating, comment) = typed
        .or(mine.map(|f| (f.rating, f.comment)))
        .unwrap_or((0, String::new()));
    let mut lessons = vec![];
    for l in store::lessons(&s.db, id).await.or_page(c)? {
        let watched = store::progress(&s.db, l.id, member.id)
            .await
            .or_page(c)?
            .map(|p| p.watched_ms)
            .unwrap_or(0);
        let percent = (watched * 100 / l.duration_ms.max(1)).min(100);
        lessons.push((l, percent));
    }
    Ok(render_with(
        status,
        &CoursePage {
            m,
            sessions: {
                let states = store::member_states(&s.db, member.id).await.or_page(c)?;
                session_lines(s, course.id, &states).await.or_page(c)?
            },
            back: "course",
            course,
            lessons,
            rating,
            comment,
            notice,
            error,
        },
    ))
}

async fn course(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Path(id): Path<i64>,
) -> PageResult {
    let nothing = (String::new(), String::new(), None);
    course_view(&s, &c, id, nothing, StatusCode::OK).await
}

#[derive(Deserialize)]
struct FeedbackForm {
    #[serde(default)]
    rating: String,
    #[serde(default)]
    comment: String,
}

async fn feedback(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    PageForm { caller: c, form: f }: PageForm<FeedbackForm>,
) -> PageResult {
    let rating = f.rating.trim().parse().unwrap_or(0);
    let result = ops::feedback_for(&s, &c, id, rating, &f.comment).await;
    form::finish(
        &c,
        result,
        |(_, points)| {
            let notice = if points > 0 {
                format!("感谢评价！获得 {points} 积分")
            } else {
                "评价已保存".to_string()
            };
            course_view(&s, &c, id, (notice, String::new(), None), StatusCode::OK)
        },
        |e| {
            let typed = Some((rating, f.comment.clone()));
            course_view(
                &s,
                &c,
                id,
                (String::new(), e.form_message(), typed),
                e.status(),
            )
        },
    )
    .await
}

/// The phone home page's card of the member's sessions today (Beijing day),
/// with whether they have checked in; none, no card.
#[derive(Template)]
#[template(path = "academy/home_card.html")]
struct TodayCard {
    today: Vec<(store::Session, String, String)>,
}

impl TodayCard {
    fn hours(&self, from: &i64, to: &i64) -> String {
        let (a, b) = (format_ms(*from), format_ms(*to));
        format!("{}–{}", &a[11..16], &b[11..16])
    }
}

pub async fn today_card(
    s: &AppState,
    member: &crate::program::Worker,
) -> Result<Option<String>, AppError> {
    let now = crate::db::now_ms();
    let day = &format_ms(now)[..10];
    let from = crate::db::date_start_ms(day, false).map_err(|m| anyhow::anyhow!(m))?;
    let to = crate::db::date_start_ms(day, true).map_err(|m| anyhow::anyhow!(m))?;
    let today = store::member_sessions_between(&s.db, member.member_id, from, to).await?;
    if today.is_empty() {
        return Ok(None);
    }
    let card = TodayCard { today };
    Ok(Some(card.render().map_err(anyhow::Error::from)?))
}
