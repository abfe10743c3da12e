//! Filling a [`NodeGraph`] from manifests (the `--state` files): each object is decoded into
//! the reduced API types and added as the live source will add it, one at a time.

use std::path::PathBuf;

use serde::Deserialize;
use thiserror::Error;

use super::graph::{BoundKind, NodeGraph};
use crate::api::manifest::Manifest;
use crate::api::pod::Pod;
use crate::api::storage::{NodeBound, PersistentVolume};

/// An object of a graph kind that does not have the expected shape.
#[derive(Debug, Error)]
#[error("`{}`, document {document}: {kind} `{name}`: {message}", file.display())]
#[non_exhaustive]
pub struct GraphLoadError {
    /// The file.
    pub file: PathBuf,
    /// The document number in the file.
    pub document: usize,
    /// The object's kind.
    pub kind: String,
    /// The object's name, if it has one.
    pub name: String,
    /// What is wrong.
    pub message: String,
}

impl NodeGraph {
    /// Builds a graph from manifests of kinds Pod, PersistentVolume, VolumeAttachment,
    /// ResourceSlice and PodCertificateRequest; other kinds are ignored.
    pub fn from_manifests<'m>(
        manifests: impl IntoIterator<Item = &'m Manifest>,
    ) -> Result<Self, GraphLoadError> {
        let mut graph = NodeGraph::new();
        for manifest in manifests {
            graph.add_manifest(manifest)?;
        }
        Ok(graph)
    }

    /// Adds one manifest; kinds the graph does not hold are ignored.
    pub fn add_manifest(&mut self, manifest: &Manifest) -> Result<(), GraphLoadError> {
        match manifest.kind.as_str() {
            "Pod" => self.add_pod(&decode::<Pod>(manifest)?),
            "PersistentVolume" => self.add_pv(&decode::<PersistentVolume>(manifest)?),
            kind => {
                let bound_kind = match kind {
                    "VolumeAttachment" => BoundKind::VolumeAttachment,
                    "ResourceSlice" => BoundKind::ResourceSlice,
                    "PodCertificateRequest" => BoundKind::PodCertificateRequest,
                    _ => return Ok(()),
                };
                let object = decode::<NodeBound>(manifest)?;
                self.add_bound(
                    bound_kind,
                    &object.metadata.namespace,
                    &object.metadata.name,
                    &object.spec.node_name,
                );
            }
        }
        Ok(())
    }
}

fn decode<'m, T: Deserialize<'m>>(manifest: &'m Manifest) -> Result<T, GraphLoadError> {
    T::deserialize(&manifest.object).map_err(|e| GraphLoadError {
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::authorizers::node::{RefKind, Target};

    fn manifest(kind: &str, object: serde_json::Value) -> Manifest {
        Manifest {
            kind: kind.into(),
            api_version: "v1".into(),
            object,
            file: PathBuf::from("state/objects.yaml"),
            document: 3,
        }
    }

    #[test]
    fn tolerates_nulls_and_missing_fields() {
        let manifests = [
            manifest(
                "Pod",
                json!({
                    "metadata": {"name": "p", "namespace": "ns", "annotations": null},
                    "spec": {"nodeName": "n1", "volumes": null, "containers": [{"name": "c", "env": null}],
                             "imagePullSecrets": [{"name": "pull"}]},
                    "status": null,
                }),
            ),
            manifest(
                "Pod",
                json!({"metadata": {"name": "unbound", "namespace": "ns"}}),
            ),
            manifest(
                "PersistentVolume",
                json!({"metadata": {"name": "pv"}, "spec": null}),
            ),
            manifest(
                "VolumeAttachment",
                json!({"metadata": {"name": "va"}, "spec": {"nodeName": "n1"}}),
            ),
            manifest(
                "ResourceSlice",
                json!({"metadata": {"name": "pool-slice"}, "spec": {"nodeName": null}}),
            ),
            manifest("ConfigMap", json!({"metadata": {"name": "ignored"}})),
        ];
        let graph = NodeGraph::from_manifests(&manifests).expect("tolerant");
        let stats = graph.stats();
        assert_eq!(
            (stats.pods, stats.persistent_volumes, stats.bound),
            (1, 0, 1)
        );
        assert_eq!(
            graph.nodes_reaching(RefKind::Secret, "ns", "pull"),
            ["n1"],
            "{:?}",
            graph.referenced()
        );
        assert!(matches!(
            graph.check("n1", Target::Bound(BoundKind::VolumeAttachment), "", "va"),
            super::super::Path::Found
        ));
    }

    #[test]
    fn malformed_objects_name_file_document_and_object() {
        let bad = manifest(
            "Pod",
            json!({"metadata": {"name": "p", "namespace": "ns"}, "spec": {"volumes": "none"}}),
        );
        let error = NodeGraph::from_manifests([&bad]).expect_err("volumes is not a list");
        assert_eq!(
            error.to_string(),
            "`state/objects.yaml`, document 3: Pod `p`: invalid type: string \"none\", expected a sequence"
        );
    }
}
