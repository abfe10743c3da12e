//! Label and field selectors exactly as kube-apiserver 1.36 handles them.
//!
//! * [`parse_label_selector`] — apimachinery `labels.Parse(...).Requirements()`:
//!   same lexer/grammar, `NewRequirement` validation, error text, and key order
//!   (Go's unstable `sort.Sort(ByKey)`); parsed values are sorted and de-duplicated.
//! * [`parse_field_selector`] — `fields.ParseSelector(...).Requirements()`: `\`
//!   escaping, terms sorted as raw strings, `=`/`==` → `=`, `!=`.
//! * [`sar`] — what the SubjectAccessReview endpoint does with `fieldSelector` /
//!   `labelSelector` (validation, conversion, evaluation-error suffixes), and what
//!   the webhook authorizer sends ([`field_requirements_to_api`],
//!   [`label_requirements_to_api`]).
//!
//! Every error implements `Display` with apimachinery's exact message
//! (see [`SelectorError`]).

pub mod err;
pub mod field;
pub mod label;
mod label_lexer;
pub mod sar;
pub mod validation;

#[cfg(test)]
mod tests;

pub use err::SelectorError;
pub use field::{
    FieldOperator, FieldRequirement, escape_field_value, field_selector_string,
    parse_field_selector, unescape_field_value,
};
pub use label::{LabelOperator, LabelRequirement, label_selector_string, parse_label_selector};
pub use sar::{
    ApiOperator, FIELD_SELECTOR_IGNORED, FIELD_SELECTOR_PARTIALLY_IGNORED, LABEL_SELECTOR_IGNORED,
    LABEL_SELECTOR_PARTIALLY_IGNORED, RequirementInput, RequirementOutput, SelectorInput,
    build_evaluation_error, field_requirements_from_api, field_requirements_to_api,
    field_selector_from_sar, label_requirements_from_api, label_requirements_to_api,
    label_selector_from_sar, validate_field_selector_attributes,
    validate_label_selector_attributes, validate_resource_attribute_selectors,
};
pub use validation::{is_dns1123_subdomain, is_qualified_name, is_valid_label_value};
