//! `/api/v1/courses*` and `/api/v1/sessions*`.

use super::store::{self, NewSession};
use super::SESSION;
use crate::audit::Actor;
use crate::auth::{ApiCaller, Caller, Right};
use crate::state::AppState;
use crate::web::error::{AppError, AppResult, Errors};
use crate::web::ApiJson;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/courses", post(create_course).get(list_courses))
        .route(
            "/api/v1/courses/{id}",
            get(show_course).patch(update_course),
        )
        .route("/api/v1/courses/{id}/sessions", post(create_session))
        .route(
            "/api/v1/courses/{id}/feedback",
            get(list_feedback).put(put_feedback),
        )
        .route("/api/v1/sessions/{id}/enrol", post(enrol))
        .route("/api/v1/sessions/{id}/cancel", post(cancel))
        .route("/api/v1/sessions/{id}/checkin", post(checkin))
        .route("/api/v1/sessions/{id}/roster", get(roster))
        .route(
            "/api/v1/courses/{id}/lessons",
            post(create_lesson).get(list_lessons),
        )
        .route("/api/v1/lessons/{id}/progress", post(progress))
        .route(
            "/api/v1/academies",
            post(create_academy).get(list_academies),
        )
        .route("/api/v1/academies/{id}", get(show_academy))
        .route("/api/v1/academies/{id}/staff", post(add_staff))
}

/// Who may see a course: staff over its union, or a member of the union or one below it.
pub(super) enum Viewer {
    Staff { can_write: bool },
    Member,
}

pub(super) async fn view(s: &AppState, c: &Caller, course: &store::Course) -> AppResult<Viewer> {
    if c.scope(Right::Read).covers_path(&course.org_path) {
        return Ok(Viewer::Staff {
            can_write: c.scope(Right::Roster).covers_path(&course.org_path),
        });
    }
    if let Some(mid) = c.member_id {
        let m = crate::member::store::get(
            &s.db,
            &s.keys,
            &crate::auth::Scope::new(vec![], Some(mid)),
            mid,
        )
        .await?;
        if m.org_path.starts_with(&course.org_path) {
            return Ok(Viewer::Member);
        }
    }
    Err(AppError::not_found("课程"))
}

/// The member record of the caller, for what only a member does (enrol, check in, rate).
pub(super) async fn as_member(
    s: &AppState,
    c: &Caller,
    course: &store::Course,
) -> AppResult<crate::member::store::Member> {
    let mid = c
        .member_id
        .ok_or_else(|| AppError::Forbidden("报名、签到和评价需用会员账号".into()))?;
    let m = crate::member::store::get(
        &s.db,
        &s.keys,
        &crate::auth::Scope::new(vec![], Some(mid)),
        mid,
    )
    .await?;
    if !m.org_path.starts_with(&course.org_path) {
        return Err(AppError::not_found("课程"));
    }
    Ok(m)
}

#[derive(Deserialize)]
struct CourseBody {
    org_id: Option<i64>,
    title: Option<String>,
    category: Option<String>,
    teacher_member_id: Option<i64>,
    description: Option<String>,
}

async fn create_course(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(b): ApiJson<CourseBody>,
) -> AppResult<(StatusCode, Json<store::Course>)> {
    let org_id = b
        .org_id
        .ok_or_else(|| AppError::invalid("org_id", "请指定开课的工会 org_id"))?;
    crate::auth::checks::writable_org(&s, &c, org_id, crate::auth::Right::Roster).await?;
    let mut e = Errors::default();
    let title = e.take(
        "title",
        crate::org::rules::parse_name(b.title.as_deref().unwrap_or("")),
    );
    let category = b.category.as_deref().unwrap_or("").trim().to_string();
    e.take(
        "category",
        super::categories::check(&s.db, org_id, &category).await?,
    );
    if let Some(t) = b.teacher_member_id {
        e.take("teacher_member_id", teacher_in_scope(&s, &c, t).await);
    }
    let description = e
        .take(
            "description",
            super::rules::parse_description(b.description.as_deref().unwrap_or("")),
        )
        .unwrap_or_default();
    e.finish()?;
    let id = store::create_course(
        &s.db,
        &Actor::of(&c),
        org_id,
        &title.unwrap_or_default(),
        &category,
        b.teacher_member_id,
        &description,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(store::course(&s.db, id).await?)))
}

/// A course's teacher is a member the caller can see.
async fn teacher_in_scope(s: &AppState, c: &Caller, member_id: i64) -> Result<(), String> {
    crate::member::store::get(&s.db, &s.keys, &c.scope(Right::Read), member_id)
        .await
        .map(|_| ())
        .map_err(|_| "授课老师须是您管辖范围内的会员".to_string())
}

#[derive(Deserialize, Default)]
pub(super) struct CourseChangesBody {
    pub title: Option<String>,
    pub category: Option<String>,
    /// A member of the caller's subtree; `0` clears the teacher.
    pub teacher_member_id: Option<i64>,
    pub description: Option<String>,
    pub watch_percent: Option<i64>,
}

/// Checks the changes to a course (what is left out stays as it is).
pub(super) async fn check_changes(
    s: &AppState,
    c: &Caller,
    course: &store::Course,
    b: &CourseChangesBody,
) -> AppResult<store::CourseChanges> {
    let mut e = Errors::default();
    let title = match &b.title {
        Some(t) => e.take("title", crate::org::rules::parse_name(t)),
        None => Some(course.title.clone()),
    };
    let category = match &b.category {
        Some(cat) => {
            let cat = cat.trim().to_string();
            e.take(
                "category",
                super::categories::check(&s.db, course.org_id, &cat).await?,
            );
            cat
        }
        None => course.category.clone(),
    };
    let teacher = match b.teacher_member_id {
        Some(0) => None,
        Some(t) => {
            e.take("teacher_member_id", teacher_in_scope(s, c, t).await);
            Some(t)
        }
        None => course.teacher_member_id,
    };
    let description = match &b.description {
        Some(d) => e
            .take("description", super::rules::parse_description(d))
            .unwrap_or_default(),
        None => course.description.clone(),
    };
    let watch_percent = match b.watch_percent {
        Some(p) => e.take("watch_percent", super::rules::parse_watch_percent(p)),
        None => Some(course.watch_percent),
    };
    e.finish()?;
    Ok(store::CourseChanges {
        title: title.unwrap_or_default(),
        category,
        teacher_member_id: teacher,
        description,
        watch_percent: watch_percent.unwrap_or(90),
    })
}

/// `PATCH /api/v1/courses/{id}` (staff over the course's union).
async fn update_course(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<CourseChangesBody>,
) -> AppResult<Json<store::Course>> {
    let course = store::course(&s.db, id).await?;
    match view(&s, &c, &course).await? {
        Viewer::Staff { can_write: true } => {}
        _ => return Err(AppError::forbidden()),
    }
    let changes = check_changes(&s, &c, &course, &b).await?;
    Ok(Json(
        store::update_course(&s.db, &Actor::of(&c), &course, &changes).await?,
    ))
}

async fn list_courses(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
) -> AppResult<Json<Value>> {
    let items = if c.can(Right::Read) {
        store::courses_in(&s.db, &c.scope(Right::Read)).await?
    } else {
        let mid = c.member_id.ok_or_else(AppError::forbidden)?;
        let m = crate::member::store::get(
            &s.db,
            &s.keys,
            &crate::auth::Scope::new(vec![], Some(mid)),
            mid,
        )
        .await?;
        store::courses_on_path(&s.db, &m.org_path).await?
    };
    Ok(Json(json!({ "total": items.len(), "items": items })))
}

fn rating(feedback: &[store::Feedback]) -> Value {
    let n = feedback.len() as f64;
    let avg = if n > 0.0 {
        feedback.iter().map(|f| f.rating as f64).sum::<f64>() / n
    } else {
        0.0
    };
    json!({ "average": (avg * 10.0).round() / 10.0, "count": feedback.len() })
}

async fn show_course(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    let course = store::course(&s.db, id).await?;
    view(&s, &c, &course).await?;
    let sessions = store::sessions(&s.db, id).await?;
    let feedback = store::feedback(&s.db, id).await?;
    Ok(Json(
        json!({ "course": course, "sessions": sessions, "rating": rating(&feedback) }),
    ))
}

#[derive(Deserialize)]
struct SessionBody {
    place: Option<String>,
    starts_at: Option<i64>,
    ends_at: Option<i64>,
    capacity: Option<i64>,
    centralised: Option<bool>,
}

async fn create_session(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<SessionBody>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let course = store::course(&s.db, id).await?;
    match view(&s, &c, &course).await? {
        Viewer::Staff { can_write: true } => {}
        _ => return Err(AppError::forbidden()),
    }
    let mut e = Errors::default();
    let place = b.place.as_deref().unwrap_or("").trim().to_string();
    if place.is_empty() || place.chars().count() > 100 {
        e.add("place", "请填写上课地点（不超过100个字）");
    }
    let (starts, ends) = (b.starts_at.unwrap_or(0), b.ends_at.unwrap_or(0));
    if starts <= 0 {
        e.add("starts_at", "请填写开始时间 starts_at（毫秒时间戳）");
    }
    if ends <= starts {
        e.add("ends_at", "结束时间须晚于开始时间");
    }
    let capacity = b.capacity.unwrap_or(0);
    if !(1..=10_000).contains(&capacity) {
        e.add("capacity", "名额应为 1–10000");
    }
    e.finish()?;
    let ns = NewSession {
        place: &place,
        starts_at: starts,
        ends_at: ends,
        capacity,
        centralised: b.centralised.unwrap_or(false),
    };
    let sid = store::create_session(&s.db, &Actor::of(&c), &course, &ns).await?;
    let session = store::session(&s.db, sid).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "session": session, "checkin_token": session.checkin_token })),
    ))
}

async fn session_course(s: &AppState, id: i64) -> AppResult<(store::Session, store::Course)> {
    let session = store::session(&s.db, id).await?;
    let course = store::course(&s.db, session.course_id).await?;
    Ok((session, course))
}

/// Enrols the caller's member record in a session: (state, waiting position).
pub async fn enrol_for(s: &AppState, c: &Caller, id: i64) -> AppResult<(String, i64)> {
    let (session, course) = session_course(s, id).await?;
    let m = as_member(s, c, &course).await?;
    if crate::db::now_ms() > session.ends_at {
        return Err(AppError::conflict(None, "本场已结束，不能报名"));
    }
    crate::enrolment::store::enrol(&s.db, &Actor::of(c), SESSION, id, m.id, m.org_id).await
}

async fn enrol(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let (state, position) = enrol_for(&s, &c, id).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "session_id": id, "state": state, "position": position })),
    ))
}

/// Cancels the caller's place; returns who moved up from the waiting list.
pub async fn cancel_for(s: &AppState, c: &Caller, id: i64) -> AppResult<Option<i64>> {
    let (_, course) = session_course(s, id).await?;
    let m = as_member(s, c, &course).await?;
    crate::enrolment::store::cancel(&s.db, &Actor::of(c), SESSION, id, m.id).await
}

async fn cancel(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    let promoted = cancel_for(&s, &c, id).await?;
    Ok(Json(
        json!({ "session_id": id, "state": "cancelled", "promoted_member_id": promoted }),
    ))
}

#[derive(Deserialize)]
struct CheckinBody {
    token: Option<String>,
}

/// Check-in by scanning the session's QR code (its token), in the session's
/// window, by an enrolled member; attending completes the course, which pays
/// the union's `course_completed` rule once per member and course. Returns
/// (first check-in, points paid now).
pub async fn checkin_for(s: &AppState, c: &Caller, id: i64, token: &str) -> AppResult<(bool, i64)> {
    let (session, course) = session_course(s, id).await?;
    let m = as_member(s, c, &course).await?;
    if !crate::web::constant_time_eq(token.trim().as_bytes(), session.checkin_token.as_bytes()) {
        return Err(AppError::invalid(
            "token",
            "签到码无效：请扫描现场的签到二维码",
        ));
    }
    crate::enrolment::rules::check_in_window(
        crate::db::now_ms(),
        session.starts_at,
        session.ends_at,
    )
    .map_err(|m| AppError::invalid("token", m))?;
    let actor = Actor::of(c);
    // Attending and what it pays commit together, or not at all.
    let mut tx = s.db.begin().await?;
    let first = crate::enrolment::store::attend(&mut tx, &actor, SESSION, id, m.id).await?;
    let points = crate::points::store::pay_rule_in(
        &mut tx,
        &actor,
        &m,
        "course_completed",
        &format!("course:{}", course.id),
    )
    .await?;
    tx.commit().await?;
    Ok((first, points))
}

async fn checkin(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<CheckinBody>,
) -> AppResult<Json<Value>> {
    let (first, points) = checkin_for(&s, &c, id, b.token.as_deref().unwrap_or("")).await?;
    Ok(Json(
        json!({ "session_id": id, "state": "attended", "first_check_in": first, "points_awarded": points }),
    ))
}

async fn roster(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    let (session, course) = session_course(&s, id).await?;
    let can_write = match view(&s, &c, &course).await? {
        Viewer::Staff { can_write } => can_write,
        Viewer::Member => return Err(AppError::forbidden()),
    };
    let items = crate::enrolment::store::roster(&s.db, SESSION, id).await?;
    let mut body = json!({ "session": session, "total": items.len(), "items": items });
    // What the session's QR code shows (the phone opens it and posts the
    // token): for staff who run the session, not for read-only accounts.
    if can_write {
        body["checkin_token"] = json!(session.checkin_token);
        body["checkin_url"] = json!(format!("/m/checkin/{id}?token={}", session.checkin_token));
    }
    Ok(Json(body))
}

#[derive(Deserialize)]
struct FeedbackBody {
    rating: Option<i64>,
    comment: Option<String>,
}

/// The member's rating and comment (one per course, editable); the first pays
/// the union's `feedback` rule once. Returns (new, points paid now).
pub async fn feedback_for(
    s: &AppState,
    c: &Caller,
    id: i64,
    rating: i64,
    comment: &str,
) -> AppResult<(bool, i64)> {
    let course = store::course(&s.db, id).await?;
    let m = as_member(s, c, &course).await?;
    let mut e = Errors::default();
    if !(1..=5).contains(&rating) {
        e.add("rating", "评分应为 1–5 星");
    }
    let comment = comment.trim();
    if comment.chars().count() > 1000 {
        e.add("comment", "评价不能超过1000个字");
    }
    e.finish()?;
    let actor = Actor::of(c);
    let new = store::put_feedback(&s.db, &actor, &course, m.id, rating, comment).await?;
    let points = crate::points::store::pay_rule(
        &s.db,
        &actor,
        &m,
        "feedback",
        &format!("feedback:{}", course.id),
    )
    .await?;
    Ok((new, points))
}

/// `PUT /api/v1/courses/{id}/feedback`.
async fn put_feedback(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<FeedbackBody>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let rating = b.rating.unwrap_or(0);
    let comment = b.comment.unwrap_or_default();
    let (new, points) = feedback_for(&s, &c, id, rating, &comment).await?;
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(
            json!({ "course_id": id, "rating": rating, "comment": comment.trim(), "points_awarded": points }),
        ),
    ))
}

async fn list_feedback(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    let course = store::course(&s.db, id).await?;
    match view(&s, &c, &course).await? {
        Viewer::Staff { .. } => {}
        Viewer::Member => return Err(AppError::forbidden()),
    }
    let items = store::feedback(&s.db, id).await?;
    Ok(Json(
        json!({ "rating": rating(&items), "total": items.len(), "items": items }),
    ))
}

#[derive(Deserialize)]
struct LessonBody {
    title: Option<String>,
    video_url: Option<String>,
    duration_ms: Option<i64>,
}

/// `POST /api/v1/courses/{id}/lessons`: a replay (video link and its length) for a course (staff).
async fn create_lesson(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<LessonBody>,
) -> AppResult<(StatusCode, Json<store::Lesson>)> {
    let course = store::course(&s.db, id).await?;
    match view(&s, &c, &course).await? {
        Viewer::Staff { can_write: true } => {}
        _ => return Err(AppError::forbidden()),
    }
    let mut e = Errors::default();
    let title = e.take(
        "title",
        crate::org::rules::parse_name(b.title.as_deref().unwrap_or("")),
    );
    // No link: the video is uploaded next (PUT /api/v1/lessons/{id}/video).
    let url = e
        .take(
            "video_url",
            super::rules::parse_video_url(b.video_url.as_deref().unwrap_or("")),
        )
        .unwrap_or_default();
    let duration = e
        .take(
            "duration_ms",
            super::rules::check_duration_ms(b.duration_ms.unwrap_or(0)),
        )
        .unwrap_or(0);
    e.finish()?;
    let lesson = store::create_lesson(
        &s.db,
        &Actor::of(&c),
        &course,
        &title.unwrap_or_default(),
        &url,
        duration,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(lesson)))
}

async fn list_lessons(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    let course = store::course(&s.db, id).await?;
    let viewer = view(&s, &c, &course).await?;
    let mut items = vec![];
    for l in store::lessons(&s.db, id).await? {
        let watched = match (&viewer, c.member_id) {
            (Viewer::Member, Some(m)) => store::progress(&s.db, l.id, m)
                .await?
                .map(|p| p.watched_ms)
                .unwrap_or(0),
            _ => 0,
        };
        items.push(json!({ "lesson": l, "watched_ms": watched }));
    }
    Ok(Json(json!({ "total": items.len(), "items": items })))
}

#[derive(Deserialize)]
struct ProgressBody {
    position_ms: Option<i64>,
}

/// `POST /api/v1/lessons/{id}/progress` `{position_ms}` from the member's player: the
/// server credits watch time no faster than real time; watching every lesson of
/// a course to its percentage completes the course (the `course_completed` rule pays once).
async fn progress(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<ProgressBody>,
) -> AppResult<Json<Value>> {
    let position = b
        .position_ms
        .ok_or_else(|| AppError::invalid("position_ms", "请报告播放位置 position_ms（毫秒）"))?;
    Ok(Json(watch(&s, &c, id, position).await?))
}

/// Credits a member's player report for a lesson and completes the course
/// when every lesson is watched far enough (the API and the phone player).
pub(super) async fn watch(s: &AppState, c: &Caller, id: i64, position: i64) -> AppResult<Value> {
    let lesson = store::lesson(&s.db, id).await?;
    let course = store::course(&s.db, lesson.course_id).await?;
    let m = as_member(s, c, &course).await?;
    let p = store::report_progress(&s.db, &lesson, m.id, position).await?;
    let (mut points, mut course_points) = (0, 0);
    let done = store::watched_all(&s.db, course.id, m.id).await?;
    if done {
        let event = format!("course:{}", course.id);
        points =
            crate::points::store::pay_rule(&s.db, &Actor::of(c), &m, "course_completed", &event)
                .await?;
        course_points =
            crate::points::store::paid_by_rule(&s.db, "course_completed", m.id, &event).await?;
    }
    // `points_awarded`: paid by this report; `course_points`: what completing the
    // course has paid in all (by this report or an earlier one).
    Ok(json!({
        "lesson_id": id, "watched_ms": p.watched_ms, "position_ms": p.position_ms,
        "duration_ms": lesson.duration_ms, "course_completed": done,
        "points_awarded": points, "course_points": course_points,
    }))
}

#[derive(Deserialize)]
struct AcademyBody {
    org_id: Option<i64>,
    name: Option<String>,
    kind: Option<String>,
}

/// `POST /api/v1/academies` `{org_id, name, kind: main|branch}` (staff with roster rights there).
async fn create_academy(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(b): ApiJson<AcademyBody>,
) -> AppResult<(StatusCode, Json<store::Academy>)> {
    let org_id = b
        .org_id
        .ok_or_else(|| AppError::invalid("org_id", "请指定设立学院的工会 org_id"))?;
    let id = create_academy_for(
        &s,
        &c,
        org_id,
        b.name.as_deref().unwrap_or(""),
        b.kind.as_deref().unwrap_or(""),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(store::academy(&s.db, id).await?.0),
    ))
}

/// A campus at a union the caller may change (the API and the console).
pub(super) async fn create_academy_for(
    s: &AppState,
    c: &Caller,
    org_id: i64,
    name: &str,
    kind: &str,
) -> AppResult<i64> {
    crate::auth::checks::writable_org(s, c, org_id, crate::auth::Right::Roster).await?;
    let org = crate::org::store::get(&s.db, &c.scope(Right::Read), org_id).await?;
    let mut e = Errors::default();
    let name = e.take("name", crate::org::rules::parse_name(name));
    let kind = kind.trim().to_string();
    e.take("kind", super::rules::check_campus(&kind, &org.kind));
    e.finish()?;
    store::create_academy(&s.db, &Actor::of(c), &org, &name.unwrap_or_default(), &kind).await
}

async fn list_academies(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
) -> AppResult<Json<Value>> {
    let items = store::academies(&s.db, &c.scope(Right::Read)).await?;
    Ok(Json(json!({ "total": items.len(), "items": items })))
}

async fn visible_academy(s: &AppState, c: &Caller, id: i64) -> AppResult<(store::Academy, String)> {
    let (a, path) = store::academy(&s.db, id).await?;
    if !c.scope(Right::Read).covers_path(&path) {
        return Err(AppError::not_found("学院"));
    }
    Ok((a, path))
}

async fn show_academy(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<Json<store::Academy>> {
    Ok(Json(visible_academy(&s, &c, id).await?.0))
}

#[derive(Deserialize)]
struct StaffBody {
    member_id: Option<i64>,
    role: Option<String>,
}

/// `POST /api/v1/academies/{id}/staff` `{member_id, role}`: staff come from the campus's own roster.
async fn add_staff(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<StaffBody>,
) -> AppResult<(StatusCode, Json<store::Academy>)> {
    let mid = b
        .member_id
        .ok_or_else(|| AppError::invalid("member_id", "请指定会员 member_id"))?;
    add_staff_for(&s, &c, id, mid, b.role.as_deref().unwrap_or("")).await?;
    Ok((
        StatusCode::CREATED,
        Json(store::academy(&s.db, id).await?.0),
    ))
}

/// Adds a member of the campus's own roster to its staff (the API and the console).
pub(super) async fn add_staff_for(
    s: &AppState,
    c: &Caller,
    id: i64,
    member_id: i64,
    role: &str,
) -> AppResult<()> {
    let (a, path) = visible_academy(s, c, id).await?;
    if !c.scope(Right::Roster).covers_path(&path) {
        return Err(AppError::forbidden());
    }
    let m = crate::member::store::get(&s.db, &s.keys, &c.scope(Right::Read), member_id).await?;
    if !m.org_path.starts_with(&path) {
        return Err(AppError::invalid(
            "member_id",
            format!("{} 不在“{}”的会员名册中", m.name, a.org_name),
        ));
    }
    let role = role.trim();
    if role.is_empty() || role.chars().count() > 20 {
        return Err(AppError::invalid(
            "role",
            "请填写职务（如 院长、教务、授课老师），不超过20个字",
        ));
    }
    store::add_staff(&s.db, &Actor::of(c), &a, m.id, role).await
}
