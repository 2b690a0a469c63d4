//! What can be done with the academy desk's messages (API, phone and console).

use crate::academy::rules;
use crate::academy::store::messages::{self as store, Message};
use crate::audit::Actor;
use crate::auth::{Caller, Right, Scope};
use crate::state::AppState;
use crate::web::error::{AppError, AppResult};

/// The caller's own member record (a member account), for sending.
async fn own_member(s: &AppState, c: &Caller) -> AppResult<crate::member::store::Member> {
    if c.member_id.is_none() {
        return Err(AppError::Forbidden("意见反馈需用会员账号发送".into()));
    }
    crate::auth::checks::own_member(s, c).await
}

/// Sends the caller's feedback to the academy of their union.
pub async fn send_for(s: &AppState, c: &Caller, body: &str) -> AppResult<Message> {
    let m = own_member(s, c).await?;
    let body = rules::parse_message(body).map_err(|e| AppError::invalid("body", e))?;
    let id = store::create(&s.db, &Actor::of(c), &m, &body).await?;
    store::message(&s.db, &Scope::member(m.id), id).await
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
    let msg = store::message(&s.db, &scope, id).await?;
    let text = rules::parse_answer(text).map_err(|e| AppError::invalid("answer", e))?;
    let replaced = store::answer(&s.db, &Actor::of(c), &msg, &text).await?;
    Ok((store::message(&s.db, &scope, id).await?, replaced))
}

/// What a member is shown of a message: not which staff account answered.
pub fn for_member(mut m: Message) -> Message {
    m.answered_by = None;
    m.answered_by_name = None;
    m
}

/// The messages the caller sees: staff their roster subtree's (of `org_id`,
/// when given), unanswered first; a member its own, newest first.
pub async fn list(
    s: &AppState,
    c: &Caller,
    org_id: Option<i64>,
    unanswered: bool,
    paging: crate::db::Paging,
) -> AppResult<(Vec<Message>, i64)> {
    if c.can(Right::Roster) {
        let mut scope = c.scope(Right::Roster);
        if let Some(id) = org_id {
            let org = crate::org::store::get(&s.db, &c.scope(Right::Read), id).await?;
            scope = scope.narrowed_to(&org.path);
        }
        store::messages(&s.db, &scope, unanswered, true, paging).await
    } else if let Some(mid) = c.member_id {
        let (items, total) =
            store::messages(&s.db, &Scope::member(mid), unanswered, false, paging).await?;
        Ok((items.into_iter().map(for_member).collect(), total))
    } else {
        Err(AppError::forbidden())
    }
}

/// A yes/no query parameter: empty, `false`, `0`, `true` or `1`.
pub fn flag(v: Option<&str>, field: &str) -> AppResult<bool> {
    match v.map(str::trim).unwrap_or("") {
        "" | "false" | "0" => Ok(false),
        "true" | "1" => Ok(true),
        other => Err(AppError::invalid(
            field,
            format!("{field} 应为 true 或 false，而不是“{other}”"),
        )),
    }
}
