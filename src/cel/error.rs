//! Evaluation errors: cel-go's error values (a message) and the
//! cancellation raised when the runtime cost limit is exceeded.

use std::fmt;
use std::sync::Arc;

/// cel-go's message when the runtime cost limit is exceeded.
pub const COST_LIMIT_EXCEEDED: &str = "operation cancelled: actual cost limit exceeded";

/// An error value inside the evaluator, cheap to clone.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Error {
    /// An error value with a fixed message.
    Static(&'static str),
    /// An error value with a computed message.
    Owned(Arc<str>),
    /// Evaluation was cancelled (cost limit): never absorbed by `||`/`&&`.
    Cancelled,
}

impl Error {
    /// An error with a computed message.
    pub(crate) fn msg(s: impl Into<String>) -> Self {
        Error::Owned(Arc::from(s.into()))
    }

    /// cel-go's plain `no such overload`.
    pub(crate) fn no_such_overload() -> Self {
        Error::Static("no such overload")
    }

    /// cel-go's `no such overload: f(t1, t2)`.
    pub(crate) fn no_overload_for(function: &str, args: &[&super::value::Value<'_>]) -> Self {
        let types: Vec<&str> = args.iter().map(|a| a.type_name()).collect();
        Error::msg(format!(
            "no such overload: {function}({})",
            types.join(", ")
        ))
    }

    /// The message text.
    pub(crate) fn text(&self) -> &str {
        match self {
            Error::Static(s) => s,
            Error::Owned(s) => s,
            Error::Cancelled => COST_LIMIT_EXCEEDED,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}

/// Why a matchCondition did not evaluate to a boolean, with cel-go's text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// The expression produced an error value (e.g. `no such key: team`).
    #[error("{0}")]
    Failed(String),
    /// The runtime cost limit (1,000,000) was exceeded.
    #[error("operation cancelled: actual cost limit exceeded")]
    CostLimitExceeded,
    /// The expression produced a value of another type (`kube-apiserver`
    /// reports this differently from an evaluation error).
    #[error("eval result type should be bool but got {0}")]
    NotBool(String),
}

impl From<Error> for EvalError {
    fn from(e: Error) -> Self {
        match e {
            Error::Cancelled => EvalError::CostLimitExceeded,
            other => EvalError::Failed(other.text().to_string()),
        }
    }
}
