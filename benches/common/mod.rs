//! Fixtures the benches share: a resource request, and many bindings to other subjects.
#![allow(dead_code)]

use authz_chain::api::meta::ObjectMeta;
use authz_chain::api::rbac::{Binding, RoleRef, Subject};
use authz_chain::authorizers::rbac::RbacObjects;
use authz_chain::authz::{Attributes, Request, ResourceAttributes, UserInfo};

/// A resource request by `user` in `groups`.
pub fn request(
    user: &str,
    groups: &[&str],
    namespace: &str,
    verb: &str,
    resource: &str,
    subresource: &str,
    name: &str,
) -> Request {
    Request {
        user: UserInfo {
            name: user.into(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            ..UserInfo::default()
        },
        attributes: Attributes::Resource(ResourceAttributes {
            namespace: namespace.into(),
            verb: verb.into(),
            version: "v1".into(),
            resource: resource.into(),
            subresource: subresource.into(),
            name: name.into(),
            ..ResourceAttributes::default()
        }),
    }
}

/// Adds `count` bindings to other users, groups (500 distinct) and service accounts, half
/// ClusterRoleBindings, half RoleBindings spread over `kube-system`, `default` and 1,000 more
/// namespaces, granting the ClusterRoles of `roles` in turn.
pub fn extra_bindings(objects: &mut RbacObjects, count: usize, roles: &[&str]) {
    let subject = |kind: &str, name: String, namespace: String| Subject {
        kind: kind.into(),
        name,
        namespace,
        ..Subject::default()
    };
    for i in 0..count {
        let namespace = match i % 10 {
            0 => "kube-system".to_owned(),
            1 => "default".to_owned(),
            _ => format!("extra-ns-{}", i % 1000),
        };
        let subjects = match i % 3 {
            0 => vec![subject("User", format!("extra-user-{i}"), String::new())],
            1 => vec![subject(
                "Group",
                format!("extra-group-{}", i % 500),
                String::new(),
            )],
            _ => vec![subject(
                "ServiceAccount",
                format!("extra-sa-{i}"),
                namespace.clone(),
            )],
        };
        let cluster = i % 2 == 0;
        let binding = Binding {
            metadata: ObjectMeta {
                name: format!("extra-{i}"),
                namespace: if cluster { String::new() } else { namespace },
                ..ObjectMeta::default()
            },
            subjects,
            role_ref: RoleRef {
                api_group: "rbac.authorization.k8s.io".into(),
                kind: "ClusterRole".into(),
                name: roles[(i / 2) % roles.len()].into(),
            },
        };
        if cluster {
            objects.cluster_role_bindings.push(binding);
        } else {
            objects.role_bindings.push(binding);
        }
    }
}
