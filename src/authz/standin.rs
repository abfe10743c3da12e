//! `StandIn`: a webhook step that answers without calling the webhook, for `replay --webhooks
//! allow|deny|no-opinion|skip`. `serve` and `eval` never build one.
//!
//! The step's matchConditions still run, so a request the webhook would never have seen gets
//! NoOpinion (and a condition error the failure policy) exactly as with the real webhook. Only when
//! the webhook would have been called does the stand-in answer its fixed decision, with a reason
//! from [`STAND_IN_REASONS`]; the chain notices that reason and reports the link in
//! [`ChainVerdict::stand_in`](super::ChainVerdict::stand_in), so replay can tell which decisions
//! rest on an answer nobody gave.

use std::sync::Arc;

use super::guard::{MatchConditions, MatchOutcome};
use super::{Authorize, AuthzError, Decision, Outcome, Reason, Request, Verdict};

/// What a stand-in answers when the webhook would have been called.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StandInAnswer {
    /// Allow, as if the webhook had allowed (`--webhooks allow`).
    Allow,
    /// Deny, as if the webhook had denied (`--webhooks deny`).
    Deny,
    /// NoOpinion, as if the webhook had no opinion (`--webhooks no-opinion`).
    NoOpinion,
    /// NoOpinion, standing for an unknown answer (`--webhooks skip`): replay counts every
    /// decision reached past this step as approximated.
    Skip,
}

/// The reasons stand-ins answer with, one per [`StandInAnswer`] in declaration order. Only
/// compile-time strings: a real webhook's reason is never a [`Reason::Static`].
pub const STAND_IN_REASONS: [&str; 4] = [
    "replay: webhook not called, assumed to allow (--webhooks allow)",
    "replay: webhook not called, assumed to deny (--webhooks deny)",
    "replay: webhook not called, assumed to have no opinion (--webhooks no-opinion)",
    "replay: webhook not called (--webhooks skip)",
];

impl StandInAnswer {
    fn verdict(self) -> Verdict {
        let (decision, reason) = match self {
            StandInAnswer::Allow => (Decision::Allow, STAND_IN_REASONS[0]),
            StandInAnswer::Deny => (Decision::Deny, STAND_IN_REASONS[1]),
            StandInAnswer::NoOpinion => (Decision::NoOpinion, STAND_IN_REASONS[2]),
            StandInAnswer::Skip => (Decision::NoOpinion, STAND_IN_REASONS[3]),
        };
        Verdict {
            decision,
            reason: Reason::Static(reason),
            error: None,
        }
    }
}

/// Whether `verdict` came from a stand-in that would have called its webhook.
pub fn is_stand_in(verdict: &Verdict) -> bool {
    match verdict.reason {
        Reason::Static(text) => text.starts_with("replay: webhook not called"),
        _ => false,
    }
}

/// A webhook step replaced by a fixed answer.
pub struct StandIn {
    answer: StandInAnswer,
    failure_policy: Decision,
    conditions: Option<Arc<dyn MatchConditions>>,
}

impl std::fmt::Debug for StandIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StandIn")
            .field("answer", &self.answer)
            .field("failure_policy", &self.failure_policy)
            .finish_non_exhaustive()
    }
}

// === impl StandIn ===

impl StandIn {
    /// A stand-in answering `answer` once `conditions` (the webhook's compiled matchConditions)
    /// match; a condition error returns `failure_policy` with the error, as the webhook would.
    pub fn new(
        answer: StandInAnswer,
        failure_policy: Decision,
        conditions: Option<Arc<dyn MatchConditions>>,
    ) -> Self {
        StandIn {
            answer,
            failure_policy,
            conditions,
        }
    }
}

impl Authorize for StandIn {
    fn authorize<'a>(&'a self, request: &'a Request) -> Outcome<'a> {
        if let Some(conditions) = &self.conditions {
            match conditions.evaluate(request).outcome {
                MatchOutcome::Match => {}
                MatchOutcome::NoMatch => {
                    return Outcome::Ready(Verdict::no_opinion(Reason::None));
                }
                MatchOutcome::Error(error) => {
                    return Outcome::Ready(Verdict {
                        decision: self.failure_policy,
                        reason: Reason::None,
                        error: Some(AuthzError::new(error)),
                    });
                }
            }
        }
        Outcome::Ready(self.answer.verdict())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authz::guard::MatchResult;
    use crate::authz::{Attributes, NonResourceAttributes, UserInfo};

    struct Fixed(MatchOutcome);

    impl MatchConditions for Fixed {
        fn evaluate(&self, _request: &Request) -> MatchResult {
            MatchResult {
                outcome: self.0.clone(),
                had_error: matches!(self.0, MatchOutcome::Error(_)),
            }
        }
    }

    fn ask(step: &StandIn) -> Verdict {
        let request = Request {
            user: UserInfo::default(),
            attributes: Attributes::NonResource(NonResourceAttributes {
                path: "/healthz".into(),
                verb: "get".into(),
            }),
        };
        match step.authorize(&request) {
            Outcome::Ready(verdict) => verdict,
            Outcome::Pending(_) => panic!("a stand-in answers at once"),
        }
    }

    #[test]
    fn answers_only_when_the_webhook_would_be_called() {
        let cases = [
            (
                "no conditions, allow",
                StandInAnswer::Allow,
                None,
                Decision::Allow,
                true,
            ),
            (
                "no conditions, skip",
                StandInAnswer::Skip,
                None,
                Decision::NoOpinion,
                true,
            ),
            ("deny", StandInAnswer::Deny, None, Decision::Deny, true),
            (
                "false condition",
                StandInAnswer::Allow,
                Some(MatchOutcome::NoMatch),
                Decision::NoOpinion,
                false,
            ),
            (
                "condition error",
                StandInAnswer::Allow,
                Some(MatchOutcome::Error("boom".into())),
                Decision::Deny,
                false,
            ),
        ];
        for (name, answer, outcome, decision, marked) in cases {
            let conditions = outcome.map(|o| Arc::new(Fixed(o)) as Arc<dyn MatchConditions>);
            let verdict = ask(&StandIn::new(answer, Decision::Deny, conditions));
            assert_eq!(verdict.decision, decision, "{name}");
            assert_eq!(is_stand_in(&verdict), marked, "{name}");
        }
    }
}
