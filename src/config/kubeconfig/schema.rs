//! The kubeconfig `v1` schema (`k8s.io/client-go/tools/clientcmd/api/v1/types.go`) as serde types,
//! and the walk that finds fields outside it. client-go decodes kubeconfigs leniently (an unknown
//! field is dropped without a word), so the typed decoding here ignores unknown fields too, and
//! [`unknown_fields`] lists them so that the loader can warn about each.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::api::de::null_as_default;

#[derive(Deserialize, Default)]
pub(super) struct Kubeconfig {
    #[serde(default, deserialize_with = "null_as_default")]
    pub clusters: Vec<Named<Cluster>>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub users: Vec<Named<User>>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub contexts: Vec<Named<Context>>,
    #[serde(
        default,
        rename = "current-context",
        deserialize_with = "null_as_default"
    )]
    pub current_context: String,
}

#[derive(Deserialize)]
pub(super) struct Named<T> {
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    #[serde(alias = "cluster", alias = "user", alias = "context")]
    #[serde(default = "Option::default")]
    pub item: Option<T>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(rename_all = "kebab-case")]
pub(super) struct Cluster {
    #[serde(default, deserialize_with = "null_as_default")]
    pub server: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub certificate_authority: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub certificate_authority_data: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub insecure_skip_tls_verify: bool,
    #[serde(default, deserialize_with = "null_as_default")]
    pub tls_server_name: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub proxy_url: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub disable_compression: bool,
    #[serde(default, deserialize_with = "null_as_default")]
    pub extensions: Vec<NamedExtension>,
}

#[derive(Deserialize, Default, Clone)]
pub(super) struct NamedExtension {
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    #[serde(default)]
    pub extension: Option<serde_json::Value>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(rename_all = "kebab-case")]
pub(super) struct User {
    #[serde(default, deserialize_with = "null_as_default")]
    pub client_certificate: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub client_certificate_data: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub client_key: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub client_key_data: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub token: String,
    #[serde(default, rename = "tokenFile", deserialize_with = "null_as_default")]
    pub token_file: String,
    #[serde(default, rename = "as", deserialize_with = "null_as_default")]
    pub impersonate: String,
    #[serde(default, rename = "as-uid", deserialize_with = "null_as_default")]
    pub impersonate_uid: String,
    #[serde(default, rename = "as-groups", deserialize_with = "null_as_default")]
    pub impersonate_groups: Vec<String>,
    #[serde(
        default,
        rename = "as-user-extra",
        deserialize_with = "null_as_default"
    )]
    pub impersonate_user_extra: BTreeMap<String, Option<Vec<String>>>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub username: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub password: String,
    #[serde(default)]
    pub auth_provider: Option<AuthProvider>,
    #[serde(default)]
    pub exec: Option<Exec>,
}

#[derive(Deserialize, Default, Clone)]
pub(super) struct AuthProvider {
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
}

#[derive(Deserialize, Default, Clone)]
#[serde(rename_all = "camelCase")]
pub(super) struct Exec {
    #[serde(default, deserialize_with = "null_as_default")]
    pub command: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub args: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub env: Vec<ExecEnvVar>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub api_version: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub install_hint: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub provide_cluster_info: bool,
    #[serde(default, deserialize_with = "null_as_default")]
    pub interactive_mode: String,
}

#[derive(Deserialize, Default, Clone)]
pub(super) struct ExecEnvVar {
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub value: String,
}

#[derive(Deserialize, Default, Clone)]
pub(super) struct Context {
    #[serde(default, deserialize_with = "null_as_default")]
    pub cluster: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub user: String,
}

// === the schema, for finding unknown fields ===

/// The shape of a kubeconfig value: enough of the schema to tell known fields from unknown ones.
enum Shape {
    /// Anything (an extension's payload, a string map): not looked into.
    Any,
    /// A scalar or a list of scalars.
    Leaf,
    /// An object with exactly these fields.
    Object(&'static [(&'static str, Shape)]),
    /// A list of values of one shape.
    List(&'static Shape),
}

const NAMED_EXTENSION: Shape = Shape::Object(&[("name", Shape::Leaf), ("extension", Shape::Any)]);
const EXTENSIONS: Shape = Shape::List(&NAMED_EXTENSION);

const CLUSTER: Shape = Shape::Object(&[
    ("server", Shape::Leaf),
    ("tls-server-name", Shape::Leaf),
    ("insecure-skip-tls-verify", Shape::Leaf),
    ("certificate-authority", Shape::Leaf),
    ("certificate-authority-data", Shape::Leaf),
    ("proxy-url", Shape::Leaf),
    ("disable-compression", Shape::Leaf),
    ("extensions", EXTENSIONS),
]);

const EXEC_ENV_VAR: Shape = Shape::Object(&[("name", Shape::Leaf), ("value", Shape::Leaf)]);

const EXEC: Shape = Shape::Object(&[
    ("command", Shape::Leaf),
    ("args", Shape::Leaf),
    ("env", Shape::List(&EXEC_ENV_VAR)),
    ("apiVersion", Shape::Leaf),
    ("installHint", Shape::Leaf),
    ("provideClusterInfo", Shape::Leaf),
    ("interactiveMode", Shape::Leaf),
]);

const USER: Shape = Shape::Object(&[
    ("client-certificate", Shape::Leaf),
    ("client-certificate-data", Shape::Leaf),
    ("client-key", Shape::Leaf),
    ("client-key-data", Shape::Leaf),
    ("token", Shape::Leaf),
    ("tokenFile", Shape::Leaf),
    ("as", Shape::Leaf),
    ("as-uid", Shape::Leaf),
    ("as-groups", Shape::Leaf),
    ("as-user-extra", Shape::Any),
    ("username", Shape::Leaf),
    ("password", Shape::Leaf),
    (
        "auth-provider",
        Shape::Object(&[("name", Shape::Leaf), ("config", Shape::Any)]),
    ),
    ("exec", EXEC),
    ("extensions", EXTENSIONS),
]);

const CONTEXT: Shape = Shape::Object(&[
    ("cluster", Shape::Leaf),
    ("user", Shape::Leaf),
    ("namespace", Shape::Leaf),
    ("extensions", EXTENSIONS),
]);

const CONFIG: Shape = Shape::Object(&[
    ("kind", Shape::Leaf),
    ("apiVersion", Shape::Leaf),
    (
        "preferences",
        Shape::Object(&[("colors", Shape::Leaf), ("extensions", EXTENSIONS)]),
    ),
    (
        "clusters",
        Shape::List(&Shape::Object(&[
            ("name", Shape::Leaf),
            ("cluster", CLUSTER),
        ])),
    ),
    (
        "users",
        Shape::List(&Shape::Object(&[("name", Shape::Leaf), ("user", USER)])),
    ),
    (
        "contexts",
        Shape::List(&Shape::Object(&[
            ("name", Shape::Leaf),
            ("context", CONTEXT),
        ])),
    ),
    ("current-context", Shape::Leaf),
    ("extensions", EXTENSIONS),
]);

/// The paths of every field of `document` that the kubeconfig schema does not have
/// (`users[0].user.foo`). Values of the wrong type are not reported here:
/// the typed decoding refuses them.
pub(super) fn unknown_fields(document: &serde_json::Value) -> Vec<String> {
    let mut found = Vec::new();
    walk(document, &CONFIG, "", &mut found);
    found
}

fn walk(value: &serde_json::Value, shape: &Shape, path: &str, found: &mut Vec<String>) {
    match (shape, value) {
        (Shape::Object(fields), serde_json::Value::Object(map)) => {
            for (key, child) in map {
                let child_path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match fields.iter().find(|(name, _)| name == key) {
                    Some((_, child_shape)) => walk(child, child_shape, &child_path, found),
                    None => found.push(child_path),
                }
            }
        }
        (Shape::List(item), serde_json::Value::Array(items)) => {
            for (index, child) in items.iter().enumerate() {
                walk(child, item, &format!("{path}[{index}]"), found);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_listed_with_their_paths() {
        let document = serde_json::json!({
            "apiVersion": "v1",
            "kind": "Config",
            "colour": "blue",
            "clusters": [{"name": "k", "cluster": {"server": "https://x", "proxy": "p",
                "extensions": [{"name": "e", "extension": {"anything": 1}}]}}],
            "users": [{"name": "u", "user": {"token": "t", "exec": {"command": "c", "timeout": 3,
                "env": [{"name": "A", "value": "1", "secret": true}]},
                "as-user-extra": {"free": ["form"]}, "auth-provider": {"name": "oidc", "config": {"x": "y"}}}}],
            "contexts": [{"name": "c", "context": {"cluster": "k", "user": "u", "namespace": "n"}, "extra": 1}],
            "current-context": "c"
        });
        let mut found = unknown_fields(&document);
        found.sort();
        assert_eq!(
            found,
            vec![
                "clusters[0].cluster.proxy",
                "colour",
                "contexts[0].extra",
                "users[0].user.exec.env[0].secret",
                "users[0].user.exec.timeout",
            ]
        );
    }
}
