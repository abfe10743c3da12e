//! The `authz-chain` command line: `serve`, `check`, `eval`, `explain`, `who-can`,
//! `access-matrix`, `replay` and `loadgen`. Parses flags, wires the
//! library together and passes a signal future to the server; nothing else.

#[path = "cli/chain.rs"]
mod chain_cli;
#[path = "cli/eval.rs"]
mod eval_cli;
#[path = "cli/explain.rs"]
mod explain_cli;
#[path = "cli/loadgen.rs"]
mod loadgen_cli;
#[path = "cli/replay.rs"]
mod replay_cli;
#[path = "cli/serve.rs"]
mod serve_cli;
#[path = "cli/shadow.rs"]
mod shadow_cli;
#[path = "cli/who_can.rs"]
mod who_can_cli;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use clap::{Parser, Subcommand, ValueEnum};

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
        chain: chain_cli::ChainArgs,
        /// SubjectAccessReviews: JSON lines, one JSON document, or YAML documents; `-` is stdin.
        #[arg(default_value = "-")]
        input: String,
    },
    /// Explain a decision: every step of the chain, and why each answered as it did.
    Explain(Box<explain_cli::ExplainArgs>),
    /// Everything one user may do: every resource and standard verb, through the whole chain.
    AccessMatrix(Box<explain_cli::AccessMatrixArgs>),
    /// Replay audit logs through a candidate chain and report the decisions that would change.
    Replay(Box<replay_cli::ReplayArgs>),
    /// Send SubjectAccessReviews to a running webhook as kube-apiserver does, and report
    /// throughput and latency percentiles.
    Loadgen(Box<loadgen_cli::LoadgenArgs>),
    /// List every User, Group and ServiceAccount the chain allows to make a request (RBAC), with
    /// the bindings that grant it, the superuser group and the node identities (Node).
    WhoCan(Box<who_can_cli::WhoCanArgs>),
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
        } => Ok(eval_cli::check(&authorization_config)),
        Command::Eval { chain, input } => eval_cli::eval_command(&chain, &input),
        Command::Serve(args) => serve_cli::serve(*args),
        Command::Explain(args) => explain_cli::explain_command(&args),
        Command::AccessMatrix(args) => explain_cli::access_matrix_command(&args),
        Command::Replay(args) => replay_cli::replay_command(*args),
        Command::Loadgen(args) => loadgen_cli::loadgen_command(*args),
        Command::WhoCan(args) => who_can_cli::who_can_command(*args),
    }
}
