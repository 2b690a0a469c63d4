//! Pure rules of the catalogue and of earning rules (the ledger's own are in
//! `ledger::rules`).

use crate::fields::{Errors, Invalid};

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

/// The code of a rule staff name in Chinese without one: the code of a rule
/// in force that already has that name (saving it again changes it), else
/// `custom-N`, the first N no rule anywhere has taken (`taken`: every union's
/// codes — a union below may hold one that is not in force here, and the
/// nearest rule of a code wins).
pub fn code_for_label(label: &str, in_force: &[(&str, &str)], taken: &[&str]) -> String {
    let label = label.trim();
    if let Some((code, _)) = in_force.iter().find(|(_, l)| l.trim() == label) {
        return code.to_string();
    }
    (1..)
        .map(|n| format!("custom-{n}"))
        .find(|c| !in_force.iter().any(|(code, _)| code == c) && !taken.contains(&c.as_str()))
        .expect("an unused number")
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

    #[test]
    fn items_need_a_name_a_price_and_stock() {
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
}

#[cfg(test)]
mod code_tests {
    use super::code_for_label;

    #[test]
    fn a_named_rule_keeps_its_code_and_a_new_name_gets_the_next_free_one() {
        let in_force = [
            ("course_completed", "完成课程"),
            ("custom-1", "志愿服务"),
            ("custom-3", "技能比武"),
        ];
        assert_eq!(code_for_label(" 志愿服务 ", &in_force, &[]), "custom-1");
        assert_eq!(
            code_for_label("完成课程", &in_force, &[]),
            "course_completed"
        );
        assert_eq!(code_for_label("献血", &in_force, &[]), "custom-2");
        assert_eq!(code_for_label("献血", &[], &[]), "custom-1");
        // A union below already holds custom-2: the city's new rule takes another.
        assert_eq!(code_for_label("献血", &in_force, &["custom-2"]), "custom-4");
    }
}
