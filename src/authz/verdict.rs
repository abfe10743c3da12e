//! `Decision` and `Verdict`: what an authorizer answers.
//!
//! A verdict is a decision plus an optional reason plus an optional error, like the three values
//! every Kubernetes authorizer returns. A `Result` could not say "Deny because the webhook failed
//! closed" or "NoOpinion, with an error". `Decision` has no `Default`: nothing becomes Allow, or
//! Deny, by accident.

use std::fmt;
use std::sync::Arc;

use crate::go::format_aggregate;

/// The three answers of an authorizer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decision {
    /// The request is allowed; the chain stops.
    Allow,
    /// The request is explicitly denied; the chain stops.
    Deny,
    /// No opinion; the chain asks the next authorizer.
    NoOpinion,
}

impl Decision {
    /// The name Kubernetes prints (`Allow`, `Deny`, `NoOpinion`).
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "Allow",
            Decision::Deny => "Deny",
            Decision::NoOpinion => "NoOpinion",
        }
    }
}

/// A reason text. Precomputed reasons are shared, so answering does not allocate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Reason {
    /// No reason (the empty string on the wire).
    #[default]
    None,
    /// A fixed text.
    Static(&'static str),
    /// A text computed once and shared (for example when an RBAC index is built).
    Shared(Arc<str>),
    /// A text computed for this request.
    Owned(String),
    /// The answer of a replay stand-in where the webhook would have been called: the text says
    /// which. The variant, not the text, is how the chain tells such answers apart.
    StandIn(&'static str),
}

impl Reason {
    /// The text; empty for [`Reason::None`].
    pub fn as_str(&self) -> &str {
        match self {
            Reason::None => "",
            Reason::Static(s) => s,
            Reason::Shared(s) => s,
            Reason::Owned(s) => s,
            Reason::StandIn(s) => s,
        }
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.as_str().is_empty()
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An evaluation error: one message or the flattened list of several, printed as a Kubernetes
/// error aggregate (`[first, second]`, duplicates removed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthzError {
    messages: Vec<String>,
}

impl AuthzError {
    /// An error with one message.
    pub fn new(message: impl Into<String>) -> Self {
        AuthzError {
            messages: vec![message.into()],
        }
    }

    /// Flattens several errors into one aggregate; `None` when there are none.
    pub fn aggregate(errors: impl IntoIterator<Item = AuthzError>) -> Option<Self> {
        let messages: Vec<String> = errors.into_iter().flat_map(|e| e.messages).collect();
        (!messages.is_empty()).then_some(AuthzError { messages })
    }

    /// The individual messages, flattened.
    pub fn messages(&self) -> &[String] {
        &self.messages
    }
}

impl fmt::Display for AuthzError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_aggregate(&self.messages))
    }
}

impl std::error::Error for AuthzError {}

/// What one authorizer answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Allow, Deny or NoOpinion.
    pub decision: Decision,
    /// Why, for people.
    pub reason: Reason,
    /// What went wrong while deciding, if anything (returned even with NoOpinion).
    pub error: Option<AuthzError>,
}

impl Verdict {
    /// Allow with a reason.
    pub fn allow(reason: Reason) -> Self {
        Verdict {
            decision: Decision::Allow,
            reason,
            error: None,
        }
    }

    /// Deny with a reason.
    pub fn deny(reason: Reason) -> Self {
        Verdict {
            decision: Decision::Deny,
            reason,
            error: None,
        }
    }

    /// NoOpinion with a reason.
    pub fn no_opinion(reason: Reason) -> Self {
        Verdict {
            decision: Decision::NoOpinion,
            reason,
            error: None,
        }
    }

    /// The same verdict carrying `error`.
    pub fn with_error(mut self, error: AuthzError) -> Self {
        self.error = Some(error);
        self
    }
}
