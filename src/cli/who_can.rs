//! `authz-chain who-can`: who may make a request, according to the configured chain.

use std::io::{BufRead, BufReader, Write};
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

use authz_chain::metrics::Metrics;
use authz_chain::questions::who_can::{
    Authorities, CanIArgs, Question, parse_args, parse_request_line, render_text,
};

use super::chain_cli::{ChainArgs, load_once};

/// The flags of `who-can`.
#[derive(Args)]
pub struct WhoCanArgs {
    #[command(flatten)]
    chain: ChainArgs,
    /// `VERB RESOURCE[.GROUP][/SUBRESOURCE] [NAME]` or `VERB /NON-RESOURCE/PATH`, as kubectl auth
    /// can-i takes them (except that NAME is its own argument).
    #[arg(value_name = "QUESTION")]
    question: Vec<String>,
    /// The namespace; without it the question is cluster-wide (a SubjectAccessReview without a
    /// namespace).
    #[arg(short = 'n', long, conflicts_with = "all_namespaces")]
    namespace: Option<String>,
    /// All namespaces: the same cluster-wide question as no `-n`.
    #[arg(short = 'A', long)]
    all_namespaces: bool,
    /// The subresource, as kubectl's flag (or write RESOURCE/SUBRESOURCE).
    #[arg(long)]
    subresource: Option<String>,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = Output::Text)]
    output: Output,
    /// Many questions: one SubjectAccessReview (or its spec) per JSON line, `-` for stdin; one
    /// JSON answer per line, in order.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["question", "namespace", "all_namespaces", "subresource"])]
    requests: Option<String>,
}

/// `-o`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Output {
    /// Sections for people.
    Text,
    /// One JSON object.
    Json,
}

/// Runs `who-can`; the exit status (1 when a `--requests` line could not be answered).
pub fn who_can_command(args: WhoCanArgs) -> Result<i32> {
    let single = match &args.requests {
        Some(_) => None,
        None => Some(parse_args(&CanIArgs {
            positional: &args.question,
            namespace: args.namespace.as_deref(),
            all_namespaces: args.all_namespaces,
            subresource: args.subresource.as_deref(),
        })?),
    };
    // A live cluster (--kubeconfig) is listed into the stores first; no webhook is called.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let _entered = runtime.enter();
    let (loaded, _live) = load_once(&args.chain, &Arc::new(Metrics::new()), &runtime)?;
    let authorities = Authorities::new(
        &loaded.config,
        &loaded.sources,
        loaded.options.superuser_group.as_deref(),
        loaded.options.feature_gates,
    );
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if let Some(question) = single {
        match args.output {
            Output::Text => out.write_all(authorities.answer(&question, render_text).as_bytes())?,
            Output::Json => write_json(&mut out, &authorities, &question)?,
        }
        out.flush()?;
        return Ok(0);
    }
    let path = args.requests.as_deref().unwrap_or("-");
    let input: Box<dyn BufRead> = if path == "-" {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        let file = std::fs::File::open(path).with_context(|| format!("reading {path}"))?;
        Box::new(BufReader::new(file))
    };
    let mut failed = false;
    for (number, line) in input.lines().enumerate() {
        let line = line.with_context(|| format!("reading {path}"))?;
        if line.trim().is_empty() {
            continue;
        }
        match parse_request_line(&line) {
            Ok(question) => write_json(&mut out, &authorities, &question)?,
            Err(error) => {
                eprintln!("line {}: {error}", number + 1);
                serde_json::to_writer(&mut out, &serde_json::json!({"error": error.to_string()}))?;
                writeln!(out)?;
                failed = true;
            }
        }
    }
    out.flush()?;
    Ok(i32::from(failed))
}

fn write_json(out: &mut impl Write, authorities: &Authorities, question: &Question) -> Result<()> {
    authorities.answer(question, |answer| serde_json::to_writer(&mut *out, answer))?;
    writeln!(out)?;
    Ok(())
}
