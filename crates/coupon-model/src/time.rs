//! Time fields: the exact string the server sent, plus a typed RFC 3339 view.
//!
//! [`Timestamp`] keeps the wire string untouched, so a parsed document
//! re-serialises byte for byte. [`Timestamp::parse`] gives a [`DateTime`];
//! it accepts RFC 3339 (`2025-08-01T00:00:00+08:00`, optional fraction, `Z`)
//! and also the minute-precision form found in the documentation's responses
//! (`2025-01-01T00:00+08:00`). Values the SDK builds from a [`DateTime`]
//! always carry seconds.

use core::cmp::Ordering;
use core::fmt;

use serde::{Deserialize, Serialize};

use crate::error::ModelError;

/// A time field as sent on the wire (RFC 3339 expected, not enforced when
/// parsing a document; validation rule `time-format` checks it).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(String);

impl Timestamp {
    /// Wraps a wire string without checking it.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The exact wire string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Unwraps the wire string.
    pub fn into_string(self) -> String {
        self.0
    }

    /// The typed view; fails with [`ModelError::InvalidTime`] when the
    /// string is not RFC 3339 (minute precision accepted).
    pub fn parse(&self) -> Result<DateTime, ModelError> {
        DateTime::parse(&self.0)
    }
}

impl From<&str> for Timestamp {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl From<String> for Timestamp {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<DateTime> for Timestamp {
    fn from(value: DateTime) -> Self {
        Self(value.to_rfc3339())
    }
}

impl From<&DateTime> for Timestamp {
    fn from(value: &DateTime) -> Self {
        Self(value.to_rfc3339())
    }
}

impl AsRef<str> for Timestamp {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A calendar date and wall-clock time with a UTC offset, as written in an
/// RFC 3339 string.
///
/// Equality compares the written fields (including the offset and whether
/// seconds were written); use [`DateTime::cmp_instant`] or
/// [`DateTime::unix_timestamp`] to compare instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateTime {
    year: u16,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
    nanosecond: u32,
    offset_minutes: i16,
    has_seconds: bool,
}

const SECONDS_PER_DAY: i64 = 86_400;

fn is_leap(year: u16) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: u16, month: u8, day: u8) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn invalid(value: &str, reason: &'static str) -> ModelError {
    ModelError::InvalidTime {
        value: value.to_owned(),
        reason,
    }
}

impl DateTime {
    /// Builds a value with whole seconds; fails when a field is out of range
    /// (year 0–9999, real calendar day, hour 0–23, minute 0–59, second 0–60,
    /// offset within ±23:59).
    pub fn new(
        year: u16,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
        offset_minutes: i16,
    ) -> Result<Self, ModelError> {
        let value = Self {
            year,
            month,
            day,
            hour,
            minute,
            second,
            nanosecond: 0,
            offset_minutes,
            has_seconds: true,
        };
        match value.range_error() {
            Some(reason) => Err(invalid(&value.to_rfc3339(), reason)),
            None => Ok(value),
        }
    }

    /// The same value with a fractional second (`nanosecond` < 1e9).
    pub fn with_nanosecond(mut self, nanosecond: u32) -> Result<Self, ModelError> {
        if nanosecond >= 1_000_000_000 {
            return Err(invalid(&self.to_rfc3339(), "nanosecond must be below 1e9"));
        }
        self.nanosecond = nanosecond;
        self.has_seconds = true;
        Ok(self)
    }

    /// The instant `unix_seconds` seen at UTC offset `offset_minutes`
    /// (written with seconds). Fails outside years 0–9999.
    pub fn from_unix_timestamp(unix_seconds: i64, offset_minutes: i16) -> Result<Self, ModelError> {
        if offset_minutes.unsigned_abs() >= 24 * 60 {
            return Err(invalid(
                &unix_seconds.to_string(),
                "offset must be within ±23:59",
            ));
        }
        let local = unix_seconds
            .checked_add(i64::from(offset_minutes) * 60)
            .ok_or_else(|| invalid(&unix_seconds.to_string(), "out of range"))?;
        let days = local.div_euclid(SECONDS_PER_DAY);
        let secs = local.rem_euclid(SECONDS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        if !(0..=9999).contains(&year) {
            return Err(invalid(&unix_seconds.to_string(), "year must be 0000–9999"));
        }
        Ok(Self {
            year: year as u16,
            month,
            day,
            hour: (secs / 3600) as u8,
            minute: (secs % 3600 / 60) as u8,
            second: (secs % 60) as u8,
            nanosecond: 0,
            offset_minutes,
            has_seconds: true,
        })
    }

    fn range_error(&self) -> Option<&'static str> {
        if self.year > 9999 {
            Some("year must be 0000–9999")
        } else if !(1..=12).contains(&self.month) {
            Some("month must be 01–12")
        } else if self.day == 0 || self.day > days_in_month(self.year, self.month) {
            Some("day does not exist in that month")
        } else if self.hour > 23 {
            Some("hour must be 00–23")
        } else if self.minute > 59 {
            Some("minute must be 00–59")
        } else if self.second > 60 {
            Some("second must be 00–60")
        } else if self.offset_minutes.unsigned_abs() >= 24 * 60 {
            Some("offset must be within ±23:59")
        } else {
            None
        }
    }

    /// Parses RFC 3339 (`YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`), also
    /// accepting the documentation's minute-precision form
    /// `YYYY-MM-DDTHH:MM(Z|±HH:MM)`. `T`/`Z` may be lower case. Never panics.
    pub fn parse(value: &str) -> Result<Self, ModelError> {
        parse_rfc3339(value.as_bytes()).map_err(|reason| invalid(value, reason))
    }

    /// Year (0–9999).
    pub fn year(&self) -> u16 {
        self.year
    }
    /// Month (1–12).
    pub fn month(&self) -> u8 {
        self.month
    }
    /// Day of the month (1–31).
    pub fn day(&self) -> u8 {
        self.day
    }
    /// Hour (0–23).
    pub fn hour(&self) -> u8 {
        self.hour
    }
    /// Minute (0–59).
    pub fn minute(&self) -> u8 {
        self.minute
    }
    /// Second (0–60; 60 only for a written leap second; 0 when not written).
    pub fn second(&self) -> u8 {
        self.second
    }
    /// Fraction of the second, in nanoseconds.
    pub fn nanosecond(&self) -> u32 {
        self.nanosecond
    }
    /// UTC offset in minutes (`+08:00` → 480, `Z` → 0).
    pub fn offset_minutes(&self) -> i16 {
        self.offset_minutes
    }
    /// Whether the source string carried seconds (false for the
    /// minute-precision form). Requests the SDK builds always carry them.
    pub fn has_seconds(&self) -> bool {
        self.has_seconds
    }

    /// Seconds since 1970-01-01T00:00:00Z (a written leap second counts as
    /// the first second of the next minute).
    pub fn unix_timestamp(&self) -> i64 {
        days_from_civil(self.year, self.month, self.day) * SECONDS_PER_DAY
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
            - i64::from(self.offset_minutes) * 60
    }

    /// Compares the instants, whatever their offsets.
    pub fn cmp_instant(&self, other: &Self) -> Ordering {
        (self.unix_timestamp(), self.nanosecond).cmp(&(other.unix_timestamp(), other.nanosecond))
    }

    /// RFC 3339 with seconds always written, the fraction only when
    /// non-zero, and `+HH:MM` (never `Z`) for the offset, e.g.
    /// `2025-08-01T00:00:00+08:00`.
    pub fn to_rfc3339(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )?;
        if self.nanosecond != 0 {
            let mut digits = format!("{:09}", self.nanosecond);
            while digits.ends_with('0') {
                digits.pop();
            }
            write!(f, ".{digits}")?;
        }
        let sign = if self.offset_minutes < 0 { '-' } else { '+' };
        let abs = self.offset_minutes.unsigned_abs();
        write!(f, "{sign}{:02}:{:02}", abs / 60, abs % 60)
    }
}

fn digits(bytes: &[u8], at: usize, len: usize) -> Result<u32, &'static str> {
    let slice = bytes.get(at..at + len).ok_or("too short")?;
    let mut value = 0u32;
    for &b in slice {
        if !b.is_ascii_digit() {
            return Err("expected a digit");
        }
        value = value * 10 + u32::from(b - b'0');
    }
    Ok(value)
}

fn expect(
    bytes: &[u8],
    at: usize,
    allowed: &[u8],
    reason: &'static str,
) -> Result<u8, &'static str> {
    match bytes.get(at) {
        Some(b) if allowed.contains(b) => Ok(*b),
        _ => Err(reason),
    }
}

fn parse_rfc3339(b: &[u8]) -> Result<DateTime, &'static str> {
    let year = digits(b, 0, 4)? as u16;
    expect(b, 4, b"-", "expected '-' after the year")?;
    let month = digits(b, 5, 2)? as u8;
    expect(b, 7, b"-", "expected '-' after the month")?;
    let day = digits(b, 8, 2)? as u8;
    expect(b, 10, b"Tt", "expected 'T' between date and time")?;
    let hour = digits(b, 11, 2)? as u8;
    expect(b, 13, b":", "expected ':' after the hour")?;
    let minute = digits(b, 14, 2)? as u8;
    let mut pos = 16;
    let mut second = 0u8;
    let mut nanosecond = 0u32;
    let mut has_seconds = false;
    if b.get(pos) == Some(&b':') {
        second = digits(b, pos + 1, 2)? as u8;
        has_seconds = true;
        pos += 3;
        if b.get(pos) == Some(&b'.') {
            pos += 1;
            let start = pos;
            while let Some(d) = b.get(pos).filter(|d| d.is_ascii_digit()) {
                if pos - start < 9 {
                    nanosecond = nanosecond * 10 + u32::from(d - b'0');
                }
                pos += 1;
            }
            let written = pos - start;
            if written == 0 {
                return Err("expected digits after '.'");
            }
            for _ in written..9 {
                nanosecond *= 10;
            }
        }
    }
    let offset_minutes = match b.get(pos) {
        Some(b'Z' | b'z') => {
            pos += 1;
            0i16
        }
        Some(sign @ (b'+' | b'-')) => {
            let negative = *sign == b'-';
            let oh = digits(b, pos + 1, 2)?;
            expect(b, pos + 3, b":", "expected ':' in the UTC offset")?;
            let om = digits(b, pos + 4, 2)?;
            if oh > 23 || om > 59 {
                return Err("offset must be within ±23:59");
            }
            pos += 6;
            let total = (oh * 60 + om) as i16;
            if negative { -total } else { total }
        }
        Some(_) => return Err("expected seconds, 'Z' or a UTC offset like +08:00"),
        None => return Err("missing UTC offset (for example +08:00)"),
    };
    if pos != b.len() {
        return Err("unexpected characters after the UTC offset");
    }
    let value = DateTime {
        year,
        month,
        day,
        hour,
        minute,
        second,
        nanosecond,
        offset_minutes,
        has_seconds,
    };
    match value.range_error() {
        Some(reason) => Err(reason),
        None => Ok(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_documented_forms() {
        let full = DateTime::parse("2025-08-01T00:00:00+08:00").unwrap();
        assert!(full.has_seconds());
        assert_eq!(full.offset_minutes(), 480);
        assert_eq!(full.unix_timestamp(), 1_753_977_600);
        let short = DateTime::parse("2025-01-01T00:00+08:00").unwrap();
        assert!(!short.has_seconds());
        assert_eq!(short.to_rfc3339(), "2025-01-01T00:00:00+08:00");
        let frac = DateTime::parse("2015-05-20T13:29:35.120Z").unwrap();
        assert_eq!(frac.nanosecond(), 120_000_000);
        assert_eq!(frac.to_rfc3339(), "2015-05-20T13:29:35.12+00:00");
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "2025-08-01",
            "2025-08-01 00:00:00+08:00",
            "2025-08-01T00:00:00",
            "2025-02-29T00:00:00+08:00",
            "2025-13-01T00:00:00+08:00",
            "2025-08-01T24:00:00+08:00",
            "2025-08-01T00:00:00+0800",
            "2025-08-01T00:00:00.+08:00",
            "2025-08-01T00:00:00+08:00 ",
            "２025-08-01T00:00:00+08:00",
        ] {
            assert!(DateTime::parse(bad).is_err(), "{bad}");
        }
        assert!(DateTime::parse("2024-02-29T23:59:60-00:30").is_ok());
    }
}
