//! SQL of the points program: the catalogue and its orders, and earning rules.
//! The ledger itself is an engine of its own (`crate::ledger`).

pub mod catalog;
pub mod earning;
pub mod figures;

pub use crate::ledger::store::{
    balance, entries, expire_due, expiring, leaderboard, Entry, NewEntry, Standing,
};
pub use catalog::*;
pub use earning::*;
