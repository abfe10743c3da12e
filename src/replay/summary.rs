//! The totals a replay reports, built one record at a time in bounded memory: counts per class
//! and reason, agreement with the log, flips by kind with the first samples of each (in log
//! order, so the same log gives the same samples), and the identities, verbs, resources and
//! namespaces that decisions flip for.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::record::{Class, Flip, Record, Recorded};

/// At most this many distinct values are counted per table; the rest go to `(other)`.
const MAX_KEYS: usize = 100_000;

/// How many samples of each flip kind to keep, unless told otherwise.
pub const DEFAULT_SAMPLES: usize = 10;

/// One class's numbers.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClassTotals {
    /// Events in the class.
    pub events: u64,
    /// Why, for approximated and unreplayable events.
    pub reasons: BTreeMap<&'static str, u64>,
    /// The candidate agrees with the recorded decision.
    pub agree: u64,
    /// The candidate disagrees with the recorded decision.
    pub disagree: u64,
    /// With a baseline: the baseline agrees with the recorded decision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_agree: Option<u64>,
    /// With a baseline: the baseline disagrees with the recorded decision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_disagree: Option<u64>,
    /// Replayed events with no decision in the log.
    pub unrecorded: u64,
}

/// A flip or disagreement shown as an example.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sample {
    /// The auditID.
    #[serde(rename = "auditID")]
    pub audit_id: String,
    /// When the request arrived.
    pub time: String,
    /// The authenticated user.
    pub user: String,
    /// The impersonated user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impersonated_user: Option<String>,
    /// The verb.
    pub verb: String,
    /// `resource[.group][/subresource]` or the non-resource path.
    pub target: String,
    /// The namespace.
    pub namespace: String,
    /// The decision before: recorded, or the baseline's.
    pub before: Option<Recorded>,
    /// The candidate's decision.
    pub after: Option<Recorded>,
    /// The reason before (the baseline's), when known.
    pub before_reason: Option<String>,
    /// The candidate's reason.
    pub after_reason: Option<String>,
    /// The class.
    pub class: Class,
}

impl Sample {
    fn of(record: &Record) -> Self {
        let before = match &record.baseline {
            Some(b) => Some(b.decision),
            None => record.recorded,
        };
        Sample {
            audit_id: record.audit_id.to_string(),
            time: record.time.to_string(),
            user: record.user.to_string(),
            impersonated_user: record.impersonated.as_deref().map(str::to_owned),
            verb: record.verb.to_string(),
            target: if record.resource.is_empty() {
                record.path.to_string()
            } else {
                record.resource.to_string()
            },
            namespace: record.namespace.to_string(),
            before,
            after: record.candidate.as_ref().map(|c| c.decision),
            before_reason: record.baseline.as_ref().map(|b| b.reason.to_string()),
            after_reason: record.candidate.as_ref().map(|c| c.reason.to_string()),
            class: record.class,
        }
    }
}

/// A malformed entry, kept as a sample.
#[derive(Clone, Debug, Serialize)]
pub struct Malformed {
    /// The source's name.
    pub source: String,
    /// The line it started on.
    pub line: u64,
    /// What was wrong.
    pub error: String,
    /// Its first bytes.
    pub sample: String,
}

/// Counts of a value among decision flips.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(transparent)]
pub struct Tally(HashMap<String, u64>);

impl Tally {
    fn add(&mut self, key: &str) {
        if let Some(n) = self.0.get_mut(key) {
            *n += 1;
        } else if self.0.len() < MAX_KEYS {
            self.0.insert(key.to_owned(), 1);
        } else {
            *self.0.entry("(other)".to_owned()).or_default() += 1;
        }
    }

    /// The `n` most frequent values, `flagged` ones first, then by count and name.
    pub fn top(&self, n: usize, flagged: impl Fn(&str) -> bool) -> Vec<(&str, u64, bool)> {
        let mut all: Vec<(&str, u64, bool)> = self
            .0
            .iter()
            .map(|(k, v)| (k.as_str(), *v, flagged(k)))
            .collect();
        all.sort_by(|a, b| b.2.cmp(&a.2).then(b.1.cmp(&a.1)).then(a.0.cmp(b.0)));
        all.truncate(n);
        all
    }
}

/// Identities whose loss can break a cluster: everything under `system:` (nodes, controllers,
/// the control plane's service accounts).
pub fn is_system_identity(name: &str) -> bool {
    name.starts_with("system:")
}

/// Namespaces the control plane lives in.
pub fn is_system_namespace(name: &str) -> bool {
    name.starts_with("kube-")
}

/// Among decision flips: who and what.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tops {
    /// Effective users (the impersonated user when there is one).
    pub users: Tally,
    /// Effective users that are service accounts.
    pub service_accounts: Tally,
    /// Verbs.
    pub verbs: Tally,
    /// Resources (`pods/log`, `deployments.apps`) and non-resource paths.
    pub resources: Tally,
    /// Namespaces of namespaced requests.
    pub namespaces: Tally,
}

/// Everything a replay reports.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Sources read.
    pub sources: Vec<String>,
    /// JSON documents read (events and others).
    pub documents: u64,
    /// Malformed entries skipped.
    pub malformed: u64,
    /// The first malformed entries.
    pub malformed_samples: Vec<Malformed>,
    /// Events merged into another stage of the same auditID.
    pub merged: u64,
    /// Requests reported (one per auditID).
    pub requests: u64,
    /// Per class.
    pub classes: BTreeMap<Class, ClassTotals>,
    /// Whether a baseline chain was replayed too.
    pub baseline: bool,
    /// Flips by kind (against the baseline, or the log without one).
    pub flips: BTreeMap<Flip, u64>,
    /// The first samples of each flip kind.
    pub samples: BTreeMap<Flip, Vec<Sample>>,
    /// The first events whose replayed decision disagrees with the log: the baseline's when
    /// there is one (it stands for the policy the log was recorded under), else the candidate's.
    pub disagreements: Vec<Sample>,
    /// Who and what decision flips (break, widen) are about.
    pub tops: Tops,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Log entries (documents) per second.
    pub events_per_second: f64,
    /// The process's peak resident memory, where the platform tells it.
    pub peak_memory_bytes: Option<u64>,
    #[serde(skip)]
    max_samples: usize,
}

impl Summary {
    /// An empty summary keeping `max_samples` samples per kind.
    pub fn new(max_samples: usize, baseline: bool) -> Self {
        let mut summary = Summary {
            max_samples,
            baseline,
            ..Summary::default()
        };
        for class in [Class::Exact, Class::Approximated, Class::Unreplayable] {
            summary.classes.insert(class, ClassTotals::default());
        }
        for flip in Flip::ALL {
            summary.flips.insert(flip, 0);
        }
        summary
    }

    /// Counts a malformed entry.
    pub fn malformed(&mut self, entry: Malformed) {
        self.malformed += 1;
        if self.malformed_samples.len() < self.max_samples.max(1) {
            self.malformed_samples.push(entry);
        }
    }

    /// Counts one final record.
    pub fn add(&mut self, record: &Record) {
        self.requests += 1;
        let totals = self.classes.entry(record.class).or_default();
        totals.events += 1;
        if let Some(note) = record.note {
            *totals.reasons.entry(note).or_default() += 1;
        }
        match record.agrees() {
            Some(true) => totals.agree += 1,
            Some(false) => totals.disagree += 1,
            None if record.candidate.is_some() => totals.unrecorded += 1,
            None => {}
        }
        if self.baseline {
            let (agree, disagree) = match record.baseline_agrees() {
                Some(true) => (1, 0),
                Some(false) => (0, 1),
                None => (0, 0),
            };
            *totals.baseline_agree.get_or_insert(0) += agree;
            *totals.baseline_disagree.get_or_insert(0) += disagree;
        }
        let reference = if self.baseline {
            record.baseline_agrees()
        } else {
            record.agrees()
        };
        if reference == Some(false) && self.disagreements.len() < self.max_samples {
            self.disagreements.push(Sample::of(record));
        }
        let Some(flip) = record.flip else { return };
        *self.flips.entry(flip).or_default() += 1;
        let samples = self.samples.entry(flip).or_default();
        if samples.len() < self.max_samples {
            samples.push(Sample::of(record));
        }
        if matches!(flip, Flip::Break | Flip::Widen) {
            let user = record.effective_user();
            self.tops.users.add(user);
            if user.starts_with("system:serviceaccount:") {
                self.tops.service_accounts.add(user);
            }
            self.tops.verbs.add(&record.verb);
            self.tops.resources.add(if record.resource.is_empty() {
                &record.path
            } else {
                &record.resource
            });
            if !record.namespace.is_empty() {
                self.tops.namespaces.add(&record.namespace);
            }
        }
    }

    /// The number of flips of `kind`.
    pub fn flip_count(&self, kind: Flip) -> u64 {
        self.flips.get(&kind).copied().unwrap_or(0)
    }
}
