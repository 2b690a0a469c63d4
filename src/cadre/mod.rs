//! Cadre points (工会干部积分制): union cadres keep an account of their own,
//! apart from the members' points. A union's admin sets rule items (组织培训一次
//! +5, 按时报送 +2, 未按时 −2) that reach the cadres of its whole subtree; staff
//! record entries with evidence; each organisation ranks its cadres by year.

pub mod api;
pub mod console;
pub mod demo;
pub mod ops;
pub mod rules;
pub mod store;

use crate::program::{DemoStep, NavItem, Program, Show};

pub const PROGRAM: Program = Program {
    records: &[],
    name: "cadre",
    point_events: &[],
    figures: &[crate::program::FigureSource {
        order: 50,
        group: "工会干部",
        compute: |s, t, p| Box::pin(ops::figures(s, t, p)),
        trends: None,
    }],
    home_cards: &[],
    api: api::router,
    pages: console::router,
    console_nav: &[NavItem {
        key: "cadres",
        label: "干部积分",
        href: "/cadres",
        order: 50,
        show: Show::Staff,
    }],
    phone_nav: &[],
    audit_labels: &[
        ("cadre.create", "登记干部"),
        ("cadre.update", "修改干部"),
        ("cadre.item.create", "新增干部积分项"),
        ("cadre.item.update", "修改干部积分项"),
        ("cadre.entry", "干部积分记录"),
        ("cadre.reverse", "冲销干部积分"),
    ],
    jobs: &[],
    demo: &[DemoStep {
        fixture: true,
        run: |d| Box::pin(demo::load(&d.db)),
    }],
};
