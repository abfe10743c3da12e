//! Loading the shadow chain from `--shadow-authorization-config` and its state, and again
//! whenever they change, with the live chain's rules: the file is fully validated and the chain
//! built before it replaces the one in force; a bad file or state keeps the last good shadow
//! (counted and reported); a file that is gone stops shadowing until it is back.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use super::Shadow;
use crate::build::{ChainOptions, Sources, build_chain};
use crate::config::{config_hash, load_data};
use crate::metrics::StatusLabels;
use crate::state::{ClusterState, fingerprint};

/// Where the shadow chain's cluster state comes from.
#[derive(Clone, Debug)]
pub enum ShadowInputs {
    /// The live chain's stores (no `--shadow-state` nor `--shadow-kubeconfig`).
    Shared(Sources),
    /// Manifest files of its own (`--shadow-state`), re-read when they change.
    Files(PathBuf),
    /// Stores a live cluster keeps current (`--shadow-kubeconfig`).
    Cluster(Sources),
}

/// What the last successful load used.
#[derive(Default)]
struct Last {
    bytes: Option<Vec<u8>>,
    state: Option<Vec<(PathBuf, u64, Option<std::time::SystemTime>)>>,
    /// The stores of `ShadowInputs::Files`, filled by the first good state.
    sources: Option<Sources>,
}

/// Loads and reloads the shadow chain.
pub struct ShadowLoader {
    config: PathBuf,
    inputs: ShadowInputs,
    /// How the shadow chain is built; its `metrics` are the shadow chain's own (not exported:
    /// its steps must not count into the live chain's series).
    options: ChainOptions,
    /// Where the loads are counted (the exported registry).
    metrics: Arc<crate::metrics::Metrics>,
    shadow: Arc<Shadow>,
    // Serializes checks (notify and the poll may fire together); never held across an await.
    last: Mutex<Last>,
}

impl std::fmt::Debug for ShadowLoader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShadowLoader")
            .field("config", &self.config)
            .field("inputs", &self.inputs)
            .finish_non_exhaustive()
    }
}

impl ShadowLoader {
    /// A loader of `config` over `inputs`, building with `options` into `shadow` and counting
    /// loads in `metrics`. Nothing is loaded until [`check`](Self::check).
    pub fn new(
        config: PathBuf,
        inputs: ShadowInputs,
        options: ChainOptions,
        shadow: Arc<Shadow>,
        metrics: Arc<crate::metrics::Metrics>,
    ) -> Self {
        ShadowLoader {
            config,
            inputs,
            options,
            metrics,
            shadow,
            last: Mutex::new(Last::default()),
        }
    }

    /// The files to watch: the configuration, and the state files of [`ShadowInputs::Files`].
    pub fn watched(&self) -> (PathBuf, Option<PathBuf>) {
        let state = match &self.inputs {
            ShadowInputs::Files(path) => Some(path.clone()),
            _ => None,
        };
        (self.config.clone(), state)
    }

    /// Reads the configuration (and the state files) and puts a new chain in force when they
    /// changed and load; returns what happened, for logs and tests.
    pub fn check(&self) -> Result<bool, String> {
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        let bytes = match std::fs::read(&self.config) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(self.gone(&mut last, &self.config));
            }
            Err(error) => {
                return Err(self.failed(format!("reading {}: {error}", self.config.display())));
            }
        };
        let state_now = match &self.inputs {
            ShadowInputs::Files(path) if !path.exists() => return Err(self.gone(&mut last, path)),
            ShadowInputs::Files(path) => Some(fingerprint(path)),
            _ => None,
        };
        let config_changed = last.bytes.as_deref() != Some(bytes.as_slice());
        let state_changed = state_now.is_some() && last.state != state_now;
        if !config_changed && !state_changed {
            return Ok(false);
        }
        // Remember what was read first: the same bad input is not reprocessed or recounted.
        last.bytes = Some(bytes.clone());
        if state_changed {
            last.state = state_now;
        }
        let loaded = load_data(&bytes, &[]).map_err(|e| {
            self.failed(format!(
                "{}: {}",
                self.config.display(),
                e.to_string().replace('\n', "; ")
            ))
        })?;
        let sources = match &self.inputs {
            ShadowInputs::Shared(sources) | ShadowInputs::Cluster(sources) => sources.clone(),
            ShadowInputs::Files(path) => self.file_sources(&mut last, path, state_changed)?,
        };
        let chain = build_chain(&loaded, &sources, &self.options)
            .map_err(|e| self.failed(format!("building the shadow chain: {e}")))?;
        let hash = config_hash(&bytes);
        tracing::info!(path = %self.config.display(), %hash, "shadow chain loaded");
        self.shadow.set_chain(chain, hash);
        self.record("success");
        Ok(true)
    }

    /// The stores of `--shadow-state`, (re)filled from the files when they changed.
    fn file_sources(&self, last: &mut Last, path: &Path, changed: bool) -> Result<Sources, String> {
        if let (Some(sources), false) = (&last.sources, changed) {
            return Ok(sources.clone());
        }
        let state = ClusterState::load(path)
            .map_err(|e| self.failed(format!("loading --shadow-state {}: {e}", path.display())))?;
        for warning in &state.warnings {
            tracing::warn!("shadow state: {warning}");
        }
        match &last.sources {
            Some(sources) => {
                sources.replace_state(&state).map_err(|e| {
                    self.failed(format!("loading --shadow-state {}: {e}", path.display()))
                })?;
                Ok(sources.clone())
            }
            None => {
                let sources = Sources::from_state(&state).map_err(|e| {
                    self.failed(format!("loading --shadow-state {}: {e}", path.display()))
                })?;
                last.sources = Some(sources.clone());
                Ok(sources)
            }
        }
    }

    /// A file is gone: shadowing stops until it is back (and loads).
    fn gone(&self, last: &mut Last, path: &Path) -> String {
        let message = format!(
            "{} is gone; shadowing stopped until it is back",
            path.display()
        );
        if self.shadow.is_active() || last.bytes.is_some() {
            tracing::warn!(path = %path.display(), "shadow input removed; shadowing stopped");
        }
        last.bytes = None;
        last.state = None;
        self.shadow.stop(message.clone());
        message
    }

    fn failed(&self, message: String) -> String {
        tracing::error!(error = %message, "shadow configuration or state did not load; keeping the last good shadow");
        self.record("failure");
        self.shadow.load_failed(message.clone());
        message
    }

    fn record(&self, status: &str) {
        self.metrics
            .shadow_reloads
            .get_or_create(&StatusLabels {
                status: status.to_owned(),
            })
            .inc();
    }
}
