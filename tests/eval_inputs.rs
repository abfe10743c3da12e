//! `authz-chain eval` reads SubjectAccessReviews as JSON lines, one JSON document or YAML
//! documents, from a file or stdin, and prints one response per line in the request's version.

mod common;

use common::*;
use serde_json::Value;

fn answers(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

const ALICE_V1: &str = r#"{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"resourceAttributes":{"namespace":"team-a","verb":"get","resource":"pods"},"user":"alice","groups":["team-a"]}}"#;

#[test]
fn json_lines_from_stdin() {
    let input = format!(
        "{ALICE_V1}\n\n{}\n",
        ALICE_V1.replace("team-a\",\"verb", "team-b\",\"verb")
    );
    let output = run_with_stdin(&["eval"], &input);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answers = answers(&output.stdout);
    assert_eq!(answers.len(), 2);
    assert_eq!(answers[0]["status"]["allowed"], true);
    assert_eq!(answers[1]["status"]["allowed"], false);
}

#[test]
fn one_pretty_json_document_from_a_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pretty =
        serde_json::to_string_pretty(&serde_json::from_str::<Value>(ALICE_V1).expect("json"))
            .expect("pretty");
    let file = write_file(dir.path(), "sar.json", &pretty);
    let output = binary()
        .args(["eval", file.to_str().expect("utf-8")])
        .output()
        .expect("run");
    assert!(output.status.success());
    let answers = answers(&output.stdout);
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0]["apiVersion"], "authorization.k8s.io/v1");
    assert_eq!(answers[0]["status"]["allowed"], true);
}

#[test]
fn yaml_documents_in_v1beta1() {
    let yaml = "apiVersion: authorization.k8s.io/v1beta1\nkind: SubjectAccessReview\nspec:\n  nonResourceAttributes: {path: /healthz, verb: get}\n  user: carol\n  group: [system:authenticated]\n---\napiVersion: authorization.k8s.io/v1beta1\nkind: SubjectAccessReview\nspec:\n  nonResourceAttributes: {path: /secret, verb: get}\n  user: carol\n  group: [system:authenticated]\n";
    let output = run_with_stdin(&["eval", "-"], yaml);
    assert!(output.status.success());
    let answers = answers(&output.stdout);
    assert_eq!(answers.len(), 2);
    assert_eq!(answers[0]["apiVersion"], "authorization.k8s.io/v1beta1");
    assert_eq!(answers[0]["spec"]["group"][0], "system:authenticated");
    assert_eq!(answers[0]["status"]["allowed"], true);
    assert_eq!(answers[1]["status"]["allowed"], false);
}

#[test]
fn an_invalid_review_gets_a_status_line_and_exit_1() {
    let input = format!(
        "{ALICE_V1}\n{{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SubjectAccessReview\",\"spec\":{{\"user\":\"x\"}}}}\n{ALICE_V1}\n"
    );
    let output = run_with_stdin(&["eval"], &input);
    assert_eq!(output.status.code(), Some(1));
    let answers = answers(&output.stdout);
    assert_eq!(answers.len(), 3, "every document answered, in order");
    assert_eq!(answers[1]["kind"], "Status");
    assert_eq!(answers[1]["code"], 422);
    assert_eq!(answers[2]["status"]["allowed"], true);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("document 2: SubjectAccessReview.authorization.k8s.io \"\" is invalid: spec.resourceAttributes"), "{stderr}");
}

#[test]
fn superuser_group_flag() {
    let masters = r#"{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"nonResourceAttributes":{"path":"/x","verb":"get"},"user":"u","groups":["system:masters","ops"]}}"#;
    let default = answers(&run_with_stdin(&["eval"], masters).stdout);
    assert_eq!(default[0]["status"], serde_json::json!({"allowed": true}));
    let ops = answers(&run_with_stdin(&["eval", "--superuser-group", "ops"], masters).stdout);
    assert_eq!(ops[0]["status"], serde_json::json!({"allowed": true}));
    // The quickstart also binds system:masters to cluster-admin through RBAC, so remove the
    // privileged step and check that RBAC's reason now shows.
    let none = answers(&run_with_stdin(&["eval", "--superuser-group", ""], masters).stdout);
    assert_eq!(
        none[0]["status"]["reason"],
        "RBAC: allowed by ClusterRoleBinding \"cluster-admin\" of ClusterRole \"cluster-admin\" to Group \"system:masters\""
    );
    let other = r#"{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"nonResourceAttributes":{"path":"/x","verb":"get"},"user":"u","groups":["ops"]}}"#;
    let denied = answers(&run_with_stdin(&["eval", "--superuser-group", ""], other).stdout);
    assert_eq!(denied[0]["status"], serde_json::json!({"allowed": false}));
}

#[test]
fn a_malformed_state_file_names_the_file_and_document() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_file(
        dir.path(),
        "good.yaml",
        "kind: ClusterRole\napiVersion: rbac.authorization.k8s.io/v1\nmetadata: {name: a}\n",
    );
    write_file(
        dir.path(),
        "bad.yaml",
        "kind: Role\nmetadata: {name: a}\n---\nkind: Role\nmetadata: {name: [oops\n",
    );
    let output = run_with_stdin(
        &["eval", "--state", dir.path().to_str().expect("utf-8")],
        ALICE_V1,
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("bad.yaml`, document 2"), "{stderr}");
    // Wrong shapes of known kinds are errors naming the object; unknown kinds are skipped.
    write_file(
        dir.path(),
        "bad.yaml",
        "kind: Role\napiVersion: rbac.authorization.k8s.io/v1\nmetadata: {name: r, namespace: n}\nrules: 7\n---\nkind: Widget\nmetadata: {name: w}\n",
    );
    let output = run_with_stdin(
        &["eval", "--state", dir.path().to_str().expect("utf-8")],
        ALICE_V1,
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("bad.yaml`, document 1: Role `r`"),
        "{stderr}"
    );
}
