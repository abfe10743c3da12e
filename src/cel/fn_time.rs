//! Timestamps and durations: cel-go's accessors (UTC by default, or in a
//! named or `±HH:MM` time zone, with its quirks), overflow checks and
//! RFC 3339 formatting. Zones are read from the system zoneinfo database
//! (TZif), once, and cached.

use super::error::Error;
use super::golang::{MAX_UNIX_SECONDS, MIN_UNIX_SECONDS, civil_from_days};
use super::value::{Ts, Value};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

type R<'a> = Result<Value<'a>, Error>;

const OVERFLOW: Error = Error::Static("timestamp overflow");

/// A timestamp from Unix seconds, checked against CEL's range.
pub(crate) fn timestamp_from_secs(secs: i64, nanos: u32, offset: i32) -> Result<Ts, Error> {
    if !(MIN_UNIX_SECONDS..=MAX_UNIX_SECONDS).contains(&secs) {
        return Err(OVERFLOW);
    }
    Ok(Ts {
        secs,
        nanos,
        offset,
    })
}

/// cel-go's `addTimeDurationChecked`.
pub(crate) fn add_duration(t: Ts, d: i64) -> Result<Ts, Error> {
    const INT_OVERFLOW: Error = Error::Static("integer overflow");
    let mut sec = t.secs.checked_add(d / 1_000_000_000).ok_or(INT_OVERFLOW)?;
    let mut nsec = i64::from(t.nanos) + d % 1_000_000_000;
    if !(0..1_000_000_000).contains(&nsec) {
        sec = sec.checked_add(nsec / 1_000_000_000).ok_or(INT_OVERFLOW)?;
        nsec -= (nsec / 1_000_000_000) * 1_000_000_000;
        if nsec < 0 {
            sec = sec.checked_sub(1).ok_or(INT_OVERFLOW)?;
            nsec += 1_000_000_000;
        }
    }
    timestamp_from_secs(sec, nsec as u32, t.offset)
}

struct Civil {
    year: i64,
    month: i64,
    day: i64,
    yday: i64,
    wday: i64,
    hour: i64,
    minute: i64,
    second: i64,
}

fn civil(secs: i64) -> Civil {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    let jan1 = super::golang::days_from_civil(year, 1, 1);
    Civil {
        year,
        month,
        day,
        yday: days - jan1,
        wday: (days + 4).rem_euclid(7),
        hour: rem / 3600,
        minute: rem % 3600 / 60,
        second: rem % 60,
    }
}

/// Go's `Time.Format(time.RFC3339Nano)` in the timestamp's own offset.
pub(crate) fn format_timestamp(t: Ts) -> String {
    let c = civil(t.secs + i64::from(t.offset));
    let mut out = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    );
    if t.nanos > 0 {
        out.push('.');
        out.push_str(format!("{:09}", t.nanos).trim_end_matches('0'));
    }
    if t.offset == 0 {
        out.push('Z');
    } else {
        let sign = if t.offset < 0 { '-' } else { '+' };
        let o = t.offset.unsigned_abs();
        out.push_str(&format!("{sign}{:02}:{:02}", o / 3600, o % 3600 / 60));
    }
    out
}

/// A loaded time zone: transitions and the offsets in force.
#[derive(Debug)]
struct Zone {
    /// (transition time, offset after it), ascending.
    transitions: Vec<(i64, i32)>,
    /// Offset before the first transition.
    initial: i32,
    /// The POSIX rule for times past the last transition.
    rule: Option<PosixRule>,
}

#[derive(Debug)]
struct PosixRule {
    std: i32,
    dst: Option<(i32, RuleDate, i64, RuleDate, i64)>,
}

#[derive(Debug, Clone, Copy)]
struct RuleDate {
    month: i64,
    week: i64,
    wday: i64,
}

fn be32(b: &[u8], i: usize) -> Option<i64> {
    Some(i64::from(i32::from_be_bytes(
        b.get(i..i + 4)?.try_into().ok()?,
    )))
}

fn parse_tzif(data: &[u8]) -> Option<Zone> {
    if data.get(..4)? != b"TZif" {
        return None;
    }
    let counts = |base: usize| -> Option<[usize; 6]> {
        let mut c = [0usize; 6];
        for (k, slot) in c.iter_mut().enumerate() {
            *slot = usize::try_from(be32(data, base + 20 + 4 * k)?).ok()?;
        }
        Some(c)
    };
    let [isut, isstd, leap, time, typ, chars] = counts(0)?;
    let v1_len = time * 5 + typ * 6 + chars + leap * 8 + isstd + isut;
    let version = *data.get(4)?;
    let (base, width) = if version >= b'2' {
        (44 + v1_len, 8)
    } else {
        (0, 4)
    };
    let [isut, isstd, leap, time, typ, chars] = if width == 8 {
        counts(base)?
    } else {
        [isut, isstd, leap, time, typ, chars]
    };
    let mut p = base + 44;
    let mut times = Vec::with_capacity(time);
    for k in 0..time {
        let at = p + k * width;
        let t = if width == 8 {
            i64::from_be_bytes(data.get(at..at + 8)?.try_into().ok()?)
        } else {
            be32(data, at)?
        };
        times.push(t);
    }
    p += time * width;
    let idx: Vec<usize> = data
        .get(p..p + time)?
        .iter()
        .map(|&i| usize::from(i))
        .collect();
    p += time;
    let mut offsets = Vec::with_capacity(typ);
    for k in 0..typ {
        offsets.push((
            be32(data, p + 6 * k)? as i32,
            *data.get(p + 6 * k + 4)? != 0,
        ));
    }
    p += typ * 6 + chars + leap * (width + 4) + isstd + isut;
    let transitions = times
        .iter()
        .zip(idx.iter())
        .filter_map(|(t, i)| offsets.get(*i).map(|o| (*t, o.0)))
        .collect();
    let initial = offsets
        .iter()
        .find(|o| !o.1)
        .or(offsets.first())
        .map_or(0, |o| o.0);
    let rule = if width == 8 {
        std::str::from_utf8(data.get(p..)?)
            .ok()
            .and_then(|f| f.trim_matches('\n').split('\n').next().map(str::to_string))
            .and_then(|f| parse_posix(&f))
    } else {
        None
    };
    Some(Zone {
        transitions,
        initial,
        rule,
    })
}

/// Parses `STD offset [DST [offset] ,Mm.w.d[/time],Mm.w.d[/time]]`.
fn parse_posix(s: &str) -> Option<PosixRule> {
    let b = s.as_bytes();
    let mut i = 0;
    let name = |i: &mut usize| -> Option<()> {
        if b.get(*i) == Some(&b'<') {
            *i += b[*i..].iter().position(|&c| c == b'>')? + 1;
        } else {
            let n = b[*i..]
                .iter()
                .take_while(|c| c.is_ascii_alphabetic())
                .count();
            if n < 3 {
                return None;
            }
            *i += n;
        }
        Some(())
    };
    let offset = |i: &mut usize| -> Option<i64> {
        let neg = match b.get(*i) {
            Some(b'-') => {
                *i += 1;
                true
            }
            Some(b'+') => {
                *i += 1;
                false
            }
            _ => false,
        };
        let mut total = 0i64;
        let mut mult = 3600;
        loop {
            let n = b[*i..].iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return None;
            }
            total += std::str::from_utf8(&b[*i..*i + n])
                .ok()?
                .parse::<i64>()
                .ok()?
                * mult;
            *i += n;
            if b.get(*i) == Some(&b':') && mult > 1 {
                *i += 1;
                mult /= 60;
            } else {
                break;
            }
        }
        Some(if neg { -total } else { total })
    };
    name(&mut i)?;
    let std = -offset(&mut i)? as i32;
    if i >= b.len() {
        return Some(PosixRule { std, dst: None });
    }
    name(&mut i)?;
    let dst_off = if b.get(i).is_some_and(|c| *c != b',') {
        -offset(&mut i)? as i32
    } else {
        std + 3600
    };
    let date = |i: &mut usize| -> Option<(RuleDate, i64)> {
        if b.get(*i) != Some(&b',') || b.get(*i + 1) != Some(&b'M') {
            return None;
        }
        *i += 2;
        let mut nums = [0i64; 3];
        for (k, n) in nums.iter_mut().enumerate() {
            let len = b[*i..].iter().take_while(|c| c.is_ascii_digit()).count();
            *n = std::str::from_utf8(&b[*i..*i + len]).ok()?.parse().ok()?;
            *i += len;
            if k < 2 {
                if b.get(*i) != Some(&b'.') {
                    return None;
                }
                *i += 1;
            }
        }
        let mut time = 7200;
        if b.get(*i) == Some(&b'/') {
            *i += 1;
            time = offset(i)?;
        }
        Some((
            RuleDate {
                month: nums[0],
                week: nums[1],
                wday: nums[2],
            },
            time,
        ))
    };
    let (start, st) = date(&mut i)?;
    let (end, et) = date(&mut i)?;
    Some(PosixRule {
        std,
        dst: Some((dst_off, start, st, end, et)),
    })
}

/// Seconds since the year's start (local, with `offset`) of a rule date.
fn rule_time(year: i64, d: RuleDate, time: i64, offset: i32) -> i64 {
    let first = super::golang::days_from_civil(year, d.month, 1);
    let first_wday = (first + 4).rem_euclid(7);
    let mut day = first + (d.wday - first_wday).rem_euclid(7) + (d.week - 1) * 7;
    let next_month = if d.month == 12 {
        super::golang::days_from_civil(year + 1, 1, 1)
    } else {
        super::golang::days_from_civil(year, d.month + 1, 1)
    };
    while day >= next_month {
        day -= 7;
    }
    day * 86_400 + time - i64::from(offset)
}

impl Zone {
    fn offset_at(&self, t: i64) -> i32 {
        let after_last = self.transitions.last().is_none_or(|(lt, _)| t >= *lt);
        if let (true, Some(rule)) = (after_last, &self.rule) {
            let Some((dst, start, st, end, et)) = rule.dst else {
                return rule.std;
            };
            let year = civil(t + i64::from(rule.std)).year;
            let s = rule_time(year, start, st, rule.std);
            let e = rule_time(year, end, et, dst);
            let in_dst = if s < e {
                t >= s && t < e
            } else {
                t >= s || t < e
            };
            return if in_dst { dst } else { rule.std };
        }
        match self.transitions.partition_point(|(tt, _)| *tt <= t) {
            0 => self.initial,
            n => self.transitions[n - 1].1,
        }
    }
}

fn load_zone(name: &str) -> Option<Arc<Zone>> {
    static CACHE: OnceLock<RwLock<HashMap<String, Option<Arc<Zone>>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| RwLock::new(HashMap::new()));
    if let Ok(map) = cache.read()
        && let Some(z) = map.get(name)
    {
        return z.clone();
    }
    let valid = !name.contains("..") && !name.starts_with(['/', '\\']) && name.len() < 256;
    let zone = valid
        .then(|| std::fs::read(format!("/usr/share/zoneinfo/{name}")).ok())
        .flatten()
        .and_then(|d| parse_tzif(&d))
        .map(Arc::new);
    if let Ok(mut map) = cache.try_write()
        && map.len() < 1024
    {
        map.insert(name.to_string(), zone.clone());
    }
    zone
}

/// Loads a zone ahead of evaluation (for constant zone arguments).
pub(crate) fn preload(name: &str) {
    if !name.contains(':') && !matches!(name, "" | "UTC" | "Local") {
        let _ = load_zone(name);
    }
}

fn go_atoi(s: &str) -> Result<i64, Error> {
    super::golang::parse_int(s).ok_or_else(|| {
        Error::msg(format!(
            "strconv.Atoi: parsing {}: invalid syntax",
            crate::go::quote(s)
        ))
    })
}

/// The UTC offset (seconds) of zone `tz` at `t`, as cel-go's `inTimeZone`.
fn zone_offset(tz: &str, t: i64) -> Result<i64, Error> {
    let Some(ind) = tz.find(':') else {
        return match tz {
            "" | "UTC" | "Local" => Ok(0),
            name => load_zone(name)
                .map(|z| i64::from(z.offset_at(t)))
                .ok_or_else(|| Error::msg(format!("unknown time zone {name}"))),
        };
    };
    let hr = go_atoi(&tz[..ind])?;
    let min = go_atoi(&tz[ind + 1..])?;
    let minutes = if tz.starts_with('-') {
        hr.wrapping_mul(60).wrapping_sub(min)
    } else {
        hr.wrapping_mul(60).wrapping_add(min)
    };
    // Go wraps on overflow; absurd offsets are clamped to keep dates finite.
    Ok(minutes.wrapping_mul(60).clamp(-MAX_OFFSET, MAX_OFFSET))
}

/// The largest zone offset honoured (about 30,000 years).
const MAX_OFFSET: i64 = 1 << 40;

fn getter(name: &str, t: Ts, tz: Option<&str>) -> R<'static> {
    let offset = match tz {
        Some(z) => zone_offset(z, t.secs)?,
        None => 0,
    };
    let c = civil(t.secs + offset);
    Ok(Value::Int(match name {
        "timestamp_to_year" => c.year,
        "timestamp_to_month" => c.month - 1,
        "timestamp_to_day_of_year" => c.yday,
        "timestamp_to_day_of_month" => c.day - 1,
        "timestamp_to_day_of_month_1_based" => c.day,
        "timestamp_to_day_of_week" => c.wday,
        "timestamp_to_hours" => c.hour,
        "timestamp_to_minutes" => c.minute,
        "timestamp_to_seconds" => c.second,
        _ => i64::from(t.nanos / 1_000_000),
    }))
}

/// Timestamp and duration accessors, by overload id.
pub(crate) fn call<'a>(id: &str, args: &[Value<'a>]) -> Option<R<'a>> {
    if let Some(rest) = id.strip_prefix("duration_to_") {
        let Some(Value::Duration(d)) = args.first() else {
            return Some(Err(Error::no_such_overload()));
        };
        let v = match rest {
            "hours" => d / 3_600_000_000_000,
            "minutes" => d / 60_000_000_000,
            "seconds" => d / 1_000_000_000,
            "milliseconds" => d / 1_000_000,
            _ => return None,
        };
        return Some(Ok(Value::Int(v)));
    }
    if !id.starts_with("timestamp_to_")
        || matches!(
            id,
            "timestamp_to_int64" | "timestamp_to_string" | "timestamp_to_timestamp"
        )
    {
        return None;
    }
    let Some(Value::Timestamp(t)) = args.first() else {
        return Some(Err(Error::no_such_overload()));
    };
    let (name, tz) = match id.strip_suffix("_with_tz") {
        Some(n) => match args.get(1).and_then(Value::as_str) {
            Some(z) => (n, Some(z)),
            None => return Some(Err(Error::no_such_overload())),
        },
        None => (id, None),
    };
    Some(getter(name, *t, tz))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_and_formatting() {
        let t = Ts {
            secs: 1_704_067_200,
            nanos: 0,
            offset: 0,
        };
        assert_eq!(zone_offset("America/New_York", t.secs), Ok(-5 * 3600));
        assert_eq!(
            zone_offset("America/New_York", 1_720_000_000),
            Ok(-4 * 3600)
        );
        assert_eq!(zone_offset("+05:30", 0), Ok(5 * 3600 + 30 * 60));
        assert_eq!(zone_offset("-02:15", 0), Ok(-(2 * 3600 + 15 * 60)));
        assert!(zone_offset("Mars/Base", 0).is_err());
        assert_eq!(format_timestamp(t), "2024-01-01T00:00:00Z");
        let later = Ts {
            secs: 4_102_444_800 + 200 * 86_400,
            ..t
        };
        assert_eq!(zone_offset("America/New_York", later.secs), Ok(-4 * 3600));
    }
}
