//! Pure rules of cadre points: what a cadre, a rule item and an entry may
//! hold, which year an entry counts in, and how a ranking shares its places.

use crate::fields::{Errors, Invalid};

/// The largest number of points one rule item may give or take.
pub const MAX_POINTS: i64 = 1000;

/// A cadre's name: 1–50 characters.
pub fn parse_name(v: &str) -> Result<String, String> {
    let v = v.trim();
    if v.is_empty() {
        return Err("请填写干部姓名".into());
    }
    if v.chars().count() > 50 {
        return Err("姓名不能超过50个字".into());
    }
    Ok(v.to_string())
}

/// A cadre's post (工会主席, 经审委员 …): up to 50 characters, may be empty.
pub fn parse_title(v: &str) -> Result<String, String> {
    let v = v.trim();
    if v.chars().count() > 50 {
        return Err("职务不能超过50个字".into());
    }
    Ok(v.to_string())
}

/// A rule item's label (组织培训一次, 按时报送): 1–50 characters.
pub fn parse_label(v: &str) -> Result<String, String> {
    let v = v.trim();
    if v.is_empty() {
        return Err("请填写积分项目名称".into());
    }
    if v.chars().count() > 50 {
        return Err("积分项目名称不能超过50个字".into());
    }
    Ok(v.to_string())
}

/// What an item gives (positive) or takes (negative): non-zero, within ±1000.
pub fn parse_points(v: i64) -> Result<i64, String> {
    if v == 0 {
        return Err("分值不能为 0（扣分写负数）".into());
    }
    if v.unsigned_abs() > MAX_POINTS as u64 {
        return Err(format!("分值应在 -{MAX_POINTS} 到 {MAX_POINTS} 之间"));
    }
    Ok(v)
}

/// What shows the work was done (会议通知文号, 报送回执 …): 1–500 characters.
pub fn parse_evidence(v: &str) -> Result<String, String> {
    let v = v.trim();
    if v.is_empty() {
        return Err("请填写佐证材料（如文件编号、活动记录）".into());
    }
    if v.chars().count() > 500 {
        return Err("佐证材料不能超过500个字".into());
    }
    Ok(v.to_string())
}

/// Why an entry is reversed: 1–200 characters.
pub fn parse_reason(v: &str) -> Result<String, String> {
    let v = v.trim();
    if v.is_empty() {
        return Err("请填写冲销原因".into());
    }
    if v.chars().count() > 200 {
        return Err("冲销原因不能超过200个字".into());
    }
    Ok(v.to_string())
}

/// The day the work was done, `YYYY-MM-DD`: a real date, not after `today`
/// (also `YYYY-MM-DD`, Beijing time).
pub fn parse_occurred_on(v: &str, today: &str) -> Result<String, String> {
    if v.trim().is_empty() {
        return Err("请填写发生日期（如 2024-05-01）".into());
    }
    let d = crate::pii::parse_date(v)?;
    if d.as_str() > today {
        return Err(format!("发生日期 {d} 晚于今天，不能预先记分"));
    }
    Ok(d)
}

/// A ranking year: four digits, 1900–2100.
pub fn parse_year(v: &str) -> Result<i32, String> {
    let v = v.trim();
    match v.parse::<i32>() {
        Ok(y) if v.len() == 4 && (1900..=2100).contains(&y) => Ok(y),
        _ => Err(format!("年份“{v}”无效，请写四位数字，如 2024")),
    }
}

/// The dates a year's entries fall in: `from <= occurred_on < to`.
pub fn year_range(year: i32) -> (String, String) {
    (format!("{year:04}-01-01"), format!("{:04}-01-01", year + 1))
}

/// The year of a `YYYY-MM-DD` date (0 when it is not one).
pub fn year_of(date: &str) -> i32 {
    date.get(..4).and_then(|y| y.parse().ok()).unwrap_or(0)
}

/// Ranks for totals sorted most first: equal totals share a rank and the
/// next rank skips past them (100, 90, 90, 80 → 1, 2, 2, 4).
pub fn ranks(sorted_points: &[i64]) -> Vec<i64> {
    let mut out: Vec<i64> = Vec::with_capacity(sorted_points.len());
    for (i, p) in sorted_points.iter().enumerate() {
        let rank = match out.last() {
            Some(&prev) if sorted_points[i - 1] == *p => prev,
            _ => i as i64 + 1,
        };
        out.push(rank);
    }
    out
}

/// A new cadre's fields, checked together so every mistake shows at once.
pub fn check_cadre(name: &str, title: &str) -> Result<(String, String), Invalid> {
    let mut e = Errors::default();
    let name = e.take("name", parse_name(name));
    let title = e.take("title", parse_title(title));
    e.finish()?;
    Ok((name.unwrap_or_default(), title.unwrap_or_default()))
}

/// A new rule item's fields; `points` is `None` when it was not given.
pub fn check_item(label: &str, points: Option<i64>) -> Result<(String, i64), Invalid> {
    let mut e = Errors::default();
    let label = e.take("label", parse_label(label));
    let points = e.take(
        "points",
        points
            .ok_or_else(|| "请填写分值 points".to_string())
            .and_then(parse_points),
    );
    e.finish()?;
    Ok((label.unwrap_or_default(), points.unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn fields() {
        assert!(parse_name(" ").is_err());
        assert_eq!(parse_name(" 王芳 ").unwrap(), "王芳");
        assert!(parse_name(&"名".repeat(51)).is_err());
        assert_eq!(parse_title("").unwrap(), "");
        assert!(parse_title(&"职".repeat(51)).is_err());
        assert!(parse_label("").is_err());
        assert!(parse_label(&"项".repeat(50)).is_ok());
        assert!(parse_label(&"项".repeat(51)).is_err());
        assert!(parse_points(0).is_err());
        assert_eq!(parse_points(-2), Ok(-2));
        assert_eq!(parse_points(1000), Ok(1000));
        assert!(parse_points(-1001).is_err());
        assert!(parse_evidence("  ").is_err());
        assert!(parse_evidence(&"证".repeat(500)).is_ok());
        assert!(parse_evidence(&"证".repeat(501)).is_err());
        assert!(parse_reason("").is_err());
    }

    #[test]
    fn dates_and_years() {
        let today = "2025-03-10";
        assert_eq!(
            parse_occurred_on("2025-03-10", today).unwrap(),
            "2025-03-10"
        );
        assert_eq!(parse_occurred_on("2024/2/29", today).unwrap(), "2024-02-29");
        assert!(parse_occurred_on("2025-03-11", today)
            .unwrap_err()
            .contains("晚于今天"));
        assert!(parse_occurred_on("2023-02-29", today).is_err());
        assert!(parse_occurred_on("", today).is_err());
        assert!(parse_occurred_on("last week", today).is_err());
        assert_eq!(parse_year("2024"), Ok(2024));
        assert!(parse_year("24").is_err());
        assert!(parse_year("abcd").is_err());
        assert!(parse_year("3000").is_err());
        assert_eq!(
            year_range(2024),
            ("2024-01-01".to_string(), "2025-01-01".to_string())
        );
        assert_eq!(year_of("2024-12-31"), 2024);
        let (from, to) = year_range(2024);
        assert!("2024-12-31" >= from.as_str() && "2024-12-31" < to.as_str());
        assert!("2025-01-01" >= to.as_str());
    }

    #[test]
    fn checks_report_every_field() {
        let e = check_item("", Some(0)).unwrap_err();
        assert_eq!(e.field_errors().len(), 2);
        assert!(check_item("按时报送", None).is_err());
        assert_eq!(
            check_item(" 按时报送 ", Some(2)).unwrap(),
            ("按时报送".into(), 2)
        );
        assert_eq!(
            check_cadre("", &"x".repeat(51))
                .unwrap_err()
                .field_errors()
                .len(),
            2
        );
    }

    #[test]
    fn ties_share_a_rank() {
        assert_eq!(ranks(&[100, 90, 90, 80]), vec![1, 2, 2, 4]);
        assert_eq!(ranks(&[5, 5, 5]), vec![1, 1, 1]);
        assert_eq!(ranks(&[3, 0, -2]), vec![1, 2, 3]);
        assert!(ranks(&[]).is_empty());
    }

    proptest! {
        /// A rank is one more than the number of totals strictly above it.
        #[test]
        fn rank_counts_those_ahead(mut points in proptest::collection::vec(-20i64..20, 0..60)) {
            points.sort_by(|a, b| b.cmp(a));
            let r = ranks(&points);
            prop_assert_eq!(r.len(), points.len());
            for (i, p) in points.iter().enumerate() {
                let ahead = points.iter().filter(|q| *q > p).count() as i64;
                prop_assert_eq!(r[i], ahead + 1);
            }
        }
    }
}
