//! Errors that stop a replay before it starts or while writing its output. Problems with the
//! log itself (malformed lines, unreadable members of a rotated set) never stop it: they are
//! counted and sampled in the report.

use thiserror::Error;

/// Why a replay could not run.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// A `LOG` argument cannot be read.
    #[error("cannot read `{path}`: {source}")]
    Input {
        /// The argument.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// No `LOG` argument.
    #[error("no audit log given (use `-` for standard input)")]
    NoInput,
    /// Writing the output failed (a closed pipe, a full disk).
    #[error("writing the report: {0}")]
    Output(#[from] std::io::Error),
    /// A worker thread could not be started.
    #[error("starting a replay thread: {0}")]
    Thread(std::io::Error),
}
