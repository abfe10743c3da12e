//! Explanations: what each step of a chain found for one request, and why it answered as it did.
//!
//! Every authorizer can explain a request ([`Authorize::explain`](super::Authorize::explain)):
//! it answers exactly as it would decide, and adds a [`Detail`] saying why. Explaining has no
//! side effects on what serving depends on: no cache is filled or touched, no metric of a
//! decision is counted, and no downstream webhook is called unless [`ExplainOptions::webhooks`]
//! says [`WebhookChoice::Call`].
//!
//! The types serialize to the stable JSON that `authz-chain explain -o json` and `POST /explain`
//! print (field names in camelCase; optional fields are left out when absent).

use std::future::Future;
use std::pin::Pin;

use serde::Serialize;

use super::{StandInAnswer, Verdict};
use crate::api::rbac::PolicyRule;

/// What to do where a webhook would be called (its matchConditions and cache are always looked
/// at first).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WebhookChoice {
    /// Call the downstream (`--webhooks call`): attempts, retries and the failure policy apply,
    /// and the answer is not cached.
    Call,
    /// Do not call; answer as replay's stand-in does (`skip`, `allow`, `deny`, `no-opinion`).
    StandIn(StandInAnswer),
}

/// How a chain is explained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExplainOptions {
    /// What webhook steps do on a cache miss.
    pub webhooks: WebhookChoice,
}

impl Default for ExplainOptions {
    /// Webhooks are never called.
    fn default() -> Self {
        ExplainOptions {
            webhooks: WebhookChoice::StandIn(StandInAnswer::Skip),
        }
    }
}

/// The future of one step's explanation.
pub type ExplainFuture<'a> = Pin<Box<dyn Future<Output = Explained> + Send + 'a>>;

/// One step's answer and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Explained {
    /// The answer, as the step would decide (or as its stand-in answers).
    pub verdict: Verdict,
    /// Why.
    pub detail: Detail,
}

impl Explained {
    /// An answer without detail.
    pub fn plain(verdict: Verdict) -> Self {
        Explained {
            verdict,
            detail: Detail::Plain,
        }
    }
}

/// What one kind of step found.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Detail {
    /// Nothing to add (AlwaysAllow, AlwaysDeny).
    Plain,
    /// The privileged-group step.
    #[serde(rename_all = "camelCase")]
    Superuser {
        /// The privileged group.
        group: String,
        /// Whether the user is in it.
        member: bool,
    },
    /// The RBAC step.
    Rbac(RbacDetail),
    /// The Node step.
    Node(NodeDetail),
    /// A webhook step.
    Webhook(WebhookDetail),
}

/// Which binding, role and rule RBAC used, or why none applied.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RbacDetail {
    /// The grant that allowed the request (the first, in RBAC's order).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_by: Option<RbacGrant>,
    /// When nothing allowed: every binding whose subjects include the user, one of its groups
    /// or its service account, in RBAC's order (ClusterRoleBindings, then the request's
    /// namespace, then the other namespaces by name).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bindings: Vec<BindingCheck>,
}

/// A binding as the explanation names it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BindingRef {
    /// `RoleBinding` or `ClusterRoleBinding`.
    pub kind: &'static str,
    /// Its name.
    pub name: String,
    /// Its namespace (RoleBindings only).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// `Role` or `ClusterRole` (as written in `roleRef`).
    pub role_kind: String,
    /// The role's name.
    pub role: String,
    /// The subject that applies to the user: `User alice`, `Group dev`,
    /// `ServiceAccount ns/name`.
    pub subject: String,
}

/// The grant that allowed a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RbacGrant {
    /// The binding.
    pub binding: BindingRef,
    /// The rule of the role that allowed it.
    pub rule: PolicyRule,
}

/// A binding that applies to the user, and why each of its role's rules did not allow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BindingCheck {
    /// The binding.
    pub binding: BindingRef,
    /// Whether the binding grants where the request asks (a ClusterRoleBinding, or a
    /// RoleBinding of the request's namespace); a rule of a binding that does not ends on
    /// `namespace` if nothing else fails first.
    pub in_scope: bool,
    /// The role could not be found: RBAC's error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_error: Option<String>,
    /// Each rule, with the first attribute it did not match.
    pub rules: Vec<RuleCheck>,
}

/// One rule and the first attribute of the request it did not match.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleCheck {
    /// The rule.
    pub rule: PolicyRule,
    /// The first attribute that did not match; `namespace` when the rule matches but the
    /// binding is in another namespace.
    pub mismatch: Mismatch,
}

/// The attribute of a request a rule did not match, in the order RBAC compares them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Mismatch {
    /// The verb.
    #[serde(rename = "verb")]
    Verb,
    /// The API group.
    #[serde(rename = "apiGroup")]
    ApiGroup,
    /// The resource.
    #[serde(rename = "resource")]
    Resource,
    /// The resource matched, the subresource did not.
    #[serde(rename = "subresource")]
    Subresource,
    /// The object name (`resourceNames`).
    #[serde(rename = "name")]
    Name,
    /// The binding grants in another namespace.
    #[serde(rename = "namespace")]
    Namespace,
    /// The non-resource URL.
    #[serde(rename = "nonResourceURL")]
    NonResourceUrl,
}

impl Mismatch {
    /// The attribute's name, as in the JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Mismatch::Verb => "verb",
            Mismatch::ApiGroup => "apiGroup",
            Mismatch::Resource => "resource",
            Mismatch::Subresource => "subresource",
            Mismatch::Name => "name",
            Mismatch::Namespace => "namespace",
            Mismatch::NonResourceUrl => "nonResourceURL",
        }
    }
}

/// What the Node authorizer looked at.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeDetail {
    /// The node the user is (`system:node:<name>` in `system:nodes`); absent for other users.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// Which part of the authorizer decided: `graph` (a path from the node to the object),
    /// `static rules`, or the object's own handler (`lease`, `csinode`, `node`, `pods`,
    /// `serviceaccount token`, `resourceslices`, `podcertificaterequests`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub handler: String,
    /// The object asked for, as `kind/namespace/name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// The path that allowed it, from the node to the object (`node/n1`, `pod/ns/p`,
    /// `secret/ns/s`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub path: Vec<String>,
    /// Why there is no path: `no such object`, `not bound to this node`, `unknown node`, or the
    /// refusal of a check before the graph (a verb or subresource not allowed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// When the object is in the graph but not reachable from this node: the nodes it reaches
    /// (at most 20).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reachable_from: Vec<String>,
}

/// What a webhook step did.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDetail {
    /// Each matchCondition in order, until the first false.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<ConditionCheck>,
    /// The cache lookup; absent when the step has no cache.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache: Option<CacheCheck>,
    /// Whether the downstream was called.
    pub called: bool,
    /// Where the webhook would have been called but was not: what stood in for it (`skip`,
    /// `allow`, `deny`, `no-opinion`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stand_in: Option<&'static str>,
    /// The attempts, when called.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attempts: Vec<Attempt>,
    /// `NoOpinion` or `Deny`.
    pub failure_policy: &'static str,
    /// Whether the failure policy gave the answer (a condition error or a failed call).
    pub failure_policy_applied: bool,
}

/// One matchCondition's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConditionCheck {
    /// The CEL expression.
    pub expression: String,
    /// `true`, `false` or `error`.
    pub result: &'static str,
    /// The evaluation error, as kube-apiserver words it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The decision cache lookup.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CacheCheck {
    /// Whether a live answer was found.
    pub hit: bool,
    /// How long ago it was stored, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age_seconds: Option<f64>,
    /// Set when the request is too large to be cached at all.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub uncacheable: bool,
}

/// One call attempt.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    /// `success`, `error` or `timeout`.
    pub result: &'static str,
    /// The error, for a failed attempt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// How long it took, in milliseconds.
    pub millis: f64,
}
