//! Every SubjectAccessReview by a node identity recorded from a real kube-apiserver 1.36 in
//! `testdata/node/`, answered by `authz-chain eval` with a chain `[Node, RBAC]` over the recorded
//! cluster state (pods, PVs, VolumeAttachments, ResourceSlices and the bootstrap RBAC policy),
//! must get the same `allowed`, `denied`, `reason` and `evaluationError`. A case marked `either`
//! (kube-apiserver answered from graph history) accepts both answers.

mod common;

use common::*;
use serde_json::Value;

fn answers(extra_args: &[&str], cases: &[Value]) -> Vec<Value> {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_file(dir.path(), "authz.yaml", &config_with(&["Node", "RBAC"]));
    let input: String = cases
        .iter()
        .map(|c| format!("{}\n", c["request"]))
        .collect();
    let state = testdata("node/state");
    let mut args = vec![
        "eval",
        "--authorization-config",
        config.to_str().expect("utf-8 path"),
        "--state",
        state.to_str().expect("utf-8 path"),
    ];
    args.extend_from_slice(extra_args);
    args.push("-");
    let output = run_with_stdin(&args, &input);
    let stdout = String::from_utf8(output.stdout).expect("utf-8 output");
    let answers: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON answer"))
        .collect();
    assert_eq!(
        answers.len(),
        cases.len(),
        "one answer per case; stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    answers
}

#[test]
fn every_recorded_node_case_matches_kube_apiserver() {
    let cases = read_jsonl(&testdata("node/cases.jsonl"));
    assert_eq!(cases.len(), 833, "the recorded set");
    let answers = answers(&[], &cases);

    let mut failures = Vec::new();
    let mut either = 0;
    for (case, answer) in cases.iter().zip(&answers) {
        if case.get("either").and_then(Value::as_bool) == Some(true) {
            either += 1;
            continue;
        }
        let want = &case["status"];
        let got = &answer["status"];
        let field = |v: &Value, k: &str| v.get(k).cloned().unwrap_or(Value::Null);
        let bool_field = |v: &Value, k: &str| v.get(k).and_then(Value::as_bool).unwrap_or(false);
        let reason_ok = match case.get("acceptable_reasons").and_then(Value::as_array) {
            Some(reasons) => reasons.contains(&field(got, "reason")),
            None => field(got, "reason") == field(want, "reason"),
        };
        if bool_field(got, "allowed") != bool_field(want, "allowed")
            || bool_field(got, "denied") != bool_field(want, "denied")
            || field(got, "evaluationError") != field(want, "evaluationError")
            || !reason_ok
        {
            failures.push(format!("{}: want {want}, got {got}", case["id"]));
        }
    }
    assert_eq!(either, 1, "one case is marked either");
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from kube-apiserver:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// With `PodCertificateRequest` on, the recorded PodCertificateRequest cases (answered by a
/// kube-apiserver with the gate off) change as the gate says, and nothing else does.
#[test]
fn feature_gates_switch_only_their_branches() {
    let cases = read_jsonl(&testdata("node/cases.jsonl"));
    let defaults = answers(&[], &cases);
    let gated = answers(&["--feature-gates", "PodCertificateRequest=true"], &cases);
    for ((case, before), after) in cases.iter().zip(&defaults).zip(&gated) {
        let resource = &case["request"]["spec"]["resourceAttributes"];
        let is_pcr = resource["resource"] == "podcertificaterequests"
            && resource["group"] == "certificates.k8s.io";
        if !is_pcr {
            assert_eq!(before["status"], after["status"], "{}", case["id"]);
        }
    }
    let changed = cases
        .iter()
        .zip(defaults.iter().zip(&gated))
        .filter(|(_, (before, after))| before["status"] != after["status"])
        .count();
    assert!(
        changed > 0,
        "the gate changes some PodCertificateRequest answer"
    );

    let output = run_with_stdin(
        &[
            "eval",
            "--feature-gates",
            "PodCertificateRequests=true",
            "-",
        ],
        "",
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("unrecognized feature gate `PodCertificateRequests`"),
        "{stderr}"
    );
}
