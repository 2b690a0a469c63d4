//! SQL for courses, sessions and feedback.

pub mod categories;
pub mod delivered;
pub mod messages;

use crate::audit::{self, Actor, Event};
use crate::db::{now_ms, Db};
use crate::web::error::{AppError, AppResult};
use serde::Serialize;
use serde_json::json;
use sqlx::{FromRow, Row};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Course {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub title: String,
    pub category: String,
    pub teacher_member_id: Option<i64>,
    pub description: String,
    #[serde(skip)]
    #[schema(ignore)]
    pub org_path: String,
    /// The share (%) of each lesson to watch to complete the course online.
    pub watch_percent: i64,
    pub teacher_name: Option<String>,
    /// The teacher's skill level from the roster (their honours join it when
    /// the honours program records them).
    pub teacher_skill: Option<String>,
    /// The campus (main academy or branch) at the course's union, if any.
    pub academy_id: Option<i64>,
    pub academy_name: Option<String>,
}

const COURSE_COLS: &str =
    "c.id, c.org_id, o.name AS org_name, c.title, c.category, c.teacher_member_id, c.description, \
     o.path AS org_path, c.watch_percent, t.name AS teacher_name, t.skill_level AS teacher_skill, \
     c.academy_id, a.name AS academy_name";
const COURSE_FROM: &str = "courses c JOIN orgs o ON o.id = c.org_id \
     LEFT JOIN members t ON t.id = c.teacher_member_id LEFT JOIN academies a ON a.id = c.academy_id";

/// A course in the scope: of the scope's subtrees, or offered to the member's
/// union (`offered_to`: a course of that union or of a union above it).
pub async fn course_in(db: &Db, scope: &crate::auth::Scope, id: i64) -> AppResult<Course> {
    let mut sql = crate::db::sql::Sql::new("");
    let p = sql.int(id);
    let pred = scope.org_predicate(&mut sql, "o.path");
    sql.push(&format!(
        "SELECT {COURSE_COLS} FROM {COURSE_FROM} WHERE c.id = {p} AND {pred}"
    ));
    sql.query()
        .fetch_optional(&db.pool)
        .await?
        .map(|r| Course::from_row(&r))
        .transpose()?
        .ok_or_else(|| AppError::not_found("课程"))
}

/// A course, unscoped (callers inside the store, after their own scoped read).
pub async fn course(db: &Db, id: i64) -> AppResult<Course> {
    let row = sqlx::query(&format!(
        "SELECT {COURSE_COLS} FROM {COURSE_FROM} WHERE c.id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|r| Course::from_row(&r))
        .transpose()?
        .ok_or_else(|| AppError::not_found("课程"))
}

pub async fn create_course(
    db: &Db,
    actor: &Actor,
    org_id: i64,
    title: &str,
    category: &str,
    teacher: Option<i64>,
    description: &str,
) -> AppResult<i64> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query(
        "INSERT INTO courses (org_id, title, category, teacher_member_id, description, created_at, updated_at, academy_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $6, (SELECT id FROM academies WHERE org_id = $1)) RETURNING id",
    )
    .bind(org_id)
    .bind(title)
    .bind(category)
    .bind(teacher)
    .bind(description)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    audit::append(
        &mut tx,
        actor,
        Event::new("course.create", "course", id)
            .org(org_id)
            .detail(json!({ "title": title })),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// What staff may change on a course after creating it.
pub struct CourseChanges {
    pub title: String,
    pub category: String,
    pub teacher_member_id: Option<i64>,
    pub description: String,
    pub watch_percent: i64,
}

pub async fn update_course(
    db: &Db,
    actor: &Actor,
    course: &Course,
    ch: &CourseChanges,
) -> AppResult<Course> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE courses SET title = $1, category = $2, teacher_member_id = $3, description = $4, watch_percent = $5, updated_at = $6 WHERE id = $7",
    )
    .bind(&ch.title)
    .bind(&ch.category)
    .bind(ch.teacher_member_id)
    .bind(&ch.description)
    .bind(ch.watch_percent)
    .bind(now_ms())
    .bind(course.id)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Event::new("course.update", "course", course.id)
            .org(course.org_id)
            .detail(json!({ "title": ch.title, "category": ch.category, "teacher": ch.teacher_member_id, "watch_percent": ch.watch_percent })),
    )
    .await?;
    tx.commit().await?;
    self::course(db, course.id).await
}

/// Courses of the unions on a path (a member sees their union's and those above).
pub async fn courses_on_path(db: &Db, path: &str) -> AppResult<Vec<Course>> {
    let mut sql = crate::db::sql::Sql::new("");
    let prefixes: Vec<String> = crate::org::rules::ancestor_paths(path)
        .into_iter()
        .map(|p| sql.text(p))
        .collect();
    sql.push(&format!(
        "SELECT {COURSE_COLS} FROM {COURSE_FROM} WHERE o.path IN ({}) ORDER BY c.id DESC",
        prefixes.join(", ")
    ));
    Ok(sql
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(Course::from_row)
        .collect::<Result<_, _>>()?)
}

pub async fn courses_in(db: &Db, scope: &crate::auth::Scope) -> AppResult<Vec<Course>> {
    let mut sql = crate::db::sql::Sql::new("");
    let pred = scope.org_predicate(&mut sql, "o.path");
    sql.push(&format!(
        "SELECT {COURSE_COLS} FROM {COURSE_FROM} WHERE {pred} ORDER BY c.id DESC"
    ));
    Ok(sql
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(Course::from_row)
        .collect::<Result<_, _>>()?)
}

/// How many courses each scope's unions hold (the dashboard).
pub async fn count_courses_in(db: &Db, scopes: &[crate::auth::Scope]) -> AppResult<Vec<i64>> {
    // Kept per subtree by the triggers of migration 0021.
    let n = crate::org::subtree::totals(db, scopes, &["courses"]).await?;
    Ok(n.into_iter().map(|v| v[0]).collect())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Session {
    pub id: i64,
    pub course_id: i64,
    pub place: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub capacity: i64,
    #[sqlx(try_from = "crate::db::IntFlag")]
    pub centralised: bool,
    pub enrolled: i64,
    pub waiting: i64,
    #[serde(skip)]
    #[schema(ignore)]
    pub checkin_token: String,
}

const SESSION_COLS: &str = "s.id, s.course_id, s.place, s.starts_at, s.ends_at, s.capacity, s.centralised, s.checkin_token, \
     (SELECT COUNT(*) FROM enrolments e WHERE e.kind = 'course_session' AND e.target_id = s.id AND e.state IN ('enrolled', 'attended')) AS enrolled, \
     (SELECT COUNT(*) FROM enrolments e WHERE e.kind = 'course_session' AND e.target_id = s.id AND e.state = 'waiting') AS waiting";

pub async fn session(db: &Db, id: i64) -> AppResult<Session> {
    let row = sqlx::query(&format!(
        "SELECT {SESSION_COLS} FROM course_sessions s WHERE s.id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|r| Session::from_row(&r))
        .transpose()?
        // The same answer as a course out of reach: ids of sessions elsewhere are not disclosed.
        .ok_or_else(|| AppError::not_found("课程"))
}

pub async fn sessions(db: &Db, course_id: i64) -> AppResult<Vec<Session>> {
    let rows = sqlx::query(&format!(
        "SELECT {SESSION_COLS} FROM course_sessions s WHERE s.course_id = $1 ORDER BY s.starts_at"
    ))
    .bind(course_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .iter()
        .map(Session::from_row)
        .collect::<Result<_, _>>()?)
}

/// The member's state in each session they have a place or a wish for
/// (enrolled, waiting, attended, cancelled), by session id: one query for a page.
pub async fn member_states(
    db: &Db,
    member_id: i64,
) -> AppResult<std::collections::HashMap<i64, String>> {
    let rows = sqlx::query(
        "SELECT target_id, state FROM enrolments WHERE kind = 'course_session' AND member_id = $1",
    )
    .bind(member_id)
    .fetch_all(&db.pool)
    .await?;
    let mut out = std::collections::HashMap::new();
    for r in &rows {
        out.insert(r.try_get(0)?, r.try_get(1)?);
    }
    Ok(out)
}

/// A member's sessions starting in [from, to): each with its course's title
/// and the member's state there (enrolled, waiting, attended), by start.
pub async fn member_sessions_between(
    db: &Db,
    member_id: i64,
    from: i64,
    to: i64,
) -> AppResult<Vec<(Session, String, String)>> {
    let rows = sqlx::query(&format!(
        "SELECT {SESSION_COLS}, c.title AS course_title, me.state AS my_state FROM enrolments me \
         JOIN course_sessions s ON s.id = me.target_id JOIN courses c ON c.id = s.course_id \
         WHERE me.kind = 'course_session' AND me.member_id = $1 AND me.state IN ('enrolled', 'waiting', 'attended') \
         AND s.starts_at >= $2 AND s.starts_at < $3 ORDER BY s.starts_at"
    ))
    .bind(member_id)
    .bind(from)
    .bind(to)
    .fetch_all(&db.pool)
    .await?;
    let mut out = vec![];
    for r in &rows {
        out.push((
            Session::from_row(r)?,
            r.try_get("course_title")?,
            r.try_get("my_state")?,
        ));
    }
    Ok(out)
}

pub struct NewSession<'a> {
    pub place: &'a str,
    pub starts_at: i64,
    pub ends_at: i64,
    pub capacity: i64,
    pub centralised: bool,
}

pub async fn create_session(
    db: &Db,
    actor: &Actor,
    course: &Course,
    s: &NewSession<'_>,
) -> AppResult<i64> {
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query(
        "INSERT INTO course_sessions (course_id, org_id, place, starts_at, ends_at, capacity, centralised, checkin_token, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(course.id)
    .bind(course.org_id)
    .bind(s.place)
    .bind(s.starts_at)
    .bind(s.ends_at)
    .bind(s.capacity)
    .bind(s.centralised as i64)
    .bind(crate::auth::session::random_token())
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    crate::enrolment::store::set_target(&mut tx, super::SESSION, id, s.capacity).await?;
    audit::append(
        &mut tx,
        actor,
        Event::new("course.session", "course_session", id)
            .org(course.org_id)
            .detail(json!({ "course": course.id, "capacity": s.capacity })),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Feedback {
    pub member_id: i64,
    pub member_name: String,
    pub rating: i64,
    pub comment: String,
    pub updated_at: i64,
}

/// One rating and comment per member and course; a second one replaces the first. True when new.
pub async fn put_feedback(
    db: &Db,
    actor: &Actor,
    course: &Course,
    member_id: i64,
    rating: i64,
    comment: &str,
) -> AppResult<bool> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let existed =
        sqlx::query("SELECT id FROM course_feedback WHERE course_id = $1 AND member_id = $2")
            .bind(course.id)
            .bind(member_id)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
    sqlx::query(
        "INSERT INTO course_feedback (course_id, member_id, rating, comment, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) \
         ON CONFLICT (course_id, member_id) DO UPDATE SET rating = excluded.rating, comment = excluded.comment, updated_at = excluded.updated_at",
    )
    .bind(course.id)
    .bind(member_id)
    .bind(rating)
    .bind(comment)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Event::new("course.feedback", "course", course.id)
            .member(member_id)
            .org(course.org_id)
            .detail(json!({ "rating": rating })),
    )
    .await?;
    tx.commit().await?;
    Ok(!existed)
}

pub async fn feedback(db: &Db, course_id: i64) -> AppResult<Vec<Feedback>> {
    Ok(sqlx::query_as(
        "SELECT f.member_id, m.name AS member_name, f.rating, f.comment, f.updated_at \
         FROM course_feedback f JOIN members m ON m.id = f.member_id \
         WHERE f.course_id = $1 ORDER BY f.updated_at DESC",
    )
    .bind(course_id)
    .fetch_all(&db.pool)
    .await?)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Lesson {
    pub id: i64,
    pub course_id: i64,
    pub title: String,
    pub video_url: String,
    pub duration_ms: i64,
}

pub async fn create_lesson(
    db: &Db,
    actor: &Actor,
    course: &Course,
    title: &str,
    video_url: &str,
    duration_ms: i64,
) -> AppResult<Lesson> {
    let mut tx = db.begin().await?;
    let row = sqlx::query(
        "INSERT INTO lessons (course_id, org_id, title, video_url, duration_ms, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
         RETURNING id, course_id, title, video_url, duration_ms",
    )
    .bind(course.id)
    .bind(course.org_id)
    .bind(title)
    .bind(video_url)
    .bind(duration_ms)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await?;
    let lesson = Lesson::from_row(&row)?;
    audit::append(
        &mut tx,
        actor,
        Event::new("course.lesson", "lesson", lesson.id)
            .org(course.org_id)
            .detail(json!({ "course": course.id, "title": title })),
    )
    .await?;
    tx.commit().await?;
    Ok(lesson)
}

pub async fn lesson(db: &Db, id: i64) -> AppResult<Lesson> {
    let row = sqlx::query(
        "SELECT id, course_id, title, video_url, duration_ms FROM lessons WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|r| Lesson::from_row(&r))
        .transpose()?
        // The same answer as a course out of reach (see `session`).
        .ok_or_else(|| AppError::not_found("课程"))
}

pub async fn lessons(db: &Db, course_id: i64) -> AppResult<Vec<Lesson>> {
    let rows = sqlx::query("SELECT id, course_id, title, video_url, duration_ms FROM lessons WHERE course_id = $1 ORDER BY id").bind(course_id).fetch_all(&db.pool).await?;
    Ok(rows
        .iter()
        .map(Lesson::from_row)
        .collect::<Result<_, _>>()?)
}

pub async fn progress(
    db: &Db,
    lesson_id: i64,
    member_id: i64,
) -> AppResult<Option<super::rules::Progress>> {
    let row = sqlx::query("SELECT watched_ms, position_ms, reported_at, opened_at FROM lesson_progress WHERE lesson_id = $1 AND member_id = $2")
        .bind(lesson_id)
        .bind(member_id)
        .fetch_optional(&db.pool)
        .await?;
    Ok(match row {
        Some(r) => Some(super::rules::Progress {
            watched_ms: r.try_get(0)?,
            position_ms: r.try_get(1)?,
            reported_at: r.try_get(2)?,
            opened_at: r.try_get(3)?,
        }),
        None => None,
    })
}

/// Credits a player's report (see `rules::credit`) and stores the result.
pub async fn report_progress(
    db: &Db,
    lesson: &Lesson,
    member_id: i64,
    position_ms: i64,
) -> AppResult<super::rules::Progress> {
    let mut tx = db.begin().await?;
    // Lock the member's row for this lesson (or create it), so two reports at once are credited one after the other.
    sqlx::query("INSERT INTO lesson_progress (lesson_id, member_id, watched_ms, position_ms, reported_at) VALUES ($1, $2, 0, 0, 0) ON CONFLICT (lesson_id, member_id) DO NOTHING")
        .bind(lesson.id)
        .bind(member_id)
        .execute(&mut *tx)
        .await?;
    let row = sqlx::query("UPDATE lesson_progress SET watched_ms = watched_ms WHERE lesson_id = $1 AND member_id = $2 RETURNING watched_ms, position_ms, reported_at, opened_at")
        .bind(lesson.id)
        .bind(member_id)
        .fetch_one(&mut *tx)
        .await?;
    let prev = super::rules::Progress {
        watched_ms: row.try_get(0)?,
        position_ms: row.try_get(1)?,
        reported_at: row.try_get(2)?,
        opened_at: row.try_get(3)?,
    };
    let prev = (prev.reported_at > 0).then_some(prev);
    let next = super::rules::credit(prev, now_ms(), position_ms, lesson.duration_ms);
    sqlx::query("UPDATE lesson_progress SET watched_ms = $1, position_ms = $2, reported_at = $3, opened_at = $6 WHERE lesson_id = $4 AND member_id = $5")
        .bind(next.watched_ms)
        .bind(next.position_ms)
        .bind(next.reported_at)
        .bind(lesson.id)
        .bind(member_id)
        .bind(next.opened_at)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(next)
}

/// How a member completed a course: at a session or online.
#[derive(Debug, Clone, Copy)]
pub enum CompletedVia {
    Session,
    Online,
}

/// Records that the member completed the course, once: the first time
/// counts (the dashboard's completions, migration 0023), later ones do not.
pub async fn record_completion<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    db: E,
    course_id: i64,
    member_id: i64,
    via: CompletedVia,
) -> Result<(), sqlx::Error> {
    let via = match via {
        CompletedVia::Session => "session",
        CompletedVia::Online => "online",
    };
    sqlx::query(
        "INSERT INTO course_completions (course_id, member_id, completed_at, via) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (course_id, member_id) DO NOTHING",
    )
    .bind(course_id)
    .bind(member_id)
    .bind(now_ms())
    .bind(via)
    .execute(db)
    .await?;
    Ok(())
}

/// Every lesson of the course watched to the course's percentage.
pub async fn watched_all(db: &Db, course_id: i64, member_id: i64) -> AppResult<bool> {
    let percent: i64 = sqlx::query("SELECT watch_percent FROM courses WHERE id = $1")
        .bind(course_id)
        .fetch_one(&db.pool)
        .await?
        .try_get(0)?;
    let rows = sqlx::query(
        "SELECT l.duration_ms, COALESCE(p.watched_ms, 0) FROM lessons l LEFT JOIN lesson_progress p ON p.lesson_id = l.id AND p.member_id = $2 WHERE l.course_id = $1",
    )
    .bind(course_id)
    .bind(member_id)
    .fetch_all(&db.pool)
    .await?;
    let mut all = !rows.is_empty();
    for r in rows {
        all &= super::rules::completed(r.try_get(1)?, r.try_get(0)?, percent);
    }
    Ok(all)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Academy {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub name: String,
    pub kind: String,
    pub parent_id: Option<i64>,
    pub staff: Vec<AcademyStaff>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct AcademyStaff {
    pub member_id: i64,
    pub name: String,
    pub role: String,
}

/// Creates a campus; a branch is attached to the nearest main academy above its union.
pub async fn create_academy(
    db: &Db,
    actor: &Actor,
    org: &crate::org::store::Org,
    name: &str,
    kind: &str,
) -> AppResult<i64> {
    let parent = if kind == "branch" {
        let mut found = None;
        for p in crate::org::rules::ancestor_paths(&org.path)
            .into_iter()
            .rev()
            .skip(1)
        {
            let row = sqlx::query("SELECT a.id FROM academies a JOIN orgs o ON o.id = a.org_id WHERE o.path = $1 AND a.kind = 'main'")
                .bind(&p)
                .fetch_optional(&db.pool)
                .await?;
            if let Some(r) = row {
                found = Some(r.try_get::<i64, _>(0)?);
                break;
            }
        }
        Some(found.ok_or_else(|| {
            AppError::invalid("kind", "上级工会还没有设立总院：分院须隶属于上级工会的总院")
        })?)
    } else {
        None
    };
    let exists = sqlx::query("SELECT id FROM academies WHERE org_id = $1")
        .bind(org.id)
        .fetch_optional(&db.pool)
        .await?;
    if exists.is_some() {
        return Err(AppError::conflict(
            Some("org_id"),
            format!("“{}”已设有学院", org.name),
        ));
    }
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query("INSERT INTO academies (org_id, name, kind, parent_id, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
        .bind(org.id)
        .bind(name)
        .bind(kind)
        .bind(parent)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    // The union's courses so far become the campus's courses.
    sqlx::query("UPDATE courses SET academy_id = $1 WHERE org_id = $2")
        .bind(id)
        .bind(org.id)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        actor,
        Event::new("academy.create", "academy", id)
            .org(org.id)
            .detail(json!({ "name": name, "kind": kind, "parent": parent })),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A campus the scope reaches (404 otherwise), with its union's path.
pub async fn academy(db: &Db, scope: &crate::auth::Scope, id: i64) -> AppResult<(Academy, String)> {
    let row = sqlx::query("SELECT a.id, a.org_id, o.name, a.name, a.kind, a.parent_id, o.path FROM academies a JOIN orgs o ON o.id = a.org_id WHERE a.id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .filter(|r| r.try_get::<String, _>(6).is_ok_and(|path| scope.covers_path(&path)))
        .ok_or_else(|| AppError::not_found("学院"))?;
    let staff = sqlx::query_as(
        "SELECT s.member_id, m.name, s.role FROM academy_staff s JOIN members m ON m.id = s.member_id \
         WHERE s.academy_id = $1 ORDER BY m.name",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    let a = Academy {
        id: row.try_get(0)?,
        org_id: row.try_get(1)?,
        org_name: row.try_get(2)?,
        name: row.try_get(3)?,
        kind: row.try_get(4)?,
        parent_id: row.try_get(5)?,
        staff,
    };
    Ok((a, row.try_get(6)?))
}

pub async fn academies(db: &Db, scope: &crate::auth::Scope) -> AppResult<Vec<Academy>> {
    let mut sql = crate::db::sql::Sql::new("");
    let pred = scope.org_predicate(&mut sql, "o.path");
    sql.push(&format!(
        "SELECT a.id FROM academies a JOIN orgs o ON o.id = a.org_id WHERE {pred} ORDER BY o.path"
    ));
    let mut out = vec![];
    for r in sql.fetch_all(&db.pool).await? {
        out.push(academy(db, scope, r.try_get(0)?).await?.0);
    }
    Ok(out)
}

/// Adds a member of the campus's union (or a union below it) to its staff.
pub async fn add_staff(
    db: &Db,
    actor: &Actor,
    a: &Academy,
    member_id: i64,
    role: &str,
) -> AppResult<()> {
    let mut tx = db.begin().await?;
    sqlx::query("INSERT INTO academy_staff (academy_id, member_id, role) VALUES ($1, $2, $3) ON CONFLICT (academy_id, member_id) DO UPDATE SET role = excluded.role")
        .bind(a.id)
        .bind(member_id)
        .bind(role)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        actor,
        Event::new("academy.staff", "academy", a.id)
            .member(member_id)
            .org(a.org_id)
            .detail(json!({ "role": role })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Points a lesson at its uploaded video (stored as `file` in the file store)
/// and returns the file it had before, for the caller to remove.
pub async fn set_video(
    db: &Db,
    actor: &Actor,
    lesson: &Lesson,
    org_id: i64,
    file: &str,
    size: u64,
) -> AppResult<Option<String>> {
    let mut tx = db.begin().await?;
    let old: Option<String> = sqlx::query("SELECT video_file FROM lessons WHERE id = $1")
        .bind(lesson.id)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    sqlx::query("UPDATE lessons SET video_file = $1, video_url = $2 WHERE id = $3")
        .bind(file)
        .bind(format!("/files/lessons/{}", lesson.id))
        .bind(lesson.id)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        actor,
        Event::new("course.lesson_video", "lesson", lesson.id)
            .org(org_id)
            .detail(json!({ "course": lesson.course_id, "bytes": size })),
    )
    .await?;
    tx.commit().await?;
    Ok(old)
}

/// The stored file of a lesson's uploaded video, if it has one.
pub async fn video_file(db: &Db, lesson_id: i64) -> AppResult<Option<String>> {
    let row = sqlx::query("SELECT video_file FROM lessons WHERE id = $1")
        .bind(lesson_id)
        .fetch_optional(&db.pool)
        .await?;
    Ok(match row {
        Some(r) => r.try_get(0)?,
        None => None,
    })
}

/// The share of each lesson (%) a member must watch to complete the course.
pub async fn watch_percent(db: &Db, course_id: i64) -> AppResult<i64> {
    Ok(
        sqlx::query("SELECT watch_percent FROM courses WHERE id = $1")
            .bind(course_id)
            .fetch_one(&db.pool)
            .await?
            .try_get(0)?,
    )
}
