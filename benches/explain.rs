//! `explain` against a decision, through the whole chain `[superuser, Node, RBAC]` over the
//! Node test state (pods, volumes and the bootstrap policy) plus 10,000 extra bindings: a node
//! reaching a secret through a PersistentVolume (the longest path the trace walks), a user RBAC
//! allows, and a service account nothing allows (every binding of its groups listed, each rule
//! with its first mismatch). Issue 13 asks for explain ≤ 1 ms without webhook calls.

use std::hint::black_box;
use std::path::Path;

use authz_chain::api::meta::ObjectMeta;
use authz_chain::api::rbac::{Binding, RoleRef, Subject};
use authz_chain::authz::explain::ExplainOptions;
use authz_chain::authz::{Attributes, Decision, Request, ResourceAttributes, UserInfo};
use authz_chain::build::{ChainOptions, Sources, build_chain};
use authz_chain::config;
use authz_chain::state::ClusterState;
use criterion::{Criterion, criterion_group, criterion_main};

fn request(
    user: &str,
    groups: &[&str],
    namespace: &str,
    verb: &str,
    resource: &str,
    name: &str,
) -> Request {
    Request {
        user: UserInfo {
            name: user.into(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            ..UserInfo::default()
        },
        attributes: Attributes::Resource(ResourceAttributes {
            namespace: namespace.into(),
            verb: verb.into(),
            version: "v1".into(),
            resource: resource.into(),
            name: name.into(),
            ..ResourceAttributes::default()
        }),
    }
}

fn extra_bindings(state: &mut ClusterState, count: usize) {
    for i in 0..count {
        let (kind, name) = match i % 3 {
            0 => ("User", format!("extra-user-{i}")),
            1 => ("Group", format!("extra-group-{}", i % 500)),
            _ => ("ServiceAccount", format!("extra-sa-{i}")),
        };
        let namespace = format!("extra-ns-{}", i % 1000);
        let cluster = i % 2 == 0;
        let binding = Binding {
            metadata: ObjectMeta {
                name: format!("extra-{i}"),
                namespace: if cluster {
                    String::new()
                } else {
                    namespace.clone()
                },
                ..ObjectMeta::default()
            },
            subjects: vec![Subject {
                kind: kind.into(),
                name,
                namespace,
                ..Subject::default()
            }],
            role_ref: RoleRef {
                api_group: "rbac.authorization.k8s.io".into(),
                kind: "ClusterRole".into(),
                name: "view".into(),
            },
        };
        if cluster {
            state.rbac.cluster_role_bindings.push(binding);
        } else {
            state.rbac.role_bindings.push(binding);
        }
    }
}

fn bench(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/node/state");
    let mut state = ClusterState::load(&dir).expect("node state");
    extra_bindings(&mut state, 10_000);
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
