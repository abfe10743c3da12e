//! Why a who-can question could not be read.

use thiserror::Error;

use crate::review::ReviewError;

/// A question that cannot be asked.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum QuestionError {
    /// Not two or three positional arguments.
    #[error(
        "expected `VERB RESOURCE[.GROUP][/SUBRESOURCE] [NAME]` or `VERB /NON-RESOURCE/PATH`, got {count} argument(s)"
    )]
    Arguments {
        /// How many were given.
        count: usize,
    },
    /// An empty verb.
    #[error("the verb is empty")]
    EmptyVerb,
    /// `RESOURCE` missing before a dot or slash.
    #[error("no resource in `{target}`")]
    EmptyResource {
        /// The argument.
        target: String,
    },
    /// `pods/` or `--subresource ''`.
    #[error("empty subresource in `{target}`")]
    EmptySubresource {
        /// The argument.
        target: String,
    },
    /// A subresource both after the slash and in `--subresource`.
    #[error("two subresources: `{target}` and --subresource `{flag}`")]
    TwoSubresources {
        /// The argument.
        target: String,
        /// The flag's value.
        flag: String,
    },
    /// A non-resource URL with a name, namespace or subresource.
    #[error("a non-resource URL has no {what}: `{path}`")]
    NonResourceWith {
        /// The URL path.
        path: String,
        /// `name`, `namespace` or `subresource`.
        what: &'static str,
    },
    /// `-n ''`.
    #[error("`-n` needs a namespace; leave it out to ask cluster-wide")]
    EmptyNamespace,
    /// Both `-n` and `-A`.
    #[error("`-n` and `-A` both given: ask in one namespace or cluster-wide")]
    NamespaceAndAll,
    /// A `--requests` line that is not a JSON object of the right shape.
    #[error("malformed request: {0}")]
    Json(String),
    /// A review kube-apiserver would refuse (or not decode).
    #[error(transparent)]
    Review(#[from] ReviewError),
}
