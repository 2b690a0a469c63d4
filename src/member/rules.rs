//! Validating a member record; skill levels, political status and membership status.

use crate::fields::{Errors, Invalid};
use crate::pii::{parse_date, IdNumber, Phone};

/// The national five levels, lowest first; the label is how staff write it.
pub const SKILL_LEVELS: [&str; 5] = ["初级工", "中级工", "高级工", "技师", "高级技师"];

/// Reads the many ways a roster writes a level: 五级, 初级, 初级工, 五级/初级工, 高级技师, 一级 …
pub fn parse_skill_level(input: &str) -> Result<String, String> {
    // "三级（高级工）" and "四级/中级工" both name a level twice: split on the separators.
    let s = crate::pii::to_half_width(input.trim())
        .replace(['(', ')'], "/")
        .replace(' ', "");
    if s.is_empty() || s == "无" || s == "/" {
        return Ok(String::new());
    }
    // Try the most specific names first: "高级技师" contains "技师", "高级工" contains "高级".
    let table: [(&[&str], usize); 5] = [
        (&["高级技师", "一级"], 4),
        (&["技师", "二级"], 3),
        (&["高级工", "高级", "三级"], 2),
        (&["中级工", "中级", "四级"], 1),
        (&["初级工", "初级", "五级"], 0),
    ];
    for part in s.split(['/', '、']).filter(|p| !p.is_empty()) {
        for (names, level) in table {
            if names.contains(&part) {
                return Ok(SKILL_LEVELS[level].to_string());
            }
        }
    }
    Err(format!(
        "技能等级“{}”无法识别，可选：{}（或 五级…一级）",
        input.trim(),
        SKILL_LEVELS.join("、")
    ))
}

/// A level and every level above it (高级工: 高级工, 技师, 高级技师); none for an unknown level.
pub fn levels_from(level: &str) -> &'static [&'static str] {
    match SKILL_LEVELS.iter().position(|l| *l == level) {
        Some(i) => &SKILL_LEVELS[i..],
        None => &[],
    }
}

/// A yes/no filter as a list's query string writes it (`true`, `1`, `是`); empty is no filter.
pub fn parse_flag(input: &str) -> Result<Option<bool>, String> {
    match input.trim() {
        "" => Ok(None),
        "true" | "1" | "是" => Ok(Some(true)),
        "false" | "0" | "否" => Ok(Some(false)),
        other => Err(format!("“{other}”应为 是 或 否")),
    }
}

/// 高技能人才: 高级工 and above.
pub fn is_high_skilled(level: &str) -> bool {
    matches!(level, "高级工" | "技师" | "高级技师")
}

pub const POLITICAL: [&str; 6] = [
    "中共党员",
    "中共预备党员",
    "共青团员",
    "民主党派",
    "无党派人士",
    "群众",
];
pub const STATUSES: [&str; 3] = ["在册", "转出", "退会"];
pub const EDUCATIONS: [&str; 8] = [
    "初中及以下",
    "高中",
    "中专",
    "技校",
    "大专",
    "本科",
    "硕士",
    "博士",
];

/// A membership status filter: one of [`STATUSES`] ("" for any).
pub fn parse_status(v: &str) -> Result<String, String> {
    one_of(v, &STATUSES, "会籍状态")
}

fn one_of(v: &str, options: &[&str], label: &str) -> Result<String, String> {
    let v = v.trim();
    if v.is_empty() || options.contains(&v) {
        Ok(v.to_string())
    } else {
        Err(format!("{label}“{v}”无效，可选：{}", options.join("、")))
    }
}

pub fn parse_political(v: &str) -> Result<String, String> {
    let v = v.trim();
    let v = match v {
        "党员" => "中共党员",
        "预备党员" => "中共预备党员",
        "团员" => "共青团员",
        other => other,
    };
    one_of(v, &POLITICAL, "政治面貌")
}

pub fn parse_name(v: &str) -> Result<String, String> {
    let v: String = v.trim().chars().filter(|c| !c.is_whitespace()).collect();
    if v.is_empty() {
        return Err("姓名不能为空".into());
    }
    if v.chars().count() > 30 {
        return Err("姓名不能超过30个字".into());
    }
    if v.chars()
        .any(|c| c.is_ascii_digit() || "@#$%^&*<>".contains(c))
    {
        return Err(format!("姓名“{v}”含有数字或符号"));
    }
    Ok(v)
}

fn short(v: &str, label: &str, max: usize) -> Result<String, String> {
    let v = v.trim();
    if v.chars().count() > max {
        return Err(format!("{label}不能超过{max}个字"));
    }
    Ok(v.to_string())
}

fn card_no(v: &str) -> Result<String, String> {
    let v = crate::pii::to_half_width(v.trim());
    if v.len() > 32 || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err("会员卡号应为不超过32位的字母、数字或 -".into());
    }
    Ok(v)
}

/// A member as submitted: every field optional, as text (flags as bools).
#[derive(Debug, Default, Clone)]
pub struct RawMember {
    pub name: Option<String>,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub ethnicity: Option<String>,
    pub education: Option<String>,
    pub political_status: Option<String>,
    pub occupation: Option<String>,
    pub skill_level: Option<String>,
    pub card_no: Option<String>,
    pub join_date: Option<String>,
    pub is_migrant_worker: Option<bool>,
    pub is_hardship: Option<bool>,
    pub status: Option<String>,
}

/// Validated fields; `None` means "not given" (keep the stored value on an edit).
#[derive(Debug, Default, Clone)]
pub struct MemberFields {
    pub name: Option<String>,
    pub id_number: Option<IdNumber>,
    /// `Some(None)` clears the phone.
    pub phone: Option<Option<Phone>>,
    pub ethnicity: Option<String>,
    pub education: Option<String>,
    pub political_status: Option<String>,
    pub occupation: Option<String>,
    pub skill_level: Option<String>,
    pub card_no: Option<String>,
    pub join_date: Option<String>,
    pub is_migrant_worker: Option<bool>,
    pub is_hardship: Option<bool>,
    pub status: Option<String>,
}

/// What a search box entry could be, best match first.
#[derive(Debug, Clone, PartialEq)]
pub enum SearchKey {
    IdNumber(IdNumber),
    Phone(Phone),
    PhoneTail(String),
    /// The last 4 or 6 characters of an ID number (身份证后4位 / 后6位).
    IdTail(String),
    CardNo(String),
    NameExact(String),
    NamePrefix(String),
    /// The name from its 2nd character on starts with this (a substring, for names of 2–4 characters).
    NameFrom2(String),
    /// The name from its 3rd character on starts with this.
    NameFrom3(String),
    PinyinExact(String),
    InitialsExact(String),
    PinyinPrefix(String),
    InitialsPrefix(String),
}

/// Reads a search: 张 / 张伟 (name), zhangwei / zw / zhangw (pinyin, initials),
/// 5678 (phone tail or ID tail), 12345X / 234567 (ID tail), a whole phone or
/// ID number, or a member card number.
pub fn search_keys_for(input: &str) -> Vec<SearchKey> {
    let q = crate::pii::to_half_width(input.trim());
    let mut keys = vec![];
    if let Ok(idn) = IdNumber::parse(&q) {
        keys.push(SearchKey::IdNumber(idn));
        return keys;
    }
    let compact: String = q
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    // The last 4 or 6 of an ID number, whose last may be X.
    let upper = compact.to_ascii_uppercase();
    let id_tail = (upper.len() == 4 || upper.len() == 6)
        && upper.is_ascii()
        && upper[..upper.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && upper.ends_with(|c: char| c.is_ascii_digit() || c == 'X');
    if compact.chars().all(|c| c.is_ascii_digit()) && !compact.is_empty() {
        if let Ok(p) = Phone::parse(&compact) {
            keys.push(SearchKey::Phone(p));
        }
        if compact.len() == 4 {
            keys.push(SearchKey::PhoneTail(compact.clone()));
        }
        if id_tail {
            keys.push(SearchKey::IdTail(upper));
        }
        keys.push(SearchKey::CardNo(compact));
        return keys;
    }
    if id_tail {
        keys.push(SearchKey::IdTail(upper));
        keys.push(SearchKey::CardNo(compact));
        return keys;
    }
    if compact.chars().all(|c| c.is_ascii_alphabetic()) {
        let p = compact.to_ascii_lowercase();
        keys.push(SearchKey::PinyinExact(p.clone()));
        keys.push(SearchKey::InitialsExact(p.clone()));
        keys.push(SearchKey::PinyinPrefix(p.clone()));
        keys.push(SearchKey::InitialsPrefix(p));
        // A card number may be letters and digits; letters alone are a name.
        return keys;
    }
    if !compact.is_ascii() {
        keys.push(SearchKey::NameExact(compact.clone()));
        keys.push(SearchKey::NamePrefix(compact.clone()));
        keys.push(SearchKey::NameFrom2(compact.clone()));
        keys.push(SearchKey::NameFrom3(compact));
        return keys;
    }
    // Letters and digits: a member card number, typed as it is printed.
    keys.push(SearchKey::CardNo(q.split_whitespace().collect()));
    keys
}

impl MemberFields {
    /// Names of the fields given (for the audit log: which, never their values).
    pub fn given_fields(&self) -> Vec<&'static str> {
        let mut v = vec![];
        let mut add = |given: bool, name| {
            if given {
                v.push(name)
            }
        };
        add(self.name.is_some(), "name");
        add(self.id_number.is_some(), "id_number");
        add(self.phone.is_some(), "phone");
        add(self.ethnicity.is_some(), "ethnicity");
        add(self.education.is_some(), "education");
        add(self.political_status.is_some(), "political_status");
        add(self.occupation.is_some(), "occupation");
        add(self.skill_level.is_some(), "skill_level");
        add(self.card_no.is_some(), "card_no");
        add(self.join_date.is_some(), "join_date");
        add(self.is_migrant_worker.is_some(), "is_migrant_worker");
        add(self.is_hardship.is_some(), "is_hardship");
        add(self.status.is_some(), "status");
        v
    }
}

/// Validates every given field and reports all errors at once; a new member
/// needs a name and an ID number.
pub fn parse(raw: &RawMember, is_new: bool) -> Result<MemberFields, Invalid> {
    let mut e = Errors::default();
    let mut f = MemberFields {
        name: raw
            .name
            .as_deref()
            .and_then(|v| e.take("name", parse_name(v))),
        id_number: raw
            .id_number
            .as_deref()
            .and_then(|v| e.take("id_number", IdNumber::parse(v))),
        phone: raw.phone.as_deref().and_then(|v| {
            if v.trim().is_empty() {
                Some(None)
            } else {
                e.take("phone", Phone::parse(v)).map(Some)
            }
        }),
        ethnicity: raw
            .ethnicity
            .as_deref()
            .and_then(|v| e.take("ethnicity", short(v, "民族", 20))),
        education: raw
            .education
            .as_deref()
            .and_then(|v| e.take("education", short(v, "学历", 20))),
        political_status: raw
            .political_status
            .as_deref()
            .and_then(|v| e.take("political_status", parse_political(v))),
        occupation: raw
            .occupation
            .as_deref()
            .and_then(|v| e.take("occupation", short(v, "工种", 50))),
        skill_level: raw
            .skill_level
            .as_deref()
            .and_then(|v| e.take("skill_level", parse_skill_level(v))),
        card_no: raw
            .card_no
            .as_deref()
            .and_then(|v| e.take("card_no", card_no(v))),
        join_date: raw.join_date.as_deref().and_then(|v| {
            if v.trim().is_empty() {
                Some(String::new())
            } else {
                e.take("join_date", parse_date(v))
            }
        }),
        is_migrant_worker: raw.is_migrant_worker,
        is_hardship: raw.is_hardship,
        status: raw
            .status
            .as_deref()
            .and_then(|v| e.take("status", one_of(v, &STATUSES, "会籍状态"))),
    };
    if is_new {
        if raw.name.is_none() {
            e.add("name", "姓名不能为空");
        }
        if raw.id_number.is_none() {
            e.add("id_number", "身份证号不能为空");
        }
        if f.status.as_deref().is_none_or(str::is_empty) {
            f.status = Some("在册".into());
        }
    } else if f.status.as_deref() == Some("") {
        e.add("status", "会籍状态不能为空");
    }
    e.finish()?;
    Ok(f)
}

/// A transfer from one union to another: to a different union, of a member
/// still on the roll, with a reason of at most 200 characters (trimmed).
pub fn check_transfer(
    from_org: i64,
    to_org: i64,
    status: &str,
    reason: &str,
) -> Result<String, Invalid> {
    if to_org == from_org {
        return Err(Invalid::field("to_org_id", "转入组织与当前所属组织相同"));
    }
    if status == "退会" {
        return Err(Invalid::field("to_org_id", "已退会的会员不能办理转会"));
    }
    let reason = reason.trim();
    if reason.chars().count() > 200 {
        return Err(Invalid::field("reason", "转会原因不能超过200个字"));
    }
    Ok(reason.to_string())
}

/// How staff name a member in a form: a member number (digits), or a name
/// as it is on the roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberRef {
    Number(i64),
    Name(String),
    /// Picked from the type-ahead: "胡志强（编号 12）", the name and the number.
    Picked(String, i64),
}

/// How the type-ahead writes a member it offers: the name and the number.
pub fn picked_label(name: &str, id: i64) -> String {
    format!("{name}（编号 {id}）")
}

/// Reads what staff typed for a member; `None` when it is blank.
pub fn member_ref(input: &str) -> Option<MemberRef> {
    let v = input.trim();
    if v.is_empty() {
        return None;
    }
    // A member number only when written as one (编号 12, #12): digits alone
    // are a card number or the tail of a phone or ID number, and reading them
    // as a number would credit whoever happens to have it.
    let number = v
        .strip_prefix("编号")
        .or_else(|| v.strip_prefix('#'))
        .map(str::trim);
    if let Some(n) = number.and_then(|n| n.parse().ok()) {
        return Some(MemberRef::Number(n));
    }
    if let Some((name, rest)) = v.strip_suffix('）').and_then(|r| r.rsplit_once("（编号 ")) {
        if let Ok(n) = rest.trim().parse() {
            return Some(MemberRef::Picked(name.trim().to_string(), n));
        }
    }
    Some(MemberRef::Name(v.to_string()))
}

/// Which of the matches of a name is meant: the one whose name is exactly
/// it, or else the message that lists them (name, union, number) so staff can
/// type the number instead.
pub fn pick_by_name<'a, M>(
    name: &str,
    matches: &'a [M],
    name_of: impl Fn(&M) -> &str,
    describe: impl Fn(&M) -> String,
) -> Result<&'a M, String> {
    let exact: Vec<&M> = matches.iter().filter(|m| name_of(m) == name).collect();
    match exact.as_slice() {
        [one] => Ok(one),
        [] if matches.is_empty() => Err(format!(
            "没有找到会员“{name}”，请核对姓名、会员卡号，或输入后从列表中选择"
        )),
        [] => Err(format!(
            "没有姓名正是“{name}”的会员；相近的有：{}。请输入后从列表中选择",
            matches.iter().map(&describe).collect::<Vec<_>>().join("、")
        )),
        many => Err(format!(
            "“{name}”有 {} 位：{}。请输入后从列表中选择",
            many.len(),
            many.iter()
                .map(|m| describe(m))
                .collect::<Vec<_>>()
                .join("、")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_level_and_those_above_it() {
        assert_eq!(levels_from("高级工"), ["高级工", "技师", "高级技师"]);
        assert_eq!(levels_from("初级工").len(), 5);
        assert!(levels_from("三级").is_empty());
        assert_eq!(parse_flag("是"), Ok(Some(true)));
        assert_eq!(parse_flag(""), Ok(None));
        assert!(parse_flag("也许").is_err());
    }

    #[test]
    fn staff_name_a_member_by_number_or_name() {
        assert_eq!(member_ref(" 编号 42 "), Some(MemberRef::Number(42)));
        // Digits alone are a card number or a tail (see below), not a member number.
        assert_eq!(member_ref(" 42 "), Some(MemberRef::Name("42".into())));
        assert_eq!(member_ref("张伟"), Some(MemberRef::Name("张伟".into())));
        // An ID number is not a member number.
        assert!(matches!(
            member_ref("330203199001011234"),
            Some(MemberRef::Name(_))
        ));
        assert_eq!(member_ref("  "), None);
        let people = [("张伟", 1), ("张伟", 2), ("张伟华", 3)];
        fn name<'a>(p: &'a (&'static str, i64)) -> &'a str {
            p.0
        }
        fn describe(p: &(&'static str, i64)) -> String {
            format!("{}（编号 {}）", p.0, p.1)
        }
        let two = pick_by_name("张伟", &people, name, describe).unwrap_err();
        assert!(two.contains("有 2 位") && two.contains("编号 2"), "{two}");
        assert_eq!(
            pick_by_name("张伟华", &people, name, describe).unwrap().1,
            3
        );
        let near = pick_by_name("张", &people, name, describe).unwrap_err();
        assert!(near.contains("相近的有"), "{near}");
        let none: [(&str, i64); 0] = [];
        assert!(pick_by_name("李四", &none, name, describe)
            .unwrap_err()
            .contains("没有找到"));
    }

    #[test]
    fn skill_levels_in_many_spellings() {
        for (input, want) in [
            ("五级", "初级工"),
            ("初级", "初级工"),
            ("四级/中级工", "中级工"),
            ("高级", "高级工"),
            ("三级（高级工）", "高级工"),
            ("技师", "技师"),
            ("二级/技师", "技师"),
            ("高级技师", "高级技师"),
            ("一级", "高级技师"),
            ("", ""),
        ] {
            assert_eq!(parse_skill_level(input).unwrap(), want, "{input}");
        }
        assert!(parse_skill_level("大师").is_err());
        assert!(is_high_skilled("技师") && !is_high_skilled("中级工"));
    }

    #[test]
    fn searches_are_read_by_their_shape() {
        use SearchKey::*;
        assert!(matches!(
            search_keys_for("11010519491231002x")[..],
            [IdNumber(_)]
        ));
        assert!(matches!(
            search_keys_for("138 1234 5678")[..],
            [Phone(_), CardNo(_)]
        ));
        assert_eq!(
            search_keys_for("5678"),
            vec![
                PhoneTail("5678".into()),
                IdTail("5678".into()),
                CardNo("5678".into())
            ]
        );
        assert_eq!(
            search_keys_for("31002x"),
            vec![IdTail("31002X".into()), CardNo("31002x".into())]
        );
        assert_eq!(search_keys_for("123456")[0], IdTail("123456".into()));
        // Two Chinese characters are six bytes, and no ID tail.
        assert_eq!(search_keys_for("张伟")[0], NameExact("张伟".into()));
        assert_eq!(search_keys_for("ZW")[1], InitialsExact("zw".into()));
        assert_eq!(search_keys_for(" 张伟 ")[0], NameExact("张伟".into()));
        assert_eq!(search_keys_for("NB-0001"), vec![CardNo("NB-0001".into())]);
        assert_eq!(
            member_ref(&picked_label("胡志强", 12)),
            Some(MemberRef::Picked("胡志强".into(), 12))
        );
        assert_eq!(member_ref("胡志强"), Some(MemberRef::Name("胡志强".into())));
        assert_eq!(member_ref("编号 12"), Some(MemberRef::Number(12)));
        assert_eq!(member_ref("#12"), Some(MemberRef::Number(12)));
        // Digits alone are a card number or a tail, never a member number.
        assert_eq!(member_ref("1234"), Some(MemberRef::Name("1234".into())));
    }

    #[test]
    fn new_member_needs_name_and_id_and_reports_everything() {
        let err = parse(
            &RawMember {
                phone: Some("123".into()),
                ..Default::default()
            },
            true,
        )
        .unwrap_err();
        let mut fields: Vec<String> = err.field_errors().into_iter().map(|e| e.field).collect();
        fields.sort();
        assert_eq!(fields, ["id_number", "name", "phone"]);
        let ok = parse(
            &RawMember {
                name: Some(" 张 伟 ".into()),
                id_number: Some("11010519491231002x".into()),
                political_status: Some("党员".into()),
                ..Default::default()
            },
            true,
        )
        .unwrap();
        assert_eq!(ok.name.as_deref(), Some("张伟"));
        assert_eq!(ok.status.as_deref(), Some("在册"));
        assert_eq!(ok.political_status.as_deref(), Some("中共党员"));
    }

    #[test]
    fn edits_may_clear_phone_but_not_status() {
        let f = parse(
            &RawMember {
                phone: Some("".into()),
                ..Default::default()
            },
            false,
        )
        .unwrap();
        assert!(matches!(f.phone, Some(None)));
        assert!(parse(
            &RawMember {
                status: Some("".into()),
                ..Default::default()
            },
            false
        )
        .is_err());
        assert!(parse(
            &RawMember {
                status: Some("开除".into()),
                ..Default::default()
            },
            false
        )
        .is_err());
    }
}
