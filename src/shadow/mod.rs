//! Shadow mode: a candidate chain decides every request the live chain answered, off the answer
//! path, and the differences are counted, logged and kept for `GET /shadow`.
//!
//! The live answer never waits for the shadow. After the live answer is built, the request and
//! that answer go into a bounded queue ([`Shadow::offer`], a `try_send`); when the queue is full
//! the shadow skips the request and counts it (`authz_chain_shadow_skipped_total{reason=
//! "queue_full"}`). A worker ([`ShadowWorker::run`]) takes requests from the queue and decides
//! them with the shadow chain, a bounded number at a time, so a hanging shadow webhook fills the
//! queue and nothing else.
//!
//! Differences use replay's classes through the one comparison they share
//! ([`crate::authz::compare::Flip`]): would break (allowed → refused), would widen (refused →
//! allowed), deciding authorizer changed, reason changed.

mod loader;
mod report;

use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use arc_swap::ArcSwapOption;
use prometheus_client::metrics::counter::Counter;
use tokio::sync::mpsc;

pub use loader::{ShadowInputs, ShadowLoader};
pub use report::{Difference, ShadowReport};

use crate::authz::compare::{Flip, Side};
use crate::authz::{Chain, ChainVerdict, Decision, Reason, Request};
use crate::metrics::{Metrics, ReasonLabels, ShadowLabels};
use crate::throttle::LogThrottle;
use report::Stats;

/// Default size of the queue between the live answers and the shadow worker.
pub const DEFAULT_QUEUE: usize = 4096;

/// How many shadow decisions run at once (webhook calls included).
const CONCURRENCY: usize = 64;

/// The live chain's answer, as the comparison needs it.
#[derive(Clone, Debug)]
struct LiveAnswer {
    decision: Decision,
    decided_by: Option<Arc<str>>,
    reason: Reason,
}

/// One request for the shadow.
#[derive(Debug)]
struct Job {
    request: Request,
    live: LiveAnswer,
}

/// The shadow chain in force.
#[derive(Debug)]
struct Current {
    chain: Chain,
    hash: String,
    loaded_at: jiff::Timestamp,
}

/// What the shadow is doing when no chain is in force, for `/shadow`.
#[derive(Clone, Debug, Default)]
struct Status {
    /// Why nothing is shadowed now (`None` while a chain is in force).
    stopped: Option<String>,
    /// The last load error, kept until a load succeeds.
    last_error: Option<String>,
}

/// The shadow: the chain in force, the queue's sending side, and what it found.
pub struct Shadow {
    current: ArcSwapOption<Current>,
    status: Mutex<Status>,
    queue: mpsc::Sender<Job>,
    stats: Mutex<Stats>,
    metrics: Arc<Metrics>,
    queue_full: Counter,
    not_loaded: Counter,
    /// `authz_chain_shadow_decisions_total` by (live, shadow, class), resolved on first use.
    decisions: [OnceLock<Counter>; 45],
    /// Lets difference lines through at the configured rate; `None` logs none.
    log: Option<LogThrottle>,
}

impl std::fmt::Debug for Shadow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shadow")
            .field("loaded", &self.current.load().is_some())
            .finish_non_exhaustive()
    }
}

/// The receiving side of the queue; run it on the runtime with [`ShadowWorker::run`].
#[derive(Debug)]
pub struct ShadowWorker {
    queue: mpsc::Receiver<Job>,
}

impl Shadow {
    /// A shadow with no chain yet, a queue of `queue` requests, and at most `log_rate` logged
    /// differences per second (0: none).
    pub fn new(metrics: Arc<Metrics>, queue: usize, log_rate: u32) -> (Arc<Self>, ShadowWorker) {
        let (sender, receiver) = mpsc::channel(queue.max(1));
        let skipped = |reason: &str| {
            metrics.shadow_skipped.get_or_create_owned(&ReasonLabels {
                reason: reason.to_owned(),
            })
        };
        let shadow = Shadow {
            current: ArcSwapOption::empty(),
            status: Mutex::new(Status {
                stopped: Some("not loaded yet".into()),
                last_error: None,
            }),
            queue: sender,
            stats: Mutex::new(Stats::default()),
            queue_full: skipped("queue_full"),
            decisions: std::array::from_fn(|_| OnceLock::new()),
            not_loaded: skipped("not_loaded"),
            log: (log_rate > 0)
                .then(|| LogThrottle::new(Duration::from_secs(1) / log_rate.min(1_000_000))),
            metrics,
        };
        (Arc::new(shadow), ShadowWorker { queue: receiver })
    }

    /// Puts `chain` (from a configuration whose bytes hash to `hash`) in force; counts and
    /// differences start again.
    pub fn set_chain(&self, chain: Chain, hash: String) {
        self.metrics.shadow_config_info.clear();
        self.metrics
            .shadow_config_info
            .get_or_create(&crate::metrics::HashLabels { hash: hash.clone() })
            .set(1);
        self.current.store(Some(Arc::new(Current {
            chain,
            hash,
            loaded_at: jiff::Timestamp::now(),
        })));
        *self.lock_stats() = Stats::default();
        let mut status = self.status.lock().unwrap_or_else(PoisonError::into_inner);
        status.stopped = None;
        status.last_error = None;
    }

    /// Stops shadowing (`why` is shown by `/shadow`) until a chain is set again.
    pub fn stop(&self, why: String) {
        self.current.store(None);
        self.metrics.shadow_config_info.clear();
        self.status
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .stopped = Some(why);
    }

    /// Notes a load that failed (the chain in force, if any, stays).
    pub fn load_failed(&self, error: String) {
        self.status
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .last_error = Some(error);
    }

    /// Whether a chain is in force.
    pub fn is_active(&self) -> bool {
        self.current.load().is_some()
    }

    /// Hands `request` and the live `answer` to the shadow without waiting: skipped (and
    /// counted) when no chain is in force or the queue is full.
    pub fn offer(&self, request: Request, answer: &ChainVerdict) {
        if self.current.load().is_none() {
            self.not_loaded.inc();
            return;
        }
        let job = Job {
            request,
            live: LiveAnswer {
                decision: answer.verdict.decision,
                decided_by: answer.decided_by.clone(),
                reason: answer.verdict.reason.clone(),
            },
        };
        if self.queue.try_send(job).is_err() {
            self.queue_full.inc();
        }
    }

    /// Counts since the chain in force was loaded, and the last differences.
    pub fn report(&self) -> ShadowReport {
        let current = self.current.load_full();
        let status = self
            .status
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let stats = self.lock_stats();
        ShadowReport::new(
            current.as_ref().map(|c| (c.hash.as_str(), c.loaded_at)),
            status.stopped,
            status.last_error,
            &stats,
        )
    }

    /// The `authz_chain_shadow_decisions_total` series of one outcome, resolved once.
    fn decision_counter(&self, live: Decision, shadow: Decision, flip: Option<Flip>) -> &Counter {
        let index = |d: Decision| match d {
            Decision::Allow => 0,
            Decision::Deny => 1,
            Decision::NoOpinion => 2,
        };
        let class = flip.map_or(0, |f| {
            1 + Flip::ALL.iter().position(|k| *k == f).unwrap_or(0)
        });
        let slot = (index(live) * 3 + index(shadow)) * 5 + class;
        self.decisions[slot].get_or_init(|| {
            self.metrics
                .shadow_decisions
                .get_or_create_owned(&ShadowLabels {
                    live: result(live).to_owned(),
                    shadow: result(shadow).to_owned(),
                    class: flip.map_or("same", Flip::key).to_owned(),
                })
        })
    }

    fn lock_stats(&self) -> std::sync::MutexGuard<'_, Stats> {
        self.stats.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Decides one request with the shadow chain and records how it compares.
    async fn decide(&self, job: Job) {
        let Some(current) = self.current.load_full() else {
            self.not_loaded.inc();
            return;
        };
        let shadow = current.chain.evaluate(&job.request).await;
        let live = Side {
            allowed: job.live.decision == Decision::Allow,
            decided_by: job.live.decided_by.as_deref(),
            reason: job.live.reason.as_str(),
        };
        let flip = Flip::between(live, Side::of(&shadow));
        let class = flip.map_or("same", Flip::key);
        self.decision_counter(job.live.decision, shadow.verdict.decision, flip)
            .inc();
        let mut stats = self.lock_stats();
        stats.count(class);
        let Some(flip) = flip else { return };
        let difference = Difference::new(flip, &job.request, job.live.decision, live, &shadow);
        if let Some(suppressed) = self.log.as_ref().and_then(LogThrottle::allow) {
            difference.log(suppressed);
        }
        stats.remember(difference);
    }
}

/// `allowed`, `denied` or `no-opinion`, as `authorization_attempts_total` labels them.
fn result(decision: Decision) -> &'static str {
    match decision {
        Decision::Allow => "allowed",
        Decision::Deny => "denied",
        Decision::NoOpinion => "no-opinion",
    }
}

impl ShadowWorker {
    /// Decides queued requests with `shadow`'s chain until the queue closes, at most
    /// [`CONCURRENCY`] at a time. Requests are taken in batches, and a decision that completes
    /// at once (every in-memory chain) is finished here; only one that waits (a called webhook)
    /// becomes a task of its own, so the shadow costs the live path no task per request.
    pub async fn run(mut self, shadow: Arc<Shadow>) {
        let mut running = tokio::task::JoinSet::new();
        let mut batch = Vec::with_capacity(CONCURRENCY);
        loop {
            while running.try_join_next().is_some() {}
            if running.len() >= CONCURRENCY {
                running.join_next().await;
                continue;
            }
            // Never take more than there is room for: what waits stays in the bounded queue.
            let room = CONCURRENCY - running.len();
            if self.queue.recv_many(&mut batch, room).await == 0 {
                break;
            }
            for job in batch.drain(..) {
                let shadow = shadow.clone();
                let mut decision = Box::pin(async move { shadow.decide(job).await });
                let mut context = std::task::Context::from_waker(std::task::Waker::noop());
                if decision.as_mut().poll(&mut context).is_pending() {
                    // Polled again by its task, which registers a real waker.
                    running.spawn(decision);
                }
            }
        }
        while running.join_next().await.is_some() {}
    }
}
