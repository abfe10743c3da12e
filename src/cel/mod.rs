//! Compilation of Kubernetes authorization `matchConditions` CEL expressions,
//! exactly as kube-apiserver 1.36 does it at configuration load: parsing
//! (the `cel` crate's parser plus the environment's macros), static type
//! checking against the `request` schema and the libraries of kube-apiserver's
//! base CEL environment, cel-go's AST validators, the `bool` result check and
//! the constant-folding checks of program instantiation. Error details match
//! kube-apiserver's text (`compilation failed: ERROR: <input>:L:C: ...`,
//! `must evaluate to bool but got T`, `program instantiation failed: ...`).
//!
//! Evaluation ([`CompiledCondition::evaluate`], [`Matcher`]) runs the planned
//! program with cel-go's runtime semantics, error texts and cost limit,
//! against a borrowed view of the request ([`SarView`]).

mod checker;
mod compile;
mod cost;
mod dispatch;
mod error;
mod eval;
mod ext_types;
mod fn_format;
mod fn_lists;
mod fn_net;
mod fn_quantity;
mod fn_regex;
mod fn_semver_format;
mod fn_std;
mod fn_strings;
mod fn_time;
mod fn_url;
mod fold;
mod golang;
mod goregex;
mod macros;
mod matcher;
mod overload;
mod program;
mod quantity;
mod request;
mod stdlib;
pub mod types;
mod unicode_names;
mod unify;
mod validators;
mod value;

#[cfg(test)]
mod eval_tests;
#[cfg(test)]
mod eval_unit_tests;
#[cfg(test)]
mod library_tables;
#[cfg(test)]
mod tests;

pub use compile::{CompileError, CompiledCondition, compile_match_condition};
pub use error::{COST_LIMIT_EXCEEDED, EvalError};
pub use eval::COST_LIMIT;
pub use matcher::{MatchOutcome, MatchStats, Matcher};
pub use request::{NonResourceView, RequirementView, ResourceView, SarView, empty_extra};
pub use types::Type;
