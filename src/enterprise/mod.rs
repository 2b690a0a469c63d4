//! Enterprises: credit code, name, industry, and the union organisation that covers them.

pub mod api;
pub mod console;
pub mod ops;
pub mod rules;
pub mod store;

use crate::program::{NavItem, Program, Show};

pub const PROGRAM: Program = Program {
    records: &[],
    name: "enterprise",
    point_events: &[],
    figures: &[crate::program::FigureSource {
        order: 21,
        group: "组织",
        compute: |s, t, p| Box::pin(ops::figures(s, t, p)),
        trends: None,
    }],
    home_cards: &[],
    api: api::router,
    pages: console::router,
    console_nav: &[NavItem {
        key: "enterprises",
        label: "企业",
        href: "/enterprises",
        order: 20,
        show: Show::Staff,
    }],
    phone_nav: &[],
    audit_labels: &[
        ("enterprise.create", "登记企业"),
        ("enterprise.update", "修改企业"),
    ],
    jobs: &[],
    demo: &[],
};
