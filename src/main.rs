//! The `authz-chain` command line: `serve`, `check`, `eval` and `replay`. Parses flags, wires the
//! library together and passes a signal future to the server; nothing else.

#[path = "cli/loadgen.rs"]
mod loadgen_cli;
#[path = "cli/replay.rs"]
mod replay_cli;
#[path = "cli/serve.rs"]
mod serve_cli;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};

use authz_chain::authorizers::node::FeatureGates;
use authz_chain::build::{ChainOptions, DEFAULT_SUPERUSER_GROUP, Sources, build_chain};
use authz_chain::config::{self, LoadedConfig};
use authz_chain::metrics::Metrics;
use authz_chain::state::ClusterState;
use authz_chain::{eval, samples};

/// A Kubernetes authorization webhook: answers SubjectAccessReviews with an ordered chain of
/// authorizers configured by kube-apiserver's AuthorizationConfiguration file.
#[derive(Parser)]
#[command(name = "authz-chain", version, about, long_about = None)]
struct Cli {
    /// Log format.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Log filter (`info`, `debug` for one line per decision, or a tracing filter such as
    /// `authz_chain=debug`); `RUST_LOG` overrides it.
    #[arg(long, global = true, default_value = "info")]
    log_level: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Serve SubjectAccessReviews over HTTPS on POST /authorize.
    Serve(Box<serve_cli::ServeArgs>),
    /// Validate an AuthorizationConfiguration: print `ok`, or every error (one per line) and exit 1.
    Check {
        /// The AuthorizationConfiguration file (YAML or JSON).
        #[arg(long)]
        authorization_config: PathBuf,
    },
    /// Answer SubjectAccessReviews from a file or stdin, one JSON response per line.
    Eval {
        #[command(flatten)]
        chain: ChainArgs,
        /// SubjectAccessReviews: JSON lines, one JSON document, or YAML documents; `-` is stdin.
        #[arg(default_value = "-")]
        input: String,
    },
    /// Replay audit logs through a candidate chain and report the decisions that would change.
    Replay(Box<replay_cli::ReplayArgs>),
    /// Send SubjectAccessReviews to a running webhook as kube-apiserver does, and report
    /// throughput and latency percentiles.
    Loadgen(Box<loadgen_cli::LoadgenArgs>),
}

#[derive(Args)]
struct ChainArgs {
    /// The AuthorizationConfiguration file. Without it, the embedded quickstart
    /// (config-samples/quickstart/authorization-config.yaml) is used.
    #[arg(long)]
    authorization_config: Option<PathBuf>,
    /// Cluster state: a manifest file or a directory of them (YAML or JSON, `kubectl get -o`
    /// output). Without it, the embedded quickstart state (config-samples/quickstart/state) is
    /// used, except by `serve` in live mode (--kubeconfig, or running in a pod).
    #[arg(long)]
    state: Option<PathBuf>,
    /// Members of this group are allowed before any configured authorizer, as kube-apiserver does
    /// for system:masters. An empty value removes that step.
    #[arg(long, default_value = DEFAULT_SUPERUSER_GROUP)]
    superuser_group: String,
    /// Feature gates, as kube-apiserver takes them (`PodCertificateRequest=true,...`); only the
    /// gates the Node authorizer reads are accepted. Defaults are Kubernetes 1.36's.
    #[arg(long, default_value = "", value_parser = parse_feature_gates)]
    feature_gates: FeatureGates,
}

fn parse_feature_gates(text: &str) -> Result<FeatureGates, String> {
    FeatureGates::parse(text).map_err(|e| e.to_string())
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let d = authz_chain::go::Duration::parse(text).map_err(|e| e.to_string())?;
    if d.is_negative() {
        return Err("must not be negative".into());
    }
    Ok(d.to_std())
}

fn main() {
    let cli = Cli::parse();
    init_logging(cli.log_format, &cli.log_level);
    let code = match run(cli.command) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            1
        }
    };
    std::process::exit(code);
}

fn init_logging(format: LogFormat, level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn run(command: Command) -> Result<i32> {
    match command {
        Command::Check {
            authorization_config,
        } => Ok(check(&authorization_config)),
        Command::Eval { chain, input } => eval_command(&chain, &input),
        Command::Serve(args) => serve_cli::serve(*args),
        Command::Replay(args) => replay_cli::replay_command(*args),
        Command::Loadgen(args) => loadgen_cli::loadgen_command(*args),
    }
}

fn check(path: &Path) -> i32 {
    match config::load_file(path, &[]) {
        Ok(_) => {
            println!("ok");
            0
        }
        Err(error) => {
            for line in error.lines() {
                eprintln!("{line}");
            }
            1
        }
    }
}

/// What the flags name, loaded: the configuration (and its bytes when it came from a file), the
/// state sources, and the chain options.
struct Loaded {
    config: LoadedConfig,
    file: Option<(PathBuf, Vec<u8>)>,
    sources: Sources,
    options: ChainOptions,
}

impl Loaded {
    fn chain(&self) -> Result<authz_chain::authz::Chain> {
        Ok(build_chain(&self.config, &self.sources, &self.options)?)
    }
}

/// Loads the configuration and state named by the flags (or the embedded quickstart). With
/// `live`, the state starts empty: the cluster's watches fill it.
fn load(args: &ChainArgs, metrics: &Arc<Metrics>, live: bool) -> Result<Loaded> {
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

fn eval_command(args: &ChainArgs, input: &str) -> Result<i32> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // Webhook clients need a runtime when they are built.
    let _entered = runtime.enter();
    let chain = load(args, &Arc::new(Metrics::new()), false)?.chain()?;
    let text = if input == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading stdin")?;
        text
    } else {
        std::fs::read_to_string(input).with_context(|| format!("reading {input}"))?
    };
    let documents = eval::split_documents(&text).map_err(anyhow::Error::msg)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut failed = false;
    for (i, document) in documents.iter().enumerate() {
        let line = runtime.block_on(eval::eval_document(&chain, document));
        if let Some(error) = &line.error {
            eprintln!("document {}: {error}", i + 1);
            failed = true;
        }
        writeln!(out, "{}", line.output)?;
    }
    Ok(if failed { 1 } else { 0 })
}

fn log_state(state: &ClusterState, sources: &Sources) {
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
