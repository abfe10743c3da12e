//! The `replay` command's flags and wiring: builds the candidate (and baseline) chain the way
//! `serve` does, with webhook steps as `--webhooks` says, and runs the library's replay.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

use authz_chain::build::{DEFAULT_SUPERUSER_GROUP, WebhookMode, build_chain};
use authz_chain::metrics::Metrics;
use authz_chain::replay::{self, Chains, Evaluator, Flip, Options, Output, Summary};

use super::chain_cli::{ChainArgs, Webhooks, load, parse_feature_gates};
use authz_chain::authorizers::node::FeatureGates;

/// The exit status when `--fail-on` finds what it looks for (1 is an error, 2 a usage error).
pub const FAIL_ON_STATUS: i32 = 3;

#[derive(Args)]
pub struct ReplayArgs {
    /// The candidate AuthorizationConfiguration.
    #[arg(long)]
    authorization_config: PathBuf,
    /// The candidate cluster state: a manifest file or a directory of them.
    #[arg(long)]
    state: PathBuf,
    /// Compare with this configuration too (the candidate's state unless --baseline-state).
    #[arg(long)]
    baseline_config: Option<PathBuf>,
    /// Compare with this state too (the candidate's configuration unless --baseline-config).
    #[arg(long)]
    baseline_state: Option<PathBuf>,
    /// What webhook steps do: call them, assume an answer, or skip them and mark decisions that
    /// depended on them as approximated.
    #[arg(long, value_enum, default_value_t = Webhooks::Skip)]
    webhooks: Webhooks,
    /// The report: a table, one JSON object, or one JSON object per request and a summary.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    output: Format,
    /// Samples shown per kind of flip.
    #[arg(long, default_value_t = replay::summary::DEFAULT_SAMPLES)]
    max_samples: usize,
    /// Exit with status 3 when a decision would break (allow -> forbid), widen (forbid ->
    /// allow), or change in any way (authorizer and reason included).
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// As for `serve`.
    #[arg(long, default_value = DEFAULT_SUPERUSER_GROUP)]
    superuser_group: String,
    /// As for `serve`.
    #[arg(long, default_value = "", value_parser = parse_feature_gates)]
    feature_gates: FeatureGates,
    /// Audit logs: files (plain or gzip), directories of rotated logs, `-` for standard input.
    #[arg(required = true)]
    logs: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
    Ndjson,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOn {
    Break,
    Widen,
    Any,
}

pub fn replay_command(args: ReplayArgs) -> Result<i32> {
    let sources = replay::expand(&args.logs)?;
    let mode = args.webhooks.mode();
    // Webhook clients are built inside a runtime and keep their connections on it.
    let runtime = (mode == WebhookMode::Call)
        .then(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
        })
        .transpose()?;
    let handle = runtime.as_ref().map(|r| r.handle().clone());
    let _entered = runtime.as_ref().map(|r| r.enter());
    let metrics = Arc::new(Metrics::new());
    let evaluator = |config: &PathBuf, state: &PathBuf, side: &str| -> Result<Evaluator> {
        let chain_args = ChainArgs {
            authorization_config: Some(config.clone()),
            state: Some(state.clone()),
            superuser_group: args.superuser_group.clone(),
            feature_gates: args.feature_gates,
            #[cfg(feature = "live")]
            kubeconfig: None,
        };
        let mut loaded =
            load(&chain_args, &metrics, false).with_context(|| format!("{side} chain"))?;
        loaded.options.webhooks = mode;
        let chain = build_chain(&loaded.config, &loaded.sources, &loaded.options)
            .with_context(|| format!("{side} chain"))?;
        Ok(Evaluator::new(chain, handle.clone()))
    };
    let candidate = evaluator(&args.authorization_config, &args.state, "candidate")?;
    let baseline = if args.baseline_config.is_some() || args.baseline_state.is_some() {
        let config = args
            .baseline_config
            .as_ref()
            .unwrap_or(&args.authorization_config);
        let state = args.baseline_state.as_ref().unwrap_or(&args.state);
        Some(evaluator(config, state, "baseline")?)
    } else {
        None
    };
    let chains = Chains {
        candidate,
        baseline,
        webhooks_skipped: args.webhooks == Webhooks::Skip,
    };
    let default_workers = Options::default().workers;
    let options = Options {
        output: match args.output {
            Format::Text => Output::Text,
            Format::Json => Output::Json,
            Format::Ndjson => Output::Ndjson,
        },
        max_samples: args.max_samples,
        progress: std::io::stderr().is_terminal(),
        // Called webhooks spend their time waiting: keep more questions in flight.
        workers: if mode == WebhookMode::Call {
            (default_workers * 4).max(8)
        } else {
            default_workers
        },
        ..Options::default()
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let summary = replay::run(&sources, &chains, &options, &mut out)?;
    Ok(exit_status(&summary, args.fail_on))
}

fn exit_status(summary: &Summary, fail_on: Option<FailOn>) -> i32 {
    let count = |kinds: &[Flip]| kinds.iter().map(|k| summary.flip_count(*k)).sum::<u64>();
    let found = match fail_on {
        None => 0,
        Some(FailOn::Break) => count(&[Flip::Break]),
        Some(FailOn::Widen) => count(&[Flip::Widen]),
        Some(FailOn::Any) => count(&Flip::ALL),
    };
    if found > 0 { FAIL_ON_STATUS } else { 0 }
}
