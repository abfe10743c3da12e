//! The mirrors without a server: upstream's event rules for the node graph, relist convergence,
//! and the RBAC rebuilder's gating and timing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use serde_json::{Value, json};

use super::graph::{BoundMirror, PodMirror, PvMirror};
use super::objects::{
    PersistentVolumeObject, PodObject, RoleBindingObject, RoleObject, VolumeAttachmentObject,
};
use super::rbac::{RBAC_KINDS, RbacMirror, RbacState};
use super::watch::Mirror;
use crate::api::rbac::{Binding, Role};
use crate::authorizers::node::{BoundKind, NodeGraphStore, Path, RefKind, Target};
use crate::authorizers::rbac::{RbacIndex, RbacObjects};
use crate::health::Checks;

fn decode<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("test object")
}

fn pod(uid: &str, node: &str, secrets: &[&str], ephemeral: &[&str]) -> PodObject {
    let volumes: Vec<Value> = secrets
        .iter()
        .map(|s| json!({"name": s, "secret": {"secretName": s}}))
        .collect();
    let ephemeral: Vec<Value> = ephemeral
        .iter()
        .map(|s| json!({"name": s, "envFrom": [{"secretRef": {"name": s}}]}))
        .collect();
    decode(json!({
        "metadata": {"name": "p", "namespace": "ns", "uid": uid},
        "spec": {"nodeName": node, "volumes": volumes, "ephemeralContainers": ephemeral},
    }))
}

fn reaches(store: &NodeGraphStore, secret: &str) -> Vec<String> {
    store.read(|g| g.nodes_reaching(RefKind::Secret, "ns", secret))
}

#[test]
fn pod_updates_follow_upstreams_skip_rules() {
    let store = Arc::new(NodeGraphStore::default());
    let mut mirror = PodMirror::new(store.clone());
    mirror.applied(pod("u1", "n1", &["a"], &[]));
    assert_eq!(reaches(&store, "a"), ["n1"]);
    // Same node and UID: references are immutable once bound, so the update is skipped.
    mirror.applied(pod("u1", "n1", &["b"], &[]));
    assert_eq!(reaches(&store, "a"), ["n1"]);
    assert!(reaches(&store, "b").is_empty());
    // A new ephemeral container can add references: re-added whole.
    mirror.applied(pod("u1", "n1", &["b"], &["debug"]));
    assert_eq!(
        (
            reaches(&store, "a"),
            reaches(&store, "b"),
            reaches(&store, "debug")
        ),
        (vec![], vec!["n1".to_owned()], vec!["n1".to_owned()])
    );
    // A new UID (deleted and recreated under the same name) is re-added too.
    mirror.applied(pod("u2", "n2", &["c"], &[]));
    assert_eq!(reaches(&store, "c"), ["n2"]);
    assert!(reaches(&store, "b").is_empty());
    // A recreated pod that is not scheduled yet is no longer in the graph.
    mirror.applied(pod("u3", "", &["c"], &[]));
    assert!(reaches(&store, "c").is_empty());
    assert_eq!(mirror.count(), 0);
    mirror.applied(pod("u4", "n1", &["d"], &[]));
    mirror.deleted(pod("u4", "n1", &["d"], &[]));
    assert!(reaches(&store, "d").is_empty());
}

#[test]
fn a_relist_deletes_what_was_not_listed() {
    let store = Arc::new(NodeGraphStore::default());
    let mut pods = PodMirror::new(store.clone());
    pods.applied(pod("u1", "n1", &["a"], &[]));
    let mut pvs = PvMirror::new(store.clone());
    let pv = |name: &str| -> PersistentVolumeObject {
        decode(
            json!({"metadata": {"name": name}, "spec": {"claimRef": {"namespace": "ns", "name": "c"}}}),
        )
    };
    pvs.applied(pv("pv1"));
    let mut attachments =
        BoundMirror::<VolumeAttachmentObject>::new(store.clone(), BoundKind::VolumeAttachment);
    let va = |name: &str, node: &str| -> VolumeAttachmentObject {
        decode(json!({"metadata": {"name": name}, "spec": {"nodeName": node}}))
    };
    let attached = |node: &str, name: &str| {
        store.read(|g| {
            g.check(node, Target::Bound(BoundKind::VolumeAttachment), "", name) == Path::Found
        })
    };
    attachments.applied(va("va1", "n1"));
    attachments.applied(va("va2", "n1"));
    assert!(attached("n1", "va1"));

    pods.relist_started();
    pods.relist_done();
    assert!(reaches(&store, "a").is_empty());
    pvs.relist_started();
    pvs.listed(pv("pv2"));
    pvs.relist_done();
    assert_eq!(pvs.count(), 1);
    attachments.relist_started();
    attachments.listed(va("va1", "n2"));
    attachments.relist_done();
    assert!(attached("n2", "va1") && !attached("n1", "va1") && !attached("n1", "va2"));
    assert_eq!(store.read(|g| g.stats().persistent_volumes), 1);
}

fn binding(name: &str, user: &str) -> RoleBindingObject {
    decode(json!({
        "metadata": {"name": name, "namespace": "ns"},
        "subjects": [{"kind": "User", "name": user}],
        "roleRef": {"kind": "Role", "name": "r"},
    }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_index_is_published_once_every_kind_is_listed() {
    let index = Arc::new(ArcSwap::from_pointee(RbacIndex::default()));
    let state = RbacState::new(index.clone(), RBAC_KINDS);
    let rebuilder = tokio::spawn(state.clone().rebuild_loop());
    let checks = Checks::default();
    let mut bindings = RbacMirror::role_bindings(state.clone());
    bindings.relist_started();
    bindings.listed(binding("b1", "alice"));
    bindings.relist_done();
    bindings.first_sync(checks.register("rolebindings"));
    let mut roles = RbacMirror::roles(state.clone());
    roles.first_sync(checks.register("roles"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        index.load().binding_count(),
        0,
        "two kinds are still listing"
    );
    assert!(!checks.all_pass());
    let mut cluster_roles = RbacMirror::cluster_roles(state.clone());
    let mut cluster_bindings = RbacMirror::cluster_role_bindings(state.clone());
    cluster_roles.first_sync(checks.register("clusterroles"));
    cluster_bindings.first_sync(checks.register("clusterrolebindings"));
    let start = Instant::now();
    while !checks.all_pass() && start.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(checks.all_pass());
    assert_eq!(index.load().binding_count(), 1);

    // A burst of watch events ends up in one index.
    for i in 0..1000 {
        bindings.applied(binding(&format!("b{i}"), "bob"));
    }
    bindings.deleted(binding("b1", ""));
    let start = Instant::now();
    while index.load().binding_count() != 999 && start.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(index.load().binding_count(), 999);
    rebuilder.abort();
}

/// One of 100,000 RoleBindings spread over 1,000 namespaces, each binding a user and a group.
fn big_binding(i: usize) -> RoleBindingObject {
    decode(json!({
        "metadata": {"name": format!("b-{i}"), "namespace": format!("ns-{}", i % 1000)},
        "subjects": [{"kind": "User", "name": format!("user-{i}")},
                     {"kind": "Group", "name": format!("group-{}", i % 500)}],
        "roleRef": {"kind": "Role", "name": "r"},
    }))
}

/// The Role `r` of namespace `ns-<i>`.
fn namespace_role(i: usize) -> RoleObject {
    decode(json!({
        "metadata": {"name": "r", "namespace": format!("ns-{i}")},
        "rules": [{"apiGroups": [""], "verbs": ["get", "list"], "resources": ["pods", "secrets"]}],
    }))
}

/// The rebuild the debounce is sized for: 100,000 RoleBindings ([`big_binding`]) to a Role in
/// each of their 1,000 namespaces. Run with
/// `cargo test --release --lib rebuild_of_100k_bindings -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "timing; run in release"]
async fn rebuild_of_100k_bindings() {
    let index = Arc::new(ArcSwap::from_pointee(RbacIndex::default()));
    let state = RbacState::new(index.clone(), 1);
    let mut roles = RbacMirror::roles(state.clone());
    roles.relist_started();
    for i in 0..1000 {
        roles.listed(namespace_role(i));
    }
    roles.relist_done();
    let mut bindings = RbacMirror::role_bindings(state.clone());
    bindings.relist_started();
    for i in 0..100_000 {
        bindings.listed(big_binding(i));
    }
    bindings.relist_done();
    let checks = Checks::default();
    roles.first_sync(checks.register("rbac"));
    let rebuilder = tokio::spawn(state.clone().rebuild_loop());
    let start = Instant::now();
    while !checks.all_pass() {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let first = start.elapsed();
    assert_eq!(index.load().binding_count(), 100_000);
    // One more binding, after the cooldown: what a single watch event costs end to end.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let start = Instant::now();
    bindings.applied(binding("one-more", "carol"));
    while index.load().binding_count() != 100_001 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let one = start.elapsed();
    rebuilder.abort();
    // The two parts of a rebuild: copying the objects out of the maps, and building.
    let objects = RbacObjects {
        roles: (0..1000).map(|i| Role::from(namespace_role(i))).collect(),
        role_bindings: (0..100_000)
            .map(|i| Binding::from(big_binding(i)))
            .collect(),
        ..RbacObjects::default()
    };
    let start = Instant::now();
    let copy = objects.clone();
    let copied = start.elapsed();
    let start = Instant::now();
    let built = RbacIndex::build(&copy);
    let build = start.elapsed();
    assert_eq!(built.binding_count(), 100_000);
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "100,000 bindings: first index {:.0} ms after the list; one added binding in use after \
         {:.0} ms (debounce {} ms included); copy {:.0} ms, build {:.0} ms",
        ms(first),
        ms(one),
        super::rbac::DEBOUNCE.as_millis(),
        ms(copied),
        ms(build),
    );
}
