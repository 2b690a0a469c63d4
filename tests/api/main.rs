//! One integration-test binary (linking is the slow part on 2 cores), a module per area.

mod academy;
mod academy_desk;
mod activation;
mod audit;
mod auth;
mod browser;
mod cadre;
mod cli;
mod hostile_files;
mod imports;
mod layers;
mod members;
mod orgs;
mod pages;
mod pii_at_rest;
mod points;
mod reach;
mod registers;
mod replays;
mod roster_pages;
mod scope;
mod scope_programs;
mod search;
mod security;
mod support;
mod unmask;
