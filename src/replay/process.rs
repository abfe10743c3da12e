//! The work done for each document, on a worker thread: decode, reconstruct, ask the candidate
//! (and the baseline), classify, compare.

use super::evaluate::Evaluator;
use super::event::{self, Stage};
use super::reconstruct::{self, notes};
use super::record::{Class, Record, Replayed, flip_against_log, flip_between};
use super::summary::Malformed;

/// The chains a replay asks.
#[derive(Clone, Debug)]
pub struct Chains {
    /// The candidate configuration and state.
    pub candidate: Evaluator,
    /// The baseline, when one is given.
    pub baseline: Option<Evaluator>,
    /// Webhook steps answer NoOpinion without being called (`--webhooks skip`) rather than an
    /// assumed answer; only changes how such decisions are labelled.
    pub webhooks_skipped: bool,
}

/// What a document became.
#[derive(Debug)]
pub enum Item {
    /// A replayed (or unreplayable) event.
    Record(Box<Record>),
    /// Not an event.
    Malformed(Malformed),
}

/// Turns one JSON document into an [`Item`]; never panics on log data.
pub fn process(bytes: &[u8], origin: (u32, u64), source: &str, chains: &Chains) -> Item {
    let event = match event::decode(bytes) {
        Ok(event) => event,
        Err(error) => {
            return Item::Malformed(malformed(source, origin.1, error.to_string(), bytes));
        }
    };
    let stage = event.stage.as_deref().and_then(Stage::parse);
    let reconstruction = match stage {
        Some(stage) => reconstruct::reconstruct(&event, stage),
        None => reconstruct::Reconstruction {
            plan: reconstruct::Plan::Nothing,
            class: Class::Unreplayable,
            note: Some(notes::UNKNOWN_STAGE),
            recorded: reconstruct::recorded(&event),
        },
    };
    let candidate = chains.candidate.replay(&reconstruction.plan);
    let baseline = chains
        .baseline
        .as_ref()
        .and_then(|b| b.replay(&reconstruction.plan));
    let (mut class, mut note) = (reconstruction.class, reconstruction.note);
    if class == Class::Exact {
        let sides = || candidate.iter().chain(baseline.iter());
        if sides().any(|r: &Replayed| r.stand_in.is_some()) {
            class = Class::Approximated;
            note = Some(if chains.webhooks_skipped {
                notes::WEBHOOK_SKIPPED
            } else {
                notes::WEBHOOK_ASSUMED
            });
        } else if sides().any(|r| r.ambiguous) {
            class = Class::Approximated;
            note = Some(notes::AMBIGUOUS_GROUPS);
        }
    }
    let flip = match (&baseline, &candidate) {
        (Some(b), Some(c)) => flip_between(b, c),
        (None, Some(c)) if chains.baseline.is_none() => {
            flip_against_log(reconstruction.recorded, c)
        }
        _ => None,
    };
    let (resource, namespace, path) = reconstruct::describe(&event);
    let text =
        |t: &Option<event::Text<'_>>| -> Box<str> { t.as_deref().unwrap_or_default().into() };
    Item::Record(Box::new(Record {
        audit_id: text(&event.audit_id),
        stage: stage.unwrap_or(Stage::RequestReceived),
        time: text(&event.request_received_timestamp),
        origin,
        user: event
            .user
            .as_ref()
            .map_or_else(Box::default, |u| text(&u.username)),
        impersonated: event.impersonated_user.as_ref().map(|u| text(&u.username)),
        verb: text(&event.verb),
        resource: resource.into(),
        namespace: namespace.into(),
        path: path.into(),
        recorded: reconstruction.recorded,
        candidate,
        baseline,
        class,
        note,
        flip,
    }))
}

/// A malformed entry with a printable sample of its first bytes.
pub fn malformed(source: &str, line: u64, error: String, bytes: &[u8]) -> Malformed {
    let sample = &bytes[..bytes.len().min(super::frame::SAMPLE_BYTES)];
    Malformed {
        source: source.to_owned(),
        line,
        error,
        sample: String::from_utf8_lossy(sample).into_owned(),
    }
}
