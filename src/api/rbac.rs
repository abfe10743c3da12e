//! `rbac.authorization.k8s.io/v1` objects, read as stored: every field may be missing or null,
//! because objects written straight to storage skip API validation.

use serde::{Deserialize, Serialize};

use super::de::null_as_default;
use super::meta::{LabelSelector, ObjectMeta};

/// `PolicyRule`: what a role grants.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyRule {
    /// Verbs, or `*`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub verbs: Vec<String>,
    /// API groups (`""` is core), or `*`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub api_groups: Vec<String>,
    /// Resources, `resource/subresource`, `*/subresource` or `*`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub resources: Vec<String>,
    /// Object names; empty means any.
    #[serde(default, deserialize_with = "null_as_default")]
    pub resource_names: Vec<String>,
    /// Non-resource URL paths; a trailing `*` is a prefix match.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        rename = "nonResourceURLs"
    )]
    pub non_resource_urls: Vec<String>,
}

/// `Role` (namespaced) or `ClusterRole`: a list of rules.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Role {
    /// Name and namespace.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The rules granted.
    #[serde(default, deserialize_with = "null_as_default")]
    pub rules: Vec<PolicyRule>,
    /// ClusterRoles only: when set, `rules` is computed from the ClusterRoles these select.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregation_rule: Option<AggregationRule>,
}

/// `AggregationRule`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AggregationRule {
    /// Selectors of the ClusterRoles whose rules are aggregated, in order.
    #[serde(default, deserialize_with = "null_as_default")]
    pub cluster_role_selectors: Vec<LabelSelector>,
}

/// `RoleBinding` or `ClusterRoleBinding`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Binding {
    /// Name and namespace.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Who is bound, in declared order.
    #[serde(default, deserialize_with = "null_as_default")]
    pub subjects: Vec<Subject>,
    /// The role granted.
    #[serde(default)]
    pub role_ref: RoleRef,
}

/// `Subject`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subject {
    /// `User`, `Group` or `ServiceAccount` (case-sensitive).
    #[serde(default, deserialize_with = "null_as_default")]
    pub kind: String,
    /// Ignored by the authorizer.
    #[serde(default, deserialize_with = "null_as_default")]
    pub api_group: String,
    /// User, group or service account name.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// Service accounts only; defaults to the binding's namespace.
    #[serde(default, deserialize_with = "null_as_default")]
    pub namespace: String,
}

/// `RoleRef`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleRef {
    /// Not checked by the authorizer.
    #[serde(default, deserialize_with = "null_as_default")]
    pub api_group: String,
    /// `Role` or `ClusterRole`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub kind: String,
    /// The role's name.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
}
