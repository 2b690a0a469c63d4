//! The union tree: organisations with a code, a kind and a parent.

pub mod api;
pub mod pages;
pub mod rules;
pub mod store;
