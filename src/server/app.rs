//! `App`: what the request handlers share: the current chain (swapped whole on reload) and
//! readiness.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use arc_swap::ArcSwap;

use crate::authz::Chain;
use crate::metrics::Metrics;

/// Shared server state. Handlers load the chain once per request and use that snapshot throughout.
#[derive(Debug)]
pub struct App {
    chain: ArcSwap<Chain>,
    ready: AtomicBool,
    metrics: Arc<Metrics>,
}

impl App {
    /// An app answering with `chain`, ready at once, exposing `metrics`.
    pub fn new(chain: Chain, metrics: Arc<Metrics>) -> Self {
        App {
            chain: ArcSwap::from_pointee(chain),
            ready: AtomicBool::new(true),
            metrics,
        }
    }

    /// The metrics registry.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The current chain.
    pub fn chain(&self) -> Arc<Chain> {
        self.chain.load_full()
    }

    /// Replaces the chain; requests in flight finish on the old one.
    pub fn swap_chain(&self, chain: Chain) {
        self.chain.store(Arc::new(chain));
    }

    /// Whether `/readyz` passes.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// Sets readiness.
    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Release);
    }
}
