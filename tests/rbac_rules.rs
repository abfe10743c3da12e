//! The RBAC authorizer rule by rule (spec section 1): binding order, subject matching, role
//! resolution errors with Kubernetes' aggregate formatting, and every reason format with Go `%q`
//! quoting.

use authz_chain::api::meta::ObjectMeta;
use authz_chain::api::rbac::{Binding, PolicyRule, Role, RoleRef, Subject};
use authz_chain::authorizers::rbac::{RbacIndex, RbacObjects};
use authz_chain::authz::{
    Attributes, Decision, NonResourceAttributes, Request, ResourceAttributes, UserInfo,
};

fn meta(namespace: &str, name: &str) -> ObjectMeta {
    ObjectMeta {
        name: name.into(),
        namespace: namespace.into(),
        ..ObjectMeta::default()
    }
}

fn rule(verbs: &[&str], resources: &[&str]) -> PolicyRule {
    PolicyRule {
        verbs: verbs.iter().map(|s| s.to_string()).collect(),
        api_groups: vec![String::new()],
        resources: resources.iter().map(|s| s.to_string()).collect(),
        ..PolicyRule::default()
    }
}

fn role(namespace: &str, name: &str, rules: Vec<PolicyRule>) -> Role {
    Role {
        metadata: meta(namespace, name),
        rules,
        aggregation_rule: None,
    }
}

fn subject(kind: &str, name: &str, namespace: &str) -> Subject {
    Subject {
        kind: kind.into(),
        name: name.into(),
        namespace: namespace.into(),
        ..Subject::default()
    }
}

fn binding(
    namespace: &str,
    name: &str,
    role_kind: &str,
    role_name: &str,
    subjects: Vec<Subject>,
) -> Binding {
    Binding {
        metadata: meta(namespace, name),
        subjects,
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".into(),
            kind: role_kind.into(),
            name: role_name.into(),
        },
    }
}

fn user(name: &str, groups: &[&str]) -> UserInfo {
    UserInfo {
        name: name.into(),
        groups: groups.iter().map(|s| s.to_string()).collect(),
        ..UserInfo::default()
    }
}

fn resource(user: UserInfo, namespace: &str, verb: &str, resource: &str) -> Request {
    Request {
        user,
        attributes: Attributes::Resource(ResourceAttributes {
            namespace: namespace.into(),
            verb: verb.into(),
            resource: resource.into(),
            version: "v1".into(),
            ..ResourceAttributes::default()
        }),
    }
}

fn path(user: UserInfo, path: &str) -> Request {
    Request {
        user,
        attributes: Attributes::NonResource(NonResourceAttributes {
            path: path.into(),
            verb: "get".into(),
        }),
    }
}

/// Decision and reason.
fn decide(index: &RbacIndex, request: &Request) -> (Decision, String) {
    let verdict = index.authorize(request);
    assert!(
        verdict.error.is_none(),
        "RBAC reports problems in the reason, never as an error"
    );
    assert_ne!(verdict.decision, Decision::Deny, "RBAC never denies");
    (verdict.decision, verdict.reason.as_str().to_owned())
}

fn fixture() -> RbacIndex {
    let pods = vec![rule(&["get", "list"], &["pods"])];
    let objects = RbacObjects {
        roles: vec![
            role("team-a", "pod-reader", pods.clone()),
            role("team-b", "pod-reader", pods.clone()),
        ],
        cluster_roles: vec![
            role("", "pod-reader", pods.clone()),
            role(
                "",
                "everything",
                vec![PolicyRule {
                    verbs: vec!["*".into()],
                    api_groups: vec!["*".into()],
                    resources: vec!["*".into()],
                    non_resource_urls: vec!["*".into()],
                    ..PolicyRule::default()
                }],
            ),
            role(
                "",
                "health",
                vec![PolicyRule {
                    verbs: vec!["get".into()],
                    non_resource_urls: vec!["/healthz".into(), "/metrics/*".into()],
                    ..PolicyRule::default()
                }],
            ),
        ],
        role_bindings: vec![
            binding(
                "team-a",
                "alice-reads",
                "Role",
                "pod-reader",
                vec![subject("User", "alice", "")],
            ),
            binding(
                "team-a",
                "sa-reads",
                "Role",
                "pod-reader",
                vec![subject("ServiceAccount", "builder", "")],
            ),
            binding(
                "team-a",
                "cross-ns-sa",
                "Role",
                "pod-reader",
                vec![subject("ServiceAccount", "deployer", "ci")],
            ),
            binding(
                "team-a",
                "cluster-role-here",
                "ClusterRole",
                "pod-reader",
                vec![subject("User", "carol", "")],
            ),
            binding(
                "team-a",
                "z-first-subject",
                "Role",
                "pod-reader",
                vec![subject("Group", "readers", ""), subject("User", "dave", "")],
            ),
            binding(
                "team-a",
                "a-second-subject",
                "Role",
                "pod-reader",
                vec![subject("User", "nobody", ""), subject("User", "dave", "")],
            ),
            binding(
                "team-b",
                "missing-role",
                "Role",
                "absent",
                vec![subject("User", "erin", "")],
            ),
            binding(
                "team-b",
                "missing-cluster-role",
                "ClusterRole",
                "absent-too",
                vec![subject("User", "erin", "")],
            ),
            binding(
                "team-b",
                "odd-kind",
                "Widget",
                "x",
                vec![subject("Group", "erin-group", "")],
            ),
            binding(
                "team-b",
                "erin-allowed",
                "Role",
                "pod-reader",
                vec![subject("User", "erin", "")],
            ),
            binding(
                "team-b",
                "same-missing-twice",
                "Role",
                "gone",
                vec![subject("User", "frank", "")],
            ),
            binding(
                "team-b",
                "same-missing-again",
                "Role",
                "gone",
                vec![subject("User", "frank", "")],
            ),
            binding(
                "team-b",
                "unrelated-missing",
                "Role",
                "other",
                vec![subject("User", "mallory", "")],
            ),
        ],
        cluster_role_bindings: vec![
            binding(
                "",
                "admins",
                "ClusterRole",
                "everything",
                vec![subject("Group", "system:masters", "")],
            ),
            binding(
                "",
                "health-for-all",
                "ClusterRole",
                "health",
                vec![subject("Group", "system:authenticated", "")],
            ),
            binding(
                "",
                "sa-without-namespace",
                "ClusterRole",
                "everything",
                vec![subject("ServiceAccount", "builder", "")],
            ),
            binding(
                "",
                "crb-to-role",
                "Role",
                "pod-reader",
                vec![subject("User", "gina", "")],
            ),
            binding(
                "",
                "star-user",
                "ClusterRole",
                "everything",
                vec![subject("User", "*", "")],
            ),
            binding(
                "",
                "lower-kind",
                "ClusterRole",
                "everything",
                vec![subject("user", "henry", "")],
            ),
            binding(
                "",
                "quoted",
                "ClusterRole",
                "health",
                vec![
                    subject("User", "we\"ird\\name\nwith été 😀 and \u{7f}", ""),
                    subject("Group", "grp\"quote", ""),
                ],
            ),
            binding(
                "",
                "needs-absent",
                "ClusterRole",
                "nope",
                vec![subject("User", "ivan", "")],
            ),
            binding(
                "",
                "sa-cluster-wide",
                "ClusterRole",
                "pod-reader",
                vec![subject("ServiceAccount", "watcher", "monitoring")],
            ),
        ],
    };
    RbacIndex::build(&objects)
}

#[test]
fn reasons_name_the_binding_role_and_subject() {
    let index = fixture();
    let cases = [
        (
            "ClusterRoleBinding to a group",
            resource(user("root", &["system:masters"]), "", "delete", "nodes"),
            "RBAC: allowed by ClusterRoleBinding \"admins\" of ClusterRole \"everything\" to Group \"system:masters\"",
        ),
        (
            "RoleBinding to a user",
            resource(user("alice", &[]), "team-a", "get", "pods"),
            "RBAC: allowed by RoleBinding \"alice-reads/team-a\" of Role \"pod-reader\" to User \"alice\"",
        ),
        (
            "ServiceAccount subject defaults to the binding's namespace; name first",
            resource(
                user("system:serviceaccount:team-a:builder", &[]),
                "team-a",
                "list",
                "pods",
            ),
            "RBAC: allowed by RoleBinding \"sa-reads/team-a\" of Role \"pod-reader\" to ServiceAccount \"builder/team-a\"",
        ),
        (
            "ServiceAccount subject in another namespace",
            resource(
                user("system:serviceaccount:ci:deployer", &[]),
                "team-a",
                "get",
                "pods",
            ),
            "RBAC: allowed by RoleBinding \"cross-ns-sa/team-a\" of Role \"pod-reader\" to ServiceAccount \"deployer/ci\"",
        ),
        (
            "ServiceAccount subject of a ClusterRoleBinding",
            resource(
                user("system:serviceaccount:monitoring:watcher", &[]),
                "anywhere",
                "list",
                "pods",
            ),
            "RBAC: allowed by ClusterRoleBinding \"sa-cluster-wide\" of ClusterRole \"pod-reader\" to ServiceAccount \"watcher/monitoring\"",
        ),
        (
            "RoleBinding to a ClusterRole grants it in that namespace",
            resource(user("carol", &[]), "team-a", "get", "pods"),
            "RBAC: allowed by RoleBinding \"cluster-role-here/team-a\" of ClusterRole \"pod-reader\" to User \"carol\"",
        ),
        (
            "the first applying subject is named, and bindings are visited in name order",
            resource(user("dave", &["readers"]), "team-a", "get", "pods"),
            "RBAC: allowed by RoleBinding \"a-second-subject/team-a\" of Role \"pod-reader\" to User \"dave\"",
        ),
        (
            "Go %q quoting of a quote, backslash, newline, non-ASCII and DEL",
            path(
                user("we\"ird\\name\nwith été 😀 and \u{7f}", &[]),
                "/healthz",
            ),
            "RBAC: allowed by ClusterRoleBinding \"quoted\" of ClusterRole \"health\" to User \"we\\\"ird\\\\name\\nwith été 😀 and \\x7f\"",
        ),
        (
            "a quoted group",
            path(user("x", &["grp\"quote"]), "/metrics/cadvisor"),
            "RBAC: allowed by ClusterRoleBinding \"quoted\" of ClusterRole \"health\" to Group \"grp\\\"quote\"",
        ),
        (
            "errors of earlier bindings are dropped when a later one allows",
            resource(user("erin", &[]), "team-b", "get", "pods"),
            "RBAC: allowed by RoleBinding \"erin-allowed/team-b\" of Role \"pod-reader\" to User \"erin\"",
        ),
    ];
    for (name, request, want) in cases {
        assert_eq!(
            decide(&index, &request),
            (Decision::Allow, want.to_owned()),
            "{name}"
        );
    }
}

#[test]
fn what_does_not_match() {
    let index = fixture();
    let none = (Decision::NoOpinion, String::new());
    let cases = [
        (
            "RoleBindings never apply to cluster-scoped requests",
            resource(user("alice", &[]), "", "get", "pods"),
        ),
        (
            "RoleBindings apply only in their namespace",
            resource(user("alice", &[]), "team-b", "get", "pods"),
        ),
        (
            "RoleBindings never grant non-resource URLs",
            path(user("alice", &[]), "/healthz"),
        ),
        (
            "a ServiceAccount subject without namespace in a ClusterRoleBinding matches nobody",
            resource(
                user("system:serviceaccount::builder", &[]),
                "",
                "get",
                "pods",
            ),
        ),
        (
            "the same in a namespace request",
            resource(
                user("system:serviceaccount:other:builder", &[]),
                "other",
                "get",
                "pods",
            ),
        ),
        (
            "`*` is not a wildcard user",
            resource(user("zed", &[]), "", "get", "pods"),
        ),
        (
            "subject kinds are case-sensitive",
            resource(user("henry", &[]), "", "get", "pods"),
        ),
        (
            "user names are case-sensitive",
            resource(user("Alice", &[]), "team-a", "get", "pods"),
        ),
        (
            "a group subject needs the group",
            resource(user("readers", &[]), "team-a", "get", "pods"),
        ),
        (
            "the verb must match",
            resource(user("alice", &[]), "team-a", "delete", "pods"),
        ),
        (
            "the non-resource path must match",
            path(user("x", &["system:authenticated"]), "/metrics"),
        ),
    ];
    for (name, request) in cases {
        assert_eq!(decide(&index, &request), none, "{name}");
    }
    assert_eq!(
        decide(
            &index,
            &path(user("x", &["system:authenticated"]), "/metrics/x")
        )
        .0,
        Decision::Allow
    );
}

#[test]
fn missing_roles_are_explained_in_the_reason() {
    let index = fixture();
    let cases = [
        (
            "a ClusterRoleBinding cannot use a Role: looked up in namespace \"\" and not found",
            resource(user("gina", &[]), "", "get", "pods"),
            "RBAC: role.rbac.authorization.k8s.io \"pod-reader\" not found",
        ),
        (
            "several errors, aggregated in binding name order",
            resource(user("erin", &["erin-group"]), "team-b", "delete", "pods"),
            "RBAC: [clusterrole.rbac.authorization.k8s.io \"absent-too\" not found, role.rbac.authorization.k8s.io \"absent\" not found, unsupported role reference kind: \"Widget\"]",
        ),
        (
            "identical errors are printed once, without brackets",
            resource(user("frank", &[]), "team-b", "get", "pods"),
            "RBAC: role.rbac.authorization.k8s.io \"gone\" not found",
        ),
        (
            "a missing ClusterRole alone",
            resource(user("ivan", &[]), "team-b", "get", "pods"),
            "RBAC: clusterrole.rbac.authorization.k8s.io \"nope\" not found",
        ),
        (
            "a missing Role and a missing ClusterRole",
            resource(user("erin", &[]), "team-b", "create", "pods"),
            "RBAC: [clusterrole.rbac.authorization.k8s.io \"absent-too\" not found, role.rbac.authorization.k8s.io \"absent\" not found]",
        ),
    ];
    for (name, request, want) in cases {
        assert_eq!(
            decide(&index, &request),
            (Decision::NoOpinion, want.to_owned()),
            "{name}"
        );
    }
    // Only bindings that apply to the user contribute errors.
    assert_eq!(
        decide(
            &index,
            &resource(user("alice", &[]), "team-b", "get", "pods")
        ),
        (Decision::NoOpinion, String::new())
    );
}

#[test]
fn a_hundred_thousand_unrelated_bindings_change_nothing() {
    let mut objects = RbacObjects::default();
    objects
        .cluster_roles
        .push(role("", "pod-reader", vec![rule(&["get"], &["pods"])]));
    for i in 0..100_000 {
        objects.role_bindings.push(binding(
            &format!("ns-{}", i % 100),
            &format!("rb-{i}"),
            "ClusterRole",
            "pod-reader",
            vec![subject("User", &format!("user-{i}"), "")],
        ));
    }
    let index = RbacIndex::build(&objects);
    assert_eq!(index.binding_count(), 100_000);
    assert_eq!(
        decide(&index, &resource(user("user-4242", &[]), "ns-42", "get", "pods")),
        (Decision::Allow, "RBAC: allowed by RoleBinding \"rb-4242/ns-42\" of ClusterRole \"pod-reader\" to User \"user-4242\"".to_owned())
    );
    assert_eq!(
        decide(
            &index,
            &resource(user("user-4242", &[]), "ns-43", "get", "pods")
        )
        .0,
        Decision::NoOpinion
    );
}
