//! What can be done in the academy, for the API, the console and the phone
//! pages alike: who may see a course (staff over its union, or a member of it
//! or of a union below), courses and their changes, sessions and their
//! enrolment (the enrolment engine), check-in and what it pays (in one
//! transaction), feedback, replays and watch time, campuses and their staff.

pub mod categories;
pub mod delivered;
pub mod lessons;
pub mod messages;

use crate::academy::store::{self, NewSession};
use crate::academy::SESSION;
use crate::audit::Actor;
use crate::auth::{checks, Caller, Right, Scope};
use crate::fields::Errors;
use crate::state::AppState;
use crate::web::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};

/// A course the caller sees: of the caller's subtrees, or offered to its
/// member's union (404 otherwise), with what the caller is to it.
pub async fn visible_course(
    s: &AppState,
    c: &Caller,
    id: i64,
) -> AppResult<(store::Course, Viewer)> {
    let member_path = match c.member_id {
        Some(_) => checks::own_member(s, c).await.ok().map(|m| m.org_path),
        None => None,
    };
    let scope =
        Scope::new(c.scope(Right::Read).paths, None).with_offered_to(member_path.as_deref());
    let course = store::course_in(&s.db, &scope, id).await?;
    let viewer = view(s, c, &course).await?;
    Ok((course, viewer))
}

/// A course the caller may change (404 out of sight, 403 read-only).
pub async fn writable_course(s: &AppState, c: &Caller, id: i64) -> AppResult<store::Course> {
    match visible_course(s, c, id).await? {
        (course, Viewer::Staff { can_write: true }) => Ok(course),
        _ => Err(AppError::forbidden()),
    }
}

/// Who may see a course: staff over its union, or a member of the union or one below it.
pub enum Viewer {
    Staff { can_write: bool },
    Member,
}

pub async fn view(s: &AppState, c: &Caller, course: &store::Course) -> AppResult<Viewer> {
    if c.holds_at(Right::Read, &course.org_path) {
        return Ok(Viewer::Staff {
            can_write: c.holds_at(Right::Roster, &course.org_path),
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
pub async fn as_member(
    s: &AppState,
    c: &Caller,
    course: &store::Course,
) -> AppResult<crate::member::store::Member> {
    let Some(mid) = c.member_id else {
        // Staff who see the course are told why; to others it does not exist.
        visible_course(s, c, course.id).await?;
        return Err(AppError::Forbidden("报名、签到和评价需用会员账号".into()));
    };
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

/// A course's teacher is a member the caller can see.
async fn teacher_in_scope(s: &AppState, c: &Caller, member_id: i64) -> Result<(), String> {
    crate::member::store::get(&s.db, &s.keys, &c.scope(Right::Read), member_id)
        .await
        .map(|_| ())
        .map_err(|_| "授课老师须是您管辖范围内的会员".to_string())
}

/// Changes to a course; what is left out stays as it is.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[schema(as = CourseChanges)]
pub struct CourseChangesBody {
    #[schema(nullable = false, min_length = 1, max_length = 100)]
    pub title: Option<String>,
    /// A built-in category or one added at the course's union or above.
    #[schema(nullable = false)]
    pub category: Option<String>,
    /// A member of the caller's subtree; `0` clears the teacher.
    #[schema(nullable = false)]
    pub teacher_member_id: Option<i64>,
    #[schema(nullable = false)]
    pub description: Option<String>,
    /// The share of a lesson a member must watch for it to count.
    #[schema(nullable = false, minimum = 10, maximum = 100)]
    pub watch_percent: Option<i64>,
}

/// Checks the changes to a course (what is left out stays as it is).
pub async fn check_changes(
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
                crate::academy::store::categories::check(&s.db, course.org_id, &cat).await?,
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
            .take("description", crate::academy::rules::parse_description(d))
            .unwrap_or_default(),
        None => course.description.clone(),
    };
    let watch_percent = match b.watch_percent {
        Some(p) => e.take(
            "watch_percent",
            crate::academy::rules::parse_watch_percent(p),
        ),
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

/// A course's average rating (one decimal) and how many rated it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Rating {
    pub average: f64,
    pub count: usize,
}

pub fn rating(feedback: &[store::Feedback]) -> Rating {
    let n = feedback.len() as f64;
    let avg = if n > 0.0 {
        feedback.iter().map(|f| f.rating as f64).sum::<f64>() / n
    } else {
        0.0
    };
    Rating {
        average: (avg * 10.0).round() / 10.0,
        count: feedback.len(),
    }
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

/// Cancels the caller's place; returns who moved up from the waiting list.
pub async fn cancel_for(s: &AppState, c: &Caller, id: i64) -> AppResult<Option<i64>> {
    let (_, course) = session_course(s, id).await?;
    let m = as_member(s, c, &course).await?;
    crate::enrolment::store::cancel(&s.db, &Actor::of(c), SESSION, id, m.id).await
}

/// The points-rule codes the academy pays by (named in the points-rule form
/// through the list of programs).
pub const COURSE_COMPLETED: &str = "course_completed";
pub const FEEDBACK: &str = "feedback";

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
    store::record_completion(&mut *tx, course.id, m.id, store::CompletedVia::Session).await?;
    let points = crate::points::store::pay_rule_in(
        &mut tx,
        &actor,
        &m,
        COURSE_COMPLETED,
        &format!("course:{}", course.id),
    )
    .await?;
    tx.commit().await?;
    Ok((first, points))
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
        e.add("rating", "请选择星级（1–5 星）");
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
        FEEDBACK,
        &format!("feedback:{}", course.id),
    )
    .await?;
    Ok((new, points))
}

/// Credits a member's player report for a lesson and completes the course
/// when every lesson is watched far enough (the API and the phone player).
/// What the server credited of a player's report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Watched {
    pub lesson_id: i64,
    /// Credited watch time (never faster than the clock).
    pub watched_ms: i64,
    pub position_ms: i64,
    pub duration_ms: i64,
    /// Every lesson of the course watched far enough.
    pub course_completed: bool,
    /// Paid by this report.
    pub points_awarded: i64,
    /// What completing the course has paid in all (by this report or an earlier one).
    pub course_points: i64,
}

pub async fn watch(s: &AppState, c: &Caller, id: i64, position: i64) -> AppResult<Watched> {
    let lesson = store::lesson(&s.db, id).await?;
    let course = store::course(&s.db, lesson.course_id).await?;
    let m = as_member(s, c, &course).await?;
    let p = store::report_progress(&s.db, &lesson, m.id, position).await?;
    let (mut points, mut course_points) = (0, 0);
    let done = store::watched_all(&s.db, course.id, m.id).await?;
    if done {
        let event = format!("course:{}", course.id);
        // The completion and what it pays commit together, as at a check-in.
        let mut tx = s.db.begin().await?;
        store::record_completion(&mut *tx, course.id, m.id, store::CompletedVia::Online).await?;
        points =
            crate::points::store::pay_rule_in(&mut tx, &Actor::of(c), &m, COURSE_COMPLETED, &event)
                .await?;
        tx.commit().await?;
        course_points =
            crate::points::store::paid_by_rule(&s.db, COURSE_COMPLETED, m.id, &event).await?;
    }
    Ok(Watched {
        lesson_id: id,
        watched_ms: p.watched_ms,
        position_ms: p.position_ms,
        duration_ms: lesson.duration_ms,
        course_completed: done,
        points_awarded: points,
        course_points,
    })
}

/// A campus at a union the caller may change (the API and the console).
pub async fn create_academy_for(
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
    e.take(
        "kind",
        crate::academy::rules::check_campus(&kind, &org.kind),
    );
    e.finish()?;
    store::create_academy(&s.db, &Actor::of(c), &org, &name.unwrap_or_default(), &kind).await
}

pub async fn visible_academy(
    s: &AppState,
    c: &Caller,
    id: i64,
) -> AppResult<(store::Academy, String)> {
    store::academy(&s.db, &c.scope(Right::Read), id).await
}

/// Adds a member of the campus's own roster to its staff (the API and the console).
pub async fn add_staff_for(
    s: &AppState,
    c: &Caller,
    id: i64,
    member_id: i64,
    role: &str,
) -> AppResult<()> {
    let (a, path) = visible_academy(s, c, id).await?;
    c.access(Right::Roster).check(&path, "学院")?;
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

/// A new course at a union (`POST /api/v1/courses`).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct NewCourse {
    /// The union that runs it (roster right there).
    #[serde(default)]
    #[schema(required = true, nullable = false)]
    pub org_id: Option<i64>,
    #[serde(default)]
    #[schema(
        required = true,
        nullable = false,
        min_length = 1,
        max_length = 100,
        pattern = r"\S"
    )]
    pub title: Option<String>,
    /// 职业技能, 办公技能, 文化艺术, 思想政治, or one the union (or one above) added.
    #[serde(default)]
    #[schema(
        required = true,
        nullable = false,
        min_length = 1,
        max_length = 20,
        example = "职业技能"
    )]
    pub category: Option<String>,
    /// A member the caller sees.
    #[serde(default)]
    #[schema(nullable = false)]
    pub teacher_member_id: Option<i64>,
    #[serde(default)]
    #[schema(nullable = false, max_length = 2000)]
    pub description: Option<String>,
}

pub async fn create_course(s: &AppState, c: &Caller, b: &NewCourse) -> AppResult<store::Course> {
    let org_id = b
        .org_id
        .ok_or_else(|| AppError::invalid("org_id", "请指定开课的工会 org_id"))?;
    crate::org::store::writable(&s.db, &c.access(Right::Roster), org_id).await?;
    let mut e = Errors::default();
    let title = e.take(
        "title",
        crate::org::rules::parse_name(b.title.as_deref().unwrap_or("")),
    );
    let category = b.category.as_deref().unwrap_or("").trim().to_string();
    e.take(
        "category",
        crate::academy::store::categories::check(&s.db, org_id, &category).await?,
    );
    if let Some(t) = b.teacher_member_id {
        e.take("teacher_member_id", teacher_in_scope(s, c, t).await);
    }
    let description = e
        .take(
            "description",
            crate::academy::rules::parse_description(b.description.as_deref().unwrap_or("")),
        )
        .unwrap_or_default();
    e.finish()?;
    let id = store::create_course(
        &s.db,
        &Actor::of(c),
        org_id,
        &title.unwrap_or_default(),
        &category,
        b.teacher_member_id,
        &description,
    )
    .await?;
    store::course(&s.db, id).await
}

pub async fn update_course(
    s: &AppState,
    c: &Caller,
    id: i64,
    b: &CourseChangesBody,
) -> AppResult<store::Course> {
    let course = writable_course(s, c, id).await?;
    let changes = check_changes(s, c, &course, b).await?;
    store::update_course(&s.db, &Actor::of(c), &course, &changes).await
}

/// The courses the caller sees: staff their subtrees'; a member those of its
/// union and of the unions above.
pub async fn courses(
    s: &AppState,
    c: &Caller,
    org_id: Option<i64>,
) -> AppResult<Vec<store::Course>> {
    if c.can(Right::Read) {
        let scope = checks::list_scope(s, c, org_id).await?;
        store::courses_in(&s.db, &scope).await
    } else {
        let m = checks::own_member(s, c).await?;
        store::courses_on_path(&s.db, &m.org_path).await
    }
}

/// A course with its sessions and rating.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CourseView {
    pub course: store::Course,
    pub sessions: Vec<store::Session>,
    pub rating: Rating,
}

pub async fn course_view(s: &AppState, c: &Caller, id: i64) -> AppResult<CourseView> {
    let (course, _) = visible_course(s, c, id).await?;
    let sessions = store::sessions(&s.db, id).await?;
    let feedback = store::feedback(&s.db, id).await?;
    Ok(CourseView {
        course,
        sessions,
        rating: rating(&feedback),
    })
}

/// A session of a course (`POST /api/v1/courses/{id}/sessions`).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct NewSessionInput {
    #[serde(default)]
    #[schema(
        required = true,
        nullable = false,
        min_length = 1,
        max_length = 100,
        pattern = r"\S"
    )]
    pub place: Option<String>,
    /// Epoch milliseconds, between 2000 and 2100.
    #[serde(default)]
    #[schema(
        required = true,
        nullable = false,
        minimum = 946_684_800_000_i64,
        maximum = 4_102_444_800_000_i64
    )]
    pub starts_at: Option<i64>,
    /// Epoch milliseconds, after `starts_at`, before 2100.
    #[serde(default)]
    #[schema(
        required = true,
        nullable = false,
        minimum = 946_684_800_000_i64,
        maximum = 4_102_444_800_000_i64
    )]
    pub ends_at: Option<i64>,
    #[serde(default)]
    #[schema(required = true, nullable = false, minimum = 1, maximum = 10000)]
    pub capacity: Option<i64>,
    /// A centralised training (集中培训): counts for the talent pools' yearly training.
    #[serde(default)]
    #[schema(nullable = false)]
    pub centralised: Option<bool>,
}

/// Creates a session of a course the caller may change; its fields checked by
/// `rules::check_session` (the console's form checks the same).
pub async fn create_session(
    s: &AppState,
    c: &Caller,
    course_id: i64,
    b: &NewSessionInput,
) -> AppResult<store::Session> {
    let course = writable_course(s, c, course_id).await?;
    let place = crate::academy::rules::check_session(
        b.place.as_deref().unwrap_or(""),
        b.starts_at,
        b.ends_at,
        b.capacity,
    )?;
    let ns = NewSession {
        place: &place,
        starts_at: b.starts_at.unwrap_or(0),
        ends_at: b.ends_at.unwrap_or(0),
        capacity: b.capacity.unwrap_or(1),
        centralised: b.centralised.unwrap_or(false),
    };
    let sid = store::create_session(&s.db, &Actor::of(c), &course, &ns).await?;
    store::session(&s.db, sid).await
}

/// A session's roster, and its check-in (for staff who run the session).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Roster {
    pub session: store::Session,
    pub items: Vec<crate::enrolment::store::Enrolment>,
    pub total: usize,
    /// What the session's QR code holds: for staff who may change the course.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkin_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkin_url: Option<String>,
}

pub async fn roster(s: &AppState, c: &Caller, id: i64) -> AppResult<Roster> {
    let session = store::session(&s.db, id).await?;
    let (_, viewer) = visible_course(s, c, session.course_id).await?;
    let can_write = match viewer {
        Viewer::Staff { can_write } => can_write,
        Viewer::Member => return Err(AppError::forbidden()),
    };
    let items = crate::enrolment::store::roster(&s.db, SESSION, id).await?;
    let (token, url) = if can_write {
        (
            Some(session.checkin_token.clone()),
            Some(format!("/m/checkin/{id}?token={}", session.checkin_token)),
        )
    } else {
        (None, None)
    };
    Ok(Roster {
        total: items.len(),
        session,
        items,
        checkin_token: token,
        checkin_url: url,
    })
}

/// A course's feedback (staff).
pub async fn feedback(s: &AppState, c: &Caller, id: i64) -> AppResult<Vec<store::Feedback>> {
    match visible_course(s, c, id).await? {
        (_, Viewer::Staff { .. }) => store::feedback(&s.db, id).await,
        (_, Viewer::Member) => Err(AppError::forbidden()),
    }
}

/// A replay for a course (`POST /api/v1/courses/{id}/lessons`): a link and its
/// length, or no link (the video is uploaded next: `PUT /api/v1/lessons/{id}/video`).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct NewLesson {
    #[serde(default)]
    #[schema(
        required = true,
        nullable = false,
        min_length = 1,
        max_length = 100,
        pattern = r"\S"
    )]
    pub title: Option<String>,
    /// An http(s) link without spaces, at most 500 characters; "" for an upload.
    #[serde(default)]
    #[schema(nullable = false, max_length = 500, pattern = r"^(https?://[^\s]+)?$")]
    pub video_url: Option<String>,
    /// 1 second to 12 hours.
    #[serde(default)]
    #[schema(required = true, nullable = false, minimum = 1000, maximum = 43200000)]
    pub duration_ms: Option<i64>,
}

pub async fn create_lesson(
    s: &AppState,
    c: &Caller,
    course_id: i64,
    b: &NewLesson,
) -> AppResult<store::Lesson> {
    let course = writable_course(s, c, course_id).await?;
    let mut e = Errors::default();
    let title = e.take(
        "title",
        crate::org::rules::parse_name(b.title.as_deref().unwrap_or("")),
    );
    let url = e
        .take(
            "video_url",
            crate::academy::rules::parse_video_url(b.video_url.as_deref().unwrap_or("")),
        )
        .unwrap_or_default();
    let duration = e
        .take(
            "duration_ms",
            crate::academy::rules::check_duration_ms(b.duration_ms.unwrap_or(0)),
        )
        .unwrap_or(0);
    e.finish()?;
    store::create_lesson(
        &s.db,
        &Actor::of(c),
        &course,
        &title.unwrap_or_default(),
        &url,
        duration,
    )
    .await
}

/// A lesson and how much of it the caller (a member) has watched.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LessonView {
    pub lesson: store::Lesson,
    pub watched_ms: i64,
}

pub async fn lessons(s: &AppState, c: &Caller, course_id: i64) -> AppResult<Vec<LessonView>> {
    let (_, viewer) = visible_course(s, c, course_id).await?;
    let mut items = vec![];
    for l in store::lessons(&s.db, course_id).await? {
        let watched = match (&viewer, c.member_id) {
            (Viewer::Member, Some(m)) => store::progress(&s.db, l.id, m)
                .await?
                .map(|p| p.watched_ms)
                .unwrap_or(0),
            _ => 0,
        };
        items.push(LessonView {
            lesson: l,
            watched_ms: watched,
        });
    }
    Ok(items)
}

pub async fn academies(s: &AppState, c: &Caller) -> AppResult<Vec<store::Academy>> {
    store::academies(&s.db, &c.scope(Right::Read)).await
}

/// The academy on the dashboard: how many courses the unions of each
/// subtree hold, and this year's sessions and check-ins.
pub async fn figures(
    s: &AppState,
    subtrees: &[crate::program::Subtree],
    period: &crate::program::Period,
) -> AppResult<Vec<Vec<crate::program::Figure>>> {
    let counts = store::count_courses_in(&s.db, &crate::program::scopes_of(subtrees)).await?;
    let delivered = delivered::figures(s, subtrees, period).await?;
    let courses = crate::program::one_each(subtrees, counts, |org, n| {
        crate::program::Figure::counting(
            "academy.courses",
            "课程",
            "门",
            n,
            &format!("/courses?org_id={org}"),
        )
        .with_page(format!("/academy?org_id={org}"))
    });
    Ok(courses
        .into_iter()
        .zip(delivered)
        .map(|(mut own, more)| {
            own.extend(more);
            own
        })
        .collect())
}
