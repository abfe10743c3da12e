//! Placeholder until the CEL checker lands.
use thiserror::Error;

/// A compiled matchCondition.
#[derive(Debug)]
pub struct CompiledCondition {
    /// Whether a fieldSelector is referenced.
    pub uses_field_selector: bool,
    /// Whether a labelSelector is referenced.
    pub uses_label_selector: bool,
}

/// A compile error.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CompileError {
    /// Invalid expression.
    #[error("{detail}")]
    Invalid {
        /// Detail.
        detail: String,
    },
    /// Internal error.
    #[error("{detail}")]
    Internal {
        /// Detail.
        detail: String,
    },
}

/// Compiles.
pub fn compile_match_condition(_expression: &str) -> Result<CompiledCondition, CompileError> {
    Ok(CompiledCondition {
        uses_field_selector: false,
        uses_label_selector: false,
    })
}
