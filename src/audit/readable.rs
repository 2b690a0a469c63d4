//! The audit log as people read it: a detail's fields by their Chinese names
//! and its values in words ("积分：10；原因：优秀学员"), a record by what it is
//! (会员, 课程 …), people and unions by name. Pure: the console shows it, the
//! API keeps the JSON. A new field in an audit detail needs its line in
//! `FIELDS` (a test reads the sources for keys it does not know).

use serde_json::Value;

/// What a field's number points at, to name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ref {
    Member,
    Org,
    Account,
}

/// How a field's value reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// As it is (text, a number of things).
    Plain,
    /// A code with a word for it (`VALUES`).
    Word,
    /// Field names (a member's fields changed).
    Fields,
    /// An id of something to name.
    Names(Ref),
    /// An id with no name of its own: 编号 N.
    Number,
    /// Milliseconds since 1970: a date and time.
    Time,
    /// Left out: an internal detail nobody reads (a salt, a seed).
    Hidden,
    /// A login: a phone (as older entries kept it) shown masked.
    Login,
}

use Shape::*;

/// Every key an audit detail uses: its Chinese name and how it reads.
pub const FIELDS: &[(&str, &str, ShapeOf)] = &[
    ("accounts_moved", "随之调整的账号数", ShapeOf(Plain)),
    ("active", "启用", ShapeOf(Plain)),
    ("amount", "积分", ShapeOf(Plain)),
    ("answer", "回复", ShapeOf(Plain)),
    ("answered_at", "回复时间", ShapeOf(Time)),
    ("answered_by", "回复人", ShapeOf(Names(Ref::Account))),
    ("aspect", "评分要点", ShapeOf(Plain)),
    ("before", "原来的分", ShapeOf(Plain)),
    ("bytes", "文件大小（字节）", ShapeOf(Plain)),
    ("cadre_id", "干部", ShapeOf(Number)),
    ("capacity", "名额", ShapeOf(Plain)),
    ("category", "类别", ShapeOf(Plain)),
    ("chars", "字数", ShapeOf(Plain)),
    ("code", "代码", ShapeOf(Plain)),
    ("confirmed_by", "确认人", ShapeOf(Names(Ref::Account))),
    ("course", "课程", ShapeOf(Number)),
    ("created", "新增", ShapeOf(Plain)),
    ("credit_code", "统一社会信用代码", ShapeOf(Plain)),
    ("enterprise_id", "工作单位", ShapeOf(Number)),
    ("failed", "出错行数", ShapeOf(Plain)),
    ("fields", "修改的项目", ShapeOf(Fields)),
    ("figure", "指标", ShapeOf(Plain)),
    ("filename", "文件", ShapeOf(Plain)),
    ("filter", "筛选条件", ShapeOf(Plain)),
    ("found", "查到", ShapeOf(Plain)),
    ("from_org_id", "转出组织", ShapeOf(Names(Ref::Org))),
    ("full_marks", "满分", ShapeOf(Plain)),
    ("given", "所打的分", ShapeOf(Plain)),
    ("goal", "目标值", ShapeOf(Plain)),
    ("industry", "行业", ShapeOf(Plain)),
    ("item_id", "物品", ShapeOf(Number)),
    ("kind", "类型", ShapeOf(Word)),
    ("label", "名称", ShapeOf(Plain)),
    ("leader", "负责人", ShapeOf(Plain)),
    ("lot", "积分批次", ShapeOf(Number)),
    ("member_id", "会员", ShapeOf(Names(Ref::Member))),
    ("members", "会员人数", ShapeOf(Plain)),
    ("misses", "未查到次数", ShapeOf(Plain)),
    ("mode", "导入方式", ShapeOf(Word)),
    ("moved_from", "原上级组织", ShapeOf(Names(Ref::Org))),
    ("moved_to", "新上级组织", ShapeOf(Names(Ref::Org))),
    ("name", "名称", ShapeOf(Plain)),
    ("occurred_on", "发生日期", ShapeOf(Plain)),
    ("org_id", "组织", ShapeOf(Names(Ref::Org))),
    ("orgs", "组织数", ShapeOf(Plain)),
    ("parent", "上级", ShapeOf(Number)),
    ("parent_id", "上级组织", ShapeOf(Names(Ref::Org))),
    ("phone", "电话", ShapeOf(Plain)),
    ("points", "积分", ShapeOf(Plain)),
    ("price", "所需积分", ShapeOf(Plain)),
    ("promoted", "递补", ShapeOf(Names(Ref::Member))),
    ("purpose", "查看事由", ShapeOf(Plain)),
    ("q", "搜索", ShapeOf(Plain)),
    ("rating", "评分", ShapeOf(Plain)),
    ("reason", "原因", ShapeOf(Plain)),
    ("replaced", "替换原回复", ShapeOf(Plain)),
    ("requested_by", "申请人", ShapeOf(Names(Ref::Account))),
    ("revealed", "含完整证件号", ShapeOf(Plain)),
    ("reverses", "冲正的记录", ShapeOf(Number)),
    ("role", "角色", ShapeOf(Word)),
    ("rows", "行数", ShapeOf(Plain)),
    ("rubric", "评分标准", ShapeOf(Number)),
    ("searches", "查找次数", ShapeOf(Plain)),
    ("seed", "随机种子", ShapeOf(Hidden)),
    ("selected", "选中人数", ShapeOf(Plain)),
    ("size", "规模", ShapeOf(Plain)),
    ("skill_level", "技能等级", ShapeOf(Plain)),
    ("skipped", "未开通", ShapeOf(Plain)),
    ("source", "来源", ShapeOf(Word)),
    ("state", "状态", ShapeOf(Word)),
    ("status", "状态", ShapeOf(Plain)),
    ("stock", "库存", ShapeOf(Plain)),
    ("target", "对象", ShapeOf(Number)),
    ("teacher", "授课老师", ShapeOf(Names(Ref::Member))),
    ("title", "标题", ShapeOf(Plain)),
    ("to_org_id", "转入组织", ShapeOf(Names(Ref::Org))),
    ("total", "总分", ShapeOf(Plain)),
    ("updated", "更新", ShapeOf(Plain)),
    ("username", "登录名", ShapeOf(Login)),
    ("valid_days", "有效天数", ShapeOf(Plain)),
    ("valid_until", "兑换截止", ShapeOf(Time)),
    ("version", "版本", ShapeOf(Plain)),
    ("watch_percent", "完成比例（%）", ShapeOf(Plain)),
    ("with", "方式", ShapeOf(Word)),
    ("year", "年度", ShapeOf(Plain)),
];

/// A field's shape, wrapped so the table above can be public without its enum.
#[derive(Debug, Clone, Copy)]
pub struct ShapeOf(Shape);

/// Codes in details and the words for them.
const VALUES: &[(&str, &str)] = &[
    ("id_number", "身份证号"),
    ("count", "人数"),
    ("share", "占比（千分之）"),
    ("phone", "手机号"),
    ("code", "激活码"),
    ("id_tail", "身份证号后几位"),
    ("session", "课程场次"),
    ("enrolled", "已报名"),
    ("waiting", "候补"),
    ("attended", "已签到"),
    ("cancelled", "已取消"),
    ("admin", "管理员"),
    ("officer", "工作人员"),
    ("viewer", "只读"),
    ("member", "会员"),
    ("reveal", "查看完整证件号"),
    ("manual", "手工记分"),
    ("rule", "按规则奖励"),
    ("redeem", "兑换"),
    ("refund", "退还"),
    ("expiry", "过期"),
    ("check", "只检查"),
    ("all", "有错误则全部不导入"),
    ("valid", "只导入正确的行"),
    ("members", "会员名册"),
    ("orgs", "组织架构"),
    ("enterprises", "企业名录"),
    ("teacher", "老师"),
    ("student", "学员"),
];

/// What the member fields are called (a member's changed fields).
const MEMBER_FIELDS: &[(&str, &str)] = &[
    ("name", "姓名"),
    ("id_number", "身份证号"),
    ("phone", "手机号"),
    ("ethnicity", "民族"),
    ("education", "学历"),
    ("political_status", "政治面貌"),
    ("occupation", "职业（工种）"),
    ("skill_level", "技能等级"),
    ("card_no", "会员卡号"),
    ("join_date", "入会日期"),
    ("is_migrant_worker", "农民工"),
    ("is_hardship", "困难职工"),
    ("status", "会籍状态"),
    ("enterprise_id", "工作单位"),
    ("gender", "性别"),
    ("birth_date", "出生日期"),
];

/// What kind of record an entry is about.
const ENTITIES: &[(&str, &str)] = &[
    ("member", "会员"),
    ("org", "组织"),
    ("account", "账号"),
    ("enterprise", "企业"),
    ("course", "课程"),
    ("course_session", "课程场次"),
    ("course_category", "课程类别"),
    ("lesson", "课程回放"),
    ("enrolment", "报名"),
    ("academy", "学院"),
    ("academy_message", "学员留言"),
    ("point_entry", "积分记录"),
    ("point_rule", "积分规则"),
    ("order", "兑换订单"),
    ("catalog_item", "兑换物品"),
    ("cadre", "干部"),
    ("cadre_entry", "干部积分记录"),
    ("cadre_rule_item", "干部积分事项"),
    ("import", "导入"),
    ("scoring_rubric", "评分标准"),
    ("scoring_board", "评审"),
];

/// A login as the log shows it: a phone (older entries kept phone logins,
/// and actors, in clear) masked as the roster shows it, anything else as it is.
pub fn login_shown(login: &str) -> String {
    match crate::pii::Phone::parse(login) {
        Ok(p) if p.as_str().len() == 11 && p.as_str().starts_with('1') => p.masked(),
        _ => login.to_string(),
    }
}

/// What kind of record `entity` is, in words.
pub fn entity_label(entity: &str) -> &'static str {
    ENTITIES
        .iter()
        .find(|(e, _)| *e == entity)
        .map(|(_, l)| *l)
        .unwrap_or("记录")
}

fn word(v: &str) -> String {
    VALUES
        .iter()
        .find(|(c, _)| *c == v)
        .map(|(_, w)| w.to_string())
        .unwrap_or_else(|| v.to_string())
}

fn plain(v: &Value, name: &dyn Fn(Ref, i64) -> Option<String>) -> String {
    match v {
        Value::Null => "无".into(),
        Value::Bool(true) => "是".into(),
        Value::Bool(false) => "否".into(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => items
            .iter()
            .map(|i| plain(i, name))
            .collect::<Vec<_>>()
            .join("、"),
        Value::Object(_) => format!("（{}）", describe(v, name)),
    }
}

/// A detail as a line people read: "名称：焊工实训；积分：10". `name` names a
/// member, a union or an account by id (None when it is not known here).
pub fn describe(detail: &Value, name: &dyn Fn(Ref, i64) -> Option<String>) -> String {
    let Value::Object(fields) = detail else {
        return plain(detail, name);
    };
    let mut parts = vec![];
    for (key, v) in fields {
        if v.is_null() || v.as_str().is_some_and(str::is_empty) {
            continue;
        }
        let (label, shape) = FIELDS
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, l, s)| (*l, s.0))
            .unwrap_or(("其他", Plain));
        let text = match shape {
            Hidden => continue,
            Login => login_shown(&plain(v, name)),
            Plain => plain(v, name),
            Word => match v {
                Value::String(s) => word(s),
                _ => plain(v, name),
            },
            Fields => match v {
                Value::Array(items) => items
                    .iter()
                    .map(|i| {
                        let f = i.as_str().unwrap_or_default();
                        MEMBER_FIELDS
                            .iter()
                            .find(|(k, _)| *k == f)
                            .map(|(_, l)| l.to_string())
                            .unwrap_or_else(|| f.to_string())
                    })
                    .collect::<Vec<_>>()
                    .join("、"),
                _ => plain(v, name),
            },
            Names(r) => match v.as_i64() {
                Some(id) => name(r, id).unwrap_or_else(|| format!("编号 {id}")),
                None => plain(v, name),
            },
            Number => match v.as_i64() {
                Some(id) => format!("编号 {id}"),
                None => plain(v, name),
            },
            Time => match v.as_i64() {
                Some(ms) => crate::db::format_ms(ms),
                None => plain(v, name),
            },
        };
        parts.push(format!("{label}：{text}"));
    }
    parts.join("；")
}

/// The members, unions and accounts a detail names, to look their names up at once.
pub fn refs(detail: &Value, out: &mut Vec<(Ref, i64)>) {
    let Value::Object(fields) = detail else {
        return;
    };
    for (key, v) in fields {
        if let Some((_, _, ShapeOf(Names(r)))) = FIELDS.iter().find(|(k, _, _)| k == key) {
            if let Some(id) = v.as_i64() {
                out.push((*r, id));
            }
        }
        if v.is_object() {
            refs(v, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names(r: Ref, id: i64) -> Option<String> {
        match (r, id) {
            (Ref::Member, 5) => Some("胡志强".into()),
            (Ref::Org, 2) => Some("瞻岐镇总工会".into()),
            _ => None,
        }
    }

    #[test]
    fn a_detail_reads_in_chinese_with_names_words_and_dates() {
        let d = json!({"fields": ["phone", "skill_level"], "kind": "id_number", "found": false});
        assert_eq!(
            describe(&d, &names),
            "修改的项目：手机号、技能等级；查到：否；类型：身份证号"
        );
        let d = json!({"from_org_id": 2, "to_org_id": 9, "reason": "调动", "member_id": 5});
        assert_eq!(
            describe(&d, &names),
            "转出组织：瞻岐镇总工会；会员：胡志强；原因：调动；转入组织：编号 9"
        );
        let d = json!({"rows": 3, "filter": {"q": "张", "skill_level": "高级工"}, "seed": 7});
        assert_eq!(
            describe(&d, &names),
            "筛选条件：（搜索：张；技能等级：高级工）；行数：3"
        );
        let mut found = vec![];
        refs(
            &json!({"member_id": 5, "filter": {"org_id": 2}}),
            &mut found,
        );
        assert_eq!(found, vec![(Ref::Org, 2), (Ref::Member, 5)]);
        assert_eq!(entity_label("catalog_item"), "兑换物品");
        // An older entry's phone login is shown masked.
        assert_eq!(
            describe(&json!({"username": "13905741000"}), &names),
            "登录名：139****1000"
        );
        assert_eq!(login_shown("jiangshan"), "jiangshan");
    }

    /// Every key written into an audit detail in the sources has its Chinese
    /// name here: a new one without it fails this test.
    #[test]
    fn every_detail_key_in_the_sources_has_a_name() {
        let mut unknown = vec![];
        let mut files = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src"
        ))];
        while let Some(p) = files.pop() {
            if p.is_dir() {
                for e in std::fs::read_dir(&p).unwrap() {
                    files.push(e.unwrap().path());
                }
                continue;
            }
            if p.extension().is_none_or(|e| e != "rs") || p.ends_with("readable.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            for (at, _) in text.match_indices("json!({") {
                let before = &text[text.floor_char_boundary(at.saturating_sub(300))..at];
                if !(before.contains("detail") || before.contains("Event::new")) {
                    continue;
                }
                // The macro's body, braces balanced.
                let mut depth = 0;
                let mut end = at;
                for (i, ch) in text[at + 6..].char_indices() {
                    match ch {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = at + 6 + i;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                let body = &text[at..end];
                for piece in body.split('"').collect::<Vec<_>>().windows(2) {
                    let (key, after) = (piece[0], piece[1]);
                    let is_key = after.trim_start().starts_with(':')
                        && !key.is_empty()
                        && key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
                    if is_key && !FIELDS.iter().any(|(k, _, _)| *k == key) {
                        unknown.push(format!("{}: {key}", p.display()));
                    }
                }
            }
        }
        assert!(
            unknown.is_empty(),
            "audit detail keys without a Chinese name: {unknown:?}"
        );
    }
}
