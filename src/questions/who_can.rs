//! `who-can`: everyone the configured chain lets make one request, in sections: the superuser
//! group, every User, Group and ServiceAccount RBAC allows with the bindings and rules that grant
//! it, and the node identities the Node authorizer allows.
//!
//! The RBAC section is [`RbacIndex::who_can`] over the snapshot the RBAC step decides with, and
//! agrees with it exactly: for any user with any groups, RBAC allows the request if and only if
//! [`Answer::subjects`] lists the user's name as a `User`, one of its groups as a `Group`, or,
//! for a user `system:serviceaccount:<namespace>:<name>`, that `ServiceAccount`. The node section
//! asks the Node authorizer itself, once per node identity that can decide differently (see
//! [`Authorities::nodes`]). A section appears only when its authorizer is in the chain; the other
//! steps (webhooks, `AlwaysAllow`, `AlwaysDeny`) are named in [`Answer::not_analyzed`], since they
//! may allow or deny too.
//!
//! The JSON form of one answer (`-o json`, and each line of `--requests`):
//!
//! ```json
//! {"request": {"resourceAttributes": {"namespace": "team-a", "verb": "get", "resource": "pods"}},
//!  "subjects": [
//!   {"kind": "Group", "name": "system:masters",
//!    "grants": [{"binding": "cluster-admin", "bindingNamespace": "",
//!                "bindingKind": "ClusterRoleBinding", "role": "cluster-admin",
//!                "roleKind": "ClusterRole",
//!                "rule": {"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]},
//!                "wildcard": ["verbs", "apiGroups", "resources"]}]},
//!   {"kind": "ServiceAccount", "name": "builder", "namespace": "team-a",
//!    "grants": [{"binding": "team-a-viewers", "bindingNamespace": "team-a",
//!                "bindingKind": "RoleBinding", "role": "team-viewer", "roleKind": "ClusterRole",
//!                "rule": {"verbs": ["get", "list", "watch"], "apiGroups": [""],
//!                         "resources": ["pods", "pods/log"]}}]}],
//!  "superuserGroup": "system:masters",
//!  "nodes": {"everyNode": false, "names": []},
//!  "missingRoles": [{"binding": "secret-readers", "bindingNamespace": "team-a",
//!                    "bindingKind": "RoleBinding", "role": "secret-reader", "roleKind": "Role",
//!                    "error": "role.rbac.authorization.k8s.io \"secret-reader\" not found",
//!                    "subjects": [{"kind": "User", "name": "bob"}]}]}
//! ```
//!
//! (`nodes` appears with a Node step in the chain, `notAnalyzed` with other steps:
//! `[{"name": "guard.example.com", "type": "Webhook"}]`.)

mod args;
mod err;
mod text;

use std::sync::Arc;

use arc_swap::ArcSwap;
use serde::Serialize;

use crate::api::rbac::{Binding, PolicyRule};
use crate::api::sar;
use crate::authorizers::node::{
    FeatureGates, NODE_USER_PREFIX, NODES_GROUP, NodeAuthorizer, NodeGraphStore,
};
use crate::authorizers::rbac::{Grant, RbacIndex, SubjectRef, WhoCan};
use crate::authz::{Attributes, Decision, Request, UserInfo};
use crate::config::{AuthorizerSpec, LoadedConfig};
use crate::state::Sources;

pub use args::{CanIArgs, parse_args, parse_request_line};
pub use err::QuestionError;
pub use text::render_text;
pub(crate) use text::rule_text;

/// One question: the request attributes, as given and as the authorizers see them.
#[derive(Clone, Debug, PartialEq)]
pub struct Question {
    /// The attributes in a SubjectAccessReview spec's shape, echoed in the answer.
    pub spec: RequestSpec,
    /// The attributes as the authorizers see them. The user is empty: who-can asks about
    /// everyone.
    pub request: Request,
}

/// `resourceAttributes` or `nonResourceAttributes`, as in a SubjectAccessReview spec.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestSpec {
    /// A resource request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_attributes: Option<sar::ResourceAttributes>,
    /// A non-resource request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub non_resource_attributes: Option<sar::NonResourceAttributes>,
}

/// The answer to one question. Sections of authorizers that are not in the chain are absent.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Answer<'a> {
    /// The question's attributes.
    pub request: &'a RequestSpec,
    /// RBAC: every subject allowed, users first, then groups, then service accounts, each by
    /// (namespace, name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subjects: Option<Vec<SubjectEntry<'a>>>,
    /// The group allowed everything before any configured authorizer (`--superuser-group`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub superuser_group: Option<&'a str>,
    /// Node: the node identities allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nodes: Option<NodesEntry>,
    /// RBAC: the bindings in scope that grant nothing because their role is missing, in the
    /// order RBAC visits them (ClusterRoleBindings, then RoleBindings, each by name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing_roles: Option<Vec<MissingRoleEntry<'a>>>,
    /// The chain's other steps, whose decisions this answer does not cover.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_analyzed: Vec<StepEntry<'a>>,
}

/// One subject RBAC allows, with every grant.
#[derive(Clone, Debug, Serialize)]
pub struct SubjectEntry<'a> {
    /// `User`, `Group` or `ServiceAccount`.
    pub kind: &'static str,
    /// The user, group or service account name.
    pub name: &'a str,
    /// The namespace of a service account (absent for users and groups).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<&'a str>,
    /// The bindings that allow it, by (bindingNamespace, binding): ClusterRoleBindings first.
    pub grants: Vec<GrantEntry<'a>>,
}

/// One binding allowing a subject.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantEntry<'a> {
    /// The binding's name.
    pub binding: &'a str,
    /// The binding's namespace; empty for a ClusterRoleBinding.
    pub binding_namespace: &'a str,
    /// `ClusterRoleBinding` or `RoleBinding`.
    pub binding_kind: &'static str,
    /// The role the binding refers to.
    pub role: &'a str,
    /// `ClusterRole` or `Role`.
    pub role_kind: &'a str,
    /// The first rule of the role that allows the request.
    pub rule: RuleEntry<'a>,
    /// The fields of that rule that hold a wildcard for this kind of request (`verbs`,
    /// `apiGroups`, `resources` with `*` or `*/subresource`, `nonResourceURLs` with a trailing
    /// `*`); absent when none does.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub wildcard: Vec<&'static str>,
}

/// A policy rule, with its empty lists left out.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleEntry<'a> {
    /// Verbs.
    #[serde(skip_serializing_if = "is_empty")]
    pub verbs: &'a [String],
    /// API groups.
    #[serde(skip_serializing_if = "is_empty")]
    pub api_groups: &'a [String],
    /// Resources.
    #[serde(skip_serializing_if = "is_empty")]
    pub resources: &'a [String],
    /// Resource names.
    #[serde(skip_serializing_if = "is_empty")]
    pub resource_names: &'a [String],
    /// Non-resource URLs.
    #[serde(skip_serializing_if = "is_empty", rename = "nonResourceURLs")]
    pub non_resource_urls: &'a [String],
}

impl<'a> From<&'a PolicyRule> for RuleEntry<'a> {
    fn from(rule: &'a PolicyRule) -> Self {
        RuleEntry {
            verbs: &rule.verbs,
            api_groups: &rule.api_groups,
            resources: &rule.resources,
            resource_names: &rule.resource_names,
            non_resource_urls: &rule.non_resource_urls,
        }
    }
}

fn is_empty(list: &&[String]) -> bool {
    list.is_empty()
}

/// A binding in scope whose role is missing.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MissingRoleEntry<'a> {
    /// The binding's name.
    pub binding: &'a str,
    /// The binding's namespace; empty for a ClusterRoleBinding.
    pub binding_namespace: &'a str,
    /// `ClusterRoleBinding` or `RoleBinding`.
    pub binding_kind: &'static str,
    /// The role the binding refers to.
    pub role: &'a str,
    /// The role reference's kind.
    pub role_kind: &'a str,
    /// The lookup error, as RBAC's NoOpinion reason quotes it.
    pub error: &'a str,
    /// The subjects the binding would apply to.
    pub subjects: Vec<SubjectName<'a>>,
}

/// A subject without grants.
#[derive(Clone, Debug, Serialize)]
pub struct SubjectName<'a> {
    /// `User`, `Group` or `ServiceAccount`.
    pub kind: &'static str,
    /// The name.
    pub name: &'a str,
    /// The namespace of a service account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<&'a str>,
}

/// The node identities (user `system:node:<name>` in group `system:nodes`) the Node authorizer
/// allows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodesEntry {
    /// Every node identity is allowed, known to the graph or not (the static node rules, or a
    /// check that does not depend on the node); `names` is then empty.
    pub every_node: bool,
    /// Otherwise, the node names allowed, sorted.
    pub names: Vec<String>,
}

/// A step of the chain this answer does not cover.
#[derive(Clone, Debug, Serialize)]
pub struct StepEntry<'a> {
    /// Its name in the configuration.
    pub name: &'a str,
    /// Its type (`Webhook`, `AlwaysAllow`, `AlwaysDeny`).
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// What answers are read from: the stores and authorizers of the configured chain.
#[derive(Debug)]
pub struct Authorities {
    rbac: Option<Arc<ArcSwap<RbacIndex>>>,
    /// The Node authorizer, and the graph it reads (for the node names).
    node: Option<(NodeAuthorizer, Arc<NodeGraphStore>)>,
    superuser_group: Option<String>,
    /// `(name, type)` of the steps not analysed.
    others: Vec<(String, &'static str)>,
}

impl Authorities {
    /// The sections `config`'s chain has, over `sources`: RBAC's index and a Node authorizer
    /// with `gates`, as `build_chain` gives them to the chain; `superuser_group` as
    /// `--superuser-group`.
    pub fn new(
        config: &LoadedConfig,
        sources: &Sources,
        superuser_group: Option<&str>,
        gates: FeatureGates,
    ) -> Self {
        let steps = &config.chain.authorizers;
        let has = |wanted: fn(&AuthorizerSpec) -> bool| steps.iter().any(wanted);
        Authorities {
            rbac: has(|s| matches!(s, AuthorizerSpec::Rbac)).then(|| sources.rbac.clone()),
            node: has(|s| matches!(s, AuthorizerSpec::Node)).then(|| {
                let graph = sources.node.clone();
                (NodeAuthorizer::new(graph.clone(), gates), graph)
            }),
            superuser_group: superuser_group.map(str::to_owned),
            others: steps
                .iter()
                .filter(|s| !matches!(s, AuthorizerSpec::Rbac | AuthorizerSpec::Node))
                .map(|s| (s.name().to_owned(), s.kind()))
                .collect(),
        }
    }

    /// Answers `question` from the current snapshots and hands the answer to `present` (the
    /// answer borrows the RBAC snapshot, which lives only for this call).
    pub fn answer<R>(&self, question: &Question, present: impl FnOnce(&Answer<'_>) -> R) -> R {
        let snapshot = self.rbac.as_ref().map(|store| store.load_full());
        let who_can = snapshot
            .as_ref()
            .map(|index| index.who_can(&question.request));
        let answer = Answer {
            request: &question.spec,
            subjects: who_can.as_ref().map(|w| subjects(w, &question.request)),
            superuser_group: self.superuser_group.as_deref(),
            nodes: self.nodes(&question.request),
            missing_roles: who_can.as_ref().map(missing_roles),
            not_analyzed: (self.others.iter())
                .map(|(name, kind)| StepEntry { name, kind })
                .collect(),
        };
        present(&answer)
    }

    /// The node section alone; `None` without a Node step. The Node authorizer is asked about
    /// each node the graph knows, each node name the request carries (its object name, its field
    /// selector values) and one name that is none of those; every other name is decided as that
    /// last one, so if it is allowed, every node identity is.
    pub fn nodes(&self, request: &Request) -> Option<NodesEntry> {
        (self.node.as_ref()).map(|(node, graph)| nodes(node, graph, request))
    }
}

/// Groups the grants by subject. They come in the order RBAC visits bindings (ClusterRoleBindings
/// by name, then the RoleBindings of one namespace by name), which is already each subject's
/// grant order; only the subjects need sorting.
fn subjects<'a>(who_can: &WhoCan<'a>, request: &Request) -> Vec<SubjectEntry<'a>> {
    let mut positions: hashbrown::HashMap<SubjectRef<'a>, usize, ahash::RandomState> =
        hashbrown::HashMap::default();
    let mut entries: Vec<(SubjectRef<'a>, Vec<GrantEntry<'a>>)> = Vec::new();
    for grant in &who_can.grants {
        let at = *positions.entry(grant.subject).or_insert_with(|| {
            entries.push((grant.subject, Vec::new()));
            entries.len() - 1
        });
        entries[at].1.push(grant_entry(grant, request));
    }
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    entries
        .into_iter()
        .map(|(subject, grants)| SubjectEntry {
            kind: subject.kind(),
            name: subject.name(),
            namespace: subject.namespace(),
            grants,
        })
        .collect()
}

fn grant_entry<'a>(grant: &Grant<'a>, request: &Request) -> GrantEntry<'a> {
    let binding = grant.binding;
    GrantEntry {
        binding: &binding.metadata.name,
        binding_namespace: &binding.metadata.namespace,
        binding_kind: binding_kind(binding),
        role: &binding.role_ref.name,
        role_kind: &binding.role_ref.kind,
        rule: RuleEntry::from(grant.rule),
        wildcard: wildcards(grant.rule, request),
    }
}

fn binding_kind(binding: &Binding) -> &'static str {
    if binding.metadata.namespace.is_empty() {
        "ClusterRoleBinding"
    } else {
        "RoleBinding"
    }
}

/// The fields of `rule` that hold a wildcard relevant to `request`.
fn wildcards(rule: &PolicyRule, request: &Request) -> Vec<&'static str> {
    let star = |list: &[String]| list.iter().any(|v| v == "*");
    let mut fields = Vec::new();
    if star(&rule.verbs) {
        fields.push("verbs");
    }
    match &request.attributes {
        Attributes::Resource(_) => {
            if star(&rule.api_groups) {
                fields.push("apiGroups");
            }
            if rule
                .resources
                .iter()
                .any(|r| r == "*" || r.starts_with("*/"))
            {
                fields.push("resources");
            }
        }
        Attributes::NonResource(_) => {
            if rule.non_resource_urls.iter().any(|u| u.ends_with('*')) {
                fields.push("nonResourceURLs");
            }
        }
    }
    fields
}

fn missing_roles<'a>(who_can: &WhoCan<'a>) -> Vec<MissingRoleEntry<'a>> {
    (who_can.missing_roles.iter())
        .map(|missing| MissingRoleEntry {
            binding: &missing.binding.metadata.name,
            binding_namespace: &missing.binding.metadata.namespace,
            binding_kind: binding_kind(missing.binding),
            role: &missing.binding.role_ref.name,
            role_kind: &missing.binding.role_ref.kind,
            error: missing.error,
            subjects: (missing.subjects.iter())
                .map(|s| SubjectName {
                    kind: s.kind(),
                    name: s.name(),
                    namespace: s.namespace(),
                })
                .collect(),
        })
        .collect()
}

/// Asks the Node authorizer about every node identity that can be decided differently: each node
/// the graph knows, each name the request itself carries (the object name, field selector values:
/// a node may reach its own Node, lease and CSINode, and list its own pods), and one name that is
/// none of those. The authorizer compares the node name only with graph entries and with the
/// request, so every other name is decided as that last one is: if it is allowed, every node
/// identity is.
fn nodes(node: &NodeAuthorizer, graph: &NodeGraphStore, request: &Request) -> NodesEntry {
    // Read under the lock, decided after it: each decision takes the read lock itself.
    let mut names = graph.read(|graph| graph.node_names());
    if let Attributes::Resource(r) = &request.attributes {
        names.push(r.name.clone());
        names.extend(r.field_selector.iter().map(|f| f.value.clone()));
    }
    names.retain(|n| !n.is_empty());
    names.sort_unstable();
    names.dedup();
    let mut unknown = String::from("who-can-any-node");
    while names.binary_search(&unknown).is_ok() {
        unknown.push('-');
    }
    let allows = |name: &str| {
        let ask = Request {
            user: UserInfo {
                name: format!("{NODE_USER_PREFIX}{name}"),
                groups: vec![NODES_GROUP.to_owned()],
                ..UserInfo::default()
            },
            attributes: request.attributes.clone(),
        };
        node.decide(&ask).decision == Decision::Allow
    };
    if allows(&unknown) {
        return NodesEntry {
            every_node: true,
            names: Vec::new(),
        };
    }
    names.retain(|name| allows(name));
    NodesEntry {
        every_node: false,
        names,
    }
}
