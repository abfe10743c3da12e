//! `AuthorizationConfiguration` (`apiserver.config.k8s.io` v1alpha1, v1beta1, v1): the three
//! versions are field-identical, so one set of types holds them all. They are filled by
//! the `decode` module, which follows Go's decoding rules (a serde derive would accept a quoted
//! `'false'` or a number where Go refuses them); serde serializes them.

use serde::{Serialize, Serializer};

use crate::go::Duration;

/// The API versions of `AuthorizationConfiguration` that are understood.
pub const API_VERSIONS: [&str; 3] = [
    "apiserver.config.k8s.io/v1alpha1",
    "apiserver.config.k8s.io/v1beta1",
    "apiserver.config.k8s.io/v1",
];

/// The whole configuration file.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizationConfiguration {
    /// `apiserver.config.k8s.io/v1` (or v1beta1, v1alpha1).
    pub api_version: Option<String>,
    /// `AuthorizationConfiguration`.
    pub kind: Option<String>,
    /// The chain, in order.
    pub authorizers: Option<Vec<AuthorizerConfiguration>>,
}

/// One entry of the chain.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizerConfiguration {
    /// `Node`, `RBAC`, `Webhook`, `AlwaysAllow`, `AlwaysDeny` (or `ABAC`, which is refused).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Unique name; non-webhook entries must use the lower-cased type.
    pub name: Option<String>,
    /// Required for `Webhook`, forbidden otherwise.
    pub webhook: Option<WebhookConfiguration>,
}

/// `webhook:` of a `Webhook` entry.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookConfiguration {
    /// How long allowed answers are cached; defaults to 5m.
    #[serde(rename = "authorizedTTL", with = "go_duration")]
    pub authorized_ttl: Option<Duration>,
    /// Whether allowed answers are cached; defaults to true.
    pub cache_authorized_requests: Option<bool>,
    /// How long other answers are cached; defaults to 30s.
    #[serde(rename = "unauthorizedTTL", with = "go_duration")]
    pub unauthorized_ttl: Option<Duration>,
    /// Whether other answers are cached; defaults to true.
    pub cache_unauthorized_requests: Option<bool>,
    /// The limit of one call attempt; required, at most 30s.
    #[serde(with = "go_duration")]
    pub timeout: Option<Duration>,
    /// `v1` or `v1beta1`.
    pub subject_access_review_version: Option<String>,
    /// `v1`; required when matchConditions are given.
    pub match_condition_subject_access_review_version: Option<String>,
    /// `NoOpinion` or `Deny`.
    pub failure_policy: Option<String>,
    /// Where the webhook is.
    pub connection_info: WebhookConnectionInfo,
    /// CEL expressions that must all be true for the webhook to be called.
    pub match_conditions: Option<Vec<WebhookMatchCondition>>,
}

/// `connectionInfo:`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookConnectionInfo {
    /// `KubeConfigFile` or `InClusterConfig`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Absolute path of the kubeconfig, for `KubeConfigFile`.
    pub kube_config_file: Option<String>,
}

/// One `matchConditions` entry.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct WebhookMatchCondition {
    /// The CEL expression.
    pub expression: String,
}

/// `metav1.Duration` in Go syntax, as a string.
mod go_duration {
    use super::*;

    pub fn serialize<S: Serializer>(
        value: &Option<Duration>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(d) => serializer.serialize_str(&d.to_string()),
            None => serializer.serialize_none(),
        }
    }
}
