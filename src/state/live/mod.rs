//! Live cluster state: lists and watches the objects the authorizers read, through kube-rs, and
//! applies every event to the RBAC index and the node graph as it arrives (cargo feature `live`).
//!
//! Kinds watched (all namespaces): Roles, ClusterRoles, RoleBindings, ClusterRoleBindings
//! (into [`rbac`]'s maps, published as a new index after coalesced rebuilds); Pods,
//! PersistentVolumes, VolumeAttachments, ResourceSlices (`resource.k8s.io/v1`) and, with the
//! `PodCertificateRequest` gate, PodCertificateRequests (`certificates.k8s.io/v1beta1`) (into the
//! node graph, one object per write lock, with kube-apiserver's event rules: see [`graph`]).
//!
//! Each kind has a readiness check, `informer-sync/<plural>`, that passes once its first list is
//! in use; `/readyz` fails until all do. Unlike kube-apiserver, which answers from whatever its
//! informers hold, this lets a load balancer keep traffic away from an instance that would deny
//! for lack of data. After that a failing watch keeps the last known state, retries with
//! backoff, and shows in the logs and in `authz_chain_state_*` metrics.

mod client;
pub mod graph;
pub mod objects;
pub mod rbac;
pub mod watch;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use kube::Client;
use tokio::task::JoinHandle;

pub use client::{ClusterAccess, ConnectError, connect};

use self::graph::{BoundMirror, PodMirror, PvMirror};
use self::objects::{
    ClusterRoleBindingObject, ClusterRoleObject, PersistentVolumeObject,
    PodCertificateRequestObject, PodObject, ResourceSliceObject, RoleBindingObject, RoleObject,
    VolumeAttachmentObject,
};
use self::rbac::{RBAC_KINDS, RbacMirror, RbacState};
use crate::authorizers::node::{BoundKind, FeatureGates};
use crate::health::Checks;
use crate::metrics::Metrics;
use crate::state::Sources;

/// The running watchers and the RBAC rebuilder; dropping it stops them.
#[derive(Debug)]
pub struct LiveState {
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for LiveState {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl LiveState {
    /// Starts watching through `client` into `sources`, registering one readiness check per
    /// kind in `checks`. Must be called inside a Tokio runtime.
    pub fn start(
        client: &Client,
        sources: &Sources,
        checks: &Checks,
        metrics: &Arc<Metrics>,
        gates: FeatureGates,
    ) -> Self {
        let rbac = RbacState::new(sources.rbac.clone(), RBAC_KINDS);
        let node = &sources.node;
        let mut live = LiveState {
            tasks: vec![tokio::spawn(rbac.clone().rebuild_loop())],
        };
        let mut spawn = |task: JoinHandle<()>| live.tasks.push(task);
        macro_rules! watch {
            ($kind:ty, $plural:literal, $mirror:expr) => {
                spawn(tokio::spawn(watch::run::<$kind, _>(
                    client.clone(),
                    $mirror,
                    checks.register(concat!("informer-sync/", $plural)),
                    metrics.clone(),
                )))
            };
        }
        watch!(RoleObject, "roles", RbacMirror::roles(rbac.clone()));
        watch!(
            ClusterRoleObject,
            "clusterroles",
            RbacMirror::cluster_roles(rbac.clone())
        );
        watch!(
            RoleBindingObject,
            "rolebindings",
            RbacMirror::role_bindings(rbac.clone())
        );
        watch!(
            ClusterRoleBindingObject,
            "clusterrolebindings",
            RbacMirror::cluster_role_bindings(rbac)
        );
        watch!(PodObject, "pods", PodMirror::new(node.clone()));
        watch!(
            PersistentVolumeObject,
            "persistentvolumes",
            PvMirror::new(node.clone())
        );
        watch!(
            VolumeAttachmentObject,
            "volumeattachments",
            BoundMirror::new(node.clone(), BoundKind::VolumeAttachment)
        );
        watch!(
            ResourceSliceObject,
            "resourceslices",
            BoundMirror::new(node.clone(), BoundKind::ResourceSlice)
        );
        if gates.pod_certificate_request {
            watch!(
                PodCertificateRequestObject,
                "podcertificaterequests",
                BoundMirror::new(node.clone(), BoundKind::PodCertificateRequest)
            );
        }
        live
    }
}
