//! Explaining a Node decision: which part of the authorizer answered, and for objects reached
//! through the graph, the path from the node to the object (node → pod → secret, node → pod →
//! claim → volume → secret, ...) or why there is none.
//!
//! The verdict is always [`NodeAuthorizer::decide`]'s; the path is traced afterwards by walking
//! the graph's records, which is slower than the decision's index lookup and fine for a question
//! asked by a person.

use super::authorizer::{Handler, NodeAuthorizer};
use super::graph::{NodeGraph, Target, pv_key};
use super::records::{BoundKind, PvRecord};
use super::refs::RefKind;
use super::table::Key;
use super::{NODE_USER_PREFIX, NODES_GROUP};
use crate::authz::explain::{Detail, Explained, NodeDetail};
use crate::authz::text::str_eq;
use crate::authz::{Attributes, Decision, Request};

/// At most this many other nodes are named when an object is not reachable from the asking one.
const MAX_OTHER_NODES: usize = 20;

impl NodeAuthorizer {
    /// Decides `request` and says why.
    pub fn explained(&self, request: &Request) -> Explained {
        let verdict = self.decide(request);
        let mut detail = NodeDetail::default();
        let node = request
            .user
            .name
            .strip_prefix(NODE_USER_PREFIX)
            .filter(|_| request.user.groups.iter().any(|g| str_eq(g, NODES_GROUP)));
        if let Some(node) = node {
            detail.node = Some(node.to_owned());
            match &request.attributes {
                Attributes::NonResource(_) => detail.handler = "static rules".into(),
                Attributes::Resource(r) => {
                    let (handler, target) = describe(self.handler(&r.group, &r.resource));
                    detail.handler = handler.into();
                    // Handlers of their own answer nameless requests (lists by node) without the graph.
                    let target = target.filter(|_| handler == "graph" || !r.name.is_empty());
                    if let Some(target) = target {
                        detail.object = Some(object_text(target, &r.namespace, &r.name));
                        let allowed = verdict.decision == Decision::Allow;
                        // The graph's own refusal: say what the graph holds instead.
                        let no_path = !r.name.is_empty()
                            && verdict.reason.as_str().starts_with("no relationship found");
                        if allowed || no_path {
                            let (path, why, others) = self
                                .graph()
                                .read(|graph| graph.trace(node, target, &r.namespace, &r.name));
                            if allowed {
                                detail.path = path;
                            } else {
                                detail.why = Some(why);
                                detail.reachable_from = others;
                            }
                        }
                    }
                }
            }
            // Any other refusal (a verb, a subresource, no name) is the authorizer's reason.
            if detail.why.is_none()
                && verdict.decision != Decision::Allow
                && !verdict.reason.is_empty()
            {
                detail.why = Some(verdict.reason.as_str().to_owned());
            }
        }
        Explained {
            verdict,
            detail: Detail::Node(detail),
        }
    }
}

/// The handler's name, and the graph object it checks (if it goes through the graph).
fn describe(handler: Handler) -> (&'static str, Option<Target>) {
    match handler {
        Handler::ReadNamespaced(kind) | Handler::Get(Target::Ref(kind)) => {
            ("graph", Some(Target::Ref(kind)))
        }
        Handler::PersistentVolumeClaims => {
            ("graph", Some(Target::Ref(RefKind::PersistentVolumeClaim)))
        }
        Handler::Get(target) => ("graph", Some(target)),
        Handler::ServiceAccounts => (
            "serviceaccount token",
            Some(Target::Ref(RefKind::ServiceAccount)),
        ),
        Handler::Leases => ("lease", None),
        Handler::CsiNodes => ("csinode", None),
        Handler::ResourceSlices => (
            "resourceslices",
            Some(Target::Bound(BoundKind::ResourceSlice)),
        ),
        Handler::Nodes => ("node", None),
        Handler::Pods => ("pods", Some(Target::Pod)),
        Handler::PodCertificateRequests => (
            "podcertificaterequests",
            Some(Target::Bound(BoundKind::PodCertificateRequest)),
        ),
        Handler::StaticRules => ("static rules", None),
    }
}

fn kind_name(kind: RefKind) -> &'static str {
    match kind {
        RefKind::Secret => "secret",
        RefKind::ConfigMap => "configmap",
        RefKind::ServiceAccount => "serviceaccount",
        RefKind::PersistentVolumeClaim => "persistentvolumeclaim",
        RefKind::ResourceClaim => "resourceclaim",
    }
}

fn object_text(target: Target, namespace: &str, name: &str) -> String {
    let kind = match target {
        Target::Ref(kind) => kind_name(kind),
        Target::Pod => "pod",
        Target::PersistentVolume => "persistentvolume",
        Target::Bound(BoundKind::VolumeAttachment) => "volumeattachment",
        Target::Bound(BoundKind::ResourceSlice) => "resourceslice",
        Target::Bound(BoundKind::PodCertificateRequest) => "podcertificaterequest",
    };
    if namespace.is_empty() {
        format!("{kind}/{name}")
    } else {
        format!("{kind}/{namespace}/{name}")
    }
}

impl NodeGraph {
    /// The path from `node` to the object, or why there is none and which nodes it reaches.
    fn trace(
        &self,
        node: &str,
        target: Target,
        namespace: &str,
        name: &str,
    ) -> (Vec<String>, String, Vec<String>) {
        let node_text = format!("node/{node}");
        let Some(id) = self.nodes.id(node) else {
            return (
                Vec::new(),
                "unknown node: nothing is bound to it".into(),
                self.reaching(target, namespace, name),
            );
        };
        let pod_text = |pod: &super::records::PodRecord| {
            format!("pod/{}/{}", pod.key.namespace(), pod.key.name())
        };
        // The pod on this node referencing vertex `slot`.
        let pod_using = |slot: u32| {
            self.pods
                .iter()
                .find(|pod| pod.node == id && pod.refs.contains(&slot))
        };
        let object = object_text(target, namespace, name);
        let found: Option<Vec<String>> = match target {
            Target::Ref(kind) => {
                let key = Key {
                    kind: kind as u8,
                    namespace,
                    name,
                };
                let Some(slot) = self.vertices.find(key) else {
                    return (
                        Vec::new(),
                        format!("no such object: no pod bound to a node references {object}"),
                        Vec::new(),
                    );
                };
                pod_using(slot)
                    .map(|pod| vec![node_text.clone(), pod_text(pod), object.clone()])
                    .or_else(|| {
                        // A secret a PersistentVolume names, through the volume's claim.
                        (kind == RefKind::Secret).then(|| {
                            self.volumes.iter().find_map(|pv| {
                                if !pv.secrets.contains(&slot) {
                                    return None;
                                }
                                let pod = pod_using(pv.claim)?;
                                let claim = self.vertices.get(pv.claim);
                                Some(vec![
                                    node_text.clone(),
                                    pod_text(pod),
                                    format!(
                                        "persistentvolumeclaim/{}/{}",
                                        claim.key.namespace(),
                                        claim.key.name()
                                    ),
                                    format!("persistentvolume/{}", pv.name),
                                    object.clone(),
                                ])
                            })
                        })?
                    })
            }
            Target::Pod => {
                let key = Key {
                    kind: 0,
                    namespace,
                    name,
                };
                let Some(slot) = self.pods.find(key) else {
                    return (
                        Vec::new(),
                        format!("no such object: {object} is not bound to any node"),
                        Vec::new(),
                    );
                };
                let pod = self.pods.get(slot);
                (pod.node == id).then(|| vec![node_text.clone(), object.clone()])
            }
            Target::PersistentVolume => {
                let pv = self.persistent_volume(namespace, name);
                let Some(pv) = pv else {
                    return (
                        Vec::new(),
                        format!("no such object: no claim of a pod names {object}"),
                        Vec::new(),
                    );
                };
                pod_using(pv.claim).map(|pod| {
                    let claim = self.vertices.get(pv.claim);
                    vec![
                        node_text.clone(),
                        pod_text(pod),
                        format!(
                            "persistentvolumeclaim/{}/{}",
                            claim.key.namespace(),
                            claim.key.name()
                        ),
                        object.clone(),
                    ]
                })
            }
            Target::Bound(kind) => {
                let key = Key {
                    kind: kind as u8,
                    namespace,
                    name,
                };
                let Some(slot) = self.bound.find(key) else {
                    return (
                        Vec::new(),
                        format!("no such object: {object} names no node"),
                        Vec::new(),
                    );
                };
                (self.bound.get(slot).node == id).then(|| vec![node_text.clone(), object.clone()])
            }
        };
        match found {
            Some(path) => (path, String::new(), Vec::new()),
            None => (
                Vec::new(),
                format!("not bound to this node: no path from {node_text} to {object}"),
                self.reaching(target, namespace, name),
            ),
        }
    }

    /// The PersistentVolume `name` with a claim (cluster-scoped: none with a namespace).
    fn persistent_volume(&self, namespace: &str, name: &str) -> Option<&PvRecord> {
        if !namespace.is_empty() {
            return None;
        }
        self.volumes
            .find(pv_key(name))
            .map(|slot| self.volumes.get(slot))
    }

    /// The nodes the object reaches (at most [`MAX_OTHER_NODES`]).
    fn reaching(&self, target: Target, namespace: &str, name: &str) -> Vec<String> {
        let mut names: Vec<String> = match target {
            Target::Ref(kind) => self.nodes_reaching(kind, namespace, name),
            Target::Pod => {
                let key = Key {
                    kind: 0,
                    namespace,
                    name,
                };
                self.pods
                    .find(key)
                    .map(|p| vec![self.nodes.name(self.pods.get(p).node).to_owned()])
                    .unwrap_or_default()
            }
            Target::PersistentVolume => self
                .persistent_volume(namespace, name)
                .map(|pv| {
                    let claim = self.vertices.get(pv.claim);
                    self.nodes_reaching(
                        RefKind::PersistentVolumeClaim,
                        claim.key.namespace(),
                        claim.key.name(),
                    )
                })
                .unwrap_or_default(),
            Target::Bound(kind) => {
                let key = Key {
                    kind: kind as u8,
                    namespace,
                    name,
                };
                self.bound
                    .find(key)
                    .map(|b| vec![self.nodes.name(self.bound.get(b).node).to_owned()])
                    .unwrap_or_default()
            }
        };
        names.truncate(MAX_OTHER_NODES);
        names
    }
}
