//! Time as the sandbox sees it: Unix seconds from the injected clock, written
//! as RFC 3339 in China Standard Time (`+08:00`, Asia/Shanghai has no daylight
//! saving), and the Asia/Shanghai calendar day that resets daily budgets.

use coupon_model::time::{DateTime, Timestamp};

/// Seconds in a day.
pub(crate) const DAY: i64 = 86_400;
/// Asia/Shanghai's offset from UTC, in minutes (+08:00 all year).
const SHANGHAI_OFFSET_MINUTES: i16 = 8 * 60;

/// `unix` as an RFC 3339 timestamp in `+08:00`, e.g. `2025-08-01T00:00:00+08:00`.
/// Outside years 0–9999 (never for the sandbox's clock) the Unix epoch is written.
pub(crate) fn timestamp(unix: i64) -> Timestamp {
    match DateTime::from_unix_timestamp(unix, SHANGHAI_OFFSET_MINUTES) {
        Ok(t) => Timestamp::from(t),
        Err(_) => Timestamp::new("1970-01-01T08:00:00+08:00"),
    }
}

/// The instant a wire timestamp names, if it parses as RFC 3339.
pub(crate) fn unix_of(timestamp: &Timestamp) -> Option<i64> {
    timestamp.parse().ok().map(|t| t.unix_timestamp())
}

/// The Asia/Shanghai calendar day of `unix` (days since 1970-01-01 there):
/// daily budgets (`max_count_per_day`, `today_count`) reset at its midnight.
pub(crate) fn shanghai_day(unix: i64) -> i64 {
    unix.saturating_add(i64::from(SHANGHAI_OFFSET_MINUTES) * 60)
        .div_euclid(DAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_written_in_china_standard_time() {
        assert_eq!(timestamp(0).as_str(), "1970-01-01T08:00:00+08:00");
        let t = timestamp(1_756_000_000);
        assert_eq!(unix_of(&t), Some(1_756_000_000));
        assert!(t.as_str().ends_with("+08:00"));
    }

    #[test]
    fn the_day_turns_at_shanghai_midnight() {
        // 2025-08-01T00:00:00+08:00 = 2025-07-31T16:00:00Z.
        let midnight = unix_of(&Timestamp::new("2025-08-01T00:00:00+08:00")).unwrap();
        assert_eq!(shanghai_day(midnight - 1) + 1, shanghai_day(midnight));
        assert_eq!(shanghai_day(midnight), shanghai_day(midnight + DAY - 1));
    }
}
