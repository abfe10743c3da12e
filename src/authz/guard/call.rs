//! What a guarded authorizer provides: one attempt at an answer.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use thiserror::Error;

use crate::authz::{AuthzError, Decision, Reason, Request, Verdict};

/// The future of one attempt.
pub type CallFuture<'a> = Pin<Box<dyn Future<Output = Result<Answer, CallError>> + Send + 'a>>;

/// Something answering authorization questions over I/O, one attempt at a time.
pub trait Call: Send + Sync {
    /// Makes one attempt. The guard bounds it with the timeout and retries it.
    fn call<'a>(&'a self, request: &'a Request) -> CallFuture<'a>;

    /// Where calls go, for error messages (`https://authz.example/authorize`).
    fn target(&self) -> &str;
}

/// A downstream answer: the `status` of a SubjectAccessReview.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Answer {
    /// `status.allowed`.
    pub allowed: bool,
    /// `status.denied`.
    pub denied: bool,
    /// `status.reason` (shared: cached answers are handed out without copying it).
    pub reason: Arc<str>,
    /// `status.evaluationError`: kept (and cached) but, as upstream, not used in the decision.
    pub evaluation_error: Arc<str>,
}

impl Answer {
    /// Spec 3.8: denied wins; both allowed and denied is a Deny with an error.
    pub fn verdict(&self) -> Verdict {
        let reason = if self.reason.is_empty() {
            Reason::None
        } else {
            Reason::Shared(self.reason.clone())
        };
        match (self.allowed, self.denied) {
            (true, true) => Verdict::deny(reason).with_error(AuthzError::new(
                "webhook subject access review returned both allow and deny response",
            )),
            (false, true) => Verdict::deny(reason),
            (true, false) => Verdict::allow(reason),
            (false, false) => Verdict {
                decision: Decision::NoOpinion,
                reason,
                error: None,
            },
        }
    }
}

/// How an attempt failed, which decides whether it is retried and how it is counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallErrorKind {
    /// A transient failure worth another attempt: connection reset, HTTP/2 connection lost,
    /// HTTP 500 or 429, or any answer carrying `Retry-After`.
    Retryable,
    /// HTTP 504: retried, and counted as a timeout.
    GatewayTimeout,
    /// The attempt ran out of time (not retried).
    Timeout,
    /// Anything else: refused, malformed, TLS failure (not retried).
    Fatal,
}

/// A failed attempt.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error("{message}")]
pub struct CallError {
    kind: CallErrorKind,
    message: String,
}

impl CallError {
    /// An error of `kind`.
    pub fn new(kind: CallErrorKind, message: impl Into<String>) -> Self {
        CallError {
            kind,
            message: message.into(),
        }
    }

    /// What kind of failure.
    pub fn kind(&self) -> CallErrorKind {
        self.kind
    }

    /// Whether another attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            CallErrorKind::Retryable | CallErrorKind::GatewayTimeout
        )
    }

    /// The `result` label of the attempt metrics.
    pub fn result_label(&self) -> &'static str {
        match self.kind {
            CallErrorKind::Timeout | CallErrorKind::GatewayTimeout => "timeout",
            CallErrorKind::Retryable | CallErrorKind::Fatal => "error",
        }
    }
}
