//! Cluster state: the objects authorizers decide over, and the sources that fill them: manifest
//! files (`--state`), or the cluster itself through list/watch (`live`, cargo feature `live`).
//! The RBAC index is published as an immutable snapshot that readers load without ever waiting
//! for a writer.

mod aggregation;
#[cfg(feature = "live")]
pub mod live;
mod manifests;
mod snapshot;
mod sources;

pub use aggregation::aggregate_cluster_roles;
pub use manifests::{Manifest, ManifestError, fingerprint, read_manifests};
pub use snapshot::{ClusterState, StateError};
pub use sources::{Sources, StateLoadError};
