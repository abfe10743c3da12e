//! The pipeline. One reader thread decompresses and frames the sources in order and hands out
//! batches of documents through a bounded channel; one worker per core decodes, reconstructs and
//! evaluates them; the calling thread puts the batches back in log order, merges stages by
//! auditID, counts, and writes. Every queue is bounded, so memory does not depend on the log's
//! length: at most `2 × workers` batches wait on each side, plus the merging window.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

use super::dedupe::{DEFAULT_MEMORY, DEFAULT_WINDOW, Dedupe};
use super::err::ReplayError;
use super::frame::{Framer, Sink};
use super::input::Source;
use super::process::{Chains, Item, malformed, process};
use super::render;
use super::summary::{DEFAULT_SAMPLES, Summary};

/// Documents per batch.
const BATCH_ENTRIES: usize = 512;
/// Bytes per batch, at most (a single larger document makes its own batch).
const BATCH_BYTES: usize = 1 << 20;

/// The report format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Output {
    /// A table for people.
    #[default]
    Text,
    /// One JSON object.
    Json,
    /// One JSON object per request, then the summary with `"summary": true`.
    Ndjson,
}

/// How a replay runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// The report format.
    pub output: Output,
    /// Samples kept per flip kind.
    pub max_samples: usize,
    /// Show a progress bar on standard error.
    pub progress: bool,
    /// Worker threads.
    pub workers: usize,
    /// Pending auditIDs in the merging window (see [`super::dedupe`]).
    pub window: usize,
    /// Emitted auditIDs remembered by the merging window.
    pub memory: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            output: Output::Text,
            max_samples: DEFAULT_SAMPLES,
            progress: false,
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            window: DEFAULT_WINDOW,
            memory: DEFAULT_MEMORY,
        }
    }
}

struct Entry {
    start: usize,
    end: usize,
    source: u32,
    line: u64,
    malformed: Option<&'static str>,
}

#[derive(Default)]
struct Batch {
    seq: u64,
    bytes: Vec<u8>,
    entries: Vec<Entry>,
}

/// Fills batches and sends them when full.
struct Batcher {
    batch: Batch,
    source: u32,
    tx: SyncSender<Batch>,
    closed: bool,
}

impl Batcher {
    fn push(&mut self, bytes: &[u8], line: u64, malformed: Option<&'static str>) {
        let start = self.batch.bytes.len();
        self.batch.bytes.extend_from_slice(bytes);
        self.batch.entries.push(Entry {
            start,
            end: self.batch.bytes.len(),
            source: self.source,
            line,
            malformed,
        });
        if self.batch.entries.len() >= BATCH_ENTRIES || self.batch.bytes.len() >= BATCH_BYTES {
            self.send();
        }
    }

    fn send(&mut self) {
        if self.batch.entries.is_empty() {
            return;
        }
        let seq = self.batch.seq;
        let batch = std::mem::replace(
            &mut self.batch,
            Batch {
                seq: seq + 1,
                ..Batch::default()
            },
        );
        if self.tx.send(batch).is_err() {
            self.closed = true;
        }
    }
}

impl Sink for Batcher {
    fn document(&mut self, bytes: &[u8], line: u64) {
        self.push(bytes, line, None);
    }
    fn malformed(&mut self, sample: &[u8], line: u64, why: &'static str) {
        self.push(sample, line, Some(why));
    }
}

fn read_sources(sources: &[Source], tx: SyncSender<Batch>, progress: &ProgressBar) {
    let mut batcher = Batcher {
        batch: Batch::default(),
        source: 0,
        tx,
        closed: false,
    };
    let bar = progress.clone();
    let count: Arc<dyn Fn(u64) + Send + Sync> = Arc::new(move |n| bar.inc(n));
    for (index, source) in sources.iter().enumerate() {
        batcher.source = u32::try_from(index).unwrap_or(u32::MAX);
        let mut reader = match source.open(Some(count.clone())) {
            Ok(reader) => reader,
            Err(error) => {
                batcher.push(error.to_string().as_bytes(), 0, Some("cannot open"));
                continue;
            }
        };
        let mut framer = Framer::new();
        loop {
            if batcher.closed {
                return;
            }
            let chunk = match reader.fill_buf() {
                Ok([]) => break,
                Ok(chunk) => chunk,
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(error) => {
                    let line = framer.line();
                    batcher.push(
                        error.to_string().as_bytes(),
                        line,
                        Some("unreadable, the rest of this source is skipped"),
                    );
                    break;
                }
            };
            framer.feed(chunk, &mut batcher);
            let n = chunk.len();
            reader.consume(n);
        }
        framer.finish(&mut batcher);
    }
    batcher.send();
}

type Processed = (u64, Vec<(u32, Item)>);

/// Where final records go: the summary and, for NDJSON, the output.
struct Collector<'a> {
    summary: &'a mut Summary,
    out: &'a mut dyn Write,
    failed: &'a mut Option<std::io::Error>,
    names: &'a [String],
    ndjson: bool,
    with_baseline: bool,
}

impl Collector<'_> {
    fn record(&mut self, record: &super::record::Record) {
        self.summary.add(record);
        if self.ndjson && self.failed.is_none() {
            let name = self
                .names
                .get(record.origin.0 as usize)
                .map_or("", String::as_str);
            let line = record.to_json(&format!("{name}:{}", record.origin.1), self.with_baseline);
            if let Err(error) = writeln!(self.out, "{line}") {
                *self.failed = Some(error);
            }
        }
    }
}

fn work(
    rx: &Mutex<Receiver<Batch>>,
    tx: &SyncSender<Processed>,
    names: &[String],
    chains: &Chains,
) {
    loop {
        let batch = match rx.lock() {
            Ok(rx) => match rx.recv() {
                Ok(batch) => batch,
                Err(_) => return,
            },
            Err(_) => return,
        };
        let items = batch
            .entries
            .iter()
            .map(|e| {
                let bytes = &batch.bytes[e.start..e.end];
                let name = names.get(e.source as usize).map_or("", String::as_str);
                let item = match e.malformed {
                    Some(why) => Item::Malformed(malformed(name, e.line, why.to_owned(), bytes)),
                    None => process(bytes, (e.source, e.line), name, chains),
                };
                (u32::from(e.malformed.is_none()), item)
            })
            .collect();
        if tx.send((batch.seq, items)).is_err() {
            return;
        }
    }
}

/// Replays `sources` through `chains`, writing NDJSON records as they are final and the report
/// at the end. Returns the summary (for the exit status).
pub fn run(
    sources: &[Source],
    chains: &Chains,
    options: &Options,
    out: &mut dyn Write,
) -> Result<Summary, ReplayError> {
    let started = Instant::now();
    let names: Vec<String> = sources.iter().map(Source::name).collect();
    let mut summary = Summary::new(options.max_samples, chains.baseline.is_some());
    summary.sources.clone_from(&names);
    let progress = progress_bar(sources, options.progress);
    let workers = options.workers.max(1);
    let (work_tx, work_rx) = sync_channel::<Batch>(workers * 2);
    let (done_tx, done_rx) = sync_channel::<Processed>(workers * 2);
    // Shared by the workers only: when the last of them stops (after the output failed), the
    // receiver is dropped and the reader's next send fails, so it stops too instead of waiting on
    // a full queue forever.
    let work_rx = Arc::new(Mutex::new(work_rx));
    let mut dedupe = Dedupe::new(options.window, options.memory);
    let mut failed: Option<std::io::Error> = None;
    let with_baseline = chains.baseline.is_some();
    std::thread::scope(|scope| -> Result<(), ReplayError> {
        let progress_for_reader = progress.clone();
        std::thread::Builder::new()
            .name("replay-reader".into())
            .spawn_scoped(scope, move || {
                read_sources(sources, work_tx, &progress_for_reader)
            })
            .map_err(ReplayError::Thread)?;
        for i in 0..workers {
            let (rx, tx, names) = (work_rx.clone(), done_tx.clone(), &names);
            std::thread::Builder::new()
                .name(format!("replay-worker-{i}"))
                .spawn_scoped(scope, move || work(&rx, &tx, names, chains))
                .map_err(ReplayError::Thread)?;
        }
        drop((done_tx, work_rx));
        let mut waiting: BTreeMap<u64, Vec<(u32, Item)>> = BTreeMap::new();
        let mut next = 0u64;
        let mut collector = Collector {
            summary: &mut summary,
            out: &mut *out,
            failed: &mut failed,
            names: &names,
            ndjson: options.output == Output::Ndjson,
            with_baseline,
        };
        for (seq, items) in &done_rx {
            waiting.insert(seq, items);
            while let Some(items) = waiting.remove(&next) {
                next += 1;
                for (is_document, item) in items {
                    collector.summary.documents += u64::from(is_document);
                    match item {
                        Item::Record(record) => {
                            dedupe.push(*record, &mut |r| collector.record(&r));
                        }
                        Item::Malformed(m) => collector.summary.malformed(m),
                    }
                }
            }
            progress.set_message(format!("{} log entries", collector.summary.documents));
            if collector.failed.is_some() {
                break;
            }
        }
        drop(done_rx);
        dedupe.finish(&mut |r| collector.record(&r));
        Ok(())
    })?;
    progress.finish_and_clear();
    if let Some(error) = failed {
        return Err(ReplayError::Output(error));
    }
    summary.merged = dedupe.merged();
    summary.seconds = started.elapsed().as_secs_f64();
    summary.events_per_second = summary.documents as f64 / summary.seconds.max(1e-9);
    summary.peak_memory_bytes = peak_memory();
    match options.output {
        Output::Text => render::text(&summary, out)?,
        Output::Json => {
            serde_json::to_writer_pretty(&mut *out, &render::json(&summary, false))
                .map_err(std::io::Error::from)?;
            writeln!(out)?;
        }
        Output::Ndjson => writeln!(out, "{}", render::json(&summary, true))?,
    }
    out.flush()?;
    Ok(summary)
}

fn progress_bar(sources: &[Source], show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let sizes: Option<u64> = sources.iter().map(Source::size).sum();
    let bar = match sizes {
        Some(total) => ProgressBar::new(total).with_style(
            ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        ),
        None => ProgressBar::new_spinner(),
    };
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

/// Peak resident memory from `/proc/self/status` (`VmHWM`); `None` elsewhere.
fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
