//! Every AuthorizationConfiguration in `testdata/validation/` gets kube-apiserver's outcome from
//! `authz-chain check`, and where the case says `compare: message`, its exact field errors (with
//! the two normalisations the folder's README describes).

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

/// Copies `testdata/validation/kubeconfigs` into `dir`, substituting `@KUBECONFIG_DIR@`, and turns
/// `symlink.kubeconfig` back into the symlink it was when recorded.
fn prepare_kubeconfigs(dir: &Path) {
    let source = testdata("validation/kubeconfigs");
    for entry in std::fs::read_dir(&source).expect("kubeconfigs") {
        let entry = entry.expect("entry");
        let target = dir.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).expect("read");
        std::fs::write(
            &target,
            text.replace("@KUBECONFIG_DIR@", dir.to_str().expect("utf-8")),
        )
        .expect("write");
    }
    let link = dir.join("symlink.kubeconfig");
    std::fs::remove_file(&link).expect("remove placeholder");
    std::os::unix::fs::symlink(dir.join("webhook.kubeconfig"), &link).expect("symlink");
    std::fs::create_dir_all(dir.join("a-directory.kubeconfig")).expect("directory kubeconfig");
}

/// The README's normalisations: the recording build listed three extra types, and CEL compile
/// errors are compared only up to `compilation failed:`.
fn normalise(line: &str) -> String {
    let line = line.replace(
        r#""ABAC", "AlwaysAllow", "AlwaysDeny", "MinimumKubeletVersion", "Node", "RBAC", "Scope", "SystemMasters", "Webhook""#,
        r#""ABAC", "AlwaysAllow", "AlwaysDeny", "Node", "RBAC", "Webhook""#,
    );
    match line.find("compilation failed:") {
        Some(at) => line[..at + "compilation failed:".len()].to_owned(),
        None => line,
    }
}

#[test]
fn every_recorded_configuration_gets_kube_apiservers_outcome() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfigs = dir.path().join("kubeconfigs");
    std::fs::create_dir_all(&kubeconfigs).expect("mkdir");
    prepare_kubeconfigs(&kubeconfigs);
    let kube_dir = kubeconfigs.to_str().expect("utf-8");

    let cases = read_jsonl(&testdata("validation/cases.jsonl"));
    assert!(cases.len() >= 39);
    let mut failures = Vec::new();
    for case in &cases {
        let id = case["id"].as_str().expect("id");
        let file = case["file"].as_str().expect("file");
        let text = std::fs::read_to_string(testdata(&format!("validation/configs/{file}")))
            .expect("config");
        let config = write_file(
            dir.path(),
            file,
            &text.replace("@KUBECONFIG_DIR@", kube_dir),
        );
        let output = binary()
            .args([
                "check",
                "--authorization-config",
                config.to_str().expect("utf-8"),
            ])
            .output()
            .expect("run check");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let valid = case["valid"].as_bool().expect("valid");
        if output.status.success() != valid {
            failures.push(format!(
                "{id}: want valid={valid}, got exit {:?}, stderr:\n{stderr}",
                output.status.code()
            ));
            continue;
        }
        if valid {
            assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "ok", "{id}");
            continue;
        }
        if case["compare"] == "message" {
            let want: Vec<String> = case["errors"]
                .as_array()
                .expect("errors")
                .iter()
                .map(|e| {
                    normalise(
                        &e.as_str()
                            .expect("error")
                            .replace("@KUBECONFIG_DIR@", kube_dir),
                    )
                })
                .collect();
            let got: Vec<String> = split_errors(&stderr).iter().map(|e| normalise(e)).collect();
            if want != got {
                failures.push(format!("{id}:\n  want {want:?}\n  got  {got:?}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Splits `check`'s output into errors: CEL compile errors span several lines (`ERROR: ...` and
/// ` | ...` continuation lines), as kube-apiserver prints them.
fn split_errors(stderr: &str) -> Vec<String> {
    let mut errors: Vec<String> = Vec::new();
    for line in stderr.lines() {
        match errors.last_mut() {
            Some(last) if line.starts_with(" |") || line.starts_with("ERROR: ") => {
                last.push('\n');
                last.push_str(line);
            }
            _ => errors.push(line.to_owned()),
        }
    }
    errors
}

#[test]
fn check_accepts_every_sample_configuration() {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("config-samples");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut checked = 0;
    for entry in walk(&samples) {
        let text = std::fs::read_to_string(&entry).expect("read");
        if !text.contains("kind: AuthorizationConfiguration")
            && !text.contains("\"AuthorizationConfiguration\"")
        {
            continue;
        }
        // Samples name kubeconfigs by absolute path through the `@SAMPLES@` placeholder.
        let config = write_file(
            dir.path(),
            &format!("sample-{checked}.yaml"),
            &text.replace("@SAMPLES@", samples.to_str().expect("utf-8")),
        );
        assert_checks(&config, &entry.display().to_string());
        checked += 1;
    }
    assert!(checked >= 2, "sample configurations not found");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            files.push(path);
        }
    }
    files
}

#[test]
fn check_prints_every_error_on_its_own_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_file(
        dir.path(),
        "bad.yaml",
        "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers:\n- type: RBAC\n  name: rbac\n- type: Webhook\n  name: Bad_Name\n  webhook:\n    timeout: 60s\n- name: x\n",
    );
    let output = binary()
        .args([
            "check",
            "--authorization-config",
            config.to_str().expect("utf-8"),
        ])
        .output()
        .expect("run check");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 6, "{stderr}");
    assert!(
        lines[0].starts_with(
            r#"authorizers[1].name: Invalid value: "Bad_Name": authorizer name is invalid"#
        ),
        "{stderr}"
    );
    assert_eq!(
        lines[1],
        r#"authorizers[1].timeout: Invalid value: "1m0s": must be > 0s and <= 30s"#
    );
    assert_eq!(
        lines[2],
        "authorizers[1].subjectAccessReviewVersion: Required value"
    );
    assert_eq!(lines[3], "authorizers[1].failurePolicy: Required value");
    assert_eq!(
        lines[4],
        "authorizers[1].connectionInfo.type: Required value"
    );
    assert_eq!(lines[5], "authorizers[2].type: Required value");
    let _: Option<Value> = None;
}
