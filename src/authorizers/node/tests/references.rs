//! Every reference path of a pod and a PersistentVolume makes an edge (upstream's
//! `TestPodSecrets`, `TestPodConfigmaps` and `TestPVSecrets`, whose objects name each reference
//! after its path), and nothing else does: not the controller-only CSI secrets, not downward
//! API, service account token, ClusterTrustBundle or podCertificate projections.

use std::collections::BTreeSet;

use serde_json::json;

use super::*;
use crate::api::storage::PersistentVolume;
use crate::authorizers::node::{RefKind, visit_pod_references, visit_pv_secrets};

fn env_container(prefix: &str) -> serde_json::Value {
    json!({
        "name": prefix,
        "envFrom": [
            {"secretRef": {"name": format!("{prefix}.EnvFrom.SecretRef")}},
            {"configMapRef": {"name": format!("{prefix}.EnvFrom.ConfigMapRef")}},
            {"prefix": "nothing"},
        ],
        "env": [
            {"name": "A", "valueFrom": {"secretKeyRef": {"name": format!("{prefix}.Env.SecretKeyRef"), "key": "k"}}},
            {"name": "B", "valueFrom": {"configMapKeyRef": {"name": format!("{prefix}.Env.ConfigMapKeyRef"), "key": "k"}}},
            {"name": "C", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
            {"name": "D", "value": "literal"},
        ],
    })
}

fn secret_ref(path: &str) -> serde_json::Value {
    json!({"secretRef": {"name": format!("Volumes.{path}.SecretRef")}})
}

/// A pod using every reference path once, each name saying which path it came from.
fn every_path_pod() -> Pod {
    pod(json!({
        "metadata": {"name": "all", "namespace": "ns1"},
        "spec": {
            "nodeName": "node1",
            "serviceAccountName": "ServiceAccountName",
            "imagePullSecrets": [{"name": "ImagePullSecrets"}, {"name": null}],
            "initContainers": [env_container("InitContainers")],
            "containers": [env_container("Containers")],
            "ephemeralContainers": [env_container("EphemeralContainers")],
            "volumes": [
                {"name": "a", "azureFile": {"secretName": "Volumes.AzureFile.SecretName", "shareName": "s"}},
                {"name": "b", "cephfs": secret_ref("CephFS")},
                {"name": "c", "cinder": secret_ref("Cinder")},
                {"name": "d", "flexVolume": secret_ref("FlexVolume")},
                {"name": "e", "projected": {"sources": [
                    {"secret": {"name": "Volumes.Projected.Sources.Secret"}},
                    {"configMap": {"name": "Volumes.Projected.Sources.ConfigMap"}},
                    {"downwardAPI": {"items": [{"path": "x", "fieldRef": {"fieldPath": "metadata.name"}}]}},
                    {"serviceAccountToken": {"path": "token"}},
                    {"clusterTrustBundle": {"name": "ClusterTrustBundle", "path": "ctb"}},
                    {"podCertificate": {"signerName": "example.com/s", "keyType": "ED25519"}},
                ]}},
                {"name": "f", "rbd": secret_ref("RBD")},
                {"name": "g", "secret": {"secretName": "Volumes.Secret.SecretName"}},
                {"name": "h", "scaleIO": secret_ref("ScaleIO")},
                {"name": "i", "iscsi": secret_ref("ISCSI")},
                {"name": "j", "storageos": secret_ref("StorageOS")},
                {"name": "k", "csi": {"driver": "d", "nodePublishSecretRef": {"name": "Volumes.CSI.NodePublishSecretRef"}}},
                {"name": "l", "configMap": {"name": "Volumes.ConfigMap"}},
                {"name": "m", "persistentVolumeClaim": {"claimName": "Volumes.PersistentVolumeClaim"}},
                {"name": "eph", "ephemeral": {"volumeClaimTemplate": {"spec": {}}}},
                {"name": "n", "glusterfs": {"endpoints": "Volumes.Glusterfs.Endpoints", "path": "p"}},
                {"name": "o", "emptyDir": {}},
                {"name": "p", "cephfs": null, "secret": null, "hostPath": {"path": "/"}},
                {"name": "q", "azureFile": {"secretName": "", "shareName": "s"}},
            ],
            "resourceClaims": [
                {"name": "direct", "resourceClaimName": "ResourceClaimName"},
                {"name": "tmpl", "resourceClaimTemplateName": "t"},
                {"name": "tmpl-none", "resourceClaimTemplateName": "t"},
                {"name": "tmpl-pending", "resourceClaimTemplateName": "t"},
                {"name": "neither"},
            ],
        },
        "status": {
            "resourceClaimStatuses": [
                {"name": "tmpl", "resourceClaimName": "ResourceClaimStatuses.ResourceClaimName"},
                {"name": "tmpl-none", "resourceClaimName": null},
            ],
            "extendedResourceClaimStatus": {"resourceClaimName": "ExtendedResourceClaimStatus.ResourceClaimName"},
        },
    }))
}

fn expected_pod_refs() -> BTreeSet<(RefKind, String)> {
    let mut want = BTreeSet::new();
    let mut add = |kind, name: &str| {
        want.insert((kind, name.to_owned()));
    };
    add(RefKind::ServiceAccount, "ServiceAccountName");
    add(RefKind::Secret, "ImagePullSecrets");
    for prefix in ["InitContainers", "Containers", "EphemeralContainers"] {
        add(RefKind::Secret, &format!("{prefix}.EnvFrom.SecretRef"));
        add(RefKind::Secret, &format!("{prefix}.Env.SecretKeyRef"));
        add(
            RefKind::ConfigMap,
            &format!("{prefix}.EnvFrom.ConfigMapRef"),
        );
        add(RefKind::ConfigMap, &format!("{prefix}.Env.ConfigMapKeyRef"));
    }
    for path in [
        "AzureFile.SecretName",
        "CephFS.SecretRef",
        "Cinder.SecretRef",
        "FlexVolume.SecretRef",
        "Projected.Sources.Secret",
        "RBD.SecretRef",
        "Secret.SecretName",
        "ScaleIO.SecretRef",
        "ISCSI.SecretRef",
        "StorageOS.SecretRef",
        "CSI.NodePublishSecretRef",
    ] {
        add(RefKind::Secret, &format!("Volumes.{path}"));
    }
    add(RefKind::ConfigMap, "Volumes.Projected.Sources.ConfigMap");
    add(RefKind::ConfigMap, "Volumes.ConfigMap");
    add(
        RefKind::PersistentVolumeClaim,
        "Volumes.PersistentVolumeClaim",
    );
    add(RefKind::PersistentVolumeClaim, "all-eph");
    add(RefKind::ResourceClaim, "ResourceClaimName");
    add(
        RefKind::ResourceClaim,
        "ResourceClaimStatuses.ResourceClaimName",
    );
    add(
        RefKind::ResourceClaim,
        "ExtendedResourceClaimStatus.ResourceClaimName",
    );
    want
}

#[test]
fn every_pod_reference_path_is_visited() {
    let pod = every_path_pod();
    let mut got = BTreeSet::new();
    visit_pod_references(&pod, |kind, name| {
        got.insert((kind, name.to_owned()));
    });
    assert_eq!(got, expected_pod_refs());
}

#[test]
fn every_pod_reference_path_makes_an_edge() {
    let fixture = Fixture::empty();
    fixture.add_pod(&every_path_pod());
    let resource = |kind| match kind {
        RefKind::Secret => ("", "secrets"),
        RefKind::ConfigMap => ("", "configmaps"),
        RefKind::ServiceAccount => ("", "serviceaccounts"),
        RefKind::PersistentVolumeClaim => ("", "persistentvolumeclaims"),
        RefKind::ResourceClaim => ("resource.k8s.io", "resourceclaims"),
    };
    for (kind, name) in expected_pod_refs() {
        let (group, resource) = resource(kind);
        let ask = Ask {
            group,
            resource,
            namespace: "ns1",
            name: &name,
            ..ASK
        };
        for (node, decision) in [("node1", Decision::Allow), ("node2", Decision::NoOpinion)] {
            let verdict = fixture.ask(node, ask);
            assert_eq!(verdict.decision, decision, "{node} {resource} {name}");
        }
    }
    let graph_refs: BTreeSet<(RefKind, String)> = fixture
        .store
        .read(|g| g.referenced())
        .into_iter()
        .map(|(kind, namespace, name)| {
            assert_eq!(namespace, "ns1");
            (kind, name)
        })
        .collect();
    assert_eq!(
        graph_refs,
        expected_pod_refs(),
        "nothing else is in the graph"
    );
}

#[test]
fn mirror_pods_reach_only_their_node() {
    let fixture = Fixture::empty();
    let mut mirror = every_path_pod();
    mirror
        .metadata
        .annotations
        .insert("kubernetes.io/config.mirror".into(), String::new());
    fixture.add_pod(&mirror);
    assert!(fixture.store.read(|g| g.referenced()).is_empty());
    assert_eq!(
        fixture.get("node1", "secrets", "ImagePullSecrets"),
        Decision::NoOpinion
    );
    let ask = Ask {
        resource: "pods",
        namespace: "ns1",
        name: "all",
        ..ASK
    };
    assert_eq!(fixture.ask("node1", ask).decision, Decision::Allow);
    assert_eq!(fixture.ask("node2", ask).decision, Decision::NoOpinion);
}

/// `(source, expected (namespace, name, kubelet-visible) secrets)`; the claim is in `claimrefns`.
/// A PV secret: namespace, name, kubelet-visible.
type PvSecret = (&'static str, &'static str, bool);

fn pv_cases() -> Vec<(serde_json::Value, Vec<PvSecret>)> {
    let r = |name: &str, namespace: Option<&str>| match namespace {
        Some(ns) => json!({"secretRef": {"name": name, "namespace": ns}}),
        None => json!({"secretRef": {"name": name}}),
    };
    vec![
        (
            json!({"azureFile": {"secretName": "AzureFile.SecretName"}}),
            vec![("claimrefns", "AzureFile.SecretName", true)],
        ),
        (
            json!({"azureFile": {"secretName": "AzureFile.SecretName", "secretNamespace": "AzureFile.SecretNamespace"}}),
            vec![("AzureFile.SecretNamespace", "AzureFile.SecretName", true)],
        ),
        (
            json!({"azureFile": {"secretName": "AzureFile.SecretName", "secretNamespace": ""}}),
            vec![("claimrefns", "AzureFile.SecretName", true)],
        ),
        (
            json!({"cephfs": r("CephFS.SecretRef", None)}),
            vec![("claimrefns", "CephFS.SecretRef", true)],
        ),
        (
            json!({"cephfs": r("CephFS.SecretRef", Some("cephfs-ns"))}),
            vec![("cephfs-ns", "CephFS.SecretRef", true)],
        ),
        (
            json!({"cinder": r("Cinder.SecretRef", Some("cinder-ns"))}),
            vec![("cinder-ns", "Cinder.SecretRef", true)],
        ),
        (
            json!({"cinder": r("Cinder.SecretRef", None)}),
            vec![("", "Cinder.SecretRef", true)],
        ),
        (
            json!({"flexVolume": r("FlexVolume.SecretRef", None)}),
            vec![("claimrefns", "FlexVolume.SecretRef", true)],
        ),
        (
            json!({"flexVolume": r("FlexVolume.SecretRef", Some("flex-ns"))}),
            vec![("flex-ns", "FlexVolume.SecretRef", true)],
        ),
        (
            json!({"rbd": r("RBD.SecretRef", None)}),
            vec![("claimrefns", "RBD.SecretRef", true)],
        ),
        (
            json!({"rbd": r("RBD.SecretRef", Some("rbd-ns"))}),
            vec![("rbd-ns", "RBD.SecretRef", true)],
        ),
        (
            json!({"scaleIO": r("ScaleIO.SecretRef", None)}),
            vec![("claimrefns", "ScaleIO.SecretRef", true)],
        ),
        (
            json!({"scaleIO": r("ScaleIO.SecretRef", Some("scaleio-ns"))}),
            vec![("scaleio-ns", "ScaleIO.SecretRef", true)],
        ),
        (
            json!({"iscsi": r("ISCSI.SecretRef", None)}),
            vec![("claimrefns", "ISCSI.SecretRef", true)],
        ),
        (
            json!({"iscsi": r("ISCSI.SecretRef", Some("iscsi-ns"))}),
            vec![("iscsi-ns", "ISCSI.SecretRef", true)],
        ),
        (
            json!({"storageos": r("StorageOS.SecretRef", Some("storageos-ns"))}),
            vec![("storageos-ns", "StorageOS.SecretRef", true)],
        ),
        (
            json!({"csi": {
                "driver": "d",
                "controllerPublishSecretRef": {"name": "CSI.ControllerPublishSecretRef", "namespace": "csi-ns"},
                "controllerExpandSecretRef": {"name": "CSI.ControllerExpandSecretRef", "namespace": "csi-ns"},
                "nodePublishSecretRef": {"name": "CSI.NodePublishSecretRef", "namespace": "csi-ns"},
                "nodeStageSecretRef": {"name": "CSI.NodeStageSecretRef", "namespace": "csi-ns"},
                "nodeExpandSecretRef": {"name": "CSI.NodeExpandSecretRef", "namespace": "csi-ns"},
            }}),
            vec![
                ("csi-ns", "CSI.ControllerPublishSecretRef", false),
                ("csi-ns", "CSI.ControllerExpandSecretRef", false),
                ("csi-ns", "CSI.NodePublishSecretRef", true),
                ("csi-ns", "CSI.NodeStageSecretRef", true),
                ("csi-ns", "CSI.NodeExpandSecretRef", true),
            ],
        ),
        (json!({"cephfs": {"monitors": ["m"]}}), vec![]),
        (json!({"hostPath": {"path": "/"}}), vec![]),
        (
            json!({"glusterfs": {"endpoints": "Glusterfs.Endpoints", "path": "p"}}),
            vec![],
        ),
    ]
}

fn pv(name: &str, source: &serde_json::Value) -> PersistentVolume {
    let mut spec = source.clone();
    spec["claimRef"] =
        json!({"kind": "PersistentVolumeClaim", "namespace": "claimrefns", "name": "claim"});
    serde_json::from_value(json!({"metadata": {"name": name}, "spec": spec})).expect("valid pv")
}

#[test]
fn every_pv_secret_path_is_visited() {
    for (i, (source, want)) in pv_cases().into_iter().enumerate() {
        let mut got = Vec::new();
        visit_pv_secrets(&pv("pv", &source), |namespace, name, visible| {
            got.push((namespace.to_owned(), name.to_owned(), visible));
        });
        let want: Vec<_> = want
            .into_iter()
            .map(|(ns, name, visible)| (ns.to_owned(), name.to_owned(), visible))
            .collect();
        assert_eq!(got, want, "{i}: {source}");
    }
}

#[test]
fn only_kubelet_visible_pv_secrets_make_edges() {
    let fixture = Fixture::empty();
    fixture.add_pod(&pod(json!({
        "metadata": {"name": "user", "namespace": "claimrefns"},
        "spec": {"nodeName": "node1", "volumes": [{"name": "v", "persistentVolumeClaim": {"claimName": "claim"}}]},
    })));
    for (i, (source, want)) in pv_cases().into_iter().enumerate() {
        fixture
            .store
            .update(|g| g.add_pv(&pv(&format!("pv{i}"), &source)));
        for (namespace, name, visible) in want {
            let ask = Ask {
                resource: "secrets",
                namespace,
                name,
                ..ASK
            };
            let expect = if visible && !namespace.is_empty() {
                Decision::Allow
            } else {
                Decision::NoOpinion
            };
            assert_eq!(
                fixture.ask("node1", ask).decision,
                expect,
                "{i}: {name} in {namespace}"
            );
            assert_eq!(
                fixture.ask("node2", ask).decision,
                Decision::NoOpinion,
                "{i}: {name}"
            );
        }
        let pv_name = format!("pv{i}");
        let pv_ask = Ask {
            resource: "persistentvolumes",
            name: &pv_name,
            ..ASK
        };
        assert_eq!(
            fixture.ask("node1", pv_ask).decision,
            Decision::Allow,
            "pv{i}"
        );
        assert_eq!(
            fixture.ask("node2", pv_ask).decision,
            Decision::NoOpinion,
            "pv{i}"
        );
    }
    let controller_only = fixture
        .store
        .read(|g| g.nodes_reaching(RefKind::Secret, "csi-ns", "CSI.ControllerPublishSecretRef"));
    assert!(
        controller_only.is_empty(),
        "no vertex for a controller-only secret"
    );
}
