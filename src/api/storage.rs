//! The other objects the Node authorizer's graph reads, reduced to the fields it uses:
//! `core/v1` PersistentVolume (claim and secrets), `storage.k8s.io` VolumeAttachment,
//! `resource.k8s.io` ResourceSlice and `certificates.k8s.io` PodCertificateRequest (each only
//! its node). Read as stored: any field may be missing or `null`.

use serde::{Deserialize, Serialize};

use super::de::null_as_default;
use super::pod::{AzureFileSource, SecretRefSource, SecretReference};

/// Just a name and a namespace: the metadata of objects whose other metadata the graph ignores.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameMeta {
    /// Object name.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// Namespace; empty for cluster-scoped objects.
    #[serde(default, deserialize_with = "null_as_default")]
    pub namespace: String,
}

/// A PersistentVolume.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersistentVolume {
    /// Its name.
    #[serde(default, deserialize_with = "null_as_default")]
    pub metadata: NameMeta,
    /// Its claim and source.
    #[serde(default, deserialize_with = "null_as_default")]
    pub spec: PersistentVolumeSpec,
}

/// `PersistentVolumeSpec`, reduced to the claim reference and the sources that name secrets.
/// Kubernetes allows one source per volume; with several, upstream's order decides.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersistentVolumeSpec {
    /// The claim this volume is bound (or reserved) to.
    #[serde(default)]
    pub claim_ref: Option<SecretReference>,
    /// `azureFile`.
    #[serde(default)]
    pub azure_file: Option<AzureFileSource>,
    /// `cephfs`.
    #[serde(default)]
    pub cephfs: Option<SecretRefSource>,
    /// `cinder`.
    #[serde(default)]
    pub cinder: Option<SecretRefSource>,
    /// `flexVolume`.
    #[serde(default)]
    pub flex_volume: Option<SecretRefSource>,
    /// `rbd`.
    #[serde(default)]
    pub rbd: Option<SecretRefSource>,
    /// `scaleIO`.
    #[serde(default, rename = "scaleIO")]
    pub scale_io: Option<SecretRefSource>,
    /// `iscsi`.
    #[serde(default)]
    pub iscsi: Option<SecretRefSource>,
    /// `storageos`.
    #[serde(default)]
    pub storageos: Option<SecretRefSource>,
    /// `csi`.
    #[serde(default)]
    pub csi: Option<CsiPersistentVolumeSource>,
}

/// `CSIPersistentVolumeSource`: five secret references, three of them visible to the kubelet.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CsiPersistentVolumeSource {
    /// Used by the attach controller, never by the kubelet.
    #[serde(default)]
    pub controller_publish_secret_ref: Option<SecretReference>,
    /// Used by the expand controller, never by the kubelet.
    #[serde(default)]
    pub controller_expand_secret_ref: Option<SecretReference>,
    /// Read by the kubelet for NodePublishVolume.
    #[serde(default)]
    pub node_publish_secret_ref: Option<SecretReference>,
    /// Read by the kubelet for NodeStageVolume.
    #[serde(default)]
    pub node_stage_secret_ref: Option<SecretReference>,
    /// Read by the kubelet for NodeExpandVolume.
    #[serde(default)]
    pub node_expand_secret_ref: Option<SecretReference>,
}

/// An object whose only graph edge is to the node named in `spec.nodeName`: VolumeAttachment,
/// ResourceSlice, PodCertificateRequest.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeBound {
    /// Name and (for PodCertificateRequests) namespace.
    #[serde(default, deserialize_with = "null_as_default")]
    pub metadata: NameMeta,
    /// The node.
    #[serde(default, deserialize_with = "null_as_default")]
    pub spec: NodeBoundSpec,
}

/// The `spec.nodeName` of a [`NodeBound`] object (`attacher`, devices and the rest ignored).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeBoundSpec {
    /// The node; empty (or absent, as on a ResourceSlice for a whole pool) means none.
    #[serde(default, deserialize_with = "null_as_default")]
    pub node_name: String,
}
