//! The dashboard's arithmetic: shares, the row for an organisation's own
//! members beside its children, and the geometry of the charts drawn on the
//! server. Plain data in, plain data out.

/// `part` as a percentage of `whole`, one decimal (`None` when there is no whole).
pub fn percent(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

/// 1234567 → "1,234,567": how staff read figures in a report.
pub fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

/// What an organisation holds itself, beside its children: its total less
/// theirs, figure by figure (members registered at the union itself, the
/// union itself as an organisation).
pub fn own_part(total: &[i64], children: &[Vec<i64>]) -> Vec<i64> {
    total
        .iter()
        .enumerate()
        .map(|(i, t)| {
            t - children
                .iter()
                .map(|c| c.get(i).copied().unwrap_or(0))
                .sum::<i64>()
        })
        .collect()
}

/// One bar of a horizontal bar chart, in SVG user units.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub y: u32,
    pub width: u32,
    /// Where the value's label starts: right of the bar.
    pub text_x: u32,
    pub text_y: u32,
}

/// Chart geometry: each row `ROW` high, bars from `LEFT` up to `LEFT + SPAN`
/// for the largest value (so the largest fills the chart).
pub const ROW: u32 = 34;
pub const LEFT: u32 = 96;
pub const SPAN: u32 = 360;
pub const BAR: u32 = 22;

pub fn bars(values: &[i64]) -> Vec<Bar> {
    let max = values.iter().copied().max().unwrap_or(0).max(1);
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let width = ((*v).max(0) as u64 * SPAN as u64 / max as u64) as u32;
            let y = i as u32 * ROW + 6;
            Bar {
                y,
                width,
                text_x: LEFT + width + 6,
                text_y: y + BAR - 6,
            }
        })
        .collect()
}

/// The height of a chart of `rows` bars.
pub fn chart_height(rows: usize) -> u32 {
    rows as u32 * ROW + 12
}

/// A trend chart's drawing area, in SVG user units: values from the
/// bottom (0) to the top (the largest value), months left to right.
pub const LINE_LEFT: u32 = 64;
pub const LINE_WIDTH: u32 = 520;
pub const LINE_TOP: u32 = 12;
pub const LINE_HEIGHT: u32 = 120;

/// A point of a trend line.
#[derive(Debug, Clone, PartialEq)]
pub struct Dot {
    pub x: u32,
    pub y: u32,
    /// Which month (index into the months).
    pub at: usize,
}

/// The points of a line through `values` (none where a month has no value),
/// scaled so the largest value touches the top; and that largest value.
pub fn line(values: &[Option<i64>]) -> (Vec<Dot>, i64) {
    let max = values.iter().flatten().copied().max().unwrap_or(0).max(1);
    let step = match values.len() {
        0 | 1 => 0,
        n => LINE_WIDTH / (n as u32 - 1),
    };
    let dots = values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| {
            let v = (*v)?.max(0);
            Some(Dot {
                x: LINE_LEFT + i as u32 * step,
                y: LINE_TOP + LINE_HEIGHT - (v as u64 * LINE_HEIGHT as u64 / max as u64) as u32,
                at: i,
            })
        })
        .collect();
    (dots, max)
}

/// What a yearly target counts: people, or a share (per mille of the figure
/// it is a share of: 30 % → 300).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    Count,
    Share,
}

impl TargetKind {
    pub fn parse(s: &str) -> Result<TargetKind, String> {
        match s.trim() {
            "count" | "人数" => Ok(TargetKind::Count),
            "share" | "占比" => Ok(TargetKind::Share),
            other => Err(format!(
                "目标类型“{other}”无法识别，可选：人数（count）、占比（share）"
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Count => "count",
            TargetKind::Share => "share",
        }
    }
}

/// A target as typed: people ("80000", "80,000", "8万") or a percentage
/// ("30", "30%", "30.5") kept in per mille.
pub fn parse_target(kind: TargetKind, input: &str) -> Result<i64, String> {
    let s = crate::pii::to_half_width(input.trim()).replace([',', ' '], "");
    if s.is_empty() {
        return Err("请填写目标值".into());
    }
    match kind {
        TargetKind::Count => {
            let (digits, times) = match s.strip_suffix('万') {
                Some(d) => (d, 10_000.0),
                None => (s.strip_suffix('人').unwrap_or(&s), 1.0),
            };
            match digits.parse::<f64>() {
                Ok(v)
                    if v.is_finite()
                        && v > 0.0
                        && (v * times).fract() == 0.0
                        && v * times <= 1e12 =>
                {
                    Ok((v * times) as i64)
                }
                _ => Err(format!(
                    "目标人数“{}”应为正整数，如 80000 或 8万",
                    input.trim()
                )),
            }
        }
        TargetKind::Share => match s.trim_end_matches('%').parse::<f64>() {
            Ok(v) if v.is_finite() && v > 0.0 && v <= 100.0 && (v * 10.0).fract() == 0.0 => {
                Ok((v * 10.0) as i64)
            }
            _ => Err(format!(
                "目标占比“{}”应为 0 到 100 之间的百分数，最多一位小数，如 30 或 30.5",
                input.trim()
            )),
        },
    }
}

/// How far a figure is from its target.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// For the bar: 0 to 100.
    pub percent: f64,
    pub reached: bool,
    /// People still missing (0 when reached): for a share, at the present whole.
    pub gap: i64,
}

/// `value` against `target`; for a share target (per mille) `value` is the
/// part and `whole` what it is a share of.
pub fn progress(kind: TargetKind, value: i64, whole: i64, target: i64) -> Progress {
    let needed = match kind {
        TargetKind::Count => target,
        // The least whole number of people that makes the share: ⌈target × whole ÷ 1000⌉.
        TargetKind::Share => (target * whole + 999) / 1000,
    };
    let gap = (needed - value).max(0);
    let percent = if needed <= 0 {
        100.0
    } else {
        ((value as f64 * 1000.0 / needed as f64).round() / 10.0).min(100.0)
    };
    Progress {
        percent,
        reached: gap == 0,
        gap,
    }
}

/// A share target in words: 300 → "30.0%".
pub fn per_mille_text(v: i64) -> String {
    format!("{:.1}%", v as f64 / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_round_to_one_decimal_and_need_a_whole() {
        assert_eq!(percent(1, 3), Some(33.3));
        assert_eq!(percent(2, 3), Some(66.7));
        assert_eq!(percent(0, 0), None);
        assert_eq!(percent(5, 5), Some(100.0));
    }

    #[test]
    fn targets_are_read_as_staff_write_them() {
        assert_eq!(parse_target(TargetKind::Count, "80,000"), Ok(80_000));
        assert_eq!(parse_target(TargetKind::Count, "8万"), Ok(80_000));
        assert_eq!(parse_target(TargetKind::Count, "１２３"), Ok(123));
        assert!(parse_target(TargetKind::Count, "0").is_err());
        assert!(parse_target(TargetKind::Count, "1.5").is_err());
        assert!(parse_target(TargetKind::Count, "很多").is_err());
        assert_eq!(parse_target(TargetKind::Share, "30"), Ok(300));
        assert_eq!(parse_target(TargetKind::Share, "30.5%"), Ok(305));
        assert!(parse_target(TargetKind::Share, "101").is_err());
        assert!(parse_target(TargetKind::Share, "30.55").is_err());
        assert_eq!(TargetKind::parse("占比"), Ok(TargetKind::Share));
        assert!(TargetKind::parse("ratio").is_err());
    }

    #[test]
    fn progress_counts_the_people_still_missing() {
        // 婺城: 80,000 skilled workers by 2025.
        let p = progress(TargetKind::Count, 78_766, 0, 80_000);
        assert_eq!((p.gap, p.reached), (1_234, false));
        assert_eq!(p.percent, 98.5);
        let done = progress(TargetKind::Count, 81_000, 0, 80_000);
        assert_eq!((done.gap, done.reached, done.percent), (0, true, 100.0));
        // 30 % of 1,001 skilled is 300.3: 301 people are needed.
        let share = progress(TargetKind::Share, 290, 1_001, 300);
        assert_eq!(share.gap, 11);
        assert!(!share.reached);
        assert!(
            progress(TargetKind::Share, 0, 0, 300).reached,
            "no one to be a share of"
        );
        assert_eq!(per_mille_text(305), "30.5%");
    }

    #[test]
    fn a_trend_line_spans_the_months_and_skips_the_unknown() {
        let (dots, max) = line(&[Some(0), None, Some(50), Some(100)]);
        assert_eq!(max, 100);
        assert_eq!(dots.len(), 3, "no dot for a month without a value");
        assert_eq!(dots[0].y, LINE_TOP + LINE_HEIGHT, "zero at the bottom");
        assert_eq!(dots[2].y, LINE_TOP, "the largest at the top");
        assert_eq!(dots[2].x, LINE_LEFT + LINE_WIDTH / 3 * 3);
        assert_eq!(dots[1].at, 2);
        assert!(line(&[None, None]).0.is_empty());
    }

    #[test]
    fn figures_read_in_groups_of_three() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(1234567), "1,234,567");
        assert_eq!(grouped(-80000), "-80,000");
    }

    #[test]
    fn the_own_part_is_what_the_children_do_not_hold() {
        let own = own_part(&[100, 7], &[vec![60, 3], vec![30, 3]]);
        assert_eq!(own, vec![10, 1]);
        assert_eq!(own_part(&[5], &[]), vec![5]);
    }

    #[test]
    fn the_largest_bar_fills_the_chart_and_none_is_negative() {
        let b = bars(&[10, 5, 0]);
        assert_eq!(b[0].width, SPAN);
        assert_eq!(b[1].width, SPAN / 2);
        assert_eq!(b[2].width, 0);
        assert!(b[1].y > b[0].y);
        assert_eq!(bars(&[0, 0])[0].width, 0);
    }
}
