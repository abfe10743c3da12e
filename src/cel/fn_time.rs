//! Timestamps and durations: cel-go's accessors (UTC by default, or in a
//! named or `±HH:MM` time zone, with its quirks), overflow checks and
//! RFC 3339 formatting. Zones come from the system zoneinfo database
//! through jiff, once per name, and are cached.

use super::error::Error;
use super::golang::{MAX_UNIX_SECONDS, MIN_UNIX_SECONDS, civil_from_days};
use super::value::{Ts, Value};
use jiff::tz::TimeZone;
use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

type R<'a> = Result<Value<'a>, Error>;

super::overload::overloads! {
    /// Timestamp and duration accessors.
    Time {
        TimestampToDayOfMonth1Based = "timestamp_to_day_of_month_1_based" member "getDate"("timestamp") -> "int", One;
        TimestampToDayOfMonth1BasedWithTz = "timestamp_to_day_of_month_1_based_with_tz" member "getDate"("timestamp", "string") -> "int", One;
        TimestampToDayOfMonth = "timestamp_to_day_of_month" member "getDayOfMonth"("timestamp") -> "int", One;
        TimestampToDayOfMonthWithTz = "timestamp_to_day_of_month_with_tz" member "getDayOfMonth"("timestamp", "string") -> "int", One;
        TimestampToDayOfWeek = "timestamp_to_day_of_week" member "getDayOfWeek"("timestamp") -> "int", One;
        TimestampToDayOfWeekWithTz = "timestamp_to_day_of_week_with_tz" member "getDayOfWeek"("timestamp", "string") -> "int", One;
        TimestampToDayOfYear = "timestamp_to_day_of_year" member "getDayOfYear"("timestamp") -> "int", One;
        TimestampToDayOfYearWithTz = "timestamp_to_day_of_year_with_tz" member "getDayOfYear"("timestamp", "string") -> "int", One;
        TimestampToYear = "timestamp_to_year" member "getFullYear"("timestamp") -> "int", One;
        TimestampToYearWithTz = "timestamp_to_year_with_tz" member "getFullYear"("timestamp", "string") -> "int", One;
        TimestampToHours = "timestamp_to_hours" member "getHours"("timestamp") -> "int", One;
        TimestampToHoursWithTz = "timestamp_to_hours_with_tz" member "getHours"("timestamp", "string") -> "int", One;
        DurationToHours = "duration_to_hours" member "getHours"("duration") -> "int", One;
        TimestampToMilliseconds = "timestamp_to_milliseconds" member "getMilliseconds"("timestamp") -> "int", One;
        TimestampToMillisecondsWithTz = "timestamp_to_milliseconds_with_tz" member "getMilliseconds"("timestamp", "string") -> "int", One;
        DurationToMilliseconds = "duration_to_milliseconds" member "getMilliseconds"("duration") -> "int", One;
        TimestampToMinutes = "timestamp_to_minutes" member "getMinutes"("timestamp") -> "int", One;
        TimestampToMinutesWithTz = "timestamp_to_minutes_with_tz" member "getMinutes"("timestamp", "string") -> "int", One;
        DurationToMinutes = "duration_to_minutes" member "getMinutes"("duration") -> "int", One;
        TimestampToMonth = "timestamp_to_month" member "getMonth"("timestamp") -> "int", One;
        TimestampToMonthWithTz = "timestamp_to_month_with_tz" member "getMonth"("timestamp", "string") -> "int", One;
        TimestampToSeconds = "timestamp_to_seconds" member "getSeconds"("timestamp") -> "int", One;
        TimestampToSecondsWithTz = "timestamp_to_seconds_with_tz" member "getSeconds"("timestamp", "string") -> "int", One;
        DurationToSeconds = "duration_to_seconds" member "getSeconds"("duration") -> "int", One;
    }
}

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

/// Zone `name` from the system zoneinfo database, through jiff, found as
/// Go's `time.LoadLocation` finds it on Linux: the name is case-sensitive
/// (jiff alone ignores case), and `..` or an absolute path is refused.
/// Results, misses included, are cached for the process (up to 1024 names),
/// so jiff's own lookups (and their file I/O) happen once per name.
///
/// jiff agrees with Go on every recorded case (named zones, DST, dates past
/// the last transition through the POSIX rule). Known difference: jiff does
/// not serve the `posix/` and `right/` copies of the database.
fn load_zone(name: &str) -> Option<TimeZone> {
    static CACHE: OnceLock<RwLock<HashMap<String, Option<TimeZone>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| RwLock::new(HashMap::new()));
    if let Ok(map) = cache.read()
        && let Some(z) = map.get(name)
    {
        return z.clone();
    }
    let valid = !name.contains("..") && !name.starts_with(['/', '\\']) && name.len() < 256;
    let zone = valid
        .then(|| jiff::tz::db().get(name).ok())
        .flatten()
        .filter(|z| z.iana_name() == Some(name));
    if let Ok(mut map) = cache.try_write()
        && map.len() < 1024
    {
        map.insert(name.to_string(), zone.clone());
    }
    zone
}

/// The UTC offset (seconds) of `zone` at Unix time `t`.
fn offset_at(zone: &TimeZone, t: i64) -> Option<i64> {
    let ts = jiff::Timestamp::from_second(t).ok()?;
    Some(i64::from(zone.to_offset(ts).seconds()))
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
                .and_then(|z| offset_at(&z, t))
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

/// A timestamp field, in UTC or in zone `tz`.
#[derive(Clone, Copy)]
enum Field {
    Year,
    Month,
    DayOfYear,
    DayOfMonth,
    DayOfMonth1Based,
    DayOfWeek,
    Hours,
    Minutes,
    Seconds,
    Milliseconds,
}

fn getter(field: Field, args: &[Value<'_>], zoned: bool) -> R<'static> {
    let (Some(Value::Timestamp(t)), tz) = (args.first(), args.get(1).and_then(Value::as_str))
    else {
        return Err(Error::no_such_overload());
    };
    let offset = match (zoned, tz) {
        (false, _) => 0,
        (true, Some(z)) => zone_offset(z, t.secs)?,
        (true, None) => return Err(Error::no_such_overload()),
    };
    let c = civil(t.secs + offset);
    Ok(Value::Int(match field {
        Field::Year => c.year,
        Field::Month => c.month - 1,
        Field::DayOfYear => c.yday,
        Field::DayOfMonth => c.day - 1,
        Field::DayOfMonth1Based => c.day,
        Field::DayOfWeek => c.wday,
        Field::Hours => c.hour,
        Field::Minutes => c.minute,
        Field::Seconds => c.second,
        Field::Milliseconds => i64::from(t.nanos / 1_000_000),
    }))
}

fn duration_part(args: &[Value<'_>], unit: i64) -> R<'static> {
    match args.first() {
        Some(Value::Duration(d)) => Ok(Value::Int(d / unit)),
        _ => Err(Error::no_such_overload()),
    }
}

/// Timestamp and duration accessors.
pub(crate) fn call<'a>(o: Time, args: &[Value<'a>]) -> R<'a> {
    use Field as F;
    match o {
        Time::DurationToHours => duration_part(args, 3_600_000_000_000),
        Time::DurationToMinutes => duration_part(args, 60_000_000_000),
        Time::DurationToSeconds => duration_part(args, 1_000_000_000),
        Time::DurationToMilliseconds => duration_part(args, 1_000_000),
        Time::TimestampToYear => getter(F::Year, args, false),
        Time::TimestampToYearWithTz => getter(F::Year, args, true),
        Time::TimestampToMonth => getter(F::Month, args, false),
        Time::TimestampToMonthWithTz => getter(F::Month, args, true),
        Time::TimestampToDayOfYear => getter(F::DayOfYear, args, false),
        Time::TimestampToDayOfYearWithTz => getter(F::DayOfYear, args, true),
        Time::TimestampToDayOfMonth => getter(F::DayOfMonth, args, false),
        Time::TimestampToDayOfMonthWithTz => getter(F::DayOfMonth, args, true),
        Time::TimestampToDayOfMonth1Based => getter(F::DayOfMonth1Based, args, false),
        Time::TimestampToDayOfMonth1BasedWithTz => getter(F::DayOfMonth1Based, args, true),
        Time::TimestampToDayOfWeek => getter(F::DayOfWeek, args, false),
        Time::TimestampToDayOfWeekWithTz => getter(F::DayOfWeek, args, true),
        Time::TimestampToHours => getter(F::Hours, args, false),
        Time::TimestampToHoursWithTz => getter(F::Hours, args, true),
        Time::TimestampToMinutes => getter(F::Minutes, args, false),
        Time::TimestampToMinutesWithTz => getter(F::Minutes, args, true),
        Time::TimestampToSeconds => getter(F::Seconds, args, false),
        Time::TimestampToSecondsWithTz => getter(F::Seconds, args, true),
        Time::TimestampToMilliseconds => getter(F::Milliseconds, args, false),
        Time::TimestampToMillisecondsWithTz => getter(F::Milliseconds, args, true),
    }
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
