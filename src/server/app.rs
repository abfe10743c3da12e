//! `App`: what the request handlers share: the current chain (swapped whole on reload), readiness,
//! who may call which route, and the limits.

use std::sync::Arc;

use arc_swap::ArcSwap;
use tokio::sync::Semaphore;

use super::client::CallerPolicy;
use super::limits::Limits;
use crate::authz::Chain;
use crate::health::{Checks, ReadyFlag};
use crate::metrics::Metrics;
use crate::shadow::Shadow;

/// Where `/metrics` is served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MetricsAccess {
    /// On the serving port, to callers the policy admits.
    Here(CallerPolicy),
    /// On a listener of its own (`--metrics-bind-address`); 404 on the serving port.
    Elsewhere,
}

/// Shared server state. Handlers load the chain once per request and use that snapshot throughout.
#[derive(Debug)]
pub struct App {
    chain: ArcSwap<Chain>,
    readiness: Checks,
    metrics: Arc<Metrics>,
    authorize_callers: CallerPolicy,
    metrics_access: MetricsAccess,
    limits: Limits,
    inflight: Semaphore,
    explain: bool,
    shadow: Option<Arc<Shadow>>,
}

impl App {
    /// An app answering with `chain`, exposing `metrics`, open to any caller, with the default
    /// [`Limits`]. It is ready once every check registered with [`App::readiness_check`] passes
    /// (at once when none is).
    pub fn new(chain: Chain, metrics: Arc<Metrics>) -> Self {
        let limits = Limits::default();
        App {
            chain: ArcSwap::from_pointee(chain),
            readiness: Checks::default(),
            metrics,
            authorize_callers: CallerPolicy::open(),
            metrics_access: MetricsAccess::Here(CallerPolicy::open()),
            inflight: Semaphore::new(limits.max_requests_inflight),
            limits,
            explain: false,
            shadow: None,
        }
    }

    /// Refuses `/authorize` (401) to connections without a verified client certificate, as
    /// with `--client-ca-file`. Health and metrics stay open, so kubelet probes and scrapers
    /// need no certificate.
    pub fn require_client_certificate(self) -> Self {
        let allowed_names = self.authorize_callers.allowed_names.clone();
        self.with_authorize_callers(CallerPolicy {
            require_certificate: true,
            allowed_names,
        })
    }

    /// Who may ask `/authorize`.
    pub fn with_authorize_callers(mut self, policy: CallerPolicy) -> Self {
        self.authorize_callers = policy;
        self
    }

    /// Where `/metrics` is served and to whom.
    pub fn with_metrics_access(mut self, access: MetricsAccess) -> Self {
        self.metrics_access = access;
        self
    }

    /// Connection and request limits.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.inflight = Semaphore::new(limits.max_requests_inflight);
        self.limits = limits;
        self
    }

    /// Serves `POST /explain` (`--enable-explain`); 404 otherwise.
    pub fn with_explain(mut self, enabled: bool) -> Self {
        self.explain = enabled;
        self
    }

    /// Feeds every answered review to `shadow` and serves `GET /shadow`.
    pub fn with_shadow(mut self, shadow: Arc<Shadow>) -> Self {
        self.shadow = Some(shadow);
        self
    }

    /// The shadow chain, when one is configured.
    pub fn shadow(&self) -> Option<&Arc<Shadow>> {
        self.shadow.as_ref()
    }

    /// Whether `POST /explain` is served.
    pub fn explain_enabled(&self) -> bool {
        self.explain
    }

    /// Who may ask `/authorize`.
    pub fn authorize_callers(&self) -> &CallerPolicy {
        &self.authorize_callers
    }

    /// Where `/metrics` is served and to whom.
    pub fn metrics_access(&self) -> &MetricsAccess {
        &self.metrics_access
    }

    /// The limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// A slot for one `/authorize` request, or `None` when `max_requests_inflight` are in
    /// progress.
    pub fn try_begin_request(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        self.inflight.try_acquire().ok()
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
