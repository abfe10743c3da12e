//! Impersonation as kube-apiserver 1.36 authorizes it (`filters/impersonation/mode.go`):
//! constrained impersonation (KEP 5284, on by default) tries the modes associated-node,
//! arbitrary-node, serviceaccount and user-info, each first asking
//! `impersonate-on:<mode>:<verb>` with the request's own attributes and then
//! `impersonate:<mode>` for the user name, UID, groups and extra; legacy `impersonate` comes last.
//! The first mode that applies and passes wins; if none does, the first refusal is the answer.
//!
//! Each check is one [`Request`] asked of the chain, so a candidate policy decides impersonation as
//! it decides everything else. Two things kube-apiserver does are left out because they never
//! change an answer: the per-requestor memory of the last mode that worked (it only reorders the
//! modes) and the 10-second cache of successful checks. Extra keys are checked in sorted order;
//! Go's map order is random, and every check must pass either way.

use std::sync::Arc;

use super::identity::invalid_extra;
pub use super::identity::{node_name, service_account, wanted_user};
use crate::authz::{Attributes, ChainVerdict, Decision, Request, ResourceAttributes, UserInfo};

/// The group kube-apiserver refuses to impersonate in constrained modes.
const MASTERS: &str = "system:masters";
/// Above this many groups or extra values, constrained modes first ask for `*`.
const MANY_CHECKS: usize = 4;
/// The requestor extra key a node-bound service-account token carries.
pub(super) const NODE_NAME_KEY: &str = "authentication.kubernetes.io/node-name";
/// What associated-node checks put in the requestor's extra instead of its values.
const ASSOCIATED_NODE_KEYS: &str = "authentication.kubernetes.io/associated-node-keys";

/// One impersonation attempt: who asked to be whom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Impersonation {
    /// The authenticated user (the event's `user`).
    pub requestor: UserInfo,
    /// The identity the client asked for, as far as the log tells (see [`wanted_user`]).
    pub wanted: UserInfo,
    /// The mode the log says succeeded (`impersonate:user-info`), tried first as kube-apiserver's
    /// mode memory would.
    pub constraint: Option<String>,
}

/// Why impersonation was refused.
#[derive(Clone, Debug)]
pub enum Refusal {
    /// An authorization check was not allowed.
    Denied {
        /// The check.
        check: Box<Request>,
        /// The chain's answer.
        verdict: ChainVerdict,
    },
    /// A constrained mode refused the identity itself, without asking an authorizer.
    Invalid(String),
}

/// The outcome of [`authorize`].
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The mode that allowed it (`impersonate:user-info`, or `impersonate` for legacy); `None`
    /// when refused.
    pub constraint: Option<&'static str>,
    /// The first refusal, when no mode allowed it.
    pub refusal: Option<Refusal>,
    /// How many checks were asked.
    pub checks: usize,
    /// The first check answered through a webhook stand-in.
    pub stand_in: Option<Arc<str>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    AssociatedNode,
    ArbitraryNode,
    ServiceAccount,
    UserInfo,
    Legacy,
}

const MODES: [Mode; 5] = [
    Mode::AssociatedNode,
    Mode::ArbitraryNode,
    Mode::ServiceAccount,
    Mode::UserInfo,
    Mode::Legacy,
];

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::AssociatedNode => "associated-node",
            Mode::ArbitraryNode => "arbitrary-node",
            Mode::ServiceAccount => "serviceaccount",
            Mode::UserInfo => "user-info",
            Mode::Legacy => "",
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Mode::AssociatedNode => "impersonate:associated-node",
            Mode::ArbitraryNode => "impersonate:arbitrary-node",
            Mode::ServiceAccount => "impersonate:serviceaccount",
            Mode::UserInfo => "impersonate:user-info",
            Mode::Legacy => "impersonate",
        }
    }

    fn constrained(self) -> bool {
        self != Mode::Legacy
    }

    fn applies(self, wanted: &UserInfo, requestor: &UserInfo) -> bool {
        let only_name =
            wanted.uid.is_empty() && wanted.groups.is_empty() && wanted.extra.is_empty();
        match self {
            Mode::AssociatedNode => {
                only_name
                    && node_name(&wanted.name).is_some_and(|node| {
                        service_account(&requestor.name).is_some()
                            && requestor
                                .extra
                                .get(NODE_NAME_KEY)
                                .is_some_and(|values| matches!(&values[..], [only] if only == node))
                    })
            }
            Mode::ArbitraryNode => only_name && node_name(&wanted.name).is_some(),
            Mode::ServiceAccount => only_name && service_account(&wanted.name).is_some(),
            Mode::UserInfo => {
                node_name(&wanted.name).is_none() && service_account(&wanted.name).is_none()
            }
            Mode::Legacy => true,
        }
    }
}

/// Asks `ask` every check kube-apiserver would make for `impersonation` on a request with
/// `attributes`, mode by mode, and says whether (and how) it was allowed.
pub fn authorize(
    impersonation: &Impersonation,
    attributes: &Attributes,
    ask: &mut dyn FnMut(&Request) -> ChainVerdict,
) -> Outcome {
    let mut state = Checker {
        ask,
        checks: 0,
        stand_in: None,
    };
    let first = impersonation
        .constraint
        .as_deref()
        .and_then(|c| MODES.into_iter().find(|m| m.constrained() && m.verb() == c));
    let order = first
        .into_iter()
        .chain(MODES.into_iter().filter(|m| Some(*m) != first));
    let mut refusal = None;
    for mode in order {
        if !mode.applies(&impersonation.wanted, &impersonation.requestor) {
            continue;
        }
        match state.mode(mode, impersonation, attributes) {
            Ok(()) => {
                return Outcome {
                    constraint: Some(mode.verb()),
                    refusal: None,
                    checks: state.checks,
                    stand_in: state.stand_in,
                };
            }
            Err(r) => {
                refusal.get_or_insert(r);
            }
        }
    }
    Outcome {
        constraint: None,
        refusal: Some(
            refusal.unwrap_or_else(|| Refusal::Invalid("all impersonation modes failed".into())),
        ),
        checks: state.checks,
        stand_in: state.stand_in,
    }
}

/// The requestor as associated-node checks present it: extra values replaced by the sorted keys.
pub fn associated_node_requestor(requestor: &UserInfo) -> UserInfo {
    let mut user = requestor.clone();
    let keys: Vec<String> = requestor.extra.keys().cloned().collect();
    user.extra = [(ASSOCIATED_NODE_KEYS.to_owned(), keys)]
        .into_iter()
        .collect();
    user
}

struct Checker<'f> {
    ask: &'f mut dyn FnMut(&Request) -> ChainVerdict,
    checks: usize,
    stand_in: Option<Arc<str>>,
}

impl Checker<'_> {
    fn allowed(&mut self, request: Request) -> Result<(), Refusal> {
        let verdict = (self.ask)(&request);
        self.checks += 1;
        if self.stand_in.is_none() {
            self.stand_in.clone_from(&verdict.stand_in);
        }
        if verdict.verdict.decision == Decision::Allow {
            Ok(())
        } else {
            Err(Refusal::Denied {
                check: Box::new(request),
                verdict,
            })
        }
    }

    /// Asks, but a refusal only tells the caller to go on with the individual checks.
    fn wildcard(&mut self, request: Request) -> bool {
        self.allowed(request).is_ok()
    }

    fn mode(
        &mut self,
        mode: Mode,
        imp: &Impersonation,
        attributes: &Attributes,
    ) -> Result<(), Refusal> {
        let requestor = if mode == Mode::AssociatedNode {
            associated_node_requestor(&imp.requestor)
        } else {
            imp.requestor.clone()
        };
        if mode.constrained() {
            let mut on = attributes.clone();
            let verb = format!("impersonate-on:{}:{}", mode.name(), verb_of(attributes));
            match &mut on {
                Attributes::Resource(r) => r.verb = verb,
                Attributes::NonResource(n) => n.verb = verb,
            }
            self.allowed(Request {
                user: requestor.clone(),
                attributes: on,
            })?;
        }
        let check = |resource: &str, group: &str, name: &str| Request {
            user: requestor.clone(),
            attributes: Attributes::Resource(ResourceAttributes {
                verb: mode.verb().to_owned(),
                group: group.to_owned(),
                version: "v1".to_owned(),
                resource: resource.to_owned(),
                name: name.to_owned(),
                ..ResourceAttributes::default()
            }),
        };
        let user_group = if mode.constrained() {
            "authentication.k8s.io"
        } else {
            ""
        };
        let wanted = &imp.wanted;
        let mut name_check = check("users", user_group, &wanted.name);
        if let Attributes::Resource(r) = &mut name_check.attributes {
            if let (true, Some(node)) = (mode.constrained(), node_name(&wanted.name)) {
                r.resource = "nodes".into();
                r.name = if mode == Mode::AssociatedNode {
                    "*"
                } else {
                    node
                }
                .into();
            } else if let Some((namespace, name)) = service_account(&wanted.name) {
                r.resource = "serviceaccounts".into();
                r.namespace = namespace.into();
                r.name = name.into();
            }
        }
        self.allowed(name_check)?;
        if !wanted.uid.is_empty() {
            self.allowed(check("uids", "authentication.k8s.io", &wanted.uid))?;
        }
        if !wanted.groups.is_empty() {
            if mode.constrained() {
                if wanted.groups.iter().any(String::is_empty) {
                    return Err(Refusal::Invalid(
                        "impersonating the empty string group is not allowed".into(),
                    ));
                }
                if wanted.groups.iter().any(|g| g == MASTERS) {
                    return Err(Refusal::Invalid(
                        "impersonating the system:masters group is not allowed".into(),
                    ));
                }
            }
            let all = mode.constrained()
                && wanted.groups.len() >= MANY_CHECKS
                && self.wildcard(check("groups", user_group, "*"));
            if !all {
                for group in &wanted.groups {
                    self.allowed(check("groups", user_group, group))?;
                }
            }
        }
        if !wanted.extra.is_empty() {
            if mode.constrained()
                && let Some(problem) = invalid_extra(wanted)
            {
                return Err(Refusal::Invalid(problem));
            }
            let values: usize = wanted.extra.values().map(Vec::len).sum();
            let large = wanted.extra.len() >= MANY_CHECKS || values >= MANY_CHECKS;
            let extra_check = |key: &str, value: &str| {
                let mut request = check("userextras", "authentication.k8s.io", value);
                if let Attributes::Resource(r) = &mut request.attributes {
                    r.subresource = key.to_owned();
                }
                request
            };
            let all = mode.constrained() && large && self.wildcard(extra_check("*", "*"));
            if !all {
                for (key, values) in &wanted.extra {
                    for value in values {
                        self.allowed(extra_check(key, value))?;
                    }
                }
            }
        }
        Ok(())
    }
}

fn verb_of(attributes: &Attributes) -> &str {
    match attributes {
        Attributes::Resource(r) => &r.verb,
        Attributes::NonResource(n) => &n.verb,
    }
}

#[cfg(test)]
#[path = "impersonation_tests.rs"]
mod tests;
