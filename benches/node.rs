//! Node authorizer: decision time, pod writes and graph build over upstream's
//! `BenchmarkAuthorization` cluster (`plugin/pkg/auth/authorizer/node/node_authorizer_test.go`):
//! 500 nodes × 200 pods in 200 namespaces, each pod with a unique secret, a shared secret
//! (`secret0-shared`, in every namespace), a unique configmap, a PVC bound to a PV with a flex
//! volume secret, and its own service account; 10,000 VolumeAttachments and 500 ResourceSlices.
//! Objects are generated from a fixed seed and named after their relations
//! (`configmap0-pod0-node0`), see `authz_chain::authorizers::node::sample`.
//!
//! Measured:
//! * `node/decide/*`: upstream's ten requests by `node0`, allowed and refused (plus one decided
//!   by the static rules and one by name comparison), through
//!   `NodeAuthorizer::decide` (identity, dispatch, read lock, lookups, the verdict), one thread;
//! * `node/decide-with-writer/*`: the same while another thread re-adds a pod every 10 ms, as
//!   upstream's "contentious" cases (the writes' durations are printed);
//! * `node/write/*`: adding a new pod (with its references, through the store's write lock),
//!   deleting it, and re-adding an existing pod (upstream's `BenchmarkWriteIndexMaintenance`
//!   write);
//! * `node/build`: filling a graph with the whole cluster; the bytes allocated while doing so
//!   (total, as Go's `B/op`, and still live after) are printed, counted by a global allocator.
//!
//! Not measured: decoding SubjectAccessReviews or manifests, building `Request`s (done before
//! timing), the chain around the authorizer, and contention between many parallel readers
//! (upstream runs 5,000 goroutines; this machine has two cores).

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use authz_chain::api::pod::Pod;
use authz_chain::authorizers::node::sample::{SampleCluster, SampleOpts, sample_pod};
use authz_chain::authorizers::node::{FeatureGates, NodeAuthorizer, NodeGraph, NodeGraphStore};
use authz_chain::authz::{Attributes, Decision, Request, ResourceAttributes, UserInfo};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use rand::SeedableRng;
use rand::rngs::StdRng;

/// Counts bytes allocated (cumulative) and live, to report what building the graph costs.
struct Counting;

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);
static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; the counters are only
// statistics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATED.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn opts() -> SampleOpts {
    SampleOpts {
        nodes: 500,
        namespaces: 200,
        pods_per_node: 200,
        attachments_per_node: 20,
        slices_per_node: 1,
        unique_configmaps_per_pod: 1,
        shared_secrets_per_pod: 1,
        unique_secrets_per_pod: 1,
        unique_pvcs_per_pod: 1,
        ..SampleOpts::default()
    }
}

fn request(verb: &str, group: &str, resource: &str, namespace: &str, name: &str) -> Request {
    Request {
        user: UserInfo {
            name: "system:node:node0".into(),
            groups: vec!["system:nodes".into(), "system:authenticated".into()],
            ..UserInfo::default()
        },
        attributes: Attributes::Resource(ResourceAttributes {
            namespace: namespace.into(),
            verb: verb.into(),
            group: group.into(),
            version: "v1".into(),
            resource: resource.into(),
            name: name.into(),
            ..ResourceAttributes::default()
        }),
    }
}

/// Upstream's cases and two more: `(name, request, expected decision)`.
fn cases() -> Vec<(&'static str, Request, Decision)> {
    use Decision::{Allow, NoOpinion};
    let core = |resource, namespace, name| request("get", "", resource, namespace, name);
    let storage = |name| request("get", "storage.k8s.io", "volumeattachments", "", name);
    vec![
        (
            "allowed configmap",
            core("configmaps", "ns0", "configmap0-pod0-node0"),
            Allow,
        ),
        (
            "allowed secret via pod",
            core("secrets", "ns0", "secret0-pod0-node0"),
            Allow,
        ),
        (
            "allowed shared secret via pod",
            core("secrets", "ns0", "secret0-shared"),
            Allow,
        ),
        (
            "disallowed configmap",
            core("configmaps", "ns0", "configmap0-pod0-node1"),
            NoOpinion,
        ),
        (
            "disallowed secret via pod",
            core("secrets", "ns0", "secret0-pod0-node1"),
            NoOpinion,
        ),
        (
            "disallowed shared secret via pvc",
            core("secrets", "ns0", "secret-pv0-pod0-node1-ns0"),
            NoOpinion,
        ),
        (
            "disallowed pvc",
            core("persistentvolumeclaims", "ns0", "pvc0-pod0-node1"),
            NoOpinion,
        ),
        (
            "disallowed pv",
            core("persistentvolumes", "", "pv0-pod0-node1-ns0"),
            NoOpinion,
        ),
        (
            "disallowed attachment - no relationship",
            storage("attachment0-node1"),
            NoOpinion,
        ),
        ("allowed attachment", storage("attachment0-node0"), Allow),
        // Not upstream's: a decision by the static rules, and one by name comparison.
        (
            "allowed event (static rules)",
            request("create", "events.k8s.io", "events", "ns0", ""),
            Allow,
        ),
        (
            "disallowed lease of another node",
            request(
                "get",
                "coordination.k8s.io",
                "leases",
                "kube-node-lease",
                "node1",
            ),
            NoOpinion,
        ),
    ]
}

fn build(cluster: &SampleCluster) -> NodeGraph {
    let mut graph = NodeGraph::new();
    cluster.populate(&mut graph);
    graph
}

fn decisions(c: &mut Criterion, authorizer: &NodeAuthorizer, group: &str) {
    let mut group = c.benchmark_group(group);
    for (name, request, expect) in cases() {
        // Precondition, before timing.
        assert_eq!(authorizer.decide(&request).decision, expect, "{name}");
        group.bench_function(name, |b| {
            b.iter(|| {
                let verdict = authorizer.decide(black_box(&request));
                assert!(verdict.decision == expect);
                verdict
            })
        });
    }
    group.finish();
}

/// Re-adds `pod` every 10 ms until stopped; returns the write durations.
fn writer(store: Arc<NodeGraphStore>, pod: Pod, stop: Arc<AtomicBool>) -> Vec<Duration> {
    let mut durations = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let start = Instant::now();
        store.update(|g| g.add_pod(&pod));
        durations.push(start.elapsed());
        std::thread::sleep(Duration::from_millis(10));
    }
    durations
}

fn report_writes(mut durations: Vec<Duration>) {
    durations.sort();
    let at = |q: f64| durations[((durations.len() - 1) as f64 * q) as usize];
    if !durations.is_empty() {
        println!(
            "graph writes during the contention run: {} (median {:?}, p99 {:?}, max {:?})",
            durations.len(),
            at(0.5),
            at(0.99),
            at(1.0)
        );
    }
}

fn node_benches(c: &mut Criterion) {
    let opts = opts();
    let cluster = SampleCluster::generate(&opts);
    assert_eq!(cluster.pods.len(), 100_000);
    assert_eq!(cluster.pvs.len(), 100_000);
    assert_eq!(cluster.attachments.len(), 10_000);
    assert_eq!(cluster.slices.len(), 500);

    let (allocated, live) = (
        ALLOCATED.load(Ordering::Relaxed),
        LIVE.load(Ordering::Relaxed),
    );
    let start = Instant::now();
    let graph = build(&cluster);
    let elapsed = start.elapsed();
    let allocated = ALLOCATED.load(Ordering::Relaxed) - allocated;
    let retained = LIVE.load(Ordering::Relaxed).saturating_sub(live);
    println!(
        "building the graph ({:?}): {elapsed:?}, {:.1} MB allocated, {:.1} MB retained",
        graph.stats(),
        allocated as f64 / 1e6,
        retained as f64 / 1e6
    );

    let store = Arc::new(NodeGraphStore::new(graph));
    let authorizer = NodeAuthorizer::new(store.clone(), FeatureGates::default());
    decisions(c, &authorizer, "node/decide");

    let mut rng = StdRng::seed_from_u64(7);
    let (write_pod, _) = sample_pod("testwrite", "ns0", "node0", "default", &opts, &mut rng);
    let stop = Arc::new(AtomicBool::new(false));
    let handle = {
        let (store, pod, stop) = (store.clone(), write_pod.clone(), stop.clone());
        std::thread::spawn(move || writer(store, pod, stop))
    };
    decisions(c, &authorizer, "node/decide-with-writer");
    stop.store(true, Ordering::Relaxed);
    report_writes(handle.join().expect("writer thread"));

    let mut group = c.benchmark_group("node/write");
    let new_pods: Vec<Pod> = (0..1000)
        .map(|i| {
            let name = format!("pod-new{i}-node{}", i % 500);
            let node = format!("node{}", i % 500);
            let namespace = format!("ns{}", i % 200);
            sample_pod(
                &name,
                &namespace,
                &node,
                &format!("svcacct-new{i}"),
                &opts,
                &mut rng,
            )
            .0
        })
        .collect();
    let mut next = 0;
    group.bench_function("add new pod", |b| {
        b.iter_batched(
            || {
                next = (next + 1) % new_pods.len();
                let pod = &new_pods[next];
                store.update(|g| g.delete_pod(&pod.metadata.namespace, &pod.metadata.name));
                pod
            },
            |pod| store.update(|g| g.add_pod(pod)),
            BatchSize::NumIterations(500),
        )
    });
    group.bench_function("delete pod", |b| {
        b.iter_batched(
            || {
                next = (next + 1) % new_pods.len();
                let pod = &new_pods[next];
                store.update(|g| g.add_pod(pod));
                pod
            },
            |pod| store.update(|g| g.delete_pod(&pod.metadata.namespace, &pod.metadata.name)),
            BatchSize::NumIterations(500),
        )
    });
    group.bench_function("re-add existing pod", |b| {
        b.iter(|| store.update(|g| g.add_pod(black_box(&write_pod))))
    });
    group.finish();
    // The graph is intact after the writes.
    for (name, request, expect) in cases() {
        assert_eq!(
            authorizer.decide(&request).decision,
            expect,
            "{name} after writes"
        );
    }

    let mut group = c.benchmark_group("node");
    group.sample_size(10);
    group.bench_function("build", |b| b.iter(|| build(black_box(&cluster))));
    group.finish();
}

criterion_group!(benches, node_benches);
criterion_main!(benches);
