//! `serve` over real TLS on loopback with client-certificate authentication: v1 and v1beta1
//! reviews, every kind of bad input, callers without an acceptable certificate, and 200 concurrent
//! requests.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use authz_chain::authorizers::rbac::RbacIndex;
use authz_chain::build::{ChainOptions, Sources, build_chain};
use authz_chain::server::{self, App, ServingCert};
use authz_chain::state::ClusterState;
use authz_chain::{config, samples};
use common::https::{client_config, send};
use common::pki::{Ca, Leaf};
use serde_json::{Value, json};

struct Fixture {
    address: SocketAddr,
    ca: Ca,
    client: Leaf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    _dir: tempfile::TempDir,
}

async fn start() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = Ca::new("test-ca");
    let (cert, key) = ca.server().write(dir.path(), "server");
    let client_ca = dir.path().join("client-ca.crt");
    std::fs::write(&client_ca, &ca.pem).expect("write CA");
    let (tls, _) = server::server_config(&ServingCert::Files { cert, key }, Some(&client_ca))
        .expect("TLS config");

    let loaded =
        config::load_data(samples::QUICKSTART_CONFIG.as_bytes(), &[]).expect("quickstart config");
    let state = ClusterState::from_texts(&samples::QUICKSTART_STATE).expect("quickstart state");
    let sources = Sources {
        rbac: Arc::new(arc_swap::ArcSwap::from_pointee(RbacIndex::build(
            &state.rbac,
        ))),
        ..Sources::default()
    };
    let chain = build_chain(&loaded, &sources, &ChainOptions::default()).expect("chain");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(server::serve(
        listener,
        tls,
        Arc::new(
            App::new(chain, Arc::new(authz_chain::metrics::Metrics::new()))
                .require_client_certificate(),
        ),
        async move {
            let _ = stopped.await;
        },
        Duration::from_secs(5),
    ));
    let client = ca.client("kube-apiserver");
    Fixture {
        address,
        ca,
        client,
        stop: Some(stop),
        server,
        _dir: dir,
    }
}

impl Fixture {
    async fn post(&self, path: &str, body: Vec<u8>) -> common::https::Reply {
        self.request("POST", path, body).await
    }

    async fn request(&self, method: &str, path: &str, body: Vec<u8>) -> common::https::Reply {
        let config = client_config(&self.ca.pem, Some(&self.client), &[b"http/1.1"]);
        send(config, self.address, method, path, body)
            .await
            .expect("request")
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.server.await.expect("join").expect("serve");
    }
}

fn review(version: &str, spec: Value) -> Vec<u8> {
    json!({"apiVersion": version, "kind": "SubjectAccessReview", "spec": spec})
        .to_string()
        .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_v1_and_v1beta1_reviews() {
    let f = start().await;
    let v1 = f
        .post(
            "/authorize?timeout=3s",
            review(
                "authorization.k8s.io/v1",
                json!({"resourceAttributes": {"namespace": "team-a", "verb": "get", "resource": "pods"}, "user": "alice", "groups": ["team-a"]}),
            ),
        )
        .await;
    assert_eq!(v1.status, 200, "{}", v1.body);
    let body = v1.json();
    assert_eq!(body["apiVersion"], "authorization.k8s.io/v1");
    assert_eq!(body["kind"], "SubjectAccessReview");
    assert_eq!(body["status"]["allowed"], true);
    assert_eq!(
        body["status"]["reason"],
        "RBAC: allowed by RoleBinding \"team-a-viewers/team-a\" of ClusterRole \"team-viewer\" to Group \"team-a\""
    );
    assert_eq!(v1.headers["content-type"], "application/json");

    // v1beta1 spells groups `group`; the answer keeps that version and spelling.
    let v1beta1 = f
        .post(
            "/authorize",
            review(
                "authorization.k8s.io/v1beta1",
                json!({"resourceAttributes": {"namespace": "team-a", "verb": "list", "group": "apps", "resource": "deployments"}, "user": "someone", "group": ["team-a"]}),
            ),
        )
        .await;
    let body = v1beta1.json();
    assert_eq!(v1beta1.status, 200);
    assert_eq!(body["apiVersion"], "authorization.k8s.io/v1beta1");
    assert_eq!(body["spec"]["group"], json!(["team-a"]));
    assert!(body["spec"].get("groups").is_none());
    assert_eq!(body["status"]["allowed"], true);

    // `groups` means nothing in v1beta1: the same review without `group` is not allowed.
    let wrong_spelling = f
        .post(
            "/authorize",
            review(
                "authorization.k8s.io/v1beta1",
                json!({"resourceAttributes": {"namespace": "team-a", "verb": "list", "group": "apps", "resource": "deployments"}, "user": "someone", "groups": ["team-a"]}),
            ),
        )
        .await;
    assert_eq!(wrong_spelling.json()["status"], json!({"allowed": false}));

    // NoOpinion with a reason; system:masters allowed with no reason.
    let missing_role = f
        .post(
            "/authorize",
            review(
                "authorization.k8s.io/v1",
                json!({"resourceAttributes": {"namespace": "team-a", "verb": "get", "resource": "secrets"}, "user": "bob"}),
            ),
        )
        .await;
    assert_eq!(
        missing_role.json()["status"],
        json!({"allowed": false, "reason": "RBAC: role.rbac.authorization.k8s.io \"secret-reader\" not found"})
    );
    let master = f
        .post(
            "/authorize",
            review("authorization.k8s.io/v1", json!({"nonResourceAttributes": {"path": "/x", "verb": "get"}, "groups": ["system:masters"]})),
        )
        .await;
    assert_eq!(master.json()["status"], json!({"allowed": true}));

    // An unparsable rawSelector is ignored and reported in evaluationError.
    let selector = f
        .post(
            "/authorize",
            review(
                "authorization.k8s.io/v1",
                json!({"resourceAttributes": {"namespace": "team-a", "verb": "list", "resource": "pods", "labelSelector": {"rawSelector": "app in"}}, "user": "alice", "groups": ["team-a"]}),
            ),
        )
        .await;
    assert_eq!(
        selector.json()["status"],
        json!({"allowed": true, "reason": "RBAC: allowed by RoleBinding \"team-a-viewers/team-a\" of ClusterRole \"team-viewer\" to Group \"team-a\"", "evaluationError": "spec.resourceAttributes.labelSelector ignored due to parse error"})
    );
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_a_clear_answer() {
    let f = start().await;
    /// `(name, method, path, body, status, text the message must contain)`.
    type Case = (
        &'static str,
        &'static str,
        &'static str,
        Vec<u8>,
        u16,
        &'static str,
    );
    let cases: Vec<Case> = vec![
        (
            "malformed JSON",
            "POST",
            "/authorize",
            b"{not json".to_vec(),
            400,
            "malformed SubjectAccessReview",
        ),
        (
            "JSON of the wrong shape",
            "POST",
            "/authorize",
            b"[1,2]".to_vec(),
            400,
            "malformed SubjectAccessReview",
        ),
        (
            "unknown apiVersion",
            "POST",
            "/authorize",
            review(
                "authorization.k8s.io/v2",
                json!({"user": "a", "nonResourceAttributes": {"path": "/", "verb": "get"}}),
            ),
            400,
            "unsupported apiVersion \"authorization.k8s.io/v2\"",
        ),
        (
            "unknown kind",
            "POST",
            "/authorize",
            json!({"apiVersion": "authorization.k8s.io/v1", "kind": "TokenReview"})
                .to_string()
                .into_bytes(),
            400,
            "kind \"TokenReview\"",
        ),
        (
            "neither kind of attributes",
            "POST",
            "/authorize",
            review("authorization.k8s.io/v1", json!({"user": "a"})),
            422,
            "spec.resourceAttributes: Invalid value: \"null\": exactly one of nonResourceAttributes or resourceAttributes must be specified",
        ),
        (
            "no user and no groups",
            "POST",
            "/authorize",
            review(
                "authorization.k8s.io/v1",
                json!({"nonResourceAttributes": {"path": "/", "verb": "get"}}),
            ),
            422,
            "spec.user: Invalid value: \"\": at least one of user or group must be specified",
        ),
        (
            "both kinds of attributes",
            "POST",
            "/authorize",
            review(
                "authorization.k8s.io/v1",
                json!({"user": "a", "resourceAttributes": {"verb": "get"}, "nonResourceAttributes": {"path": "/", "verb": "get"}}),
            ),
            422,
            "cannot be specified in combination with resourceAttributes",
        ),
        (
            "body over 1 MiB",
            "POST",
            "/authorize",
            vec![b' '; (1 << 20) + 1],
            413,
            "larger than 1048576 bytes",
        ),
        (
            "wrong method",
            "GET",
            "/authorize",
            Vec::new(),
            405,
            "use POST",
        ),
        (
            "wrong method on health",
            "POST",
            "/healthz",
            Vec::new(),
            405,
            "use GET",
        ),
        (
            "unknown path",
            "GET",
            "/apis/authorization.k8s.io/v1",
            Vec::new(),
            404,
            "is not served",
        ),
    ];
    for (name, method, path, body, status, needle) in cases {
        let reply = f.request(method, path, body).await;
        assert_eq!(reply.status, status, "{name}: {}", reply.body);
        let status_object = reply.json();
        assert_eq!(status_object["kind"], "Status", "{name}");
        assert_eq!(status_object["code"], status, "{name}");
        let message = status_object["message"].as_str().unwrap_or_default();
        assert!(message.contains(needle), "{name}: {message}");
    }
    let wrong = f.request("GET", "/authorize", Vec::new()).await;
    assert_eq!(wrong.headers["allow"], "POST");
    for path in ["/healthz", "/livez", "/readyz"] {
        let reply = f.request("GET", path, Vec::new()).await;
        assert_eq!((reply.status, reply.body.as_str()), (200, "ok"), "{path}");
    }
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_without_an_acceptable_certificate_get_no_decision() {
    let f = start().await;
    let body = review(
        "authorization.k8s.io/v1",
        json!({"nonResourceAttributes": {"path": "/", "verb": "get"}, "groups": ["system:masters"]}),
    );
    // No certificate: the handshake succeeds, since kubelet probes come without one, but
    // /authorize answers 401 with no decision.
    let anonymous = client_config(&f.ca.pem, None, &[b"http/1.1"]);
    let refused = send(
        anonymous.clone(),
        f.address,
        "POST",
        "/authorize",
        body.clone(),
    )
    .await
    .expect("an answer");
    assert_eq!(refused.status, 401, "{}", refused.body);
    assert_eq!(refused.json()["reason"], "Unauthorized");
    assert!(refused.json().get("status").is_some_and(|s| s == "Failure"));
    for path in ["/healthz", "/livez", "/readyz"] {
        let probe = send(anonymous.clone(), f.address, "GET", path, Vec::new())
            .await
            .expect("probe");
        assert_eq!(probe.status, 200, "{path}: {}", probe.body);
    }
    let rogue_ca = Ca::new("rogue");
    let rogue = rogue_ca.client("kube-apiserver");
    let foreign = client_config(&f.ca.pem, Some(&rogue), &[b"http/1.1"]);
    let result = send(foreign, f.address, "POST", "/authorize", body.clone()).await;
    assert!(
        result.is_err(),
        "a caller with a certificate from another CA was answered"
    );
    // The server is unharmed.
    assert_eq!(f.post("/authorize", body).await.status, 200);
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_requests_each_get_their_own_answer() {
    let f = start().await;
    let mut tasks = Vec::new();
    for i in 0..200 {
        // Alternate HTTP/1.1 and HTTP/2, and allowed and refused requests.
        let alpn: &[&[u8]] = if i % 2 == 0 { &[b"h2"] } else { &[b"http/1.1"] };
        let config = client_config(&f.ca.pem, Some(&f.client), alpn);
        let address = f.address;
        let (user, namespace) = if i % 3 == 0 {
            (format!("user-{i}"), "team-b")
        } else {
            (format!("user-{i}"), "team-a")
        };
        let body = review(
            "authorization.k8s.io/v1",
            json!({"resourceAttributes": {"namespace": namespace, "verb": "get", "resource": "pods"}, "user": user, "groups": ["team-a"]}),
        );
        tasks.push(tokio::spawn(async move {
            let reply = send(config, address, "POST", "/authorize", body)
                .await
                .expect("request");
            (i, reply)
        }));
    }
    for task in tasks {
        let (i, reply) = task.await.expect("join");
        assert_eq!(reply.status, 200, "{i}: {}", reply.body);
        let body = reply.json();
        assert_eq!(
            body["spec"]["user"],
            format!("user-{i}"),
            "answers must not cross"
        );
        assert_eq!(body["status"]["allowed"], i % 3 != 0, "{i}");
    }
    f.stop().await;
}
