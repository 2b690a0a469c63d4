//! What the dashboard answers: the figures of an organisation's subtree, its
//! children's, and its targets (shared by the API, the page and the report).

use crate::program::Figure;
use serde::Serialize;

/// A target set for a figure and year, and how far the figure is from it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TargetView {
    pub id: i64,
    pub year: i64,
    pub figure_key: String,
    /// The figure's name (技能劳动者, 高技能人才 …).
    pub label: String,
    /// `count` (people) or `share` (per mille of the figure it is a share of).
    pub kind: String,
    pub target: i64,
    /// The target in words: "80,000 人", "30.0%".
    pub target_text: String,
    /// Where the figure stands, in the target's terms (people, or per mille).
    pub value: i64,
    pub value_text: String,
    /// 0–100, for the bar.
    pub progress_percent: f64,
    pub reached: bool,
    /// People still missing (for a share: at the present whole).
    pub gap: i64,
    /// "还差 1,234 人" or "已达成".
    pub gap_text: String,
    /// The children's own targets for the same figure and year, summed (count targets).
    pub children_target_total: Option<i64>,
    /// Each child's figure beside the parent's target, and its own target if set.
    pub rollup: Vec<RollupRow>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RollupRow {
    pub org: OrgRef,
    pub value: i64,
    pub value_text: String,
    pub target: Option<i64>,
    pub reached: Option<bool>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrgRef {
    pub id: i64,
    pub name: String,
}

/// Figures under one heading.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Group {
    pub title: String,
    pub figures: Vec<Figure>,
}

/// One child organisation and its figures (the same keys as the parent's).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChildRow {
    pub org: OrgRef,
    pub figures: Vec<Figure>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    pub org: OrgRef,
    /// The unions above it that the caller sees, the top first.
    pub above: Vec<OrgRef>,
    /// The day the figures are of (Beijing), `YYYY-MM-DD`.
    pub date: String,
    pub groups: Vec<Group>,
    pub children: Vec<ChildRow>,
    /// How many children there are (rows stop at `MAX_CHILDREN`).
    pub children_total: i64,
    pub year: i64,
    pub targets: Vec<TargetView>,
    /// The trends' months (`YYYY-MM`), oldest first; this month last.
    pub months: Vec<String>,
    /// Figures month by month, one value per month.
    pub trends: Vec<crate::program::Trend>,
    /// Whether the caller may set this union's targets.
    #[serde(skip)]
    pub can_set_targets: bool,
}
