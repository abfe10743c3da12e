//! The step wrapper: matchConditions, the decision cache with single flight, retries with backoff,
//! the per-attempt timeout and the failure policy, applied the same way to any authorizer that
//! answers by calling something ([`Call`]). Upstream keeps all of this inside the webhook
//! authorizer (`webhook.go` `Authorize`); here the webhook only knows how to make one attempt.
//!
//! Order, as upstream: matchConditions (a false skips the call, an error applies the failure
//! policy) → cache lookup → call with retries, each attempt bounded by the timeout → cache store
//! (successes only) → the answer's decision, or the failure policy with the error.

mod cache;
mod call;
mod conditions;
mod flight;
mod retry;
mod step;

pub use cache::{DecisionCache, MAX_CACHEABLE_ATTRIBUTE_BYTES, should_cache};
pub use call::{Answer, Call, CallError, CallErrorKind, CallFuture};
pub use conditions::{ConditionGate, MatchConditions, MatchOutcome, MatchResult, outcome_of};
pub use retry::Backoff;
pub use step::{Guard, GuardConfig};
