//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The repository's copy of the ground-truth test data recorded from kube-apiserver 1.36.
pub fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(rel)
}

/// Reads a JSON-lines file.
pub fn read_jsonl(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: {e}: {l}", path.display())))
        .collect()
}

/// The built `authz-chain` binary.
pub fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_authz-chain"))
}

/// Runs `authz-chain check` on `config` and asserts it prints `ok` (`what` names it in failures).
pub fn assert_checks(config: &Path, what: &str) {
    let output = binary()
        .arg("check")
        .arg("--authorization-config")
        .arg(config)
        .output()
        .expect("run check");
    assert!(
        output.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout), "ok\n", "{what}");
}

/// Runs the binary with `args`, feeding `stdin`.
pub fn run_with_stdin(args: &[&str], stdin: &str) -> Output {
    let mut child = binary()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn authz-chain");
    let mut input = child.stdin.take().expect("stdin");
    let text = stdin.to_owned();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(text.as_bytes());
    });
    let output = child.wait_with_output().expect("wait for authz-chain");
    writer.join().expect("stdin writer");
    output
}

/// Writes `contents` to `name` in `dir` and returns the path.
pub fn write_file(dir: &Path, name: &str, contents: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write test file");
    path
}

/// An AuthorizationConfiguration with the given non-webhook types, in order.
pub fn config_with(types: &[&str]) -> String {
    let mut text = String::from(
        "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers:\n",
    );
    for t in types {
        text.push_str(&format!("- type: {t}\n  name: {}\n", t.to_lowercase()));
    }
    text
}

pub mod downstream;
pub mod https;
pub mod kube_api;
pub mod pki;
pub mod proxy;
pub mod serve;
