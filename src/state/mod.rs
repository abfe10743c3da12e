//! Cluster state: the objects authorizers decide over, and the sources that fill them. For now the
//! source is manifest files (`--state`); the RBAC index is published as an immutable snapshot that
//! readers load without ever waiting for a writer.

mod aggregation;
mod manifests;
mod snapshot;

pub use aggregation::aggregate_cluster_roles;
pub use manifests::{Manifest, ManifestError, fingerprint, read_manifests};
pub use snapshot::{ClusterState, StateError};
