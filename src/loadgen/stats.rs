//! What a load run measured: answers, decisions, errors and latency percentiles.

use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

use super::LoadOptions;
use crate::authz::Decision;

/// How many distinct error messages a report keeps.
const ERROR_SAMPLES: usize = 5;

/// Counts kept by one sending task, merged at the end (no shared state while sending).
#[derive(Debug, Default)]
pub struct Totals {
    latencies: Vec<Duration>,
    allowed: u64,
    denied: u64,
    no_opinion: u64,
    errors: u64,
    error_samples: Vec<String>,
}

impl Totals {
    /// One answer, `latency` after it was sent (or due).
    pub fn record(&mut self, latency: Duration, decision: Decision) {
        self.latencies.push(latency);
        match decision {
            Decision::Allow => self.allowed += 1,
            Decision::Deny => self.denied += 1,
            Decision::NoOpinion => self.no_opinion += 1,
        }
    }

    /// One request that got no answer.
    pub fn record_error(&mut self, message: String) {
        self.errors += 1;
        if self.error_samples.len() < ERROR_SAMPLES && !self.error_samples.contains(&message) {
            self.error_samples.push(message);
        }
    }

    /// Adds another task's counts.
    pub fn merge(&mut self, other: Totals) {
        self.latencies.extend(other.latencies);
        self.allowed += other.allowed;
        self.denied += other.denied;
        self.no_opinion += other.no_opinion;
        self.errors += other.errors;
        for message in other.error_samples {
            if self.error_samples.len() < ERROR_SAMPLES && !self.error_samples.contains(&message) {
                self.error_samples.push(message);
            }
        }
    }

    /// The report of a run with `options` that took `elapsed` in all.
    pub fn report(mut self, options: &LoadOptions, elapsed: Duration) -> LoadReport {
        self.latencies.sort_unstable();
        let answered = self.latencies.len() as u64;
        let window = options.duration.as_secs_f64();
        LoadReport {
            mode: if options.rate.is_some() {
                "open"
            } else {
                "closed"
            },
            concurrency: options.concurrency,
            rate: options.rate,
            warmup_seconds: options.warmup.as_secs_f64(),
            duration_seconds: window,
            elapsed_seconds: elapsed.as_secs_f64(),
            requests: answered + self.errors,
            answered,
            errors: self.errors,
            answers_per_second: if window > 0.0 {
                answered as f64 / window
            } else {
                0.0
            },
            decisions: Decisions {
                allow: self.allowed,
                deny: self.denied,
                no_opinion: self.no_opinion,
            },
            latency_microseconds: Latencies::of_sorted(&self.latencies),
            error_samples: self.error_samples,
        }
    }
}

/// The result of a load run (`--output json` prints it as is).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadReport {
    /// `closed` (each task sends when answered) or `open` (a fixed rate).
    pub mode: &'static str,
    /// Sending tasks.
    pub concurrency: usize,
    /// Requests per second asked for, in an open loop.
    pub rate: Option<f64>,
    /// Seconds of warm-up, not counted.
    pub warmup_seconds: f64,
    /// Seconds counted.
    pub duration_seconds: f64,
    /// Seconds the whole run took (warm-up and the last answers included).
    pub elapsed_seconds: f64,
    /// Requests sent in the counted part.
    pub requests: u64,
    /// Of those, answered.
    pub answered: u64,
    /// Of those, failed (transport error, HTTP error status, bad answer, timeout).
    pub errors: u64,
    /// Answers per counted second.
    pub answers_per_second: f64,
    /// The decisions answered.
    pub decisions: Decisions,
    /// Latency of the answered requests.
    pub latency_microseconds: Option<Latencies>,
    /// Up to five distinct error messages.
    pub error_samples: Vec<String>,
}

/// Answers by decision.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Decisions {
    /// `status.allowed`.
    pub allow: u64,
    /// `status.denied`.
    pub deny: u64,
    /// Neither.
    pub no_opinion: u64,
}

/// Latency percentiles (nearest rank), in microseconds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Latencies {
    /// The fastest.
    pub min: f64,
    /// The mean.
    pub mean: f64,
    /// The median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// The slowest.
    pub max: f64,
}

impl Latencies {
    /// The percentiles of `sorted` (ascending); `None` when it is empty.
    pub fn of_sorted(sorted: &[Duration]) -> Option<Latencies> {
        let (first, last) = (sorted.first()?, sorted.last()?);
        let micros = |d: &Duration| d.as_nanos() as f64 / 1e3;
        // Nearest rank: the smallest value with at least `per_mille`/1000 of the values at or
        // below it (integer arithmetic, so 99.9% of 1000 values is the 999th exactly).
        let at = |per_mille: usize| {
            let rank = (per_mille * sorted.len()).div_ceil(1000);
            micros(&sorted[rank.clamp(1, sorted.len()) - 1])
        };
        let total: f64 = sorted.iter().map(micros).sum();
        Some(Latencies {
            min: micros(first),
            mean: total / sorted.len() as f64,
            p50: at(500),
            p90: at(900),
            p99: at(990),
            p999: at(999),
            max: micros(last),
        })
    }
}

impl LoadReport {
    /// The human summary.
    pub fn to_text(&self, target: &str) -> String {
        let mut out = String::new();
        let shape = match self.rate {
            Some(rate) => format!(
                "open loop at {rate} requests/s over {} tasks",
                self.concurrency
            ),
            None => format!("closed loop, {} tasks", self.concurrency),
        };
        let _ = writeln!(out, "target      {target}");
        let _ = writeln!(
            out,
            "load        {shape}; {}s counted after {}s of warm-up",
            self.duration_seconds, self.warmup_seconds
        );
        let _ = writeln!(
            out,
            "requests    {} ({} answered, {} failed)",
            self.requests, self.answered, self.errors
        );
        let _ = writeln!(out, "throughput  {:.0} answers/s", self.answers_per_second);
        let d = &self.decisions;
        let _ = writeln!(
            out,
            "decisions   {} allow, {} deny, {} no opinion",
            d.allow, d.deny, d.no_opinion
        );
        match &self.latency_microseconds {
            Some(l) => {
                let _ = writeln!(
                    out,
                    "latency µs  min {:.0}  mean {:.0}  p50 {:.0}  p90 {:.0}  p99 {:.0}  p99.9 {:.0}  max {:.0}",
                    l.min, l.mean, l.p50, l.p90, l.p99, l.p999, l.max
                );
            }
            None => {
                let _ = writeln!(out, "latency     no answers");
            }
        }
        for sample in &self.error_samples {
            let _ = writeln!(out, "error       {sample}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::Latencies;

    #[test]
    fn nearest_rank_percentiles() {
        let sorted: Vec<Duration> = (1..=1000).map(Duration::from_micros).collect();
        let l = Latencies::of_sorted(&sorted).expect("values");
        assert_eq!(
            (l.min, l.p50, l.p90, l.p99, l.p999, l.max),
            (1.0, 500.0, 900.0, 990.0, 999.0, 1000.0)
        );
        assert!((l.mean - 500.5).abs() < 1e-9);
        let one = Latencies::of_sorted(&[Duration::from_micros(7)]).expect("one");
        assert_eq!((one.p50, one.p999), (7.0, 7.0));
        assert_eq!(Latencies::of_sorted(&[]), None);
    }
}
