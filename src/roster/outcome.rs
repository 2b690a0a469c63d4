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
            other => Err(format!("导入方式“{other}”无效，可选 check（只检查）、all（全部或全不，默认）、valid（只导入正确的行）")),
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
