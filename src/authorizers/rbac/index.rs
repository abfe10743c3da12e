//! The RBAC index: an immutable snapshot of every binding, with its role already resolved and its
//! allow reasons already formatted, indexed by the user names and groups its subjects can match.
//!
//! A decision looks up the user's name and each of the user's groups, merges the candidate
//! bindings in name order, and checks only their rules. Bindings for other users are never
//! visited, so 100,000 unrelated bindings cost nothing per decision.

use std::collections::HashMap;
use std::sync::Arc;

use ahash::RandomState;
use smallvec::SmallVec;

use super::rules::{PreparedRule, RequestBits};
use crate::api::rbac::{Binding, Role, Subject};
use crate::authz::text::Key;
use crate::authz::{Reason, Request, UserInfo, Verdict};
use crate::go::{format_aggregate, quote};

/// The RBAC objects of a cluster, as stored (aggregated ClusterRoles already hold their rules).
#[derive(Clone, Debug, Default)]
pub struct RbacObjects {
    /// Namespaced Roles.
    pub roles: Vec<Role>,
    /// ClusterRoles.
    pub cluster_roles: Vec<Role>,
    /// Namespaced RoleBindings.
    pub role_bindings: Vec<Binding>,
    /// ClusterRoleBindings.
    pub cluster_role_bindings: Vec<Binding>,
}

/// A binding's role, resolved when the index is built: its rules, or the error a lookup gives.
pub(super) type ResolvedRole = Result<Arc<[PreparedRule]>, Arc<str>>;

/// One binding, ready to decide.
#[derive(Debug)]
pub(super) struct IndexedBinding {
    pub(super) role: ResolvedRole,
    /// The allow reason for each subject; `None` for subjects that can never apply.
    pub(super) reasons: Box<[Option<Arc<str>>]>,
    /// The binding as stored (name, role reference, subjects), for the questions `explain` and
    /// `who-can` answer; decisions never read it.
    pub(super) source: Binding,
}

/// A subject of a binding that can apply to some user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Candidate {
    pub(super) binding: u32,
    pub(super) subject: u32,
}

pub(super) type Lookup = hashbrown::HashMap<Box<str>, Vec<Candidate>, RandomState>;

/// The bindings of one scope: all ClusterRoleBindings, or the RoleBindings of one namespace.
#[derive(Debug, Default)]
pub(super) struct Scope {
    /// Sorted by binding name.
    pub(super) bindings: Vec<IndexedBinding>,
    /// User and ServiceAccount subjects, by the user name they match.
    pub(super) by_user: Lookup,
    /// Group subjects, by group name.
    pub(super) by_group: Lookup,
}

/// An immutable, indexed snapshot of a cluster's RBAC policy.
#[derive(Debug, Default)]
pub struct RbacIndex {
    pub(super) cluster: Scope,
    pub(super) namespaces: hashbrown::HashMap<Box<str>, Scope, RandomState>,
    binding_count: usize,
}

impl RbacIndex {
    /// Builds the index from stored objects.
    pub fn build(objects: &RbacObjects) -> Self {
        let prepare = |role: &Role| -> Arc<[PreparedRule]> {
            role.rules.iter().map(PreparedRule::new).collect()
        };
        let cluster_roles: HashMap<&str, Arc<[PreparedRule]>> = objects
            .cluster_roles
            .iter()
            .map(|r| (r.metadata.name.as_str(), prepare(r)))
            .collect();
        let roles: HashMap<(&str, &str), Arc<[PreparedRule]>> = objects
            .roles
            .iter()
            .map(|r| {
                (
                    (r.metadata.namespace.as_str(), r.metadata.name.as_str()),
                    prepare(r),
                )
            })
            .collect();
        let resolve = |binding: &Binding, namespace: &str| -> ResolvedRole {
            let name = binding.role_ref.name.as_str();
            match binding.role_ref.kind.as_str() {
                "Role" => roles.get(&(namespace, name)).cloned().ok_or_else(|| {
                    format!("role.rbac.authorization.k8s.io {} not found", quote(name)).into()
                }),
                "ClusterRole" => cluster_roles.get(name).cloned().ok_or_else(|| {
                    format!(
                        "clusterrole.rbac.authorization.k8s.io {} not found",
                        quote(name)
                    )
                    .into()
                }),
                other => Err(format!("unsupported role reference kind: {}", quote(other)).into()),
            }
        };

        let mut cluster: Vec<&Binding> = objects.cluster_role_bindings.iter().collect();
        cluster.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
        let cluster = Scope::build(&cluster, "", &resolve);

        let mut by_namespace: HashMap<&str, Vec<&Binding>> = HashMap::new();
        for binding in &objects.role_bindings {
            by_namespace
                .entry(binding.metadata.namespace.as_str())
                .or_default()
                .push(binding);
        }
        let namespaces = by_namespace
            .into_iter()
            .filter(|(namespace, _)| !namespace.is_empty())
            .map(|(namespace, mut bindings)| {
                bindings.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
                let scope = Scope::build(&bindings, namespace, &resolve);
                (Box::from(namespace), scope)
            })
            .collect();
        RbacIndex {
            cluster,
            namespaces,
            binding_count: objects.cluster_role_bindings.len() + objects.role_bindings.len(),
        }
    }

    /// How many bindings the index holds.
    pub fn binding_count(&self) -> usize {
        self.binding_count
    }

    /// Decides `request`: Allow with the binding's reason, or NoOpinion with the errors of the
    /// applicable bindings whose role could not be resolved.
    pub fn authorize(&self, request: &Request) -> Verdict {
        let mut errors: SmallVec<[&str; 4]> = SmallVec::new();
        let bits = RequestBits::of(request);
        if let Some(reason) = self.cluster.visit(request, bits, &mut errors) {
            return Verdict::allow(Reason::Shared(reason.clone()));
        }
        let namespace = request.namespace();
        if !namespace.is_empty()
            && let Some(scope) = self.namespaces.get(&Key(namespace))
            && let Some(reason) = scope.visit(request, bits, &mut errors)
        {
            return Verdict::allow(Reason::Shared(reason.clone()));
        }
        if errors.is_empty() {
            return Verdict::no_opinion(Reason::None);
        }
        Verdict::no_opinion(Reason::Owned(format!("RBAC: {}", format_aggregate(errors))))
    }
}

impl Scope {
    fn build(
        bindings: &[&Binding],
        namespace: &str,
        resolve: &dyn Fn(&Binding, &str) -> ResolvedRole,
    ) -> Self {
        let mut scope = Scope::default();
        for (position, binding) in bindings.iter().enumerate() {
            let position = u32::try_from(position).unwrap_or(u32::MAX);
            let mut reasons = Vec::with_capacity(binding.subjects.len());
            for (index, subject) in binding.subjects.iter().enumerate() {
                let candidate = Candidate {
                    binding: position,
                    subject: u32::try_from(index).unwrap_or(u32::MAX),
                };
                let key = match subject.kind.as_str() {
                    "User" => Some((&mut scope.by_user, subject.name.clone())),
                    "Group" => Some((&mut scope.by_group, subject.name.clone())),
                    "ServiceAccount" => {
                        let sa_namespace = if subject.namespace.is_empty() {
                            namespace
                        } else {
                            subject.namespace.as_str()
                        };
                        (!sa_namespace.is_empty()).then(|| {
                            let user =
                                format!("system:serviceaccount:{sa_namespace}:{}", subject.name);
                            (&mut scope.by_user, user)
                        })
                    }
                    _ => None,
                };
                reasons.push(key.is_some().then(|| describe(binding, subject, namespace)));
                if let Some((lookup, name)) = key {
                    lookup
                        .entry(name.into_boxed_str())
                        .or_default()
                        .push(candidate);
                }
            }
            scope.bindings.push(IndexedBinding {
                role: resolve(binding, namespace),
                reasons: reasons.into_boxed_slice(),
                source: (*binding).clone(),
            });
        }
        scope
    }

    /// Visits the bindings that apply to the user, in name order, each with its first applying
    /// subject. Returns the reason of the first that allows; collects role errors on the way.
    fn visit<'s>(
        &'s self,
        request: &Request,
        bits: RequestBits,
        errors: &mut SmallVec<[&'s str; 4]>,
    ) -> Option<&'s Arc<str>> {
        let mut lists = self.candidate_lists(&request.user);
        match lists.len() {
            0 => None,
            1 => self.check(lists[0].iter().copied(), request, bits, errors),
            _ => self.check(
                std::iter::from_fn(|| merge_next(&mut lists)),
                request,
                bits,
                errors,
            ),
        }
    }

    pub(super) fn candidate_lists(&self, user: &UserInfo) -> SmallVec<[&[Candidate]; 8]> {
        let mut lists = SmallVec::new();
        if let Some(list) = self.by_user.get(&Key(&user.name)) {
            lists.push(list.as_slice());
        }
        if !self.by_group.is_empty() {
            for group in &user.groups {
                if let Some(list) = self.by_group.get(&Key(group)) {
                    lists.push(list.as_slice());
                }
            }
        }
        lists
    }

    /// `candidates` are sorted by (binding, subject), so the first of each binding is its first
    /// applying subject.
    fn check<'s>(
        &'s self,
        candidates: impl Iterator<Item = Candidate>,
        request: &Request,
        bits: RequestBits,
        errors: &mut SmallVec<[&'s str; 4]>,
    ) -> Option<&'s Arc<str>> {
        let mut previous = None;
        for candidate in candidates {
            if previous == Some(candidate.binding) {
                continue;
            }
            previous = Some(candidate.binding);
            let binding = &self.bindings[candidate.binding as usize];
            match &binding.role {
                Err(message) => errors.push(message),
                Ok(rules) => {
                    if rules.iter().any(|rule| rule.allows(request, bits)) {
                        return binding.reasons[candidate.subject as usize].as_ref();
                    }
                }
            }
        }
        None
    }
}

/// Takes the smallest head among sorted lists: a k-way merge without allocating (k is the number
/// of the user's groups with bindings, plus one).
pub(super) fn merge_next(lists: &mut [&[Candidate]]) -> Option<Candidate> {
    let mut best: Option<usize> = None;
    for (i, list) in lists.iter().enumerate() {
        if let Some(head) = list.first()
            && best.is_none_or(|b| *head < lists[b][0])
        {
            best = Some(i);
        }
    }
    let i = best?;
    let head = lists[i][0];
    lists[i] = &lists[i][1..];
    Some(head)
}

/// `RBAC: allowed by ...`, formatted as upstream's binding describers do.
fn describe(binding: &Binding, subject: &Subject, namespace: &str) -> Arc<str> {
    let subject_text = if subject.kind == "ServiceAccount" {
        let sa_namespace = if subject.namespace.is_empty() {
            namespace
        } else {
            subject.namespace.as_str()
        };
        format!(
            "{} {}",
            subject.kind,
            quote(&format!("{}/{}", subject.name, sa_namespace))
        )
    } else {
        format!("{} {}", subject.kind, quote(&subject.name))
    };
    let source = if namespace.is_empty() {
        format!(
            "ClusterRoleBinding {} of {} {} to {}",
            quote(&binding.metadata.name),
            binding.role_ref.kind,
            quote(&binding.role_ref.name),
            subject_text
        )
    } else {
        format!(
            "RoleBinding {} of {} {} to {}",
            quote(&format!(
                "{}/{}",
                binding.metadata.name, binding.metadata.namespace
            )),
            binding.role_ref.kind,
            quote(&binding.role_ref.name),
            subject_text
        )
    };
    format!("RBAC: allowed by {source}").into()
}
