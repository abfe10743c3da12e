//! Asking a chain about a reconstructed event. The chain is the one `serve` builds
//! ([`crate::build::build_chain`]); replay only chooses what its webhook steps do.
//!
//! In-memory authorizers answer at once, so a chain without webhook calls is polled once, on the
//! worker's own thread, with no runtime involved. When webhooks are called (`--webhooks call`),
//! each question is driven on the shared Tokio runtime that owns the webhook connections.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use super::forbidden;
use super::impersonation::{self, Refusal};
use super::reconstruct::Plan;
use super::record::{Recorded, Replayed};
use crate::authz::{Chain, ChainVerdict, Decision, Reason, Request};

/// A chain and, when its webhooks are called, the runtime they run on.
#[derive(Clone, Debug)]
pub struct Evaluator {
    chain: Chain,
    runtime: Option<tokio::runtime::Handle>,
}

impl Evaluator {
    /// Evaluates with `chain`; `runtime` is required when the chain calls webhooks.
    pub fn new(chain: Chain, runtime: Option<tokio::runtime::Handle>) -> Self {
        Evaluator { chain, runtime }
    }

    /// The chain's answer for one request.
    pub fn ask(&self, request: &Request) -> ChainVerdict {
        match &self.runtime {
            Some(runtime) => runtime.block_on(self.chain.evaluate(request)),
            None => block_on(self.chain.evaluate(request)),
        }
    }

    /// Replays one event's plan; `None` when there is nothing to ask.
    pub fn replay(&self, plan: &Plan) -> Option<Replayed> {
        match plan {
            Plan::Nothing => None,
            Plan::RefusedCheck(check) => {
                let verdict = self.ask(check);
                let reason = Reason::Owned(format!(
                    "impersonation check: {}",
                    forbidden::message(check)
                ));
                Some(replayed(verdict, Some(reason), None))
            }
            Plan::Request {
                request,
                impersonation,
            } => {
                let mut ambiguous = false;
                let mut mode = None;
                let mut stand_in = None;
                if let Some(boxed) = impersonation {
                    let (imp, other) = &**boxed;
                    let mut ask = |r: &Request| self.ask(r);
                    let outcome = impersonation::authorize(imp, &request.attributes, &mut ask);
                    if let Some(other) = other {
                        let alternative = impersonation::Impersonation {
                            wanted: other.clone(),
                            ..imp.clone()
                        };
                        let second =
                            impersonation::authorize(&alternative, &request.attributes, &mut ask);
                        ambiguous = second.refusal.is_some() != outcome.refusal.is_some();
                    }
                    stand_in = outcome.stand_in;
                    mode = outcome.constraint;
                    if let Some(refusal) = outcome.refusal {
                        let mut result = refused(refusal);
                        result.ambiguous = ambiguous;
                        result.stand_in = result.stand_in.or(stand_in);
                        return Some(result);
                    }
                }
                let verdict = self.ask(request);
                let mut result = replayed(verdict, None, mode);
                result.ambiguous = ambiguous;
                result.stand_in = stand_in.or(result.stand_in);
                Some(result)
            }
        }
    }
}

fn replayed(
    verdict: ChainVerdict,
    reason: Option<Reason>,
    impersonation: Option<&'static str>,
) -> Replayed {
    Replayed {
        decision: if verdict.verdict.decision == Decision::Allow {
            Recorded::Allow
        } else {
            Recorded::Forbid
        },
        decided_by: verdict.decided_by,
        reason: reason.unwrap_or(verdict.verdict.reason),
        stand_in: verdict.stand_in,
        impersonation,
        ambiguous: false,
    }
}

fn refused(refusal: Refusal) -> Replayed {
    match refusal {
        Refusal::Denied { check, verdict } => {
            let reason = Reason::Owned(format!(
                "impersonation refused: {}",
                forbidden::message(&check)
            ));
            replayed(verdict, Some(reason), None)
        }
        Refusal::Invalid(message) => Replayed {
            decision: Recorded::Forbid,
            decided_by: None,
            reason: Reason::Owned(format!("impersonation refused: {message}")),
            stand_in: None,
            impersonation: None,
            ambiguous: false,
        },
    }
}

/// Wakes the thread that is waiting in [`block_on`].
struct ThreadWaker(std::thread::Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Drives a future that needs no runtime to completion on this thread: one poll for the
/// in-memory authorizers, parking between polls otherwise.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
        return output;
    }
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::thread::park();
    }
}
