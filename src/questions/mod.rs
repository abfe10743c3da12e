//! The operators' questions: explain, who-can, access-matrix. Each is asked of the authorizers
//! the configured chain is built from, over the same state and indexes `serve` decides with, so
//! an answer can never disagree with a decision; this layer only parses the question and presents
//! the answer (text for people, JSON for scripts).

pub mod access_matrix;
pub mod explain;
pub mod who_can;
