//! Rosters at scale: importing Excel and CSV rosters as jobs, exporting a
//! subtree's roster, and the blank template.

pub mod api;
pub mod columns;
pub mod console;
pub mod export;
pub mod import;
pub mod isolate;
pub mod ops;
pub mod outcome;
pub mod read;
pub mod registers;
pub mod rules;
pub mod running;
pub mod store;

pub use running::{Progress, Running};

use crate::program::Program;

/// Roster imports and exports (their pages sit beside the member list).
pub const PROGRAM: Program = Program {
    records: &[],
    name: "roster",
    point_events: &[],
    figures: &[],
    home_cards: &[],
    api: api::router,
    pages: console::router,
    console_nav: &[],
    phone_nav: &[],
    audit_labels: &[
        ("member.export", "导出名册"),
        ("member.import", "导入名册"),
        ("org.import", "导入组织架构"),
        ("enterprise.import", "导入企业名录"),
    ],
    jobs: &[],
    demo: &[],
};
