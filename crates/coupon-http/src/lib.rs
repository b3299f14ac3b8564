//! The HTTP transport of the WeChat Pay product-coupon SDK.
//!
//! `coupon-http` moves already-built requests to WeChat Pay and brings back raw
//! responses. It knows nothing about coupons or signing:
//!
//! - [`Transport`] owns the one retry loop: connect and request timeouts (default
//!   5 s / 30 s), up to 3 attempts by default with exponential backoff and full
//!   jitter, following the [retry table](#retries) below, and failover from the
//!   primary host (`api.mch.weixin.qq.com`) to the backup
//!   (`api2.mch.weixin.qq.com`) after a connect failure or timeout (a request
//!   timeout only for idempotent requests).
//! - A [`RequestTemplate`] is replayed identically on every attempt; an
//!   [`AttemptHook`] adds per-attempt headers, so every attempt carries a fresh
//!   signature (timestamp and nonce).
//! - [`HttpConnector`] is the pluggable HTTP stack; the default [`HyperConnector`] is
//!   hyper 1 with a keep-alive pool, rustls (see [Crypto backend](#crypto-backend)),
//!   HTTP/1.1 and HTTP/2 by ALPN,
//!   and a response body limit enforced while streaming. It speaks `https://` only,
//!   unless a base URL is written with `http://` (local tests, sandboxes).
//! - TLS trusts the Mozilla roots bundled by `webpki-roots` by default
//!   ([`RootCertificates::WebPki`]); feature `native-roots` adds the operating
//!   system's store (`RootCertificates::Native`). Behind a TLS-inspecting proxy,
//!   trust its CA instead with [`TransportBuilder::add_root_certificate_pem`] (or
//!   [`RootCertificates::Custom`]). A certificate that does not chain to a trusted
//!   root fails the attempt with [`ErrorKind::Connect`] before any request is sent.
//! - Non-2xx responses are returned as [`Response`]s (with their `Request-ID`), not
//!   errors; [`Error`] is only for "no response".
//! - `tracing` spans `coupon_http.call` (method, path template, attempts, status,
//!   request id, elapsed) and `coupon_http.attempt` (attempt, host, status,
//!   elapsed). Header values, bodies and real paths are never logged.
//!
//! # Retries
//!
//! A request is resent only when that cannot make the server act twice on a
//! request that is not meant to be repeated. *Idempotent* means
//! [`RequestTemplate::is_idempotent`]: by default `GET` (and the other idempotent
//! methods) yes, `POST`/`PATCH` no; the client marks a `POST`/`PATCH` idempotent
//! when its body carries an idempotency key (`out_request_no`, `send_request_no`).
//!
//! | outcome of an attempt | did the request reach the server? | idempotent request | non-idempotent request |
//! |---|---|---|---|
//! | connection refused, DNS failure, TLS handshake or certificate failure ([`ErrorKind::Connect`]) | provably not | retried, fails over to the backup host | retried, fails over |
//! | connect timeout ([`TimeoutPhase::Connect`]) | provably not | retried, fails over | retried, fails over |
//! | request timeout ([`TimeoutPhase::Request`]) | maybe | retried, fails over | **returned, not resent** |
//! | reset or closed connection, truncated body, malformed answer (status line, conflicting `Content-Length`, …) ([`ErrorKind::Io`]) | maybe | retried on the same host | **returned, not resent** |
//! | status 429, 500, 502, 503 | yes, and it answered | retried on the same host after `Retry-After` (capped) | retried on the same host after `Retry-After` (capped) |
//! | any other status, 2xx included | yes | returned | returned |
//! | body over the limit ([`ErrorKind::BodyTooLarge`]) | yes | returned | returned |
//! | hook (signing) failure, invalid request | never sent | returned | returned |
//!
//! Every retry waits the backoff of the [`RetryPolicy`] (full jitter, at most its
//! maximum delay, default 5 s); a `Retry-After` (seconds or HTTP date, at most
//! [`MAX_RETRY_AFTER_LEN`] bytes, one value) replaces the backoff but is capped by
//! the same maximum delay, so an answer cannot make a call wait longer than
//! configured. No retry starts after the call's time budget (default 60 s).
//! Custom [`HttpConnector`]s report [`Error::connect`] only when no request byte
//! was written.
//!
//! # Bounds
//!
//! | what | bound | enforced |
//! |---|---|---|
//! | response body | [`DEFAULT_BODY_LIMIT`] (4 MiB), [`TransportBuilder::body_limit`] | while streaming: a larger declared `Content-Length` is refused before reading, a chunked body stops at the limit |
//! | response head | hyper's HTTP/1 read buffer (about 400 KiB) and HTTP/2 header-list limit | by hyper while parsing |
//! | `Retry-After` | [`MAX_RETRY_AFTER_LEN`] bytes, delay capped by [`RetryPolicy::max_delay`] | ignored beyond |
//! | `Request-ID` | [`MAX_REQUEST_ID_LEN`] bytes of visible ASCII | dropped otherwise |
//! | one attempt / one call | request timeout 30 s / time budget 60 s | timers |
//!
//! # Crypto backend
//!
//! The default connector's TLS runs on a rustls crypto provider chosen at compile
//! time, to match `wxpay-sign`'s backend so a build links one crypto library:
//!
//! | feature | links | TLS |
//! |---|---|---|
//! | `ring` (default) | `ring` 0.17 | rustls' `ring` provider |
//! | `aws-lc` | `aws-lc-rs` (AWS-LC, built from C by `aws-lc-sys`) | rustls' `aws_lc_rs` provider |
//!
//! Depend on the crate with `default-features = false, features = ["aws-lc"]` to
//! link AWS-LC only. Both features at once compile (Cargo unifies features across a
//! build): the connector then uses aws-lc-rs and ring is linked but unused. With
//! neither, the crate does not compile. The connector always hands its provider to
//! rustls explicitly and never installs a process-wide default, so other rustls
//! users in the program are unaffected. Feature `native-roots` is independent of
//! the backend.
//!
//! ```no_run
//! use coupon_http::{Attempt, BoxError, RequestTemplate, Transport};
//! use http::{HeaderMap, HeaderValue, Method, header};
//!
//! # async fn demo() -> Result<(), coupon_http::Error> {
//! let transport = Transport::builder().build()?;
//! let template = RequestTemplate::new(
//!     Method::GET,
//!     "/brand/marketing/product-coupon/users/o4GgauInH_RCEdvrrNGrntXDuXXX/coupons?limit=10",
//!     "/brand/marketing/product-coupon/users/{openid}/coupons",
//! )
//! .with_header(header::ACCEPT, HeaderValue::from_static("application/json"));
//!
//! // Called before every attempt: sign `attempt.method`, `attempt.path_and_query` and
//! // `attempt.body` with a fresh timestamp and nonce.
//! let sign = |attempt: &Attempt<'_>, headers: &mut HeaderMap| -> Result<(), BoxError> {
//!     let authorization = format!("SCHEME ...attempt {}...", attempt.number);
//!     headers.insert(header::AUTHORIZATION, HeaderValue::try_from(authorization)?);
//!     Ok(())
//! };
//!
//! let response = transport.execute(&template, &sign).await?;
//! println!("{} request-id={:?}", response.status(), response.request_id());
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod connector;
mod error;
mod retry;
mod template;
mod transport;

pub use connector::{
    ConnectorFuture, DEFAULT_BODY_LIMIT, DEFAULT_CONNECT_TIMEOUT, DEFAULT_POOL_IDLE_TIMEOUT,
    DEFAULT_POOL_MAX_IDLE_PER_HOST, HttpConnector, HyperConnector, HyperConnectorConfig,
    RootCertificates,
};
pub use error::{BoxError, Error, ErrorKind, TimeoutPhase};
pub use retry::{Clock, MAX_RETRY_AFTER_LEN, RetryPolicy, TokioClock};
pub use template::{Attempt, AttemptHook, NoopHook, RequestTemplate};
pub use transport::{
    DEFAULT_BACKUP_BASE_URL, DEFAULT_PRIMARY_BASE_URL, DEFAULT_REQUEST_TIMEOUT, Endpoint,
    MAX_REQUEST_ID_LEN, Response, Transport, TransportBuilder, default_user_agent,
};
