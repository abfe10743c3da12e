//! `explain` against a decision, through the whole chain `[superuser, Node, RBAC]` over the
//! Node test state (pods, volumes and the bootstrap policy) plus 10,000 extra bindings: a node
//! reaching a secret through a PersistentVolume (the longest path the trace walks), a user RBAC
//! allows, and a service account nothing allows (every binding of its groups listed, each rule
//! with its first mismatch). Issue 13 asks for explain ≤ 1 ms without webhook calls.

use std::hint::black_box;
use std::path::Path;

use authz_chain::authz::Decision;
use authz_chain::authz::explain::ExplainOptions;
use authz_chain::build::{ChainOptions, Sources, build_chain};
use authz_chain::config;
use authz_chain::state::ClusterState;
mod common;

use common::{extra_bindings, request};
use criterion::{Criterion, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/node/state");
    let mut state = ClusterState::load(&dir).expect("node state");
    extra_bindings(&mut state.rbac, 10_000, &["view"]);
    let text = "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers:\n- type: Node\n  name: node\n- type: RBAC\n  name: rbac\n";
    let loaded = config::load_data(text.as_bytes(), &[]).expect("config");
    let sources = Sources::from_state(&state).expect("sources");
    let chain = build_chain(&loaded, &sources, &ChainOptions::default()).expect("chain");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let node = ["system:nodes", "system:authenticated"];
    let sa = [
        "system:serviceaccounts",
        "system:serviceaccounts:ns-a",
        "system:authenticated",
    ];
    let cases = [
        (
            "node secret through a PV (allowed)",
            request(
                "system:node:n1",
                &node,
                "ns-a",
                "get",
                "secrets",
                "",
                "azure-pv-secret",
            ),
            Decision::Allow,
        ),
        (
            "scheduler get pods (RBAC allows)",
            request(
                "system:kube-scheduler",
                &["system:authenticated"],
                "default",
                "get",
                "pods",
                "",
                "web-0",
            ),
            Decision::Allow,
        ),
        (
            "service account delete secrets (nothing allows)",
            request(
                "system:serviceaccount:ns-a:default",
                &sa,
                "ns-a",
                "delete",
                "secrets",
                "",
                "x",
            ),
            Decision::NoOpinion,
        ),
    ];
    let options = ExplainOptions::default();
    let mut group = c.benchmark_group("explain/node-state+10000");
    for (name, request, expected) in cases {
        let explained = runtime.block_on(chain.explain(&request, &options));
        assert_eq!(explained.verdict.decision, expected, "{name}");
        group.bench_function(format!("decide: {name}"), |b| {
            b.iter(|| runtime.block_on(chain.evaluate(black_box(&request))))
        });
        group.bench_function(format!("explain: {name}"), |b| {
            b.iter(|| runtime.block_on(chain.explain(black_box(&request), &options)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
