//! The RBAC authorizer, deciding exactly as kube-apiserver's
//! (`plugin/pkg/auth/authorizer/rbac`): ClusterRoleBindings first, then the RoleBindings of the
//! request's namespace; the first rule that allows wins; never Deny; NoOpinion carries the errors of
//! bindings whose role is missing as its reason.
//!
//! Unlike upstream, which walks Go maps, the walk is deterministic: bindings in name order. And it
//! is indexed: only bindings with a subject that can apply to the user are visited.
//!
//! [`RbacIndex::who_can`] answers the reverse question over the same index: every subject some
//! binding lets make a request.

mod authorizer;
mod explain;
mod index;
mod rules;
mod who_can;

pub use crate::authz::rule_allows;
pub use authorizer::RbacAuthorizer;
pub use index::{RbacIndex, RbacObjects};
pub use who_can::{Grant, MissingRole, SubjectRef, WhoCan};
