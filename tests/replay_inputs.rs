//! `replay` input forms on a small made-up log: plain, gzip, stdin, rotated directories,
//! pretty-printed lists, events without apiVersion/kind, duplicate stages, malformed lines, and
//! an output that stops accepting the report.

mod common;
mod replay_fixture;

use common::*;
use replay_fixture::*;
use serde_json::{Value, json};

#[test]
fn every_input_form_gives_the_same_replay() {
    let f = fixture();
    let text = lines(&log());
    let dir = f.dir.path();
    gzip(&dir.join("log.gz"), &text);
    let plain = write_file(dir, "log.jsonl", &text);
    // A rotated set: the oldest part compressed, split in the middle of an auditID's stages.
    let rotated = dir.join("rotated");
    std::fs::create_dir(&rotated).expect("mkdir");
    let all = log();
    gzip(&rotated.join("audit.log.2.gz"), &lines(&all[..4]));
    std::fs::write(rotated.join("audit.log.1"), lines(&all[4..9])).expect("write");
    std::fs::write(rotated.join("audit.log"), lines(&all[9..])).expect("write");
    // A pretty-printed EventList.
    let list = serde_json::to_string_pretty(
        &json!({"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "items": all}),
    )
    .expect("JSON");
    let list_file = write_file(dir, "list.json", &list);

    let base = [
        "--authorization-config",
        f.config.as_str(),
        "--state",
        f.state.as_str(),
    ];
    let cases: [(&str, Vec<String>, &str); 5] = [
        ("plain", vec![plain.to_str().expect("utf-8").into()], ""),
        (
            "gzip",
            vec![dir.join("log.gz").to_str().expect("utf-8").into()],
            "",
        ),
        ("stdin", vec!["-".into()], &text),
        (
            "rotated directory",
            vec![rotated.to_str().expect("utf-8").into()],
            "",
        ),
        (
            "EventList",
            vec![list_file.to_str().expect("utf-8").into()],
            "",
        ),
    ];
    let mut reference: Option<Vec<Value>> = None;
    for (name, logs, stdin) in cases {
        let mut args: Vec<&str> = base.to_vec();
        args.extend(logs.iter().map(String::as_str));
        let (records, summary, status) = ndjson(&args, stdin);
        assert_eq!(status, 0, "{name}");
        assert_eq!(summary["documents"], 15, "{name}");
        assert_eq!(summary["merged"], 3, "{name}: RR of get-1, RR+RS of watch");
        assert_eq!(summary["requests"], 12, "{name}");
        let mut comparable: Vec<Value> = records.clone();
        for r in &mut comparable {
            r.as_object_mut().expect("object").remove("source");
        }
        match &reference {
            None => reference = Some(comparable),
            Some(want) => assert_eq!(&comparable, want, "{name}"),
        }
    }
}

#[test]
fn malformed_lines_are_counted_and_skipped() {
    let f = fixture();
    let mut text = String::from("this is not json\n");
    text.push_str(&lines(&log()[..3]));
    text.push_str("{\"auditID\": \"cut\", \"stage\": \"Respo\n");
    text.push_str("{\"kind\": \"Pod\", \"auditID\": \"x\"}\n");
    text.push_str("{\"stage\": \"ResponseComplete\"}\n");
    text.push_str("[1, 2]\n"); // a list of no events: nothing to report
    text.push_str(&lines(&log()[3..]));
    text.push_str("{\"user\": 5, \"auditID\": \"bad-type\"}\n{\"trailing\": ");
    let (records, summary, status) = ndjson(
        &[
            "--authorization-config",
            &f.config,
            "--state",
            &f.state,
            "-",
        ],
        &text,
    );
    assert_eq!(status, 0);
    assert_eq!(summary["malformed"], 6, "{:#}", summary["malformedSamples"]);
    assert_eq!(summary["requests"], 12);
    assert_eq!(records.len(), 12);
    let errors: Vec<&str> = summary["malformedSamples"]
        .as_array()
        .expect("samples")
        .iter()
        .map(|m| m["error"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(errors[0], "not a JSON value");
    assert_eq!(errors[1], "line break inside a string");
    assert_eq!(errors[2], "not an audit event: kind `Pod`");
    assert_eq!(errors[3], "not an audit event: no auditID");
}

/// An output that refuses every write, as a closed pipe does (`replay ... | head`).
struct ClosedPipe;

impl std::io::Write for ClosedPipe {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::ErrorKind::BrokenPipe.into())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_closed_output_stops_the_replay_with_an_error() {
    use authz_chain::authz::Chain;
    use authz_chain::replay::{self, Chains, Evaluator, Options, Output, ReplayError, Source};

    // Far more batches than the queues between the reader, the worker and the writer hold.
    let dir = tempfile::tempdir().expect("tempdir");
    let text: String = (0..40_000)
        .map(|i| {
            format!(
                "{{\"auditID\":\"id-{i}\",\"stage\":\"ResponseComplete\",\"verb\":\"get\",\"requestURI\":\"/healthz\",\"user\":{{\"username\":\"u\"}}}}\n"
            )
        })
        .collect();
    let log = write_file(dir.path(), "audit.log", &text);
    let chains = Chains {
        candidate: Evaluator::new(Chain::default(), None),
        baseline: None,
        webhooks_skipped: false,
    };
    let options = Options {
        output: Output::Ndjson,
        workers: 1,
        ..Options::default()
    };
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let result = replay::run(&[Source::File(log)], &chains, &options, &mut ClosedPipe);
        let _ = done_tx.send(result.map(|_| ()));
    });
    let result = done_rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("replay still running a minute after its output closed");
    assert!(
        matches!(&result, Err(ReplayError::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe),
        "{result:?}"
    );
}
