//! The report: a table for people, one JSON object (`--output json`), or the final line of
//! `--output ndjson`.

use std::io::{self, Write};

use super::record::{Class, Flip};
use super::summary::{Sample, Summary, Tally, is_system_identity, is_system_namespace};

/// How many values each "among decision flips" table shows.
const TOP: usize = 10;

/// The summary as one JSON object (with `"summary": true` when it ends an NDJSON stream).
pub fn json(summary: &Summary, marker: bool) -> serde_json::Value {
    let mut value = serde_json::to_value(summary).unwrap_or(serde_json::Value::Null);
    if marker && let Some(map) = value.as_object_mut() {
        map.insert("summary".to_owned(), true.into());
    }
    value
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "-".to_owned()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64)
    }
}

/// The human report.
pub fn text(summary: &Summary, out: &mut dyn Write) -> io::Result<()> {
    let against = if summary.baseline {
        "the baseline"
    } else {
        "the log"
    };
    writeln!(
        out,
        "replayed {} requests from {} log entries in {} source(s): {} stages merged by auditID, {} malformed",
        thousands(summary.requests),
        thousands(summary.documents),
        summary.sources.len(),
        thousands(summary.merged),
        thousands(summary.malformed),
    )?;
    writeln!(out)?;
    write!(
        out,
        "{:<14}{:>10}{:>18}{:>10}{:>11}",
        "class", "requests", "agree with log", "disagree", "no record"
    )?;
    if summary.baseline {
        write!(out, "{:>18}", "baseline agrees")?;
    }
    writeln!(out)?;
    for (class, totals) in &summary.classes {
        let compared = totals.agree + totals.disagree;
        write!(
            out,
            "{:<14}{:>10}{:>18}{:>10}{:>11}",
            class.as_str(),
            thousands(totals.events),
            format!(
                "{} {}",
                thousands(totals.agree),
                percent(totals.agree, compared)
            ),
            thousands(totals.disagree),
            thousands(totals.unrecorded),
        )?;
        if let (Some(agree), Some(disagree)) = (totals.baseline_agree, totals.baseline_disagree) {
            write!(out, "{:>18}", percent(agree, agree + disagree))?;
        }
        writeln!(out)?;
    }
    for class in [Class::Approximated, Class::Unreplayable] {
        let Some(totals) = summary.classes.get(&class) else {
            continue;
        };
        let mut reasons: Vec<_> = totals.reasons.iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (reason, count) in reasons {
            writeln!(
                out,
                "  {:<12} {:>8}  {reason}",
                class.as_str(),
                thousands(*count)
            )?;
        }
    }
    writeln!(out)?;
    writeln!(out, "flips against {against}")?;
    for flip in Flip::ALL {
        let label = match flip {
            Flip::Break => "would break (allow -> forbid)",
            Flip::Widen => "would widen (forbid -> allow)",
            other => other.as_str(),
        };
        if !summary.baseline && matches!(flip, Flip::Authorizer | Flip::Reason) {
            continue;
        }
        writeln!(
            out,
            "  {label:<32}{:>10}",
            thousands(summary.flip_count(flip))
        )?;
    }
    type Table<'a> = (&'a str, &'a Tally, fn(&str) -> bool);
    let tables: [Table<'_>; 5] = [
        ("users", &summary.tops.users, is_system_identity),
        (
            "service accounts",
            &summary.tops.service_accounts,
            is_system_identity,
        ),
        ("verbs", &summary.tops.verbs, |_| false),
        ("resources", &summary.tops.resources, |_| false),
        ("namespaces", &summary.tops.namespaces, is_system_namespace),
    ];
    if summary.flip_count(Flip::Break) + summary.flip_count(Flip::Widen) > 0 {
        writeln!(out)?;
        writeln!(
            out,
            "among decision flips (! marks system identities and namespaces)"
        )?;
        for (name, tally, flagged) in tables {
            let top = tally.top(TOP, flagged);
            if top.is_empty() {
                continue;
            }
            let cells: Vec<String> = top
                .iter()
                .map(|(k, n, f)| format!("{}{k} {}", if *f { "!" } else { "" }, thousands(*n)))
                .collect();
            writeln!(out, "  {name:<18}{}", cells.join(", "))?;
        }
    }
    for flip in Flip::ALL {
        let Some(samples) = summary.samples.get(&flip).filter(|s| !s.is_empty()) else {
            continue;
        };
        writeln!(out)?;
        writeln!(
            out,
            "{} (first {} of {})",
            flip.as_str(),
            samples.len(),
            thousands(summary.flip_count(flip))
        )?;
        for sample in samples {
            sample_line(sample, out)?;
        }
    }
    if !summary.disagreements.is_empty() {
        writeln!(out)?;
        let side = if summary.baseline {
            "the baseline"
        } else {
            "the candidate"
        };
        writeln!(
            out,
            "disagreements of {side} with the log (first {})",
            summary.disagreements.len()
        )?;
        for sample in &summary.disagreements {
            sample_line(sample, out)?;
        }
    }
    if !summary.malformed_samples.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "malformed entries (first {})",
            summary.malformed_samples.len()
        )?;
        for m in &summary.malformed_samples {
            writeln!(out, "  {}:{}: {}: {}", m.source, m.line, m.error, m.sample)?;
        }
    }
    writeln!(out)?;
    write!(
        out,
        "{:.2} s, {} log entries/s",
        summary.seconds,
        thousands(summary.events_per_second as u64)
    )?;
    if let Some(peak) = summary.peak_memory_bytes {
        write!(out, ", peak memory {} MiB", peak >> 20)?;
    }
    writeln!(out)
}

fn sample_line(sample: &Sample, out: &mut dyn Write) -> io::Result<()> {
    let who = match &sample.impersonated_user {
        Some(imp) => format!("{} as {imp}", sample.user),
        None => sample.user.clone(),
    };
    let namespace = if sample.namespace.is_empty() {
        String::new()
    } else {
        format!(" -n {}", sample.namespace)
    };
    let decision = |d: Option<super::record::Recorded>| d.map_or("-", |d| d.as_str());
    writeln!(
        out,
        "  {} {} {who}: {} {}{namespace}: {} -> {} [{}]",
        sample.time,
        sample.audit_id,
        sample.verb,
        sample.target,
        decision(sample.before),
        decision(sample.after),
        sample.class.as_str(),
    )?;
    if let Some(reason) = sample.after_reason.as_deref().filter(|r| !r.is_empty()) {
        writeln!(out, "      now: {}", reason.replace('\n', " | "))?;
    }
    if let Some(reason) = sample.before_reason.as_deref().filter(|r| !r.is_empty()) {
        writeln!(out, "      was: {}", reason.replace('\n', " | "))?;
    }
    Ok(())
}
