//! Conformance tests against kube-apiserver's recorded behaviour
//! (`testdata/cel/compile.jsonl`, `testdata/cel/cases.jsonl`,
//! `testdata/validation/cases.jsonl`) and unit tables.

use super::{CompileError, compile_match_condition};
use std::path::PathBuf;

const FIELD: &str = "authorizers[0].matchConditions[0].expression";

/// The repository's copy of the recorded kube-apiserver data.
fn testdata() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata"))
}

fn jsonl(relative: &str) -> Vec<serde_json::Value> {
    let path = testdata().join(relative);
    let text = std::fs::read_to_string(&path).expect("readable test data");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("valid JSON line"))
        .collect()
}

/// Go's `strconv.Quote` for the strings in the test data.
fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The error kube-apiserver prints for a failed compile.
fn kube_error(expression: &str, err: &CompileError) -> String {
    match err {
        CompileError::Invalid { detail } => {
            format!("{FIELD}: Invalid value: {}: {detail}", go_quote(expression))
        }
        CompileError::Internal { detail } => format!("{FIELD}: Internal error: {detail}"),
    }
}

#[test]
fn compile_jsonl_matches_kube_apiserver() {
    compile_outcomes_match("cel/compile.jsonl");
}

#[test]
fn library_compile_jsonl_matches_kube_apiserver() {
    compile_outcomes_match("cel/library-compile.jsonl");
}

/// Every row of `file` compiles, or fails with kube-apiserver's error.
fn compile_outcomes_match(file: &str) {
    let rows = jsonl(file);
    let mut failures = Vec::new();
    for row in &rows {
        let id = row["id"].as_str().unwrap_or_default();
        let expr = row["expression"].as_str().unwrap_or_default();
        let want_ok = row["compiles"].as_bool().unwrap_or_default();
        let got = compile_match_condition(expr);
        match (&got, want_ok) {
            (Ok(_), true) => {}
            (Ok(_), false) => failures.push(format!("{id}: compiled, kube rejected: {expr}")),
            (Err(e), true) => failures.push(format!("{id}: rejected ({e}), kube compiled: {expr}")),
            (Err(e), false) => {
                let want = row["error"].as_str().unwrap_or_default();
                let got = kube_error(expr, e);
                let syntax = want.contains("Syntax error:");
                let matches = if syntax {
                    let prefix = |s: &str| s.split("compilation failed:").next().map(str::to_owned);
                    got.contains("compilation failed:") && prefix(&got) == prefix(want)
                } else {
                    got == want
                };
                if !matches {
                    failures.push(format!("{id}:\n  want {want:?}\n  got  {got:?}"));
                }
            }
        }
    }
    eprintln!(
        "{file}: {}/{} match kube-apiserver",
        rows.len() - failures.len(),
        rows.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_evaluated_expression_compiles() {
    let mut seen = std::collections::BTreeSet::new();
    for row in jsonl("cel/cases.jsonl") {
        if let Some(expr) = row["expression"].as_str() {
            seen.insert(expr.to_string());
        }
    }
    assert!(seen.len() >= 100, "expected the ~105 distinct expressions");
    let failures: Vec<String> = seen
        .iter()
        .filter_map(|e| {
            compile_match_condition(e)
                .err()
                .map(|err| format!("{e}: {err}"))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn validation_cases_report_kube_apiserver_messages() {
    let rows = jsonl("validation/cases.jsonl");
    for id in [
        "c082-cel-unknown-field-usr",
        "c085-cel-non-bool-int",
        "c088-cel-unknown-selector-field",
    ] {
        let row = rows
            .iter()
            .find(|r| r["id"] == id)
            .expect("validation case present");
        let file = row["file"].as_str().unwrap_or_default();
        let config = std::fs::read_to_string(testdata().join("validation/configs").join(file))
            .expect("readable config");
        let expr = config
            .lines()
            .find_map(|l| l.trim().strip_prefix("- expression: "))
            .expect("a matchCondition expression");
        let err = compile_match_condition(expr).expect_err("kube rejected it");
        assert_eq!(
            kube_error(expr, &err),
            row["errors"][0].as_str().unwrap_or_default()
        );
    }
}

fn detail(expr: &str) -> String {
    match compile_match_condition(expr) {
        Ok(_) => "ok".to_string(),
        Err(e) => e.detail().to_string(),
    }
}

fn first_message(expr: &str) -> String {
    let d = detail(expr);
    d.strip_prefix("compilation failed: ERROR: <input>:")
        .and_then(|rest| rest.split_once(": "))
        .map(|(_, msg)| msg.lines().next().unwrap_or_default().to_string())
        .unwrap_or(d)
}

#[test]
fn unknown_fields() {
    for (expr, msg) in [
        ("request.usr == ''", "undefined field 'usr'"),
        (
            "request.resourceAttributes.labelSelector.raw == ''",
            "undefined field 'raw'",
        ),
        (
            "has(request.nonResourceAttributes.group)",
            "undefined field 'group'",
        ),
        (
            "request.?resourceAttributes.?nope.hasValue()",
            "undefined field 'nope'",
        ),
        ("request.extra.anything.size() > 0", "ok"),
    ] {
        assert_eq!(first_message(expr), msg, "{expr}");
    }
}

#[test]
fn undeclared_references() {
    for (expr, msg) in [
        (
            "foo == 1",
            "undeclared reference to 'foo' (in container '')",
        ),
        ("bar(1)", "undeclared reference to 'bar' (in container '')"),
        (
            "request.user.reverse() == ''",
            "found no matching overload for 'reverse' applied to 'string.()'",
        ),
        (
            "math.greatest(1, 2) == 2",
            "undeclared reference to 'math' (in container '')",
        ),
        (
            "cel.bind(x, 1, x == 1)",
            "undeclared reference to 'cel' (in container '')",
        ),
        (
            "now() > timestamp(0)",
            "undeclared reference to 'now' (in container '')",
        ),
        (
            "request.user.frobnicate()",
            "undeclared reference to 'frobnicate' (in container '')",
        ),
    ] {
        assert_eq!(first_message(expr), msg, "{expr}");
    }
}

#[test]
fn non_bool_results() {
    for (expr, got) in [
        ("request.user", "string"),
        ("request.groups", "list(string)"),
        ("request.extra", "map(string, list(string))"),
        (
            "request.resourceAttributes",
            "kubernetes.ResourceAttributes",
        ),
        ("request.?user", "optional_type(string)"),
        ("dyn(1)", "dyn"),
        ("duration('1s')", "google.protobuf.Duration"),
        ("type(1)", "type(int)"),
        ("null", "null_type"),
        ("[]", "list(dyn)"),
    ] {
        assert_eq!(
            detail(expr),
            format!("must evaluate to bool but got {got}"),
            "{expr}"
        );
    }
}

#[test]
fn mixed_aggregate_literals() {
    for (expr, msg) in [
        (
            "[1, 'a'].size() == 2",
            "expected type 'int' but found 'string'",
        ),
        (
            "{'a': 1, 'b': 'c'}.size() == 2",
            "expected type 'int' but found 'string'",
        ),
        (
            "[1, dyn(2)].size() == 2",
            "expected type 'int' but found 'dyn'",
        ),
        (
            "[[1], ['a']].size() == 2",
            "expected type 'list(int)' but found 'list(string)'",
        ),
        ("'%s %d'.format(['a', 1]) == ''", "ok"),
        ("[dyn(1), dyn('a')].size() == 2", "ok"),
    ] {
        assert_eq!(first_message(expr), msg, "{expr}");
    }
}

#[test]
fn presence_tests() {
    for (expr, msg) in [
        (
            "has(request.user.x)",
            "type 'string' does not support field selection",
        ),
        (
            "has(request.groups.x)",
            "type 'list(string)' does not support field selection",
        ),
        ("has(request.extra.team)", "ok"),
        (
            "has(request.resourceAttributes.fieldSelector.requirements)",
            "ok",
        ),
    ] {
        assert_eq!(first_message(expr), msg, "{expr}");
    }
}

#[test]
fn optional_chains() {
    for (expr, msg) in [
        (
            "request.?resourceAttributes.?namespace.orValue('') == 'x'",
            "ok",
        ),
        (
            "request.?resourceAttributes.namespace.orValue('') == 'x'",
            "ok",
        ),
        ("request.extra[?'team'].orValue([]).size() > 0", "ok"),
        ("request.groups[?0].hasValue()", "ok"),
        ("request.?user.optMap(u, u.size()).orValue(0) > 0", "ok"),
        ("optional.of(1).or(optional.none()).value() == 1", "ok"),
        (
            "request.?user.orValue(1) == 1",
            "found no matching overload for 'orValue' applied to 'optional_type(string).(int)'",
        ),
        (
            "request.?user == 'a'",
            "found no matching overload for '_==_' applied to '(optional_type(string), string)'",
        ),
    ] {
        assert_eq!(first_message(expr), msg, "{expr}");
    }
}

#[test]
fn two_variable_comprehension_scoping() {
    for (expr, msg) in [
        (
            "request.extra.all(k, v, k.size() > 0 && v.size() > 0)",
            "ok",
        ),
        ("request.groups.all(i, g, i >= 0 && g != '')", "ok"),
        (
            "request.groups.exists(i, g, i == 'x')",
            "found no matching overload for '_==_' applied to '(int, string)'",
        ),
        (
            "request.extra.existsOne(k, v, v == 'x')",
            "found no matching overload for '_==_' applied to '(list(string), string)'",
        ),
        ("request.extra.transformMap(k, v, v.size())['a'] == 1", "ok"),
        (
            "request.groups.transformList(i, g, i > 0, g).size() > 0",
            "ok",
        ),
        (
            "request.extra.all(k, v, true) && k == ''",
            "undeclared reference to 'k' (in container '')",
        ),
        (
            "request.groups.all(g, g != '') && g == ''",
            "undeclared reference to 'g' (in container '')",
        ),
    ] {
        assert_eq!(first_message(expr), msg, "{expr}");
    }
}

#[test]
fn error_rendering_and_locations() {
    assert_eq!(
        detail("1 == 1.0"),
        "compilation failed: ERROR: <input>:1:3: found no matching overload for '_==_' applied \
         to '(int, double)'\n | 1 == 1.0\n | ..^"
    );
    assert_eq!(
        detail("'ü' == 1"),
        "compilation failed: ERROR: <input>:1:5: found no matching overload for '_==_' applied \
         to '(string, int)'\n | 'ü' == 1\n | .．..^"
    );
    assert_eq!(
        detail("true &&\n  foo"),
        "compilation failed: ERROR: <input>:2:3: undeclared reference to 'foo' (in container \
         '')\n |   foo\n | ..^"
    );
}

#[test]
fn selector_usage_flags() {
    let flags = |e: &str| {
        compile_match_condition(e)
            .map(|c| (c.uses_field_selector, c.uses_label_selector))
            .unwrap_or((false, false))
    };
    assert_eq!(
        flags("has(request.resourceAttributes.fieldSelector)"),
        (true, false)
    );
    assert_eq!(
        flags("request.?resourceAttributes.?labelSelector.hasValue()"),
        (false, true)
    );
    assert_eq!(flags("request.user == 'fieldSelector'"), (false, false));
}

#[test]
fn program_instantiation_failures() {
    for (expr, msg) in [
        ("uint(-1) > 0u", "unsigned integer overflow"),
        (
            "int('x') > 0",
            "type conversion error from 'string' to 'int'",
        ),
        (
            "request.user.findAll('[') == []",
            "error parsing regexp: missing closing ]: `[`",
        ),
        (
            "matches(request.user, '(')",
            "error parsing regexp: missing closing ): `(`",
        ),
    ] {
        assert_eq!(
            detail(expr),
            format!("program instantiation failed: {msg}"),
            "{expr}"
        );
    }
}

#[test]
fn compiled_conditions_are_shareable() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<super::CompiledCondition>();
}

#[test]
fn cel_go_parser_limits() {
    let nested = format!("{}true{}", "(".repeat(200), ")".repeat(200));
    assert_eq!(detail(&nested), "ok");
    let huge = format!("'{}' == ''", "a".repeat(100_000));
    assert!(detail(&huge).starts_with(
        "compilation failed: ERROR: <input>:-1:0: expression code point size exceeds limit"
    ));
}

#[test]
fn malformed_input_never_panics() {
    let rows = jsonl("cel/compile.jsonl");
    for row in rows.iter().step_by(4) {
        let expr: Vec<char> = row["expression"]
            .as_str()
            .unwrap_or_default()
            .chars()
            .collect();
        for end in (0..expr.len()).step_by(3) {
            let prefix: String = expr[..end].iter().collect();
            let d = detail(&prefix);
            assert!(!d.contains("panicked"), "{prefix:?}: {d}");
        }
    }
    for pattern in [r"\", "(?", "[[:", r"\p{", r"\x{", "a{2}{3}", "((a)", r"\8"] {
        let d = detail(&format!("'a'.find({pattern:?}) == ''").replace('"', "'"));
        assert!(
            d.starts_with("compilation failed") || d.starts_with("program"),
            "{d}"
        );
    }
}
