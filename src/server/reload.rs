//! Reloading `--authorization-config` while serving, with kube-apiserver's rules
//! (`pkg/kubeapiserver/authorizer/reload.go`, spec section 6): the file is watched (notify on its
//! directory, so ConfigMap symlink swaps are seen) and also polled every minute; identical bytes
//! are ignored; the new file is fully validated (non-webhook types present at start-up must stay);
//! a semantically identical configuration is ignored; otherwise a whole new chain is built and
//! swapped in atomically. In-flight requests finish on the old chain; a bad file keeps it. New
//! webhook steps start with empty caches.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use super::App;
use super::watch::{Watched, watch};
use crate::authz::Chain;
pub use crate::config::config_hash;
use crate::config::{AuthorizerSpec, Connection, LoadedConfig, load_data, load_webhook_connection};
use crate::metrics::{ConfigInfoLabels, Metrics, ReloadLabels};

/// How often the file is read even without a change notification.
pub const POLL_INTERVAL: Duration = Duration::from_secs(60);

/// Builds a chain from a configuration that loaded.
pub type ChainBuilder = Box<dyn Fn(&LoadedConfig) -> Result<Chain, String> + Send + Sync>;

/// What one check of the file did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReloadOutcome {
    /// Same bytes, or the same configuration: nothing to do.
    Unchanged,
    /// A new chain is answering.
    Reloaded,
    /// The file could not be read, validated or built; the old chain keeps answering.
    Failed(String),
}

struct Last {
    bytes: Vec<u8>,
    loaded: LoadedConfig,
    /// The kubeconfig files of the configuration's webhooks.
    files: Vec<PathBuf>,
}

fn kubeconfig_files(loaded: &LoadedConfig) -> Vec<PathBuf> {
    loaded
        .chain
        .authorizers
        .iter()
        .filter_map(|a| match a {
            AuthorizerSpec::Webhook(w) => match &w.connection {
                Connection::KubeConfigFile(path) => Some(path.clone()),
                Connection::InCluster => None,
            },
            _ => None,
        })
        .collect()
}

/// Watches one configuration file and swaps the app's chain when it changes.
pub struct ConfigReloader {
    path: PathBuf,
    app: Arc<App>,
    build: ChainBuilder,
    required_types: Vec<String>,
    metrics: Arc<Metrics>,
    id_hash: String,
    // Serializes checks (notify and the poll may fire together); never held across an await.
    last: Mutex<Last>,
}

impl ConfigReloader {
    /// A reloader for `path`, whose start-up contents were `bytes` (decoded as `loaded`). `identity`
    /// names this instance in the reload metrics (hashed).
    pub fn new(
        path: PathBuf,
        bytes: Vec<u8>,
        loaded: &LoadedConfig,
        app: Arc<App>,
        build: ChainBuilder,
        metrics: Arc<Metrics>,
        identity: &str,
    ) -> Self {
        let required_types = loaded
            .chain
            .authorizers
            .iter()
            .map(|a| a.kind())
            .filter(|kind| *kind != "Webhook")
            .map(str::to_owned)
            .collect();
        let reloader = ConfigReloader {
            path,
            app,
            build,
            required_types,
            id_hash: config_hash(identity.as_bytes()),
            metrics,
            last: Mutex::new(Last {
                bytes: Vec::new(),
                loaded: loaded.clone(),
                files: kubeconfig_files(loaded),
            }),
        };
        reloader.set_config_info(&config_hash(&bytes));
        if let Ok(mut last) = reloader.last.lock() {
            last.bytes = bytes;
        }
        reloader
    }

    /// Reads the file and applies it if it changed.
    pub fn check(&self) -> ReloadOutcome {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(error) => return self.failed(format!("reading {}: {error}", self.path.display())),
        };
        if bytes == last.bytes {
            return self.check_credentials(&mut last);
        }
        // Remember the bytes first: the same bad file is not reprocessed or recounted.
        last.bytes = bytes.clone();
        let required: Vec<&str> = self.required_types.iter().map(String::as_str).collect();
        let loaded = match load_data(&bytes, &required) {
            Ok(loaded) => loaded,
            Err(error) => return self.failed(error.to_string().replace('\n', "; ")),
        };
        if loaded.config == last.loaded.config && loaded.connections == last.loaded.connections {
            return ReloadOutcome::Unchanged;
        }
        last.files = kubeconfig_files(&loaded);
        last.loaded = loaded.clone();
        let chain = match (self.build)(&loaded) {
            Ok(chain) => chain,
            Err(error) => return self.failed(error),
        };
        self.app.swap_chain(chain);
        self.record("success");
        self.set_config_info(&config_hash(&bytes));
        tracing::info!(path = %self.path.display(), hash = %config_hash(&bytes), "authorization configuration reloaded");
        ReloadOutcome::Reloaded
    }

    /// Watches the file (and the kubeconfigs and credential files it names, as they were at
    /// start-up) until `shutdown` resolves, checking on every change and every `poll`.
    pub async fn run(
        self: Arc<Self>,
        poll: Duration,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        let mut watched = vec![Watched::File(self.path.clone())];
        if let Ok(last) = self.last.lock() {
            watched.extend(last.files.iter().cloned().map(Watched::File));
            for connection in last.loaded.connections.iter().flatten() {
                watched.extend(connection.files.iter().cloned().map(Watched::File));
            }
        }
        let this = self.clone();
        watch(watched, poll, shutdown, move || {
            this.check();
        })
        .await;
    }

    /// Beyond upstream: the configuration is unchanged, but a kubeconfig it names (or a
    /// certificate, key or CA that kubeconfig names) may have been rotated. New connections must
    /// use the new credentials, so a change rebuilds the chain.
    fn check_credentials(&self, last: &mut Last) -> ReloadOutcome {
        if last.files.is_empty() {
            return ReloadOutcome::Unchanged;
        }
        let mut connections = last.loaded.connections.clone();
        let mut files = last.files.iter();
        for connection in connections.iter_mut().filter(|c| c.is_some()) {
            let Some(file) = files.next() else { break };
            match load_webhook_connection(file) {
                Ok(fresh) => *connection = Some(Arc::new(fresh)),
                Err(error) => return self.failed(format!("invalid authorization config: {error}")),
            }
        }
        if connections == last.loaded.connections {
            return ReloadOutcome::Unchanged;
        }
        let mut loaded = last.loaded.clone();
        loaded.connections = connections;
        let chain = match (self.build)(&loaded) {
            Ok(chain) => chain,
            Err(error) => return self.failed(error),
        };
        last.loaded = loaded;
        self.app.swap_chain(chain);
        self.record("success");
        tracing::info!(path = %self.path.display(), "webhook credentials changed; chain rebuilt");
        ReloadOutcome::Reloaded
    }

    fn failed(&self, message: String) -> ReloadOutcome {
        tracing::error!(path = %self.path.display(), error = %message, "authorization configuration reload failed; keeping the previous chain");
        self.record("failure");
        ReloadOutcome::Failed(message)
    }

    fn record(&self, status: &str) {
        let labels = ReloadLabels {
            status: status.to_owned(),
            apiserver_id_hash: self.id_hash.clone(),
        };
        self.metrics.reloads.get_or_create(&labels).inc();
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        self.metrics
            .reload_timestamp
            .get_or_create(&labels)
            .set(now);
    }

    fn set_config_info(&self, hash: &str) {
        self.metrics.config_info.clear();
        self.metrics
            .config_info
            .get_or_create(&ConfigInfoLabels {
                apiserver_id_hash: self.id_hash.clone(),
                hash: hash.to_owned(),
            })
            .set(1);
    }
}
