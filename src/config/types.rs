//! `AuthorizationConfiguration` (`apiserver.config.k8s.io` v1alpha1, v1beta1, v1): the three
//! versions are field-identical, so one set of strict serde types decodes them all.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::go::Duration;

/// The API versions of `AuthorizationConfiguration` that are understood.
pub const API_VERSIONS: [&str; 3] = [
    "apiserver.config.k8s.io/v1alpha1",
    "apiserver.config.k8s.io/v1beta1",
    "apiserver.config.k8s.io/v1",
];

/// The whole configuration file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AuthorizationConfiguration {
    /// `apiserver.config.k8s.io/v1` (or v1beta1, v1alpha1).
    #[serde(default)]
    pub api_version: Option<String>,
    /// `AuthorizationConfiguration`.
    #[serde(default)]
    pub kind: Option<String>,
    /// The chain, in order.
    #[serde(default)]
    pub authorizers: Option<Vec<AuthorizerConfiguration>>,
}

/// One entry of the chain.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AuthorizerConfiguration {
    /// `Node`, `RBAC`, `Webhook`, `AlwaysAllow`, `AlwaysDeny` (or `ABAC`, which is refused).
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Unique name; non-webhook entries must use the lower-cased type.
    #[serde(default)]
    pub name: Option<String>,
    /// Required for `Webhook`, forbidden otherwise.
    #[serde(default)]
    pub webhook: Option<WebhookConfiguration>,
}

/// `webhook:` of a `Webhook` entry.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WebhookConfiguration {
    /// How long allowed answers are cached; defaults to 5m.
    #[serde(default, rename = "authorizedTTL", with = "go_duration")]
    pub authorized_ttl: Option<Duration>,
    /// Whether allowed answers are cached; defaults to true.
    #[serde(default)]
    pub cache_authorized_requests: Option<bool>,
    /// How long other answers are cached; defaults to 30s.
    #[serde(default, rename = "unauthorizedTTL", with = "go_duration")]
    pub unauthorized_ttl: Option<Duration>,
    /// Whether other answers are cached; defaults to true.
    #[serde(default)]
    pub cache_unauthorized_requests: Option<bool>,
    /// The limit of one call attempt; required, at most 30s.
    #[serde(default, with = "go_duration")]
    pub timeout: Option<Duration>,
    /// `v1` or `v1beta1`.
    #[serde(default)]
    pub subject_access_review_version: Option<String>,
    /// `v1`; required when matchConditions are given.
    #[serde(default)]
    pub match_condition_subject_access_review_version: Option<String>,
    /// `NoOpinion` or `Deny`.
    #[serde(default)]
    pub failure_policy: Option<String>,
    /// Where the webhook is.
    #[serde(default)]
    pub connection_info: WebhookConnectionInfo,
    /// CEL expressions that must all be true for the webhook to be called.
    #[serde(default)]
    pub match_conditions: Option<Vec<WebhookMatchCondition>>,
}

/// `connectionInfo:`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WebhookConnectionInfo {
    /// `KubeConfigFile` or `InClusterConfig`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Absolute path of the kubeconfig, for `KubeConfigFile`.
    #[serde(default)]
    pub kube_config_file: Option<String>,
}

/// One `matchConditions` entry.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookMatchCondition {
    /// The CEL expression.
    #[serde(default)]
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

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Duration>, D::Error> {
        match Option::<String>::deserialize(deserializer)? {
            None => Ok(None),
            Some(text) => Duration::parse(&text)
                .map(Some)
                .map_err(serde::de::Error::custom),
        }
    }
}
