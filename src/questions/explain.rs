//! `explain`: a decision and every step of the chain that reached it, as stable JSON and as a
//! tree for a terminal. Shared by `authz-chain explain` and `POST /explain`.
//!
//! The JSON of one explanation:
//!
//! ```json
//! {"decision": "Allow" | "Deny" | "NoOpinion", "allowed": true, "denied": false,
//!  "reason": "...", "evaluationError": "...", "decidedBy": "rbac",
//!  "steps": [{"name": "rbac", "type": "RBAC", "asked": true, "decided": true,
//!             "decision": "Allow", "reason": "...", "error": "...",
//!             "detail": {"type": "rbac", ...}}]}
//! ```
//!
//! `allowed`, `denied`, `reason` and `evaluationError` are exactly the `status` the same review
//! gets from `/authorize` (webhooks aside: see `authz::explain::ExplainOptions`). `decidedBy`, a step's
//! `decision`, `reason`, `error` and `detail` are left out when absent; a step that was not
//! asked (after the one that decided) has only `name`, `type`, `asked` and `decided`. The
//! `detail` object is [`Detail`] (tagged by `type`: `plain`, `superuser`, `rbac`, `node`,
//! `webhook`).

use std::fmt::Write as _;

use serde::Serialize;

use crate::authz::explain::{BindingRef, Detail, NodeDetail, RbacDetail, WebhookDetail};
use crate::authz::{ChainExplanation, Decision, Request};
use crate::review;

/// The JSON form of an explanation.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExplanationJson<'e> {
    /// `Allow`, `Deny` or `NoOpinion`.
    pub decision: &'static str,
    /// `status.allowed`.
    pub allowed: bool,
    /// `status.denied`.
    pub denied: bool,
    /// `status.reason`.
    pub reason: &'e str,
    /// `status.evaluationError`.
    pub evaluation_error: String,
    /// The step that allowed or denied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<&'e str>,
    /// Every step in chain order.
    pub steps: Vec<StepJson<'e>>,
}

/// One step in [`ExplanationJson`].
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepJson<'e> {
    /// The configured name.
    pub name: &'e str,
    /// The authorizer type.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Whether it was asked.
    pub asked: bool,
    /// Whether its answer was the chain's.
    pub decided: bool,
    /// Its decision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<&'static str>,
    /// Its reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'e str>,
    /// Its error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<&'e Detail>,
}

/// The JSON form of `explanation` of `request`.
pub fn to_json<'e>(explanation: &'e ChainExplanation, request: &Request) -> ExplanationJson<'e> {
    let verdict = &explanation.verdict;
    ExplanationJson {
        decision: verdict.decision.as_str(),
        allowed: verdict.decision == Decision::Allow,
        denied: verdict.decision == Decision::Deny,
        reason: verdict.reason.as_str(),
        evaluation_error: review::evaluation_error(request, verdict),
        decided_by: explanation.decided_by.as_deref(),
        steps: explanation
            .steps
            .iter()
            .map(|step| StepJson {
                name: &step.name,
                kind: step.kind,
                asked: step.asked,
                decided: step.decided,
                decision: step.verdict.as_ref().map(|v| v.decision.as_str()),
                reason: step
                    .verdict
                    .as_ref()
                    .map(|v| v.reason.as_str())
                    .filter(|r| !r.is_empty()),
                error: step
                    .verdict
                    .as_ref()
                    .and_then(|v| v.error.as_ref())
                    .map(ToString::to_string),
                detail: step.detail.as_ref(),
            })
            .collect(),
    }
}

/// The explanation as a tree for a terminal.
pub fn to_text(explanation: &ChainExplanation, request: &Request) -> String {
    let mut out = String::new();
    let verdict = &explanation.verdict;
    let headline = match (verdict.decision, &explanation.decided_by) {
        (Decision::Allow, Some(by)) => format!("ALLOWED by {by}"),
        (Decision::Deny, Some(by)) => format!("DENIED by {by}"),
        _ => "NO OPINION from any step (kube-apiserver refuses the request)".to_owned(),
    };
    let _ = writeln!(out, "{headline}");
    let _ = writeln!(out, "  request: {}", describe_request(request));
    if !verdict.reason.is_empty() {
        let _ = writeln!(
            out,
            "  reason: {}",
            verdict.reason.as_str().replace('\n', "\n          ")
        );
    }
    let error = review::evaluation_error(request, verdict);
    if !error.is_empty() {
        let _ = writeln!(out, "  evaluationError: {error}");
    }
    let count = explanation.steps.len();
    for (i, step) in explanation.steps.iter().enumerate() {
        let last = i + 1 == count;
        let (branch, indent) = if last {
            ("└─", "   ")
        } else {
            ("├─", "│  ")
        };
        let answer = match &step.verdict {
            None => "not asked".to_owned(),
            Some(v) => {
                let mut text = v.decision.as_str().to_owned();
                if step.decided {
                    text.push_str(" (decided)");
                }
                text
            }
        };
        let _ = writeln!(out, "{branch} {} [{}]: {answer}", step.name, step.kind);
        let mut lines = Vec::new();
        if let Some(v) = &step.verdict {
            // RBAC's reason names its grant, and Node's is repeated by its `why`.
            let said = match &step.detail {
                Some(Detail::Rbac(_)) => true,
                Some(Detail::Node(node)) => node.why.is_some(),
                _ => false,
            };
            if !v.reason.is_empty() && !said {
                lines.push(format!("reason: {}", v.reason.as_str()));
            }
            if let Some(e) = &v.error {
                lines.push(format!("error: {e}"));
            }
        }
        if let Some(detail) = &step.detail {
            detail_lines(detail, &mut lines);
        }
        for line in lines {
            let _ = writeln!(out, "{indent} {line}");
        }
    }
    out
}

/// `alice [groups dev, system:authenticated] get pods/log "web" in default`.
fn describe_request(request: &Request) -> String {
    let user = &request.user;
    let who = if user.groups.is_empty() {
        format!("{:?}", user.name)
    } else {
        format!("{:?} (groups {})", user.name, user.groups.join(", "))
    };
    match &request.attributes {
        crate::authz::Attributes::Resource(r) => {
            let mut what = r.resource.clone();
            if !r.group.is_empty() {
                what = format!("{what}.{}", r.group);
            }
            if !r.subresource.is_empty() {
                what = format!("{what}/{}", r.subresource);
            }
            let mut text = format!("{who} {} {what}", r.verb);
            if !r.name.is_empty() {
                let _ = write!(text, " {:?}", r.name);
            }
            if r.namespace.is_empty() {
                text.push_str(" (cluster-wide)");
            } else {
                let _ = write!(text, " in namespace {:?}", r.namespace);
            }
            text
        }
        crate::authz::Attributes::NonResource(n) => format!("{who} {} {}", n.verb, n.path),
    }
}

fn detail_lines(detail: &Detail, lines: &mut Vec<String>) {
    match detail {
        Detail::Plain => {}
        Detail::Superuser { group, member } => lines.push(if *member {
            format!("member of {group:?}")
        } else {
            format!("not a member of {group:?}")
        }),
        Detail::Rbac(rbac) => rbac_lines(rbac, lines),
        Detail::Node(node) => node_lines(node, lines),
        Detail::Webhook(webhook) => webhook_lines(webhook, lines),
    }
}

fn binding_text(b: &BindingRef) -> String {
    let name = if b.namespace.is_empty() {
        format!("{:?}", b.name)
    } else {
        format!("{:?} in {:?}", b.name, b.namespace)
    };
    format!(
        "{} {name} → {} {:?}, subject {}",
        b.kind, b.role_kind, b.role, b.subject
    )
}

fn rule_text(rule: &crate::api::rbac::PolicyRule) -> String {
    super::who_can::rule_text(&super::who_can::RuleEntry::from(rule))
}

fn rbac_lines(rbac: &RbacDetail, lines: &mut Vec<String>) {
    if let Some(grant) = &rbac.allowed_by {
        lines.push(format!("allowed by {}", binding_text(&grant.binding)));
        lines.push(format!("  rule: {}", rule_text(&grant.rule)));
        return;
    }
    if rbac.bindings.is_empty() {
        lines.push("no binding names the user, its groups or its service account".into());
        return;
    }
    for check in &rbac.bindings {
        let mut line = binding_text(&check.binding);
        if !check.in_scope {
            line.push_str(" (another namespace)");
        }
        lines.push(line);
        if let Some(error) = &check.role_error {
            lines.push(format!("  role error: {error}"));
        }
        for rule in &check.rules {
            lines.push(format!(
                "  ✗ {}: {}",
                rule.mismatch.as_str(),
                rule_text(&rule.rule)
            ));
        }
    }
}

fn node_lines(node: &NodeDetail, lines: &mut Vec<String>) {
    let Some(name) = &node.node else {
        lines.push("not a node identity (system:node:<name> in system:nodes)".into());
        return;
    };
    let mut head = format!("node {name:?}, handled by {}", node.handler);
    if let Some(object) = &node.object {
        let _ = write!(head, " for {object}");
    }
    lines.push(head);
    if !node.path.is_empty() {
        lines.push(format!("path: {}", node.path.join(" → ")));
    }
    if let Some(why) = &node.why {
        lines.push(format!("why not: {why}"));
    }
    if !node.reachable_from.is_empty() {
        lines.push(format!(
            "reachable from: {}",
            node.reachable_from.join(", ")
        ));
    }
}

fn webhook_lines(webhook: &WebhookDetail, lines: &mut Vec<String>) {
    for condition in &webhook.conditions {
        match &condition.error {
            Some(error) => lines.push(format!(
                "condition {}: error: {error}",
                condition.expression
            )),
            None => lines.push(format!(
                "condition {}: {}",
                condition.expression, condition.result
            )),
        }
    }
    if let Some(cache) = &webhook.cache {
        lines.push(match (cache.hit, cache.age_seconds, cache.uncacheable) {
            (_, _, true) => "cache: not cacheable (attributes too large)".to_owned(),
            (true, Some(age), _) => format!("cache: hit, stored {age:.1}s ago"),
            (true, None, _) => "cache: hit".to_owned(),
            (false, _, _) => "cache: miss".to_owned(),
        });
    }
    if let Some(stand_in) = webhook.stand_in {
        lines.push(format!("not called (--webhooks {stand_in})"));
    }
    for (i, attempt) in webhook.attempts.iter().enumerate() {
        let mut text = format!(
            "attempt {}: {} in {:.1} ms",
            i + 1,
            attempt.result,
            attempt.millis
        );
        if let Some(error) = &attempt.error {
            let _ = write!(text, ": {error}");
        }
        lines.push(text);
    }
    if webhook.failure_policy_applied {
        lines.push(format!("failure policy {} applied", webhook.failure_policy));
    }
}
