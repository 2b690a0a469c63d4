//! What the unions of a subtree delivered in a period: their sessions, who
//! checked in, how many different people that was, and who completed their
//! courses (the dashboard's 培训场次, 培训人次, 参训人数 and 完成课程, and
//! the lists those figures open).

use crate::auth::Scope;
use crate::db::sql::Sql;
use crate::db::{Db, Paging};
use crate::web::error::AppResult;
use serde::Serialize;
use sqlx::Row;

/// A session among those of many unions.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeliveredSession {
    pub id: i64,
    pub course_id: i64,
    pub course_title: String,
    /// The union that holds it.
    pub org_name: String,
    pub place: String,
    pub starts_at: i64,
    /// 集中学习培训
    pub centralised: bool,
    /// How many checked in.
    pub attended: i64,
}

/// One check-in at a session.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Attendance {
    pub member_id: i64,
    pub member_name: String,
    pub session_id: i64,
    pub course_title: String,
    pub org_name: String,
    pub starts_at: i64,
}

/// A member who checked in at the sessions, with how often.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Trainee {
    pub member_id: i64,
    pub member_name: String,
    /// The member's own union.
    pub org_name: String,
    /// Check-ins at the sessions listed.
    pub checkins: i64,
    /// When the last of those sessions started.
    pub last_starts_at: i64,
}

/// A member's completion of a course.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Completion {
    pub course_id: i64,
    pub course_title: String,
    /// The union that offers the course.
    pub org_name: String,
    pub member_id: i64,
    pub member_name: String,
    pub completed_at: i64,
    /// `session` (checked in at one of its sessions) or `online` (watched every lesson).
    #[schema(value_type = String, example = "online")]
    pub via: String,
}

const COMPLETIONS: &str = "course_completions k JOIN courses c ON c.id = k.course_id \
     JOIN orgs o ON o.id = c.org_id JOIN members m ON m.id = k.member_id";

const SESSIONS: &str =
    "course_sessions s JOIN courses c ON c.id = s.course_id JOIN orgs o ON o.id = s.org_id";
const CHECKINS: &str = "enrolments e JOIN course_sessions s ON s.id = e.target_id \
     JOIN courses c ON c.id = s.course_id JOIN orgs o ON o.id = s.org_id";
const ATTENDED: &str = "e.kind = 'course_session' AND e.state = 'attended'";

/// The scope's unions (`o`), a time column in `[from_ms, to_ms)`.
fn within_at(sql: &mut Sql, scope: &Scope, at: &str, (from_ms, to_ms): (i64, i64)) -> String {
    let pred = scope.org_predicate(sql, "o.path");
    let (a, b) = (sql.int(from_ms), sql.int(to_ms));
    format!("{pred} AND {at} >= {a} AND {at} < {b}")
}

fn within(sql: &mut Sql, scope: &Scope, span: (i64, i64)) -> String {
    within_at(sql, scope, "s.starts_at", span)
}

/// The sessions of the scope's unions starting in `[from_ms, to_ms)`, newest first, and how many.
pub async fn sessions(
    db: &Db,
    scope: &Scope,
    span: (i64, i64),
    paging: Paging,
) -> AppResult<(Vec<DeliveredSession>, i64)> {
    let mut sql = Sql::new("");
    let filter = within(&mut sql, scope, span);
    let total = sql
        .clone()
        .push(&format!("SELECT COUNT(*) FROM {SESSIONS} WHERE {filter}"))
        .fetch_count(&db.pool)
        .await?;
    let (lim, off) = (sql.int(paging.per_page), sql.int(paging.offset()));
    sql.push(&format!(
        "SELECT s.id, s.course_id, c.title, o.name, s.place, s.starts_at, s.centralised, \
         (SELECT COUNT(*) FROM enrolments e WHERE e.target_id = s.id AND {ATTENDED}) \
         FROM {SESSIONS} WHERE {filter} ORDER BY s.starts_at DESC, s.id DESC LIMIT {lim} OFFSET {off}"
    ));
    let items = sql
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| -> Result<DeliveredSession, sqlx::Error> {
            Ok(DeliveredSession {
                id: r.try_get(0)?,
                course_id: r.try_get(1)?,
                course_title: r.try_get(2)?,
                org_name: r.try_get(3)?,
                place: r.try_get(4)?,
                starts_at: r.try_get(5)?,
                centralised: r.try_get::<i64, _>(6)? != 0,
                attended: r.try_get(7)?,
            })
        })
        .collect::<Result<_, _>>()?;
    Ok((items, total))
}

/// The check-ins at the scope's sessions starting in `[from_ms, to_ms)`, newest first, and how many.
pub async fn attendance(
    db: &Db,
    scope: &Scope,
    span: (i64, i64),
    paging: Paging,
) -> AppResult<(Vec<Attendance>, i64)> {
    let mut sql = Sql::new("");
    let filter = within(&mut sql, scope, span);
    let total = sql
        .clone()
        .push(&format!(
            "SELECT COUNT(*) FROM {CHECKINS} WHERE {ATTENDED} AND {filter}"
        ))
        .fetch_count(&db.pool)
        .await?;
    let (lim, off) = (sql.int(paging.per_page), sql.int(paging.offset()));
    sql.push(&format!(
        "SELECT e.member_id, m.name, s.id, c.title, o.name, s.starts_at \
         FROM {CHECKINS} JOIN members m ON m.id = e.member_id WHERE {ATTENDED} AND {filter} \
         ORDER BY s.starts_at DESC, e.id DESC LIMIT {lim} OFFSET {off}"
    ));
    let items = sql
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| -> Result<Attendance, sqlx::Error> {
            Ok(Attendance {
                member_id: r.try_get(0)?,
                member_name: r.try_get(1)?,
                session_id: r.try_get(2)?,
                course_title: r.try_get(3)?,
                org_name: r.try_get(4)?,
                starts_at: r.try_get(5)?,
            })
        })
        .collect::<Result<_, _>>()?;
    Ok((items, total))
}

/// The different members who checked in at the scope's sessions starting in
/// `[from_ms, to_ms)`, the latest trained first, and how many.
pub async fn trainees(
    db: &Db,
    scope: &Scope,
    span: (i64, i64),
    paging: Paging,
) -> AppResult<(Vec<Trainee>, i64)> {
    let mut sql = Sql::new("");
    let filter = within(&mut sql, scope, span);
    let total = sql
        .clone()
        .push(&format!(
            "SELECT COUNT(DISTINCT e.member_id) FROM {CHECKINS} WHERE {ATTENDED} AND {filter}"
        ))
        .fetch_count(&db.pool)
        .await?;
    let (lim, off) = (sql.int(paging.per_page), sql.int(paging.offset()));
    sql.push(&format!(
        "SELECT t.member_id, m.name, w.name, t.n, t.last FROM ( \
           SELECT e.member_id, COUNT(*) AS n, MAX(s.starts_at) AS last FROM {CHECKINS} \
           WHERE {ATTENDED} AND {filter} GROUP BY e.member_id \
         ) t JOIN members m ON m.id = t.member_id JOIN orgs w ON w.id = m.org_id \
         ORDER BY t.last DESC, t.member_id DESC LIMIT {lim} OFFSET {off}"
    ));
    let items = sql
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| -> Result<Trainee, sqlx::Error> {
            Ok(Trainee {
                member_id: r.try_get(0)?,
                member_name: r.try_get(1)?,
                org_name: r.try_get(2)?,
                checkins: r.try_get(3)?,
                last_starts_at: r.try_get(4)?,
            })
        })
        .collect::<Result<_, _>>()?;
    Ok((items, total))
}

/// The completions of the scope's courses in `[from_ms, to_ms)`, newest first, and how many.
pub async fn completions(
    db: &Db,
    scope: &Scope,
    span: (i64, i64),
    paging: Paging,
) -> AppResult<(Vec<Completion>, i64)> {
    let mut sql = Sql::new("");
    let filter = within_at(&mut sql, scope, "k.completed_at", span);
    let total = sql
        .clone()
        .push(&format!(
            "SELECT COUNT(*) FROM {COMPLETIONS} WHERE {filter}"
        ))
        .fetch_count(&db.pool)
        .await?;
    let (lim, off) = (sql.int(paging.per_page), sql.int(paging.offset()));
    sql.push(&format!(
        "SELECT k.course_id, c.title, o.name, k.member_id, m.name, k.completed_at, k.via \
         FROM {COMPLETIONS} WHERE {filter} \
         ORDER BY k.completed_at DESC, k.course_id DESC, k.member_id DESC LIMIT {lim} OFFSET {off}"
    ));
    let items = sql
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| -> Result<Completion, sqlx::Error> {
            Ok(Completion {
                course_id: r.try_get(0)?,
                course_title: r.try_get(1)?,
                org_name: r.try_get(2)?,
                member_id: r.try_get(3)?,
                member_name: r.try_get(4)?,
                completed_at: r.try_get(5)?,
                via: r.try_get(6)?,
            })
        })
        .collect::<Result<_, _>>()?;
    Ok((items, total))
}

/// Sessions and check-ins of each scope in the months `first..=last`
/// (`YYYY-MM`, by the month a session starts), kept per subtree by the
/// triggers of migration 0021 (the dashboard).
pub async fn counts(db: &Db, scopes: &[Scope], months: (&str, &str)) -> AppResult<Vec<[i64; 3]>> {
    let n =
        crate::org::subtree::months(db, scopes, &["sessions", "checkins", "completions"], months)
            .await?;
    Ok(n.into_iter().map(|v| [v[0], v[1], v[2]]).collect())
}

/// One member's check-ins and completions, the newest `limit` of each, for
/// their growth record.
pub async fn record(
    db: &Db,
    member_id: i64,
    limit: i64,
) -> AppResult<Vec<crate::program::RecordItem>> {
    use crate::program::RecordItem;
    let mut items = vec![];
    for r in sqlx::query(&format!(
        "SELECT s.starts_at, c.title, o.name, s.centralised FROM {CHECKINS} \
         WHERE {ATTENDED} AND e.member_id = $1 ORDER BY s.starts_at DESC LIMIT $2"
    ))
    .bind(member_id)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?
    {
        let (title, centralised): (String, i64) = (r.try_get(1)?, r.try_get(3)?);
        let kind = if centralised != 0 {
            "（集中学习培训）"
        } else {
            ""
        };
        items.push(RecordItem::new(
            "session_attended",
            r.try_get(0)?,
            format!("参加培训《{title}》{kind}"),
            r.try_get(2)?,
        ));
    }
    for r in sqlx::query(&format!(
        "SELECT k.completed_at, c.title, o.name, k.via FROM {COMPLETIONS} \
         WHERE k.member_id = $1 ORDER BY k.completed_at DESC LIMIT $2"
    ))
    .bind(member_id)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?
    {
        let (title, via): (String, String) = (r.try_get(1)?, r.try_get(3)?);
        let how = if via == "online" {
            "线上学完"
        } else {
            "现场培训"
        };
        items.push(RecordItem::new(
            "course_completed",
            r.try_get(0)?,
            format!("完成课程《{title}》（{how}）"),
            r.try_get(2)?,
        ));
    }
    Ok(items)
}
