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
    // two get no opinion; the tasks take the list in order between them, so the counted requests
    // are consecutive ones but for at most one per task at either end, and the shares hold to
    // within that.
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

#[test]
fn every_request_sent_is_the_next_of_the_file_whatever_the_concurrency() {
    // 1,000 reviews, each from its own user; `serve` logs every decision with its user at debug
    // level, so the server's log says which requests of the file arrived and how often.
    let dir = tempfile::tempdir().expect("tempdir");
    let users = 1000;
    let file = dir.path().join("requests.jsonl");
    let lines: String = (0..users)
        .map(|i| {
            format!(
                "{{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SubjectAccessReview\",\"spec\":{{\"user\":\"user-{i}\",\"groups\":[\"system:authenticated\"],\"resourceAttributes\":{{\"namespace\":\"ns-{i}\",\"verb\":\"get\",\"resource\":\"pods\",\"name\":\"pod-{i}\"}}}}}}\n"
            )
        })
        .collect();
    std::fs::write(&file, lines).expect("requests");
    let serve = Serve::start([
        OsStr::new("--cert-dir"),
        dir.path().as_os_str(),
        OsStr::new("--log-level"),
        OsStr::new("warn,authz_chain=debug"),
    ]);
    let ca = dir.path().join("authz-chain-ca.crt");
    // About 2,400 requests (1.2 s at 2,000/s, warm-up included) from 16 tasks: the file goes
    // round a bit more than twice. Each task walking the file from its own offset would have
    // sent users 0 to about 165 only, each some 15 times.
    let (status, report) = loadgen(&[
        OsStr::new("--url"),
        OsStr::new(&url(&serve)),
        OsStr::new("--ca"),
        ca.as_os_str(),
        OsStr::new("--requests"),
        file.as_os_str(),
        OsStr::new("--rate"),
        OsStr::new("2000"),
        OsStr::new("--concurrency"),
        OsStr::new("16"),
        OsStr::new("--duration"),
        OsStr::new("1s"),
    ]);
    assert_eq!(status, Some(0), "{report:#}");
    let counted = count(&report, &["requests"]);
    // Every request was answered before loadgen exited, so its decision line was written; wait
    // until the reader of the server's stderr has caught up.
    let decided_users = || -> Vec<String> {
        serve
            .log()
            .iter()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|entry| entry["fields"]["message"] == "decision")
            .filter_map(|entry| entry["fields"]["user"].as_str().map(str::to_owned))
            .collect()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut seen = decided_users();
    loop {
        std::thread::sleep(std::time::Duration::from_millis(200));
        let now = decided_users();
        if (now.len() == seen.len() && now.len() as u64 >= counted)
            || std::time::Instant::now() > deadline
        {
            seen = now;
            break;
        }
        seen = now;
    }
    let sent = seen.len();
    assert!(
        sent as u64 >= counted && sent > 2 * users,
        "{sent} decisions logged for {counted} counted requests"
    );
    let mut per_user = std::collections::HashMap::<&str, usize>::new();
    for user in &seen {
        *per_user.entry(user.as_str()).or_default() += 1;
    }
    // Indexes 0, 1, 2, ... taken once each: every user of the file arrived, and as often as any
    // other give or take one (the first `sent % users` users once more).
    assert_eq!(per_user.len(), users, "distinct users of {sent} requests");
    let (fewest, most) = (
        per_user.values().min().copied().unwrap_or(0),
        per_user.values().max().copied().unwrap_or(0),
    );
    assert_eq!(
        (fewest, most),
        (sent / users, sent.div_ceil(users)),
        "{sent} requests over {users} users"
    );
}

/// `--sweep` makes one open-loop run per rate and prints them as one sweep; `--plot` draws this
/// sweep and another target's (`--plot-with`) into one SVG.
#[test]
fn a_sweep_runs_each_rate_and_plots_beside_another_target() {
    let (serve, dir) = start();
    let (url, ca) = (url(&serve), dir.path().join("authz-chain-ca.crt"));
    let common = |label: &'static str| {
        vec![
            OsStr::new("--url").to_owned(),
            OsStr::new(&url).to_owned(),
            OsStr::new("--ca").to_owned(),
            ca.as_os_str().to_owned(),
            OsStr::new("--duration").to_owned(),
            OsStr::new("1s").to_owned(),
            OsStr::new("--label").to_owned(),
            OsStr::new(label).to_owned(),
        ]
    };
    let mut first = common("first");
    first.extend(["--sweep", "50,150"].map(|s| OsStr::new(s).to_owned()));
    let args: Vec<&OsStr> = first.iter().map(|s| s.as_os_str()).collect();
    let (status, sweep) = loadgen(&args);
    assert_eq!(status, Some(0), "{sweep:#}");
    assert_eq!(sweep["label"], "first");
    let runs = sweep["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 2);
    for (run, rate) in runs.iter().zip([50.0, 150.0]) {
        assert_eq!(run["mode"], "open");
        assert_eq!(run["rate"].as_f64(), Some(rate));
        let answered = count(run, &["answered"]) as f64;
        assert!((answered - rate).abs() <= rate * 0.2 + 2.0, "{run:#}");
        assert!(
            run["latencyMicroseconds"]["p99"]
                .as_f64()
                .is_some_and(|p| p > 0.0)
        );
    }
    let earlier = dir.path().join("first.json");
    std::fs::write(&earlier, sweep.to_string()).expect("write");
    let svg = dir.path().join("plot.svg");
    let mut second = common("second");
    second.extend(["--sweep", "100"].map(|s| OsStr::new(s).to_owned()));
    second.extend([OsStr::new("--plot").to_owned(), svg.as_os_str().to_owned()]);
    second.extend([
        OsStr::new("--plot-with").to_owned(),
        earlier.as_os_str().to_owned(),
    ]);
    let args: Vec<&OsStr> = second.iter().map(|s| s.as_os_str()).collect();
    let (status, _) = loadgen(&args);
    assert_eq!(status, Some(0));
    let drawn = std::fs::read_to_string(&svg).expect("the plot");
    assert!(drawn.starts_with("<svg"), "{drawn}");
    for label in [
        "first p50",
        "first p99.9",
        "second p99",
        "answers per second",
    ] {
        assert!(drawn.contains(label), "{label} missing");
    }
    // Three points of each percentile line: two from the first sweep, one from the second.
    assert_eq!(drawn.matches("<circle").count(), 3 * 3);
}
