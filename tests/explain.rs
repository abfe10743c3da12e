//! `explain`: on every recorded RBAC and Node case it answers exactly as the chain decides and
//! names what decided (RBAC's binding and rule, Node's path in the graph); on a real downstream
//! webhook it reports each outcome (allowed, denied, no opinion, condition false, condition
//! error, cached, failure policy) and never fills or touches a cache; and `POST /explain` on
//! `serve` is off unless asked for.

mod common;

use std::time::Duration;

use authz_chain::authz::explain::{Detail, ExplainOptions, Mismatch, WebhookChoice, WebhookDetail};
use authz_chain::authz::guard::Backoff;
use authz_chain::authz::{Chain, Decision, Request, StandInAnswer, rule_allows};
use authz_chain::build::{ChainOptions, Sources, build_chain};
use authz_chain::config;
use authz_chain::review;
use authz_chain::state::ClusterState;
use common::downstream::{Behavior, Downstream};
use common::*;
use serde_json::{Value, json};

fn chain_over(config_text: &str, state: &std::path::Path) -> Chain {
    let loaded = config::load_data(config_text.as_bytes(), &[]).expect("config");
    let state = ClusterState::load(state).expect("state");
    let sources = Sources::from_state(&state).expect("sources");
    build_chain(&loaded, &sources, &ChainOptions::default()).expect("chain")
}

fn request_of(review_json: &Value) -> Request {
    let review = review::decode(review_json.to_string().as_bytes()).expect("review");
    review::to_request(&review).expect("request")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn step_detail<'e>(
    explanation: &'e authz_chain::authz::ChainExplanation,
    kind: &str,
) -> Option<&'e Detail> {
    explanation
        .steps
        .iter()
        .find(|s| s.kind == kind)
        .and_then(|s| s.detail.as_ref())
}

#[test]
fn explain_agrees_with_the_decision_on_every_rbac_case() {
    let chain = chain_over(&config_with(&["Node", "RBAC"]), &testdata("rbac/state"));
    let runtime = runtime();
    let options = ExplainOptions::default();
    let (mut allowed, mut refused) = (0, 0);
    for case in read_jsonl(&testdata("rbac/cases.jsonl")) {
        let request = request_of(&case["request"]);
        let decided = runtime.block_on(chain.evaluate(&request));
        let explained = runtime.block_on(chain.explain(&request, &options));
        assert_eq!(explained.verdict, decided.verdict, "{}", case["id"]);
        assert_eq!(explained.decided_by, decided.decided_by, "{}", case["id"]);
        let Some(Detail::Rbac(rbac)) = step_detail(&explained, "RBAC") else {
            // Decided before RBAC (a superuser or a node): RBAC was not asked.
            assert!(explained.steps.iter().any(|s| s.kind == "RBAC" && !s.asked));
            continue;
        };
        if decided.decided_by.as_deref() == Some("rbac") {
            allowed += 1;
            let grant = rbac.allowed_by.as_ref().expect("the grant that allowed");
            assert!(
                rule_allows(&grant.rule, &request),
                "{}: {grant:?}",
                case["id"]
            );
            // The reason names the same binding and role (up to Go's map order, which
            // `acceptable_reasons` allows).
            let reason = decided.verdict.reason.as_str();
            let names = |r: &str| {
                r.contains(&format!("{:?}", grant.binding.role))
                    && r.contains(
                        &grant
                            .binding
                            .name
                            .replace('\\', "\\\\")
                            .replace('"', "\\\""),
                    )
            };
            let acceptable = case["acceptable_reasons"]
                .as_array()
                .is_some_and(|all| all.iter().filter_map(Value::as_str).any(names));
            assert!(
                names(reason) || acceptable,
                "{}: {reason} vs {grant:?}",
                case["id"]
            );
        } else {
            refused += 1;
            assert!(rbac.allowed_by.is_none());
            for check in &rbac.bindings {
                let own_scope = check.binding.namespace.is_empty()
                    || check.binding.namespace == request.namespace();
                for rule in &check.rules {
                    // Every rule of a binding that applies fails on a named attribute, and on
                    // the namespace only in another namespace.
                    if rule.mismatch == Mismatch::Namespace {
                        assert!(!own_scope, "{}: {check:?}", case["id"]);
                        assert!(rule_allows(&rule.rule, &request));
                    } else {
                        assert!(
                            !rule_allows(&rule.rule, &request),
                            "{}: {check:?}",
                            case["id"]
                        );
                    }
                }
                let subject = &check.binding.subject;
                let user = &request.user;
                assert!(
                    subject == &format!("User {}", user.name)
                        || user.groups.iter().any(|g| subject == &format!("Group {g}"))
                        || user
                            .name
                            .strip_prefix("system:serviceaccount:")
                            .is_some_and(|sa| {
                                subject == &format!("ServiceAccount {}", sa.replacen(':', "/", 1))
                            }),
                    "{}: {subject} does not apply to {user:?}",
                    case["id"]
                );
            }
        }
    }
    assert!(
        allowed > 100 && refused > 100,
        "{allowed} allowed, {refused} refused"
    );
}

#[test]
fn explain_traces_the_node_graph_on_every_node_case() {
    let chain = chain_over(&config_with(&["Node", "RBAC"]), &testdata("node/state"));
    let runtime = runtime();
    let options = ExplainOptions::default();
    let mut paths = 0;
    for case in read_jsonl(&testdata("node/cases.jsonl")) {
        let request = request_of(&case["request"]);
        let decided = runtime.block_on(chain.evaluate(&request));
        let explained = runtime.block_on(chain.explain(&request, &options));
        assert_eq!(explained.verdict, decided.verdict, "{}", case["id"]);
        let Some(Detail::Node(node)) = step_detail(&explained, "Node") else {
            continue;
        };
        let Some(name) = &node.node else { continue };
        let node_step = explained
            .steps
            .iter()
            .find(|s| s.kind == "Node")
            .expect("node step");
        let node_allowed = node_step.verdict.as_ref().map(|v| v.decision) == Some(Decision::Allow);
        if node.handler == "graph" && node_allowed {
            paths += 1;
            let first = node.path.first().map(String::as_str);
            assert_eq!(
                first,
                Some(format!("node/{name}").as_str()),
                "{}",
                case["id"]
            );
            assert_eq!(node.path.last(), node.object.as_ref(), "{}", case["id"]);
        }
        if node_step
            .verdict
            .as_ref()
            .is_some_and(|v| v.reason.as_str().starts_with("no relationship found"))
        {
            let why = node.why.as_deref().unwrap_or_default();
            assert!(
                why.starts_with("no such object")
                    || why.starts_with("not bound to this node")
                    || why.starts_with("unknown node"),
                "{}: {why}",
                case["id"]
            );
        }
    }
    assert!(paths > 20, "{paths} paths traced");
}

/// A chain `[Webhook]` calling `downstream`, with a cache, the given matchConditions and
/// failure policy, and short retries.
fn webhook_chain(
    downstream: &Downstream,
    dir: &std::path::Path,
    conditions: &[&str],
    failure: &str,
) -> Chain {
    let kubeconfig = downstream.kubeconfig(dir, "wh", None);
    let conditions: String = conditions
        .iter()
        .map(|c| format!("      - expression: {c:?}\n"))
        .collect();
    let text = format!(
        "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers:\n- type: Webhook\n  name: wh\n  webhook:\n    timeout: 2s\n    authorizedTTL: 60s\n    unauthorizedTTL: 60s\n    subjectAccessReviewVersion: v1\n    matchConditionSubjectAccessReviewVersion: v1\n    failurePolicy: {failure}\n    connectionInfo:\n      type: KubeConfigFile\n      kubeConfigFile: {}\n{}",
        kubeconfig.display(),
        if conditions.is_empty() {
            String::new()
        } else {
            format!("    matchConditions:\n{conditions}")
        }
    );
    let loaded = config::load_data(text.as_bytes(), &[]).expect("config");
    let options = ChainOptions {
        superuser_group: None,
        backoff: Backoff {
            initial: Duration::from_millis(5),
            ..Backoff::default()
        },
        ..ChainOptions::default()
    };
    build_chain(
        &loaded,
        &Sources::from_state(&ClusterState::default()).expect("sources"),
        &options,
    )
    .expect("chain")
}

fn pods_request(user: &str) -> Request {
    request_of(&json!({
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "spec": {"resourceAttributes": {"namespace": "default", "verb": "get", "resource": "pods"}, "user": user}
    }))
}

fn webhook_detail(explained: &authz_chain::authz::ChainExplanation) -> WebhookDetail {
    match step_detail(explained, "Webhook") {
        Some(Detail::Webhook(detail)) => detail.clone(),
        other => panic!("no webhook detail: {other:?}"),
    }
}

const CALL: ExplainOptions = ExplainOptions {
    webhooks: WebhookChoice::Call,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_reports_each_webhook_outcome_from_a_real_downstream() {
    let dir = tempfile::tempdir().expect("tempdir");
    // (downstream answer, decision)
    let answers = [
        (json!({"allowed": true, "reason": "yes"}), Decision::Allow),
        (
            json!({"allowed": false, "denied": true, "reason": "no"}),
            Decision::Deny,
        ),
        (json!({"allowed": false}), Decision::NoOpinion),
    ];
    for (status, decision) in answers {
        let downstream = Downstream::start(Behavior::status("v1", status.clone()), None).await;
        let chain = webhook_chain(&downstream, dir.path(), &[], "NoOpinion");
        let explained = chain.explain(&pods_request("alice"), &CALL).await;
        assert_eq!(explained.verdict.decision, decision, "{status}");
        let detail = webhook_detail(&explained);
        assert!(
            detail.called && !detail.failure_policy_applied,
            "{detail:?}"
        );
        assert_eq!(detail.attempts.len(), 1);
        assert_eq!(detail.attempts[0].result, "success");
        assert_eq!(detail.cache.as_ref().map(|c| c.hit), Some(false));
        // Called, but nothing was cached: a second explanation misses again and calls again.
        let again = chain.explain(&pods_request("alice"), &CALL).await;
        assert_eq!(webhook_detail(&again).cache.map(|c| c.hit), Some(false));
        assert_eq!(downstream.calls(), 2);
    }

    // A false condition: not called, NoOpinion.
    let downstream =
        Downstream::start(Behavior::status("v1", json!({"allowed": true})), None).await;
    let chain = webhook_chain(
        &downstream,
        dir.path(),
        &["request.user != 'alice'"],
        "Deny",
    );
    let explained = chain.explain(&pods_request("alice"), &CALL).await;
    let detail = webhook_detail(&explained);
    assert_eq!(explained.verdict.decision, Decision::NoOpinion);
    assert_eq!(detail.conditions.len(), 1);
    assert_eq!(detail.conditions[0].result, "false");
    assert!(!detail.called);

    // A condition error: the failure policy (Deny) with kube-apiserver's error text.
    let chain = webhook_chain(
        &downstream,
        dir.path(),
        &["request.nonResourceAttributes.path == '/x'"],
        "Deny",
    );
    let explained = chain.explain(&pods_request("alice"), &CALL).await;
    let detail = webhook_detail(&explained);
    assert_eq!(explained.verdict.decision, Decision::Deny);
    assert_eq!(detail.conditions[0].result, "error");
    assert!(detail.failure_policy_applied && !detail.called);
    let decided = chain.evaluate(&pods_request("alice")).await;
    assert_eq!(
        explained.verdict, decided.verdict,
        "the same error text as the decision"
    );
    assert_eq!(downstream.calls(), 0);

    // A failing downstream: every attempt is listed, then the failure policy.
    let failing = Downstream::start(Behavior::http(500), None).await;
    let chain = webhook_chain(&failing, dir.path(), &[], "Deny");
    let explained = chain.explain(&pods_request("alice"), &CALL).await;
    let detail = webhook_detail(&explained);
    assert_eq!(explained.verdict.decision, Decision::Deny);
    assert!(explained.verdict.error.is_some());
    assert!(detail.failure_policy_applied);
    assert_eq!(detail.attempts.len(), 5, "{detail:?}");
    assert!(
        detail
            .attempts
            .iter()
            .all(|a| a.result == "error" && a.error.is_some())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_reads_the_cache_without_touching_it_and_skips_by_default() {
    let dir = tempfile::tempdir().expect("tempdir");
    let downstream =
        Downstream::start(Behavior::status("v1", json!({"allowed": true})), None).await;
    let chain = webhook_chain(
        &downstream,
        dir.path(),
        &["request.user != 'bob'"],
        "NoOpinion",
    );
    let request = pods_request("alice");

    // By default the webhook is not called: a skip stand-in answers, the cache misses.
    let explained = chain.explain(&request, &ExplainOptions::default()).await;
    let detail = webhook_detail(&explained);
    assert_eq!(detail.stand_in, Some("skip"));
    assert_eq!(detail.conditions[0].result, "true");
    assert_eq!(detail.cache.as_ref().map(|c| c.hit), Some(false));
    assert_eq!(explained.verdict.decision, Decision::NoOpinion);
    assert_eq!(downstream.calls(), 0);
    let assumed = ExplainOptions {
        webhooks: WebhookChoice::StandIn(StandInAnswer::Allow),
    };
    assert_eq!(
        chain.explain(&request, &assumed).await.verdict.decision,
        Decision::Allow
    );

    // A real decision fills the cache; the explanation then shows the hit and its age.
    assert_eq!(
        chain.evaluate(&request).await.verdict.decision,
        Decision::Allow
    );
    assert_eq!(downstream.calls(), 1);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let explained = chain.explain(&request, &ExplainOptions::default()).await;
    let detail = webhook_detail(&explained);
    let cache = detail.cache.expect("cache");
    assert!(cache.hit);
    assert!(
        cache
            .age_seconds
            .is_some_and(|age| (0.04..60.0).contains(&age)),
        "{cache:?}"
    );
    assert!(!detail.called && detail.stand_in.is_none());
    assert_eq!(explained.verdict.decision, Decision::Allow);
    assert_eq!(downstream.calls(), 1);

    // The user bob is excluded by the condition: explained as such, and nothing cached for him.
    let explained = chain.explain(&pods_request("bob"), &CALL).await;
    assert_eq!(webhook_detail(&explained).conditions[0].result, "false");
    assert_eq!(downstream.calls(), 1);
}

#[test]
fn the_explain_command_prints_a_tree_and_stable_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_file(dir.path(), "authz.yaml", &config_with(&["Node", "RBAC"]));
    let review = json!({
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "spec": {"resourceAttributes": {"namespace": "team-b", "verb": "get", "resource": "pods", "subresource": "*"}, "user": "frank", "groups": ["system:authenticated"]}
    });
    let input = format!("{review}\n");
    let state = testdata("rbac/state");
    let args = |format: &'static str| {
        vec![
            "explain".to_owned(),
            "--authorization-config".to_owned(),
            config.display().to_string(),
            "--state".to_owned(),
            state.display().to_string(),
            "-o".to_owned(),
            format.to_owned(),
            "-".to_owned(),
        ]
    };
    let json_args = args("json");
    let output = run_with_stdin(
        &json_args.iter().map(String::as_str).collect::<Vec<_>>(),
        &input,
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answer: Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    assert_eq!(answer["decision"], "Allow");
    assert_eq!(answer["allowed"], true);
    assert_eq!(answer["decidedBy"], "rbac");
    let steps: Vec<&str> = answer["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| s["name"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(steps, ["superuser", "node", "rbac"]);
    let grant = &answer["steps"][2]["detail"]["allowedBy"];
    assert_eq!(grant["binding"]["name"], "rb-pods-star-literal");
    assert_eq!(grant["binding"]["namespace"], "team-b");
    assert_eq!(grant["rule"]["resources"], json!(["pods/*"]));

    let text_args = args("text");
    let output = run_with_stdin(
        &text_args.iter().map(String::as_str).collect::<Vec<_>>(),
        &input,
    );
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.starts_with("ALLOWED by rbac\n"), "{text}");
    assert!(text.contains("└─ rbac [RBAC]: Allow (decided)"), "{text}");
    assert!(
        text.contains("allowed by RoleBinding \"rb-pods-star-literal\" in \"team-b\""),
        "{text}"
    );
}

#[test]
fn access_matrix_agrees_with_eval_cell_by_cell() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_file(dir.path(), "authz.yaml", &config_with(&["Node", "RBAC"]));
    let state = testdata("rbac/state");
    let (config, state) = (config.display().to_string(), state.display().to_string());
    let askers: [(&str, &[&str], &str); 3] = [
        ("frank", &["system:authenticated"], "team-b"),
        (
            "system:serviceaccount:kube-system:replicaset-controller",
            &["system:serviceaccounts", "system:authenticated"],
            "",
        ),
        ("carol", &["devs", "system:authenticated"], "prod"),
    ];
    for (user, groups, namespace) in askers {
        let mut args = vec![
            "access-matrix",
            "--authorization-config",
            &config,
            "--state",
            &state,
            "--as",
            user,
            "-o",
            "json",
        ];
        for group in groups {
            args.extend(["--as-group", group]);
        }
        if !namespace.is_empty() {
            args.extend(["-n", namespace]);
        }
        let output = run_with_stdin(&args, "");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let matrix: Value = serde_json::from_slice(&output.stdout).expect("matrix JSON");
        let rows = matrix["resources"].as_array().expect("rows");
        assert!(rows.len() > 60, "the built-in list at least");
        let mut reviews = String::new();
        let mut expected = Vec::new();
        for row in rows {
            let namespaced = row["namespaced"].as_bool().unwrap_or(true);
            for (verb, decision) in row["access"].as_object().expect("access") {
                let mut attributes =
                    json!({"verb": verb, "group": row["group"], "resource": row["resource"]});
                if namespaced && !namespace.is_empty() {
                    attributes["namespace"] = json!(namespace);
                }
                let review = json!({
                    "apiVersion": "authorization.k8s.io/v1",
                    "kind": "SubjectAccessReview",
                    "spec": {"resourceAttributes": attributes, "user": user, "groups": groups}
                });
                reviews.push_str(&format!("{review}\n"));
                expected.push((format!("{} {verb}", row["resource"]), decision == "Allow"));
            }
        }
        let output = run_with_stdin(
            &[
                "eval",
                "--authorization-config",
                &config,
                "--state",
                &state,
                "-",
            ],
            &reviews,
        );
        let answers: Vec<Value> = String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("answer"))
            .collect();
        assert_eq!(answers.len(), expected.len());
        let mut allowed = 0;
        for ((cell, want), answer) in expected.iter().zip(&answers) {
            let got = answer["status"]["allowed"].as_bool().unwrap_or(false);
            assert_eq!(got, *want, "{user}: {cell}");
            allowed += usize::from(got);
        }
        assert!(allowed > 0, "{user} may do something");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_answers_post_explain_only_when_enabled() {
    use common::https::{client_config, send};
    use common::serve::Serve;
    let body = json!({
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "spec": {"nonResourceAttributes": {"path": "/healthz", "verb": "get"}, "user": "carol", "groups": ["system:authenticated"]}
    })
    .to_string();
    for enabled in [true, false] {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut args = vec![std::ffi::OsString::from("--cert-dir"), dir.path().into()];
        if enabled {
            args.push("--enable-explain".into());
        }
        let serve = Serve::start(args);
        let ca = std::fs::read_to_string(dir.path().join("authz-chain-ca.crt")).expect("CA");
        let config = client_config(&ca, None, &[b"h2"]);
        let reply = send(
            config,
            serve.address,
            "POST",
            "/explain",
            body.clone().into_bytes(),
        )
        .await
        .expect("request");
        if enabled {
            assert_eq!(reply.status, 200, "{}", reply.body);
            let answer = reply.json();
            assert_eq!(answer["allowed"], true);
            assert!(
                answer["steps"].as_array().is_some_and(|s| !s.is_empty()),
                "{answer}"
            );
            assert!(
                answer["steps"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|s| s["decided"] == true)
            );
        } else {
            assert_eq!(reply.status, 404, "{}", reply.body);
        }
        drop(serve);
    }
}

/// `--kubeconfig`: the one-shot commands list a live cluster (here the fake API server that
/// speaks the list/watch protocol) before answering, through the same stores as `serve`.
#[cfg(feature = "live")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_and_eval_read_a_live_cluster_with_kubeconfig() {
    use common::kube_api::FakeKube;
    use common::kube_api::objects::{pod, role, role_binding};
    let kube = FakeKube::start().await;
    kube.apply(role("team-a", "readers", &["get"], &["configmaps"]));
    kube.apply(role_binding("team-a", "alice-reads", "alice", "readers"));
    kube.apply(pod("team-a", "web", "n1", "web-tls"));
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_file(dir.path(), "authz.yaml", &config_with(&["Node", "RBAC"]));
    let kubeconfig = kube.kubeconfig(dir.path());
    let reviews = [
        json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
               "spec": {"resourceAttributes": {"namespace": "team-a", "verb": "get", "resource": "configmaps"}, "user": "alice"}}),
        json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
               "spec": {"resourceAttributes": {"namespace": "team-a", "verb": "get", "resource": "secrets", "name": "web-tls"}, "user": "system:node:n1", "groups": ["system:nodes"]}}),
    ];
    let input: String = reviews.iter().map(|r| format!("{r}\n")).collect();
    let (config, kubeconfig) = (
        config.display().to_string(),
        kubeconfig.display().to_string(),
    );
    let run = |command: &'static str| {
        let (config, kubeconfig, input) = (config.clone(), kubeconfig.clone(), input.clone());
        tokio::task::spawn_blocking(move || {
            let mut args = vec![
                command,
                "--authorization-config",
                &config,
                "--kubeconfig",
                &kubeconfig,
            ];
            if command == "explain" {
                args.extend(["-o", "json"]);
            }
            run_with_stdin(&args, &input)
        })
    };
    let output = run("explain").await.expect("explain");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answers: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(answers.len(), 2);
    assert_eq!(answers[0]["decidedBy"], "rbac");
    assert_eq!(
        answers[0]["steps"][2]["detail"]["allowedBy"]["binding"]["name"],
        "alice-reads"
    );
    assert_eq!(answers[1]["decidedBy"], "node");
    assert_eq!(
        answers[1]["steps"][1]["detail"]["path"],
        json!(["node/n1", "pod/team-a/web", "secret/team-a/web-tls"])
    );
    let output = run("eval").await.expect("eval");
    let allowed: Vec<bool> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("JSON")["status"]["allowed"] == true)
        .collect();
    assert_eq!(allowed, [true, true]);
}
