//! Kubeconfig files, as client-go reads them for a webhook (`webhookutil.LoadKubeconfig`: the
//! current context, client-go's validation, then `rest.Config`): the cluster's `server`, CA,
//! `insecure-skip-tls-verify`, `tls-server-name`, `proxy-url` and `disable-compression`; the
//! user's client certificate and key, `token` or `tokenFile`, `username`/`password`, impersonation
//! (`as`, `as-uid`, `as-groups`, `as-user-extra`) and `exec` plugin. Relative paths are resolved
//! against the kubeconfig's directory and every referenced file is read, so that a broken
//! kubeconfig fails when the configuration is loaded.
//!
//! What client-go knows but a webhook client here cannot use (`auth-provider`, whose in-tree
//! plugins are gone; an exec plugin that must be interactive) is refused with a field error. A
//! field outside the kubeconfig schema is ignored, as client-go ignores it, and logged once.

mod auth;
mod proxy_url;
mod schema;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex};

use base64::Engine;
use thiserror::Error;

pub use auth::{BasicAuth, ExecApiVersion, ExecCluster, ExecConfig, Impersonation};
pub use proxy_url::{ProxyScheme, ProxyUrl};

use super::validate::go_errno_text;
use crate::field::{BadValue, FieldError};
use crate::go::{format_aggregate, quote};
use schema::{Cluster, Kubeconfig, Named, User};

/// The cluster extension client-go hands to exec plugins (`clusterExtensionKey`).
const EXEC_EXTENSION: &str = "client.authentication.k8s.io/exec";

/// Why a kubeconfig could not be used.
#[derive(Debug, Error)]
#[error("error loading config file {path:?}: {message}")]
pub struct KubeconfigError {
    path: PathBuf,
    message: String,
}

/// What a webhook client needs from a kubeconfig.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
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
    /// `username`/`password`.
    pub basic_auth: Option<BasicAuth>,
    /// The exec credential plugin; `None` also when other credentials make client-go skip it.
    pub exec: Option<ExecConfig>,
    /// `as` and its companions.
    pub impersonate: Option<Impersonation>,
    /// `proxy-url`; without it the `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` environment applies.
    pub proxy_url: Option<ProxyUrl>,
    /// `disable-compression`: no `Accept-Encoding: gzip` on requests.
    pub disable_compression: bool,
    /// Every file this connection was read from besides the kubeconfig (CA, certificate, key,
    /// token file), so that a rotation of any of them can be noticed.
    pub files: Vec<PathBuf>,
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
/// relative file references (CA, client certificate and key, `tokenFile`, an exec command given
/// as a path) are resolved against its directory and read. Public so the kubeconfig parser can be
/// fuzzed without a file per input.
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
    warn_unknown_fields(text, path);
    let base = path.parent().unwrap_or(Path::new("/"));
    let mut files = Vec::new();
    if config.current_context.is_empty() {
        return Err(fail(
            "invalid configuration: no current-context is set".into(),
        ));
    }
    let (_, context) = find(&config.contexts, &config.current_context).ok_or_else(|| {
        fail(format!(
            "invalid configuration: context {:?} not found",
            config.current_context
        ))
    })?;
    let (_, cluster) = find(&config.clusters, &context.cluster).ok_or_else(|| {
        fail(format!(
            "invalid configuration: cluster {:?} not found",
            context.cluster
        ))
    })?;
    let (user_index, user) = if context.user.is_empty() {
        (None, User::default())
    } else {
        let (index, user) = find(&config.users, &context.user).ok_or_else(|| {
            fail(format!(
                "invalid configuration: user {:?} not found",
                context.user
            ))
        })?;
        (Some(index), user)
    };
    // client-go's ConfirmUsable: the user's problems, then the cluster's, all at once.
    let mut problems = Vec::new();
    auth::validate_user(&context.user, &user, &mut problems);
    if cluster.server.is_empty() {
        problems.push(format!(
            "no server found for cluster {}",
            quote(&context.cluster)
        ));
    }
    let proxy_url = match cluster.proxy_url.as_str() {
        "" => None,
        text => match ProxyUrl::parse(text) {
            Ok(url) => Some(url),
            Err(e) => {
                problems.push(format!(
                    "invalid 'proxy-url' {} for cluster {}: {e}",
                    quote(text),
                    quote(&context.cluster)
                ));
                None
            }
        },
    };
    if !problems.is_empty() {
        return Err(fail(format!(
            "invalid configuration: {}",
            format_aggregate(&problems)
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
    let mut connection = WebhookConnection {
        server: cluster.server.clone(),
        certificate_authority,
        insecure_skip_tls_verify: cluster.insecure_skip_tls_verify,
        tls_server_name: (!cluster.tls_server_name.is_empty())
            .then(|| cluster.tls_server_name.clone()),
        client_certificate,
        client_key,
        token: (!user.token.is_empty()).then(|| user.token.clone()),
        files: files.into_iter().chain(token_file.clone()).collect(),
        token_file,
        basic_auth: (!user.username.is_empty()).then(|| BasicAuth {
            username: user.username.clone(),
            password: user.password.clone(),
        }),
        exec: None,
        impersonate: auth::impersonation(&user),
        proxy_url,
        disable_compression: cluster.disable_compression,
    };
    if !is_https(&cluster.server) {
        // `ClientConfig` reads user credentials "only if we are secure": over plain HTTP none
        // of them is sent.
        if has_user_credentials(&user) {
            warn_once(
                path,
                "plain-http-credentials",
                "the server is not https, so the user's credentials are not used (as client-go)",
            );
        }
        connection.client_certificate = None;
        connection.client_key = None;
        connection.token = None;
        connection.token_file = None;
        connection.basic_auth = None;
        return Ok(connection);
    }
    let user_path = format!("users[{}].user", user_index.unwrap_or(0));
    if let Some(provider) = &user.auth_provider {
        return Err(fail(
            FieldError::forbidden(
                format!("{user_path}.auth-provider"),
                format!(
                    "no Auth Provider found for name {} (client-go's auth providers are not available to webhook clients; use exec)",
                    quote(&provider.name)
                ),
            )
            .to_string(),
        ));
    }
    if connection.token_file.is_some() && connection.basic_auth.is_some() {
        return Err(fail(
            "username/password or bearer token may be set, but not both".into(),
        ));
    }
    if let Some(exec) = &user.exec {
        if auth::interactive_mode(exec) == "Always" {
            return Err(fail(
                FieldError::not_supported(
                    format!("{user_path}.exec.interactiveMode"),
                    BadValue::Str("Always".into()),
                    &["IfAvailable", "Never"],
                )
                .to_string(),
            ));
        }
        let cluster_info = exec
            .provide_cluster_info
            .then(|| exec_cluster(&cluster, &connection));
        let config = auth::exec_config(exec, base, cluster_info).map_err(fail)?;
        // `Authenticator.UpdateTransportConfig`: a token, basic auth or a client certificate in
        // the kubeconfig wins, and the plugin is never run.
        if connection.token.is_some()
            || connection.token_file.is_some()
            || connection.basic_auth.is_some()
            || connection.client_certificate.is_some()
        {
            warn_once(
                path,
                "exec-shadowed",
                "the exec plugin is not used: the user also has a token, basic auth or a client certificate, which client-go prefers",
            );
        } else {
            connection.exec = Some(config);
        }
    }
    Ok(connection)
}

/// `ExecCredential.spec.cluster` for `provideClusterInfo`.
fn exec_cluster(cluster: &Cluster, connection: &WebhookConnection) -> ExecCluster {
    // `rest.Config.Host`: a server URL with a path loses its query.
    let path_len = cluster
        .server
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|at| &rest[at..]))
        .map_or(0, |path| {
            path.split(['?', '#']).next().unwrap_or_default().len()
        });
    let server = if path_len > 1 {
        cluster
            .server
            .split('?')
            .next()
            .unwrap_or_default()
            .to_owned()
    } else {
        cluster.server.clone()
    };
    ExecCluster {
        server,
        tls_server_name: cluster.tls_server_name.clone(),
        insecure_skip_tls_verify: cluster.insecure_skip_tls_verify,
        certificate_authority_data: connection.certificate_authority.clone(),
        proxy_url: cluster.proxy_url.clone(),
        disable_compression: cluster.disable_compression,
        config: cluster
            .extensions
            .iter()
            .find(|e| e.name == EXEC_EXTENSION)
            .and_then(|e| e.extension.clone()),
    }
}

/// Whether client-go would treat `server` as TLS (`rest.IsConfigTransportTLS`).
fn is_https(server: &str) -> bool {
    server
        .get(..8)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
}

fn has_user_credentials(user: &User) -> bool {
    !(user.token.is_empty()
        && user.token_file.is_empty()
        && user.username.is_empty()
        && user.client_certificate.is_empty()
        && user.client_certificate_data.is_empty()
        && user.exec.is_none()
        && user.auth_provider.is_none())
}

/// Logs each field outside the kubeconfig schema, once per file and field.
fn warn_unknown_fields(text: &str, path: &Path) {
    let Ok(document) = serde_saphyr::from_str::<serde_json::Value>(text) else {
        return;
    };
    for field in schema::unknown_fields(&document) {
        let message = format!(
            "field `{field}` is not part of the kubeconfig schema and is ignored, as client-go ignores it"
        );
        warn_once(path, &field, &message);
    }
}

/// Logs `message` about the kubeconfig at `path` the first time only (per `key`): kubeconfigs
/// are re-read on every reload check.
fn warn_once(path: &Path, key: &str, message: &str) {
    static WARNED: LazyLock<Mutex<HashSet<(PathBuf, String)>>> = LazyLock::new(Default::default);
    let first = {
        let mut warned = WARNED.lock().unwrap_or_else(|p| p.into_inner());
        // Bounded: a stream of ever-new kubeconfigs must not grow it without end.
        if warned.len() >= 4096 {
            warned.clear();
        }
        warned.insert((path.to_owned(), key.to_owned()))
    };
    if first {
        tracing::warn!(kubeconfig = %path.display(), "{message}");
    }
}

/// The first entry named `name`, with its index.
fn find<T: Clone>(items: &[Named<T>], name: &str) -> Option<(usize, T)> {
    items
        .iter()
        .enumerate()
        .find(|(_, n)| n.name == name)
        .and_then(|(index, n)| Some((index, n.item.clone()?)))
}

#[cfg(test)]
mod tests;
