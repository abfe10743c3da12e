//! What `serve` and `eval` share: the flags naming a configuration and a cluster state, and
//! loading them (or the embedded quickstart) into the pieces a chain is built from.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

use authz_chain::authorizers::node::FeatureGates;
use authz_chain::authz::StandInAnswer;
use authz_chain::authz::explain::WebhookChoice;
use authz_chain::build::{
    ChainOptions, DEFAULT_SUPERUSER_GROUP, Sources, WebhookMode, build_chain,
};
use authz_chain::config::{self, LoadedConfig};
use authz_chain::metrics::Metrics;
use authz_chain::samples;
use authz_chain::state::ClusterState;

/// The configuration and state flags.
#[derive(Args)]
pub struct ChainArgs {
    /// The AuthorizationConfiguration file. Without it, the embedded quickstart
    /// (config-samples/quickstart/authorization-config.yaml) is used.
    #[arg(long)]
    pub authorization_config: Option<PathBuf>,
    /// Cluster state: a manifest file or a directory of them (YAML or JSON, `kubectl get -o`
    /// output). Without it, the embedded quickstart state (config-samples/quickstart/state) is
    /// used, except by `serve` in live mode (--kubeconfig, or running in a pod).
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Live mode: list (and, for `serve`, watch) RBAC and node-graph objects from the cluster
    /// this kubeconfig names (its current context). In a pod, `serve` uses the service account
    /// when neither this nor --state is given.
    #[cfg(feature = "live")]
    #[arg(long, conflicts_with = "state")]
    pub kubeconfig: Option<PathBuf>,
    /// Members of this group are allowed before any configured authorizer, as kube-apiserver does
    /// for system:masters. An empty value removes that step.
    #[arg(long, default_value = DEFAULT_SUPERUSER_GROUP)]
    pub superuser_group: String,
    /// Feature gates, as kube-apiserver takes them (`PodCertificateRequest=true,...`); only the
    /// gates the Node authorizer reads are accepted. Defaults are Kubernetes 1.36's.
    #[arg(long, default_value = "", value_parser = parse_feature_gates)]
    pub feature_gates: FeatureGates,
}

/// `--webhooks`: what webhook steps do in `replay`, `explain` and `access-matrix`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Webhooks {
    /// Call them.
    Call,
    /// Assume they allow.
    Allow,
    /// Assume they deny.
    Deny,
    /// Assume they have no opinion.
    NoOpinion,
    /// Do not call them, and mark what rests on them.
    Skip,
}

impl Webhooks {
    /// The stand-in answer, or `None` for `call`.
    fn stand_in(self) -> Option<StandInAnswer> {
        match self {
            Webhooks::Call => None,
            Webhooks::Allow => Some(StandInAnswer::Allow),
            Webhooks::Deny => Some(StandInAnswer::Deny),
            Webhooks::NoOpinion => Some(StandInAnswer::NoOpinion),
            Webhooks::Skip => Some(StandInAnswer::Skip),
        }
    }

    /// How a chain's webhook steps are built.
    pub fn mode(self) -> WebhookMode {
        self.stand_in()
            .map_or(WebhookMode::Call, WebhookMode::StandIn)
    }

    /// What an explanation does where a webhook would be called.
    pub fn choice(self) -> WebhookChoice {
        self.stand_in()
            .map_or(WebhookChoice::Call, WebhookChoice::StandIn)
    }
}

/// Parses `--feature-gates`.
pub fn parse_feature_gates(text: &str) -> Result<FeatureGates, String> {
    FeatureGates::parse(text).map_err(|e| e.to_string())
}

/// What the flags name, loaded: the configuration (and its bytes when it came from a file), the
/// state sources, and the chain options.
pub struct Loaded {
    pub config: LoadedConfig,
    pub file: Option<(PathBuf, Vec<u8>)>,
    pub sources: Sources,
    pub options: ChainOptions,
}

impl Loaded {
    /// Builds the chain.
    pub fn chain(&self) -> Result<authz_chain::authz::Chain> {
        Ok(build_chain(&self.config, &self.sources, &self.options)?)
    }
}

/// Loads the configuration and state named by the flags (or the embedded quickstart). With
/// `live`, the state starts empty: the cluster's watches fill it.
pub fn load(args: &ChainArgs, metrics: &Arc<Metrics>, live: bool) -> Result<Loaded> {
    let (config, file) = match &args.authorization_config {
        Some(path) => {
            let bytes =
                std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            let config = config::load_data(&bytes, &[])
                .map_err(|e| anyhow::anyhow!("{}:\n{e}", path.display()))?;
            (config, Some((path.clone(), bytes)))
        }
        None => {
            tracing::info!(
                "no --authorization-config: using the embedded quickstart configuration"
            );
            let config = config::load_data(samples::QUICKSTART_CONFIG.as_bytes(), &[])
                .map_err(|e| anyhow::anyhow!("embedded quickstart configuration: {e}"))?;
            (config, None)
        }
    };
    let state = match &args.state {
        _ if live => ClusterState::default(),
        Some(path) => ClusterState::load(path)
            .with_context(|| format!("loading --state {}", path.display()))?,
        None => {
            tracing::info!("no --state: using the embedded quickstart cluster state");
            ClusterState::from_texts(&samples::QUICKSTART_STATE)
                .context("embedded quickstart state")?
        }
    };
    for warning in &state.warnings {
        tracing::warn!("{warning}");
    }
    for (kind, count) in &state.skipped {
        tracing::debug!(kind, count, "skipped objects of a kind no authorizer reads");
    }
    let sources = Sources::from_state(&state)?;
    log_state(&state, &sources);
    let options = ChainOptions {
        superuser_group: (!args.superuser_group.is_empty()).then(|| args.superuser_group.clone()),
        metrics: metrics.clone(),
        feature_gates: args.feature_gates,
        ..ChainOptions::default()
    };
    Ok(Loaded {
        config,
        file,
        sources,
        options,
    })
}

/// How long the one-shot commands wait for a live cluster's first lists.
#[cfg(feature = "live")]
const LIVE_SYNC_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// The flags, loaded for a one-shot command (`explain`, `who-can`, `access-matrix`): from files,
/// or with `--kubeconfig` from a live cluster, listed once into the stores before this returns.
/// The returned guard keeps the watchers running (they apply changes while the command runs);
/// drop it last.
pub fn load_once(
    args: &ChainArgs,
    metrics: &Arc<Metrics>,
    runtime: &tokio::runtime::Runtime,
) -> Result<(Loaded, Option<LiveGuard>)> {
    #[cfg(feature = "live")]
    if let Some(path) = &args.kubeconfig {
        use authz_chain::health::Checks;
        use authz_chain::state::live::{ClusterAccess, LiveState, connect};
        let loaded = load(args, metrics, true)?;
        let access = ClusterAccess::Kubeconfig(path.clone());
        let checks = Checks::default();
        let live = runtime.block_on(async {
            let client = connect(&access).await?;
            let live = LiveState::start(&client, &loaded.sources, &checks, metrics, args.feature_gates);
            let started = tokio::time::Instant::now();
            while !checks.all_pass() {
                if started.elapsed() > LIVE_SYNC_TIMEOUT {
                    let (_, report) = checks.report("readyz", true);
                    anyhow::bail!("the cluster's objects were not all listed within {LIVE_SYNC_TIMEOUT:?}:\n{report}");
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            Ok(live)
        })?;
        log_sources(&loaded.sources);
        return Ok((loaded, Some(live)));
    }
    let _ = runtime;
    Ok((load(args, metrics, false)?, None))
}

/// What keeps a live cluster's watchers running.
#[cfg(feature = "live")]
pub type LiveGuard = authz_chain::state::live::LiveState;
/// What keeps a live cluster's watchers running (nothing without the `live` feature).
#[cfg(not(feature = "live"))]
pub type LiveGuard = ();

/// Logs what the stores hold after a live sync.
fn log_sources(sources: &Sources) {
    let stats = sources.node.read(|graph| graph.stats());
    tracing::info!(
        bindings = sources.rbac.load().binding_count(),
        nodes = stats.nodes,
        pods = stats.pods,
        "cluster state listed"
    );
}

/// Logs what a state holds.
pub fn log_state(state: &ClusterState, sources: &Sources) {
    tracing::info!(
        bindings = sources.rbac.load().binding_count(),
        roles = state.rbac.roles.len(),
        cluster_roles = state.rbac.cluster_roles.len(),
        "RBAC state loaded"
    );
    let stats = sources.node.read(|graph| graph.stats());
    tracing::info!(
        nodes = stats.nodes,
        pods = stats.pods,
        persistent_volumes = stats.persistent_volumes,
        bound = stats.bound,
        referenced = stats.referenced,
        "Node graph loaded"
    );
}
