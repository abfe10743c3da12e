//! `who-can` over the RBAC index: every subject that some binding lets make one request, with the
//! binding and the rule that grant it.
//!
//! The answer is exact by construction. Whether a binding's role allows a request does not depend
//! on the user, and [`RbacIndex::authorize`] allows a user exactly when some binding in scope (the
//! ClusterRoleBindings, then the RoleBindings of the request's namespace) has a subject that
//! applies to the user and a role with a rule that allows the request. So the subjects that
//! can apply ([`Scope`]'s per-subject reasons, set when the index was built) of the bindings whose
//! role allows (checked with the decision path's own [`PreparedRule::allows`]) are exactly the
//! subjects RBAC allows: a user is allowed if and only if it is one of the listed users, is in one
//! of the listed groups, or is a listed service account.
//!
//! Each distinct role is evaluated once per question (many bindings share a role: the memo is
//! keyed by the role's shared allocation), so 100,000 bindings over a few roles cost one pass
//! over the bindings and a hash lookup each.

use std::sync::Arc;

use ahash::RandomState;

use super::index::{RbacIndex, Scope};
use super::rules::{PreparedRule, RequestBits};
use crate::api::rbac::{Binding, PolicyRule, Subject};
use crate::authz::Request;
use crate::authz::text::Key;

/// A subject that can apply to users, as a binding names it. Ordered users first, then groups,
/// then service accounts, each by (namespace, name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SubjectRef<'i> {
    /// `kind: User`: the user with exactly this name.
    User(&'i str),
    /// `kind: Group`: every member of this group.
    Group(&'i str),
    /// `kind: ServiceAccount`: the user `system:serviceaccount:<namespace>:<name>`. The namespace
    /// is the effective one: a RoleBinding's own namespace when the subject leaves it empty.
    ServiceAccount {
        /// The service account's namespace.
        namespace: &'i str,
        /// The service account's name.
        name: &'i str,
    },
}

impl<'i> SubjectRef<'i> {
    /// The subject of a binding in the scope `namespace` (empty for ClusterRoleBindings), if it
    /// can apply to some user; the same rules the index is built with (`appliesTo`).
    fn of(subject: &'i Subject, namespace: &'i str) -> Option<Self> {
        match subject.kind.as_str() {
            "User" => Some(SubjectRef::User(&subject.name)),
            "Group" => Some(SubjectRef::Group(&subject.name)),
            "ServiceAccount" => {
                let namespace = if subject.namespace.is_empty() {
                    namespace
                } else {
                    subject.namespace.as_str()
                };
                (!namespace.is_empty()).then_some(SubjectRef::ServiceAccount {
                    namespace,
                    name: &subject.name,
                })
            }
            _ => None,
        }
    }

    /// `User`, `Group` or `ServiceAccount`.
    pub fn kind(&self) -> &'static str {
        match self {
            SubjectRef::User(_) => "User",
            SubjectRef::Group(_) => "Group",
            SubjectRef::ServiceAccount { .. } => "ServiceAccount",
        }
    }

    /// The user, group or service account name.
    pub fn name(&self) -> &'i str {
        match self {
            SubjectRef::User(name) | SubjectRef::Group(name) => name,
            SubjectRef::ServiceAccount { name, .. } => name,
        }
    }

    /// The namespace of a service account; `None` for users and groups.
    pub fn namespace(&self) -> Option<&'i str> {
        match self {
            SubjectRef::ServiceAccount { namespace, .. } => Some(namespace),
            _ => None,
        }
    }
}

/// One subject allowed by one binding.
#[derive(Clone, Copy, Debug)]
pub struct Grant<'i> {
    /// Who is allowed.
    pub subject: SubjectRef<'i>,
    /// The binding as stored (a ClusterRoleBinding when it has no namespace).
    pub binding: &'i Binding,
    /// The first rule of the binding's role that allows the request.
    pub rule: &'i PolicyRule,
}

/// A binding in scope that grants nothing because its role could not be resolved.
#[derive(Clone, Debug)]
pub struct MissingRole<'i> {
    /// The binding as stored.
    pub binding: &'i Binding,
    /// The lookup error, as the NoOpinion reason quotes it.
    pub error: &'i str,
    /// The subjects the binding would apply to.
    pub subjects: Vec<SubjectRef<'i>>,
}

/// Everyone RBAC allows to make one request.
#[derive(Clone, Debug, Default)]
pub struct WhoCan<'i> {
    /// One entry per subject and allowing binding: ClusterRoleBindings in name order, then the
    /// RoleBindings of the request's namespace in name order; a binding's subjects in declared
    /// order, each once.
    pub grants: Vec<Grant<'i>>,
    /// The bindings in scope with a subject that can apply but a role that is missing.
    pub missing_roles: Vec<MissingRole<'i>>,
}

/// Per question: the first allowing rule of each role already evaluated, by its allocation.
type RoleMemo<'i> = hashbrown::HashMap<*const PreparedRule, Option<&'i PolicyRule>, RandomState>;

impl RbacIndex {
    /// Every subject allowed to make `request` (its user is ignored), with the bindings and rules
    /// that allow it, and the bindings in scope whose role is missing.
    pub fn who_can(&self, request: &Request) -> WhoCan<'_> {
        let bits = RequestBits::of(request);
        let mut memo = RoleMemo::default();
        let mut answer = WhoCan::default();
        self.cluster
            .who_can(request, bits, "", &mut memo, &mut answer);
        let namespace = request.namespace();
        if !namespace.is_empty()
            && let Some((namespace, scope)) = self.namespaces.get_key_value(&Key(namespace))
        {
            scope.who_can(request, bits, namespace, &mut memo, &mut answer);
        }
        answer
    }
}

impl Scope {
    /// Adds this scope's grants and missing roles; `namespace` is the scope's (empty for the
    /// ClusterRoleBindings).
    fn who_can<'i>(
        &'i self,
        request: &Request,
        bits: RequestBits,
        namespace: &'i str,
        memo: &mut RoleMemo<'i>,
        answer: &mut WhoCan<'i>,
    ) {
        for binding in &self.bindings {
            // INVARIANT: `reasons[i]` is `Some` exactly for the subjects that can apply.
            if binding.reasons.iter().all(Option::is_none) {
                continue;
            }
            let subjects = || {
                binding
                    .source
                    .subjects
                    .iter()
                    .zip(&binding.reasons)
                    .filter(|(_, reason)| reason.is_some())
                    .filter_map(|(subject, _)| SubjectRef::of(subject, namespace))
            };
            match &binding.role {
                Err(error) => {
                    let mut unique: Vec<SubjectRef<'i>> = Vec::new();
                    for subject in subjects() {
                        if !unique.contains(&subject) {
                            unique.push(subject);
                        }
                    }
                    answer.missing_roles.push(MissingRole {
                        binding: &binding.source,
                        error,
                        subjects: unique,
                    });
                }
                Ok(rules) => {
                    let allowing = *memo
                        .entry(Arc::as_ptr(rules).cast::<PreparedRule>())
                        .or_insert_with(|| {
                            rules
                                .iter()
                                .find(|rule| rule.allows(request, bits))
                                .map(PreparedRule::rule)
                        });
                    if let Some(rule) = allowing {
                        // A subject named twice in one binding is one grant.
                        let first = answer.grants.len();
                        for subject in subjects() {
                            if !answer.grants[first..].iter().any(|g| g.subject == subject) {
                                answer.grants.push(Grant {
                                    subject,
                                    binding: &binding.source,
                                    rule,
                                });
                            }
                        }
                    }
                }
            }
        }
    }
}
