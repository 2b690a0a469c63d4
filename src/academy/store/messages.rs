//! SQL for the academy desk's messages (意见反馈): a message belongs to the
//! member's union (`org_id`). Staff with the roster right over that union (there
//! or at any union above) see and answer it; a member sees only their own.
//! Answering again replaces the answer; the audit entry of the second answer
//! keeps the first one.

use crate::audit::{self, Actor, Event};
use crate::auth::Scope;
use crate::db::sql::Sql;
use crate::db::Paging;
use crate::db::{now_ms, Db};
use crate::web::error::{AppError, AppResult};
use serde::Serialize;
use serde_json::json;
use sqlx::{FromRow, Row};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Message {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub member_id: i64,
    pub member_name: String,
    pub body: String,
    pub answer: Option<String>,
    /// The account that answered last.
    pub answered_by: Option<i64>,
    pub answered_by_name: Option<String>,
    pub answered_at: Option<i64>,
    pub created_at: i64,
    #[serde(skip)]
    pub org_path: String,
}

const COLS: &str = "g.id, g.org_id, o.name AS org_name, g.member_id, m.name AS member_name, g.body, g.answer, \
     g.answered_by, COALESCE(a.login_shown, a.username) AS answered_by_name, g.answered_at, g.created_at, o.path AS org_path";
const FROM: &str =
    "academy_messages g JOIN orgs o ON o.id = g.org_id JOIN members m ON m.id = g.member_id \
     LEFT JOIN accounts a ON a.id = g.answered_by";

/// A message in `scope`: staff subtrees (by the message's union) or the member's own.
pub async fn message(db: &Db, scope: &Scope, id: i64) -> AppResult<Message> {
    let mut sql = Sql::new("");
    let p = sql.int(id);
    let pred = scope.member_predicate(&mut sql, "o.path", "g.member_id");
    sql.push(&format!(
        "SELECT {COLS} FROM {FROM} WHERE g.id = {p} AND {pred}"
    ));
    let row = sql.query().fetch_optional(&db.pool).await?;
    row.map(|r| Message::from_row(&r))
        .transpose()?
        .ok_or_else(|| AppError::not_found("意见反馈"))
}

/// One page of the messages in `scope`, and how many there are: only those not
/// yet answered when `unanswered_only`; unanswered first (oldest waiting
/// longest at the top) when `unanswered_first`, else newest first.
pub async fn messages(
    db: &Db,
    scope: &Scope,
    unanswered_only: bool,
    unanswered_first: bool,
    paging: Paging,
) -> AppResult<(Vec<Message>, i64)> {
    let mut filter = Sql::new("");
    let mut pred = scope.member_predicate(&mut filter, "o.path", "g.member_id");
    if unanswered_only {
        pred.push_str(" AND g.answer IS NULL");
    }
    let mut count = filter.clone();
    count.push(&format!(
        "SELECT COUNT(*) FROM academy_messages g JOIN orgs o ON o.id = g.org_id WHERE {pred}"
    ));
    let total = count.fetch_count(&db.pool).await?;
    let order = if unanswered_first {
        "CASE WHEN g.answer IS NULL THEN 0 ELSE 1 END, CASE WHEN g.answer IS NULL THEN g.id ELSE -g.id END"
    } else {
        "g.id DESC"
    };
    let mut sql = filter;
    let limit = sql.int(paging.per_page);
    let offset = sql.int(paging.offset());
    sql.push(&format!(
        "SELECT {COLS} FROM {FROM} WHERE {pred} ORDER BY {order} LIMIT {limit} OFFSET {offset}"
    ));
    let items = sql
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(Message::from_row)
        .collect::<Result<_, _>>()?;
    Ok((items, total))
}

/// Stores a member's message to their union's academy; returns its id.
pub async fn create(
    db: &Db,
    actor: &Actor,
    member: &crate::member::store::Member,
    body: &str,
) -> AppResult<i64> {
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query(
        "INSERT INTO academy_messages (org_id, member_id, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(member.org_id)
    .bind(member.id)
    .bind(body)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    audit::append(
        &mut tx,
        actor,
        Event::new("academy.message", "academy_message", id)
            .member(member.id)
            .org(member.org_id)
            .detail(json!({ "chars": body.chars().count() })),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Writes (or replaces) the answer to a message. True when it replaced an
/// earlier answer, which the audit entry keeps.
pub async fn answer(db: &Db, actor: &Actor, msg: &Message, answer: &str) -> AppResult<bool> {
    let mut tx = db.begin().await?;
    let prev =
        sqlx::query("SELECT answer, answered_by, answered_at FROM academy_messages WHERE id = $1")
            .bind(msg.id)
            .fetch_one(&mut *tx)
            .await?;
    let (prev_answer, prev_by, prev_at): (Option<String>, Option<i64>, Option<i64>) =
        (prev.try_get(0)?, prev.try_get(1)?, prev.try_get(2)?);
    sqlx::query(
        "UPDATE academy_messages SET answer = $1, answered_by = $2, answered_at = $3 WHERE id = $4",
    )
    .bind(answer)
    .bind(actor.account_id)
    .bind(now_ms())
    .bind(msg.id)
    .execute(&mut *tx)
    .await?;
    let replaced = prev_answer.is_some();
    let detail = match prev_answer {
        Some(text) => json!({ "chars": answer.chars().count(), "replaced": {
            "answer": text, "answered_by": prev_by, "answered_at": prev_at } }),
        None => json!({ "chars": answer.chars().count() }),
    };
    audit::append(
        &mut tx,
        actor,
        Event::new("academy.message.answer", "academy_message", msg.id)
            .member(msg.member_id)
            .org(msg.org_id)
            .detail(detail),
    )
    .await?;
    tx.commit().await?;
    Ok(replaced)
}
