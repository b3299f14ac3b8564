//! Retry policy, backoff with full jitter, and the injectable clock.

use std::fmt;
use std::future::Future;
use std::hash::{BuildHasher, RandomState};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use http::{HeaderMap, StatusCode};

/// When and how often [`Transport::execute`](crate::Transport::execute) retries.
///
/// *What* is retried is fixed (see the retry table in the [crate docs](crate)):
/// failures before the request was sent (connect, DNS, TLS handshake, connect
/// timeout) for every request; request timeouts and I/O or protocol errors after
/// sending only for [idempotent](crate::RequestTemplate::is_idempotent) requests; the
/// statuses 429, 500, 502 and 503 for every request. Never retried: any other status
/// (in particular 400, 401, 403, 404), hook failures, oversized bodies.
///
/// The delay before retry *n* (n = 1, 2, …) is drawn uniformly from
/// `[0, min(max_delay, base_delay · 2ⁿ⁻¹)]` ("full jitter"), or is exactly that cap
/// when jitter is off. A `Retry-After` response header (seconds or an HTTP date, at
/// most [`MAX_RETRY_AFTER_LEN`] bytes, exactly one) replaces the computed delay but is
/// capped by `max_delay` too: an answer can never make the client wait longer than
/// configured. A retry is started only if it can start within `max_elapsed` of
/// the call's start; otherwise the last outcome is returned. Every attempt's request
/// timeout is also cut to what remains of `max_elapsed`, so no call runs longer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    max_elapsed: Duration,
    full_jitter: bool,
}

impl Default for RetryPolicy {
    /// 3 attempts, 200 ms base delay, 5 s maximum delay, 60 s total, full jitter.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            max_elapsed: Duration::from_secs(60),
            full_jitter: true,
        }
    }
}

impl RetryPolicy {
    /// The default policy (see [`Default`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// A policy that makes exactly one attempt.
    pub fn no_retry() -> Self {
        Self::default().with_max_attempts(1)
    }

    /// Total number of attempts, the first included (at least 1; 0 is taken as 1).
    pub fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts.max(1);
        self
    }

    /// Delay cap before the first retry; doubles for each further retry.
    pub fn with_base_delay(mut self, base_delay: Duration) -> Self {
        self.base_delay = base_delay;
        self
    }

    /// Upper bound of any delay between attempts, a server's `Retry-After`
    /// included (default 5 s).
    pub fn with_max_delay(mut self, max_delay: Duration) -> Self {
        self.max_delay = max_delay;
        self
    }

    /// Time budget of the whole call (default 60 s): no retry starts after it, and
    /// every attempt's request timeout, the first included, is cut to what remains
    /// of it.
    pub fn with_max_elapsed(mut self, max_elapsed: Duration) -> Self {
        self.max_elapsed = max_elapsed;
        self
    }

    /// Full jitter on (default) or off (deterministic delays, for tests).
    pub fn with_full_jitter(mut self, full_jitter: bool) -> Self {
        self.full_jitter = full_jitter;
        self
    }

    /// Total number of attempts.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Base delay.
    pub fn base_delay(&self) -> Duration {
        self.base_delay
    }

    /// Maximum delay between attempts (`Retry-After` included).
    pub fn max_delay(&self) -> Duration {
        self.max_delay
    }

    /// Time budget of a call.
    pub fn max_elapsed(&self) -> Duration {
        self.max_elapsed
    }

    /// Whether full jitter is on.
    pub fn full_jitter(&self) -> bool {
        self.full_jitter
    }

    /// The upper bound of the delay before retry `retry` (1-based).
    pub(crate) fn delay_cap(&self, retry: u32) -> Duration {
        let shift = retry.saturating_sub(1).min(31);
        self.base_delay
            .checked_mul(1u32 << shift)
            .unwrap_or(Duration::MAX)
            .min(self.max_delay)
    }

    /// The delay before retry `retry`, jittered with `random` when jitter is on.
    pub(crate) fn delay(&self, retry: u32, random: u64) -> Duration {
        let cap = self.delay_cap(retry);
        if !self.full_jitter {
            return cap;
        }
        let cap_nanos = u64::try_from(cap.as_nanos()).unwrap_or(u64::MAX);
        if cap_nanos == u64::MAX {
            return Duration::from_nanos(random);
        }
        Duration::from_nanos(random % (cap_nanos + 1))
    }
}

/// Whether a response status is retried.
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 500 | 502 | 503)
}

/// The longest `Retry-After` value that is parsed (bytes); longer ones are ignored.
/// An HTTP date is 29 bytes; a delay in seconds that does not fit in 32 digits is
/// not a delay.
pub const MAX_RETRY_AFTER_LEN: usize = 32;

/// Parses `Retry-After`, either form of RFC 9110: delay seconds (digits only), or
/// an HTTP date (the time from now until then; zero when it is past). Ignored —
/// `None`, so the computed backoff applies — when it is garbage, longer than
/// [`MAX_RETRY_AFTER_LEN`] bytes, or sent more than once. The caller caps the
/// result by the policy's maximum delay.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let mut values = headers.get_all(http::header::RETRY_AFTER).iter();
    let value = values.next()?;
    if values.next().is_some() || value.len() > MAX_RETRY_AFTER_LEN {
        return None;
    }
    let value = value.to_str().ok()?.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // At most 32 digits: saturate instead of failing on overflow.
        let secs = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(secs));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(
        date.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// The time source of the retry loop: backoff sleeps and the call's time budget.
///
/// The default is [`TokioClock`]. Tests inject a fake that records the requested
/// sleeps and advances a virtual `now` instead of waiting. (Request and connect
/// timeouts always run on the tokio timer.)
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current instant.
    fn now(&self) -> Instant;
    /// Waits for `duration`.
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>>;
}

/// The tokio clock: `tokio::time::Instant::now` and `tokio::time::sleep` (real time,
/// or tokio's paused test time, consistently for both).
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioClock;

impl Clock for TokioClock {
    fn now(&self) -> Instant {
        tokio::time::Instant::now().into_std()
    }

    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A lock-free SplitMix64 generator for jitter (not cryptographic; it only spreads
/// retries). Seeded from the standard library's per-process random hasher keys.
#[derive(Debug)]
pub(crate) struct JitterRng(AtomicU64);

impl JitterRng {
    const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

    pub(crate) fn from_entropy() -> Self {
        Self(AtomicU64::new(RandomState::new().hash_one(0x5eed_u64)))
    }

    pub(crate) fn next(&self) -> u64 {
        let mut z = self
            .0
            .fetch_add(Self::GAMMA, Ordering::Relaxed)
            .wrapping_add(Self::GAMMA);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn caps_double_from_base_and_stop_at_max() {
        let p = RetryPolicy::new()
            .with_base_delay(Duration::from_millis(100))
            .with_max_delay(Duration::from_millis(350));
        assert_eq!(p.delay_cap(1), Duration::from_millis(100));
        assert_eq!(p.delay_cap(2), Duration::from_millis(200));
        assert_eq!(p.delay_cap(3), Duration::from_millis(350));
        assert_eq!(p.delay_cap(400), Duration::from_millis(350));
    }

    #[test]
    fn without_jitter_the_delay_is_the_cap() {
        let p = RetryPolicy::new().with_full_jitter(false);
        assert_eq!(p.delay(2, 12345), p.delay_cap(2));
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(http::header::RETRY_AFTER, " 7 ".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        // A date in the past means "now".
        h.insert(
            http::header::RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        // A date in the future is the time until then (more than a year here,
        // however slow the test machine).
        h.insert(
            http::header::RETRY_AFTER,
            "Fri, 01 Jan 9999 00:00:00 GMT".parse().unwrap(),
        );
        assert!(retry_after(&h).unwrap() > Duration::from_secs(365 * 86_400));
        for garbage in ["soon", "-1", "+7", "7s", "", "7 7"] {
            h.insert(http::header::RETRY_AFTER, garbage.parse().unwrap());
            assert_eq!(retry_after(&h), None, "{garbage:?}");
        }
        // Huge but short: saturates (the transport caps it by max_delay).
        h.insert(http::header::RETRY_AFTER, "9".repeat(32).parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(u64::MAX)));
    }

    #[test]
    fn retry_after_is_ignored_when_too_long_or_repeated() {
        let mut h = HeaderMap::new();
        let long = format!("{}7", "0".repeat(MAX_RETRY_AFTER_LEN));
        h.insert(http::header::RETRY_AFTER, long.parse().unwrap());
        assert_eq!(retry_after(&h), None, "{} bytes", long.len());
        let mut h = HeaderMap::new();
        h.append(http::header::RETRY_AFTER, "1".parse().unwrap());
        h.append(http::header::RETRY_AFTER, "2".parse().unwrap());
        assert_eq!(retry_after(&h), None, "two values");
    }

    #[test]
    fn retryable_statuses_are_exactly_429_500_502_503() {
        let retryable: Vec<u16> = (100..600)
            .filter(|s| is_retryable_status(StatusCode::from_u16(*s).unwrap()))
            .collect();
        assert_eq!(retryable, vec![429, 500, 502, 503]);
    }

    #[test]
    fn jitter_rng_varies() {
        let rng = JitterRng::from_entropy();
        let a = rng.next();
        let b = rng.next();
        assert_ne!(a, b);
    }

    proptest! {
        #[test]
        fn jittered_delay_never_exceeds_cap(
            base_ms in 0u64..10_000,
            max_ms in 0u64..100_000,
            retry in 1u32..100,
            random in any::<u64>(),
        ) {
            let p = RetryPolicy::new()
                .with_base_delay(Duration::from_millis(base_ms))
                .with_max_delay(Duration::from_millis(max_ms));
            let cap = p.delay_cap(retry);
            prop_assert!(cap <= Duration::from_millis(max_ms));
            prop_assert!(cap >= Duration::from_millis(base_ms).min(Duration::from_millis(max_ms)));
            prop_assert!(p.delay(retry, random) <= cap);
        }

        #[test]
        fn caps_are_monotonic(base_ms in 0u64..10_000, max_ms in 0u64..100_000, retry in 1u32..100) {
            let p = RetryPolicy::new()
                .with_base_delay(Duration::from_millis(base_ms))
                .with_max_delay(Duration::from_millis(max_ms));
            prop_assert!(p.delay_cap(retry) <= p.delay_cap(retry + 1));
        }
    }
}
