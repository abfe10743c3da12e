//! List functions: the Kubernetes lists library (v0: `isSorted`, `sum`,
//! `max`, `min`, `indexOf`, `lastIndexOf`), cel-go's `ext.Lists` (v3),
//! `ext.Sets` and the optional-type library.

use super::error::Error;
use super::value::{List, Value, compare, equals};
use std::cmp::Ordering;

type R<'a> = Result<Value<'a>, Error>;

fn list<'a, 'b>(v: Option<&'b Value<'a>>) -> Option<&'b List<'a>> {
    match v {
        Some(Value::List(l)) => Some(l),
        _ => None,
    }
}

fn sum<'a>(id: &str, l: &List<'a>) -> R<'a> {
    let mut acc = match id {
        "list_uint_sum_uint" => Value::Uint(0),
        "list_double_sum_double" => Value::Double(0.0),
        "list_duration_sum_duration" => Value::Duration(0),
        _ => Value::Int(0),
    };
    for v in l.iter() {
        let op = match (&acc, &v) {
            (Value::Int(_), Value::Int(_)) => "add_int64",
            (Value::Uint(_), Value::Uint(_)) => "add_uint64",
            (Value::Double(_), Value::Double(_)) => "add_double",
            (Value::Duration(_), Value::Duration(_)) => "add_duration_duration",
            _ => return Err(Error::no_such_overload()),
        };
        let mut pair = [acc, v];
        acc = super::fn_std::call(op, &mut pair).unwrap_or(Err(Error::no_such_overload()))?;
    }
    Ok(acc)
}

fn extreme<'a>(l: &List<'a>, max: bool) -> R<'a> {
    let mut best: Option<Value<'a>> = None;
    for v in l.iter() {
        best = Some(match best {
            None => v,
            Some(b) => {
                let o = compare(&b, &v)?;
                let prefer = if max {
                    Ordering::Less
                } else {
                    Ordering::Greater
                };
                if o == prefer { v } else { b }
            }
        });
    }
    best.ok_or_else(|| {
        Error::msg(format!(
            "{} called on empty list",
            if max { "max" } else { "min" }
        ))
    })
}

fn sorted<'a>(items: &[Value<'a>], keys: &[Value<'a>]) -> Result<Vec<Value<'a>>, Error> {
    let mut idx: Vec<usize> = (0..items.len()).collect();
    let mut err = None;
    idx.sort_by(|&a, &b| match compare(&keys[a], &keys[b]) {
        Ok(o) => o,
        Err(e) => {
            err.get_or_insert(e);
            Ordering::Equal
        }
    });
    if let Some(e) = err {
        return Err(e);
    }
    Ok(idx.into_iter().map(|i| items[i].clone()).collect())
}

fn flatten<'a>(l: &List<'a>, depth: i64, out: &mut Vec<Value<'a>>) {
    for v in l.iter() {
        match v {
            Value::List(inner) if depth > 0 => flatten(&inner, depth - 1, out),
            other => out.push(other),
        }
    }
}

/// Whether a value is its type's zero value (`optional.ofNonZeroValue`).
fn is_zero(v: &Value<'_>) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Int(i) => *i == 0,
        Value::Uint(u) => *u == 0,
        Value::Double(d) => *d == 0.0,
        Value::String(s) => s.as_str().is_empty(),
        Value::Bytes(b) => b.is_empty(),
        Value::List(l) => l.len() == 0,
        Value::Map(m) => m.len() == 0,
        Value::Duration(d) => *d == 0,
        Value::Timestamp(t) => t.secs == 0 && t.nanos == 0,
        _ => false,
    }
}

fn contains_all(a: &List<'_>, b: &List<'_>) -> bool {
    b.iter().all(|x| a.iter().any(|y| equals(&x, &y)))
}

/// List, set and optional calls, by overload id; `None` if not one of them.
pub(crate) fn call<'a>(id: &str, args: &[Value<'a>]) -> Option<R<'a>> {
    let bad = || Some(Err(Error::no_such_overload()));
    let l0 = list(args.first());
    let r = match id {
        "optional_of" => Ok(Value::some(args.first()?.clone())),
        "optional_ofNonZeroValue" => {
            let v = args.first()?;
            Ok(if is_zero(v) {
                Value::Optional(None)
            } else {
                Value::some(v.clone())
            })
        }
        "optional_none" => Ok(Value::Optional(None)),
        "optional_value"
        | "optional_hasValue"
        | "optional_or_optional"
        | "optional_orValue_value" => {
            let Some(Value::Optional(o)) = args.first() else {
                return bad();
            };
            match (id, o) {
                ("optional_hasValue", o) => Ok(Value::Bool(o.is_some())),
                ("optional_value", Some(v)) => Ok(v.as_ref().clone()),
                ("optional_value", None) => Err(Error::Static("optional.none() dereference")),
                ("optional_or_optional", Some(_)) => Ok(args[0].clone()),
                (_, Some(v)) => Ok(v.as_ref().clone()),
                ("optional_or_optional", None) => match args.get(1) {
                    Some(v @ Value::Optional(_)) => Ok(v.clone()),
                    _ => Err(Error::no_such_overload()),
                },
                (_, None) => Ok(args.get(1)?.clone()),
            }
        }
        "optional_unwrap" | "optional_unwrapOpt" => {
            let Some(l) = l0 else { return bad() };
            let mut out = Vec::new();
            for v in l.iter() {
                match v {
                    Value::Optional(Some(x)) => out.push(x.as_ref().clone()),
                    Value::Optional(None) => {}
                    other => {
                        return Some(Err(Error::msg(format!(
                            "value {} is not optional",
                            super::value::go_v(&other)
                        ))));
                    }
                }
            }
            Ok(Value::list(out))
        }
        "list_first" | "list_last" => {
            let Some(l) = l0 else { return bad() };
            let v = if id == "list_first" {
                l.get(0)
            } else {
                l.len().checked_sub(1).and_then(|i| l.get(i))
            };
            Ok(v.map_or(Value::Optional(None), Value::some))
        }
        "lists_range" => match args.first() {
            // The result's size alone would exceed the cost limit.
            Some(Value::Int(n)) if *n > super::eval::COST_LIMIT as i64 => Err(Error::Cancelled),
            Some(Value::Int(n)) => Ok(Value::list((0..(*n).max(0)).map(Value::Int).collect())),
            _ => return bad(),
        },
        "list_sets_contains_list" | "list_sets_equivalent_list" | "list_sets_intersects_list" => {
            let (Some(a), Some(b)) = (l0, list(args.get(1))) else {
                return bad();
            };
            Ok(Value::Bool(match id {
                "list_sets_contains_list" => contains_all(a, b),
                "list_sets_equivalent_list" => contains_all(a, b) && contains_all(b, a),
                _ => a.iter().any(|x| b.iter().any(|y| equals(&x, &y))),
            }))
        }
        _ => {
            let Some(l) = l0 else {
                return if id.starts_with("list_") { bad() } else { None };
            };
            list_call(id, l, args)?
        }
    };
    Some(r)
}

fn list_call<'a>(id: &str, l: &List<'a>, args: &[Value<'a>]) -> Option<R<'a>> {
    let r = match id {
        "list_slice" => {
            let (Some(Value::Int(s)), Some(Value::Int(e))) = (args.get(1), args.get(2)) else {
                return Some(Err(Error::no_such_overload()));
            };
            let (s, e) = (*s, *e);
            if s < 0 || e < 0 {
                Err(Error::msg(format!(
                    "cannot slice({s}, {e}), negative indexes not supported"
                )))
            } else if s > e {
                Err(Error::msg(format!(
                    "cannot slice({s}, {e}), start index must be less than or equal to end index"
                )))
            } else if (l.len() as i64) < e {
                Err(Error::msg(format!(
                    "cannot slice({s}, {e}), list is length {}",
                    l.len()
                )))
            } else {
                Ok(Value::list(
                    l.iter().skip(s as usize).take((e - s) as usize).collect(),
                ))
            }
        }
        "list_flatten" | "list_flatten_int" => {
            let depth = match args.get(1) {
                Some(Value::Int(d)) => *d,
                _ => 1,
            };
            if depth < 0 {
                return Some(Err(Error::Static("level must be non-negative")));
            }
            let mut out = Vec::new();
            flatten(l, depth, &mut out);
            Ok(Value::list(out))
        }
        "list_reverse" => {
            let mut v = l.to_vec();
            v.reverse();
            Ok(Value::list(v))
        }
        "list_distinct" => {
            let mut out: Vec<Value<'a>> = Vec::new();
            for v in l.iter() {
                if !out.iter().any(|x| equals(x, &v)) {
                    out.push(v);
                }
            }
            Ok(Value::list(out))
        }
        "list_a_index_of_int" | "list_a_last_index_of_int" => {
            let target = args.get(1)?;
            let items = l.to_vec();
            let pos = if id == "list_a_index_of_int" {
                items.iter().position(|v| equals(v, target))
            } else {
                items.iter().rposition(|v| equals(v, target))
            };
            Ok(Value::Int(pos.map_or(-1, |p| p as i64)))
        }
        _ if id.ends_with("_sortByAssociatedKeys") => {
            let Some(keys) = list(args.get(1)) else {
                return Some(Err(Error::no_such_overload()));
            };
            if keys.len() != l.len() {
                return Some(Err(Error::Static(
                    "@sortByAssociatedKeys() expected a list of the same size as the associated keys list",
                )));
            }
            let items = l.to_vec();
            sorted(&items, &keys.to_vec()).map(Value::list)
        }
        _ if id.ends_with("_sort") => {
            let items = l.to_vec();
            sorted(&items, &items).map(Value::list)
        }
        _ if id.ends_with("_is_sorted_bool") => {
            let items = l.to_vec();
            let mut ok = true;
            for w in items.windows(2) {
                match compare(&w[0], &w[1]) {
                    Ok(Ordering::Greater) => {
                        ok = false;
                        break;
                    }
                    Ok(_) => {}
                    Err(e) => return Some(Err(e)),
                }
            }
            Ok(Value::Bool(ok))
        }
        _ if id.contains("_sum_") => sum(id, l),
        _ if id.contains("_max_") => extreme(l, true),
        _ if id.contains("_min_") => extreme(l, false),
        _ => return None,
    };
    Some(r)
}
