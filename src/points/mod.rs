//! Points (积分): an append-only ledger with idempotent entries and a balance
//! that never goes below zero, and a redemption catalogue (积分兑换) whose
//! stock is never oversold however many members press the button at once.

pub mod api;
pub mod pages;
pub mod rules;
pub mod staff;
pub mod store;
