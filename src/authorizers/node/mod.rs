//! The Node authorizer, deciding exactly as kube-apiserver 1.36's
//! (`plugin/pkg/auth/authorizer/node`): a kubelet (user `system:node:<name>` in group
//! `system:nodes`) may reach the Secrets, ConfigMaps, PVCs, PVs, ResourceClaims and service
//! accounts that the pods bound to its node reference, its own VolumeAttachments, ResourceSlices
//! and PodCertificateRequests, its own Node, lease and CSINode, and what the static node rules
//! allow. It never denies; every refusal is NoOpinion, so RBAC may still allow.
//!
//! Parts:
//! * [`NodeGraph`]: the relationships, as reverse indexes so that a decision is a lookup; updated
//!   one object at a time (`add_pod`, `delete_pod`, `add_pv`, ...), as a list/watch source
//!   reports events, or filled from manifests ([`NodeGraph::from_manifests`]).
//! * [`NodeGraphStore`]: the graph shared between decisions (read lock) and its writer (write
//!   lock per object; bulk loads swapped in whole).
//! * [`NodeAuthorizer`]: identity, the dispatch table, the handlers and the static rules.
//! * [`FeatureGates`]: the gate-dependent branches, with 1.36 defaults.
//! * [`sample`]: upstream's synthetic cluster, for tests and benchmarks.

mod authorizer;
mod explain;
mod gates;
mod graph;
mod handlers;
mod load;
mod nodes;
mod records;
mod refs;
mod refusal;
mod rules;
pub mod sample;
mod store;
mod table;

#[cfg(test)]
mod tests;

pub use authorizer::{NODE_USER_PREFIX, NODES_GROUP, NodeAuthorizer};
pub use gates::{FeatureGateError, FeatureGates};
pub use graph::{BoundKind, GraphStats, NodeGraph, Path, Target};
pub use load::GraphLoadError;
pub use refs::{RefKind, visit_pod_references, visit_pv_secrets};
pub use refusal::Refusal;
pub use rules::node_rules;
pub use store::NodeGraphStore;
