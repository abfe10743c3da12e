//! The records of the node graph: referenced objects (vertices with their destination index),
//! pods, PersistentVolumes and the objects bound to a node by name, each keyed for a
//! [`Table`](super::table::Table).

use smallvec::SmallVec;

use super::nodes::{NodeId, NodeSet};
use super::refs::RefKind;
use super::table::{Key, Keyed, NsName};

/// An object known only because pods or PersistentVolumes reference it.
#[derive(Debug)]
pub(super) struct Vertex {
    pub kind: RefKind,
    pub key: NsName,
    /// The nodes this object reaches.
    pub nodes: NodeSet,
    /// How many pods and PersistentVolumes reference it (PVs count on their claim and their
    /// secrets); it is dropped at zero.
    pub users: u32,
    /// PVCs only: the PersistentVolumes whose `claimRef` names this claim.
    pub volumes: SmallVec<[u32; 1]>,
}

impl Keyed for Vertex {
    #[inline]
    fn key(&self) -> Key<'_> {
        Key {
            kind: self.kind as u8,
            namespace: self.key.namespace(),
            name: self.key.name(),
        }
    }
}

/// A pod bound to a node, with the objects it references (none for a mirror pod).
#[derive(Debug)]
pub(super) struct PodRecord {
    pub key: NsName,
    pub node: NodeId,
    pub refs: SmallVec<[u32; 5]>,
}

impl Keyed for PodRecord {
    #[inline]
    fn key(&self) -> Key<'_> {
        Key {
            kind: 0,
            namespace: self.key.namespace(),
            name: self.key.name(),
        }
    }
}

/// A PersistentVolume with a `claimRef`.
#[derive(Debug)]
pub(super) struct PvRecord {
    pub name: Box<str>,
    pub claim: u32,
    /// Kubelet-visible secrets, without duplicates.
    pub secrets: Box<[u32]>,
}

impl Keyed for PvRecord {
    #[inline]
    fn key(&self) -> Key<'_> {
        Key {
            kind: 0,
            namespace: "",
            name: &self.name,
        }
    }
}

/// The objects that name their node in `spec.nodeName`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoundKind {
    /// `storage.k8s.io` VolumeAttachment (cluster-scoped).
    VolumeAttachment = 1,
    /// `resource.k8s.io` ResourceSlice (cluster-scoped).
    ResourceSlice = 2,
    /// `certificates.k8s.io` PodCertificateRequest (namespaced).
    PodCertificateRequest = 3,
}

#[derive(Debug)]
pub(super) struct BoundRecord {
    pub kind: BoundKind,
    pub key: NsName,
    pub node: NodeId,
}

impl Keyed for BoundRecord {
    #[inline]
    fn key(&self) -> Key<'_> {
        Key {
            kind: self.kind as u8,
            namespace: self.key.namespace(),
            name: self.key.name(),
        }
    }
}
