//! The points ledger (an engine shared by the programs that pay or spend
//! points): its rules and its SQL.

pub mod rules;
pub mod store;
