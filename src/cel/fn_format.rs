//! `string.format` as cel-go's `ext.Strings` version 2 runs it (the
//! version-1 formatter): `%s %d %f %e %b %x %X %o`, CEL-literal rendering of
//! list and map members, and golang.org/x/text's English number printing
//! for `%f` (digit grouping) and `%e` (`×10ⁿ`).

use super::error::Error;
use super::fn_std::to_string_value;
use super::value::{List, Value};
use crate::go::quote;

fn format_error(outer: &str, inner: String) -> Error {
    Error::msg(format!("{outer}: {inner}"))
}

/// `string.format` (cel-go formatting, version 1).
pub(crate) fn format(f: &str, args: &List<'_>) -> Result<String, Error> {
    let b = f.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let (mut i, mut arg) = (0usize, 0usize);
    while i < b.len() {
        if b[i] != b'%' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        if b.get(i + 1) == Some(&b'%') {
            out.push(b'%');
            i += 2;
            continue;
        }
        if arg >= args.len() {
            return Err(Error::msg(format!("index {arg} out of range")));
        }
        if i + 1 >= b.len() {
            return Err(Error::Static("unexpected end of string"));
        }
        let mut j = i + 1;
        let mut precision: Option<usize> = None;
        if b[j] == b'.' {
            j += 1;
            let start = j;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if j >= b.len() {
                return Err(format_error(
                    "could not parse formatting clause",
                    "error while parsing precision: could not find end of precision specifier"
                        .into(),
                ));
            }
            let digits = &f[start..j];
            precision = Some(digits.parse().map_err(|_| {
                format_error(
                    "could not parse formatting clause",
                    format!(
                        "error while parsing precision: error while converting precision to integer: strconv.Atoi: parsing {}: invalid syntax",
                        quote(digits)
                    ),
                )
            })?);
        }
        // Far beyond any meaningful precision; keeps the output bounded.
        let precision = precision.map(|p| p.min(1000));
        let verb = b[j];
        let val = args.get(arg).unwrap_or(Value::Null);
        let text = match verb {
            b's' => format_string(&val),
            b'd' => format_decimal(&val),
            b'f' => format_fixed(&val, precision.unwrap_or(6)),
            b'e' => format_scientific(&val, precision.unwrap_or(6)),
            b'b' => format_radix(&val, 2, false),
            b'x' | b'X' => format_radix(&val, 16, verb == b'X'),
            b'o' => format_radix(&val, 8, false),
            other => {
                return Err(format_error(
                    "could not parse formatting clause",
                    format!("unrecognized formatting clause \"{}\"", other as char),
                ));
            }
        }
        .map_err(|e| format_error("error during formatting", e))?;
        out.extend_from_slice(text.as_bytes());
        i = j + 1;
        arg += 1;
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

fn string_clause_error(v: &Value<'_>) -> String {
    format!(
        "string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, types, durations, and timestamps, was given {}",
        v.type_name()
    )
}

fn format_string(v: &Value<'_>) -> Result<String, String> {
    match v {
        Value::List(l) => {
            let parts: Result<Vec<String>, String> = l.iter().map(|e| list_member(&e)).collect();
            Ok(format!("[{}]", parts?.join(", ")))
        }
        Value::Map(m) => {
            let mut pairs = Vec::new();
            for (k, val) in m.entries() {
                let key = match &k {
                    Value::String(_) | Value::Bool(_) => quote_member(&k, format_string(&k)?),
                    Value::Int(_) | Value::Uint(_) => format_decimal(&k)?,
                    other => {
                        return Err(format!(
                            "no formatting function for map key of type {}",
                            other.type_name()
                        ));
                    }
                };
                pairs.push((key, list_member(&val)?));
            }
            pairs.sort_by(|a, b| a.0.cmp(&b.0));
            let parts: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}:{v}")).collect();
            Ok(format!("{{{}}}", parts.join(", ")))
        }
        Value::Null => Ok("null".to_string()),
        Value::Int(_)
        | Value::Uint(_)
        | Value::Double(_)
        | Value::Bool(_)
        | Value::String(_)
        | Value::Timestamp(_)
        | Value::Bytes(_)
        | Value::Duration(_)
        | Value::Type(_) => to_string_value(v).map_err(|e| {
            // cel-go quotes the error value the conversion produced.
            format!(
                "could not convert argument {} to string",
                quote(&e.to_string())
            )
        }),
        other => Err(string_clause_error(other)),
    }
}

fn quote_member(v: &Value<'_>, s: String) -> String {
    match v {
        Value::String(_) => quote(&s),
        Value::Bytes(_) => format!("b{}", quote(&s)),
        Value::Double(d) if !d.is_finite() => quote(&s),
        _ => s,
    }
}

fn list_member(v: &Value<'_>) -> Result<String, String> {
    let s = match v {
        Value::Int(_) | Value::Uint(_) => format_decimal(v)?,
        Value::String(_) | Value::Bytes(_) | Value::Bool(_) | Value::Null | Value::Type(_) => {
            format_string(v)?
        }
        Value::Timestamp(_) | Value::Duration(_) => {
            let inner = to_string_value(v).map_err(|e| e.to_string())?;
            let f = if matches!(v, Value::Timestamp(_)) {
                "timestamp"
            } else {
                "duration"
            };
            format!("{f}({})", quote(&inner))
        }
        Value::List(_) | Value::Map(_) => format_string(v)?,
        Value::Double(d) => go_fixed(*d, 6),
        other => return Err(format!("no formatting function for {}", other.type_name())),
    };
    Ok(quote_member(v, s))
}

fn format_decimal(v: &Value<'_>) -> Result<String, String> {
    match v {
        Value::Int(i) => Ok(i.to_string()),
        Value::Uint(u) => Ok(u.to_string()),
        other => Err(format!(
            "decimal clause can only be used on integers, was given {}",
            other.type_name()
        )),
    }
}

/// Go's `%.<p>f`.
fn go_fixed(d: f64, p: usize) -> String {
    if d.is_nan() {
        "NaN".to_string()
    } else if d.is_infinite() {
        if d > 0.0 { "+Inf" } else { "-Inf" }.to_string()
    } else {
        format!("{d:.p$}")
    }
}

fn float_arg(v: &Value<'_>, clause: &str) -> Result<f64, String> {
    match v {
        Value::Double(d) => Ok(*d),
        Value::String(s) if s.as_str() == "NaN" => Ok(f64::NAN),
        Value::String(s) if s.as_str() == "Infinity" => Ok(f64::INFINITY),
        Value::String(s) if s.as_str() == "-Infinity" => Ok(f64::NEG_INFINITY),
        other => Err(format!(
            "{clause} clause can only be used on doubles, was given {}",
            other.type_name()
        )),
    }
}

fn group_thousands(int_part: &str) -> String {
    let (sign, digits) = match int_part.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", int_part),
    };
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}

/// golang.org/x/text takes the sign from `x < 0`, so negative zero prints
/// unsigned.
fn unsigned_zero(d: f64) -> f64 {
    if d == 0.0 { 0.0 } else { d }
}

/// `%f` through golang.org/x/text's English printer: digit grouping.
fn format_fixed(v: &Value<'_>, p: usize) -> Result<String, String> {
    let d = unsigned_zero(float_arg(v, "fixed-point")?);
    if !d.is_finite() {
        return Ok(if d.is_nan() {
            "NaN"
        } else if d > 0.0 {
            "∞"
        } else {
            "-∞"
        }
        .to_string());
    }
    let s = format!("{d:.p$}");
    Ok(match s.split_once('.') {
        Some((i, f)) => format!("{}.{f}", group_thousands(i)),
        None => group_thousands(&s),
    })
}

/// `%e` through golang.org/x/text's English printer: `1.234500×10⁰³`
/// (superscript exponent of at least two digits).
fn format_scientific(v: &Value<'_>, p: usize) -> Result<String, String> {
    let d = unsigned_zero(float_arg(v, "scientific")?);
    if !d.is_finite() {
        return Ok(if d.is_nan() {
            "NaN"
        } else if d > 0.0 {
            "∞"
        } else {
            "-∞"
        }
        .to_string());
    }
    let s = format!("{d:.p$e}");
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    const SUP: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let mut out = format!("{mantissa}×10");
    if exp < 0 {
        out.push('⁻');
    }
    for c in format!("{:02}", exp.unsigned_abs()).chars() {
        out.push(SUP[c.to_digit(10).unwrap_or(0) as usize]);
    }
    Ok(out)
}

fn format_radix(v: &Value<'_>, radix: u32, upper: bool) -> Result<String, String> {
    let digits = |n: u64| -> String {
        let s = match radix {
            2 => format!("{n:b}"),
            8 => format!("{n:o}"),
            _ => format!("{n:x}"),
        };
        if upper { s.to_uppercase() } else { s }
    };
    match (v, radix) {
        (Value::Int(i), _) => Ok(format!(
            "{}{}",
            if *i < 0 { "-" } else { "" },
            digits(i.unsigned_abs())
        )),
        (Value::Uint(u), _) => Ok(digits(*u)),
        (Value::Bool(b), 2) => Ok(if *b { "1" } else { "0" }.to_string()),
        (Value::String(s), 16) => Ok(s
            .as_str()
            .bytes()
            .map(|c| digits(u64::from(c)))
            .map(|h| if h.len() < 2 { format!("0{h}") } else { h })
            .collect()),
        (Value::Bytes(bs), 16) => Ok(bs
            .iter()
            .map(|c| digits(u64::from(*c)))
            .map(|h| if h.len() < 2 { format!("0{h}") } else { h })
            .collect()),
        (other, 2) => Err(format!(
            "only integers and bools can be formatted as binary, was given {}",
            other.type_name()
        )),
        (other, 16) => Err(format!(
            "only integers, byte buffers, and strings can be formatted as hex, was given {}",
            other.type_name()
        )),
        (other, _) => Err(format!(
            "octal clause can only be used on integers, was given {}",
            other.type_name()
        )),
    }
}
