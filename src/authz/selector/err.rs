//! Error types whose `Display` output is byte-for-byte the text kube-apiserver
//! (apimachinery `labels`, `fields`, `util/validation/field`, `util/errors`)
//! produces for the same failure.

use crate::field::FieldError;
use crate::go::quote as go_quote;

/// Every failure of selector parsing or conversion, with apimachinery's message text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    /// A single `field.Error` (label key/value validation, `NewRequirement` arity checks).
    #[error("{0}")]
    Field(FieldError),
    /// `utilerrors.Aggregate`: one error prints as itself, several as a de-duplicated `[a, b]`.
    #[error("{}", format_aggregate(.0))]
    Aggregate(Vec<SelectorError>),
    /// Label parser wrapper around a failed requirement.
    #[error("unable to parse requirement: {0}")]
    Requirement(Box<SelectorError>),
    /// Label parser syntax error: `found '<found>', expected: <expected>`.
    #[error("found '{found}', expected: {expected}")]
    LabelSyntax {
        /// The literal that was found.
        found: String,
        /// What the parser wanted instead.
        expected: &'static str,
    },
    /// Label parser: `found '<found>' expected: '('` (no comma, as in Go).
    #[error("found '{found}' expected: '('")]
    LabelExpectedOpenParen {
        /// The literal that was found.
        found: String,
    },
    /// Field selector term without a recognised operator.
    #[error("invalid selector: '{selector}'; can't understand '{term}'")]
    FieldTerm {
        /// The whole raw selector.
        selector: String,
        /// The term that failed.
        term: String,
    },
    /// Field selector value with an unknown `\x` escape or a trailing `\`.
    #[error("invalid field selector: invalid escape sequence: {0}")]
    InvalidEscapeSequence(String),
    /// Field selector value with an unescaped `,` or `=` (Go prints the rune's number).
    #[error("invalid field selector: unescaped character in value: {}", u32::from(*.0))]
    UnescapedRune(char),
    /// SAR label requirement with an operator other than In/NotIn/Exists/DoesNotExist.
    #[error("{} is not a valid label selector operator", go_quote(.0))]
    InvalidLabelOperator(String),
    /// SAR field requirement with an unknown operator.
    #[error("{} is not a valid field selector operator", go_quote(.0))]
    InvalidFieldOperator(String),
    /// SAR field requirement with more than one value.
    #[error("fieldSelectors do not yet support multiple values")]
    FieldMultipleValues,
    /// SAR field requirement `In` without exactly one value.
    #[error("fieldSelectors in must have one value")]
    FieldInNeedsOneValue,
    /// SAR field requirement `NotIn` without exactly one value.
    #[error("fieldSelectors not in must have one value")]
    FieldNotInNeedsOneValue,
    /// SAR field requirement `Exists` / `DoesNotExist`.
    #[error("fieldSelectors do not yet support {0}")]
    FieldUnsupportedOperator(String),
}

impl SelectorError {
    /// `utilerrors.NewAggregate`: `None` for an empty list.
    pub fn aggregate(errs: Vec<SelectorError>) -> Option<SelectorError> {
        if errs.is_empty() {
            None
        } else {
            Some(SelectorError::Aggregate(errs))
        }
    }

    /// `field.ErrorList.ToAggregate`: drops repeated messages, `None` for an empty list.
    pub fn from_field_errors(errs: Vec<FieldError>) -> Option<SelectorError> {
        let mut seen: Vec<String> = Vec::new();
        let mut kept = Vec::new();
        for e in errs {
            let msg = e.to_string();
            if seen.contains(&msg) {
                continue;
            }
            seen.push(msg);
            kept.push(SelectorError::Field(e));
        }
        SelectorError::aggregate(kept)
    }

    /// Walks nested aggregates the way Go's `aggregate.visit` does.
    fn visit_messages(&self, out: &mut Vec<String>) {
        match self {
            SelectorError::Aggregate(inner) => {
                for e in inner {
                    e.visit_messages(out);
                }
            }
            other => {
                let msg = other.to_string();
                if !out.contains(&msg) {
                    out.push(msg);
                }
            }
        }
    }
}

fn format_aggregate(errs: &[SelectorError]) -> String {
    match errs {
        [] => String::new(),
        [one] => one.to_string(),
        _ => {
            let mut seen = Vec::new();
            for e in errs {
                e.visit_messages(&mut seen);
            }
            if seen.len() == 1 {
                seen.remove(0)
            } else {
                format!("[{}]", seen.join(", "))
            }
        }
    }
}
