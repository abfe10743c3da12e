//! `replay`: Kubernetes audit logs through a candidate chain, to see which decisions an
//! authorization change would flip before it is rolled out.
//!
//! Events are read as a stream (files, rotated directories, standard input; plain or gzip; JSON
//! lines, concatenated JSON or lists), merged to one per auditID in a bounded window, turned back
//! into the [`Request`](crate::authz::Request)s kube-apiserver authorized (impersonation checks
//! included), asked of the same chain `serve` builds, and compared with the recorded decision and
//! with a baseline chain. Each event is classified exact, approximated or unreplayable, with the
//! reason.
//!
//! Parts, in pipeline order:
//! * [`input`]: sources, gzip by content, rotated sets in order;
//! * [`frame`]: byte stream to JSON documents, malformed input skipped;
//! * [`event`]: the audit event, decoded with borrowed strings;
//! * [`uri`], [`forbidden`], [`identity`], [`impersonation`], [`reconstruct`]: event to
//!   requests;
//! * [`evaluate`]: asking a chain; [`process`]: one document end to end;
//! * [`dedupe`]: one record per auditID; [`record`]: a replayed event and its flip;
//! * [`summary`], [`render`]: totals and the report; [`run`](run()): the threads.

pub mod dedupe;
mod err;
pub mod evaluate;
pub mod event;
pub mod forbidden;
pub mod frame;
pub mod identity;
pub mod impersonation;
pub mod input;
pub mod process;
pub mod reconstruct;
pub mod record;
pub mod render;
mod run;
pub mod summary;
pub mod uri;

pub use err::ReplayError;
pub use evaluate::Evaluator;
pub use input::{Source, expand};
pub use process::Chains;
pub use record::{Class, Flip, Record, Recorded};
pub use run::{Options, Output, run};
pub use summary::Summary;
