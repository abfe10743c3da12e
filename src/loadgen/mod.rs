//! `authz-chain loadgen`: SubjectAccessReviews sent over HTTPS to a running webhook (authz-chain or
//! any other) the way kube-apiserver's webhook client sends them, timed end to end.
//!
//! The requests go through the same client the Webhook authorizer uses ([`WebhookCall`]: exact
//! SubjectAccessReview bodies, HTTP/2 when the server offers it, kept-alive connections), so the
//! figures are what an apiserver would see. Two shapes of load:
//!
//! * closed loop (default): `concurrency` tasks, each sending its next request as soon as the
//!   previous one is answered; the throughput is the server's capacity at that concurrency;
//! * open loop (`rate`): requests are due at a fixed total rate, and each latency is measured
//!   from when the request was *due*, so a server that falls behind shows it in the percentiles
//!   instead of silently slowing the sender down (no coordinated omission).
//!
//! [`WebhookCall`]: crate::authorizers::webhook::WebhookCall

mod plot;
mod stats;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use crate::authz::guard::Call;
use crate::authz::{Decision, Request};
use crate::review;

pub use plot::{Sweep, plot};
pub use stats::{Latencies, LoadReport, Totals};

/// How the load is shaped.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Tasks sending at once.
    pub concurrency: usize,
    /// Total requests per second, for an open loop; `None` for a closed loop.
    pub rate: Option<f64>,
    /// Sent but not counted first, so connections and caches are warm.
    pub warmup: Duration,
    /// How long the counted part lasts.
    pub duration: Duration,
    /// A request not answered within this counts as an error.
    pub timeout: Duration,
}

/// Why the requests to send could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LoadgenError {
    /// The input is not JSON lines, JSON or YAML documents.
    #[error("{0}")]
    Documents(String),
    /// One document is not a valid SubjectAccessReview.
    #[error("document {index}: {error}")]
    Review {
        /// 1-based position in the input.
        index: usize,
        /// What is wrong with it.
        error: review::ReviewError,
    },
    /// There was nothing to send.
    #[error("no SubjectAccessReview to send")]
    Empty,
    /// The options cannot work.
    #[error("{0}")]
    Options(&'static str),
    /// The plot could not be drawn or written.
    #[error("plot: {0}")]
    Plot(String),
}

/// Reads the SubjectAccessReviews to send (JSON lines, one JSON document or YAML documents, as
/// `eval` reads them), validated as the server validates them.
pub fn read_requests(input: &str) -> Result<Vec<Request>, LoadgenError> {
    let documents = crate::batch::split_documents(input).map_err(LoadgenError::Documents)?;
    let mut requests = Vec::with_capacity(documents.len());
    for (i, document) in documents.iter().enumerate() {
        let bad = |error| LoadgenError::Review {
            index: i + 1,
            error,
        };
        let body = serde_json::to_vec(document)
            .map_err(|e| bad(review::ReviewError::Malformed(e.to_string())))?;
        let decoded = review::decode(&body).map_err(bad)?;
        requests.push(review::to_request(&decoded).map_err(bad)?);
    }
    if requests.is_empty() {
        return Err(LoadgenError::Empty);
    }
    Ok(requests)
}

/// Sends `requests` round robin through `call` as `options` say, and reports what happened in
/// the counted part.
///
/// Round robin is over all the tasks together: every request sent takes the next index of one
/// shared counter, so `n` requests sent are `n` distinct requests of the input until it wraps
/// (warm-up included), whatever the concurrency. (Each task walking the list from its own
/// offset would make 64 tasks replay nearly the same few requests, which a downstream cache or
/// a per-user index answers far more cheaply than real traffic.)
pub async fn run(
    call: Arc<dyn Call>,
    requests: Arc<[Request]>,
    options: &LoadOptions,
) -> Result<LoadReport, LoadgenError> {
    if options.concurrency == 0 {
        return Err(LoadgenError::Options("--concurrency must be at least 1"));
    }
    if requests.is_empty() {
        return Err(LoadgenError::Empty);
    }
    let interval = match options.rate {
        Some(rate) if !(rate.is_finite() && rate > 0.0) => {
            return Err(LoadgenError::Options("--rate must be a positive number"));
        }
        // Each task sends every `concurrency / rate` seconds, the tasks evenly offset.
        Some(rate) => Some(Duration::from_secs_f64(options.concurrency as f64 / rate)),
        None => None,
    };
    let start = Instant::now();
    let plan = Plan {
        start,
        counted_from: start + options.warmup,
        end: start + options.warmup + options.duration,
        interval,
        timeout: options.timeout,
        concurrency: options.concurrency,
    };
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..options.concurrency {
        let (call, requests, next) = (call.clone(), requests.clone(), next.clone());
        tasks.spawn(async move {
            let round_robin = RoundRobin {
                requests: &requests,
                next: &next,
            };
            plan.work(worker, &*call, round_robin).await
        });
    }
    let mut totals = Totals::default();
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(worker) => totals.merge(worker),
            Err(e) => totals.record_error(format!("a sending task failed: {e}")),
        }
    }
    Ok(totals.report(options, start.elapsed()))
}

/// The requests, handed out in order to whichever task sends next.
#[derive(Clone, Copy)]
struct RoundRobin<'a> {
    requests: &'a [Request],
    /// How many requests all the tasks have taken so far.
    next: &'a AtomicUsize,
}

impl<'a> RoundRobin<'a> {
    /// The next request to send. Relaxed is enough: the counter orders nothing else, and
    /// `fetch_add` alone makes every index taken exactly once (wrapping at `usize::MAX` is out
    /// of reach of any run).
    fn take(self) -> &'a Request {
        let index = self.next.fetch_add(1, Ordering::Relaxed);
        &self.requests[index % self.requests.len()]
    }
}

/// When each task sends.
#[derive(Clone, Copy)]
struct Plan {
    start: Instant,
    counted_from: Instant,
    end: Instant,
    interval: Option<Duration>,
    timeout: Duration,
    concurrency: usize,
}

impl Plan {
    async fn work(self, worker: usize, call: &dyn Call, requests: RoundRobin<'_>) -> Totals {
        let mut totals = Totals::default();
        // Open loop: task `worker` is due at start + (worker / concurrency + k) * interval.
        let mut due = self
            .interval
            .map(|interval| self.start + interval.mul_f64(worker as f64 / self.concurrency as f64));
        loop {
            if due.is_some_and(|at| at >= self.end) {
                break;
            }
            let sent = match due {
                // Behind schedule because the previous answer came late: count from when
                // this request was due, so the server's delay shows.
                Some(at) if Instant::now() > at => at,
                // On time: count from when the timer fired (it may fire up to a millisecond
                // late, which is the sender's doing, not the server's).
                Some(at) => {
                    tokio::time::sleep_until(at).await;
                    Instant::now()
                }
                None => Instant::now(),
            };
            if sent >= self.end {
                break;
            }
            let request = requests.take();
            let outcome = tokio::time::timeout(self.timeout, call.call(request)).await;
            let latency = sent.elapsed();
            if sent >= self.counted_from {
                match outcome {
                    Ok(Ok(answer)) => totals.record(latency, decision(&answer)),
                    Ok(Err(e)) => totals.record_error(e.to_string()),
                    Err(_) => totals
                        .record_error(format!("no answer within {:?} (--timeout)", self.timeout)),
                }
            }
            if let (Some(at), Some(interval)) = (due.as_mut(), self.interval) {
                *at += interval;
            }
        }
        totals
    }
}

/// The decision an answer means, as the Webhook authorizer reads it.
fn decision(answer: &crate::authz::guard::Answer) -> Decision {
    if answer.allowed {
        Decision::Allow
    } else if answer.denied {
        Decision::Deny
    } else {
        Decision::NoOpinion
    }
}
