//! Turning one spreadsheet row into a member: normalising values, the errors
//! Excel causes (ID numbers stored as numbers), and every problem named with
//! its column.

use super::columns::{Column, Header};
use crate::member::rules::{self as member_rules, MemberFields, RawMember};
use crate::pii::{to_half_width, IdNumber};
use std::collections::HashMap;

/// The most characters an Excel cell holds.
pub const MAX_CELL_CHARS: usize = 32_767;

/// A cell as read from any format.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Date(i32, u32, u32),
    Bool(bool),
}

impl Cell {
    /// How Excel would show it (for the report and for messages).
    pub fn display(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Number(f) => excel_general(*f),
            Cell::Date(y, m, d) => format!("{y:04}-{m:02}-{d:02}"),
            Cell::Bool(b) => if *b { "TRUE" } else { "FALSE" }.into(),
        }
    }

    /// Trimmed, half-width text; numbers as Excel shows them.
    fn text(&self) -> Option<String> {
        let s = match self {
            Cell::Empty => return None,
            Cell::Text(s) => to_half_width(s).trim().to_string(),
            other => other.display(),
        };
        (!s.is_empty()).then_some(s)
    }
}

/// Excel's "General" format: integers whole, large numbers as 3.30203E+17.
pub fn excel_general(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e11 {
        return format!("{f:.0}");
    }
    if f.abs() >= 1e11 {
        let exp = f.abs().log10().floor() as i32;
        let mantissa = f / 10f64.powi(exp);
        let m = format!("{mantissa:.5}");
        let m = m.trim_end_matches('0').trim_end_matches('.');
        return format!("{m}E+{exp:02}");
    }
    let s = format!("{f:.10}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// "3.30203E+17", as a CSV saved by Excel writes an ID number it took for a number.
fn looks_scientific(s: &str) -> bool {
    let u = s.to_ascii_uppercase();
    match u.split_once("E+") {
        Some((m, e)) => {
            !m.is_empty()
                && m.chars().all(|c| c.is_ascii_digit() || c == '.')
                && e.chars().all(|c| c.is_ascii_digit())
        }
        None => false,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CellError {
    pub column: &'static str,
    pub message: String,
}

fn err(col: Column, message: impl Into<String>) -> CellError {
    CellError {
        column: col.title(),
        message: message.into(),
    }
}

/// The 工作单位 a row names when it is not a registered enterprise (for the
/// check report's list of employers to register).
pub fn unregistered_employer(header: &Header, cells: &[Cell], lookup: &Lookup) -> Option<String> {
    let name = header
        .index(Column::Enterprise)
        .and_then(|i| cells.get(i))
        .and_then(Cell::text)?;
    (!lookup.enterprises.contains_key(&name)).then_some(name)
}

/// What rows may refer to: organisations (by name or code) and enterprises
/// (by name) inside the import's subtree.
#[derive(Debug, Clone, Default)]
pub struct Lookup {
    pub target_org: i64,
    pub target_org_name: String,
    pub orgs: HashMap<String, i64>,
    pub enterprises: HashMap<String, (i64, i64)>,
    /// When the target organisation covers exactly one enterprise, rows without 工作单位 work there.
    pub default_enterprise: Option<i64>,
    /// Register an employer the roster names that is not registered yet
    /// (name only, 待补充信用代码) instead of refusing its rows.
    pub register_employers: bool,
}

#[derive(Debug, Clone)]
pub struct ValidRow {
    pub org_id: i64,
    pub enterprise_id: Option<i64>,
    /// An employer not registered yet, to register with the row.
    pub new_employer: Option<String>,
    pub fields: MemberFields,
}

fn flag(s: &str) -> Option<bool> {
    match s {
        "是" | "Y" | "y" | "YES" | "Yes" | "yes" | "1" | "√" | "TRUE" | "true" | "True" => {
            Some(true)
        }
        "否" | "N" | "n" | "NO" | "No" | "no" | "0" | "×" | "FALSE" | "false" | "False" => {
            Some(false)
        }
        _ => None,
    }
}

/// Excel's date serials (1900 system) for dates stored as plain numbers.
fn serial_to_date(f: f64) -> Option<String> {
    if !(1.0..=80_000.0).contains(&f) {
        return None;
    }
    let dt = calamine::ExcelDateTime::new(f, calamine::ExcelDateTimeType::DateTime, false);
    let (y, m, d, ..) = dt.to_ymd_hms_milli();
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

fn date_text(cell: &Cell) -> Option<String> {
    match cell {
        Cell::Number(f) => serial_to_date(*f).or_else(|| cell.text()),
        other => other.text(),
    }
}

/// Which member field an error from `member::rules::parse` belongs to.
fn column_of_field(field: &str) -> Column {
    match field {
        "name" => Column::Name,
        "id_number" => Column::IdNumber,
        "phone" => Column::Phone,
        "ethnicity" => Column::Ethnicity,
        "education" => Column::Education,
        "political_status" => Column::PoliticalStatus,
        "occupation" => Column::Occupation,
        "skill_level" => Column::SkillLevel,
        "card_no" => Column::CardNo,
        "join_date" => Column::JoinDate,
        "status" => Column::Status,
        _ => Column::Name,
    }
}

/// Reads and checks one row; all of its problems at once.
pub fn read_row(
    header: &Header,
    cells: &[Cell],
    lookup: &Lookup,
) -> Result<ValidRow, Vec<CellError>> {
    let empty = Cell::Empty;
    let cell = |col: Column| {
        header
            .index(col)
            .and_then(|i| cells.get(i))
            .unwrap_or(&empty)
    };
    let text = |col: Column| cell(col).text();
    let mut errors = vec![];
    // A cell Excel itself could not hold: refused by name, never passed on.
    for (col, i) in &header.columns {
        if let Some(Cell::Text(s)) = cells.get(*i) {
            let n = s.chars().count();
            if n > MAX_CELL_CHARS {
                errors.push(err(
                    *col,
                    format!(
                        "内容过长（{n} 个字符），超过 Excel 单元格的上限 {MAX_CELL_CHARS} 个字符"
                    ),
                ));
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    // ID numbers first: Excel's damage is the commonest problem and needs its own words.
    let id_cell = cell(Column::IdNumber);
    let id_text = match id_cell {
        Cell::Number(f) => {
            errors.push(err(
                Column::IdNumber,
                format!(
                    "身份证号被 Excel 存成了数字（显示为 {}），末几位和 X 已经丢失、无法还原：请把该列设为“文本”格式后重新填写",
                    excel_general(*f)
                ),
            ));
            None
        }
        c => match c.text() {
            Some(t) if looks_scientific(&t) => {
                errors.push(err(
                    Column::IdNumber,
                    format!("身份证号被 Excel 存成了数字（显示为 {t}），末几位和 X 已经丢失、无法还原：请把该列设为“文本”格式后重新填写"),
                ));
                None
            }
            other => other,
        },
    };
    let phone = match cell(Column::Phone) {
        Cell::Number(f) if f.fract() == 0.0 => Some(format!("{f:.0}")),
        c => c.text(),
    };
    if id_text.is_none() && errors.is_empty() {
        errors.push(err(Column::IdNumber, "身份证号不能为空"));
    }
    let raw = RawMember {
        // Given as "" when blank, so that the name is checked (and required).
        name: text(Column::Name).or(Some(String::new())),
        id_number: id_text.clone(),
        phone,
        ethnicity: text(Column::Ethnicity),
        education: text(Column::Education),
        political_status: text(Column::PoliticalStatus),
        occupation: text(Column::Occupation),
        skill_level: text(Column::SkillLevel),
        card_no: text(Column::CardNo),
        join_date: date_text(cell(Column::JoinDate)),
        is_migrant_worker: None,
        is_hardship: None,
        status: text(Column::Status),
    };
    let mut fields = match member_rules::parse(&raw, false) {
        Ok(f) => Some(f),
        Err(e) => {
            errors.extend(
                e.field_errors()
                    .into_iter()
                    .map(|fe| err(column_of_field(&fe.field), fe.message)),
            );
            None
        }
    };
    let mut flags = [(Column::MigrantWorker, None), (Column::Hardship, None)];
    for (col, value) in flags.iter_mut() {
        if let Some(t) = text(*col) {
            match flag(&t) {
                Some(b) => *value = Some(b),
                None => errors.push(err(*col, format!("“{t}”应为 是 或 否"))),
            }
        }
    }
    // Gender and birth date come from the ID number; a column that disagrees is a typo somewhere.
    if let Some(idn) = id_text.as_deref().and_then(|t| IdNumber::parse(t).ok()) {
        if let Some(g) = text(Column::Gender) {
            if g != idn.gender().label() {
                errors.push(err(
                    Column::Gender,
                    format!(
                        "性别“{g}”与身份证号不符（身份证号为{}性）",
                        idn.gender().label()
                    ),
                ));
            }
        }
        if let Some(b) = date_text(cell(Column::BirthDate)) {
            match crate::pii::parse_date(&b) {
                Ok(d) if d != idn.birth_date() => errors.push(err(
                    Column::BirthDate,
                    format!("出生日期 {d} 与身份证号中的 {} 不符", idn.birth_date()),
                )),
                Ok(_) => {}
                // 出生年月 is often just "1990-05": compare what is there.
                Err(_) if idn.birth_date().starts_with(&b.replace(['/', '.'], "-")) => {}
                Err(m) => errors.push(err(Column::BirthDate, m)),
            }
        }
    }
    let org_id = match text(Column::Org) {
        None => lookup.target_org,
        Some(name) => match lookup.orgs.get(&name) {
            Some(id) => *id,
            None => {
                errors.push(err(
                    Column::Org,
                    format!(
                        "所属工会“{name}”不在{}及其下级组织中",
                        lookup.target_org_name
                    ),
                ));
                lookup.target_org
            }
        },
    };
    let mut new_employer = None;
    let enterprise_id = match text(Column::Enterprise) {
        None => lookup.default_enterprise,
        Some(name) => match lookup.enterprises.get(&name) {
            Some((id, _)) => Some(*id),
            None if lookup.register_employers => {
                new_employer = Some(name);
                None
            }
            None => {
                errors.push(err(
                    Column::Enterprise,
                    format!("工作单位“{name}”尚未登记为企业：请先在“企业”中登记，或导入时选择“同时登记未登记的工作单位”（命令行加 --register-employers）"),
                ));
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut fields = fields.take().unwrap_or_default();
    fields.is_migrant_worker = flags[0].1;
    fields.is_hardship = flags[1].1;
    Ok(ValidRow {
        org_id,
        enterprise_id,
        new_employer,
        fields,
    })
}

/// Text cut to the characters one Excel cell holds.
pub fn excel_cell(s: &str) -> &str {
    match s.char_indices().nth(MAX_CELL_CHARS) {
        Some((at, _)) => &s[..at],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::super::columns::detect_header;
    use super::*;

    fn header(cols: &[&str]) -> Header {
        detect_header(&cols.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    fn t(s: &str) -> Cell {
        Cell::Text(s.into())
    }

    fn lookup() -> Lookup {
        let mut l = Lookup {
            target_org: 1,
            target_org_name: "姜山镇总工会".into(),
            ..Default::default()
        };
        l.orgs.insert("华瑞电器股份有限公司工会".into(), 6);
        l.enterprises.insert("华瑞电器股份有限公司".into(), (3, 6));
        l
    }

    #[test]
    fn a_good_row_with_messy_values() {
        let h = header(&[
            "姓名",
            "身份证号码",
            "手机",
            "技能等级",
            "是否农民工",
            "入会日期",
            "工作单位",
        ]);
        let row = [
            t(" 张伟 "),
            t("１１０１０５１９４９１２３１００２ｘ"),
            Cell::Number(13812345678.0),
            t("四级"),
            t("是"),
            Cell::Number(45063.0),
            t("华瑞电器股份有限公司"),
        ];
        let r = read_row(&h, &row, &lookup()).unwrap();
        assert_eq!(r.fields.name.as_deref(), Some("张伟"));
        assert_eq!(r.fields.id_number.unwrap().as_str(), "11010519491231002X");
        assert_eq!(r.fields.phone.unwrap().unwrap().as_str(), "13812345678");
        assert_eq!(r.fields.skill_level.as_deref(), Some("中级工"));
        assert_eq!(r.fields.is_migrant_worker, Some(true));
        assert_eq!(r.fields.join_date.as_deref(), Some("2023-05-17"));
        assert_eq!(r.enterprise_id, Some(3));
        assert_eq!(r.org_id, 1);
    }

    #[test]
    fn an_id_number_excel_turned_into_a_number_is_named_as_such() {
        let h = header(&["姓名", "身份证号"]);
        let e = read_row(
            &h,
            &[t("张伟"), Cell::Number(330203199001011234.0)],
            &lookup(),
        )
        .unwrap_err();
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].message.contains("存成了数字") && e[0].message.contains("3.30203E+17"),
            "{}",
            e[0].message
        );
        let e = read_row(&h, &[t("张伟"), t("3.30203E+17")], &lookup()).unwrap_err();
        assert!(e[0].message.contains("存成了数字"));
    }

    #[test]
    fn every_problem_of_a_row_with_its_column() {
        let h = header(&[
            "姓名",
            "身份证号",
            "性别",
            "手机号码",
            "技能等级",
            "所属工会",
            "工作单位",
            "是否困难职工",
        ]);
        let row = [
            t(""),
            t("11010519491231002X"),
            t("男"),
            t("123"),
            t("大师"),
            t("湖州市总工会"),
            t("无名厂"),
            t("也许"),
        ];
        let e = read_row(&h, &row, &lookup()).unwrap_err();
        let cols: Vec<&str> = e.iter().map(|x| x.column).collect();
        for c in [
            "姓名",
            "手机号码",
            "技能等级",
            "性别",
            "所属工会",
            "工作单位",
            "是否困难职工",
        ] {
            assert!(cols.contains(&c), "{c} missing from {e:?}");
        }
        let missing = read_row(&h, &[t("张伟"), t("")], &lookup()).unwrap_err();
        assert_eq!(missing[0].column, "身份证号");
    }

    #[test]
    fn excel_general_format() {
        assert_eq!(excel_general(330203199001011234.0), "3.30203E+17");
        assert_eq!(
            excel_general(13812345678.0),
            "13812345678",
            "Excel shows up to 11 digits whole"
        );
        assert_eq!(excel_general(42.0), "42");
        assert_eq!(excel_general(3.5), "3.5");
    }
}
