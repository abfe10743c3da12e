//! The Kubernetes quantity library (`quantity()`, `isQuantity()`, the
//! comparisons, arithmetic and integer checks) over [`super::quantity`].

use super::error::Error;
use super::ext_types::Ext;
use super::quantity::{NANO, Quantity, parse};
use super::value::Value;
use std::cmp::Ordering;

fn q(v: &Value<'_>) -> Option<Quantity> {
    match v {
        Value::Ext(Ext::Quantity(q)) => Some(**q),
        _ => None,
    }
}

fn qv<'a>(q: Quantity) -> Value<'a> {
    Value::Ext(Ext::Quantity(std::sync::Arc::new(q)))
}

fn int_arg(v: Option<&Value<'_>>) -> Option<i64> {
    match v {
        Some(Value::Int(i)) => Some(*i),
        _ => None,
    }
}

super::overload::overloads! {
    /// The quantity library.
    Quantities {
        QuantityAdd = "quantity_add" member "add"("kubernetes.Quantity", "kubernetes.Quantity") -> "kubernetes.Quantity", One;
        QuantityAddInt = "quantity_add_int" member "add"("kubernetes.Quantity", "int") -> "kubernetes.Quantity", One;
        QuantityGetFloat = "quantity_get_float" member "asApproximateFloat"("kubernetes.Quantity") -> "double", One;
        QuantityGetInt = "quantity_get_int" member "asInteger"("kubernetes.Quantity") -> "int", One;
        QuantityCompareTo = "quantity_compare_to" member "compareTo"("kubernetes.Quantity", "kubernetes.Quantity") -> "int", One;
        QuantityDivideIntDefaultRounding = "quantity_divide_int_default_rounding" member "div"("kubernetes.Quantity", "int") -> "kubernetes.Quantity", One;
        QuantityDivideIntRound = "quantity_divide_int_round" member "div"("kubernetes.Quantity", "int", "int") -> "kubernetes.Quantity", One;
        QuantityDivideInt = "quantity_divide_int" member "divInt"("kubernetes.Quantity", "int") -> "kubernetes.Quantity", One;
        QuantityIsGreaterThan = "quantity_is_greater_than" member "isGreaterThan"("kubernetes.Quantity", "kubernetes.Quantity") -> "bool", One;
        QuantityIsInteger = "quantity_is_integer" member "isInteger"("kubernetes.Quantity") -> "bool", One;
        QuantityIsLessThan = "quantity_is_less_than" member "isLessThan"("kubernetes.Quantity", "kubernetes.Quantity") -> "bool", One;
        IsQuantityString = "is_quantity_string" global "isQuantity"("string") -> "bool", Scan(STRING_TRAVERSAL);
        QuantityMultiplyInt = "quantity_multiply_int" member "mul"("kubernetes.Quantity", "int") -> "kubernetes.Quantity", One;
        StringToQuantity = "string_to_quantity" global "quantity"("string") -> "kubernetes.Quantity", Scan(STRING_TRAVERSAL);
        QuantitySign = "quantity_sign" global "sign"("kubernetes.Quantity") -> "int", One;
        QuantitySub = "quantity_sub" member "sub"("kubernetes.Quantity", "kubernetes.Quantity") -> "kubernetes.Quantity", One;
        QuantitySubInt = "quantity_sub_int" member "sub"("kubernetes.Quantity", "int") -> "kubernetes.Quantity", One;
    }
}

fn compare<'a>(
    a: Quantity,
    args: &[Value<'a>],
    f: fn(Ordering) -> Value<'a>,
) -> Result<Value<'a>, Error> {
    match args.get(1).and_then(q) {
        Some(b) => Ok(f(a.cmp(&b))),
        None => Err(Error::no_such_overload()),
    }
}

fn divide<'a>(n: i128, args: &[Value<'a>], whole: bool, round: bool) -> Result<Value<'a>, Error> {
    let Some(d) = int_arg(args.get(1)) else {
        return Err(Error::no_such_overload());
    };
    if d == 0 {
        // apimachinery panics; cel-go reports the recovered panic.
        return Err(Error::Static("division by zero"));
    }
    if round {
        match int_arg(args.get(2)) {
            Some(r) if (0..=10).contains(&r) => {}
            Some(r) => {
                return Err(Error::msg(format!(
                    "the valid range for roundVal is 0 to 10 but {r} was passed"
                )));
            }
            None => return Err(Error::no_such_overload()),
        }
    }
    let d = i128::from(d);
    Ok(qv(Quantity::from_nanos(if whole {
        (n / NANO / d) * NANO
    } else {
        n / d
    })))
}

/// Calls of the quantity library.
pub(crate) fn call<'a>(overload: Quantities, args: &[Value<'a>]) -> Result<Value<'a>, Error> {
    use Quantities as O;
    let bad = || Err(Error::no_such_overload());
    let Some(arg0) = args.first() else {
        return bad();
    };
    if let O::StringToQuantity | O::IsQuantityString = overload {
        let Some(s) = arg0.as_str() else {
            return bad();
        };
        return match (overload, parse(s)) {
            (O::IsQuantityString, r) => Ok(Value::Bool(r.is_ok())),
            (_, Ok(x)) => Ok(qv(x)),
            (_, Err(e)) => Err(Error::Static(e)),
        };
    }
    let Some(a) = q(arg0) else {
        return bad();
    };
    let n = a.nanos();
    let other = args.get(1).and_then(q);
    let int = int_arg(args.get(1));
    match overload {
        O::StringToQuantity | O::IsQuantityString => bad(),
        O::QuantitySign => Ok(Value::Int(a.sign())),
        O::QuantityGetFloat => Ok(Value::Double(a.as_approximate_f64())),
        O::QuantityIsInteger => Ok(Value::Bool(a.as_int64().is_some())),
        O::QuantityGetInt => a
            .as_int64()
            .map(Value::Int)
            .ok_or(Error::Static("cannot convert value to integer")),
        O::QuantityIsGreaterThan => compare(a, args, |o| Value::Bool(o == Ordering::Greater)),
        O::QuantityIsLessThan => compare(a, args, |o| Value::Bool(o == Ordering::Less)),
        O::QuantityCompareTo => compare(a, args, |o| Value::Int(o as i64)),
        O::QuantityAdd => other.map_or_else(bad, |b| Ok(qv(a.add(b)))),
        O::QuantitySub => other.map_or_else(bad, |b| Ok(qv(a.sub(b)))),
        O::QuantityAddInt => int.map_or_else(bad, |i| Ok(qv(a.add(Quantity::from_int(i))))),
        O::QuantitySubInt => int.map_or_else(bad, |i| Ok(qv(a.sub(Quantity::from_int(i))))),
        O::QuantityMultiplyInt => int.map_or_else(bad, |i| Ok(qv(a.mul(i)))),
        O::QuantityDivideIntDefaultRounding => divide(n, args, false, false),
        O::QuantityDivideIntRound => divide(n, args, false, true),
        O::QuantityDivideInt => divide(n, args, true, false),
    }
}
