//! `labels.NewRequirement` / `Requirement.String` tables from apimachinery
//! `labels/selector_test.go`, and `content/kube_test.go` label key/value tables.

use super::super::{
    LabelOperator as Op, LabelRequirement, is_qualified_name, is_valid_label_value,
    label_selector_string,
};

fn req(key: &str, operator: Op, values: &[&str]) -> LabelRequirement {
    LabelRequirement {
        key: key.to_string(),
        operator,
        values: values.iter().map(|v| v.to_string()).collect(),
    }
}

#[test]
fn requirement_constructor() {
    let cases: Vec<(String, Op, Vec<&str>, bool)> = vec![
        ("x".into(), Op::In, vec![], false),
        ("x".into(), Op::NotIn, vec![], false),
        ("x".into(), Op::In, vec!["foo"], true),
        ("x".into(), Op::NotIn, vec!["foo"], true),
        ("x".into(), Op::Exists, vec![], true),
        ("x".into(), Op::DoesNotExist, vec![], true),
        ("1foo".into(), Op::In, vec!["bar"], true),
        ("1234".into(), Op::In, vec!["bar"], true),
        ("y".into(), Op::GreaterThan, vec!["1"], true),
        ("z".into(), Op::LessThan, vec!["6"], true),
        ("foo".into(), Op::GreaterThan, vec!["bar"], false),
        ("barz".into(), Op::LessThan, vec!["blah"], false),
        ("a".repeat(254), Op::Exists, vec![], false),
    ];
    for (key, op, vals, ok) in cases {
        let vals = vals.into_iter().map(String::from).collect();
        let got = LabelRequirement::new(key.clone(), op, vals);
        assert_eq!(got.is_ok(), ok, "{key} {op}: {got:?}");
    }
}

#[test]
fn requirement_constructor_messages() {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let msg = |k: &str, op, v: &[&str]| match LabelRequirement::new(k, op, s(v)) {
        Ok(r) => panic!("{r:?}"),
        Err(e) => e.to_string(),
    };
    assert_eq!(
        msg("x", Op::In, &[]),
        "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty"
    );
    assert_eq!(
        msg("x", Op::Exists, &["a<b"]),
        "[values: Invalid value: [\"a\\u003cb\"]: values set must be empty for exists and does not exist, \
         values[0][x]: Invalid value: \"a<b\": a valid label must be an empty string or consist of alphanumeric \
         characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or \
         'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')]"
    );
    assert_eq!(
        msg("x", Op::GreaterThan, &["1", "2"]),
        "values: Invalid value: [\"1\",\"2\"]: for 'Gt', 'Lt' operators, exactly one value is required"
    );
    assert_eq!(
        msg("-x", Op::Equals, &["a", "b"]),
        "[key: Invalid value: \"-x\": name part must consist of alphanumeric characters, '-', '_' or '.', and must \
         start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for \
         validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'), values: Invalid value: [\"a\",\"b\"]: \
         exact-match compatibility requires one single value]"
    );
}

#[test]
fn to_string() {
    let new = |k: &str, op, v: &[&str]| {
        let mut v: Vec<String> = v.iter().map(|x| x.to_string()).collect();
        v.sort();
        LabelRequirement::new(k, op, v).unwrap_or_else(|e| panic!("{e}"))
    };
    let cases = vec![
        (
            vec![
                new("x", Op::In, &["abc", "def"]),
                new("y", Op::NotIn, &["jkl"]),
                new("z", Op::Exists, &[]),
            ],
            "x in (abc,def),y notin (jkl),z",
        ),
        (
            vec![
                new("x", Op::NotIn, &["abc", "def"]),
                new("y", Op::NotEquals, &["jkl"]),
                new("z", Op::DoesNotExist, &[]),
            ],
            "x notin (abc,def),y!=jkl,!z",
        ),
        (
            vec![
                new("x", Op::NotIn, &["abc"]),
                new("y", Op::In, &["jkl", "mno"]),
                new("z", Op::NotIn, &[""]),
            ],
            "x notin (abc),y in (jkl,mno),z notin ()",
        ),
        (
            vec![
                new("x", Op::Equals, &["abc"]),
                new("y", Op::DoubleEquals, &["jkl"]),
                new("z", Op::NotEquals, &["a"]),
                new("z", Op::Exists, &[]),
            ],
            "x=abc,y==jkl,z!=a,z",
        ),
        (
            vec![
                new("x", Op::GreaterThan, &["2"]),
                new("y", Op::LessThan, &["8"]),
                new("z", Op::Exists, &[]),
            ],
            "x>2,y<8,z",
        ),
    ];
    for (reqs, want) in cases {
        assert_eq!(label_selector_string(&reqs), want);
    }
    // String() sorts multiple values for display without touching the stored order.
    let unsorted = req("k", Op::In, &["b", "a"]);
    assert_eq!(unsorted.to_selector_string(), "k in (a,b)");
    assert_eq!(unsorted.values, vec!["b", "a"]);
}

#[test]
fn is_label_key_tables() {
    let ok = [
        "simple".to_string(),
        "now-with-dashes".into(),
        "1-starts-with-num".into(),
        "1234".into(),
        "simple/simple".into(),
        "now-with-dashes/simple".into(),
        "now-with-dashes/now-with-dashes".into(),
        "now.with.dots/simple".into(),
        "now-with.dashes-and.dots/simple".into(),
        "1-num.2-num/3-num".into(),
        "1234/5678".into(),
        "1.2.3.4/5678".into(),
        "Uppercase_Is_OK_123".into(),
        "example.com/Uppercase_Is_OK_123".into(),
        "requests.storage-foo".into(),
        "a".repeat(63),
        format!("{}/{}", "a".repeat(253), "b".repeat(63)),
    ];
    for k in &ok {
        assert!(
            is_qualified_name(k).is_empty(),
            "{k}: {:?}",
            is_qualified_name(k)
        );
    }
    let bad = [
        "nospecialchars%^=@".to_string(),
        "cantendwithadash-".into(),
        "-cantstartwithadash-".into(),
        "only/one/slash".into(),
        "Example.com/abc".into(),
        "example_com/abc".into(),
        "example.com/".into(),
        "/simple".into(),
        "a".repeat(64),
        format!("{}/abc", "a".repeat(254)),
    ];
    for k in &bad {
        assert!(!is_qualified_name(k).is_empty(), "{k}");
    }
    assert_eq!(
        is_qualified_name("only/one/slash"),
        vec![
            "a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end \
              with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for \
              validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and \
              '/' (e.g. 'example.com/MyName')"
        ]
    );
    assert_eq!(
        is_qualified_name("Example.com/"),
        vec![
            "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or \
             '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for \
             validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
            "name part must be non-empty",
            "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an \
             alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is \
             '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
        ]
    );
    assert_eq!(
        is_qualified_name(&format!("{}/abc", "a".repeat(254)))[0],
        "prefix part must be no more than 253 bytes"
    );
}

#[test]
fn is_label_value_tables() {
    for v in [
        "simple",
        "now-with-dashes",
        "1-starts-with-num",
        "end-with-num-1",
        "1234",
        &"a".repeat(63),
        "",
    ] {
        assert!(is_valid_label_value(v).is_empty(), "{v}");
    }
    for v in [
        "nospecialchars%^=@",
        "Tama-nui-te-rā.is.Māori.sun",
        "\\backslashes\\are\\bad",
        "-starts-with-dash",
        "ends-with-dash-",
        ".starts.with.dot",
        "ends.with.dot.",
        &"a".repeat(64),
    ] {
        assert!(!is_valid_label_value(v).is_empty(), "{v}");
    }
    assert_eq!(is_valid_label_value(&"-".repeat(64)).len(), 2);
}

#[test]
fn go_value_formatting() {
    use super::super::SelectorError;
    use crate::field::FieldError;
    use crate::go::{json_strings as go_json_strings, quote as go_quote};
    assert_eq!(
        go_quote("a\"b\\c\n\t\u{7}\u{7f}\u{1}\u{200b}\u{a0}é😀\u{e000}\u{10ffff}"),
        "\"a\\\"b\\\\c\\n\\t\\a\\x7f\\x01\\u200b\\u00a0é😀\\ue000\\U0010ffff\""
    );
    assert_eq!(go_json_strings(None), "null");
    assert_eq!(go_json_strings(Some(&[])), "[]");
    let vals = [
        "<a&b>\"\\\u{8}\u{c}\u{1f}\u{2028}é".to_string(),
        String::new(),
    ];
    assert_eq!(
        go_json_strings(Some(&vals)),
        "[\"\\u003ca\\u0026b\\u003e\\\"\\\\\\b\\f\\u001f\\u2028é\",\"\"]"
    );
    let e = |m: &str| SelectorError::LabelSyntax {
        found: m.to_string(),
        expected: "x",
    };
    // One element prints as itself (even a nested aggregate); several are flattened,
    // de-duplicated and bracketed, and a single surviving message loses its brackets.
    let nested = SelectorError::Aggregate(vec![SelectorError::Aggregate(vec![e("a"), e("b")])]);
    assert_eq!(
        nested.to_string(),
        "[found 'a', expected: x, found 'b', expected: x]"
    );
    let flat = SelectorError::Aggregate(vec![
        SelectorError::Aggregate(vec![e("a"), e("b")]),
        e("a"),
        e("c"),
    ]);
    assert_eq!(
        flat.to_string(),
        "[found 'a', expected: x, found 'b', expected: x, found 'c', expected: x]"
    );
    assert_eq!(
        SelectorError::Aggregate(vec![e("a"), e("a")]).to_string(),
        "found 'a', expected: x"
    );
    assert_eq!(SelectorError::aggregate(vec![]), None);
    let dup = FieldError::required("p", "d");
    let agg = SelectorError::from_field_errors(vec![dup.clone(), dup]);
    assert_eq!(
        agg,
        Some(SelectorError::Aggregate(vec![SelectorError::Field(
            FieldError::required("p", "d")
        )]))
    );
    assert_eq!(
        FieldError::forbidden("a.b", "no").to_string(),
        "a.b: Forbidden: no"
    );
    assert_eq!(
        FieldError::required("a.b", "").to_string(),
        "a.b: Required value"
    );
}
