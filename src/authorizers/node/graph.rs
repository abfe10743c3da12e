//! `NodeGraph`: upstream's node graph (`plugin/pkg/auth/authorizer/node/graph.go`) as reverse
//! indexes, so that every question is a lookup rather than a walk.
//!
//! Upstream keeps vertices and edges pointing toward nodes, and answers "is there a path from
//! this object to that node" by a depth-first walk, shortened by a destination index on vertices
//! of degree 200 or more. Here every object referenced by pods keeps that destination index
//! always: a [`NodeSet`] of the nodes it reaches, with the number of paths to each. A pod
//! reference adds one path; a PersistentVolume adds, to each of its kubelet-visible secrets,
//! one path per node its claim reaches, and keeps that up to date as the claim gains and loses
//! nodes. A decision is then two hash lookups (node, object) and a membership test: a scan of a
//! small sorted set, or one bit of a bitmap for objects that many nodes share.
//!
//! Updates replace exactly one object's contributions: `add_pod` first removes what the pod
//! with that namespace and name contributed before, then adds the new references. Objects and
//! nodes nothing refers to any more are dropped, as upstream drops orphaned vertices.

use smallvec::SmallVec;

use super::nodes::{NodeId, NodeSet, NodeTable};
use super::records::{BoundRecord, PodRecord, PvRecord, Vertex};
use super::refs::{RefKind, visit_pod_references, visit_pv_secrets};
use super::refusal::Refusal;
use super::table::{Key, NsName, Table};

pub use super::records::BoundKind;
use crate::api::pod::Pod;
use crate::api::storage::PersistentVolume;

/// What a graph check asks about: upstream's starting vertex type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// An object pods reference.
    Ref(RefKind),
    /// A pod.
    Pod,
    /// A PersistentVolume.
    PersistentVolume,
    /// A VolumeAttachment, ResourceSlice or PodCertificateRequest.
    Bound(BoundKind),
}

/// The answer of [`NodeGraph::check`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path<'g> {
    /// The object reaches the node.
    Found,
    /// It does not; for a node the graph knows, its refusal reason, formatted once.
    Missing(Option<&'g Refusal>),
}

/// Sizes, for logs and tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GraphStats {
    /// Nodes something is bound to.
    pub nodes: usize,
    /// Pods bound to a node.
    pub pods: usize,
    /// PersistentVolumes with a claim.
    pub persistent_volumes: usize,
    /// VolumeAttachments, ResourceSlices and PodCertificateRequests bound to a node.
    pub bound: usize,
    /// Secrets, ConfigMaps, ServiceAccounts, PVCs and ResourceClaims referenced.
    pub referenced: usize,
}

/// The Node authorizer's graph. Not synchronised: see `NodeGraphStore`.
#[derive(Default)]
pub struct NodeGraph {
    pub(super) nodes: NodeTable,
    pub(super) vertices: Table<Vertex>,
    pub(super) pods: Table<PodRecord>,
    pub(super) volumes: Table<PvRecord>,
    pub(super) bound: Table<BoundRecord>,
}

/// Only the sizes: a graph can hold 100,000 pods.
impl std::fmt::Debug for NodeGraph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("NodeGraph").field(&self.stats()).finish()
    }
}

impl NodeGraph {
    /// An empty graph.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `pod`, replacing an earlier pod with its namespace and name. A pod without
    /// `spec.nodeName` is not in the graph, so adding one removes the earlier pod. A mirror pod
    /// reaches only its node.
    pub fn add_pod(&mut self, pod: &Pod) {
        let (namespace, name) = (&pod.metadata.namespace, &pod.metadata.name);
        self.delete_pod(namespace, name);
        if pod.spec.node_name.is_empty() {
            return;
        }
        let node = self.nodes.bind(&pod.spec.node_name);
        let mut refs: SmallVec<[u32; 5]> = SmallVec::new();
        if !pod.is_mirror() {
            visit_pod_references(pod, |kind, object| {
                refs.push(self.vertex(kind, namespace, object));
            });
            refs.sort_unstable();
            refs.dedup();
            for &vertex in &refs {
                self.vertices.get_mut(vertex).users += 1;
                self.link(vertex, node);
            }
        }
        self.pods.insert(PodRecord {
            key: NsName::new(namespace, name),
            node,
            refs,
        });
    }

    /// Removes the pod `namespace/name` and every path it made.
    pub fn delete_pod(&mut self, namespace: &str, name: &str) {
        let key = Key {
            kind: 0,
            namespace,
            name,
        };
        let Some(slot) = self.pods.find(key) else {
            return;
        };
        let pod = self.pods.remove(slot);
        for &vertex in pod.refs.iter() {
            self.unlink(vertex, pod.node);
            self.release(vertex);
        }
        self.nodes.unbind(pod.node);
    }

    /// Adds `pv`, replacing an earlier one with its name. Without a `claimRef` it makes no
    /// paths. Its kubelet-visible secrets reach every node its claim reaches.
    pub fn add_pv(&mut self, pv: &PersistentVolume) {
        let name = &pv.metadata.name;
        self.delete_pv(name);
        let Some(claim_ref) = &pv.spec.claim_ref else {
            return;
        };
        let claim = self.vertex(
            RefKind::PersistentVolumeClaim,
            &claim_ref.namespace,
            &claim_ref.name,
        );
        self.vertices.get_mut(claim).users += 1;
        let mut secrets: SmallVec<[u32; 4]> = SmallVec::new();
        visit_pv_secrets(pv, |namespace, secret, kubelet_visible| {
            if kubelet_visible {
                secrets.push(self.vertex(RefKind::Secret, namespace, secret));
            }
        });
        secrets.sort_unstable();
        secrets.dedup();
        let reached: SmallVec<[NodeId; 4]> = self.vertices.get(claim).nodes.nodes().collect();
        for &secret in &secrets {
            let vertex = self.vertices.get_mut(secret);
            vertex.users += 1;
            for &node in &reached {
                vertex.nodes.add(node);
            }
        }
        let slot = self.volumes.insert(PvRecord {
            name: name.as_str().into(),
            claim,
            secrets: secrets.as_slice().into(),
        });
        self.vertices.get_mut(claim).volumes.push(slot);
    }

    /// Removes the PersistentVolume `name` and the paths through it.
    pub fn delete_pv(&mut self, name: &str) {
        let Some(slot) = self.volumes.find(pv_key(name)) else {
            return;
        };
        let pv = self.volumes.remove(slot);
        let claim = self.vertices.get_mut(pv.claim);
        claim.volumes.retain(|v| *v != slot);
        let reached: SmallVec<[NodeId; 4]> = claim.nodes.nodes().collect();
        for &secret in pv.secrets.iter() {
            let vertex = self.vertices.get_mut(secret);
            for &node in &reached {
                vertex.nodes.remove(node);
            }
            self.release(secret);
        }
        self.release(pv.claim);
    }

    /// Adds a VolumeAttachment, ResourceSlice or PodCertificateRequest bound to `node`
    /// (replacing an earlier one with its key); an empty `node` binds it to nothing.
    pub fn add_bound(&mut self, kind: BoundKind, namespace: &str, name: &str, node: &str) {
        self.delete_bound(kind, namespace, name);
        if node.is_empty() {
            return;
        }
        let node = self.nodes.bind(node);
        self.bound.insert(BoundRecord {
            kind,
            key: NsName::new(namespace, name),
            node,
        });
    }

    /// Removes a VolumeAttachment, ResourceSlice or PodCertificateRequest.
    pub fn delete_bound(&mut self, kind: BoundKind, namespace: &str, name: &str) {
        let key = Key {
            kind: kind as u8,
            namespace,
            name,
        };
        if let Some(slot) = self.bound.find(key) {
            let record = self.bound.remove(slot);
            self.nodes.unbind(record.node);
        }
    }

    /// Whether the object `namespace/name` of type `target` reaches the node `node`. The
    /// namespace is used exactly as given: a cluster-scoped object asked for with a namespace
    /// is not found.
    #[inline]
    pub fn check(&self, node: &str, target: Target, namespace: &str, name: &str) -> Path<'_> {
        let Some(id) = self.nodes.id(node) else {
            return Path::Missing(None);
        };
        if self.reaches(id, target, namespace, name) {
            Path::Found
        } else {
            Path::Missing(Some(self.nodes.refused(id)))
        }
    }

    #[inline]
    fn reaches(&self, node: NodeId, target: Target, namespace: &str, name: &str) -> bool {
        match target {
            Target::Ref(kind) => {
                let key = Key {
                    kind: kind as u8,
                    namespace,
                    name,
                };
                self.vertices
                    .find(key)
                    .is_some_and(|v| self.vertices.get(v).nodes.contains(node))
            }
            Target::Pod => {
                let key = Key {
                    kind: 0,
                    namespace,
                    name,
                };
                self.pods
                    .find(key)
                    .is_some_and(|p| self.pods.get(p).node == node)
            }
            Target::PersistentVolume => {
                namespace.is_empty()
                    && self.volumes.find(pv_key(name)).is_some_and(|pv| {
                        let claim = self.volumes.get(pv).claim;
                        self.vertices.get(claim).nodes.contains(node)
                    })
            }
            Target::Bound(kind) => {
                let key = Key {
                    kind: kind as u8,
                    namespace,
                    name,
                };
                self.bound
                    .find(key)
                    .is_some_and(|b| self.bound.get(b).node == node)
            }
        }
    }

    /// Sizes of the graph.
    pub fn stats(&self) -> GraphStats {
        GraphStats {
            nodes: self.nodes.len(),
            pods: self.pods.len(),
            persistent_volumes: self.volumes.len(),
            bound: self.bound.len(),
            referenced: self.vertices.len(),
        }
    }

    /// The nodes the object reaches, by name, sorted (for tests and debugging).
    pub fn nodes_reaching(&self, kind: RefKind, namespace: &str, name: &str) -> Vec<String> {
        let key = Key {
            kind: kind as u8,
            namespace,
            name,
        };
        let mut names: Vec<String> = self
            .vertices
            .find(key)
            .map(|v| {
                self.vertices
                    .get(v)
                    .nodes
                    .nodes()
                    .map(|n| self.nodes.name(n).to_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    /// Every referenced object as `(kind, namespace, name)`, sorted (for tests).
    pub fn referenced(&self) -> Vec<(RefKind, String, String)> {
        let mut all: Vec<_> = self
            .vertices
            .iter()
            .map(|v| {
                (
                    v.kind,
                    v.key.namespace().to_owned(),
                    v.key.name().to_owned(),
                )
            })
            .collect();
        all.sort();
        all
    }

    /// The vertex for `kind namespace/name`, created without users if new.
    fn vertex(&mut self, kind: RefKind, namespace: &str, name: &str) -> u32 {
        let key = Key {
            kind: kind as u8,
            namespace,
            name,
        };
        self.vertices.find_or_insert(key, || Vertex {
            kind,
            key: NsName::new(namespace, name),
            nodes: NodeSet::default(),
            users: 0,
            volumes: SmallVec::new(),
        })
    }

    /// One more path from `vertex` to `node`. A claim that newly reaches the node passes it on
    /// to the secrets of the PersistentVolumes bound to it.
    fn link(&mut self, vertex: u32, node: NodeId) {
        let v = self.vertices.get_mut(vertex);
        if v.nodes.add(node) && !v.volumes.is_empty() {
            let volumes = v.volumes.clone();
            for pv in volumes {
                for &secret in self.volumes.get(pv).secrets.iter() {
                    self.vertices.get_mut(secret).nodes.add(node);
                }
            }
        }
    }

    /// One path fewer from `vertex` to `node`, undoing [`Self::link`].
    fn unlink(&mut self, vertex: u32, node: NodeId) {
        let v = self.vertices.get_mut(vertex);
        if v.nodes.remove(node) && !v.volumes.is_empty() {
            let volumes = v.volumes.clone();
            for pv in volumes {
                for &secret in self.volumes.get(pv).secrets.iter() {
                    self.vertices.get_mut(secret).nodes.remove(node);
                }
            }
        }
    }

    /// One user fewer; the last one drops the vertex.
    fn release(&mut self, vertex: u32) {
        let v = self.vertices.get_mut(vertex);
        v.users -= 1;
        if v.users == 0 {
            // INVARIANT: without users there are no pods or PVs making paths from it.
            debug_assert!(v.nodes.is_empty() && v.volumes.is_empty());
            self.vertices.remove(vertex);
        }
    }

    /// The name of every node something is bound to (pods, VolumeAttachments, ResourceSlices,
    /// PodCertificateRequests), sorted: the nodes the graph can say anything about.
    pub fn node_names(&self) -> Vec<String> {
        let mut ids: Vec<NodeId> = (self.pods.iter().map(|p| p.node))
            .chain(self.bound.iter().map(|b| b.node))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let mut names: Vec<String> = ids
            .iter()
            .map(|&id| self.nodes.name(id).to_owned())
            .collect();
        names.sort_unstable();
        names
    }
}

pub(super) fn pv_key(name: &str) -> Key<'_> {
    Key {
        kind: 0,
        namespace: "",
        name,
    }
}
