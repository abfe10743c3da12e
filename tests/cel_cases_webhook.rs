//! Every recorded matchCondition case (`testdata/cel/cases.jsonl`), run as that folder's README
//! describes: one webhook step per expression (its only matchCondition, `failurePolicy:
//! NoOpinion`) in front of a real downstream that allows. `true` means the webhook was called,
//! `false` that it was skipped, and an error names the expression in the evaluation error.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use authz_chain::authorizers::webhook::{WebhookCall, conditions};
use authz_chain::authz::guard::{Backoff, Guard, GuardConfig};
use authz_chain::authz::{Authorize, Decision};
use authz_chain::cel::compile_match_condition;
use authz_chain::config::load_webhook_connection;
use authz_chain::metrics::Metrics;
use authz_chain::review::{self, ReviewVersion, spec_key};
use common::downstream::{Behavior, Downstream};
use common::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_recorded_case_through_a_webhook_step() {
    let cases = read_jsonl(&testdata("cel/cases.jsonl"));
    assert_eq!(cases.len(), 2940);
    let dir = tempfile::tempdir().expect("tempdir");
    let downstream = Downstream::start(
        Behavior::status("v1", json!({"allowed": true, "reason": "called"})),
        None,
    )
    .await;
    let connection = load_webhook_connection(&downstream.kubeconfig(dir.path(), "wh", None))
        .expect("kubeconfig");
    let metrics = Metrics::new();
    let mut guards: HashMap<String, Guard<WebhookCall>> = HashMap::new();
    let mut failures = Vec::new();
    for case in &cases {
        let expression = case["expression"].as_str().expect("expression");
        let guard = guards.entry(expression.to_owned()).or_insert_with(|| {
            let compiled =
                Arc::new(compile_match_condition(expression).expect("accepted by kube-apiserver"));
            let call = WebhookCall::new(&connection, ReviewVersion::V1, Duration::from_secs(5))
                .expect("client");
            let config = GuardConfig {
                name: "cel".into(),
                kind: "Webhook",
                failure_policy: Decision::NoOpinion,
                authorized_ttl: None,
                unauthorized_ttl: None,
                timeout: Duration::from_secs(5),
                backoff: Backoff::default(),
                cache_key: spec_key,
            };
            Guard::new(config, call, conditions(&[compiled]), &metrics)
        });
        // The posted spec goes through the same conversion kube-apiserver's SAR endpoint applies.
        let body = json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": case["request"]});
        let decoded = review::decode(body.to_string().as_bytes()).expect("review");
        let request = review::to_request(&decoded).expect("valid review");
        let calls_before = downstream.calls();
        let verdict = guard.authorize(&request).resolve().await;
        let called = downstream.calls() > calls_before;
        let error = verdict.error.as_ref().map(|e| e.to_string());
        let ok = match case["outcome"].as_str().expect("outcome") {
            "true" => called && verdict.decision == Decision::Allow && error.is_none(),
            "false" => !called && verdict.decision == Decision::NoOpinion && error.is_none(),
            "error" => {
                let want = format!(
                    "cel evaluation error: expression '{expression}' resulted in error: {}",
                    case["error"].as_str().expect("error text")
                );
                !called
                    && verdict.decision == Decision::NoOpinion
                    && error.as_deref() == Some(want.as_str())
            }
            other => panic!("unknown outcome {other}"),
        };
        if !ok {
            failures.push(format!(
                "{}: want {}, got called={called} {:?} error={error:?}",
                case["id"], case["outcome"], verdict.decision
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
