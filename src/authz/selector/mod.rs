//! Placeholder until the selector parser lands.
use crate::config::FieldError;

/// A field selector requirement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldRequirement;
/// A label selector requirement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelRequirement;
/// Input.
pub struct SelectorInput {
    /// Raw.
    pub raw_selector: Option<String>,
    /// Reqs.
    pub requirements: Option<Vec<RequirementInput>>,
}
/// Input.
pub struct RequirementInput {
    /// Key.
    pub key: String,
    /// Op.
    pub operator: String,
    /// Values.
    pub values: Vec<String>,
}
/// Stub.
pub fn field_requirements_from_sar(_s: Option<&SelectorInput>) -> (Vec<FieldRequirement>, Option<String>) {
    (vec![], None)
}
/// Stub.
pub fn label_requirements_from_sar(_s: Option<&SelectorInput>) -> (Vec<LabelRequirement>, Option<String>) {
    (vec![], None)
}
/// Stub.
pub fn validate_sar_selectors(_f: Option<&SelectorInput>, _l: Option<&SelectorInput>) -> Vec<FieldError> {
    vec![]
}
