//! `ClusterState`: the objects read from manifests, sorted by kind. RBAC objects are decoded and,
//! for the file source, aggregated; the kinds the Node authorizer will need are kept as read;
//! everything else is counted and skipped, never an error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use thiserror::Error;

use super::aggregation::aggregate_cluster_roles;
use super::manifests::{Manifest, ManifestError, read_manifests};
use crate::api::rbac::{Binding, Role};
use crate::authorizers::rbac::RbacObjects;

/// Kinds kept for the Node authorizer's graph.
pub const GRAPH_KINDS: [&str; 5] = [
    "Pod",
    "PersistentVolume",
    "VolumeAttachment",
    "ResourceSlice",
    "PodCertificateRequest",
];

/// Why cluster state could not be loaded.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StateError {
    /// A file could not be read or parsed.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// An object of a known kind does not have the expected shape.
    #[error("`{}`, document {document}: {kind} `{name}`: {message}", file.display())]
    Object {
        /// The file.
        file: PathBuf,
        /// The document number.
        document: usize,
        /// The object's kind.
        kind: String,
        /// The object's name, if it has one.
        name: String,
        /// What is wrong.
        message: String,
    },
}

/// The cluster objects authz-chain decides over.
#[derive(Clone, Debug, Default)]
pub struct ClusterState {
    /// Roles, ClusterRoles and their bindings.
    pub rbac: RbacObjects,
    /// Objects of [`GRAPH_KINDS`], as read.
    pub graph_objects: Vec<Manifest>,
    /// How many objects of each other kind were skipped.
    pub skipped: BTreeMap<String, usize>,
    /// Problems that did not stop loading (an invalid aggregation selector, for example).
    pub warnings: Vec<String>,
}

impl ClusterState {
    /// Reads `path` (file or directory) and computes ClusterRole aggregation.
    pub fn load(path: &Path) -> Result<Self, StateError> {
        let mut state = Self::from_manifests(read_manifests(path)?)?;
        state.warnings = aggregate_cluster_roles(&mut state.rbac.cluster_roles);
        Ok(state)
    }

    /// Parses in-memory manifest files (`(name, text)` pairs) and computes aggregation.
    pub fn from_texts(files: &[(&str, &str)]) -> Result<Self, StateError> {
        let mut manifests = Vec::new();
        for (name, text) in files {
            super::manifests::parse_text(text, Path::new(name), &mut manifests)?;
        }
        let mut state = Self::from_manifests(manifests)?;
        state.warnings = aggregate_cluster_roles(&mut state.rbac.cluster_roles);
        Ok(state)
    }

    /// Sorts manifests into state. A later object with the same kind, namespace and name replaces
    /// an earlier one.
    pub fn from_manifests(manifests: Vec<Manifest>) -> Result<Self, StateError> {
        let mut roles = BTreeMap::new();
        let mut cluster_roles = BTreeMap::new();
        let mut role_bindings = BTreeMap::new();
        let mut cluster_role_bindings = BTreeMap::new();
        let mut state = ClusterState::default();
        for manifest in manifests {
            let is_rbac = manifest.api_version.is_empty()
                || manifest
                    .api_version
                    .starts_with("rbac.authorization.k8s.io/");
            match manifest.kind.as_str() {
                "Role" if is_rbac => {
                    insert(&mut roles, decode::<Role>(&manifest)?, |r| &r.metadata)
                }
                "ClusterRole" if is_rbac => {
                    insert(&mut cluster_roles, decode::<Role>(&manifest)?, |r| {
                        &r.metadata
                    })
                }
                "RoleBinding" if is_rbac => {
                    insert(&mut role_bindings, decode::<Binding>(&manifest)?, |b| {
                        &b.metadata
                    })
                }
                "ClusterRoleBinding" if is_rbac => insert(
                    &mut cluster_role_bindings,
                    decode::<Binding>(&manifest)?,
                    |b| &b.metadata,
                ),
                kind if GRAPH_KINDS.contains(&kind) => state.graph_objects.push(manifest),
                kind => *state.skipped.entry(kind.to_owned()).or_default() += 1,
            }
        }
        state.rbac = RbacObjects {
            roles: roles.into_values().collect(),
            cluster_roles: cluster_roles.into_values().collect(),
            role_bindings: role_bindings.into_values().collect(),
            cluster_role_bindings: cluster_role_bindings.into_values().collect(),
        };
        Ok(state)
    }
}

fn insert<T>(
    map: &mut BTreeMap<(String, String), T>,
    object: T,
    meta: impl Fn(&T) -> &crate::api::meta::ObjectMeta,
) {
    let m = meta(&object);
    map.insert((m.namespace.clone(), m.name.clone()), object);
}

fn decode<T: DeserializeOwned>(manifest: &Manifest) -> Result<T, StateError> {
    serde_json::from_value(manifest.object.clone()).map_err(|e| StateError::Object {
        file: manifest.file.clone(),
        document: manifest.document,
        kind: manifest.kind.clone(),
        name: manifest
            .object
            .pointer("/metadata/name")
            .and_then(|n| n.as_str())
            .unwrap_or_default()
            .to_owned(),
        message: e.to_string(),
    })
}
