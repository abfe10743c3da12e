//! The fault suite: each defect found by trying `serve` as an attacker and as a failing network
//! would, reproduced against the real binary over real TLS on loopback. Limits are set small
//! through their flags so that each case takes seconds; the assertions give CI room for a loaded
//! machine while staying far below "never".

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::downstream::{Behavior, Downstream};
use common::https::{Reply, client_config, send};
use common::pki::Ca;
use common::serve::Serve;
use common::write_file;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::client::TlsStream;

/// The quickstart (RBAC over the embedded state) with its self-signed pair in `dir`, plus `args`.
fn quickstart(dir: &Path, args: &[&str]) -> (Serve, String) {
    let mut all = vec!["--cert-dir", dir.to_str().expect("utf-8 path")];
    all.extend_from_slice(args);
    let serve = Serve::start(all);
    let ca = std::fs::read_to_string(dir.join("authz-chain-ca.crt")).expect("generated CA");
    (serve, ca)
}

fn review(user: &str, namespace: &str) -> Vec<u8> {
    json!({
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "spec": {"resourceAttributes": {"namespace": namespace, "verb": "get", "resource": "pods"}, "user": user, "groups": ["team-a"]}
    })
    .to_string()
    .into_bytes()
}

/// A TLS connection offering `alpn`.
async fn connect(
    address: SocketAddr,
    ca: &str,
    alpn: &[&[u8]],
) -> TlsStream<tokio::net::TcpStream> {
    let tcp = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1")
        .expect("name")
        .to_owned();
    tokio_rustls::TlsConnector::from(client_config(ca, None, alpn))
        .connect(name, tcp)
        .await
        .expect("handshake")
}

/// An HTTP/2 connection that has answered one `GET /healthz` (200); its driver runs on a task
/// whose handle is returned with the client (keep the client: dropping it closes the connection
/// from the client's side).
async fn http2_after_one_request(
    address: SocketAddr,
    ca: &str,
) -> (
    h2::client::SendRequest<Bytes>,
    tokio::task::JoinHandle<Result<(), h2::Error>>,
) {
    let tls = connect(address, ca, &[b"h2"]).await;
    let (client, connection) = h2::client::handshake(tls).await.expect("h2 handshake");
    let connection = tokio::spawn(connection);
    let mut client = client.ready().await.expect("ready");
    let request = http::Request::get("https://127.0.0.1/healthz")
        .body(())
        .expect("request");
    let (response, _) = client.send_request(request, true).expect("send");
    assert_eq!(response.await.expect("response").status(), 200);
    (client, connection)
}

/// Reads until the server closes (EOF or error) and returns what it sent and when it closed;
/// `None` if it is still open after `limit`.
async fn closed_within<S: tokio::io::AsyncRead + Unpin>(
    stream: &mut S,
    limit: Duration,
) -> Option<(Duration, String)> {
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let left = limit.checked_sub(started.elapsed())?;
        match tokio::time::timeout(left, stream.read(&mut buffer)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => {
                return Some((
                    started.elapsed(),
                    String::from_utf8_lossy(&received).into_owned(),
                ));
            }
            Ok(Ok(n)) => received.extend_from_slice(&buffer[..n]),
        }
    }
}

async fn healthz(address: SocketAddr, ca: &str) -> Reply {
    send(
        client_config(ca, None, &[b"http/1.1"]),
        address,
        "GET",
        "/healthz",
        vec![],
    )
    .await
    .expect("healthz")
}

/// `GET /metrics` over HTTP/1.1 on the serving port.
async fn metrics(address: SocketAddr, ca: &str) -> String {
    send(
        client_config(ca, None, &[b"http/1.1"]),
        address,
        "GET",
        "/metrics",
        vec![],
    )
    .await
    .expect("metrics")
    .body
}

fn metric_value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_header_line_is_cut_off_while_others_are_served() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (serve, ca) = quickstart(dir.path(), &["--header-read-timeout", "1s"]);
    let mut slow = connect(serve.address, &ca, &[b"http/1.1"]).await;
    slow.write_all(b"POST /authorize HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty")
        .await
        .expect("write");
    // Others are served while the slow client holds its connection.
    let started = Instant::now();
    assert_eq!(healthz(serve.address, &ca).await.status, 200);
    assert!(started.elapsed() < Duration::from_secs(1));
    let (after, _) = closed_within(&mut slow, Duration::from_secs(10))
        .await
        .expect("a slow header must not keep its connection");
    assert!(after < Duration::from_secs(4), "closed after {after:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_or_trickling_body_gets_408() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (serve, ca) = quickstart(dir.path(), &["--body-read-timeout", "1s"]);
    let head = "POST /authorize HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n";

    // Stalled: part of the body, then nothing.
    let mut stalled = connect(serve.address, &ca, &[b"http/1.1"]).await;
    stalled.write_all(head.as_bytes()).await.expect("write");
    stalled.write_all(b"{\"kind\":").await.expect("write");
    let (after, answer) = closed_within(&mut stalled, Duration::from_secs(10))
        .await
        .expect("a stalled body must not keep its connection");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("made no progress for 1s"), "{answer}");
    assert!(after < Duration::from_secs(4), "answered after {after:?}");

    // Trickling: one byte every 300 ms is progress, but the whole body must arrive in 4 s.
    let mut trickle = connect(serve.address, &ca, &[b"http/1.1"]).await;
    trickle.write_all(head.as_bytes()).await.expect("write");
    let started = Instant::now();
    let writer = async {
        for _ in 0..100 {
            if trickle.write_all(b" ").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
            if started.elapsed() > Duration::from_secs(5) {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(6), writer)
        .await
        .ok();
    let (_, answer) = closed_within(&mut trickle, Duration::from_secs(5))
        .await
        .expect("a trickling body must not keep its connection");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(9));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_keep_alive_connections_are_closed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (serve, ca) = quickstart(dir.path(), &["--idle-timeout", "1s"]);

    // HTTP/1.1: one request, then silence.
    let mut http1 = connect(serve.address, &ca, &[b"http/1.1"]).await;
    http1
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .expect("write");
    let mut first = [0u8; 64];
    let n = http1.read(&mut first).await.expect("response");
    assert!(first[..n].starts_with(b"HTTP/1.1 200"));
    let (after, _) = closed_within(&mut http1, Duration::from_secs(10))
        .await
        .expect("an idle HTTP/1.1 connection must be closed");
    assert!(after < Duration::from_secs(4), "closed after {after:?}");

    // HTTP/2: one request, then silence; the connection ends (GOAWAY, then close).
    let (_client, connection) = http2_after_one_request(serve.address, &ca).await;
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(10), connection)
        .await
        .expect("an idle HTTP/2 connection must be closed")
        .expect("join")
        .ok();
    assert!(started.elapsed() < Duration::from_secs(4));

    // A connection that never says anything after the handshake.
    let mut silent = connect(serve.address, &ca, &[b"h2"]).await;
    closed_within(&mut silent, Duration::from_secs(10))
        .await
        .expect("a silent connection must be closed");
    let text = metrics(serve.address, &ca).await;
    assert!(
        metric_value(
            &text,
            "authz_chain_connections_closed_total{reason=\"idle\"}"
        ) >= 3.0,
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http2_client_granting_no_window_loses_its_connection() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (serve, ca) = quickstart(
        dir.path(),
        &["--write-timeout", "1s", "--idle-timeout", "60s"],
    );
    let tls = connect(serve.address, &ca, &[b"h2"]).await;
    let (mut client, connection) = h2::client::Builder::new()
        .initial_window_size(0)
        .handshake::<_, Bytes>(tls)
        .await
        .expect("h2 handshake");
    let connection = tokio::spawn(connection);
    let request = http::Request::get("https://127.0.0.1/readyz?verbose")
        .body(())
        .expect("request");
    let (response, _) = client.send_request(request, true).expect("send");
    // The headers need no window; the body never gets any.
    let response = response.await.expect("response headers");
    assert_eq!(response.status(), 200);
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(10), connection)
        .await
        .expect("a stream blocked on flow control must not hold its connection")
        .expect("join")
        .ok();
    assert!(started.elapsed() < Duration::from_secs(4));
    let text = metrics(serve.address, &ca).await;
    assert_eq!(
        metric_value(
            &text,
            "authz_chain_connections_closed_total{reason=\"write_timeout\"}"
        ),
        1.0,
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_connection_cap_idle_connections_go_first_and_new_ones_wait() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (serve, ca) = quickstart(
        dir.path(),
        &[
            "--max-connections",
            "2",
            "--idle-timeout",
            "60s",
            "--body-read-timeout",
            "20s",
        ],
    );
    // Two connections, idle after one request each.
    let mut idle = Vec::new();
    for _ in 0..2 {
        let mut tls = connect(serve.address, &ca, &[b"http/1.1"]).await;
        tls.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .expect("write");
        let mut buffer = [0u8; 256];
        let n = tls.read(&mut buffer).await.expect("read");
        assert!(buffer[..n].starts_with(b"HTTP/1.1 200"));
        idle.push(tls);
    }
    // A third client is served: an idle connection made room.
    let started = Instant::now();
    assert_eq!(healthz(serve.address, &ca).await.status, 200);
    assert!(started.elapsed() < Duration::from_secs(3));
    let mut closed = 0;
    for tls in &mut idle {
        if closed_within(tls, Duration::from_millis(500))
            .await
            .is_some()
        {
            closed += 1;
        }
    }
    assert!(closed >= 1, "no idle connection was closed to make room");
    drop(idle);
    tokio::time::sleep(Duration::from_millis(200)).await;

    // Two busy connections (bodies still arriving): a third waits for a slot. The server's
    // `100 Continue` shows it is reading the body, so the request counts as in progress however
    // slow the machine is.
    let head = "POST /authorize HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n";
    let mut busy = Vec::new();
    for _ in 0..2 {
        let mut tls = connect(serve.address, &ca, &[b"http/1.1"]).await;
        tls.write_all(head.as_bytes()).await.expect("write");
        let mut buffer = [0u8; 64];
        let n = tokio::time::timeout(Duration::from_secs(5), tls.read(&mut buffer))
            .await
            .expect("an answer to the head in time")
            .expect("read");
        assert!(
            buffer[..n].starts_with(b"HTTP/1.1 100 Continue"),
            "{:?}",
            String::from_utf8_lossy(&buffer[..n])
        );
        tls.write_all(b"{").await.expect("write");
        busy.push(tls);
    }
    let waiting = tokio::spawn({
        let ca = ca.clone();
        let address = serve.address;
        async move { healthz(address, &ca).await }
    });
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(
        !waiting.is_finished(),
        "a connection past the cap was served"
    );
    drop(busy);
    let reply = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("the waiting connection is served once a slot frees")
        .expect("join");
    assert_eq!(reply.status, 200);
}

/// An AuthorizationConfiguration with one webhook step (no cache) before RBAC; `only_bob` adds a
/// matchCondition so that other users skip the webhook.
fn webhook_then_rbac(
    dir: &Path,
    kubeconfig: &Path,
    timeout: &str,
    policy: &str,
    only_bob: bool,
) -> PathBuf {
    let conditions = if only_bob {
        "    matchConditions:\n    - expression: \"request.user == 'bob'\"\n"
    } else {
        ""
    };
    write_file(
        dir,
        "authz.yaml",
        &format!(
            "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers:\n- type: Webhook\n  name: wh\n  webhook:\n    timeout: {timeout}\n    subjectAccessReviewVersion: v1\n    matchConditionSubjectAccessReviewVersion: v1\n    failurePolicy: {policy}\n    cacheAuthorizedRequests: false\n    cacheUnauthorizedRequests: false\n    connectionInfo: {{type: KubeConfigFile, kubeConfigFile: {}}}\n{conditions}- type: RBAC\n  name: rbac\n",
            kubeconfig.display()
        ),
    )
}

fn webhook_serve(dir: &Path, config: &Path, args: &[&str]) -> (Serve, String) {
    let state = Path::new(env!("CARGO_MANIFEST_DIR")).join("config-samples/quickstart/state");
    let mut all = vec![
        "--authorization-config",
        config.to_str().expect("utf-8"),
        "--state",
        state.to_str().expect("utf-8"),
    ];
    all.extend_from_slice(args);
    quickstart(dir, &all)
}

async fn authorize(address: SocketAddr, ca: &str, path: &str, body: Vec<u8>) -> Reply {
    send(
        client_config(ca, None, &[b"h2"]),
        address,
        "POST",
        path,
        body,
    )
    .await
    .expect("authorize")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_callers_timeout_bounds_the_whole_chain() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A downstream answering 500 after 1.9 s: retried with backoff, 14 s in all without a deadline.
    let downstream = Downstream::start(
        Behavior::Slow(Duration::from_millis(1900), Box::new(Behavior::http(500))),
        None,
    )
    .await;
    let kubeconfig = downstream.kubeconfig(dir.path(), "wh", None);
    let config = webhook_then_rbac(dir.path(), &kubeconfig, "3s", "Deny", false);
    let (serve, ca) = webhook_serve(dir.path(), &config, &[]);
    let started = Instant::now();
    let reply = authorize(
        serve.address,
        &ca,
        "/authorize?timeout=3s",
        review("alice", "team-a"),
    )
    .await;
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(3300),
        "answered after {took:?}"
    );
    assert_eq!(reply.status, 200);
    let status = &reply.json()["status"];
    assert_eq!(status["denied"], true, "failurePolicy Deny: {}", reply.body);
    assert!(
        status["evaluationError"]
            .as_str()
            .is_some_and(|e| e.contains("500") || e.contains("deadline")),
        "{}",
        reply.body
    );
    // No attempt started past the deadline, and nothing goes on after the answer.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(downstream.calls() <= 2, "{} calls", downstream.calls());

    // A hanging downstream and ?timeout=1s: answered in time, by the failure policy.
    downstream.set(Behavior::Hang);
    let started = Instant::now();
    let reply = authorize(
        serve.address,
        &ca,
        "/authorize?timeout=1s",
        review("alice", "team-a"),
    )
    .await;
    assert!(started.elapsed() < Duration::from_millis(1200));
    assert_eq!(reply.json()["status"]["denied"], true, "{}", reply.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_in_flight_limit_requests_get_429_with_retry_after() {
    let dir = tempfile::tempdir().expect("tempdir");
    let downstream = Downstream::start(Behavior::Hang, None).await;
    let kubeconfig = downstream.kubeconfig(dir.path(), "wh", None);
    let config = webhook_then_rbac(dir.path(), &kubeconfig, "5s", "NoOpinion", false);
    let (serve, ca) = webhook_serve(dir.path(), &config, &["--max-requests-inflight", "1"]);
    let held = tokio::spawn({
        let ca = ca.clone();
        let address = serve.address;
        async move {
            authorize(
                address,
                &ca,
                "/authorize?timeout=3s",
                review("alice", "team-a"),
            )
            .await
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let refused = authorize(serve.address, &ca, "/authorize", review("alice", "team-a")).await;
    assert_eq!(refused.status, 429, "{}", refused.body);
    assert_eq!(
        refused
            .headers
            .get(http::header::RETRY_AFTER)
            .map(|v| v.as_bytes()),
        Some(&b"1"[..])
    );
    assert_eq!(refused.json()["reason"], "TooManyRequests");
    // Health checks are not counted against the limit.
    assert_eq!(healthz(serve.address, &ca).await.status, 200);
    let first = held.await.expect("join");
    assert_eq!(first.status, 200);
    // The slot is free again.
    let again = authorize(serve.address, &ca, "/authorize", review("alice", "team-a")).await;
    assert_eq!(again.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_over_http2_has_no_body() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (serve, ca) = quickstart(dir.path(), &[]);
    for (path, status) in [
        ("/healthz", 200),
        ("/readyz", 200),
        ("/metrics", 200),
        ("/authorize", 405),
    ] {
        let tls = connect(serve.address, &ca, &[b"h2"]).await;
        let (mut client, connection) = h2::client::handshake(tls).await.expect("h2 handshake");
        tokio::spawn(connection);
        let request = http::Request::head(format!("https://127.0.0.1{path}"))
            .body(())
            .expect("request");
        let (response, _) = client.send_request(request, true).expect("send");
        let response = response.await.expect("response");
        assert_eq!(response.status(), status, "{path}");
        let mut body = response.into_body();
        let mut received = 0;
        while let Some(chunk) = body.data().await {
            received += chunk.unwrap_or_else(|e| panic!("{path}: {e}")).len();
        }
        assert_eq!(received, 0, "HEAD {path} over HTTP/2 sent a body");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_does_not_wait_for_idle_connections() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut serve, ca) = quickstart(dir.path(), &["--shutdown-grace-period", "30s"]);
    // An HTTP/1.1 connection idle after a request, an HTTP/2 one, one that never spoke...
    let mut http1 = connect(serve.address, &ca, &[b"http/1.1"]).await;
    http1
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let mut buffer = [0u8; 256];
    let _ = http1.read(&mut buffer).await.expect("read");
    let _http2 = http2_after_one_request(serve.address, &ca).await;
    let _silent = connect(serve.address, &ca, &[b"h2"]).await;
    // A peer that opened HTTP/2 and then answers nothing (no GOAWAY or PING acknowledgement),
    // and one that sent half a header line.
    let _mute = mute_http2(serve.address, &ca).await;
    let mut partial = connect(serve.address, &ca, &[b"http/1.1"]).await;
    partial
        .write_all(b"GET /healthz HTTP/1.1\r\nHo")
        .await
        .expect("write");
    let started = Instant::now();
    serve.terminate();
    let code = tokio::task::spawn_blocking(move || serve.wait())
        .await
        .expect("join");
    assert_eq!(code, Some(0));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "exit took {:?} with only idle connections",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_downstreams_answer_in_time_and_others_are_not_held() {
    let faults = [
        ("hang", Behavior::Hang),
        ("reset", Behavior::Reset),
        (
            "trickle",
            Behavior::Trickle(
                Duration::from_millis(200),
                "{\"status\":{\"allowed\":true}}".into(),
            ),
        ),
        (
            "garbage",
            Behavior::Reply {
                status: 200,
                body: "\u{1}<html>not a review".into(),
                retry_after: false,
            },
        ),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    let downstream = Downstream::start(Behavior::Hang, None).await;
    let kubeconfig = downstream.kubeconfig(dir.path(), "wh", None);
    let config = webhook_then_rbac(dir.path(), &kubeconfig, "1s", "NoOpinion", true);
    let (serve, ca) = webhook_serve(dir.path(), &config, &[]);
    for (name, fault) in faults {
        downstream.set(fault);
        // Bob's requests go to the failing downstream, alice's skip it (matchConditions).
        let bobs: Vec<_> = (0..8)
            .map(|i| {
                let ca = ca.clone();
                let address = serve.address;
                tokio::spawn(async move {
                    let started = Instant::now();
                    let reply = authorize(
                        address,
                        &ca,
                        "/authorize?timeout=2s",
                        review("bob", &format!("ns-{i}")),
                    )
                    .await;
                    (started.elapsed(), reply)
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(100)).await;
        for _ in 0..10 {
            let started = Instant::now();
            let reply =
                authorize(serve.address, &ca, "/authorize", review("alice", "team-a")).await;
            assert!(
                started.elapsed() < Duration::from_millis(500),
                "{name}: alice waited {:?}",
                started.elapsed()
            );
            assert_eq!(
                reply.json()["status"]["allowed"],
                true,
                "{name}: {}",
                reply.body
            );
        }
        for bob in bobs {
            let (took, reply) = bob.await.expect("join");
            assert!(
                took < Duration::from_millis(2300),
                "{name}: bob waited {took:?}"
            );
            assert_eq!(reply.status, 200, "{name}");
            // NoOpinion from the webhook, then RBAC has no rule for bob.
            assert_eq!(
                reply.json()["status"]["allowed"],
                false,
                "{name}: {}",
                reply.body
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_webhook_failures_are_logged_at_a_limited_rate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let downstream = Downstream::start(Behavior::http(403), None).await;
    let kubeconfig = downstream.kubeconfig(dir.path(), "wh", None);
    let config = webhook_then_rbac(dir.path(), &kubeconfig, "1s", "NoOpinion", false);
    let (serve, ca) = webhook_serve(dir.path(), &config, &[]);
    for i in 0..40 {
        let reply = authorize(
            serve.address,
            &ca,
            "/authorize",
            review("bob", &format!("n{i}")),
        )
        .await;
        assert_eq!(reply.status, 200);
    }
    assert!(downstream.calls() >= 40);
    let lines: Vec<_> = serve
        .log()
        .into_iter()
        .filter(|l| l.contains("webhook call failed"))
        .collect();
    assert!(
        !lines.is_empty() && lines.len() <= 3,
        "{} warning lines for 40 failures",
        lines.len()
    );
    // The next line says how many were held back.
    tokio::time::sleep(Duration::from_millis(5100)).await;
    let _ = authorize(serve.address, &ca, "/authorize", review("bob", "last")).await;
    let last = serve
        .log()
        .into_iter()
        .rfind(|l| l.contains("webhook call failed"))
        .expect("a warning");
    let entry: serde_json::Value = serde_json::from_str(&last).expect("json log");
    assert!(
        entry["fields"]["suppressed"]
            .as_u64()
            .is_some_and(|n| n >= 38),
        "{last}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_state_reload_is_counted_and_fails_readiness_until_fixed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    std::fs::create_dir(&state).expect("mkdir");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("config-samples/quickstart/state");
    for entry in std::fs::read_dir(&source).expect("state dir") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), state.join(entry.file_name())).expect("copy");
    }
    let certs = dir.path().join("certs");
    let (serve, ca) = quickstart(&certs, &["--state", state.to_str().expect("utf-8")]);
    let readyz = async || {
        send(
            client_config(&ca, None, &[b"http/1.1"]),
            serve.address,
            "GET",
            "/readyz?verbose",
            vec![],
        )
        .await
        .expect("readyz")
    };
    let ready = readyz().await;
    assert_eq!(ready.status, 200);
    assert!(ready.body.contains("[+]state ok"), "{}", ready.body);

    std::fs::write(state.join("broken.yaml"), "kind: [unclosed").expect("write");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let reply = readyz().await;
        if reply.status == 503 {
            assert!(reply.body.contains("[-]state failed"), "{}", reply.body);
            break;
        }
        assert!(Instant::now() < deadline, "readiness never failed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let text = metrics(serve.address, &ca).await;
    assert!(
        metric_value(&text, "authz_chain_state_reloads_total{status=\"failure\"}") >= 1.0,
        "{text}"
    );
    // Still answering from the last good state.
    let reply = authorize(serve.address, &ca, "/authorize", review("alice", "team-a")).await;
    assert_eq!(reply.json()["status"]["allowed"], true, "{}", reply.body);

    std::fs::remove_file(state.join("broken.yaml")).expect("remove");
    let deadline = Instant::now() + Duration::from_secs(10);
    while readyz().await.status != 200 {
        assert!(Instant::now() < deadline, "readiness never recovered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_are_limited_by_certificate_name_and_refusals_are_counted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clients = Ca::new("clients");
    let client_ca = dir.path().join("clients.crt");
    std::fs::write(&client_ca, &clients.pem).expect("write");
    let certs = dir.path().join("certs");
    let (serve, ca) = quickstart(
        &certs,
        &[
            "--client-ca-file",
            client_ca.to_str().expect("utf-8"),
            "--allowed-client-names",
            "kube-apiserver,other-apiserver",
        ],
    );
    let ask = async |leaf: Option<&common::pki::Leaf>| {
        send(
            client_config(&ca, leaf, &[b"h2"]),
            serve.address,
            "POST",
            "/authorize",
            review("alice", "team-a"),
        )
        .await
    };
    let allowed = clients.client("kube-apiserver");
    let reply = ask(Some(&allowed)).await.expect("allowed client");
    assert_eq!(reply.status, 200, "{}", reply.body);

    let mallory = clients.client("mallory");
    let reply = ask(Some(&mallory)).await.expect("answered");
    assert_eq!(reply.status, 403, "{}", reply.body);
    assert!(
        reply.body.contains(r#"\"mallory\" is not allowed"#),
        "{}",
        reply.body
    );

    let reply = ask(None).await.expect("answered");
    assert_eq!(reply.status, 401);

    // A certificate from another CA fails the handshake: counted and logged.
    let rogue = Ca::new("rogue").client("kube-apiserver");
    let refused = ask(Some(&rogue)).await;
    assert!(
        refused.is_err(),
        "a certificate from another CA was accepted"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let text = metrics(serve.address, &ca).await;
    assert_eq!(
        metric_value(
            &text,
            "authz_chain_tls_handshake_errors_total{reason=\"client_certificate\"}"
        ),
        1.0,
        "{text}"
    );
    assert_eq!(
        metric_value(
            &text,
            "authz_chain_requests_rejected_total{reason=\"client_not_allowed\"}"
        ),
        1.0,
        "{text}"
    );
    let log = serve.log();
    assert!(
        log.iter()
            .any(|l| l.contains("TLS handshake refused") && l.contains("WARN")),
        "{log:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_can_move_to_their_own_address_or_need_a_certificate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (serve, ca) = quickstart(dir.path(), &["--metrics-bind-address", "127.0.0.1:0"]);
    let mut address: Option<SocketAddr> = None;
    for _ in 0..100 {
        address = serve
            .log()
            .iter()
            .filter(|l| l.contains("serving /metrics over HTTP"))
            .find_map(|l| {
                let entry: serde_json::Value = serde_json::from_str(l).ok()?;
                entry["fields"]["address"].as_str()?.parse().ok()
            });
        if address.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let address = address.expect("metrics address logged");
    let mut tcp = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    tcp.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let (_, text) = closed_within(&mut tcp, Duration::from_secs(5))
        .await
        .expect("answer");
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.contains("authz_chain_connections"), "{text}");
    let reply = send(
        client_config(&ca, None, &[b"http/1.1"]),
        serve.address,
        "GET",
        "/metrics",
        vec![],
    )
    .await
    .expect("metrics on the serving port");
    assert_eq!(reply.status, 404);
    drop(serve);

    let clients = Ca::new("clients");
    let client_ca = dir.path().join("clients.crt");
    std::fs::write(&client_ca, &clients.pem).expect("write");
    let (serve, ca) = quickstart(
        dir.path(),
        &[
            "--client-ca-file",
            client_ca.to_str().expect("utf-8"),
            "--metrics-require-client-certificate",
        ],
    );
    let anonymous = send(
        client_config(&ca, None, &[b"http/1.1"]),
        serve.address,
        "GET",
        "/metrics",
        vec![],
    )
    .await
    .expect("answered");
    assert_eq!(anonymous.status, 401);
    let scraper = clients.client("prometheus");
    let reply = send(
        client_config(&ca, Some(&scraper), &[b"http/1.1"]),
        serve.address,
        "GET",
        "/metrics",
        vec![],
    )
    .await
    .expect("answered");
    assert_eq!(reply.status, 200);
    assert_eq!(
        healthz(serve.address, &ca).await.status,
        200,
        "probes stay open"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quickstart_listens_on_loopback_unless_told_otherwise() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut command = common::binary();
    command
        .args([
            "--log-format",
            "json",
            "serve",
            "--secure-port",
            "0",
            "--cert-dir",
        ])
        .arg(dir.path());
    let serve = Serve::spawn(command);
    let lines = serve.log();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("listening on 127.0.0.1 only")),
        "{lines:?}"
    );
    let address = serve.address;
    assert!(address.ip().is_loopback(), "{address}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(dir.path()), 0o700);
        assert_eq!(mode(&dir.path().join("authz-chain.key")), 0o600);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_tcp_client_loses_its_handshake_slot() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (serve, ca) = quickstart(dir.path(), &["--tls-handshake-timeout", "1s"]);
    let mut tcp = tokio::net::TcpStream::connect(serve.address)
        .await
        .expect("connect");
    let (after, _) = closed_within(&mut tcp, Duration::from_secs(10))
        .await
        .expect("a client that never starts TLS must be dropped");
    assert!(after < Duration::from_secs(4), "dropped after {after:?}");
    let text = metrics(serve.address, &ca).await;
    assert_eq!(
        metric_value(
            &text,
            "authz_chain_tls_handshake_errors_total{reason=\"timeout\"}"
        ),
        1.0,
        "{text}"
    );
}

/// Opens an HTTP/2 connection by hand (preface and empty SETTINGS) and then never answers
/// anything: no SETTINGS acknowledgement, no PING acknowledgement.
async fn mute_http2(address: SocketAddr, ca: &str) -> TlsStream<tokio::net::TcpStream> {
    let mut tls = connect(address, ca, &[b"h2"]).await;
    tls.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        .await
        .expect("preface");
    tls.write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0])
        .await
        .expect("settings");
    tls
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http2_peer_that_stops_answering_pings_is_dropped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pings_off = dir.path().join("off");
    let (serve, ca) = quickstart(
        &pings_off,
        &["--http2-keepalive-interval", "0s", "--idle-timeout", "60s"],
    );
    let mut mute = mute_http2(serve.address, &ca).await;
    assert!(
        closed_within(&mut mute, Duration::from_secs(2))
            .await
            .is_none(),
        "closed without pings: the test would prove nothing"
    );
    drop(serve);

    let pings_on = dir.path().join("on");
    let (serve, ca) = quickstart(
        &pings_on,
        &[
            "--http2-keepalive-interval",
            "300ms",
            "--http2-keepalive-timeout",
            "500ms",
            "--idle-timeout",
            "60s",
        ],
    );
    let mut mute = mute_http2(serve.address, &ca).await;
    let (after, _) = closed_within(&mut mute, Duration::from_secs(10))
        .await
        .expect("a peer that does not answer pings must be dropped");
    assert!(after < Duration::from_secs(4), "dropped after {after:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_clients_are_told_the_stream_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (serve, ca) = quickstart(dir.path(), &["--http2-max-concurrent-streams", "7"]);
    let (client, _) = http2_after_one_request(serve.address, &ca).await;
    assert_eq!(client.current_max_send_streams(), 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_flood_at_the_file_limit_makes_clients_wait_not_fail() {
    let dir = tempfile::tempdir().expect("tempdir");
    // serve with 256 open files at most (soft and hard): the connection cap must fit under it.
    let mut command = std::process::Command::new("bash");
    command
        .arg("-c")
        .arg("ulimit -Sn 256 && ulimit -Hn 256 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_authz-chain"))
        .args([
            "--log-format",
            "json",
            "serve",
            "--bind-address",
            "127.0.0.1",
            "--secure-port",
            "0",
            "--tls-handshake-timeout",
            "1s",
            "--cert-dir",
        ])
        .arg(dir.path());
    let serve = Serve::spawn(command);
    let address = serve.address;
    let ca = std::fs::read_to_string(dir.path().join("authz-chain-ca.crt")).expect("CA");
    let lowered = "--max-connections lowered to fit the open-file limit";
    assert!(
        serve.log().iter().any(|l| l.contains(lowered)),
        "{:?}",
        serve.log()
    );

    // 300 connections that never start TLS: more than the process could hold open.
    let mut flood = Vec::new();
    for _ in 0..300 {
        flood.push(
            tokio::net::TcpStream::connect(address)
                .await
                .expect("connect"),
        );
    }
    // A real client is answered once the silent ones time out, not refused meanwhile.
    let started = Instant::now();
    let reply = tokio::time::timeout(Duration::from_secs(15), healthz(address, &ca))
        .await
        .expect("answered while flooded");
    assert_eq!(reply.status, 200);
    assert!(started.elapsed() < Duration::from_secs(10));
    drop(flood);
    let log = serve.log();
    assert!(
        !log.iter().any(|l| l.contains("accept failed")),
        "accept failed: {:?}",
        log.iter().filter(|l| l.contains("accept failed")).count()
    );
}
