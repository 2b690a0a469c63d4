//! The roster (会员实名制): one person, one member, found by the ID number.

pub mod api;
pub mod console;
pub mod figures;
pub mod lookups;
pub mod months;
pub mod ops;
pub mod record;
pub mod rules;
pub mod store;

use crate::program::{FigureSource, Job, NavItem, Program, Show};

pub const PROGRAM: Program = Program {
    records: &[crate::program::RecordSource {
        read: |s, m| Box::pin(record::roster_part(s, m)),
    }],
    name: "member",
    point_events: &[],
    figures: &[FigureSource {
        order: 10,
        group: "会员",
        compute: |s, t, p| Box::pin(figures::compute(s, t, p)),
        trends: Some(|s, t, m| Box::pin(figures::trends(s, t, m))),
    }],
    home_cards: &[crate::program::HomeCard {
        order: 90,
        render: |s, m| Box::pin(record::home_card(s, m)),
    }],
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
    jobs: &[Job {
        // This month's figures of every union, for the dashboard's trends
        // (and, once, the months before from join dates).
        name: "member months",
        every: std::time::Duration::from_secs(3600),
        run: |db| {
            Box::pin(async move {
                let month = crate::db::format_ms(crate::db::now_ms())
                    .get(..7)
                    .unwrap_or("1970-01")
                    .to_string();
                let back = months::backfill(&db, &month)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                let n = months::snapshot(&db, &month)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                Ok((back > 0).then(|| format!("{back} union-months back-filled from join dates, {n} unions' figures kept for {month}")))
            })
        },
    }],
    demo: &[],
};
