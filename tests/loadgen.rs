//! `authz-chain loadgen` against a real `serve` child process: closed and open loops, the
//! kubeconfig kube-apiserver would use, and a failing target.

mod common;

use std::ffi::OsStr;
use std::path::Path;

use common::binary;
use common::serve::Serve;
use serde_json::Value;

/// Runs `loadgen` with `args`, returning its exit status and JSON report.
fn loadgen(args: &[&OsStr]) -> (Option<i32>, Value) {
    let output = binary()
        .arg("loadgen")
        .args(["--output", "json", "--warmup", "200ms"])
        .args(args)
        .output()
        .expect("run loadgen");
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not a JSON report ({e}): {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code(), report)
}

fn start() -> (Serve, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let serve = Serve::start([OsStr::new("--cert-dir"), dir.path().as_os_str()]);
    (serve, dir)
}

fn url(serve: &Serve) -> String {
    format!("https://127.0.0.1:{}/authorize", serve.address.port())
}

fn count(report: &Value, path: &[&str]) -> u64 {
    path.iter()
        .fold(report, |v, key| &v[*key])
        .as_u64()
        .unwrap_or_else(|| panic!("{path:?} in {report:#}"))
}

#[test]
fn a_closed_loop_answers_every_request_with_the_quickstart_decisions() {
    let (serve, dir) = start();
    let (url, ca) = (url(&serve), dir.path().join("authz-chain-ca.crt"));
    let (status, report) = loadgen(&[
        OsStr::new("--url"),
        OsStr::new(&url),
        OsStr::new("--ca"),
        ca.as_os_str(),
        OsStr::new("--concurrency"),
        OsStr::new("8"),
        OsStr::new("--duration"),
        OsStr::new("1s"),
    ]);
    assert_eq!(status, Some(0), "{report:#}");
    assert_eq!(report["mode"], "closed");
    let answered = count(&report, &["answered"]);
    assert!(answered > 100, "{report:#}");
    assert_eq!(count(&report, &["errors"]), 0, "{report:#}");
    assert_eq!(count(&report, &["requests"]), answered);
    // The embedded sample: 5 of its 7 requests are allowed by the quickstart policy, the other
    // two get no opinion; each task walks the list in order, so the shares hold to within one
    // request per task.
    let allow = count(&report, &["decisions", "allow"]);
    let no_opinion = count(&report, &["decisions", "noOpinion"]);
    assert_eq!(allow + no_opinion, answered, "{report:#}");
    assert!(
        (allow as f64 - answered as f64 * 5.0 / 7.0).abs() <= 8.0,
        "{report:#}"
    );
    let latency = &report["latencyMicroseconds"];
    let ordered = ["min", "p50", "p90", "p99", "p999", "max"]
        .windows(2)
        .all(|w| latency[w[0]].as_f64() <= latency[w[1]].as_f64());
    assert!(
        ordered && latency["min"].as_f64() > Some(0.0),
        "{latency:#}"
    );
}

#[test]
fn an_open_loop_keeps_its_rate_through_an_apiserver_kubeconfig() {
    let (serve, dir) = start();
    let kubeconfig = dir.path().join("webhook.kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: authz\n  cluster:\n    server: {}\n    certificate-authority: {}\nusers:\n- name: apiserver\n  user: {{}}\ncontexts:\n- name: authz\n  context: {{cluster: authz, user: apiserver}}\ncurrent-context: authz\n",
            url(&serve),
            Path::new(dir.path()).join("authz-chain-ca.crt").display()
        ),
    )
    .expect("kubeconfig");
    let (status, report) = loadgen(&[
        OsStr::new("--kubeconfig"),
        kubeconfig.as_os_str(),
        OsStr::new("--rate"),
        OsStr::new("300"),
        OsStr::new("--concurrency"),
        OsStr::new("4"),
        OsStr::new("--duration"),
        OsStr::new("1s"),
        OsStr::new("--review-version"),
        OsStr::new("v1beta1"),
    ]);
    assert_eq!(status, Some(0), "{report:#}");
    assert_eq!(report["mode"], "open");
    // 300 per second for one second: each of the 4 tasks is due 75 times.
    let answered = count(&report, &["answered"]);
    assert!((296..=304).contains(&answered), "{report:#}");
    assert!(count(&report, &["decisions", "allow"]) > 0, "{report:#}");
}

#[test]
fn failed_requests_are_counted_sampled_and_set_the_exit_status() {
    let (serve, _dir) = start();
    let other = tempfile::tempdir().expect("tempdir");
    // Another self-signed CA (same name, other key) did not sign the server's certificate:
    // every connection is refused.
    let _unrelated = Serve::start([OsStr::new("--cert-dir"), other.path().as_os_str()]);
    let wrong_ca = other.path().join("authz-chain-ca.crt");
    let (status, report) = loadgen(&[
        OsStr::new("--url"),
        OsStr::new(&url(&serve)),
        OsStr::new("--ca"),
        wrong_ca.as_os_str(),
        OsStr::new("--concurrency"),
        OsStr::new("2"),
        OsStr::new("--duration"),
        OsStr::new("300ms"),
    ]);
    assert_eq!(status, Some(3), "{report:#}");
    assert_eq!(count(&report, &["answered"]), 0);
    assert!(count(&report, &["errors"]) > 0);
    assert!(report["latencyMicroseconds"].is_null());
    let samples = report["errorSamples"].to_string();
    assert!(samples.contains("invalid peer certificate"), "{samples}");
}

#[test]
fn bad_requests_are_refused_before_sending() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("requests.jsonl");
    std::fs::write(
        &file,
        r#"{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"a","resourceAttributes":{"verb":"get"},"nonResourceAttributes":{"path":"/x","verb":"get"}}}"#,
    )
    .expect("write");
    let output = binary()
        .args([
            "loadgen",
            "--url",
            "https://127.0.0.1:1/authorize",
            "--insecure",
        ])
        .arg("--requests")
        .arg(&file)
        .output()
        .expect("run loadgen");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("document 1") && stderr.contains("nonResourceAttributes"),
        "{stderr}"
    );
}
