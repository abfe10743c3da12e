//! Go standard-library parsing and formatting behaviour that kube-apiserver's
//! CEL conversions inherit: `time.Parse(RFC3339)`,
//! `strconv.ParseInt/ParseUint/ParseFloat/ParseBool` and `%g`.

/// Smallest Unix second of a CEL timestamp (0001-01-01T00:00:00Z).
pub const MIN_UNIX_SECONDS: i64 = -62_135_596_800;
/// Largest Unix second of a CEL timestamp (9999-12-31T23:59:59Z).
pub const MAX_UNIX_SECONDS: i64 = 253_402_300_799;

/// Go's `time.Parse(time.RFC3339, s)`, as Unix seconds and nanoseconds.
pub fn parse_rfc3339(s: &str) -> Option<(i64, u32)> {
    parse_rfc3339_offset(s).map(|(secs, nanos, _)| (secs, nanos))
}

/// Go's `time.Parse(time.RFC3339, s)`: Unix seconds, nanoseconds and the
/// UTC offset (seconds east) the text carried.
pub fn parse_rfc3339_offset(s: &str) -> Option<(i64, u32, i32)> {
    let b = s.as_bytes();
    let mut i = 0;
    let num = |b: &[u8], i: &mut usize, min: usize, max: usize| -> Option<i64> {
        let n = b[*i..]
            .iter()
            .take(max)
            .take_while(|c| c.is_ascii_digit())
            .count();
        if n < min {
            return None;
        }
        let v = std::str::from_utf8(&b[*i..*i + n]).ok()?.parse().ok()?;
        *i += n;
        Some(v)
    };
    let lit =
        |b: &[u8], i: &mut usize, c: u8| -> Option<()> { (b.get(*i) == Some(&c)).then(|| *i += 1) };
    let year = num(b, &mut i, 4, 4)?;
    lit(b, &mut i, b'-')?;
    let month = num(b, &mut i, 2, 2)?;
    lit(b, &mut i, b'-')?;
    let day = num(b, &mut i, 2, 2)?;
    lit(b, &mut i, b'T')?;
    let hour = num(b, &mut i, 1, 2)?;
    lit(b, &mut i, b':')?;
    let minute = num(b, &mut i, 2, 2)?;
    lit(b, &mut i, b':')?;
    let second = num(b, &mut i, 2, 2)?;
    let mut nanos: u32 = 0;
    if matches!(b.get(i), Some(b'.' | b',')) && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1;
        let n = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        let mut scale = 100_000_000u32;
        for &c in b[i..i + n].iter().take(9) {
            nanos += u32::from(c - b'0') * scale;
            scale /= 10;
        }
        i += n;
    }
    let offset_seconds = match b.get(i) {
        Some(b'Z') => {
            i += 1;
            0
        }
        Some(&sign @ (b'+' | b'-')) => {
            i += 1;
            let hh = num(b, &mut i, 2, 2)?;
            lit(b, &mut i, b':')?;
            let mm = num(b, &mut i, 2, 2)?;
            if hh > 24 || mm > 60 {
                return None;
            }
            let off = hh * 3600 + mm * 60;
            if sign == b'-' { -off } else { off }
        }
        _ => return None,
    };
    if i != b.len()
        || !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_seconds;
    Some((secs, nanos, offset_seconds as i32))
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// Go's `strconv.ParseInt(s, 10, 64)`.
pub fn parse_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Go's `strconv.ParseUint(s, 10, 64)`.
pub fn parse_uint(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
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
    fn timestamps() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some((0, 0)));
        assert_eq!(
            parse_rfc3339("2024-01-01T00:00:00Z"),
            Some((1_704_067_200, 0))
        );
        assert_eq!(
            parse_rfc3339("2024-01-01T01:00:00+01:00"),
            Some((1_704_067_200, 0))
        );
        assert_eq!(
            parse_rfc3339("2024-01-01T00:00:00.5Z"),
            Some((1_704_067_200, 500_000_000))
        );
        assert_eq!(parse_rfc3339("2024-13-01T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("2023-02-29T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("2024-01-01"), None);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(1, 1, 1) * 86_400, MIN_UNIX_SECONDS);
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_int("-12"), Some(-12));
        assert_eq!(parse_int("1_0"), None);
        assert_eq!(parse_uint("+1"), None);
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
