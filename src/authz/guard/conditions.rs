//! The guard's view of matchConditions.

use crate::authz::Request;

/// Whether a request should reach the guarded authorizer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MatchOutcome {
    /// Every condition is true (or there are none): call.
    Match,
    /// A condition is false: skip with NoOpinion.
    NoMatch,
    /// Conditions failed to evaluate: apply the failure policy with this error.
    Error(String),
}

/// An evaluation and what the metrics need to know about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatchResult {
    /// The outcome.
    pub outcome: MatchOutcome,
    /// Some condition errored (counted even when a later false excluded the request).
    pub had_error: bool,
}

/// Compiled matchConditions.
pub trait MatchConditions: Send + Sync {
    /// Evaluates every condition against `request`, with upstream's rules.
    fn evaluate(&self, request: &Request) -> MatchResult;
}
