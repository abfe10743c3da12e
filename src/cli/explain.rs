//! `authz-chain explain` and `authz-chain access-matrix`: flags and wiring around
//! `authz_chain::questions`.

use std::io::{Read, Write};
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

use authz_chain::authz::UserInfo;
use authz_chain::authz::explain::ExplainOptions;
use authz_chain::batch;
use authz_chain::build::build_chain;
use authz_chain::metrics::Metrics;
use authz_chain::questions::{access_matrix, explain};
use authz_chain::review;

use super::chain_cli::{ChainArgs, Webhooks, load_once};

/// Text for a terminal, or JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A readable tree or table.
    Text,
    /// Stable JSON (one object per line for several inputs).
    Json,
}

/// `explain`'s flags.
#[derive(Args)]
pub struct ExplainArgs {
    #[command(flatten)]
    chain: ChainArgs,
    /// What webhook steps do on a cache miss: never called unless `call`.
    #[arg(long, value_enum, default_value_t = Webhooks::Skip)]
    webhooks: Webhooks,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Format::Text)]
    output: Format,
    /// SubjectAccessReviews (JSON lines, one JSON document or YAML documents); `-` is stdin.
    #[arg(default_value = "-")]
    input: String,
}

/// `access-matrix`'s flags.
#[derive(Args)]
pub struct AccessMatrixArgs {
    #[command(flatten)]
    chain: ChainArgs,
    /// The user asked about.
    #[arg(long = "as")]
    user: String,
    /// Its groups (repeat the flag for several).
    #[arg(long = "as-group")]
    groups: Vec<String>,
    /// The namespace of namespaced resources; cluster-wide without it.
    #[arg(short = 'n', long)]
    namespace: Option<String>,
    /// What webhook steps do: never called unless `call`.
    #[arg(long, value_enum, default_value_t = Webhooks::Skip)]
    webhooks: Webhooks,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Format::Text)]
    output: Format,
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

fn read_input(input: &str) -> Result<String> {
    if input == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading stdin")?;
        Ok(text)
    } else {
        std::fs::read_to_string(input).with_context(|| format!("reading {input}"))
    }
}

/// `explain`: one explanation per review; exit status 1 if any review was invalid.
pub fn explain_command(args: &ExplainArgs) -> Result<i32> {
    let runtime = runtime()?;
    // Webhook clients need a runtime when they are built; they are real guards (with their
    // caches), and the explanation decides whether they are called.
    let _entered = runtime.enter();
    let (loaded, _live) = load_once(&args.chain, &Arc::new(Metrics::new()), &runtime)?;
    let chain = loaded.chain()?;
    let options = ExplainOptions {
        webhooks: args.webhooks.choice(),
    };
    let documents =
        batch::split_documents(&read_input(&args.input)?).map_err(anyhow::Error::msg)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut failed = false;
    for (i, document) in documents.iter().enumerate() {
        let body = document.to_string();
        let request = review::decode(body.as_bytes()).and_then(|r| review::to_request(&r));
        let request = match request {
            Ok(request) => request,
            Err(error) => {
                eprintln!("document {}: {error}", i + 1);
                failed = true;
                continue;
            }
        };
        let explanation = runtime.block_on(chain.explain(&request, &options));
        match args.output {
            Format::Json => writeln!(
                out,
                "{}",
                serde_json::to_string(&explain::to_json(&explanation, &request))?
            )?,
            Format::Text => {
                if i > 0 {
                    writeln!(out)?;
                }
                write!(out, "{}", explain::to_text(&explanation, &request))?;
            }
        }
    }
    Ok(if failed { 1 } else { 0 })
}

/// `access-matrix`.
pub fn access_matrix_command(args: &AccessMatrixArgs) -> Result<i32> {
    let runtime = runtime()?;
    let _entered = runtime.enter();
    let (mut loaded, _live) = load_once(&args.chain, &Arc::new(Metrics::new()), &runtime)?;
    loaded.options.webhooks = args.webhooks.mode();
    let chain = build_chain(&loaded.config, &loaded.sources, &loaded.options)?;
    let user = UserInfo {
        name: args.user.clone(),
        groups: args.groups.clone(),
        ..UserInfo::default()
    };
    let resources = access_matrix::resources(loaded.sources.rbac.load().named_resources());
    let namespace = args.namespace.clone().unwrap_or_default();
    let matrix = runtime.block_on(access_matrix::build(&chain, &user, &namespace, resources));
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.output {
        Format::Json => writeln!(out, "{}", serde_json::to_string(&matrix)?)?,
        Format::Text => write!(out, "{}", access_matrix::to_text(&matrix))?,
    }
    Ok(0)
}
