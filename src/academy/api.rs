//! The academy's JSON API: courses, sessions and enrolment, feedback, replays
//! and watch time, campuses and their staff, the desk's messages and course
//! categories. Read the request, call an operation, answer.

use super::ops::lessons::{attach, too_large_or_invalid, writable};
use super::ops::{
    self, CourseChangesBody, CourseView, LessonView, NewCourse, NewLesson, NewSessionInput, Rating,
    Roster, Watched,
};
use super::store::categories::Category;
use super::store::messages::Message;
use super::store::{Academy, Course, Feedback, Lesson, Session};
use crate::auth::ApiCaller;
use crate::db::Paging;
use crate::files::{max_upload_bytes, video_extension};
use crate::state::AppState;
use crate::web::api::{Page, ReadErrors, WriteErrors};
use crate::web::error::{AppError, AppResult};
use crate::web::ApiJson;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    let (schemas, paths, upload) = routes!(upload_video);
    OpenApiRouter::new()
        .routes(routes!(create_course, list_courses))
        .routes(routes!(show_course, update_course))
        .routes(routes!(create_session))
        .routes(routes!(put_feedback, list_feedback))
        .routes(routes!(enrol))
        .routes(routes!(cancel))
        .routes(routes!(checkin))
        .routes(routes!(roster))
        .routes(routes!(create_lesson, list_lessons))
        .routes(routes!(progress))
        .routes((
            schemas,
            paths,
            upload.layer(DefaultBodyLimit::max(max_upload_bytes())),
        ))
        .routes(routes!(create_academy, list_academies))
        .routes(routes!(show_academy))
        .routes(routes!(add_staff))
        .routes(routes!(send_message, list_messages))
        .routes(routes!(answer_message))
        .routes(routes!(create_category, list_categories))
        .routes(routes!(list_delivered_sessions))
        .routes(routes!(list_attendance))
        .routes(routes!(list_trainees))
        .routes(routes!(list_completions))
}

/// Opens a course at a union (roster right there).
#[utoipa::path(post, path = "/api/v1/courses", operation_id = "create_course", tag = "academy",
    request_body = NewCourse, responses((status = 201, description = "opened", body = Course), WriteErrors))]
async fn create_course(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(b): ApiJson<NewCourse>,
) -> AppResult<(StatusCode, Json<Course>)> {
    Ok((
        StatusCode::CREATED,
        Json(ops::create_course(&s, &c, &b).await?),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
struct CoursesQuery {
    /// Staff: only the courses of this union's subtree.
    org_id: Option<i64>,
}

/// Staff: their subtrees' courses (or one union's); a member: those of its union and the unions above.
#[utoipa::path(get, path = "/api/v1/courses", operation_id = "list_courses", tag = "academy", params(CoursesQuery),
    responses((status = 200, description = "the courses", body = Page<Course>), ReadErrors))]
async fn list_courses(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<CoursesQuery>,
) -> AppResult<Json<Page<Course>>> {
    Ok(Json(Page::all(ops::courses(&s, &c, q.org_id).await?)))
}

#[utoipa::path(get, path = "/api/v1/courses/{id}", operation_id = "get_course", tag = "academy",
    params(("id" = i64, Path, description = "course id")),
    responses((status = 200, description = "the course, its sessions and rating", body = CourseView), ReadErrors))]
async fn show_course(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<Json<CourseView>> {
    Ok(Json(ops::course_view(&s, &c, id).await?))
}

/// Changes a course (staff over its union): what is left out stays.
#[utoipa::path(patch, path = "/api/v1/courses/{id}", operation_id = "update_course", tag = "academy",
    request_body = CourseChangesBody, params(("id" = i64, Path, description = "course id")),
    responses((status = 200, description = "the course as it is now", body = Course), WriteErrors))]
async fn update_course(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<CourseChangesBody>,
) -> AppResult<Json<Course>> {
    Ok(Json(ops::update_course(&s, &c, id, &b).await?))
}

/// A new session and what its QR code holds.
#[derive(Serialize, utoipa::ToSchema)]
struct SessionCreated {
    session: Session,
    /// What the check-in QR code holds (staff only).
    checkin_token: String,
}

/// Adds an offline session to a course (staff over its union).
#[utoipa::path(post, path = "/api/v1/courses/{id}/sessions", operation_id = "create_session", tag = "academy",
    request_body = NewSessionInput, params(("id" = i64, Path, description = "course id")),
    responses((status = 201, description = "the session", body = SessionCreated), WriteErrors))]
async fn create_session(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<NewSessionInput>,
) -> AppResult<(StatusCode, Json<SessionCreated>)> {
    let session = ops::create_session(&s, &c, id, &b).await?;
    let checkin_token = session.checkin_token.clone();
    Ok((
        StatusCode::CREATED,
        Json(SessionCreated {
            session,
            checkin_token,
        }),
    ))
}

/// A member's rating and comment of a course.
#[derive(Deserialize, utoipa::ToSchema)]
struct FeedbackBody {
    #[serde(default)]
    #[schema(required = true, nullable = false, minimum = 1, maximum = 5)]
    rating: Option<i64>,
    #[serde(default)]
    #[schema(nullable = false, max_length = 1000)]
    comment: Option<String>,
}

/// A member's feedback as stored, and what its first time paid.
#[derive(Serialize, utoipa::ToSchema)]
struct FeedbackSaved {
    course_id: i64,
    rating: i64,
    comment: String,
    points_awarded: i64,
}

/// The member's rating and comment (one per course, editable); the first pays
/// the union's `feedback` rule once.
#[utoipa::path(put, path = "/api/v1/courses/{id}/feedback", operation_id = "put_course_feedback", tag = "academy",
    request_body = FeedbackBody, params(("id" = i64, Path, description = "course id")),
    responses((status = 201, description = "rated", body = FeedbackSaved), (status = 200, description = "changed", body = FeedbackSaved), WriteErrors))]
async fn put_feedback(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<FeedbackBody>,
) -> AppResult<(StatusCode, Json<FeedbackSaved>)> {
    let rating = b.rating.unwrap_or(0);
    let comment = b.comment.unwrap_or_default();
    let (new, points) = ops::feedback_for(&s, &c, id, rating, &comment).await?;
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(FeedbackSaved {
            course_id: id,
            rating,
            comment: comment.trim().to_string(),
            points_awarded: points,
        }),
    ))
}

/// A course's ratings and comments (staff).
#[derive(Serialize, utoipa::ToSchema)]
struct FeedbackPage {
    rating: Rating,
    #[serde(flatten)]
    page: Page<Feedback>,
}

#[utoipa::path(get, path = "/api/v1/courses/{id}/feedback", operation_id = "list_course_feedback", tag = "academy",
    params(("id" = i64, Path, description = "course id")),
    responses((status = 200, description = "the feedback", body = FeedbackPage), ReadErrors))]
async fn list_feedback(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<Json<FeedbackPage>> {
    let items = ops::feedback(&s, &c, id).await?;
    Ok(Json(FeedbackPage {
        rating: ops::rating(&items),
        page: Page::all(items),
    }))
}

/// Where an enrolment stands.
#[derive(Serialize, utoipa::ToSchema)]
struct Enrolled {
    session_id: i64,
    /// enrolled or waiting.
    state: String,
    /// Place on the waiting list (0 when enrolled).
    position: i64,
}

/// Enrols the caller's member record (a place, or the waiting list).
#[utoipa::path(post, path = "/api/v1/sessions/{id}/enrol", operation_id = "enrol_session", tag = "academy",
    params(("id" = i64, Path, description = "session id")),
    responses((status = 201, description = "enrolled or waiting", body = Enrolled), WriteErrors))]
async fn enrol(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<(StatusCode, Json<Enrolled>)> {
    let (state, position) = ops::enrol_for(&s, &c, id).await?;
    Ok((
        StatusCode::CREATED,
        Json(Enrolled {
            session_id: id,
            state,
            position,
        }),
    ))
}

/// A cancelled place, and who moved up from the waiting list.
#[derive(Serialize, utoipa::ToSchema)]
struct Cancelled {
    session_id: i64,
    /// Always `cancelled`.
    state: &'static str,
    promoted_member_id: Option<i64>,
}

#[utoipa::path(post, path = "/api/v1/sessions/{id}/cancel", operation_id = "cancel_enrolment", tag = "academy",
    params(("id" = i64, Path, description = "session id")),
    responses((status = 200, description = "cancelled", body = Cancelled), WriteErrors))]
async fn cancel(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<Json<Cancelled>> {
    let promoted = ops::cancel_for(&s, &c, id).await?;
    Ok(Json(Cancelled {
        session_id: id,
        state: "cancelled",
        promoted_member_id: promoted,
    }))
}

/// The token of the session's QR code.
#[derive(Deserialize, utoipa::ToSchema)]
struct CheckinBody {
    #[serde(default)]
    #[schema(required = true, nullable = false, max_length = 100)]
    token: Option<String>,
}

/// A check-in, and what it paid.
#[derive(Serialize, utoipa::ToSchema)]
struct CheckedIn {
    session_id: i64,
    /// Always `attended`.
    state: &'static str,
    first_check_in: bool,
    points_awarded: i64,
}

/// Checks in by the session's QR code, in its window, as an enrolled member;
/// attending completes the course, which pays `course_completed` once.
#[utoipa::path(post, path = "/api/v1/sessions/{id}/checkin", operation_id = "check_in", tag = "academy",
    request_body = CheckinBody, params(("id" = i64, Path, description = "session id")),
    responses((status = 200, description = "present", body = CheckedIn), WriteErrors))]
async fn checkin(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<CheckinBody>,
) -> AppResult<Json<CheckedIn>> {
    let (first, points) = ops::checkin_for(&s, &c, id, b.token.as_deref().unwrap_or("")).await?;
    Ok(Json(CheckedIn {
        session_id: id,
        state: "attended",
        first_check_in: first,
        points_awarded: points,
    }))
}

/// A session's roster (staff); its QR code for staff who run it.
#[utoipa::path(get, path = "/api/v1/sessions/{id}/roster", operation_id = "session_roster", tag = "academy",
    params(("id" = i64, Path, description = "session id")),
    responses((status = 200, description = "the roster", body = Roster), ReadErrors))]
async fn roster(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<Json<Roster>> {
    Ok(Json(ops::roster(&s, &c, id).await?))
}

/// A replay for a course (staff): a link and its length, or no link and the
/// video uploaded next.
#[utoipa::path(post, path = "/api/v1/courses/{id}/lessons", operation_id = "create_lesson", tag = "academy",
    request_body = NewLesson, params(("id" = i64, Path, description = "course id")),
    responses((status = 201, description = "the lesson", body = Lesson), WriteErrors))]
async fn create_lesson(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<NewLesson>,
) -> AppResult<(StatusCode, Json<Lesson>)> {
    Ok((
        StatusCode::CREATED,
        Json(ops::create_lesson(&s, &c, id, &b).await?),
    ))
}

/// A course's lessons, and for a member how much of each is watched.
#[utoipa::path(get, path = "/api/v1/courses/{id}/lessons", operation_id = "list_lessons", tag = "academy",
    params(("id" = i64, Path, description = "course id")),
    responses((status = 200, description = "the lessons", body = Page<LessonView>), ReadErrors))]
async fn list_lessons(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<Json<Page<LessonView>>> {
    Ok(Json(Page::all(ops::lessons(&s, &c, id).await?)))
}

/// Where the member's player is.
#[derive(Deserialize, utoipa::ToSchema)]
struct ProgressBody {
    #[serde(default)]
    #[schema(required = true, nullable = false, minimum = 0, maximum = 43200000)]
    position_ms: Option<i64>,
}

/// The member's player reports its position; the server credits watch time no
/// faster than the clock, and watching every lesson far enough completes the course.
#[utoipa::path(post, path = "/api/v1/lessons/{id}/progress", operation_id = "report_progress", tag = "academy",
    request_body = ProgressBody, params(("id" = i64, Path, description = "lesson id")),
    responses((status = 200, description = "what was credited", body = Watched), WriteErrors))]
async fn progress(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<ProgressBody>,
) -> AppResult<Json<Watched>> {
    let position = b
        .position_ms
        .ok_or_else(|| AppError::invalid("position_ms", "请报告播放位置 position_ms（毫秒）"))?;
    Ok(Json(ops::watch(&s, &c, id, position).await?))
}

/// The video file as the body, with its Content-Type (video/mp4, video/webm,
/// video/ogg); replaces the lesson's link (staff).
#[utoipa::path(put, path = "/api/v1/lessons/{id}/video", operation_id = "upload_lesson_video", tag = "academy",
    request_body(content(("video/mp4"), ("video/webm"), ("video/ogg"))),
    params(("id" = i64, Path, description = "lesson id")),
    responses((status = 200, description = "the lesson with its video", body = Lesson), WriteErrors))]
async fn upload_video(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Body,
) -> AppResult<Json<Lesson>> {
    let (lesson, course) = writable(&s, &c, id).await?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let ext = video_extension(content_type).map_err(|m| AppError::invalid("content_type", m))?;
    let mut upload = s.files()?.create("lessons", ext).await?;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| too_large_or_invalid(&e.to_string()))?;
        upload.write(&chunk).await?;
    }
    attach(&s, &c, &lesson, &course, upload).await?;
    Ok(Json(super::store::lesson(&s.db, id).await?))
}

/// A campus: a main academy at a federation union, or a branch at an enterprise union.
#[derive(Deserialize, utoipa::ToSchema)]
struct AcademyBody {
    #[serde(default)]
    #[schema(required = true, nullable = false)]
    org_id: Option<i64>,
    #[serde(default)]
    #[schema(
        required = true,
        nullable = false,
        min_length = 1,
        max_length = 100,
        pattern = r"\S"
    )]
    name: Option<String>,
    /// main (总院) or branch (分院).
    #[serde(default)]
    #[schema(required = true, nullable = false, pattern = "^(main|branch)$")]
    kind: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/academies", operation_id = "create_academy", tag = "academy",
    request_body = AcademyBody, responses((status = 201, description = "the campus", body = Academy), WriteErrors))]
async fn create_academy(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(b): ApiJson<AcademyBody>,
) -> AppResult<(StatusCode, Json<Academy>)> {
    let org_id = b
        .org_id
        .ok_or_else(|| AppError::invalid("org_id", "请指定设立学院的工会 org_id"))?;
    let id = ops::create_academy_for(
        &s,
        &c,
        org_id,
        b.name.as_deref().unwrap_or(""),
        b.kind.as_deref().unwrap_or(""),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(ops::visible_academy(&s, &c, id).await?.0),
    ))
}

#[utoipa::path(get, path = "/api/v1/academies", operation_id = "list_academies", tag = "academy",
    responses((status = 200, description = "the campuses", body = Page<Academy>), ReadErrors))]
async fn list_academies(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
) -> AppResult<Json<Page<Academy>>> {
    Ok(Json(Page::all(ops::academies(&s, &c).await?)))
}

#[utoipa::path(get, path = "/api/v1/academies/{id}", operation_id = "get_academy", tag = "academy",
    params(("id" = i64, Path, description = "campus id")),
    responses((status = 200, description = "the campus and its staff", body = Academy), ReadErrors))]
async fn show_academy(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<Json<Academy>> {
    Ok(Json(ops::visible_academy(&s, &c, id).await?.0))
}

/// A member of the campus's own roster, and their post there.
#[derive(Deserialize, utoipa::ToSchema)]
struct StaffBody {
    #[serde(default)]
    #[schema(required = true, nullable = false)]
    member_id: Option<i64>,
    /// e.g. 院长, 教务, 授课老师.
    #[serde(default)]
    #[schema(
        required = true,
        nullable = false,
        min_length = 1,
        max_length = 20,
        pattern = r"\S"
    )]
    role: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/academies/{id}/staff", operation_id = "add_academy_staff", tag = "academy",
    request_body = StaffBody, params(("id" = i64, Path, description = "campus id")),
    responses((status = 201, description = "the campus and its staff", body = Academy), WriteErrors))]
async fn add_staff(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<StaffBody>,
) -> AppResult<(StatusCode, Json<Academy>)> {
    let mid = b
        .member_id
        .ok_or_else(|| AppError::invalid("member_id", "请指定会员 member_id"))?;
    ops::add_staff_for(&s, &c, id, mid, b.role.as_deref().unwrap_or("")).await?;
    Ok((
        StatusCode::CREATED,
        Json(ops::visible_academy(&s, &c, id).await?.0),
    ))
}

/// A worker's feedback to the academy of their union.
#[derive(Deserialize, utoipa::ToSchema)]
struct SendBody {
    #[serde(default)]
    #[schema(
        required = true,
        nullable = false,
        min_length = 1,
        max_length = 1000,
        pattern = r"\S"
    )]
    body: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/academy/messages", operation_id = "send_academy_message", tag = "academy",
    request_body = SendBody, responses((status = 201, description = "sent", body = Message), WriteErrors))]
async fn send_message(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(b): ApiJson<SendBody>,
) -> AppResult<(StatusCode, Json<Message>)> {
    let m = ops::messages::send_for(&s, &c, b.body.as_deref().unwrap_or("")).await?;
    Ok((StatusCode::CREATED, Json(ops::messages::for_member(m))))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct MessagesQuery {
    /// Staff: only this union's subtree.
    org_id: Option<i64>,
    /// `true`: only those not yet answered.
    #[param(value_type = Option<bool>)]
    unanswered: Option<String>,
    #[param(minimum = 1)]
    page: Option<i64>,
    #[param(minimum = 1, maximum = 200)]
    per_page: Option<i64>,
}

/// Staff see their roster subtree's messages, unanswered first; a member its own.
#[utoipa::path(get, path = "/api/v1/academy/messages", operation_id = "list_academy_messages", tag = "academy", params(MessagesQuery),
    responses((status = 200, description = "one page of messages", body = Page<Message>), ReadErrors))]
async fn list_messages(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<MessagesQuery>,
) -> AppResult<Json<Page<Message>>> {
    let unanswered = ops::messages::flag(q.unanswered.as_deref(), "unanswered")?;
    let paging = Paging::new(q.page, q.per_page);
    let (items, total) = ops::messages::list(&s, &c, q.org_id, unanswered, paging).await?;
    Ok(Json(Page::of(items, total, paging)))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct AnswerBody {
    #[serde(default)]
    #[schema(
        required = true,
        nullable = false,
        min_length = 1,
        max_length = 1000,
        pattern = r"\S"
    )]
    answer: Option<String>,
}

/// Answers a message (staff); answering again replaces the answer.
#[utoipa::path(post, path = "/api/v1/academy/messages/{id}/answer", operation_id = "answer_academy_message", tag = "academy",
    request_body = AnswerBody, params(("id" = i64, Path, description = "message id")),
    responses((status = 200, description = "the message with its answer", body = Answered), WriteErrors))]
async fn answer_message(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<AnswerBody>,
) -> AppResult<Json<Answered>> {
    let (message, replaced) =
        ops::messages::answer_for(&s, &c, id, b.answer.as_deref().unwrap_or("")).await?;
    Ok(Json(Answered { message, replaced }))
}

/// The answered message, and whether the answer replaced an earlier one.
#[derive(Serialize, utoipa::ToSchema)]
struct Answered {
    #[serde(flatten)]
    message: Message,
    replaced: bool,
}

#[derive(Deserialize, utoipa::ToSchema)]
struct CategoryBody {
    #[serde(default)]
    #[schema(required = true, nullable = false)]
    org_id: Option<i64>,
    #[serde(default)]
    #[schema(
        required = true,
        nullable = false,
        min_length = 1,
        max_length = 20,
        // One line with something besides spaces (as the rules take it).
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    name: Option<String>,
}

/// Adds a course category at a union (admin), offered to its subtree's courses.
#[utoipa::path(post, path = "/api/v1/academy/categories", operation_id = "create_course_category", tag = "academy",
    request_body = CategoryBody, responses((status = 201, description = "added", body = Category), WriteErrors))]
async fn create_category(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(b): ApiJson<CategoryBody>,
) -> AppResult<(StatusCode, Json<Category>)> {
    let cat =
        ops::categories::create_for(&s, &c, b.org_id, b.name.as_deref().unwrap_or("")).await?;
    Ok((StatusCode::CREATED, Json(cat)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct CategoriesQuery {
    /// The union (default: the caller's own).
    org_id: Option<i64>,
}

/// The categories a union's courses may have, and the union.
#[derive(Serialize, utoipa::ToSchema)]
struct CategoryPage {
    org_id: i64,
    #[serde(flatten)]
    page: Page<Category>,
}

/// The built-ins, then those added at the union and above.
#[utoipa::path(get, path = "/api/v1/academy/categories", operation_id = "list_course_categories", tag = "academy", params(CategoriesQuery),
    responses((status = 200, description = "the categories", body = CategoryPage), ReadErrors))]
async fn list_categories(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<CategoriesQuery>,
) -> AppResult<Json<CategoryPage>> {
    let (org_id, items) = ops::categories::offered(&s, &c, q.org_id).await?;
    Ok(Json(CategoryPage {
        org_id,
        page: Page::all(items),
    }))
}

/// The sessions a union's subtree held in a period, newest first (the dashboard's 本年培训场次).
#[utoipa::path(get, path = "/api/v1/sessions", operation_id = "list_delivered_sessions", tag = "academy",
    params(ops::delivered::DeliveredQuery),
    responses((status = 200, description = "one page of the sessions", body = Page<super::store::delivered::DeliveredSession>), ReadErrors))]
async fn list_delivered_sessions(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<ops::delivered::DeliveredQuery>,
) -> AppResult<Json<Page<super::store::delivered::DeliveredSession>>> {
    Ok(Json(ops::delivered::sessions(&s, &c, &q).await?.1))
}

/// Who checked in at the sessions a union's subtree held in a period (the dashboard's 本年培训人次).
#[utoipa::path(get, path = "/api/v1/attendances", operation_id = "list_attendances", tag = "academy",
    params(ops::delivered::DeliveredQuery),
    responses((status = 200, description = "one page of the check-ins", body = Page<super::store::delivered::Attendance>), ReadErrors))]
async fn list_attendance(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<ops::delivered::DeliveredQuery>,
) -> AppResult<Json<Page<super::store::delivered::Attendance>>> {
    Ok(Json(ops::delivered::attendance(&s, &c, &q).await?.1))
}

/// The different members who checked in at the sessions a union's subtree
/// held in a period, the latest trained first (the dashboard's 本年参训人数).
#[utoipa::path(get, path = "/api/v1/trainees", operation_id = "list_trainees", tag = "academy",
    params(ops::delivered::DeliveredQuery),
    responses((status = 200, description = "one page of the people trained", body = Page<super::store::delivered::Trainee>), ReadErrors))]
async fn list_trainees(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<ops::delivered::DeliveredQuery>,
) -> AppResult<Json<Page<super::store::delivered::Trainee>>> {
    Ok(Json(ops::delivered::trainees(&s, &c, &q).await?.1))
}

/// Completions of the courses a union's subtree offers, in a period, newest
/// first (the dashboard's 本年完成课程): each member once per course, when
/// they checked in at a session or had watched every lesson.
#[utoipa::path(get, path = "/api/v1/completions", operation_id = "list_completions", tag = "academy",
    params(ops::delivered::DeliveredQuery),
    responses((status = 200, description = "one page of the completions", body = Page<super::store::delivered::Completion>), ReadErrors))]
async fn list_completions(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<ops::delivered::DeliveredQuery>,
) -> AppResult<Json<Page<super::store::delivered::Completion>>> {
    Ok(Json(ops::delivered::completions(&s, &c, &q).await?.1))
}
