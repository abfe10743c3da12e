//! What a Pod and a PersistentVolume reference: upstream's `VisitPodSecretNames`,
//! `VisitPodConfigmapNames` (`pkg/api/v1/pod/util.go`), `VisitPVSecretNames`
//! (`pkg/api/v1/persistentvolume/util.go`) and the PVC, claim and service-account edges of
//! `Graph.AddPod` (`plugin/pkg/auth/authorizer/node/graph.go`).
//!
//! References count, not existence: a pod naming a Secret that does not exist still grants its
//! node access to that name. Empty names are skipped.

use crate::api::pod::{Container, Pod, PodResourceClaim, SecretRefSource, Volume};
use crate::api::storage::PersistentVolume;

/// The kinds of objects the graph knows only by reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RefKind {
    /// `secrets`.
    Secret = 1,
    /// `configmaps`.
    ConfigMap = 2,
    /// `serviceaccounts`.
    ServiceAccount = 3,
    /// `persistentvolumeclaims`.
    PersistentVolumeClaim = 4,
    /// `resource.k8s.io` `resourceclaims`.
    ResourceClaim = 5,
}

/// Calls `visit` with every object `pod` references, all in the pod's namespace: its service
/// account, secrets, configmaps, PVCs (generic ephemeral volumes as `<pod>-<volume>`) and
/// resource claims. Mirror pods are the caller's business (they reference nothing).
pub fn visit_pod_references(pod: &Pod, mut visit: impl FnMut(RefKind, &str)) {
    let mut emit = |kind: RefKind, name: &str| {
        if !name.is_empty() {
            visit(kind, name);
        }
    };
    let spec = &pod.spec;
    emit(RefKind::ServiceAccount, &spec.service_account_name);

    for reference in &spec.image_pull_secrets {
        emit(RefKind::Secret, &reference.name);
    }
    let containers = spec
        .init_containers
        .iter()
        .chain(&spec.containers)
        .chain(&spec.ephemeral_containers);
    for container in containers {
        visit_container(container, &mut emit);
    }
    for volume in &spec.volumes {
        visit_volume_secret(volume, &mut emit);
        visit_volume_configmaps(volume, &mut emit);
        if let Some(pvc) = &volume.persistent_volume_claim {
            emit(RefKind::PersistentVolumeClaim, &pvc.claim_name);
        } else if volume.ephemeral.is_some() {
            // ephemeral.VolumeClaimName: the PVC a generic ephemeral volume creates.
            let name = format!("{}-{}", pod.metadata.name, volume.name);
            emit(RefKind::PersistentVolumeClaim, &name);
        }
    }

    for claim in &spec.resource_claims {
        if let Some(name) = claim_name(pod, &claim.name, claim) {
            emit(RefKind::ResourceClaim, name);
        }
    }
    if let Some(extended) = &pod.status.extended_resource_claim_status {
        emit(RefKind::ResourceClaim, &extended.resource_claim_name);
    }
}

/// `resourceclaim.Name`: the claim named directly, or the one generated from a template once
/// the pod status records it (`None` there means no claim was needed; no entry yet means the
/// claim does not exist yet). Neither means none.
fn claim_name<'p>(
    pod: &'p Pod,
    pod_claim_name: &str,
    claim: &'p PodResourceClaim,
) -> Option<&'p str> {
    if let Some(name) = &claim.resource_claim_name {
        return Some(name);
    }
    claim.resource_claim_template_name.as_ref()?;
    pod.status
        .resource_claim_statuses
        .iter()
        .find(|status| status.name == pod_claim_name)
        .and_then(|status| status.resource_claim_name.as_deref())
}

fn visit_container(container: &Container, emit: &mut impl FnMut(RefKind, &str)) {
    for source in &container.env_from {
        if let Some(secret) = &source.secret_ref {
            emit(RefKind::Secret, &secret.name);
        }
        if let Some(configmap) = &source.config_map_ref {
            emit(RefKind::ConfigMap, &configmap.name);
        }
    }
    for var in &container.env {
        if let Some(from) = &var.value_from {
            if let Some(secret) = &from.secret_key_ref {
                emit(RefKind::Secret, &secret.name);
            }
            if let Some(configmap) = &from.config_map_key_ref {
                emit(RefKind::ConfigMap, &configmap.name);
            }
        }
    }
}

/// The secret of one volume: the first source present, in upstream's `switch` order.
fn visit_volume_secret(volume: &Volume, emit: &mut impl FnMut(RefKind, &str)) {
    let secret_ref = source_secret_name;
    let found: Option<Option<&str>> = if let Some(azure) = &volume.azure_file {
        Some(Some(&azure.secret_name))
    } else if let Some(name) = secret_ref(&volume.cephfs) {
        Some(name)
    } else if let Some(name) = secret_ref(&volume.cinder) {
        Some(name)
    } else if let Some(name) = secret_ref(&volume.flex_volume) {
        Some(name)
    } else if let Some(projected) = &volume.projected {
        for source in &projected.sources {
            if let Some(secret) = &source.secret {
                emit(RefKind::Secret, &secret.name);
            }
        }
        None
    } else if let Some(name) = secret_ref(&volume.rbd) {
        Some(name)
    } else if let Some(secret) = &volume.secret {
        Some(Some(&secret.secret_name))
    } else if let Some(name) = secret_ref(&volume.scale_io) {
        Some(name)
    } else if let Some(name) = secret_ref(&volume.iscsi) {
        Some(name)
    } else if let Some(name) = secret_ref(&volume.storageos) {
        Some(name)
    } else {
        volume.csi.as_ref().map(|csi| {
            csi.node_publish_secret_ref
                .as_ref()
                .map(|r| r.name.as_str())
        })
    };
    if let Some(Some(name)) = found {
        emit(RefKind::Secret, name);
    }
}

/// The configmaps of one volume: projected sources, else a configMap volume.
fn visit_volume_configmaps(volume: &Volume, emit: &mut impl FnMut(RefKind, &str)) {
    if let Some(projected) = &volume.projected {
        for source in &projected.sources {
            if let Some(configmap) = &source.config_map {
                emit(RefKind::ConfigMap, &configmap.name);
            }
        }
    } else if let Some(configmap) = &volume.config_map {
        emit(RefKind::ConfigMap, &configmap.name);
    }
}

/// `Some(secret name)` when the source is present (the name is `None` without a `secretRef`).
fn source_secret_name(source: &Option<SecretRefSource>) -> Option<Option<&str>> {
    source
        .as_ref()
        .map(|s| s.secret_ref.as_ref().map(|r| r.name.as_str()))
}

/// Like [`source_secret_name`], with the namespace: the reference's, else `default_namespace`.
fn source_secret<'a>(
    source: &'a Option<SecretRefSource>,
    default_namespace: &'a str,
) -> Option<Option<(&'a str, &'a str)>> {
    source.as_ref().map(|s| {
        s.secret_ref.as_ref().map(|r| {
            let namespace = if r.namespace.is_empty() {
                default_namespace
            } else {
                r.namespace.as_str()
            };
            (namespace, r.name.as_str())
        })
    })
}

/// Calls `visit(namespace, name, kubelet_visible)` with every secret `pv` references, in
/// upstream's order. Secret references without a namespace use the claim's namespace, except
/// Cinder, StorageOS and CSI references, which are used as they are.
pub fn visit_pv_secrets(pv: &PersistentVolume, mut visit: impl FnMut(&str, &str, bool)) {
    let mut emit = |namespace: &str, name: &str, kubelet_visible: bool| {
        if !name.is_empty() {
            visit(namespace, name, kubelet_visible);
        }
    };
    let spec = &pv.spec;
    let claim_namespace = spec.claim_ref.as_ref().map_or("", |c| c.namespace.as_str());
    let defaulted = |source| source_secret(source, claim_namespace);
    let as_given = |source| source_secret(source, "");
    let found = if let Some(azure) = &spec.azure_file {
        let namespace = match azure.secret_namespace.as_deref() {
            Some(namespace) if !namespace.is_empty() => namespace,
            _ => claim_namespace,
        };
        Some(Some((namespace, azure.secret_name.as_str())))
    } else if let Some(found) = defaulted(&spec.cephfs) {
        Some(found)
    } else if let Some(found) = as_given(&spec.cinder) {
        Some(found)
    } else if let Some(found) = defaulted(&spec.flex_volume) {
        Some(found)
    } else if let Some(found) = defaulted(&spec.rbd) {
        Some(found)
    } else if let Some(found) = defaulted(&spec.scale_io) {
        Some(found)
    } else if let Some(found) = defaulted(&spec.iscsi) {
        Some(found)
    } else if let Some(found) = as_given(&spec.storageos) {
        Some(found)
    } else if let Some(csi) = &spec.csi {
        let refs = [
            (&csi.controller_publish_secret_ref, false),
            (&csi.controller_expand_secret_ref, false),
            (&csi.node_publish_secret_ref, true),
            (&csi.node_stage_secret_ref, true),
            (&csi.node_expand_secret_ref, true),
        ];
        for (reference, kubelet_visible) in refs {
            if let Some(r) = reference {
                emit(&r.namespace, &r.name, kubelet_visible);
            }
        }
        None
    } else {
        None
    };
    if let Some(Some((namespace, name))) = found {
        emit(namespace, name, true);
    }
}
