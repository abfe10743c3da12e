//! The real binary: `authz-chain serve` with no flags but a port and a certificate directory starts
//! on the embedded quickstart, writes a self-signed pair, answers over HTTPS, and exits 0 on
//! SIGTERM.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use common::https::{client_config, send};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_starts_on_the_quickstart_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = common::binary()
        .args([
            "--log-format",
            "json",
            "serve",
            "--bind-address",
            "127.0.0.1",
            "--secure-port",
            "0",
            "--cert-dir",
        ])
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn serve");
    let stderr = child.stderr.take().expect("stderr");
    let (address_tx, address_rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Ok(entry) = serde_json::from_str::<serde_json::Value>(&line)
                && let Some(address) = entry["fields"]["address"].as_str()
            {
                let _ = address_tx.send(address.to_owned());
            }
            lines.push(line);
        }
        lines
    });
    let address: std::net::SocketAddr = address_rx
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("serve logged its address")
        .parse()
        .expect("socket address");

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
        address,
        "POST",
        "/authorize",
        body.to_string().into_bytes(),
    )
    .await
    .expect("request");
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["status"]["allowed"], true);
    let ready = send(config, address, "GET", "/readyz", Vec::new())
        .await
        .expect("readyz");
    assert_eq!(ready.status, 200);

    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = child.wait().expect("wait");
    let lines = reader.join().expect("reader");
    assert_eq!(status.code(), Some(0), "{}", lines.join("\n"));
    assert!(
        lines
            .iter()
            .any(|l| l.contains("generated a self-signed serving certificate"))
    );
    assert!(lines.iter().any(|l| l.contains("shutting down")));
}
