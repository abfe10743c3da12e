//! RBAC decision time over kube-apiserver's bootstrap policy (`testdata/bootstrap/`).
//!
//! The shape of upstream's `BenchmarkAuthorize` (`plugin/pkg/auth/authorizer/rbac/rbac_test.go`):
//! user `system:node:node1` in group `system:nodes` asks to list pods, update pods/status and
//! educate dolphins. No bootstrap binding names that user or group, so all three are a full
//! no-match walk. Then requests a binding really allows (through a ClusterRoleBinding to a user,
//! to a group, and through a namespaced RoleBinding). Everything again with 10,000 and 100,000
//! extra bindings to other users, groups and service accounts, spread over 1,000 namespaces
//! including the ones asked about.
//!
//! What this does not measure: decoding the SubjectAccessReview (see the HTTP load test), the
//! chain around the authorizer, or contention with a writer swapping the index (readers never
//! wait for one: the index is an immutable snapshot behind `arc-swap`).

use std::hint::black_box;
use std::path::Path;

use authz_chain::authorizers::rbac::RbacIndex;
use authz_chain::authz::{Decision, Request};
use authz_chain::state::ClusterState;
mod common;

use common::{extra_bindings, request};
use criterion::{Criterion, criterion_group, criterion_main};

/// `(name, request, expected decision)`.
fn cases() -> Vec<(&'static str, Request, Decision)> {
    let node = ["system:nodes", "system:authenticated"];
    vec![
        (
            "node list pods (no match)",
            request("system:node:node1", &node, "", "list", "pods", "", ""),
            Decision::NoOpinion,
        ),
        (
            "node update pods/status (no match)",
            request(
                "system:node:node1",
                &node,
                "",
                "update",
                "pods",
                "status",
                "",
            ),
            Decision::NoOpinion,
        ),
        (
            "node educate dolphins (no match)",
            request(
                "system:node:node1",
                &node,
                "",
                "educate",
                "dolphins",
                "",
                "",
            ),
            Decision::NoOpinion,
        ),
        (
            "allowed: CRB to user (scheduler get pods)",
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
            "allowed: CRB to group (masters delete nodes)",
            request(
                "admin",
                &["system:masters", "system:authenticated"],
                "",
                "delete",
                "nodes",
                "",
                "n1",
            ),
            Decision::Allow,
        ),
        (
            "allowed: RoleBinding (kcm get configmap in kube-system)",
            request(
                "system:kube-controller-manager",
                &["system:authenticated"],
                "kube-system",
                "get",
                "configmaps",
                "",
                "extension-apiserver-authentication",
            ),
            Decision::Allow,
        ),
    ]
}

fn bench(c: &mut Criterion) {
    let bootstrap = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bootstrap");
    let state = ClusterState::load(&bootstrap).expect("bootstrap policy");
    for extra in [0usize, 10_000, 100_000] {
        let mut objects = state.rbac.clone();
        extra_bindings(&mut objects, extra, &["view"]);
        let index = RbacIndex::build(&objects);
        let mut group = c.benchmark_group(format!("rbac/bootstrap+{extra}"));
        for (name, request, expected) in cases() {
            // Check the fixture before timing, and the result inside the loop.
            assert_eq!(
                index.authorize(&request).decision,
                expected,
                "{name} with {extra} extra bindings"
            );
            group.bench_function(name, |b| {
                b.iter(|| {
                    let verdict = index.authorize(black_box(&request));
                    assert_eq!(verdict.decision, expected);
                    verdict
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
