//! What the unions of a subtree delivered in a period: their sessions and
//! who checked in (the dashboard's 培训场次 and 签到人次, and the lists
//! those figures open).

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

const SESSIONS: &str =
    "course_sessions s JOIN courses c ON c.id = s.course_id JOIN orgs o ON o.id = s.org_id";
const CHECKINS: &str = "enrolments e JOIN course_sessions s ON s.id = e.target_id \
     JOIN courses c ON c.id = s.course_id JOIN orgs o ON o.id = s.org_id";
const ATTENDED: &str = "e.kind = 'course_session' AND e.state = 'attended'";

fn within(sql: &mut Sql, scope: &Scope, (from_ms, to_ms): (i64, i64)) -> String {
    let pred = scope.org_predicate(sql, "o.path");
    let (a, b) = (sql.int(from_ms), sql.int(to_ms));
    format!("{pred} AND s.starts_at >= {a} AND s.starts_at < {b}")
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

/// Sessions and check-ins of each scope in the months `first..=last`
/// (`YYYY-MM`, by the month a session starts), kept per subtree by the
/// triggers of migration 0021 (the dashboard).
pub async fn counts(db: &Db, scopes: &[Scope], months: (&str, &str)) -> AppResult<Vec<(i64, i64)>> {
    let n = crate::org::subtree::months(db, scopes, &["sessions", "checkins"], months).await?;
    Ok(n.into_iter().map(|v| (v[0], v[1])).collect())
}
