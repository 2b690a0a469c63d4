//! Free-form feedback (意见反馈) a worker sends to the academy of their own
//! union, and the answer its staff write: the store, the JSON API, the phone
//! page `/m/messages` and the console page `/academy/messages`.
//!
//! A message belongs to the member's union (`org_id`). Staff with the roster
//! right over that union (there or at any union above) see and answer it; a
//! member sees only their own. Answering again replaces the answer, and the
//! message then shows who answered last and when; the audit entry of the
//! second answer keeps the first one.

use super::rules;
use crate::audit::{self, Actor, Event};
use crate::auth::{ApiCaller, Caller, PageCaller, Right, Scope};
use crate::db::sql::Sql;
use crate::db::{format_ms, Paging};
use crate::db::{now_ms, Db};
use crate::state::AppState;
use crate::web::error::{AppError, AppResult};
use crate::web::pages::{render_with, OrPage, PageResult};
use crate::web::phone::{nav, MNav};
use crate::web::{ApiJson, Nav, PageForm};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sqlx::any::AnyRow;
use sqlx::Row;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/academy/messages", post(api_send).get(api_list))
        .route("/api/v1/academy/messages/{id}/answer", post(api_answer))
        .route("/m/messages", get(phone_page).post(phone_send))
        .route("/academy/messages", get(staff_page))
        .route("/academy/messages/{id}/answer", post(staff_answer))
}

// ---------------------------------------------------------------------------
// Store
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize)]
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

const COLS: &str = "g.id, g.org_id, o.name, g.member_id, m.name, g.body, g.answer, g.answered_by, a.username, g.answered_at, g.created_at, o.path";
const FROM: &str =
    "academy_messages g JOIN orgs o ON o.id = g.org_id JOIN members m ON m.id = g.member_id \
     LEFT JOIN accounts a ON a.id = g.answered_by";

fn message_of(r: &AnyRow) -> Result<Message, sqlx::Error> {
    Ok(Message {
        id: r.try_get(0)?,
        org_id: r.try_get(1)?,
        org_name: r.try_get(2)?,
        member_id: r.try_get(3)?,
        member_name: r.try_get(4)?,
        body: r.try_get(5)?,
        answer: r.try_get(6)?,
        answered_by: r.try_get(7)?,
        answered_by_name: r.try_get(8)?,
        answered_at: r.try_get(9)?,
        created_at: r.try_get(10)?,
        org_path: r.try_get(11)?,
    })
}

/// A message in `scope`: staff subtrees (by the message's union) or the member's own.
pub async fn message(db: &Db, scope: &Scope, id: i64) -> AppResult<Message> {
    let mut sql = Sql::new("");
    let p = sql.int(id);
    let pred = scope.member_predicate(&mut sql, "o.path", "g.member_id");
    sql.push(&format!(
        "SELECT {COLS} FROM {FROM} WHERE g.id = {p} AND {pred}"
    ));
    let row = sql.query().fetch_optional(&db.pool).await?;
    row.map(|r| message_of(&r))
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
        .map(message_of)
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

// ---------------------------------------------------------------------------
// What the API and the pages share
// ---------------------------------------------------------------------------

/// The caller's own member record (a member account), for sending.
async fn own_member(s: &AppState, c: &Caller) -> AppResult<crate::member::store::Member> {
    let mid = c
        .member_id
        .ok_or_else(|| AppError::Forbidden("意见反馈需用会员账号发送".into()))?;
    crate::member::store::get(&s.db, &s.keys, &Scope::new(vec![], Some(mid)), mid).await
}

/// Sends the caller's feedback to the academy of their union.
pub async fn send_for(s: &AppState, c: &Caller, body: &str) -> AppResult<Message> {
    let m = own_member(s, c).await?;
    let body = rules::parse_message(body).map_err(|e| AppError::invalid("body", e))?;
    let id = create(&s.db, &Actor::of(c), &m, &body).await?;
    message(&s.db, &Scope::new(vec![], Some(m.id)), id).await
}

/// Answers a message in the caller's roster scope: 403 without that right
/// anywhere, 404 for a message outside it. Returns (the message, replaced).
pub async fn answer_for(
    s: &AppState,
    c: &Caller,
    id: i64,
    text: &str,
) -> AppResult<(Message, bool)> {
    if !c.can(Right::Roster) {
        return Err(AppError::Forbidden(
            "答复意见反馈需工会工作人员（有会员管理权限）账号".into(),
        ));
    }
    let scope = c.scope(Right::Roster);
    let msg = message(&s.db, &scope, id).await?;
    let text = rules::parse_answer(text).map_err(|e| AppError::invalid("answer", e))?;
    let replaced = answer(&s.db, &Actor::of(c), &msg, &text).await?;
    Ok((message(&s.db, &scope, id).await?, replaced))
}

/// What a member is shown of a message: not which staff account answered.
fn for_member(mut m: Message) -> Message {
    m.answered_by = None;
    m.answered_by_name = None;
    m
}

// ---------------------------------------------------------------------------
// API
// ---------------------------------------------------------------------------

#[derive(Deserialize)]
struct SendBody {
    body: Option<String>,
}

/// `POST /api/v1/academy/messages` `{body}` as a member → 201.
async fn api_send(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(b): ApiJson<SendBody>,
) -> AppResult<(StatusCode, Json<Message>)> {
    let m = send_for(&s, &c, b.body.as_deref().unwrap_or("")).await?;
    Ok((StatusCode::CREATED, Json(for_member(m))))
}

#[derive(Deserialize)]
struct ListQuery {
    org_id: Option<i64>,
    unanswered: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

fn flag(v: Option<&str>, field: &str) -> AppResult<bool> {
    match v.map(str::trim).unwrap_or("") {
        "" | "false" | "0" => Ok(false),
        "true" | "1" => Ok(true),
        other => Err(AppError::invalid(
            field,
            format!("{field} 应为 true 或 false，而不是“{other}”"),
        )),
    }
}

/// `GET /api/v1/academy/messages?org_id=&unanswered=true&page=&per_page=`:
/// staff see their roster subtree's (of org_id, when given), unanswered first;
/// a member sees their own, newest first.
async fn api_list(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Value>> {
    let unanswered = flag(q.unanswered.as_deref(), "unanswered")?;
    let paging = Paging::new(q.page, q.per_page);
    let (items, total) = if c.can(Right::Roster) {
        let mut scope = c.scope(Right::Roster);
        if let Some(id) = q.org_id {
            let org = crate::org::store::get(&s.db, &c.scope(Right::Read), id).await?;
            scope = scope.narrowed_to(&org.path);
        }
        messages(&s.db, &scope, unanswered, true, paging).await?
    } else if let Some(mid) = c.member_id {
        let (items, total) = messages(
            &s.db,
            &Scope::new(vec![], Some(mid)),
            unanswered,
            false,
            paging,
        )
        .await?;
        (items.into_iter().map(for_member).collect(), total)
    } else {
        return Err(AppError::forbidden());
    };
    Ok(Json(
        json!({ "items": items, "total": total, "page": paging.page, "per_page": paging.per_page }),
    ))
}

#[derive(Deserialize)]
struct AnswerBody {
    answer: Option<String>,
}

/// `POST /api/v1/academy/messages/{id}/answer` `{answer}` (staff) → 200.
async fn api_answer(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<AnswerBody>,
) -> AppResult<Json<Value>> {
    let (m, replaced) = answer_for(&s, &c, id, b.answer.as_deref().unwrap_or("")).await?;
    let mut v = serde_json::to_value(&m).map_err(anyhow::Error::from)?;
    v["replaced"] = json!(replaced);
    Ok(Json(v))
}

// ---------------------------------------------------------------------------
// The phone page
// ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "m/messages.html")]
struct PhonePage {
    m: MNav,
    items: Vec<Message>,
    body: String,
    notice: String,
    error: String,
}

impl PhonePage {
    fn when(&self, ms: &i64) -> String {
        format_ms(*ms)
    }
}

async fn phone_view(
    s: &AppState,
    c: &Caller,
    body: String,
    notice: String,
    error: String,
    status: StatusCode,
) -> PageResult {
    let (m, member) = nav(s, c, "messages").await.or_page(c)?;
    let (items, _) = messages(
        &s.db,
        &Scope::new(vec![], Some(member.id)),
        false,
        false,
        Paging::new(None, Some(100)),
    )
    .await
    .or_page(c)?;
    Ok(render_with(
        status,
        &PhonePage {
            m,
            items,
            body,
            notice,
            error,
        },
    ))
}

#[derive(Deserialize)]
struct SentQuery {
    sent: Option<i64>,
}

async fn phone_page(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Query(q): Query<SentQuery>,
) -> PageResult {
    let notice = if q.sent.is_some() {
        "已发送，学院答复后会显示在下面".to_string()
    } else {
        String::new()
    };
    phone_view(&s, &c, String::new(), notice, String::new(), StatusCode::OK).await
}

#[derive(Deserialize)]
struct SendForm {
    #[serde(default)]
    body: String,
}

async fn phone_send(
    State(s): State<AppState>,
    PageForm { caller: c, form: f }: PageForm<SendForm>,
) -> PageResult {
    // Only a member's own page sends; anyone else gets the page's own refusal.
    nav(&s, &c, "messages").await.or_page(&c)?;
    match send_for(&s, &c, &f.body).await {
        Ok(m) => Ok(Redirect::to(&format!("/m/messages?sent={}", m.id)).into_response()),
        Err(e @ AppError::Invalid(_)) => {
            let msg = e
                .field_errors()
                .into_iter()
                .map(|f| f.message)
                .next()
                .unwrap_or_else(|| e.to_string());
            phone_view(&s, &c, f.body, String::new(), msg, e.status()).await
        }
        Err(e) => Err(e).or_page(&c),
    }
}

// ---------------------------------------------------------------------------
// The console page
// ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "academy/messages.html")]
struct StaffPage {
    nav: Option<Nav>,
    items: Vec<Message>,
    total: i64,
    page: i64,
    pages: i64,
    unanswered: bool,
    notice: String,
    /// The message whose answer was refused, what was typed, and why.
    error_id: i64,
    typed: String,
    error: String,
}

impl StaffPage {
    fn when(&self, ms: &i64) -> String {
        format_ms(*ms)
    }
    /// What the answer box of a message holds: what was typed, when it was refused, else the answer.
    fn answer_text<'a>(&'a self, g: &'a Message) -> &'a str {
        if g.id == self.error_id {
            &self.typed
        } else {
            g.answer.as_deref().unwrap_or("")
        }
    }
    /// The link to a page of this list.
    fn page_link(&self, page: i64) -> String {
        if self.unanswered {
            format!("/academy/messages?unanswered=1&page={page}")
        } else {
            format!("/academy/messages?page={page}")
        }
    }
    fn prev_link(&self) -> String {
        self.page_link(self.page - 1)
    }
    fn next_link(&self) -> String {
        self.page_link(self.page + 1)
    }
}

#[derive(Deserialize, Default)]
struct StaffQuery {
    page: Option<i64>,
    unanswered: Option<String>,
    answered: Option<i64>,
}

struct Refused {
    id: i64,
    typed: String,
    error: String,
}

async fn staff_view(
    s: &AppState,
    c: &Caller,
    q: StaffQuery,
    refused: Option<Refused>,
    status: StatusCode,
) -> PageResult {
    if !c.can(Right::Roster) {
        if c.member_id.is_some() && !c.can(Right::Read) {
            return Ok(Redirect::to("/m/messages").into_response());
        }
        return Err(AppError::forbidden()).or_page(c);
    }
    let unanswered = flag(q.unanswered.as_deref(), "unanswered").unwrap_or(false);
    let paging = Paging::new(q.page, Some(20));
    let scope = c.scope(Right::Roster);
    let (mut items, total) = messages(&s.db, &scope, unanswered, true, paging)
        .await
        .or_page(c)?;
    // A refused answer is shown beside its message, wherever the list put it.
    if let Some(r) = &refused {
        if !items.iter().any(|g| g.id == r.id) {
            items.insert(0, message(&s.db, &scope, r.id).await.or_page(c)?);
        }
    }
    let notice = match q.answered {
        Some(id) => format!("已答复第 {id} 条意见"),
        None => String::new(),
    };
    let refused = refused.unwrap_or(Refused {
        id: 0,
        typed: String::new(),
        error: String::new(),
    });
    let page = StaffPage {
        nav: Some(Nav::new(c, "academy")),
        items,
        total,
        page: paging.page,
        pages: paging.pages(total),
        unanswered,
        notice,
        error_id: refused.id,
        typed: refused.typed,
        error: refused.error,
    };
    Ok(render_with(status, &page))
}

async fn staff_page(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Query(q): Query<StaffQuery>,
) -> PageResult {
    staff_view(&s, &c, q, None, StatusCode::OK).await
}

#[derive(Deserialize)]
struct AnswerForm {
    #[serde(default)]
    answer: String,
}

async fn staff_answer(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    PageForm { caller: c, form: f }: PageForm<AnswerForm>,
) -> PageResult {
    match answer_for(&s, &c, id, &f.answer).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/academy/messages?answered={id}#m{id}")).into_response())
        }
        Err(e @ AppError::Invalid(_)) => {
            let error = e
                .field_errors()
                .into_iter()
                .map(|f| f.message)
                .next()
                .unwrap_or_else(|| e.to_string());
            let refused = Refused {
                id,
                typed: f.answer,
                error,
            };
            staff_view(&s, &c, StaffQuery::default(), Some(refused), e.status()).await
        }
        Err(e) => Err(e).or_page(&c),
    }
}
