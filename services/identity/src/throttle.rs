//! Sign-in throttling: after too many failures in a window, an account (or a client address)
//! must wait. Counters live in the process; with several identity replicas each keeps its own,
//! which bounds an attacker to `limit × replicas` guesses per window.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Keys above this count trigger a sweep of expired ones, so memory stays bounded.
const SWEEP_ABOVE: usize = 10_000;

pub struct Throttle {
    limit: usize,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Throttle {
    pub fn new(limit: usize, window: Duration) -> Self {
        Self {
            limit,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(wait)` while `key` has used up its failures in the window.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        self.check_at(key, Instant::now())
    }

    pub fn record_failure(&self, key: &str) {
        self.record_at(key, Instant::now());
    }

    /// A success forgets earlier failures of this key.
    pub fn reset(&self, key: &str) {
        self.lock().remove(key);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, VecDeque<Instant>>> {
        // A panic while holding the lock cannot leave the counters inconsistent in a way that
        // matters more than refusing every sign-in would.
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn check_at(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let mut failures = self.lock();
        let Some(times) = failures.get_mut(key) else {
            return Ok(());
        };
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            times.pop_front();
        }
        if times.len() < self.limit {
            return Ok(());
        }
        let oldest = *times.front().expect("at least `limit` failures");
        Err(self.window.saturating_sub(now.duration_since(oldest)))
    }

    fn record_at(&self, key: &str, now: Instant) {
        let mut failures = self.lock();
        if failures.len() > SWEEP_ABOVE {
            let window = self.window;
            failures.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < window)
            });
        }
        let times = failures.entry(key.to_owned()).or_default();
        times.push_back(now);
        while times.len() > self.limit {
            times.pop_front();
        }
    }
}

/// Whole minutes to tell a person, rounded up.
pub fn minutes(wait: Duration) -> u64 {
    wait.as_secs().div_ceil(60).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_waits_after_its_limit_until_the_window_passes() {
        let throttle = Throttle::new(3, Duration::from_mins(15));
        let start = Instant::now();
        for i in 0..3 {
            assert!(throttle.check_at("a", start).is_ok());
            throttle.record_at("a", start + Duration::from_secs(i));
        }
        let wait = throttle
            .check_at("a", start + Duration::from_mins(1))
            .unwrap_err();
        assert_eq!(wait, Duration::from_mins(14));
        assert_eq!(minutes(wait), 14);
        assert!(
            throttle.check_at("b", start).is_ok(),
            "other keys are not affected"
        );
        assert!(
            throttle
                .check_at("a", start + Duration::from_secs(901))
                .is_ok()
        );
        throttle.reset("a");
        assert!(throttle.check_at("a", start).is_ok());
    }
}
