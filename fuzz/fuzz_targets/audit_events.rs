//! Audit log input as `replay` reads it: gzip (when the input starts with the gzip magic), framing
//! into JSON documents (`replay::frame::Framer`), decoding into events (`replay::event::decode`)
//! and reconstructing the authorization request. Invariant: the framer finds the same documents
//! and malformed entries whatever the chunk boundaries (the first input byte picks a chunk size).
#![no_main]

use std::io::Read;

use authz_chain::replay::event::{self, Stage};
use authz_chain::replay::frame::{Framer, Sink};
use authz_chain::replay::reconstruct::{describe, reconstruct, recorded};
use libfuzzer_sys::fuzz_target;

/// Gzip input is decompressed up to this much.
const MAX_INFLATED: u64 = 1 << 20;

#[derive(Default, Debug, PartialEq)]
struct Collect {
    documents: Vec<(Vec<u8>, u64)>,
    malformed: Vec<(Vec<u8>, u64, &'static str)>,
}

impl Sink for Collect {
    fn document(&mut self, bytes: &[u8], line: u64) {
        self.documents.push((bytes.to_vec(), line));
    }
    fn malformed(&mut self, sample: &[u8], line: u64, why: &'static str) {
        self.malformed.push((sample.to_vec(), line, why));
    }
}

fn frame(input: &[u8], chunk: usize) -> Collect {
    let mut framer = Framer::new();
    let mut sink = Collect::default();
    for piece in input.chunks(chunk) {
        framer.feed(piece, &mut sink);
    }
    framer.finish(&mut sink);
    sink
}

fuzz_target!(|data: &[u8]| {
    let Some((&split, input)) = data.split_first() else {
        return;
    };
    let inflated;
    let input = if input.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        let _ = flate2::read::MultiGzDecoder::new(input)
            .take(MAX_INFLATED)
            .read_to_end(&mut out);
        inflated = out;
        &inflated[..]
    } else {
        input
    };
    let whole = frame(input, input.len().max(1));
    let chunked = frame(input, usize::from(split % 64) + 1);
    assert_eq!(whole, chunked, "framing depends on chunk boundaries");
    for (bytes, _line) in &whole.documents {
        match event::decode(bytes) {
            Ok(event) => {
                let stage = event
                    .stage
                    .as_deref()
                    .and_then(Stage::parse)
                    .unwrap_or(Stage::ResponseComplete);
                let _ = recorded(&event);
                let _ = reconstruct(&event, stage);
                let _ = describe(&event);
            }
            Err(error) => {
                let _ = error.to_string();
            }
        }
    }
});
