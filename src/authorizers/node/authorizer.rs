//! `NodeAuthorizer`: who is a node, which handler decides each (group, resource), and the graph
//! check the handlers share (`node_authorizer.go` `Authorize`, `authorizeGet`,
//! `authorizeReadNamespacedObject`, `authorizeStatusUpdate`, `authorize`).

use std::sync::Arc;

use super::graph::{BoundKind, Path, Target};
use super::refs::RefKind;
use super::refusal::refusal;
use super::rules::{StaticRules, node_rules};
use super::{FeatureGates, NodeGraphStore};
use crate::authz::text::{bytes_eq, str_eq};
use crate::authz::{Attributes, Authorize, Outcome, Reason, Request, ResourceAttributes, Verdict};
use crate::go::quote;

/// The user name prefix of nodes.
pub const NODE_USER_PREFIX: &str = "system:node:";
/// The group every node is in.
pub const NODES_GROUP: &str = "system:nodes";

/// The Node authorizer: lets a kubelet reach what the pods bound to its node reference, and
/// what the static node rules allow. It never denies: every refusal is NoOpinion, usually with
/// a reason, so the next authorizer may still allow.
#[derive(Debug)]
pub struct NodeAuthorizer {
    graph: Arc<NodeGraphStore>,
    gates: FeatureGates,
    rules: StaticRules,
}

/// The handler for one (group, resource).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Handler {
    ReadNamespaced(RefKind),
    PersistentVolumeClaims,
    Get(Target),
    ServiceAccounts,
    Leases,
    CsiNodes,
    ResourceSlices,
    Nodes,
    Pods,
    PodCertificateRequests,
    StaticRules,
}

pub(super) fn allow() -> Verdict {
    Verdict::allow(Reason::None)
}

pub(super) fn refuse(reason: &'static str) -> Verdict {
    Verdict::no_opinion(Reason::Static(reason))
}

impl NodeAuthorizer {
    /// An authorizer reading `graph`, with the branches and static rules of `gates`.
    pub fn new(graph: Arc<NodeGraphStore>, gates: FeatureGates) -> Self {
        NodeAuthorizer {
            graph,
            rules: StaticRules::new(node_rules(&gates)),
            gates,
        }
    }

    /// The graph store.
    pub(super) fn graph(&self) -> &NodeGraphStore {
        &self.graph
    }

    /// The feature gates in force.
    pub fn gates(&self) -> &FeatureGates {
        &self.gates
    }

    /// Decides `request`.
    pub fn decide(&self, request: &Request) -> Verdict {
        let user = &request.user;
        let Some(node) = node_name(&user.name) else {
            return Verdict::no_opinion(Reason::None);
        };
        if !user.groups.iter().any(|g| str_eq(g, NODES_GROUP)) {
            return Verdict::no_opinion(Reason::None);
        }
        if node.is_empty() {
            return Verdict::no_opinion(Reason::Owned(format!(
                "unknown node for user {}",
                quote(&user.name)
            )));
        }
        let attributes = match &request.attributes {
            Attributes::Resource(r) => r,
            Attributes::NonResource(_) => return self.static_rules(request),
        };
        match self.handler(&attributes.group, &attributes.resource) {
            Handler::ReadNamespaced(kind) => {
                self.read_namespaced(node, Target::Ref(kind), attributes)
            }
            Handler::PersistentVolumeClaims => {
                let target = Target::Ref(RefKind::PersistentVolumeClaim);
                if str_eq(&attributes.subresource, "status") {
                    self.status_update(node, target, attributes)
                } else {
                    self.get(node, target, attributes)
                }
            }
            Handler::Get(target) => self.get(node, target, attributes),
            Handler::ServiceAccounts => self.service_accounts(node, attributes),
            Handler::Leases => super::handlers::lease(node, attributes),
            Handler::CsiNodes => super::handlers::csi_node(node, attributes),
            Handler::ResourceSlices => self.resource_slices(node, attributes),
            Handler::Nodes => super::handlers::node(node, attributes),
            Handler::Pods => self.pods(node, attributes),
            Handler::PodCertificateRequests => self.pod_certificate_requests(node, attributes),
            Handler::StaticRules => self.static_rules(request),
        }
    }

    pub(super) fn handler(&self, group: &str, resource: &str) -> Handler {
        let selectors = self.gates.authorize_node_with_selectors;
        if group.is_empty() {
            return if str_eq(resource, "secrets") {
                Handler::ReadNamespaced(RefKind::Secret)
            } else if str_eq(resource, "configmaps") {
                Handler::ReadNamespaced(RefKind::ConfigMap)
            } else if str_eq(resource, "pods") && selectors {
                Handler::Pods
            } else if str_eq(resource, "persistentvolumeclaims") {
                Handler::PersistentVolumeClaims
            } else if str_eq(resource, "persistentvolumes") {
                Handler::Get(Target::PersistentVolume)
            } else if str_eq(resource, "serviceaccounts") {
                Handler::ServiceAccounts
            } else if str_eq(resource, "nodes") && selectors {
                Handler::Nodes
            } else {
                Handler::StaticRules
            };
        }
        if str_eq(group, "resource.k8s.io") {
            if str_eq(resource, "resourceclaims") {
                return Handler::Get(Target::Ref(RefKind::ResourceClaim));
            }
            if str_eq(resource, "resourceslices") {
                return Handler::ResourceSlices;
            }
        } else if str_eq(group, "storage.k8s.io") {
            if str_eq(resource, "volumeattachments") {
                return Handler::Get(Target::Bound(BoundKind::VolumeAttachment));
            }
            if str_eq(resource, "csinodes") {
                return Handler::CsiNodes;
            }
        } else if str_eq(group, "coordination.k8s.io") {
            if str_eq(resource, "leases") {
                return Handler::Leases;
            }
        } else if str_eq(group, "certificates.k8s.io") && str_eq(resource, "podcertificaterequests")
        {
            return Handler::PodCertificateRequests;
        }
        Handler::StaticRules
    }

    fn static_rules(&self, request: &Request) -> Verdict {
        if self.rules.allow(request) {
            allow()
        } else {
            Verdict::no_opinion(Reason::None)
        }
    }

    /// `authorizeGet`: only `get`, no subresource, then the graph.
    fn get(&self, node: &str, target: Target, r: &ResourceAttributes) -> Verdict {
        if !str_eq(&r.verb, "get") {
            return refuse("can only get individual resources of this type");
        }
        if !r.subresource.is_empty() {
            return refuse("cannot get subresource");
        }
        self.graph_check(node, target, r)
    }

    /// `authorizeReadNamespacedObject`: get, list or watch of one named object in a namespace.
    pub(super) fn read_namespaced(
        &self,
        node: &str,
        target: Target,
        r: &ResourceAttributes,
    ) -> Verdict {
        if !is_read(&r.verb) {
            return refuse("can only read resources of this type");
        }
        if !r.subresource.is_empty() {
            return refuse("cannot read subresource");
        }
        if r.namespace.is_empty() {
            return refuse("can only read namespaced object of this type");
        }
        self.graph_check(node, target, r)
    }

    /// `authorizeStatusUpdate` (only ever called for the `status` subresource).
    fn status_update(&self, node: &str, target: Target, r: &ResourceAttributes) -> Verdict {
        if !(str_eq(&r.verb, "update") || str_eq(&r.verb, "patch")) {
            return refuse("can only get/update/patch this type");
        }
        self.graph_check(node, target, r)
    }

    /// `authorize`: the object must be named and reach the node in the graph. Every failure
    /// (unknown node, unknown object, no path) gives the same reason.
    pub(super) fn graph_check(
        &self,
        node: &str,
        target: Target,
        r: &ResourceAttributes,
    ) -> Verdict {
        if r.name.is_empty() {
            return refuse("No Object name found");
        }
        let path =
            self.graph.read(
                |graph| match graph.check(node, target, &r.namespace, &r.name) {
                    Path::Found => Ok(()),
                    Path::Missing(reason) => Err(reason.map(|r| r.reason())),
                },
            );
        match path {
            Ok(()) => allow(),
            Err(Some(reason)) => Verdict::no_opinion(reason),
            Err(None) => Verdict::no_opinion(Reason::Owned(refusal(node))),
        }
    }
}

/// The node name of a node user name (`str::strip_prefix` would call `memcmp`).
#[inline]
fn node_name(user: &str) -> Option<&str> {
    let prefix = NODE_USER_PREFIX.len();
    (user.len() >= prefix && bytes_eq(&user.as_bytes()[..prefix], NODE_USER_PREFIX.as_bytes()))
        .then(|| &user[prefix..])
}

/// `get`, `list` or `watch`.
pub(super) fn is_read(verb: &str) -> bool {
    str_eq(verb, "get") || str_eq(verb, "list") || str_eq(verb, "watch")
}

impl Authorize for NodeAuthorizer {
    fn authorize<'a>(&'a self, request: &'a Request) -> Outcome<'a> {
        Outcome::Ready(self.decide(request))
    }

    fn explain<'a>(
        &'a self,
        request: &'a Request,
        _: &'a crate::authz::explain::ExplainOptions,
    ) -> crate::authz::explain::ExplainFuture<'a> {
        Box::pin(std::future::ready(self.explained(request)))
    }
}
