//! One request through a webhook step (matchConditions, cache, the HTTPS call), as the guard runs
//! it in a chain:
//! (a) one matchCondition false, so no call;
//! (b) three matchConditions true and a cache hit;
//! (c) a call to a local HTTPS downstream over a kept-alive connection (cache off), with zero and
//!     three matchConditions.
//!
//! Not measured: decoding the inbound SubjectAccessReview, or the downstream's own work beyond
//! answering a fixed body (the downstream runs in the same process, on the same runtime).

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use authz_chain::authorizers::webhook::{WebhookCall, conditions};
use authz_chain::authz::guard::{Backoff, Guard, GuardConfig};
use authz_chain::authz::{
    Attributes, Authorize, Decision, Outcome, Request, ResourceAttributes, UserInfo,
};
use authz_chain::cel::compile_match_condition;
use authz_chain::config::load_webhook_connection;
use authz_chain::metrics::Metrics;
use authz_chain::review::{ReviewVersion, spec_key};
use common::downstream::{Behavior, Downstream};
use criterion::{Criterion, criterion_group, criterion_main};

fn request() -> Request {
    Request {
        user: UserInfo {
            name: "alice".into(),
            groups: vec!["devs".into(), "system:authenticated".into()],
            ..UserInfo::default()
        },
        attributes: Attributes::Resource(ResourceAttributes {
            namespace: "team-a".into(),
            verb: "get".into(),
            version: "v1".into(),
            resource: "pods".into(),
            name: "web-0".into(),
            ..ResourceAttributes::default()
        }),
    }
}

fn guard(
    downstream: &Downstream,
    dir: &std::path::Path,
    expressions: &[&str],
    cached: bool,
) -> Guard<WebhookCall> {
    let kubeconfig = downstream.kubeconfig(dir, &format!("bench{}", expressions.len()), None);
    let connection = load_webhook_connection(&kubeconfig).expect("kubeconfig");
    let call =
        WebhookCall::new(&connection, ReviewVersion::V1, Duration::from_secs(5)).expect("client");
    let compiled: Vec<_> = expressions
        .iter()
        .map(|e| Arc::new(compile_match_condition(e).expect("compiles")))
        .collect();
    let ttl = cached.then_some(Duration::from_secs(3600));
    let config = GuardConfig {
        name: "bench".into(),
        kind: "Webhook",
        failure_policy: Decision::NoOpinion,
        authorized_ttl: ttl,
        unauthorized_ttl: ttl,
        timeout: Duration::from_secs(5),
        backoff: Backoff::default(),
        cache_key: spec_key,
    };
    Guard::new(config, call, conditions(&compiled), &Metrics::new())
}

/// Steps that need no I/O answer synchronously: no runtime is involved, as in the server, where
/// the chain awaits nothing for them.
fn ready(
    guard: &Guard<WebhookCall>,
    request: &Request,
    expected: Decision,
) -> authz_chain::authz::Verdict {
    match guard.authorize(black_box(request)) {
        Outcome::Ready(verdict) => {
            assert_eq!(verdict.decision, expected);
            verdict
        }
        Outcome::Pending(_) => panic!("expected an answer without I/O"),
    }
}

const TRUE_CONDITIONS: [&str; 3] = [
    "has(request.resourceAttributes)",
    "!('system:masters' in request.groups)",
    "request.resourceAttributes.namespace != 'kube-system'",
];

fn bench(c: &mut Criterion) {
    // One thread runs the client and the downstream: on this 2-core machine a second worker
    // only adds cross-thread wake-ups to what is measured.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let downstream = runtime.block_on(Downstream::start(
        Behavior::status(
            "v1",
            serde_json::json!({"allowed": true, "reason": "bench"}),
        ),
        None,
    ));
    let request = request();
    let mut group = c.benchmark_group("webhook");

    let skipped = runtime.block_on(async {
        guard(
            &downstream,
            dir.path(),
            &["request.resourceAttributes.namespace == 'kube-system'"],
            true,
        )
    });
    group.bench_function("(a) one matchCondition false, no call", |b| {
        b.iter(|| ready(&skipped, &request, Decision::NoOpinion))
    });

    let cached = runtime.block_on(async { guard(&downstream, dir.path(), &TRUE_CONDITIONS, true) });
    runtime.block_on(cached.authorize(&request).resolve());
    group.bench_function("(b) three matchConditions true, cache hit", |b| {
        b.iter(|| ready(&cached, &request, Decision::Allow))
    });
    let calls_before = downstream.calls();

    for (name, expressions) in [
        ("(c) HTTPS call, kept-alive, no matchConditions", &[][..]),
        (
            "(c) HTTPS call, kept-alive, three matchConditions",
            &TRUE_CONDITIONS[..],
        ),
    ] {
        let calling =
            runtime.block_on(async { guard(&downstream, dir.path(), expressions, false) });
        let warm = runtime.block_on(calling.authorize(&request).resolve());
        assert_eq!(warm.decision, Decision::Allow, "{name}");
        group.bench_function(name, |b| {
            b.iter(|| {
                let verdict = runtime.block_on(calling.authorize(black_box(&request)).resolve());
                assert_eq!(verdict.decision, Decision::Allow);
                verdict
            })
        });
    }
    group.finish();
    assert_eq!(
        calls_before, 1,
        "(a) and (b) made no call but the one that filled the cache"
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
