//! Framing cases, each also fed one byte at a time to cover every chunk boundary.

use super::*;

#[derive(Debug, Default, PartialEq, Eq)]
struct Collected {
    documents: Vec<(String, u64)>,
    malformed: Vec<(String, u64, &'static str)>,
}

impl Sink for Collected {
    fn document(&mut self, bytes: &[u8], line: u64) {
        self.documents
            .push((String::from_utf8_lossy(bytes).into_owned(), line));
    }
    fn malformed(&mut self, sample: &[u8], line: u64, why: &'static str) {
        self.malformed
            .push((String::from_utf8_lossy(sample).into_owned(), line, why));
    }
}

fn frame(input: &str, chunk: usize) -> Collected {
    let mut framer = Framer::new();
    let mut out = Collected::default();
    for piece in input.as_bytes().chunks(chunk) {
        framer.feed(piece, &mut out);
    }
    framer.finish(&mut out);
    out
}

fn check(name: &str, input: &str, documents: &[(&str, u64)], malformed: &[(u64, &str)]) {
    for chunk in [usize::MAX, 1, 7] {
        let got = frame(input, chunk.min(input.len().max(1)));
        let docs: Vec<(&str, u64)> = got
            .documents
            .iter()
            .map(|(d, l)| (d.as_str(), *l))
            .collect();
        assert_eq!(docs, documents, "{name} (chunk {chunk})");
        let bad: Vec<(u64, &str)> = got.malformed.iter().map(|(_, l, w)| (*l, *w)).collect();
        assert_eq!(
            bad, malformed,
            "{name} (chunk {chunk}): {:?}",
            got.malformed
        );
    }
}

#[test]
fn json_lines() {
    check(
        "lines",
        "{\"a\":1}\n{\"b\":\"x}\\\"{\"}\n\n{\"c\":[1,{\"d\":2}]}",
        &[
            ("{\"a\":1}", 1),
            ("{\"b\":\"x}\\\"{\"}", 2),
            ("{\"c\":[1,{\"d\":2}]}", 4),
        ],
        &[],
    );
}

#[test]
fn concatenated_and_pretty_printed() {
    check(
        "pretty",
        "{\n  \"a\": {\n    \"b\": 1\n  }\n}{\"c\":2}\n\u{feff}",
        &[("{\n  \"a\": {\n    \"b\": 1\n  }\n}", 1), ("{\"c\":2}", 5)],
        &[(6, "not a JSON value")],
    );
}

#[test]
fn byte_order_mark_at_the_start() {
    check("bom", "\u{feff}{\"a\":1}\n", &[("{\"a\":1}", 1)], &[]);
}

#[test]
fn lists_are_streamed_item_by_item() {
    check(
        "top-level array",
        "[\n{\"a\":1},\n  {\"b\":[{}]}\n]\n{\"c\":3}",
        &[("{\"a\":1}", 2), ("{\"b\":[{}]}", 3), ("{\"c\":3}", 5)],
        &[],
    );
    check(
        "EventList on one line",
        "{\"kind\":\"EventList\",\"metadata\":{\"items\":[{\"no\":1}]},\"items\":[{\"a\":1},{\"b\":2}],\"x\":\"items\"}\n{\"c\":3}",
        &[("{\"a\":1}", 1), ("{\"b\":2}", 1), ("{\"c\":3}", 2)],
        &[],
    );
    check(
        "pretty EventList",
        "{\n  \"apiVersion\": \"audit.k8s.io/v1\",\n  \"items\" : [\n    {\n      \"a\": 1\n    }\n  ]\n}\n",
        &[("{\n      \"a\": 1\n    }", 4)],
        &[],
    );
    check(
        "an event whose value is the string items",
        "{\"verb\":\"items\",\"x\":[{\"a\":1}]}",
        &[("{\"verb\":\"items\",\"x\":[{\"a\":1}]}", 1)],
        &[],
    );
}

#[test]
fn malformed_input_is_reported_and_skipped() {
    check(
        "garbage line",
        "not json\n{\"a\":1}\n",
        &[("{\"a\":1}", 2)],
        &[(1, "not a JSON value")],
    );
    check(
        "truncated line, then an event",
        "{\"a\":{\"b\":1\n{\"c\":2}\n",
        &[("{\"c\":2}", 2)],
        &[(1, "truncated: a new object starts")],
    );
    check(
        "truncated inside a string",
        "{\"a\":\"abc\n{\"c\":2}\n",
        &[("{\"c\":2}", 2)],
        &[(1, "line break inside a string")],
    );
    check(
        "stray closing brace",
        "}\n{\"c\":2}",
        &[("{\"c\":2}", 2)],
        &[(1, "not a JSON value")],
    );
    check(
        "unfinished at the end",
        "{\"c\":2}\n{\"d\":",
        &[("{\"c\":2}", 1)],
        &[(2, "input ends inside a JSON value")],
    );
    check(
        "truncated list item",
        "[\n{\"a\":\n{\"b\":1}\n]",
        &[("{\"b\":1}", 3)],
        &[(2, "truncated: a new object starts")],
    );
}
