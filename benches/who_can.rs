//! `who-can` over kube-apiserver's bootstrap policy (`testdata/bootstrap/`) plus 100,000 bindings
//! (half ClusterRoleBindings, half RoleBindings over 1,000 namespaces), generated from a fixed
//! pattern and named after their relations: binding `extra-<i>` binds user `extra-user-<i>`,
//! group `extra-group-<i mod 500>` or service account `extra-sa-<i>` to one of four shared
//! ClusterRoles (`view`, `edit`, `admin`, `system:basic-user`). Unlike a decision, a who-can
//! question visits every binding in scope: all 50,000+ ClusterRoleBindings, and the RoleBindings of
//! the request's namespace.
//!
//! Measured apart: the RBAC query alone ([`RbacIndex::who_can`]); the whole answer as the
//! command builds it (grouping by subject, sorting; the node section is absent); and that answer
//! serialized to JSON in memory (megabytes when tens of thousands of subjects are allowed). Not measured: loading the state and building the index (see the RBAC benchmark and
//! the live-state figures), writing to a terminal, or a writer swapping the index (readers never
//! wait for one).

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use authz_chain::authorizers::node::FeatureGates;
use authz_chain::authorizers::rbac::RbacIndex;
use authz_chain::config;
use authz_chain::questions::who_can::{Authorities, CanIArgs, parse_args};
use authz_chain::state::{ClusterState, Sources};
mod common;

use common::extra_bindings;
use criterion::{Criterion, criterion_group, criterion_main};

const ROLES: [&str; 4] = ["view", "edit", "admin", "system:basic-user"];

/// `(name, kubectl-style arguments, namespace)`.
fn cases() -> Vec<(&'static str, Vec<String>, Option<&'static str>)> {
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        (
            "get pods in extra-ns-7",
            args(&["get", "pods"]),
            Some("extra-ns-7"),
        ),
        (
            "delete secrets at cluster scope",
            args(&["delete", "secrets"]),
            None,
        ),
        (
            "create pods/exec in kube-system",
            args(&["create", "pods/exec"]),
            Some("kube-system"),
        ),
        ("get /healthz", args(&["get", "/healthz"]), None),
    ]
}

fn bench(c: &mut Criterion) {
    let bootstrap = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bootstrap");
    let state = ClusterState::load(&bootstrap).expect("bootstrap policy");
    let mut objects = state.rbac.clone();
    extra_bindings(&mut objects, 100_000, &ROLES);
    let index = RbacIndex::build(&objects);
    assert!(index.binding_count() >= 100_000);
    let sources = Sources {
        rbac: Arc::new(arc_swap::ArcSwap::from_pointee(index)),
        ..Sources::default()
    };
    let config = config::load_data(
        b"apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers:\n- type: RBAC\n  name: rbac\n",
        &[],
    )
    .expect("config");
    let authorities = Authorities::new(
        &config,
        &sources,
        Some("system:masters"),
        FeatureGates::default(),
    );
    let index = sources.rbac.load_full();
    let mut group = c.benchmark_group("who-can/bootstrap+100000");
    group.sample_size(20);
    for (name, positional, namespace) in cases() {
        let question = parse_args(&CanIArgs {
            positional: &positional,
            namespace,
            ..CanIArgs::default()
        })
        .expect("question");
        // Check the fixture before timing, and the result inside the loop.
        let grants = index.who_can(&question.request).grants.len();
        let json_len =
            authorities.answer(&question, |a| serde_json::to_vec(a).expect("JSON").len());
        eprintln!("{name}: {grants} grants, {json_len} bytes of JSON");
        assert!(grants > 0, "{name}");
        group.bench_function(format!("{name}: RBAC query"), |b| {
            b.iter(|| {
                let answer = index.who_can(black_box(&question.request));
                assert_eq!(answer.grants.len(), grants);
                answer.grants.len()
            })
        });
        let subjects = authorities.answer(&question, |a| a.subjects.as_ref().map(Vec::len));
        group.bench_function(format!("{name}: answer (grouped and sorted)"), |b| {
            b.iter(|| {
                let count =
                    authorities.answer(black_box(&question), |a| a.subjects.as_ref().map(Vec::len));
                assert_eq!(count, subjects);
                count
            })
        });
        group.bench_function(format!("{name}: answer as JSON"), |b| {
            b.iter(|| {
                let bytes = authorities.answer(black_box(&question), |a| {
                    serde_json::to_vec(a).expect("JSON")
                });
                assert_eq!(bytes.len(), json_len);
                bytes.len()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
