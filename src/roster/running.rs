//! Imports running in this process: their live counters and the slots that
//! bound how many run at once. Held by the application state.

use std::collections::HashMap;
use std::sync::atomic::AtomicI64;
use std::sync::{Arc, Mutex};

/// Live counters, read by the progress bar and `GET /api/v1/imports/{id}`.
#[derive(Debug, Default)]
pub struct Progress {
    pub rows_total: AtomicI64,
    pub rows_done: AtomicI64,
    pub rows_failed: AtomicI64,
}

/// Imports running in this process, by job id, for live progress; and the
/// slots that bound how many run at once (the others wait their turn).
pub struct Running {
    jobs: Mutex<HashMap<i64, Arc<Progress>>>,
    pub slots: Arc<tokio::sync::Semaphore>,
}

impl Default for Running {
    fn default() -> Self {
        // `GONGJIANG_IMPORTS_AT_ONCE` (default 2): each holds a parser child and a writer.
        let at_once = std::env::var("GONGJIANG_IMPORTS_AT_ONCE")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|n| (1..=64).contains(n))
            .unwrap_or(2);
        Running {
            jobs: Mutex::default(),
            slots: Arc::new(tokio::sync::Semaphore::new(at_once)),
        }
    }
}

impl Running {
    pub fn insert(&self, id: i64, p: Arc<Progress>) {
        self.jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, p);
    }

    pub fn get(&self, id: i64) -> Option<Arc<Progress>> {
        self.jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
            .cloned()
    }

    pub fn remove(&self, id: i64) {
        self.jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
    }
}
