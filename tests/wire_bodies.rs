//! Every SubjectAccessReview body kube-apiserver 1.36 sent to a webhook (`testdata/wire/`), decoded
//! into a request and encoded again by our webhook client, is the same, byte for byte, in v1 and
//! v1beta1.

mod common;

use authz_chain::review::{self, ReviewVersion};
use common::*;

fn check(file: &str, version: ReviewVersion) {
    let lines = read_jsonl(&testdata(file));
    assert!(lines.len() > 200);
    let mut failures = Vec::new();
    for line in &lines {
        let body = line["body"].as_str().expect("body");
        let decoded = review::decode(body.as_bytes()).expect("decodes");
        assert_eq!(decoded.version, version);
        let request = review::to_request(&decoded).expect("valid");
        let encoded = review::encode_review(&request, version);
        if encoded != body {
            failures.push(format!(
                "{} ({}):\n  want {body}  got  {encoded}",
                line["seq"], line["label"]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} bodies differ:\n{}",
        failures.len(),
        lines.len(),
        failures.join("\n")
    );
}

#[test]
fn v1_bodies_round_trip_exactly() {
    check("wire/v1.jsonl", ReviewVersion::V1);
}

#[test]
fn v1beta1_bodies_round_trip_exactly() {
    check("wire/v1beta1.jsonl", ReviewVersion::V1beta1);
}
