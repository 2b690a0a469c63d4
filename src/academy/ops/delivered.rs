//! The sessions a subtree's unions held in a period, who checked in, the
//! people that reached, and who completed the subtree's courses: the lists
//! behind the dashboard's 本年培训场次, 本年培训人次, 本年参训人数 and
//! 本年完成课程.

use crate::academy::store::delivered::{self, Attendance, Completion, DeliveredSession, Trainee};
use crate::auth::{checks, Caller};
use crate::db::Paging;
use crate::org::store::Org;
use crate::program::{Figure, Period, Subtree};
use crate::state::AppState;
use crate::web::api::Page;
use crate::web::error::AppResult;
use serde::Deserialize;

/// A union's subtree and a period of days.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct DeliveredQuery {
    /// The union whose subtree's sessions are listed (default: the caller's own).
    pub org_id: Option<i64>,
    /// Sessions starting on this day or later (YYYY-MM-DD, Beijing time).
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<String>,
    /// Sessions starting on this day or earlier.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

async fn read(
    s: &AppState,
    c: &Caller,
    q: &DeliveredQuery,
) -> AppResult<(Org, crate::auth::Scope, (i64, i64))> {
    checks::subtree_in_days(s, c, q.org_id, (q.from.as_deref(), q.to.as_deref())).await
}

pub async fn sessions(
    s: &AppState,
    c: &Caller,
    q: &DeliveredQuery,
) -> AppResult<(Org, Page<DeliveredSession>)> {
    let (org, scope, span) = read(s, c, q).await?;
    let paging = Paging::new(q.page, q.per_page);
    let (items, total) = delivered::sessions(&s.db, &scope, span, paging).await?;
    Ok((org, Page::of(items, total, paging)))
}

pub async fn attendance(
    s: &AppState,
    c: &Caller,
    q: &DeliveredQuery,
) -> AppResult<(Org, Page<Attendance>)> {
    let (org, scope, span) = read(s, c, q).await?;
    let paging = Paging::new(q.page, q.per_page);
    let (items, total) = delivered::attendance(&s.db, &scope, span, paging).await?;
    Ok((org, Page::of(items, total, paging)))
}

pub async fn trainees(
    s: &AppState,
    c: &Caller,
    q: &DeliveredQuery,
) -> AppResult<(Org, Page<Trainee>)> {
    let (org, scope, span) = read(s, c, q).await?;
    let paging = Paging::new(q.page, q.per_page);
    let (items, total) = delivered::trainees(&s.db, &scope, span, paging).await?;
    Ok((org, Page::of(items, total, paging)))
}

pub async fn completions(
    s: &AppState,
    c: &Caller,
    q: &DeliveredQuery,
) -> AppResult<(Org, Page<Completion>)> {
    let (org, scope, span) = read(s, c, q).await?;
    let paging = Paging::new(q.page, q.per_page);
    let (items, total) = delivered::completions(&s.db, &scope, span, paging).await?;
    Ok((org, Page::of(items, total, paging)))
}

/// This year's sessions, check-ins, people reached and completions of each
/// subtree, for the dashboard.
pub async fn figures(
    s: &AppState,
    subtrees: &[Subtree],
    period: &Period,
) -> AppResult<Vec<Vec<Figure>>> {
    let year = period.year_start.get(..4).unwrap_or_default();
    let (first, last) = (format!("{year}-01"), format!("{year}-12"));
    let scopes = crate::program::scopes_of(subtrees);
    let counts = delivered::counts(&s.db, &scopes, (&first, &last)).await?;
    let reached = crate::org::subtree::reached(&s.db, &scopes, year).await?;
    Ok(subtrees
        .iter()
        .zip(counts)
        .zip(reached)
        .map(|((t, [sessions, checkins, completions]), reached)| {
            let span = format!(
                "org_id={}&from={}&to={}",
                t.org_id, period.year_start, period.year_end
            );
            vec![
                Figure::counting(
                    "academy.sessions",
                    "本年培训场次",
                    "场",
                    sessions,
                    &format!("/sessions?{span}"),
                )
                .with_page(format!("/academy/delivered?{span}")),
                Figure::counting(
                    "academy.attendance",
                    "本年培训人次",
                    "人次",
                    checkins,
                    &format!("/attendances?{span}"),
                )
                .with_page(format!("/academy/attendance?{span}")),
                Figure::counting(
                    "academy.reached",
                    "本年参训人数",
                    "人",
                    reached,
                    &format!("/trainees?{span}"),
                )
                .with_page(format!("/academy/trainees?{span}"))
                .not_additive(),
                Figure::counting(
                    "academy.completions",
                    "本年完成课程",
                    "人次",
                    completions,
                    &format!("/completions?{span}"),
                )
                .with_page(format!("/academy/completions?{span}")),
            ]
        })
        .collect())
}

/// Sessions, check-ins and completions month by month, for the trend charts.
pub async fn trends(
    s: &AppState,
    subtree: &Subtree,
    months: &[String],
) -> AppResult<Vec<crate::program::Trend>> {
    let columns = ["sessions", "checkins", "completions"];
    let mut v = crate::org::subtree::by_month(&s.db, &subtree.scope, &columns, months)
        .await?
        .into_iter();
    let mut next = || v.next().unwrap_or_default();
    Ok(vec![
        crate::program::Trend::kept("academy.sessions", "每月培训场次", "场", next()),
        crate::program::Trend::kept("academy.attendance", "每月培训人次", "人次", next()),
        crate::program::Trend::kept("academy.completions", "每月完成课程", "人次", next()),
    ])
}

/// The academy's part of a member's growth record: sessions attended and
/// courses completed.
pub async fn record(s: &AppState, member_id: i64) -> AppResult<Vec<crate::program::RecordItem>> {
    delivered::record(&s.db, member_id, crate::program::RECORD_PER_SOURCE).await
}
