//! The console page `/academy/messages`: the desk's messages and their answers.

use crate::academy::ops::messages as ops;
use crate::academy::store::messages::{self as store, Message};
use crate::auth::{Caller, PageCaller, Right};
use crate::db::{format_ms, Paging};
use crate::state::AppState;
use crate::web::error::AppError;
use crate::web::pages::{render_with, OrPage, PageResult};
use crate::web::{form, Nav, PageForm};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/academy/messages", get(staff_page))
        .route("/academy/messages/{id}/answer", post(staff_answer))
}

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
    let unanswered = ops::flag(q.unanswered.as_deref(), "unanswered").unwrap_or(false);
    let paging = Paging::new(q.page, Some(20));
    let scope = c.scope(Right::Roster);
    let (mut items, total) = store::messages(&s.db, &scope, unanswered, true, paging)
        .await
        .or_page(c)?;
    // A refused answer is shown beside its message, wherever the list put it.
    if let Some(r) = &refused {
        if !items.iter().any(|g| g.id == r.id) {
            items.insert(0, store::message(&s.db, &scope, r.id).await.or_page(c)?);
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
    let result = ops::answer_for(&s, &c, id, &f.answer).await;
    let (s, c) = (&s, &c);
    form::finish(
        c,
        result,
        |_| form::see(format!("/academy/messages?answered={id}#m{id}")),
        |e| async move {
            let refused = Refused {
                id,
                typed: f.answer,
                error: e.form_message(),
            };
            staff_view(s, c, StaffQuery::default(), Some(refused), e.status()).await
        },
    )
    .await
}
