//! Live mode end to end: the real `authz-chain serve --kubeconfig` against a fake API server
//! that speaks the list/watch protocol (`common::kube_api`). Readiness waits for every initial
//! list; watch events change decisions within a second; a relist after `410 Gone` converges on
//! the server's state; a dropped watch resumes from its last resourceVersion.
#![cfg(feature = "live")]

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::https::{Reply, client_config, send};
use common::kube_api::FakeKube;
use common::kube_api::objects::{pod, role, role_binding, volume_attachment};
use serde_json::{Value, json};

/// `authz-chain serve` in live mode, killed when dropped.
struct Serve {
    child: Child,
    address: SocketAddr,
    tls: Arc<rustls::ClientConfig>,
    logs: Arc<Mutex<Vec<String>>>,
    _dir: tempfile::TempDir,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Serve {
    /// Starts the binary with chain `Node, RBAC` watching `kube`.
    fn start(kube: &FakeKube) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = common::write_file(
            dir.path(),
            "authz.yaml",
            &common::config_with(&["Node", "RBAC"]),
        );
        let mut child = common::binary()
            .args(["--log-format", "json", "--log-level", "info", "serve"])
            .args(["--bind-address", "127.0.0.1", "--secure-port", "0"])
            .arg("--cert-dir")
            .arg(dir.path())
            .arg("--authorization-config")
            .arg(&config)
            .arg("--kubeconfig")
            .arg(kube.kubeconfig(dir.path()))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn serve");
        let stderr = child.stderr.take().expect("stderr");
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (address_tx, address_rx) = std::sync::mpsc::channel();
        let sink = logs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(entry) = serde_json::from_str::<Value>(&line)
                    && let Some(address) = entry["fields"]["address"].as_str()
                {
                    let _ = address_tx.send(address.to_owned());
                }
                sink.lock().expect("logs").push(line);
            }
        });
        let address = address_rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("serve did not start: {:?}", logs.lock()))
            .parse()
            .expect("socket address");
        let ca = std::fs::read_to_string(dir.path().join("authz-chain-ca.crt")).expect("CA");
        Serve {
            child,
            address,
            tls: client_config(&ca, None, &[b"http/1.1"]),
            logs,
            _dir: dir,
        }
    }

    async fn get(&self, path: &str) -> Reply {
        send(self.tls.clone(), self.address, "GET", path, Vec::new())
            .await
            .expect("GET")
    }

    /// Whether `user` (in `groups`) may do what `attributes` (`resourceAttributes`) say.
    async fn allowed(&self, user: &str, groups: &[&str], attributes: Value) -> bool {
        let body = json!({
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SubjectAccessReview",
            "spec": {"user": user, "groups": groups, "resourceAttributes": attributes},
        });
        let reply = send(
            self.tls.clone(),
            self.address,
            "POST",
            "/authorize",
            body.to_string().into_bytes(),
        )
        .await
        .expect("POST /authorize");
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.json()["status"]["allowed"] == true
    }

    async fn node_reads_secret(&self, node: &str, namespace: &str, secret: &str) -> bool {
        let user = format!("system:node:{node}");
        let attributes =
            json!({"verb": "get", "resource": "secrets", "namespace": namespace, "name": secret});
        self.allowed(&user, &["system:nodes"], attributes).await
    }

    async fn may_list_pods(&self, user: &str) -> bool {
        let attributes = json!({"verb": "list", "resource": "pods", "namespace": "team"});
        self.allowed(user, &["system:authenticated"], attributes)
            .await
    }

    /// The value of the series `name{kind="<kind>"}`.
    async fn metric(&self, name: &str, kind: &str) -> f64 {
        let text = self.get("/metrics").await.body;
        let prefix = format!("{name}{{kind=\"{kind}\"}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
    }

    async fn wait_ready(&self) {
        let reached = wait_until(Duration::from_secs(20), || async {
            self.get("/readyz").await.status == 200
        })
        .await;
        let logs = self.logs.lock().expect("logs").join("\n");
        assert!(
            reached,
            "not ready: {}\n{logs}",
            self.get("/readyz?verbose").await.body
        );
    }
}

/// Polls `check` every 20 ms until it holds or `limit` passes; returns whether it held.
async fn wait_until<F, Fut>(limit: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if check().await {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The usual starting state: a Role for pods in `team`, pod `web` on `n1` mounting secret
/// `web-tls`, an unrelated ClusterRole, PV and ResourceSlice so every kind has objects.
fn seed(kube: &FakeKube) {
    kube.apply(role("team", "pod-reader", &["get", "list"], &["pods"]));
    kube.apply(json!({"kind": "ClusterRole", "metadata": {"name": "view"},
                      "rules": [{"apiGroups": [""], "verbs": ["get"], "resources": ["configmaps"]}]}));
    kube.apply(
        json!({"kind": "ClusterRoleBinding", "metadata": {"name": "viewers"},
                      "subjects": [{"kind": "Group", "name": "viewers"}],
                      "roleRef": {"kind": "ClusterRole", "name": "view"}}),
    );
    kube.apply(pod("team", "web", "n1", "web-tls"));
    kube.apply(
        json!({"kind": "PersistentVolume", "metadata": {"name": "pv1"},
                      "spec": {"claimRef": {"namespace": "team", "name": "data"}}}),
    );
    kube.apply(volume_attachment("va1", "n1"));
    kube.apply(json!({"kind": "ResourceSlice", "metadata": {"name": "n1-gpu"},
                      "spec": {"driver": "gpu.example.com", "nodeName": "n1", "pool": {"name": "p"}}}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_waits_for_lists_and_watch_events_change_decisions() {
    let kube = FakeKube::start().await;
    seed(&kube);
    kube.hold_lists("RoleBinding", true);
    let serve = Serve::start(&kube);

    // Before the first sync: not ready, and the body names what is missing.
    let pods_listed = wait_until(Duration::from_secs(20), || async {
        serve
            .get("/readyz?verbose")
            .await
            .body
            .contains("[+]informer-sync/pods ok")
    })
    .await;
    assert!(pods_listed, "{}", serve.get("/readyz?verbose").await.body);
    let readyz = serve.get("/readyz").await;
    assert_eq!(readyz.status, 503);
    assert!(
        readyz.body.contains("[-]informer-sync/rolebindings failed"),
        "{}",
        readyz.body
    );
    kube.hold_lists("RoleBinding", false);
    serve.wait_ready().await;
    assert!(
        serve
            .get("/readyz?verbose")
            .await
            .body
            .contains("[+]informer-sync/resourceslices ok")
    );

    // The node graph came from the lists.
    assert!(serve.node_reads_secret("n1", "team", "web-tls").await);
    assert!(!serve.node_reads_secret("n2", "team", "web-tls").await);

    // A RoleBinding added through the watch changes a decision within a second.
    assert!(!serve.may_list_pods("alice").await);
    kube.apply(role_binding("team", "alice-reads", "alice", "pod-reader"));
    let started = Instant::now();
    let allowed = wait_until(Duration::from_secs(1), || serve.may_list_pods("alice")).await;
    assert!(allowed, "alice still refused after {:?}", started.elapsed());

    // A pod deletion removes the node's access (chain Node, RBAC: RBAC grants nodes nothing).
    kube.delete("Pod", "team", "web");
    let revoked = wait_until(Duration::from_secs(1), || async {
        !serve.node_reads_secret("n1", "team", "web-tls").await
    })
    .await;
    assert!(revoked, "n1 still reads web-tls");

    // A pod created later grants its node access; deleting the binding revokes alice.
    kube.apply(pod("team", "api", "n2", "api-tls"));
    kube.delete("RoleBinding", "team", "alice-reads");
    let converged = wait_until(Duration::from_secs(1), || async {
        serve.node_reads_secret("n2", "team", "api-tls").await
            && !serve.may_list_pods("alice").await
    })
    .await;
    assert!(converged);

    // State metrics.
    assert_eq!(serve.metric("authz_chain_state_objects", "Pod").await, 1.0);
    assert_eq!(
        serve
            .metric("authz_chain_state_objects", "RoleBinding")
            .await,
        0.0
    );
    assert_eq!(
        serve
            .metric("authz_chain_state_objects", "ClusterRole")
            .await,
        1.0
    );
    assert_eq!(
        serve
            .metric("authz_chain_state_watch_restarts_total", "Pod")
            .await,
        0.0
    );
    assert!(
        serve
            .metric("authz_chain_state_seconds_since_last_event", "Pod")
            .await
            < 5.0
    );
}

/// Changes the watches never report: only a relist can find them.
fn change_unseen(kube: &FakeKube, round: u32) {
    let (old_user, new_user) = (format!("user{round}"), format!("user{}", round + 1));
    kube.delete_unseen("RoleBinding", "team", &format!("{old_user}-reads"));
    kube.apply_unseen(role_binding(
        "team",
        &format!("{new_user}-reads"),
        &new_user,
        "pod-reader",
    ));
    kube.delete_unseen("Pod", "team", &format!("pod{round}"));
    let next = round + 1;
    kube.apply_unseen(pod(
        "team",
        &format!("pod{next}"),
        &format!("n{next}"),
        &format!("s{next}"),
    ));
    kube.apply_unseen(volume_attachment("va1", &format!("n{next}")));
}

async fn converged(serve: &Serve, kube: &FakeKube, round: u32) -> bool {
    let next = round + 1;
    let (old_node, new_node) = (format!("n{round}"), format!("n{next}"));
    if !(serve.may_list_pods(&format!("user{next}")).await
        && !serve.may_list_pods(&format!("user{round}")).await
        && serve.node_reads_secret(&new_node, "team", &format!("s{next}")).await
        && !serve.node_reads_secret(&old_node, "team", &format!("s{round}")).await
        && serve
            .allowed(
                &format!("system:node:{new_node}"),
                &["system:nodes"],
                json!({"verb": "get", "group": "storage.k8s.io", "resource": "volumeattachments", "name": "va1"}),
            )
            .await)
    {
        return false;
    }
    for kind in [
        "RoleBinding",
        "Pod",
        "VolumeAttachment",
        "Role",
        "PersistentVolume",
    ] {
        if serve.metric("authz_chain_state_objects", kind).await != kube.count(kind) as f64 {
            return false;
        }
    }
    true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relist_after_410_gone_converges_on_the_servers_state() {
    let kube = FakeKube::start().await;
    seed(&kube);
    kube.apply(role_binding("team", "user1-reads", "user1", "pod-reader"));
    kube.apply(pod("team", "pod1", "n1", "s1"));
    let serve = Serve::start(&kube);
    serve.wait_ready().await;
    assert!(
        serve.may_list_pods("user1").await && serve.node_reads_secret("n1", "team", "s1").await
    );

    // 410 as an ERROR event on the open watches.
    change_unseen(&kube, 1);
    assert!(serve.may_list_pods("user1").await, "nothing reported yet");
    kube.expire();
    let done = wait_until(Duration::from_secs(10), || converged(&serve, &kube, 1)).await;
    assert!(done, "no convergence after an ERROR 410");
    let lists = |kube: &FakeKube| {
        kube.requests()
            .iter()
            .filter(|r| {
                r.starts_with("/apis/rbac.authorization.k8s.io/v1/rolebindings?")
                    && !r.contains("watch=true")
            })
            .count()
    };
    assert_eq!(lists(&kube), 2, "{:#?}", kube.requests());
    assert!(
        serve
            .metric("authz_chain_state_watch_restarts_total", "RoleBinding")
            .await
            >= 1.0
    );

    // 410 as the HTTP answer to the watch request that resumes a watch ended by the server.
    kube.gone_as_http(true);
    change_unseen(&kube, 2);
    kube.expire();
    let done = wait_until(Duration::from_secs(10), || converged(&serve, &kube, 2)).await;
    assert!(done, "no convergence after an HTTP 410");
    assert_eq!(lists(&kube), 3, "{:#?}", kube.requests());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_watch_reconnects_from_its_last_bookmark() {
    let kube = FakeKube::start().await;
    seed(&kube);
    let serve = Serve::start(&kube);
    serve.wait_ready().await;
    let before = kube.requests().len();
    // Something newer than every RoleBinding, so the bookmark moves their watch forward.
    kube.apply(pod("team", "late", "n3", "late-tls"));
    let bookmark = kube.bookmark();
    tokio::time::sleep(Duration::from_millis(200)).await;
    kube.drop_connections();

    kube.apply(role_binding("team", "carol-reads", "carol", "pod-reader"));
    let allowed = wait_until(Duration::from_secs(10), || serve.may_list_pods("carol")).await;
    assert!(allowed, "the RoleBinding watch did not come back");
    assert!(serve.node_reads_secret("n3", "team", "late-tls").await);

    let after: Vec<String> = kube.requests().split_off(before);
    let resumed = format!("resourceVersion={bookmark}");
    assert!(
        after.iter().any(
            |r| r.starts_with("/apis/rbac.authorization.k8s.io/v1/rolebindings?")
                && r.contains("watch=true")
                && r.contains(&resumed)
        ),
        "{after:#?}"
    );
    assert!(
        !after.iter().any(
            |r| r.starts_with("/apis/rbac.authorization.k8s.io/v1/rolebindings?")
                && !r.contains("watch=true")
        ),
        "relisted instead of resuming: {after:#?}"
    );
    assert_eq!(serve.get("/readyz").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kind_the_server_does_not_serve_counts_as_empty_until_it_is_served() {
    let kube = FakeKube::start().await;
    seed(&kube);
    // An older cluster without resource.k8s.io/v1: its list is answered 404.
    kube.unserve("ResourceSlice", true);
    let serve = Serve::start(&kube);
    serve.wait_ready().await;
    assert!(
        serve
            .get("/readyz?verbose")
            .await
            .body
            .contains("[+]informer-sync/resourceslices ok")
    );
    assert_eq!(
        serve
            .metric("authz_chain_state_objects", "ResourceSlice")
            .await,
        0.0
    );
    let warned = serve
        .logs
        .lock()
        .expect("logs")
        .iter()
        .any(|l| l.contains("does not serve this kind") && l.contains("ResourceSlice"));
    assert!(warned, "no warning about the unserved kind");
    // Decisions go on meanwhile.
    assert!(serve.node_reads_secret("n1", "team", "web-tls").await);

    // Once the server serves the kind, the retrying list mirrors it.
    kube.unserve("ResourceSlice", false);
    let mirrored = wait_until(Duration::from_secs(40), || async {
        serve
            .metric("authz_chain_state_objects", "ResourceSlice")
            .await
            == 1.0
    })
    .await;
    assert!(mirrored, "the ResourceSlice was never mirrored");
}
