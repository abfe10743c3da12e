//! The webhook authorizer: one SubjectAccessReview POST to a downstream webhook, built and read
//! exactly as kube-apiserver's webhook client does. Retries, the timeout, matchConditions, the
//! cache and the failure policy come from the step wrapper ([`crate::authz::guard`]).

mod client;
mod conditions;
mod tls;

pub use client::{InClusterPaths, WebhookCall, WebhookError};
pub use conditions::{CelConditions, conditions};
pub use tls::client_tls_config;
