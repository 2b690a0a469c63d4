//! Reading the audit log, for the API and the console alike.

use super::store::{self, Filter};
use super::Entry;
use crate::auth::{Caller, Right};
use crate::db::{date_start_ms, Paging};
use crate::state::AppState;
use crate::web::api::Page;
use crate::web::error::{AppError, AppResult};
use crate::web::non_empty;
use serde::{Deserialize, Serialize};

#[derive(Deserialize, Default, Clone, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Entries about this member (the console's form may send it empty).
    #[param(value_type = Option<i64>)]
    pub member_id: Option<String>,
    /// Entries by this account.
    #[param(value_type = Option<i64>)]
    pub account_id: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    /// `YYYY-MM-DD`, Beijing time, inclusive.
    #[param(format = Date, pattern = r"^(19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}$")]
    pub from: Option<String>,
    /// `YYYY-MM-DD`, Beijing time, inclusive.
    #[param(format = Date, pattern = r"^(19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}$")]
    pub to: Option<String>,
    #[param(minimum = 1)]
    pub page: Option<i64>,
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<i64>,
}

pub fn filter(q: &AuditQuery) -> AppResult<Filter> {
    let int = |field: &str, v: &Option<String>| -> AppResult<Option<i64>> {
        match non_empty(v) {
            None => Ok(None),
            Some(t) => t
                .parse()
                .map(Some)
                .map_err(|_| AppError::invalid(field, "应为数字编号")),
        }
    };
    let day = |field: &str, v: &Option<String>, next: bool| -> AppResult<Option<i64>> {
        match non_empty(v) {
            None => Ok(None),
            Some(t) => date_start_ms(t, next)
                .map(Some)
                .map_err(|m| AppError::invalid(field, m)),
        }
    };
    Ok(Filter {
        member_id: int("member_id", &q.member_id)?,
        account_id: int("account_id", &q.account_id)?,
        actor: non_empty(&q.actor).map(str::to_string),
        action: non_empty(&q.action).map(str::to_string),
        from_ms: day("from", &q.from, false)?,
        to_ms: day("to", &q.to, true)?,
    })
}

pub fn require(c: &Caller) -> AppResult<()> {
    if c.can(Right::Audit) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "审计日志仅管理员和审计（只读）账号可以查看".into(),
        ))
    }
}

/// An entry as the API shows it: its detail as JSON.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EntryView {
    pub id: i64,
    pub at: i64,
    pub account_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<i64>,
    pub member_id: Option<i64>,
    pub org_id: Option<i64>,
    /// What the action did (never a whole ID number or phone).
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    pub hash: String,
}

impl From<&Entry> for EntryView {
    fn from(e: &Entry) -> EntryView {
        EntryView {
            id: e.id,
            at: e.at,
            account_id: e.account_id,
            actor: e.actor.clone(),
            action: e.action.clone(),
            entity: e.entity.clone(),
            entity_id: e.entity_id,
            member_id: e.member_id,
            org_id: e.org_id,
            detail: serde_json::from_str(&e.detail).unwrap_or(serde_json::Value::Null),
            hash: e.hash.clone(),
        }
    }
}

/// Entries about the caller's subtree, newest first.
pub async fn list(s: &AppState, c: &Caller, q: &AuditQuery) -> AppResult<Page<EntryView>> {
    require(c)?;
    let paging = Paging::new(q.page, q.per_page);
    let (items, total) = store::list(&s.db, &c.scope(Right::Audit), &filter(q)?, paging).await?;
    Ok(Page::of(
        items.iter().map(EntryView::from).collect(),
        total,
        paging,
    ))
}
