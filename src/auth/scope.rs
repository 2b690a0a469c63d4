//! Roles, rights and the subtree scope every store function takes.

use crate::db::sql::Sql;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Officer,
    Viewer,
    Member,
    /// Not a role of its own but a right an admin grants beside one: seeing
    /// whole ID numbers and phones in the subtree (every reveal is audited).
    Reveal,
}

/// What a request wants to do; a role grants some of them over its subtree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Right {
    /// See organisations, enterprises and members.
    Read,
    /// Add and edit enterprises and members, transfer members.
    Roster,
    /// Add, edit and move organisations.
    Orgs,
    /// Manage accounts.
    Accounts,
    /// See whole ID numbers and phones.
    Reveal,
    /// Read the audit log.
    Audit,
    /// Set the dashboard's yearly targets (an admin of the union or above).
    Targets,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Officer, Role::Viewer, Role::Member];

    pub fn parse(s: &str) -> Result<Role, String> {
        match s.trim() {
            "admin" => Ok(Role::Admin),
            "officer" => Ok(Role::Officer),
            "viewer" => Ok(Role::Viewer),
            "member" => Ok(Role::Member),
            "reveal" => Ok(Role::Reveal),
            other => Err(format!(
                "未知角色“{other}”，可选 admin、officer、viewer、member"
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Officer => "officer",
            Role::Viewer => "viewer",
            Role::Member => "member",
            Role::Reveal => "reveal",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "管理员",
            Role::Officer => "工作人员",
            Role::Viewer => "只读",
            Role::Member => "会员",
            Role::Reveal => "查看完整证件号",
        }
    }

    pub fn grants(self, right: Right) -> bool {
        match self {
            // Revealing is granted on its own, never implied by another role.
            Role::Admin => right != Right::Reveal,
            Role::Officer => matches!(right, Right::Read | Right::Roster),
            // A read-only account is also how an auditor looks at the audit log.
            Role::Viewer => matches!(right, Right::Read | Right::Audit),
            // A member's rights are over their own record, not a subtree.
            Role::Member => false,
            Role::Reveal => right == Right::Reveal,
        }
    }
}

/// One past the last path in a subtree: '/1/5/' → '/1/50' ('0' follows '/').
pub fn path_upper(prefix: &str) -> String {
    let mut s = prefix.trim_end_matches('/').to_string();
    s.push('0');
    s
}

/// What a caller may touch for one right: whole subtrees (by path prefix);
/// for a member account, their own member record; and what the unions above a
/// member offer to the unions below (a catalogue item, a course, an earning
/// rule of the member's union or any union above it).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scope {
    pub paths: Vec<String>,
    pub own_member: Option<i64>,
    /// A union's path: records of that union and of every union above it are
    /// in scope (what is offered down the tree to its members).
    pub offered_to: Option<String>,
}

impl Scope {
    pub fn new(mut paths: Vec<String>, own_member: Option<i64>) -> Scope {
        // Drop subtrees inside others, so each row matches one range.
        paths.sort();
        paths.dedup();
        let mut kept: Vec<String> = vec![];
        for p in paths {
            if !kept.iter().any(|k| p.starts_with(k.as_str())) {
                kept.push(p);
            }
        }
        Scope {
            paths: kept,
            own_member,
            offered_to: None,
        }
    }

    /// One member's own records only (a member account acting for itself).
    pub fn member(member_id: i64) -> Scope {
        Scope {
            own_member: Some(member_id),
            ..Scope::default()
        }
    }

    /// What is offered to the members of the union at `path`: its own records
    /// and those of every union above it.
    pub fn offered_to(path: &str) -> Scope {
        Scope {
            offered_to: Some(path.to_string()),
            ..Scope::default()
        }
    }

    /// The same scope, also reaching what is offered to the union at `path`.
    pub fn with_offered_to(mut self, path: Option<&str>) -> Scope {
        self.offered_to = path.map(str::to_string);
        self
    }

    /// Every organisation: for the CLI, which acts with the machine owner's rights.
    pub fn everything() -> Scope {
        Scope {
            paths: vec!["/".into()],
            ..Scope::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.paths.is_empty() && self.own_member.is_none() && self.offered_to.is_none()
    }

    /// Whether a record of the union at `path` is in scope (subtrees, or offered down).
    pub fn covers_path(&self, path: &str) -> bool {
        self.paths.iter().any(|p| path.starts_with(p.as_str()))
            || self
                .offered_to
                .as_deref()
                .is_some_and(|below| below.starts_with(path))
    }

    /// A predicate on an organisation path column: `(o.path >= $1 AND o.path < $2) OR …`,
    /// and `o.path IN (the ancestors)` for what is offered down.
    pub fn org_predicate(&self, sql: &mut Sql, path_col: &str) -> String {
        let mut parts: Vec<String> = self
            .paths
            .iter()
            .map(|p| {
                let lo = sql.text(p.clone());
                let hi = sql.text(path_upper(p));
                format!("({path_col} >= {lo} AND {path_col} < {hi})")
            })
            .collect();
        if let Some(below) = &self.offered_to {
            let above: Vec<String> = crate::org::rules::ancestor_paths(below)
                .into_iter()
                .map(|p| sql.text(p))
                .collect();
            if !above.is_empty() {
                parts.push(format!("{path_col} IN ({})", above.join(", ")));
            }
        }
        if parts.is_empty() {
            return "1 = 0".into();
        }
        format!("({})", parts.join(" OR "))
    }

    /// A predicate for member rows: their organisation's subtree, or the member themself.
    pub fn member_predicate(&self, sql: &mut Sql, path_col: &str, member_id_col: &str) -> String {
        let mut parts = vec![];
        if !self.paths.is_empty() || self.offered_to.is_some() {
            parts.push(self.org_predicate(sql, path_col));
        }
        if let Some(id) = self.own_member {
            let p = sql.int(id);
            parts.push(format!("{member_id_col} = {p}"));
        }
        if parts.is_empty() {
            return "1 = 0".into();
        }
        format!("({})", parts.join(" OR "))
    }

    /// The organisations whose whole subtrees the scope covers (the last id of
    /// each path): where figures kept per subtree are read. A member's own
    /// record and what is offered down the tree are not subtrees.
    pub fn subtree_roots(&self) -> Vec<i64> {
        self.paths
            .iter()
            .filter_map(|p| crate::org::rules::path_ids(p).last().copied())
            .collect()
    }

    /// Narrows to one organisation's subtree, when that lies inside the scope.
    pub fn narrowed_to(&self, path: &str) -> Scope {
        if self.covers_path(path) {
            return Scope::new(vec![path.to_string()], None);
        }
        // Parts of the scope lying below the requested organisation.
        let inner: Vec<String> = self
            .paths
            .iter()
            .filter(|p| p.starts_with(path))
            .cloned()
            .collect();
        Scope::new(inner, None)
    }
}

/// What a caller may see and what it may change, for one right. A store
/// function that changes a scoped record takes this and decides itself: out
/// of sight is "not found" (404), in sight but out of reach is "forbidden" (403).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Access {
    pub see: Scope,
    pub change: Scope,
}

impl Access {
    /// The 404-versus-403 decision for a record of the union at `path`.
    pub fn check(&self, path: &str, what: &str) -> crate::web::error::AppResult<()> {
        if !self.see.covers_path(path) {
            return Err(crate::web::error::AppError::not_found(what));
        }
        if !self.change.covers_path(path) {
            return Err(crate::web::error::AppError::forbidden());
        }
        Ok(())
    }

    /// The same decision for a member record: a member account sees its own.
    pub fn check_member(&self, path: &str, member_id: i64) -> crate::web::error::AppResult<()> {
        let own = |s: &Scope| s.own_member == Some(member_id);
        if !(self.see.covers_path(path) || own(&self.see)) {
            return Err(crate::web::error::AppError::not_found("会员"));
        }
        if !(self.change.covers_path(path) || own(&self.change)) {
            return Err(crate::web::error::AppError::forbidden());
        }
        Ok(())
    }

    /// Everything (the command line).
    pub fn everything() -> Access {
        Access {
            see: Scope::everything(),
            change: Scope::everything(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_bound_excludes_siblings() {
        let hi = path_upper("/1/2/");
        assert!("/1/2/" < hi.as_str());
        assert!("/1/2/99/" < hi.as_str());
        assert!("/1/20/" >= hi.as_str());
        assert!("/1/3/" >= hi.as_str());
    }

    #[test]
    fn nested_paths_collapse() {
        let s = Scope::new(vec!["/1/2/5/".into(), "/1/2/".into(), "/1/3/".into()], None);
        assert_eq!(s.paths, vec!["/1/2/".to_string(), "/1/3/".to_string()]);
        assert!(s.covers_path("/1/2/5/9/"));
        assert!(!s.covers_path("/1/20/"));
        assert_eq!(s.narrowed_to("/1/2/5/").paths, vec!["/1/2/5/".to_string()]);
        assert!(s.narrowed_to("/1/4/").paths.is_empty());
        assert_eq!(s.narrowed_to("/1/").paths.len(), 2);
    }

    #[test]
    fn what_is_offered_down_the_tree() {
        let s = Scope::offered_to("/1/2/3/");
        assert!(s.covers_path("/1/") && s.covers_path("/1/2/") && s.covers_path("/1/2/3/"));
        assert!(!s.covers_path("/1/2/3/4/"), "not what is below");
        assert!(!s.covers_path("/1/5/"), "not a sibling's");
        let mut sql = Sql::new("");
        let p = s.org_predicate(&mut sql, "o.path");
        assert!(p.contains("o.path IN ($1, $2, $3)"), "{p}");
    }

    #[test]
    fn access_decides_404_or_403() {
        let a = Access {
            see: Scope::new(vec!["/1/".into()], None),
            change: Scope::new(vec!["/1/2/".into()], None),
        };
        assert!(a.check("/1/2/3/", "x").is_ok());
        assert!(matches!(
            a.check("/1/5/", "x"),
            Err(crate::web::error::AppError::Forbidden(_))
        ));
        assert!(matches!(
            a.check("/9/", "x"),
            Err(crate::web::error::AppError::NotFound(_))
        ));
    }

    #[test]
    fn roles_grant_rights() {
        assert!(Role::Admin.grants(Right::Accounts));
        assert!(Role::Officer.grants(Right::Roster) && !Role::Officer.grants(Right::Accounts));
        assert!(!Role::Officer.grants(Right::Orgs));
        assert!(Role::Viewer.grants(Right::Read) && !Role::Viewer.grants(Right::Roster));
        assert!(!Role::Member.grants(Right::Read));
    }
}
