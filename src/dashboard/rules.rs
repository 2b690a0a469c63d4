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
