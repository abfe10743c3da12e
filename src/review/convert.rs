//! Body → SubjectAccessReview → Request, with the endpoint's validation
//! (`pkg/apis/authorization/validation`) and conversion (`pkg/registry/authorization/util`).

use super::ReviewError;
pub use crate::api::sar::ReviewVersion;
use crate::api::sar::{self, SubjectAccessReview, SubjectAccessReviewSpec};
use crate::authz::selector::{self, SelectorInput};
use crate::authz::{Attributes, NonResourceAttributes, Request, ResourceAttributes, UserInfo};
use crate::field::{BadValue, FieldError, FieldErrorType};
use crate::go::GoJson;

/// A decoded SubjectAccessReview and its version.
#[derive(Clone, Debug, PartialEq)]
pub struct Review {
    /// The version it arrived in (and is answered in).
    pub version: ReviewVersion,
    /// The object as sent.
    pub object: SubjectAccessReview,
}

/// Decodes a JSON body.
pub fn decode(body: &[u8]) -> Result<Review, ReviewError> {
    let object: SubjectAccessReview =
        serde_json::from_slice(body).map_err(|e| ReviewError::Malformed(e.to_string()))?;
    let version = match (object.api_version.as_str(), object.kind.as_str()) {
        (sar::V1, "SubjectAccessReview") => ReviewVersion::V1,
        (sar::V1BETA1, "SubjectAccessReview") => ReviewVersion::V1beta1,
        _ => {
            return Err(ReviewError::UnsupportedType {
                api_version: object.api_version,
                kind: object.kind,
            });
        }
    };
    Ok(Review { version, object })
}

/// Validates a review and converts it into the attributes the chain decides on.
pub fn to_request(review: &Review) -> Result<Request, ReviewError> {
    let spec = &review.object.spec;
    let groups = match review.version {
        ReviewVersion::V1 => spec.groups.as_deref(),
        ReviewVersion::V1beta1 => spec.group.as_deref(),
    }
    .unwrap_or_default();
    let mut errors = validate_spec(spec, groups);
    let metadata_is_empty = review.object.metadata.iter().all(|(key, value)| {
        key == "creationTimestamp" && value.is_null() || key == "managedFields"
    });
    if !metadata_is_empty {
        errors.push(FieldError {
            path: "metadata".into(),
            kind: FieldErrorType::Invalid,
            value: BadValue::Json(go_json(&serde_json::Value::Object(
                review.object.metadata.clone(),
            ))),
            detail: "must be empty".into(),
        });
    }
    if !errors.is_empty() {
        return Err(ReviewError::Invalid(errors));
    }
    let user = UserInfo {
        name: spec.user.clone(),
        uid: spec.uid.clone(),
        groups: groups.to_vec(),
        extra: spec
            .extra
            .iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.clone().unwrap_or_default()))
            .collect(),
    };
    let attributes = match (&spec.resource_attributes, &spec.non_resource_attributes) {
        (Some(r), _) => {
            let (field_selector, field_selector_error) = match &r.field_selector {
                Some(s) => selector::field_selector_from_sar(&selector_input(s)),
                None => (Vec::new(), None),
            };
            let (label_selector, label_selector_error) = match &r.label_selector {
                Some(s) => selector::label_selector_from_sar(&selector_input(s)),
                None => (Vec::new(), None),
            };
            Attributes::Resource(ResourceAttributes {
                namespace: r.namespace.clone(),
                verb: r.verb.clone(),
                group: r.group.clone(),
                version: if r.version.is_empty() {
                    "*".into()
                } else {
                    r.version.clone()
                },
                resource: r.resource.clone(),
                subresource: r.subresource.clone(),
                name: r.name.clone(),
                field_selector,
                field_selector_error,
                label_selector,
                label_selector_error,
            })
        }
        (None, Some(n)) => Attributes::NonResource(NonResourceAttributes {
            path: n.path.clone(),
            verb: n.verb.clone(),
        }),
        (None, None) => {
            return Err(ReviewError::Invalid(validate_spec(spec, groups)));
        }
    };
    Ok(Request { user, attributes })
}

fn selector_input(attributes: &sar::SelectorAttributes) -> SelectorInput {
    SelectorInput {
        raw_selector: (!attributes.raw_selector.is_empty())
            .then(|| attributes.raw_selector.clone()),
        requirements: attributes.requirements.as_ref().map(|list| {
            list.iter()
                .map(|r| selector::RequirementInput {
                    key: r.key.clone(),
                    operator: r.operator.clone(),
                    values: r.values.clone().unwrap_or_default(),
                })
                .collect()
        }),
    }
}

/// The metadata as received, in `json.Marshal`'s encoding (keys in the order `serde_json` keeps
/// them). Upstream marshals `metav1.ObjectMeta` in its field order; that order is not modelled.
fn go_json(value: &serde_json::Value) -> GoJson {
    match value {
        serde_json::Value::Null => GoJson::Null,
        serde_json::Value::Bool(b) => GoJson::Bool(*b),
        serde_json::Value::Number(n) => GoJson::Number(n.to_string()),
        serde_json::Value::String(s) => GoJson::Str(s.clone()),
        serde_json::Value::Array(items) => GoJson::Array(items.iter().map(go_json).collect()),
        serde_json::Value::Object(map) => GoJson::Object(
            map.iter()
                .map(|(key, value)| (key.clone(), go_json(value)))
                .collect(),
        ),
    }
}

/// `ValidateSubjectAccessReviewSpec`.
fn validate_spec(spec: &SubjectAccessReviewSpec, groups: &[String]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    match (&spec.resource_attributes, &spec.non_resource_attributes) {
        (Some(_), Some(n)) => errors.push(FieldError {
            path: "spec.nonResourceAttributes".into(),
            kind: FieldErrorType::Invalid,
            // `json.Marshal` of the internal `*authorization.NonResourceAttributes`, a struct
            // without `json` tags, so its Go field names.
            value: BadValue::Json(GoJson::Object(vec![
                ("Path".into(), GoJson::Str(n.path.clone())),
                ("Verb".into(), GoJson::Str(n.verb.clone())),
            ])),
            detail: "cannot be specified in combination with resourceAttributes".into(),
        }),
        (None, None) => errors.push(FieldError::invalid(
            "spec.resourceAttributes",
            "null",
            "exactly one of nonResourceAttributes or resourceAttributes must be specified",
        )),
        _ => {}
    }
    if spec.user.is_empty() && groups.is_empty() {
        errors.push(FieldError::invalid(
            "spec.user",
            "",
            "at least one of user or group must be specified",
        ));
    }
    if let Some(r) = &spec.resource_attributes {
        errors.extend(selector::validate_resource_attribute_selectors(
            r.field_selector.as_ref().map(selector_input).as_ref(),
            r.label_selector.as_ref().map(selector_input).as_ref(),
        ));
    }
    errors
}
