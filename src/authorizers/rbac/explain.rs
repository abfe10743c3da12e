//! Explaining an RBAC decision: the binding, role and rule that allowed it, or every binding
//! that applies to the user and, for each rule of its role, the first attribute that did not
//! match. The same index and the same walk as the decision; the decision itself comes from
//! [`RbacIndex::authorize`], so the two cannot disagree.

use super::RbacIndex;
use super::index::{IndexedBinding, Scope, merge_next};
use crate::api::rbac::Subject;
use crate::authz::explain::{BindingCheck, BindingRef, Mismatch, RbacDetail, RbacGrant, RuleCheck};
use crate::authz::{Decision, Request, UserInfo, Verdict, first_mismatch};

impl RbacIndex {
    /// Decides `request` and says why.
    pub fn explain(&self, request: &Request) -> (Verdict, RbacDetail) {
        let verdict = self.authorize(request);
        let mut detail = RbacDetail::default();
        if verdict.decision == Decision::Allow {
            detail.allowed_by = self.grant(request);
        } else {
            detail.bindings = self.applicable(request);
        }
        (verdict, detail)
    }

    /// The first grant that allows `request`, in the decision's order.
    fn grant(&self, request: &Request) -> Option<RbacGrant> {
        let namespace = request.namespace();
        let scopes = std::iter::once(("", &self.cluster)).chain(
            (!namespace.is_empty())
                .then(|| self.namespaces.get(namespace).map(|s| (namespace, s)))
                .flatten(),
        );
        for (scope_namespace, scope) in scopes {
            let mut found = None;
            each_binding(scope, &request.user, |binding, subject| {
                if found.is_some() {
                    return;
                }
                let Ok(rules) = &binding.role else { return };
                if let Some(rule) = rules
                    .iter()
                    .find(|r| first_mismatch(r.rule(), request).is_none())
                {
                    found = Some(RbacGrant {
                        binding: binding_ref(binding, subject, scope_namespace),
                        rule: rule.rule().clone(),
                    });
                }
            });
            if found.is_some() {
                return found;
            }
        }
        None
    }

    /// Every binding that applies to the user: ClusterRoleBindings, then the request's
    /// namespace, then the other namespaces by name.
    fn applicable(&self, request: &Request) -> Vec<BindingCheck> {
        let namespace = request.namespace();
        let mut others: Vec<(&str, &Scope)> = self
            .namespaces
            .iter()
            .filter(|(name, _)| &***name != namespace)
            .map(|(name, scope)| (&**name, scope))
            .collect();
        others.sort_unstable_by_key(|(name, _)| *name);
        let own = self
            .namespaces
            .get(namespace)
            .filter(|_| !namespace.is_empty())
            .map(|scope| (namespace, scope));
        let scopes = std::iter::once(("", &self.cluster))
            .chain(own)
            .chain(others);
        let mut checks = Vec::new();
        for (scope_namespace, scope) in scopes {
            let elsewhere = !scope_namespace.is_empty() && scope_namespace != namespace;
            each_binding(scope, &request.user, |binding, subject| {
                let (role_error, rules) = match &binding.role {
                    Err(error) => (Some(error.to_string()), Vec::new()),
                    Ok(rules) => (
                        None,
                        rules
                            .iter()
                            .map(|rule| RuleCheck {
                                rule: rule.rule().clone(),
                                mismatch: first_mismatch(rule.rule(), request).unwrap_or(
                                    // Only a binding of another namespace can fail on nothing else.
                                    if elsewhere {
                                        Mismatch::Namespace
                                    } else {
                                        Mismatch::Name
                                    },
                                ),
                            })
                            .collect(),
                    ),
                };
                checks.push(BindingCheck {
                    binding: binding_ref(binding, subject, scope_namespace),
                    in_scope: !elsewhere,
                    role_error,
                    rules,
                });
            });
        }
        checks
    }
}

/// Calls `visit` with each binding of `scope` that applies to `user`, in name order, with its
/// first applying subject.
fn each_binding<'s>(
    scope: &'s Scope,
    user: &UserInfo,
    mut visit: impl FnMut(&'s IndexedBinding, u32),
) {
    let mut lists = scope.candidate_lists(user);
    let mut previous = None;
    while let Some(candidate) = merge_next(&mut lists) {
        if previous == Some(candidate.binding) {
            continue;
        }
        previous = Some(candidate.binding);
        if let Some(binding) = scope.bindings.get(candidate.binding as usize) {
            visit(binding, candidate.subject);
        }
    }
}

fn binding_ref(binding: &IndexedBinding, subject: u32, namespace: &str) -> BindingRef {
    let source = &binding.source;
    BindingRef {
        kind: if namespace.is_empty() {
            "ClusterRoleBinding"
        } else {
            "RoleBinding"
        },
        name: source.metadata.name.clone(),
        namespace: namespace.to_owned(),
        role_kind: source.role_ref.kind.clone(),
        role: source.role_ref.name.clone(),
        subject: source
            .subjects
            .get(subject as usize)
            .map(|s| subject_text(s, namespace))
            .unwrap_or_default(),
    }
}

/// `User alice`, `Group dev`, `ServiceAccount ns/name` (the namespace defaulted as RBAC does).
fn subject_text(subject: &Subject, namespace: &str) -> String {
    if subject.kind == "ServiceAccount" {
        let sa_namespace = if subject.namespace.is_empty() {
            namespace
        } else {
            &subject.namespace
        };
        format!("ServiceAccount {}/{}", sa_namespace, subject.name)
    } else {
        format!("{} {}", subject.kind, subject.name)
    }
}

impl RbacIndex {
    /// Every (API group, resource) some bound role names explicitly: no wildcards, no
    /// subresources. `access-matrix` adds them to the built-in list, so custom resources the
    /// state grants show up.
    pub fn named_resources(&self) -> std::collections::BTreeSet<(String, String)> {
        let mut named = std::collections::BTreeSet::new();
        for scope in std::iter::once(&self.cluster).chain(self.namespaces.values()) {
            for binding in &scope.bindings {
                let Ok(rules) = &binding.role else { continue };
                for rule in rules.iter().map(|r| r.rule()) {
                    for group in rule.api_groups.iter().filter(|g| *g != "*") {
                        for resource in rule
                            .resources
                            .iter()
                            .filter(|r| *r != "*" && !r.contains('/'))
                        {
                            named.insert((group.clone(), resource.clone()));
                        }
                    }
                }
            }
        }
        named
    }
}
