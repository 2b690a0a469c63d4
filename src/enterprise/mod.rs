//! Enterprises: credit code, name, industry, and the union organisation that covers them.

pub mod api;
pub mod pages;
pub mod rules;
pub mod store;
