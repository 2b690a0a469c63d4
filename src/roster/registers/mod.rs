//! Importing the union tree and the enterprise register from Excel, beside
//! the roster import: the same files, header search, modes, job, progress
//! and report of bad rows. A register is thousands of rows, not millions, and
//! a union may name a parent further down its file, so a file is read whole
//! (up to `job::MAX_ROWS` rows) before anything is placed.

pub mod job;
pub mod rules;
pub mod template;
