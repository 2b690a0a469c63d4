//! Pure rules of the ledger: amounts, reasons, idempotency keys, balances
//! that never go below zero, validity periods, and which lots a debit takes.

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
    key_text(v).ok_or_else(|| "idempotency_key 应为 1–128 个字符，不含控制字符".into())
}

/// Text that names something once (an idempotency key, a rule's event):
/// trimmed, 1–128 characters, no control characters. The pattern the API
/// document gives both fields says the same.
pub fn key_text(v: &str) -> Option<String> {
    let v = v.trim();
    let ok = !v.is_empty() && v.chars().count() <= 128 && !v.chars().any(char::is_control);
    ok.then(|| v.to_string())
}

/// The balance after an entry, or why it cannot be.
pub fn apply(balance: i64, amount: i64) -> Result<i64, String> {
    let after = balance + amount;
    if after < 0 {
        return Err(format!("积分不足：需要 {}，当前余额 {balance}", -amount));
    }
    Ok(after)
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn amounts_reasons_keys_balances() {
        assert!(parse_amount(0).is_err());
        assert!(parse_amount(MAX_ENTRY + 1).is_err());
        assert!(parse_amount(i64::MIN).is_err());
        assert_eq!(parse_amount(-5), Ok(-5));
        assert!(parse_reason(" ").is_err());
        assert!(parse_key("a\nb").is_err());
        assert!(
            parse_key("a\u{85}b").is_err(),
            "C1 controls too, as the pattern says"
        );
        // 128 characters, not bytes: the document's maxLength counts characters.
        assert!(key_text(&"课".repeat(128)).is_some());
        assert!(key_text(&"课".repeat(129)).is_none());
        assert_eq!(key_text("  course:42 "), Some("course:42".into()));
        assert!(key_text(" \u{3000} ").is_none());
        assert_eq!(apply(10, -10), Ok(0));
        assert!(apply(10, -11).unwrap_err().contains("积分不足"));
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
