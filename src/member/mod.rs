//! The roster (会员实名制): one person, one member, found by the ID number.

pub mod api;
pub mod lookups;
pub mod pages;
pub mod rules;
pub mod store;
