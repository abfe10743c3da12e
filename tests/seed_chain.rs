//! The seed example (`config-samples/seed/`): `Webhook(kube-system guard, matchConditions) → RBAC →
//! Webhook(catch-all)`, with real downstreams, through `eval` and through `serve`.

mod common;

use std::path::Path;

use common::downstream::{Behavior, Downstream};
use common::https::{client_config, send};
use common::serve::Serve;
use common::*;
use serde_json::{Value, json};

const GUARD_REASON: &str = "kube-system is managed by the platform team";
const CATCH_ALL_REASON: &str = "catch-all: reads are fine";

struct Seed {
    dir: tempfile::TempDir,
    config: std::path::PathBuf,
    guard: Downstream,
    catch_all: Downstream,
}

async fn seed() -> Seed {
    let dir = tempfile::tempdir().expect("tempdir");
    let guard = Downstream::start(
        Behavior::status(
            "v1",
            json!({"allowed": false, "denied": true, "reason": GUARD_REASON}),
        ),
        None,
    )
    .await;
    let catch_all = Downstream::start(
        Behavior::status(
            "v1beta1",
            json!({"allowed": true, "reason": CATCH_ALL_REASON}),
        ),
        None,
    )
    .await;
    let guard_kubeconfig = guard.kubeconfig(dir.path(), "guard", None);
    let catch_all_kubeconfig = catch_all.kubeconfig(dir.path(), "catch-all", None);
    let sample = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("config-samples/seed/authorization-config.yaml"),
    )
    .expect("seed sample");
    let text = sample
        .replace(
            "@SAMPLES@/seed/kube-system-guard.kubeconfig",
            guard_kubeconfig.to_str().expect("utf-8"),
        )
        .replace(
            "@SAMPLES@/seed/catch-all.kubeconfig",
            catch_all_kubeconfig.to_str().expect("utf-8"),
        );
    let config = write_file(dir.path(), "seed.yaml", &text);
    Seed {
        dir,
        config,
        guard,
        catch_all,
    }
}

fn sar(namespace: Option<&str>, verb: &str, resource: &str, user: &str, groups: &[&str]) -> Value {
    let attributes = match namespace {
        Some(ns) => {
            json!({"resourceAttributes": {"namespace": ns, "verb": verb, "resource": resource}})
        }
        None => json!({"nonResourceAttributes": {"path": resource, "verb": verb}}),
    };
    let mut spec = attributes;
    spec["user"] = json!(user);
    spec["groups"] = json!(groups);
    json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": spec})
}

/// `(review, expected status)`, as the sample's comments describe.
fn cases() -> Vec<(Value, Value)> {
    vec![
        (
            sar(Some("kube-system"), "get", "pods", "alice", &["team-a"]),
            json!({"allowed": false, "denied": true, "reason": GUARD_REASON}),
        ),
        (
            sar(Some("team-a"), "get", "pods", "alice", &["team-a"]),
            json!({"allowed": true, "reason": "RBAC: allowed by RoleBinding \"team-a-viewers/team-a\" of ClusterRole \"team-viewer\" to Group \"team-a\""}),
        ),
        (
            sar(
                Some("team-b"),
                "get",
                "secrets",
                "bob",
                &["system:authenticated"],
            ),
            json!({"allowed": true, "reason": CATCH_ALL_REASON}),
        ),
        (
            sar(
                Some("kube-system"),
                "delete",
                "secrets",
                "root",
                &["system:masters"],
            ),
            json!({"allowed": true}),
        ),
        (
            sar(None, "get", "/healthz", "carol", &["system:authenticated"]),
            json!({"allowed": true, "reason": "RBAC: allowed by ClusterRoleBinding \"health-readers\" of ClusterRole \"health-reader\" to Group \"system:authenticated\""}),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_eval() {
    let seed = seed().await;
    let cases = cases();
    let input: String = cases.iter().map(|(r, _)| format!("{r}\n")).collect();
    let config = seed.config.to_str().expect("utf-8").to_owned();
    let output = tokio::task::spawn_blocking(move || {
        run_with_stdin(&["eval", "--authorization-config", &config], &input)
    })
    .await
    .expect("eval");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answers: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    for ((review, want), got) in cases.iter().zip(&answers) {
        assert_eq!(&got["status"], want, "{review}");
    }
    assert_eq!(
        seed.guard.calls(),
        1,
        "the guard is asked only about kube-system, and not for masters"
    );
    assert_eq!(
        seed.catch_all.calls(),
        1,
        "the catch-all is asked only what RBAC did not allow"
    );
    let guard_body: Value = serde_json::from_str(&seed.guard.seen()[0].body).expect("body");
    assert_eq!(
        guard_body["spec"]["resourceAttributes"]["namespace"],
        "kube-system"
    );
    assert!(
        seed.catch_all.seen()[0]
            .body
            .contains("\"apiVersion\":\"authorization.k8s.io/v1beta1\"")
    );

    // The guard unreachable: its failure policy (Deny) answers, with the error.
    drop(seed.guard);
    let input = format!("{}\n", cases[0].0);
    let config = seed.config.to_str().expect("utf-8").to_owned();
    let output = tokio::task::spawn_blocking(move || {
        run_with_stdin(&["eval", "--authorization-config", &config], &input)
    })
    .await
    .expect("eval");
    let answer: Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(answer["status"]["denied"], true);
    assert!(
        answer["status"]["evaluationError"]
            .as_str()
            .unwrap_or_default()
            .contains("Post \"https://127.0.0.1"),
        "{answer}"
    );
    drop(seed.dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_serve() {
    let seed = seed().await;
    let cert_dir = seed.dir.path().join("certs");
    let serve = Serve::start([
        std::ffi::OsStr::new("--authorization-config"),
        seed.config.as_os_str(),
        std::ffi::OsStr::new("--cert-dir"),
        cert_dir.as_os_str(),
    ]);
    let address = serve.address;
    let ca = std::fs::read_to_string(cert_dir.join("authz-chain-ca.crt")).expect("CA");
    let tls = client_config(&ca, None, &[b"h2", b"http/1.1"]);
    for (review, want) in cases() {
        let reply = send(
            tls.clone(),
            address,
            "POST",
            "/authorize",
            review.to_string().into_bytes(),
        )
        .await
        .expect("request");
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.json()["status"], want, "{review}");
    }
    // Twice more: the guard's denial and the catch-all's allow are cached.
    for (review, _) in cases().into_iter().take(3) {
        send(
            tls.clone(),
            address,
            "POST",
            "/authorize",
            review.to_string().into_bytes(),
        )
        .await
        .expect("request");
    }
    assert_eq!((seed.guard.calls(), seed.catch_all.calls()), (1, 1));
    let metrics = send(tls, address, "GET", "/metrics", Vec::new())
        .await
        .expect("metrics")
        .body;
    for needle in [
        r#"apiserver_authorization_webhook_evaluations_total{name="kube-system-guard",result="success"} 1"#,
        r#"apiserver_authorization_webhook_evaluations_total{name="catch-all",result="success"} 1"#,
        r#"apiserver_authorization_match_condition_exclusions_total{type="Webhook",name="kube-system-guard"} 5"#,
        r#"apiserver_authorization_match_condition_evaluation_errors_total{type="Webhook",name="kube-system-guard"} 0"#,
        r#"apiserver_authorization_match_condition_evaluation_seconds_count{type="Webhook",name="kube-system-guard"}"#,
        r#"apiserver_authorization_decisions_total{type="Webhook",name="kube-system-guard",decision="denied"} 2"#,
        r#"apiserver_authorization_decisions_total{type="RBAC",name="rbac",decision="allowed"} 3"#,
        r#"apiserver_authorization_decisions_total{type="Webhook",name="catch-all",decision="allowed"} 2"#,
    ] {
        assert!(metrics.contains(needle), "missing {needle} in\n{metrics}");
    }
    assert_eq!(serve.stop(), Some(0));
}
