//! Go's `time.Duration`: `time.ParseDuration` and `Duration.String`, exactly.
//!
//! Kubernetes durations in configuration files (`metav1.Duration`) use Go syntax: `-30s` parses (so
//! validation can reject it with Kubernetes' own message), `1d` does not, and values are printed
//! back in Go's form (`-5m0s`, `1h30m0s`, `2.5s`, `300ms`).

use std::fmt;

use thiserror::Error;

/// A signed duration in nanoseconds, as Go's `time.Duration`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(i64);

/// A string that `time.ParseDuration` rejects; the message is Go's.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error("{message}")]
pub struct DurationError {
    message: String,
}

const NANOSECOND: u64 = 1;
const MICROSECOND: u64 = 1_000 * NANOSECOND;
const MILLISECOND: u64 = 1_000 * MICROSECOND;
const SECOND: u64 = 1_000 * MILLISECOND;
const MINUTE: u64 = 60 * SECOND;
const HOUR: u64 = 60 * MINUTE;
const LIMIT: u64 = 1 << 63;

impl Duration {
    /// The zero duration.
    pub const ZERO: Duration = Duration(0);

    /// A duration of `nanos` nanoseconds.
    pub const fn from_nanos(nanos: i64) -> Self {
        Duration(nanos)
    }

    /// A duration of `secs` seconds.
    pub const fn from_secs(secs: i64) -> Self {
        Duration(secs.saturating_mul(SECOND as i64))
    }

    /// The length in nanoseconds.
    pub const fn as_nanos(self) -> i64 {
        self.0
    }

    /// Whether the duration is below zero.
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// The duration as a `std::time::Duration`, or zero when negative.
    pub fn to_std(self) -> std::time::Duration {
        std::time::Duration::from_nanos(u64::try_from(self.0).unwrap_or(0))
    }

    /// Parses a Go duration string such as `300ms`, `-1.5h` or `2h45m`.
    pub fn parse(input: &str) -> Result<Self, DurationError> {
        let invalid = || DurationError {
            message: format!("time: invalid duration {}", go_time_quote(input)),
        };
        let mut s = input.as_bytes();
        let mut neg = false;
        if let Some((&c, rest)) = s.split_first()
            && (c == b'-' || c == b'+')
        {
            neg = c == b'-';
            s = rest;
        }
        if s == b"0" {
            return Ok(Duration(0));
        }
        if s.is_empty() {
            return Err(invalid());
        }
        let mut total: u64 = 0;
        while !s.is_empty() {
            if !(s[0] == b'.' || s[0].is_ascii_digit()) {
                return Err(invalid());
            }
            let before = s.len();
            let (whole, rest) = leading_int(s).ok_or_else(invalid)?;
            s = rest;
            let had_whole = before != s.len();
            let (mut frac, mut scale, mut had_frac) = (0u64, 1f64, false);
            if s.first() == Some(&b'.') {
                s = &s[1..];
                let before = s.len();
                let (f, sc, rest) = leading_fraction(s);
                (frac, scale, s) = (f, sc, rest);
                had_frac = before != s.len();
            }
            if !had_whole && !had_frac {
                return Err(invalid());
            }
            let unit_len = s
                .iter()
                .position(|&c| c == b'.' || c.is_ascii_digit())
                .unwrap_or(s.len());
            if unit_len == 0 {
                return Err(DurationError {
                    message: format!("time: missing unit in duration {}", go_time_quote(input)),
                });
            }
            let (unit_bytes, rest) = s.split_at(unit_len);
            s = rest;
            let unit = unit_nanos(unit_bytes).ok_or_else(|| DurationError {
                message: format!(
                    "time: unknown unit {} in duration {}",
                    go_time_quote(&String::from_utf8_lossy(unit_bytes)),
                    go_time_quote(input)
                ),
            })?;
            if whole > LIMIT / unit {
                return Err(invalid());
            }
            let mut v = whole * unit;
            if frac > 0 {
                // Go converts through float64 here; so do we, to round identically.
                v += (frac as f64 * (unit as f64 / scale)) as u64;
                if v > LIMIT {
                    return Err(invalid());
                }
            }
            total += v;
            if total > LIMIT {
                return Err(invalid());
            }
        }
        if neg {
            return Ok(Duration((total as i64).wrapping_neg()));
        }
        if total > LIMIT - 1 {
            return Err(invalid());
        }
        Ok(Duration(total as i64))
    }
}

fn unit_nanos(unit: &[u8]) -> Option<u64> {
    Some(match unit {
        b"ns" => NANOSECOND,
        b"us" => MICROSECOND,
        [0xc2, 0xb5, b's'] | [0xce, 0xbc, b's'] => MICROSECOND, // µs (micro sign), μs (mu)
        b"ms" => MILLISECOND,
        b"s" => SECOND,
        b"m" => MINUTE,
        b"h" => HOUR,
        _ => return None,
    })
}

/// Consumes leading digits; `None` on overflow, as Go's `leadingInt`.
fn leading_int(s: &[u8]) -> Option<(u64, &[u8])> {
    let mut x: u64 = 0;
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        if x > LIMIT / 10 {
            return None;
        }
        x = x * 10 + u64::from(s[i] - b'0');
        if x > LIMIT {
            return None;
        }
        i += 1;
    }
    Some((x, &s[i..]))
}

/// Consumes leading fraction digits, ignoring the ones that would overflow, as Go's
/// `leadingFraction`.
fn leading_fraction(s: &[u8]) -> (u64, f64, &[u8]) {
    let (mut x, mut scale, mut overflow) = (0u64, 1f64, false);
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        if !overflow {
            if x > (LIMIT - 1) / 10 {
                overflow = true;
            } else {
                let y = x * 10 + u64::from(s[i] - b'0');
                if y > LIMIT {
                    overflow = true;
                } else {
                    x = y;
                    scale *= 10.0;
                }
            }
        }
        i += 1;
    }
    (x, scale, &s[i..])
}

/// The quoting of Go's `time` package: non-ASCII and control bytes as `\xHH`.
fn go_time_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c.is_ascii() && c >= ' ' {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        }
    }
    out.push('"');
    out
}

impl fmt::Display for Duration {
    /// Formats as Go's `Duration.String`: `72h3m0.5s`, `1.5µs`, `0s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let neg = self.0 < 0;
        let u = self.0.unsigned_abs();
        let mut out = String::new();
        if u < SECOND {
            let (prec, unit) = match u {
                0 => return f.write_str("0s"),
                u if u < MICROSECOND => (0, "ns"),
                u if u < MILLISECOND => (3, "µs"),
                _ => (6, "ms"),
            };
            let (int_part, frac) = split_frac(u, prec);
            out.push_str(&int_part.to_string());
            out.push_str(&frac);
            out.push_str(unit);
        } else {
            let (secs, frac) = split_frac(u, 9);
            let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
            if h > 0 {
                out.push_str(&format!("{h}h"));
            }
            if secs >= 60 {
                out.push_str(&format!("{m}m"));
            }
            out.push_str(&format!("{s}{frac}s"));
        }
        if neg {
            f.write_str("-")?;
        }
        f.write_str(&out)
    }
}

/// Splits `v` into `v / 10^prec` and the fraction as `.ddd` without trailing zeros (empty if 0).
fn split_frac(v: u64, prec: u32) -> (u64, String) {
    let pow = 10u64.pow(prec);
    let (int_part, frac) = (v / pow, v % pow);
    if frac == 0 {
        return (int_part, String::new());
    }
    let digits = format!("{frac:0width$}", width = prec as usize);
    (int_part, format!(".{}", digits.trim_end_matches('0')))
}

#[cfg(test)]
mod tests {
    use super::Duration;

    #[test]
    fn parses_like_go() {
        let ok = [
            ("0", 0),
            ("5s", 5_000_000_000),
            ("+5s", 5_000_000_000),
            ("-5m", -300_000_000_000),
            ("1h30m", 5_400_000_000_000),
            ("300ms", 300_000_000),
            ("2.5s", 2_500_000_000),
            (".5s", 500_000_000),
            ("5.s", 5_000_000_000),
            ("1µs", 1_000),
            ("1μs", 1_000),
            ("1us", 1_000),
            ("3ns", 3),
            ("1h1m1s1ms1us1ns", 3_661_001_001_001),
            ("0s", 0),
            ("-0", 0),
            ("9223372036854775807ns", i64::MAX),
            ("-9223372036854775808ns", i64::MIN),
        ];
        for (input, nanos) in ok {
            assert_eq!(
                Duration::parse(input),
                Ok(Duration::from_nanos(nanos)),
                "{input}"
            );
        }
        let bad = [
            ("", r#"time: invalid duration """#),
            ("1d", r#"time: unknown unit "d" in duration "1d""#),
            (
                "3 seconds",
                r#"time: unknown unit " seconds" in duration "3 seconds""#,
            ),
            ("1", r#"time: missing unit in duration "1""#),
            (".s", r#"time: invalid duration ".s""#),
            ("-", r#"time: invalid duration "-""#),
            ("s", r#"time: invalid duration "s""#),
            (
                "9223372036854775808ns",
                r#"time: invalid duration "9223372036854775808ns""#,
            ),
            (
                "1é",
                r#"time: unknown unit "\xc3\xa9" in duration "1\xc3\xa9""#,
            ),
        ];
        for (input, message) in bad {
            assert_eq!(
                Duration::parse(input).map_err(|e| e.to_string()),
                Err(message.to_owned()),
                "{input}"
            );
        }
    }

    #[test]
    fn prints_like_go() {
        let cases = [
            (0, "0s"),
            (1, "1ns"),
            (1_100, "1.1µs"),
            (2_200_000, "2.2ms"),
            (300_000_000, "300ms"),
            (2_500_000_000, "2.5s"),
            (31_000_000_000, "31s"),
            (300_000_000_000, "5m0s"),
            (-300_000_000_000, "-5m0s"),
            (5_400_000_000_000, "1h30m0s"),
            (3_600_000_000_000, "1h0m0s"),
            (3_661_001_000_000, "1h1m1.001s"),
            (i64::MIN, "-2562047h47m16.854775808s"),
        ];
        for (nanos, want) in cases {
            assert_eq!(Duration::from_nanos(nanos).to_string(), want, "{nanos}");
        }
    }
}
