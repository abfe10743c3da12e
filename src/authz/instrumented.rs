//! Counts each Allow and Deny of a configured authorizer in
//! `apiserver_authorization_decisions_total` (upstream's `InstrumentedAuthorizer`; NoOpinion is
//! not counted). The outermost wrapper of every configured step.

use std::sync::Arc;

use prometheus_client::metrics::counter::Counter;

use super::explain::{ExplainFuture, ExplainOptions};
use super::{Authorize, Decision, Outcome, Request, Verdict};
use crate::metrics::{DecisionLabels, Metrics};

/// A step whose terminal decisions are counted.
pub struct Instrumented {
    inner: Arc<dyn Authorize>,
    allowed: Counter,
    denied: Counter,
}

impl Instrumented {
    /// Wraps `inner`, labelled with its type and name.
    pub fn new(inner: Arc<dyn Authorize>, kind: &str, name: &str, metrics: &Metrics) -> Self {
        let labels = |decision: &str| DecisionLabels {
            r#type: kind.to_owned(),
            name: name.to_owned(),
            decision: decision.to_owned(),
        };
        Instrumented {
            inner,
            allowed: metrics.decisions.get_or_create_owned(&labels("allowed")),
            denied: metrics.decisions.get_or_create_owned(&labels("denied")),
        }
    }

    fn count(&self, verdict: &Verdict) {
        match verdict.decision {
            Decision::Allow => {
                self.allowed.inc();
            }
            Decision::Deny => {
                self.denied.inc();
            }
            Decision::NoOpinion => {}
        }
    }
}

impl Authorize for Instrumented {
    fn authorize<'a>(&'a self, request: &'a Request) -> Outcome<'a> {
        match self.inner.authorize(request) {
            Outcome::Ready(verdict) => {
                self.count(&verdict);
                Outcome::Ready(verdict)
            }
            Outcome::Pending(future) => Outcome::Pending(Box::pin(async move {
                let verdict = future.await;
                self.count(&verdict);
                verdict
            })),
        }
    }

    /// Explanations are not decisions: nothing is counted.
    fn explain<'a>(
        &'a self,
        request: &'a Request,
        options: &'a ExplainOptions,
    ) -> ExplainFuture<'a> {
        self.inner.explain(request, options)
    }
}
