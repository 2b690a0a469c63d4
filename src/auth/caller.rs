//! The account behind a request and what it holds: its assignments, and
//! the scopes they give for each right.

use super::scope::{Access, Right, Role, Scope};

#[derive(Debug, Clone)]
pub struct Assignment {
    pub role: Role,
    pub org_id: i64,
    pub org_path: String,
    pub org_name: String,
}

/// The account behind a request, with its assignments.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account_id: i64,
    /// What the pages and the audit log show of the login (a worker's phone masked).
    pub username: String,
    /// The login as stored (a phone as its keyed hash), for asking the password again.
    pub login: String,
    pub member_id: Option<i64>,
    pub assignments: Vec<Assignment>,
    pub csrf: String,
}

impl Caller {
    /// The operator at the command line, acting as an admin of an
    /// organisation (the CLI runs with the database's keys: it reaches what it names).
    pub fn operator(org_id: i64, org_path: &str, org_name: &str) -> Caller {
        Caller {
            account_id: 0,
            username: "命令行".into(),
            login: String::new(),
            member_id: None,
            assignments: vec![Assignment {
                role: Role::Admin,
                org_id,
                org_path: org_path.to_string(),
                org_name: org_name.to_string(),
            }],
            csrf: String::new(),
        }
    }

    /// The subtrees (and own record) where this caller holds `right`.
    pub fn scope(&self, right: Right) -> Scope {
        let paths = self
            .assignments
            .iter()
            .filter(|a| a.role.grants(right))
            .map(|a| a.org_path.clone())
            .collect();
        let own = if right == Right::Read && self.assignments.iter().any(|a| a.role == Role::Member)
        {
            self.member_id
        } else {
            None
        };
        Scope::new(paths, own)
    }

    /// What this caller sees, and where it holds `right`: the pair a store
    /// function that changes a scoped record decides 404 or 403 from.
    pub fn access(&self, right: Right) -> Access {
        Access {
            see: self.scope(Right::Read),
            change: self.scope(right),
        }
    }

    /// Holds `right` over the union at `path`: for what a page offers (an
    /// edit button, a QR code); whether the change is made is the store's
    /// decision, taken again from the caller's `Access`.
    pub fn holds_at(&self, right: Right, path: &str) -> bool {
        self.scope(right).covers_path(path)
    }

    /// Holds `right` somewhere (for showing buttons and choosing 403 over 404).
    pub fn can(&self, right: Right) -> bool {
        self.assignments.iter().any(|a| a.role.grants(right))
    }

    /// Where this caller's member search also matches the last 4 or 6 of an
    /// ID number: where they may see whole numbers anyway. Elsewhere a page's
    /// area code and birth date plus a guessed tail would rebuild a number.
    pub fn id_tail_scope(&self) -> Option<Scope> {
        self.can(Right::Reveal).then(|| self.scope(Right::Reveal))
    }

    pub fn roles_label(&self) -> String {
        self.assignments
            .iter()
            .map(|a| format!("{}·{}", a.org_name, a.role.label()))
            .collect::<Vec<_>>()
            .join("，")
    }

    /// The organisation to start a console view from: the first staff assignment.
    pub fn home_org(&self) -> Option<i64> {
        self.assignments
            .iter()
            .find(|a| a.role != Role::Member)
            .map(|a| a.org_id)
    }
}
