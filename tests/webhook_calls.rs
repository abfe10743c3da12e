//! The webhook step against real HTTPS downstreams on loopback: every kind of answer, with the
//! decision, reason, evaluation error, number of calls and elapsed time spec 3 prescribes.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use authz_chain::authorizers::webhook::WebhookCall;
use authz_chain::authz::guard::{Backoff, Guard, GuardConfig};
use authz_chain::authz::{
    Attributes, Authorize, Decision, NonResourceAttributes, Request, ResourceAttributes, UserInfo,
    Verdict,
};
use authz_chain::config::load_webhook_connection;
use authz_chain::metrics::Metrics;
use authz_chain::review::{ReviewVersion, spec_key};
use common::downstream::{Behavior, Downstream};
use common::pki::Ca;
use serde_json::json;

struct Setup {
    policy: Decision,
    timeout: Duration,
    backoff: Backoff,
    authorized_ttl: Option<Duration>,
    unauthorized_ttl: Option<Duration>,
    version: ReviewVersion,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            policy: Decision::NoOpinion,
            timeout: Duration::from_secs(1),
            backoff: Backoff::default(),
            authorized_ttl: None,
            unauthorized_ttl: None,
            version: ReviewVersion::V1,
        }
    }
}

fn guard(
    downstream: &Downstream,
    dir: &std::path::Path,
    setup: &Setup,
    metrics: &Metrics,
) -> Guard<WebhookCall> {
    let kubeconfig = downstream.kubeconfig(dir, &format!("wh{}", downstream.address.port()), None);
    let connection = load_webhook_connection(&kubeconfig).expect("kubeconfig");
    let call = WebhookCall::new(&connection, setup.version, setup.timeout).expect("client");
    let config = GuardConfig {
        name: "wh".into(),
        kind: "Webhook",
        failure_policy: setup.policy,
        authorized_ttl: setup.authorized_ttl,
        unauthorized_ttl: setup.unauthorized_ttl,
        timeout: setup.timeout,
        backoff: setup.backoff,
        cache_key: spec_key,
    };
    Guard::new(config, call, None, metrics)
}

fn request(name: &str) -> Request {
    Request {
        user: UserInfo {
            name: "alice".into(),
            groups: vec!["devs".into()],
            ..UserInfo::default()
        },
        attributes: Attributes::Resource(ResourceAttributes {
            namespace: "default".into(),
            verb: "get".into(),
            version: "v1".into(),
            resource: "pods".into(),
            name: name.into(),
            ..ResourceAttributes::default()
        }),
    }
}

async fn decide(guard: &Guard<WebhookCall>, request: &Request) -> Verdict {
    guard.authorize(request).resolve().await
}

struct Case {
    name: &'static str,
    behavior: Behavior,
    policy: Decision,
    decision: Decision,
    reason: &'static str,
    /// A substring of the evaluation error, or `None` for no error.
    error: Option<&'static str>,
    calls: usize,
    /// Elapsed time bounds in seconds.
    elapsed: (f64, f64),
}

fn cases() -> Vec<Case> {
    let status = |s| Behavior::status("v1", s);
    // Four waits of 0.5, 0.75, 1.125 and 1.6875 s, each stretched by up to 20%.
    // Upper bounds leave room for a loaded CI machine.
    let backoff = (4.06, 4.9 + 3.0);
    vec![
        Case {
            name: "allow",
            behavior: status(json!({"allowed": true, "reason": "ok by policy"})),
            policy: Decision::NoOpinion,
            decision: Decision::Allow,
            reason: "ok by policy",
            error: None,
            calls: 1,
            elapsed: (0.0, 2.0),
        },
        Case {
            name: "deny",
            behavior: status(json!({"allowed": false, "denied": true, "reason": "no way"})),
            policy: Decision::NoOpinion,
            decision: Decision::Deny,
            reason: "no way",
            error: None,
            calls: 1,
            elapsed: (0.0, 2.0),
        },
        Case {
            name: "no opinion keeps its reason",
            behavior: status(json!({"allowed": false, "reason": "not mine"})),
            policy: Decision::Deny,
            decision: Decision::NoOpinion,
            reason: "not mine",
            error: None,
            calls: 1,
            elapsed: (0.0, 2.0),
        },
        Case {
            name: "allowed and denied is a Deny with an error",
            behavior: status(json!({"allowed": true, "denied": true, "reason": "both"})),
            policy: Decision::NoOpinion,
            decision: Decision::Deny,
            reason: "both",
            error: Some("webhook subject access review returned both allow and deny response"),
            calls: 1,
            elapsed: (0.0, 2.0),
        },
        Case {
            name: "evaluationError is ignored",
            behavior: status(json!({"allowed": true, "evaluationError": "meh"})),
            policy: Decision::Deny,
            decision: Decision::Allow,
            reason: "",
            error: None,
            calls: 1,
            elapsed: (0.0, 2.0),
        },
        Case {
            name: "malformed JSON, NoOpinion",
            behavior: Behavior::Reply {
                status: 200,
                body: "{\"status\":{\"allowed\":tr".into(),
                retry_after: false,
            },
            policy: Decision::NoOpinion,
            decision: Decision::NoOpinion,
            reason: "",
            error: Some("the answer is not a SubjectAccessReview"),
            calls: 1,
            elapsed: (0.0, 2.0),
        },
        Case {
            name: "malformed JSON, Deny",
            behavior: Behavior::Reply {
                status: 200,
                body: "<html>".into(),
                retry_after: false,
            },
            policy: Decision::Deny,
            decision: Decision::Deny,
            reason: "",
            error: Some("the answer is not a SubjectAccessReview"),
            calls: 1,
            elapsed: (0.0, 2.0),
        },
        Case {
            name: "401 is not retried",
            behavior: Behavior::http(401),
            policy: Decision::NoOpinion,
            decision: Decision::NoOpinion,
            reason: "",
            error: Some("HTTP 401 Unauthorized"),
            calls: 1,
            elapsed: (0.0, 2.0),
        },
        Case {
            name: "404 is not retried",
            behavior: Behavior::http(404),
            policy: Decision::Deny,
            decision: Decision::Deny,
            reason: "",
            error: Some("HTTP 404 Not Found"),
            calls: 1,
            elapsed: (0.0, 2.0),
        },
        Case {
            name: "429 is retried 5 times",
            behavior: Behavior::http(429),
            policy: Decision::NoOpinion,
            decision: Decision::NoOpinion,
            reason: "",
            error: Some("HTTP 429 Too Many Requests"),
            calls: 5,
            elapsed: backoff,
        },
        Case {
            name: "500 is retried 5 times",
            behavior: Behavior::http(500),
            policy: Decision::Deny,
            decision: Decision::Deny,
            reason: "",
            error: Some("HTTP 500 Internal Server Error"),
            calls: 5,
            elapsed: backoff,
        },
        Case {
            name: "504 is retried 5 times",
            behavior: Behavior::http(504),
            policy: Decision::NoOpinion,
            decision: Decision::NoOpinion,
            reason: "",
            error: Some("HTTP 504 Gateway Timeout"),
            calls: 5,
            elapsed: backoff,
        },
        Case {
            name: "503 with Retry-After is retried",
            behavior: Behavior::Reply {
                status: 503,
                body: "busy".into(),
                retry_after: true,
            },
            policy: Decision::NoOpinion,
            decision: Decision::NoOpinion,
            reason: "",
            error: Some("HTTP 503"),
            calls: 5,
            elapsed: backoff,
        },
        Case {
            name: "503 without Retry-After is not",
            behavior: Behavior::http(503),
            policy: Decision::NoOpinion,
            decision: Decision::NoOpinion,
            reason: "",
            error: Some("HTTP 503"),
            calls: 1,
            elapsed: (0.0, 2.0),
        },
        Case {
            name: "a reset connection is retried",
            behavior: Behavior::Reset,
            policy: Decision::Deny,
            decision: Decision::Deny,
            reason: "",
            error: Some("Post \"https://127.0.0.1"),
            calls: 5,
            elapsed: backoff,
        },
        Case {
            name: "slow answer past the timeout",
            behavior: Behavior::Slow(
                Duration::from_secs(3),
                Box::new(Behavior::status("v1", json!({"allowed": true}))),
            ),
            policy: Decision::Deny,
            decision: Decision::Deny,
            reason: "",
            error: Some("context deadline exceeded"),
            calls: 1,
            elapsed: (0.95, 2.5),
        },
        Case {
            name: "a hang, Deny, within about 1 s",
            behavior: Behavior::Hang,
            policy: Decision::Deny,
            decision: Decision::Deny,
            reason: "",
            error: Some("context deadline exceeded"),
            calls: 1,
            elapsed: (0.95, 2.5),
        },
        Case {
            name: "a hang, NoOpinion",
            behavior: Behavior::Hang,
            policy: Decision::NoOpinion,
            decision: Decision::NoOpinion,
            reason: "",
            error: Some("context deadline exceeded"),
            calls: 1,
            elapsed: (0.95, 2.5),
        },
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_answer() {
    let dir = Arc::new(tempfile::tempdir().expect("tempdir"));
    let metrics = Arc::new(Metrics::new());
    let mut tasks = tokio::task::JoinSet::new();
    for case in cases() {
        let (dir, metrics) = (dir.clone(), metrics.clone());
        tasks.spawn(async move {
            let downstream = Downstream::start(case.behavior.clone(), None).await;
            let setup = Setup {
                policy: case.policy,
                ..Setup::default()
            };
            let guard = guard(&downstream, dir.path(), &setup, &metrics);
            let started = Instant::now();
            let verdict = decide(&guard, &request("p")).await;
            let elapsed = started.elapsed().as_secs_f64();
            let mut problems = Vec::new();
            if verdict.decision != case.decision {
                problems.push(format!(
                    "decision {:?}, want {:?}",
                    verdict.decision, case.decision
                ));
            }
            if verdict.reason.as_str() != case.reason {
                problems.push(format!(
                    "reason {:?}, want {:?}",
                    verdict.reason.as_str(),
                    case.reason
                ));
            }
            let error = verdict.error.as_ref().map(|e| e.to_string());
            match (case.error, &error) {
                (None, None) => {}
                (Some(want), Some(got)) if got.contains(want) => {}
                _ => problems.push(format!("error {error:?}, want {:?}", case.error)),
            }
            if downstream.calls() != case.calls {
                problems.push(format!(
                    "{} calls, want {} (last error {error:?})",
                    downstream.calls(),
                    case.calls
                ));
            }
            if elapsed < case.elapsed.0 || elapsed > case.elapsed.1 {
                problems.push(format!("took {elapsed:.2}s, want {:?}", case.elapsed));
            }
            (case.name, problems)
        });
    }
    let mut failures = Vec::new();
    while let Some(result) = tasks.join_next().await {
        let (name, problems) = result.expect("case task");
        if !problems.is_empty() {
            failures.push(format!("{name}: {}", problems.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let text = metrics.encode();
    for needle in [
        r#"apiserver_authorization_webhook_evaluations_total{name="wh",result="success"}"#,
        r#"apiserver_authorization_webhook_evaluations_total{name="wh",result="timeout"}"#,
        r#"apiserver_authorization_webhook_evaluations_total{name="wh",result="error"}"#,
        r#"apiserver_authorization_webhook_evaluations_fail_open_total{name="wh",result="timeout"}"#,
        r#"apiserver_authorization_webhook_evaluations_fail_open_total{name="wh",result="error"}"#,
        r#"apiserver_authorization_webhook_duration_seconds_bucket{le="0.005",name="wh",result="success"}"#,
    ] {
        assert!(text.contains(needle), "missing {needle} in\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_carry_the_timeout_query_token_and_exact_body() {
    let dir = tempfile::tempdir().expect("tempdir");
    let metrics = Metrics::new();
    for (version, groups_key) in [
        (ReviewVersion::V1, "groups"),
        (ReviewVersion::V1beta1, "group"),
    ] {
        let api = if version == ReviewVersion::V1 {
            "v1"
        } else {
            "v1beta1"
        };
        let downstream =
            Downstream::start(Behavior::status(api, json!({"allowed": true})), None).await;
        let setup = Setup {
            version,
            timeout: Duration::from_millis(2500),
            ..Setup::default()
        };
        let guard = guard(&downstream, dir.path(), &setup, &metrics);
        assert_eq!(
            decide(&guard, &request("p1")).await.decision,
            Decision::Allow
        );
        let seen = downstream.seen();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].path_and_query, "/authorize?timeout=2.5s");
        assert_eq!(
            seen[0].version,
            http::Version::HTTP_2,
            "HTTP/2 when the server offers it"
        );
        assert_eq!(seen[0].authorization.as_deref(), Some("Bearer test-token"));
        assert_eq!(
            seen[0].body,
            format!(
                "{{\"kind\":\"SubjectAccessReview\",\"apiVersion\":\"authorization.k8s.io/{api}\",\"metadata\":{{}},\"spec\":{{\"resourceAttributes\":{{\"namespace\":\"default\",\"verb\":\"get\",\"version\":\"v1\",\"resource\":\"pods\",\"name\":\"p1\"}},\"user\":\"alice\",\"{groups_key}\":[\"devs\"]}},\"status\":{{\"allowed\":false}}}}\n"
            )
        );
    }
    // Upstream's TestV1Webhook shapes: no user at all, a name only, and a non-resource request.
    let downstream =
        Downstream::start(Behavior::status("v1", json!({"allowed": true})), None).await;
    let guard = guard(&downstream, dir.path(), &Setup::default(), &metrics);
    let no_user = Request {
        user: UserInfo::default(),
        attributes: Attributes::NonResource(NonResourceAttributes::default()),
    };
    let name_only = Request {
        user: UserInfo {
            name: "jane".into(),
            ..UserInfo::default()
        },
        attributes: Attributes::NonResource(NonResourceAttributes {
            path: "/foo<&>".into(),
            verb: "get".into(),
        }),
    };
    let mut full = request("web-0");
    full.user.uid = "uid-1".into();
    full.user
        .extra
        .insert("scopes".into(), vec!["a".into(), "b".into()]);
    full.user.extra.insert("empty".into(), vec![]);
    for r in [&no_user, &name_only, &full] {
        decide(&guard, r).await;
    }
    let bodies: Vec<String> = downstream.seen().into_iter().map(|s| s.body).collect();
    assert_eq!(
        bodies,
        [
            "{\"kind\":\"SubjectAccessReview\",\"apiVersion\":\"authorization.k8s.io/v1\",\"metadata\":{},\"spec\":{\"nonResourceAttributes\":{}},\"status\":{\"allowed\":false}}\n",
            "{\"kind\":\"SubjectAccessReview\",\"apiVersion\":\"authorization.k8s.io/v1\",\"metadata\":{},\"spec\":{\"nonResourceAttributes\":{\"path\":\"/foo\\u003c\\u0026\\u003e\",\"verb\":\"get\"},\"user\":\"jane\"},\"status\":{\"allowed\":false}}\n",
            "{\"kind\":\"SubjectAccessReview\",\"apiVersion\":\"authorization.k8s.io/v1\",\"metadata\":{},\"spec\":{\"resourceAttributes\":{\"namespace\":\"default\",\"verb\":\"get\",\"version\":\"v1\",\"resource\":\"pods\",\"name\":\"web-0\"},\"user\":\"alice\",\"groups\":[\"devs\"],\"extra\":{\"empty\":[],\"scopes\":[\"a\",\"b\"]},\"uid\":\"uid-1\"},\"status\":{\"allowed\":false}}\n",
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_trust_matrix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let client_ca = Ca::new("clients");
    let good_client = client_ca.client("kube-apiserver");
    let rogue_client = Ca::new("rogue").client("kube-apiserver");
    let downstream = Downstream::start(
        Behavior::status("v1", json!({"allowed": true})),
        Some(&client_ca),
    )
    .await;
    let setup = Setup {
        policy: Decision::Deny,
        ..Setup::default()
    };
    let metrics = Metrics::new();
    let run = |kubeconfig: std::path::PathBuf| {
        let connection = load_webhook_connection(&kubeconfig).expect("kubeconfig");
        let call = WebhookCall::new(&connection, ReviewVersion::V1, setup.timeout).expect("client");
        let config = GuardConfig {
            name: "tls".into(),
            kind: "Webhook",
            failure_policy: Decision::Deny,
            authorized_ttl: None,
            unauthorized_ttl: None,
            timeout: setup.timeout,
            backoff: Backoff {
                steps: 1,
                ..Backoff::default()
            },
            cache_key: spec_key,
        };
        Guard::new(config, call, None, &metrics)
    };
    let base = downstream.kubeconfig(dir.path(), "base", Some(&good_client));
    let text = std::fs::read_to_string(&base).expect("read");
    let variant = |name: &str, text: String| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        path
    };
    let other_ca = dir.path().join("other-ca.crt");
    std::fs::write(&other_ca, Ca::new("other").pem).expect("write");
    let ca_line = format!(
        "certificate-authority: {}",
        dir.path().join("base-ca.crt").display()
    );
    let (rogue_cert, rogue_key) = rogue_client.write(dir.path(), "rogue");
    let good_cert_line = format!(
        "client-certificate: {}",
        dir.path().join("base-client.crt").display()
    );
    let good_key_line = format!(
        "client-key: {}",
        dir.path().join("base-client.key").display()
    );
    let cases: Vec<(&str, std::path::PathBuf, Decision)> = vec![
        (
            "trusted CA and client certificate",
            base.clone(),
            Decision::Allow,
        ),
        (
            "no client certificate",
            variant(
                "none",
                text.replace(
                    &format!("    {good_cert_line}\n    {good_key_line}\n"),
                    "    token: x\n",
                ),
            ),
            Decision::Deny,
        ),
        (
            "client certificate from another CA",
            variant(
                "rogue",
                text.replace(
                    &good_cert_line,
                    &format!("client-certificate: {}", rogue_cert.display()),
                )
                .replace(
                    &good_key_line,
                    &format!("client-key: {}", rogue_key.display()),
                ),
            ),
            Decision::Deny,
        ),
        (
            "server signed by an untrusted CA",
            variant(
                "untrusted",
                text.replace(
                    &ca_line,
                    &format!("certificate-authority: {}", other_ca.display()),
                ),
            ),
            Decision::Deny,
        ),
        (
            "insecure-skip-tls-verify",
            variant(
                "insecure",
                text.replace(
                    &format!("    {ca_line}\n"),
                    "    insecure-skip-tls-verify: true\n",
                ),
            ),
            Decision::Allow,
        ),
        (
            "tls-server-name the certificate holds",
            variant(
                "sni-ok",
                text.replace(
                    &ca_line,
                    &format!("{ca_line}\n    tls-server-name: localhost"),
                ),
            ),
            Decision::Allow,
        ),
        (
            "tls-server-name the certificate does not hold",
            variant(
                "sni-bad",
                text.replace(
                    &ca_line,
                    &format!("{ca_line}\n    tls-server-name: wrong.example"),
                ),
            ),
            Decision::Deny,
        ),
    ];
    for (name, kubeconfig, want) in cases {
        let guard = run(kubeconfig);
        let verdict = decide(&guard, &request("p")).await;
        assert_eq!(verdict.decision, want, "{name}: {:?}", verdict.error);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_that_gives_up_stops_the_retries() {
    let dir = tempfile::tempdir().expect("tempdir");
    let downstream = Downstream::start(Behavior::http(500), None).await;
    let metrics = Metrics::new();
    let guard = Arc::new(guard(&downstream, dir.path(), &Setup::default(), &metrics));
    let task = {
        let guard = guard.clone();
        tokio::spawn(async move { decide(&guard, &request("p")).await })
    };
    // First attempt at once, second after about 0.5-0.6 s.
    tokio::time::sleep(Duration::from_millis(900)).await;
    task.abort();
    let calls = downstream.calls();
    assert!((1..=2).contains(&calls), "{calls} calls before giving up");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        downstream.calls(),
        calls,
        "no retries after the caller went away"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_cluster_config_calls_the_subject_access_review_api_with_the_pod_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let downstream =
        Downstream::start(Behavior::status("v1", json!({"allowed": true})), None).await;
    std::fs::write(dir.path().join("ca.crt"), &downstream.ca.pem).expect("ca");
    std::fs::write(dir.path().join("token"), "pod-token\n").expect("token");
    let paths = authz_chain::authorizers::webhook::InClusterPaths {
        host: "127.0.0.1".into(),
        port: downstream.address.port().to_string(),
        dir: dir.path().to_owned(),
    };
    let connection = paths
        .connection(ReviewVersion::V1)
        .expect("in-cluster connection");
    let call =
        WebhookCall::new(&connection, ReviewVersion::V1, Duration::from_secs(3)).expect("client");
    let config = GuardConfig {
        name: "cluster".into(),
        kind: "Webhook",
        failure_policy: Decision::Deny,
        authorized_ttl: None,
        unauthorized_ttl: None,
        timeout: Duration::from_secs(3),
        backoff: Backoff::default(),
        cache_key: spec_key,
    };
    let guard = Guard::new(config, call, None, &Metrics::new());
    assert_eq!(
        decide(&guard, &request("p")).await.decision,
        Decision::Allow
    );
    let seen = downstream.seen();
    assert_eq!(
        seen[0].path_and_query,
        "/apis/authorization.k8s.io/v1/subjectaccessreviews?timeout=3s"
    );
    assert_eq!(seen[0].authorization.as_deref(), Some("Bearer pod-token"));
    let missing = authz_chain::authorizers::webhook::InClusterPaths {
        dir: dir.path().join("nope"),
        ..paths
    };
    assert!(missing.connection(ReviewVersion::V1).is_err());
}
