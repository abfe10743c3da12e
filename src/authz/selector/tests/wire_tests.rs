//! Replays `testdata/wire/v1.jsonl` and `v1beta1.jsonl` (SARs a real
//! kube-apiserver 1.36.2 sent to a webhook): for every request that carried a
//! `fieldSelector` / `labelSelector`, parsing the raw selector and mapping it with
//! `*_requirements_to_api` must reproduce the body's `requirements` exactly.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use super::super::{
    RequirementOutput, field_requirements_to_api, label_requirements_to_api, parse_field_selector,
    parse_label_selector,
};

/// `testdata/wire/<name>` in the repository.
fn wire_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/wire")
        .join(name)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz");
                match u8::from_str_radix(hex, 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `url.Values.Get`: the first value of `key` in the URL's query.
fn query_get(url: &str, key: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(k) == key).then(|| percent_decode(v))
    })
}

/// `-l X` / `--field-selector Y` from the recorded kubectl command line.
fn kubectl_arg(cmd: &str, flag: &str) -> Option<String> {
    let start = cmd.find(flag)? + flag.len();
    let rest = &cmd[start..];
    let end = rest.find(" -").unwrap_or(rest.len());
    Some(rest[..end].to_string())
}

fn to_json(reqs: &[RequirementOutput]) -> Option<Value> {
    if reqs.is_empty() {
        return None;
    }
    let items: Vec<Value> = reqs
        .iter()
        .map(|r| {
            let mut m = Map::new();
            m.insert("key".into(), json!(r.key));
            m.insert("operator".into(), json!(r.operator.as_str()));
            if !r.values.is_empty() {
                m.insert("values".into(), json!(r.values));
            }
            Value::Object(m)
        })
        .collect();
    Some(json!({ "requirements": items }))
}

fn expected_field(raw: Option<&str>) -> Option<Value> {
    let reqs = parse_field_selector(raw?).ok()?;
    to_json(&field_requirements_to_api(&reqs))
}

fn expected_label(raw: Option<&str>) -> Option<Value> {
    let reqs = parse_label_selector(raw?).ok()?;
    to_json(&label_requirements_to_api(&reqs))
}

fn check_file(name: &str) -> (usize, usize) {
    let text = std::fs::read_to_string(wire_file(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let (mut checked, mut with_selector) = (0, 0);
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let rec: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{name}:{n}: {e}"));
        let label = rec["label"].as_str().unwrap_or_default();
        let raw_body = rec["body"].as_str().unwrap_or_default();
        let body: Value = serde_json::from_str(raw_body).unwrap_or_else(|e| panic!("{label}: {e}"));
        let ra = &body["spec"]["resourceAttributes"];
        let (url, method) = (
            rec["trigger"]["url"].as_str().unwrap_or_default(),
            rec["trigger"]["method"].as_str().unwrap_or_default(),
        );
        let (raw_field, raw_label) = if method == "kubectl" {
            (
                kubectl_arg(url, "--field-selector "),
                kubectl_arg(url, " -l "),
            )
        } else if url.contains("subjectaccessreviews") {
            continue; // request body not recorded; see sar_tests
        } else {
            (
                query_get(url, "fieldSelector"),
                query_get(url, "labelSelector"),
            )
        };
        let verb = ra["verb"].as_str().unwrap_or_default();
        let selectable = matches!(verb, "list" | "watch" | "deletecollection");
        let (want_field, want_label) = if selectable {
            (
                expected_field(raw_field.as_deref()),
                expected_label(raw_label.as_deref()),
            )
        } else {
            (None, None)
        };
        let got_field = ra.get("fieldSelector").cloned();
        let got_label = ra.get("labelSelector").cloned();
        assert_eq!(
            got_field, want_field,
            "{name} {label}: fieldSelector for {raw_field:?}"
        );
        assert_eq!(
            got_label, want_label,
            "{name} {label}: labelSelector for {raw_label:?}"
        );
        for (key, value) in [
            ("fieldSelector", &want_field),
            ("labelSelector", &want_label),
        ] {
            if let Some(v) = value {
                let exact = format!("\"{key}\":{}", serde_json::to_string(v).unwrap_or_default());
                assert!(raw_body.contains(&exact), "{label}: {exact} not in body");
            }
        }
        checked += 1;
        if got_field.is_some() || got_label.is_some() {
            with_selector += 1;
        }
    }
    (checked, with_selector)
}

#[test]
fn wire_v1_selectors_match() {
    let (checked, with_selector) = check_file("v1.jsonl");
    assert_eq!(checked, 244, "lines checked");
    assert_eq!(
        with_selector, 29,
        "lines with a selector outside the SAR API"
    );
}

#[test]
fn wire_v1beta1_selectors_match() {
    let (checked, with_selector) = check_file("v1beta1.jsonl");
    assert_eq!(checked, 244, "lines checked");
    assert_eq!(with_selector, 29);
}

#[test]
fn query_decoding() {
    assert_eq!(
        query_get(
            "https://h/p?a=1&labelSelector=app%20in%20%28web%2Cdb%29+x",
            "labelSelector"
        )
        .as_deref(),
        Some("app in (web,db) x")
    );
    assert_eq!(
        query_get("https://h/p?labelSelector=", "labelSelector").as_deref(),
        Some("")
    );
    assert_eq!(query_get("https://h/p", "labelSelector"), None);
}
