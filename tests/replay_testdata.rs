//! `replay` against the real audit log in `testdata/audit/` (kube-apiserver 1.36, 5,219 events):
//! the events before the RoleBinding `team-a/alice-pod-reader` was deleted, replayed with the
//! state dumped before the deletion, and those after it with the final state, through
//! `[Node, RBAC]`, must agree with every recorded decision of the exact events; and the events
//! before the deletion, replayed with the final state as candidate and the earlier one as baseline,
//! must flip exactly the requests the deleted binding allowed.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;

use common::*;
use serde_json::Value;

struct Split {
    _dir: tempfile::TempDir,
    before: String,
    after: String,
    config: String,
}

/// Splits the log at the deletion's start (requests received earlier ran under the old state).
fn split() -> Split {
    let change: Value = serde_json::from_str(
        &std::fs::read_to_string(testdata("audit/mid-run-change.json")).expect("change"),
    )
    .expect("JSON");
    let cut = change["delete_started"]
        .as_str()
        .expect("delete_started")
        .to_owned();
    let file = std::fs::File::open(testdata("audit/audit.log.gz")).expect("log");
    let reader = BufReader::new(flate2::read::MultiGzDecoder::new(file));
    let (mut before, mut after) = (String::new(), String::new());
    for line in reader.lines() {
        let line = line.expect("line");
        let event: Value = serde_json::from_str(&line).expect("event");
        let received = event["requestReceivedTimestamp"]
            .as_str()
            .expect("timestamp");
        let side = if received < cut.as_str() {
            &mut before
        } else {
            &mut after
        };
        side.push_str(&line);
        side.push('\n');
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = |name: &str| dir.path().join(name).to_str().expect("utf-8").to_owned();
    std::fs::write(path("before.jsonl"), before).expect("write");
    std::fs::write(path("after.jsonl"), after).expect("write");
    let config = write_file(dir.path(), "authz.yaml", &config_with(&["Node", "RBAC"]));
    Split {
        before: path("before.jsonl"),
        after: path("after.jsonl"),
        config: config.to_str().expect("utf-8").to_owned(),
        _dir: dir,
    }
}

fn replay(args: &[&str]) -> (Vec<Value>, Value) {
    let output = binary()
        .arg("replay")
        .args(args)
        .output()
        .expect("run replay");
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    let mut lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let summary = lines.pop().expect("a summary line");
    assert_eq!(
        summary["summary"],
        true,
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    (lines, summary)
}

fn state(name: &str) -> String {
    testdata(&format!("audit/{name}"))
        .to_str()
        .expect("utf-8")
        .to_owned()
}

/// (events, agree, disagree) of a class.
fn class(summary: &Value, name: &str) -> (u64, u64, u64) {
    let c = &summary["classes"][name];
    let n = |k: &str| c[k].as_u64().unwrap_or(0);
    (n("events"), n("agree"), n("disagree"))
}

#[test]
fn every_exact_decision_agrees_with_the_log() {
    let split = split();
    // (log, state, exact, approximated, unreplayable): the counts of this recording.
    let phases = [
        (&split.before, "state-before-change", 1604, 21, 4),
        (&split.after, "state-end", 892, 13, 3),
    ];
    for (log, state_dir, exact, approximated, unreplayable) in phases {
        let st = state(state_dir);
        let (records, summary) = replay(&[
            "--authorization-config",
            &split.config,
            "--state",
            &st,
            "--output",
            "ndjson",
            log,
        ]);
        assert_eq!(summary["malformed"], 0, "{state_dir}");
        assert_eq!(class(&summary, "exact"), (exact, exact, 0), "{state_dir}");
        assert_eq!(
            class(&summary, "approximated"),
            (approximated, approximated, 0),
            "{state_dir}: the refused impersonation checks agree too"
        );
        assert_eq!(
            class(&summary, "unreplayable").0,
            unreplayable,
            "{state_dir}"
        );
        let mut disagreements = Vec::new();
        for record in &records {
            if record["class"] == "exact" && record["recorded"] != record["decision"] {
                disagreements.push(record.to_string());
            }
        }
        assert!(disagreements.is_empty(), "{state_dir}: {disagreements:#?}");
        assert_eq!(
            records.len() as u64,
            exact + approximated + unreplayable,
            "{state_dir}: one record per auditID"
        );
    }
}

#[test]
fn the_deleted_binding_is_exactly_what_would_break() {
    let split = split();
    // What the deleted binding allowed: the recorded reason names it.
    let mut allowed_by_binding = BTreeSet::new();
    let text = std::fs::read_to_string(Path::new(&split.before)).expect("before");
    for line in text.lines() {
        let event: Value = serde_json::from_str(line).expect("event");
        let reason = event["annotations"]["authorization.k8s.io/reason"]
            .as_str()
            .unwrap_or_default();
        if event["stage"] == "ResponseComplete"
            && reason.contains("RoleBinding \"alice-pod-reader/team-a\"")
        {
            allowed_by_binding.insert(event["auditID"].as_str().expect("id").to_owned());
        }
    }
    assert_eq!(allowed_by_binding.len(), 49, "the recording");

    let (end, before) = (state("state-end"), state("state-before-change"));
    let (records, summary) = replay(&[
        "--authorization-config",
        &split.config,
        "--state",
        &end,
        "--baseline-state",
        &before,
        "--output",
        "ndjson",
        &split.before,
    ]);
    let breaks: BTreeSet<String> = records
        .iter()
        .filter(|r| r["flip"] == "break")
        .map(|r| r["auditID"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(breaks, allowed_by_binding);
    let other: Vec<&Value> = records
        .iter()
        .filter(|r| !r["flip"].is_null() && r["flip"] != "break")
        .collect();
    assert!(other.is_empty(), "nothing else flips: {other:#?}");
    assert_eq!(summary["flips"]["break"], 49);
    assert_eq!(summary["flips"]["widen"], 0);
    assert_eq!(
        class(&summary, "exact").2,
        49,
        "the candidate disagrees with the log exactly there"
    );
    let baseline_disagree = summary["classes"]["exact"]["baselineDisagree"].as_u64();
    assert_eq!(
        baseline_disagree,
        Some(0),
        "the baseline agrees with the log"
    );
    for record in records.iter().filter(|r| r["flip"] == "break") {
        assert_eq!(record["user"], "alice", "{record}");
        assert_eq!(record["baseline"], "allow", "{record}");
        assert_eq!(record["decision"], "forbid", "{record}");
    }
}
