//! `access-matrix`: for one user, every resource and every standard verb, allowed or not,
//! through the whole chain (as rakkess shows it, but for any chain and any state).
//!
//! The resources are Kubernetes 1.36's built-in discovery list plus every resource the state's
//! RBAC rules name (custom resources included). Cluster-scoped resources are asked without a
//! namespace; namespaced ones in `-n NS`, or cluster-wide without it (as a SubjectAccessReview
//! without a namespace asks).
//!
//! JSON: `{"user": ..., "groups": [...], "namespace": ..., "verbs": [...], "resources":
//! [{"resource": "pods", "group": "", "namespaced": true, "access": {"get": "Allow", "list":
//! "NoOpinion", ...}}]}`; an access value is the chain's decision (`Allow`, `Deny`, `NoOpinion`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::authz::{Attributes, Chain, Request, ResourceAttributes, UserInfo};

/// The verbs asked, in column order.
pub const VERBS: [&str; 8] = [
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
];

/// A resource of the discovery list.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceInfo {
    /// The API group (`""` is core).
    pub group: String,
    /// The resource (plural).
    pub resource: String,
    /// Whether it lives in a namespace.
    pub namespaced: bool,
}

/// Kubernetes 1.36's built-in resources (group, resource, namespaced), as discovery lists them
/// with the default feature gates; subresources are not in the matrix.
pub const BUILT_IN: &[(&str, &str, bool)] = &[
    ("", "bindings", true),
    ("", "componentstatuses", false),
    ("", "configmaps", true),
    ("", "endpoints", true),
    ("", "events", true),
    ("", "limitranges", true),
    ("", "namespaces", false),
    ("", "nodes", false),
    ("", "persistentvolumeclaims", true),
    ("", "persistentvolumes", false),
    ("", "pods", true),
    ("", "podtemplates", true),
    ("", "replicationcontrollers", true),
    ("", "resourcequotas", true),
    ("", "secrets", true),
    ("", "serviceaccounts", true),
    ("", "services", true),
    (
        "admissionregistration.k8s.io",
        "mutatingwebhookconfigurations",
        false,
    ),
    (
        "admissionregistration.k8s.io",
        "validatingadmissionpolicies",
        false,
    ),
    (
        "admissionregistration.k8s.io",
        "validatingadmissionpolicybindings",
        false,
    ),
    (
        "admissionregistration.k8s.io",
        "validatingwebhookconfigurations",
        false,
    ),
    ("apiextensions.k8s.io", "customresourcedefinitions", false),
    ("apiregistration.k8s.io", "apiservices", false),
    ("apps", "controllerrevisions", true),
    ("apps", "daemonsets", true),
    ("apps", "deployments", true),
    ("apps", "replicasets", true),
    ("apps", "statefulsets", true),
    ("authentication.k8s.io", "selfsubjectreviews", false),
    ("authentication.k8s.io", "tokenreviews", false),
    ("authorization.k8s.io", "localsubjectaccessreviews", true),
    ("authorization.k8s.io", "selfsubjectaccessreviews", false),
    ("authorization.k8s.io", "selfsubjectrulesreviews", false),
    ("authorization.k8s.io", "subjectaccessreviews", false),
    ("autoscaling", "horizontalpodautoscalers", true),
    ("batch", "cronjobs", true),
    ("batch", "jobs", true),
    ("certificates.k8s.io", "certificatesigningrequests", false),
    ("coordination.k8s.io", "leases", true),
    ("discovery.k8s.io", "endpointslices", true),
    ("events.k8s.io", "events", true),
    ("flowcontrol.apiserver.k8s.io", "flowschemas", false),
    (
        "flowcontrol.apiserver.k8s.io",
        "prioritylevelconfigurations",
        false,
    ),
    ("networking.k8s.io", "ingressclasses", false),
    ("networking.k8s.io", "ingresses", true),
    ("networking.k8s.io", "ipaddresses", false),
    ("networking.k8s.io", "networkpolicies", true),
    ("networking.k8s.io", "servicecidrs", false),
    ("node.k8s.io", "runtimeclasses", false),
    ("policy", "poddisruptionbudgets", true),
    ("rbac.authorization.k8s.io", "clusterrolebindings", false),
    ("rbac.authorization.k8s.io", "clusterroles", false),
    ("rbac.authorization.k8s.io", "rolebindings", true),
    ("rbac.authorization.k8s.io", "roles", true),
    ("resource.k8s.io", "deviceclasses", false),
    ("resource.k8s.io", "resourceclaims", true),
    ("resource.k8s.io", "resourceclaimtemplates", true),
    ("resource.k8s.io", "resourceslices", false),
    ("scheduling.k8s.io", "priorityclasses", false),
    ("storage.k8s.io", "csidrivers", false),
    ("storage.k8s.io", "csinodes", false),
    ("storage.k8s.io", "csistoragecapacities", true),
    ("storage.k8s.io", "storageclasses", false),
    ("storage.k8s.io", "volumeattachments", false),
    ("storage.k8s.io", "volumeattributesclasses", false),
];

/// The built-in list plus the `extra` (group, resource) pairs of groups that are not built in
/// (custom resources; a rule naming an unknown resource of a built-in group names nothing
/// discovery would list), taken as namespaced; sorted by group, then resource.
pub fn resources(extra: impl IntoIterator<Item = (String, String)>) -> Vec<ResourceInfo> {
    let mut all: BTreeMap<(String, String), bool> = BUILT_IN
        .iter()
        .map(|(g, r, n)| (((*g).to_owned(), (*r).to_owned()), *n))
        .collect();
    for (group, resource) in extra {
        if !BUILT_IN.iter().any(|(g, _, _)| *g == group) {
            all.entry((group, resource)).or_insert(true);
        }
    }
    all.into_iter()
        .map(|((group, resource), namespaced)| ResourceInfo {
            group,
            resource,
            namespaced,
        })
        .collect()
}

/// One row of the matrix.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    /// The resource.
    #[serde(flatten)]
    pub resource: ResourceInfo,
    /// The chain's decision for each verb.
    pub access: BTreeMap<&'static str, &'static str>,
}

/// The whole matrix.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Matrix {
    /// The user asked about.
    pub user: String,
    /// Its groups.
    pub groups: Vec<String>,
    /// The namespace, or empty for cluster-wide questions.
    pub namespace: String,
    /// The verbs, in column order.
    pub verbs: Vec<&'static str>,
    /// One row per resource.
    pub resources: Vec<Row>,
}

/// The request for one cell.
pub fn cell_request(
    user: &UserInfo,
    resource: &ResourceInfo,
    verb: &str,
    namespace: &str,
) -> Request {
    Request {
        user: user.clone(),
        attributes: Attributes::Resource(ResourceAttributes {
            namespace: if resource.namespaced {
                namespace.to_owned()
            } else {
                String::new()
            },
            verb: verb.to_owned(),
            group: resource.group.clone(),
            version: "*".to_owned(),
            resource: resource.resource.clone(),
            ..ResourceAttributes::default()
        }),
    }
}

/// Asks `chain` every cell.
pub async fn build(
    chain: &Chain,
    user: &UserInfo,
    namespace: &str,
    resources: Vec<ResourceInfo>,
) -> Matrix {
    let mut rows = Vec::with_capacity(resources.len());
    for resource in resources {
        let mut access = BTreeMap::new();
        for verb in VERBS {
            let request = cell_request(user, &resource, verb, namespace);
            let decision = chain.evaluate(&request).await.verdict.decision;
            access.insert(verb, decision.as_str());
        }
        rows.push(Row { resource, access });
    }
    Matrix {
        user: user.name.clone(),
        groups: user.groups.clone(),
        namespace: namespace.to_owned(),
        verbs: VERBS.to_vec(),
        resources: rows,
    }
}

/// The matrix as a table: `✔` allowed, `✖` denied, `·` no opinion (refused too).
pub fn to_text(matrix: &Matrix) -> String {
    let names: Vec<String> = matrix
        .resources
        .iter()
        .map(|row| {
            if row.resource.group.is_empty() {
                row.resource.resource.clone()
            } else {
                format!("{}.{}", row.resource.resource, row.resource.group)
            }
        })
        .collect();
    let width = names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let mut out = String::new();
    let scope = if matrix.namespace.is_empty() {
        "cluster-wide".to_owned()
    } else {
        format!(
            "namespace {:?} (cluster-scoped resources cluster-wide)",
            matrix.namespace
        )
    };
    let _ = writeln!(out, "access of {:?} {}", matrix.user, scope);
    let _ = write!(out, "{:width$}", "NAME");
    for verb in &matrix.verbs {
        let _ = write!(out, "  {}", verb.to_uppercase());
    }
    out.push('\n');
    for (row, name) in matrix.resources.iter().zip(&names) {
        let _ = write!(out, "{name:width$}");
        for verb in &matrix.verbs {
            let mark = match row.access.get(verb).copied() {
                Some("Allow") => "✔",
                Some("Deny") => "✖",
                _ => "·",
            };
            let pad = verb.len().saturating_sub(1);
            let _ = write!(out, "  {mark}{:pad$}", "");
        }
        let trimmed = out.trim_end_matches(' ').len();
        out.truncate(trimmed);
        out.push('\n');
    }
    out.push_str("✔ allowed  ✖ denied  · not allowed (no authorizer allowed)\n");
    out
}
