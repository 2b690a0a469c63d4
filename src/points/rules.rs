//! Pure rules of the ledger and the catalogue.

use crate::fields::{Errors, Invalid};

pub const MAX_ENTRY: i64 = 100_000;

pub fn parse_amount(v: i64) -> Result<i64, String> {
    if v == 0 {
        return Err("积分数不能为 0".into());
    }
    // unsigned_abs: `i64::MIN.abs()` overflows (and in release wraps to itself).
    if v.unsigned_abs() > MAX_ENTRY as u64 {
        return Err(format!("单笔积分不能超过 {MAX_ENTRY}"));
    }
    Ok(v)
}

pub fn parse_reason(v: &str) -> Result<String, String> {
    let v = v.trim();
    if v.is_empty() {
        return Err("请填写积分原因".into());
    }
    if v.chars().count() > 200 {
        return Err("原因不能超过200个字".into());
    }
    Ok(v.to_string())
}

/// A client's key that makes retries safe: the same key never adds twice.
pub fn parse_key(v: &str) -> Result<String, String> {
    let v = v.trim();
    if v.is_empty() || v.len() > 128 || v.chars().any(|c| c.is_control()) {
        return Err("idempotency_key 应为 1–128 个可见字符".into());
    }
    Ok(v.to_string())
}

/// The balance after an entry, or why it cannot be.
pub fn apply(balance: i64, amount: i64) -> Result<i64, String> {
    let after = balance + amount;
    if after < 0 {
        return Err(format!("积分不足：需要 {}，当前余额 {balance}", -amount));
    }
    Ok(after)
}

/// A rule's code names it in the API (`course_completed`, `feedback`): 1–32 of a–z, 0–9, _ . -
pub fn parse_rule(code: &str, label: &str, points: i64) -> Result<(String, String, i64), Invalid> {
    let mut e = Errors::default();
    let code = code.trim().to_lowercase();
    if code.is_empty()
        || code.len() > 32
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
    {
        e.add("code", "规则代码应为1–32位小写字母、数字、_ . -");
    }
    let label = label.trim().to_string();
    if label.is_empty() || label.chars().count() > 50 {
        e.add("label", "请填写规则名称（不超过50个字）");
    }
    if !(1..=10_000).contains(&points) {
        e.add("points", "每次奖励的积分应为 1–10000");
    }
    e.finish()?;
    Ok((code, label, points))
}

pub const DAY_MS: i64 = 86_400_000;

/// How many days a rule's (or a grant's) points stay valid: 1 day to 10 years.
pub fn parse_valid_days(v: i64) -> Result<i64, String> {
    if !(1..=3650).contains(&v) {
        return Err("有效天数应为 1–3650（不填则长期有效）".into());
    }
    Ok(v)
}

/// When points earned at `now` and valid for `days` expire.
pub fn expiry(now: i64, days: Option<i64>) -> Option<i64> {
    days.map(|d| now + d * DAY_MS)
}

/// Which lots a debit of `amount` takes from, and how much from each: the
/// lots in the order given (soonest expiry first), each up to what it has
/// left. What the lots cannot cover comes from points that never expire.
pub fn take_from_lots(lots: &[(i64, i64)], amount: i64) -> Vec<(i64, i64)> {
    let mut left = amount.max(0);
    let mut out = vec![];
    for &(id, remaining) in lots {
        if left == 0 {
            break;
        }
        let take = remaining.min(left);
        if take > 0 {
            out.push((id, take));
            left -= take;
        }
    }
    out
}

#[derive(Debug, Clone, Default)]
pub struct ItemFields {
    pub name: Option<String>,
    pub description: Option<String>,
    pub price: Option<i64>,
    pub stock: Option<i64>,
    pub per_member_limit: Option<i64>,
    pub active: Option<bool>,
    /// The last day it can be redeemed, as the first millisecond after it:
    /// `Some(None)` clears it (no end), `None` leaves it as it is.
    pub valid_until: Option<Option<i64>>,
}

/// "YYYY-MM-DD" (the last day an item can be redeemed, Beijing time) as the
/// first millisecond after that day; "" for no end. The day is today or
/// later (to end redemption now, take the item off); years run to 2100.
pub fn parse_valid_until(v: &str, now: i64) -> Result<Option<i64>, String> {
    match v.trim() {
        "" => Ok(None),
        d => {
            let end = crate::db::date_start_ms(d, true)
                .map_err(|_| "兑换截止日期应为 YYYY-MM-DD".to_string())?;
            if end <= now {
                return Err("兑换截止日期不能早于今天；要停止兑换，请把物品下架".into());
            }
            Ok(Some(end))
        }
    }
}

/// Checks a catalogue item; a new one needs a name, a price and its stock.
pub fn check_item(f: &ItemFields, is_new: bool) -> Result<(), Invalid> {
    let mut e = Errors::default();
    match &f.name {
        Some(n) => {
            e.take("name", crate::org::rules::parse_name(n));
        }
        None if is_new => e.add("name", "请填写物品名称"),
        None => {}
    }
    match f.price {
        Some(p) if !(1..=1_000_000).contains(&p) => e.add("price", "兑换所需积分应为 1–1000000"),
        None if is_new => e.add("price", "请填写兑换所需积分 price"),
        _ => {}
    }
    match f.stock {
        Some(s) if !(0..=1_000_000).contains(&s) => e.add("stock", "库存应为 0–1000000"),
        None if is_new => e.add("stock", "请填写库存 stock"),
        _ => {}
    }
    if let Some(l) = f.per_member_limit {
        if !(0..=10_000).contains(&l) {
            e.add("per_member_limit", "每人限兑数量应为 0（不限）到 10000");
        }
    }
    if f.description
        .as_deref()
        .is_some_and(|d| d.chars().count() > 500)
    {
        e.add("description", "说明不能超过500个字");
    }
    e.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rules() {
        assert!(parse_amount(0).is_err());
        assert!(parse_amount(MAX_ENTRY + 1).is_err());
        assert_eq!(parse_amount(-5), Ok(-5));
        assert!(parse_reason(" ").is_err());
        assert!(parse_key("a\nb").is_err());
        assert_eq!(apply(10, -10), Ok(0));
        assert!(apply(10, -11).unwrap_err().contains("积分不足"));
        let missing = check_item(&ItemFields::default(), true).unwrap_err();
        assert_eq!(missing.field_errors().len(), 3);
        assert!(check_item(
            &ItemFields {
                stock: Some(-1),
                ..Default::default()
            },
            false
        )
        .is_err());
    }

    #[test]
    fn lots_are_taken_soonest_first() {
        assert_eq!(take_from_lots(&[(1, 5), (2, 10)], 7), vec![(1, 5), (2, 2)]);
        assert_eq!(take_from_lots(&[(1, 5)], 9), vec![(1, 5)]);
        assert_eq!(take_from_lots(&[(1, 0), (2, 3)], 2), vec![(2, 2)]);
        assert!(take_from_lots(&[(1, 5)], 0).is_empty());
        assert!(parse_valid_days(0).is_err());
        assert_eq!(expiry(1_000, Some(2)), Some(1_000 + 2 * DAY_MS));
        assert_eq!(expiry(1_000, None), None);
    }

    proptest! {
        /// A debit never takes more from a lot than it has, takes in order, and
        /// takes all it needs while the lots can cover it.
        #[test]
        fn lot_takes_add_up(lots in proptest::collection::vec(0i64..50, 0..20), amount in 0i64..600) {
            let lots: Vec<(i64, i64)> = lots.into_iter().enumerate().map(|(i, r)| (i as i64, r)).collect();
            let takes = take_from_lots(&lots, amount);
            let total: i64 = takes.iter().map(|t| t.1).sum();
            let available: i64 = lots.iter().map(|l| l.1).sum();
            prop_assert_eq!(total, amount.min(available));
            for (id, take) in &takes {
                prop_assert!(*take > 0 && *take <= lots[*id as usize].1);
            }
            prop_assert!(takes.windows(2).all(|w| w[0].0 < w[1].0));
        }
    }

    proptest! {
        /// Whatever the sequence of entries, applying them with `apply` never
        /// goes below zero, and the balance is the sum of what was accepted.
        #[test]
        fn balances_stay_non_negative(amounts in proptest::collection::vec(-50i64..50, 0..200)) {
            let (mut balance, mut accepted) = (0i64, 0i64);
            for a in amounts {
                if let Ok(b) = apply(balance, a) {
                    balance = b;
                    accepted += a;
                }
                prop_assert!(balance >= 0);
            }
            prop_assert_eq!(balance, accepted);
        }
    }
}
