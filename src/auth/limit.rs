//! Login throttling that an attacker elsewhere cannot turn against the right
//! user. Failures are counted per (username, address) pair: after a few, each
//! further try from that pair waits twice as long as the last (up to fifteen
//! minutes), while the same user signing in from their own desk is not held up.
//! An address is stopped only when it fails for many *different* usernames (a
//! spray), so an office behind one NAT address is not locked out by one
//! colleague's forgotten password.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct LoginLimiter {
    window: Duration,
    /// Failures of a pair before the delays begin.
    free_tries: usize,
    max_delay: Duration,
    /// Different usernames failing from one address within the window.
    usernames_per_address: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    pairs: HashMap<(String, String), Vec<Instant>>,
    /// Address → username → its last failure there.
    addresses: HashMap<String, HashMap<String, Instant>>,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        LoginLimiter::new(Duration::from_secs(15 * 60), 3, 30)
    }
}

fn norm(username: &str) -> String {
    username.trim().to_lowercase()
}

impl LoginLimiter {
    pub fn new(window: Duration, free_tries: usize, usernames_per_address: usize) -> LoginLimiter {
        LoginLimiter {
            window,
            free_tries,
            max_delay: window,
            usernames_per_address,
            state: Mutex::new(State::default()),
        }
    }

    /// The delay after `failures` failures of one pair.
    fn delay(&self, failures: usize) -> Duration {
        if failures < self.free_tries {
            return Duration::ZERO;
        }
        let doublings = (failures - self.free_tries).min(20) as u32;
        Duration::from_secs(1u64 << doublings).min(self.max_delay)
    }

    /// Seconds to wait before this pair may try again, if it must wait.
    pub fn check(&self, username: &str, addr: &str) -> Option<u64> {
        let now = Instant::now();
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let mut wait = Duration::ZERO;
        let key = (norm(username), addr.to_string());
        if let Some(list) = st.pairs.get_mut(&key) {
            list.retain(|t| now.duration_since(*t) < self.window);
            if let Some(last) = list.last() {
                let until = *last + self.delay(list.len());
                wait = wait.max(until.saturating_duration_since(now));
            }
        }
        if let Some(names) = st.addresses.get_mut(addr) {
            names.retain(|_, t| now.duration_since(*t) < self.window);
            if names.len() >= self.usernames_per_address {
                let oldest = names.values().min().copied().unwrap_or(now);
                wait = wait.max((oldest + self.window).saturating_duration_since(now));
            }
        }
        (!wait.is_zero()).then(|| wait.as_secs().max(1))
    }

    pub fn record_failure(&self, username: &str, addr: &str) {
        let now = Instant::now();
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if st.pairs.len() > 100_000 || st.addresses.len() > 100_000 {
            // Bounded memory under a spray: forget what has left the window.
            let window = self.window;
            st.pairs
                .retain(|_, v| v.last().is_some_and(|t| now.duration_since(*t) < window));
            st.addresses.retain(|_, m| {
                m.retain(|_, t| now.duration_since(*t) < window);
                !m.is_empty()
            });
        }
        let user = norm(username);
        st.pairs
            .entry((user.clone(), addr.to_string()))
            .or_default()
            .push(now);
        st.addresses
            .entry(addr.to_string())
            .or_default()
            .insert(user, now);
    }

    /// A success clears that pair, and the user's failures at that address.
    pub fn record_success(&self, username: &str, addr: &str) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let user = norm(username);
        st.pairs.remove(&(user.clone(), addr.to_string()));
        if let Some(names) = st.addresses.get_mut(addr) {
            names.remove(&user);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_elsewhere_do_not_hold_up_the_right_user() {
        let l = LoginLimiter::new(Duration::from_secs(600), 3, 5);
        for _ in 0..5 {
            l.record_failure("admin", "6.6.6.6");
        }
        assert!(l.check("admin", "6.6.6.6").is_some(), "the attacker waits");
        assert!(
            l.check("admin", "10.0.0.1").is_none(),
            "the admin at their desk does not"
        );
        assert!(
            l.check("someone", "6.6.6.6").is_none(),
            "one username is not a spray"
        );
    }

    #[test]
    fn delays_grow_for_one_pair() {
        let l = LoginLimiter::new(Duration::from_secs(3600), 3, 50);
        assert_eq!(l.delay(2), Duration::ZERO);
        assert_eq!(l.delay(3), Duration::from_secs(1));
        assert_eq!(l.delay(4), Duration::from_secs(2));
        assert_eq!(l.delay(8), Duration::from_secs(32));
        assert_eq!(
            l.delay(40),
            Duration::from_secs(3600),
            "capped at the window"
        );
        for _ in 0..6 {
            l.record_failure("a", "1.1.1.1");
        }
        let wait = l.check("a", "1.1.1.1").unwrap();
        assert!((7..=8).contains(&wait), "{wait}");
    }

    #[test]
    fn an_address_spraying_usernames_is_stopped_one_forgetful_colleague_is_not() {
        let l = LoginLimiter::new(Duration::from_secs(600), 3, 5);
        for _ in 0..20 {
            l.record_failure("forgetful", "10.1.1.1");
        }
        assert!(
            l.check("colleague", "10.1.1.1").is_none(),
            "the office goes on"
        );
        for u in ["a", "b", "c", "d", "e"] {
            l.record_failure(u, "6.6.6.6");
        }
        assert!(
            l.check("f", "6.6.6.6").is_some(),
            "five usernames from one address"
        );
        l.record_success("forgetful", "10.1.1.1");
        assert!(l.check("forgetful", "10.1.1.1").is_none());
    }
}
