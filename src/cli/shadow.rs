//! `serve`'s shadow flags and their wiring: the shadow, its worker, its loader and the watches
//! that reload it.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Result;
use clap::Args;

use authz_chain::authorizers::node::FeatureGates;
use authz_chain::build::ChainOptions;
use authz_chain::metrics::Metrics;
use authz_chain::server;
use authz_chain::shadow::{DEFAULT_QUEUE, Shadow, ShadowInputs, ShadowLoader};

use super::chain_cli::{Loaded, Webhooks, parse_feature_gates};

/// The shadow chain's flags.
#[derive(Args)]
pub struct ShadowArgs {
    /// A candidate AuthorizationConfiguration decided beside the live chain on every request,
    /// off the answer path (see README, "Trying a change on live traffic"). Reloaded like the
    /// live one; while the file is gone nothing is shadowed.
    #[arg(long)]
    pub shadow_authorization_config: Option<PathBuf>,
    /// The shadow chain's cluster state (manifest files, reloaded when they change). Without
    /// it and --shadow-kubeconfig, the shadow reads the live chain's state.
    #[arg(long, requires = "shadow_authorization_config")]
    pub shadow_state: Option<PathBuf>,
    /// The shadow chain's state from this cluster (list and watch).
    #[cfg(feature = "live")]
    #[arg(
        long,
        requires = "shadow_authorization_config",
        conflicts_with = "shadow_state"
    )]
    pub shadow_kubeconfig: Option<PathBuf>,
    /// What the shadow's webhook steps do: not called by default (replay's stand-in:
    /// matchConditions still run).
    #[arg(long, value_enum, default_value_t = Webhooks::Skip)]
    pub shadow_webhooks: Webhooks,
    /// The shadow chain's feature gates (the live ones' by default).
    #[arg(long, value_parser = parse_feature_gates)]
    pub shadow_feature_gates: Option<FeatureGates>,
    /// At most this many differences are logged per second (0: none); the number held back is
    /// in the next line.
    #[arg(long, default_value_t = 10)]
    pub shadow_log_rate: u32,
    /// Requests waiting for the shadow; past it the shadow skips requests (counted).
    #[arg(long, default_value_t = DEFAULT_QUEUE)]
    pub shadow_queue_size: usize,
}

/// What keeps the shadow's cluster watchers running.
#[cfg(feature = "live")]
pub type ShadowGuard = Option<authz_chain::state::live::LiveState>;
/// What keeps the shadow's cluster watchers running (nothing without the `live` feature).
#[cfg(not(feature = "live"))]
pub type ShadowGuard = Option<()>;

/// Starts the shadow (`None` without `--shadow-authorization-config`): its worker, its first
/// load (after the first lists, with `--shadow-kubeconfig`) and the watches that reload it.
/// Must run inside the runtime.
pub async fn start(
    args: &ShadowArgs,
    live: &Loaded,
    metrics: &Arc<Metrics>,
    stopped: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<Option<(Arc<Shadow>, ShadowGuard)>> {
    let Some(config) = args.shadow_authorization_config.clone() else {
        return Ok(None);
    };
    let (shadow, worker) = Shadow::new(
        metrics.clone(),
        args.shadow_queue_size,
        args.shadow_log_rate,
    );
    tokio::spawn(worker.run(shadow.clone()));
    let options = ChainOptions {
        webhooks: args.shadow_webhooks.mode(),
        feature_gates: args
            .shadow_feature_gates
            .unwrap_or(live.options.feature_gates),
        // The shadow's steps count into a registry of their own, never into the live series.
        metrics: Arc::new(Metrics::new()),
        ..live.options.clone()
    };
    #[allow(unused_mut)]
    let mut guard: ShadowGuard = None;
    // Loads wait for a shadow cluster's first lists; files load at once.
    let synced = Arc::new(AtomicBool::new(true));
    let mut inputs = match &args.shadow_state {
        Some(path) => ShadowInputs::Files(path.clone()),
        None => ShadowInputs::Shared(live.sources.clone()),
    };
    #[cfg(feature = "live")]
    let mut checks = None;
    #[cfg(feature = "live")]
    if let Some(path) = &args.shadow_kubeconfig {
        use authz_chain::state::live::{ClusterAccess, LiveState, connect};
        let sources = authz_chain::state::Sources::from_state(&Default::default())?;
        let client = connect(&ClusterAccess::Kubeconfig(path.clone())).await?;
        let shadow_checks = authz_chain::health::Checks::default();
        guard = Some(LiveState::start(
            &client,
            &sources,
            &shadow_checks,
            metrics,
            options.feature_gates,
        ));
        shadow.stop("waiting for the shadow cluster's first lists".into());
        synced.store(false, Ordering::SeqCst);
        checks = Some(shadow_checks);
        inputs = ShadowInputs::Cluster(sources);
    }
    let loader = Arc::new(ShadowLoader::new(
        config,
        inputs,
        options,
        shadow.clone(),
        metrics.clone(),
    ));
    #[cfg(feature = "live")]
    if let Some(checks) = checks {
        let (loader, synced) = (loader.clone(), synced.clone());
        tokio::spawn(async move {
            while !checks.all_pass() {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            synced.store(true, Ordering::SeqCst);
            let _ = tokio::task::spawn_blocking(move || loader.check()).await;
        });
    }
    if synced.load(Ordering::SeqCst) {
        // As for the live configuration, a shadow that does not load at start is an error.
        let first = loader.clone();
        tokio::task::spawn_blocking(move || first.check())
            .await?
            .map_err(|e| anyhow::anyhow!("--shadow-authorization-config: {e}"))?;
    }
    let (config, state) = loader.watched();
    let mut watched = vec![server::Watched::File(config)];
    if let Some(state) = state {
        watched.push(if state.is_dir() {
            server::Watched::Tree(state)
        } else {
            server::Watched::File(state)
        });
    }
    tokio::spawn(server::watch(
        watched,
        server::POLL_INTERVAL,
        stopped,
        move || {
            if synced.load(Ordering::SeqCst) {
                let _ = loader.check();
            }
        },
    ));
    Ok(Some((shadow, guard)))
}
