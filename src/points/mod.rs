//! Points (积分): an append-only ledger with idempotent entries and a balance
//! that never goes below zero, and a redemption catalogue (积分兑换) whose
//! stock is never oversold however many members press the button at once.

pub mod api;
pub mod console;
pub mod demo;
pub mod figures;
pub mod lists;
pub mod ops;
pub mod phone;
pub mod rules;
pub mod store;

use crate::program::{DemoStep, HomeCard, Job, NavItem, Program, Show};

pub const PROGRAM: Program = Program {
    records: &[crate::program::RecordSource {
        read: |s, m| Box::pin(figures::record(s, m)),
    }],
    name: "points",
    point_events: &[],
    figures: &[crate::program::FigureSource {
        order: 40,
        group: "积分",
        compute: |s, t, p| Box::pin(figures::compute(s, t, p)),
        trends: Some(|s, t, m| Box::pin(figures::trends(s, t, m))),
    }],
    home_cards: &[HomeCard {
        order: 10,
        render: |s, m| Box::pin(phone::home_card(s, m)),
    }],
    api: api::router,
    pages: || {
        phone::router()
            .merge(console::router())
            .merge(lists::router())
    },
    console_nav: &[NavItem {
        key: "points",
        label: "积分",
        href: "/points",
        order: 40,
        show: Show::Staff,
    }],
    phone_nav: &[
        NavItem {
            key: "home",
            label: "首页",
            href: "/m",
            order: 0,
            show: Show::Member,
        },
        NavItem {
            key: "points",
            label: "积分",
            href: "/m/points",
            order: 30,
            show: Show::Member,
        },
        NavItem {
            key: "catalog",
            label: "兑换",
            href: "/m/catalog",
            order: 40,
            show: Show::Member,
        },
        NavItem {
            key: "orders",
            label: "订单",
            href: "/m/orders",
            order: 50,
            show: Show::Member,
        },
    ],
    audit_labels: &[
        ("points.entry", "积分记账"),
        ("points.expire", "积分到期"),
        ("points.rule", "积分规则"),
        ("catalog.create", "新增兑换物品"),
        ("catalog.update", "修改兑换物品"),
        ("catalog.redeem", "积分兑换"),
        ("catalog.fulfil", "兑换发放"),
    ],
    jobs: &[Job {
        // Points whose validity ran out leave the balances.
        name: "points expiry",
        every: std::time::Duration::from_secs(3600),
        run: |db| {
            Box::pin(async move {
                let actor = crate::audit::Actor::system("system:points-expiry");
                let n = store::expire_due(&db, &actor, crate::db::now_ms())
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                Ok((n > 0).then(|| format!("{n} points expired")))
            })
        },
    }],
    demo: &[DemoStep {
        fixture: false,
        run: |d| Box::pin(demo::load(&d.db)),
    }],
};
