//! `who-can` against the authorizers it reports on.
//!
//! The core check: over the recorded cluster of `testdata/rbac/`, for every distinct attribute set
//! of its cases and every subject (each user with its groups from the cases, and a user for every
//! User, Group and ServiceAccount subject of every binding), RBAC allows if and only if who-can
//! lists the user's name as a User, one of its groups, or the ServiceAccount whose user name it is.
//! Then the node section against the Node authorizer on `testdata/node/`, `--requests`, the text
//! and JSON forms through the real binary, and argument errors.

mod common;

use std::collections::{BTreeSet, HashSet};

use authz_chain::authorizers::node::{FeatureGates, NodeAuthorizer};
use authz_chain::authz::{Decision, Request, UserInfo};
use authz_chain::config;
use authz_chain::questions::who_can::{
    Authorities, CanIArgs, Question, parse_args, parse_request_line,
};
use authz_chain::state::{ClusterState, Sources};
use common::*;
use serde_json::{Value, json};

fn authorities(types: &[&str], state: &str, superuser: Option<&str>) -> (Authorities, Sources) {
    let config = config::load_data(config_with(types).as_bytes(), &[]).expect("config");
    let state = ClusterState::load(&testdata(state)).expect("state");
    let sources = Sources::from_state(&state).expect("sources");
    let authorities = Authorities::new(&config, &sources, superuser, FeatureGates::default());
    (authorities, sources)
}

/// The distinct questions of a cases file, each with the JSON line it came from.
fn questions(cases: &str) -> Vec<(String, Question)> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for case in read_jsonl(&testdata(cases)) {
        let line = case["request"].to_string();
        let question = parse_request_line(&line).unwrap_or_else(|e| panic!("{line}: {e}"));
        let key = serde_json::to_string(&question.spec).expect("spec");
        if seen.insert(key) {
            out.push((line, question));
        }
    }
    out
}

fn user(name: &str, groups: &[&str]) -> UserInfo {
    UserInfo {
        name: name.into(),
        groups: groups.iter().map(|g| g.to_string()).collect(),
        ..UserInfo::default()
    }
}

/// The users of the cases, and a user for each subject of each binding (also of kinds RBAC
/// ignores, and service accounts without a namespace, which must match nobody).
fn universe(cases: &str, state: &str) -> BTreeSet<(String, Vec<String>)> {
    let mut users = BTreeSet::new();
    for case in read_jsonl(&testdata(cases)) {
        let spec = &case["request"]["spec"];
        let groups = spec.get("groups").or_else(|| spec.get("group"));
        let groups: Vec<String> = groups
            .and_then(Value::as_array)
            .map(|g| {
                g.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let name = spec["user"].as_str().unwrap_or_default().to_owned();
        users.insert((name.clone(), Vec::new()));
        users.insert((name, groups));
    }
    let state = ClusterState::load(&testdata(state)).expect("state");
    let bindings = state.rbac.cluster_role_bindings.iter();
    for binding in bindings.chain(&state.rbac.role_bindings) {
        for subject in &binding.subjects {
            users.insert((subject.name.clone(), Vec::new()));
            users.insert(("who-can-test-nobody".into(), vec![subject.name.clone()]));
            let namespace = if subject.namespace.is_empty() {
                &binding.metadata.namespace
            } else {
                &subject.namespace
            };
            let sa = format!("system:serviceaccount:{namespace}:{}", subject.name);
            users.insert((sa, Vec::new()));
        }
    }
    users
}

/// Who an answer lists: user names, group names, and service accounts' user names.
#[derive(Default)]
struct Listed {
    users: HashSet<String>,
    groups: HashSet<String>,
    service_accounts: HashSet<String>,
}

impl Listed {
    fn of(answer: &Value) -> Self {
        let mut listed = Listed::default();
        let subjects = answer["subjects"].as_array().expect("subjects");
        for subject in subjects {
            let name = subject["name"].as_str().expect("name").to_owned();
            assert!(!subject["grants"].as_array().expect("grants").is_empty());
            match subject["kind"].as_str() {
                Some("User") => listed.users.insert(name),
                Some("Group") => listed.groups.insert(name),
                Some("ServiceAccount") => {
                    let namespace = subject["namespace"].as_str().expect("namespace");
                    (listed.service_accounts)
                        .insert(format!("system:serviceaccount:{namespace}:{name}"))
                }
                other => panic!("unexpected kind {other:?}"),
            };
        }
        listed
    }

    fn allows(&self, user: &UserInfo) -> bool {
        self.users.contains(&user.name)
            || self.service_accounts.contains(&user.name)
            || user.groups.iter().any(|g| self.groups.contains(g))
    }
}

#[test]
fn who_can_agrees_with_rbac_for_every_subject_and_attribute_set() {
    let (authorities, sources) = authorities(&["RBAC"], "rbac/state", None);
    let index = sources.rbac.load();
    let users = universe("rbac/cases.jsonl", "rbac/state");
    let questions = questions("rbac/cases.jsonl");
    assert!(
        questions.len() > 1000 && users.len() > 500,
        "fixture too small"
    );
    let (mut allowed, mut failures) = (0usize, Vec::new());
    for (line, question) in &questions {
        let answer = authorities.answer(question, |a| serde_json::to_value(a).expect("JSON"));
        let listed = Listed::of(&answer);
        for (name, groups) in &users {
            let groups: Vec<&str> = groups.iter().map(String::as_str).collect();
            let request = Request {
                user: user(name, &groups),
                attributes: question.request.attributes.clone(),
            };
            let rbac = index.authorize(&request).decision == Decision::Allow;
            allowed += usize::from(rbac);
            if rbac != listed.allows(&request.user) {
                failures.push(format!(
                    "{line}: user {name:?} groups {groups:?}: RBAC allows: {rbac}, listed: {}",
                    !rbac
                ));
            }
        }
    }
    assert!(
        allowed > 10_000,
        "too few allowed pairs to mean much: {allowed}"
    );
    assert!(
        failures.is_empty(),
        "{} disagreements, first ones:\n{}",
        failures.len(),
        failures[..failures.len().min(20)].join("\n")
    );
}

#[test]
fn who_can_agrees_with_the_recorded_kube_apiserver_answers() {
    // kube-apiserver allowed system:masters before RBAC; with that group as the superuser section
    // the recorded answer is: a superuser, or listed.
    let (authorities, _) = authorities(&["RBAC"], "rbac/state", Some("system:masters"));
    let mut failures = Vec::new();
    for case in read_jsonl(&testdata("rbac/cases.jsonl")) {
        if case.get("either").is_some() {
            continue;
        }
        let line = case["request"].to_string();
        let question = parse_request_line(&line).expect("question");
        let spec = &case["request"]["spec"];
        let groups: Vec<&str> = (spec.get("groups").or_else(|| spec.get("group")))
            .and_then(Value::as_array)
            .map(|g| g.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let user = user(spec["user"].as_str().unwrap_or_default(), &groups);
        let answer = authorities.answer(&question, |a| serde_json::to_value(a).expect("JSON"));
        let superuser = answer["superuserGroup"]
            .as_str()
            .is_some_and(|g| user.groups.iter().any(|u| u == g));
        let listed = superuser || Listed::of(&answer).allows(&user);
        let recorded = case["status"]["allowed"].as_bool().unwrap_or(false);
        if listed != recorded {
            failures.push(format!(
                "{}: recorded {recorded}, listed {listed}",
                case["id"]
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn node_section_agrees_with_the_node_authorizer() {
    let (authorities, sources) = authorities(&["Node", "RBAC"], "node/state", None);
    let node = NodeAuthorizer::new(sources.node.clone(), FeatureGates::default());
    let mut names: BTreeSet<String> = sources.node.read(|g| g.node_names()).into_iter().collect();
    assert!(names.len() >= 3, "graph nodes: {names:?}");
    for case in read_jsonl(&testdata("node/cases.jsonl")) {
        let user = case["request"]["spec"]["user"].as_str().unwrap_or_default();
        if let Some(name) = user.strip_prefix("system:node:") {
            names.insert(name.to_owned());
        }
    }
    names.insert("not-a-node-of-this-cluster".into());
    let (mut every, mut some, mut failures) = (0, 0, Vec::new());
    for (line, question) in questions("node/cases.jsonl") {
        let entry = authorities.nodes(&question.request).expect("a Node step");
        if entry.every_node {
            every += 1;
        } else if !entry.names.is_empty() {
            some += 1;
        }
        let mut candidates = names.clone();
        if let Some(r) = question.request.resource() {
            candidates.insert(r.name.clone());
        }
        for name in candidates.iter().filter(|n| !n.is_empty()) {
            let request = Request {
                user: user(&format!("system:node:{name}"), &["system:nodes"]),
                attributes: question.request.attributes.clone(),
            };
            let allowed = node.decide(&request).decision == Decision::Allow;
            let listed = entry.every_node || entry.names.contains(name);
            if allowed != listed {
                failures.push(format!(
                    "{line}: node {name}: allowed {allowed}, listed {listed}"
                ));
            }
        }
    }
    assert!(
        every > 10 && some > 10,
        "every node: {every}, some nodes: {some}"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn sections_follow_the_configured_chain() {
    let question = parse_args(&CanIArgs {
        positional: &["get".into(), "pods".into()],
        ..CanIArgs::default()
    })
    .expect("question");
    let answer = |types: &[&str]| {
        let (authorities, _) = authorities(types, "node/state", Some("system:masters"));
        authorities.answer(&question, |a| serde_json::to_value(a).expect("JSON"))
    };
    let keys =
        |v: &Value| -> Vec<String> { v.as_object().expect("object").keys().cloned().collect() };
    let mut want = vec![
        "missingRoles",
        "nodes",
        "request",
        "subjects",
        "superuserGroup",
    ];
    assert_eq!(keys(&answer(&["Node", "RBAC"])), want);
    assert_eq!(
        keys(&answer(&["RBAC"])),
        ["missingRoles", "request", "subjects", "superuserGroup"]
    );
    assert_eq!(
        keys(&answer(&["Node"])),
        ["nodes", "request", "superuserGroup"]
    );
    want.insert(2, "notAnalyzed");
    let with_deny = answer(&["Node", "RBAC", "AlwaysDeny"]);
    assert_eq!(keys(&with_deny), want);
    assert_eq!(
        with_deny["notAnalyzed"],
        json!([{"name": "alwaysdeny", "type": "AlwaysDeny"}])
    );
}

fn quickstart(args: &[&str], stdin: &str) -> (String, String, Option<i32>) {
    let mut all = vec!["who-can"];
    all.extend_from_slice(args);
    let output = run_with_stdin(&all, stdin);
    (
        String::from_utf8(output.stdout).expect("utf-8"),
        String::from_utf8(output.stderr).expect("utf-8"),
        output.status.code(),
    )
}

#[test]
fn text_output_on_the_quickstart() {
    let (stdout, stderr, code) = quickstart(&["get", "pods", "-n", "team-a"], "");
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        stdout,
        r#"who can get pods in namespace team-a
superuser group: system:masters (allowed before any authorizer)
RBAC: 3 subjects
  Group system:masters
    ClusterRoleBinding cluster-admin -> ClusterRole cluster-admin
      rule: verbs [*] apiGroups [*] resources [*]  (wildcard: verbs, apiGroups, resources)
  Group team-a
    RoleBinding team-a/team-a-viewers -> ClusterRole team-viewer
      rule: verbs [get list watch] apiGroups [""] resources [pods pods/log]
  ServiceAccount team-a/builder
    RoleBinding team-a/team-a-viewers -> ClusterRole team-viewer
      rule: verbs [get list watch] apiGroups [""] resources [pods pods/log]
RBAC: bindings that grant nothing, their role is missing
  RoleBinding team-a/secret-readers -> Role secret-reader: role.rbac.authorization.k8s.io "secret-reader" not found
    would apply to: User bob
"#
    );
}

#[test]
fn json_output_on_the_quickstart() {
    let (stdout, stderr, code) = quickstart(&["get", "/healthz", "-o", "json"], "");
    assert_eq!(code, Some(0), "{stderr}");
    let answer: Value = serde_json::from_str(&stdout).expect("one JSON object");
    assert_eq!(
        answer,
        json!({
            "request": {"nonResourceAttributes": {"path": "/healthz", "verb": "get"}},
            "subjects": [
                {"kind": "Group", "name": "system:authenticated", "grants": [{
                    "binding": "health-readers", "bindingNamespace": "",
                    "bindingKind": "ClusterRoleBinding",
                    "role": "health-reader", "roleKind": "ClusterRole",
                    "rule": {"verbs": ["get"], "nonResourceURLs":
                        ["/healthz", "/livez", "/readyz", "/version", "/metrics/*"]},
                    "wildcard": ["nonResourceURLs"]}]},
                {"kind": "Group", "name": "system:masters", "grants": [{
                    "binding": "cluster-admin", "bindingNamespace": "",
                    "bindingKind": "ClusterRoleBinding",
                    "role": "cluster-admin", "roleKind": "ClusterRole",
                    "rule": {"verbs": ["*"], "nonResourceURLs": ["*"]},
                    "wildcard": ["verbs", "nonResourceURLs"]}]}
            ],
            "superuserGroup": "system:masters",
            "missingRoles": []
        })
    );
}

#[test]
fn requests_answers_every_line_in_order() {
    let input = [
        // A bare spec; its user and groups are ignored.
        r#"{"resourceAttributes": {"namespace": "team-a", "verb": "get", "resource": "pods"}, "user": "nobody"}"#,
        // A whole review, v1beta1.
        r#"{"apiVersion": "authorization.k8s.io/v1beta1", "kind": "SubjectAccessReview", "spec": {"nonResourceAttributes": {"path": "/healthz", "verb": "get"}, "user": "x", "group": ["g"]}}"#,
        "",
        "not json",
        r#"{"resourceAttributes": {"verb": "create", "resource": "deployments", "group": "apps", "namespace": "team-a"}}"#,
        r#"{"resourceAttributes": {"verb": "get"}, "nonResourceAttributes": {"path": "/x", "verb": "get"}}"#,
    ]
    .join("\n");
    let (stdout, stderr, code) = quickstart(&["--requests", "-"], &input);
    assert_eq!(code, Some(1), "a bad line fails the run: {stderr}");
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(
        lines.len(),
        5,
        "one line out per non-empty line in: {stdout}"
    );
    let names = |v: &Value| -> Vec<String> {
        v["subjects"]
            .as_array()
            .expect("subjects")
            .iter()
            .map(|s| {
                format!(
                    "{} {}",
                    s["kind"].as_str().unwrap_or(""),
                    s["name"].as_str().unwrap_or("")
                )
            })
            .collect()
    };
    assert_eq!(
        lines[0]["request"]["resourceAttributes"]["resource"],
        "pods"
    );
    assert_eq!(
        names(&lines[0]),
        [
            "Group system:masters",
            "Group team-a",
            "ServiceAccount builder"
        ]
    );
    assert_eq!(
        names(&lines[1]),
        ["Group system:authenticated", "Group system:masters"]
    );
    assert!(
        lines[2]["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("malformed request: ")),
        "{}",
        lines[2]
    );
    assert_eq!(names(&lines[3]), ["User alice", "Group system:masters"]);
    assert!(
        lines[4]["error"].as_str().is_some_and(|e| e.contains(
            "spec.nonResourceAttributes: Invalid value: {\"Path\":\"/x\",\"Verb\":\"get\"}: cannot be specified in combination with resourceAttributes"
        )),
        "{}",
        lines[4]
    );
    assert!(stderr.contains("line 4: malformed request: "), "{stderr}");

    let (stdout, _, code) = quickstart(
        &["--requests", "-"],
        &input.lines().take(2).collect::<Vec<_>>().join("\n"),
    );
    assert_eq!((code, stdout.lines().count()), (Some(0), 2));
}

#[test]
fn argument_forms_and_errors() {
    let parse = |args: &[&str], namespace: Option<&str>, all: bool, sub: Option<&str>| {
        let positional: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        parse_args(&CanIArgs {
            positional: &positional,
            namespace,
            all_namespaces: all,
            subresource: sub,
        })
        .map(|q| serde_json::to_value(&q.spec).expect("JSON"))
        .map_err(|e| e.to_string())
    };
    let ok: Vec<(&str, Result<Value, String>, Value)> = vec![
        (
            "resource with group, subresource and name",
            parse(
                &["update", "Deployments.apps/scale", "web"],
                Some("prod"),
                false,
                None,
            ),
            json!({"resourceAttributes": {"namespace": "prod", "verb": "update", "group": "apps",
                "resource": "deployments", "subresource": "scale", "name": "web"}}),
        ),
        (
            "dotted group, cluster-wide",
            parse(
                &["list", "certificatesigningrequests.certificates.k8s.io"],
                None,
                false,
                None,
            ),
            json!({"resourceAttributes": {"verb": "list", "group": "certificates.k8s.io",
                "resource": "certificatesigningrequests"}}),
        ),
        (
            "-A is cluster-wide; --subresource",
            parse(&["get", "pods"], None, true, Some("log")),
            json!({"resourceAttributes": {"verb": "get", "resource": "pods", "subresource": "log"}}),
        ),
        (
            "star",
            parse(&["*", "*.*"], None, false, None),
            json!({"resourceAttributes": {"verb": "*", "group": "*", "resource": "*"}}),
        ),
        (
            "non-resource URL",
            parse(&["get", "/metrics"], None, false, None),
            json!({"nonResourceAttributes": {"path": "/metrics", "verb": "get"}}),
        ),
    ];
    for (name, got, want) in ok {
        assert_eq!(got, Ok(want), "{name}");
    }
    let errors: Vec<(&str, Result<Value, String>, &str)> = vec![
        (
            "one argument",
            parse(&["get"], None, false, None),
            "expected `VERB RESOURCE[.GROUP][/SUBRESOURCE] [NAME]` or `VERB /NON-RESOURCE/PATH`, got 1 argument(s)",
        ),
        (
            "four arguments",
            parse(&["get", "pods", "a", "b"], None, false, None),
            "expected `VERB RESOURCE[.GROUP][/SUBRESOURCE] [NAME]` or `VERB /NON-RESOURCE/PATH`, got 4 argument(s)",
        ),
        (
            "empty verb",
            parse(&["", "pods"], None, false, None),
            "the verb is empty",
        ),
        (
            "no resource",
            parse(&["get", ".apps"], None, false, None),
            "no resource in `.apps`",
        ),
        (
            "empty subresource",
            parse(&["get", "pods/"], None, false, None),
            "empty subresource in `pods/`",
        ),
        (
            "two subresources",
            parse(&["get", "pods/log"], None, false, Some("exec")),
            "two subresources: `pods/log` and --subresource `exec`",
        ),
        (
            "URL with a name",
            parse(&["get", "/healthz", "x"], None, false, None),
            "a non-resource URL has no name: `/healthz`",
        ),
        (
            "URL with a namespace",
            parse(&["get", "/healthz"], Some("a"), false, None),
            "a non-resource URL has no namespace: `/healthz`",
        ),
        (
            "empty namespace",
            parse(&["get", "pods"], Some(""), false, None),
            "`-n` needs a namespace; leave it out to ask cluster-wide",
        ),
        (
            "-n and -A",
            parse(&["get", "pods"], Some("a"), true, None),
            "`-n` and `-A` both given: ask in one namespace or cluster-wide",
        ),
    ];
    for (name, got, want) in errors {
        assert_eq!(got, Err(want.to_owned()), "{name}");
    }

    let (stdout, stderr, code) = quickstart(&["get", "/healthz", "extra"], "");
    assert_eq!((code, stdout.as_str()), (Some(1), ""));
    assert!(
        stderr.ends_with("error: a non-resource URL has no name: `/healthz`\n"),
        "{stderr}"
    );
}
