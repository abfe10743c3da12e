//! Selector cases of kubernetes `pkg/registry/authorization/util/helpers_test.go`
//! (`TestAuthorizationAttributesFrom`), SAR validation, `BuildEvaluationError`, and
//! the webhook client mapping (`plugin/pkg/authorizer/webhook/webhook_test.go`).

use super::super::{
    FieldOperator as FOp, FieldRequirement, LabelOperator as LOp, LabelRequirement,
    RequirementInput, SelectorError, SelectorInput, build_evaluation_error,
    field_selector_from_sar, label_selector_from_sar, validate_field_selector_attributes,
    validate_label_selector_attributes, validate_resource_attribute_selectors,
};

fn input(key: &str, operator: &str, values: &[&str]) -> RequirementInput {
    RequirementInput {
        key: key.into(),
        operator: operator.into(),
        values: values.iter().map(|v| v.to_string()).collect(),
    }
}

fn raw(s: &str) -> SelectorInput {
    SelectorInput {
        raw_selector: Some(s.into()),
        requirements: None,
    }
}

fn reqs(list: Vec<RequirementInput>) -> SelectorInput {
    SelectorInput {
        raw_selector: None,
        requirements: Some(list),
    }
}

fn f(field: &str, operator: FOp, value: &str) -> FieldRequirement {
    FieldRequirement {
        field: field.into(),
        operator,
        value: value.into(),
    }
}

fn l(key: &str, operator: LOp, values: &[&str]) -> LabelRequirement {
    LabelRequirement {
        key: key.into(),
        operator,
        values: values.iter().map(|v| v.to_string()).collect(),
    }
}

fn msg(e: Option<SelectorError>) -> Option<String> {
    e.map(|e| e.to_string())
}

#[test]
fn field_selector_cases() {
    let cases: Vec<(&str, SelectorInput, Vec<FieldRequirement>, Option<&str>)> = vec![
        (
            "raw selector",
            raw("foo=bar"),
            vec![f("foo", FOp::Equals, "bar")],
            None,
        ),
        (
            "raw selector error",
            raw("&foo"),
            vec![],
            Some("invalid selector: '&foo'; can't understand '&foo'"),
        ),
        (
            "requirements",
            reqs(vec![
                input("one", "In", &["apple"]),
                input("two", "NotIn", &["banana"]),
            ]),
            vec![
                f("one", FOp::Equals, "apple"),
                f("two", FOp::NotEquals, "banana"),
            ],
            None,
        ),
        (
            "requirements too many values",
            reqs(vec![input("one", "In", &["apple", "other"])]),
            vec![],
            Some("fieldSelectors do not yet support multiple values"),
        ),
        (
            "missing in value",
            reqs(vec![input("one", "In", &[])]),
            vec![],
            Some("fieldSelectors in must have one value"),
        ),
        (
            "missing notin value",
            reqs(vec![input("one", "NotIn", &[])]),
            vec![],
            Some("fieldSelectors not in must have one value"),
        ),
        (
            "exists",
            reqs(vec![input("one", "Exists", &[])]),
            vec![],
            Some("fieldSelectors do not yet support Exists"),
        ),
        (
            "DoesNotExist",
            reqs(vec![input("one", "DoesNotExist", &[])]),
            vec![],
            Some("fieldSelectors do not yet support DoesNotExist"),
        ),
        (
            "bad operator",
            reqs(vec![input("one", "bad", &[])]),
            vec![],
            Some("\"bad\" is not a valid field selector operator"),
        ),
        (
            "partial: valid entries kept, errors aggregated in order",
            reqs(vec![
                input("a", "In", &["1"]),
                input("b", "in", &["2"]),
                input("c", "NotIn", &["3", "4"]),
                input("d", "NotIn", &["5"]),
                input("e", "Exists", &["x", "y"]),
            ]),
            vec![f("a", FOp::Equals, "1"), f("d", FOp::NotEquals, "5")],
            Some(
                "[\"in\" is not a valid field selector operator, fieldSelectors do not yet support multiple values]",
            ),
        ),
        (
            "duplicate messages collapse",
            reqs(vec![input("a", "Exists", &[]), input("b", "Exists", &[])]),
            vec![],
            Some("fieldSelectors do not yet support Exists"),
        ),
        (
            "requirements override rawSelector",
            SelectorInput {
                raw_selector: Some("&foo".into()),
                requirements: Some(vec![input("x", "In", &["y"])]),
            },
            vec![f("x", FOp::Equals, "y")],
            None,
        ),
        (
            "empty requirements fall back to rawSelector",
            SelectorInput {
                raw_selector: Some("b=2,a!=1".into()),
                requirements: Some(vec![]),
            },
            vec![f("a", FOp::NotEquals, "1"), f("b", FOp::Equals, "2")],
            None,
        ),
        (
            "empty selector object",
            SelectorInput::default(),
            vec![],
            None,
        ),
        (
            "key and value not validated",
            reqs(vec![input("", "In", &["=,\\"])]),
            vec![f("", FOp::Equals, "=,\\")],
            None,
        ),
    ];
    for (name, sel, want, want_err) in cases {
        let (got, err) = field_selector_from_sar(&sel);
        assert_eq!(got, want, "{name}");
        assert_eq!(msg(err).as_deref(), want_err, "{name}");
    }
}

#[test]
fn label_selector_cases() {
    let key_regex = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an \
         alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is \
         '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
    let raw_err =
        format!("unable to parse requirement: <nil>: Invalid value: \"&foo\": {key_regex}");
    let multi = format!(
        "[\"bad\" is not a valid label selector operator, values: Invalid value: null: for 'in', 'notin' operators, \
         values set can't be empty, key: Invalid value: \"-k\": {key_regex}]"
    );
    let cases: Vec<(&str, SelectorInput, Vec<LabelRequirement>, Option<String>)> = vec![
        ("raw selector", raw("foo=bar"), vec![l("foo", LOp::Equals, &["bar"])], None),
        ("raw selector error", raw("&foo"), vec![], Some(raw_err)),
        (
            "requirements",
            reqs(vec![input("one", "In", &["apple"]), input("two", "NotIn", &["banana"])]),
            vec![l("one", LOp::In, &["apple"]), l("two", LOp::NotIn, &["banana"])],
            None,
        ),
        (
            "requirements multiple values keep their order",
            reqs(vec![input("one", "In", &["apple", "other"]), input("two", "NotIn", &["donut", "carrot"])]),
            vec![l("one", LOp::In, &["apple", "other"]), l("two", LOp::NotIn, &["donut", "carrot"])],
            None,
        ),
        ("exists", reqs(vec![input("one", "Exists", &[])]), vec![l("one", LOp::Exists, &[])], None),
        ("DoesNotExist", reqs(vec![input("one", "DoesNotExist", &[])]), vec![l("one", LOp::DoesNotExist, &[])], None),
        (
            "bad operator",
            reqs(vec![input("one", "bad", &[])]),
            vec![],
            Some("\"bad\" is not a valid label selector operator".into()),
        ),
        (
            "requirements are not sorted",
            reqs(vec![input("z", "Exists", &[]), input("a", "Exists", &[])]),
            vec![l("z", LOp::Exists, &[]), l("a", LOp::Exists, &[])],
            None,
        ),
        (
            "invalid entries dropped, aggregate flattened",
            reqs(vec![
                input("ok", "In", &["v"]),
                input("one", "bad", &[]),
                input("x", "In", &[]),
                input("-k", "Exists", &[]),
            ]),
            vec![l("ok", LOp::In, &["v"])],
            Some(multi),
        ),
        (
            "exists with values is rejected by NewRequirement",
            reqs(vec![input("one", "Exists", &["a"])]),
            vec![],
            Some("values: Invalid value: [\"a\"]: values set must be empty for exists and does not exist".into()),
        ),
    ];
    for (name, sel, want, want_err) in cases {
        let (got, err) = label_selector_from_sar(&sel);
        assert_eq!(got, want, "{name}");
        assert_eq!(msg(err), want_err, "{name}");
    }
}

#[test]
fn validation_messages() {
    let path = "spec.resourceAttributes.fieldSelector";
    let strs = |errs: Vec<crate::field::FieldError>| {
        errs.iter().map(|e| e.to_string()).collect::<Vec<_>>()
    };
    assert!(validate_field_selector_attributes(None, path).is_empty());
    assert_eq!(
        strs(validate_field_selector_attributes(
            Some(&SelectorInput::default()),
            path
        )),
        vec![
            "spec.resourceAttributes.fieldSelector.requirements: Required value: when \
              spec.resourceAttributes.fieldSelector is specified, requirements or rawSelector is required"
        ]
    );
    let both = SelectorInput {
        raw_selector: Some("a=b".into()),
        requirements: Some(vec![input("a", "In", &["b"])]),
    };
    assert_eq!(
        strs(validate_field_selector_attributes(Some(&both), path)),
        vec![
            "spec.resourceAttributes.fieldSelector.rawSelector: Invalid value: \"a=b\": may not specified at the \
              same time as requirements"
        ]
    );
    let bad = reqs(vec![
        input("", "In", &[]),
        input("k", "Exists", &["v"]),
        input("k", "Whatever", &["a", "b"]),
    ]);
    assert_eq!(
        strs(validate_field_selector_attributes(Some(&bad), path)),
        vec![
            "spec.resourceAttributes.fieldSelector.requirements[0].key: Required value: must be specified",
            "spec.resourceAttributes.fieldSelector.requirements[0].values: Required value: must be specified when \
             `operator` is 'In' or 'NotIn'",
            "spec.resourceAttributes.fieldSelector.requirements[1].values: Forbidden: may not be specified when \
             `operator` is 'Exists' or 'DoesNotExist'",
        ]
    );
    let lpath = "spec.resourceAttributes.labelSelector";
    let bad = reqs(vec![
        input("a/b/c", "NotIn", &[]),
        input("k", "Unknown", &["-x"]),
    ]);
    let errs = validate_label_selector_attributes(Some(&bad), lpath);
    let fields: Vec<&str> = errs.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        fields,
        vec![
            "spec.resourceAttributes.labelSelector.requirements[0].values",
            "spec.resourceAttributes.labelSelector.requirements[0].key",
            "spec.resourceAttributes.labelSelector.requirements[1].values[0]",
        ]
    );
    assert!(errs[1].to_string().starts_with(
        "spec.resourceAttributes.labelSelector.requirements[0].key: Invalid value: \"a/b/c\": a valid label key must"
    ));
    let both_bad =
        validate_resource_attribute_selectors(Some(&SelectorInput::default()), Some(&raw("x")));
    assert_eq!(both_bad.len(), 1);
    assert_eq!(
        both_bad[0].path,
        "spec.resourceAttributes.fieldSelector.requirements"
    );
}

#[test]
fn evaluation_error_suffixes() {
    let field_ok = [f("a", FOp::Equals, "b")];
    let label_ok = [l("a", LOp::Exists, &[])];
    let e = SelectorError::FieldMultipleValues;
    assert_eq!(build_evaluation_error(None, (&[], None), (&[], None)), "");
    assert_eq!(
        build_evaluation_error(Some("boom"), (&field_ok, None), (&label_ok, None)),
        "boom"
    );
    assert_eq!(
        build_evaluation_error(None, (&[], Some(&e)), (&[], None)),
        "spec.resourceAttributes.fieldSelector ignored due to parse error"
    );
    assert_eq!(
        build_evaluation_error(Some("boom"), (&field_ok, Some(&e)), (&[], Some(&e))),
        "boom; spec.resourceAttributes.fieldSelector partially ignored due to parse error; \
         spec.resourceAttributes.labelSelector ignored due to parse error"
    );
    assert_eq!(
        build_evaluation_error(None, (&[], None), (&label_ok, Some(&e))),
        "spec.resourceAttributes.labelSelector partially ignored due to parse error"
    );
    // A rawSelector parse error drops everything: always "ignored".
    let (reqs_raw, err_raw) = label_selector_from_sar(&raw("a=b,c in"));
    assert_eq!(
        build_evaluation_error(None, (&[], None), (&reqs_raw, err_raw.as_ref())),
        "spec.resourceAttributes.labelSelector ignored due to parse error"
    );
}
