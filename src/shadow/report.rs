//! What the shadow found: counts per class since the chain in force was loaded, the last
//! differences, and the JSON `GET /shadow` answers with.
//!
//! ```json
//! {"active": true, "configHash": "sha256:...", "loadedAt": "2026-12-07T11:40:00Z",
//!  "counts": {"same": 120, "break": 2, "widen": 0, "authorizer": 1, "reason": 0},
//!  "differences": [{"time": "...", "class": "break", "user": "alice", "groups": [...],
//!                   "request": {"verb": "get", "namespace": "team-a", "resource": "pods", ...},
//!                   "live": {"decision": "Allow", "decidedBy": "rbac", "reason": "..."},
//!                   "shadow": {"decision": "NoOpinion", "reason": "..."}}]}
//! ```
//!
//! `stopped` (why nothing is shadowed now) and `lastError` (the last load that failed) appear
//! when set. The differences are the last [`KEPT_DIFFERENCES`], oldest first.

use std::collections::VecDeque;

use serde::Serialize;

use crate::authz::compare::{Flip, Side};
use crate::authz::{Attributes, ChainVerdict, Decision, Request};

/// How many differences `/shadow` keeps.
pub const KEPT_DIFFERENCES: usize = 100;

/// The classes, in the order of [`Counts`].
const CLASSES: [&str; 5] = ["same", "break", "widen", "authorizer", "reason"];

/// Counts and differences since the chain in force was loaded.
#[derive(Debug, Default)]
pub(super) struct Stats {
    counts: [u64; 5],
    differences: VecDeque<Difference>,
}

impl Stats {
    /// Counts one decision of `class` (`same` or a [`Flip::key`]).
    pub(super) fn count(&mut self, class: &str) {
        if let Some(i) = CLASSES.iter().position(|c| *c == class) {
            self.counts[i] += 1;
        }
    }

    /// Keeps `difference`, dropping the oldest past [`KEPT_DIFFERENCES`].
    pub(super) fn remember(&mut self, difference: Difference) {
        if self.differences.len() == KEPT_DIFFERENCES {
            self.differences.pop_front();
        }
        self.differences.push_back(difference);
    }
}

/// Decisions per class.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Same decision, authorizer and reason.
    pub same: u64,
    /// Allowed live, refused by the shadow.
    #[serde(rename = "break")]
    pub breaks: u64,
    /// Refused live, allowed by the shadow.
    pub widen: u64,
    /// Same decision, another deciding authorizer.
    pub authorizer: u64,
    /// Same decision and authorizer, another reason.
    pub reason: u64,
}

/// One side's answer in a [`Difference`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    /// `Allow`, `Deny` or `NoOpinion`.
    pub decision: &'static str,
    /// The step that decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    /// The reason.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

/// One request the two chains answered differently.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Difference {
    /// When the shadow decided it (RFC 3339).
    pub time: String,
    /// `break`, `widen`, `authorizer` or `reason`.
    pub class: &'static str,
    /// The user.
    pub user: String,
    /// Its groups.
    pub groups: Vec<String>,
    /// What was asked: `verb`, and `namespace`, `group`, `resource`, `subresource`, `name` or
    /// `path` when set.
    pub request: serde_json::Map<String, serde_json::Value>,
    /// The live answer.
    pub live: Answer,
    /// The shadow's answer.
    pub shadow: Answer,
}

impl Difference {
    /// The difference `flip` between `live` and `shadow` for `request`.
    pub(super) fn new(
        flip: Flip,
        request: &Request,
        live_decision: Decision,
        live: Side<'_>,
        shadow: &ChainVerdict,
    ) -> Self {
        let mut attributes = serde_json::Map::new();
        let mut put = |key: &str, value: &str| {
            if !value.is_empty() {
                attributes.insert(key.to_owned(), value.into());
            }
        };
        match &request.attributes {
            Attributes::Resource(r) => {
                put("verb", &r.verb);
                put("namespace", &r.namespace);
                put("group", &r.group);
                put("resource", &r.resource);
                put("subresource", &r.subresource);
                put("name", &r.name);
            }
            Attributes::NonResource(n) => {
                put("verb", &n.verb);
                put("path", &n.path);
            }
        }
        Difference {
            time: jiff::Timestamp::now().to_string(),
            class: flip.key(),
            user: request.user.name.clone(),
            groups: request.user.groups.clone(),
            request: attributes,
            live: Answer {
                decision: live_decision.as_str(),
                decided_by: live.decided_by.map(str::to_owned),
                reason: live.reason.to_owned(),
            },
            shadow: Answer {
                decision: shadow.verdict.decision.as_str(),
                decided_by: shadow.decided_by.as_deref().map(str::to_owned),
                reason: shadow.verdict.reason.as_str().to_owned(),
            },
        }
    }

    /// One structured log line, with the number of lines suppressed before it.
    pub(super) fn log(&self, suppressed: u64) {
        let request = serde_json::Value::Object(self.request.clone()).to_string();
        tracing::info!(
            target: "authz_chain::shadow",
            suppressed,
            class = self.class,
            user = %self.user,
            groups = ?self.groups,
            request = %request,
            live_decision = self.live.decision,
            live_decided_by = self.live.decided_by.as_deref().unwrap_or(""),
            live_reason = %self.live.reason,
            shadow_decision = self.shadow.decision,
            shadow_decided_by = self.shadow.decided_by.as_deref().unwrap_or(""),
            shadow_reason = %self.shadow.reason,
            "shadow decision differs"
        );
    }
}

/// The answer of `GET /shadow`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShadowReport {
    /// Whether a shadow chain is in force.
    pub active: bool,
    /// Why not, when not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// The last load that failed (the chain in force, if any, stayed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// The hash of the configuration in force.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_hash: Option<String>,
    /// When it was loaded (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loaded_at: Option<String>,
    /// Decisions per class since then.
    pub counts: Counts,
    /// The last differences, oldest first.
    pub differences: Vec<Difference>,
}

impl ShadowReport {
    pub(super) fn new(
        current: Option<(&str, jiff::Timestamp)>,
        stopped: Option<String>,
        last_error: Option<String>,
        stats: &Stats,
    ) -> Self {
        let [same, breaks, widen, authorizer, reason] = stats.counts;
        ShadowReport {
            active: current.is_some(),
            stopped,
            last_error,
            config_hash: current.map(|(hash, _)| hash.to_owned()),
            loaded_at: current.map(|(_, at)| at.to_string()),
            counts: Counts {
                same,
                breaks,
                widen,
                authorizer,
                reason,
            },
            differences: stats.differences.iter().cloned().collect(),
        }
    }
}
