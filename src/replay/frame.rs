//! Splitting a byte stream into JSON documents without holding more than one document: JSON
//! lines, concatenated (pretty-printed) JSON, and lists. A top-level array, or the `items` array
//! of a top-level object (an `EventList`), is streamed: each element is its own document and the
//! list around it is never held.
//!
//! The framer only tracks nesting and strings; the documents are decoded later, in parallel.
//! Broken input is reported and skipped, never fatal:
//! * a line that does not start a JSON value is one malformed entry;
//! * a line break inside a string (JSON strings cannot hold one) ends the value as malformed;
//! * an object that is still open when a line starts with `{` in its first column was truncated
//!   (pretty printers indent nested objects, JSON lines put every event there);
//! * a value larger than [`MAX_DOCUMENT`] is skipped as malformed.

use memchr::{memchr, memchr3};

/// The largest document kept (RequestResponse events carry whole objects).
pub const MAX_DOCUMENT: usize = 64 << 20;
/// How much of a malformed entry is kept as its sample.
pub const SAMPLE_BYTES: usize = 160;

/// Where the framer delivers what it finds.
pub trait Sink {
    /// A complete JSON value (not yet known to be an audit event), starting on `line`.
    fn document(&mut self, bytes: &[u8], line: u64);
    /// Something that is not a usable JSON value, starting on `line`.
    fn malformed(&mut self, sample: &[u8], line: u64, why: &'static str);
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Key {
    None,
    /// A string `items` just closed directly inside a top-level object.
    Items,
    /// ... followed by `:`.
    ItemsColon,
}

/// A streaming splitter for one source.
#[derive(Debug)]
pub struct Framer {
    doc: Vec<u8>,
    /// Bytes of the current chunk from this index on belong to `doc` but are not copied yet.
    copy_from: Option<usize>,
    capturing: bool,
    oversize: bool,
    depth: u32,
    /// The depth the captured value closes back to (0 at top level, the list level for items).
    capture_depth: u32,
    /// Inside a streamed array, its elements open at this depth.
    list_level: Option<u32>,
    in_string: bool,
    escaped: bool,
    string_start: usize,
    key: Key,
    line: u64,
    doc_line: u64,
    line_start: bool,
    garbage: Option<Vec<u8>>,
    at_source_start: bool,
}

impl Default for Framer {
    fn default() -> Self {
        Framer {
            doc: Vec::new(),
            copy_from: None,
            capturing: false,
            oversize: false,
            depth: 0,
            capture_depth: 0,
            list_level: None,
            in_string: false,
            escaped: false,
            string_start: 0,
            key: Key::None,
            line: 1,
            doc_line: 1,
            line_start: true,
            garbage: None,
            at_source_start: true,
        }
    }
}

impl Framer {
    /// A framer at the start of a source.
    pub fn new() -> Self {
        Framer::default()
    }

    /// The line the framer has reached.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Moves uncopied bytes of `chunk` (up to `end`) into `doc`.
    fn flush(&mut self, chunk: &[u8], end: usize) {
        if let Some(from) = self.copy_from {
            if !self.oversize {
                self.doc.extend_from_slice(&chunk[from..end]);
                if self.doc.len() > MAX_DOCUMENT {
                    self.oversize = true;
                    self.doc.truncate(SAMPLE_BYTES);
                }
            }
            self.copy_from = Some(end);
        }
    }

    fn start_capture(&mut self, at: usize, capture_depth: u32) {
        self.doc.clear();
        self.oversize = false;
        self.capturing = true;
        self.capture_depth = capture_depth;
        self.copy_from = Some(at);
        self.doc_line = self.line;
    }

    fn stop_capture(&mut self) {
        self.capturing = false;
        self.copy_from = None;
    }

    /// Ends the current value as malformed and returns to the nearest sound level: between the
    /// items of a streamed list, or between top-level values.
    fn broken(&mut self, chunk: &[u8], at: usize, why: &'static str, sink: &mut impl Sink) {
        self.flush(chunk, at);
        let sample = &self.doc[..self.doc.len().min(SAMPLE_BYTES)];
        sink.malformed(sample, self.doc_line, why);
        self.stop_capture();
        self.in_string = false;
        self.escaped = false;
        self.key = Key::None;
        match self.list_level {
            Some(level) if self.depth >= level => self.depth = level,
            _ => {
                self.depth = 0;
                self.list_level = None;
            }
        }
    }

    fn unfinished(&self) -> bool {
        let base = if self.capturing {
            self.capture_depth
        } else {
            self.list_level.unwrap_or(0)
        };
        self.depth > base
    }

    /// Frames the next chunk of the source.
    pub fn feed(&mut self, chunk: &[u8], sink: &mut impl Sink) {
        if self.capturing {
            self.copy_from = Some(0);
        }
        let mut i = 0;
        while i < chunk.len() {
            if let Some(sample) = &mut self.garbage {
                let end = memchr(b'\n', &chunk[i..]).map_or(chunk.len(), |p| i + p);
                let room = SAMPLE_BYTES.saturating_sub(sample.len());
                sample.extend_from_slice(&chunk[i..end.min(i + room)]);
                i = end;
                if i == chunk.len() {
                    break;
                }
                if let Some(sample) = self.garbage.take() {
                    sink.malformed(&sample, self.line, "not a JSON value");
                }
                continue;
            }
            if self.in_string {
                if self.escaped {
                    if chunk[i] == b'\n' {
                        self.broken(chunk, i, "line break inside a string", sink);
                        continue;
                    }
                    self.escaped = false;
                    i += 1;
                    continue;
                }
                match memchr3(b'"', b'\\', b'\n', &chunk[i..]) {
                    None => i = chunk.len(),
                    Some(p) => {
                        i += p;
                        match chunk[i] {
                            b'"' => {
                                self.in_string = false;
                                i += 1;
                                self.string_closed(chunk, i);
                            }
                            b'\\' => {
                                self.escaped = true;
                                i += 1;
                            }
                            _ => self.broken(chunk, i, "line break inside a string", sink),
                        }
                    }
                }
                continue;
            }
            let b = chunk[i];
            let column0 = std::mem::replace(&mut self.line_start, false);
            match b {
                b'\n' => {
                    self.line += 1;
                    self.line_start = true;
                }
                b' ' | b'\t' | b'\r' => {}
                b'{' | b'[' => {
                    if column0 && b == b'{' && self.unfinished() {
                        self.broken(chunk, i, "truncated: a new object starts", sink);
                    }
                    self.open(b, i);
                }
                b'}' | b']' => {
                    if self.depth == 0 {
                        self.garbage = Some(vec![b]);
                    } else {
                        self.depth -= 1;
                        if self.capturing && self.depth == self.capture_depth {
                            self.flush(chunk, i + 1);
                            if self.oversize {
                                sink.malformed(&self.doc, self.doc_line, "larger than 64 MiB");
                            } else {
                                sink.document(&self.doc, self.doc_line);
                            }
                            self.stop_capture();
                        }
                        if self.list_level.is_some_and(|level| self.depth + 1 == level) {
                            self.list_level = None;
                        }
                    }
                    self.key = Key::None;
                }
                b'"' if self.depth > 0 => {
                    self.in_string = true;
                    if self.capturing && self.depth == 1 && self.capture_depth == 0 {
                        self.flush(chunk, i + 1);
                        self.string_start = self.doc.len();
                    }
                }
                b':' if self.depth > 0 => {
                    self.key = if self.key == Key::Items {
                        Key::ItemsColon
                    } else {
                        Key::None
                    };
                }
                0xEF | 0xBB | 0xBF if self.depth == 0 && self.at_source_start => {}
                _ if self.depth == 0 => self.garbage = Some(vec![b]),
                _ => self.key = Key::None,
            }
            if b != b'\n' && !matches!(b, 0xEF | 0xBB | 0xBF) {
                self.at_source_start = false;
            }
            i += 1;
        }
        self.flush(chunk, chunk.len());
        if self.capturing {
            self.copy_from = None;
        }
    }

    fn open(&mut self, b: u8, i: usize) {
        if self.depth == 0 {
            if b == b'{' {
                self.start_capture(i, 0);
            } else {
                self.list_level = Some(1);
            }
        } else if !self.capturing && self.list_level == Some(self.depth) {
            if b == b'{' {
                self.start_capture(i, self.depth);
            }
        } else if self.capturing
            && self.capture_depth == 0
            && self.depth == 1
            && b == b'['
            && self.key == Key::ItemsColon
        {
            self.stop_capture();
            self.doc.clear();
            self.list_level = Some(2);
        }
        self.depth += 1;
        self.key = Key::None;
    }

    fn string_closed(&mut self, chunk: &[u8], i: usize) {
        self.key = Key::None;
        if self.capturing && self.depth == 1 && self.capture_depth == 0 {
            self.flush(chunk, i);
            if self.doc.get(self.string_start..self.doc.len() - 1) == Some(b"items") {
                self.key = Key::Items;
            }
        }
    }

    /// Reports whatever the source left unfinished.
    pub fn finish(&mut self, sink: &mut impl Sink) {
        if let Some(sample) = self.garbage.take() {
            sink.malformed(&sample, self.line, "not a JSON value");
        }
        if self.capturing {
            let sample = &self.doc[..self.doc.len().min(SAMPLE_BYTES)];
            sink.malformed(sample, self.doc_line, "input ends inside a JSON value");
        }
        *self = Framer::new();
    }
}

#[cfg(test)]
#[path = "frame_tests.rs"]
mod tests;
