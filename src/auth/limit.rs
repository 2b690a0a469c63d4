//! Login rate limiting per username and per client address: failures inside a
//! window are counted, and past the limit a login is refused until the oldest
//! failure leaves the window.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct LoginLimiter {
    window: Duration,
    per_username: usize,
    per_address: usize,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        LoginLimiter::new(Duration::from_secs(15 * 60), 5, 20)
    }
}

impl LoginLimiter {
    pub fn new(window: Duration, per_username: usize, per_address: usize) -> LoginLimiter {
        LoginLimiter {
            window,
            per_username,
            per_address,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(username: &str, addr: &str) -> [(String, bool); 2] {
        [
            (format!("u:{}", username.trim().to_lowercase()), true),
            (format!("a:{addr}"), false),
        ]
    }

    /// Seconds to wait, when either key is over its limit.
    pub fn check(&self, username: &str, addr: &str) -> Option<u64> {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let mut wait = None;
        for (key, is_user) in Self::keys(username, addr) {
            let limit = if is_user {
                self.per_username
            } else {
                self.per_address
            };
            if let Some(list) = map.get_mut(&key) {
                list.retain(|t| now.duration_since(*t) < self.window);
                if list.len() >= limit {
                    let oldest = list[0];
                    let secs = (self.window - now.duration_since(oldest)).as_secs().max(1);
                    wait = Some(wait.map_or(secs, |w: u64| w.max(secs)));
                }
            }
        }
        wait
    }

    pub fn record_failure(&self, username: &str, addr: &str) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 100_000 {
            // Bounded memory under a spray of usernames: forget expired entries.
            map.retain(|_, v| {
                v.last()
                    .is_some_and(|t| now.duration_since(*t) < self.window)
            });
        }
        for (key, _) in Self::keys(username, addr) {
            map.entry(key).or_default().push(now);
        }
    }

    pub fn record_success(&self, username: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&format!("u:{}", username.trim().to_lowercase()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn username_limit_then_address_limit() {
        let l = LoginLimiter::new(Duration::from_secs(60), 3, 5);
        for _ in 0..3 {
            assert!(l.check("a", "1.1.1.1").is_none());
            l.record_failure("a", "1.1.1.1");
        }
        assert!(l.check("a", "1.1.1.1").is_some(), "username over limit");
        assert!(
            l.check("a", "2.2.2.2").is_some(),
            "the username is limited from any address"
        );
        assert!(l.check("b", "1.1.1.1").is_none());
        l.record_failure("b", "1.1.1.1");
        l.record_failure("c", "1.1.1.1");
        assert!(l.check("d", "1.1.1.1").is_some(), "address over limit");
        l.record_success("a");
        assert!(l.check("a", "3.3.3.3").is_none());
    }
}
