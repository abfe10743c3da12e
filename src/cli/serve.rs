//! `authz-chain serve`: its flags and the wiring of the server, the reloaders and the state
//! sources. One multi-thread runtime runs all of it.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;

use authz_chain::build::{Sources, build_chain};
use authz_chain::metrics::Metrics;
use authz_chain::server::{self, App, CallerPolicy, Limits, MetricsAccess, ReadyFlag, ServingCert};
use authz_chain::state::ClusterState;

use super::chain_cli::{ChainArgs, Loaded, load, log_state};
use super::parse_duration;

/// Flags of `serve`.
#[derive(Args)]
pub struct ServeArgs {
    #[command(flatten)]
    chain: ChainArgs,
    /// The port to serve HTTPS on.
    #[arg(long, default_value_t = 8443)]
    secure_port: u16,
    /// The address to listen on. Default: 0.0.0.0 with --authorization-config; 127.0.0.1 for the
    /// embedded quickstart, whose demo policy should not be reachable from the network unasked.
    #[arg(long)]
    bind_address: Option<IpAddr>,
    /// PEM serving certificate (chain, leaf first). Without it, a self-signed pair is written to
    /// --cert-dir.
    #[arg(long, requires = "tls_private_key_file")]
    tls_cert_file: Option<PathBuf>,
    /// PEM private key of --tls-cert-file.
    #[arg(long, requires = "tls_cert_file")]
    tls_private_key_file: Option<PathBuf>,
    /// Where the self-signed certificate is kept when --tls-cert-file is not given (default:
    /// `authz-chain` under the system temporary directory). Created with mode 0700; an existing
    /// directory must belong to this user.
    #[arg(long)]
    cert_dir: Option<PathBuf>,
    /// PEM bundle of CAs; when set, POST /authorize needs a client certificate they signed (401
    /// without one); /healthz, /livez, /readyz and /metrics stay open for probes and scrapers.
    #[arg(long)]
    client_ca_file: Option<PathBuf>,
    /// Only client certificates with one of these names (common name or DNS SAN) may ask
    /// POST /authorize (403 for others), as kube-apiserver's --requestheader-allowed-names.
    /// Empty: any certificate --client-ca-file verifies.
    #[arg(long, value_delimiter = ',', requires = "client_ca_file")]
    allowed_client_names: Vec<String>,
    /// Serve /metrics (and the health endpoints) over plain HTTP on this address (such as
    /// 127.0.0.1:9090) instead of on the HTTPS port, which then answers 404 for /metrics.
    #[arg(long)]
    metrics_bind_address: Option<SocketAddr>,
    /// /metrics on the HTTPS port needs a client certificate signed by --client-ca-file.
    #[arg(
        long,
        requires = "client_ca_file",
        conflicts_with = "metrics_bind_address"
    )]
    metrics_require_client_certificate: bool,
    #[command(flatten)]
    shadow: super::shadow_cli::ShadowArgs,
    /// Serve POST /explain (same body and client authentication as /authorize): the decision
    /// and every step of the chain, as `authz-chain explain -o json` prints it. Webhooks are
    /// never called for an explanation and caches are only looked at.
    #[arg(long)]
    enable_explain: bool,
    /// How long in-flight requests may take to finish after SIGTERM or SIGINT.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    shutdown_grace_period: Duration,
    /// After SIGTERM or SIGINT, keep serving this long with /readyz failing (check `shutdown`),
    /// so load balancers stop sending before the listener closes (kube-apiserver's flag of the
    /// same name).
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    shutdown_delay_duration: Duration,
    #[command(flatten)]
    limits: LimitArgs,
}

/// The connection and request limits (see `authz_chain::server::Limits`).
#[derive(Args)]
struct LimitArgs {
    /// How long a client may take to finish the TLS handshake.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    tls_handshake_timeout: Duration,
    /// How long a client may take to send a request's headers (HTTP/1.1: also the wait for the
    /// next request on a kept-alive connection).
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    header_read_timeout: Duration,
    /// How long a request body may make no progress (408 after it).
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    body_read_timeout: Duration,
    /// How long a connection may stay open with no request in progress.
    #[arg(long, default_value = "90s", value_parser = parse_duration)]
    idle_timeout: Duration,
    /// How long a response may wait for a client that does not take it (HTTP/2 flow control)
    /// before the connection is closed.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    write_timeout: Duration,
    /// HTTP/2 PING interval; 0s turns pings off.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    http2_keepalive_interval: Duration,
    /// How long an HTTP/2 PING may go unanswered before the connection is closed.
    #[arg(long, default_value = "20s", value_parser = parse_duration)]
    http2_keepalive_timeout: Duration,
    /// The most streams a client may open at once on one HTTP/2 connection.
    #[arg(long, default_value_t = 250)]
    http2_max_concurrent_streams: u32,
    /// The most connections served at once; past it idle connections are closed first and new
    /// ones wait.
    #[arg(long, default_value_t = 4096, value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,
    /// The most POST /authorize requests in progress at once; more are answered 429 with
    /// Retry-After.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u32).range(1..))]
    max_requests_inflight: u32,
}

impl LimitArgs {
    fn limits(&self) -> Limits {
        Limits {
            handshake_timeout: self.tls_handshake_timeout,
            header_read_timeout: self.header_read_timeout,
            body_read_timeout: self.body_read_timeout,
            idle_timeout: self.idle_timeout,
            write_timeout: self.write_timeout,
            http2_keepalive_interval: (!self.http2_keepalive_interval.is_zero())
                .then_some(self.http2_keepalive_interval),
            http2_keepalive_timeout: self.http2_keepalive_timeout,
            http2_max_concurrent_streams: self.http2_max_concurrent_streams,
            max_connections: self.max_connections as usize,
            max_requests_inflight: self.max_requests_inflight as usize,
            ..Limits::default()
        }
    }
}

/// Runs `serve` until SIGTERM or SIGINT.
pub fn serve(args: ServeArgs) -> Result<i32> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve_async(args))
}

async fn serve_async(args: ServeArgs) -> Result<i32> {
    let metrics = Arc::new(Metrics::new());
    #[cfg(feature = "live")]
    let live = live_access(&args);
    #[cfg(not(feature = "live"))]
    let live: Option<()> = None;
    let loaded = load(&args.chain, &metrics, live.is_some())?;
    let chain = loaded.chain()?;
    let bind_address = match args.bind_address {
        Some(address) => address,
        None if args.chain.authorization_config.is_none() => {
            tracing::info!(
                "embedded quickstart: listening on 127.0.0.1 only (--bind-address to change)"
            );
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        }
        None => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
    };
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
                bind_address.to_string(),
            ],
        },
        _ => bail!("--tls-cert-file and --tls-private-key-file go together"),
    };
    // Before any file is opened for serving: the cap must fit the limit in force.
    let mut limits = args.limits.limits();
    if let Some(found) = limits.fit_to_file_limit()
        && limits.max_connections < found.requested_connections
    {
        tracing::warn!(
            open_files = found.open_files,
            requested = found.requested_connections,
            max_connections = limits.max_connections,
            "--max-connections lowered to fit the open-file limit"
        );
    }
    let (tls, serving) = server::server_config(&cert, args.client_ca_file.as_deref())?;
    let address = SocketAddr::new(bind_address, args.secure_port);
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("binding {address}"))?;
    let metrics_listener = match args.metrics_bind_address {
        Some(address) => Some(
            tokio::net::TcpListener::bind(address)
                .await
                .with_context(|| format!("binding --metrics-bind-address {address}"))?,
        ),
        None => None,
    };
    tracing::info!(
        address = %listener.local_addr()?,
        cert = %serving.cert_path().display(),
        client_auth = args.client_ca_file.is_some(),
        allowed_client_names = ?args.allowed_client_names,
        "serving SubjectAccessReviews on POST /authorize"
    );
    let authorize_callers = CallerPolicy {
        require_certificate: args.client_ca_file.is_some(),
        allowed_names: args.allowed_client_names.clone(),
    };
    let metrics_access = match (&metrics_listener, args.metrics_require_client_certificate) {
        (Some(_), _) => MetricsAccess::Elsewhere,
        (None, true) => MetricsAccess::Here(CallerPolicy {
            require_certificate: true,
            allowed_names: Vec::new(),
        }),
        (None, false) => MetricsAccess::Here(CallerPolicy::open()),
    };
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let mut app = App::new(chain, metrics.clone())
        .with_authorize_callers(authorize_callers)
        .with_metrics_access(metrics_access)
        .with_limits(limits)
        .with_explain(args.enable_explain);
    // The shadow's watchers run until this guard is dropped, after the server has stopped.
    let _shadow =
        match super::shadow_cli::start(&args.shadow, &loaded, &metrics, stopped(stop_rx.clone()))
            .await?
        {
            Some((shadow, guard)) => {
                app = app.with_shadow(shadow);
                Some(guard)
            }
            None => None,
        };
    let app = Arc::new(app);
    // Watchers run until this guard is dropped, after the server has stopped.
    #[cfg(feature = "live")]
    let _live = match &live {
        Some(access) => {
            tracing::info!(%access, "live mode: watching the cluster's RBAC and node objects");
            let client = authz_chain::state::live::connect(access).await?;
            Some(authz_chain::state::live::LiveState::start(
                &client,
                &loaded.sources,
                app.readiness(),
                &metrics,
                args.chain.feature_gates,
            ))
        }
        None => None,
    };
    #[cfg(not(feature = "live"))]
    let _ = &live;
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
    if let Some(listener) = metrics_listener {
        tracing::info!(address = %listener.local_addr()?, "serving /metrics over HTTP");
        tokio::spawn(server::serve_metrics(
            listener,
            app.clone(),
            stopped(stop_rx.clone()),
        ));
    }
    if let Some(state_path) = args.chain.state.clone() {
        watch_state(state_path, &loaded.sources, &app, stopped(stop_rx.clone()));
    }
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
    // Rotated serving certificates are picked up for new connections.
    let watched = vec![
        server::Watched::File(serving.cert_path().to_owned()),
        server::Watched::File(serving.key_path().to_owned()),
    ];
    tokio::spawn(server::watch(
        watched,
        server::POLL_INTERVAL,
        stopped(stop_rx.clone()),
        move || {
            if let Err(error) = serving.reload() {
                tracing::error!(%error, "cannot reload the serving certificate; keeping the current one");
            }
        },
    ));
    server::serve(
        listener,
        tls,
        app,
        stopped(stop_rx),
        args.shutdown_grace_period,
    )
    .await?;
    tracing::info!("stopped");
    Ok(0)
}

/// Re-reads the `--state` files after a change (nothing happens while they stay the same). A
/// state that does not load keeps the last good one, counts a failure and fails the `state`
/// readiness check until a good one loads.
fn watch_state(
    path: PathBuf,
    sources: &Sources,
    app: &Arc<App>,
    stopped: impl std::future::Future<Output = ()> + Send + 'static,
) {
    let sources = sources.clone();
    let healthy = app.readiness_check("state");
    healthy.set(true);
    let app = app.clone();
    let watched = vec![if path.is_dir() {
        server::Watched::Tree(path.clone())
    } else {
        server::Watched::File(path.clone())
    }];
    let last = std::sync::Mutex::new(authz_chain::state::fingerprint(&path));
    tokio::spawn(server::watch(
        watched,
        server::POLL_INTERVAL,
        stopped,
        move || {
            let now = authz_chain::state::fingerprint(&path);
            let mut last = last.lock().unwrap_or_else(|p| p.into_inner());
            if *last != now {
                *last = now;
                reload_state(&path, &sources, &app, &healthy);
            }
        },
    ));
}

/// Re-reads `--state`; a state that does not load keeps the last good one.
fn reload_state(path: &Path, sources: &Sources, app: &App, healthy: &ReadyFlag) {
    let loaded = ClusterState::load(path)
        .map_err(anyhow::Error::from)
        .and_then(|state| {
            sources.replace_state(&state)?;
            Ok(state)
        });
    app.metrics().state_reloaded(loaded.is_ok());
    healthy.set(loaded.is_ok());
    match loaded {
        Ok(state) => {
            for warning in &state.warnings {
                tracing::warn!("{warning}");
            }
            log_state(&state, sources);
        }
        Err(error) => {
            tracing::error!(path = %path.display(), error = %format!("{error:#}"), "cannot reload --state; keeping the last good state (readiness check `state` fails until a good one loads)")
        }
    }
}

/// Where live mode reads the cluster from: `--kubeconfig`, or the pod's service account when
/// running in a cluster without `--state`; `None` for the file-based modes.
#[cfg(feature = "live")]
fn live_access(args: &ServeArgs) -> Option<authz_chain::state::live::ClusterAccess> {
    use authz_chain::state::live::ClusterAccess;
    match (&args.chain.kubeconfig, &args.chain.state) {
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
