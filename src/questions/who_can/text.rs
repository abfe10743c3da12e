//! The text form of an answer, for people: the question, then one block per section; under each
//! RBAC subject, the bindings that allow it and the rule that matched, wildcards shown as the `*`
//! they are and named after the rule.
//!
//! ```text
//! who can get pods in namespace team-a
//! superuser group: system:masters (allowed before any authorizer)
//! RBAC: 3 subjects
//!   Group system:masters
//!     ClusterRoleBinding cluster-admin -> ClusterRole cluster-admin
//!       rule: verbs [*] apiGroups [*] resources [*]  (wildcard: verbs, apiGroups, resources)
//!   Group team-a
//!     RoleBinding team-a/team-a-viewers -> ClusterRole team-viewer
//!       rule: verbs [get list watch] apiGroups [""] resources [pods pods/log]
//!   ServiceAccount team-a/builder
//!     RoleBinding team-a/team-a-viewers -> ClusterRole team-viewer
//!       rule: verbs [get list watch] apiGroups [""] resources [pods pods/log]
//! RBAC: bindings that grant nothing, their role is missing
//!   RoleBinding team-a/secret-readers -> Role secret-reader: role.rbac.authorization.k8s.io "secret-reader" not found
//!     would apply to: User bob
//! ```

use std::fmt::Write;

use super::{Answer, GrantEntry, RequestSpec, RuleEntry, SubjectName};
use crate::go::quote;

/// Renders `answer` as text, ending with a newline.
pub fn render_text(answer: &Answer<'_>) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_answer(&mut out, answer);
    out
}

fn write_answer(out: &mut String, answer: &Answer<'_>) -> std::fmt::Result {
    writeln!(out, "who can {}", describe(answer.request))?;
    if let Some(group) = answer.superuser_group {
        writeln!(
            out,
            "superuser group: {} (allowed before any authorizer)",
            word(group)
        )?;
    }
    if let Some(subjects) = &answer.subjects {
        match subjects.len() {
            0 => writeln!(out, "RBAC: nobody")?,
            1 => writeln!(out, "RBAC: 1 subject")?,
            n => writeln!(out, "RBAC: {n} subjects")?,
        }
        for subject in subjects {
            let name = SubjectName {
                kind: subject.kind,
                name: subject.name,
                namespace: subject.namespace,
            };
            writeln!(out, "  {}", subject_text(&name))?;
            for grant in &subject.grants {
                write_grant(out, grant)?;
            }
        }
    }
    if let Some(missing) = answer.missing_roles.as_ref().filter(|m| !m.is_empty()) {
        writeln!(
            out,
            "RBAC: bindings that grant nothing, their role is missing"
        )?;
        for binding in missing {
            writeln!(
                out,
                "  {} -> {} {}: {}",
                binding_text(
                    binding.binding_kind,
                    binding.binding_namespace,
                    binding.binding
                ),
                binding.role_kind,
                word(binding.role),
                binding.error
            )?;
            let subjects: Vec<String> = binding.subjects.iter().map(subject_text).collect();
            writeln!(out, "    would apply to: {}", subjects.join(", "))?;
        }
    }
    if let Some(nodes) = &answer.nodes {
        let identities = "(user system:node:<name> in group system:nodes)";
        if nodes.every_node {
            writeln!(out, "Node: every node identity {identities}")?;
        } else if nodes.names.is_empty() {
            writeln!(out, "Node: no node identity")?;
        } else {
            let names: Vec<String> = nodes.names.iter().map(|n| word(n)).collect();
            writeln!(out, "Node: {} {identities}", names.join(", "))?;
        }
    }
    for step in &answer.not_analyzed {
        writeln!(
            out,
            "not analysed: {} step {} (it may allow or deny as well)",
            step.kind,
            word(step.name)
        )?;
    }
    Ok(())
}

fn write_grant(out: &mut String, grant: &GrantEntry<'_>) -> std::fmt::Result {
    writeln!(
        out,
        "    {} -> {} {}",
        binding_text(grant.binding_kind, grant.binding_namespace, grant.binding),
        grant.role_kind,
        word(grant.role)
    )?;
    write!(out, "      rule: {}", rule_text(&grant.rule))?;
    if !grant.wildcard.is_empty() {
        write!(out, "  (wildcard: {})", grant.wildcard.join(", "))?;
    }
    writeln!(out)
}

/// `get pods/log named web-0 in namespace team-a`, `list nodes at cluster scope`, `get /healthz`.
fn describe(spec: &RequestSpec) -> String {
    if let Some(r) = &spec.resource_attributes {
        let mut text = format!("{} {}", word(&r.verb), word(&r.resource));
        if !r.group.is_empty() {
            text.push('.');
            text.push_str(&word(&r.group));
        }
        if !r.subresource.is_empty() {
            text.push('/');
            text.push_str(&word(&r.subresource));
        }
        if !r.name.is_empty() {
            text.push_str(" named ");
            text.push_str(&word(&r.name));
        }
        if r.namespace.is_empty() {
            text.push_str(" at cluster scope");
        } else {
            text.push_str(" in namespace ");
            text.push_str(&word(&r.namespace));
        }
        return text;
    }
    match &spec.non_resource_attributes {
        Some(n) => format!("{} {}", word(&n.verb), word(&n.path)),
        None => String::new(),
    }
}

fn subject_text(subject: &SubjectName<'_>) -> String {
    match subject.namespace {
        Some(namespace) => format!(
            "{} {}/{}",
            subject.kind,
            word(namespace),
            word(subject.name)
        ),
        None => format!("{} {}", subject.kind, word(subject.name)),
    }
}

fn binding_text(kind: &str, namespace: &str, name: &str) -> String {
    if namespace.is_empty() {
        format!("{kind} {}", word(name))
    } else {
        format!("{kind} {}/{}", word(namespace), word(name))
    }
}

/// A rule as `verbs [get list] apiGroups [""] resources [pods]` (empty lists left out); also
/// how `explain` prints rules.
pub(crate) fn rule_text(rule: &RuleEntry<'_>) -> String {
    let fields = [
        ("verbs", rule.verbs),
        ("apiGroups", rule.api_groups),
        ("resources", rule.resources),
        ("resourceNames", rule.resource_names),
        ("nonResourceURLs", rule.non_resource_urls),
    ];
    let parts: Vec<String> = fields
        .iter()
        .filter(|(_, values)| !values.is_empty())
        .map(|(field, values)| {
            let values: Vec<String> = values.iter().map(|v| word(v)).collect();
            format!("{field} [{}]", values.join(" "))
        })
        .collect();
    parts.join(" ")
}

/// `text` as is, or Go-quoted when it is empty or could be misread (spaces, quotes, control
/// characters, non-ASCII).
fn word(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '[' | ']' | ','));
    if plain { text.to_owned() } else { quote(text) }
}
