//! The retry schedule: when a recipient that failed temporarily is tried again, when it is given
//! up, and when its sender is told about the delay. Pure functions of the policy and the clock.
//!
//! RFC 5321 §4.5.4.1 advises a retry interval of at least 30 minutes and giving up after 4-5 days;
//! like Postfix, the first retries here come after minutes and back off (the configured list, its
//! last value repeating), and a recipient is given up once the message is older than `max_age`.
//!
//! Invariants:
//! - the next attempt is never later than the give-up time, so the last attempt happens at it and
//!   a recipient is never kept past `max_age` by a long interval;
//! - a delay warning is due at most once per recipient (the caller records `delay_notified`).

use malt_config::QueueConfig;

/// The retry policy, from `[queue]` (all in seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    schedule: Vec<i64>,
    max_age: i64,
    delay_warning: Option<i64>,
}

/// What to do with a recipient after a temporary failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterTempFailure {
    /// Try again at this time (Unix seconds).
    RetryAt(i64),
    /// The message is too old: the recipient fails ("retry timeout", RFC 3463 `4.4.7`).
    GiveUp,
}

fn secs(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl RetryPolicy {
    /// `schedule` in seconds (an empty list means 300 s); `delay_warning` 0 disables warnings.
    pub fn new(schedule: &[u64], max_age: u64, delay_warning: u64) -> RetryPolicy {
        let mut schedule: Vec<i64> = schedule.iter().map(|&s| secs(s.max(1))).collect();
        if schedule.is_empty() {
            schedule.push(300);
        }
        RetryPolicy {
            schedule,
            max_age: secs(max_age),
            delay_warning: (delay_warning > 0).then(|| secs(delay_warning)),
        }
    }

    pub fn from_config(q: &QueueConfig) -> RetryPolicy {
        RetryPolicy::new(&q.retry_schedule_secs, q.max_age_secs, q.delay_warning_secs)
    }

    /// Seconds to wait after the `failed`-th failed attempt (1-based); the last interval repeats.
    pub fn interval(&self, failed: u32) -> i64 {
        let i = usize::try_from(failed.saturating_sub(1)).unwrap_or(usize::MAX);
        self.schedule
            .get(i)
            .or(self.schedule.last())
            .copied()
            .unwrap_or(300)
    }

    /// When a message queued at `created_at` is given up.
    pub fn expires_at(&self, created_at: i64) -> i64 {
        created_at.saturating_add(self.max_age)
    }

    /// After a temporary failure at `now` of a recipient that had `attempts` earlier attempts.
    pub fn after_temp_failure(&self, created_at: i64, attempts: u32, now: i64) -> AfterTempFailure {
        let expires = self.expires_at(created_at);
        if now >= expires {
            return AfterTempFailure::GiveUp;
        }
        let next = now.saturating_add(self.interval(attempts.saturating_add(1)));
        AfterTempFailure::RetryAt(next.min(expires))
    }

    /// Whether a delay warning is due at `now` for a message queued at `created_at` (the caller
    /// checks that none was sent yet, and NOTIFY).
    pub fn delay_warning_due(&self, created_at: i64, now: i64) -> bool {
        self.delay_warning
            .is_some_and(|d| now.saturating_sub(created_at) >= d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy::new(&[300, 900, 1800, 3600, 7200, 14400], 432_000, 14_400)
    }

    #[test]
    fn intervals_back_off_then_repeat_the_last() {
        let p = policy();
        let got: Vec<i64> = (1..=9).map(|n| p.interval(n)).collect();
        assert_eq!(got, vec![300, 900, 1800, 3600, 7200, 14400, 14400, 14400, 14400]);
        assert_eq!(p.interval(0), 300);
        assert_eq!(p.interval(u32::MAX), 14400);
    }

    #[test]
    fn retry_times_follow_the_schedule() {
        let p = policy();
        assert_eq!(
            p.after_temp_failure(1000, 0, 1000),
            AfterTempFailure::RetryAt(1300)
        );
        assert_eq!(
            p.after_temp_failure(1000, 1, 1300),
            AfterTempFailure::RetryAt(2200)
        );
        assert_eq!(
            p.after_temp_failure(1000, 7, 50_000),
            AfterTempFailure::RetryAt(64_400)
        );
    }

    #[test]
    fn the_last_retry_is_at_the_deadline_then_give_up() {
        let p = policy();
        let created = 0;
        let expires = p.expires_at(created);
        assert_eq!(expires, 432_000);
        assert_eq!(
            p.after_temp_failure(created, 30, expires - 10),
            AfterTempFailure::RetryAt(expires)
        );
        assert_eq!(
            p.after_temp_failure(created, 31, expires),
            AfterTempFailure::GiveUp
        );
        assert_eq!(
            p.after_temp_failure(created, 0, expires + 1),
            AfterTempFailure::GiveUp
        );
    }

    #[test]
    fn delay_warning() {
        let p = policy();
        assert!(!p.delay_warning_due(0, 14_399));
        assert!(p.delay_warning_due(0, 14_400));
        let off = RetryPolicy::new(&[60], 100, 0);
        assert!(!off.delay_warning_due(0, 1_000_000));
    }

    #[test]
    fn degenerate_schedules() {
        let p = RetryPolicy::new(&[], 10, 0);
        assert_eq!(p.interval(1), 300);
        // Capped at the deadline.
        assert_eq!(p.after_temp_failure(0, 0, 5), AfterTempFailure::RetryAt(10));
        let p = RetryPolicy::new(&[0], u64::MAX, 1);
        assert_eq!(p.interval(1), 1);
        assert_eq!(
            p.after_temp_failure(i64::MAX - 1, 0, 0),
            AfterTempFailure::RetryAt(1)
        );
    }

    #[test]
    fn from_config_defaults() {
        let p = RetryPolicy::from_config(&QueueConfig::default());
        assert_eq!(p, policy());
    }
}
