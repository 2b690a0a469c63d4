//! What an import is asked to do and what it answers: its mode, the rows
//! that failed and the job's outcome. Plain data, shared by the job, the
//! store that keeps it and the pages that show it.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Check every row, write nothing.
    Check,
    /// All or nothing: one bad row and nothing is written (the default).
    All,
    /// Write the valid rows, report the others.
    Valid,
}

impl Mode {
    pub fn parse(s: &str) -> Result<Mode, String> {
        match s.trim() {
            "check" => Ok(Mode::Check),
            "" | "all" => Ok(Mode::All),
            "valid" => Ok(Mode::Valid),
            other => Err(format!("导入方式“{other}”无效，可选 check（只检查）、all（有错误则全部不导入，默认）、valid（只导入正确的行）")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Check => "check",
            Mode::All => "all",
            Mode::Valid => "valid",
        }
    }
}

/// One import: which job row it is, by whom, into where, what, how.
pub struct Job {
    pub id: i64,
    pub actor: crate::audit::Actor,
    pub org: crate::org::store::Org,
    pub kind: Kind,
    pub mode: Mode,
    pub filename: String,
    /// A roster's employers not registered yet are registered with it
    /// (name only, 待补充信用代码) instead of refusing their rows.
    pub register_employers: bool,
}

/// Which register a file is imported into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The member roster (the default).
    Members,
    /// The union tree.
    Orgs,
    /// The enterprise register.
    Enterprises,
}

impl Kind {
    pub fn parse(s: &str) -> Result<Kind, String> {
        match s.trim() {
            "" | "members" => Ok(Kind::Members),
            "orgs" => Ok(Kind::Orgs),
            "enterprises" => Ok(Kind::Enterprises),
            other => Err(format!(
                "导入内容“{other}”无效，可选 members（会员名册，默认）、orgs（组织架构）、enterprises（企业名录）"
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Members => "members",
            Kind::Orgs => "orgs",
            Kind::Enterprises => "enterprises",
        }
    }

    /// What the file is, as staff call it.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Members => "会员名册",
            Kind::Orgs => "组织架构",
            Kind::Enterprises => "企业名录",
        }
    }
}

/// A bad cell of a roster: where, and why.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, utoipa::ToSchema)]
pub struct RowError {
    pub sheet: String,
    pub row: u32,
    pub column: String,
    pub reason: String,
}

/// An import job: running, or how it ended.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Outcome {
    pub id: i64,
    /// members, orgs or enterprises.
    pub kind: String,
    /// running, done, checked, rejected or failed.
    pub state: String,
    pub mode: String,
    pub rows_total: i64,
    pub rows_done: i64,
    pub rows_failed: i64,
    pub rows_created: i64,
    pub rows_updated: i64,
    pub message: String,
    /// The first 1,000 errors (every bad row is in the report workbook).
    pub errors: Vec<RowError>,
    #[serde(skip)]
    #[schema(ignore)]
    pub report: Option<Vec<u8>>,
}
