//! Every SubjectAccessReview recorded from a real kube-apiserver 1.36 in `testdata/rbac/`, answered
//! by `authz-chain eval` with a chain `[RBAC]` over the recorded cluster state, must get the same
//! `allowed`, `denied`, `reason` and `evaluationError`.

mod common;

use common::*;
use serde_json::Value;

fn check_all_cases(state_dir: &str) {
    let cases = read_jsonl(&testdata("rbac/cases.jsonl"));
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_file(dir.path(), "authz.yaml", &config_with(&["RBAC"]));
    let input: String = cases
        .iter()
        .map(|c| format!("{}\n", c["request"]))
        .collect();
    let state = testdata(state_dir);
    let output = run_with_stdin(
        &[
            "eval",
            "--authorization-config",
            config.to_str().expect("utf-8 path"),
            "--state",
            state.to_str().expect("utf-8 path"),
            "-",
        ],
        &input,
    );
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

    let mut failures = Vec::new();
    for (case, answer) in cases.iter().zip(&answers) {
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
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from kube-apiserver ({state_dir}):\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn every_recorded_rbac_case_matches_kube_apiserver() {
    check_all_cases("rbac/state");
}

#[test]
fn every_recorded_rbac_case_matches_with_file_source_aggregation() {
    check_all_cases("rbac/state-unaggregated");
}
