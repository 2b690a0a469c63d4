//! Rules of importing the union tree and the enterprise register: their
//! columns and the names real sheets give them, the header, reading a row,
//! and placing a file's unions under their parents (in any order, cycles and
//! unknown parents refused row by row). Pure: the job gives it what the
//! database holds and writes what it decides.

use crate::roster::columns::normalise_heading;
use crate::roster::rules::Cell;
use std::collections::{HashMap, HashSet};

/// A column of a register sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Col {
    OrgName,
    OrgCode,
    Parent,
    OrgKind,
    Leader,
    OrgPhone,
    EntName,
    CreditCode,
    EntOrg,
    Industry,
    Size,
    Address,
    Contact,
    ContactPhone,
}

/// The union tree's columns, in template order.
pub const ORG_COLUMNS: [Col; 6] = [
    Col::OrgName,
    Col::OrgCode,
    Col::Parent,
    Col::OrgKind,
    Col::Leader,
    Col::OrgPhone,
];

/// The enterprise register's columns, in template order.
pub const ENTERPRISE_COLUMNS: [Col; 8] = [
    Col::EntName,
    Col::CreditCode,
    Col::EntOrg,
    Col::Industry,
    Col::Size,
    Col::Address,
    Col::Contact,
    Col::ContactPhone,
];

impl Col {
    /// The heading written in templates and reports.
    pub fn title(self) -> &'static str {
        self.aliases()[0]
    }

    /// Headings seen in real sheets, normalised as `normalise_heading` does.
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            Col::OrgName => &["组织名称", "工会名称", "工会组织名称", "名称", "单位名称"],
            Col::OrgCode => &["组织代码", "工会代码", "组织编码", "代码", "编码", "编号"],
            Col::Parent => &[
                "上级组织",
                "上级工会",
                "上级",
                "上级组织代码",
                "上级组织名称",
                "上级单位",
                "隶属",
            ],
            Col::OrgKind => &["组织类型", "工会类型", "类型", "类别"],
            Col::Leader => &["负责人", "工会主席", "主席", "联系人"],
            Col::OrgPhone => &["联系电话", "电话", "办公电话", "手机", "联系方式"],
            Col::EntName => &["企业名称", "单位名称", "企业", "名称", "单位"],
            Col::CreditCode => &[
                "统一社会信用代码",
                "社会信用代码",
                "信用代码",
                "统一代码",
                "统一信用代码",
            ],
            Col::EntOrg => &["所属工会", "工会", "所在工会", "工会名称", "上级工会"],
            Col::Industry => &["行业", "所属行业", "行业类别", "行业分类"],
            Col::Size => &["规模", "企业规模"],
            Col::Address => &["地址", "企业地址", "注册地址", "经营地址", "详细地址"],
            Col::Contact => &["联系人", "负责人"],
            Col::ContactPhone => &["联系电话", "电话", "手机", "联系方式", "手机号码"],
        }
    }
}

/// Where each known column of `columns` is in a header row, and what was not
/// recognised. A row is the header when it names every column of `needed`.
pub fn detect_header(cells: &[String], columns: &[Col], needed: &[Col]) -> Option<Header> {
    let mut h = Header::default();
    for (i, text) in cells.iter().enumerate() {
        let norm = normalise_heading(text);
        if norm.is_empty() {
            continue;
        }
        // The first column whose names include the heading and is not yet placed.
        match columns
            .iter()
            .find(|c| c.aliases().contains(&norm.as_str()) && h.index(**c).is_none())
        {
            Some(c) => h.columns.push((*c, i)),
            None => h.ignored.push(text.trim().to_string()),
        }
    }
    needed.iter().all(|c| h.index(*c).is_some()).then_some(h)
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Header {
    pub columns: Vec<(Col, usize)>,
    pub ignored: Vec<String>,
}

impl Header {
    pub fn index(&self, col: Col) -> Option<usize> {
        self.columns
            .iter()
            .find(|(c, _)| *c == col)
            .map(|(_, i)| *i)
    }

    /// The row's text under `col`, trimmed; None when blank. Names keep
    /// their full-width brackets (registered names are written with them);
    /// codes and phones are made half-width by their own parsers.
    pub fn text(&self, cells: &[Cell], col: Col) -> Option<String> {
        let cell = self.index(col).and_then(|i| cells.get(i))?;
        let s = match cell {
            Cell::Text(s) => s.trim().to_string(),
            other => other.display(),
        };
        (!s.is_empty()).then_some(s)
    }
}

/// A reason a row is refused: the column's heading and the message.
pub type Refusal = (String, String);

fn refuse(col: Col, message: impl Into<String>) -> Refusal {
    (col.title().to_string(), message.into())
}

fn short(v: Option<String>, col: Col, max: usize, errs: &mut Vec<Refusal>) -> String {
    let v = v.unwrap_or_default();
    if v.chars().count() > max {
        errs.push(refuse(col, format!("不能超过{max}个字")));
        return String::new();
    }
    v
}

/// A contact telephone: a mobile or a landline, as the roster reads phones.
fn contact_phone(v: Option<String>, col: Col, errs: &mut Vec<Refusal>) -> String {
    match v {
        None => String::new(),
        Some(v) => match crate::pii::Phone::parse(&v) {
            Ok(p) => p.as_str().to_string(),
            Err(m) => {
                errs.push(refuse(col, m));
                String::new()
            }
        },
    }
}

/// One union as a row gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct OrgRow {
    pub name: String,
    /// None: to be generated.
    pub code: Option<String>,
    /// By code or by name; None: directly under the union imported into.
    pub parent: Option<String>,
    pub kind: String,
    pub leader: String,
    pub phone: String,
}

pub fn read_org_row(h: &Header, cells: &[Cell]) -> Result<OrgRow, Vec<Refusal>> {
    let mut errs = vec![];
    let name = match crate::org::rules::parse_name(&h.text(cells, Col::OrgName).unwrap_or_default())
    {
        Ok(n) => n,
        Err(_) => {
            errs.push(refuse(Col::OrgName, "组织名称不能为空"));
            String::new()
        }
    };
    let code = match h.text(cells, Col::OrgCode) {
        None => None,
        Some(v) => match crate::org::rules::parse_code(&v) {
            Ok(c) => Some(c),
            Err(m) => {
                errs.push(refuse(Col::OrgCode, m));
                None
            }
        },
    };
    let kind = match h.text(cells, Col::OrgKind) {
        None => {
            errs.push(refuse(
                Col::OrgKind,
                format!(
                    "组织类型不能为空，可选：{}",
                    crate::org::rules::KINDS.join("、")
                ),
            ));
            String::new()
        }
        Some(v) => match crate::org::rules::parse_kind(&v) {
            Ok(k) => k,
            Err(m) => {
                errs.push(refuse(Col::OrgKind, m));
                String::new()
            }
        },
    };
    let row = OrgRow {
        name,
        code,
        parent: h.text(cells, Col::Parent),
        kind,
        leader: short(h.text(cells, Col::Leader), Col::Leader, 50, &mut errs),
        phone: contact_phone(h.text(cells, Col::OrgPhone), Col::OrgPhone, &mut errs),
    };
    if errs.is_empty() {
        Ok(row)
    } else {
        Err(errs)
    }
}

/// A union already in the database, inside the subtree imported into.
#[derive(Debug, Clone)]
pub struct Existing {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub parent_id: Option<i64>,
}

/// Where a union of the file goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parent {
    /// A union already in the database.
    Org(i64),
    /// Another row of the file (its index in the rows given).
    Row(usize),
}

/// What the job is to do with a valid row.
#[derive(Debug, Clone, PartialEq)]
pub enum Placed {
    /// A new union under `parent`, with this code.
    Create { code: String, parent: Parent },
    /// A union already there (same code): its name, kind and contact change.
    Update { id: i64 },
}

/// What the tree looks like to a file: the unions of the subtree imported
/// into, the union itself, and codes used outside the subtree.
pub struct Tree<'a> {
    pub target: &'a Existing,
    pub subtree: &'a [Existing],
    /// Codes of the file that belong to unions outside the subtree.
    pub codes_elsewhere: &'a HashSet<String>,
    /// Every code in use anywhere (for generated codes).
    pub codes_taken: &'a HashSet<String>,
}

/// Each placed row's index and what to do (parents first), and each refused
/// row's index and why.
pub type Placement = (Vec<(usize, Placed)>, Vec<(usize, Refusal)>);

/// Places every row under its parent. Returns, in an order where a parent
/// comes before its children, each row's index and what to do, or why not.
/// `rows[i]` is None for a row already refused by `read_org_row` (a child
/// naming it is refused too).
pub fn place_orgs(rows: &[Option<OrgRow>], tree: &Tree) -> Placement {
    let mut refused: HashMap<usize, Refusal> = HashMap::new();
    let by_code: HashMap<&str, &Existing> =
        tree.subtree.iter().map(|e| (e.code.as_str(), e)).collect();
    let mut by_name: HashMap<&str, Vec<i64>> = HashMap::new();
    for e in tree.subtree {
        by_name.entry(e.name.as_str()).or_default().push(e.id);
    }
    // The file's own codes and names (first row wins; a repeated code is refused).
    let mut file_code: HashMap<&str, usize> = HashMap::new();
    let mut file_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        let Some(r) = r else { continue };
        if let Some(code) = &r.code {
            if let Some(first) = file_code.get(code.as_str()) {
                refused.insert(
                    i,
                    refuse(
                        Col::OrgCode,
                        format!("与本文件第 {} 条的组织代码“{code}”重复", first + 1),
                    ),
                );
                continue;
            }
            if tree.codes_elsewhere.contains(code) {
                refused.insert(
                    i,
                    refuse(
                        Col::OrgCode,
                        format!("组织代码“{code}”已被本组织以外的其他组织使用"),
                    ),
                );
                continue;
            }
            file_code.insert(code.as_str(), i);
        }
        file_name.entry(r.name.as_str()).or_default().push(i);
    }
    // Each row's parent, as written.
    let mut parent_of: HashMap<usize, Parent> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        let Some(r) = r else { continue };
        if refused.contains_key(&i) {
            continue;
        }
        let existing = r.code.as_deref().and_then(|c| by_code.get(c)).copied();
        let parent = match r.parent.as_deref() {
            None => match existing {
                // Left blank for a union already there: it stays where it is.
                Some(e) if e.id == tree.target.id => None,
                Some(e) => e.parent_id.map(Parent::Org),
                None => Some(Parent::Org(tree.target.id)),
            },
            Some(p) => match resolve(p, &file_code, &file_name, &by_code, &by_name, tree) {
                Ok(parent) => Some(parent),
                Err(m) => {
                    refused.insert(i, refuse(Col::Parent, m));
                    continue;
                }
            },
        };
        if let Some(e) = existing {
            // A union already there is updated in place; moving it is done on its page.
            let stays = match parent {
                None => true,
                Some(Parent::Org(pid)) => Some(pid) == e.parent_id,
                Some(Parent::Row(j)) => rows[j]
                    .as_ref()
                    .and_then(|pr| pr.code.as_deref())
                    .and_then(|c| by_code.get(c))
                    .is_some_and(|pe| Some(pe.id) == e.parent_id),
            };
            if !stays {
                refused.insert(
                    i,
                    refuse(
                        Col::Parent,
                        format!(
                            "“{}”（{}）已在组织树中，文件中的上级与现有上级不同；调整上级请在组织页面办理“移动”",
                            e.name, e.code
                        ),
                    ),
                );
                continue;
            }
        }
        if let Some(p) = parent {
            parent_of.insert(i, p);
        }
    }
    // Parents before children; a cycle or a refused parent refuses the row.
    let mut order: Vec<usize> = vec![];
    let mut state: HashMap<usize, u8> = HashMap::new(); // 1 visiting, 2 done
    for start in 0..rows.len() {
        if rows[start].is_none() || refused.contains_key(&start) || state.contains_key(&start) {
            continue;
        }
        // Walk up to the first parent that is settled, then settle the chain downwards.
        let mut chain = vec![start];
        let mut on_chain: HashSet<usize> = HashSet::from([start]);
        let verdict: Result<(), String> = loop {
            let here = *chain.last().unwrap_or(&start);
            match parent_of.get(&here) {
                Some(Parent::Row(j)) => {
                    let j = *j;
                    if on_chain.contains(&j) {
                        let at = chain.iter().position(|x| *x == j).unwrap_or(0);
                        let names: Vec<&str> = chain[at..]
                            .iter()
                            .chain(std::iter::once(&j))
                            .filter_map(|k| rows[*k].as_ref().map(|r| r.name.as_str()))
                            .collect();
                        break Err(format!("上级组织形成循环：{}", names.join(" → ")));
                    }
                    if rows[j].is_none() || refused.contains_key(&j) {
                        break Err(format!(
                            "上级组织“{}”（本文件第 {} 条）有误，未能导入",
                            rows[j].as_ref().map(|r| r.name.as_str()).unwrap_or(""),
                            j + 1
                        ));
                    }
                    if state.get(&j) == Some(&2) {
                        break Ok(());
                    }
                    chain.push(j);
                    on_chain.insert(j);
                }
                _ => break Ok(()),
            }
        };
        // Settle from the top of the chain down.
        for k in chain.into_iter().rev() {
            match &verdict {
                Ok(()) => {
                    state.insert(k, 2);
                    order.push(k);
                }
                Err(m) => {
                    state.insert(k, 2);
                    refused.insert(k, refuse(Col::Parent, m.clone()));
                }
            }
        }
    }
    // Codes for the rows without one: the union's own code and a number.
    let mut taken: HashSet<String> = tree.codes_taken.clone();
    taken.extend(file_code.keys().map(|c| c.to_string()));
    let prefix: String = tree.target.code.chars().take(26).collect();
    let mut next = 1u32;
    // A row without a code names the union already under the same parent by
    // its name, so the same file imported twice updates instead of doubling.
    let mut by_parent_and_name: HashMap<(i64, &str), Vec<i64>> = HashMap::new();
    for e in tree.subtree {
        if let Some(pid) = e.parent_id {
            by_parent_and_name
                .entry((pid, e.name.as_str()))
                .or_default()
                .push(e.id);
        }
    }
    let mut updates: HashMap<usize, i64> = HashMap::new();
    let mut placed = vec![];
    for i in order {
        let Some(r) = &rows[i] else { continue };
        let parent_id = match parent_of.get(&i) {
            Some(Parent::Org(id)) => Some(*id),
            Some(Parent::Row(j)) => updates.get(j).copied(),
            None => None,
        };
        let existing = match &r.code {
            Some(c) => by_code.get(c.as_str()).map(|e| e.id),
            None => parent_id
                .and_then(|pid| by_parent_and_name.get(&(pid, r.name.as_str())))
                .and_then(|ids| (ids.len() == 1).then_some(ids[0])),
        };
        let item = match existing {
            Some(id) => {
                updates.insert(i, id);
                Placed::Update { id }
            }
            None => {
                let code = match &r.code {
                    Some(c) => c.clone(),
                    None => loop {
                        let c = format!("{prefix}-{next:04}");
                        next += 1;
                        if taken.insert(c.clone()) {
                            break c;
                        }
                    },
                };
                Placed::Create {
                    code,
                    parent: parent_of
                        .get(&i)
                        .copied()
                        .unwrap_or(Parent::Org(tree.target.id)),
                }
            }
        };
        placed.push((i, item));
    }
    let mut refused: Vec<(usize, Refusal)> = refused.into_iter().collect();
    refused.sort_by_key(|(i, _)| *i);
    (placed, refused)
}

/// A parent as written: a code of the file, a code in the subtree, a name of
/// the file, a name in the subtree (a name must be unique where it is found).
fn resolve(
    p: &str,
    file_code: &HashMap<&str, usize>,
    file_name: &HashMap<&str, Vec<usize>>,
    by_code: &HashMap<&str, &Existing>,
    by_name: &HashMap<&str, Vec<i64>>,
    tree: &Tree,
) -> Result<Parent, String> {
    let code = crate::pii::to_half_width(p);
    if let Some(i) = file_code.get(code.as_str()) {
        return Ok(Parent::Row(*i));
    }
    if let Some(e) = by_code.get(code.as_str()) {
        return Ok(Parent::Org(e.id));
    }
    // A name of the file is the union the file means (new, or the one it updates).
    match (
        file_name.get(p).map(Vec::as_slice),
        by_name.get(p).map(Vec::as_slice),
    ) {
        (Some([i]), _) => Ok(Parent::Row(*i)),
        (None, Some([id])) => Ok(Parent::Org(*id)),
        (None, None) => Err(format!(
            "上级组织“{p}”既不在本文件中，也不是“{}”或其下级组织（可填组织代码或名称）",
            tree.target.name
        )),
        _ => Err(format!("有多个名为“{p}”的组织，请改填上级组织的组织代码")),
    }
}

/// One enterprise as a row gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct EnterpriseRow {
    pub name: String,
    pub credit_code: String,
    /// By code or name; None: the union imported into.
    pub org: Option<String>,
    pub industry: String,
    pub size: String,
    pub address: String,
    pub contact: String,
    pub contact_phone: String,
}

pub fn read_enterprise_row(h: &Header, cells: &[Cell]) -> Result<EnterpriseRow, Vec<Refusal>> {
    let mut errs = vec![];
    let name = match crate::org::rules::parse_name(&h.text(cells, Col::EntName).unwrap_or_default())
    {
        Ok(n) => n,
        Err(_) => {
            errs.push(refuse(Col::EntName, "企业名称不能为空"));
            String::new()
        }
    };
    let credit_code = match h.text(cells, Col::CreditCode) {
        None => {
            errs.push(refuse(Col::CreditCode, "统一社会信用代码不能为空"));
            String::new()
        }
        Some(v) => match crate::pii::CreditCode::parse(&v) {
            Ok(c) => c.as_str().to_string(),
            Err(m) => {
                errs.push(refuse(Col::CreditCode, m));
                String::new()
            }
        },
    };
    let size = h.text(cells, Col::Size).unwrap_or_default();
    let size = if size.is_empty() || crate::enterprise::rules::SIZES.contains(&size.as_str()) {
        size
    } else {
        errs.push(refuse(
            Col::Size,
            format!(
                "企业规模“{size}”无效，可选：{}",
                crate::enterprise::rules::SIZES.join("、")
            ),
        ));
        String::new()
    };
    let row = EnterpriseRow {
        name,
        credit_code,
        org: h.text(cells, Col::EntOrg),
        industry: short(h.text(cells, Col::Industry), Col::Industry, 50, &mut errs),
        size,
        address: short(h.text(cells, Col::Address), Col::Address, 200, &mut errs),
        contact: short(h.text(cells, Col::Contact), Col::Contact, 50, &mut errs),
        contact_phone: contact_phone(
            h.text(cells, Col::ContactPhone),
            Col::ContactPhone,
            &mut errs,
        ),
    };
    if errs.is_empty() {
        Ok(row)
    } else {
        Err(errs)
    }
}

/// The union an enterprise row names: by code, else by a unique name, within
/// the subtree; blank for the union imported into.
pub fn covering_union(written: Option<&str>, tree: &Tree) -> Result<i64, Refusal> {
    let Some(w) = written else {
        return Ok(tree.target.id);
    };
    let code = crate::pii::to_half_width(w);
    if let Some(e) = tree.subtree.iter().find(|e| e.code == code) {
        return Ok(e.id);
    }
    let named: Vec<&Existing> = tree.subtree.iter().filter(|e| e.name == w).collect();
    match named.as_slice() {
        [e] => Ok(e.id),
        [] => Err(refuse(
            Col::EntOrg,
            format!(
                "所属工会“{w}”不是“{}”或其下级组织（可填组织代码或名称）",
                tree.target.name
            ),
        )),
        _ => Err(refuse(
            Col::EntOrg,
            format!("有多个名为“{w}”的工会，请改填组织代码"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(name: &str, code: Option<&str>, parent: Option<&str>) -> Option<OrgRow> {
        Some(OrgRow {
            name: name.into(),
            code: code.map(Into::into),
            parent: parent.map(Into::into),
            kind: "企业工会".into(),
            leader: String::new(),
            phone: String::new(),
        })
    }

    fn existing(id: i64, code: &str, name: &str, parent: Option<i64>) -> Existing {
        Existing {
            id,
            code: code.into(),
            name: name.into(),
            parent_id: parent,
        }
    }

    fn place(rows: &[Option<OrgRow>], subtree: &[Existing]) -> Placement {
        let elsewhere = HashSet::from(["ELSEWHERE".to_string()]);
        let mut taken: HashSet<String> = subtree.iter().map(|e| e.code.clone()).collect();
        taken.insert("ELSEWHERE".into());
        taken.insert("JS-0001".into());
        let tree = Tree {
            target: &subtree[0],
            subtree,
            codes_elsewhere: &elsewhere,
            codes_taken: &taken,
        };
        place_orgs(rows, &tree)
    }

    #[test]
    fn headers_are_found_under_titles_by_their_usual_names() {
        let row = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let needed = [Col::OrgName, Col::OrgKind];
        assert!(detect_header(&row(&["姜山镇工会组织架构表"]), &ORG_COLUMNS, &needed).is_none());
        let h = detect_header(
            &row(&[
                "序号",
                "工会名称",
                "上级工会",
                "组织类型（必填）",
                "工会主席",
                "办公电话",
            ]),
            &ORG_COLUMNS,
            &needed,
        )
        .unwrap();
        assert_eq!(h.index(Col::OrgName), Some(1));
        assert_eq!(h.index(Col::Parent), Some(2));
        assert_eq!(h.index(Col::Leader), Some(4));
        assert_eq!(h.ignored, ["序号"]);
        let h = detect_header(
            &row(&[
                "单位名称",
                "统一社会信用代码",
                "所属工会",
                "联系人",
                "联系电话",
            ]),
            &ENTERPRISE_COLUMNS,
            &[Col::EntName, Col::CreditCode],
        )
        .unwrap();
        assert_eq!(h.index(Col::ContactPhone), Some(4));
        for c in ORG_COLUMNS.iter().chain(&ENTERPRISE_COLUMNS) {
            assert_eq!(normalise_heading(c.title()), c.title());
        }
    }

    #[test]
    fn parents_may_come_after_their_children_and_by_name_or_code() {
        let subtree = [existing(1, "JS", "姜山镇总工会", None)];
        let rows = [
            org("华瑞电器工会", Some("HR"), Some("东村联合工会")),
            org("东村联合工会", Some("DC"), None),
            org("华瑞一车间工会", None, Some("HR")),
        ];
        let (placed, refused) = place(&rows, &subtree);
        assert!(refused.is_empty(), "{refused:?}");
        let order: Vec<usize> = placed.iter().map(|(i, _)| *i).collect();
        assert_eq!(order, [1, 0, 2]);
        assert_eq!(
            placed[0].1,
            Placed::Create {
                code: "DC".into(),
                parent: Parent::Org(1)
            }
        );
        assert_eq!(
            placed[1].1,
            Placed::Create {
                code: "HR".into(),
                parent: Parent::Row(1)
            }
        );
        // A blank code is generated from the union's own, past codes in use.
        assert_eq!(
            placed[2].1,
            Placed::Create {
                code: "JS-0002".into(),
                parent: Parent::Row(0)
            }
        );
    }

    #[test]
    fn cycles_unknown_parents_and_repeated_codes_are_row_errors() {
        let subtree = [
            existing(1, "JS", "姜山镇总工会", None),
            existing(2, "A1", "同名工会", Some(1)),
            existing(3, "A2", "同名工会", Some(1)),
        ];
        let rows = [
            org("甲", Some("X1"), Some("X2")),
            org("乙", Some("X2"), Some("X1")),
            org("丙", Some("X3"), Some("不存在的工会")),
            org("丁", Some("X4"), Some("X3")),
            org("戊", Some("X1"), None),
            org("己", None, Some("同名工会")),
            org("庚", Some("ELSEWHERE"), None),
            None,
            org("辛", None, Some("X8")),
        ];
        let (placed, refused) = place(&rows, &subtree);
        assert!(placed.is_empty(), "{placed:?}");
        let why: HashMap<usize, &str> = refused.iter().map(|(i, r)| (*i, r.1.as_str())).collect();
        assert!(
            why[&0].contains("循环") && why[&0].contains("甲 → 乙 → 甲"),
            "{}",
            why[&0]
        );
        assert!(why[&1].contains("循环"));
        assert!(why[&2].contains("既不在本文件中"));
        assert!(why[&3].contains("有误"), "{}", why[&3]);
        assert!(why[&4].contains("重复"));
        assert!(why[&5].contains("多个"));
        assert!(why[&6].contains("其他组织使用"));
        assert!(why[&8].contains("既不在本文件中"), "{}", why[&8]);
        assert!(!why.contains_key(&7));
    }

    #[test]
    fn a_union_already_there_is_updated_where_it_stands() {
        let subtree = [
            existing(1, "JS", "姜山镇总工会", None),
            existing(2, "DC", "东村联合工会", Some(1)),
            existing(3, "HR", "华瑞工会", Some(2)),
            existing(4, "QT", "其他工会", Some(2)),
        ];
        let rows = [
            org("华瑞电器工会", Some("HR"), Some("DC")),
            org("东村工会", Some("DC"), None),
            org("姜山镇总工会", Some("JS"), None),
            org("其他工会", Some("QT"), Some("JS")),
        ];
        let (placed, refused) = place(&rows, &subtree);
        assert_eq!(placed.len(), 3);
        assert!(placed.contains(&(0, Placed::Update { id: 3 })));
        assert!(placed.contains(&(2, Placed::Update { id: 1 })));
        assert_eq!(refused.len(), 1);
        assert!(refused[0].1 .1.contains("移动"));
    }

    #[test]
    fn rows_read_with_every_reason_at_once() {
        let h = Header {
            columns: ORG_COLUMNS
                .iter()
                .enumerate()
                .map(|(i, c)| (*c, i))
                .collect(),
            ignored: vec![],
        };
        let t = |v: &str| Cell::Text(v.into());
        let bad = read_org_row(
            &h,
            &[
                Cell::Empty,
                t("宁波"),
                Cell::Empty,
                t("公司"),
                Cell::Empty,
                t("12x"),
            ],
        )
        .unwrap_err();
        let cols: Vec<&str> = bad.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(cols, ["组织名称", "组织代码", "组织类型", "联系电话"]);
        let good = read_org_row(
            &h,
            &[
                t("东村工会"),
                Cell::Empty,
                t("姜山镇"),
                t("联合工会"),
                t("王芳"),
                t("0574-88123456"),
            ],
        )
        .unwrap();
        assert_eq!(good.code, None);
        assert_eq!(good.phone, "057488123456");
        let h = Header {
            columns: ENTERPRISE_COLUMNS
                .iter()
                .enumerate()
                .map(|(i, c)| (*c, i))
                .collect(),
            ignored: vec![],
        };
        let bad = read_enterprise_row(
            &h,
            &[
                t("华瑞"),
                t("91330212MA2GQ6KX53"),
                Cell::Empty,
                Cell::Empty,
                t("巨型"),
            ],
        )
        .unwrap_err();
        let cols: Vec<&str> = bad.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(cols, ["统一社会信用代码", "规模"]);
        assert!(read_enterprise_row(&h, &[t("华瑞"), t("91330212MA2GQ6KX52")]).is_ok());
    }
}
