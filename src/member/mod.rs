//! The roster (会员实名制): one person, one member, found by the ID number.

pub mod api;
pub mod console;
pub mod figures;
pub mod lookups;
pub mod ops;
pub mod rules;
pub mod store;

use crate::program::{FigureSource, NavItem, Program, Show};

pub const PROGRAM: Program = Program {
    name: "member",
    point_events: &[],
    figures: &[FigureSource {
        order: 10,
        group: "会员",
        compute: |s, t, p| Box::pin(figures::compute(s, t, p)),
    }],
    home_cards: &[],
    api: api::router,
    pages: console::router,
    console_nav: &[
        NavItem {
            key: "members",
            label: "会员",
            href: "/members",
            order: 60,
            show: Show::Staff,
        },
        NavItem {
            key: "members",
            label: "我的会员信息",
            href: "/members",
            order: 60,
            show: Show::Member,
        },
    ],
    phone_nav: &[],
    audit_labels: &[
        ("member.create", "登记会员"),
        ("member.update", "修改会员"),
        ("member.transfer", "会员转会"),
        ("member.reveal", "查看完整号码"),
        ("member.lookup", "按完整号码查找"),
        ("member.lookup_refused", "完整号码查找被暂停"),
    ],
    jobs: &[],
    demo: &[],
};
