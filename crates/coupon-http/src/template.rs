//! What the caller hands to the transport: the request template and the per-attempt
//! hook.

use std::fmt;

use bytes::Bytes;
use http::Method;
use http::header::{HeaderMap, HeaderName, HeaderValue};

use crate::error::BoxError;

/// One logical request, replayed identically on every attempt.
///
/// Whether the transport may **resend** it after a failure that happened once
/// the request was (possibly) written — a request timeout, a reset or closed
/// connection, a malformed answer — depends on [`is_idempotent`](Self::is_idempotent):
/// by default that is the method's own idempotency (`GET`, `HEAD`, `PUT`,
/// `DELETE`, `OPTIONS` and `TRACE` yes; `POST` and `PATCH` no). Mark a request
/// whose body carries an idempotency key (`out_request_no`, `send_request_no`, …)
/// with [`idempotent(true)`](Self::idempotent): WeChat Pay processes such a key only
/// once, so a resend is safe. Failures before the request was sent (connect,
/// DNS, TLS handshake) are retried whatever this says.
///
/// The transport joins `path_and_query` to the base URL of the attempt's host; the
/// hook then adds per-attempt headers (the signature). Nothing in the template is
/// logged except `method` and `path_template`, and `Debug` shows only those, the
/// header names and the body length (the real path may hold an openid).
#[derive(Clone)]
pub struct RequestTemplate {
    /// The HTTP method.
    pub method: Method,
    /// The absolute path with `?` and the query string, already percent-encoded,
    /// exactly as sent and signed (e.g. `/v3/marketing/x?limit=10`).
    pub path_and_query: String,
    /// The route with its parameters left as placeholders (e.g.
    /// `/brand/marketing/product-coupon/users/{openid}/coupons`), used in logs
    /// instead of the real path so identifiers such as openids are never logged.
    pub path_template: &'static str,
    /// Headers sent on every attempt (e.g. `Accept`, `Content-Type`). A `User-Agent`
    /// here overrides the transport's.
    pub headers: HeaderMap,
    /// The body, sent byte-for-byte identical on every attempt. Empty for GET.
    pub body: Bytes,
    /// Whether a resend after the request was possibly written is safe.
    idempotent: bool,
}

impl RequestTemplate {
    /// A template without headers or body; idempotent when `method` is (see the
    /// type's docs).
    pub fn new(
        method: Method,
        path_and_query: impl Into<String>,
        path_template: &'static str,
    ) -> Self {
        Self {
            idempotent: method.is_idempotent(),
            method,
            path_and_query: path_and_query.into(),
            path_template,
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    /// Sets (replaces) one header.
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// Sets the body.
    pub fn with_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Declares whether resending this request is safe even when an earlier
    /// attempt may have reached the server (request timeout, I/O or protocol
    /// error after sending).
    ///
    /// Set it to `true` for a `POST`/`PATCH` whose body carries an idempotency
    /// key that the server deduplicates (`out_request_no`, `send_request_no`): the
    /// client of this SDK does so for every such operation. `false` on a `GET`
    /// turns off those resends for it. The default is the method's idempotency.
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }

    /// Whether the transport may resend this request after a failure that
    /// happened once it was possibly written (see [`idempotent`](Self::idempotent)).
    pub fn is_idempotent(&self) -> bool {
        self.idempotent
    }
}

/// What the hook sees of the attempt it prepares.
///
/// `Debug` shows the number, the method and the body length, not the path or body.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub struct Attempt<'a> {
    /// 1 for the first attempt, 2 for the first retry, …
    pub number: u32,
    /// The request method.
    pub method: &'a Method,
    /// The path and query exactly as sent (what a signature covers).
    pub path_and_query: &'a str,
    /// The body bytes exactly as sent (what a signature covers).
    pub body: &'a [u8],
}

impl<'a> Attempt<'a> {
    /// Describes attempt `number` of a request (for testing hooks in isolation).
    pub fn new(number: u32, method: &'a Method, path_and_query: &'a str, body: &'a [u8]) -> Self {
        Self {
            number,
            method,
            path_and_query,
            body,
        }
    }
}

impl fmt::Debug for RequestTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestTemplate")
            .field("method", &self.method)
            .field("path_template", &self.path_template)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("body_len", &self.body.len())
            .field("idempotent", &self.idempotent)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Attempt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attempt")
            .field("number", &self.number)
            .field("method", self.method)
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// Called before every attempt to add per-attempt headers, typically a freshly
/// signed `Authorization` (new timestamp and nonce on each retry).
///
/// `headers` already holds the template's headers and the `User-Agent`; the hook
/// inserts what it needs. An error aborts the call with
/// [`ErrorKind::Hook`](crate::ErrorKind::Hook) and is not retried.
///
/// Closures `Fn(&Attempt<'_>, &mut HeaderMap) -> Result<(), BoxError>` implement it.
pub trait AttemptHook: Send + Sync {
    /// Prepares attempt `attempt` by adding headers.
    fn before_attempt(
        &self,
        attempt: &Attempt<'_>,
        headers: &mut HeaderMap,
    ) -> Result<(), BoxError>;
}

impl<F> AttemptHook for F
where
    F: Fn(&Attempt<'_>, &mut HeaderMap) -> Result<(), BoxError> + Send + Sync,
{
    fn before_attempt(
        &self,
        attempt: &Attempt<'_>,
        headers: &mut HeaderMap,
    ) -> Result<(), BoxError> {
        self(attempt, headers)
    }
}

/// A hook that adds nothing (unsigned requests, benchmarks).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopHook;

impl AttemptHook for NoopHook {
    fn before_attempt(&self, _: &Attempt<'_>, _: &mut HeaderMap) -> Result<(), BoxError> {
        Ok(())
    }
}
