//! A member's growth record (成长档案, issue 13): one timeline that every
//! program writes into through the list of programs (`Program.records`),
//! newest first — the API, the phone page `/m/record` and the printable
//! console page read it here. The roster's own part: joining the union
//! and transfers.

use crate::auth::{Caller, Right};
use crate::program::RecordItem;
use crate::state::AppState;
use crate::web::error::AppResult;
use serde::Serialize;
use sqlx::Row;

/// One member's record.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Record {
    pub member_id: i64,
    pub name: String,
    pub org_name: String,
    /// Newest first.
    pub items: Vec<RecordItem>,
}

/// The record of member `id`, for staff who see the member and for the
/// member themself (anyone else: not found).
pub async fn of(s: &AppState, c: &Caller, id: i64) -> AppResult<Record> {
    let m = super::store::get(&s.db, &s.keys, &c.scope(Right::Read), id).await?;
    let mut items = vec![];
    for source in &crate::program::registry().records {
        items.extend((source.read)(s, id).await?);
    }
    items.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| a.kind.cmp(&b.kind)));
    Ok(Record {
        member_id: id,
        name: m.name,
        org_name: m.org_name,
        items,
    })
}

/// Joining the union and each transfer.
pub async fn roster_part(s: &AppState, member_id: i64) -> AppResult<Vec<RecordItem>> {
    let mut items = vec![];
    let row = sqlx::query(
        "SELECT m.join_date, o.name FROM members m JOIN orgs o ON o.id = m.org_id WHERE m.id = $1",
    )
    .bind(member_id)
    .fetch_optional(&s.db.pool)
    .await?;
    let has_transfers = {
        let transfers = sqlx::query(
            "SELECT t.at, f.name, d.name FROM member_transfers t JOIN orgs f ON f.id = t.from_org_id \
             JOIN orgs d ON d.id = t.to_org_id WHERE t.member_id = $1 ORDER BY t.at DESC LIMIT $2",
        )
        .bind(member_id)
        .bind(crate::program::RECORD_PER_SOURCE)
        .fetch_all(&s.db.pool)
        .await?;
        for t in &transfers {
            let (from, to): (String, String) = (t.try_get(1)?, t.try_get(2)?);
            items.push(RecordItem::new(
                "transferred",
                t.try_get(0)?,
                format!("转会：从{from}转入{to}"),
                to,
            ));
        }
        !transfers.is_empty()
    };
    if let Some(r) = row {
        let (joined, org): (String, String) = (r.try_get(0)?, r.try_get(1)?);
        if let Some(at) = crate::db::day_start_ms(&joined) {
            // Joined where they were then; after a transfer the union of today may not be it.
            let org = if has_transfers { String::new() } else { org };
            items.push(RecordItem::new("joined", at, "加入工会".into(), org));
        }
    }
    Ok(items)
}

/// Each event as a page shows it: (date and time, what, where).
fn lines(r: &Record) -> Vec<(String, String, String)> {
    r.items
        .iter()
        .map(|i| {
            (
                crate::db::format_ms(i.at),
                i.title.clone(),
                i.org_name.clone(),
            )
        })
        .collect()
}

#[derive(askama::Template)]
#[template(path = "member/record.html")]
struct RecordPage {
    nav: Option<crate::web::Nav>,
    member_id: i64,
    name: String,
    org_name: String,
    today: String,
    items: Vec<(String, String, String)>,
}

/// `GET /members/{id}/record`: the record as a printable page.
pub async fn page(
    axum::extract::State(s): axum::extract::State<AppState>,
    crate::auth::PageCaller(c): crate::auth::PageCaller,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> crate::web::pages::PageResult {
    use crate::web::pages::OrPage;
    let id = id
        .trim()
        .parse::<i64>()
        .map_err(|_| crate::web::error::AppError::not_found("会员"))
        .or_page(&c)?;
    let r = of(&s, &c, id).await.or_page(&c)?;
    let view = RecordPage {
        nav: Some(crate::web::Nav::new(&c, "members")),
        member_id: r.member_id,
        items: lines(&r),
        name: r.name,
        org_name: r.org_name,
        today: crate::db::format_ms(crate::db::now_ms())
            .chars()
            .take(10)
            .collect(),
    };
    Ok(crate::web::pages::render_with(
        axum::http::StatusCode::OK,
        &view,
    ))
}

#[derive(askama::Template)]
#[template(path = "m/record.html")]
struct PhoneRecord {
    m: crate::web::phone::MNav,
    items: Vec<(String, String, String)>,
}

/// `GET /m/record`: the worker's own record on the phone.
pub async fn phone_page(
    axum::extract::State(s): axum::extract::State<AppState>,
    crate::auth::PageCaller(c): crate::auth::PageCaller,
) -> crate::web::pages::PageResult {
    use crate::web::pages::OrPage;
    let (m, member) = crate::web::phone::nav(&s, &c, "home").await.or_page(&c)?;
    let r = of(&s, &c, member.id).await.or_page(&c)?;
    Ok(crate::web::pages::render_with(
        axum::http::StatusCode::OK,
        &PhoneRecord {
            m,
            items: lines(&r),
        },
    ))
}

#[derive(askama::Template)]
#[template(path = "member/home_card.html")]
struct HomeCard;

/// The phone home page's way to the record.
pub async fn home_card(
    _: &AppState,
    _: &crate::program::Worker,
) -> Result<Option<String>, crate::web::error::AppError> {
    use askama::Template;
    Ok(Some(HomeCard.render().map_err(anyhow::Error::from)?))
}
