//! The AST validators kube-apiserver's environment runs after a successful
//! type check (cel-go `ASTValidators`): homogeneous aggregate literals,
//! literal arguments of `duration()`, `timestamp()` and `matches()`, and
//! constant `string.format()` calls (cel-go `ext.Strings`).

use super::checker::{Checked, Issue};
use super::fn_strings::Strings;
use super::types::{Kind, Type};
use super::{golang, goregex};
use ::cel::common::ast::{EntryExpr, Expr, IdedExpr, LiteralValue};

/// Runs every validator over the checked expression.
pub fn validate(root: &IdedExpr, checked: &Checked) -> Vec<Issue> {
    let mut issues = Vec::new();
    homogeneous(root, checked, false, &mut issues);
    visit(root, checked, &mut |e| {
        literal_arguments(e, checked, &mut issues)
    });
    visit(root, checked, &mut |e| format_call(e, checked, &mut issues));
    issues
}

/// The children of a node in the checked AST: selects resolved as qualified
/// identifiers have none, namespaced calls lose their namespace "target".
pub fn children<'e>(e: &'e IdedExpr, checked: &Checked) -> Vec<&'e IdedExpr> {
    match &e.expr {
        Expr::Select(sel) if !checked.qualified_idents.contains(&e.id) => vec![&sel.operand],
        Expr::Call(call) => {
            let keeps = checked.calls.get(&e.id).is_none_or(|c| c.keeps_target);
            let target = call.target.as_deref().filter(|_| keeps);
            target.into_iter().chain(call.args.iter()).collect()
        }
        Expr::List(list) => list.elements.iter().collect(),
        Expr::Map(map) => map
            .entries
            .iter()
            .flat_map(|entry| match &entry.expr {
                EntryExpr::MapEntry(me) => vec![&me.key, &me.value],
                EntryExpr::StructField(f) => vec![&f.value],
            })
            .collect(),
        Expr::Struct(st) => st
            .entries
            .iter()
            .filter_map(|entry| match &entry.expr {
                EntryExpr::StructField(f) => Some(&f.value),
                EntryExpr::MapEntry(_) => None,
            })
            .collect(),
        Expr::Comprehension(c) => vec![
            &c.iter_range,
            &c.accu_init,
            &c.loop_cond,
            &c.loop_step,
            &c.result,
        ],
        _ => Vec::new(),
    }
}

/// Pre-order traversal of the checked AST.
pub fn visit<'e>(e: &'e IdedExpr, checked: &Checked, f: &mut dyn FnMut(&'e IdedExpr)) {
    f(e);
    for child in children(e, checked) {
        visit(child, checked, f);
    }
}

/// The resolved function name of a call node.
pub fn function_name<'e>(e: &'e IdedExpr, checked: &'e Checked) -> Option<&'e str> {
    match &e.expr {
        Expr::Call(call) => Some(
            checked
                .calls
                .get(&e.id)
                .map_or(call.func_name.as_str(), |c| c.function.as_str()),
        ),
        _ => None,
    }
}

/// The arguments of a call node as cel-go's checked AST has them (without
/// the receiver).
fn call_args(e: &IdedExpr) -> &[IdedExpr] {
    match &e.expr {
        Expr::Call(call) => &call.args,
        _ => &[],
    }
}

fn type_mismatch(issues: &mut Vec<Issue>, id: u64, expected: &Type, actual: &Type) {
    issues.push(Issue {
        id,
        message: format!(
            "expected type '{}' but found '{}'",
            expected.format_cel(),
            actual.format_cel()
        ),
    });
}

fn homogeneous(e: &IdedExpr, checked: &Checked, exempt: bool, issues: &mut Vec<Issue>) {
    match &e.expr {
        Expr::List(list) if !exempt => {
            let mut first: Option<Type> = None;
            for (i, elem) in list.elements.iter().enumerate() {
                let mut t = checked.type_of(elem.id);
                if list.optional_indices.contains(&i) {
                    t = t.unwrap_optional().0.clone();
                }
                match &first {
                    None => first = Some(t),
                    Some(f) if *f != t => {
                        type_mismatch(issues, elem.id, f, &t);
                        break;
                    }
                    Some(_) => {}
                }
            }
        }
        Expr::Map(map) if !exempt => {
            let mut first: Option<(Type, Type)> = None;
            for entry in &map.entries {
                let EntryExpr::MapEntry(me) = &entry.expr else {
                    continue;
                };
                let kt = checked.type_of(me.key.id);
                let mut vt = checked.type_of(me.value.id);
                if me.optional {
                    vt = vt.unwrap_optional().0.clone();
                }
                match &first {
                    None => first = Some((kt, vt)),
                    Some((fk, fv)) => {
                        if *fk != kt {
                            type_mismatch(issues, me.key.id, fk, &kt);
                        }
                        if *fv != vt {
                            type_mismatch(issues, me.value.id, fv, &vt);
                        }
                    }
                }
            }
        }
        _ => {}
    }
    // cel-go's inExemptFunction: a literal anywhere below a `format` call
    // is exempt, whatever lies between.
    let child_exempt =
        exempt || matches!(&e.expr, Expr::Call(_)) && function_name(e, checked) == Some("format");
    for child in children(e, checked) {
        homogeneous(child, checked, child_exempt, issues);
    }
}

fn literal_arguments(e: &IdedExpr, checked: &Checked, issues: &mut Vec<Issue>) {
    let Some(name @ ("duration" | "timestamp" | "matches")) = function_name(e, checked) else {
        return;
    };
    let Some(arg) = call_args(e).first() else {
        return;
    };
    let Expr::Literal(lit) = &arg.expr else {
        return;
    };
    let valid = match (name, lit) {
        ("duration", LiteralValue::String(s)) => crate::go::Duration::parse(s.inner()).is_ok(),
        ("duration", LiteralValue::Int(_)) => true,
        ("timestamp", LiteralValue::String(s)) => {
            golang::parse_rfc3339(s.inner()).is_some_and(|(secs, _)| timestamp_in_range(secs))
        }
        ("timestamp", LiteralValue::Int(i)) => timestamp_in_range(*i.inner()),
        ("matches", LiteralValue::String(s)) => goregex::check(s.inner()).is_ok(),
        _ => false,
    };
    if !valid {
        issues.push(Issue {
            id: arg.id,
            message: format!("invalid {name} argument"),
        });
    }
}

/// Whether Unix seconds are within CEL's timestamp range.
pub fn timestamp_in_range(secs: i64) -> bool {
    (golang::MIN_UNIX_SECONDS..=golang::MAX_UNIX_SECONDS).contains(&secs)
}

fn format_call(e: &IdedExpr, checked: &Checked, issues: &mut Vec<Issue>) {
    let Expr::Call(call) = &e.expr else {
        return;
    };
    let Some(resolved) = checked.calls.get(&e.id) else {
        return;
    };
    if call.func_name != "format"
        || !resolved.keeps_target
        || (!resolved.overloads.is_empty()
            && !resolved
                .overloads
                .iter()
                .any(|o| *o == Strings::StringFormat.into()))
    {
        return;
    }
    let Some(Expr::Literal(LiteralValue::String(format))) = call.target.as_deref().map(|t| &t.expr)
    else {
        return;
    };
    let [list_arg] = call.args.as_slice() else {
        return;
    };
    let Expr::List(list) = &list_arg.expr else {
        return;
    };
    let args = &list.elements;
    match check_format(format.inner().as_bytes(), args, checked) {
        Err((id, message)) => issues.push(Issue {
            id: id.unwrap_or(e.id),
            message,
        }),
        Ok(requested) if args.len() > requested => issues.push(Issue {
            id: e.id,
            message: format!(
                "too many arguments supplied to string.format (expected {requested}, got {})",
                args.len()
            ),
        }),
        Ok(_) => {}
    }
}

type FormatError = (Option<u64>, String);

/// cel-go's `parseFormatString` driven by its static `stringFormatChecker`;
/// returns the number of arguments requested.
fn check_format(f: &[u8], args: &[IdedExpr], checked: &Checked) -> Result<usize, FormatError> {
    let (mut i, mut index, mut requested) = (0usize, 0usize, 0usize);
    while i < f.len() {
        if f[i] != b'%' {
            i += 1;
            continue;
        }
        if f.get(i + 1) == Some(&b'%') {
            i += 2;
            continue;
        }
        requested += 1;
        if i + 1 >= f.len() {
            return Err((None, "unexpected end of string".to_string()));
        }
        let Some(arg) = args.get(index) else {
            return Err((None, format!("index {index} out of range")));
        };
        let (read, verb) = parse_clause(&f[i + 1..])
            .map_err(|e| (None, format!("could not parse formatting clause: {e}")))?;
        verify_clause(verb, arg, checked)
            .map_err(|(id, e)| (Some(id), format!("error during formatting: {e}")))?;
        i += 1 + read;
        index += 1;
    }
    Ok(requested)
}

fn parse_clause(s: &[u8]) -> Result<(usize, u8), String> {
    let mut i = 0;
    if s.first() == Some(&b'.') {
        i = 1;
        loop {
            match s.get(i) {
                None => {
                    return Err(
                        "error while parsing precision: could not find end of precision specifier"
                            .to_string(),
                    );
                }
                Some(c) if c.is_ascii_digit() => i += 1,
                Some(_) => break,
            }
        }
        let digits = String::from_utf8_lossy(&s[1..i]).into_owned();
        if digits.parse::<i64>().is_err() {
            let reason = if digits.is_empty() {
                "invalid syntax"
            } else {
                "value out of range"
            };
            return Err(format!(
                "error while parsing precision: error while converting precision to integer: \
                 strconv.Atoi: parsing \"{digits}\": {reason}"
            ));
        }
    }
    let verb = s.get(i).copied().unwrap_or(0);
    match verb {
        b's' | b'd' | b'f' | b'e' | b'b' | b'x' | b'X' | b'o' => Ok((i + 1, verb)),
        other => Err(format!(
            "unrecognized formatting clause \"{}\"",
            char::from(other)
        )),
    }
}

fn kind_in(t: &Type, kinds: &[Kind]) -> bool {
    *t == Type::Dyn || kinds.contains(&t.kind())
}

fn verify_clause(verb: u8, arg: &IdedExpr, checked: &Checked) -> Result<(), (u64, String)> {
    use Kind::*;
    if verb == b's' {
        return verify_string(arg, checked).map_err(|id| {
            let t = checked.type_of(id);
            (
                id,
                format!(
                    "string clause can only be used on strings, bools, bytes, ints, doubles, \
                     maps, lists, types, durations, and timestamps, was given {}",
                    t.type_name()
                ),
            )
        });
    }
    let (kinds, what): (&[Kind], &str) = match verb {
        b'd' => (&[Int, Uint], "decimal clause can only be used on integers"),
        b'f' => (
            &[Double, String],
            "fixed-point clause can only be used on doubles",
        ),
        b'e' => (
            &[Double, String],
            "scientific clause can only be used on doubles",
        ),
        b'b' => (
            &[Int, Uint, Bool],
            "only integers and bools can be formatted as binary",
        ),
        b'o' => (&[Int, Uint], "octal clause can only be used on integers"),
        _ => (
            &[Int, Uint, String, Bytes],
            "only integers, byte buffers, and strings can be formatted as hex",
        ),
    };
    let t = checked.type_of(arg.id);
    if kind_in(&t, kinds) {
        Ok(())
    } else {
        Err((arg.id, format!("{what}, was given {}", t.type_name())))
    }
}

fn verify_string(e: &IdedExpr, checked: &Checked) -> Result<(), u64> {
    use Kind::*;
    const STRINGABLE: [Kind; 12] = [
        List, Map, Int, Uint, Double, Bool, String, Timestamp, Bytes, Duration, Type, Null,
    ];
    if !kind_in(&checked.type_of(e.id), &STRINGABLE) {
        return Err(e.id);
    }
    match &e.expr {
        Expr::List(list) => list
            .elements
            .iter()
            .try_for_each(|x| verify_string(x, checked)),
        Expr::Map(map) => map.entries.iter().try_for_each(|entry| match &entry.expr {
            EntryExpr::MapEntry(me) => {
                verify_string(&me.key, checked)?;
                verify_string(&me.value, checked)
            }
            EntryExpr::StructField(_) => Ok(()),
        }),
        _ => Ok(()),
    }
}
