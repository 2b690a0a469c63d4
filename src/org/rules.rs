//! Rules of the union tree: kinds, codes, names, and where a subtree may move.

pub const KINDS: [&str; 7] = [
    "省总工会",
    "市总工会",
    "区县总工会",
    "乡镇街道总工会",
    "产业工会",
    "联合工会",
    "企业工会",
];

pub fn parse_kind(s: &str) -> Result<String, String> {
    let s = s.trim();
    if KINDS.contains(&s) {
        Ok(s.to_string())
    } else {
        Err(format!("组织类型“{s}”无效，可选：{}", KINDS.join("、")))
    }
}

/// Codes name organisations in the CLI and in imports: 2–32 letters, digits, `-` or `_`.
pub fn parse_code(s: &str) -> Result<String, String> {
    let s = crate::pii::to_half_width(s.trim());
    if s.is_empty() {
        return Err("组织代码不能为空".into());
    }
    if !(2..=32).contains(&s.len())
        || !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err("组织代码应为2–32位字母、数字、- 或 _".into());
    }
    Ok(s)
}

pub fn parse_name(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("名称不能为空".into());
    }
    if s.chars().count() > 100 {
        return Err("名称不能超过100个字".into());
    }
    Ok(s.to_string())
}

/// A union's 负责人: up to 50 characters, blank allowed.
pub fn parse_leader(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.chars().count() > 50 {
        return Err("负责人不能超过50个字".into());
    }
    Ok(s.to_string())
}

/// The office telephone: a mobile or a landline, blank allowed.
pub fn parse_office_phone(s: &str) -> Result<String, String> {
    if s.trim().is_empty() {
        return Ok(String::new());
    }
    crate::pii::Phone::parse(s).map(|p| p.as_str().to_string())
}

pub fn child_path(parent_path: &str, id: i64) -> String {
    format!("{parent_path}{id}/")
}

pub fn root_path(id: i64) -> String {
    format!("/{id}/")
}

/// A node may not move under itself or its own descendants.
pub fn check_move(node_path: &str, new_parent_path: &str) -> Result<(), String> {
    if new_parent_path.starts_with(node_path) {
        return Err("不能把组织移动到它自己或它的下级之下".into());
    }
    Ok(())
}

/// The paths of a union and every union above it: '/1/5/23/' → ['/1/', '/1/5/', '/1/5/23/']
/// (what is offered "to a union's members" is offered by one of these).
pub fn ancestor_paths(path: &str) -> Vec<String> {
    let mut out = vec![];
    let mut acc = String::from("/");
    for part in path.trim_matches('/').split('/').filter(|p| !p.is_empty()) {
        acc.push_str(part);
        acc.push('/');
        out.push(acc.clone());
    }
    out
}

/// The organisation ids along a path, root first: '/1/5/23/' → [1, 5, 23].
pub fn path_ids(path: &str) -> Vec<i64> {
    path.split('/').filter_map(|p| p.parse().ok()).collect()
}

/// Which unions a subtree leaves and which it joins when the node at
/// `node_path` moves under the union at `new_parent_path`: the strict
/// ancestors it has only before the move, and those it has only after.
pub fn ancestors_changed(node_path: &str, new_parent_path: &str) -> (Vec<i64>, Vec<i64>) {
    let mut before = path_ids(node_path);
    before.pop();
    let after = path_ids(new_parent_path);
    let left = before
        .iter()
        .filter(|a| !after.contains(a))
        .copied()
        .collect();
    let joined = after
        .iter()
        .filter(|a| !before.contains(a))
        .copied()
        .collect();
    (left, joined)
}

/// Depth below the root, for indenting a tree: '/1/' → 0, '/1/5/' → 1.
pub fn depth(path: &str) -> usize {
    path.matches('/').count().saturating_sub(2)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_move_leaves_and_joins_only_the_ancestors_that_differ() {
        assert_eq!(path_ids("/1/5/23/"), vec![1, 5, 23]);
        // 23 moves from under 5 to under 7; both lie under 1, which keeps it.
        assert_eq!(ancestors_changed("/1/5/23/", "/1/7/"), (vec![5], vec![7]));
        // Up one level: it leaves 5 and joins nothing.
        assert_eq!(ancestors_changed("/1/5/23/", "/1/"), (vec![5], vec![]));
        // Down into a sibling's subtree: it joins 6 and 9 and leaves nothing.
        assert_eq!(ancestors_changed("/1/23/", "/1/6/9/"), (vec![], vec![6, 9]));
    }

    use super::*;

    #[test]
    fn rules() {
        assert!(parse_kind("企业工会").is_ok());
        assert!(parse_kind("公司").unwrap_err().contains("可选"));
        assert_eq!(parse_code(" ＮＢ-01 ").unwrap(), "NB-01");
        assert!(parse_code("宁波").is_err());
        assert!(parse_name("  ").is_err());
        assert!(check_move("/1/5/", "/1/5/9/").is_err());
        assert!(check_move("/1/5/", "/1/5/").is_err());
        assert!(check_move("/1/5/", "/1/50/").is_ok());
        assert_eq!(depth("/1/"), 0);
        assert_eq!(depth("/1/5/9/"), 2);
        assert_eq!(child_path("/1/5/", 9), "/1/5/9/");
        assert_eq!(ancestor_paths("/1/5/23/"), ["/1/", "/1/5/", "/1/5/23/"]);
        assert!(ancestor_paths("/").is_empty());
    }
}
