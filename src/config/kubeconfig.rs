//! Kubeconfig files, as client-go reads them for a webhook: the current context's cluster (`server`
//! URL, CA, `insecure-skip-tls-verify`, `tls-server-name`) and user (client certificate and key,
//! `token` or `tokenFile`), with relative paths resolved against the kubeconfig's directory and
//! every referenced file read, so that a broken kubeconfig fails when the configuration is loaded.

use std::path::{Path, PathBuf};

use base64::Engine;
use serde::Deserialize;
use thiserror::Error;

use super::validate::go_errno_text;
use crate::api::de::null_as_default;

/// Why a kubeconfig could not be used.
#[derive(Debug, Error)]
#[error("error loading config file {path:?}: {message}")]
pub struct KubeconfigError {
    path: PathBuf,
    message: String,
}

/// What a webhook client needs from a kubeconfig.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookConnection {
    /// The URL requests are POSTed to, verbatim (path included).
    pub server: String,
    /// PEM bundle of trusted CAs; `None` means the system roots.
    pub certificate_authority: Option<Vec<u8>>,
    /// Skip server certificate verification (`insecure-skip-tls-verify`).
    pub insecure_skip_tls_verify: bool,
    /// The name to verify the server certificate against, instead of the URL's host.
    pub tls_server_name: Option<String>,
    /// PEM client certificate chain.
    pub client_certificate: Option<Vec<u8>>,
    /// PEM client private key.
    pub client_key: Option<Vec<u8>>,
    /// Bearer token.
    pub token: Option<String>,
    /// File the bearer token is (re-)read from.
    pub token_file: Option<PathBuf>,
    /// Every file this connection was read from besides the kubeconfig (CA, certificate, key,
    /// token file), so that a rotation of any of them can be noticed.
    pub files: Vec<PathBuf>,
}

#[derive(Deserialize, Default)]
struct Kubeconfig {
    #[serde(default, deserialize_with = "null_as_default")]
    clusters: Vec<Named<Cluster>>,
    #[serde(default, deserialize_with = "null_as_default")]
    users: Vec<Named<User>>,
    #[serde(default, deserialize_with = "null_as_default")]
    contexts: Vec<Named<Context>>,
    #[serde(
        default,
        rename = "current-context",
        deserialize_with = "null_as_default"
    )]
    current_context: String,
}

#[derive(Deserialize)]
struct Named<T> {
    #[serde(default)]
    name: String,
    #[serde(alias = "cluster", alias = "user", alias = "context")]
    #[serde(default = "Option::default")]
    item: Option<T>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(rename_all = "kebab-case")]
struct Cluster {
    #[serde(default)]
    server: String,
    #[serde(default)]
    certificate_authority: String,
    #[serde(default)]
    certificate_authority_data: String,
    #[serde(default)]
    insecure_skip_tls_verify: bool,
    #[serde(default)]
    tls_server_name: String,
}

#[derive(Deserialize, Default, Clone)]
#[serde(rename_all = "kebab-case")]
struct User {
    #[serde(default)]
    client_certificate: String,
    #[serde(default)]
    client_certificate_data: String,
    #[serde(default)]
    client_key: String,
    #[serde(default)]
    client_key_data: String,
    #[serde(default)]
    token: String,
    #[serde(default, rename = "tokenFile")]
    token_file: String,
}

#[derive(Deserialize, Default, Clone)]
struct Context {
    #[serde(default)]
    cluster: String,
    #[serde(default)]
    user: String,
}

/// Reads `path` and resolves its current context into a [`WebhookConnection`].
pub fn load_webhook_connection(path: &Path) -> Result<WebhookConnection, KubeconfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| KubeconfigError {
        path: path.to_owned(),
        message: format!("open {}: {}", path.display(), go_errno_text(&e)),
    })?;
    parse_webhook_connection(&text, path)
}

/// [`load_webhook_connection`] for a kubeconfig already read: `path` names it in errors, and
/// relative file references (CA, client certificate and key, `tokenFile`) are resolved against its
/// directory and read. Public so the kubeconfig parser can be fuzzed without a file per input.
pub fn parse_webhook_connection(
    text: &str,
    path: &Path,
) -> Result<WebhookConnection, KubeconfigError> {
    let fail = |message: String| KubeconfigError {
        path: path.to_owned(),
        message,
    };
    let config: Kubeconfig = if text.trim().is_empty() {
        Kubeconfig::default()
    } else {
        serde_saphyr::from_str(text).map_err(|e| fail(format!("yaml: {e}")))?
    };
    let base = path.parent().unwrap_or(Path::new("/"));
    let mut files = Vec::new();
    if config.current_context.is_empty() {
        return Err(fail(
            "invalid configuration: no current-context is set".into(),
        ));
    }
    let context = find(&config.contexts, &config.current_context).ok_or_else(|| {
        fail(format!(
            "invalid configuration: context {:?} not found",
            config.current_context
        ))
    })?;
    let cluster = find(&config.clusters, &context.cluster).ok_or_else(|| {
        fail(format!(
            "invalid configuration: cluster {:?} not found",
            context.cluster
        ))
    })?;
    let user = if context.user.is_empty() {
        User::default()
    } else {
        find(&config.users, &context.user).ok_or_else(|| {
            fail(format!(
                "invalid configuration: user {:?} not found",
                context.user
            ))
        })?
    };
    if cluster.server.is_empty() {
        return Err(fail(format!(
            "invalid configuration: no server found for cluster {:?}",
            context.cluster
        )));
    }
    let mut material =
        |data: &str, file: &str, what: &str| -> Result<Option<Vec<u8>>, KubeconfigError> {
            if !data.is_empty() {
                return base64::engine::general_purpose::STANDARD
                    .decode(data.trim())
                    .map(Some)
                    .map_err(|e| fail(format!("{what}-data is not valid base64: {e}")));
            }
            if file.is_empty() {
                return Ok(None);
            }
            let resolved = base.join(file);
            files.push(resolved.clone());
            std::fs::read(&resolved).map(Some).map_err(|e| {
                fail(format!(
                    "unable to read {what} {}: {}",
                    resolved.display(),
                    go_errno_text(&e)
                ))
            })
        };
    let certificate_authority = material(
        &cluster.certificate_authority_data,
        &cluster.certificate_authority,
        "certificate-authority",
    )?;
    let client_certificate = material(
        &user.client_certificate_data,
        &user.client_certificate,
        "client-certificate",
    )?;
    let client_key = material(&user.client_key_data, &user.client_key, "client-key")?;
    if client_certificate.is_some() != client_key.is_some() {
        return Err(fail(
            "invalid configuration: client-certificate and client-key must be given together"
                .into(),
        ));
    }
    if cluster.insecure_skip_tls_verify && certificate_authority.is_some() {
        return Err(fail(
            "invalid configuration: specifying a root certificates file with the insecure flag is not allowed".into(),
        ));
    }
    let token_file = (!user.token_file.is_empty()).then(|| base.join(&user.token_file));
    if let Some(file) = &token_file {
        std::fs::metadata(file).map_err(|e| {
            fail(format!(
                "unable to read tokenFile {}: {}",
                file.display(),
                go_errno_text(&e)
            ))
        })?;
    }
    Ok(WebhookConnection {
        server: cluster.server,
        certificate_authority,
        insecure_skip_tls_verify: cluster.insecure_skip_tls_verify,
        tls_server_name: (!cluster.tls_server_name.is_empty()).then_some(cluster.tls_server_name),
        client_certificate,
        client_key,
        token: (!user.token.is_empty()).then_some(user.token),
        files: files.into_iter().chain(token_file.clone()).collect(),
        token_file,
    })
}

fn find<T: Clone>(items: &[Named<T>], name: &str) -> Option<T> {
    items
        .iter()
        .find(|n| n.name == name)
        .and_then(|n| n.item.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KUBECONFIG: &str = "apiVersion: v1
kind: Config
current-context: c
contexts:
- name: c
  context: {cluster: k, user: u}
clusters:
- name: k
  cluster: {server: https://example.invalid/authorize}
users:
- name: u
  user: {tokenFile: token}
";

    #[test]
    fn parse_resolves_files_against_the_directory_of_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("token"), "t").expect("write");
        let connection =
            parse_webhook_connection(KUBECONFIG, &dir.path().join("kubeconfig")).expect("valid");
        assert_eq!(connection.server, "https://example.invalid/authorize");
        assert_eq!(connection.token_file, Some(dir.path().join("token")));
        let error = parse_webhook_connection(KUBECONFIG, Path::new("/nonexistent/kubeconfig"))
            .expect_err("no token file there");
        assert!(
            error
                .to_string()
                .contains("unable to read tokenFile /nonexistent/token"),
            "{error}"
        );
    }
}
