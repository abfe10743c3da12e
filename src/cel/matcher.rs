//! kube-apiserver's `CELMatcher.Eval` (spec 4.4): conditions in order, a
//! clean `false` excludes at once (discarding earlier errors), errors are
//! remembered and aggregated after the loop.

use super::compile::CompiledCondition;
use super::error::EvalError;
use super::request::SarView;
use crate::authz::explain::ConditionCheck;
pub use crate::authz::guard::MatchOutcome;
use std::sync::Arc;

/// The ordered matchConditions of one webhook.
#[derive(Debug, Clone, Default)]
pub struct Matcher {
    conditions: Vec<Arc<CompiledCondition>>,
    field_selector: bool,
    label_selector: bool,
}

/// What the metrics need to know about one evaluation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MatchStats {
    /// Some condition failed (counted even when a later `false` excluded
    /// the request, as kube-apiserver's deferred error metric does).
    pub errored: bool,
    /// A condition evaluated to `false`.
    pub excluded: bool,
    /// How many conditions were evaluated.
    pub evaluated: usize,
}

impl Matcher {
    /// A matcher over `conditions`, evaluated in order. Selector fields
    /// are provided to every condition when any condition selects them.
    pub fn new(conditions: Vec<Arc<CompiledCondition>>) -> Self {
        let field_selector = conditions.iter().any(|c| c.uses_field_selector);
        let label_selector = conditions.iter().any(|c| c.uses_label_selector);
        Matcher {
            conditions,
            field_selector,
            label_selector,
        }
    }

    /// The conditions, in order.
    pub fn conditions(&self) -> &[Arc<CompiledCondition>] {
        &self.conditions
    }

    /// Evaluates every condition against `request`.
    pub fn evaluate(&self, request: &SarView<'_>) -> (MatchOutcome, MatchStats) {
        let mut stats = MatchStats::default();
        let mut errors: Vec<String> = Vec::new();
        for condition in &self.conditions {
            stats.evaluated += 1;
            let result = condition.evaluate_with(request, self.field_selector, self.label_selector);
            match result {
                Ok(true) => {}
                Ok(false) => {
                    stats.excluded = true;
                    stats.errored = !errors.is_empty();
                    return (MatchOutcome::NoMatch, stats);
                }
                Err(e) => errors.push(error_text(condition, &e)),
            }
        }
        if errors.is_empty() {
            return (MatchOutcome::Match, stats);
        }
        stats.errored = true;
        (
            MatchOutcome::Error(crate::go::format_aggregate(errors)),
            stats,
        )
    }

    /// Each condition's result, in order up to the first false, with the error texts of
    /// [`evaluate`](Self::evaluate), for `explain`.
    pub fn explain(&self, request: &SarView<'_>) -> Vec<ConditionCheck> {
        let mut checks = Vec::with_capacity(self.conditions.len());
        for condition in &self.conditions {
            let result = condition.evaluate_with(request, self.field_selector, self.label_selector);
            let expression = condition.expression().to_owned();
            let (result, error) = match result {
                Ok(true) => ("true", None),
                Ok(false) => ("false", None),
                Err(e) => ("error", Some(error_text(condition, &e))),
            };
            checks.push(ConditionCheck {
                expression,
                result,
                error,
            });
            if result == "false" {
                break;
            }
        }
        checks
    }
}

/// kube-apiserver's text for a condition that failed to evaluate.
fn error_text(condition: &CompiledCondition, error: &EvalError) -> String {
    match error {
        EvalError::NotBool(t) => format!(
            "cel evaluation error: expression '{}' eval result type should be bool but got %!W(*types.Type={t})",
            condition.expression()
        ),
        e => format!(
            "cel evaluation error: expression '{}' resulted in error: {e}",
            condition.expression()
        ),
    }
}
