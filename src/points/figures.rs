//! The points on the dashboard — 本年发放积分, 本年兑换积分 and 积分余额 —
//! and the lists they open: the ledger entries and the balances they add up.

use super::store::figures::{self, Flow, Holding, Line};
use crate::auth::{checks, Caller};
use crate::db::Paging;
use crate::org::store::Org;
use crate::program::{Figure, Period, Subtree};
use crate::state::AppState;
use crate::web::api::Page;
use crate::web::error::{AppError, AppResult};
use serde::Deserialize;

/// A union's subtree, a flow of points and a period of days.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct LedgerQuery {
    /// The union whose subtree's entries are listed (default: the caller's own).
    pub org_id: Option<i64>,
    /// `earned` (发放: what the unions paid out) or `redeemed` (兑换: spent, net of refunds).
    #[param(value_type = PointsFlow, inline)]
    pub flow: Option<String>,
    /// Entries written on this day or later (YYYY-MM-DD, Beijing time).
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<String>,
    /// Entries written on this day or earlier.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// Which points a ledger list holds.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum PointsFlow {
    Earned,
    Redeemed,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct HoldingsQuery {
    /// The union whose subtree's members are listed (default: the caller's own).
    pub org_id: Option<i64>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

pub fn flow_of(v: Option<&str>) -> AppResult<Flow> {
    match v.map(str::trim) {
        Some("earned") | Some("发放") => Ok(Flow::Earned),
        Some("redeemed") | Some("兑换") => Ok(Flow::Redeemed),
        _ => Err(AppError::invalid(
            "flow",
            "请指定 earned（发放）或 redeemed（兑换）",
        )),
    }
}

/// One page of the entries, their count and their sum (the figure's value).
pub async fn ledger(
    s: &AppState,
    c: &Caller,
    q: &LedgerQuery,
) -> AppResult<(Org, Flow, Page<Line>)> {
    let (org, scope, span) =
        checks::subtree_in_days(s, c, q.org_id, (q.from.as_deref(), q.to.as_deref())).await?;
    let flow = flow_of(q.flow.as_deref())?;
    let paging = Paging::new(q.page, q.per_page);
    let (items, total, sum) = figures::ledger(&s.db, &scope, flow, span, paging).await?;
    Ok((org, flow, Page::of(items, total, paging).with_sum(sum)))
}

/// One page of the members holding points, their count and the sum they hold.
pub async fn holdings(
    s: &AppState,
    c: &Caller,
    q: &HoldingsQuery,
) -> AppResult<(Org, Page<Holding>)> {
    let (org, scope, _) = checks::subtree_in_days(s, c, q.org_id, (None, None)).await?;
    let paging = Paging::new(q.page, q.per_page);
    let (items, total, sum) = figures::holdings(&s.db, &scope, paging).await?;
    Ok((org, Page::of(items, total, paging).with_sum(sum)))
}

pub async fn compute(
    s: &AppState,
    subtrees: &[Subtree],
    period: &Period,
) -> AppResult<Vec<Vec<Figure>>> {
    let year = period.year_start.get(..4).unwrap_or_default();
    let found = figures::figures(&s.db, &crate::program::scopes_of(subtrees), year).await?;
    Ok(subtrees
        .iter()
        .zip(found)
        .map(|(t, f)| {
            let org = t.org_id;
            let span = format!("from={}&to={}", period.year_start, period.year_end);
            let flow = |key: &str, label: &str, value: i64, flow: &str| {
                let query = format!("org_id={org}&flow={flow}&{span}");
                Figure::summing(key, label, "分", value, &format!("/points/ledger?{query}"))
            };
            vec![
                flow("points.earned", "本年发放积分", f.earned, "earned"),
                flow("points.redeemed", "本年兑换积分", f.redeemed, "redeemed"),
                Figure::summing(
                    "points.outstanding",
                    "积分余额",
                    "分",
                    f.outstanding,
                    &format!("/points/holdings?org_id={org}"),
                ),
            ]
        })
        .collect())
}

/// Points paid out and redeemed month by month, for the trend charts.
pub async fn trends(
    s: &AppState,
    subtree: &Subtree,
    months: &[String],
) -> AppResult<Vec<crate::program::Trend>> {
    let columns = ["points_earned", "points_redeemed"];
    let mut v = crate::org::subtree::by_month(&s.db, &subtree.scope, &columns, months)
        .await?
        .into_iter();
    let mut next = || v.next().unwrap_or_default();
    Ok(vec![
        crate::program::Trend::kept("points.earned", "每月发放积分", "分", next()),
        crate::program::Trend::kept("points.redeemed", "每月兑换积分", "分", next()),
    ])
}

/// The points program's part of a member's growth record.
pub async fn record(s: &AppState, member_id: i64) -> AppResult<Vec<crate::program::RecordItem>> {
    figures::earned_record(&s.db, member_id, crate::program::RECORD_PER_SOURCE).await
}
