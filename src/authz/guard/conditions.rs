//! The guard's view of matchConditions.

use crate::authz::Request;
use crate::authz::explain::ConditionCheck;

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

    /// Each condition's result in order, up to the first false, for `explain`. The default,
    /// for conditions that cannot tell them apart, reports the whole evaluation as one.
    fn explain(&self, request: &Request) -> Vec<ConditionCheck> {
        let (result, error) = match self.evaluate(request).outcome {
            MatchOutcome::Match => ("true", None),
            MatchOutcome::NoMatch => ("false", None),
            MatchOutcome::Error(error) => ("error", Some(error)),
        };
        vec![ConditionCheck {
            expression: "matchConditions".into(),
            result,
            error,
        }]
    }
}

/// The outcome of conditions explained one by one, as [`MatchConditions::evaluate`] combines
/// them: the first false wins, else the errors, else a match.
pub fn outcome_of(checks: &[ConditionCheck]) -> MatchOutcome {
    if checks.iter().any(|c| c.result == "false") {
        return MatchOutcome::NoMatch;
    }
    let errors: Vec<&str> = checks.iter().filter_map(|c| c.error.as_deref()).collect();
    if errors.is_empty() {
        MatchOutcome::Match
    } else {
        MatchOutcome::Error(crate::go::format_aggregate(errors))
    }
}

/// matchConditions in front of a step, with their metrics and the step's failure policy: the one
/// place that turns an evaluation into "go on" or an answer, shared by the guard and by replay's
/// stand-ins so both count `apiserver_authorization_match_condition_*` the same way.
pub struct ConditionGate {
    conditions: std::sync::Arc<dyn MatchConditions>,
    failure_policy: crate::authz::Decision,
    errors: prometheus_client::metrics::counter::Counter,
    exclusions: prometheus_client::metrics::counter::Counter,
    duration: prometheus_client::metrics::histogram::Histogram,
}

impl std::fmt::Debug for ConditionGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConditionGate")
            .field("failure_policy", &self.failure_policy)
            .finish_non_exhaustive()
    }
}

impl ConditionGate {
    /// A gate evaluating `conditions` for the step `kind`/`name`, recording into `metrics`.
    pub fn new(
        conditions: std::sync::Arc<dyn MatchConditions>,
        failure_policy: crate::authz::Decision,
        metrics: &crate::metrics::Metrics,
        kind: &str,
        name: &str,
    ) -> Self {
        let labels = crate::metrics::AuthorizerLabels {
            r#type: kind.to_owned(),
            name: name.to_owned(),
        };
        ConditionGate {
            conditions,
            failure_policy,
            errors: metrics.match_condition_errors.get_or_create_owned(&labels),
            exclusions: metrics
                .match_condition_exclusions
                .get_or_create_owned(&labels),
            duration: metrics
                .match_condition_duration
                .get_or_create_owned(&labels),
        }
    }

    /// `None` when the step should go on to its call; otherwise its answer now: NoOpinion when a
    /// condition is false, the failure policy with the error when they fail to evaluate.
    pub fn check(&self, request: &Request) -> Option<crate::authz::Verdict> {
        let started = std::time::Instant::now();
        let result = self.conditions.evaluate(request);
        self.duration.observe(started.elapsed().as_secs_f64());
        if result.had_error {
            self.errors.inc();
        }
        if result.outcome == MatchOutcome::NoMatch {
            self.exclusions.inc();
        }
        self.answer(result.outcome)
    }

    /// [`check`](Self::check) for `explain`: the same answer, each condition's result, and no
    /// metric recorded.
    pub fn explain(
        &self,
        request: &Request,
    ) -> (Option<crate::authz::Verdict>, Vec<ConditionCheck>) {
        let checks = self.conditions.explain(request);
        (self.answer(outcome_of(&checks)), checks)
    }

    fn answer(&self, outcome: MatchOutcome) -> Option<crate::authz::Verdict> {
        use crate::authz::{AuthzError, Reason, Verdict};
        match outcome {
            MatchOutcome::Match => None,
            MatchOutcome::NoMatch => Some(Verdict::no_opinion(Reason::None)),
            MatchOutcome::Error(error) => Some(Verdict {
                decision: self.failure_policy,
                reason: Reason::None,
                error: Some(AuthzError::new(error)),
            }),
        }
    }
}
