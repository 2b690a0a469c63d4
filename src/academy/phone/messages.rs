//! The phone page `/m/messages`: a worker's feedback to the academy and the answers.

use crate::academy::ops::messages as ops;
use crate::academy::store::messages::{self as store, Message};
use crate::auth::{Caller, PageCaller, Scope};
use crate::db::{format_ms, Paging};
use crate::state::AppState;
use crate::web::pages::{render_with, OrPage, PageResult};
use crate::web::phone::{nav, MNav};
use crate::web::{form, PageForm};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/m/messages", get(phone_page).post(phone_send))
}

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
    let (items, _) = store::messages(
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
    let result = ops::send_for(&s, &c, &f.body).await;
    form::finish(
        &c,
        result,
        |m| form::see(format!("/m/messages?sent={}", m.id)),
        |e| phone_view(&s, &c, f.body, String::new(), e.form_message(), e.status()),
    )
    .await
}
