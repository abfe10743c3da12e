//! Objects for the fake cluster, as the API server would store them (kind included).

use serde_json::{Value, json};

/// A Role granting `verbs` on core `resources`.
pub fn role(namespace: &str, name: &str, verbs: &[&str], resources: &[&str]) -> Value {
    json!({"kind": "Role", "metadata": {"name": name, "namespace": namespace},
           "rules": [{"apiGroups": [""], "verbs": verbs, "resources": resources}]})
}

/// A RoleBinding of `user` to the Role `role`.
pub fn role_binding(namespace: &str, name: &str, user: &str, role: &str) -> Value {
    json!({"kind": "RoleBinding", "metadata": {"name": name, "namespace": namespace},
           "subjects": [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": user}],
           "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role}})
}

/// A pod on `node` (empty: unscheduled) mounting the secret `secret`.
pub fn pod(namespace: &str, name: &str, node: &str, secret: &str) -> Value {
    json!({"kind": "Pod", "metadata": {"name": name, "namespace": namespace},
           "spec": {"nodeName": node, "containers": [{"name": "c", "image": "busybox"}],
                    "volumes": [{"name": "tls", "secret": {"secretName": secret}}]},
           "status": {"phase": "Running"}})
}

/// A VolumeAttachment to `node`.
pub fn volume_attachment(name: &str, node: &str) -> Value {
    json!({"kind": "VolumeAttachment", "metadata": {"name": name},
           "spec": {"attacher": "csi.example.com", "nodeName": node,
                    "source": {"persistentVolumeName": "pv1"}}})
}
