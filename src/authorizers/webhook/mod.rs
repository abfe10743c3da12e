//! The webhook authorizer: one SubjectAccessReview POST to a downstream webhook, built and read
//! exactly as kube-apiserver's webhook client does. Retries, the timeout, matchConditions, the
//! cache and the failure policy come from the step wrapper ([`crate::authz::guard`]).

mod client;
mod tls;

pub use client::{InClusterPaths, WebhookCall, WebhookError};
pub use tls::client_tls_config;

use std::sync::Arc;

use crate::authz::guard::MatchConditions;
use crate::cel::CompiledCondition;

/// The matchConditions of a webhook as the guard evaluates them; `None` when there are none.
pub fn conditions(compiled: &[Arc<CompiledCondition>]) -> Option<Arc<dyn MatchConditions>> {
    if compiled.is_empty() {
        return None;
    }
    // Evaluation lands with the CEL evaluator; until then every condition is treated as true.
    None
}
