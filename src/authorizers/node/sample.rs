//! A synthetic cluster for tests and benchmarks: upstream's `generate` from
//! `node_authorizer_test.go`. Objects are named after their relations, so `secret0-pod0-node0`
//! is the first unique secret of `pod0-node0`, bound to `node0`: node0 may read it, no other
//! node may. Random choices (which shared objects a pod uses) come from a fixed seed.

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::graph::{BoundKind, NodeGraph};
use crate::api::pod::{
    LocalObjectReference, Pod, PodMeta, PodResourceClaim, PodResourceClaimStatus, PodSpec,
    PodStatus, PvcVolumeSource, SecretRefSource, SecretReference, SecretVolumeSource, Volume,
};
use crate::api::storage::{NameMeta, PersistentVolume, PersistentVolumeSpec};

/// How much of everything to generate (upstream's `sampleDataOpts`).
#[derive(Clone, Debug, Default)]
pub struct SampleOpts {
    /// Nodes, `node0`...
    pub nodes: usize,
    /// Namespaces, `ns0`...; pod `p` of each node is in `ns<p % namespaces>`.
    pub namespaces: usize,
    /// Pods per node, `pod0-node0`..., each with its own service account `svcacct0-node0`.
    pub pods_per_node: usize,
    /// VolumeAttachments per node, `attachment0-node0`...
    pub attachments_per_node: usize,
    /// ResourceSlices per node, `slice0-node0`...
    pub slices_per_node: usize,
    /// Shared secrets per namespace to choose from (at least `shared_secrets_per_pod`).
    pub shared_secrets_per_namespace: usize,
    /// Shared configmaps per namespace to choose from.
    pub shared_configmaps_per_namespace: usize,
    /// Shared PVCs per namespace to choose from.
    pub shared_pvcs_per_namespace: usize,
    /// Shared secrets each pod mounts, `secret0-shared`...
    pub shared_secrets_per_pod: usize,
    /// Shared configmaps each pod mounts, `configmap0-shared`...
    pub shared_configmaps_per_pod: usize,
    /// Shared PVCs each pod mounts, `pvc0-shared` bound to `pv0-shared-ns0`...
    pub shared_pvcs_per_pod: usize,
    /// Unique secrets per pod, `secret0-pod0-node0`...
    pub unique_secrets_per_pod: usize,
    /// Unique configmaps per pod, `configmap0-pod0-node0`...
    pub unique_configmaps_per_pod: usize,
    /// Unique PVCs per pod, `pvc0-pod0-node0`, bound to `pv0-pod0-node0-ns0`, whose flex
    /// volume secret is `secret-pv0-pod0-node0-ns0`.
    pub unique_pvcs_per_pod: usize,
    /// Unique resource claims per pod, `claim0-pod0-node0-ns0`...
    pub unique_claims_per_pod: usize,
    /// Template claims not generated yet (no status entry).
    pub unique_claim_templates_per_pod: usize,
    /// Template claims generated as `generated-claim-pod0-node0-ns0-0`...
    pub unique_claim_templates_with_claim_per_pod: usize,
}

/// A generated cluster.
#[derive(Clone, Debug, Default)]
pub struct SampleCluster {
    /// Pods, node by node.
    pub pods: Vec<Pod>,
    /// PersistentVolumes bound to the pods' claims.
    pub pvs: Vec<PersistentVolume>,
    /// VolumeAttachments as (name, node).
    pub attachments: Vec<(String, String)>,
    /// ResourceSlices as (name, node).
    pub slices: Vec<(String, String)>,
}

impl SampleCluster {
    /// Generates the cluster `opts` describes.
    pub fn generate(opts: &SampleOpts) -> Self {
        let mut rng = StdRng::seed_from_u64(12345);
        let mut cluster = SampleCluster::default();
        for n in 0..opts.nodes {
            let node = format!("node{n}");
            for p in 0..opts.pods_per_node {
                let name = format!("pod{p}-{node}");
                let namespace = format!("ns{}", p % opts.namespaces.max(1));
                let account = format!("svcacct{p}-{node}");
                let (pod, pvs) = sample_pod(&name, &namespace, &node, &account, opts, &mut rng);
                cluster.pods.push(pod);
                cluster.pvs.extend(pvs);
            }
            for a in 0..opts.attachments_per_node {
                cluster
                    .attachments
                    .push((format!("attachment{a}-{node}"), node.clone()));
            }
            for s in 0..opts.slices_per_node {
                cluster
                    .slices
                    .push((format!("slice{s}-{node}"), node.clone()));
            }
        }
        cluster
    }

    /// Adds everything to `graph`: pods first, then volumes, attachments and slices.
    pub fn populate(&self, graph: &mut NodeGraph) {
        for pod in &self.pods {
            graph.add_pod(pod);
        }
        for pv in &self.pvs {
            graph.add_pv(pv);
        }
        for (name, node) in &self.attachments {
            graph.add_bound(BoundKind::VolumeAttachment, "", name, node);
        }
        for (name, node) in &self.slices {
            graph.add_bound(BoundKind::ResourceSlice, "", name, node);
        }
    }
}

/// `count` indexes chosen from `0..max(count, pool)`.
fn random_subset(count: usize, pool: usize, rng: &mut StdRng) -> Vec<usize> {
    let mut all: Vec<usize> = (0..count.max(pool)).collect();
    all.shuffle(rng);
    all.truncate(count);
    all
}

/// One pod and the PersistentVolumes of its claims (upstream's `generatePod`).
pub fn sample_pod(
    name: &str,
    namespace: &str,
    node: &str,
    service_account: &str,
    opts: &SampleOpts,
    rng: &mut StdRng,
) -> (Pod, Vec<PersistentVolume>) {
    let mut volumes = Vec::new();
    let mut pvs = Vec::new();
    let secret = |secret_name: String| Volume {
        secret: Some(SecretVolumeSource { secret_name }),
        ..Volume::default()
    };
    let configmap = |name: String| Volume {
        config_map: Some(LocalObjectReference { name }),
        ..Volume::default()
    };
    let mut claim = |pv_name: String, claim_name: String| {
        pvs.push(PersistentVolume {
            metadata: NameMeta {
                name: pv_name.clone(),
                namespace: String::new(),
            },
            spec: PersistentVolumeSpec {
                claim_ref: Some(SecretReference {
                    name: claim_name.clone(),
                    namespace: namespace.to_owned(),
                }),
                flex_volume: Some(SecretRefSource {
                    secret_ref: Some(SecretReference {
                        name: format!("secret-{pv_name}"),
                        namespace: String::new(),
                    }),
                }),
                ..PersistentVolumeSpec::default()
            },
        });
        Volume {
            persistent_volume_claim: Some(PvcVolumeSource { claim_name }),
            ..Volume::default()
        }
    };
    for i in 0..opts.unique_secrets_per_pod {
        volumes.push(secret(format!("secret{i}-{name}")));
    }
    for i in random_subset(
        opts.shared_secrets_per_pod,
        opts.shared_secrets_per_namespace,
        rng,
    ) {
        volumes.push(secret(format!("secret{i}-shared")));
    }
    for i in 0..opts.unique_configmaps_per_pod {
        volumes.push(configmap(format!("configmap{i}-{name}")));
    }
    for i in random_subset(
        opts.shared_configmaps_per_pod,
        opts.shared_configmaps_per_namespace,
        rng,
    ) {
        volumes.push(configmap(format!("configmap{i}-shared")));
    }
    for i in 0..opts.unique_pvcs_per_pod {
        volumes.push(claim(
            format!("pv{i}-{name}-{namespace}"),
            format!("pvc{i}-{name}"),
        ));
    }
    for i in random_subset(
        opts.shared_pvcs_per_pod,
        opts.shared_pvcs_per_namespace,
        rng,
    ) {
        volumes.push(claim(
            format!("pv{i}-shared-{namespace}"),
            format!("pvc{i}-shared"),
        ));
    }

    let mut resource_claims = Vec::new();
    let mut statuses = Vec::new();
    for i in 0..opts.unique_claims_per_pod {
        resource_claims.push(PodResourceClaim {
            name: format!("claim{i}"),
            resource_claim_name: Some(format!("claim{i}-{name}-{namespace}")),
            resource_claim_template_name: None,
        });
    }
    for i in 0..opts.unique_claim_templates_per_pod {
        resource_claims.push(PodResourceClaim {
            name: format!("claimtemplate{i}"),
            resource_claim_name: None,
            resource_claim_template_name: Some(format!("claimtemplate{i}-{name}-{namespace}")),
        });
    }
    for i in 0..opts.unique_claim_templates_with_claim_per_pod {
        let pod_claim = format!("claimtemplate-with-claim{i}");
        resource_claims.push(PodResourceClaim {
            name: pod_claim.clone(),
            resource_claim_name: None,
            resource_claim_template_name: Some(format!("claimtemplate{i}-{name}-{namespace}")),
        });
        statuses.push(PodResourceClaimStatus {
            name: pod_claim,
            resource_claim_name: Some(format!("generated-claim-{name}-{namespace}-{i}")),
        });
    }

    let pod = Pod {
        metadata: PodMeta {
            name: name.to_owned(),
            namespace: namespace.to_owned(),
            ..PodMeta::default()
        },
        spec: PodSpec {
            node_name: node.to_owned(),
            service_account_name: service_account.to_owned(),
            volumes,
            resource_claims,
            ..PodSpec::default()
        },
        status: PodStatus {
            resource_claim_statuses: statuses,
            extended_resource_claim_status: None,
        },
    };
    (pod, pvs)
}
