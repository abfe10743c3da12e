//! Label selectors: apimachinery `labels.Parse`, `labels.NewRequirement` and
//! `Requirement.String`, with the same grammar, validation and messages.

use std::collections::BTreeSet;
use std::fmt;

use super::err::SelectorError;
use super::label_lexer::{Lexer, ScannedItem, Token};
use super::validation::{is_qualified_name, is_valid_label_value};
use crate::field::{BadValue, FieldError};
use crate::go::sort_slice;

/// A label selector operator (`selection.Operator` as used by `labels`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LabelOperator {
    /// `=`
    Equals,
    /// `==`
    DoubleEquals,
    /// `in`
    In,
    /// `!=`
    NotEquals,
    /// `notin`
    NotIn,
    /// `exists` (a bare key)
    Exists,
    /// `!` (a `!key`)
    DoesNotExist,
    /// `gt` (`>`)
    GreaterThan,
    /// `lt` (`<`)
    LessThan,
}

impl LabelOperator {
    /// The `selection.Operator` string value (`"="`, `"in"`, `"!"`, `"gt"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            LabelOperator::Equals => "=",
            LabelOperator::DoubleEquals => "==",
            LabelOperator::In => "in",
            LabelOperator::NotEquals => "!=",
            LabelOperator::NotIn => "notin",
            LabelOperator::Exists => "exists",
            LabelOperator::DoesNotExist => "!",
            LabelOperator::GreaterThan => "gt",
            LabelOperator::LessThan => "lt",
        }
    }
}

impl fmt::Display for LabelOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One label requirement (`labels.Requirement`).
///
/// `values` is stored as given: `NewRequirement` does not sort. The parser
/// builds values from a set, so parsed requirements have sorted, de-duplicated
/// values; SubjectAccessReview `requirements` keep the caller's order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LabelRequirement {
    /// The label key.
    pub key: String,
    /// The operator.
    pub operator: LabelOperator,
    /// The values (empty for Exists / DoesNotExist).
    pub values: Vec<String>,
}

impl LabelRequirement {
    /// `labels.NewRequirement(key, op, values)` without a field path: validates the
    /// key, the operator's arity and every value. An empty `values` is treated as a
    /// nil slice (it renders as `null` in errors).
    pub fn new(
        key: impl Into<String>,
        operator: LabelOperator,
        values: Vec<String>,
    ) -> Result<Self, SelectorError> {
        let key = key.into();
        let mut errs = Vec::new();
        if let Some(e) = validate_label_key(&key, "key") {
            errs.push(e);
        }
        let list = || {
            BadValue::List(if values.is_empty() {
                None
            } else {
                Some(values.clone())
            })
        };
        let arity = |msg: &str| FieldError::invalid_value("values", list(), msg);
        match operator {
            LabelOperator::In | LabelOperator::NotIn if values.is_empty() => {
                errs.push(arity(
                    "for 'in', 'notin' operators, values set can't be empty",
                ));
            }
            LabelOperator::Equals | LabelOperator::DoubleEquals | LabelOperator::NotEquals
                if values.len() != 1 =>
            {
                errs.push(arity("exact-match compatibility requires one single value"));
            }
            LabelOperator::Exists | LabelOperator::DoesNotExist if !values.is_empty() => {
                errs.push(arity(
                    "values set must be empty for exists and does not exist",
                ));
            }
            LabelOperator::GreaterThan | LabelOperator::LessThan => {
                if values.len() != 1 {
                    errs.push(arity(
                        "for 'Gt', 'Lt' operators, exactly one value is required",
                    ));
                }
                for (i, v) in values.iter().enumerate() {
                    if v.parse::<i64>().is_err() {
                        errs.push(FieldError::invalid_value(
                            format!("values[{i}]"),
                            BadValue::Str(v.clone()),
                            "for 'Gt', 'Lt' operators, the value must be an integer",
                        ));
                    }
                }
            }
            _ => {}
        }
        for (i, v) in values.iter().enumerate() {
            let msgs = is_valid_label_value(v);
            if !msgs.is_empty() {
                errs.push(FieldError::invalid_value(
                    format!("values[{i}][{key}]"),
                    BadValue::Str(v.clone()),
                    msgs.join("; "),
                ));
            }
        }
        match SelectorError::from_field_errors(errs) {
            Some(e) => Err(e),
            None => Ok(LabelRequirement {
                key,
                operator,
                values,
            }),
        }
    }

    /// `Requirement.String()`: e.g. `x in (a,b)`, `!x`, `x!=y`; multiple values are
    /// printed sorted without changing `values`.
    pub fn to_selector_string(&self) -> String {
        let mut out = String::new();
        if self.operator == LabelOperator::DoesNotExist {
            out.push('!');
        }
        out.push_str(&self.key);
        let (op, parens) = match self.operator {
            LabelOperator::Equals => ("=", false),
            LabelOperator::DoubleEquals => ("==", false),
            LabelOperator::NotEquals => ("!=", false),
            LabelOperator::In => (" in ", true),
            LabelOperator::NotIn => (" notin ", true),
            LabelOperator::GreaterThan => (">", false),
            LabelOperator::LessThan => ("<", false),
            LabelOperator::Exists | LabelOperator::DoesNotExist => return out,
        };
        out.push_str(op);
        if parens {
            out.push('(');
        }
        if self.values.len() == 1 {
            out.push_str(&self.values[0]);
        } else {
            let mut sorted = self.values.clone();
            sorted.sort();
            out.push_str(&sorted.join(","));
        }
        if parens {
            out.push(')');
        }
        out
    }
}

/// `internalSelector.String()`: the requirements' strings joined with `,`.
pub fn label_selector_string(requirements: &[LabelRequirement]) -> String {
    let parts: Vec<String> = requirements
        .iter()
        .map(LabelRequirement::to_selector_string)
        .collect();
    parts.join(",")
}

/// `labels.Parse(selector).Requirements()`: parses a label selector and returns its
/// requirements sorted by key with Go's (unstable) `sort.Sort(ByKey)`.
pub fn parse_label_selector(selector: &str) -> Result<Vec<LabelRequirement>, SelectorError> {
    let mut parser = Parser {
        items: Lexer::new(selector).scan_all(),
        position: 0,
    };
    let mut requirements = parser.parse()?;
    sort_slice(&mut requirements, |a, b| a.key < b.key);
    Ok(requirements)
}

/// `validateLabelKey(k, path)`: one error with the joined messages.
fn validate_label_key(key: &str, path: &str) -> Option<FieldError> {
    let msgs = is_qualified_name(key);
    if msgs.is_empty() {
        None
    } else {
        Some(FieldError::invalid_value(
            path,
            BadValue::Str(key.to_string()),
            msgs.join("; "),
        ))
    }
}

/// Parser context: in `Values`, the keywords `in` / `notin` are identifiers.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Context {
    KeyAndOperator,
    Values,
}

/// The recursive-descent label selector parser (`labels.Parser`).
pub(super) struct Parser {
    pub(super) items: Vec<ScannedItem>,
    pub(super) position: usize,
}

fn syntax(found: String, expected: &'static str) -> SelectorError {
    SelectorError::LabelSyntax { found, expected }
}

impl Parser {
    fn item(&self, index: usize, context: Context) -> (Token, String) {
        let (mut tok, lit) = match self.items.get(index) {
            Some(item) => (item.tok, item.literal.clone()),
            None => (Token::EndOfString, String::new()),
        };
        if context == Context::Values && matches!(tok, Token::In | Token::NotIn) {
            tok = Token::Identifier;
        }
        (tok, lit)
    }

    /// The current token, without advancing.
    pub(super) fn lookahead(&self, context: Context) -> (Token, String) {
        self.item(self.position, context)
    }

    /// The current token, advancing past it.
    pub(super) fn consume(&mut self, context: Context) -> (Token, String) {
        self.position += 1;
        self.item(self.position - 1, context)
    }

    fn parse(&mut self) -> Result<Vec<LabelRequirement>, SelectorError> {
        let mut requirements = Vec::new();
        loop {
            let (tok, lit) = self.lookahead(Context::Values);
            match tok {
                Token::Identifier | Token::DoesNotExist => {
                    let r = self
                        .parse_requirement()
                        .map_err(|e| SelectorError::Requirement(Box::new(e)))?;
                    requirements.push(r);
                    let (t, l) = self.consume(Context::Values);
                    match t {
                        Token::EndOfString => return Ok(requirements),
                        Token::Comma => {
                            let (t2, l2) = self.lookahead(Context::Values);
                            if t2 != Token::Identifier && t2 != Token::DoesNotExist {
                                return Err(syntax(l2, "identifier after ','"));
                            }
                        }
                        _ => return Err(syntax(l, "',' or 'end of string'")),
                    }
                }
                Token::EndOfString => return Ok(requirements),
                _ => return Err(syntax(lit, "!, identifier, or 'end of string'")),
            }
        }
    }

    fn parse_requirement(&mut self) -> Result<LabelRequirement, SelectorError> {
        let (key, inferred) = self.parse_key_and_infer_operator()?;
        if let Some(op) = inferred {
            return LabelRequirement::new(key, op, Vec::new());
        }
        let operator = self.parse_operator()?;
        let values = match operator {
            LabelOperator::In | LabelOperator::NotIn => self.parse_values()?,
            _ => self.parse_exact_value()?,
        };
        LabelRequirement::new(key, operator, values.into_iter().collect())
    }

    /// Returns the key and `Some(Exists | DoesNotExist)` when no binary operator follows.
    fn parse_key_and_infer_operator(
        &mut self,
    ) -> Result<(String, Option<LabelOperator>), SelectorError> {
        let mut operator = None;
        let (mut tok, mut literal) = self.consume(Context::Values);
        if tok == Token::DoesNotExist {
            operator = Some(LabelOperator::DoesNotExist);
            (tok, literal) = self.consume(Context::Values);
        }
        if tok != Token::Identifier {
            return Err(syntax(literal, "identifier"));
        }
        if let Some(e) = validate_label_key(&literal, "<nil>") {
            return Err(SelectorError::Field(e));
        }
        let (t, _) = self.lookahead(Context::Values);
        if (t == Token::EndOfString || t == Token::Comma)
            && operator != Some(LabelOperator::DoesNotExist)
        {
            operator = Some(LabelOperator::Exists);
        }
        Ok((literal, operator))
    }

    fn parse_operator(&mut self) -> Result<LabelOperator, SelectorError> {
        let (tok, lit) = self.consume(Context::KeyAndOperator);
        Ok(match tok {
            Token::In => LabelOperator::In,
            Token::Equals => LabelOperator::Equals,
            Token::DoubleEquals => LabelOperator::DoubleEquals,
            Token::GreaterThan => LabelOperator::GreaterThan,
            Token::LessThan => LabelOperator::LessThan,
            Token::NotIn => LabelOperator::NotIn,
            Token::NotEquals => LabelOperator::NotEquals,
            _ => return Err(syntax(lit, "in, notin, =, ==, !=, gt, lt")),
        })
    }

    fn parse_values(&mut self) -> Result<BTreeSet<String>, SelectorError> {
        let (tok, lit) = self.consume(Context::Values);
        if tok != Token::OpenPar {
            return Err(SelectorError::LabelExpectedOpenParen { found: lit });
        }
        let (tok, lit) = self.lookahead(Context::Values);
        match tok {
            Token::Identifier | Token::Comma => {
                let set = self.parse_identifiers_list()?;
                let (closing, _) = self.consume(Context::Values);
                if closing != Token::ClosedPar {
                    return Err(syntax(lit, "')'"));
                }
                Ok(set)
            }
            Token::ClosedPar => {
                self.consume(Context::Values);
                Ok(BTreeSet::from([String::new()]))
            }
            _ => Err(syntax(lit, "',', ')' or identifier")),
        }
    }

    fn parse_identifiers_list(&mut self) -> Result<BTreeSet<String>, SelectorError> {
        let mut set = BTreeSet::new();
        loop {
            let (tok, lit) = self.consume(Context::Values);
            match tok {
                Token::Identifier => {
                    set.insert(lit);
                    let (tok2, lit2) = self.lookahead(Context::Values);
                    match tok2 {
                        Token::Comma => continue,
                        Token::ClosedPar => return Ok(set),
                        _ => return Err(syntax(lit2, "',' or ')'")),
                    }
                }
                Token::Comma => {
                    if set.is_empty() {
                        set.insert(String::new());
                    }
                    let (tok2, _) = self.lookahead(Context::Values);
                    if tok2 == Token::ClosedPar {
                        set.insert(String::new());
                        return Ok(set);
                    }
                    if tok2 == Token::Comma {
                        self.consume(Context::Values);
                        set.insert(String::new());
                    }
                }
                _ => return Err(syntax(lit, "',', or identifier")),
            }
        }
    }

    fn parse_exact_value(&mut self) -> Result<BTreeSet<String>, SelectorError> {
        let (tok, _) = self.lookahead(Context::Values);
        if tok == Token::EndOfString || tok == Token::Comma {
            return Ok(BTreeSet::from([String::new()]));
        }
        let (tok, lit) = self.consume(Context::Values);
        if tok == Token::Identifier {
            Ok(BTreeSet::from([lit]))
        } else {
            Err(syntax(lit, "identifier"))
        }
    }
}
