//! `StandIn`: a webhook step that answers without calling the webhook, for `replay --webhooks
//! allow|deny|no-opinion|skip`. `serve` and `eval` never build one.
//!
//! The step's matchConditions still run, so a request the webhook would never have seen gets
//! NoOpinion (and a condition error the failure policy) exactly as with the real webhook. Only when
//! the webhook would have been called does the stand-in answer its fixed decision, with a reason
//! from [`STAND_IN_REASONS`] marked as [`Reason::StandIn`]; the chain notices that variant and
//! reports the link in
//! [`ChainVerdict::stand_in`](super::ChainVerdict::stand_in), so replay can tell which decisions
//! rest on an answer nobody gave.

use std::sync::Arc;

use super::explain::{Detail, ExplainFuture, ExplainOptions, Explained, WebhookDetail};
use super::guard::{ConditionGate, MatchConditions};
use super::{Authorize, Decision, Outcome, Reason, Request, Verdict};
use crate::metrics::Metrics;

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

/// The reasons stand-ins answer with, one per [`StandInAnswer`] in declaration order.
pub const STAND_IN_REASONS: [&str; 4] = [
    "replay: webhook not called, assumed to allow (--webhooks allow)",
    "replay: webhook not called, assumed to deny (--webhooks deny)",
    "replay: webhook not called, assumed to have no opinion (--webhooks no-opinion)",
    "replay: webhook not called (--webhooks skip)",
];

impl StandInAnswer {
    /// The `--webhooks` value that selects this answer.
    pub fn flag(self) -> &'static str {
        match self {
            StandInAnswer::Allow => "allow",
            StandInAnswer::Deny => "deny",
            StandInAnswer::NoOpinion => "no-opinion",
            StandInAnswer::Skip => "skip",
        }
    }

    /// The stand-in's answer where the webhook would have been called.
    pub fn verdict(self) -> Verdict {
        let (decision, reason) = match self {
            StandInAnswer::Allow => (Decision::Allow, STAND_IN_REASONS[0]),
            StandInAnswer::Deny => (Decision::Deny, STAND_IN_REASONS[1]),
            StandInAnswer::NoOpinion => (Decision::NoOpinion, STAND_IN_REASONS[2]),
            StandInAnswer::Skip => (Decision::NoOpinion, STAND_IN_REASONS[3]),
        };
        Verdict {
            decision,
            reason: Reason::StandIn(reason),
            error: None,
        }
    }
}

/// Whether `verdict` came from a stand-in that would have called its webhook.
pub fn is_stand_in(verdict: &Verdict) -> bool {
    matches!(verdict.reason, Reason::StandIn(_))
}

/// A webhook step replaced by a fixed answer.
pub struct StandIn {
    answer: StandInAnswer,
    failure_policy: Decision,
    conditions: Option<ConditionGate>,
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
    /// A stand-in for the webhook `name` answering `answer` once `conditions` (its compiled
    /// matchConditions) match; a condition error returns `failure_policy` with the error, as the
    /// webhook would, and the conditions are counted in `metrics` as the webhook's guard counts
    /// them.
    pub fn new(
        answer: StandInAnswer,
        failure_policy: Decision,
        conditions: Option<Arc<dyn MatchConditions>>,
        metrics: &Metrics,
        name: &str,
    ) -> Self {
        StandIn {
            answer,
            failure_policy,
            conditions: conditions.map(|conditions| {
                ConditionGate::new(conditions, failure_policy, metrics, "Webhook", name)
            }),
        }
    }
}

impl Authorize for StandIn {
    fn authorize<'a>(&'a self, request: &'a Request) -> Outcome<'a> {
        if let Some(verdict) = self
            .conditions
            .as_ref()
            .and_then(|gate| gate.check(request))
        {
            return Outcome::Ready(verdict);
        }
        Outcome::Ready(self.answer.verdict())
    }

    fn explain<'a>(&'a self, request: &'a Request, _: &'a ExplainOptions) -> ExplainFuture<'a> {
        let mut detail = WebhookDetail {
            failure_policy: self.failure_policy.as_str(),
            ..WebhookDetail::default()
        };
        let verdict = match self.conditions.as_ref().map(|gate| gate.explain(request)) {
            Some((Some(verdict), checks)) => {
                detail.conditions = checks;
                detail.failure_policy_applied = verdict.error.is_some();
                verdict
            }
            other => {
                if let Some((_, checks)) = other {
                    detail.conditions = checks;
                }
                detail.stand_in = Some(self.answer.flag());
                self.answer.verdict()
            }
        };
        Box::pin(std::future::ready(Explained {
            verdict,
            detail: Detail::Webhook(detail),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authz::guard::{MatchOutcome, MatchResult};
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

    /// The series a case must have recorded, as the guard records it.
    fn outcome_for_metrics(case: &str) -> Option<&'static str> {
        match case {
            "false condition" => Some(
                "apiserver_authorization_match_condition_exclusions_total{type=\"Webhook\",name=\"wh\"} 1",
            ),
            "condition error" => Some(
                "apiserver_authorization_match_condition_evaluation_errors_total{type=\"Webhook\",name=\"wh\"} 1",
            ),
            _ => None,
        }
    }

    #[test]
    fn a_text_like_a_stand_ins_is_not_one() {
        let verdict = Verdict::no_opinion(Reason::Static(STAND_IN_REASONS[3]));
        assert!(!is_stand_in(&verdict));
        let verdict = Verdict::no_opinion(Reason::Owned(STAND_IN_REASONS[0].to_owned()));
        assert!(!is_stand_in(&verdict));
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
            let metrics = Metrics::new();
            let verdict = ask(&StandIn::new(
                answer,
                Decision::Deny,
                conditions,
                &metrics,
                "wh",
            ));
            assert_eq!(verdict.decision, decision, "{name}");
            assert_eq!(is_stand_in(&verdict), marked, "{name}");
            if let Some(outcome) = outcome_for_metrics(name) {
                let text = metrics.encode();
                assert!(text.contains(outcome), "{name}: {text}");
            }
        }
    }
}
