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

super::overload::overloads! {
    /// The standard library: operators, conversions, `size`, `in`, `type`
    /// and the basic string predicates.
    Std {
        LogicalNot = "logical_not" global "!_"("bool") -> "bool", One;
        NegateDouble = "negate_double" global "-_"("double") -> "double", One;
        NegateInt64 = "negate_int64" global "-_"("int") -> "int", One;
        InList = "in_list" global "@in"("A", "list(A)") -> "bool", InList;
        InMap = "in_map" global "@in"("A", "map(A, B)") -> "bool", One;
        ModuloInt64 = "modulo_int64" global "_%_"("int", "int") -> "int", One;
        ModuloUint64 = "modulo_uint64" global "_%_"("uint", "uint") -> "uint", One;
        MultiplyDouble = "multiply_double" global "_*_"("double", "double") -> "double", One;
        MultiplyInt64 = "multiply_int64" global "_*_"("int", "int") -> "int", One;
        MultiplyUint64 = "multiply_uint64" global "_*_"("uint", "uint") -> "uint", One;
        AddBytes = "add_bytes" global "_+_"("bytes", "bytes") -> "bytes", SumSizes;
        AddDouble = "add_double" global "_+_"("double", "double") -> "double", One;
        AddDurationDuration = "add_duration_duration" global "_+_"("duration", "duration") -> "duration", One;
        AddDurationTimestamp = "add_duration_timestamp" global "_+_"("duration", "timestamp") -> "timestamp", One;
        AddTimestampDuration = "add_timestamp_duration" global "_+_"("timestamp", "duration") -> "timestamp", One;
        AddInt64 = "add_int64" global "_+_"("int", "int") -> "int", One;
        AddList = "add_list" global "_+_"("list(A)", "list(A)") -> "list(A)", One;
        AddString = "add_string" global "_+_"("string", "string") -> "string", SumSizes;
        AddUint64 = "add_uint64" global "_+_"("uint", "uint") -> "uint", One;
        SubtractDouble = "subtract_double" global "_-_"("double", "double") -> "double", One;
        SubtractDurationDuration = "subtract_duration_duration" global "_-_"("duration", "duration") -> "duration", One;
        SubtractInt64 = "subtract_int64" global "_-_"("int", "int") -> "int", One;
        SubtractTimestampDuration = "subtract_timestamp_duration" global "_-_"("timestamp", "duration") -> "timestamp", One;
        SubtractTimestampTimestamp = "subtract_timestamp_timestamp" global "_-_"("timestamp", "timestamp") -> "duration", One;
        SubtractUint64 = "subtract_uint64" global "_-_"("uint", "uint") -> "uint", One;
        DivideDouble = "divide_double" global "_/_"("double", "double") -> "double", One;
        DivideInt64 = "divide_int64" global "_/_"("int", "int") -> "int", One;
        DivideUint64 = "divide_uint64" global "_/_"("uint", "uint") -> "uint", One;
        LessEqualsBool = "less_equals_bool" global "_<=_"("bool", "bool") -> "bool", One;
        LessEqualsInt64 = "less_equals_int64" global "_<=_"("int", "int") -> "bool", One;
        LessEqualsInt64Double = "less_equals_int64_double" global "_<=_"("int", "double") -> "bool", One;
        LessEqualsInt64Uint64 = "less_equals_int64_uint64" global "_<=_"("int", "uint") -> "bool", One;
        LessEqualsUint64 = "less_equals_uint64" global "_<=_"("uint", "uint") -> "bool", One;
        LessEqualsUint64Double = "less_equals_uint64_double" global "_<=_"("uint", "double") -> "bool", One;
        LessEqualsUint64Int64 = "less_equals_uint64_int64" global "_<=_"("uint", "int") -> "bool", One;
        LessEqualsDouble = "less_equals_double" global "_<=_"("double", "double") -> "bool", One;
        LessEqualsDoubleInt64 = "less_equals_double_int64" global "_<=_"("double", "int") -> "bool", One;
        LessEqualsDoubleUint64 = "less_equals_double_uint64" global "_<=_"("double", "uint") -> "bool", One;
        LessEqualsString = "less_equals_string" global "_<=_"("string", "string") -> "bool", MinSize;
        LessEqualsBytes = "less_equals_bytes" global "_<=_"("bytes", "bytes") -> "bool", MinSize;
        LessEqualsTimestamp = "less_equals_timestamp" global "_<=_"("timestamp", "timestamp") -> "bool", One;
        LessEqualsDuration = "less_equals_duration" global "_<=_"("duration", "duration") -> "bool", One;
        LessBool = "less_bool" global "_<_"("bool", "bool") -> "bool", One;
        LessInt64 = "less_int64" global "_<_"("int", "int") -> "bool", One;
        LessInt64Double = "less_int64_double" global "_<_"("int", "double") -> "bool", One;
        LessInt64Uint64 = "less_int64_uint64" global "_<_"("int", "uint") -> "bool", One;
        LessUint64 = "less_uint64" global "_<_"("uint", "uint") -> "bool", One;
        LessUint64Double = "less_uint64_double" global "_<_"("uint", "double") -> "bool", One;
        LessUint64Int64 = "less_uint64_int64" global "_<_"("uint", "int") -> "bool", One;
        LessDouble = "less_double" global "_<_"("double", "double") -> "bool", One;
        LessDoubleInt64 = "less_double_int64" global "_<_"("double", "int") -> "bool", One;
        LessDoubleUint64 = "less_double_uint64" global "_<_"("double", "uint") -> "bool", One;
        LessString = "less_string" global "_<_"("string", "string") -> "bool", MinSize;
        LessBytes = "less_bytes" global "_<_"("bytes", "bytes") -> "bool", MinSize;
        LessTimestamp = "less_timestamp" global "_<_"("timestamp", "timestamp") -> "bool", One;
        LessDuration = "less_duration" global "_<_"("duration", "duration") -> "bool", One;
        GreaterEqualsBool = "greater_equals_bool" global "_>=_"("bool", "bool") -> "bool", One;
        GreaterEqualsInt64 = "greater_equals_int64" global "_>=_"("int", "int") -> "bool", One;
        GreaterEqualsInt64Double = "greater_equals_int64_double" global "_>=_"("int", "double") -> "bool", One;
        GreaterEqualsInt64Uint64 = "greater_equals_int64_uint64" global "_>=_"("int", "uint") -> "bool", One;
        GreaterEqualsUint64 = "greater_equals_uint64" global "_>=_"("uint", "uint") -> "bool", One;
        GreaterEqualsUint64Double = "greater_equals_uint64_double" global "_>=_"("uint", "double") -> "bool", One;
        GreaterEqualsUint64Int64 = "greater_equals_uint64_int64" global "_>=_"("uint", "int") -> "bool", One;
        GreaterEqualsDouble = "greater_equals_double" global "_>=_"("double", "double") -> "bool", One;
        GreaterEqualsDoubleInt64 = "greater_equals_double_int64" global "_>=_"("double", "int") -> "bool", One;
        GreaterEqualsDoubleUint64 = "greater_equals_double_uint64" global "_>=_"("double", "uint") -> "bool", One;
        GreaterEqualsString = "greater_equals_string" global "_>=_"("string", "string") -> "bool", MinSize;
        GreaterEqualsBytes = "greater_equals_bytes" global "_>=_"("bytes", "bytes") -> "bool", MinSize;
        GreaterEqualsTimestamp = "greater_equals_timestamp" global "_>=_"("timestamp", "timestamp") -> "bool", One;
        GreaterEqualsDuration = "greater_equals_duration" global "_>=_"("duration", "duration") -> "bool", One;
        GreaterBool = "greater_bool" global "_>_"("bool", "bool") -> "bool", One;
        GreaterInt64 = "greater_int64" global "_>_"("int", "int") -> "bool", One;
        GreaterInt64Double = "greater_int64_double" global "_>_"("int", "double") -> "bool", One;
        GreaterInt64Uint64 = "greater_int64_uint64" global "_>_"("int", "uint") -> "bool", One;
        GreaterUint64 = "greater_uint64" global "_>_"("uint", "uint") -> "bool", One;
        GreaterUint64Double = "greater_uint64_double" global "_>_"("uint", "double") -> "bool", One;
        GreaterUint64Int64 = "greater_uint64_int64" global "_>_"("uint", "int") -> "bool", One;
        GreaterDouble = "greater_double" global "_>_"("double", "double") -> "bool", One;
        GreaterDoubleInt64 = "greater_double_int64" global "_>_"("double", "int") -> "bool", One;
        GreaterDoubleUint64 = "greater_double_uint64" global "_>_"("double", "uint") -> "bool", One;
        GreaterString = "greater_string" global "_>_"("string", "string") -> "bool", MinSize;
        GreaterBytes = "greater_bytes" global "_>_"("bytes", "bytes") -> "bool", MinSize;
        GreaterTimestamp = "greater_timestamp" global "_>_"("timestamp", "timestamp") -> "bool", One;
        GreaterDuration = "greater_duration" global "_>_"("duration", "duration") -> "bool", One;
        BoolToBool = "bool_to_bool" global "bool"("bool") -> "bool", One;
        StringToBool = "string_to_bool" global "bool"("string") -> "bool", One;
        BytesToBytes = "bytes_to_bytes" global "bytes"("bytes") -> "bytes", One;
        StringToBytes = "string_to_bytes" global "bytes"("string") -> "bytes", Scan(STRING_TRAVERSAL);
        MapInsertMapKeyValue = "@mapInsert_map_key_value" global "cel.@mapInsert"("map(K, V)", "K", "V") -> "map(K, V)", One;
        MapInsertMapMap = "@mapInsert_map_map" global "cel.@mapInsert"("map(K, V)", "map(K, V)") -> "map(K, V)", One;
        ContainsString = "contains_string" member "contains"("string", "string") -> "bool", ContainsString;
        DoubleToDouble = "double_to_double" global "double"("double") -> "double", One;
        Int64ToDouble = "int64_to_double" global "double"("int") -> "double", One;
        StringToDouble = "string_to_double" global "double"("string") -> "double", One;
        Uint64ToDouble = "uint64_to_double" global "double"("uint") -> "double", One;
        DurationToDuration = "duration_to_duration" global "duration"("duration") -> "duration", One;
        Int64ToDuration = "int64_to_duration" global "duration"("int") -> "duration", One;
        StringToDuration = "string_to_duration" global "duration"("string") -> "duration", One;
        ToDyn = "to_dyn" global "dyn"("A") -> "dyn", One;
        EndsWithString = "ends_with_string" member "endsWith"("string", "string") -> "bool", Scan(STRING_TRAVERSAL);
        Int64ToInt64 = "int64_to_int64" global "int"("int") -> "int", One;
        DoubleToInt64 = "double_to_int64" global "int"("double") -> "int", One;
        DurationToInt64 = "duration_to_int64" global "int"("duration") -> "int", One;
        StringToInt64 = "string_to_int64" global "int"("string") -> "int", One;
        TimestampToInt64 = "timestamp_to_int64" global "int"("timestamp") -> "int", One;
        Uint64ToInt64 = "uint64_to_int64" global "int"("uint") -> "int", One;
        SizeBytes = "size_bytes" global "size"("bytes") -> "int", One;
        BytesSize = "bytes_size" member "size"("bytes") -> "int", One;
        SizeList = "size_list" global "size"("list(A)") -> "int", One;
        ListSize = "list_size" member "size"("list(A)") -> "int", One;
        SizeMap = "size_map" global "size"("map(A, B)") -> "int", One;
        MapSize = "map_size" member "size"("map(A, B)") -> "int", One;
        SizeString = "size_string" global "size"("string") -> "int", One;
        StringSize = "string_size" member "size"("string") -> "int", One;
        StartsWithString = "starts_with_string" member "startsWith"("string", "string") -> "bool", Scan(STRING_TRAVERSAL);
        StringToString = "string_to_string" global "string"("string") -> "string", One;
        BoolToString = "bool_to_string" global "string"("bool") -> "string", One;
        BytesToString = "bytes_to_string" global "string"("bytes") -> "string", Scan(STRING_TRAVERSAL);
        DoubleToString = "double_to_string" global "string"("double") -> "string", One;
        DurationToString = "duration_to_string" global "string"("duration") -> "string", One;
        Int64ToString = "int64_to_string" global "string"("int") -> "string", One;
        TimestampToString = "timestamp_to_string" global "string"("timestamp") -> "string", One;
        Uint64ToString = "uint64_to_string" global "string"("uint") -> "string", One;
        TimestampToTimestamp = "timestamp_to_timestamp" global "timestamp"("timestamp") -> "timestamp", One;
        Int64ToTimestamp = "int64_to_timestamp" global "timestamp"("int") -> "timestamp", One;
        StringToTimestamp = "string_to_timestamp" global "timestamp"("string") -> "timestamp", One;
        Type = "type" global "type"("A") -> "type(A)", One;
        Uint64ToUint64 = "uint64_to_uint64" global "uint"("uint") -> "uint", One;
        DoubleToUint64 = "double_to_uint64" global "uint"("double") -> "uint", One;
        Int64ToUint64 = "int64_to_uint64" global "uint"("int") -> "uint", One;
        StringToUint64 = "string_to_uint64" global "uint"("string") -> "uint", One;
    }
}

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

/// An arithmetic operator.
#[derive(Clone, Copy, PartialEq)]
enum Op {
    Add,
    Subtract,
    Multiply,
    Divide,
    Modulo,
}

/// A relational operator.
#[derive(Clone, Copy)]
enum Rel {
    Less,
    LessEquals,
    Greater,
    GreaterEquals,
}

fn arith<'a>(op: Op, a: &Value<'a>, b: &Value<'a>) -> R<'a> {
    use Op::*;
    use Value as V;
    let r = match (op, a, b) {
        (Add, V::Int(x), V::Int(y)) => V::Int(x.checked_add(*y).ok_or(INT_OVERFLOW)?),
        (Subtract, V::Int(x), V::Int(y)) => V::Int(x.checked_sub(*y).ok_or(INT_OVERFLOW)?),
        (Multiply, V::Int(x), V::Int(y)) => V::Int(x.checked_mul(*y).ok_or(INT_OVERFLOW)?),
        (Divide, V::Int(_), V::Int(0)) => return Err(Error::Static("division by zero")),
        (Divide, V::Int(x), V::Int(y)) => V::Int(x.checked_div(*y).ok_or(INT_OVERFLOW)?),
        (Modulo, V::Int(_), V::Int(0)) => return Err(Error::Static("modulus by zero")),
        (Modulo, V::Int(x), V::Int(y)) => V::Int(x.checked_rem(*y).ok_or(INT_OVERFLOW)?),
        (Add, V::Uint(x), V::Uint(y)) => V::Uint(x.checked_add(*y).ok_or(UINT_OVERFLOW)?),
        (Subtract, V::Uint(x), V::Uint(y)) => V::Uint(x.checked_sub(*y).ok_or(UINT_OVERFLOW)?),
        (Multiply, V::Uint(x), V::Uint(y)) => V::Uint(x.checked_mul(*y).ok_or(UINT_OVERFLOW)?),
        (Divide, V::Uint(_), V::Uint(0)) => return Err(Error::Static("division by zero")),
        (Divide, V::Uint(x), V::Uint(y)) => V::Uint(x / y),
        (Modulo, V::Uint(_), V::Uint(0)) => return Err(Error::Static("modulus by zero")),
        (Modulo, V::Uint(x), V::Uint(y)) => V::Uint(x % y),
        (Add, V::Double(x), V::Double(y)) => V::Double(x + y),
        (Subtract, V::Double(x), V::Double(y)) => V::Double(x - y),
        (Multiply, V::Double(x), V::Double(y)) => V::Double(x * y),
        (Divide, V::Double(x), V::Double(y)) => V::Double(x / y),
        (Add, V::String(x), V::String(y)) => {
            let mut s = String::with_capacity(x.as_str().len() + y.as_str().len());
            s.push_str(x.as_str());
            s.push_str(y.as_str());
            Value::str(s)
        }
        (Add, V::Bytes(x), V::Bytes(y)) => {
            let mut v = x.to_vec();
            v.extend_from_slice(y);
            V::Bytes(Arc::from(v))
        }
        (Add, V::Duration(x), V::Duration(y)) => {
            V::Duration(x.checked_add(*y).ok_or(INT_OVERFLOW)?)
        }
        (Subtract, V::Duration(x), V::Duration(y)) => {
            V::Duration(x.checked_sub(*y).ok_or(INT_OVERFLOW)?)
        }
        (Add, V::Timestamp(t), V::Duration(d)) | (Add, V::Duration(d), V::Timestamp(t)) => {
            V::Timestamp(super::fn_time::add_duration(*t, *d)?)
        }
        (Subtract, V::Timestamp(t), V::Duration(d)) => {
            let neg = d.checked_neg().ok_or(INT_OVERFLOW)?;
            V::Timestamp(super::fn_time::add_duration(*t, neg)?)
        }
        (Subtract, V::Timestamp(x), V::Timestamp(y)) => {
            let secs = x.secs.checked_sub(y.secs).ok_or(INT_OVERFLOW)?;
            let ns = secs.checked_mul(1_000_000_000).ok_or(INT_OVERFLOW)?;
            let d = i64::from(x.nanos) - i64::from(y.nanos);
            V::Duration(ns.checked_add(d).ok_or(INT_OVERFLOW)?)
        }
        _ => return Err(Error::no_such_overload()),
    };
    Ok(r)
}

fn relation<'a>(rel: Rel, a: &Value<'a>, b: &Value<'a>) -> R<'a> {
    let o = compare(a, b)?;
    Ok(Value::Bool(match rel {
        Rel::Less => o == Ordering::Less,
        Rel::LessEquals => o != Ordering::Greater,
        Rel::Greater => o == Ordering::Greater,
        Rel::GreaterEquals => o != Ordering::Less,
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

/// The first argument, or "no such overload" when there is none.
fn unary<'a>(args: &[Value<'a>], f: impl FnOnce(&Value<'a>) -> R<'a>) -> R<'a> {
    match args {
        [a, ..] => f(a),
        [] => Err(Error::no_such_overload()),
    }
}

/// The two arguments, or "no such overload" when there are not two.
fn binary<'a>(args: &[Value<'a>], f: impl FnOnce(&Value<'a>, &Value<'a>) -> R<'a>) -> R<'a> {
    match args {
        [a, b] => f(a, b),
        _ => Err(Error::no_such_overload()),
    }
}

fn string_predicate<'a>(args: &[Value<'a>], f: fn(&str, &str) -> bool) -> R<'a> {
    binary(args, |a, b| match (a.as_str(), b.as_str()) {
        (Some(s), Some(t)) => Ok(Value::Bool(f(s, t))),
        _ => Err(Error::no_such_overload()),
    })
}

/// Standard-library calls.
pub(crate) fn call<'a>(o: Std, args: &mut [Value<'a>]) -> R<'a> {
    use Std as S;
    match o {
        // These may extend their first argument in place: take it uniquely.
        S::AddList => {
            let lhs = take(args, 0);
            add_lists(lhs, args.get(1).unwrap_or(&Value::Null))
        }
        S::MapInsertMapKeyValue | S::MapInsertMapMap => map_insert(args),
        S::LogicalNot => unary(args, |a| match a {
            Value::Bool(b) => Ok(Value::Bool(!b)),
            _ => Err(Error::no_such_overload()),
        }),
        S::NegateInt64 => unary(args, |a| match a {
            Value::Int(i) => i.checked_neg().map(Value::Int).ok_or(INT_OVERFLOW),
            _ => Err(Error::no_such_overload()),
        }),
        S::NegateDouble => unary(args, |a| match a {
            Value::Double(d) => Ok(Value::Double(-d)),
            _ => Err(Error::no_such_overload()),
        }),
        S::InList => binary(args, |a, b| match b {
            Value::List(l) => Ok(Value::Bool(l.iter().any(|e| super::value::equals(&e, a)))),
            _ => Err(Error::no_such_overload()),
        }),
        S::InMap => binary(args, |a, b| match b {
            Value::Map(m) => Ok(Value::Bool(m.get(a).is_some())),
            _ => Err(Error::no_such_overload()),
        }),
        S::SizeBytes
        | S::BytesSize
        | S::SizeList
        | S::ListSize
        | S::SizeMap
        | S::MapSize
        | S::SizeString
        | S::StringSize => unary(args, |a| {
            a.size()
                .map(|s| Value::Int(s as i64))
                .ok_or(Error::Static("no such overload: size"))
        }),
        S::Type => unary(args, |a| Ok(Value::Type(a.type_name()))),
        S::ToDyn
        | S::BoolToBool
        | S::BytesToBytes
        | S::DoubleToDouble
        | S::Int64ToInt64
        | S::Uint64ToUint64
        | S::StringToString
        | S::DurationToDuration
        | S::TimestampToTimestamp => unary(args, |a| Ok(a.clone())),
        S::StringToBool => unary(args, |a| match a {
            Value::String(s) => golang::parse_bool(s.as_str())
                .map(Value::Bool)
                .ok_or_else(|| conversion_error(a, "bool")),
            _ => Err(conversion_error(a, "bool")),
        }),
        S::StringToBytes => unary(args, |a| match a {
            Value::String(s) => Ok(Value::Bytes(Arc::from(s.as_str().as_bytes()))),
            _ => Err(conversion_error(a, "bytes")),
        }),
        S::Int64ToDouble | S::StringToDouble | S::Uint64ToDouble => unary(args, to_double),
        S::Int64ToDuration | S::StringToDuration => unary(args, to_duration),
        S::DoubleToInt64
        | S::DurationToInt64
        | S::StringToInt64
        | S::TimestampToInt64
        | S::Uint64ToInt64 => unary(args, to_int),
        S::DoubleToUint64 | S::Int64ToUint64 | S::StringToUint64 => unary(args, to_uint),
        S::Int64ToTimestamp | S::StringToTimestamp => unary(args, to_timestamp),
        S::BoolToString
        | S::BytesToString
        | S::DoubleToString
        | S::DurationToString
        | S::Int64ToString
        | S::TimestampToString
        | S::Uint64ToString => unary(args, |a| to_string_value(a).map(Value::str)),
        S::ContainsString => string_predicate(args, |s, t| s.contains(t)),
        S::StartsWithString => string_predicate(args, |s, t| s.starts_with(t)),
        S::EndsWithString => string_predicate(args, |s, t| s.ends_with(t)),
        S::AddBytes
        | S::AddDouble
        | S::AddDurationDuration
        | S::AddDurationTimestamp
        | S::AddTimestampDuration
        | S::AddInt64
        | S::AddString
        | S::AddUint64 => binary(args, |a, b| arith(Op::Add, a, b)),
        S::SubtractDouble
        | S::SubtractDurationDuration
        | S::SubtractInt64
        | S::SubtractTimestampDuration
        | S::SubtractTimestampTimestamp
        | S::SubtractUint64 => binary(args, |a, b| arith(Op::Subtract, a, b)),
        S::MultiplyDouble | S::MultiplyInt64 | S::MultiplyUint64 => {
            binary(args, |a, b| arith(Op::Multiply, a, b))
        }
        S::DivideDouble | S::DivideInt64 | S::DivideUint64 => {
            binary(args, |a, b| arith(Op::Divide, a, b))
        }
        S::ModuloInt64 | S::ModuloUint64 => binary(args, |a, b| arith(Op::Modulo, a, b)),
        S::LessEqualsBool
        | S::LessEqualsInt64
        | S::LessEqualsInt64Double
        | S::LessEqualsInt64Uint64
        | S::LessEqualsUint64
        | S::LessEqualsUint64Double
        | S::LessEqualsUint64Int64
        | S::LessEqualsDouble
        | S::LessEqualsDoubleInt64
        | S::LessEqualsDoubleUint64
        | S::LessEqualsString
        | S::LessEqualsBytes
        | S::LessEqualsTimestamp
        | S::LessEqualsDuration => binary(args, |a, b| relation(Rel::LessEquals, a, b)),
        S::LessBool
        | S::LessInt64
        | S::LessInt64Double
        | S::LessInt64Uint64
        | S::LessUint64
        | S::LessUint64Double
        | S::LessUint64Int64
        | S::LessDouble
        | S::LessDoubleInt64
        | S::LessDoubleUint64
        | S::LessString
        | S::LessBytes
        | S::LessTimestamp
        | S::LessDuration => binary(args, |a, b| relation(Rel::Less, a, b)),
        S::GreaterEqualsBool
        | S::GreaterEqualsInt64
        | S::GreaterEqualsInt64Double
        | S::GreaterEqualsInt64Uint64
        | S::GreaterEqualsUint64
        | S::GreaterEqualsUint64Double
        | S::GreaterEqualsUint64Int64
        | S::GreaterEqualsDouble
        | S::GreaterEqualsDoubleInt64
        | S::GreaterEqualsDoubleUint64
        | S::GreaterEqualsString
        | S::GreaterEqualsBytes
        | S::GreaterEqualsTimestamp
        | S::GreaterEqualsDuration => binary(args, |a, b| relation(Rel::GreaterEquals, a, b)),
        S::GreaterBool
        | S::GreaterInt64
        | S::GreaterInt64Double
        | S::GreaterInt64Uint64
        | S::GreaterUint64
        | S::GreaterUint64Double
        | S::GreaterUint64Int64
        | S::GreaterDouble
        | S::GreaterDoubleInt64
        | S::GreaterDoubleUint64
        | S::GreaterString
        | S::GreaterBytes
        | S::GreaterTimestamp
        | S::GreaterDuration => binary(args, |a, b| relation(Rel::Greater, a, b)),
    }
}
