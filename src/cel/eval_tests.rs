//! Evaluation conformance: `testdata/cel/cases.jsonl` (expressions evaluated
//! by kube-apiserver 1.36 on varied requests), the matcher cases of upstream
//! `TestV1WebhookMatchConditions`, and unit tables of cel-go semantics.

use super::{
    CompiledCondition, MatchOutcome, Matcher, NonResourceView, RequirementView, ResourceView,
    SarView, compile_match_condition,
};
use crate::authz::selector::{
    RequirementInput, RequirementOutput, SelectorInput, field_requirements_to_api,
    field_selector_from_sar, label_requirements_to_api, label_selector_from_sar,
};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A request as kube-apiserver's webhook authorizer rebuilds it.
#[derive(Default)]
pub(super) struct Owned {
    user: String,
    uid: String,
    groups: Vec<String>,
    extra: BTreeMap<String, Vec<String>>,
    resource: Option<([String; 7], Vec<RequirementOutput>, Vec<RequirementOutput>)>,
    non_resource: Option<(String, String)>,
}

fn s(v: &Json, k: &str) -> String {
    v.get(k)
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_string()
}

fn strings(v: Option<&Json>) -> Vec<String> {
    v.and_then(Json::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn selector(v: Option<&Json>) -> Option<SelectorInput> {
    let v = v?;
    let requirements = v.get("requirements").and_then(Json::as_array).map(|reqs| {
        reqs.iter()
            .map(|r| RequirementInput {
                key: s(r, "key"),
                operator: s(r, "operator"),
                values: strings(r.get("values")),
            })
            .collect()
    });
    Some(SelectorInput {
        raw_selector: v
            .get("rawSelector")
            .and_then(Json::as_str)
            .map(str::to_string),
        requirements,
    })
}

impl Owned {
    /// Rebuilds the posted SAR spec as the webhook authorizer would send it.
    fn from_spec(spec: &Json) -> Owned {
        let mut o = Owned {
            user: s(spec, "user"),
            uid: s(spec, "uid"),
            groups: strings(spec.get("groups")),
            ..Owned::default()
        };
        if let Some(extra) = spec.get("extra").and_then(Json::as_object) {
            for (k, v) in extra {
                o.extra.insert(k.clone(), strings(Some(v)));
            }
        }
        if let Some(ra) = spec.get("resourceAttributes") {
            let mut version = s(ra, "version");
            if version.is_empty() {
                version = "*".to_string();
            }
            let fields = [
                s(ra, "namespace"),
                s(ra, "verb"),
                s(ra, "group"),
                version,
                s(ra, "resource"),
                s(ra, "subresource"),
                s(ra, "name"),
            ];
            let field = selector(ra.get("fieldSelector"))
                .map(|sel| field_requirements_to_api(&field_selector_from_sar(&sel).0))
                .unwrap_or_default();
            let label = selector(ra.get("labelSelector"))
                .map(|sel| label_requirements_to_api(&label_selector_from_sar(&sel).0))
                .unwrap_or_default();
            o.resource = Some((fields, field, label));
        } else if let Some(nr) = spec.get("nonResourceAttributes") {
            o.non_resource = Some((s(nr, "path"), s(nr, "verb")));
        }
        o
    }

    fn requirements(reqs: &[RequirementOutput]) -> Vec<RequirementView<'_>> {
        reqs.iter()
            .map(|r| RequirementView {
                key: &r.key,
                operator: r.operator.as_str(),
                values: &r.values,
            })
            .collect()
    }

    pub(super) fn with_view<T>(&self, f: impl FnOnce(&SarView<'_>) -> T) -> T {
        let (fs, ls) = match &self.resource {
            Some((_, f, l)) => (Owned::requirements(f), Owned::requirements(l)),
            None => (Vec::new(), Vec::new()),
        };
        let view = SarView {
            user: &self.user,
            uid: &self.uid,
            groups: &self.groups,
            extra: &self.extra,
            resource: self.resource.as_ref().map(|(a, _, _)| ResourceView {
                namespace: &a[0],
                verb: &a[1],
                group: &a[2],
                version: &a[3],
                resource: &a[4],
                subresource: &a[5],
                name: &a[6],
                field_selector: &fs,
                label_selector: &ls,
            }),
            non_resource: self
                .non_resource
                .as_ref()
                .map(|(path, verb)| NonResourceView { path, verb }),
        };
        f(&view)
    }
}

fn testdata(relative: &str) -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/").to_string() + relative;
    std::fs::read_to_string(path).expect("readable test data")
}

#[test]
fn cases_jsonl_match_kube_apiserver() {
    outcomes_match("cel/cases.jsonl");
}

#[test]
fn library_cases_jsonl_match_kube_apiserver() {
    outcomes_match("cel/library-cases.jsonl");
}

/// Every row of `file` (an expression evaluated on a request) reaches
/// kube-apiserver's outcome, and an error its text.
fn outcomes_match(file: &str) {
    let text = testdata(file);
    let mut compiled: BTreeMap<String, Option<Arc<CompiledCondition>>> = BTreeMap::new();
    let (mut total, mut errors, mut exact) = (0, 0, 0);
    let mut failures = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let row: Json = serde_json::from_str(line).expect("valid JSON");
        let expr = s(&row, "expression");
        let want = s(&row, "outcome");
        let entry = compiled.entry(expr.clone()).or_insert_with(|| {
            compile_match_condition(&expr)
                .map_err(|e| failures.push(format!("{expr}: does not compile: {e}")))
                .ok()
                .map(Arc::new)
        });
        let Some(cond) = entry.clone() else {
            continue;
        };
        let request = Owned::from_spec(&row["request"]);
        let matcher = Matcher::new(vec![cond]);
        let (outcome, _) = request.with_view(|v| matcher.evaluate(v));
        total += 1;
        let got = match &outcome {
            MatchOutcome::Match => "true",
            MatchOutcome::NoMatch => "false",
            MatchOutcome::Error(_) => "error",
        };
        let id = s(&row, "id");
        if got != want {
            failures.push(format!("{id}: {expr}: want {want}, got {outcome:?}"));
            continue;
        }
        if let MatchOutcome::Error(msg) = outcome {
            errors += 1;
            let want_msg = format!(
                "cel evaluation error: expression '{expr}' resulted in error: {}",
                s(&row, "error")
            );
            if msg == want_msg {
                exact += 1;
            } else {
                failures.push(format!("{id}: message\n  want {want_msg}\n  got  {msg}"));
            }
        }
    }
    eprintln!("{file}: {total} cases, {errors} errors, {exact} error texts exact");
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The request the unit tables evaluate on: alice (uid 42, groups
/// `system:authenticated` and `dev`, extra `team: [a, b]`) getting in
/// namespace `default`.
pub(super) fn alice() -> Owned {
    attrs(
        "alice",
        "42",
        &["system:authenticated", "dev"],
        &[("team", &["a", "b"])],
        Some("default"),
        "get",
    )
}

pub(super) fn attrs(
    user: &str,
    uid: &str,
    groups: &[&str],
    extra: &[(&str, &[&str])],
    ns: Option<&str>,
    verb: &str,
) -> Owned {
    let mut o = Owned {
        user: user.to_string(),
        uid: uid.to_string(),
        groups: groups.iter().map(|g| g.to_string()).collect(),
        ..Owned::default()
    };
    for (k, v) in extra {
        o.extra
            .insert(k.to_string(), v.iter().map(|x| x.to_string()).collect());
    }
    match ns {
        Some(ns) => {
            let fields = [ns, verb, "", "*", "", "", ""].map(str::to_string);
            o.resource = Some((fields, Vec::new(), Vec::new()));
        }
        None => o.non_resource = Some((String::new(), verb.to_string())),
    }
    o
}

/// Upstream `TestV1WebhookMatchConditions` (plugin/pkg/authorizer/webhook).
#[test]
fn upstream_webhook_match_conditions() {
    let alice = attrs(
        "alice",
        "1",
        &["group1", "group2"],
        &[("key1", &["a", "b", "c"])],
        Some("kittensandponies"),
        "get",
    );
    let bob = attrs("bob", "", &[], &[], None, "get");
    let alice2 = attrs("alice2", "", &[], &[], None, "");
    let empty = attrs("", "", &[], &[], None, "");
    let ns_check = "has(request.resourceAttributes) && request.resourceAttributes.namespace == 'kittensandponies'";
    type Case<'c> = (&'c str, &'c Owned, Vec<&'c str>, Result<&'c str, &'c str>);
    // (name, request, expressions, Ok(decision) | Err(compile or eval error))
    let cases: Vec<Case<'_>> = vec![
        ("no expressions", &alice, vec![], Ok("match")),
        (
            "all match",
            &alice,
            vec![
                "request.user == 'alice'",
                "request.uid == '1'",
                "('group1' in request.groups)",
                "('key1' in request.extra)",
                "!('key2' in request.extra)",
                "('a' in request.extra['key1'])",
                "!('z' in request.extra['key1'])",
                ns_check,
            ],
            Ok("match"),
        ),
        (
            "one false",
            &alice,
            vec![
                "request.user == 'alice'",
                "request.uid == '1'",
                "('group3' in request.groups)",
                ns_check,
            ],
            Ok("nomatch"),
        ),
        (
            "compile error",
            &alice,
            vec![
                "request.user == 'alice'",
                "request.uid == '1'",
                "('group3' in request.group)",
                ns_check,
            ],
            Err(
                "matchConditions[2].expression: Invalid value: \"('group3' in request.group)\": compilation failed: ERROR: <input>:1:21: undefined field 'group'\n | ('group3' in request.group)\n | ....................^",
            ),
        ),
        (
            "uid mismatch",
            &alice,
            vec![
                "request.user == 'alice'",
                "request.uid == '2'",
                "('group1' in request.groups)",
                ns_check,
            ],
            Ok("nomatch"),
        ),
        (
            "namespace mismatch",
            &alice,
            vec![
                "request.user == 'alice'",
                "has(request.resourceAttributes) && request.resourceAttributes.namespace == 'kube-system'",
            ],
            Ok("nomatch"),
        ),
        (
            "user mismatch",
            &bob,
            vec!["request.user == 'alice'"],
            Ok("nomatch"),
        ),
        (
            "no resourceAttributes",
            &bob,
            vec!["request.user == 'bob'", ns_check],
            Ok("nomatch"),
        ),
        (
            "wrong return type",
            &bob,
            vec!["request.user"],
            Err(
                "matchConditions[0].expression: Invalid value: \"request.user\": must evaluate to bool but got string",
            ),
        ),
        (
            "eval error",
            &alice2,
            vec![
                "request.user == 'alice2'",
                "request.resourceAttributes.namespace == 'kittensandponies'",
            ],
            Err(
                "cel evaluation error: expression 'request.resourceAttributes.namespace == 'kittensandponies'' resulted in error: no such key: resourceAttributes",
            ),
        ),
        (
            "false beats error",
            &alice2,
            vec![
                "request.user != 'alice2'",
                "request.resourceAttributes.namespace == 'kittensandponies'",
            ],
            Ok("nomatch"),
        ),
        (
            "type check error",
            &bob,
            vec![
                "request.user == 'bob'",
                "request.nonResourceAttributes.verb == 2",
            ],
            Err(
                "matchConditions[1].expression: Invalid value: \"request.nonResourceAttributes.verb == 2\": compilation failed: ERROR: <input>:1:36: found no matching overload for '_==_' applied to '(string, int)'\n | request.nonResourceAttributes.verb == 2\n | ...................................^",
            ),
        ),
        (
            "nonResourceAttributes",
            &bob,
            vec![
                "request.user == 'bob'",
                "has(request.nonResourceAttributes) && request.nonResourceAttributes.verb == 'get'",
            ],
            Ok("match"),
        ),
        (
            "empty spec",
            &empty,
            vec!["request.resourceAttributes.verb == 'get'"],
            Err(
                "cel evaluation error: expression 'request.resourceAttributes.verb == 'get'' resulted in error: no such key: resourceAttributes",
            ),
        ),
    ];
    assert_eq!(cases.len(), 14);
    for (name, request, exprs, want) in cases {
        let mut conditions = Vec::new();
        let mut compile_error = None;
        for (i, e) in exprs.iter().enumerate() {
            match compile_match_condition(e) {
                Ok(c) => conditions.push(Arc::new(c)),
                Err(err) => {
                    let detail = match &err {
                        super::CompileError::Invalid { detail } => {
                            format!("Invalid value: {}: {detail}", crate::go::quote(e))
                        }
                        super::CompileError::Internal { detail } => {
                            format!("Internal error: {detail}")
                        }
                    };
                    compile_error = Some(format!("matchConditions[{i}].expression: {detail}"));
                    break;
                }
            }
        }
        let got = match compile_error {
            Some(e) => Err(e),
            None => match request
                .with_view(|v| Matcher::new(conditions).evaluate(v))
                .0
            {
                MatchOutcome::Match => Ok("match"),
                MatchOutcome::NoMatch => Ok("nomatch"),
                MatchOutcome::Error(e) => Err(e),
            },
        };
        assert_eq!(got.as_deref().map_err(String::as_str), want, "{name}");
    }
}
