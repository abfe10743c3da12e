//! Compilation of Kubernetes authorization `matchConditions` CEL expressions,
//! exactly as kube-apiserver 1.36 does it at configuration load: parsing
//! (the `cel` crate's parser plus the environment's macros), static type
//! checking against the `request` schema and the libraries of kube-apiserver's
//! base CEL environment, cel-go's AST validators, the `bool` result check and
//! the constant-folding checks of program instantiation. Error details match
//! kube-apiserver's text (`compilation failed: ERROR: <input>:L:C: ...`,
//! `must evaluate to bool but got T`, `program instantiation failed: ...`).
//!
//! Nothing is evaluated here; [`CompiledCondition::expr`] keeps the parsed
//! expression for evaluation.

mod checker;
mod compile;
mod ext_libs;
mod fold;
mod golang;
mod goregex;
mod k8s_libs;
mod macros;
mod stdlib;
pub mod types;
mod unicode_names;
mod unify;
mod validators;

#[cfg(test)]
mod tests;

pub use compile::{CompileError, CompiledCondition, compile_match_condition};
pub use types::Type;
