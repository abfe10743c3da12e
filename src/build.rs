//! Building a chain from a validated configuration: the one place that matches on authorizer
//! types. Unknown or unavailable types are refused here, when the chain is built, never when a
//! request arrives.

use std::sync::Arc;

use thiserror::Error;

use crate::authorizers::node::{FeatureGates, NodeAuthorizer};
use crate::authorizers::rbac::RbacAuthorizer;
use crate::authorizers::webhook::{InClusterPaths, WebhookCall, WebhookError};
use crate::authz::guard::{Backoff, Guard, GuardConfig, MatchConditions};
use crate::authz::{
    AlwaysAllow, AlwaysDeny, Authorize, Chain, Decision, Instrumented, Link, StandIn,
    StandInAnswer, Superuser,
};
use crate::config::{AuthorizerSpec, FailurePolicy, LoadedConfig, WebhookConnection, WebhookSpec};
use crate::metrics::Metrics;
use crate::review::spec_key;
pub use crate::state::{Sources, StateLoadError};

/// The name of the privileged-group step in logs and metrics.
pub const SUPERUSER_LINK: &str = "superuser";

/// The group kube-apiserver always allows.
pub const DEFAULT_SUPERUSER_GROUP: &str = "system:masters";

/// Chain-wide options that are not part of `AuthorizationConfiguration`.
#[derive(Clone, Debug)]
pub struct ChainOptions {
    /// Members of this group are allowed before any configured authorizer runs; `None` removes
    /// the step.
    pub superuser_group: Option<String>,
    /// Where metrics are recorded.
    pub metrics: Arc<Metrics>,
    /// Webhook retries (kube-apiserver's default unless a test shortens it).
    pub backoff: Backoff,
    /// Where `InClusterConfig` webhooks find their credentials; `None` reads the pod environment.
    pub in_cluster: Option<InClusterPaths>,
    /// The feature gates (`--feature-gates`) the Node authorizer's branches follow.
    pub feature_gates: FeatureGates,
    /// Whether webhook steps call their webhook (always, except in `replay --webhooks`).
    pub webhooks: WebhookMode,
}

/// How `type: Webhook` steps are built. This is the only switch replay needs in the chain: every
/// other step is the same as in `serve`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WebhookMode {
    /// Call the webhook through its guard (matchConditions, cache, retries, failure policy).
    #[default]
    Call,
    /// Replace each webhook by a [`StandIn`]: its matchConditions still run, but where the
    /// webhook would be called the step answers this instead, and the chain reports it in
    /// `ChainVerdict::stand_in`. No connection is set up.
    StandIn(StandInAnswer),
}

impl Default for ChainOptions {
    fn default() -> Self {
        ChainOptions {
            superuser_group: Some(DEFAULT_SUPERUSER_GROUP.to_owned()),
            metrics: Arc::new(Metrics::new()),
            backoff: Backoff::default(),
            in_cluster: None,
            feature_gates: FeatureGates::default(),
            webhooks: WebhookMode::Call,
        }
    }
}

/// Why a chain could not be built.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The configuration names an authorizer this build cannot run yet.
    #[error(
        "authorizers[{index}]: type {kind} (name {name:?}) is not available in this version of authz-chain"
    )]
    Unavailable {
        /// Position in the chain.
        index: usize,
        /// The type.
        kind: &'static str,
        /// The name.
        name: String,
    },
    /// A webhook client could not be set up.
    #[error("authorizers[{index}] (webhook {name:?}): {source}")]
    Webhook {
        /// Position in the chain.
        index: usize,
        /// The webhook's name.
        name: String,
        /// What went wrong.
        source: WebhookError,
    },
}

/// Turns `config` into a chain over `sources`.
pub fn build_chain(
    config: &LoadedConfig,
    sources: &Sources,
    options: &ChainOptions,
) -> Result<Chain, BuildError> {
    let mut links = Vec::with_capacity(config.chain.authorizers.len() + 1);
    if let Some(group) = &options.superuser_group {
        links.push(Link {
            name: SUPERUSER_LINK.into(),
            kind: "SuperUser",
            authorizer: Arc::new(Superuser::new(group.clone())),
        });
    }
    let mut connections = config.connections.iter();
    for (index, spec) in config.chain.authorizers.iter().enumerate() {
        let authorizer: Arc<dyn Authorize> = match spec {
            AuthorizerSpec::Rbac => Arc::new(RbacAuthorizer::new(sources.rbac.clone())),
            AuthorizerSpec::AlwaysAllow => Arc::new(AlwaysAllow),
            AuthorizerSpec::AlwaysDeny => Arc::new(AlwaysDeny),
            AuthorizerSpec::Webhook(webhook) => {
                let connection = connections.next().cloned().flatten();
                build_webhook(webhook, connection.as_deref(), options).map_err(|source| {
                    BuildError::Webhook {
                        index,
                        name: webhook.name.clone(),
                        source,
                    }
                })?
            }
            AuthorizerSpec::Node => Arc::new(NodeAuthorizer::new(
                sources.node.clone(),
                options.feature_gates,
            )),
        };
        links.push(Link {
            name: spec.name().into(),
            kind: spec.kind(),
            authorizer: Arc::new(Instrumented::new(
                authorizer,
                spec.kind(),
                spec.name(),
                &options.metrics,
            )),
        });
    }
    Ok(Chain::new(links))
}

/// A webhook step: the client, guarded by matchConditions, cache, retries, timeout and the
/// failure policy; or, with [`WebhookMode::StandIn`], a stand-in behind the same matchConditions.
fn build_webhook(
    spec: &WebhookSpec,
    connection: Option<&WebhookConnection>,
    options: &ChainOptions,
) -> Result<Arc<dyn Authorize>, WebhookError> {
    let conditions: Option<Arc<dyn MatchConditions>> =
        crate::authorizers::webhook::conditions(&spec.match_conditions);
    let failure_policy = match spec.failure_policy {
        FailurePolicy::NoOpinion => Decision::NoOpinion,
        FailurePolicy::Deny => Decision::Deny,
    };
    if let WebhookMode::StandIn(answer) = options.webhooks {
        return Ok(Arc::new(StandIn::new(
            answer,
            failure_policy,
            conditions,
            &options.metrics,
            &spec.name,
        )));
    }
    let version = spec.sar_version;
    let timeout = spec.timeout.to_std();
    let call = match connection {
        Some(connection) => WebhookCall::new(connection, version, timeout)?,
        None => {
            let paths = match &options.in_cluster {
                Some(paths) => paths.clone(),
                None => InClusterPaths::from_env()?,
            };
            WebhookCall::new(&paths.connection(version)?, version, timeout)?
        }
    };
    let config = GuardConfig {
        name: spec.name.clone(),
        kind: "Webhook",
        failure_policy,
        authorized_ttl: spec.authorized_ttl.map(|d| d.to_std()),
        unauthorized_ttl: spec.unauthorized_ttl.map(|d| d.to_std()),
        timeout,
        backoff: options.backoff,
        cache_key: spec_key,
    };
    Ok(Arc::new(Guard::new(
        config,
        call,
        conditions,
        &options.metrics,
    )))
}
