//! Prometheus metrics with kube-apiserver's names and labels (spec section 7), served on
//! `GET /metrics` in the text format.
//!
//! Handles for a given label set are resolved once, when a chain is built, and kept by the
//! authorizer that records them, so recording is an atomic add.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use prometheus_client::encoding::{EncodeLabelSet, EncodeMetric, MetricEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::{MetricType, TypedMetric};
use prometheus_client::registry::Registry;

/// `name` and `result` (`success`, `canceled`, `timeout`, `error`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WebhookLabels {
    /// The webhook's configured name.
    pub name: String,
    /// The outcome of one attempt.
    pub result: String,
}

/// `type` and `name` of an authorizer.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AuthorizerLabels {
    /// The authorizer type (`Webhook`).
    pub r#type: String,
    /// The configured name.
    pub name: String,
}

/// `type`, `name` and `decision` (`allowed`, `denied`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DecisionLabels {
    /// The authorizer type.
    pub r#type: String,
    /// The configured name.
    pub name: String,
    /// `allowed` or `denied`.
    pub decision: String,
}

/// `status` (`success`, `failure`) and `apiserver_id_hash`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReloadLabels {
    /// `success` or `failure`.
    pub status: String,
    /// `sha256:` hash of this instance's identity.
    pub apiserver_id_hash: String,
}

/// `apiserver_id_hash` and `hash` of the configuration in force.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ConfigInfoLabels {
    /// `sha256:` hash of this instance's identity.
    pub apiserver_id_hash: String,
    /// `sha256:` hash of the configuration file's bytes.
    pub hash: String,
}

/// `result` of a whole-chain decision: `allowed`, `denied`, `no-opinion`, `error`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    /// The chain's result; `error` wins over `denied` and `no-opinion`.
    pub result: String,
}

/// `route` and HTTP `code` of a served request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// `/authorize`, `/readyz`, ... (`other` for unknown paths).
    pub route: String,
    /// The HTTP status code.
    pub code: String,
}

/// `kind` of a mirrored cluster object (`RoleBinding`, `Pod`, ...).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    /// The object kind.
    pub kind: String,
}

/// `reason` of a refused, closed or failed thing (a connection, a handshake, a request).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    /// Why.
    pub reason: String,
}

/// `live`, `shadow` (each `allowed`, `denied` or `no-opinion`) and `class` of a shadow decision.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ShadowLabels {
    /// The live chain's answer.
    pub live: String,
    /// The shadow chain's answer.
    pub shadow: String,
    /// `same`, or how it moved: `break`, `widen`, `authorizer`, `reason`.
    pub class: String,
}

/// `hash` of a configuration file's bytes.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HashLabels {
    /// `sha256:` hash.
    pub hash: String,
}

/// `status` of a reload: `success` or `failure`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabels {
    /// `success` or `failure`.
    pub status: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// Every metric authz-chain exports, in one registry.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// `apiserver_authorization_webhook_evaluations_total`: every attempt, retries included.
    pub webhook_evaluations: Family<WebhookLabels, Counter>,
    /// `apiserver_authorization_webhook_duration_seconds`: latency of every attempt.
    pub webhook_duration: HistogramFamily<WebhookLabels>,
    /// `apiserver_authorization_webhook_evaluations_fail_open_total`: calls that failed with
    /// `failurePolicy: NoOpinion`.
    pub webhook_fail_open: Family<WebhookLabels, Counter>,
    /// `apiserver_authorization_match_condition_evaluation_errors_total`.
    pub match_condition_errors: Family<AuthorizerLabels, Counter>,
    /// `apiserver_authorization_match_condition_exclusions_total`.
    pub match_condition_exclusions: Family<AuthorizerLabels, Counter>,
    /// `apiserver_authorization_match_condition_evaluation_seconds`.
    pub match_condition_duration: HistogramFamily<AuthorizerLabels>,
    /// `apiserver_authorization_decisions_total`: Allow and Deny of each configured authorizer.
    pub decisions: Family<DecisionLabels, Counter>,
    /// `apiserver_authorization_config_controller_automatic_reloads_total`.
    pub reloads: Family<ReloadLabels, Counter>,
    /// `apiserver_authorization_config_controller_automatic_reload_last_timestamp_seconds`.
    pub reload_timestamp: Family<ReloadLabels, Gauge<f64, AtomicU64>>,
    /// `apiserver_authorization_config_controller_last_config_info` (one series: the latest).
    pub config_info: Family<ConfigInfoLabels, Gauge>,
    /// `authorization_attempts_total`: whole-chain results of served reviews.
    pub attempts: Family<ResultLabels, Counter>,
    /// `authorization_duration_seconds`: whole-chain decision latency.
    pub attempt_duration: HistogramFamily<ResultLabels>,
    /// `authz_chain_http_request_duration_seconds`: every served HTTP request, by route and code.
    pub http_duration: HistogramFamily<RouteLabels>,
    /// `authz_chain_state_objects`: objects mirrored from the cluster, per kind.
    pub state_objects: Family<KindLabels, Gauge>,
    /// `authz_chain_state_watch_restarts_total`: watches that failed and were retried (after a
    /// backoff), per kind.
    pub state_watch_restarts: Family<KindLabels, Counter>,
    /// `authz_chain_state_seconds_since_last_event`: how long ago a kind's watch last delivered
    /// an event, list or error (since its start, before the first one). Bookmarks are consumed
    /// inside kube-rs and do not count, so a kind nobody changes grows steadily while healthy.
    pub state_last_event: Family<KindLabels, SecondsSince>,
    /// `authz_chain_state_reloads_total`: re-reads of `--state` files after a change, by status.
    pub state_reloads: Family<StatusLabels, Counter>,
    /// `authz_chain_connections`: connections open now (the TLS handshake included).
    pub connections: Gauge,
    /// `authz_chain_connections_closed_total`: connections the server closed, by reason (`idle`,
    /// `write_timeout`, `shed`, `shutdown`).
    pub connections_closed: Family<ReasonLabels, Counter>,
    /// `authz_chain_tls_handshake_errors_total`: refused or failed TLS handshakes, by reason
    /// (`client_certificate`, `protocol`, `timeout`, `eof`, `io`).
    pub handshake_errors: Family<ReasonLabels, Counter>,
    /// `authz_chain_requests_rejected_total`: requests refused before evaluation, by reason
    /// (`too_many_requests`, `client_not_allowed`).
    pub requests_rejected: Family<ReasonLabels, Counter>,
    /// `authz_chain_shadow_decisions_total`: requests the shadow chain decided, by both answers
    /// and how they differ.
    pub shadow_decisions: Family<ShadowLabels, Counter>,
    /// `authz_chain_shadow_skipped_total`: requests the shadow chain did not decide, by reason
    /// (`queue_full`, `not_loaded`).
    pub shadow_skipped: Family<ReasonLabels, Counter>,
    /// `authz_chain_shadow_config_info`: the hash of the shadow configuration in force (no
    /// series while no shadow is loaded).
    pub shadow_config_info: Family<HashLabels, Gauge>,
    /// `authz_chain_shadow_reloads_total`: loads of the shadow configuration and state after a
    /// change, by status.
    pub shadow_reloads: Family<StatusLabels, Counter>,
}

fn attempt_histogram() -> Histogram {
    // Upstream's filter metric: exponential from 1 ms, factor 2, 15 buckets.
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        0.001, 2.0, 15,
    ))
}

fn http_histogram() -> Histogram {
    Histogram::new([
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
        5.0, 10.0,
    ])
}

fn webhook_histogram() -> Histogram {
    // Prometheus' default buckets, as upstream's webhook duration uses.
    Histogram::new([
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ])
}

fn match_condition_histogram() -> Histogram {
    Histogram::new([0.001, 0.005, 0.01, 0.025, 0.1, 0.2, 0.25])
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every family registered.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let webhook_evaluations = Family::<WebhookLabels, Counter>::default();
        let webhook_duration: HistogramFamily<WebhookLabels> =
            Family::new_with_constructor(webhook_histogram);
        let webhook_fail_open = Family::<WebhookLabels, Counter>::default();
        let match_condition_errors = Family::<AuthorizerLabels, Counter>::default();
        let match_condition_exclusions = Family::<AuthorizerLabels, Counter>::default();
        let match_condition_duration: HistogramFamily<AuthorizerLabels> =
            Family::new_with_constructor(match_condition_histogram);
        let decisions = Family::<DecisionLabels, Counter>::default();
        let reloads = Family::<ReloadLabels, Counter>::default();
        let reload_timestamp = Family::<ReloadLabels, Gauge<f64, AtomicU64>>::default();
        let config_info = Family::<ConfigInfoLabels, Gauge>::default();
        let state_objects = Family::<KindLabels, Gauge>::default();
        let state_watch_restarts = Family::<KindLabels, Counter>::default();
        let state_last_event = Family::<KindLabels, SecondsSince>::default();
        let state_reloads = Family::<StatusLabels, Counter>::default();
        let connections = Gauge::default();
        let connections_closed = Family::<ReasonLabels, Counter>::default();
        let handshake_errors = Family::<ReasonLabels, Counter>::default();
        let requests_rejected = Family::<ReasonLabels, Counter>::default();
        let attempts = Family::<ResultLabels, Counter>::default();
        let shadow_decisions = Family::<ShadowLabels, Counter>::default();
        let shadow_skipped = Family::<ReasonLabels, Counter>::default();
        let shadow_config_info = Family::<HashLabels, Gauge>::default();
        let shadow_reloads = Family::<StatusLabels, Counter>::default();
        registry.register(
            "authz_chain_shadow_decisions",
            "Requests the shadow chain decided beside the live one, by both answers (allowed, denied, no-opinion) and class (same, break, widen, authorizer, reason)",
            shadow_decisions.clone(),
        );
        registry.register(
            "authz_chain_shadow_skipped",
            "Requests the shadow chain did not decide, by reason",
            shadow_skipped.clone(),
        );
        registry.register(
            "authz_chain_shadow_config_info",
            "The hash of the shadow authorization configuration in force",
            shadow_config_info.clone(),
        );
        registry.register(
            "authz_chain_shadow_reloads",
            "Loads of the shadow configuration and state after a change, by status; on failure the last good shadow is kept",
            shadow_reloads.clone(),
        );
        let attempt_duration: HistogramFamily<ResultLabels> =
            Family::new_with_constructor(attempt_histogram);
        let http_duration: HistogramFamily<RouteLabels> =
            Family::new_with_constructor(http_histogram);
        registry.register(
            "authorization_attempts",
            "[ALPHA] Counter of authorization attempts broken down by result. It can be either 'allowed', 'denied', 'no-opinion' or 'error'",
            attempts.clone(),
        );
        registry.register(
            "authorization_duration_seconds",
            "[ALPHA] Authorization duration in seconds broken out by result",
            attempt_duration.clone(),
        );
        registry.register(
            "authz_chain_http_request_duration_seconds",
            "Latency of served HTTP requests by route and status code",
            http_duration.clone(),
        );
        registry.register(
            "apiserver_authorization_config_controller_automatic_reloads",
            "[BETA] Total number of automatic reloads of authorization configuration split by status and apiserver identity",
            reloads.clone(),
        );
        registry.register(
            "apiserver_authorization_config_controller_automatic_reload_last_timestamp_seconds",
            "[BETA] Timestamp of the last automatic reload of authorization configuration split by status and apiserver identity",
            reload_timestamp.clone(),
        );
        registry.register(
            "apiserver_authorization_config_controller_last_config_info",
            "[ALPHA] Information about the last applied authorization configuration with hash as label, split by apiserver identity",
            config_info.clone(),
        );
        registry.register(
            "apiserver_authorization_webhook_evaluations",
            "[ALPHA] Round-trips to authorization webhooks",
            webhook_evaluations.clone(),
        );
        registry.register(
            "apiserver_authorization_webhook_duration_seconds",
            "[ALPHA] Request latency in seconds",
            webhook_duration.clone(),
        );
        registry.register(
            "apiserver_authorization_webhook_evaluations_fail_open",
            "[ALPHA] NoOpinion results due to webhook timeout or error",
            webhook_fail_open.clone(),
        );
        registry.register(
            "apiserver_authorization_match_condition_evaluation_errors",
            "[ALPHA] Total number of errors when an authorization webhook encounters a match condition error split by authorizer type and name",
            match_condition_errors.clone(),
        );
        registry.register(
            "apiserver_authorization_match_condition_exclusions",
            "[ALPHA] Total number of exclusions when an authorization webhook is skipped because match conditions exclude it",
            match_condition_exclusions.clone(),
        );
        registry.register(
            "apiserver_authorization_match_condition_evaluation_seconds",
            "[ALPHA] Authorization match condition evaluation time in seconds, split by authorizer type and name",
            match_condition_duration.clone(),
        );
        registry.register(
            "apiserver_authorization_decisions",
            "[ALPHA] Total number of terminal decisions made by an authorizer split by authorizer type, name, and decision",
            decisions.clone(),
        );
        registry.register(
            "authz_chain_state_objects",
            "Objects mirrored from the cluster, by kind",
            state_objects.clone(),
        );
        registry.register(
            "authz_chain_state_watch_restarts",
            "Watches of cluster objects that failed and were restarted after a backoff, by kind",
            state_watch_restarts.clone(),
        );
        registry.register(
            "authz_chain_state_seconds_since_last_event",
            "Seconds since the watch of a kind last delivered an event (or started)",
            state_last_event.clone(),
        );
        registry.register(
            "authz_chain_state_reloads",
            "Re-reads of the --state files after a change, by status; on failure the last good state is kept",
            state_reloads.clone(),
        );
        registry.register(
            "authz_chain_connections",
            "Connections open now, TLS handshakes included",
            connections.clone(),
        );
        registry.register(
            "authz_chain_connections_closed",
            "Connections the server closed, by reason",
            connections_closed.clone(),
        );
        registry.register(
            "authz_chain_tls_handshake_errors",
            "Refused or failed TLS handshakes, by reason",
            handshake_errors.clone(),
        );
        registry.register(
            "authz_chain_requests_rejected",
            "Requests refused before evaluation, by reason",
            requests_rejected.clone(),
        );
        Metrics {
            registry,
            shadow_decisions,
            shadow_skipped,
            shadow_config_info,
            shadow_reloads,
            state_reloads,
            connections,
            connections_closed,
            handshake_errors,
            requests_rejected,
            webhook_evaluations,
            webhook_duration,
            webhook_fail_open,
            match_condition_errors,
            match_condition_exclusions,
            match_condition_duration,
            decisions,
            reloads,
            reload_timestamp,
            config_info,
            attempts,
            attempt_duration,
            http_duration,
            state_objects,
            state_watch_restarts,
            state_last_event,
        }
    }

    /// Counts a connection the server closed.
    pub fn connection_closed(&self, reason: &str) {
        self.connections_closed
            .get_or_create(&reason_labels(reason))
            .inc();
    }

    /// Counts a failed TLS handshake.
    pub fn handshake_failed(&self, reason: &str) {
        self.handshake_errors
            .get_or_create(&reason_labels(reason))
            .inc();
    }

    /// Counts a request refused before evaluation.
    pub fn request_rejected(&self, reason: &str) {
        self.requests_rejected
            .get_or_create(&reason_labels(reason))
            .inc();
    }

    /// Counts a `--state` reload.
    pub fn state_reloaded(&self, success: bool) {
        let status = if success { "success" } else { "failure" };
        self.state_reloads
            .get_or_create(&StatusLabels {
                status: status.to_owned(),
            })
            .inc();
    }

    /// The whole registry in Prometheus text format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // INVARIANT: writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

fn reason_labels(reason: &str) -> ReasonLabels {
    ReasonLabels {
        reason: reason.to_owned(),
    }
}

/// A gauge read at scrape time: the seconds since [`SecondsSince::touch`] was last called (or
/// since it was created). Storing a timestamp keeps the write path a single atomic store.
#[derive(Clone, Debug)]
pub struct SecondsSince {
    /// Milliseconds since the Unix epoch.
    last: Arc<AtomicU64>,
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or_default()
}

impl Default for SecondsSince {
    fn default() -> Self {
        SecondsSince {
            last: Arc::new(AtomicU64::new(now_millis())),
        }
    }
}

impl SecondsSince {
    /// Restarts the count from now.
    pub fn touch(&self) {
        self.last.store(now_millis(), Ordering::Relaxed);
    }

    /// Seconds elapsed since the last touch.
    pub fn seconds(&self) -> f64 {
        let elapsed = now_millis().saturating_sub(self.last.load(Ordering::Relaxed));
        elapsed as f64 / 1000.0
    }
}

impl TypedMetric for SecondsSince {
    const TYPE: MetricType = MetricType::Gauge;
}

impl EncodeMetric for SecondsSince {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        encoder.encode_gauge(&self.seconds())
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}

/// Shared handle.
pub type SharedMetrics = Arc<Metrics>;
