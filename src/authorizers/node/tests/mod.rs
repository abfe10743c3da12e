//! Tests of the Node authorizer: upstream's tables (`node_authorizer_test.go`), every reference
//! path of a pod and a PersistentVolume (`pkg/api/v1/pod/util_test.go`,
//! `pkg/api/v1/persistentvolume/util_test.go`), and update and delete semantics.

mod references;
mod shared;
mod updates;
mod upstream;

use std::sync::Arc;

use super::{FeatureGates, NodeAuthorizer, NodeGraph, NodeGraphStore};
use crate::api::pod::Pod;
use crate::authz::selector::parse_field_selector;
use crate::authz::{Attributes, Decision, Request, ResourceAttributes, UserInfo, Verdict};

/// A node's user.
fn node_user(node: &str) -> UserInfo {
    UserInfo {
        name: format!("system:node:{node}"),
        groups: vec!["system:nodes".into(), "system:authenticated".into()],
        ..UserInfo::default()
    }
}

/// What is asked, in one line of a table.
#[derive(Clone, Copy, Debug)]
struct Ask<'a> {
    verb: &'a str,
    group: &'a str,
    resource: &'a str,
    subresource: &'a str,
    namespace: &'a str,
    name: &'a str,
    /// A raw field selector (`spec.nodeName=node0`), parsed as kube-apiserver does.
    selector: &'a str,
}

const ASK: Ask<'static> = Ask {
    verb: "get",
    group: "",
    resource: "",
    subresource: "",
    namespace: "",
    name: "",
    selector: "",
};

impl Ask<'_> {
    fn request(&self, user: UserInfo) -> Request {
        let field_selector = if self.selector.is_empty() {
            Vec::new()
        } else {
            parse_field_selector(self.selector).expect("valid test selector")
        };
        Request {
            user,
            attributes: Attributes::Resource(ResourceAttributes {
                namespace: self.namespace.into(),
                verb: self.verb.into(),
                group: self.group.into(),
                version: "v1".into(),
                resource: self.resource.into(),
                subresource: self.subresource.into(),
                name: self.name.into(),
                field_selector,
                ..ResourceAttributes::default()
            }),
        }
    }
}

/// A graph shared by authorizers with different gates.
struct Fixture {
    store: Arc<NodeGraphStore>,
}

impl Fixture {
    fn new(graph: NodeGraph) -> Self {
        Fixture {
            store: Arc::new(NodeGraphStore::new(graph)),
        }
    }

    fn empty() -> Self {
        Self::new(NodeGraph::new())
    }

    fn add_pod(&self, pod: &Pod) {
        self.store.update(|g| g.add_pod(pod));
    }

    fn ask_with(&self, gates: FeatureGates, node: &str, ask: Ask<'_>) -> Verdict {
        NodeAuthorizer::new(self.store.clone(), gates).decide(&ask.request(node_user(node)))
    }

    fn ask(&self, node: &str, ask: Ask<'_>) -> Verdict {
        self.ask_with(FeatureGates::default(), node, ask)
    }

    /// The decision for `node` getting `resource` `ns1/name` in the core group.
    fn get(&self, node: &str, resource: &str, name: &str) -> Decision {
        let ask = Ask {
            resource,
            namespace: "ns1",
            name,
            ..ASK
        };
        self.ask(node, ask).decision
    }
}

/// A pod from JSON, as a manifest would give it.
fn pod(json: serde_json::Value) -> Pod {
    serde_json::from_value(json).expect("valid test pod")
}
