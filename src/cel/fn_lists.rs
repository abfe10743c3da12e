//! List functions: the Kubernetes lists library (v0: `isSorted`, `sum`,
//! `max`, `min`, `indexOf`, `lastIndexOf`), cel-go's `ext.Lists` (v3),
//! `ext.Sets` and the optional-type library.

use super::error::Error;
use super::fn_std::Std;
use super::value::{List, Value, compare, equals};
use std::cmp::Ordering;

type R<'a> = Result<Value<'a>, Error>;

super::overload::overloads! {
    /// The lists libraries (Kubernetes v0, cel-go v3), sets and optional
    /// values.
    Lists {
        ListIntSortByAssociatedKeys = "list_int_sortByAssociatedKeys" member "@sortByAssociatedKeys"("list(T)", "list(int)") -> "list(T)", SelfCompare(1);
        ListUintSortByAssociatedKeys = "list_uint_sortByAssociatedKeys" member "@sortByAssociatedKeys"("list(T)", "list(uint)") -> "list(T)", SelfCompare(1);
        ListDoubleSortByAssociatedKeys = "list_double_sortByAssociatedKeys" member "@sortByAssociatedKeys"("list(T)", "list(double)") -> "list(T)", SelfCompare(1);
        ListBoolSortByAssociatedKeys = "list_bool_sortByAssociatedKeys" member "@sortByAssociatedKeys"("list(T)", "list(bool)") -> "list(T)", SelfCompare(1);
        ListDurationSortByAssociatedKeys = "list_duration_sortByAssociatedKeys" member "@sortByAssociatedKeys"("list(T)", "list(duration)") -> "list(T)", SelfCompare(1);
        ListTimestampSortByAssociatedKeys = "list_timestamp_sortByAssociatedKeys" member "@sortByAssociatedKeys"("list(T)", "list(timestamp)") -> "list(T)", SelfCompare(1);
        ListStringSortByAssociatedKeys = "list_string_sortByAssociatedKeys" member "@sortByAssociatedKeys"("list(T)", "list(string)") -> "list(T)", SelfCompare(1);
        ListBytesSortByAssociatedKeys = "list_bytes_sortByAssociatedKeys" member "@sortByAssociatedKeys"("list(T)", "list(bytes)") -> "list(T)", SelfCompare(1);
        ListDistinct = "list_distinct" member "distinct"("list(T)") -> "list(T)", SelfCompare(0);
        ListFirst = "list_first" member "first"("list(V)") -> "optional_type(V)", One;
        ListFlatten = "list_flatten" member "flatten"("list(list(T))") -> "list(T)", Flatten;
        ListFlattenInt = "list_flatten_int" member "flatten"("list(dyn)", "int") -> "list(dyn)", Flatten;
        OptionalHasValue = "optional_hasValue" member "hasValue"("optional_type(V)") -> "bool", One;
        ListAIndexOfInt = "list_a_index_of_int" member "indexOf"("list(A)", "A") -> "int", Traversal;
        ListIntIsSortedBool = "list_int_is_sorted_bool" member "isSorted"("list(int)") -> "bool", Traversal;
        ListUintIsSortedBool = "list_uint_is_sorted_bool" member "isSorted"("list(uint)") -> "bool", Traversal;
        ListDoubleIsSortedBool = "list_double_is_sorted_bool" member "isSorted"("list(double)") -> "bool", Traversal;
        ListBoolIsSortedBool = "list_bool_is_sorted_bool" member "isSorted"("list(bool)") -> "bool", Traversal;
        ListDurationIsSortedBool = "list_duration_is_sorted_bool" member "isSorted"("list(duration)") -> "bool", Traversal;
        ListTimestampIsSortedBool = "list_timestamp_is_sorted_bool" member "isSorted"("list(timestamp)") -> "bool", Traversal;
        ListStringIsSortedBool = "list_string_is_sorted_bool" member "isSorted"("list(string)") -> "bool", Traversal;
        ListBytesIsSortedBool = "list_bytes_is_sorted_bool" member "isSorted"("list(bytes)") -> "bool", Traversal;
        ListLast = "list_last" member "last"("list(V)") -> "optional_type(V)", One;
        ListALastIndexOfInt = "list_a_last_index_of_int" member "lastIndexOf"("list(A)", "A") -> "int", Traversal;
        ListsRange = "lists_range" global "lists.range"("int") -> "list(int)", ListOutput;
        ListIntMaxInt = "list_int_max_int" member "max"("list(int)") -> "int", Traversal;
        ListUintMaxUint = "list_uint_max_uint" member "max"("list(uint)") -> "uint", Traversal;
        ListDoubleMaxDouble = "list_double_max_double" member "max"("list(double)") -> "double", Traversal;
        ListBoolMaxBool = "list_bool_max_bool" member "max"("list(bool)") -> "bool", Traversal;
        ListDurationMaxDuration = "list_duration_max_duration" member "max"("list(duration)") -> "duration", Traversal;
        ListTimestampMaxTimestamp = "list_timestamp_max_timestamp" member "max"("list(timestamp)") -> "timestamp", Traversal;
        ListStringMaxString = "list_string_max_string" member "max"("list(string)") -> "string", Traversal;
        ListBytesMaxBytes = "list_bytes_max_bytes" member "max"("list(bytes)") -> "bytes", Traversal;
        ListIntMinInt = "list_int_min_int" member "min"("list(int)") -> "int", Traversal;
        ListUintMinUint = "list_uint_min_uint" member "min"("list(uint)") -> "uint", Traversal;
        ListDoubleMinDouble = "list_double_min_double" member "min"("list(double)") -> "double", Traversal;
        ListBoolMinBool = "list_bool_min_bool" member "min"("list(bool)") -> "bool", Traversal;
        ListDurationMinDuration = "list_duration_min_duration" member "min"("list(duration)") -> "duration", Traversal;
        ListTimestampMinTimestamp = "list_timestamp_min_timestamp" member "min"("list(timestamp)") -> "timestamp", Traversal;
        ListStringMinString = "list_string_min_string" member "min"("list(string)") -> "string", Traversal;
        ListBytesMinBytes = "list_bytes_min_bytes" member "min"("list(bytes)") -> "bytes", Traversal;
        OptionalNone = "optional_none" global "optional.none"() -> "optional_type(V)", One;
        OptionalOf = "optional_of" global "optional.of"("V") -> "optional_type(V)", One;
        OptionalOfNonZeroValue = "optional_ofNonZeroValue" global "optional.ofNonZeroValue"("V") -> "optional_type(V)", One;
        OptionalUnwrap = "optional_unwrap" global "optional.unwrap"("list(optional_type(V))") -> "list(V)", One;
        OptionalOrOptional = "optional_or_optional" member "or"("optional_type(V)", "optional_type(V)") -> "optional_type(V)", One;
        OptionalOrValueValue = "optional_orValue_value" member "orValue"("optional_type(V)", "V") -> "V", One;
        ListReverse = "list_reverse" member "reverse"("list(T)") -> "list(T)", ListOutput;
        ListSetsContainsList = "list_sets_contains_list" global "sets.contains"("list(T)", "list(T)") -> "bool", Sets(1.0);
        ListSetsEquivalentList = "list_sets_equivalent_list" global "sets.equivalent"("list(T)", "list(T)") -> "bool", Sets(2.0);
        ListSetsIntersectsList = "list_sets_intersects_list" global "sets.intersects"("list(T)", "list(T)") -> "bool", Sets(1.0);
        ListSlice = "list_slice" member "slice"("list(T)", "int", "int") -> "list(T)", ListOutput;
        ListIntSort = "list_int_sort" member "sort"("list(int)") -> "list(int)", SelfCompare(0);
        ListUintSort = "list_uint_sort" member "sort"("list(uint)") -> "list(uint)", SelfCompare(0);
        ListDoubleSort = "list_double_sort" member "sort"("list(double)") -> "list(double)", SelfCompare(0);
        ListBoolSort = "list_bool_sort" member "sort"("list(bool)") -> "list(bool)", SelfCompare(0);
        ListDurationSort = "list_duration_sort" member "sort"("list(duration)") -> "list(duration)", SelfCompare(0);
        ListTimestampSort = "list_timestamp_sort" member "sort"("list(timestamp)") -> "list(timestamp)", SelfCompare(0);
        ListStringSort = "list_string_sort" member "sort"("list(string)") -> "list(string)", SelfCompare(0);
        ListBytesSort = "list_bytes_sort" member "sort"("list(bytes)") -> "list(bytes)", SelfCompare(0);
        ListIntSumInt = "list_int_sum_int" member "sum"("list(int)") -> "int", Traversal;
        ListUintSumUint = "list_uint_sum_uint" member "sum"("list(uint)") -> "uint", Traversal;
        ListDoubleSumDouble = "list_double_sum_double" member "sum"("list(double)") -> "double", Traversal;
        ListDurationSumDuration = "list_duration_sum_duration" member "sum"("list(duration)") -> "duration", Traversal;
        OptionalUnwrapOpt = "optional_unwrapOpt" member "unwrapOpt"("list(optional_type(V))") -> "list(V)", One;
        OptionalValue = "optional_value" member "value"("optional_type(V)") -> "V", One;
    }
}

fn list<'a, 'b>(v: Option<&'b Value<'a>>) -> Option<&'b List<'a>> {
    match v {
        Some(Value::List(l)) => Some(l),
        _ => None,
    }
}

/// `sum()`, starting from `zero` and adding with the standard library's
/// overflow-checked `+`.
fn sum<'a>(zero: Value<'a>, l: &List<'a>) -> R<'a> {
    let mut acc = zero;
    for v in l.iter() {
        let add = match (&acc, &v) {
            (Value::Int(_), Value::Int(_)) => Std::AddInt64,
            (Value::Uint(_), Value::Uint(_)) => Std::AddUint64,
            (Value::Double(_), Value::Double(_)) => Std::AddDouble,
            (Value::Duration(_), Value::Duration(_)) => Std::AddDurationDuration,
            _ => return Err(Error::no_such_overload()),
        };
        let mut pair = [acc, v];
        acc = super::fn_std::call(add, &mut pair)?;
    }
    Ok(acc)
}

/// Whether a value is one of cel-go's `traits.Comparer` types.
fn is_comparer(v: &Value<'_>) -> bool {
    matches!(
        v,
        Value::Bool(_)
            | Value::Bytes(_)
            | Value::Double(_)
            | Value::Duration(_)
            | Value::Int(_)
            | Value::String(_)
            | Value::Timestamp(_)
            | Value::Uint(_)
    )
}

/// `max()` / `min()` as the Kubernetes lists library runs them: the first
/// element is kept until a later one compares strictly better, and a pair
/// that cannot be compared (NaN, mixed types) is skipped, so the result
/// depends on the order.
fn extreme<'a>(l: &List<'a>, max: bool) -> R<'a> {
    let prefer = if max {
        Ordering::Less
    } else {
        Ordering::Greater
    };
    let mut best: Option<Value<'a>> = None;
    for v in l.iter() {
        if !is_comparer(&v) {
            return Err(Error::no_such_overload());
        }
        best = Some(match best {
            Some(b) if compare(&b, &v).ok() != Some(prefer) => b,
            _ => v,
        });
    }
    best.ok_or_else(|| {
        Error::msg(format!(
            "{} called on empty list",
            if max { "max" } else { "min" }
        ))
    })
}

/// cel-go's `sortListByAssociatedKeys`: `items` ordered by `keys` with
/// Go's `sort.Slice`; every key must have the first key's type, and that
/// type must be ordered.
fn sorted<'a>(items: &[Value<'a>], keys: &[Value<'a>]) -> Result<Vec<Value<'a>>, Error> {
    let Some(first) = keys.first() else {
        return Ok(items.to_vec());
    };
    if !is_comparer(first) {
        return Err(Error::Static("list elements must be comparable"));
    }
    let kind = first.type_name();
    let mut mixed = false;
    let mut idx: Vec<usize> = (0..items.len()).collect();
    crate::go::sort_slice(&mut idx, |&i, &j| {
        let (a, b) = (&keys[i], &keys[j]);
        if a.type_name() != kind || b.type_name() != kind {
            mixed = true;
            return false;
        }
        compare(a, b).ok() == Some(Ordering::Less)
    });
    if mixed {
        return Err(Error::Static("list elements must have the same type"));
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

fn with_list<'a>(args: &[Value<'a>], f: impl FnOnce(&List<'a>) -> R<'a>) -> R<'a> {
    match list(args.first()) {
        Some(l) => f(l),
        None => Err(Error::no_such_overload()),
    }
}

fn sets<'a>(args: &[Value<'a>], f: fn(&List<'a>, &List<'a>) -> bool) -> R<'a> {
    match (list(args.first()), list(args.get(1))) {
        (Some(a), Some(b)) => Ok(Value::Bool(f(a, b))),
        _ => Err(Error::no_such_overload()),
    }
}

fn intersects(a: &List<'_>, b: &List<'_>) -> bool {
    a.iter().any(|x| b.iter().any(|y| equals(&x, &y)))
}

/// `value()`, `hasValue()`, `or()` and `orValue()` of an optional.
fn optional_method<'a>(o: Lists, args: &[Value<'a>]) -> R<'a> {
    let Some(Value::Optional(v)) = args.first() else {
        return Err(Error::no_such_overload());
    };
    match (o, v) {
        (Lists::OptionalHasValue, v) => Ok(Value::Bool(v.is_some())),
        (Lists::OptionalValue, Some(v)) => Ok(v.as_ref().clone()),
        (Lists::OptionalValue, None) => Err(Error::Static("optional.none() dereference")),
        (Lists::OptionalOrOptional, Some(_)) => Ok(args[0].clone()),
        (_, Some(v)) => Ok(v.as_ref().clone()),
        (Lists::OptionalOrOptional, None) => match args.get(1) {
            Some(v @ Value::Optional(_)) => Ok(v.clone()),
            _ => Err(Error::no_such_overload()),
        },
        (_, None) => args.get(1).cloned().ok_or_else(Error::no_such_overload),
    }
}

fn unwrap_all<'a>(l: &List<'a>) -> R<'a> {
    let mut out = Vec::new();
    for v in l.iter() {
        match v {
            Value::Optional(Some(x)) => out.push(x.as_ref().clone()),
            Value::Optional(None) => {}
            other => {
                return Err(Error::msg(format!(
                    "value {} is not optional",
                    super::value::go_v(&other)
                )));
            }
        }
    }
    Ok(Value::list(out))
}

fn slice<'a>(l: &List<'a>, args: &[Value<'a>]) -> R<'a> {
    let (Some(Value::Int(s)), Some(Value::Int(e))) = (args.get(1), args.get(2)) else {
        return Err(Error::no_such_overload());
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

fn flattened<'a>(l: &List<'a>, args: &[Value<'a>]) -> R<'a> {
    let depth = match args.get(1) {
        Some(Value::Int(d)) => *d,
        _ => 1,
    };
    if depth < 0 {
        return Err(Error::Static("level must be non-negative"));
    }
    let mut out = Vec::new();
    flatten(l, depth, &mut out);
    Ok(Value::list(out))
}

fn distinct<'a>(l: &List<'a>) -> R<'a> {
    let mut out: Vec<Value<'a>> = Vec::new();
    for v in l.iter() {
        if !out.iter().any(|x| equals(x, &v)) {
            out.push(v);
        }
    }
    Ok(Value::list(out))
}

fn index_of<'a>(args: &[Value<'a>], last: bool) -> R<'a> {
    let (Some(Value::List(l)), Some(target)) = (args.first(), args.get(1)) else {
        return Err(Error::no_such_overload());
    };
    let items = l.to_vec();
    let pos = if last {
        items.iter().rposition(|v| equals(v, target))
    } else {
        items.iter().position(|v| equals(v, target))
    };
    Ok(Value::Int(pos.map_or(-1, |p| p as i64)))
}

fn sort_by_keys<'a>(l: &List<'a>, args: &[Value<'a>]) -> R<'a> {
    let Some(keys) = list(args.get(1)) else {
        return Err(Error::no_such_overload());
    };
    if keys.len() != l.len() {
        return Err(Error::msg(format!(
            "@sortByAssociatedKeys() expected a list of the same size as the associated keys list, but got {} and {} elements respectively",
            l.len(),
            keys.len()
        )));
    }
    let items = l.to_vec();
    sorted(&items, &keys.to_vec()).map(Value::list)
}

fn sort<'a>(l: &List<'a>) -> R<'a> {
    let items = l.to_vec();
    sorted(&items, &items).map(Value::list)
}

/// `isSorted()`: false at the first pair in descending order; pairs that
/// cannot be compared (NaN, mixed types) are skipped, as upstream does.
fn is_sorted<'a>(l: &List<'a>) -> R<'a> {
    let mut prev: Option<Value<'a>> = None;
    for v in l.iter() {
        if !is_comparer(&v) {
            return Err(Error::no_such_overload());
        }
        if let Some(p) = &prev
            && compare(p, &v).ok() == Some(Ordering::Greater)
        {
            return Ok(Value::Bool(false));
        }
        prev = Some(v);
    }
    Ok(Value::Bool(true))
}

fn first_or_last<'a>(l: &List<'a>, last: bool) -> R<'a> {
    let v = if last {
        l.len().checked_sub(1).and_then(|i| l.get(i))
    } else {
        l.get(0)
    };
    Ok(v.map_or(Value::Optional(None), Value::some))
}

/// List, set and optional calls.
pub(crate) fn call<'a>(o: Lists, args: &[Value<'a>]) -> R<'a> {
    use Lists as L;
    match o {
        L::OptionalOf => args
            .first()
            .map(|v| Value::some(v.clone()))
            .ok_or_else(Error::no_such_overload),
        L::OptionalOfNonZeroValue => match args.first() {
            Some(v) if is_zero(v) => Ok(Value::Optional(None)),
            Some(v) => Ok(Value::some(v.clone())),
            None => Err(Error::no_such_overload()),
        },
        L::OptionalNone => Ok(Value::Optional(None)),
        L::OptionalValue
        | L::OptionalHasValue
        | L::OptionalOrOptional
        | L::OptionalOrValueValue => optional_method(o, args),
        L::OptionalUnwrap | L::OptionalUnwrapOpt => with_list(args, unwrap_all),
        L::ListFirst => with_list(args, |l| first_or_last(l, false)),
        L::ListLast => with_list(args, |l| first_or_last(l, true)),
        L::ListsRange => match args.first() {
            // The result's size alone would exceed the cost limit.
            Some(Value::Int(n)) if *n > super::eval::COST_LIMIT as i64 => Err(Error::Cancelled),
            Some(Value::Int(n)) => Ok(Value::list((0..(*n).max(0)).map(Value::Int).collect())),
            _ => Err(Error::no_such_overload()),
        },
        L::ListSetsContainsList => sets(args, contains_all),
        L::ListSetsEquivalentList => sets(args, |a, b| contains_all(a, b) && contains_all(b, a)),
        L::ListSetsIntersectsList => sets(args, intersects),
        L::ListSlice => with_list(args, |l| slice(l, args)),
        L::ListFlatten | L::ListFlattenInt => with_list(args, |l| flattened(l, args)),
        L::ListReverse => with_list(args, |l| {
            let mut v = l.to_vec();
            v.reverse();
            Ok(Value::list(v))
        }),
        L::ListDistinct => with_list(args, distinct),
        L::ListAIndexOfInt => index_of(args, false),
        L::ListALastIndexOfInt => index_of(args, true),
        L::ListIntSortByAssociatedKeys
        | L::ListUintSortByAssociatedKeys
        | L::ListDoubleSortByAssociatedKeys
        | L::ListBoolSortByAssociatedKeys
        | L::ListDurationSortByAssociatedKeys
        | L::ListTimestampSortByAssociatedKeys
        | L::ListStringSortByAssociatedKeys
        | L::ListBytesSortByAssociatedKeys => with_list(args, |l| sort_by_keys(l, args)),
        L::ListIntSort
        | L::ListUintSort
        | L::ListDoubleSort
        | L::ListBoolSort
        | L::ListDurationSort
        | L::ListTimestampSort
        | L::ListStringSort
        | L::ListBytesSort => with_list(args, sort),
        L::ListIntIsSortedBool
        | L::ListUintIsSortedBool
        | L::ListDoubleIsSortedBool
        | L::ListBoolIsSortedBool
        | L::ListDurationIsSortedBool
        | L::ListTimestampIsSortedBool
        | L::ListStringIsSortedBool
        | L::ListBytesIsSortedBool => with_list(args, is_sorted),
        L::ListIntSumInt => with_list(args, |l| sum(Value::Int(0), l)),
        L::ListUintSumUint => with_list(args, |l| sum(Value::Uint(0), l)),
        L::ListDoubleSumDouble => with_list(args, |l| sum(Value::Double(0.0), l)),
        L::ListDurationSumDuration => with_list(args, |l| sum(Value::Duration(0), l)),
        L::ListIntMaxInt
        | L::ListUintMaxUint
        | L::ListDoubleMaxDouble
        | L::ListBoolMaxBool
        | L::ListDurationMaxDuration
        | L::ListTimestampMaxTimestamp
        | L::ListStringMaxString
        | L::ListBytesMaxBytes => with_list(args, |l| extreme(l, true)),
        L::ListIntMinInt
        | L::ListUintMinUint
        | L::ListDoubleMinDouble
        | L::ListBoolMinBool
        | L::ListDurationMinDuration
        | L::ListTimestampMinTimestamp
        | L::ListStringMinString
        | L::ListBytesMinBytes => with_list(args, |l| extreme(l, false)),
    }
}
