//! The union tree: organisations with a code, a kind and a parent.

pub mod api;
pub mod console;
pub mod ops;
pub mod rules;
pub mod store;
pub mod subtree;

use crate::program::{DemoStep, NavItem, Program, Show};

/// The union tree, and the demo's foundation: the tree, its enterprises,
/// members and demo accounts (every other program's demo stands on it).
pub const PROGRAM: Program = Program {
    records: &[],
    name: "org",
    point_events: &[],
    figures: &[crate::program::FigureSource {
        order: 20,
        group: "组织",
        compute: |s, t, p| Box::pin(ops::figures(s, t, p)),
        trends: None,
    }],
    home_cards: &[],
    api: api::router,
    pages: console::router,
    console_nav: &[NavItem {
        key: "orgs",
        label: "组织架构",
        href: "/orgs",
        order: 10,
        show: Show::Staff,
    }],
    phone_nav: &[],
    audit_labels: &[
        ("org.create", "新建组织"),
        ("org.update", "修改组织"),
        ("seed.synthetic", "生成测试数据"),
    ],
    jobs: &[],
    demo: &[DemoStep {
        fixture: true,
        run: |d| Box::pin(crate::seed::demo::load(&d.db, &d.keys)),
    }],
};
