//! How an answer moved between two chains: the one comparison `replay` (baseline → candidate,
//! or the audit log → candidate) and the shadow chain (live → shadow) share.

use serde::Serialize;

/// How the decision moved from one side to the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Flip {
    /// Allowed before, refused now: "would break".
    Break,
    /// Refused before, allowed now: "would widen".
    Widen,
    /// Same decision, another deciding authorizer.
    Authorizer,
    /// Same decision and authorizer, another reason.
    Reason,
}

/// The parts of one side's answer the comparison reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Side<'a> {
    /// Whether it was allowed (Deny and NoOpinion both refuse).
    pub allowed: bool,
    /// The link that decided, if any.
    pub decided_by: Option<&'a str>,
    /// The reason text.
    pub reason: &'a str,
}

impl Flip {
    /// All kinds, in report order.
    pub const ALL: [Flip; 4] = [Flip::Break, Flip::Widen, Flip::Authorizer, Flip::Reason];

    /// The kind's name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Flip::Break => "would break",
            Flip::Widen => "would widen",
            Flip::Authorizer => "deciding authorizer changed",
            Flip::Reason => "reason changed",
        }
    }

    /// The kind's key in machine output and metric labels.
    pub fn key(self) -> &'static str {
        match self {
            Flip::Break => "break",
            Flip::Widen => "widen",
            Flip::Authorizer => "authorizer",
            Flip::Reason => "reason",
        }
    }

    /// The flip from `before` to `after`: the decision first, then the deciding authorizer,
    /// then the reason; `None` when they agree on all three.
    pub fn between(before: Side<'_>, after: Side<'_>) -> Option<Flip> {
        match (before.allowed, after.allowed) {
            (true, false) => Some(Flip::Break),
            (false, true) => Some(Flip::Widen),
            _ if before.decided_by != after.decided_by => Some(Flip::Authorizer),
            _ if before.reason != after.reason => Some(Flip::Reason),
            _ => None,
        }
    }
}

impl<'a> Side<'a> {
    /// The side of a chain's answer.
    pub fn of(verdict: &'a super::ChainVerdict) -> Self {
        Side {
            allowed: verdict.verdict.decision == super::Decision::Allow,
            decided_by: verdict.decided_by.as_deref(),
            reason: verdict.verdict.reason.as_str(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(allowed: bool, by: Option<&'static str>, reason: &'static str) -> Side<'static> {
        Side {
            allowed,
            decided_by: by,
            reason,
        }
    }

    #[test]
    fn decision_then_authorizer_then_reason() {
        let cases = [
            (
                side(true, Some("rbac"), "a"),
                side(false, None, ""),
                Some(Flip::Break),
            ),
            (
                side(false, None, "x"),
                side(true, Some("rbac"), "a"),
                Some(Flip::Widen),
            ),
            (
                side(true, Some("rbac"), "a"),
                side(true, Some("wh"), "a"),
                Some(Flip::Authorizer),
            ),
            (
                side(false, None, "a"),
                side(false, Some("deny"), "a"),
                Some(Flip::Authorizer),
            ),
            (
                side(true, Some("rbac"), "a"),
                side(true, Some("rbac"), "b"),
                Some(Flip::Reason),
            ),
            (side(false, None, "a"), side(false, None, "a"), None),
        ];
        for (before, after, want) in cases {
            assert_eq!(
                Flip::between(before, after),
                want,
                "{before:?} -> {after:?}"
            );
        }
    }
}
