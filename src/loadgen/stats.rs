//! What a load run measured: answers, decisions, errors and latency percentiles.
//!
//! Latencies go into an HDR histogram (three significant digits, 1 ns to one hour): its size is
//! fixed when it is created, so memory stays flat however long a run lasts.

use std::fmt::Write as _;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::LoadOptions;
use crate::authz::Decision;

/// How many distinct error messages a report keeps.
const ERROR_SAMPLES: usize = 5;

/// The longest latency the histogram tells apart (longer ones are recorded as this).
const MAX_LATENCY_NANOS: u64 = 3_600_000_000_000;

/// An empty latency histogram, in nanoseconds.
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_LATENCY_NANOS, 3)
        .expect("1 ns to 1 h at 3 significant figures are valid bounds")
}

/// Counts kept by one sending task, merged at the end (no shared state while sending).
#[derive(Debug)]
pub struct Totals {
    latencies: Histogram<u64>,
    allowed: u64,
    denied: u64,
    no_opinion: u64,
    errors: u64,
    error_samples: Vec<String>,
}

impl Default for Totals {
    fn default() -> Self {
        Totals {
            latencies: histogram(),
            allowed: 0,
            denied: 0,
            no_opinion: 0,
            errors: 0,
            error_samples: Vec::new(),
        }
    }
}

impl Totals {
    /// One answer, `latency` after it was sent (or due).
    pub fn record(&mut self, latency: Duration, decision: Decision) {
        let nanos = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX);
        self.latencies
            .saturating_record(nanos.clamp(1, MAX_LATENCY_NANOS));
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
        // Same bounds on both sides, so adding cannot fail.
        let _ = self.latencies.add(&other.latencies);
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
    pub fn report(self, options: &LoadOptions, elapsed: Duration) -> LoadReport {
        let answered = self.latencies.len();
        let window = options.duration.as_secs_f64();
        LoadReport {
            mode: if options.rate.is_some() {
                "open"
            } else {
                "closed"
            }
            .to_owned(),
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
            latency_microseconds: Latencies::of(&self.latencies),
            error_samples: self.error_samples,
        }
    }
}

/// The result of a load run (`--output json` prints it as is).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadReport {
    /// `closed` (each task sends when answered) or `open` (a fixed rate).
    pub mode: String,
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
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Decisions {
    /// `status.allowed`.
    pub allow: u64,
    /// `status.denied`.
    pub deny: u64,
    /// Neither.
    pub no_opinion: u64,
}

/// Latency percentiles, in microseconds (from the histogram: within 0.1%).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
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
    /// The percentiles of a histogram in nanoseconds; `None` when it is empty.
    pub fn of(histogram: &Histogram<u64>) -> Option<Latencies> {
        if histogram.is_empty() {
            return None;
        }
        let micros = |nanos: u64| nanos as f64 / 1e3;
        let at = |quantile: f64| micros(histogram.value_at_quantile(quantile));
        Some(Latencies {
            min: micros(histogram.min()),
            mean: histogram.mean() / 1e3,
            p50: at(0.5),
            p90: at(0.9),
            p99: at(0.99),
            p999: at(0.999),
            max: micros(histogram.max()),
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

    use super::{Latencies, Totals};
    use crate::authz::Decision;

    fn close(got: f64, want: f64) -> bool {
        (got - want).abs() <= want * 0.001 + 1e-9
    }

    #[test]
    fn percentiles_within_the_histograms_precision() {
        let mut totals = Totals::default();
        for micros in 1..=1000 {
            totals.record(Duration::from_micros(micros), Decision::Allow);
        }
        let l = Latencies::of(&totals.latencies).expect("values");
        for (got, want) in [
            (l.min, 1.0),
            (l.p50, 500.0),
            (l.p90, 900.0),
            (l.p99, 990.0),
            (l.p999, 999.0),
            (l.max, 1000.0),
            (l.mean, 500.5),
        ] {
            assert!(close(got, want), "{got} vs {want}: {l:?}");
        }
        assert_eq!(Latencies::of(&Totals::default().latencies), None);
    }

    #[test]
    fn memory_does_not_grow_with_the_number_of_answers() {
        let mut totals = Totals::default();
        let size = totals.latencies.distinct_values();
        for i in 0..200_000u64 {
            totals.record(
                Duration::from_nanos(1 + i * 7919 % 5_000_000),
                Decision::Allow,
            );
        }
        assert_eq!(totals.latencies.distinct_values(), size);
        assert_eq!(totals.latencies.len(), 200_000);
        // Past the upper bound, recorded as the bound.
        totals.record(Duration::from_secs(7200), Decision::Deny);
        assert_eq!(totals.latencies.len(), 200_001);
    }
}
