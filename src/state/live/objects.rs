//! The watched kinds as kube-rs resources: Kubernetes metadata plus the crate's own reduced
//! bodies (`crate::api`), decoded straight from the API server's JSON in one pass. Each kind takes
//! its group, version and plural from the k8s-openapi type of the same kind, so the API versions
//! follow the Kubernetes release the binary is built for, while the authorizers only ever see the
//! crate's types.

use std::borrow::Cow;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta as KubeMeta;
use serde::Deserialize;

use crate::api::de::null_as_default;
use crate::api::meta::ObjectMeta;
use crate::api::pod::{Pod, PodMeta, PodSpec, PodStatus};
use crate::api::rbac::{Binding, PolicyRule, Role, RoleRef, Subject};
use crate::api::storage::{NameMeta, NodeBoundSpec, PersistentVolume, PersistentVolumeSpec};

/// Namespace and name: how objects of one kind are told apart.
pub type ObjectKey = (String, String);

/// Declares one watched kind: a struct with `metadata` and the given body fields (each read with
/// `null` and absence as the default), and its `kube::Resource` impl taken from `$openapi`.
macro_rules! watched_kind {
    ($(#[$doc:meta])* $name:ident = $openapi:ty { $($(#[$field_doc:meta])* $field:ident: $ty:ty,)* }) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Default, Deserialize)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            /// Kubernetes metadata; the watch resumes from its `resourceVersion`.
            #[serde(default)]
            pub metadata: KubeMeta,
            $(
                $(#[$field_doc])*
                #[serde(default, deserialize_with = "null_as_default")]
                pub $field: $ty,
            )*
        }

        impl kube::Resource for $name {
            type DynamicType = ();
            type Scope = <$openapi as k8s_openapi::Resource>::Scope;

            fn kind(_: &()) -> Cow<'_, str> {
                <$openapi as k8s_openapi::Resource>::KIND.into()
            }

            fn group(_: &()) -> Cow<'_, str> {
                <$openapi as k8s_openapi::Resource>::GROUP.into()
            }

            fn version(_: &()) -> Cow<'_, str> {
                <$openapi as k8s_openapi::Resource>::VERSION.into()
            }

            fn plural(_: &()) -> Cow<'_, str> {
                <$openapi as k8s_openapi::Resource>::URL_PATH_SEGMENT.into()
            }

            fn meta(&self) -> &KubeMeta {
                &self.metadata
            }

            fn meta_mut(&mut self) -> &mut KubeMeta {
                &mut self.metadata
            }
        }
    };
}

watched_kind! {
    /// `rbac.authorization.k8s.io` Role.
    RoleObject = k8s_openapi::api::rbac::v1::Role {
        /// The rules granted.
        rules: Vec<PolicyRule>,
    }
}

watched_kind! {
    /// `rbac.authorization.k8s.io` ClusterRole. In live mode the stored rules are used as they
    /// are: the aggregation controller has already written the aggregated rules into them.
    ClusterRoleObject = k8s_openapi::api::rbac::v1::ClusterRole {
        /// The rules granted.
        rules: Vec<PolicyRule>,
    }
}

watched_kind! {
    /// `rbac.authorization.k8s.io` RoleBinding.
    RoleBindingObject = k8s_openapi::api::rbac::v1::RoleBinding {
        /// Who is bound.
        subjects: Vec<Subject>,
        /// The role granted.
        role_ref: RoleRef,
    }
}

watched_kind! {
    /// `rbac.authorization.k8s.io` ClusterRoleBinding.
    ClusterRoleBindingObject = k8s_openapi::api::rbac::v1::ClusterRoleBinding {
        /// Who is bound.
        subjects: Vec<Subject>,
        /// The role granted.
        role_ref: RoleRef,
    }
}

watched_kind! {
    /// `core/v1` Pod.
    PodObject = k8s_openapi::api::core::v1::Pod {
        /// The references.
        spec: PodSpec,
        /// Resource claim names filled in after binding.
        status: PodStatus,
    }
}

watched_kind! {
    /// `core/v1` PersistentVolume.
    PersistentVolumeObject = k8s_openapi::api::core::v1::PersistentVolume {
        /// Its claim and source.
        spec: PersistentVolumeSpec,
    }
}

watched_kind! {
    /// `storage.k8s.io/v1` VolumeAttachment.
    VolumeAttachmentObject = k8s_openapi::api::storage::v1::VolumeAttachment {
        /// The node it attaches to.
        spec: NodeBoundSpec,
    }
}

watched_kind! {
    /// `resource.k8s.io/v1` ResourceSlice.
    ResourceSliceObject = k8s_openapi::api::resource::v1::ResourceSlice {
        /// The node its devices are on (none for a pool's slice).
        spec: NodeBoundSpec,
    }
}

watched_kind! {
    /// `certificates.k8s.io/v1beta1` PodCertificateRequest.
    PodCertificateRequestObject = k8s_openapi::api::certificates::v1beta1::PodCertificateRequest {
        /// The node of the requesting pod.
        spec: NodeBoundSpec,
    }
}

/// The namespace and name of an object (empty when the server sent none).
pub fn key_of(meta: &KubeMeta) -> ObjectKey {
    (
        meta.namespace.clone().unwrap_or_default(),
        meta.name.clone().unwrap_or_default(),
    )
}

/// The crate's metadata: name, namespace, UID and labels.
fn object_meta(meta: KubeMeta) -> ObjectMeta {
    ObjectMeta {
        name: meta.name.unwrap_or_default(),
        namespace: meta.namespace.unwrap_or_default(),
        uid: meta.uid.unwrap_or_default(),
        labels: meta.labels.unwrap_or_default(),
    }
}

impl From<RoleObject> for Role {
    fn from(object: RoleObject) -> Self {
        Role {
            metadata: object_meta(object.metadata),
            rules: object.rules,
            aggregation_rule: None,
        }
    }
}

impl From<ClusterRoleObject> for Role {
    fn from(object: ClusterRoleObject) -> Self {
        Role {
            metadata: object_meta(object.metadata),
            rules: object.rules,
            aggregation_rule: None,
        }
    }
}

impl From<RoleBindingObject> for Binding {
    fn from(object: RoleBindingObject) -> Self {
        Binding {
            metadata: object_meta(object.metadata),
            subjects: object.subjects,
            role_ref: object.role_ref,
        }
    }
}

impl From<ClusterRoleBindingObject> for Binding {
    fn from(object: ClusterRoleBindingObject) -> Self {
        Binding {
            metadata: object_meta(object.metadata),
            subjects: object.subjects,
            role_ref: object.role_ref,
        }
    }
}

impl From<PodObject> for Pod {
    fn from(object: PodObject) -> Self {
        Pod {
            metadata: PodMeta {
                name: object.metadata.name.unwrap_or_default(),
                namespace: object.metadata.namespace.unwrap_or_default(),
                annotations: object.metadata.annotations.unwrap_or_default(),
            },
            spec: object.spec,
            status: object.status,
        }
    }
}

impl From<PersistentVolumeObject> for PersistentVolume {
    fn from(object: PersistentVolumeObject) -> Self {
        PersistentVolume {
            metadata: NameMeta {
                name: object.metadata.name.unwrap_or_default(),
                namespace: object.metadata.namespace.unwrap_or_default(),
            },
            spec: object.spec,
        }
    }
}

/// A VolumeAttachment, ResourceSlice or PodCertificateRequest: its key and node.
pub trait NodeBoundObject {
    /// Namespace and name.
    fn key(&self) -> ObjectKey;
    /// `spec.nodeName` (empty for none).
    fn node_name(&self) -> &str;
}

macro_rules! node_bound {
    ($($name:ident),*) => {$(
        impl NodeBoundObject for $name {
            fn key(&self) -> ObjectKey {
                key_of(&self.metadata)
            }

            fn node_name(&self) -> &str {
                &self.spec.node_name
            }
        }
    )*};
}

node_bound!(
    VolumeAttachmentObject,
    ResourceSliceObject,
    PodCertificateRequestObject
);

#[cfg(test)]
mod tests {
    use kube::Resource;
    use serde_json::json;

    use super::*;

    #[test]
    fn kinds_follow_the_release_the_binary_is_built_for() {
        assert_eq!(
            RoleBindingObject::url_path(&(), None),
            "/apis/rbac.authorization.k8s.io/v1/rolebindings"
        );
        assert_eq!(PodObject::url_path(&(), None), "/api/v1/pods");
        assert_eq!(
            ResourceSliceObject::url_path(&(), None),
            "/apis/resource.k8s.io/v1/resourceslices"
        );
        assert_eq!(
            PodCertificateRequestObject::url_path(&(), None),
            "/apis/certificates.k8s.io/v1beta1/podcertificaterequests"
        );
        assert_eq!(ClusterRoleObject::kind(&()), "ClusterRole");
    }

    #[test]
    fn decodes_objects_as_stored() {
        let pod: PodObject = serde_json::from_value(json!({
            "metadata": {"name": "p", "namespace": "ns", "uid": "u1", "resourceVersion": "7",
                         "annotations": {"kubernetes.io/config.mirror": "x"}},
            "spec": {"nodeName": "n1", "volumes": null},
            "status": null,
        }))
        .expect("pod");
        assert_eq!(pod.metadata.resource_version.as_deref(), Some("7"));
        let pod = Pod::from(pod);
        assert!(pod.is_mirror());
        assert_eq!(
            (pod.metadata.namespace.as_str(), pod.spec.node_name.as_str()),
            ("ns", "n1")
        );
        let binding: RoleBindingObject = serde_json::from_value(json!({
            "metadata": {"name": "b", "namespace": "ns", "labels": {"a": "b"}},
            "subjects": null,
            "roleRef": {"kind": "Role", "name": "r"},
        }))
        .expect("binding");
        let binding = Binding::from(binding);
        assert!(binding.subjects.is_empty());
        assert_eq!(binding.role_ref.name, "r");
        assert_eq!(binding.metadata.labels.len(), 1);
        let slice: ResourceSliceObject =
            serde_json::from_value(json!({"metadata": {"name": "s"}, "spec": {"driver": "d"}}))
                .expect("slice");
        assert_eq!(
            (slice.key(), slice.node_name()),
            (("".into(), "s".into()), "")
        );
    }
}
