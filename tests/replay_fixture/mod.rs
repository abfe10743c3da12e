//! The made-up log and cluster state the `replay_*` tests share.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;

use serde_json::{Value, json};

use super::common::*;

pub const STATE: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader, namespace: team-a}
rules:
- {apiGroups: [""], resources: [pods, pods/log], verbs: [get, list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-pod-reader, namespace: team-a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: list-web-1}
rules:
- {apiGroups: [""], resources: [pods], verbs: [list, create], resourceNames: [web-1]}
- {nonResourceURLs: [/healthz], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: selector-user}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: list-web-1}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: sel}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: impersonator}
rules:
- {apiGroups: [""], resources: [users], verbs: [impersonate], resourceNames: [alice]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: impersonator}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: impersonator}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: imp}]
"#;

/// The same state without alice's RoleBinding and the impersonator's grant.
pub fn reduced_state() -> String {
    STATE
        .split("---")
        .filter(|doc| {
            !doc.contains("name: alice-pod-reader")
                && !doc.contains("kind: ClusterRoleBinding\nmetadata: {name: impersonator}")
        })
        .collect::<Vec<_>>()
        .join("---")
}

pub fn user(name: &str) -> Value {
    json!({"username": name, "groups": ["system:authenticated"]})
}

pub fn pods(namespace: &str, name: Option<&str>, sub: Option<&str>) -> Value {
    let mut o = json!({"resource": "pods", "namespace": namespace, "apiVersion": "v1"});
    if let Some(name) = name {
        o["name"] = name.into();
    }
    if let Some(sub) = sub {
        o["subresource"] = sub.into();
    }
    o
}

/// One event; `decision` adds the authorization annotation.
pub fn event(
    id: &str,
    stage: &str,
    user: Value,
    verb: &str,
    uri: &str,
    object: Option<Value>,
    decision: Option<&str>,
) -> Value {
    let mut e = json!({
        "level": "Metadata", "auditID": id, "stage": stage, "requestURI": uri, "verb": verb,
        "user": user, "requestReceivedTimestamp": "2026-11-26T16:48:18.000000Z",
    });
    if let Some(o) = object {
        e["objectRef"] = o;
    }
    if let Some(d) = decision {
        e["annotations"] =
            json!({"authorization.k8s.io/decision": d, "authorization.k8s.io/reason": ""});
        e["responseStatus"] = json!({"code": if d == "allow" { 200 } else { 403 }});
    }
    e
}

pub fn versioned(mut e: Value) -> Value {
    e["kind"] = "Event".into();
    e["apiVersion"] = "audit.k8s.io/v1".into();
    e
}

/// The made-up log, as JSON lines.
pub fn log() -> Vec<Value> {
    let alice = || user("alice");
    let mut impersonated = event(
        "imp-ok",
        "ResponseComplete",
        user("imp"),
        "list",
        "/api/v1/namespaces/team-a/pods",
        Some(pods("team-a", None, None)),
        Some("allow"),
    );
    impersonated["impersonatedUser"] = user("alice");
    let mut refused = event(
        "imp-refused",
        "ResponseComplete",
        user("imp2"),
        "list",
        "/api/v1/namespaces/team-a/pods",
        Some(pods("team-a", None, None)),
        None,
    );
    refused["responseStatus"] = json!({"code": 403, "message": "pods is forbidden: User \"imp2\" cannot impersonate-on:user-info:list resource \"pods\" in API group \"\" in the namespace \"team-a\""});
    vec![
        event(
            "get-1",
            "RequestReceived",
            alice(),
            "get",
            "/api/v1/namespaces/team-a/pods/web-1",
            Some(pods("team-a", Some("web-1"), None)),
            None,
        ),
        versioned(event(
            "get-1",
            "ResponseComplete",
            alice(),
            "get",
            "/api/v1/namespaces/team-a/pods/web-1",
            Some(pods("team-a", Some("web-1"), None)),
            Some("allow"),
        )),
        event(
            "secrets",
            "ResponseComplete",
            alice(),
            "list",
            "/api/v1/namespaces/team-a/secrets",
            Some(json!({"resource": "secrets", "namespace": "team-a", "apiVersion": "v1"})),
            Some("forbid"),
        ),
        event(
            "watch",
            "RequestReceived",
            alice(),
            "watch",
            "/api/v1/namespaces/team-a/pods?watch=true",
            Some(pods("team-a", None, None)),
            None,
        ),
        event(
            "watch",
            "ResponseStarted",
            alice(),
            "watch",
            "/api/v1/namespaces/team-a/pods?watch=true",
            Some(pods("team-a", None, None)),
            Some("allow"),
        ),
        event(
            "log",
            "ResponseComplete",
            alice(),
            "get",
            "/api/v1/namespaces/team-a/pods/web-1/log?tailLines=1",
            Some(pods("team-a", Some("web-1"), Some("log"))),
            Some("allow"),
        ),
        event(
            "watch",
            "ResponseComplete",
            alice(),
            "watch",
            "/api/v1/namespaces/team-a/pods?watch=true",
            Some(pods("team-a", None, None)),
            Some("allow"),
        ),
        event(
            "sel-name",
            "ResponseComplete",
            user("sel"),
            "list",
            "/api/v1/pods?fieldSelector=metadata.name%3Dweb-1&labelSelector=app+in+(web)",
            Some(json!({"resource": "pods", "apiVersion": "v1", "name": "web-1"})),
            Some("allow"),
        ),
        event(
            "sel-label",
            "ResponseComplete",
            user("sel"),
            "list",
            "/api/v1/pods?labelSelector=app%3Dweb",
            Some(json!({"resource": "pods", "apiVersion": "v1"})),
            Some("forbid"),
        ),
        event(
            "create",
            "ResponseComplete",
            user("sel"),
            "create",
            "/api/v1/namespaces/team-a/pods",
            Some(pods("team-a", Some("web-1"), None)),
            Some("forbid"),
        ),
        event(
            "healthz",
            "ResponseComplete",
            user("sel"),
            "get",
            "/healthz?verbose",
            None,
            Some("allow"),
        ),
        event(
            "readyz",
            "ResponseComplete",
            user("sel"),
            "get",
            "/readyz",
            None,
            Some("forbid"),
        ),
        impersonated,
        refused,
        event(
            "only-received",
            "RequestReceived",
            alice(),
            "get",
            "/api/v1/namespaces/team-a/pods/x",
            Some(pods("team-a", Some("x"), None)),
            None,
        ),
    ]
}

pub fn lines(events: &[Value]) -> String {
    events.iter().map(|e| format!("{e}\n")).collect()
}

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub config: String,
    pub state: String,
    pub reduced: String,
}

pub fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = |p: std::path::PathBuf| p.to_str().expect("utf-8").to_owned();
    let config = path(write_file(
        dir.path(),
        "authz.yaml",
        &config_with(&["RBAC"]),
    ));
    let state = path(write_file(dir.path(), "state.yaml", STATE));
    let reduced = path(write_file(dir.path(), "reduced.yaml", &reduced_state()));
    Fixture {
        dir,
        config,
        state,
        reduced,
    }
}

pub fn gzip(path: &Path, text: &str) {
    let file = std::fs::File::create(path).expect("create");
    let mut encoder = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
    encoder.write_all(text.as_bytes()).expect("gzip");
    encoder.finish().expect("gzip");
}

/// Runs replay with `args` (and `stdin`), returns the records by auditID, the summary and the
/// exit status.
pub fn ndjson(args: &[&str], stdin: &str) -> (Vec<Value>, Value, i32) {
    let mut all = vec!["replay", "--output", "ndjson"];
    all.extend_from_slice(args);
    let output = run_with_stdin(&all, stdin);
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    let mut records: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    let summary = records.pop().unwrap_or_else(|| {
        panic!(
            "no output; stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (records, summary, output.status.code().unwrap_or(-1))
}

pub fn by_id<'a>(records: &'a [Value], id: &str) -> &'a Value {
    records
        .iter()
        .find(|r| r["auditID"] == id)
        .unwrap_or_else(|| panic!("no record {id}"))
}
