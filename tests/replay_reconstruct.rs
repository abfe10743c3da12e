//! `replay` on a small made-up log: reconstruction (impersonation, selectors in the URI,
//! non-resource URLs, create without a name), baselines and `--fail-on`, webhook stand-ins,
//! NDJSON fields, and the text and JSON reports.

mod common;
mod replay_fixture;

use std::path::Path;

use common::*;
use replay_fixture::*;
use serde_json::{Value, json};

#[test]
fn events_are_reconstructed_as_kube_apiserver_authorized_them() {
    let f = fixture();
    let (records, summary, status) = ndjson(
        &[
            "--authorization-config",
            &f.config,
            "--state",
            &f.state,
            "-",
        ],
        &lines(&log()),
    );
    assert_eq!(status, 0);
    // (auditID, stage, class, recorded, decision)
    let want = [
        ("get-1", "ResponseComplete", "exact", "allow", "allow"),
        ("secrets", "ResponseComplete", "exact", "forbid", "forbid"),
        ("log", "ResponseComplete", "exact", "allow", "allow"),
        ("watch", "ResponseComplete", "exact", "allow", "allow"),
        // list pinned by metadata.name: the name comes from the field selector
        ("sel-name", "ResponseComplete", "exact", "allow", "allow"),
        ("sel-label", "ResponseComplete", "exact", "forbid", "forbid"),
        // create is authorized without the name objectRef was completed with
        ("create", "ResponseComplete", "exact", "forbid", "forbid"),
        // non-resource: the path without its query
        ("healthz", "ResponseComplete", "exact", "allow", "allow"),
        ("readyz", "ResponseComplete", "exact", "forbid", "forbid"),
        ("imp-ok", "ResponseComplete", "exact", "allow", "allow"),
        (
            "imp-refused",
            "ResponseComplete",
            "approximated",
            "forbid",
            "forbid",
        ),
    ];
    for (id, stage, class, recorded, decision) in want {
        let r = by_id(&records, id);
        assert_eq!(
            (
                r["stage"].as_str(),
                r["class"].as_str(),
                r["recorded"].as_str(),
                r["decision"].as_str()
            ),
            (Some(stage), Some(class), Some(recorded), Some(decision)),
            "{id}: {r}"
        );
    }
    let only = by_id(&records, "only-received");
    assert_eq!(only["class"], "unreplayable");
    assert_eq!(only["reason"], "only the RequestReceived stage was logged");
    assert!(only["decision"].is_null());
    assert_eq!(by_id(&records, "healthz")["path"], "/healthz");
    assert_eq!(by_id(&records, "imp-ok")["impersonation"], "impersonate");
    assert_eq!(by_id(&records, "imp-ok")["impersonatedUser"], "alice");
    assert!(
        by_id(&records, "imp-refused")["decisionReason"]
            .as_str()
            .is_some_and(|r| r.contains("impersonate-on:user-info:list")),
        "the refused check is replayed"
    );
    assert_eq!(summary["classes"]["exact"]["disagree"], 0);
    assert_eq!(summary["summary"], true);
}

#[test]
fn a_baseline_classifies_flips_and_fail_on_sets_the_exit_status() {
    let f = fixture();
    let text = lines(&log());
    let args = |extra: &[&'static str]| {
        let mut a = vec![
            "--authorization-config".to_owned(),
            f.config.clone(),
            "--baseline-state".to_owned(),
            f.state.clone(),
            "--state".to_owned(),
            f.reduced.clone(),
        ];
        a.extend(extra.iter().map(|s| s.to_string()));
        a.push("-".into());
        a
    };
    let run = |extra: &[&'static str]| {
        let a = args(extra);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        ndjson(&a, &text)
    };
    let (records, summary, status) = run(&[]);
    assert_eq!(status, 0, "no --fail-on");
    for r in &records {
        for key in [
            "auditID", "user", "verb", "recorded", "decision", "baseline", "class", "reason",
        ] {
            assert!(r.get(key).is_some(), "{key} missing in {r}");
        }
    }
    // alice's pod reads (get-1, log, watch) and the impersonation of alice break.
    let breaks: Vec<&str> = records
        .iter()
        .filter(|r| r["flip"] == "break")
        .map(|r| r["auditID"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(breaks, ["get-1", "log", "watch", "imp-ok"]);
    // As kube-apiserver, the first mode's refusal is the one reported.
    assert_eq!(
        by_id(&records, "imp-ok")["decisionReason"],
        "impersonation refused: User \"imp\" cannot impersonate-on:user-info:list resource \"pods\" in API group \"\" in the namespace \"team-a\""
    );
    assert_eq!(summary["flips"]["break"], 4);
    assert_eq!(run(&["--fail-on", "break"]).2, 3);
    assert_eq!(run(&["--fail-on", "widen"]).2, 0);
    assert_eq!(run(&["--fail-on", "any"]).2, 3);

    // The same policy on both sides: no flip at all.
    let same = [
        "--authorization-config",
        f.config.as_str(),
        "--state",
        f.state.as_str(),
        "--baseline-state",
        f.state.as_str(),
        "--fail-on",
        "any",
        "-",
    ];
    let (_, summary, status) = ndjson(&same, &text);
    assert_eq!(status, 0);
    assert_eq!(
        summary["flips"],
        json!({"break": 0, "widen": 0, "authorizer": 0, "reason": 0})
    );
}

#[test]
fn webhook_steps_follow_the_webhooks_flag() {
    let f = fixture();
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("config-samples");
    let seed = std::fs::read_to_string(samples.join("seed/authorization-config.yaml"))
        .expect("seed")
        .replace("@SAMPLES@", samples.to_str().expect("utf-8"));
    let config = write_file(f.dir.path(), "seed.yaml", &seed);
    let config = config.to_str().expect("utf-8");
    let events = [
        // RBAC allows; the guard's matchConditions exclude team-a: no webhook involved.
        event(
            "rbac",
            "ResponseComplete",
            user("alice"),
            "get",
            "/api/v1/namespaces/team-a/pods/web-1",
            Some(pods("team-a", Some("web-1"), None)),
            Some("allow"),
        ),
        // kube-system: the guard would be called first.
        event(
            "guarded",
            "ResponseComplete",
            user("alice"),
            "get",
            "/api/v1/namespaces/kube-system/pods/x",
            Some(pods("kube-system", Some("x"), None)),
            Some("forbid"),
        ),
        // RBAC has no opinion: the catch-all would be called.
        event(
            "catch-all",
            "ResponseComplete",
            user("alice"),
            "list",
            "/api/v1/namespaces/team-a/secrets",
            Some(json!({"resource": "secrets", "namespace": "team-a", "apiVersion": "v1"})),
            Some("forbid"),
        ),
    ];
    let text = lines(&events);
    // (mode, rbac, guarded, catch-all) as (class, decision)
    let cases = [
        (
            "skip",
            ("exact", "allow"),
            ("approximated", "forbid"),
            ("approximated", "forbid"),
        ),
        (
            "allow",
            ("exact", "allow"),
            ("approximated", "allow"),
            ("approximated", "allow"),
        ),
        (
            "deny",
            ("exact", "allow"),
            ("approximated", "forbid"),
            ("approximated", "forbid"),
        ),
        (
            "no-opinion",
            ("exact", "allow"),
            ("approximated", "forbid"),
            ("approximated", "forbid"),
        ),
    ];
    for (mode, rbac, guarded, catch_all) in cases {
        let (records, _, status) = ndjson(
            &[
                "--authorization-config",
                config,
                "--state",
                &f.state,
                "--webhooks",
                mode,
                "-",
            ],
            &text,
        );
        assert_eq!(status, 0, "{mode}");
        for (id, (class, decision)) in [
            ("rbac", rbac),
            ("guarded", guarded),
            ("catch-all", catch_all),
        ] {
            let r = by_id(&records, id);
            assert_eq!(
                (r["class"].as_str(), r["decision"].as_str()),
                (Some(class), Some(decision)),
                "{mode} {id}: {r}"
            );
        }
    }
    let (records, _, _) = ndjson(
        &["--authorization-config", config, "--state", &f.state, "-"],
        &text,
    );
    assert_eq!(
        by_id(&records, "guarded")["reason"],
        "decided past a webhook that was not called (--webhooks skip)",
        "skip is the default"
    );
}

#[test]
fn text_and_json_reports() {
    let f = fixture();
    let text = lines(&log());
    let output = run_with_stdin(
        &[
            "replay",
            "--authorization-config",
            &f.config,
            "--state",
            &f.reduced,
            "--max-samples",
            "1",
            "-",
        ],
        &text,
    );
    let report = String::from_utf8(output.stdout).expect("utf-8");
    assert!(report.contains("would break (allow -> forbid)"), "{report}");
    assert!(report.contains("would break (first 1 of 4)"), "{report}");
    assert!(report.contains("users             alice 4"), "{report}");
    assert!(report.contains("log entries/s"), "{report}");
    let output = run_with_stdin(
        &[
            "replay",
            "--authorization-config",
            &f.config,
            "--state",
            &f.state,
            "--output",
            "json",
            "-",
        ],
        &text,
    );
    let summary: Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    assert_eq!(summary["requests"], 12);
    assert!(summary["eventsPerSecond"].as_f64().is_some_and(|v| v > 0.0));
}
