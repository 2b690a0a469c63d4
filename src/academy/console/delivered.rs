//! The pages behind the dashboard's 本年培训场次, 本年培训人次, 本年参训人数
//! and 本年完成课程: a subtree's sessions in a period, who checked in at
//! them, the people that was, and who completed the subtree's courses.

use crate::academy::ops::delivered::{self, DeliveredQuery};
use crate::auth::PageCaller;
use crate::db::format_ms;
use crate::state::AppState;
use crate::web::pages::{render_with, OrPage, PageResult};
use crate::web::{non_empty, Nav};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/academy/delivered", get(sessions_page))
        .route("/academy/attendance", get(attendance_page))
        .route("/academy/trainees", get(trainees_page))
        .route("/academy/completions", get(completions_page))
}

/// The pages' query as typed in an address bar: text, read as the API's.
#[derive(Deserialize)]
struct Typed {
    org_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<String>,
}

impl Typed {
    fn query(&self) -> DeliveredQuery {
        let number = |v: &Option<String>| non_empty(v).and_then(|v| v.parse::<i64>().ok());
        DeliveredQuery {
            org_id: number(&self.org_id),
            from: self.from.clone(),
            to: self.to.clone(),
            page: number(&self.page),
            per_page: Some(50),
        }
    }

    fn span(&self) -> String {
        let day = |v: &Option<String>| non_empty(v).map(str::to_string);
        match (day(&self.from), day(&self.to)) {
            (Some(a), Some(b)) => format!("{a} 至 {b}"),
            (Some(a), None) => format!("{a} 起"),
            (None, Some(b)) => format!("{b} 前"),
            (None, None) => String::new(),
        }
    }

    fn pager(&self, path: &'static str, org_id: i64, page: i64, pages: i64) -> crate::web::Pager {
        crate::web::Pager::new(
            path,
            page,
            pages,
            &[
                ("org_id", org_id.to_string()),
                ("from", self.from.clone().unwrap_or_default()),
                ("to", self.to.clone().unwrap_or_default()),
            ],
        )
    }
}

#[derive(Template)]
#[template(path = "academy/delivered.html")]
struct SessionsPage {
    nav: Option<Nav>,
    title: String,
    total: i64,
    /// (session id, course, union, place, starts, 集中培训, checked in)
    items: Vec<(i64, String, String, String, String, bool, i64)>,
    pager: crate::web::Pager,
}

async fn sessions_page(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Query(typed): Query<Typed>,
) -> PageResult {
    let (org, page) = delivered::sessions(&s, &c, &typed.query())
        .await
        .or_page(&c)?;
    let pages = (page.total + page.per_page - 1) / page.per_page.max(1);
    let view = SessionsPage {
        nav: Some(Nav::new(&c, "academy")),
        title: format!("{}{}的培训场次", org.name, typed.span()),
        total: page.total,
        items: page
            .items
            .into_iter()
            .map(|x| {
                (
                    x.id,
                    x.course_title,
                    x.org_name,
                    x.place,
                    format_ms(x.starts_at),
                    x.centralised,
                    x.attended,
                )
            })
            .collect(),
        pager: typed.pager("/academy/delivered", org.id, page.page, pages),
    };
    Ok(render_with(StatusCode::OK, &view))
}

#[derive(Template)]
#[template(path = "academy/attendance.html")]
struct AttendancePage {
    nav: Option<Nav>,
    title: String,
    total: i64,
    /// (member id, name, session id, course, union, starts)
    items: Vec<(i64, String, i64, String, String, String)>,
    pager: crate::web::Pager,
}

async fn attendance_page(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Query(typed): Query<Typed>,
) -> PageResult {
    let (org, page) = delivered::attendance(&s, &c, &typed.query())
        .await
        .or_page(&c)?;
    let pages = (page.total + page.per_page - 1) / page.per_page.max(1);
    let view = AttendancePage {
        nav: Some(Nav::new(&c, "academy")),
        title: format!("{}{}的培训签到", org.name, typed.span()),
        total: page.total,
        items: page
            .items
            .into_iter()
            .map(|x| {
                (
                    x.member_id,
                    x.member_name,
                    x.session_id,
                    x.course_title,
                    x.org_name,
                    format_ms(x.starts_at),
                )
            })
            .collect(),
        pager: typed.pager("/academy/attendance", org.id, page.page, pages),
    };
    Ok(render_with(StatusCode::OK, &view))
}

#[derive(Template)]
#[template(path = "academy/trainees.html")]
struct TraineesPage {
    nav: Option<Nav>,
    title: String,
    total: i64,
    /// (member id, name, their union, check-ins, last session)
    items: Vec<(i64, String, String, i64, String)>,
    pager: crate::web::Pager,
}

async fn trainees_page(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Query(typed): Query<Typed>,
) -> PageResult {
    let (org, page) = delivered::trainees(&s, &c, &typed.query())
        .await
        .or_page(&c)?;
    let pages = (page.total + page.per_page - 1) / page.per_page.max(1);
    let view = TraineesPage {
        nav: Some(Nav::new(&c, "academy")),
        title: format!("{}{}的参训人员", org.name, typed.span()),
        total: page.total,
        items: page
            .items
            .into_iter()
            .map(|x| {
                (
                    x.member_id,
                    x.member_name,
                    x.org_name,
                    x.checkins,
                    format_ms(x.last_starts_at),
                )
            })
            .collect(),
        pager: typed.pager("/academy/trainees", org.id, page.page, pages),
    };
    Ok(render_with(StatusCode::OK, &view))
}

#[derive(Template)]
#[template(path = "academy/completions.html")]
struct CompletionsPage {
    nav: Option<Nav>,
    title: String,
    total: i64,
    /// (member id, name, course id, course, union, completed, how)
    items: Vec<(i64, String, i64, String, String, String, &'static str)>,
    pager: crate::web::Pager,
}

async fn completions_page(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Query(typed): Query<Typed>,
) -> PageResult {
    let (org, page) = delivered::completions(&s, &c, &typed.query())
        .await
        .or_page(&c)?;
    let pages = (page.total + page.per_page - 1) / page.per_page.max(1);
    let view = CompletionsPage {
        nav: Some(Nav::new(&c, "academy")),
        title: format!("{}{}的课程完成情况", org.name, typed.span()),
        total: page.total,
        items: page
            .items
            .into_iter()
            .map(|x| {
                let how = if x.via == "session" {
                    "现场签到"
                } else {
                    "线上学完"
                };
                (
                    x.member_id,
                    x.member_name,
                    x.course_id,
                    x.course_title,
                    x.org_name,
                    format_ms(x.completed_at),
                    how,
                )
            })
            .collect(),
        pager: typed.pager("/academy/completions", org.id, page.page, pages),
    };
    Ok(render_with(StatusCode::OK, &view))
}
