//! Upstream's `TestNodeAuthorizerSharedResources` and `TestNodeAuthorizerAddEphemeralContainers`.
//! Upstream lowers the destination-index threshold to 1 for these, so that the index is used
//! and recomputed; here every object always has its index.

use serde_json::json;

use super::*;
use Decision::{Allow, NoOpinion};

fn secret_pod(name: &str, node: &str, secrets: &[&str]) -> Pod {
    let volumes: Vec<_> = secrets
        .iter()
        .map(|s| json!({"name": s, "secret": {"secretName": s}}))
        .collect();
    pod(json!({
        "metadata": {"name": name, "namespace": "ns1"},
        "spec": {"nodeName": node, "volumes": volumes},
    }))
}

#[test]
fn shared_resources() {
    let fixture = Fixture::empty();
    fixture.add_pod(&secret_pod(
        "pod1-node1",
        "node1",
        &["node1-only", "node1-node2-only", "shared-all"],
    ));
    fixture.add_pod(&secret_pod(
        "pod2-node2",
        "node2",
        &["node1-node2-only", "shared-all"],
    ));
    let pod3 = secret_pod("pod3-node3", "node3", &["shared-all"]);
    fixture.add_pod(&pod3);

    let cases = [
        ("node1", "node1-only", Allow),
        ("node1", "node1-node2-only", Allow),
        ("node1", "shared-all", Allow),
        ("node2", "node1-only", NoOpinion),
        ("node2", "node1-node2-only", Allow),
        ("node2", "shared-all", Allow),
        ("node3", "node1-only", NoOpinion),
        ("node3", "node1-node2-only", NoOpinion),
        ("node3", "shared-all", Allow),
    ];
    for (i, (node, secret, decision)) in cases.into_iter().enumerate() {
        assert_eq!(
            fixture.get(node, "secrets", secret),
            decision,
            "{i}: {node} {secret}"
        );
    }

    // Replacing pod3 without its volumes recomputes the shared secret's index.
    let mut pod3 = pod3;
    pod3.spec.volumes.clear();
    fixture.add_pod(&pod3);
    assert_eq!(fixture.get("node3", "secrets", "shared-all"), NoOpinion);
    assert_eq!(fixture.get("node1", "secrets", "shared-all"), Allow);
    assert_eq!(fixture.get("node2", "secrets", "shared-all"), Allow);
}

#[test]
fn add_ephemeral_containers() {
    let fixture = Fixture::empty();
    let base = secret_pod("pod1-node1", "node1", &["node1-only"]);
    fixture.add_pod(&base);

    let with_ephemeral = |env_from: serde_json::Value| {
        let mut updated = base.clone();
        let container: crate::api::pod::Container = serde_json::from_value(json!({
            "name": "eph",
            "image": "imageURL",
            "command": ["command"],
            "targetContainerName": "targetContainerName",
            "securityContext": {"privileged": true},
            "envFrom": [env_from],
        }))
        .expect("container");
        updated.spec.ephemeral_containers.push(container);
        updated
    };

    // (node, what, name, decision, ephemeral container added first)
    let cases = [
        ("secrets", "node1-only", Allow, None),
        ("secrets", "new-secret", NoOpinion, None),
        (
            "secrets",
            "new-secret",
            Allow,
            Some(json!({"secretRef": {"name": "new-secret"}})),
        ),
        ("configmaps", "new-config-map", NoOpinion, None),
        (
            "configmaps",
            "new-config-map",
            Allow,
            Some(json!({"configMapRef": {"name": "new-config-map"}})),
        ),
    ];
    for (i, (resource, name, decision, ephemeral)) in cases.into_iter().enumerate() {
        if let Some(env_from) = ephemeral {
            // An update that adds an ephemeral container re-adds the pod.
            fixture.add_pod(&with_ephemeral(env_from));
        }
        assert_eq!(
            fixture.get("node1", resource, name),
            decision,
            "{i}: {name}"
        );
    }
}
