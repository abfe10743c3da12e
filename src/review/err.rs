//! Why a SubjectAccessReview was refused.

use thiserror::Error;

use crate::field::FieldError;

/// A request body that cannot be answered.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ReviewError {
    /// Not JSON, or JSON of the wrong shape.
    #[error("malformed SubjectAccessReview: {0}")]
    Malformed(String),
    /// Valid JSON, but not a SubjectAccessReview of a supported version.
    #[error(
        "unsupported apiVersion {api_version:?} and kind {kind:?}: expected kind \"SubjectAccessReview\" in \"authorization.k8s.io/v1\" or \"authorization.k8s.io/v1beta1\""
    )]
    UnsupportedType {
        /// The apiVersion sent.
        api_version: String,
        /// The kind sent.
        kind: String,
    },
    /// A SubjectAccessReview that fails validation; kube-apiserver answers 422 with these.
    #[error("SubjectAccessReview.authorization.k8s.io \"\" is invalid: {}", format_field_errors(.0))]
    Invalid(Vec<FieldError>),
}

impl ReviewError {
    /// The HTTP status kube-apiserver would use: 400 for undecodable bodies, 422 for invalid ones.
    pub fn http_status(&self) -> u16 {
        match self {
            ReviewError::Malformed(_) | ReviewError::UnsupportedType { .. } => 400,
            ReviewError::Invalid(_) => 422,
        }
    }
}

fn format_field_errors(errors: &[FieldError]) -> String {
    let messages: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    crate::go::format_aggregate(messages)
}
