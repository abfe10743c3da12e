//! The decision cache, shown by call counts against a real downstream: TTLs per kind of answer,
//! the cache flags, errors never cached, oversized requests never cached, and single flight.

mod common;

use std::sync::Arc;
use std::time::Duration;

use authz_chain::authorizers::webhook::WebhookCall;
use authz_chain::authz::guard::{Backoff, Guard, GuardConfig};
use authz_chain::authz::{Attributes, Authorize, Decision, Request, ResourceAttributes, UserInfo};
use authz_chain::config::load_webhook_connection;
use authz_chain::metrics::Metrics;
use authz_chain::review::{ReviewVersion, spec_key};
use common::downstream::{Behavior, Downstream};
use serde_json::json;

fn guard(
    downstream: &Downstream,
    dir: &std::path::Path,
    authorized: Option<Duration>,
    unauthorized: Option<Duration>,
) -> Guard<WebhookCall> {
    let kubeconfig = downstream.kubeconfig(dir, &format!("wh{}", downstream.address.port()), None);
    let connection = load_webhook_connection(&kubeconfig).expect("kubeconfig");
    let call =
        WebhookCall::new(&connection, ReviewVersion::V1, Duration::from_secs(2)).expect("client");
    let config = GuardConfig {
        name: "cached".into(),
        kind: "Webhook",
        failure_policy: Decision::NoOpinion,
        authorized_ttl: authorized,
        unauthorized_ttl: unauthorized,
        timeout: Duration::from_secs(2),
        // Short waits: these tests count calls, not time.
        backoff: Backoff {
            initial: Duration::from_millis(10),
            ..Backoff::default()
        },
        cache_key: spec_key,
    };
    Guard::new(config, call, None, &Metrics::new())
}

fn request(name: &str) -> Request {
    Request {
        user: UserInfo {
            name: "alice".into(),
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

async fn decide(guard: &Guard<WebhookCall>, request: &Request) -> Decision {
    guard.authorize(request).resolve().await.decision
}

fn allow() -> Behavior {
    Behavior::status("v1", json!({"allowed": true}))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowed_answers_live_for_authorized_ttl() {
    let dir = tempfile::tempdir().expect("tempdir");
    let downstream = Downstream::start(allow(), None).await;
    let guard = guard(
        &downstream,
        dir.path(),
        Some(Duration::from_millis(400)),
        Some(Duration::from_secs(30)),
    );
    assert_eq!(decide(&guard, &request("a")).await, Decision::Allow);
    assert_eq!(decide(&guard, &request("a")).await, Decision::Allow);
    assert_eq!(
        downstream.calls(),
        1,
        "a repeat within the TTL makes no call"
    );
    assert_eq!(decide(&guard, &request("b")).await, Decision::Allow);
    assert_eq!(downstream.calls(), 2, "another spec is another key");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(decide(&guard, &request("a")).await, Decision::Allow);
    assert_eq!(downstream.calls(), 3, "after the TTL it calls again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denials_and_no_opinions_live_for_unauthorized_ttl() {
    let dir = tempfile::tempdir().expect("tempdir");
    let downstream = Downstream::start(
        Behavior::status("v1", json!({"allowed": false, "denied": true})),
        None,
    )
    .await;
    let guard = guard(
        &downstream,
        dir.path(),
        Some(Duration::from_secs(30)),
        Some(Duration::from_millis(300)),
    );
    for _ in 0..3 {
        assert_eq!(decide(&guard, &request("a")).await, Decision::Deny);
    }
    assert_eq!(downstream.calls(), 1);
    downstream.set(Behavior::status("v1", json!({"allowed": false})));
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(decide(&guard, &request("a")).await, Decision::NoOpinion);
    assert_eq!(decide(&guard, &request("a")).await, Decision::NoOpinion);
    assert_eq!(downstream.calls(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cache_flags_switch_each_kind_off() {
    let dir = tempfile::tempdir().expect("tempdir");
    let downstream = Downstream::start(allow(), None).await;
    // cacheAuthorizedRequests: false
    let guard = guard(&downstream, dir.path(), None, Some(Duration::from_secs(30)));
    decide(&guard, &request("a")).await;
    decide(&guard, &request("a")).await;
    assert_eq!(downstream.calls(), 2, "allowed answers are not cached");
    downstream.set(Behavior::status("v1", json!({"allowed": false})));
    decide(&guard, &request("a")).await;
    decide(&guard, &request("a")).await;
    assert_eq!(downstream.calls(), 3, "unauthorized answers still are");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_never_cached() {
    let dir = tempfile::tempdir().expect("tempdir");
    let downstream = Downstream::start(Behavior::http(500), None).await;
    let guard = guard(
        &downstream,
        dir.path(),
        Some(Duration::from_secs(30)),
        Some(Duration::from_secs(30)),
    );
    assert_eq!(decide(&guard, &request("a")).await, Decision::NoOpinion);
    assert_eq!(downstream.calls(), 5);
    downstream.set(Behavior::http(403));
    decide(&guard, &request("a")).await;
    assert_eq!(downstream.calls(), 6, "403: one call, not cached");
    downstream.set(allow());
    assert_eq!(decide(&guard, &request("a")).await, Decision::Allow);
    assert_eq!(decide(&guard, &request("a")).await, Decision::Allow);
    assert_eq!(downstream.calls(), 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_attributes_are_never_cached() {
    let dir = tempfile::tempdir().expect("tempdir");
    let downstream = Downstream::start(allow(), None).await;
    let guard = guard(
        &downstream,
        dir.path(),
        Some(Duration::from_secs(30)),
        Some(Duration::from_secs(30)),
    );
    // namespace + verb + version + resource = 7 + 3 + 2 + 4 = 16 bytes.
    let just_below = request(&"n".repeat(10_000 - 16 - 1));
    let at_limit = request(&"n".repeat(10_000 - 16));
    decide(&guard, &just_below).await;
    decide(&guard, &just_below).await;
    assert_eq!(downstream.calls(), 1);
    decide(&guard, &at_limit).await;
    decide(&guard, &at_limit).await;
    assert_eq!(downstream.calls(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_identical_misses_make_one_call() {
    let dir = tempfile::tempdir().expect("tempdir");
    let downstream = Downstream::start(
        Behavior::Slow(Duration::from_millis(300), Box::new(allow())),
        None,
    )
    .await;
    let guard = Arc::new(guard(
        &downstream,
        dir.path(),
        Some(Duration::from_secs(30)),
        Some(Duration::from_secs(30)),
    ));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..100 {
        let guard = guard.clone();
        tasks.spawn(async move { decide(&guard, &request("same")).await });
    }
    while let Some(decision) = tasks.join_next().await {
        assert_eq!(decision.expect("task"), Decision::Allow);
    }
    assert_eq!(downstream.calls(), 1);
    // Failures are shared too, rather than repeated by every waiter.
    downstream.set(Behavior::Slow(
        Duration::from_millis(300),
        Box::new(Behavior::http(401)),
    ));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let guard = guard.clone();
        tasks.spawn(async move { decide(&guard, &request("failing")).await });
    }
    while let Some(decision) = tasks.join_next().await {
        assert_eq!(decision.expect("task"), Decision::NoOpinion);
    }
    assert_eq!(downstream.calls(), 2);
}
