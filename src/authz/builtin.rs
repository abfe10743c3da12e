//! The trivial authorizers: `AlwaysAllow`, `AlwaysDeny` (which, as upstream, answers NoOpinion), and
//! the privileged-group step kube-apiserver puts in front of every chain.

use super::explain::{Detail, ExplainFuture, ExplainOptions, Explained};
use super::text::str_eq;
use super::{Authorize, Outcome, Reason, Request, Verdict};

/// `type: AlwaysAllow`: allows everything, with no reason.
#[derive(Clone, Copy, Debug, Default)]
pub struct AlwaysAllow;

impl Authorize for AlwaysAllow {
    fn authorize<'a>(&'a self, _request: &'a Request) -> Outcome<'a> {
        Outcome::Ready(Verdict::allow(Reason::None))
    }
}

/// `type: AlwaysDeny`: upstream's `alwaysDenyAuthorizer` returns NoOpinion with the reason
/// `Everything is forbidden.`, so a later authorizer may still allow.
#[derive(Clone, Copy, Debug, Default)]
pub struct AlwaysDeny;

impl Authorize for AlwaysDeny {
    fn authorize<'a>(&'a self, _request: &'a Request) -> Outcome<'a> {
        Outcome::Ready(Verdict::no_opinion(Reason::Static(
            "Everything is forbidden.",
        )))
    }
}

/// Allows every member of one group (kube-apiserver's `system:masters` step) with an empty reason;
/// NoOpinion for everyone else.
#[derive(Clone, Debug)]
pub struct Superuser {
    group: String,
}

impl Superuser {
    /// A step that allows members of `group`.
    pub fn new(group: impl Into<String>) -> Self {
        Superuser {
            group: group.into(),
        }
    }

    /// The privileged group.
    pub fn group(&self) -> &str {
        &self.group
    }
}

impl Superuser {
    fn decide(&self, request: &Request) -> (bool, Verdict) {
        let member = request.user.groups.iter().any(|g| str_eq(g, &self.group));
        let verdict = if member {
            Verdict::allow(Reason::None)
        } else {
            Verdict::no_opinion(Reason::None)
        };
        (member, verdict)
    }
}

impl Authorize for Superuser {
    fn authorize<'a>(&'a self, request: &'a Request) -> Outcome<'a> {
        Outcome::Ready(self.decide(request).1)
    }

    fn explain<'a>(&'a self, request: &'a Request, _: &'a ExplainOptions) -> ExplainFuture<'a> {
        let (member, verdict) = self.decide(request);
        let detail = Detail::Superuser {
            group: self.group.clone(),
            member,
        };
        Box::pin(std::future::ready(Explained { verdict, detail }))
    }
}
