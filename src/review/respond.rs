//! Verdict → `status`, as kube-apiserver's SubjectAccessReview REST handler fills it.

use super::{Review, ReviewVersion};
use crate::api::sar::{SubjectAccessReview, SubjectAccessReviewStatus};
use crate::authz::{Attributes, Decision, Request, Verdict, selector};

/// The answer to `review`: the same object in the same version, `status` filled from `verdict`.
pub fn answer(review: &Review, request: &Request, verdict: &Verdict) -> SubjectAccessReview {
    let mut object = review.object.clone();
    object.metadata = serde_json::Map::new();
    match review.version {
        ReviewVersion::V1 => object.spec.group = None,
        ReviewVersion::V1beta1 => object.spec.groups = None,
    }
    object.status = Some(SubjectAccessReviewStatus {
        allowed: verdict.decision == Decision::Allow,
        denied: verdict.decision == Decision::Deny,
        reason: verdict.reason.as_str().to_owned(),
        evaluation_error: evaluation_error(request, verdict),
    });
    object
}

/// `BuildEvaluationError`: the verdict's error, then a note for each selector that was (partly)
/// ignored because it did not parse, joined with `; `.
pub fn evaluation_error(request: &Request, verdict: &Verdict) -> String {
    let error = verdict.error.as_ref().map(|e| e.to_string());
    match &request.attributes {
        Attributes::Resource(r) => selector::build_evaluation_error(
            error.as_deref(),
            (&r.field_selector, r.field_selector_error.as_ref()),
            (&r.label_selector, r.label_selector_error.as_ref()),
        ),
        Attributes::NonResource(_) => error.unwrap_or_default(),
    }
}
