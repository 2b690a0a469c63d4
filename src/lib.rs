#![recursion_limit = "512"]
//! 工匠 Gongjiang: one binary for a town union's laptop (SQLite) and a
//! province's servers (PostgreSQL). The binary is `src/main.rs`; everything
//! lives here so the integration tests and benchmarks can start the real app.

pub mod academy;
pub mod app;
pub mod audit;
pub mod auth;
pub mod cadre;
pub mod cli;
pub mod config;
pub mod dashboard;
pub mod db;
pub mod enrolment;
pub mod enterprise;
pub mod fields;
pub mod files;
pub mod ledger;
pub mod member;
pub mod openapi;
pub mod org;
pub mod pii;
pub mod points;
pub mod program;
pub mod programs;
pub mod roster;
pub mod scoring;
pub mod seed;
pub mod state;
pub mod web;
