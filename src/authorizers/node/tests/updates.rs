//! Update and delete semantics: each `add_*` replaces exactly that object's paths, each
//! `delete_*` removes them, and objects and nodes nothing refers to any more disappear — in
//! whatever order the events arrive.

use serde_json::json;

use super::*;
use crate::api::storage::PersistentVolume;
use crate::authorizers::node::{BoundKind, GraphStats, RefKind};
use Decision::{Allow, NoOpinion};

fn app_pod(name: &str, node: &str, secret: &str, claim: &str) -> Pod {
    pod(json!({
        "metadata": {"name": name, "namespace": "ns1"},
        "spec": {
            "nodeName": node,
            "serviceAccountName": format!("sa-{name}"),
            "volumes": [
                {"name": "s", "secret": {"secretName": secret}},
                {"name": "c", "persistentVolumeClaim": {"claimName": claim}},
            ],
        },
    }))
}

fn claim_pv(name: &str, claim: &str, secret: &str) -> PersistentVolume {
    serde_json::from_value(json!({
        "metadata": {"name": name},
        "spec": {
            "claimRef": {"namespace": "ns1", "name": claim},
            "csi": {"driver": "d", "nodeStageSecretRef": {"namespace": "ns1", "name": secret}},
        },
    }))
    .expect("valid pv")
}

fn stats(fixture: &Fixture) -> GraphStats {
    fixture.store.read(|g| g.stats())
}

#[test]
fn replacing_a_pod_removes_its_old_edges() {
    let fixture = Fixture::empty();
    fixture.add_pod(&app_pod("p", "node1", "old-secret", "old-claim"));
    assert_eq!(fixture.get("node1", "secrets", "old-secret"), Allow);

    // Same pod, new references.
    fixture.add_pod(&app_pod("p", "node1", "new-secret", "new-claim"));
    assert_eq!(fixture.get("node1", "secrets", "old-secret"), NoOpinion);
    assert_eq!(
        fixture.get("node1", "persistentvolumeclaims", "old-claim"),
        NoOpinion
    );
    assert_eq!(fixture.get("node1", "secrets", "new-secret"), Allow);
    assert_eq!(
        fixture.get("node1", "persistentvolumeclaims", "new-claim"),
        Allow
    );

    // Same pod, moved to another node (a coalesced delete and recreate).
    fixture.add_pod(&app_pod("p", "node2", "new-secret", "new-claim"));
    assert_eq!(fixture.get("node1", "secrets", "new-secret"), NoOpinion);
    assert_eq!(fixture.get("node2", "secrets", "new-secret"), Allow);
    let names = fixture.store.read(|g| {
        g.referenced()
            .into_iter()
            .map(|(_, _, n)| n)
            .collect::<Vec<_>>()
    });
    assert_eq!(
        names,
        ["new-secret", "sa-p", "new-claim"],
        "old vertices are gone"
    );
    assert_eq!(stats(&fixture).nodes, 1, "node1 has nothing bound any more");

    // Recreated without a node: no longer in the graph.
    let mut unbound = app_pod("p", "", "new-secret", "new-claim");
    unbound.spec.node_name.clear();
    fixture.add_pod(&unbound);
    assert_eq!(stats(&fixture), GraphStats::default());
}

#[test]
fn deleting_the_last_pod_referencing_a_secret_removes_access() {
    let fixture = Fixture::empty();
    fixture.add_pod(&app_pod("a", "node1", "shared", "claim-a"));
    fixture.add_pod(&app_pod("b", "node1", "shared", "claim-b"));
    fixture.add_pod(&app_pod("c", "node2", "shared", "claim-c"));
    let reaching = |fixture: &Fixture| {
        fixture
            .store
            .read(|g| g.nodes_reaching(RefKind::Secret, "ns1", "shared"))
    };
    assert_eq!(reaching(&fixture), ["node1", "node2"]);

    fixture.store.update(|g| g.delete_pod("ns1", "a"));
    assert_eq!(
        fixture.get("node1", "secrets", "shared"),
        Allow,
        "pod b still uses it"
    );
    fixture.store.update(|g| g.delete_pod("ns1", "b"));
    assert_eq!(fixture.get("node1", "secrets", "shared"), NoOpinion);
    assert_eq!(fixture.get("node2", "secrets", "shared"), Allow);
    assert_eq!(reaching(&fixture), ["node2"]);

    // Deleting an unknown pod changes nothing.
    let before = stats(&fixture);
    fixture.store.update(|g| g.delete_pod("ns1", "a"));
    fixture.store.update(|g| g.delete_pod("other", "c"));
    assert_eq!(stats(&fixture), before);

    fixture.store.update(|g| g.delete_pod("ns1", "c"));
    assert_eq!(fixture.get("node2", "secrets", "shared"), NoOpinion);
    assert_eq!(stats(&fixture), GraphStats::default(), "orphans vanish");
}

#[test]
fn pv_secrets_follow_their_claim_in_any_order() {
    let fixture = Fixture::empty();
    let pv = claim_pv("pv1", "claim", "stage-secret");
    // The PV first: its claim has no pods yet, so its secret reaches no node.
    fixture.store.update(|g| g.add_pv(&pv));
    assert_eq!(fixture.get("node1", "secrets", "stage-secret"), NoOpinion);
    let pv_get = Ask {
        resource: "persistentvolumes",
        name: "pv1",
        ..ASK
    };
    assert_eq!(fixture.ask("node1", pv_get).decision, NoOpinion);

    fixture.add_pod(&app_pod("a", "node1", "s", "claim"));
    assert_eq!(fixture.get("node1", "secrets", "stage-secret"), Allow);
    assert_eq!(fixture.ask("node1", pv_get).decision, Allow);
    fixture.add_pod(&app_pod("b", "node2", "s", "claim"));
    assert_eq!(fixture.get("node2", "secrets", "stage-secret"), Allow);

    // The PV now names another secret: the old one is unreachable and gone.
    fixture
        .store
        .update(|g| g.add_pv(&claim_pv("pv1", "claim", "other-secret")));
    assert_eq!(fixture.get("node1", "secrets", "stage-secret"), NoOpinion);
    assert_eq!(fixture.get("node1", "secrets", "other-secret"), Allow);
    assert!(
        fixture
            .store
            .read(|g| g.nodes_reaching(RefKind::Secret, "ns1", "stage-secret"))
            .is_empty()
    );

    fixture.store.update(|g| g.delete_pod("ns1", "a"));
    assert_eq!(fixture.get("node1", "secrets", "other-secret"), NoOpinion);
    assert_eq!(fixture.get("node2", "secrets", "other-secret"), Allow);

    // Without a claimRef the PV makes no paths.
    let mut released = claim_pv("pv1", "claim", "other-secret");
    released.spec.claim_ref = None;
    fixture.store.update(|g| g.add_pv(&released));
    assert_eq!(fixture.get("node2", "secrets", "other-secret"), NoOpinion);
    assert_eq!(fixture.ask("node2", pv_get).decision, NoOpinion);

    fixture.store.update(|g| g.add_pv(&pv));
    fixture.store.update(|g| g.delete_pod("ns1", "b"));
    fixture.store.update(|g| g.delete_pv("pv1"));
    assert_eq!(stats(&fixture), GraphStats::default(), "orphans vanish");
}

#[test]
fn bound_objects_are_replaced_and_removed() {
    let fixture = Fixture::empty();
    let va = Ask {
        group: "storage.k8s.io",
        resource: "volumeattachments",
        name: "va1",
        ..ASK
    };
    fixture
        .store
        .update(|g| g.add_bound(BoundKind::VolumeAttachment, "", "va1", "node1"));
    assert_eq!(fixture.ask("node1", va).decision, Allow);
    fixture
        .store
        .update(|g| g.add_bound(BoundKind::VolumeAttachment, "", "va1", "node2"));
    assert_eq!(fixture.ask("node1", va).decision, NoOpinion);
    assert_eq!(fixture.ask("node2", va).decision, Allow);
    assert_eq!(stats(&fixture).nodes, 1);
    fixture
        .store
        .update(|g| g.add_bound(BoundKind::VolumeAttachment, "", "va1", ""));
    assert_eq!(fixture.ask("node2", va).decision, NoOpinion);
    fixture
        .store
        .update(|g| g.add_bound(BoundKind::ResourceSlice, "", "va1", "node3"));
    assert_eq!(
        fixture.ask("node3", va).decision,
        NoOpinion,
        "kinds are separate"
    );
    fixture
        .store
        .update(|g| g.delete_bound(BoundKind::ResourceSlice, "", "va1"));
    assert_eq!(stats(&fixture), GraphStats::default());
}

#[test]
fn bulk_replacement_is_atomic_for_readers() {
    let fixture = Fixture::empty();
    fixture.add_pod(&app_pod("a", "node1", "s1", "c1"));
    let mut next = NodeGraph::new();
    next.add_pod(&app_pod("b", "node2", "s2", "c2"));
    fixture.store.replace(next);
    assert_eq!(fixture.get("node1", "secrets", "s1"), NoOpinion);
    assert_eq!(fixture.get("node2", "secrets", "s2"), Allow);
}
