//! Field selectors: apimachinery `fields.ParseSelector(...).Requirements()`,
//! with `\` escaping of `\`, `,` and `=` in values.

use std::fmt;

use super::err::SelectorError;

/// A field requirement operator (`selection.Operator` as used by `fields`).
///
/// `fields.ParseSelector` only produces [`FieldOperator::Equals`] (for both `=` and
/// `==`) and [`FieldOperator::NotEquals`]; SubjectAccessReview conversion produces
/// the same two. The other variants mirror the rest of `selection.Operator` so the
/// webhook mapping ([`super::sar::field_requirements_to_api`]) can be exercised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldOperator {
    /// `=`
    Equals,
    /// `==`
    DoubleEquals,
    /// `!=`
    NotEquals,
    /// `in`
    In,
    /// `notin`
    NotIn,
    /// `exists`
    Exists,
    /// `!`
    DoesNotExist,
    /// `gt`
    GreaterThan,
    /// `lt`
    LessThan,
}

impl FieldOperator {
    /// The `selection.Operator` string value.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldOperator::Equals => "=",
            FieldOperator::DoubleEquals => "==",
            FieldOperator::NotEquals => "!=",
            FieldOperator::In => "in",
            FieldOperator::NotIn => "notin",
            FieldOperator::Exists => "exists",
            FieldOperator::DoesNotExist => "!",
            FieldOperator::GreaterThan => "gt",
            FieldOperator::LessThan => "lt",
        }
    }
}

impl fmt::Display for FieldOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One field requirement (`fields.Requirement`); `value` is unescaped.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldRequirement {
    /// The field path, e.g. `spec.nodeName` (never unescaped by apimachinery).
    pub field: String,
    /// The operator.
    pub operator: FieldOperator,
    /// The literal value.
    pub value: String,
}

/// `fields.ParseSelector(selector)` followed by `.Requirements()`.
///
/// Terms are split on unescaped commas, sorted as raw strings (byte order, before
/// unescaping), each split at its first `!=`, `==` or `=`; the value is unescaped.
/// `==` yields [`FieldOperator::Equals`]. Terms with an empty field and an empty
/// value are dropped (the identity transform turns them into "everything").
pub fn parse_field_selector(selector: &str) -> Result<Vec<FieldRequirement>, SelectorError> {
    let mut parts = split_terms(selector);
    parts.sort_unstable();
    let mut requirements = Vec::new();
    for part in parts {
        if part.is_empty() {
            continue;
        }
        let Some((lhs, op, rhs)) = split_term(part) else {
            return Err(SelectorError::FieldTerm {
                selector: selector.to_string(),
                term: part.to_string(),
            });
        };
        let value = unescape_field_value(rhs)?;
        let operator = if op == NOT_EQUAL {
            FieldOperator::NotEquals
        } else {
            FieldOperator::Equals
        };
        if lhs.is_empty() && value.is_empty() {
            continue;
        }
        requirements.push(FieldRequirement {
            field: lhs.to_string(),
            operator,
            value,
        });
    }
    Ok(requirements)
}

const NOT_EQUAL: &str = "!=";
const TERM_OPERATORS: [&str; 3] = [NOT_EQUAL, "==", "="];

/// `splitTerms`: the comma-separated terms; `\,` stays inside a term (escape kept).
pub(super) fn split_terms(selector: &str) -> Vec<&str> {
    if selector.is_empty() {
        return Vec::new();
    }
    let mut terms = Vec::new();
    let mut start = 0;
    let mut in_slash = false;
    for (i, c) in selector.char_indices() {
        if in_slash {
            in_slash = false;
        } else if c == '\\' {
            in_slash = true;
        } else if c == ',' {
            terms.push(&selector[start..i]);
            start = i + 1;
        }
    }
    terms.push(&selector[start..]);
    terms
}

/// `splitTerm`: `(lhs, operator, raw rhs)` split at the first recognised operator.
pub(super) fn split_term(term: &str) -> Option<(&str, &'static str, &str)> {
    for (i, _) in term.char_indices() {
        let remaining = &term[i..];
        for op in TERM_OPERATORS {
            if remaining.starts_with(op) {
                return Some((&term[..i], op, &term[i + op.len()..]));
            }
        }
    }
    None
}

/// `fields.EscapeValue`: prefixes `\`, `,` and `=` with a backslash.
pub fn escape_field_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '\\' | ',' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `fields.UnescapeValue`: reverses [`escape_field_value`], rejecting unknown
/// escapes, a trailing `\`, and unescaped `,` / `=`.
pub fn unescape_field_value(value: &str) -> Result<String, SelectorError> {
    if !value.contains(['\\', ',', '=']) {
        return Ok(value.to_string());
    }
    let mut out = String::with_capacity(value.len());
    let mut in_slash = false;
    for c in value.chars() {
        if in_slash {
            if !matches!(c, '\\' | ',' | '=') {
                return Err(SelectorError::InvalidEscapeSequence(format!("\\{c}")));
            }
            out.push(c);
            in_slash = false;
            continue;
        }
        match c {
            '\\' => in_slash = true,
            ',' | '=' => return Err(SelectorError::UnescapedRune(c)),
            _ => out.push(c),
        }
    }
    if in_slash {
        return Err(SelectorError::InvalidEscapeSequence("\\".to_string()));
    }
    Ok(out)
}

/// `Selector.String()` of parsed requirements: `field=value` / `field!=value`
/// joined with `,`, values escaped. Other operators print their operator string.
pub fn field_selector_string(requirements: &[FieldRequirement]) -> String {
    let parts: Vec<String> = requirements
        .iter()
        .map(|r| {
            format!(
                "{}{}{}",
                r.field,
                r.operator.as_str(),
                escape_field_value(&r.value)
            )
        })
        .collect();
    parts.join(",")
}
