//! yaml.v2's scalar resolution (`resolve.go`) and the Go values it produces when decoding into
//! `interface{}`, with the `strconv` parsing it relies on (`ParseInt`/`ParseUint` with base 0,
//! `ParseFloat`) and the key printing of `sigs.k8s.io/yaml` (`strconv.FormatFloat(k, 'g', -1,
//! 32)` for float keys).

use crate::go::{parse_float, parse_int, parse_uint};
use base64::Engine;

/// yaml.v2's long form of `!!merge`.
pub(crate) const MERGE_TAG: &str = "tag:yaml.org,2002:merge";
const TAG_PREFIX: &str = "tag:yaml.org,2002:";

/// A value as yaml.v2 decodes it into `interface{}`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum YamlValue {
    /// `nil`.
    Null,
    /// `bool`.
    Bool(bool),
    /// `int` (64-bit).
    Int(i64),
    /// `uint64`, for integers above `int64`.
    Uint(u64),
    /// `float64`.
    Float(f64),
    /// `string` (timestamps stay strings).
    Str(String),
    /// `[]interface{}`.
    Seq(Vec<YamlValue>),
    /// `map[interface{}]interface{}`, in the order keys were first set.
    Map(Vec<(YamlValue, YamlValue)>),
}

/// The resolved kind of a scalar (yaml.v2's `rtag`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Str,
    Bool,
    Int,
    Float,
    Null,
    Timestamp,
    Merge,
    Binary,
}

impl Kind {
    fn of_tag(tag: &str) -> Option<Kind> {
        Some(match tag.strip_prefix(TAG_PREFIX)? {
            "str" => Kind::Str,
            "bool" => Kind::Bool,
            "int" => Kind::Int,
            "float" => Kind::Float,
            "null" => Kind::Null,
            "timestamp" => Kind::Timestamp,
            "merge" => Kind::Merge,
            "binary" => Kind::Binary,
            _ => return None,
        })
    }

    fn short(self) -> &'static str {
        match self {
            Kind::Str => "!!str",
            Kind::Bool => "!!bool",
            Kind::Int => "!!int",
            Kind::Float => "!!float",
            Kind::Null => "!!null",
            Kind::Timestamp => "!!timestamp",
            Kind::Merge => "!!merge",
            Kind::Binary => "!!binary",
        }
    }
}

/// yaml.v2's `decoder.scalar` into `interface{}`: a quoted or block scalar without a tag is a
/// string; otherwise the tag (or, without one, the text) decides.
pub(crate) fn resolve_node(
    value: &str,
    tag: Option<&str>,
    implicit: bool,
) -> Result<YamlValue, String> {
    let tag = tag.unwrap_or("");
    if tag.is_empty() && !implicit {
        return Ok(YamlValue::Str(value.to_owned()));
    }
    let wanted = match Kind::of_tag(tag) {
        Some(kind) if kind != Kind::Merge && kind != Kind::Binary => Some(kind),
        // `!!binary` is not resolvable: the text is base64.
        Some(Kind::Binary) => return decode_binary(value),
        // Other tags (`!`, `!local`, `!!merge`, `!!set`...) are not resolvable: a string.
        _ if !tag.is_empty() => return Ok(YamlValue::Str(value.to_owned())),
        _ => None,
    };
    let (kind, resolved) = resolve_plain(value, wanted);
    match wanted {
        None => Ok(resolved),
        Some(w) if w == kind || w == Kind::Str => Ok(resolved),
        Some(Kind::Float) if kind == Kind::Int => Ok(match resolved {
            YamlValue::Int(i) => YamlValue::Float(i as f64),
            YamlValue::Uint(u) => YamlValue::Float(u as f64),
            other => other,
        }),
        Some(w) => Err(format!(
            "yaml: cannot decode {} `{value}` as a {}",
            kind.short(),
            w.short()
        )),
    }
}

/// `resolve` for an untagged plain scalar or one with a core tag (`wanted`).
fn resolve_plain(input: &str, wanted: Option<Kind>) -> (Kind, YamlValue) {
    let string = || (Kind::Str, YamlValue::Str(input.to_owned()));
    if wanted == Some(Kind::Str) {
        return string();
    }
    let hint = match input.as_bytes().first() {
        None => b'N',
        Some(b'+' | b'-') => b'S',
        Some(b'0'..=b'9') => b'D',
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => b'M',
        Some(b'.') => b'.',
        Some(_) => return string(),
    };
    if let Some(known) = lookup(input) {
        return known;
    }
    match hint {
        b'.' => {
            if let Some(f) = parse_float(input) {
                return (Kind::Float, YamlValue::Float(f));
            }
        }
        b'D' | b'S' => {
            if matches!(wanted, None | Some(Kind::Timestamp)) && is_timestamp(input) {
                return (Kind::Timestamp, YamlValue::Str(input.to_owned()));
            }
            let plain = input.replace('_', "");
            if let Some(i) = parse_int(&plain, 0) {
                return (Kind::Int, YamlValue::Int(i));
            }
            if let Some(u) = parse_uint(&plain, 0) {
                return (Kind::Int, YamlValue::Uint(u));
            }
            if is_yaml_style_float(&plain)
                && let Some(f) = parse_float(&plain)
            {
                return (Kind::Float, YamlValue::Float(f));
            }
            if let Some(binary) = plain.strip_prefix("0b") {
                if let Some(i) = parse_int(binary, 2) {
                    return (Kind::Int, YamlValue::Int(i));
                }
                if let Some(u) = parse_uint(binary, 2) {
                    return (Kind::Int, YamlValue::Uint(u));
                }
            } else if let Some(binary) = plain.strip_prefix("-0b")
                && let Some(i) = parse_int(&format!("-{binary}"), 2)
            {
                return (Kind::Int, YamlValue::Int(i));
            }
        }
        _ => {}
    }
    string()
}

/// yaml.v2's `resolveMap`.
fn lookup(input: &str) -> Option<(Kind, YamlValue)> {
    Some(match input {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            (Kind::Bool, YamlValue::Bool(true))
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            (Kind::Bool, YamlValue::Bool(false))
        }
        "" | "~" | "null" | "Null" | "NULL" => (Kind::Null, YamlValue::Null),
        ".nan" | ".NaN" | ".NAN" => (Kind::Float, YamlValue::Float(f64::NAN)),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            (Kind::Float, YamlValue::Float(f64::INFINITY))
        }
        "-.inf" | "-.Inf" | "-.INF" => (Kind::Float, YamlValue::Float(f64::NEG_INFINITY)),
        _ => return None,
    })
}

/// `base64.StdEncoding.DecodeString` (line breaks ignored), as yaml.v2 decodes `!!binary`.
fn decode_binary(value: &str) -> Result<YamlValue, String> {
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
    );
    let text: String = value
        .chars()
        .filter(|c| !matches!(c, '\r' | '\n'))
        .collect();
    let bytes = engine
        .decode(text)
        .map_err(|_| "yaml: !!binary value contains invalid base64 data".to_owned())?;
    Ok(YamlValue::Str(String::from_utf8_lossy(&bytes).into_owned()))
}

/// yaml.v2's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |mut i: usize| {
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        (i, i - start)
    };
    let mut i = usize::from(matches!(b.first(), Some(b'-' | b'+')));
    if b.get(i) == Some(&b'.') {
        let (end, n) = digits(i + 1);
        if n == 0 {
            return false;
        }
        i = end;
    } else {
        let (end, n) = digits(i);
        if n == 0 {
            return false;
        }
        i = end;
        if b.get(i) == Some(&b'.') {
            i = digits(i + 1).0;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        let (end, n) = digits(i);
        if n == 0 {
            return false;
        }
        i = end;
    }
    i == b.len()
}

/// yaml.v2's `parseTimestamp`: the formats it tries with `time.Parse`
/// (`2006-1-2T15:4:5.999999999Z07:00`, the same with `t`, `2006-1-2 15:4:5.999999999`,
/// `2006-1-2`).
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let number = |i: &mut usize, max_len: usize| -> Option<u32> {
        let start = *i;
        while *i < b.len() && *i - start < max_len && b[*i].is_ascii_digit() {
            *i += 1;
        }
        (*i > start).then(|| s[start..*i].parse().ok()).flatten()
    };
    let expect = |i: &mut usize, c: u8| -> bool {
        let ok = b.get(*i) == Some(&c);
        *i += usize::from(ok);
        ok
    };
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let Some(year) = number(&mut i, 4) else {
        return false;
    };
    let Some(month) = expect(&mut i, b'-').then(|| number(&mut i, 2)).flatten() else {
        return false;
    };
    let Some(day) = expect(&mut i, b'-').then(|| number(&mut i, 2)).flatten() else {
        return false;
    };
    if !(1..=12).contains(&month) || day < 1 || day > days_in(month, year) {
        return false;
    }
    if i == b.len() {
        return true;
    }
    let zoned = match b[i] {
        b'T' | b't' => true,
        b' ' => false,
        _ => return false,
    };
    i += 1;
    let Some(hour) = number(&mut i, 2) else {
        return false;
    };
    let Some(minute) = expect(&mut i, b':').then(|| number(&mut i, 2)).flatten() else {
        return false;
    };
    let Some(second) = expect(&mut i, b':').then(|| number(&mut i, 2)).flatten() else {
        return false;
    };
    if hour >= 24 || minute >= 60 || second >= 60 {
        return false;
    }
    if matches!(b.get(i), Some(b'.' | b',')) && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    if !zoned {
        return i == b.len();
    }
    match b.get(i) {
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            let zone = &b[i + 1..];
            zone.len() == 5
                && zone[2] == b':'
                && [0, 1, 3, 4].iter().all(|&k| zone[k].is_ascii_digit())
        }
        _ => false,
    }
}

fn days_in(month: u32, year: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl YamlValue {
    /// Go's `==` on two `interface{}` map keys: same dynamic type and value.
    pub(crate) fn same_key(&self, other: &YamlValue) -> bool {
        match (self, other) {
            (YamlValue::Null, YamlValue::Null) => true,
            (YamlValue::Bool(a), YamlValue::Bool(b)) => a == b,
            (YamlValue::Int(a), YamlValue::Int(b)) => a == b,
            (YamlValue::Uint(a), YamlValue::Uint(b)) => a == b,
            (YamlValue::Float(a), YamlValue::Float(b)) => a == b,
            (YamlValue::Str(a), YamlValue::Str(b)) => a == b,
            _ => false,
        }
    }

    /// The JSON key `convertToJSONableObject` makes of a map key; `None` for the key types it
    /// refuses (nil, `uint64`).
    pub(crate) fn json_key(&self) -> Option<String> {
        match self {
            YamlValue::Str(s) => Some(s.clone()),
            YamlValue::Int(i) => Some(i.to_string()),
            YamlValue::Bool(b) => Some(b.to_string()),
            YamlValue::Float(f) if f.is_nan() => Some(".nan".to_owned()),
            YamlValue::Float(f) if f.is_infinite() => {
                Some(if *f > 0.0 { ".inf" } else { "-.inf" }.to_owned())
            }
            YamlValue::Float(f) => Some(format_g_shortest_f32(*f)),
            YamlValue::Null | YamlValue::Uint(_) | YamlValue::Seq(_) | YamlValue::Map(_) => None,
        }
    }

    /// `reflect.TypeOf(v)` as `%s` prints it.
    pub(crate) fn go_type(&self) -> &'static str {
        match self {
            YamlValue::Null => "%!s(<nil>)",
            YamlValue::Bool(_) => "bool",
            YamlValue::Int(_) => "int",
            YamlValue::Uint(_) => "uint64",
            YamlValue::Float(_) => "float64",
            YamlValue::Str(_) => "string",
            YamlValue::Seq(_) => "[]interface {}",
            YamlValue::Map(_) => "map[interface {}]interface {}",
        }
    }

    /// An approximation of `%#v`, for the messages of refused keys.
    pub(crate) fn go_syntax(&self) -> String {
        match self {
            YamlValue::Null => "<nil>".to_owned(),
            YamlValue::Bool(b) => b.to_string(),
            YamlValue::Int(i) => i.to_string(),
            YamlValue::Uint(u) => format!("0x{u:x}"),
            YamlValue::Float(f) => f.to_string(),
            YamlValue::Str(s) => crate::go::quote(s),
            YamlValue::Seq(items) => format!(
                "[]interface {{}}{{{}}}",
                items
                    .iter()
                    .map(YamlValue::go_syntax)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            YamlValue::Map(entries) => format!(
                "map[interface {{}}]interface {{}}{{{}}}",
                entries
                    .iter()
                    .map(|(k, v)| format!("{}:{}", k.go_syntax(), v.go_syntax()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// `strconv.FormatFloat(f, 'g', -1, 32)`: the shortest digits that identify `float32(f)`, in
/// `%e` form when the exponent is below -4 or at least 6 (`1e+06`, `1.5`, `1e-05`).
fn format_g_shortest_f32(f: f64) -> String {
    let x = f as f32;
    if x == 0.0 {
        return if x.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    // Rust prints the shortest round-trip digits: `-1.2345e-7`.
    let scientific = format!("{x:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, mantissa),
    };
    let digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    if !(-4..6).contains(&exponent) {
        out.extend(digits.first().map(|&d| char::from(d)));
        if let Some(rest) = digits.get(1..).filter(|rest| !rest.is_empty()) {
            out.push('.');
            out.extend(rest.iter().map(|&d| char::from(d)));
        }
        out.push('e');
        out.push(if exponent < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exponent.unsigned_abs()));
        return out;
    }
    // %f with exactly the digits needed: the point sits after `exponent + 1` digits.
    let point = exponent + 1;
    let digit = |k: i32| {
        usize::try_from(k)
            .ok()
            .and_then(|k| digits.get(k))
            .map_or('0', |&d| char::from(d))
    };
    if point <= 0 {
        out.push('0');
    } else {
        (0..point).for_each(|k| out.push(digit(k)));
    }
    let len = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    if len > point {
        out.push('.');
        (point..len).for_each(|k| out.push(digit(k)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_integers() {
        let cases: &[(&str, Option<i64>)] = &[
            ("0", Some(0)),
            ("010", Some(8)),
            ("08", None),
            ("0x1F", Some(31)),
            ("0X1f", Some(31)),
            ("0x", None),
            ("0o17", Some(15)),
            ("0b101", Some(5)),
            ("-0b101", Some(-5)),
            ("+7", Some(7)),
            ("-9223372036854775808", Some(i64::MIN)),
            ("9223372036854775808", None),
            ("1.5", None),
        ];
        for (s, want) in cases {
            assert_eq!(parse_int(s, 0), *want, "{s}");
        }
        assert_eq!(parse_uint("18446744073709551615", 0), Some(u64::MAX));
        assert_eq!(parse_uint("+1", 0), None);
    }

    #[test]
    fn matches_yaml_style_floats() {
        for yes in ["1.5", "-1.", ".5", "1e3", "+1.5E-3", "08"] {
            assert!(is_yaml_style_float(yes), "{yes}");
        }
        for no in ["1e", ".", "e3", "1.5.5", "0x1p3", "inf", ""] {
            assert!(!is_yaml_style_float(no), "{no}");
        }
        assert_eq!(parse_float("1e400"), None);
        assert_eq!(parse_float(".5_0"), Some(0.5));
        assert_eq!(parse_float("._5"), None);
    }

    #[test]
    fn recognises_timestamps() {
        for yes in [
            "2001-12-14",
            "2001-1-2",
            "2001-12-14t21:59:43.10-05:00",
            "2001-12-14T21:59:43Z",
            "2001-12-14 21:59:43.10",
            "2000-02-29",
        ] {
            assert!(is_timestamp(yes), "{yes}");
        }
        for no in [
            "2001-13-01",
            "2001-02-30",
            "2001-12-14 21:59:43 -5",
            "20011-1-1",
            "2001",
        ] {
            assert!(!is_timestamp(no), "{no}");
        }
    }

    #[test]
    fn formats_float_keys_as_go() {
        let cases = [
            (1.5, "1.5"),
            (1000.0, "1000"),
            (1e6, "1e+06"),
            (123456.0, "123456"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.1, "1.1"),
            (-2.5, "-2.5"),
        ];
        for (f, want) in cases {
            assert_eq!(format_g_shortest_f32(f), want, "{f}");
        }
    }

    #[test]
    fn explicit_tags_must_match() {
        assert_eq!(
            resolve_node("abc", Some("tag:yaml.org,2002:int"), false).unwrap_err(),
            "yaml: cannot decode !!str `abc` as a !!int"
        );
        assert_eq!(
            resolve_node("2001-01-01", Some("tag:yaml.org,2002:timestamp"), true),
            Ok(YamlValue::Str("2001-01-01".into()))
        );
        assert_eq!(
            resolve_node("yes", Some("tag:yaml.org,2002:str"), true),
            Ok(YamlValue::Str("yes".into()))
        );
        assert!(resolve_node("%%%", Some("tag:yaml.org,2002:binary"), false).is_err());
    }
}
