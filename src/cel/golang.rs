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

pub use crate::go::{format_g, parse_bool, parse_float};

/// Go's `strconv.ParseInt(s, 10, 64)`.
pub fn parse_int(s: &str) -> Option<i64> {
    crate::go::parse_int(s, 10)
}

/// Go's `strconv.ParseUint(s, 10, 64)`.
pub fn parse_uint(s: &str) -> Option<u64> {
    crate::go::parse_uint(s, 10)
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
}
