//! The `loadgen` command's flags and wiring: where to send (a kubeconfig as kube-apiserver's
//! webhook configuration names it, or a URL with its CA), what to send, and how hard.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};

use authz_chain::authorizers::webhook::WebhookCall;
use authz_chain::config::{WebhookConnection, load_webhook_connection};
use authz_chain::loadgen::{self, LoadOptions, Sweep};
use authz_chain::review::ReviewVersion;
use authz_chain::samples::SAMPLE_REQUESTS;

use super::parse_duration;

/// The exit status when some requests failed (1 is an error that stopped the run, 2 a usage
/// error).
pub const FAILED_REQUESTS_STATUS: i32 = 3;

/// Where `serve` listens by default.
const DEFAULT_URL: &str = "https://127.0.0.1:8443/authorize";

#[derive(Args)]
pub struct LoadgenArgs {
    /// A kubeconfig naming the webhook, as kube-apiserver's Webhook authorizer reads it (server
    /// URL, CA, client certificate or token).
    #[arg(long, conflicts_with_all = ["url", "ca", "insecure"])]
    kubeconfig: Option<PathBuf>,
    /// The URL to POST SubjectAccessReviews to [default: https://127.0.0.1:8443/authorize].
    #[arg(long)]
    url: Option<String>,
    /// PEM CAs trusted for --url [default: the CA `serve` writes beside its self-signed
    /// certificate, when that file exists; otherwise the system's].
    #[arg(long)]
    ca: Option<PathBuf>,
    /// Do not verify the server certificate.
    #[arg(long)]
    insecure: bool,
    /// SubjectAccessReviews to send, in order, each request sent (by any task) taking the next
    /// one, from the top again after the last: JSON lines, one JSON document or YAML documents
    /// [default: the embedded config-samples/sars/requests.jsonl].
    #[arg(long)]
    requests: Option<PathBuf>,
    /// The SubjectAccessReview version on the wire.
    #[arg(long, value_enum, default_value_t = WireVersion::V1)]
    review_version: WireVersion,
    /// Tasks sending at once.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Open loop: this many requests per second in all, latency measured from when each was
    /// due. Without it, each task sends as soon as its previous request is answered.
    #[arg(long)]
    rate: Option<f64>,
    /// How long the counted part lasts.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    duration: Duration,
    /// Sent first and not counted.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    warmup: Duration,
    /// A request not answered within this counts as failed.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    timeout: Duration,
    /// The report: a summary, or one JSON object.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    output: Format,
    /// One open-loop run per rate (requests per second, comma-separated), one after the other;
    /// with `--output json` the runs are printed as one sweep object.
    #[arg(long, value_delimiter = ',', conflicts_with = "rate")]
    sweep: Vec<f64>,
    /// Draw latency percentiles (p50, p99, p99.9) against throughput into this SVG file: this
    /// run's points, and those of --plot-with.
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Another target's results to draw beside this one's: the JSON `loadgen --output json`
    /// printed (a sweep or a single run). Repeat for several.
    #[arg(long, requires = "plot")]
    plot_with: Vec<PathBuf>,
    /// This target's name in the sweep JSON and on the plot [default: the URL].
    #[arg(long)]
    label: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum WireVersion {
    V1,
    V1beta1,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// Runs `loadgen`; the exit status is 3 when some requests failed.
pub fn loadgen_command(args: LoadgenArgs) -> Result<i32> {
    let connection = connection(&args)?;
    let input = match &args.requests {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("reading --requests {}", path.display()))?,
        None => SAMPLE_REQUESTS.to_owned(),
    };
    let requests = loadgen::read_requests(&input).with_context(|| match &args.requests {
        Some(path) => format!("--requests {}", path.display()),
        None => "the embedded sample requests".to_owned(),
    })?;
    let version = match args.review_version {
        WireVersion::V1 => ReviewVersion::V1,
        WireVersion::V1beta1 => ReviewVersion::V1beta1,
    };
    let call = WebhookCall::new(&connection, version, args.timeout)
        .with_context(|| format!("a client for {}", connection.server))?;
    let options = LoadOptions {
        concurrency: args.concurrency,
        rate: args.rate,
        warmup: args.warmup,
        duration: args.duration,
        timeout: args.timeout,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let call: Arc<dyn authz_chain::authz::guard::Call> = Arc::new(call);
    let requests: Arc<[authz_chain::authz::Request]> = requests.into();
    let rates: Vec<Option<f64>> = if args.sweep.is_empty() {
        vec![args.rate]
    } else {
        args.sweep.iter().copied().map(Some).collect()
    };
    let mut runs = Vec::with_capacity(rates.len());
    for rate in rates {
        let options = LoadOptions {
            rate,
            ..options.clone()
        };
        let report = runtime.block_on(loadgen::run(call.clone(), requests.clone(), &options))?;
        if args.output == Format::Text {
            print!("{}", report.to_text(&connection.server));
            if !args.sweep.is_empty() {
                println!();
            }
        }
        runs.push(report);
    }
    let failed = runs.iter().any(|r| r.errors > 0);
    let sweep = Sweep {
        label: args
            .label
            .clone()
            .unwrap_or_else(|| connection.server.clone()),
        server: connection.server.clone(),
        runs,
    };
    if args.output == Format::Json {
        if args.sweep.is_empty() {
            println!("{}", serde_json::to_string_pretty(&sweep.runs[0])?);
        } else {
            println!("{}", serde_json::to_string_pretty(&sweep)?);
        }
    }
    if let Some(path) = &args.plot {
        let mut sweeps = vec![sweep];
        for other in &args.plot_with {
            sweeps.push(read_sweep(other)?);
        }
        loadgen::plot(&sweeps, path)?;
        eprintln!("plot written to {}", path.display());
    }
    Ok(if failed { FAILED_REQUESTS_STATUS } else { 0 })
}

/// A sweep, or a single run, as `loadgen --output json` printed it.
fn read_sweep(path: &std::path::Path) -> Result<Sweep> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading --plot-with {}", path.display()))?;
    if let Ok(sweep) = serde_json::from_str::<Sweep>(&text) {
        return Ok(sweep);
    }
    let run: loadgen::LoadReport = serde_json::from_str(&text).with_context(|| {
        format!(
            "--plot-with {}: neither a sweep nor a run of loadgen --output json",
            path.display()
        )
    })?;
    let label = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Sweep {
        label,
        server: String::new(),
        runs: vec![run],
    })
}

/// The connection from --kubeconfig, or from --url, --ca and --insecure.
fn connection(args: &LoadgenArgs) -> Result<WebhookConnection> {
    if let Some(path) = &args.kubeconfig {
        return Ok(load_webhook_connection(path)?);
    }
    let ca_path = match &args.ca {
        Some(path) => Some(path.clone()),
        None if args.url.is_none() && !args.insecure => {
            let generated = std::env::temp_dir()
                .join("authz-chain")
                .join("authz-chain-ca.crt");
            generated.exists().then_some(generated)
        }
        None => None,
    };
    let certificate_authority = match &ca_path {
        Some(path) => {
            Some(std::fs::read(path).with_context(|| format!("reading --ca {}", path.display()))?)
        }
        None => None,
    };
    if args.insecure && certificate_authority.is_some() {
        bail!("--insecure and --ca do not go together");
    }
    Ok(WebhookConnection {
        server: args.url.clone().unwrap_or_else(|| DEFAULT_URL.to_owned()),
        certificate_authority,
        insecure_skip_tls_verify: args.insecure,
        files: ca_path.into_iter().collect(),
        ..WebhookConnection::default()
    })
}
