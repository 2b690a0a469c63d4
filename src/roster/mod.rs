//! Rosters at scale: importing Excel and CSV rosters as jobs, exporting a
//! subtree's roster, and the blank template.

pub mod api;
pub mod columns;
pub mod export;
pub mod import;
pub mod pages;
pub mod read;
pub mod rules;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Imports running in this process, by job id, for live progress.
#[derive(Default)]
pub struct Running(Mutex<HashMap<i64, Arc<import::Progress>>>);

impl Running {
    pub fn insert(&self, id: i64, p: Arc<import::Progress>) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, p);
    }

    pub fn get(&self, id: i64) -> Option<Arc<import::Progress>> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
            .cloned()
    }

    pub fn remove(&self, id: i64) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
    }
}
