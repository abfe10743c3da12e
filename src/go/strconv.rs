//! Go's `strconv` number and bool parsing (`ParseInt`/`ParseUint` with a base, base 0 reading a
//! prefix; `ParseFloat` with its decimal and hexadecimal forms, digit-separating underscores,
//! infinities and NaN; `ParseBool`) and `fmt`'s `%g`, for every place that reads or prints what Go
//! would: CEL conversions, YAML scalars as yaml.v2 resolves them, feature gates.

/// `strconv.ParseUint(s, base, 64)`; base 0 reads a `0x`, `0o`, `0b` or `0` prefix.
pub fn parse_uint(s: &str, base: u32) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let (digits, radix) = if base == 0 {
        let lower = s.as_bytes().get(1).map(u8::to_ascii_lowercase);
        match (s.as_bytes()[0], lower) {
            (b'0', Some(b'b')) if s.len() >= 3 => (&s[2..], 2),
            (b'0', Some(b'o')) if s.len() >= 3 => (&s[2..], 8),
            (b'0', Some(b'x')) if s.len() >= 3 => (&s[2..], 16),
            (b'0', _) => (&s[1..], 8),
            _ => (s, 10),
        }
    } else {
        (s, base)
    };
    if !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    if digits.is_empty() {
        // Only "0" gets here (base 8 with nothing after the leading zero).
        return Some(0);
    }
    u64::from_str_radix(digits, radix).ok()
}

/// `strconv.ParseInt(s, base, 64)`.
pub fn parse_int(s: &str, base: u32) -> Option<i64> {
    let (negative, magnitude) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let magnitude = parse_uint(magnitude, base)?;
    if negative {
        0i64.checked_sub_unsigned(magnitude)
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Go's `strconv.ParseBool`.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Go's `underscoreOK`: underscores only between digits, or between a
/// base prefix and a digit.
fn underscore_ok(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s).as_bytes();
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if s.len() >= 2 && s[0] == b'0' && matches!(s[1].to_ascii_lowercase(), b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = s[1].eq_ignore_ascii_case(&b'x');
    }
    for &c in &s[i..] {
        if c.is_ascii_digit() || hex && c.is_ascii_hexdigit() {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else if saw == b'_' {
            return false;
        } else {
            saw = b'!';
        }
    }
    saw != b'_'
}

/// Go's `strconv.ParseFloat(s, 64)`: decimal and hexadecimal forms with
/// digit-separating underscores, `inf`/`infinity` with an optional sign,
/// `nan` without one; out-of-range values are errors, as in Go.
pub fn parse_float(s: &str) -> Option<f64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    if lower == "nan" {
        return (body.len() == s.len()).then_some(f64::NAN);
    }
    if lower.contains('_') && !underscore_ok(s) {
        return None;
    }
    let lower = lower.replace('_', "");
    let magnitude = match lower.as_str() {
        "inf" | "infinity" => f64::INFINITY,
        _ if lower.starts_with("0x") => parse_hex_float(&lower[2..])?,
        _ => {
            let valid = !lower.is_empty()
                && lower
                    .bytes()
                    .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'+' | b'-'))
                && lower.bytes().any(|c| c.is_ascii_digit());
            if !valid {
                return None;
            }
            let v: f64 = lower.parse().ok()?;
            if v.is_infinite() {
                return None;
            }
            v
        }
    };
    Some(if neg { -magnitude } else { magnitude })
}

/// A hexadecimal float's mantissa (after `0x`) and binary exponent, rounded
/// once to the nearest double as Go does.
fn parse_hex_float(s: &str) -> Option<f64> {
    let (mantissa, exp) = s.split_once('p')?;
    let mut exp: i64 = exp.parse().ok()?;
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    // Up to 30 hex digits exactly; later non-zero digits set a sticky bit.
    let mut bits: u128 = 0;
    let mut sticky = false;
    let mut kept = 0;
    for (i, c) in int_part.chars().chain(frac_part.chars()).enumerate() {
        let d = u128::from(c.to_digit(16)?);
        if kept < 30 {
            bits = bits * 16 + d;
            kept += 1;
            if i >= int_part.len() {
                exp -= 4;
            }
        } else {
            sticky |= d != 0;
            if i < int_part.len() {
                exp += 4;
            }
        }
    }
    if bits == 0 {
        return Some(0.0);
    }
    // Normalise to 64 significant bits plus sticky, then round to 53.
    let shift = 128 - bits.leading_zeros() as i64 - 64;
    if shift > 0 {
        let lost = bits & ((1u128 << shift) - 1);
        sticky |= lost != 0;
        bits >>= shift;
        exp += shift;
    }
    let mut m = bits as u64 | u64::from(sticky);
    let e2 = exp + 63 - i64::from(m.leading_zeros());
    // Subnormals keep fewer bits.
    let keep = if e2 < -1022 { 53 - (-1022 - e2) } else { 53 };
    if keep <= 0 {
        return Some(0.0);
    }
    let width = 64 - i64::from(m.leading_zeros());
    let drop = width - keep;
    if drop > 0 {
        let half = 1u64 << (drop - 1);
        let rest = m & ((1u64 << drop) - 1);
        m >>= drop;
        exp += drop;
        if rest > half || (rest == half && m & 1 == 1) {
            m += 1;
        }
    }
    // Scale by 2^exp in steps that stay exact (the bits are already rounded).
    let mut r = m as f64;
    let mut e = exp.clamp(-2200, 2200);
    while e > 1000 {
        r *= 2f64.powi(1000);
        e -= 1000;
    }
    while e < -1000 {
        r *= 2f64.powi(-1000);
        e += 1000;
    }
    r *= 2f64.powi(e as i32);
    r.is_finite().then_some(r)
}

/// Go's `fmt.Sprintf("%g", f)`.
pub fn format_g(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let sci = format!("{f:e}");
    let Some((mantissa, exp)) = sci.split_once('e') else {
        return sci;
    };
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if !(-4..6).contains(&exp) {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{first}{frac}e{esign}{:02}", exp.abs());
    }
    format!("{sign}{}", f.abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse_int("-12", 10), Some(-12));
        assert_eq!(parse_int("1_0", 10), None);
        assert_eq!(parse_uint("+1", 10), None);
        assert_eq!(parse_float("1e400"), None);
        assert_eq!(parse_float("0x1p-2"), Some(0.25));
        assert_eq!(parse_float("-Inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_float("1_000"), Some(1000.0));
        assert_eq!(parse_float("1e1_0"), Some(1e10));
        assert_eq!(parse_float("0x1_0p0"), Some(16.0));
        for bad in [
            "1__0", "_1", "1_", "1_.5", "-nan", "+NaN", "infin", "0x1", ".",
        ] {
            assert_eq!(parse_float(bad), None, "{bad}");
        }
        assert!(parse_float("NaN").is_some_and(f64::is_nan));
        assert_eq!(parse_float("0x1.fffffffffffff8p0"), Some(2.0));
        assert_eq!(parse_float("0x1p-1074"), Some(f64::from_bits(1)));
        assert_eq!(parse_float("0x1p1024"), None);
        assert_eq!(format_g(1.5), "1.5");
        assert_eq!(format_g(1e21), "1e+21");
        assert_eq!(format_g(123456.0), "123456");
        assert_eq!(format_g(1234567.0), "1.234567e+06");
        assert_eq!(format_g(0.00001), "1e-05");
    }
}
