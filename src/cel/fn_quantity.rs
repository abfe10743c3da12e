//! The Kubernetes quantity library over apimachinery's
//! `resource.ParseQuantity` (its grammar, suffixes, error texts, rounding up
//! to the nano and the int64 cap), with values held exactly in nano units.

use super::error::Error;
use super::ext_types::Ext;
use super::value::Value;
use std::cmp::Ordering;

const ERR_FORMAT: &str = "quantities must match the regular expression \
    '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const ERR_SUFFIX: &str = "unable to parse quantity's suffix";
const ERR_NUMERIC: &str = "unable to parse numeric part of quantity";
const NANO: i128 = 1_000_000_000;
/// apimachinery caps quantities at `2^63 - 1` (whole units).
const MAX_NANOS: i128 = (i64::MAX as i128) * NANO;

/// A quantity, exactly, in units of 10^-9.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Quantity {
    pub nanos: i128,
}

struct Parts<'s> {
    positive: bool,
    value: &'s str,
    num: &'s str,
    denom: &'s str,
    suffix: &'s str,
}

/// apimachinery's `parseQuantityString`.
fn split(s: &str) -> Result<Parts<'_>, &'static str> {
    let b = s.as_bytes();
    let end = b.len();
    let mut pos = 0;
    let mut positive = true;
    match b.first() {
        Some(b'-') => {
            positive = false;
            pos += 1;
        }
        Some(b'+') => pos += 1,
        _ => {}
    }
    let mut p = Parts {
        positive,
        value: "0",
        num: "0",
        denom: "",
        suffix: "",
    };
    while pos < end && b[pos] == b'0' {
        pos += 1;
    }
    if pos >= end {
        return Ok(p);
    }
    let start = pos;
    while pos < end && b[pos].is_ascii_digit() {
        pos += 1;
    }
    p.num = if pos == start { "0" } else { &s[start..pos] };
    if pos >= end {
        p.value = s;
        return Ok(p);
    }
    if b[pos] == b'.' {
        pos += 1;
        let ds = pos;
        while pos < end && b[pos].is_ascii_digit() {
            pos += 1;
        }
        p.denom = &s[ds..pos];
        if pos >= end {
            p.value = s;
            return Ok(p);
        }
    }
    p.value = &s[..pos];
    let suffix_start = pos;
    while pos < end && b"eEinumkKMGTP".contains(&b[pos]) {
        pos += 1;
    }
    if pos < end && (b[pos] == b'-' || b[pos] == b'+') {
        pos += 1;
    }
    while pos < end && b[pos].is_ascii_digit() {
        pos += 1;
    }
    if pos < end {
        return Err(ERR_FORMAT);
    }
    p.suffix = &s[suffix_start..];
    Ok(p)
}

/// (base, exponent) of a suffix, as `quantitySuffixer.interpret`.
fn interpret(suffix: &str) -> Option<(u32, i64)> {
    let dec = |e| Some((10, e));
    match suffix {
        "" => dec(0),
        "n" => dec(-9),
        "u" => dec(-6),
        "m" => dec(-3),
        "k" => dec(3),
        "M" => dec(6),
        "G" => dec(9),
        "T" => dec(12),
        "P" => dec(15),
        "E" => dec(18),
        "Ki" => Some((2, 10)),
        "Mi" => Some((2, 20)),
        "Gi" => Some((2, 30)),
        "Ti" => Some((2, 40)),
        "Pi" => Some((2, 50)),
        "Ei" => Some((2, 60)),
        s if s.len() > 1 && (s.starts_with('e') || s.starts_with('E')) => {
            super::golang::parse_int(&s[1..]).map(|e| (10, e))
        }
        _ => None,
    }
}

/// `digits * 10^exp10 * 2^exp2` in nanos, rounded up in magnitude, capped.
fn scale(digits: &str, exp10: i64, exp2: u32) -> i128 {
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return 0;
    }
    // Keep at most 30 significant digits; dropped ones only force rounding up.
    let (kept, dropped) = digits.split_at(digits.len().min(30));
    let mut inexact = dropped.bytes().any(|c| c != b'0');
    let mut e = exp10.saturating_add(9).saturating_add(dropped.len() as i64);
    let mut v: i128 = kept.parse().unwrap_or(i128::MAX);
    for _ in 0..exp2 {
        v = match v.checked_mul(2) {
            Some(x) if x <= MAX_NANOS * 1_000 => x,
            _ => return MAX_NANOS,
        };
    }
    while e > 0 {
        v = match v.checked_mul(10) {
            Some(x) if x <= MAX_NANOS * 1_000 => x,
            _ => return MAX_NANOS,
        };
        e -= 1;
    }
    while e < 0 && v > 0 {
        inexact |= v % 10 != 0;
        v /= 10;
        e += 1;
    }
    if inexact {
        v += 1;
    }
    v.min(MAX_NANOS)
}

/// `resource.ParseQuantity`.
pub(crate) fn parse(s: &str) -> Result<Quantity, &'static str> {
    if s.is_empty() {
        return Err(ERR_FORMAT);
    }
    if s == "0" {
        return Ok(Quantity { nanos: 0 });
    }
    let p = split(s)?;
    let (base, exp) = interpret(p.suffix).ok_or(ERR_SUFFIX)?;
    let numeric = p.value.trim_start_matches(['+', '-']);
    if numeric.is_empty() || numeric == "." {
        return Err(ERR_NUMERIC);
    }
    let digits = format!("{}{}", p.num, p.denom);
    let frac = p.denom.len() as i64;
    let magnitude = if base == 10 {
        scale(&digits, exp.saturating_sub(frac), 0)
    } else {
        scale(&digits, -frac, exp as u32)
    };
    Ok(Quantity {
        nanos: if p.positive { magnitude } else { -magnitude },
    })
}

fn q(v: &Value<'_>) -> Option<Quantity> {
    match v {
        Value::Ext(Ext::Quantity(q)) => Some(**q),
        _ => None,
    }
}

fn qv<'a>(nanos: i128) -> Value<'a> {
    Value::Ext(Ext::Quantity(std::sync::Arc::new(Quantity { nanos })))
}

fn int_arg(v: Option<&Value<'_>>) -> Option<i128> {
    match v {
        Some(Value::Int(i)) => Some(i128::from(*i)),
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
        Some(b) => Ok(f(a.nanos.cmp(&b.nanos))),
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
    Ok(if whole {
        qv((n / NANO / d) * NANO)
    } else {
        qv(n / d)
    })
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
            (_, Ok(x)) => Ok(qv(x.nanos)),
            (_, Err(e)) => Err(Error::Static(e)),
        };
    }
    let Some(a) = q(arg0) else {
        return bad();
    };
    let n = a.nanos;
    let other = args.get(1).and_then(q);
    let int = int_arg(args.get(1));
    match overload {
        O::StringToQuantity | O::IsQuantityString => bad(),
        O::QuantitySign => Ok(Value::Int(n.signum() as i64)),
        O::QuantityGetFloat => Ok(Value::Double(n as f64 / 1e9)),
        O::QuantityIsInteger => Ok(Value::Bool(
            n % NANO == 0 && i64::try_from(n / NANO).is_ok(),
        )),
        O::QuantityGetInt => match (n % NANO == 0).then(|| i64::try_from(n / NANO)) {
            Some(Ok(v)) => Ok(Value::Int(v)),
            _ => Err(Error::Static("cannot convert value to integer")),
        },
        O::QuantityIsGreaterThan => compare(a, args, |o| Value::Bool(o == Ordering::Greater)),
        O::QuantityIsLessThan => compare(a, args, |o| Value::Bool(o == Ordering::Less)),
        O::QuantityCompareTo => compare(a, args, |o| Value::Int(o as i64)),
        O::QuantityAdd => other.map_or_else(bad, |b| Ok(qv(n.saturating_add(b.nanos)))),
        O::QuantitySub => other.map_or_else(bad, |b| Ok(qv(n.saturating_add(-b.nanos)))),
        O::QuantityAddInt => {
            int.map_or_else(bad, |i| Ok(qv(n.saturating_add(i.saturating_mul(NANO)))))
        }
        O::QuantitySubInt => {
            int.map_or_else(bad, |i| Ok(qv(n.saturating_sub(i.saturating_mul(NANO)))))
        }
        O::QuantityMultiplyInt => int.map_or_else(bad, |i| Ok(qv(n.saturating_mul(i)))),
        O::QuantityDivideIntDefaultRounding => divide(n, args, false, false),
        O::QuantityDivideIntRound => divide(n, args, false, true),
        O::QuantityDivideInt => divide(n, args, true, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_quantities() {
        let n = |s: &str| parse(s).map(|q| q.nanos);
        assert_eq!(n("1Gi"), Ok(1_073_741_824 * NANO));
        assert_eq!(n("2Gi"), Ok(2 * 1_073_741_824 * NANO));
        assert_eq!(n("1.5k"), Ok(1500 * NANO));
        assert_eq!(n("100m"), Ok(NANO / 10));
        assert_eq!(n("0.1n"), Ok(1));
        assert_eq!(n("-1e3"), Ok(-1000 * NANO));
        assert_eq!(n("1ki"), Err(ERR_SUFFIX));
        assert_eq!(n("1Qi"), Err(ERR_FORMAT));
        assert_eq!(n("abc"), Err(ERR_FORMAT));
        assert_eq!(n("1e100"), Ok(MAX_NANOS));
    }
}
