//! The per-client message rate of the MX listener (`smtp.max_messages_per_ip_per_minute`): a token
//! bucket per client address, shared by the sessions of one handler. Each MAIL command takes a
//! token; a bucket holds at most `rate` tokens and refills at `rate` per minute, so a client may
//! send a burst of `rate` messages, then `rate` per minute.
//!
//! Invariants:
//! - IPv4 addresses count as themselves (IPv4-mapped IPv6 too), IPv6 addresses by their /64.
//! - Memory is bounded: at most [`MAX_BUCKETS`] buckets. When the table is full, buckets that have
//!   refilled (indistinguishable from an absent one) are dropped first; if it is still full it is
//!   cleared, failing open under an attack from very many sources rather than refusing everybody.
//! - A rate of 0 means no limit and touches no state.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;
use std::time::Instant;

/// Most buckets kept.
pub const MAX_BUCKETS: usize = 65_536;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    /// Tokens held at `now` (refilled since `last`, capped at `cap`).
    fn level(&self, now: Instant, cap: f64) -> f64 {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        (self.tokens + elapsed * cap / 60.0).min(cap)
    }
}

/// Message rate limiter, per client address.
#[derive(Debug, Default)]
pub struct MessageRate {
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

/// The address a client is counted under.
fn key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        v4 => v4,
    }
}

impl MessageRate {
    pub fn new() -> Self {
        MessageRate::default()
    }

    /// Takes one message from `ip`'s allowance of `per_minute` at `now`; false when none is left.
    pub fn try_take(&self, ip: IpAddr, per_minute: u32, now: Instant) -> bool {
        if per_minute == 0 {
            return true;
        }
        let cap = f64::from(per_minute);
        let key = key(ip);
        let mut map = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if !map.contains_key(&key) && map.len() >= MAX_BUCKETS {
            map.retain(|_, b| b.level(now, cap) < cap);
            if map.len() >= MAX_BUCKETS {
                map.clear();
            }
        }
        let b = map.entry(key).or_insert(Bucket {
            tokens: cap,
            last: now,
        });
        let level = b.level(now, cap);
        let ok = level >= 1.0;
        *b = Bucket {
            tokens: if ok { level - 1.0 } else { level },
            last: now,
        };
        ok
    }

    /// Buckets held (for tests).
    pub fn len(&self) -> usize {
        self.buckets.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn burst_then_refill() {
        let r = MessageRate::new();
        let t0 = Instant::now();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..3 {
            assert!(r.try_take(ip, 3, t0));
        }
        assert!(!r.try_take(ip, 3, t0));
        // Another client has its own bucket.
        assert!(r.try_take("192.0.2.2".parse().unwrap(), 3, t0));
        // One token per 20 s at 3 per minute.
        assert!(!r.try_take(ip, 3, t0 + Duration::from_secs(19)));
        assert!(r.try_take(ip, 3, t0 + Duration::from_secs(21)));
        assert!(!r.try_take(ip, 3, t0 + Duration::from_secs(22)));
        assert!(r.try_take(ip, 3, t0 + Duration::from_secs(41)));
        // Never more than the rate, however long the pause.
        let later = t0 + Duration::from_secs(3600);
        for _ in 0..3 {
            assert!(r.try_take(ip, 3, later));
        }
        assert!(!r.try_take(ip, 3, later));
        // 0: no limit, no state.
        let r = MessageRate::new();
        for _ in 0..1000 {
            assert!(r.try_take(ip, 0, t0));
        }
        assert!(r.is_empty());
    }

    #[test]
    fn ipv6_by_prefix_and_mapped_ipv4() {
        let r = MessageRate::new();
        let t0 = Instant::now();
        assert!(r.try_take("2001:db8:1:2::1".parse().unwrap(), 1, t0));
        assert!(!r.try_take("2001:db8:1:2:ffff::9".parse().unwrap(), 1, t0));
        assert!(r.try_take("2001:db8:1:3::1".parse().unwrap(), 1, t0));
        assert!(r.try_take("10.0.0.1".parse().unwrap(), 1, t0));
        assert!(!r.try_take("::ffff:10.0.0.1".parse().unwrap(), 1, t0));
    }

    #[test]
    fn bounded() {
        let r = MessageRate::new();
        let t0 = Instant::now();
        for i in 0..MAX_BUCKETS as u32 {
            assert!(r.try_take(IpAddr::from(i.to_be_bytes()), 60, t0));
        }
        assert_eq!(r.len(), MAX_BUCKETS);
        // Nothing has refilled yet: the table is cleared rather than grown.
        assert!(r.try_take("198.51.100.1".parse().unwrap(), 60, t0));
        assert_eq!(r.len(), 1);
        // Refilled buckets are dropped first: after 30 s every bucket that gave one token is full
        // again; the one that gave all 60 is not, and is kept.
        for i in 0..MAX_BUCKETS as u32 - 1 {
            r.try_take(IpAddr::from(i.to_be_bytes()), 60, t0);
        }
        let limited: IpAddr = "198.51.100.1".parse().unwrap();
        for _ in 0..59 {
            assert!(r.try_take(limited, 60, t0));
        }
        assert!(!r.try_take(limited, 60, t0));
        assert_eq!(r.len(), MAX_BUCKETS);
        let t30 = t0 + Duration::from_secs(30);
        assert!(r.try_take("198.51.100.2".parse().unwrap(), 60, t30));
        assert_eq!(r.len(), 2);
    }
}
