//! The dashboard (数据看板): any organisation's subtree in figures — members,
//! the skill mix, organisations, and whatever each program contributes
//! through its `figures` in the list of programs — with a row per child
//! organisation, every figure a link to the list it counts. The staff's
//! landing page; a full-screen mode for the hall screen.

pub mod api;
pub mod console;
pub mod model;
pub mod ops;
pub mod report;
pub mod rules;
pub mod store;

use crate::program::{NavItem, Program, Show};

pub const PROGRAM: Program = Program {
    records: &[],
    name: "dashboard",
    point_events: &[],
    figures: &[],
    home_cards: &[],
    api: api::router,
    pages: console::router,
    console_nav: &[NavItem {
        key: "dashboard",
        label: "数据看板",
        href: "/dashboard",
        order: 5,
        show: Show::Staff,
    }],
    phone_nav: &[],
    audit_labels: &[
        ("dashboard.target.set", "设定看板目标"),
        ("dashboard.target.delete", "删除看板目标"),
    ],
    jobs: &[],
    demo: &[],
};
