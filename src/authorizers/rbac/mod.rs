//! The RBAC authorizer, deciding exactly as kube-apiserver's
//! (`plugin/pkg/auth/authorizer/rbac`): ClusterRoleBindings first, then the RoleBindings of the
//! request's namespace; the first rule that allows wins; never Deny; NoOpinion carries the errors of
//! bindings whose role is missing as its reason.
//!
//! Unlike upstream, which walks Go maps, the walk is deterministic: bindings in name order. And it
//! is indexed: only bindings with a subject that can apply to the user are visited.

mod authorizer;
mod explain;
mod index;
mod rules;

pub use crate::authz::rule_allows;
pub use authorizer::RbacAuthorizer;
pub use index::{RbacIndex, RbacObjects};
