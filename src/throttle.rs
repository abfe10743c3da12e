//! Rate-limited logging: a warning repeated on every failed call or refused connection would
//! flood the log (6,000 lines a minute for one hanging downstream). Each call site keeps a
//! [`LogThrottle`]; a line is let through at most once per interval, and it carries the number of
//! lines suppressed since the previous one.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How often a throttled warning may repeat by default.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// Lets a repeated log line through at most once per interval; counts the others.
#[derive(Debug)]
pub struct LogThrottle {
    interval_ms: u64,
    /// Milliseconds since [`epoch`] before which lines are suppressed; 0 lets the first through.
    next_ms: AtomicU64,
    suppressed: AtomicU64,
}

/// The process-wide time base of every throttle, so a throttle can be a `static`.
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

impl LogThrottle {
    /// A throttle letting one line through per `interval`.
    pub const fn new(interval: Duration) -> Self {
        LogThrottle {
            interval_ms: interval.as_millis() as u64,
            next_ms: AtomicU64::new(0),
            suppressed: AtomicU64::new(0),
        }
    }

    /// `Some(n)` when a line may be logged now, `n` being how many were suppressed since the last
    /// one let through; `None` (and one more suppressed) otherwise. Lock-free: two racing callers
    /// cannot both pass.
    pub fn allow(&self) -> Option<u64> {
        let now = u64::try_from(epoch().elapsed().as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let next = self.next_ms.load(Ordering::Relaxed);
        if now >= next
            && self
                .next_ms
                .compare_exchange(
                    next,
                    now.saturating_add(self.interval_ms),
                    Ordering::AcqRel,
                    Ordering::Relaxed,
                )
                .is_ok()
        {
            return Some(self.suppressed.swap(0, Ordering::AcqRel));
        }
        self.suppressed.fetch_add(1, Ordering::Relaxed);
        None
    }
}

impl Default for LogThrottle {
    fn default() -> Self {
        LogThrottle::new(DEFAULT_INTERVAL)
    }
}

/// `tracing::warn!` through a [`LogThrottle`], adding a `suppressed` field with the number of
/// lines held back since the previous one.
#[macro_export]
macro_rules! warn_throttled {
    ($throttle:expr, $($rest:tt)+) => {
        if let Some(suppressed) = $throttle.allow() {
            tracing::warn!(suppressed, $($rest)+);
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lets_one_line_through_per_interval_and_counts_the_rest() {
        let throttle = LogThrottle::new(Duration::from_millis(200));
        assert_eq!(throttle.allow(), Some(0));
        for _ in 0..5 {
            assert_eq!(throttle.allow(), None);
        }
        std::thread::sleep(Duration::from_millis(250));
        assert_eq!(throttle.allow(), Some(5));
        assert_eq!(throttle.allow(), None);
    }

    #[test]
    fn racing_threads_let_exactly_one_through() {
        let throttle = std::sync::Arc::new(LogThrottle::new(Duration::from_secs(60)));
        let passed: usize = (0..8)
            .map(|_| {
                let throttle = throttle.clone();
                std::thread::spawn(move || (0..1000).filter(|_| throttle.allow().is_some()).count())
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .sum();
        assert_eq!(passed, 1);
        assert_eq!(throttle.suppressed.load(Ordering::Relaxed), 7999);
    }
}
