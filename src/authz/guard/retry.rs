//! Retry backoff: kube-apiserver's `DefaultAuthWebhookRetryBackoff`.

use std::time::Duration;

use rand::Rng;

/// Exponential backoff with jitter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backoff {
    /// The first wait.
    pub initial: Duration,
    /// Each wait is this many times the previous one.
    pub factor: f64,
    /// Each wait is stretched by up to this fraction, at random.
    pub jitter: f64,
    /// The most attempts in all.
    pub steps: u32,
}

impl Default for Backoff {
    /// 500 ms × 1.5, 20% jitter, at most 5 attempts (so 4 waits: about 0.5, 0.75, 1.125, 1.69 s).
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(500),
            factor: 1.5,
            jitter: 0.2,
            steps: 5,
        }
    }
}

impl Backoff {
    /// The wait after attempt `attempt` (1-based) fails.
    pub fn wait(&self, attempt: u32) -> Duration {
        let base = self.initial.as_secs_f64() * self.factor.powi(attempt.saturating_sub(1) as i32);
        let stretch = if self.jitter > 0.0 {
            rand::rng().random::<f64>() * self.jitter * base
        } else {
            0.0
        };
        Duration::from_secs_f64(base + stretch)
    }
}
