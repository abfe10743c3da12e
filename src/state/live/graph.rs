//! Mirrors that feed the Node authorizer's graph, with kube-apiserver's event rules
//! (`graph_populator.go`):
//!
//! * Pods: ignored without `spec.nodeName`. An update is skipped when the node, the UID, the
//!   resource claim statuses and the extended resource claim status are unchanged and no
//!   ephemeral container was added (everything else a pod references is immutable once it is
//!   bound); otherwise the pod is re-added whole. A delete removes it.
//! * PersistentVolumes: every add or update re-adds the volume; a delete removes it.
//! * VolumeAttachments: added when new or when `spec.nodeName` changed; a delete removes it.
//! * ResourceSlices and PodCertificateRequests: upstream handles only add and delete, as their
//!   node is immutable. The same "new or node changed" rule as VolumeAttachments gives that
//!   result, and also handles an object deleted and recreated with another node while the watch
//!   was down (seen only as a relist).
//!
//! After a relist, objects that were mirrored but not listed are deleted, so the graph converges
//! on the server's state whatever events were missed. Each change takes the graph's write lock
//! for one object.

use std::collections::{HashMap, HashSet};
use std::marker::PhantomData;
use std::sync::Arc;

use super::objects::{NodeBoundObject, ObjectKey, PersistentVolumeObject, PodObject, key_of};
use super::watch::Mirror;
use crate::api::pod::Pod;
use crate::api::storage::PersistentVolume;
use crate::authorizers::node::{BoundKind, NodeGraphStore};

/// What decides whether a pod update changes the graph.
#[derive(Clone, Debug, PartialEq, Eq)]
struct PodSummary {
    uid: String,
    node_name: String,
    ephemeral_containers: usize,
    /// `status.resourceClaimStatuses` as (name, claim name).
    claim_statuses: Vec<(String, Option<String>)>,
    /// `status.extendedResourceClaimStatus.resourceClaimName`.
    extended_claim: Option<String>,
}

impl PodSummary {
    fn of(pod: &PodObject) -> Self {
        PodSummary {
            uid: pod.metadata.uid.clone().unwrap_or_default(),
            node_name: pod.spec.node_name.clone(),
            ephemeral_containers: pod.spec.ephemeral_containers.len(),
            claim_statuses: pod
                .status
                .resource_claim_statuses
                .iter()
                .map(|s| (s.name.clone(), s.resource_claim_name.clone()))
                .collect(),
            extended_claim: pod
                .status
                .extended_resource_claim_status
                .as_ref()
                .map(|s| s.resource_claim_name.clone()),
        }
    }

    /// Upstream's test for an update that cannot change the pod's references.
    fn unchanged_from(&self, old: &PodSummary) -> bool {
        self.node_name == old.node_name
            && self.uid == old.uid
            && self.ephemeral_containers <= old.ephemeral_containers
            && self.claim_statuses == old.claim_statuses
            && self.extended_claim == old.extended_claim
    }
}

/// Pods bound to a node, mirrored into the graph.
pub struct PodMirror {
    store: Arc<NodeGraphStore>,
    pods: HashMap<ObjectKey, PodSummary>,
    /// The keys seen by the list in progress.
    listing: Option<HashSet<ObjectKey>>,
}

impl PodMirror {
    /// A mirror writing into `store`.
    pub fn new(store: Arc<NodeGraphStore>) -> Self {
        PodMirror {
            store,
            pods: HashMap::new(),
            listing: None,
        }
    }

    fn apply(&mut self, object: PodObject) -> ObjectKey {
        let key = key_of(&object.metadata);
        let summary = PodSummary::of(&object);
        if summary.node_name.is_empty() {
            // Unscheduled. A pod mirrored under this name was deleted and recreated while the
            // watch could not see it (only a relist shows that): drop the old one.
            if self.pods.remove(&key).is_some() {
                self.store.update(|g| g.delete_pod(&key.0, &key.1));
            }
            return key;
        }
        let unchanged = self
            .pods
            .get(&key)
            .is_some_and(|old| summary.unchanged_from(old));
        self.pods.insert(key.clone(), summary);
        if unchanged {
            return key;
        }
        let pod = Pod::from(object);
        self.store.update(|g| g.add_pod(&pod));
        key
    }
}

impl Mirror<PodObject> for PodMirror {
    fn relist_started(&mut self) {
        self.listing = Some(HashSet::new());
    }

    fn listed(&mut self, object: PodObject) {
        let key = self.apply(object);
        if let Some(listing) = &mut self.listing {
            listing.insert(key);
        }
    }

    fn relist_done(&mut self) {
        let Some(listing) = self.listing.take() else {
            return;
        };
        let store = &self.store;
        self.pods.retain(|key, _| {
            let keep = listing.contains(key);
            if !keep {
                store.update(|g| g.delete_pod(&key.0, &key.1));
            }
            keep
        });
    }

    fn applied(&mut self, object: PodObject) {
        self.apply(object);
    }

    fn deleted(&mut self, object: PodObject) {
        let key = key_of(&object.metadata);
        if self.pods.remove(&key).is_some() {
            self.store.update(|g| g.delete_pod(&key.0, &key.1));
        }
    }

    fn count(&self) -> usize {
        self.pods.len()
    }
}

/// PersistentVolumes, mirrored into the graph.
pub struct PvMirror {
    store: Arc<NodeGraphStore>,
    names: HashSet<String>,
    listing: Option<HashSet<String>>,
}

impl PvMirror {
    /// A mirror writing into `store`.
    pub fn new(store: Arc<NodeGraphStore>) -> Self {
        PvMirror {
            store,
            names: HashSet::new(),
            listing: None,
        }
    }
}

impl Mirror<PersistentVolumeObject> for PvMirror {
    fn relist_started(&mut self) {
        self.listing = Some(HashSet::new());
    }

    fn listed(&mut self, object: PersistentVolumeObject) {
        let name = object.metadata.name.clone().unwrap_or_default();
        self.applied(object);
        if let Some(listing) = &mut self.listing {
            listing.insert(name);
        }
    }

    fn relist_done(&mut self) {
        let Some(listing) = self.listing.take() else {
            return;
        };
        let store = &self.store;
        self.names.retain(|name| {
            let keep = listing.contains(name);
            if !keep {
                store.update(|g| g.delete_pv(name));
            }
            keep
        });
    }

    fn applied(&mut self, object: PersistentVolumeObject) {
        let pv = PersistentVolume::from(object);
        self.store.update(|g| g.add_pv(&pv));
        self.names.insert(pv.metadata.name);
    }

    fn deleted(&mut self, object: PersistentVolumeObject) {
        let name = object.metadata.name.unwrap_or_default();
        if self.names.remove(&name) {
            self.store.update(|g| g.delete_pv(&name));
        }
    }

    fn count(&self) -> usize {
        self.names.len()
    }
}

/// VolumeAttachments, ResourceSlices or PodCertificateRequests (`K`), mirrored into the graph.
pub struct BoundMirror<K> {
    store: Arc<NodeGraphStore>,
    kind: BoundKind,
    /// Each object's node (empty for none).
    nodes: HashMap<ObjectKey, String>,
    listing: Option<HashSet<ObjectKey>>,
    object: PhantomData<fn(K)>,
}

impl<K> BoundMirror<K> {
    /// A mirror of `kind` writing into `store`.
    pub fn new(store: Arc<NodeGraphStore>, kind: BoundKind) -> Self {
        BoundMirror {
            store,
            kind,
            nodes: HashMap::new(),
            listing: None,
            object: PhantomData,
        }
    }

    fn apply(&mut self, key: ObjectKey, node: &str) {
        if self.nodes.get(&key).is_some_and(|old| old == node) {
            return;
        }
        let kind = self.kind;
        self.store
            .update(|g| g.add_bound(kind, &key.0, &key.1, node));
        self.nodes.insert(key, node.to_owned());
    }
}

impl<K: NodeBoundObject + Send + 'static> Mirror<K> for BoundMirror<K> {
    fn relist_started(&mut self) {
        self.listing = Some(HashSet::new());
    }

    fn listed(&mut self, object: K) {
        let key = object.key();
        self.apply(key.clone(), object.node_name());
        if let Some(listing) = &mut self.listing {
            listing.insert(key);
        }
    }

    fn relist_done(&mut self) {
        let Some(listing) = self.listing.take() else {
            return;
        };
        let (store, kind) = (&self.store, self.kind);
        self.nodes.retain(|key, _| {
            let keep = listing.contains(key);
            if !keep {
                store.update(|g| g.delete_bound(kind, &key.0, &key.1));
            }
            keep
        });
    }

    fn applied(&mut self, object: K) {
        self.apply(object.key(), object.node_name());
    }

    fn deleted(&mut self, object: K) {
        let key = object.key();
        if self.nodes.remove(&key).is_some() {
            let kind = self.kind;
            self.store.update(|g| g.delete_bound(kind, &key.0, &key.1));
        }
    }

    fn count(&self) -> usize {
        self.nodes.len()
    }
}
