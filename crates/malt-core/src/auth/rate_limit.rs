//! Authentication failure limits, per remote address and per account, over a fixed window.
//!
//! Invariants:
//! - Over the limit, a login is refused as a temporary failure *before* any password is checked
//!   (so a limited attacker learns nothing and costs no argon2 work).
//! - IPv6 addresses count per /64 (one host usually owns a whole /64).
//! - Memory is bounded: at most [`MAX_ENTRIES`] counters; expired ones are dropped first, and if
//!   the table is still full it is cleared (failing open under an attack from very many sources
//!   rather than refusing everybody).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most counters kept.
pub const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Ip(IpAddr),
    Account(String),
}

#[derive(Debug, Clone, Copy)]
struct Counter {
    window_start: Instant,
    failures: u32,
}

/// Counts authentication failures.
#[derive(Debug)]
pub struct RateLimiter {
    max_per_ip: u32,
    max_per_account: u32,
    window: Duration,
    counters: Mutex<HashMap<Key, Counter>>,
}

/// The address a failure is counted under: IPv4 as is, IPv6 by its /64.
fn ip_key(ip: IpAddr) -> Key {
    match ip {
        IpAddr::V4(_) => Key::Ip(ip),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => Key::Ip(IpAddr::V4(v4)),
            None => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                Key::Ip(IpAddr::V6(bits.into()))
            }
        },
    }
}

impl RateLimiter {
    /// A limit of 0 disables that limit.
    pub fn new(max_per_ip: u32, max_per_account: u32, window: Duration) -> Self {
        RateLimiter {
            max_per_ip,
            max_per_account,
            window,
            counters: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Counter>> {
        self.counters.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn over(&self, map: &HashMap<Key, Counter>, key: &Key, max: u32, now: Instant) -> bool {
        max > 0
            && map.get(key).is_some_and(|c| {
                now.saturating_duration_since(c.window_start) < self.window && c.failures >= max
            })
    }

    /// Whether a login from `ip` for `account` (lower-case) must be refused now.
    pub fn is_limited(&self, ip: IpAddr, account: &str) -> bool {
        let now = Instant::now();
        let map = self.lock();
        self.over(&map, &ip_key(ip), self.max_per_ip, now)
            || self.over(&map, &Key::Account(account.to_owned()), self.max_per_account, now)
    }

    /// Counts one failed login.
    pub fn record_failure(&self, ip: IpAddr, account: &str) {
        let now = Instant::now();
        let mut map = self.lock();
        if map.len() >= MAX_ENTRIES {
            let window = self.window;
            map.retain(|_, c| now.saturating_duration_since(c.window_start) < window);
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
        }
        for key in [ip_key(ip), Key::Account(account.to_owned())] {
            let c = map.entry(key).or_insert(Counter {
                window_start: now,
                failures: 0,
            });
            if now.saturating_duration_since(c.window_start) >= self.window {
                *c = Counter {
                    window_start: now,
                    failures: 0,
                };
            }
            c.failures = c.failures.saturating_add(1);
        }
    }

    /// A successful login clears the account's counter (not the address's).
    pub fn record_success(&self, account: &str) {
        self.lock().remove(&Key::Account(account.to_owned()));
    }

    /// Number of counters held (for tests and metrics).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn per_ip_limit() {
        let rl = RateLimiter::new(3, 100, Duration::from_secs(60));
        for i in 0..3 {
            assert!(!rl.is_limited(ip("192.0.2.1"), "a@x"));
            rl.record_failure(ip("192.0.2.1"), &format!("user{i}@x"));
        }
        assert!(rl.is_limited(ip("192.0.2.1"), "other@x"));
        assert!(!rl.is_limited(ip("192.0.2.2"), "other@x"));
    }

    #[test]
    fn per_account_limit_across_addresses() {
        let rl = RateLimiter::new(100, 2, Duration::from_secs(60));
        rl.record_failure(ip("192.0.2.1"), "a@x");
        rl.record_failure(ip("192.0.2.2"), "a@x");
        assert!(rl.is_limited(ip("192.0.2.3"), "a@x"));
        assert!(!rl.is_limited(ip("192.0.2.3"), "b@x"));
        rl.record_success("a@x");
        assert!(!rl.is_limited(ip("192.0.2.3"), "a@x"));
    }

    #[test]
    fn ipv6_counts_per_64() {
        let rl = RateLimiter::new(2, 100, Duration::from_secs(60));
        rl.record_failure(ip("2001:db8::1"), "a@x");
        rl.record_failure(ip("2001:db8::2"), "b@x");
        assert!(rl.is_limited(ip("2001:db8::ffff"), "c@x"));
        assert!(!rl.is_limited(ip("2001:db8:0:1::1"), "c@x"));
    }

    #[test]
    fn window_expires() {
        let rl = RateLimiter::new(1, 1, Duration::from_millis(30));
        rl.record_failure(ip("192.0.2.1"), "a@x");
        assert!(rl.is_limited(ip("192.0.2.1"), "a@x"));
        std::thread::sleep(Duration::from_millis(40));
        assert!(!rl.is_limited(ip("192.0.2.1"), "a@x"));
    }

    #[test]
    fn zero_disables() {
        let rl = RateLimiter::new(0, 0, Duration::from_secs(60));
        for _ in 0..10 {
            rl.record_failure(ip("192.0.2.1"), "a@x");
        }
        assert!(!rl.is_limited(ip("192.0.2.1"), "a@x"));
    }
}
