//! Shadow mode end to end: the real `serve` with a live chain and a shadow chain that differ by
//! one RoleBinding, one webhook step (a real downstream) and one Node feature gate. Over every
//! recorded Node case plus a few more, the shadow's counts per class are exactly those computed
//! from each chain's own answers (`explain -o json`, whose decisions `eval` confirms); the
//! differences are logged and listed by `GET /shadow`; the shadow files reload, refuse a bad
//! file and stop while gone; and a hanging shadow webhook with a full queue does not slow the
//! live answers.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::downstream::{Behavior, Downstream};
use common::https::client_config;
use common::serve::Serve;
use common::*;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Value, json};

/// One HTTP/2 connection to `serve`, for many requests.
struct Client {
    sender: hyper::client::conn::http2::SendRequest<Full<Bytes>>,
}

impl Client {
    async fn connect(serve: &Serve, ca: &str) -> Self {
        let config = client_config(ca, None, &[b"h2"]);
        let tcp = tokio::net::TcpStream::connect(serve.address)
            .await
            .expect("connect");
        let name = rustls::pki_types::ServerName::try_from("127.0.0.1")
            .expect("name")
            .to_owned();
        let tls = tokio_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .expect("handshake");
        let (sender, connection) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
                .await
                .expect("h2");
        tokio::spawn(connection);
        Client { sender }
    }

    async fn request(&mut self, method: &str, path: &str, body: String) -> (u16, Value) {
        let request = http::Request::builder()
            .method(method)
            .uri(format!("https://127.0.0.1{path}"))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .expect("request");
        let response = self.sender.send_request(request).await.expect("send");
        let status = response.status().as_u16();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    async fn shadow(&mut self) -> Value {
        let (status, report) = self.request("GET", "/shadow", String::new()).await;
        assert_eq!(status, 200, "{report}");
        report
    }

    async fn metrics(&mut self) -> String {
        let request = http::Request::builder()
            .uri("https://127.0.0.1/metrics")
            .body(Full::new(Bytes::new()))
            .expect("request");
        let response = self.sender.send_request(request).await.expect("send");
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

fn review(spec: Value) -> Value {
    json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": spec})
}

/// Every recorded Node case, and requests by alice (whom only the shadow state binds) and by
/// carol (whom only the shadow's webhook allows).
fn requests() -> Vec<Value> {
    let mut all: Vec<Value> = read_jsonl(&testdata("node/cases.jsonl"))
        .into_iter()
        .map(|c| c["request"].clone())
        .collect();
    for (user, verb, resource) in [
        ("alice", "get", "pods"),
        ("alice", "list", "configmaps"),
        ("alice", "delete", "pods"),
        ("carol", "get", "pods"),
        ("carol", "create", "deployments"),
    ] {
        all.push(review(json!({"resourceAttributes": {"namespace": "ns-a", "verb": verb, "resource": resource}, "user": user, "groups": ["system:authenticated"]})));
    }
    all
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
    }
}

const LIVE_CONFIG: &str = "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers:\n- type: Node\n  name: node\n- type: RBAC\n  name: rbac\n";

fn shadow_config(kubeconfig: &Path, with_webhook: bool) -> String {
    let mut text = LIVE_CONFIG.to_owned();
    if with_webhook {
        text.push_str(&format!(
            "- type: Webhook\n  name: carol-hook\n  webhook:\n    timeout: 5s\n    subjectAccessReviewVersion: v1\n    matchConditionSubjectAccessReviewVersion: v1\n    failurePolicy: NoOpinion\n    connectionInfo:\n      type: KubeConfigFile\n      kubeConfigFile: {}\n    matchConditions:\n    - expression: \"request.user == 'carol'\"\n",
            kubeconfig.display()
        ));
    }
    text
}

/// `explain -o json --webhooks call` answers for `input` through a chain: (decision allowed,
/// decidedBy, reason) per review; `eval` must agree on `allowed`.
fn answers(
    config: &Path,
    state: &Path,
    gates: &str,
    input: &str,
) -> Vec<(bool, Option<String>, String)> {
    let (config, state) = (config.display().to_string(), state.display().to_string());
    let mut args = vec![
        "explain",
        "--authorization-config",
        &config,
        "--state",
        &state,
        "--webhooks",
        "call",
        "-o",
        "json",
    ];
    if !gates.is_empty() {
        args.extend(["--feature-gates", gates]);
    }
    let output = run_with_stdin(&args, input);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let explained: Vec<(bool, Option<String>, String)> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("JSON");
            (
                v["allowed"] == true,
                v["decidedBy"].as_str().map(str::to_owned),
                v["reason"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let mut eval_args = vec!["eval", "--authorization-config", &config, "--state", &state];
    if !gates.is_empty() {
        eval_args.extend(["--feature-gates", gates]);
    }
    let output = run_with_stdin(&eval_args, input);
    let evaluated: Vec<bool> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("JSON")["status"]["allowed"] == true)
        .collect();
    assert_eq!(evaluated, explained.iter().map(|a| a.0).collect::<Vec<_>>());
    explained
}

/// Replay's classes, as the shadow must count them.
fn class(
    live: &(bool, Option<String>, String),
    shadow: &(bool, Option<String>, String),
) -> &'static str {
    match (live.0, shadow.0) {
        (true, false) => "break",
        (false, true) => "widen",
        _ if live.1 != shadow.1 => "authorizer",
        _ if live.2 != shadow.2 => "reason",
        _ => "same",
    }
}

async fn wait_for_total(client: &mut Client, total: u64) -> Value {
    let started = Instant::now();
    loop {
        let report = client.shadow().await;
        let counts = &report["counts"];
        let sum: u64 = ["same", "break", "widen", "authorizer", "reason"]
            .iter()
            .map(|k| counts[k].as_u64().unwrap_or(0))
            .sum();
        if sum >= total || started.elapsed() > Duration::from_secs(30) {
            return report;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn wait_for(client: &mut Client, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let report = client.shadow().await;
        if ok(&report) {
            return report;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{what}: {report}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shadow_counts_each_class_exactly_and_reloads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let downstream = Downstream::start(
        Behavior::status("v1", json!({"allowed": true, "reason": "carol is fine"})),
        None,
    )
    .await;
    let kubeconfig = downstream.kubeconfig(dir.path(), "carol", None);
    let live_config = write_file(dir.path(), "live.yaml", LIVE_CONFIG);
    let shadow_path = write_file(dir.path(), "shadow.yaml", &shadow_config(&kubeconfig, true));
    let live_state = testdata("node/state");
    let shadow_state = dir.path().join("shadow-state");
    copy_dir(&live_state, &shadow_state);
    write_file(
        &shadow_state,
        "zz-alice.yaml",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: alice-views\n  namespace: ns-a\nsubjects:\n- kind: User\n  name: alice\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: view\n",
    );
    let gates = "ClusterTrustBundle=true";

    let requests = requests();
    let input: String = requests.iter().map(|r| format!("{r}\n")).collect();
    let live = answers(&live_config, &live_state, "", &input);
    let shadow = answers(&shadow_path, &shadow_state, gates, &input);
    let mut expected: BTreeMap<&str, u64> = BTreeMap::new();
    for (l, s) in live.iter().zip(&shadow) {
        *expected.entry(class(l, s)).or_default() += 1;
    }
    // Each difference shows up: the binding widens alice, the webhook carol, the gate nodes'
    // cluster trust bundles.
    assert!(
        expected.get("widen").copied().unwrap_or(0) >= 5,
        "{expected:?}"
    );
    let differences: u64 = expected
        .iter()
        .filter(|(k, _)| **k != "same")
        .map(|(_, v)| v)
        .sum();

    let certs = dir.path().join("certs");
    let serve = Serve::start([
        "--cert-dir",
        certs.to_str().expect("path"),
        "--authorization-config",
        live_config.to_str().expect("path"),
        "--state",
        live_state.to_str().expect("path"),
        "--shadow-authorization-config",
        shadow_path.to_str().expect("path"),
        "--shadow-state",
        shadow_state.to_str().expect("path"),
        "--shadow-feature-gates",
        gates,
        "--shadow-webhooks",
        "call",
        "--shadow-log-rate",
        "1000000",
    ]);
    let ca = std::fs::read_to_string(certs.join("authz-chain-ca.crt")).expect("CA");
    let mut client = Client::connect(&serve, &ca).await;
    for (request, want) in requests.iter().zip(&live) {
        let (status, answer) = client
            .request("POST", "/authorize", request.to_string())
            .await;
        assert_eq!(status, 200);
        assert_eq!(
            answer["status"]["allowed"] == true,
            want.0,
            "the live answer: {request}"
        );
    }
    let report = wait_for_total(&mut client, requests.len() as u64).await;
    for class in ["same", "break", "widen", "authorizer", "reason"] {
        assert_eq!(
            report["counts"][class].as_u64().unwrap_or(0),
            expected.get(class).copied().unwrap_or(0),
            "{class}: {}",
            report["counts"]
        );
    }
    assert_eq!(report["active"], true);
    let listed = report["differences"].as_array().expect("differences");
    assert_eq!(listed.len() as u64, differences.min(100));
    assert!(
        listed
            .iter()
            .any(|d| d["user"] == "carol" && d["shadow"]["decidedBy"] == "carol-hook")
    );
    let metrics = client.metrics().await;
    let widen = expected.get("widen").copied().unwrap_or(0);
    assert!(
        metrics.lines().any(|l| l.starts_with("authz_chain_shadow_decisions_total{live=\"no-opinion\",shadow=\"allowed\",class=\"widen\"}")),
        "{metrics}"
    );
    let counted_widen: u64 = metrics
        .lines()
        .filter(|l| {
            l.starts_with("authz_chain_shadow_decisions_total{") && l.contains("class=\"widen\"")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum();
    assert_eq!(counted_widen, widen);
    assert!(
        metrics.contains("authz_chain_shadow_config_info{hash=\"sha256:"),
        "{metrics}"
    );
    // One log line per difference (the rate is far above the request rate).
    let logged: Vec<Value> = serve
        .log()
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["fields"]["message"] == "shadow decision differs")
        .collect();
    let suppressed: u64 = logged
        .iter()
        .map(|v| v["fields"]["suppressed"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(logged.len() as u64 + suppressed, differences, "log lines");
    let carol = logged
        .iter()
        .find(|v| v["fields"]["user"] == "carol")
        .expect("carol's line");
    assert_eq!(carol["fields"]["class"], "widen");
    assert_eq!(carol["fields"]["shadow_decided_by"], "carol-hook");

    // Reload: without the webhook the hash changes and the counts start again.
    let first_hash = report["configHash"].clone();
    std::fs::write(&shadow_path, shadow_config(&kubeconfig, false)).expect("rewrite");
    let report = wait_for(&mut client, "reloaded", |r| {
        r["configHash"] != first_hash && r["active"] == true
    })
    .await;
    assert_eq!(report["counts"]["widen"], 0);
    // A bad file keeps the last good shadow and says why.
    let second_hash = report["configHash"].clone();
    std::fs::write(&shadow_path, "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers: []\n").expect("bad");
    let report = wait_for(&mut client, "refused", |r| r["lastError"].is_string()).await;
    assert_eq!(report["configHash"], second_hash);
    assert_eq!(report["active"], true);
    assert!(
        client
            .metrics()
            .await
            .contains("authz_chain_shadow_reloads_total{status=\"failure\"} 1")
    );
    // Gone: shadowing stops, and requests are skipped as such.
    std::fs::remove_file(&shadow_path).expect("remove");
    let report = wait_for(&mut client, "stopped", |r| r["active"] == false).await;
    assert!(
        report["stopped"]
            .as_str()
            .is_some_and(|s| s.contains("is gone")),
        "{report}"
    );
    client
        .request("POST", "/authorize", requests[0].to_string())
        .await;
    assert!(
        client
            .metrics()
            .await
            .contains("authz_chain_shadow_skipped_total{reason=\"not_loaded\"} 1")
    );
    // Back: shadowing resumes.
    std::fs::write(&shadow_path, shadow_config(&kubeconfig, true)).expect("restore");
    wait_for(&mut client, "resumed", |r| {
        r["active"] == true && r["configHash"] == first_hash
    })
    .await;
    // The shadow's own webhook steps never count into the live chain's series.
    assert!(!client.metrics().await.contains("name=\"carol-hook\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_shadow_webhook_and_a_full_queue_do_not_slow_live_answers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hanging = Downstream::start(Behavior::Hang, None).await;
    let kubeconfig = hanging.kubeconfig(dir.path(), "hang", None);
    let shadow = format!(
        "{LIVE_CONFIG}- type: Webhook\n  name: hang\n  webhook:\n    timeout: 30s\n    subjectAccessReviewVersion: v1\n    matchConditionSubjectAccessReviewVersion: v1\n    failurePolicy: Deny\n    connectionInfo:\n      type: KubeConfigFile\n      kubeConfigFile: {}\n",
        kubeconfig.display()
    );
    let live_config = write_file(dir.path(), "live.yaml", LIVE_CONFIG);
    let shadow_path = write_file(dir.path(), "shadow.yaml", &shadow);
    let certs = dir.path().join("certs");
    let state = testdata("node/state");
    let serve = Serve::start([
        "--cert-dir",
        certs.to_str().expect("path"),
        "--authorization-config",
        live_config.to_str().expect("path"),
        "--state",
        state.to_str().expect("path"),
        "--shadow-authorization-config",
        shadow_path.to_str().expect("path"),
        "--shadow-webhooks",
        "call",
        "--shadow-queue-size",
        "8",
    ]);
    let ca = std::fs::read_to_string(certs.join("authz-chain-ca.crt")).expect("CA");
    let mut client = Client::connect(&serve, &ca).await;
    let body = review(json!({"resourceAttributes": {"namespace": "ns-a", "verb": "get", "resource": "pods"}, "user": "dave"})).to_string();
    let mut slowest = Duration::ZERO;
    for _ in 0..300 {
        let started = Instant::now();
        let (status, answer) = client.request("POST", "/authorize", body.clone()).await;
        slowest = slowest.max(started.elapsed());
        assert_eq!(status, 200);
        assert_eq!(answer["status"]["allowed"], false);
    }
    assert!(
        slowest < Duration::from_millis(500),
        "slowest live answer {slowest:?}"
    );
    // At most 64 decisions hang on the downstream and 8 wait in the queue: the rest were skipped.
    let metrics = client.metrics().await;
    let skipped: u64 = metrics
        .lines()
        .find(|l| l.starts_with("authz_chain_shadow_skipped_total{reason=\"queue_full\"}"))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .unwrap_or(0);
    assert!(skipped >= 300 - 64 - 8 - 1, "skipped {skipped}:\n{metrics}");
    assert!(hanging.calls() >= 1);
}

/// `--shadow-state` is re-read when it changes (like `--state`), and `--shadow-kubeconfig`
/// shadows with a live cluster's objects once they are listed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shadow_state_files_reload_and_a_shadow_cluster_is_listed_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let live_config = write_file(dir.path(), "live.yaml", LIVE_CONFIG);
    let shadow_config = write_file(dir.path(), "shadow.yaml", LIVE_CONFIG);
    let state = testdata("node/state");
    let shadow_state = dir.path().join("shadow-state");
    copy_dir(&state, &shadow_state);
    let certs = dir.path().join("certs");
    let serve = Serve::start([
        "--cert-dir",
        certs.to_str().expect("path"),
        "--authorization-config",
        live_config.to_str().expect("path"),
        "--state",
        state.to_str().expect("path"),
        "--shadow-authorization-config",
        shadow_config.to_str().expect("path"),
        "--shadow-state",
        shadow_state.to_str().expect("path"),
    ]);
    let ca = std::fs::read_to_string(certs.join("authz-chain-ca.crt")).expect("CA");
    let mut client = Client::connect(&serve, &ca).await;
    let alice = review(json!({"resourceAttributes": {"namespace": "ns-a", "verb": "get", "resource": "pods"}, "user": "alice"})).to_string();
    client.request("POST", "/authorize", alice.clone()).await;
    let report = wait_for_total(&mut client, 1).await;
    assert_eq!(report["counts"]["same"], 1, "{report}");
    let loaded = report["loadedAt"].clone();
    write_file(
        &shadow_state,
        "zz-alice.yaml",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: alice-views\n  namespace: ns-a\nsubjects:\n- kind: User\n  name: alice\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: view\n",
    );
    wait_for(&mut client, "state reloaded", |r| r["loadedAt"] != loaded).await;
    client.request("POST", "/authorize", alice.clone()).await;
    let report = wait_for_total(&mut client, 1).await;
    assert_eq!(report["counts"]["widen"], 1, "{report}");
    drop(serve);

    #[cfg(feature = "live")]
    {
        use common::kube_api::FakeKube;
        use common::kube_api::objects::{role, role_binding};
        let kube = FakeKube::start().await;
        kube.apply(role("ns-a", "pod-reader", &["get"], &["pods"]));
        kube.apply(role_binding("ns-a", "alice-reads", "alice", "pod-reader"));
        let certs = dir.path().join("certs-live");
        let serve = Serve::start([
            "--cert-dir",
            certs.to_str().expect("path"),
            "--authorization-config",
            live_config.to_str().expect("path"),
            "--state",
            state.to_str().expect("path"),
            "--shadow-authorization-config",
            shadow_config.to_str().expect("path"),
            "--shadow-kubeconfig",
            kube.kubeconfig(dir.path()).to_str().expect("path"),
        ]);
        let ca = std::fs::read_to_string(certs.join("authz-chain-ca.crt")).expect("CA");
        let mut client = Client::connect(&serve, &ca).await;
        wait_for(&mut client, "listed", |r| r["active"] == true).await;
        client.request("POST", "/authorize", alice).await;
        let report = wait_for_total(&mut client, 1).await;
        assert_eq!(report["counts"]["widen"], 1, "{report}");
        assert_eq!(report["differences"][0]["shadow"]["decidedBy"], "rbac");
    }
}
