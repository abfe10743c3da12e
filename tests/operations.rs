//! Running for months: rotating the serving certificate and a webhook's credentials without a
//! restart, SIGTERM under load, and rewriting the configuration under load.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::downstream::{Behavior, Downstream};
use common::https::{client_config, send};
use common::pki::Ca;
use common::serve::Serve;
use common::*;
use serde_json::{Value, json};

fn review(namespace: &str) -> Vec<u8> {
    json!({
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "spec": {"resourceAttributes": {"namespace": namespace, "verb": "get", "resource": "pods"}, "user": "alice", "groups": ["team-a"]}
    })
    .to_string()
    .into_bytes()
}

/// Writes `contents` to `path` atomically (a temporary file renamed over it), as rotations do.
fn replace(path: &std::path::Path, contents: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, contents).expect("write");
    std::fs::rename(&tmp, path).expect("rename");
}

fn webhook_config(
    dir: &std::path::Path,
    kubeconfig: &std::path::Path,
    timeout: &str,
) -> std::path::PathBuf {
    write_file(
        dir,
        "authz.yaml",
        &format!(
            "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers:\n- type: Webhook\n  name: wh\n  webhook:\n    timeout: {timeout}\n    subjectAccessReviewVersion: v1\n    failurePolicy: Deny\n    cacheAuthorizedRequests: false\n    cacheUnauthorizedRequests: false\n    connectionInfo: {{type: KubeConfigFile, kubeConfigFile: {}}}\n",
            kubeconfig.display()
        ),
    )
}

async fn until(what: &str, limit: Duration, mut check: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !check().await {
        assert!(
            started.elapsed() < limit,
            "{what} did not happen within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificates_and_webhook_credentials_rotate_without_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first_ca = Ca::new("serving-1");
    let (cert, key) = first_ca.server().write(dir.path(), "server");
    let client_ca = Ca::new("webhook-clients");
    let downstream = Downstream::start(
        Behavior::status("v1", json!({"allowed": true, "reason": "ok"})),
        Some(&client_ca),
    )
    .await;
    // The kubeconfig starts with a client certificate the downstream does not trust.
    let rogue = Ca::new("rogue").client("authz-chain");
    let kubeconfig = downstream.kubeconfig(dir.path(), "wh", Some(&rogue));
    let config = webhook_config(dir.path(), &kubeconfig, "3s");
    let serve = Serve::start([
        "--authorization-config".as_ref(),
        config.as_os_str(),
        "--tls-cert-file".as_ref(),
        cert.as_os_str(),
        "--tls-private-key-file".as_ref(),
        key.as_os_str(),
    ]);
    let address = serve.address;
    let trusts_first = client_config(&first_ca.pem, None, &[b"http/1.1"]);
    let denied = send(
        trusts_first.clone(),
        address,
        "POST",
        "/authorize",
        review("team-a"),
    )
    .await
    .expect("request");
    assert_eq!(denied.json()["status"]["denied"], true, "{}", denied.body);

    // Rotate the webhook client credentials the kubeconfig points to (the kubeconfig is unchanged).
    let good = client_ca.client("authz-chain");
    replace(&dir.path().join("wh-client.key"), &good.key_pem);
    replace(&dir.path().join("wh-client.crt"), &good.cert_pem);
    until(
        "the webhook answering with the new client certificate",
        Duration::from_secs(5),
        async || {
            let reply = send(
                trusts_first.clone(),
                address,
                "POST",
                "/authorize",
                review("team-a"),
            )
            .await;
            reply.is_ok_and(|r| r.json()["status"]["allowed"] == true)
        },
    )
    .await;

    // Rotate the serving certificate to one from another CA.
    let second_ca = Ca::new("serving-2");
    let second = second_ca.server();
    replace(&key, &second.key_pem);
    replace(&cert, &second.cert_pem);
    let trusts_second = client_config(&second_ca.pem, None, &[b"http/1.1"]);
    until(
        "new connections using the new serving certificate",
        Duration::from_secs(5),
        async || {
            send(
                trusts_second.clone(),
                address,
                "GET",
                "/healthz",
                Vec::new(),
            )
            .await
            .is_ok()
        },
    )
    .await;
    // A fresh client (no resumable TLS session) that trusts only the first CA is refused now.
    let fresh = client_config(&first_ca.pem, None, &[b"http/1.1"]);
    assert!(
        send(fresh, address, "GET", "/healthz", Vec::new())
            .await
            .is_err(),
        "the old certificate is gone"
    );
    drop(trusts_first);
    assert_eq!(serve.stop(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_load_answers_every_accepted_request() {
    let dir = tempfile::tempdir().expect("tempdir");
    let downstream = Downstream::start(
        Behavior::Slow(
            Duration::from_millis(1500),
            Box::new(Behavior::status("v1", json!({"allowed": true}))),
        ),
        None,
    )
    .await;
    let config = webhook_config(
        dir.path(),
        &downstream.kubeconfig(dir.path(), "wh", None),
        "10s",
    );
    let certs = dir.path().join("certs");
    let serve = Serve::start([
        "--authorization-config".as_ref(),
        config.as_os_str(),
        "--cert-dir".as_ref(),
        certs.as_os_str(),
        "--shutdown-grace-period".as_ref(),
        "20s".as_ref(),
    ]);
    let address = serve.address;
    let tls = client_config(
        &std::fs::read_to_string(certs.join("authz-chain-ca.crt")).expect("CA"),
        None,
        &[b"http/1.1"],
    );
    let mut requests = tokio::task::JoinSet::new();
    for i in 0..20 {
        let tls = tls.clone();
        // Distinct requests: identical ones would share one webhook call.
        requests.spawn(async move {
            send(
                tls,
                address,
                "POST",
                "/authorize",
                review(&format!("ns-{i}")),
            )
            .await
        });
    }
    // Every request has reached the server (it is waiting on the slow webhook) before SIGTERM.
    until(
        "all requests in flight",
        Duration::from_secs(10),
        async || downstream.calls() == 20,
    )
    .await;
    serve.terminate();
    while let Some(reply) = requests.join_next().await {
        let reply = reply
            .expect("task")
            .expect("an accepted request is answered");
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.json()["status"]["allowed"], true);
    }
    let mut serve = serve;
    assert_eq!(serve.wait(), Some(0));
    assert!(
        send(tls, address, "GET", "/healthz", Vec::new())
            .await
            .is_err(),
        "no longer accepting"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rewriting_the_configuration_under_load() {
    let dir = tempfile::tempdir().expect("tempdir");
    let header =
        "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers:\n";
    let first = format!("{header}- type: RBAC\n  name: rbac\n");
    let second =
        format!("{header}- type: AlwaysAllow\n  name: alwaysallow\n- type: RBAC\n  name: rbac\n");
    let config = write_file(dir.path(), "authz.yaml", &first);
    let certs = dir.path().join("certs");
    let serve = Serve::start([
        "--authorization-config".as_ref(),
        config.as_os_str(),
        "--cert-dir".as_ref(),
        certs.as_os_str(),
    ]);
    let address = serve.address;
    let tls = client_config(
        &std::fs::read_to_string(certs.join("authz-chain-ca.crt")).expect("CA"),
        None,
        &[b"h2"],
    );
    let old_answer = json!({"allowed": false});
    let new_answer = json!({"allowed": true});

    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let (tls, stop) = (tls.clone(), stop.clone());
        clients.spawn(async move {
            let mut answers: Vec<Value> = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let reply = send(tls.clone(), address, "POST", "/authorize", review("team-b"))
                    .await
                    .expect("no request fails");
                assert_eq!(reply.status, 200, "{}", reply.body);
                answers.push(reply.json()["status"].clone());
            }
            answers
        });
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    replace(&config, &second);
    let probe = tls.clone();
    until(
        "the new chain answering",
        Duration::from_secs(2),
        async || {
            let reply = send(
                probe.clone(),
                address,
                "POST",
                "/authorize",
                review("team-b"),
            )
            .await
            .expect("request");
            reply.json()["status"] == json!({"allowed": true})
        },
    )
    .await;
    // A broken file leaves the new chain answering.
    replace(
        &config,
        "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers: [{type: RBAC, name: rbac, extra: 1}]\n",
    );
    tokio::time::sleep(Duration::from_millis(1000)).await;
    stop.store(true, Ordering::Relaxed);
    let mut counts = (0, 0);
    while let Some(answers) = clients.join_next().await {
        for answer in answers.expect("client") {
            if answer == old_answer {
                counts.0 += 1;
            } else if answer == new_answer {
                counts.1 += 1;
            } else {
                panic!("an answer from neither chain: {answer}");
            }
        }
    }
    assert!(counts.0 > 0 && counts.1 > 0, "{counts:?}");
    let after = send(tls.clone(), address, "POST", "/authorize", review("team-b"))
        .await
        .expect("request");
    assert_eq!(
        after.json()["status"],
        new_answer,
        "the broken file did not replace the chain"
    );

    let metrics = send(tls, address, "GET", "/metrics", Vec::new())
        .await
        .expect("metrics")
        .body;
    let hash = authz_chain::server::config_hash(second.as_bytes());
    assert!(
        metrics.contains(
            "apiserver_authorization_config_controller_automatic_reloads_total{status=\"success\","
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains(
            "apiserver_authorization_config_controller_automatic_reloads_total{status=\"failure\","
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains(&format!(",hash=\"{hash}\"}} 1")),
        "the info metric carries the applied file's hash\n{metrics}"
    );
    assert_eq!(serve.stop(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shutdown_delay_fails_readiness_but_keeps_answering() {
    let dir = tempfile::tempdir().expect("tempdir");
    let certs = dir.path().join("certs");
    let serve = Serve::start([
        "--cert-dir".as_ref(),
        certs.as_os_str(),
        "--shutdown-delay-duration".as_ref(),
        "2s".as_ref(),
    ]);
    let address = serve.address;
    let tls = client_config(
        &std::fs::read_to_string(certs.join("authz-chain-ca.crt")).expect("CA"),
        None,
        &[b"http/1.1"],
    );
    let get = |path: &'static str| send(tls.clone(), address, "GET", path, Vec::new());
    assert_eq!(get("/readyz").await.expect("readyz").status, 200);
    let signalled = Instant::now();
    serve.terminate();
    until("/readyz failing", Duration::from_secs(1), async || {
        get("/readyz").await.is_ok_and(|r| r.status == 503)
    })
    .await;
    let readyz = get("/readyz?verbose").await.expect("readyz");
    assert!(
        readyz.body.contains("[-]shutdown failed"),
        "{}",
        readyz.body
    );
    assert_eq!(get("/livez").await.expect("livez").status, 200);
    let answer = send(tls.clone(), address, "POST", "/authorize", review("team-a"))
        .await
        .expect("still answering during the delay");
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json()["status"]["allowed"], true);
    let mut serve = serve;
    assert_eq!(serve.wait(), Some(0));
    assert!(
        signalled.elapsed() >= Duration::from_secs(2),
        "exited before the delay was over"
    );
}
