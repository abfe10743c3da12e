//! One replayed event: what was recorded, what the candidate (and the baseline) decided, how sure
//! the replay is, and how the decision moved. Written as one NDJSON line from [`Record::to_json`].

use std::sync::Arc;

use serde::Serialize;

use super::event::Stage;
use crate::authz::Reason;

/// How faithfully an event could be replayed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    /// The same request kube-apiserver authorized, through the same kind of chain.
    Exact,
    /// Replayed, but something the decision depends on is missing or assumed (see the note).
    Approximated,
    /// Nothing to replay (see the note).
    Unreplayable,
}

impl Class {
    /// `exact`, `approximated` or `unreplayable`.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Exact => "exact",
            Class::Approximated => "approximated",
            Class::Unreplayable => "unreplayable",
        }
    }
}

/// A decision as the audit log writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Recorded {
    /// `allow`.
    Allow,
    /// `forbid` (Deny, NoOpinion from every authorizer, or a refused impersonation).
    Forbid,
}

impl Recorded {
    /// `allow` or `forbid`.
    pub fn as_str(self) -> &'static str {
        match self {
            Recorded::Allow => "allow",
            Recorded::Forbid => "forbid",
        }
    }
}

/// What one chain decided for an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replayed {
    /// Allowed or not.
    pub decision: Recorded,
    /// The link that decided (for a refused impersonation, the link that refused the check).
    pub decided_by: Option<Arc<str>>,
    /// The reason, or the refused impersonation check.
    pub reason: Reason,
    /// The first link that answered through a webhook stand-in.
    pub stand_in: Option<Arc<str>>,
    /// The impersonation mode that allowed impersonation (`impersonate:user-info`,
    /// `impersonate`), when the event impersonated.
    pub impersonation: Option<&'static str>,
    /// The two readings of an impersonated service account's groups gave different answers.
    pub ambiguous: bool,
}

pub use crate::authz::compare::Flip;
use crate::authz::compare::Side;

impl Replayed {
    fn side(&self) -> Side<'_> {
        Side {
            allowed: self.decision == Recorded::Allow,
            decided_by: self.decided_by.as_deref(),
            reason: self.reason.as_str(),
        }
    }
}

/// The flip from the recorded decision to the candidate's (decisions only: the log does not
/// say which authorizer decided).
pub fn flip_against_log(recorded: Option<Recorded>, candidate: &Replayed) -> Option<Flip> {
    match (recorded?, candidate.decision) {
        (Recorded::Allow, Recorded::Forbid) => Some(Flip::Break),
        (Recorded::Forbid, Recorded::Allow) => Some(Flip::Widen),
        _ => None,
    }
}

/// The flip from the baseline's answer to the candidate's: the comparison shadow mode uses too.
pub fn flip_between(baseline: &Replayed, candidate: &Replayed) -> Option<Flip> {
    Flip::between(baseline.side(), candidate.side())
}

/// One event after replay.
#[derive(Clone, Debug)]
pub struct Record {
    /// The auditID.
    pub audit_id: Box<str>,
    /// The stage the record was built from.
    pub stage: Stage,
    /// `requestReceivedTimestamp`.
    pub time: Box<str>,
    /// Where it was read: the source's index (in the order given) and the line.
    pub origin: (u32, u64),
    /// The authenticated user.
    pub user: Box<str>,
    /// The impersonated user, when impersonation succeeded.
    pub impersonated: Option<Box<str>>,
    /// The verb.
    pub verb: Box<str>,
    /// `resource[.group][/subresource]`, empty for non-resource requests.
    pub resource: Box<str>,
    /// The namespace.
    pub namespace: Box<str>,
    /// The non-resource path, empty for resource requests.
    pub path: Box<str>,
    /// The decision in the log.
    pub recorded: Option<Recorded>,
    /// The candidate's decision.
    pub candidate: Option<Replayed>,
    /// The baseline's decision, with a baseline.
    pub baseline: Option<Replayed>,
    /// The class.
    pub class: Class,
    /// Why it is not exact.
    pub note: Option<&'static str>,
    /// The flip, against the baseline when there is one, else against the log.
    pub flip: Option<Flip>,
}

impl Record {
    /// The identity the decision was about: the impersonated user, else the user.
    pub fn effective_user(&self) -> &str {
        self.impersonated.as_deref().unwrap_or(&self.user)
    }

    /// Whether the candidate agrees with the log; `None` without both.
    pub fn agrees(&self) -> Option<bool> {
        Some(self.recorded? == self.candidate.as_ref()?.decision)
    }

    /// Whether the baseline agrees with the log; `None` without both.
    pub fn baseline_agrees(&self) -> Option<bool> {
        Some(self.recorded? == self.baseline.as_ref()?.decision)
    }

    /// The NDJSON object for this record; `with_baseline` adds the baseline's fields (null when
    /// the event was not replayed).
    pub fn to_json(&self, origin: &str, with_baseline: bool) -> serde_json::Value {
        let side = |r: &Option<Replayed>| r.as_ref().map(|r| r.decision.as_str());
        let mut object = serde_json::json!({
            "auditID": &*self.audit_id,
            "stage": self.stage.as_str(),
            "time": &*self.time,
            "user": &*self.user,
            "impersonatedUser": self.impersonated.as_deref(),
            "verb": &*self.verb,
            "recorded": self.recorded.map(Recorded::as_str),
            "decision": side(&self.candidate),
            "class": self.class.as_str(),
            "reason": self.note,
            "flip": self.flip.map(Flip::key),
            "source": origin,
        });
        let map = object.as_object_mut();
        if let Some(map) = map {
            let mut put = |key: &str, value: serde_json::Value| {
                map.insert(key.to_owned(), value);
            };
            if !self.resource.is_empty() {
                put("resource", (*self.resource).into());
                put("namespace", (*self.namespace).into());
            } else {
                put("path", (*self.path).into());
            }
            if let Some(c) = &self.candidate {
                put("decidedBy", c.decided_by.as_deref().into());
                put("decisionReason", c.reason.as_str().into());
                if let Some(mode) = c.impersonation {
                    put("impersonation", mode.into());
                }
            }
            if with_baseline {
                put("baseline", side(&self.baseline).into());
                if let Some(b) = &self.baseline {
                    put("baselineDecidedBy", b.decided_by.as_deref().into());
                    put("baselineReason", b.reason.as_str().into());
                }
            }
        }
        object
    }
}
