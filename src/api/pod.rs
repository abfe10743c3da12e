//! `core/v1` Pod, reduced to what the Node authorizer's graph reads: the node it is bound to,
//! whether it is a mirror pod, and every name it uses to reference a Secret, ConfigMap,
//! PersistentVolumeClaim, ResourceClaim or ServiceAccount. Read as stored: any field may be
//! missing or `null`, and everything else in the object is ignored.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::de::null_as_default;

/// The annotation that marks a mirror pod (the API copy of a kubelet's static pod).
pub const MIRROR_POD_ANNOTATION: &str = "kubernetes.io/config.mirror";

/// A Pod.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pod {
    /// Name, namespace and annotations.
    #[serde(default, deserialize_with = "null_as_default")]
    pub metadata: PodMeta,
    /// The references.
    #[serde(default, deserialize_with = "null_as_default")]
    pub spec: PodSpec,
    /// Resource claim names filled in after binding.
    #[serde(default, deserialize_with = "null_as_default")]
    pub status: PodStatus,
}

/// The part of a Pod's `metadata` the graph reads.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodMeta {
    /// Pod name.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// Pod namespace.
    #[serde(default, deserialize_with = "null_as_default")]
    pub namespace: String,
    /// Annotations; only the presence of [`MIRROR_POD_ANNOTATION`] matters.
    #[serde(default, deserialize_with = "null_as_default")]
    pub annotations: BTreeMap<String, String>,
}

/// `PodSpec`, reduced.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSpec {
    /// The node the pod is bound to; empty while unscheduled.
    #[serde(default, deserialize_with = "null_as_default")]
    pub node_name: String,
    /// The pod's service account.
    #[serde(default, deserialize_with = "null_as_default")]
    pub service_account_name: String,
    /// Image pull secrets.
    #[serde(default, deserialize_with = "null_as_default")]
    pub image_pull_secrets: Vec<LocalObjectReference>,
    /// Init containers.
    #[serde(default, deserialize_with = "null_as_default")]
    pub init_containers: Vec<Container>,
    /// Regular containers.
    #[serde(default, deserialize_with = "null_as_default")]
    pub containers: Vec<Container>,
    /// Ephemeral (debug) containers, added after creation.
    #[serde(default, deserialize_with = "null_as_default")]
    pub ephemeral_containers: Vec<Container>,
    /// Volumes.
    #[serde(default, deserialize_with = "null_as_default")]
    pub volumes: Vec<Volume>,
    /// Dynamic resource allocation claims.
    #[serde(default, deserialize_with = "null_as_default")]
    pub resource_claims: Vec<PodResourceClaim>,
}

/// `LocalObjectReference` (also the shape of every `secretRef` that carries only a name).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalObjectReference {
    /// The referenced object's name.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
}

/// A container of any kind, reduced to its environment references.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    /// The container name (for tests and logs only).
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// `envFrom`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub env_from: Vec<EnvFromSource>,
    /// `env`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub env: Vec<EnvVar>,
}

/// `EnvFromSource`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvFromSource {
    /// A ConfigMap to read every key of.
    #[serde(default)]
    pub config_map_ref: Option<LocalObjectReference>,
    /// A Secret to read every key of.
    #[serde(default)]
    pub secret_ref: Option<LocalObjectReference>,
}

/// `EnvVar`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvVar {
    /// Where the value comes from, when not literal.
    #[serde(default)]
    pub value_from: Option<EnvVarSource>,
}

/// `EnvVarSource`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvVarSource {
    /// A key of a ConfigMap.
    #[serde(default)]
    pub config_map_key_ref: Option<LocalObjectReference>,
    /// A key of a Secret.
    #[serde(default)]
    pub secret_key_ref: Option<LocalObjectReference>,
}

/// A pod volume: its name and the sources that reference API objects. Kubernetes allows one
/// source per volume; when stored data has several, the graph reads them in upstream's order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Volume {
    /// The volume name (generic ephemeral volumes name their PVC `<pod>-<volume>`).
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// `secret`.
    #[serde(default)]
    pub secret: Option<SecretVolumeSource>,
    /// `configMap`.
    #[serde(default)]
    pub config_map: Option<LocalObjectReference>,
    /// `projected`.
    #[serde(default)]
    pub projected: Option<ProjectedVolumeSource>,
    /// `persistentVolumeClaim`.
    #[serde(default)]
    pub persistent_volume_claim: Option<PvcVolumeSource>,
    /// `ephemeral` (a generic ephemeral volume).
    #[serde(default)]
    pub ephemeral: Option<EphemeralVolumeSource>,
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
    /// `csi` (inline CSI volume).
    #[serde(default)]
    pub csi: Option<CsiVolumeSource>,
}

/// `EphemeralVolumeSource`: only its presence matters (the claim is named `<pod>-<volume>`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EphemeralVolumeSource {}

/// `SecretVolumeSource`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretVolumeSource {
    /// The secret's name.
    #[serde(default, deserialize_with = "null_as_default")]
    pub secret_name: String,
}

/// `PersistentVolumeClaimVolumeSource`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PvcVolumeSource {
    /// The claim's name, in the pod's namespace.
    #[serde(default, deserialize_with = "null_as_default")]
    pub claim_name: String,
}

/// `ProjectedVolumeSource`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectedVolumeSource {
    /// The projections; downward API, service account token, cluster trust bundle and pod
    /// certificate projections reference nothing the graph tracks.
    #[serde(default, deserialize_with = "null_as_default")]
    pub sources: Vec<VolumeProjection>,
}

/// `VolumeProjection`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeProjection {
    /// A projected Secret.
    #[serde(default)]
    pub secret: Option<LocalObjectReference>,
    /// A projected ConfigMap.
    #[serde(default)]
    pub config_map: Option<LocalObjectReference>,
}

/// An Azure File source: `secretName`, and on PersistentVolumes `secretNamespace`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AzureFileSource {
    /// The secret's name; empty means none.
    #[serde(default, deserialize_with = "null_as_default")]
    pub secret_name: String,
    /// PersistentVolumes only: the secret's namespace; empty means the claim's.
    #[serde(default)]
    pub secret_namespace: Option<String>,
}

/// Any volume source whose only API reference is an optional `secretRef`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretRefSource {
    /// The secret.
    #[serde(default)]
    pub secret_ref: Option<SecretReference>,
}

/// `SecretReference` (name and, on PersistentVolumes, namespace); also read for
/// `LocalObjectReference` and `ObjectReference`, whose extra fields are ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretReference {
    /// The secret's name.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// The secret's namespace, when the reference carries one.
    #[serde(default, deserialize_with = "null_as_default")]
    pub namespace: String,
}

/// `CSIVolumeSource` (inline in a pod).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CsiVolumeSource {
    /// The secret passed to NodePublishVolume.
    #[serde(default)]
    pub node_publish_secret_ref: Option<LocalObjectReference>,
}

/// `PodResourceClaim`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodResourceClaim {
    /// The name inside the pod, matched against `status.resourceClaimStatuses[].name`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// An existing ResourceClaim.
    #[serde(default)]
    pub resource_claim_name: Option<String>,
    /// A template the claim is generated from.
    #[serde(default)]
    pub resource_claim_template_name: Option<String>,
}

/// `PodStatus`, reduced to the claim names recorded after binding.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodStatus {
    /// The claims generated from templates.
    #[serde(default, deserialize_with = "null_as_default")]
    pub resource_claim_statuses: Vec<PodResourceClaimStatus>,
    /// The claim created for extended resources (DRAExtendedResource).
    #[serde(default)]
    pub extended_resource_claim_status: Option<ExtendedResourceClaimStatus>,
}

/// `PodResourceClaimStatus`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodResourceClaimStatus {
    /// The `spec.resourceClaims[].name` this is about.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// The generated claim; `None` means no claim was needed and none will be.
    #[serde(default)]
    pub resource_claim_name: Option<String>,
}

/// `PodExtendedResourceClaimStatus`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtendedResourceClaimStatus {
    /// The claim's name; empty means none.
    #[serde(default, deserialize_with = "null_as_default")]
    pub resource_claim_name: String,
}

impl Pod {
    /// Whether the pod is a mirror pod (the annotation is present, with any value).
    pub fn is_mirror(&self) -> bool {
        self.metadata
            .annotations
            .contains_key(MIRROR_POD_ANNOTATION)
    }
}
