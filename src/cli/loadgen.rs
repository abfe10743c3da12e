//! The `loadgen` command's flags and wiring: where to send (a kubeconfig as kube-apiserver's
//! webhook configuration names it, or a URL with its CA), what to send, and how hard.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};

use authz_chain::authorizers::webhook::WebhookCall;
use authz_chain::config::{WebhookConnection, load_webhook_connection};
use authz_chain::loadgen::{self, LoadOptions};
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
    let report = runtime.block_on(loadgen::run(Arc::new(call), requests.into(), &options))?;
    match args.output {
        Format::Text => print!("{}", report.to_text(&connection.server)),
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
    }
    Ok(if report.errors > 0 {
        FAILED_REQUESTS_STATUS
    } else {
        0
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
