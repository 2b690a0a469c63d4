//! The dashboard of one organisation's subtree: every program's figures for
//! it and for each of its children, as the list of programs contributes them.

pub use super::model::{ChildRow, Dashboard, Group, OrgRef, RollupRow, TargetView};
use super::rules::{self, TargetKind};
use super::store::Target;
use crate::audit::Actor;
use crate::auth::{Caller, Right};
use crate::program::{Figure, Period, Subtree};
use crate::state::AppState;
use crate::web::error::{AppError, AppResult};
use serde::Deserialize;

/// At most this many children get a row: a town with thousands of
/// enterprise unions directly under it shows the first ones and says so.
pub const MAX_CHILDREN: i64 = 200;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DashboardQuery {
    /// The organisation whose subtree is shown (default: the caller's own union).
    pub org_id: Option<i64>,
    /// The year whose targets are shown (default: this year).
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i64>,
    /// How many months the trends go back, this one included (default 12, at most 36).
    #[param(minimum = 1, maximum = 36)]
    pub months: Option<i64>,
}

/// The trends' default and longest reach, in months.
pub const TREND_MONTHS: i64 = 12;
pub const MAX_TREND_MONTHS: i64 = 36;

pub fn staff_only(c: &Caller) -> AppResult<()> {
    match c.can(Right::Read) {
        true => Ok(()),
        false => Err(AppError::Forbidden("数据看板供工会工作人员使用".into())),
    }
}

fn today() -> String {
    crate::db::format_ms(crate::db::now_ms())
        .get(..10)
        .unwrap_or("1970-01-01")
        .to_string()
}

fn year_of(date: &str) -> i64 {
    date.get(..4).and_then(|y| y.parse().ok()).unwrap_or(1970)
}

fn checked_year(year: Option<i64>, today: &str) -> AppResult<i64> {
    match year {
        None => Ok(year_of(today)),
        Some(y) if (2000..=2100).contains(&y) => Ok(y),
        Some(_) => Err(AppError::invalid("year", "年份应在 2000 到 2100 之间")),
    }
}

/// Every program's figures for each subtree, in the list of programs' order:
/// the groups (titled) of the first subtree, and all figures of each.
async fn figures_for(
    s: &AppState,
    subtrees: &[Subtree],
    period: &Period,
) -> AppResult<(Vec<Group>, Vec<Vec<Figure>>)> {
    let mut per_subtree: Vec<Vec<Figure>> = vec![vec![]; subtrees.len()];
    let mut groups: Vec<Group> = vec![];
    for source in &crate::program::registry().figures {
        let found = (source.compute)(s, subtrees, period).await?;
        let own = found.first().cloned().unwrap_or_default();
        match groups.iter_mut().find(|g| g.title == source.group) {
            Some(g) => g.figures.extend(own),
            None => groups.push(Group {
                title: source.group.to_string(),
                figures: own,
            }),
        }
        for (row, figures) in per_subtree.iter_mut().zip(found) {
            row.extend(figures);
        }
    }
    Ok((groups, per_subtree))
}

pub async fn dashboard(s: &AppState, c: &Caller, q: &DashboardQuery) -> AppResult<Dashboard> {
    staff_only(c)?;
    let today = today();
    let year = checked_year(q.year, &today)?;
    let n = match q.months {
        None => TREND_MONTHS,
        Some(n) if (1..=MAX_TREND_MONTHS).contains(&n) => n,
        Some(_) => {
            return Err(AppError::invalid(
                "months",
                format!("趋势月数应在 1 到 {MAX_TREND_MONTHS} 之间"),
            ))
        }
    };
    let this_month = today.get(..7).unwrap_or("1970-01").to_string();
    let mut months = crate::member::months::months_before(&this_month, n as usize - 1);
    months.push(this_month);
    let org_id = q.org_id;
    let org = crate::auth::checks::viewed_org(s, c, org_id).await?;
    let scope = c.scope(Right::Read);
    let (children, children_total) = crate::org::store::list(
        &s.db,
        &scope,
        None,
        Some(org.id),
        crate::db::Paging::new(Some(1), Some(MAX_CHILDREN)),
    )
    .await?;
    let mut above = vec![];
    for path in crate::org::rules::ancestor_paths(&org.path) {
        if path == org.path {
            continue;
        }
        let id = path
            .trim_matches('/')
            .rsplit('/')
            .next()
            .and_then(|v| v.parse().ok());
        if let Some(id) = id {
            match crate::org::store::get(&s.db, &scope, id).await {
                Ok(a) => above.push(OrgRef {
                    id: a.id,
                    name: a.name,
                }),
                // A union above the caller's own: not theirs to see.
                Err(AppError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
    }
    let subtrees: Vec<Subtree> = std::iter::once(&org)
        .chain(children.iter())
        .map(|o| Subtree {
            org_id: o.id,
            scope: scope.narrowed_to(&o.path),
        })
        .collect();
    let period = Period::of(&today);
    let (groups, per_subtree) = figures_for(s, &subtrees, &period).await?;
    let mut trends = vec![];
    for source in &crate::program::registry().figures {
        if let Some(trend) = source.trends {
            trends.extend(trend(s, &subtrees[0], &months).await?);
        }
    }
    let ids: Vec<i64> = subtrees.iter().map(|t| t.org_id).collect();
    let set = super::store::targets(&s.db, &scope, &ids, year).await?;
    let targets = set
        .iter()
        .filter(|t| t.org_id == org.id)
        .filter_map(|t| target_view(t, &per_subtree, &children, &set))
        .collect();
    let children = children
        .iter()
        .zip(per_subtree.into_iter().skip(1))
        .map(|(o, figures)| ChildRow {
            org: OrgRef {
                id: o.id,
                name: o.name.clone(),
            },
            figures: figures
                .into_iter()
                .filter(|f| f.distribution.is_none())
                .collect(),
        })
        .collect();
    Ok(Dashboard {
        org: OrgRef {
            id: org.id,
            name: org.name,
        },
        above,
        date: today,
        groups,
        children,
        children_total,
        year,
        targets,
        months,
        trends,
        can_set_targets: c.access(Right::Targets).check(&org.path, "组织").is_ok(),
    })
}

/// A figure's value in a target's terms: people, or its share in per mille.
fn measured(kind: TargetKind, key: &str, figures: &[Figure]) -> Option<(i64, i64, String)> {
    let f = figures.iter().find(|f| f.key == key)?;
    match kind {
        TargetKind::Count => Some((
            f.value,
            0,
            format!("{} {}", rules::grouped(f.value), f.unit),
        )),
        TargetKind::Share => {
            let whole = figures
                .iter()
                .find(|w| Some(&w.key) == f.share_of.as_ref())?;
            // Rounded as the cards round their percentages.
            let per_mille = match whole.value {
                0 => 0,
                w => (f.value * 1000 + w / 2) / w,
            };
            Some((f.value, whole.value, rules::per_mille_text(per_mille)))
        }
    }
}

fn target_view(
    t: &Target,
    per_subtree: &[Vec<Figure>],
    children: &[crate::org::store::Org],
    all: &[Target],
) -> Option<TargetView> {
    let kind = t.kind();
    let own = per_subtree.first()?;
    let label = own.iter().find(|f| f.key == t.figure_key)?.label.clone();
    let unit = own.iter().find(|f| f.key == t.figure_key)?.unit.clone();
    let (part, whole, value_text) = measured(kind, &t.figure_key, own)?;
    let p = rules::progress(kind, part, whole, t.target);
    let value = match kind {
        TargetKind::Count => part,
        TargetKind::Share if whole > 0 => (part * 1000 + whole / 2) / whole,
        TargetKind::Share => 0,
    };
    let child_target = |org: i64| {
        all.iter()
            .find(|x| x.org_id == org && x.figure_key == t.figure_key && x.kind == t.kind)
    };
    let rollup = children
        .iter()
        .zip(per_subtree.iter().skip(1))
        .filter_map(|(o, figures)| {
            let (part, whole, value_text) = measured(kind, &t.figure_key, figures)?;
            let own = child_target(o.id);
            Some(RollupRow {
                org: OrgRef {
                    id: o.id,
                    name: o.name.clone(),
                },
                value: match kind {
                    TargetKind::Count => part,
                    TargetKind::Share if whole > 0 => (part * 1000 + whole / 2) / whole,
                    TargetKind::Share => 0,
                },
                value_text,
                target: own.map(|x| x.target),
                reached: own.map(|x| rules::progress(kind, part, whole, x.target).reached),
            })
        })
        .collect();
    let children_target_total = (kind == TargetKind::Count)
        .then(|| {
            children
                .iter()
                .filter_map(|o| child_target(o.id))
                .map(|x| x.target)
                .sum::<i64>()
        })
        .filter(|sum| *sum > 0);
    Some(TargetView {
        id: t.id,
        year: t.year,
        figure_key: t.figure_key.clone(),
        label,
        kind: t.kind.clone(),
        target: t.target,
        target_text: match kind {
            TargetKind::Count => format!("{} {unit}", rules::grouped(t.target)),
            TargetKind::Share => rules::per_mille_text(t.target),
        },
        value,
        value_text,
        progress_percent: p.percent,
        reached: p.reached,
        gap: p.gap,
        gap_text: match p.reached {
            true => "已达成".into(),
            false => format!("还差 {} {unit}", rules::grouped(p.gap)),
        },
        children_target_total,
        rollup,
    })
}

/// A target as the API and the console form send it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct TargetInput {
    pub org_id: i64,
    #[schema(minimum = 2000, maximum = 2100)]
    pub year: i64,
    /// A figure's key on the dashboard (`members.skilled`, `members.high_skilled` …).
    pub figure_key: String,
    /// `count` (people) or `share` (a percentage of the figure it is a share of).
    #[schema(value_type = TargetKindName)]
    pub kind: String,
    /// People (80000), or a percentage (30, 30.5): a number or its text.
    #[serde(deserialize_with = "number_or_text")]
    #[schema(value_type = String, example = "80000")]
    pub target: String,
}

/// The document's words for a target's `kind`.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum TargetKindName {
    Count,
    Share,
}

/// A target's value sent as a number (80000, 30.5) or as text ("8万", "30%").
fn number_or_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        _ => Err(serde::de::Error::custom("目标值应为数字或文字")),
    }
}

/// Sets a union's target for one figure and year (an admin of the union or above).
pub async fn set_target(s: &AppState, c: &Caller, input: &TargetInput) -> AppResult<Target> {
    staff_only(c)?;
    let org = crate::org::store::get(&s.db, &c.scope(Right::Read), input.org_id).await?;
    let access = c.access(Right::Targets);
    access.check(&org.path, "组织")?;
    let year = checked_year(Some(input.year), &today())?;
    let kind = TargetKind::parse(&input.kind).map_err(|m| AppError::invalid("kind", m))?;
    // The figure must be one the dashboard shows for this union.
    let subtree = [Subtree {
        org_id: org.id,
        scope: c.scope(Right::Read).narrowed_to(&org.path),
    }];
    let (_, figures) = figures_for(s, &subtree, &Period::of(&today())).await?;
    let figures = figures.into_iter().next().unwrap_or_default();
    let Some(figure) = figures.iter().find(|f| f.key == input.figure_key) else {
        return Err(AppError::invalid(
            "figure_key",
            format!("看板上没有指标“{}”", input.figure_key),
        ));
    };
    if kind == TargetKind::Share && figure.share_of.is_none() {
        return Err(AppError::invalid(
            "kind",
            format!("“{}”不是占比指标，请按人数设定目标", figure.label),
        ));
    }
    let target =
        rules::parse_target(kind, &input.target).map_err(|m| AppError::invalid("target", m))?;
    let new = super::store::NewTarget {
        year,
        figure_key: &figure.key,
        figure_label: &figure.label,
        kind,
        target,
    };
    super::store::set(&s.db, &Actor::of(c), &access, &org, &new).await
}

pub async fn delete_target(s: &AppState, c: &Caller, id: i64) -> AppResult<()> {
    staff_only(c)?;
    super::store::delete(&s.db, &Actor::of(c), &c.access(Right::Targets), id).await
}

/// The report upward as .xlsx (its bytes and file name): the dashboard's figures
/// of `org_id`'s subtree, a row per child.
pub async fn report(
    s: &AppState,
    c: &Caller,
    org_id: Option<i64>,
    year: Option<i64>,
) -> AppResult<(Vec<u8>, String)> {
    let q = DashboardQuery {
        org_id,
        year,
        months: None,
    };
    let d = dashboard(s, c, &q).await?;
    let bytes = super::report::workbook(&d).map_err(anyhow::Error::from)?;
    Ok((bytes, format!("{}-{}年统计报表.xlsx", d.org.name, d.year)))
}
