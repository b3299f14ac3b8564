//! The HTTP transport of the WeChat Pay product-coupon SDK.
//!
//! `coupon-http` moves already-built requests to WeChat Pay and brings back raw
//! responses. It knows nothing about coupons or signing:
//!
//! - [`Transport`] owns the one retry loop: connect and request timeouts (default
//!   5 s / 30 s), up to 3 attempts by default with exponential backoff and full
//!   jitter on connection errors (refused, reset), timeouts, 429, 500, 502 and 503
//!   (`Retry-After` honoured) — never on other statuses — and failover
//!   from the primary host (`api.mch.weixin.qq.com`) to the backup
//!   (`api2.mch.weixin.qq.com`) after a connect failure or timeout.
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
pub use retry::{Clock, RetryPolicy, TokioClock};
pub use template::{Attempt, AttemptHook, NoopHook, RequestTemplate};
pub use transport::{
    DEFAULT_BACKUP_BASE_URL, DEFAULT_PRIMARY_BASE_URL, DEFAULT_REQUEST_TIMEOUT, Endpoint, Response,
    Transport, TransportBuilder, default_user_agent,
};
