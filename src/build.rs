//! Building a chain from a validated configuration: the one place that matches on authorizer
//! types. Unknown or unavailable types are refused here, when the chain is built, never when a
//! request arrives.

use std::sync::Arc;

use arc_swap::ArcSwap;
use thiserror::Error;

use crate::authorizers::rbac::{RbacAuthorizer, RbacIndex};
use crate::authz::{AlwaysAllow, AlwaysDeny, Chain, Link, Superuser};
use crate::config::{AuthorizerSpec, LoadedConfig};

/// The name of the privileged-group step in logs and metrics.
pub const SUPERUSER_LINK: &str = "superuser";

/// The group kube-apiserver always allows.
pub const DEFAULT_SUPERUSER_GROUP: &str = "system:masters";

/// The state stores authorizers read from.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// The RBAC snapshot, kept current by the state source.
    pub rbac: Arc<ArcSwap<RbacIndex>>,
}

/// Chain-wide options that are not part of `AuthorizationConfiguration`.
#[derive(Clone, Debug)]
pub struct ChainOptions {
    /// Members of this group are allowed before any configured authorizer runs; `None` removes
    /// the step.
    pub superuser_group: Option<String>,
}

impl Default for ChainOptions {
    fn default() -> Self {
        ChainOptions {
            superuser_group: Some(DEFAULT_SUPERUSER_GROUP.to_owned()),
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
    for (index, spec) in config.chain.authorizers.iter().enumerate() {
        let authorizer: Arc<dyn crate::authz::Authorize> = match spec {
            AuthorizerSpec::Rbac => Arc::new(RbacAuthorizer::new(sources.rbac.clone())),
            AuthorizerSpec::AlwaysAllow => Arc::new(AlwaysAllow),
            AuthorizerSpec::AlwaysDeny => Arc::new(AlwaysDeny),
            AuthorizerSpec::Node | AuthorizerSpec::Webhook(_) => {
                return Err(BuildError::Unavailable {
                    index,
                    kind: spec.kind(),
                    name: spec.name().to_owned(),
                });
            }
        };
        links.push(Link {
            name: spec.name().into(),
            kind: spec.kind(),
            authorizer,
        });
    }
    Ok(Chain::new(links))
}
