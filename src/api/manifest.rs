//! One object read from a manifest file: the unit cluster state is loaded in, and what the
//! authorizers' indexes (the Node graph) decode their input types from.

use std::path::PathBuf;

use serde_json::Value;

/// One object found in a manifest, with where it came from.
#[derive(Clone, Debug)]
pub struct Manifest {
    /// `kind` (for items of a typed list without one, the list's kind minus `List`).
    pub kind: String,
    /// `apiVersion`.
    pub api_version: String,
    /// The whole object.
    pub object: Value,
    /// The file it was read from.
    pub file: PathBuf,
    /// The 1-based document number within the file.
    pub document: usize,
}
