//! The chain: kube-apiserver's union authorizer (`pkg/authorization/union`).
//!
//! Links are asked in order. The first Allow or Deny wins and keeps only its own reason and
//! error; earlier NoOpinion reasons and errors are dropped. NoOpinion moves on. When every link
//! says NoOpinion (or there are none), the result is NoOpinion with the non-empty reasons joined
//! by newlines and the errors aggregated.
//!
//! The chain also notes the first link that answered through a replay stand-in
//! ([`super::StandIn`]): `serve` and `eval` never have one, and replay uses it to mark decisions
//! that rest on a webhook nobody called.

use std::sync::Arc;

use super::explain::{Detail, ExplainOptions};
use super::standin::is_stand_in;
use super::{Authorize, AuthzError, Decision, Reason, Request, Verdict};

/// One named step of a chain.
#[derive(Clone)]
pub struct Link {
    /// The authorizer's configured name (`rbac`, `node`, a webhook's name).
    pub name: Arc<str>,
    /// The authorizer type as configured (`RBAC`, `Node`, `Webhook`, ...), for metrics and logs.
    pub kind: &'static str,
    /// The authorizer itself, already wrapped by whatever guards it.
    pub authorizer: Arc<dyn Authorize>,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// An ordered list of authorizers with union semantics.
#[derive(Clone, Debug, Default)]
pub struct Chain {
    links: Vec<Link>,
}

/// The chain's answer and which link gave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainVerdict {
    /// The combined verdict.
    pub verdict: Verdict,
    /// The name of the link that allowed or denied; `None` when every link said NoOpinion.
    pub decided_by: Option<Arc<str>>,
    /// The first link asked that answered through a replay stand-in instead of calling its
    /// webhook; `None` outside replay.
    pub stand_in: Option<Arc<str>>,
}

impl Chain {
    /// A chain of `links`, asked in this order.
    pub fn new(links: Vec<Link>) -> Self {
        Chain { links }
    }

    /// The links in order.
    pub fn links(&self) -> &[Link] {
        &self.links
    }

    /// Asks each link in turn and combines the answers.
    pub async fn evaluate(&self, request: &Request) -> ChainVerdict {
        let mut union = Union::default();
        let mut stand_in: Option<Arc<str>> = None;
        for link in &self.links {
            let verdict = link.authorizer.authorize(request).resolve().await;
            if stand_in.is_none() && is_stand_in(&verdict) {
                stand_in = Some(link.name.clone());
            }
            if let Some(verdict) = union.add(verdict) {
                return ChainVerdict {
                    verdict,
                    decided_by: Some(link.name.clone()),
                    stand_in,
                };
            }
        }
        ChainVerdict {
            verdict: union.finish(),
            decided_by: None,
            stand_in,
        }
    }

    /// Asks each link to explain `request` (see [`super::explain`]) and combines the answers as
    /// [`evaluate`](Self::evaluate) does. Links after the one that decided are listed, not asked.
    pub async fn explain(&self, request: &Request, options: &ExplainOptions) -> ChainExplanation {
        let mut union = Union::default();
        let mut steps = Vec::with_capacity(self.links.len());
        let mut decided: Option<(Verdict, Arc<str>)> = None;
        for link in &self.links {
            let mut step = StepExplanation {
                name: link.name.clone(),
                kind: link.kind,
                asked: decided.is_none(),
                decided: false,
                verdict: None,
                detail: None,
            };
            if decided.is_none() {
                let explained = link.authorizer.explain(request, options).await;
                let verdict = explained.verdict.clone();
                if let Some(verdict) = union.add(explained.verdict) {
                    step.decided = true;
                    decided = Some((verdict, link.name.clone()));
                }
                step.verdict = Some(verdict);
                step.detail = Some(explained.detail);
            }
            steps.push(step);
        }
        let (verdict, decided_by) = match decided {
            Some((verdict, name)) => (verdict, Some(name)),
            None => (union.finish(), None),
        };
        ChainExplanation {
            verdict,
            decided_by,
            steps,
        }
    }
}

/// A chain's answer to `explain`, with every step.
#[derive(Clone, Debug, PartialEq)]
pub struct ChainExplanation {
    /// The combined verdict, as [`Chain::evaluate`] gives it.
    pub verdict: Verdict,
    /// The link that allowed or denied.
    pub decided_by: Option<Arc<str>>,
    /// Every link, in chain order.
    pub steps: Vec<StepExplanation>,
}

/// One link's part in an explanation.
#[derive(Clone, Debug, PartialEq)]
pub struct StepExplanation {
    /// The link's name.
    pub name: Arc<str>,
    /// Its type.
    pub kind: &'static str,
    /// Whether it was asked (links after the one that decided are not).
    pub asked: bool,
    /// Whether its answer was the chain's.
    pub decided: bool,
    /// Its answer, when asked.
    pub verdict: Option<Verdict>,
    /// Why, when asked.
    pub detail: Option<Detail>,
}

/// Union semantics, shared by `evaluate` and `explain`: NoOpinion answers are collected until a
/// link allows or denies.
#[derive(Default)]
struct Union {
    reasons: Vec<Reason>,
    errors: Vec<AuthzError>,
}

impl Union {
    /// Takes one link's answer: `Some` with it when it decides, `None` to go on.
    fn add(&mut self, verdict: Verdict) -> Option<Verdict> {
        match verdict.decision {
            Decision::Allow | Decision::Deny => Some(verdict),
            Decision::NoOpinion => {
                if !verdict.reason.is_empty() {
                    self.reasons.push(verdict.reason);
                }
                self.errors.extend(verdict.error);
                None
            }
        }
    }

    /// NoOpinion, with the non-empty reasons joined by newlines and the errors aggregated.
    fn finish(mut self) -> Verdict {
        let reason = match self.reasons.len() {
            0 => Reason::None,
            1 => self.reasons.swap_remove(0),
            _ => Reason::Owned(
                self.reasons
                    .iter()
                    .map(Reason::as_str)
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
        };
        Verdict {
            decision: Decision::NoOpinion,
            reason,
            error: AuthzError::aggregate(self.errors),
        }
    }
}

#[cfg(test)]
mod tests {
    //! Cases from upstream's `union_test.go`.
    use super::*;
    use crate::authz::Outcome;

    struct Fixed(Verdict);

    impl Authorize for Fixed {
        fn authorize<'a>(&'a self, _request: &'a Request) -> Outcome<'a> {
            Outcome::Ready(self.0.clone())
        }
    }

    struct Later(Verdict);

    impl Authorize for Later {
        fn authorize<'a>(&'a self, _request: &'a Request) -> Outcome<'a> {
            let verdict = self.0.clone();
            Outcome::Pending(Box::pin(async move {
                tokio::task::yield_now().await;
                verdict
            }))
        }
    }

    fn link(name: &str, authorizer: impl Authorize + 'static) -> Link {
        Link {
            name: name.into(),
            kind: "Test",
            authorizer: Arc::new(authorizer),
        }
    }

    fn request() -> Request {
        Request::alice_gets_healthz()
    }

    fn run(chain: &Chain) -> ChainVerdict {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(chain.evaluate(&request()))
    }

    fn no_opinion(reason: &'static str) -> Verdict {
        Verdict::no_opinion(Reason::Static(reason))
    }

    #[test]
    fn union_table() {
        struct Case {
            name: &'static str,
            links: Vec<Link>,
            decision: Decision,
            reason: &'static str,
            error: Option<&'static str>,
            decided_by: Option<&'static str>,
        }
        let cases = vec![
            Case {
                name: "empty chain is NoOpinion",
                links: vec![],
                decision: Decision::NoOpinion,
                reason: "",
                error: None,
                decided_by: None,
            },
            Case {
                name: "second passes",
                links: vec![
                    link("a", Fixed(no_opinion("not a"))),
                    link("b", Fixed(Verdict::allow(Reason::Static("b says yes")))),
                ],
                decision: Decision::Allow,
                reason: "b says yes",
                error: None,
                decided_by: Some("b"),
            },
            Case {
                name: "first passes, second never asked",
                links: vec![
                    link("a", Fixed(Verdict::allow(Reason::None))),
                    link("b", Fixed(Verdict::deny(Reason::None))),
                ],
                decision: Decision::Allow,
                reason: "",
                error: None,
                decided_by: Some("a"),
            },
            Case {
                name: "none pass: reasons joined, errors aggregated",
                links: vec![
                    link(
                        "a",
                        Fixed(no_opinion("r1").with_error(AuthzError::new("e1"))),
                    ),
                    link("b", Fixed(Verdict::no_opinion(Reason::None))),
                    link(
                        "c",
                        Later(no_opinion("r2").with_error(AuthzError::new("e2"))),
                    ),
                ],
                decision: Decision::NoOpinion,
                reason: "r1\nr2",
                error: Some("[e1, e2]"),
                decided_by: None,
            },
            Case {
                name: "deny with error stops the chain and drops earlier errors",
                links: vec![
                    link(
                        "a",
                        Fixed(no_opinion("r1").with_error(AuthzError::new("e1"))),
                    ),
                    link(
                        "b",
                        Later(Verdict::deny(Reason::None).with_error(AuthzError::new("boom"))),
                    ),
                    link("c", Fixed(Verdict::allow(Reason::None))),
                ],
                decision: Decision::Deny,
                reason: "",
                error: Some("boom"),
                decided_by: Some("b"),
            },
            Case {
                name: "unequivocal deny",
                links: vec![
                    link("a", Fixed(Verdict::deny(Reason::Static("no")))),
                    link("b", Fixed(Verdict::allow(Reason::None))),
                ],
                decision: Decision::Deny,
                reason: "no",
                error: None,
                decided_by: Some("a"),
            },
            Case {
                name: "duplicate errors are printed once",
                links: vec![
                    link(
                        "a",
                        Fixed(no_opinion("").with_error(AuthzError::new("same"))),
                    ),
                    link(
                        "b",
                        Fixed(no_opinion("").with_error(AuthzError::new("same"))),
                    ),
                ],
                decision: Decision::NoOpinion,
                reason: "",
                error: Some("same"),
                decided_by: None,
            },
        ];
        for case in cases {
            let got = run(&Chain::new(case.links));
            assert_eq!(got.verdict.decision, case.decision, "{}", case.name);
            assert_eq!(got.verdict.reason.as_str(), case.reason, "{}", case.name);
            assert_eq!(
                got.verdict.error.map(|e| e.to_string()).as_deref(),
                case.error,
                "{}",
                case.name
            );
            assert_eq!(got.decided_by.as_deref(), case.decided_by, "{}", case.name);
        }
    }
}
