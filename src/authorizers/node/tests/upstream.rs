//! Upstream's `TestNodeAuthorizer`: a generated graph of two nodes with two pods each in two
//! namespaces (every pod with a unique configmap, secret, PVC bound to a PV with a secret,
//! resource claims, plus a shared secret), attachments and slices per node, and about 120
//! requests by `node0`. Cases without a gate variant run with AuthorizeNodeWithSelectors on and
//! off, as upstream runs them. The service-account `get` and PodCertificateRequest cases follow
//! the 1.34+ handlers (spec section 3.2). Reasons are checked where a case names one.

use super::*;
use crate::authorizers::node::BoundKind;
use crate::authorizers::node::sample::{SampleCluster, SampleOpts};
use Decision::{Allow, NoOpinion};
use Gates::*;

const NO_RELATIONSHIP: &str = "no relationship found between node 'node0' and this object";

/// The feature gates a case runs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Gates {
    /// Defaults, and again with AuthorizeNodeWithSelectors off.
    Both,
    /// Defaults (AuthorizeNodeWithSelectors on).
    On,
    /// AuthorizeNodeWithSelectors off.
    Off,
    /// KubeletServiceAccountTokenForCredentialProviders off (and PodCertificateRequest off).
    NoTokenGate,
    /// PodCertificateRequest on, KubeletServiceAccountTokenForCredentialProviders off.
    PcrOnly,
    /// PodCertificateRequest on.
    Pcr,
}

impl Gates {
    fn variants(self) -> Vec<(&'static str, FeatureGates)> {
        let on = FeatureGates::default();
        let off = FeatureGates {
            authorize_node_with_selectors: false,
            ..on
        };
        let no_token = FeatureGates {
            kubelet_service_account_token_for_credential_providers: false,
            ..on
        };
        let pcr = FeatureGates {
            pod_certificate_request: true,
            ..on
        };
        match self {
            Both => vec![("selector_enabled", on), ("selector_disabled", off)],
            On => vec![("selector_enabled", on)],
            Off => vec![("selector_disabled", off)],
            NoTokenGate => vec![("no_token_gates", no_token)],
            PcrOnly => vec![(
                "pcr_only",
                FeatureGates {
                    pod_certificate_request: true,
                    ..no_token
                },
            )],
            Pcr => vec![("pcr", pcr)],
        }
    }
}

struct Case {
    name: &'static str,
    node: &'static str,
    ask: Ask<'static>,
    expect: Decision,
    gates: Gates,
    reason: Option<&'static str>,
}

const CASE: Case = Case {
    name: "",
    node: "node0",
    ask: ASK,
    expect: Allow,
    gates: Both,
    reason: None,
};

#[rustfmt::skip]
const UPSTREAM: &[Case] = &[
    Case { name: "allowed configmap", ask: Ask { verb: "get", resource: "configmaps", namespace: "ns0", name: "configmap0-pod0-node0", ..ASK }, ..CASE },
    Case { name: "allowed secret via pod", ask: Ask { verb: "get", resource: "secrets", namespace: "ns0", name: "secret0-pod0-node0", ..ASK }, ..CASE },
    Case { name: "list allowed secret via pod", ask: Ask { verb: "list", resource: "secrets", namespace: "ns0", name: "secret0-pod0-node0", ..ASK }, ..CASE },
    Case { name: "watch allowed secret via pod", ask: Ask { verb: "watch", resource: "secrets", namespace: "ns0", name: "secret0-pod0-node0", ..ASK }, ..CASE },
    Case { name: "disallowed list many secrets", ask: Ask { verb: "list", resource: "secrets", namespace: "ns0", ..ASK }, expect: NoOpinion, reason: Some("No Object name found"), ..CASE },
    Case { name: "disallowed watch many secrets", ask: Ask { verb: "watch", resource: "secrets", namespace: "ns0", ..ASK }, expect: NoOpinion, reason: Some("No Object name found"), ..CASE },
    Case { name: "disallowed list secrets from all namespaces with name", ask: Ask { verb: "list", resource: "secrets", name: "secret0-pod0-node0", ..ASK }, expect: NoOpinion, reason: Some("can only read namespaced object of this type"), ..CASE },
    Case { name: "allowed shared secret via pod", ask: Ask { verb: "get", resource: "secrets", namespace: "ns0", name: "secret0-shared", ..ASK }, ..CASE },
    Case { name: "allowed shared secret via pvc", ask: Ask { verb: "get", resource: "secrets", namespace: "ns0", name: "secret-pv0-pod0-node0-ns0", ..ASK }, ..CASE },
    Case { name: "allowed pvc", ask: Ask { verb: "get", resource: "persistentvolumeclaims", namespace: "ns0", name: "pvc0-pod0-node0", ..ASK }, ..CASE },
    Case { name: "allowed resource claim", ask: Ask { verb: "get", group: "resource.k8s.io", resource: "resourceclaims", namespace: "ns0", name: "claim0-pod0-node0-ns0", ..ASK }, ..CASE },
    Case { name: "allowed resource claim with template", ask: Ask { verb: "get", group: "resource.k8s.io", resource: "resourceclaims", namespace: "ns0", name: "generated-claim-pod0-node0-ns0-0", ..ASK }, ..CASE },
    Case { name: "allowed pv", ask: Ask { verb: "get", resource: "persistentvolumes", name: "pv0-pod0-node0-ns0", ..ASK }, ..CASE },
    Case { name: "disallowed configmap", ask: Ask { verb: "get", resource: "configmaps", namespace: "ns0", name: "configmap0-pod0-node1", ..ASK }, expect: NoOpinion, reason: Some(NO_RELATIONSHIP), ..CASE },
    Case { name: "disallowed secret via pod", ask: Ask { verb: "get", resource: "secrets", namespace: "ns0", name: "secret0-pod0-node1", ..ASK }, expect: NoOpinion, reason: Some(NO_RELATIONSHIP), ..CASE },
    Case { name: "disallowed shared secret via pvc", ask: Ask { verb: "get", resource: "secrets", namespace: "ns0", name: "secret-pv0-pod0-node1-ns0", ..ASK }, expect: NoOpinion, reason: Some(NO_RELATIONSHIP), ..CASE },
    Case { name: "disallowed pvc", ask: Ask { verb: "get", resource: "persistentvolumeclaims", namespace: "ns0", name: "pvc0-pod0-node1", ..ASK }, expect: NoOpinion, reason: Some(NO_RELATIONSHIP), ..CASE },
    Case { name: "disallowed resource claim, other node", ask: Ask { verb: "get", group: "resource.k8s.io", resource: "resourceclaims", namespace: "ns0", name: "claim0-pod0-node1-ns0", ..ASK }, expect: NoOpinion, reason: Some(NO_RELATIONSHIP), ..CASE },
    Case { name: "disallowed resource claim with template", ask: Ask { verb: "get", group: "resource.k8s.io", resource: "resourceclaims", namespace: "ns0", name: "pod0-node1-claimtemplate0", ..ASK }, expect: NoOpinion, reason: Some(NO_RELATIONSHIP), ..CASE },
    Case { name: "disallowed pv", ask: Ask { verb: "get", resource: "persistentvolumes", name: "pv0-pod0-node1-ns0", ..ASK }, expect: NoOpinion, reason: Some(NO_RELATIONSHIP), ..CASE },
    Case { name: "allowed attachment", ask: Ask { verb: "get", group: "storage.k8s.io", resource: "volumeattachments", name: "attachment0-node0", ..ASK }, ..CASE },
    Case { name: "allowed svcacct token create", ask: Ask { verb: "create", resource: "serviceaccounts", subresource: "token", namespace: "ns0", name: "svcacct0-node0", ..ASK }, ..CASE },
    Case { name: "disallowed svcacct token create - serviceaccount not attached to node", ask: Ask { verb: "create", resource: "serviceaccounts", subresource: "token", namespace: "ns0", name: "svcacct0-node1", ..ASK }, expect: NoOpinion, reason: Some(NO_RELATIONSHIP), ..CASE },
    Case { name: "disallowed svcacct token create - no subresource", ask: Ask { verb: "create", resource: "serviceaccounts", namespace: "ns0", name: "svcacct0-node0", ..ASK }, expect: NoOpinion, reason: Some("can only create token subresource of serviceaccount"), ..CASE },
    Case { name: "disallowed svcacct token create - non create", ask: Ask { verb: "update", resource: "serviceaccounts", subresource: "token", namespace: "ns0", name: "svcacct0-node0", ..ASK }, expect: NoOpinion, reason: Some("can only create tokens for individual service accounts"), ..CASE },
    Case { name: "disallowed get lease in namespace other than kube-node-lease - feature enabled", ask: Ask { verb: "get", group: "coordination.k8s.io", resource: "leases", namespace: "foo", name: "node0", ..ASK }, expect: NoOpinion, reason: Some("can only access leases in the \"kube-node-lease\" system namespace"), ..CASE },
    Case { name: "disallowed create lease in namespace other than kube-node-lease - feature enabled", ask: Ask { verb: "create", group: "coordination.k8s.io", resource: "leases", namespace: "foo", name: "node0", ..ASK }, expect: NoOpinion, reason: Some("can only access leases in the \"kube-node-lease\" system namespace"), ..CASE },
    Case { name: "disallowed update lease in namespace other than kube-node-lease - feature enabled", ask: Ask { verb: "update", group: "coordination.k8s.io", resource: "leases", namespace: "foo", name: "node0", ..ASK }, expect: NoOpinion, reason: Some("can only access leases in the \"kube-node-lease\" system namespace"), ..CASE },
    Case { name: "disallowed patch lease in namespace other than kube-node-lease - feature enabled", ask: Ask { verb: "patch", group: "coordination.k8s.io", resource: "leases", namespace: "foo", name: "node0", ..ASK }, expect: NoOpinion, reason: Some("can only access leases in the \"kube-node-lease\" system namespace"), ..CASE },
    Case { name: "disallowed delete lease in namespace other than kube-node-lease - feature enabled", ask: Ask { verb: "delete", group: "coordination.k8s.io", resource: "leases", namespace: "foo", name: "node0", ..ASK }, expect: NoOpinion, reason: Some("can only access leases in the \"kube-node-lease\" system namespace"), ..CASE },
    Case { name: "disallowed get another node's lease - feature enabled", ask: Ask { verb: "get", group: "coordination.k8s.io", resource: "leases", namespace: "kube-node-lease", name: "node1", ..ASK }, expect: NoOpinion, reason: Some("can only access node lease with the same name as the requesting node"), ..CASE },
    Case { name: "disallowed update another node's lease - feature enabled", ask: Ask { verb: "update", group: "coordination.k8s.io", resource: "leases", namespace: "kube-node-lease", name: "node1", ..ASK }, expect: NoOpinion, reason: Some("can only access node lease with the same name as the requesting node"), ..CASE },
    Case { name: "disallowed patch another node's lease - feature enabled", ask: Ask { verb: "patch", group: "coordination.k8s.io", resource: "leases", namespace: "kube-node-lease", name: "node1", ..ASK }, expect: NoOpinion, reason: Some("can only access node lease with the same name as the requesting node"), ..CASE },
    Case { name: "disallowed delete another node's lease - feature enabled", ask: Ask { verb: "delete", group: "coordination.k8s.io", resource: "leases", namespace: "kube-node-lease", name: "node1", ..ASK }, expect: NoOpinion, reason: Some("can only access node lease with the same name as the requesting node"), ..CASE },
    Case { name: "disallowed list node leases - feature enabled", ask: Ask { verb: "list", group: "coordination.k8s.io", resource: "leases", namespace: "kube-node-lease", ..ASK }, expect: NoOpinion, reason: Some("can only get, create, update, patch, or delete a node lease"), ..CASE },
    Case { name: "disallowed watch node leases - feature enabled", ask: Ask { verb: "watch", group: "coordination.k8s.io", resource: "leases", namespace: "kube-node-lease", ..ASK }, expect: NoOpinion, reason: Some("can only get, create, update, patch, or delete a node lease"), ..CASE },
    Case { name: "allowed get node lease - feature enabled", ask: Ask { verb: "get", group: "coordination.k8s.io", resource: "leases", namespace: "kube-node-lease", name: "node0", ..ASK }, ..CASE },
    Case { name: "allowed create node lease - feature enabled", ask: Ask { verb: "create", group: "coordination.k8s.io", resource: "leases", namespace: "kube-node-lease", name: "node0", ..ASK }, ..CASE },
    Case { name: "allowed update node lease - feature enabled", ask: Ask { verb: "update", group: "coordination.k8s.io", resource: "leases", namespace: "kube-node-lease", name: "node0", ..ASK }, ..CASE },
    Case { name: "allowed patch node lease - feature enabled", ask: Ask { verb: "patch", group: "coordination.k8s.io", resource: "leases", namespace: "kube-node-lease", name: "node0", ..ASK }, ..CASE },
    Case { name: "allowed delete node lease - feature enabled", ask: Ask { verb: "delete", group: "coordination.k8s.io", resource: "leases", namespace: "kube-node-lease", name: "node0", ..ASK }, ..CASE },
    Case { name: "disallowed CSINode with subresource - feature enabled", ask: Ask { verb: "get", group: "storage.k8s.io", resource: "csinodes", subresource: "csiDrivers", name: "node0", ..ASK }, expect: NoOpinion, reason: Some("cannot authorize CSINode subresources"), ..CASE },
    Case { name: "disallowed get another node's CSINode", ask: Ask { verb: "get", group: "storage.k8s.io", resource: "csinodes", name: "node1", ..ASK }, expect: NoOpinion, reason: Some("can only access CSINode with the same name as the requesting node"), ..CASE },
    Case { name: "disallowed update another node's CSINode", ask: Ask { verb: "update", group: "storage.k8s.io", resource: "csinodes", name: "node1", ..ASK }, expect: NoOpinion, reason: Some("can only access CSINode with the same name as the requesting node"), ..CASE },
    Case { name: "disallowed patch another node's CSINode", ask: Ask { verb: "patch", group: "storage.k8s.io", resource: "csinodes", name: "node1", ..ASK }, expect: NoOpinion, reason: Some("can only access CSINode with the same name as the requesting node"), ..CASE },
    Case { name: "disallowed delete another node's CSINode", ask: Ask { verb: "delete", group: "storage.k8s.io", resource: "csinodes", name: "node1", ..ASK }, expect: NoOpinion, reason: Some("can only access CSINode with the same name as the requesting node"), ..CASE },
    Case { name: "disallowed list CSINodes", ask: Ask { verb: "list", group: "storage.k8s.io", resource: "csinodes", ..ASK }, expect: NoOpinion, reason: Some("can only get, create, update, patch, or delete a CSINode"), ..CASE },
    Case { name: "disallowed watch CSINodes", ask: Ask { verb: "watch", group: "storage.k8s.io", resource: "csinodes", ..ASK }, expect: NoOpinion, reason: Some("can only get, create, update, patch, or delete a CSINode"), ..CASE },
    Case { name: "allowed get CSINode", ask: Ask { verb: "get", group: "storage.k8s.io", resource: "csinodes", name: "node0", ..ASK }, ..CASE },
    Case { name: "allowed create CSINode", ask: Ask { verb: "create", group: "storage.k8s.io", resource: "csinodes", name: "node0", ..ASK }, ..CASE },
    Case { name: "allowed update CSINode", ask: Ask { verb: "update", group: "storage.k8s.io", resource: "csinodes", name: "node0", ..ASK }, ..CASE },
    Case { name: "allowed patch CSINode", ask: Ask { verb: "patch", group: "storage.k8s.io", resource: "csinodes", name: "node0", ..ASK }, ..CASE },
    Case { name: "allowed delete CSINode", ask: Ask { verb: "delete", group: "storage.k8s.io", resource: "csinodes", name: "node0", ..ASK }, ..CASE },
    Case { name: "disallowed ResourceSlice with subresource", ask: Ask { verb: "get", group: "resource.k8s.io", resource: "resourceslices", subresource: "status", name: "slice0-node0", ..ASK }, expect: NoOpinion, reason: Some("cannot authorize ResourceSlice subresources"), ..CASE },
    Case { name: "disallowed get another node's ResourceSlice", ask: Ask { verb: "get", group: "resource.k8s.io", resource: "resourceslices", name: "slice0-node1", ..ASK }, expect: NoOpinion, reason: Some(NO_RELATIONSHIP), ..CASE },
    Case { name: "disallowed update another node's ResourceSlice", ask: Ask { verb: "update", group: "resource.k8s.io", resource: "resourceslices", name: "slice0-node1", ..ASK }, expect: NoOpinion, reason: Some(NO_RELATIONSHIP), ..CASE },
    Case { name: "disallowed patch another node's ResourceSlice", ask: Ask { verb: "patch", group: "resource.k8s.io", resource: "resourceslices", name: "slice0-node1", ..ASK }, expect: NoOpinion, reason: Some(NO_RELATIONSHIP), ..CASE },
    Case { name: "disallowed delete another node's ResourceSlice", ask: Ask { verb: "delete", group: "resource.k8s.io", resource: "resourceslices", name: "slice0-node1", ..ASK }, expect: NoOpinion, reason: Some(NO_RELATIONSHIP), ..CASE },
    Case { name: "allowed filtered list ResourceSlices", ask: Ask { verb: "list", group: "resource.k8s.io", resource: "resourceslices", selector: "spec.nodeName==node0", ..ASK }, ..CASE },
    Case { name: "allowed unfiltered list ResourceSlices - selector authz disabled", ask: Ask { verb: "list", group: "resource.k8s.io", resource: "resourceslices", ..ASK }, gates: Off, ..CASE },
    Case { name: "disallowed unfiltered list ResourceSlices - selector authz enabled", ask: Ask { verb: "list", group: "resource.k8s.io", resource: "resourceslices", ..ASK }, expect: NoOpinion, gates: On, reason: Some("can only list/watch/deletecollection resourceslices with nodeName field selector"), ..CASE },
    Case { name: "allowed filtered watch ResourceSlices", ask: Ask { verb: "watch", group: "resource.k8s.io", resource: "resourceslices", selector: "spec.nodeName==node0", ..ASK }, ..CASE },
    Case { name: "allowed unfiltered watch ResourceSlices - selector authz disabled", ask: Ask { verb: "watch", group: "resource.k8s.io", resource: "resourceslices", ..ASK }, gates: Off, ..CASE },
    Case { name: "disallowed unfiltered watch ResourceSlices - selector authz enabled", ask: Ask { verb: "watch", group: "resource.k8s.io", resource: "resourceslices", ..ASK }, expect: NoOpinion, gates: On, reason: Some("can only list/watch/deletecollection resourceslices with nodeName field selector"), ..CASE },
    Case { name: "allowed get ResourceSlice", ask: Ask { verb: "get", group: "resource.k8s.io", resource: "resourceslices", name: "slice0-node0", ..ASK }, ..CASE },
    Case { name: "allowed create ResourceSlice", ask: Ask { verb: "create", group: "resource.k8s.io", resource: "resourceslices", name: "slice0-node0", ..ASK }, ..CASE },
    Case { name: "allowed update ResourceSlice", ask: Ask { verb: "update", group: "resource.k8s.io", resource: "resourceslices", name: "slice0-node0", ..ASK }, ..CASE },
    Case { name: "allowed patch ResourceSlice", ask: Ask { verb: "patch", group: "resource.k8s.io", resource: "resourceslices", name: "slice0-node0", ..ASK }, ..CASE },
    Case { name: "allowed delete ResourceSlice", ask: Ask { verb: "delete", group: "resource.k8s.io", resource: "resourceslices", name: "slice0-node0", ..ASK }, ..CASE },
    Case { name: "get related pod", ask: Ask { verb: "get", resource: "pods", namespace: "ns0", name: "pod0-node0", ..ASK }, ..CASE },
    Case { name: "get unrelated pod - selector disabled", ask: Ask { verb: "get", resource: "pods", namespace: "ns0", name: "pod0-node1", ..ASK }, gates: Off, ..CASE },
    Case { name: "get unrelated pod - selector enabled", ask: Ask { verb: "get", resource: "pods", namespace: "ns0", name: "pod0-node1", ..ASK }, expect: NoOpinion, gates: On, reason: Some(NO_RELATIONSHIP), ..CASE },
    Case { name: "list related pods", ask: Ask { verb: "list", resource: "pods", selector: "spec.nodeName=node0", ..ASK }, ..CASE },
    Case { name: "list related pods - alternate selector", ask: Ask { verb: "list", resource: "pods", selector: "spec.nodeName==node0", ..ASK }, ..CASE },
    Case { name: "list single related pod", ask: Ask { verb: "list", resource: "pods", namespace: "ns0", name: "pod0-node0", ..ASK }, ..CASE },
    Case { name: "list unrelated pods - selector disabled", ask: Ask { verb: "list", resource: "pods", ..ASK }, gates: Off, ..CASE },
    Case { name: "list unrelated pods - selector enabled", ask: Ask { verb: "list", resource: "pods", ..ASK }, expect: NoOpinion, gates: On, reason: Some("can only list/watch pods with spec.nodeName field selector"), ..CASE },
    Case { name: "watch related pods", ask: Ask { verb: "watch", resource: "pods", selector: "spec.nodeName=node0", ..ASK }, ..CASE },
    Case { name: "watch related pods - alternate selector", ask: Ask { verb: "watch", resource: "pods", selector: "spec.nodeName==node0", ..ASK }, ..CASE },
    Case { name: "watch single related pod", ask: Ask { verb: "watch", resource: "pods", namespace: "ns0", name: "pod0-node0", ..ASK }, ..CASE },
    Case { name: "watch unrelated pods - selector disabled", ask: Ask { verb: "watch", resource: "pods", ..ASK }, gates: Off, ..CASE },
    Case { name: "watch unrelated pods - selector enabled", ask: Ask { verb: "watch", resource: "pods", ..ASK }, expect: NoOpinion, gates: On, reason: Some("can only list/watch pods with spec.nodeName field selector"), ..CASE },
    Case { name: "create unnamed pod", ask: Ask { verb: "create", resource: "pods", namespace: "ns0", ..ASK }, ..CASE },
    Case { name: "create pod proxy subresource forbidden", ask: Ask { verb: "create", resource: "pods", subresource: "proxy", namespace: "ns0", ..ASK }, expect: NoOpinion, reason: Some(""), ..CASE },
    Case { name: "delete related pod", ask: Ask { verb: "delete", resource: "pods", namespace: "ns0", name: "pod0-node0", ..ASK }, ..CASE },
    Case { name: "delete unrelated pod", ask: Ask { verb: "delete", resource: "pods", namespace: "ns0", name: "pod0-node1", ..ASK }, ..CASE },
    Case { name: "delete pod proxy subresource forbidden", ask: Ask { verb: "delete", resource: "pods", subresource: "proxy", namespace: "ns0", name: "pod0-node0", ..ASK }, expect: NoOpinion, reason: Some(""), ..CASE },
    Case { name: "update related pod status", ask: Ask { verb: "update", resource: "pods", subresource: "status", namespace: "ns0", name: "pod0-node0", ..ASK }, ..CASE },
    Case { name: "update unrelated pod status", ask: Ask { verb: "update", resource: "pods", subresource: "status", namespace: "ns0", name: "pod0-node1", ..ASK }, ..CASE },
    Case { name: "patch related pod status", ask: Ask { verb: "patch", resource: "pods", subresource: "status", namespace: "ns0", name: "pod0-node0", ..ASK }, ..CASE },
    Case { name: "patch unrelated pod status", ask: Ask { verb: "patch", resource: "pods", subresource: "status", namespace: "ns0", name: "pod0-node1", ..ASK }, ..CASE },
    Case { name: "get pod status", ask: Ask { verb: "get", resource: "pods", subresource: "status", namespace: "ns0", name: "pod0-node0", ..ASK }, expect: NoOpinion, reason: Some(""), ..CASE },
    Case { name: "create related pod eviction", ask: Ask { verb: "create", resource: "pods", subresource: "eviction", namespace: "ns0", name: "pod0-node0", ..ASK }, ..CASE },
    Case { name: "create unrelated pod eviction", ask: Ask { verb: "create", resource: "pods", subresource: "eviction", namespace: "ns0", name: "pod0-node1", ..ASK }, ..CASE },
    Case { name: "get related unregistered node", node: "nodeunregistered", ask: Ask { verb: "get", resource: "nodes", name: "nodeunregistered", ..ASK }, ..CASE },
    Case { name: "get related node", ask: Ask { verb: "get", resource: "nodes", name: "node0", ..ASK }, ..CASE },
    Case { name: "get unrelated node - selector disabled", ask: Ask { verb: "get", resource: "nodes", name: "node1", ..ASK }, gates: Off, ..CASE },
    Case { name: "get unrelated node - selector enabled", ask: Ask { verb: "get", resource: "nodes", name: "node1", ..ASK }, expect: NoOpinion, gates: On, reason: Some("node 'node0' cannot read 'node1', only its own Node object"), ..CASE },
    Case { name: "list single related node", ask: Ask { verb: "list", resource: "nodes", name: "node0", ..ASK }, ..CASE },
    Case { name: "list single unrelated node - selector disabled", ask: Ask { verb: "list", resource: "nodes", name: "node1", ..ASK }, gates: Off, ..CASE },
    Case { name: "list single unrelated node - selector enabled", ask: Ask { verb: "list", resource: "nodes", name: "node1", ..ASK }, expect: NoOpinion, gates: On, reason: Some("node 'node0' cannot read 'node1', only its own Node object"), ..CASE },
    Case { name: "list all nodes - selector disabled", ask: Ask { verb: "list", resource: "nodes", ..ASK }, gates: Off, ..CASE },
    Case { name: "list all nodes - selector enabled", ask: Ask { verb: "list", resource: "nodes", ..ASK }, expect: NoOpinion, gates: On, reason: Some("node 'node0' cannot read all nodes, only its own Node object"), ..CASE },
    Case { name: "watch single related node", ask: Ask { verb: "watch", resource: "nodes", name: "node0", ..ASK }, ..CASE },
    Case { name: "watch single unrelated node - selector disabled", ask: Ask { verb: "watch", resource: "nodes", name: "node1", ..ASK }, gates: Off, ..CASE },
    Case { name: "watch single unrelated node - selector enabled", ask: Ask { verb: "watch", resource: "nodes", name: "node1", ..ASK }, expect: NoOpinion, gates: On, reason: Some("node 'node0' cannot read 'node1', only its own Node object"), ..CASE },
    Case { name: "watch all nodes - selector disabled", ask: Ask { verb: "watch", resource: "nodes", ..ASK }, gates: Off, ..CASE },
    Case { name: "watch all nodes - selector enabled", ask: Ask { verb: "watch", resource: "nodes", ..ASK }, expect: NoOpinion, gates: On, reason: Some("node 'node0' cannot read all nodes, only its own Node object"), ..CASE },
    Case { name: "create node", ask: Ask { verb: "create", resource: "nodes", ..ASK }, ..CASE },
    Case { name: "update related node", ask: Ask { verb: "update", resource: "nodes", name: "node0", ..ASK }, ..CASE },
    Case { name: "update unrelated node", ask: Ask { verb: "update", resource: "nodes", name: "node1", ..ASK }, ..CASE },
    Case { name: "patch related node", ask: Ask { verb: "patch", resource: "nodes", name: "node0", ..ASK }, ..CASE },
    Case { name: "patch unrelated node", ask: Ask { verb: "patch", resource: "nodes", name: "node1", ..ASK }, ..CASE },
    Case { name: "update related node status", ask: Ask { verb: "update", resource: "nodes", subresource: "status", name: "node0", ..ASK }, ..CASE },
    Case { name: "update unrelated node status", ask: Ask { verb: "update", resource: "nodes", subresource: "status", name: "node1", ..ASK }, ..CASE },
    Case { name: "patch related node status", ask: Ask { verb: "patch", resource: "nodes", subresource: "status", name: "node0", ..ASK }, ..CASE },
    Case { name: "patch unrelated node status", ask: Ask { verb: "patch", resource: "nodes", subresource: "status", name: "node1", ..ASK }, ..CASE },
];

/// Service-account `get` and PodCertificateRequests (1.33+ and 1.34+ handlers).
#[rustfmt::skip]
const NEWER: &[Case] = &[
    Case { name: "get related service account", ask: Ask { resource: "serviceaccounts", namespace: "ns0", name: "svcacct0-node0", ..ASK }, gates: On, ..CASE },
    Case { name: "get unrelated service account", ask: Ask { resource: "serviceaccounts", namespace: "ns0", name: "svcacct0-node1", ..ASK }, expect: NoOpinion, gates: On, reason: Some(NO_RELATIONSHIP), ..CASE },
    Case { name: "get service account without token gates", ask: Ask { resource: "serviceaccounts", namespace: "ns0", name: "svcacct0-node0", ..ASK }, expect: NoOpinion, gates: NoTokenGate, reason: Some("not allowed to get service accounts"), ..CASE },
    Case { name: "get service account with PodCertificateRequest only", ask: Ask { resource: "serviceaccounts", namespace: "ns0", name: "svcacct0-node0", ..ASK }, gates: PcrOnly, ..CASE },
    Case { name: "get service account in all namespaces", ask: Ask { resource: "serviceaccounts", name: "svcacct0-node0", ..ASK }, expect: NoOpinion, gates: On, reason: Some("can only read namespaced object of this type"), ..CASE },
    Case { name: "list service accounts", ask: Ask { verb: "list", resource: "serviceaccounts", namespace: "ns0", ..ASK }, expect: NoOpinion, reason: Some("can only create tokens for individual service accounts"), ..CASE },
    Case { name: "get service account token", ask: Ask { resource: "serviceaccounts", subresource: "token", namespace: "ns0", name: "svcacct0-node0", ..ASK }, expect: NoOpinion, reason: Some("can only create tokens for individual service accounts"), ..CASE },
    Case { name: "PodCertificateRequest with gate off", ask: Ask { group: "certificates.k8s.io", resource: "podcertificaterequests", namespace: "ns0", name: "pcr0-node0", ..ASK }, expect: NoOpinion, gates: On, reason: Some(""), ..CASE },
    Case { name: "create PodCertificateRequest", ask: Ask { verb: "create", group: "certificates.k8s.io", resource: "podcertificaterequests", namespace: "ns0", ..ASK }, gates: Pcr, ..CASE },
    Case { name: "get related PodCertificateRequest", ask: Ask { group: "certificates.k8s.io", resource: "podcertificaterequests", namespace: "ns0", name: "pcr0-node0", ..ASK }, gates: Pcr, ..CASE },
    Case { name: "get unrelated PodCertificateRequest", ask: Ask { group: "certificates.k8s.io", resource: "podcertificaterequests", namespace: "ns0", name: "pcr0-node1", ..ASK }, expect: NoOpinion, gates: Pcr, reason: Some(NO_RELATIONSHIP), ..CASE },
    Case { name: "list PodCertificateRequests of the node", ask: Ask { verb: "list", group: "certificates.k8s.io", resource: "podcertificaterequests", selector: "spec.nodeName=node0", ..ASK }, gates: Pcr, ..CASE },
    Case { name: "watch PodCertificateRequests of another node", ask: Ask { verb: "watch", group: "certificates.k8s.io", resource: "podcertificaterequests", selector: "spec.nodeName=node1", ..ASK }, expect: NoOpinion, gates: Pcr, reason: Some("can only list/watch podcertificaterequests with nodeName field selector"), ..CASE },
    Case { name: "update PodCertificateRequest status", ask: Ask { verb: "update", group: "certificates.k8s.io", resource: "podcertificaterequests", subresource: "status", namespace: "ns0", name: "pcr0-node0", ..ASK }, expect: NoOpinion, gates: Pcr, reason: Some("nodes may not access the status subresource of PodCertificateRequests"), ..CASE },
    Case { name: "delete PodCertificateRequest", ask: Ask { verb: "delete", group: "certificates.k8s.io", resource: "podcertificaterequests", namespace: "ns0", name: "pcr0-node0", ..ASK }, expect: NoOpinion, gates: Pcr, reason: Some("nodes may not delete podcertificaterequests"), ..CASE },
    Case { name: "get resourceclaims status", ask: Ask { group: "resource.k8s.io", resource: "resourceclaims", subresource: "status", namespace: "ns0", name: "claim0-pod0-node0-ns0", ..ASK }, expect: NoOpinion, reason: Some("cannot get subresource"), ..CASE },
    Case { name: "update pvc status", ask: Ask { verb: "update", resource: "persistentvolumeclaims", subresource: "status", namespace: "ns0", name: "pvc0-pod0-node0", ..ASK }, ..CASE },
    Case { name: "get pvc status", ask: Ask { resource: "persistentvolumeclaims", subresource: "status", namespace: "ns0", name: "pvc0-pod0-node0", ..ASK }, expect: NoOpinion, reason: Some("can only get/update/patch this type"), ..CASE },
    Case { name: "get pv with a namespace", ask: Ask { resource: "persistentvolumes", namespace: "ns0", name: "pv0-pod0-node0-ns0", ..ASK }, expect: NoOpinion, reason: Some(NO_RELATIONSHIP), ..CASE },
    Case { name: "deletecollection ResourceSlices of the node", ask: Ask { verb: "deletecollection", group: "resource.k8s.io", resource: "resourceslices", selector: "spec.nodeName=node0", ..ASK }, ..CASE },
    Case { name: "escalate ResourceSlice", ask: Ask { verb: "escalate", group: "resource.k8s.io", resource: "resourceslices", name: "slice0-node0", ..ASK }, expect: NoOpinion, reason: Some("only the following verbs are allowed for a ResourceSlice: get, watch, list, create, update, patch, delete, deletecollection"), ..CASE },
    Case { name: "create events via static rules", ask: Ask { verb: "create", group: "events.k8s.io", resource: "events", namespace: "ns0", ..ASK }, reason: Some(""), ..CASE },
    Case { name: "list services via static rules", ask: Ask { verb: "list", resource: "services", ..ASK }, ..CASE },
    Case { name: "read ClusterTrustBundles with gate off", ask: Ask { verb: "list", group: "certificates.k8s.io", resource: "clustertrustbundles", ..ASK }, expect: NoOpinion, reason: Some(""), ..CASE },
    Case { name: "unknown node", node: "node-none", ask: Ask { resource: "secrets", namespace: "ns0", name: "secret0-pod0-node0", ..ASK }, expect: NoOpinion, reason: Some("no relationship found between node 'node-none' and this object"), ..CASE },
];

fn fixture() -> Fixture {
    let opts = SampleOpts {
        nodes: 2,
        namespaces: 2,
        pods_per_node: 2,
        attachments_per_node: 1,
        slices_per_node: 2,
        unique_configmaps_per_pod: 1,
        shared_secrets_per_pod: 1,
        unique_secrets_per_pod: 1,
        unique_pvcs_per_pod: 1,
        unique_claims_per_pod: 1,
        unique_claim_templates_per_pod: 1,
        unique_claim_templates_with_claim_per_pod: 1,
        ..SampleOpts::default()
    };
    let mut graph = NodeGraph::new();
    SampleCluster::generate(&opts).populate(&mut graph);
    for node in ["node0", "node1"] {
        graph.add_bound(
            BoundKind::PodCertificateRequest,
            "ns0",
            &format!("pcr0-{node}"),
            node,
        );
    }
    Fixture::new(graph)
}

#[test]
fn node_authorizer_table() {
    assert!(UPSTREAM.len() >= 115, "upstream's table");
    let fixture = fixture();
    let mut runs = 0;
    for case in UPSTREAM.iter().chain(NEWER) {
        for (variant, gates) in case.gates.variants() {
            let verdict = fixture.ask_with(gates, case.node, case.ask);
            assert_eq!(
                verdict.decision, case.expect,
                "{} ({variant}): {:?}",
                case.name, verdict.reason
            );
            assert_ne!(verdict.decision, Decision::Deny, "{}", case.name);
            if let Some(reason) = case.reason {
                assert_eq!(verdict.reason.as_str(), reason, "{} ({variant})", case.name);
            }
            runs += 1;
        }
    }
    assert!(runs > 200, "{runs} runs");
}

#[test]
fn identity() {
    let fixture = fixture();
    let ask = Ask {
        resource: "secrets",
        namespace: "ns0",
        name: "secret0-pod0-node0",
        ..ASK
    };
    let authorizer = NodeAuthorizer::new(fixture.store.clone(), FeatureGates::default());
    let user = |name: &str, groups: &[&str]| UserInfo {
        name: name.into(),
        groups: groups.iter().map(|g| g.to_string()).collect(),
        ..UserInfo::default()
    };
    let cases = [
        (
            "node",
            user("system:node:node0", &["system:nodes"]),
            Allow,
            "",
        ),
        (
            "not in system:nodes",
            user("system:node:node0", &["system:authenticated"]),
            NoOpinion,
            "",
        ),
        (
            "not a node name",
            user("node0", &["system:nodes"]),
            NoOpinion,
            "",
        ),
        (
            "prefix case matters",
            user("System:node:node0", &["system:nodes"]),
            NoOpinion,
            "",
        ),
        (
            "group case matters",
            user("system:node:node0", &["System:nodes"]),
            NoOpinion,
            "",
        ),
        (
            "empty node name",
            user("system:node:", &["system:nodes"]),
            NoOpinion,
            "unknown node for user \"system:node:\"",
        ),
    ];
    for (name, user, decision, reason) in cases {
        let verdict = authorizer.decide(&ask.request(user));
        assert_eq!(verdict.decision, decision, "{name}");
        assert_eq!(verdict.reason.as_str(), reason, "{name}");
    }
    let non_resource = Request {
        user: node_user("node0"),
        attributes: Attributes::NonResource(crate::authz::NonResourceAttributes {
            path: "/healthz".into(),
            verb: "get".into(),
        }),
    };
    let verdict = authorizer.decide(&non_resource);
    assert_eq!(verdict.decision, NoOpinion);
    assert_eq!(verdict.reason.as_str(), "");
}
