//! SubjectAccessReviews in and out: decoding a request body, validating it as kube-apiserver's
//! SubjectAccessReview endpoint does, turning it into a [`Request`](crate::authz::Request), and
//! writing the verdict back as `status` in the request's own version.
//!
//! The server, `eval` and `replay` all go through here, so they can never disagree.

mod convert;
mod encode;
mod err;
mod respond;

pub use convert::{Review, ReviewVersion, decode, to_request};
pub use encode::{encode_review, spec_key, write_spec};
pub use err::ReviewError;
pub use respond::{answer, evaluation_error};
