//! The `authz-chain` command line: `serve`, `check`, `eval` and `replay`. Parses flags, wires the
//! library together and passes a signal future to the server; nothing else.

#[path = "cli/loadgen.rs"]
mod loadgen_cli;
#[path = "cli/replay.rs"]
mod replay_cli;

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};

use authz_chain::authorizers::node::FeatureGates;
use authz_chain::build::{ChainOptions, DEFAULT_SUPERUSER_GROUP, Sources, build_chain};
use authz_chain::config::{self, LoadedConfig};
use authz_chain::metrics::Metrics;
use authz_chain::server::{self, App, ServingCert};
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
    Serve(ServeArgs),
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

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    chain: ChainArgs,
    /// The port to serve HTTPS on.
    #[arg(long, default_value_t = 8443)]
    secure_port: u16,
    /// The address to listen on.
    #[arg(long, default_value = "0.0.0.0")]
    bind_address: IpAddr,
    /// PEM serving certificate (chain, leaf first). Without it, a self-signed pair is written to
    /// --cert-dir.
    #[arg(long, requires = "tls_private_key_file")]
    tls_cert_file: Option<PathBuf>,
    /// PEM private key of --tls-cert-file.
    #[arg(long, requires = "tls_cert_file")]
    tls_private_key_file: Option<PathBuf>,
    /// Where the self-signed certificate is kept when --tls-cert-file is not given (default:
    /// `authz-chain` under the system temporary directory).
    #[arg(long)]
    cert_dir: Option<PathBuf>,
    /// PEM bundle of CAs; when set, POST /authorize needs a client certificate they signed (401
    /// without one); /healthz, /livez, /readyz and /metrics stay open for probes and scrapers.
    #[arg(long)]
    client_ca_file: Option<PathBuf>,
    /// Live mode: list and watch RBAC and node-graph objects from the cluster this kubeconfig
    /// names (its current context). In a pod, the service account is used when neither this nor
    /// --state is given.
    #[cfg(feature = "live")]
    #[arg(long, conflicts_with = "state")]
    kubeconfig: Option<PathBuf>,
    /// How long in-flight requests may take to finish after SIGTERM or SIGINT.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    shutdown_grace_period: Duration,
    /// After SIGTERM or SIGINT, keep serving this long with /readyz failing (check `shutdown`),
    /// so load balancers stop sending before the listener closes (kube-apiserver's flag of the
    /// same name).
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    shutdown_delay_duration: Duration,
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
        Command::Serve(args) => serve(args),
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

fn serve(args: ServeArgs) -> Result<i32> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let _entered = runtime.enter();
    let metrics = Arc::new(Metrics::new());
    #[cfg(feature = "live")]
    let live = live_access(&args);
    #[cfg(not(feature = "live"))]
    let live: Option<()> = None;
    let loaded = load(&args.chain, &metrics, live.is_some())?;
    let chain = loaded.chain()?;
    let sources = loaded.sources.clone();
    let cert = match (&args.tls_cert_file, &args.tls_private_key_file) {
        (Some(cert), Some(key)) => ServingCert::Files {
            cert: cert.clone(),
            key: key.clone(),
        },
        (None, None) => ServingCert::SelfSigned {
            dir: args
                .cert_dir
                .clone()
                .unwrap_or_else(|| std::env::temp_dir().join("authz-chain")),
            hosts: vec![
                "localhost".into(),
                "127.0.0.1".into(),
                args.bind_address.to_string(),
            ],
        },
        _ => bail!("--tls-cert-file and --tls-private-key-file go together"),
    };
    let (tls, serving) = server::server_config(&cert, args.client_ca_file.as_deref())?;
    let cert_path = serving.cert_path().to_owned();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let address = SocketAddr::new(args.bind_address, args.secure_port);
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .with_context(|| format!("binding {address}"))?;
        tracing::info!(
            address = %listener.local_addr()?,
            cert = %cert_path.display(),
            client_auth = args.client_ca_file.is_some(),
            "serving SubjectAccessReviews on POST /authorize"
        );
        let mut app = App::new(chain, metrics.clone());
        if args.client_ca_file.is_some() {
            app = app.require_client_certificate();
        }
        let app = Arc::new(app);
        // Watchers run until this guard is dropped, after the server has stopped.
        #[cfg(feature = "live")]
        let _live = match &live {
            Some(access) => {
                tracing::info!(%access, "live mode: watching the cluster's RBAC and node objects");
                let client = authz_chain::state::live::connect(access).await?;
                Some(authz_chain::state::live::LiveState::start(
                    &client,
                    &sources,
                    app.readiness(),
                    &metrics,
                    args.chain.feature_gates,
                ))
            }
            None => None,
        };
        #[cfg(not(feature = "live"))]
        let _ = (&live, &sources);
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let accepting = app.readiness_check("shutdown");
        accepting.set(true);
        let delay = args.shutdown_delay_duration;
        tokio::spawn(async move {
            shutdown_signal().await;
            if !delay.is_zero() {
                accepting.set(false);
                tracing::info!(
                    delay_seconds = delay.as_secs_f64(),
                    "shutting down: /readyz fails; still serving until the delay is over"
                );
                tokio::time::sleep(delay).await;
            }
            let _ = stop_tx.send(true);
        });
        let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|stop| *stop).await;
        };
        let state_sources = loaded.sources.clone();
        if let Some((path, bytes)) = loaded.file.clone() {
            let Loaded {
                config,
                sources,
                options,
                ..
            } = loaded;
            let build: server::ChainBuilder = Box::new(move |config| {
                build_chain(config, &sources, &options).map_err(|e| e.to_string())
            });
            let identity = format!("authz-chain-{}", hostname());
            let reloader = Arc::new(server::ConfigReloader::new(
                path,
                bytes,
                &config,
                app.clone(),
                build,
                metrics,
                &identity,
            ));
            tokio::spawn(reloader.run(server::POLL_INTERVAL, stopped(stop_rx.clone())));
        }
        // State files: re-read after a change (nothing happens while they stay the same).
        if let Some(state_path) = args.chain.state.clone() {
            let sources = state_sources;
            let watched = vec![if state_path.is_dir() {
                server::Watched::Tree(state_path.clone())
            } else {
                server::Watched::File(state_path.clone())
            }];
            let last = std::sync::Mutex::new(authz_chain::state::fingerprint(&state_path));
            tokio::spawn(server::watch(watched, server::POLL_INTERVAL, stopped(stop_rx.clone()), move || {
                let now = authz_chain::state::fingerprint(&state_path);
                let mut last = last.lock().unwrap_or_else(|p| p.into_inner());
                if *last != now {
                    *last = now;
                    reload_state(&state_path, &sources);
                }
            }));
        }
        // Rotated serving certificates are picked up for new connections.
        let watched = vec![
            server::Watched::File(serving.cert_path().to_owned()),
            server::Watched::File(serving.key_path().to_owned()),
        ];
        tokio::spawn(server::watch(watched, server::POLL_INTERVAL, stopped(stop_rx.clone()), move || {
            if let Err(error) = serving.reload() {
                tracing::error!(%error, "cannot reload the serving certificate; keeping the current one");
            }
        }));
        server::serve(listener, tls, app, stopped(stop_rx), args.shutdown_grace_period).await?;
        tracing::info!("stopped");
        Ok(0)
    })
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

/// Re-reads `--state` after a change; a state that does not load keeps the last good one.
fn reload_state(path: &Path, sources: &Sources) {
    let loaded = ClusterState::load(path)
        .map_err(anyhow::Error::from)
        .and_then(|state| {
            sources.replace_state(&state)?;
            Ok(state)
        });
    match loaded {
        Ok(state) => {
            for warning in &state.warnings {
                tracing::warn!("{warning}");
            }
            log_state(&state, sources);
        }
        Err(error) => {
            tracing::error!(path = %path.display(), error = %format!("{error:#}"), "cannot reload --state; keeping the last good state")
        }
    }
}

/// Where live mode reads the cluster from: `--kubeconfig`, or the pod's service account when
/// running in a cluster without `--state`; `None` for the file-based modes.
#[cfg(feature = "live")]
fn live_access(args: &ServeArgs) -> Option<authz_chain::state::live::ClusterAccess> {
    use authz_chain::state::live::ClusterAccess;
    match (&args.kubeconfig, &args.chain.state) {
        (Some(path), _) => Some(ClusterAccess::Kubeconfig(path.clone())),
        (None, None) => ClusterAccess::detect_in_cluster(),
        (None, Some(_)) => None,
    }
}

/// This machine's name, for the reload metrics' identity hash.
fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_owned())
        })
        .unwrap_or_else(|| "localhost".to_owned())
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for SIGTERM");
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
