//! The audit log: append-only (triggers refuse UPDATE and DELETE) and chained
//! by a keyed MAC (HMAC-SHA256 with a key from the key file, never stored in
//! the database), so an entry edited, removed or forged behind the
//! application's back shows up in `gongjiang audit verify` — even for someone
//! holding the database file. Deleting the last entries and fixing the head is
//! caught by checkpoints: a MAC'd line with the entry count and head, written
//! outside the database (see `store::checkpoint`). Every write and every
//! reveal of personal data appends an entry inside the same transaction as the
//! change itself.
//!
//! Databases from before the keyed chain keep their first entries as plain
//! SHA-256 links, verified once on upgrade; the first keyed entry links to the
//! last of them, so rewriting the old part breaks the keyed part.

pub mod api;
pub mod chain;
pub mod console;
pub mod ops;
pub mod readable;
pub mod store;

pub use chain::{entry_hash, entry_mac, Break, ChainCheck, Checkpoint, Entry, GENESIS};
pub use store::{append, append_all, append_now, Actor, Event};

use crate::program::{Job, NavItem, Program, Show};

pub const PROGRAM: Program = Program {
    records: &[],
    name: "audit",
    point_events: &[],
    figures: &[],
    home_cards: &[],
    api: api::router,
    pages: console::router,
    console_nav: &[NavItem {
        key: "audit",
        label: "审计日志",
        href: "/audit",
        order: 90,
        show: Show::Holding(crate::auth::Right::Audit),
    }],
    phone_nav: &[],
    audit_labels: &[],
    jobs: &[Job {
        // Deleting entries older than the last checkpoint then shows.
        name: "audit checkpoint",
        every: std::time::Duration::from_secs(300),
        run: |db| {
            Box::pin(async move {
                store::checkpoint(&db).await?;
                Ok(None)
            })
        },
    }],
    demo: &[],
};
