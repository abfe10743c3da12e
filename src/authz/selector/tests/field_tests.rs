//! Tables from apimachinery `fields/selector_test.go`, plus exact error messages
//! and ordering derived from `fields/selector.go`.

use super::super::field::{split_term, split_terms};
use super::super::{
    FieldOperator, FieldRequirement, SelectorError, escape_field_value, field_selector_string,
    parse_field_selector, unescape_field_value,
};

fn freq(field: &str, operator: FieldOperator, value: &str) -> FieldRequirement {
    FieldRequirement {
        field: field.to_string(),
        operator,
        value: value.to_string(),
    }
}

#[test]
fn split_terms_table() {
    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("a", vec!["a"]),
        ("a=avalue", vec!["a=avalue"]),
        ("a=avalue,b=bvalue", vec!["a=avalue", "b=bvalue"]),
        (
            "a=avalue,b==bvalue,c!=cvalue",
            vec!["a=avalue", "b==bvalue", "c!=cvalue"],
        ),
        ("", vec![]),
        ("a=a,", vec!["a=a", ""]),
        (",a=a", vec!["", "a=a"]),
        (r"k=\,,k2=v2", vec![r"k=\,", "k2=v2"]),
        (r"k=\\,k2=v2", vec![r"k=\\", "k2=v2"]),
        (r"k=\\\,,k2=v2", vec![r"k=\\\,", "k2=v2"]),
        (r"k=\a\b\", vec![r"k=\a\b\"]),
        (r"k=\", vec![r"k=\"]),
        ("함=수,목=록", vec!["함=수", "목=록"]),
    ];
    for (selector, want) in cases {
        assert_eq!(split_terms(selector), want, "{selector:?}");
    }
}

#[test]
fn split_term_table() {
    type Split<'a> = Option<(&'a str, &'a str, &'a str)>;
    let cases: Vec<(&str, Split)> = vec![
        ("a=value", Some(("a", "=", "value"))),
        ("b==value", Some(("b", "==", "value"))),
        ("c!=value", Some(("c", "!=", "value"))),
        ("", None),
        ("a", None),
        (r"k=\,", Some(("k", "=", r"\,"))),
        (r"k=\=", Some(("k", "=", r"\="))),
        (r"k=\\\a\b\=\,\", Some(("k", "=", r"\\\a\b\=\,\"))),
        ("함=수", Some(("함", "=", "수"))),
        ("a!b=c", Some(("a!b", "=", "c"))),
        ("a=!=b", Some(("a", "=", "!=b"))),
    ];
    for (term, want) in cases {
        assert_eq!(split_term(term), want, "{term:?}");
    }
}

#[test]
fn escape_value_table() {
    let cases = [
        ("", ""),
        ("a", "a"),
        ("=", r"\="),
        (",", r"\,"),
        (r"\", r"\\"),
        (r"\=\,\", r"\\\=\\\,\\"),
    ];
    for (unescaped, escaped) in cases {
        assert_eq!(escape_field_value(unescaped), escaped);
        assert_eq!(unescape_field_value(escaped), Ok(unescaped.to_string()));
    }
    for invalid in [r"\", r"\\\", r"\a"] {
        assert!(
            matches!(
                unescape_field_value(invalid),
                Err(SelectorError::InvalidEscapeSequence(_))
            ),
            "{invalid:?}"
        );
    }
}

#[test]
fn selector_parse_good_and_bad() {
    for s in ["x=a,y=b,z=c", "", "x!=a,y=b", r"x=a||y\=b", r"x=a\=\=b"] {
        let reqs = parse_field_selector(s).unwrap_or_else(|e| panic!("{s:?}: {e}"));
        assert_eq!(field_selector_string(&reqs), s);
    }
    for s in [
        "x=a||y=b",
        "x==a==b",
        "x=a,b",
        "x in (a)",
        "x in (a,b,c)",
        "x",
    ] {
        assert!(parse_field_selector(s).is_err(), "{s:?} should fail");
    }
}

#[test]
fn deterministic_parse() {
    let a = parse_field_selector("x=a,a=x").unwrap_or_default();
    let b = parse_field_selector("a=x,x=a").unwrap_or_default();
    assert_eq!(field_selector_string(&a), field_selector_string(&b));
    assert_eq!(field_selector_string(&a), "a=x,x=a");
}

#[test]
fn identity_transform() {
    assert_eq!(parse_field_selector("").unwrap_or_default(), vec![]);
    assert_eq!(
        field_selector_string(&parse_field_selector("a=b,c=d").unwrap_or_default()),
        "a=b,c=d"
    );
    // An empty field with an empty value becomes "everything" and is dropped.
    assert_eq!(parse_field_selector("=").unwrap_or_default(), vec![]);
    assert_eq!(parse_field_selector("!=,==").unwrap_or_default(), vec![]);
    assert_eq!(
        parse_field_selector("=,a=b").unwrap_or_default(),
        vec![freq("a", FieldOperator::Equals, "b")]
    );
    assert_eq!(
        parse_field_selector("=x").unwrap_or_default(),
        vec![freq("", FieldOperator::Equals, "x")]
    );
}

#[test]
fn requirements_sorted_as_raw_terms() {
    use FieldOperator::*;
    let cases: Vec<(&str, Vec<FieldRequirement>)> = vec![
        (
            "status.phase!=Failed,metadata.name=p1",
            vec![
                freq("metadata.name", Equals, "p1"),
                freq("status.phase", NotEquals, "Failed"),
            ],
        ),
        (
            "spec.nodeName==n1",
            vec![freq("spec.nodeName", Equals, "n1")],
        ),
        ("spec.nodeName=", vec![freq("spec.nodeName", Equals, "")]),
        (
            r"metadata.name=a\,b",
            vec![freq("metadata.name", Equals, "a,b")],
        ),
        // Sorting happens on the raw terms: "a!=z" < "a=b" because '!' < '='.
        (
            "a=b,a!=z",
            vec![freq("a", NotEquals, "z"), freq("a", Equals, "b")],
        ),
        // "a.b" < "a=" because '.' < '='; duplicates are kept.
        (
            "a=1,a.b=2,a=1",
            vec![
                freq("a.b", Equals, "2"),
                freq("a", Equals, "1"),
                freq("a", Equals, "1"),
            ],
        ),
        (",,x=1,,", vec![freq("x", Equals, "1")]),
        ("notin=in", vec![freq("notin", Equals, "in")]),
        (
            r"complex=\=value\\\,\\",
            vec![freq("complex", Equals, r"=value\,\")],
        ),
        (" a = b ", vec![freq(" a ", Equals, " b ")]),
    ];
    for (input, want) in cases {
        assert_eq!(parse_field_selector(input), Ok(want), "{input:?}");
    }
}

#[test]
fn error_messages() {
    let cases = [
        ("x", "invalid selector: 'x'; can't understand 'x'"),
        ("x=a,b", "invalid selector: 'x=a,b'; can't understand 'b'"),
        (
            "x in (a)",
            "invalid selector: 'x in (a)'; can't understand 'x in (a)'",
        ),
        (
            "x in (a,b,c)",
            "invalid selector: 'x in (a,b,c)'; can't understand 'b'",
        ),
        ("&foo", "invalid selector: '&foo'; can't understand '&foo'"),
        (
            "x==a==b",
            "invalid field selector: unescaped character in value: 61",
        ),
        (
            "x=a,b=c,d",
            "invalid selector: 'x=a,b=c,d'; can't understand 'd'",
        ),
        (
            "x=a,y=1,2",
            "invalid selector: 'x=a,y=1,2'; can't understand '2'",
        ),
        (
            "x=a,y=,z",
            "invalid selector: 'x=a,y=,z'; can't understand 'z'",
        ),
        ("k=a,b", "invalid selector: 'k=a,b'; can't understand 'b'"),
        (
            r"k=\a",
            r"invalid field selector: invalid escape sequence: \a",
        ),
        (
            r"k=\",
            r"invalid field selector: invalid escape sequence: \",
        ),
        (
            r"k=a\é",
            r"invalid field selector: invalid escape sequence: \é",
        ),
        (
            "k=a=b",
            "invalid field selector: unescaped character in value: 61",
        ),
        // Sorting means the first failing term in sorted order is reported.
        (
            "z=\\q,a",
            "invalid selector: 'z=\\q,a'; can't understand 'a'",
        ),
    ];
    for (input, want) in cases {
        match parse_field_selector(input) {
            Ok(r) => panic!("{input:?}: expected error, got {r:?}"),
            Err(e) => assert_eq!(e.to_string(), want, "{input:?}"),
        }
    }
}
