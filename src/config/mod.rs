//! `AuthorizationConfiguration`: strict decoding of the file kube-apiserver reads with
//! `--authorization-config`, its defaults, every validation rule with Kubernetes field paths, the
//! extra checks kube-apiserver makes, and the kubeconfig files webhooks point to.
//!
//! [`load`] runs the whole sequence kube-apiserver runs at start-up and reports every problem at
//! once, one per line.

mod decode;
mod hash;
mod kubeconfig;
mod load;
mod types;
mod validate;

use std::fmt;
use std::path::Path;
use std::sync::Arc;

pub use hash::config_hash;
pub use kubeconfig::{
    BasicAuth, ExecApiVersion, ExecCluster, ExecConfig, Impersonation, KubeconfigError,
    ProxyScheme, ProxyUrl, WebhookConnection, load_webhook_connection, parse_webhook_connection,
};
pub use load::{LoadError, decode};
pub use types::{
    API_VERSIONS, AuthorizationConfiguration, AuthorizerConfiguration, WebhookConfiguration,
    WebhookConnectionInfo, WebhookMatchCondition,
};
pub use validate::{
    AuthorizerSpec, ChainConfig, Connection, FailurePolicy, KNOWN_TYPES, MAX_MATCH_CONDITIONS,
    WebhookSpec, check_kube_apiserver_rules, validate,
};

/// A configuration that decoded, validated and whose kubeconfigs loaded.
#[derive(Clone, Debug)]
pub struct LoadedConfig {
    /// The file as decoded (defaults applied), for comparing reloads.
    pub config: AuthorizationConfiguration,
    /// The typed chain.
    pub chain: ChainConfig,
    /// Per webhook (same order as they appear in the chain), its resolved kubeconfig; `None` for
    /// `InClusterConfig`.
    pub connections: Vec<Option<Arc<WebhookConnection>>>,
}

/// Why a configuration was refused: a decoding error, or the list of every problem found.
#[derive(Debug)]
pub enum ConfigError {
    /// The file could not be read or decoded.
    Load(LoadError),
    /// The file decoded but is invalid; one message per problem.
    Invalid(Vec<String>),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Load(e) => write!(f, "{e}"),
            ConfigError::Invalid(lines) => f.write_str(&lines.join("\n")),
        }
    }
}

impl std::error::Error for ConfigError {}

impl ConfigError {
    /// Each problem on its own line.
    pub fn lines(&self) -> Vec<String> {
        match self {
            ConfigError::Load(e) => vec![e.to_string()],
            ConfigError::Invalid(lines) => lines.clone(),
        }
    }
}

/// Reads and checks a configuration file. `required_types` lists the non-webhook types that must
/// be present (those of the start-up configuration, on reload).
pub fn load_file(path: &Path, required_types: &[&str]) -> Result<LoadedConfig, ConfigError> {
    let data = std::fs::read(path).map_err(|source| {
        ConfigError::Load(LoadError::Read {
            path: path.display().to_string(),
            source,
        })
    })?;
    load_data(&data, required_types)
}

/// Checks configuration bytes, as [`load_file`].
pub fn load_data(data: &[u8], required_types: &[&str]) -> Result<LoadedConfig, ConfigError> {
    let config = decode(data).map_err(ConfigError::Load)?;
    let chain = validate(&config)
        .map_err(|errors| ConfigError::Invalid(errors.iter().map(|e| e.to_string()).collect()))?;
    let problems = check_kube_apiserver_rules(&config, required_types);
    if !problems.is_empty() {
        return Err(ConfigError::Invalid(problems));
    }
    let mut connections = Vec::new();
    let mut problems = Vec::new();
    for spec in &chain.authorizers {
        if let AuthorizerSpec::Webhook(webhook) = spec {
            match &webhook.connection {
                Connection::InCluster => connections.push(None),
                Connection::KubeConfigFile(file) => match load_webhook_connection(file) {
                    Ok(connection) => connections.push(Some(Arc::new(connection))),
                    Err(e) => problems.push(format!("invalid authorization config: {e}")),
                },
            }
        }
    }
    if !problems.is_empty() {
        return Err(ConfigError::Invalid(problems));
    }
    Ok(LoadedConfig {
        config,
        chain,
        connections,
    })
}
