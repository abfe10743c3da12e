//! The per-resource handlers of `node_authorizer.go` that do more than a graph check: service
//! accounts, leases, CSINodes, ResourceSlices, Nodes, Pods and PodCertificateRequests. Checks
//! run in upstream's order; the first that fails gives its reason.

use super::NodeAuthorizer;
use super::authorizer::{allow, is_read, refuse};
use super::graph::{BoundKind, Target};
use super::refs::RefKind;
use crate::authz::selector::FieldOperator;
use crate::authz::text::str_eq;
use crate::authz::{Reason, ResourceAttributes, Verdict};

/// The namespace of node leases.
const NODE_LEASE_NAMESPACE: &str = "kube-node-lease";

/// The verbs leases and CSINodes allow.
fn is_object_write_or_get(verb: &str) -> bool {
    ["get", "create", "update", "patch", "delete"]
        .iter()
        .any(|v| str_eq(verb, v))
}

/// Whether some field requirement is `field` Equals `node` (other requirements are ignored).
fn selects_node(r: &ResourceAttributes, field: &str, node: &str) -> bool {
    r.field_selector.iter().any(|req| {
        req.operator == FieldOperator::Equals
            && str_eq(&req.field, field)
            && str_eq(&req.value, node)
    })
}

/// `authorizeLease`.
pub(super) fn lease(node: &str, r: &ResourceAttributes) -> Verdict {
    if !is_object_write_or_get(&r.verb) {
        return refuse("can only get, create, update, patch, or delete a node lease");
    }
    if !str_eq(&r.namespace, NODE_LEASE_NAMESPACE) {
        return refuse("can only access leases in the \"kube-node-lease\" system namespace");
    }
    if !str_eq(&r.verb, "create") && !str_eq(&r.name, node) {
        return refuse("can only access node lease with the same name as the requesting node");
    }
    allow()
}

/// `authorizeCSINode`.
pub(super) fn csi_node(node: &str, r: &ResourceAttributes) -> Verdict {
    if !is_object_write_or_get(&r.verb) {
        return refuse("can only get, create, update, patch, or delete a CSINode");
    }
    if !r.subresource.is_empty() {
        return refuse("cannot authorize CSINode subresources");
    }
    if !str_eq(&r.verb, "create") && !str_eq(&r.name, node) {
        return refuse("can only access CSINode with the same name as the requesting node");
    }
    allow()
}

/// `authorizeNode` (AuthorizeNodeWithSelectors): a node reads only its own Node object, by
/// name rather than through the graph, so a kubelet can read it before creating it.
pub(super) fn node(node: &str, r: &ResourceAttributes) -> Verdict {
    let verb = r.verb.as_str();
    if r.subresource.is_empty() {
        if str_eq(verb, "create") || str_eq(verb, "update") || str_eq(verb, "patch") {
            // NodeRestriction admission limits a node to its own object.
            return allow();
        }
        if is_read(verb) {
            if str_eq(&r.name, node) {
                return allow();
            }
            return Verdict::no_opinion(Reason::Owned(if r.name.is_empty() {
                format!("node '{node}' cannot read all nodes, only its own Node object")
            } else {
                format!(
                    "node '{node}' cannot read '{}', only its own Node object",
                    r.name
                )
            }));
        }
    } else if str_eq(&r.subresource, "status") && (str_eq(verb, "update") || str_eq(verb, "patch"))
    {
        return allow();
    }
    Verdict::no_opinion(Reason::None)
}

impl NodeAuthorizer {
    /// Service accounts: `get` through the graph when a gate lets kubelets read them, otherwise
    /// only `create` of the `token` subresource of one related service account.
    pub(super) fn service_accounts(&self, node: &str, r: &ResourceAttributes) -> Verdict {
        let target = Target::Ref(RefKind::ServiceAccount);
        if str_eq(&r.verb, "get") && r.subresource.is_empty() {
            let gates = self.gates();
            if !(gates.kubelet_service_account_token_for_credential_providers
                || gates.pod_certificate_request)
            {
                return refuse("not allowed to get service accounts");
            }
            return self.read_namespaced(node, target, r);
        }
        if !str_eq(&r.verb, "create") || r.name.is_empty() {
            return refuse("can only create tokens for individual service accounts");
        }
        if !str_eq(&r.subresource, "token") {
            return refuse("can only create token subresource of serviceaccount");
        }
        self.graph_check(node, target, r)
    }

    /// `authorizeResourceSlice`.
    pub(super) fn resource_slices(&self, node: &str, r: &ResourceAttributes) -> Verdict {
        if !r.subresource.is_empty() {
            return refuse("cannot authorize ResourceSlice subresources");
        }
        let verb = r.verb.as_str();
        if str_eq(verb, "create") {
            // NodeRestriction admission checks the new object's node.
            return allow();
        }
        if ["get", "update", "patch", "delete"]
            .iter()
            .any(|v| str_eq(verb, v))
        {
            return self.graph_check(node, Target::Bound(BoundKind::ResourceSlice), r);
        }
        if str_eq(verb, "list") || str_eq(verb, "watch") || str_eq(verb, "deletecollection") {
            if !self.gates().authorize_node_with_selectors || selects_node(r, "spec.nodeName", node)
            {
                return allow();
            }
            return refuse(
                "can only list/watch/deletecollection resourceslices with nodeName field selector",
            );
        }
        refuse(
            "only the following verbs are allowed for a ResourceSlice: get, watch, list, create, \
             update, patch, delete, deletecollection",
        )
    }

    /// `authorizePod` (AuthorizeNodeWithSelectors).
    pub(super) fn pods(&self, node: &str, r: &ResourceAttributes) -> Verdict {
        let verb = r.verb.as_str();
        if r.subresource.is_empty() {
            if str_eq(verb, "get") {
                return self.graph_check(node, Target::Pod, r);
            }
            if str_eq(verb, "list") || str_eq(verb, "watch") {
                if selects_node(r, "spec.nodeName", node) {
                    return allow();
                }
                if !r.name.is_empty() {
                    return self.graph_check(node, Target::Pod, r);
                }
                return refuse("can only list/watch pods with spec.nodeName field selector");
            }
            if str_eq(verb, "create") || str_eq(verb, "delete") {
                // Mirror pods; NodeRestriction admission limits them to the node's own.
                return allow();
            }
        } else if str_eq(&r.subresource, "status") {
            if str_eq(verb, "update") || str_eq(verb, "patch") {
                return allow();
            }
        } else if str_eq(&r.subresource, "eviction") && str_eq(verb, "create") {
            return allow();
        }
        Verdict::no_opinion(Reason::None)
    }

    /// PodCertificateRequests: NoOpinion without a reason when the gate is off, as upstream
    /// does not fall through to the static rules for them.
    pub(super) fn pod_certificate_requests(&self, node: &str, r: &ResourceAttributes) -> Verdict {
        if !self.gates().pod_certificate_request {
            return Verdict::no_opinion(Reason::None);
        }
        if !r.subresource.is_empty() {
            return refuse("nodes may not access the status subresource of PodCertificateRequests");
        }
        let verb = r.verb.as_str();
        if str_eq(verb, "create") {
            // NodeRestriction admission checks the node, pod and service account.
            return allow();
        }
        if str_eq(verb, "get") {
            return self.graph_check(node, Target::Bound(BoundKind::PodCertificateRequest), r);
        }
        if str_eq(verb, "list") || str_eq(verb, "watch") {
            if selects_node(r, "spec.nodeName", node) {
                return allow();
            }
            return refuse(
                "can only list/watch podcertificaterequests with nodeName field selector",
            );
        }
        Verdict::no_opinion(Reason::Owned(format!(
            "nodes may not {verb} podcertificaterequests"
        )))
    }
}
