//! The real binary: `authz-chain serve` with no flags but a port and a certificate directory starts
//! on the embedded quickstart, writes a self-signed pair, answers over HTTPS, and exits 0 on
//! SIGTERM.

mod common;

use common::https::{client_config, send};
use common::serve::Serve;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_starts_on_the_quickstart_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let serve = Serve::start([std::ffi::OsStr::new("--cert-dir"), dir.path().as_os_str()]);
    let ca = std::fs::read_to_string(dir.path().join("authz-chain-ca.crt")).expect("generated CA");
    assert!(
        dir.path().join("authz-chain.crt").is_file()
            && dir.path().join("authz-chain.key").is_file()
    );
    let config = client_config(&ca, None, &[b"h2", b"http/1.1"]);
    let body = json!({
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "spec": {"nonResourceAttributes": {"path": "/healthz", "verb": "get"}, "user": "carol", "groups": ["system:authenticated"]}
    });
    let reply = send(
        config.clone(),
        serve.address,
        "POST",
        "/authorize",
        body.to_string().into_bytes(),
    )
    .await
    .expect("request");
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["status"]["allowed"], true);
    let ready = send(config.clone(), serve.address, "GET", "/readyz", Vec::new())
        .await
        .expect("readyz");
    assert_eq!((ready.status, ready.body.as_str()), (200, "ok"));
    let verbose = send(
        config.clone(),
        serve.address,
        "GET",
        "/livez?verbose",
        Vec::new(),
    )
    .await
    .expect("livez");
    assert_eq!(verbose.body, "[+]ping ok\nlivez check passed\n");
    let metrics = send(config, serve.address, "GET", "/metrics", Vec::new())
        .await
        .expect("metrics")
        .body;
    assert!(
        metrics.contains(r#"authorization_attempts_total{result="allowed"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(
            r#"authz_chain_http_request_duration_seconds_count{route="/authorize",code="200"} 1"#
        ),
        "{metrics}"
    );

    let log = serve.log();
    assert_eq!(serve.stop(), Some(0));
    assert!(
        log.iter()
            .any(|l| l.contains("generated a self-signed serving certificate"))
    );
}
