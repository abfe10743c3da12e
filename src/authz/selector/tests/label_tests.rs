//! Tables from apimachinery `labels/selector_test.go` and `api/validate/content/kube_test.go`,
//! plus exact error messages derived from `labels/selector.go`.

use super::super::label::{Context, Parser};
use super::super::label_lexer::{Lexer, Token};
use super::super::{
    LabelOperator as Op, LabelRequirement, label_selector_string, parse_label_selector,
};

fn req(key: &str, operator: Op, values: &[&str]) -> LabelRequirement {
    LabelRequirement {
        key: key.to_string(),
        operator,
        values: values.iter().map(|v| v.to_string()).collect(),
    }
}

fn err_of(selector: &str) -> String {
    match parse_label_selector(selector) {
        Ok(r) => panic!("{selector:?}: expected an error, got {r:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn selector_parse_good_and_bad() {
    let good = [
        "x=a,y=b,z=c",
        "",
        "x!=a,y=b",
        "x=",
        "x= ",
        "x=,z= ",
        "x= ,z= ",
        "!x",
        "x>1",
        "x>1,z<5",
    ];
    for s in good {
        let reqs = parse_label_selector(s).unwrap_or_else(|e| panic!("{s:?}: {e}"));
        assert_eq!(label_selector_string(&reqs), s.replace(' ', ""), "{s:?}");
    }
    for s in ["x=a||y=b", "x==a==b", "!x=a", "x<a"] {
        assert!(parse_label_selector(s).is_err(), "{s:?} should fail");
    }
}

#[test]
fn deterministic_parse() {
    let a = parse_label_selector("x=a,a=x").unwrap_or_default();
    let b = parse_label_selector("a=x,x=a").unwrap_or_default();
    assert_eq!(label_selector_string(&a), label_selector_string(&b));
    assert_eq!(label_selector_string(&a), "a=x,x=a");
}

#[test]
fn lexer_single_tokens() {
    let cases = [
        ("", Token::EndOfString),
        (",", Token::Comma),
        ("notin", Token::NotIn),
        ("in", Token::In),
        ("=", Token::Equals),
        ("==", Token::DoubleEquals),
        (">", Token::GreaterThan),
        ("<", Token::LessThan),
        ("!", Token::DoesNotExist),
        ("!=", Token::NotEquals),
        ("(", Token::OpenPar),
        (")", Token::ClosedPar),
        ("~", Token::Identifier),
        ("||", Token::Identifier),
    ];
    for (s, tok) in cases {
        let item = Lexer::new(s).lex();
        assert_eq!(item.tok, tok, "{s:?}");
        assert_eq!(item.literal, s, "{s:?}");
    }
}

fn sequences() -> Vec<(&'static str, Vec<Token>)> {
    use Token::*;
    vec![
        (
            "key in ( value )",
            vec![Identifier, In, OpenPar, Identifier, ClosedPar],
        ),
        (
            "key notin ( value )",
            vec![Identifier, NotIn, OpenPar, Identifier, ClosedPar],
        ),
        (
            "key in ( value1, value2 )",
            vec![
                Identifier, In, OpenPar, Identifier, Comma, Identifier, ClosedPar,
            ],
        ),
        ("key", vec![Identifier]),
        ("!key", vec![DoesNotExist, Identifier]),
        ("()", vec![OpenPar, ClosedPar]),
        ("", vec![]),
        (
            "x in (),y",
            vec![Identifier, In, OpenPar, ClosedPar, Comma, Identifier],
        ),
        (
            "== != (), = notin",
            vec![
                DoubleEquals,
                NotEquals,
                OpenPar,
                ClosedPar,
                Comma,
                Equals,
                NotIn,
            ],
        ),
        ("key>2", vec![Identifier, GreaterThan, Identifier]),
        ("key<1", vec![Identifier, LessThan, Identifier]),
    ]
}

#[test]
fn lexer_sequences() {
    for (s, want) in sequences() {
        let mut lexer = Lexer::new(s);
        let mut got = Vec::new();
        loop {
            let item = lexer.lex();
            if item.tok == Token::EndOfString {
                break;
            }
            got.push(item.tok);
        }
        assert_eq!(got, want, "{s:?}");
    }
}

#[test]
fn parser_lookahead() {
    for (s, mut want) in sequences() {
        want.push(Token::EndOfString);
        let mut p = Parser {
            items: Lexer::new(s).scan_all(),
            position: 0,
        };
        assert_eq!(p.items.len(), want.len(), "{s:?}");
        loop {
            let ahead = p.lookahead(Context::KeyAndOperator);
            let taken = p.consume(Context::KeyAndOperator);
            if ahead.0 == Token::EndOfString {
                break;
            }
            assert_eq!(ahead, taken, "{s:?}");
        }
    }
}

#[test]
fn lexer_keeps_longest_special_symbol_and_identifier_bytes() {
    let items = Lexer::new("a===b !!c été>-1").scan_all();
    let lits: Vec<(Token, &str)> = items.iter().map(|i| (i.tok, i.literal.as_str())).collect();
    use Token::*;
    assert_eq!(
        lits,
        vec![
            (Identifier, "a"),
            (DoubleEquals, "=="),
            (Equals, "="),
            (Identifier, "b"),
            (DoesNotExist, "!"),
            (DoesNotExist, "!"),
            (Identifier, "c"),
            (Identifier, "été"),
            (GreaterThan, ">"),
            (Identifier, "-1"),
            (EndOfString, ""),
        ]
    );
}

#[test]
fn set_selector_parser() {
    use Op::*;
    let cases: Vec<(&str, Option<Vec<LabelRequirement>>)> = vec![
        ("", Some(vec![])),
        ("\rx", Some(vec![req("x", Exists, &[])])),
        (
            "this-is-a-dns.domain.com/key-with-dash",
            Some(vec![req(
                "this-is-a-dns.domain.com/key-with-dash",
                Exists,
                &[],
            )]),
        ),
        (
            "this-is-another-dns.domain.com/key-with-dash in (so,what)",
            Some(vec![req(
                "this-is-another-dns.domain.com/key-with-dash",
                In,
                &["so", "what"],
            )]),
        ),
        (
            "0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)",
            Some(vec![req(
                "0.1.2.domain/99",
                NotIn,
                &["10.10.100.1", "tick.tack.clock"],
            )]),
        ),
        ("foo  in\t (abc)", Some(vec![req("foo", In, &["abc"])])),
        ("x notin\n (abc)", Some(vec![req("x", NotIn, &["abc"])])),
        (
            "x  notin\t\t\t(abc,def)",
            Some(vec![req("x", NotIn, &["abc", "def"])]),
        ),
        ("x in (abc,def)", Some(vec![req("x", In, &["abc", "def"])])),
        ("x in (abc,)", Some(vec![req("x", In, &["", "abc"])])),
        ("x in ()", Some(vec![req("x", In, &[""])])),
        (
            "x notin (abc,,def),bar,z in (),w",
            Some(vec![
                req("bar", Exists, &[]),
                req("w", Exists, &[]),
                req("x", NotIn, &["", "abc", "def"]),
                req("z", In, &[""]),
            ]),
        ),
        (
            "x,y in (a)",
            Some(vec![req("x", Exists, &[]), req("y", In, &["a"])]),
        ),
        ("x=a", Some(vec![req("x", Equals, &["a"])])),
        ("x>1", Some(vec![req("x", GreaterThan, &["1"])])),
        ("x<7", Some(vec![req("x", LessThan, &["7"])])),
        (
            "x=a,y!=b",
            Some(vec![req("x", Equals, &["a"]), req("y", NotEquals, &["b"])]),
        ),
        (
            "x=a,y!=b,z in (h,i,j)",
            Some(vec![
                req("x", Equals, &["a"]),
                req("y", NotEquals, &["b"]),
                req("z", In, &["h", "i", "j"]),
            ]),
        ),
        ("x=a||y=b", None),
        ("x,,y", None),
        (",x,y", None),
        ("x nott in (y)", None),
        ("x notin ( )", Some(vec![req("x", NotIn, &[""])])),
        ("x notin (, a)", Some(vec![req("x", NotIn, &["", "a"])])),
        ("a in (xyz),", None),
        ("a in (xyz)b notin ()", None),
        ("a ", Some(vec![req("a", Exists, &[])])),
        (
            "a in (x,y,notin, z,in)",
            Some(vec![req("a", In, &["in", "notin", "x", "y", "z"])]),
        ),
        ("a in (xyz abc)", None),
        ("a notin(", None),
        ("a (", None),
        ("(", None),
    ];
    for (input, want) in cases {
        match (parse_label_selector(input), want) {
            (Ok(got), Some(want)) => assert_eq!(got, want, "{input:?}"),
            (Err(_), None) => {}
            (got, want) => panic!("{input:?}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn parse_error_messages() {
    let value_regex = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', \
         and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex \
         used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
    let cases = vec![
        ("x=a||y=b".to_string(), format!("unable to parse requirement: values[0][x]: Invalid value: \"a||y\": {value_regex}")),
        ("x==a==b".into(), "found '==', expected: ',' or 'end of string'".into()),
        ("!x=a".into(), "found '=', expected: ',' or 'end of string'".into()),
        ("x<a".into(), "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer".into()),
        ("x,,y".into(), "found ',', expected: identifier after ','".into()),
        (",x,y".into(), "found ',', expected: !, identifier, or 'end of string'".into()),
        ("x nott in (y)".into(), "unable to parse requirement: found 'nott', expected: in, notin, =, ==, !=, gt, lt".into()),
        ("a in (xyz),".into(), "found '', expected: identifier after ','".into()),
        ("a in (xyz)b notin ()".into(), "found 'b', expected: ',' or 'end of string'".into()),
        ("a in (xyz abc)".into(), "unable to parse requirement: found 'abc', expected: ',' or ')'".into()),
        ("a notin(".into(), "unable to parse requirement: found '', expected: ',', ')' or identifier".into()),
        ("a in x".into(), "unable to parse requirement: found 'x' expected: '('".into()),
        ("a in (=)".into(), "unable to parse requirement: found '=', expected: ',', ')' or identifier".into()),
        ("a in (,=)".into(), "unable to parse requirement: found '=', expected: ',', or identifier".into()),
        ("a=(".into(), "unable to parse requirement: found '(', expected: identifier".into()),
        ("!".into(), "unable to parse requirement: found '', expected: identifier".into()),
        ("a (".into(), "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt".into()),
        ("(".into(), "found '(', expected: !, identifier, or 'end of string'".into()),
        ("app in".into(), "unable to parse requirement: found '' expected: '('".into()),
        ("a\0b".into(), "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt".into()),
        (
            "&foo".into(),
            "unable to parse requirement: <nil>: Invalid value: \"&foo\": name part must consist of alphanumeric \
             characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or \
             'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')".into(),
        ),
        (
            format!("x in ({})", "a".repeat(64)),
            format!("unable to parse requirement: values[0][x]: Invalid value: \"{}\": must be no more than 63 bytes", "a".repeat(64)),
        ),
        (
            "/x".into(),
            "unable to parse requirement: <nil>: Invalid value: \"/x\": prefix part must be non-empty".into(),
        ),
        (
            "a\tb=c\"".into(),
            "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt".into(),
        ),
        (
            "k=\u{e9}\u{200b}".into(),
            format!("unable to parse requirement: values[0][k]: Invalid value: \"\u{e9}\\u200b\": {value_regex}"),
        ),
    ];
    for (input, want) in cases {
        assert_eq!(err_of(&input), want, "{input:?}");
    }
}

#[test]
fn nul_byte_ends_input() {
    assert_eq!(
        parse_label_selector("\0anything, at all ((").unwrap_or_default(),
        vec![]
    );
    assert_eq!(
        parse_label_selector("x\0").unwrap_or_default(),
        vec![req("x", Op::Exists, &[])]
    );
}

#[test]
fn sorted_by_key_with_duplicates_kept_in_input_order() {
    let got =
        parse_label_selector("app=web,app!=db,tier in (b,a,b),!legacy,team").unwrap_or_default();
    assert_eq!(
        got,
        vec![
            req("app", Op::Equals, &["web"]),
            req("app", Op::NotEquals, &["db"]),
            req("legacy", Op::DoesNotExist, &[]),
            req("team", Op::Exists, &[]),
            req("tier", Op::In, &["a", "b"]),
        ]
    );
}

#[test]
fn long_selectors_are_sorted_by_key() {
    let mut parts = Vec::new();
    for i in 0..60u32 {
        let key = format!("k{}", (i * 37) % 11);
        parts.push(format!("{key}=v{i}"));
    }
    let input = parts.join(",");
    let got = parse_label_selector(&input).unwrap_or_default();
    assert_eq!(got.len(), 60);
    assert!(got.windows(2).all(|w| w[0].key <= w[1].key));
    let mut values: Vec<String> = got.iter().map(|r| r.values[0].clone()).collect();
    values.sort();
    let mut expected: Vec<String> = (0..60).map(|i| format!("v{i}")).collect();
    expected.sort();
    assert_eq!(values, expected);
}
