//! The webhook client's requirement mapping (`plugin/pkg/authorizer/webhook/webhook.go`
//! `fieldSelectorToAuthorizationAPI` / `labelSelectorToAuthorizationAPI`, cases of
//! `webhook_test.go` `Test_resourceAttributesFrom`) and SAR round trips.

use super::super::{
    ApiOperator, FieldOperator as FOp, FieldRequirement, LabelOperator as LOp, LabelRequirement,
    RequirementInput, RequirementOutput, SelectorInput, field_requirements_to_api,
    field_selector_from_sar, label_requirements_to_api, label_selector_from_sar,
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

fn out(key: &str, operator: ApiOperator, values: &[&str]) -> RequirementOutput {
    RequirementOutput {
        key: key.into(),
        operator,
        values: values.iter().map(|v| v.to_string()).collect(),
    }
}

#[test]
fn webhook_field_mapping() {
    let input = vec![
        f("a", FOp::Equals, "1"),
        f("b", FOp::DoubleEquals, "2"),
        f("c", FOp::In, "3"),
        f("d", FOp::NotEquals, "4"),
        f("e", FOp::NotIn, ""),
        f("f", FOp::Exists, "x"),
        f("g", FOp::DoesNotExist, ""),
        f("h", FOp::GreaterThan, "1"),
        f("i", FOp::LessThan, "1"),
    ];
    assert_eq!(
        field_requirements_to_api(&input),
        vec![
            out("a", ApiOperator::In, &["1"]),
            out("b", ApiOperator::In, &["2"]),
            out("c", ApiOperator::In, &["3"]),
            out("d", ApiOperator::NotIn, &["4"]),
            out("e", ApiOperator::NotIn, &[""]),
        ]
    );
    assert!(field_requirements_to_api(&[f("x", FOp::Exists, "")]).is_empty());
}

#[test]
fn webhook_label_mapping() {
    let input = vec![
        l("a", LOp::Equals, &["1"]),
        l("b", LOp::DoubleEquals, &["2"]),
        l("c", LOp::In, &["z", "y"]),
        l("d", LOp::NotEquals, &["4"]),
        l("e", LOp::NotIn, &["5", "6"]),
        l("f", LOp::Exists, &[]),
        l("g", LOp::DoesNotExist, &[]),
        l("h", LOp::GreaterThan, &["1"]),
        l("i", LOp::LessThan, &["1"]),
    ];
    assert_eq!(
        label_requirements_to_api(&input),
        vec![
            out("a", ApiOperator::In, &["1"]),
            out("b", ApiOperator::In, &["2"]),
            out("c", ApiOperator::In, &["z", "y"]),
            out("d", ApiOperator::NotIn, &["4"]),
            out("e", ApiOperator::NotIn, &["5", "6"]),
            out("f", ApiOperator::Exists, &[]),
            out("g", ApiOperator::DoesNotExist, &[]),
        ]
    );
    assert!(label_requirements_to_api(&[l("h", LOp::GreaterThan, &["1"])]).is_empty());
}

/// SARs created through the API in the wire capture (`api-sar-*`); the request bodies
/// were not recorded, so these inputs are reconstructions consistent with the output.
#[test]
fn api_sar_roundtrips_seen_on_the_wire() {
    let (fr, _) = field_selector_from_sar(&raw("spec.nodeName=n1"));
    assert_eq!(
        field_requirements_to_api(&fr),
        vec![out("spec.nodeName", ApiOperator::In, &["n1"])]
    );
    let (fr, _) = field_selector_from_sar(&reqs(vec![
        input("spec.nodeName", "In", &["n1"]),
        input("metadata.name", "NotIn", &["x"]),
    ]));
    assert_eq!(
        field_requirements_to_api(&fr),
        vec![
            out("spec.nodeName", ApiOperator::In, &["n1"]),
            out("metadata.name", ApiOperator::NotIn, &["x"])
        ]
    );
    let (lr, _) = label_selector_from_sar(&raw("y,app in (b,a),!x"));
    assert_eq!(
        label_requirements_to_api(&lr),
        vec![
            out("app", ApiOperator::In, &["a", "b"]),
            out("x", ApiOperator::DoesNotExist, &[]),
            out("y", ApiOperator::Exists, &[]),
        ]
    );
    let (lr, _) = label_selector_from_sar(&reqs(vec![
        input("app", "Exists", &[]),
        input("tier", "NotIn", &["db", "cache"]),
    ]));
    assert_eq!(
        label_requirements_to_api(&lr),
        vec![
            out("app", ApiOperator::Exists, &[]),
            out("tier", ApiOperator::NotIn, &["db", "cache"])
        ]
    );
}
