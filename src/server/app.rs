//! `App`: what the request handlers share: the current chain (swapped whole on reload) and
//! readiness.

use std::sync::Arc;

use arc_swap::ArcSwap;

use super::health::{Checks, ReadyFlag};
use crate::authz::Chain;
use crate::metrics::Metrics;

/// Shared server state. Handlers load the chain once per request and use that snapshot throughout.
#[derive(Debug)]
pub struct App {
    chain: ArcSwap<Chain>,
    readiness: Checks,
    metrics: Arc<Metrics>,
    client_certificate_required: bool,
}

impl App {
    /// An app answering with `chain`, exposing `metrics`. It is ready once every check registered
    /// with [`App::readiness_check`] passes (at once when none is).
    pub fn new(chain: Chain, metrics: Arc<Metrics>) -> Self {
        App {
            chain: ArcSwap::from_pointee(chain),
            readiness: Checks::default(),
            metrics,
            client_certificate_required: false,
        }
    }

    /// Refuses `/authorize` (401) to connections without a verified client certificate, as
    /// with `--client-ca-file`. Health and metrics stay open, so kubelet probes and scrapers
    /// need no certificate.
    pub fn require_client_certificate(mut self) -> Self {
        self.client_certificate_required = true;
        self
    }

    /// Whether `/authorize` needs a client certificate.
    pub fn client_certificate_required(&self) -> bool {
        self.client_certificate_required
    }

    /// Adds a readiness check (a state source's initial sync, for example); failing until set.
    pub fn readiness_check(&self, name: &str) -> ReadyFlag {
        self.readiness.register(name)
    }

    /// The readiness checks.
    pub fn readiness(&self) -> &Checks {
        &self.readiness
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
        self.readiness.all_pass()
    }
}
