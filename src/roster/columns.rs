//! Roster columns: their Chinese names and the variants real sheets use, and
//! finding the header row under title rows, merged cells and blank lines.

/// A column the roster knows. The order is the export and template order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    Name,
    IdNumber,
    Phone,
    Gender,
    BirthDate,
    Ethnicity,
    Education,
    PoliticalStatus,
    Org,
    Enterprise,
    Occupation,
    SkillLevel,
    CardNo,
    JoinDate,
    MigrantWorker,
    Hardship,
    Status,
}

impl Column {
    pub const ALL: [Column; 17] = [
        Column::Name,
        Column::IdNumber,
        Column::Phone,
        Column::Gender,
        Column::BirthDate,
        Column::Ethnicity,
        Column::Education,
        Column::PoliticalStatus,
        Column::Org,
        Column::Enterprise,
        Column::Occupation,
        Column::SkillLevel,
        Column::CardNo,
        Column::JoinDate,
        Column::MigrantWorker,
        Column::Hardship,
        Column::Status,
    ];

    /// The heading written in templates and exports.
    pub fn title(self) -> &'static str {
        self.aliases()[0]
    }

    /// Headings seen in real rosters, after normalisation (no spaces, no
    /// "(必填)", half-width).
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            Column::Name => &["姓名", "会员姓名", "职工姓名", "名字", "员工姓名"],
            Column::IdNumber => &[
                "身份证号",
                "身份证号码",
                "公民身份号码",
                "身份证",
                "证件号码",
                "证件号",
                "居民身份证号码",
                "身份证件号码",
            ],
            Column::Phone => &[
                "手机号码",
                "手机",
                "手机号",
                "联系电话",
                "电话",
                "联系方式",
                "移动电话",
                "电话号码",
            ],
            Column::Gender => &["性别"],
            Column::BirthDate => &["出生日期", "出生年月", "生日"],
            Column::Ethnicity => &["民族"],
            Column::Education => &["学历", "文化程度", "最高学历"],
            Column::PoliticalStatus => &["政治面貌"],
            Column::Org => &["所属工会", "工会名称", "所在工会", "基层工会"],
            Column::Enterprise => &[
                "工作单位",
                "单位名称",
                "单位",
                "所在单位",
                "企业名称",
                "所在企业",
            ],
            Column::Occupation => &["工种", "职业工种", "职业", "岗位工种"],
            Column::SkillLevel => &["技能等级", "职业技能等级", "技术等级", "等级"],
            Column::CardNo => &["会员卡号", "会员号", "工会会员号", "会员证号"],
            Column::JoinDate => &["入会日期", "入会时间"],
            Column::MigrantWorker => &["是否农民工", "农民工"],
            Column::Hardship => &["是否困难职工", "困难职工"],
            Column::Status => &["会籍状态", "状态"],
        }
    }
}

/// A heading as compared: trimmed, half-width, without spaces, stars and a
/// bracketed note such as "（必填）" or "(18位)".
pub fn normalise_heading(s: &str) -> String {
    let s = crate::pii::to_half_width(s);
    let mut out = String::new();
    let mut depth = 0;
    for c in s.chars() {
        match c {
            '(' | '（' | '[' | '【' => depth += 1,
            ')' | '）' | ']' | '】' => depth = (depth - 1).max(0),
            _ if depth > 0 => {}
            c if c.is_whitespace() || c == '*' || c == ':' || c == '：' => {}
            c => out.push(c),
        }
    }
    out
}

pub fn match_heading(s: &str) -> Option<Column> {
    let h = normalise_heading(s);
    if h.is_empty() {
        return None;
    }
    Column::ALL
        .into_iter()
        .find(|c| c.aliases().contains(&h.as_str()))
}

/// Where each known column is in a header row (0-based cell index).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Header {
    pub columns: Vec<(Column, usize)>,
    /// Headings nobody recognised, so the user can see what was ignored.
    pub ignored: Vec<String>,
}

impl Header {
    pub fn index(&self, col: Column) -> Option<usize> {
        self.columns
            .iter()
            .find(|(c, _)| *c == col)
            .map(|(_, i)| *i)
    }

    pub fn has(&self, col: Column) -> bool {
        self.index(col).is_some()
    }
}

/// Reads a row as a header when it names both the person (姓名) and the ID
/// number; the first such row in a sheet is its header. Title rows above it
/// ("2024年姜山镇会员花名册"), merged or not, never name both.
pub fn detect_header(cells: &[String]) -> Option<Header> {
    let mut h = Header::default();
    for (i, text) in cells.iter().enumerate() {
        match match_heading(text) {
            Some(col) if !h.has(col) => h.columns.push((col, i)),
            Some(_) => h.ignored.push(text.trim().to_string()),
            None if !text.trim().is_empty() => h.ignored.push(text.trim().to_string()),
            None => {}
        }
    }
    (h.has(Column::Name) && h.has(Column::IdNumber)).then_some(h)
}

/// How many rows from the top of a sheet are searched for the header.
pub const HEADER_SEARCH_ROWS: usize = 30;

#[cfg(test)]
mod tests {
    use super::*;

    fn row(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn headings_and_their_variants() {
        assert_eq!(
            match_heading(" 身份证号码（必填） "),
            Some(Column::IdNumber)
        );
        assert_eq!(match_heading("公民身份号码"), Some(Column::IdNumber));
        assert_eq!(match_heading("*姓 名"), Some(Column::Name));
        assert_eq!(match_heading("联系电话"), Some(Column::Phone));
        assert_eq!(match_heading("单位名称"), Some(Column::Enterprise));
        assert_eq!(match_heading("职业技能等级"), Some(Column::SkillLevel));
        assert_eq!(match_heading("手机号码(11位)"), Some(Column::Phone));
        assert_eq!(match_heading("备注"), None);
    }

    #[test]
    fn the_header_is_found_not_assumed() {
        assert!(detect_header(&row(&["2024年姜山镇工会会员花名册", "", ""])).is_none());
        assert!(detect_header(&row(&["填报单位：华瑞电器", "填报日期：2024-05-01"])).is_none());
        let h = detect_header(&row(&[
            "序号",
            "姓名",
            "性别",
            "身份证号码",
            "手机",
            "备注",
        ]))
        .unwrap();
        assert_eq!(h.index(Column::Name), Some(1));
        assert_eq!(h.index(Column::IdNumber), Some(3));
        assert_eq!(h.index(Column::Phone), Some(4));
        assert_eq!(h.ignored, ["序号", "备注"]);
    }

    #[test]
    fn every_title_is_its_own_first_alias() {
        for c in Column::ALL {
            assert_eq!(match_heading(c.title()), Some(c));
        }
    }
}
