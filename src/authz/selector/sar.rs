//! SubjectAccessReview selectors, both directions:
//!
//! * serving a SAR (kube-apiserver `pkg/registry/authorization/util/helpers.go`
//!   `ResourceAttributesFrom`, `labelSelectorAsSelector`, `fieldSelectorAsSelector`,
//!   `BuildEvaluationError`; validation from `pkg/apis/authorization/validation`);
//! * sending one to a webhook (`plugin/pkg/authorizer/webhook/webhook.go`
//!   `fieldSelectorToAuthorizationAPI`, `labelSelectorToAuthorizationAPI`).

use std::fmt;

use super::err::SelectorError;
use super::field::{FieldOperator, FieldRequirement, parse_field_selector};
use super::label::{LabelOperator, LabelRequirement, parse_label_selector};
use super::validation::{is_qualified_name, is_valid_label_value};
use crate::field::{BadValue, FieldError};

/// `spec.resourceAttributes.fieldSelector` could not be used at all.
pub const FIELD_SELECTOR_IGNORED: &str =
    "spec.resourceAttributes.fieldSelector ignored due to parse error";
/// Some `spec.resourceAttributes.fieldSelector` requirements were dropped.
pub const FIELD_SELECTOR_PARTIALLY_IGNORED: &str =
    "spec.resourceAttributes.fieldSelector partially ignored due to parse error";
/// `spec.resourceAttributes.labelSelector` could not be used at all.
pub const LABEL_SELECTOR_IGNORED: &str =
    "spec.resourceAttributes.labelSelector ignored due to parse error";
/// Some `spec.resourceAttributes.labelSelector` requirements were dropped.
pub const LABEL_SELECTOR_PARTIALLY_IGNORED: &str =
    "spec.resourceAttributes.labelSelector partially ignored due to parse error";

/// One `requirements[]` entry of a SAR selector (`metav1.{Field,Label}SelectorRequirement`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RequirementInput {
    /// `key`
    pub key: String,
    /// `operator`, verbatim (unknown operators are allowed by validation).
    pub operator: String,
    /// `values` (absent and empty are the same).
    pub values: Vec<String>,
}

/// A SAR `fieldSelector` / `labelSelector` object (`{Field,Label}SelectorAttributes`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SelectorInput {
    /// `rawSelector` (absent and empty are the same).
    pub raw_selector: Option<String>,
    /// `requirements` (absent and empty are the same).
    pub requirements: Option<Vec<RequirementInput>>,
}

/// Operators of the SAR wire format (`metav1.LabelSelectorOperator` / `FieldSelectorOperator`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiOperator {
    /// `In`
    In,
    /// `NotIn`
    NotIn,
    /// `Exists`
    Exists,
    /// `DoesNotExist`
    DoesNotExist,
}

impl ApiOperator {
    /// The wire string (`"In"`, `"NotIn"`, `"Exists"`, `"DoesNotExist"`).
    pub fn as_str(self) -> &'static str {
        match self {
            ApiOperator::In => "In",
            ApiOperator::NotIn => "NotIn",
            ApiOperator::Exists => "Exists",
            ApiOperator::DoesNotExist => "DoesNotExist",
        }
    }
}

impl fmt::Display for ApiOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One requirement as sent to a webhook; an empty `values` is omitted on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequirementOutput {
    /// `key`
    pub key: String,
    /// `operator`
    pub operator: ApiOperator,
    /// `values` (omit the JSON key when empty).
    pub values: Vec<String>,
}

fn raw_and_requirements(input: &SelectorInput) -> (&str, &[RequirementInput]) {
    (
        input.raw_selector.as_deref().unwrap_or(""),
        input.requirements.as_deref().unwrap_or(&[]),
    )
}

/// `ResourceAttributesFrom` for `labelSelector`: a non-empty `rawSelector` is parsed
/// (a parse error drops the whole selector); non-empty `requirements` override it.
pub fn label_selector_from_sar(
    input: &SelectorInput,
) -> (Vec<LabelRequirement>, Option<SelectorError>) {
    let (raw, requirements) = raw_and_requirements(input);
    if !requirements.is_empty() {
        return label_requirements_from_api(requirements);
    }
    if raw.is_empty() {
        return (Vec::new(), None);
    }
    match parse_label_selector(raw) {
        Ok(reqs) => (reqs, None),
        Err(e) => (Vec::new(), Some(e)),
    }
}

/// `ResourceAttributesFrom` for `fieldSelector`: a non-empty `rawSelector` is parsed
/// (a parse error drops the whole selector); non-empty `requirements` override it.
pub fn field_selector_from_sar(
    input: &SelectorInput,
) -> (Vec<FieldRequirement>, Option<SelectorError>) {
    let (raw, requirements) = raw_and_requirements(input);
    if !requirements.is_empty() {
        return field_requirements_from_api(requirements);
    }
    if raw.is_empty() {
        return (Vec::new(), None);
    }
    match parse_field_selector(raw) {
        Ok(reqs) => (reqs, None),
        Err(e) => (Vec::new(), Some(e)),
    }
}

/// `labelSelectorAsSelector`: In/NotIn/Exists/DoesNotExist through `NewRequirement`,
/// in input order with values as given; invalid entries are dropped and reported.
pub fn label_requirements_from_api(
    requirements: &[RequirementInput],
) -> (Vec<LabelRequirement>, Option<SelectorError>) {
    let mut reqs = Vec::new();
    let mut errs = Vec::new();
    for expr in requirements {
        let op = match expr.operator.as_str() {
            "In" => LabelOperator::In,
            "NotIn" => LabelOperator::NotIn,
            "Exists" => LabelOperator::Exists,
            "DoesNotExist" => LabelOperator::DoesNotExist,
            other => {
                errs.push(SelectorError::InvalidLabelOperator(other.to_string()));
                continue;
            }
        };
        match LabelRequirement::new(expr.key.clone(), op, expr.values.clone()) {
            Ok(r) => reqs.push(r),
            Err(e) => errs.push(e),
        }
    }
    (reqs, SelectorError::aggregate(errs))
}

/// `fieldSelectorAsSelector`: `In` / `NotIn` with exactly one value become `=` / `!=`;
/// multiple values, Exists/DoesNotExist and unknown operators are dropped and reported.
pub fn field_requirements_from_api(
    requirements: &[RequirementInput],
) -> (Vec<FieldRequirement>, Option<SelectorError>) {
    let mut reqs = Vec::new();
    let mut errs = Vec::new();
    for expr in requirements {
        if expr.values.len() > 1 {
            errs.push(SelectorError::FieldMultipleValues);
            continue;
        }
        let (operator, arity_error) = match expr.operator.as_str() {
            "In" => (FieldOperator::Equals, SelectorError::FieldInNeedsOneValue),
            "NotIn" => (
                FieldOperator::NotEquals,
                SelectorError::FieldNotInNeedsOneValue,
            ),
            op @ ("Exists" | "DoesNotExist") => {
                errs.push(SelectorError::FieldUnsupportedOperator(op.to_string()));
                continue;
            }
            other => {
                errs.push(SelectorError::InvalidFieldOperator(other.to_string()));
                continue;
            }
        };
        match expr.values.first() {
            Some(value) => reqs.push(FieldRequirement {
                field: expr.key.clone(),
                operator,
                value: value.clone(),
            }),
            None => errs.push(arity_error),
        }
    }
    (reqs, SelectorError::aggregate(errs))
}

/// The shared part of `validate{Field,Label}SelectorAttributes`.
fn validate_raw_or_requirements(input: &SelectorInput, path: &str) -> Vec<FieldError> {
    let (raw, requirements) = raw_and_requirements(input);
    let mut errs = Vec::new();
    if !raw.is_empty() && !requirements.is_empty() {
        errs.push(FieldError::invalid_value(
            format!("{path}.rawSelector"),
            BadValue::Str(raw.to_string()),
            "may not specified at the same time as requirements",
        ));
    }
    if raw.is_empty() && requirements.is_empty() {
        errs.push(FieldError::required(
            format!("{path}.requirements"),
            format!("when {path} is specified, requirements or rawSelector is required"),
        ));
    }
    errs
}

const IN_NOTIN_VALUES: &str = "must be specified when `operator` is 'In' or 'NotIn'";
const EXISTS_VALUES: &str = "may not be specified when `operator` is 'Exists' or 'DoesNotExist'";

/// Operator/values checks of `ValidateLabelSelectorRequirement` /
/// `ValidateFieldSelectorRequirement` with `AllowUnknownOperatorInRequirement`.
fn validate_operator_values(req: &RequirementInput, path: &str, errs: &mut Vec<FieldError>) {
    match req.operator.as_str() {
        "In" | "NotIn" if req.values.is_empty() => {
            errs.push(FieldError::required(
                format!("{path}.values"),
                IN_NOTIN_VALUES,
            ));
        }
        "Exists" | "DoesNotExist" if !req.values.is_empty() => {
            errs.push(FieldError::forbidden(
                format!("{path}.values"),
                EXISTS_VALUES,
            ));
        }
        _ => {}
    }
}

/// `validateFieldSelectorAttributes(selector, path)`: `None` (no selector object) is valid.
pub fn validate_field_selector_attributes(
    input: Option<&SelectorInput>,
    path: &str,
) -> Vec<FieldError> {
    let Some(input) = input else {
        return Vec::new();
    };
    let mut errs = validate_raw_or_requirements(input, path);
    let (_, requirements) = raw_and_requirements(input);
    for (i, req) in requirements.iter().enumerate() {
        let req_path = format!("{path}.requirements[{i}]");
        if req.key.is_empty() {
            errs.push(FieldError::required(
                format!("{req_path}.key"),
                "must be specified",
            ));
        }
        validate_operator_values(req, &req_path, &mut errs);
    }
    errs
}

/// `validateLabelSelectorAttributes(selector, path)`: `None` (no selector object) is valid.
pub fn validate_label_selector_attributes(
    input: Option<&SelectorInput>,
    path: &str,
) -> Vec<FieldError> {
    let Some(input) = input else {
        return Vec::new();
    };
    let mut errs = validate_raw_or_requirements(input, path);
    let (_, requirements) = raw_and_requirements(input);
    for (i, req) in requirements.iter().enumerate() {
        let req_path = format!("{path}.requirements[{i}]");
        validate_operator_values(req, &req_path, &mut errs);
        for msg in is_qualified_name(&req.key) {
            errs.push(FieldError::invalid_value(
                format!("{req_path}.key"),
                BadValue::Str(req.key.clone()),
                msg,
            ));
        }
        for (j, value) in req.values.iter().enumerate() {
            for msg in is_valid_label_value(value) {
                errs.push(FieldError::invalid_value(
                    format!("{req_path}.values[{j}]"),
                    BadValue::Str(value.clone()),
                    msg,
                ));
            }
        }
    }
    errs
}

/// `validateResourceAttributes`: both selectors under `spec.resourceAttributes`.
pub fn validate_resource_attribute_selectors(
    field_selector: Option<&SelectorInput>,
    label_selector: Option<&SelectorInput>,
) -> Vec<FieldError> {
    let mut errs =
        validate_field_selector_attributes(field_selector, "spec.resourceAttributes.fieldSelector");
    errs.extend(validate_label_selector_attributes(
        label_selector,
        "spec.resourceAttributes.labelSelector",
    ));
    errs
}

/// The suffix `BuildEvaluationError` adds for one selector: "partially ignored" when
/// there was an error but some requirements survived, "ignored" when none did.
pub fn selector_error_suffix(
    ignored: &'static str,
    partially_ignored: &'static str,
    requirement_count: usize,
    error: Option<&SelectorError>,
) -> Option<&'static str> {
    error.map(|_| {
        if requirement_count > 0 {
            partially_ignored
        } else {
            ignored
        }
    })
}

/// `BuildEvaluationError`: the authorizer's error text (if any), then the field and
/// label selector suffixes, joined with `"; "`.
pub fn build_evaluation_error(
    authorizer_error: Option<&str>,
    field: (&[FieldRequirement], Option<&SelectorError>),
    label: (&[LabelRequirement], Option<&SelectorError>),
) -> String {
    let mut parts: Vec<&str> = authorizer_error.into_iter().collect();
    let field_suffix = selector_error_suffix(
        FIELD_SELECTOR_IGNORED,
        FIELD_SELECTOR_PARTIALLY_IGNORED,
        field.0.len(),
        field.1,
    );
    let label_suffix = selector_error_suffix(
        LABEL_SELECTOR_IGNORED,
        LABEL_SELECTOR_PARTIALLY_IGNORED,
        label.0.len(),
        label.1,
    );
    parts.extend(field_suffix);
    parts.extend(label_suffix);
    parts.join("; ")
}

/// Webhook client mapping (`fieldSelectorToAuthorizationAPI`): `=`, `==`, `in` → `In`;
/// `!=`, `notin` → `NotIn`, always with the one value; other operators are dropped.
/// An empty result means "send no fieldSelector".
pub fn field_requirements_to_api(requirements: &[FieldRequirement]) -> Vec<RequirementOutput> {
    requirements
        .iter()
        .filter_map(|r| {
            let operator = match r.operator {
                FieldOperator::Equals | FieldOperator::DoubleEquals | FieldOperator::In => {
                    ApiOperator::In
                }
                FieldOperator::NotEquals | FieldOperator::NotIn => ApiOperator::NotIn,
                _ => return None,
            };
            Some(RequirementOutput {
                key: r.field.clone(),
                operator,
                values: vec![r.value.clone()],
            })
        })
        .collect()
}

/// Webhook client mapping (`labelSelectorToAuthorizationAPI`): `=`, `==`, `in` → `In`;
/// `!=`, `notin` → `NotIn`; `exists` → `Exists`; `!` → `DoesNotExist`; `gt`/`lt`
/// dropped; values copied in stored order. An empty result means "send no labelSelector".
pub fn label_requirements_to_api(requirements: &[LabelRequirement]) -> Vec<RequirementOutput> {
    requirements
        .iter()
        .filter_map(|r| {
            let operator = match r.operator {
                LabelOperator::Equals | LabelOperator::DoubleEquals | LabelOperator::In => {
                    ApiOperator::In
                }
                LabelOperator::NotEquals | LabelOperator::NotIn => ApiOperator::NotIn,
                LabelOperator::Exists => ApiOperator::Exists,
                LabelOperator::DoesNotExist => ApiOperator::DoesNotExist,
                LabelOperator::GreaterThan | LabelOperator::LessThan => return None,
            };
            Some(RequirementOutput {
                key: r.key.clone(),
                operator,
                values: r.values.clone(),
            })
        })
        .collect()
}
