//! The standard library: arithmetic with cel-go's overflow checks,
//! comparisons, `size`, `in`, `type`, type conversions and the basic string
//! predicates.

use super::error::Error;
use super::fn_time::{format_timestamp, timestamp_from_secs};
use super::golang;
use super::value::{List, Map, MapVal, Value, compare};
use std::cmp::Ordering;
use std::sync::Arc;

type R<'a> = Result<Value<'a>, Error>;

const INT_OVERFLOW: Error = Error::Static("integer overflow");
const UINT_OVERFLOW: Error = Error::Static("unsigned integer overflow");

fn conversion_error(from: &Value<'_>, to: &str) -> Error {
    Error::msg(format!(
        "type conversion error from '{}' to '{to}'",
        from.type_name()
    ))
}

fn take<'a>(args: &mut [Value<'a>], i: usize) -> Value<'a> {
    args.get_mut(i)
        .map(|v| std::mem::replace(v, Value::Null))
        .unwrap_or(Value::Null)
}

/// Appends `rhs` to `lhs`, in place when `lhs` is uniquely owned.
fn add_lists<'a>(lhs: Value<'a>, rhs: &Value<'a>) -> R<'a> {
    let (Value::List(l), Value::List(r)) = (lhs, rhs) else {
        return Err(Error::no_such_overload());
    };
    let mut vals = match l {
        List::Vals(v) => v,
        other => Arc::new(other.to_vec()),
    };
    Arc::make_mut(&mut vals).extend(r.iter());
    Ok(Value::List(List::Vals(vals)))
}

/// `cel.@mapInsert(map, key, value)` / `cel.@mapInsert(map, map)`.
pub(crate) fn map_insert<'a>(args: &mut [Value<'a>]) -> R<'a> {
    let target = take(args, 0);
    let Value::Map(m) = target else {
        return Err(Error::no_such_overload());
    };
    let mut vals = match m {
        Map::Vals(v) => v,
        other => Arc::new(MapVal::from_entries(other.entries())),
    };
    let inserts: Vec<(Value<'a>, Value<'a>)> = match args.get(1..) {
        Some([Value::Map(other)]) => other.entries(),
        Some([k, v]) => vec![(k.clone(), v.clone())],
        _ => return Err(Error::no_such_overload()),
    };
    let m = Arc::make_mut(&mut vals);
    for (k, v) in inserts {
        if m.contains_key(&k) {
            return Err(Error::msg(format!(
                "insert failed: key {} already exists",
                super::value::go_v(&k)
            )));
        }
        m.push(k, v);
    }
    Ok(Value::Map(Map::Vals(vals)))
}

fn arith<'a>(op: &str, a: &Value<'a>, b: &Value<'a>) -> R<'a> {
    use Value as V;
    let r = match (op, a, b) {
        ("add", V::Int(x), V::Int(y)) => V::Int(x.checked_add(*y).ok_or(INT_OVERFLOW)?),
        ("subtract", V::Int(x), V::Int(y)) => V::Int(x.checked_sub(*y).ok_or(INT_OVERFLOW)?),
        ("multiply", V::Int(x), V::Int(y)) => V::Int(x.checked_mul(*y).ok_or(INT_OVERFLOW)?),
        ("divide", V::Int(_), V::Int(0)) => return Err(Error::Static("division by zero")),
        ("divide", V::Int(x), V::Int(y)) => V::Int(x.checked_div(*y).ok_or(INT_OVERFLOW)?),
        ("modulo", V::Int(_), V::Int(0)) => return Err(Error::Static("modulus by zero")),
        ("modulo", V::Int(x), V::Int(y)) => V::Int(x.checked_rem(*y).ok_or(INT_OVERFLOW)?),
        ("add", V::Uint(x), V::Uint(y)) => V::Uint(x.checked_add(*y).ok_or(UINT_OVERFLOW)?),
        ("subtract", V::Uint(x), V::Uint(y)) => V::Uint(x.checked_sub(*y).ok_or(UINT_OVERFLOW)?),
        ("multiply", V::Uint(x), V::Uint(y)) => V::Uint(x.checked_mul(*y).ok_or(UINT_OVERFLOW)?),
        ("divide", V::Uint(_), V::Uint(0)) => return Err(Error::Static("division by zero")),
        ("divide", V::Uint(x), V::Uint(y)) => V::Uint(x / y),
        ("modulo", V::Uint(_), V::Uint(0)) => return Err(Error::Static("modulus by zero")),
        ("modulo", V::Uint(x), V::Uint(y)) => V::Uint(x % y),
        ("add", V::Double(x), V::Double(y)) => V::Double(x + y),
        ("subtract", V::Double(x), V::Double(y)) => V::Double(x - y),
        ("multiply", V::Double(x), V::Double(y)) => V::Double(x * y),
        ("divide", V::Double(x), V::Double(y)) => V::Double(x / y),
        ("add", V::String(x), V::String(y)) => {
            let mut s = String::with_capacity(x.as_str().len() + y.as_str().len());
            s.push_str(x.as_str());
            s.push_str(y.as_str());
            Value::str(s)
        }
        ("add", V::Bytes(x), V::Bytes(y)) => {
            let mut v = x.to_vec();
            v.extend_from_slice(y);
            V::Bytes(Arc::from(v))
        }
        ("add", V::Duration(x), V::Duration(y)) => {
            V::Duration(x.checked_add(*y).ok_or(INT_OVERFLOW)?)
        }
        ("subtract", V::Duration(x), V::Duration(y)) => {
            V::Duration(x.checked_sub(*y).ok_or(INT_OVERFLOW)?)
        }
        ("add", V::Timestamp(t), V::Duration(d)) | ("add", V::Duration(d), V::Timestamp(t)) => {
            V::Timestamp(super::fn_time::add_duration(*t, *d)?)
        }
        ("subtract", V::Timestamp(t), V::Duration(d)) => {
            let neg = d.checked_neg().ok_or(INT_OVERFLOW)?;
            V::Timestamp(super::fn_time::add_duration(*t, neg)?)
        }
        ("subtract", V::Timestamp(x), V::Timestamp(y)) => {
            let secs = x.secs.checked_sub(y.secs).ok_or(INT_OVERFLOW)?;
            let ns = secs.checked_mul(1_000_000_000).ok_or(INT_OVERFLOW)?;
            let d = i64::from(x.nanos) - i64::from(y.nanos);
            V::Duration(ns.checked_add(d).ok_or(INT_OVERFLOW)?)
        }
        _ => return Err(Error::no_such_overload()),
    };
    Ok(r)
}

fn relation<'a>(prefix: &str, a: &Value<'a>, b: &Value<'a>) -> R<'a> {
    let o = compare(a, b)?;
    Ok(Value::Bool(match prefix {
        "less" => o == Ordering::Less,
        "less_equals" => o != Ordering::Greater,
        "greater" => o == Ordering::Greater,
        _ => o != Ordering::Less,
    }))
}

/// Go's `time.Duration` range check for `duration(int)` is absent: any
/// int64 of nanoseconds is accepted.
fn to_int<'a>(v: &Value<'a>) -> R<'a> {
    Ok(Value::Int(match v {
        Value::Int(i) => *i,
        Value::Uint(u) => i64::try_from(*u).map_err(|_| INT_OVERFLOW)?,
        Value::Double(d) => {
            if !d.is_finite() || *d <= -9.223_372_036_854_776e18 || *d >= 9.223_372_036_854_776e18 {
                return Err(INT_OVERFLOW);
            }
            *d as i64
        }
        Value::String(s) => {
            golang::parse_int(s.as_str()).ok_or_else(|| conversion_error(v, "int"))?
        }
        Value::Timestamp(t) => t.secs,
        Value::Duration(d) => *d,
        _ => return Err(conversion_error(v, "int")),
    }))
}

fn to_uint<'a>(v: &Value<'a>) -> R<'a> {
    Ok(Value::Uint(match v {
        Value::Uint(u) => *u,
        Value::Int(i) => u64::try_from(*i).map_err(|_| UINT_OVERFLOW)?,
        Value::Double(d) => {
            if !d.is_finite() || *d < 0.0 || *d >= 18_446_744_073_709_551_616.0 {
                return Err(UINT_OVERFLOW);
            }
            *d as u64
        }
        Value::String(s) => {
            golang::parse_uint(s.as_str()).ok_or_else(|| conversion_error(v, "uint"))?
        }
        _ => return Err(conversion_error(v, "uint")),
    }))
}

fn to_double<'a>(v: &Value<'a>) -> R<'a> {
    Ok(Value::Double(match v {
        Value::Double(d) => *d,
        Value::Int(i) => *i as f64,
        Value::Uint(u) => *u as f64,
        Value::String(s) => {
            golang::parse_float(s.as_str()).ok_or_else(|| conversion_error(v, "double"))?
        }
        _ => return Err(conversion_error(v, "double")),
    }))
}

/// `string(x)` for every convertible type.
pub(crate) fn to_string_value(v: &Value<'_>) -> Result<String, Error> {
    Ok(match v {
        Value::String(s) => s.as_str().to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Uint(u) => u.to_string(),
        Value::Double(d) => golang::format_g(*d),
        Value::Bytes(b) => String::from_utf8(b.to_vec())
            .map_err(|_| Error::Static("invalid UTF-8 in bytes, cannot convert to string"))?,
        Value::Duration(ns) => format!("{}s", *ns as f64 / 1e9),
        Value::Timestamp(t) => format_timestamp(*t),
        Value::Type(t) => t.to_string(),
        other => return Err(conversion_error(other, "string")),
    })
}

fn to_timestamp<'a>(v: &Value<'a>) -> R<'a> {
    match v {
        Value::Timestamp(_) => Ok(v.clone()),
        Value::Int(i) => timestamp_from_secs(*i, 0, 0).map(Value::Timestamp),
        Value::String(s) => match golang::parse_rfc3339_offset(s.as_str()) {
            Some((secs, nanos, offset)) => {
                timestamp_from_secs(secs, nanos, offset).map(Value::Timestamp)
            }
            None => Err(conversion_error(v, "google.protobuf.Timestamp")),
        },
        _ => Err(conversion_error(v, "google.protobuf.Timestamp")),
    }
}

fn to_duration<'a>(v: &Value<'a>) -> R<'a> {
    match v {
        Value::Duration(_) => Ok(v.clone()),
        Value::Int(i) => Ok(Value::Duration(*i)),
        Value::String(s) => crate::go::Duration::parse(s.as_str())
            .map(|d| Value::Duration(d.as_nanos()))
            .map_err(|_| conversion_error(v, "google.protobuf.Duration")),
        _ => Err(conversion_error(v, "google.protobuf.Duration")),
    }
}

/// Standard-library calls, by overload id; `None` if not one of them.
pub(crate) fn call<'a>(id: &str, args: &mut [Value<'a>]) -> Option<R<'a>> {
    // These may extend their first argument in place: take it uniquely.
    match id {
        "add_list" => {
            let lhs = take(args, 0);
            return Some(add_lists(lhs, args.get(1).unwrap_or(&Value::Null)));
        }
        "@mapInsert_map_key_value" | "@mapInsert_map_map" => return Some(map_insert(args)),
        _ => {}
    }
    let a0 = args.first().cloned().unwrap_or(Value::Null);
    let a1 = || args.get(1).cloned().unwrap_or(Value::Null);
    let r = match id {
        "logical_not" => match a0 {
            Value::Bool(b) => Ok(Value::Bool(!b)),
            _ => Err(Error::no_such_overload()),
        },
        "negate_int64" => match a0 {
            Value::Int(i) => i.checked_neg().map(Value::Int).ok_or(INT_OVERFLOW),
            _ => Err(Error::no_such_overload()),
        },
        "negate_double" => match a0 {
            Value::Double(d) => Ok(Value::Double(-d)),
            _ => Err(Error::no_such_overload()),
        },
        "in_list" => match a1() {
            Value::List(l) => Ok(Value::Bool(l.iter().any(|e| super::value::equals(&e, &a0)))),
            _ => Err(Error::no_such_overload()),
        },
        "in_map" => match a1() {
            Value::Map(m) => Ok(Value::Bool(m.get(&a0).is_some())),
            _ => Err(Error::no_such_overload()),
        },
        "size_bytes" | "bytes_size" | "size_list" | "list_size" | "size_map" | "map_size"
        | "size_string" | "string_size" => a0
            .size()
            .map(|s| Value::Int(s as i64))
            .ok_or(Error::Static("no such overload: size")),
        "type" => Ok(Value::Type(a0.type_name())),
        "to_dyn"
        | "bool_to_bool"
        | "bytes_to_bytes"
        | "double_to_double"
        | "int64_to_int64"
        | "uint64_to_uint64"
        | "string_to_string"
        | "duration_to_duration"
        | "timestamp_to_timestamp" => Ok(a0),
        "string_to_bool" => match &a0 {
            Value::String(s) => golang::parse_bool(s.as_str())
                .map(Value::Bool)
                .ok_or_else(|| conversion_error(&a0, "bool")),
            _ => Err(conversion_error(&a0, "bool")),
        },
        "string_to_bytes" => match &a0 {
            Value::String(s) => Ok(Value::Bytes(Arc::from(s.as_str().as_bytes()))),
            _ => Err(conversion_error(&a0, "bytes")),
        },
        "int64_to_double" | "string_to_double" | "uint64_to_double" => to_double(&a0),
        "int64_to_duration" | "string_to_duration" => to_duration(&a0),
        "double_to_int64" | "duration_to_int64" | "string_to_int64" | "timestamp_to_int64"
        | "uint64_to_int64" => to_int(&a0),
        "double_to_uint64" | "int64_to_uint64" | "string_to_uint64" => to_uint(&a0),
        "int64_to_timestamp" | "string_to_timestamp" => to_timestamp(&a0),
        "bool_to_string"
        | "bytes_to_string"
        | "double_to_string"
        | "duration_to_string"
        | "int64_to_string"
        | "timestamp_to_string"
        | "uint64_to_string" => to_string_value(&a0).map(Value::str),
        "contains_string" | "starts_with_string" | "ends_with_string" => {
            let b = a1();
            match (a0.as_str(), b.as_str()) {
                (Some(s), Some(t)) => Ok(Value::Bool(match id {
                    "contains_string" => s.contains(t),
                    "starts_with_string" => s.starts_with(t),
                    _ => s.ends_with(t),
                })),
                _ => Err(Error::no_such_overload()),
            }
        }
        _ => {
            if let Some((op, _)) = id.split_once('_')
                && matches!(op, "add" | "subtract" | "multiply" | "divide" | "modulo")
            {
                return Some(arith(op, &a0, &a1()));
            }
            for prefix in ["less_equals", "greater_equals", "less", "greater"] {
                if id.starts_with(prefix) && id[prefix.len()..].starts_with('_') {
                    return Some(relation(prefix, &a0, &a1()));
                }
            }
            return None;
        }
    };
    Some(r)
}
