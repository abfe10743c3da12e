//! `authz-chain check` and `authz-chain eval`.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};

use authz_chain::batch;
use authz_chain::config;
use authz_chain::metrics::Metrics;

use super::chain_cli::{ChainArgs, load_once};

/// `check`: prints `ok`, or every error (one per line) on stderr; the exit status.
pub fn check(path: &Path) -> i32 {
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

/// `eval`: one answer per document of `input` (`-` is stdin); exit status 1 if any was invalid.
pub fn eval_command(args: &ChainArgs, input: &str) -> Result<i32> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // Webhook clients need a runtime when they are built.
    let _entered = runtime.enter();
    let (loaded, _live) = load_once(args, &Arc::new(Metrics::new()), &runtime)?;
    let chain = loaded.chain()?;
    let text = if input == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading stdin")?;
        text
    } else {
        std::fs::read_to_string(input).with_context(|| format!("reading {input}"))?
    };
    let documents = batch::split_documents(&text).map_err(anyhow::Error::msg)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut failed = false;
    for (i, document) in documents.iter().enumerate() {
        let line = runtime.block_on(batch::eval_document(&chain, document));
        if let Some(error) = &line.error {
            eprintln!("document {}: {error}", i + 1);
            failed = true;
        }
        writeln!(out, "{}", line.output)?;
    }
    Ok(if failed { 1 } else { 0 })
}
