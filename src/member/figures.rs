//! The roster's part of the dashboard: members on the roll, the skill mix and
//! the 高技能人才 share, 农民工 and 困难职工, joins this month and this year.
//! Every figure names the member list it counts (the same filters), so a
//! click shows exactly the people behind the number.

use super::rules::SKILL_LEVELS;
use super::store;
use crate::program::{Figure, Period, Subtree};
use crate::state::AppState;
use crate::web::error::AppResult;

pub async fn compute(
    s: &AppState,
    subtrees: &[Subtree],
    period: &Period,
) -> AppResult<Vec<Vec<Figure>>> {
    let found = store::figures(
        &s.db,
        &crate::program::scopes_of(subtrees),
        period.month_start.get(..7).unwrap_or_default(),
        period.year_start.get(..4).unwrap_or_default(),
    )
    .await?;
    Ok(subtrees
        .iter()
        .zip(found)
        .map(|(t, f)| figures_of(t.org_id, &f, period))
        .collect())
}

fn figures_of(org: i64, f: &store::Figures, period: &Period) -> Vec<Figure> {
    let roll = format!("/members?org_id={org}&status=在册");
    let skilled: i64 = f.levels.iter().sum();
    let high: i64 = f.levels[2..].iter().sum();
    let mut out = vec![
        Figure::counting("members.on_roll", "在册会员", "人", f.on_roll, &roll),
        Figure::counting(
            "members.skilled",
            "技能劳动者",
            "人",
            skilled,
            &format!("{roll}&min_skill_level=初级工"),
        )
        .share_of("members.on_roll"),
        Figure::counting(
            "members.high_skilled",
            "高技能人才",
            "人",
            high,
            &format!("{roll}&min_skill_level=高级工"),
        )
        .share_of("members.skilled"),
        Figure::counting(
            "members.migrant",
            "农民工",
            "人",
            f.migrant,
            &format!("{roll}&is_migrant_worker=true"),
        )
        .share_of("members.on_roll"),
        Figure::counting(
            "members.hardship",
            "困难职工",
            "人",
            f.hardship,
            &format!("{roll}&is_hardship=true"),
        )
        .share_of("members.on_roll"),
        Figure::counting(
            "members.joined_month",
            "本月入会",
            "人",
            f.joined_month,
            &format!(
                "/members?org_id={org}&joined_from={}&joined_to={}",
                period.month_start, period.month_end
            ),
        ),
        Figure::counting(
            "members.joined_year",
            "本年入会",
            "人",
            f.joined_year,
            &format!(
                "/members?org_id={org}&joined_from={}&joined_to={}",
                period.year_start, period.year_end
            ),
        ),
    ];
    for (key, label, value, way, from) in [
        (
            "members.transferred_in_month",
            "本月转入",
            f.transferred_in_month,
            "in",
            &period.month_start,
        ),
        (
            "members.transferred_out_month",
            "本月转出",
            f.transferred_out_month,
            "out",
            &period.month_start,
        ),
        (
            "members.transferred_in_year",
            "本年转入",
            f.transferred_in_year,
            "in",
            &period.year_start,
        ),
        (
            "members.transferred_out_year",
            "本年转出",
            f.transferred_out_year,
            "out",
            &period.year_start,
        ),
    ] {
        out.push(Figure::counting(
            key,
            label,
            "人次",
            value,
            &format!(
                "/transfers?org_id={org}&direction={way}&from={from}&to={}",
                period.today
            ),
        ));
    }
    for (i, level) in SKILL_LEVELS.iter().enumerate() {
        out.push(
            Figure::counting(
                &format!("members.level.{}", 5 - i),
                level,
                "人",
                f.levels[i],
                &format!("{roll}&skill_level={level}"),
            )
            .share_of("members.skilled")
            .in_distribution("技能等级"),
        );
    }
    out
}

/// 在册会员, 技能劳动者 and 高技能人才 month by month (`months`, oldest first).
pub async fn trends(
    s: &AppState,
    subtree: &Subtree,
    months: &[String],
) -> AppResult<Vec<crate::program::Trend>> {
    let Some(first) = months.first() else {
        return Ok(vec![]);
    };
    let kept = super::months::of(&s.db, &subtree.scope, subtree.org_id, first).await?;
    let at = |m: &String| kept.iter().find(|k| &k.month == m);
    let line = |key: &str, label: &str, pick: fn(&super::months::Month) -> Option<i64>| {
        crate::program::Trend {
            key: key.to_string(),
            label: label.to_string(),
            unit: "人".to_string(),
            values: months.iter().map(|m| at(m).and_then(pick)).collect(),
            estimated: months
                .iter()
                .map(|m| at(m).is_some_and(|k| k.estimated))
                .collect(),
        }
    };
    Ok(vec![
        line("members.on_roll", "在册会员", |k| Some(k.on_roll)),
        line("members.skilled", "技能劳动者", |k| k.skilled),
        line("members.high_skilled", "高技能人才", |k| {
            k.high_skilled
        }),
    ])
}
