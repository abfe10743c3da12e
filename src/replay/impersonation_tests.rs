//! Impersonation checks in kube-apiserver's order, against a table of allowed checks; the
//! expected sequences follow `testdata/wire/notes.md` ("impersonation").

use std::collections::BTreeMap;

use super::*;
use crate::authz::{NonResourceAttributes, Reason, Verdict};

fn user(name: &str, groups: &[&str]) -> UserInfo {
    UserInfo {
        name: name.into(),
        groups: groups.iter().map(|g| g.to_string()).collect(),
        ..UserInfo::default()
    }
}

/// `verb group/resource[/sub] ns/name` of a check (user name first).
fn key(request: &Request) -> String {
    match &request.attributes {
        Attributes::Resource(r) => {
            let sub = if r.subresource.is_empty() {
                String::new()
            } else {
                format!("/{}", r.subresource)
            };
            format!(
                "{} {} {}/{}{} {}/{}",
                request.user.name, r.verb, r.group, r.resource, sub, r.namespace, r.name
            )
        }
        Attributes::NonResource(n) => format!("{} {} {}", request.user.name, n.verb, n.path),
    }
}

/// Runs `authorize`, allowing the checks in `allowed`; returns the outcome's mode and every check
/// asked, in order.
fn run(imp: &Impersonation, allowed: &[&str]) -> (Option<&'static str>, Vec<String>) {
    let mut asked = Vec::new();
    let attributes = Attributes::Resource(ResourceAttributes {
        verb: "list".into(),
        version: "v1".into(),
        resource: "pods".into(),
        namespace: "team-a".into(),
        ..ResourceAttributes::default()
    });
    let mut ask = |request: &Request| {
        let k = key(request);
        let decision = if allowed.contains(&k.as_str()) {
            Decision::Allow
        } else {
            Decision::NoOpinion
        };
        asked.push(k);
        ChainVerdict {
            verdict: Verdict {
                decision,
                reason: Reason::None,
                error: None,
            },
            decided_by: None,
            stand_in: None,
        }
    };
    let outcome = authorize(imp, &attributes, &mut ask);
    assert_eq!(outcome.checks, asked.len());
    (outcome.constraint, asked)
}

fn imp(requestor: UserInfo, wanted: UserInfo) -> Impersonation {
    Impersonation {
        requestor,
        wanted,
        constraint: None,
    }
}

#[test]
fn user_info_then_legacy() {
    let i = imp(user("imp", &[]), user("bob", &["devs"]));
    let (mode, asked) = run(
        &i,
        &[
            "imp impersonate-on:user-info:list /pods team-a/",
            "imp impersonate:user-info authentication.k8s.io/users /bob",
            "imp impersonate:user-info authentication.k8s.io/groups /devs",
        ],
    );
    assert_eq!(mode, Some("impersonate:user-info"));
    assert_eq!(asked.len(), 3, "{asked:?}");

    // user-info refused at its first check: legacy asks in the core group.
    let (mode, asked) = run(
        &i,
        &[
            "imp impersonate /users /bob",
            "imp impersonate /groups /devs",
        ],
    );
    assert_eq!(mode, Some("impersonate"));
    assert_eq!(
        asked,
        [
            "imp impersonate-on:user-info:list /pods team-a/",
            "imp impersonate /users /bob",
            "imp impersonate /groups /devs",
        ]
    );

    // Nothing allowed: refused, and the first refusal is the one reported.
    let mut ask_nothing = |_: &Request| ChainVerdict {
        verdict: Verdict::no_opinion(Reason::None),
        decided_by: None,
        stand_in: None,
    };
    let outcome = authorize(
        &i,
        &Attributes::NonResource(NonResourceAttributes {
            path: "/healthz".into(),
            verb: "get".into(),
        }),
        &mut ask_nothing,
    );
    match outcome.refusal {
        Some(Refusal::Denied { check, .. }) => {
            assert_eq!(key(&check), "imp impersonate-on:user-info:get /healthz");
        }
        other => panic!("want a denied check, got {other:?}"),
    }
}

#[test]
fn service_accounts_and_nodes_use_their_own_modes() {
    let sa = imp(
        user("imp", &[]),
        user("system:serviceaccount:team-a:ci", &[]),
    );
    let (mode, asked) = run(
        &sa,
        &[
            "imp impersonate-on:serviceaccount:list /pods team-a/",
            "imp impersonate:serviceaccount authentication.k8s.io/serviceaccounts team-a/ci",
        ],
    );
    assert_eq!(mode, Some("impersonate:serviceaccount"));
    assert_eq!(asked.len(), 2);
    let (mode, asked) = run(&sa, &["imp impersonate /serviceaccounts team-a/ci"]);
    assert_eq!(mode, Some("impersonate"));
    assert_eq!(
        asked.last().map(String::as_str),
        Some("imp impersonate /serviceaccounts team-a/ci")
    );

    let node = imp(user("imp", &[]), user("system:node:n1", &[]));
    let (mode, _) = run(
        &node,
        &[
            "imp impersonate-on:arbitrary-node:list /pods team-a/",
            "imp impersonate:arbitrary-node authentication.k8s.io/nodes /n1",
        ],
    );
    assert_eq!(mode, Some("impersonate:arbitrary-node"));

    // A service account bound to node n1 impersonating that node: name `*`, extra keys only.
    let mut requestor = user("system:serviceaccount:kube-system:agent", &[]);
    requestor.extra = BTreeMap::from([
        (NODE_NAME_KEY.to_owned(), vec!["n1".to_owned()]),
        (
            "authentication.kubernetes.io/pod-name".to_owned(),
            vec!["p".to_owned()],
        ),
    ]);
    let associated = imp(requestor, user("system:node:n1", &[]));
    let mut seen_extra = Vec::new();
    let mut ask = |request: &Request| {
        seen_extra.push(request.user.extra.clone());
        let allowed = key(request).contains("associated-node");
        ChainVerdict {
            verdict: if allowed {
                Verdict::allow(Reason::None)
            } else {
                Verdict::no_opinion(Reason::None)
            },
            decided_by: None,
            stand_in: None,
        }
    };
    let attributes = Attributes::NonResource(NonResourceAttributes {
        path: "/x".into(),
        verb: "get".into(),
    });
    let outcome = authorize(&associated, &attributes, &mut ask);
    assert_eq!(outcome.constraint, Some("impersonate:associated-node"));
    assert_eq!(
        seen_extra[0].get(ASSOCIATED_NODE_KEYS).cloned(),
        Some(vec![
            "authentication.kubernetes.io/node-name".to_owned(),
            "authentication.kubernetes.io/pod-name".to_owned()
        ])
    );
}

#[test]
fn many_groups_ask_for_a_wildcard_and_masters_is_refused() {
    let many = imp(user("imp", &[]), user("bob", &["a", "b", "c", "d"]));
    let (mode, asked) = run(
        &many,
        &[
            "imp impersonate-on:user-info:list /pods team-a/",
            "imp impersonate:user-info authentication.k8s.io/users /bob",
            "imp impersonate:user-info authentication.k8s.io/groups /*",
        ],
    );
    assert_eq!(mode, Some("impersonate:user-info"));
    assert_eq!(asked.len(), 3);

    let masters = imp(user("imp", &[]), user("eve", &["system:masters"]));
    let (mode, asked) = run(
        &masters,
        &[
            "imp impersonate-on:user-info:list /pods team-a/",
            "imp impersonate:user-info authentication.k8s.io/users /eve",
            "imp impersonate /users /eve",
            "imp impersonate /groups /system:masters",
        ],
    );
    assert_eq!(
        mode,
        Some("impersonate"),
        "legacy allows what user-info refuses"
    );
    assert_eq!(asked.len(), 4, "no check for the refused group: {asked:?}");
}

#[test]
fn the_wanted_identity_is_recovered_from_the_log() {
    struct Case {
        name: &'static str,
        recorded: UserInfo,
        constraint: Option<&'static str>,
        wanted: Vec<&'static str>,
        other: Option<Vec<&'static str>>,
    }
    let sa_groups = [
        "system:serviceaccounts",
        "system:serviceaccounts:team-a",
        "system:authenticated",
    ];
    let cases = [
        Case {
            name: "appended group removed",
            recorded: user("frank", &["devs", "system:authenticated"]),
            constraint: Some("impersonate:user-info"),
            wanted: vec!["devs"],
            other: None,
        },
        Case {
            name: "anonymous",
            recorded: user("system:anonymous", &["system:unauthenticated"]),
            constraint: None,
            wanted: vec![],
            other: None,
        },
        Case {
            name: "service account, constrained: groups were filled in",
            recorded: user("system:serviceaccount:team-a:ci", &sa_groups),
            constraint: Some("impersonate:serviceaccount"),
            wanted: vec![],
            other: None,
        },
        Case {
            name: "service account, legacy: either reading",
            recorded: user("system:serviceaccount:team-a:ci", &sa_groups),
            constraint: None,
            wanted: vec![],
            other: Some(vec![
                "system:serviceaccounts",
                "system:serviceaccounts:team-a",
            ]),
        },
        Case {
            name: "node, arbitrary-node: groups were set by kube-apiserver",
            recorded: user("system:node:n2", &["system:nodes", "system:authenticated"]),
            constraint: Some("impersonate:arbitrary-node"),
            wanted: vec![],
            other: None,
        },
        Case {
            name: "node, legacy: groups were sent",
            recorded: user("system:node:n2", &["system:nodes", "system:authenticated"]),
            constraint: None,
            wanted: vec!["system:nodes"],
            other: None,
        },
    ];
    for case in cases {
        let (wanted, other) = wanted_user(&case.recorded, case.constraint);
        assert_eq!(wanted.groups, case.wanted, "{}", case.name);
        assert_eq!(
            other.map(|o| o.groups),
            case.other
                .map(|o| o.iter().map(|g| g.to_string()).collect()),
            "{}",
            case.name
        );
    }
}

#[test]
fn invalid_extra_is_refused_with_upstreams_messages() {
    let cases = [
        (
            "no domain prefix",
            "scopes",
            r#"impersonating an invalid key in extra is not allowed: extra.key: Invalid value: "scopes": must be a domain-prefixed path (such as "acme.io/foo")"#,
        ),
        (
            "quoted as Go's %q",
            "ticket\u{7f}",
            r#"impersonating an invalid key in extra is not allowed: extra.key: Invalid value: "ticket\x7f": must be a domain-prefixed path (such as "acme.io/foo")"#,
        ),
        (
            "upper case",
            "example.com/Ticket",
            r#"impersonating a non-lowercase key in extra is not allowed: "example.com/Ticket""#,
        ),
    ];
    for (name, key, want) in cases {
        let mut wanted = user("bob", &[]);
        wanted.extra = BTreeMap::from([(key.to_owned(), vec!["v".to_owned()])]);
        assert_eq!(invalid_extra(&wanted).as_deref(), Some(want), "{name}");
    }
}
