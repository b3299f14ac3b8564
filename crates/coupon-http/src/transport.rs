//! The transport: configuration, the one retry loop, failover and the response.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue, USER_AGENT};
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{StatusCode, Uri};
use tracing::{Instrument, field};

use crate::connector::{
    DEFAULT_BODY_LIMIT, DEFAULT_CONNECT_TIMEOUT, DEFAULT_POOL_IDLE_TIMEOUT,
    DEFAULT_POOL_MAX_IDLE_PER_HOST, HttpConnector, HyperConnector, HyperConnectorConfig,
    RootCertificates, parse_pem_certificates,
};
use crate::error::{Error, ErrorKind, TimeoutPhase};
use crate::retry::{Clock, JitterRng, RetryPolicy, TokioClock, is_retryable_status, retry_after};
use crate::template::{Attempt, AttemptHook, RequestTemplate};

/// The primary WeChat Pay API base URL.
pub const DEFAULT_PRIMARY_BASE_URL: &str = "https://api.mch.weixin.qq.com";
/// The backup WeChat Pay API base URL, used after a connect failure or timeout.
pub const DEFAULT_BACKUP_BASE_URL: &str = "https://api2.mch.weixin.qq.com";
/// Default whole-request timeout (sending, response headers and body).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The default `User-Agent`: `wxpay-coupon-rs/<version> (<os>)`.
pub fn default_user_agent() -> String {
    format!(
        "wxpay-coupon-rs/{} ({})",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS
    )
}

/// Which of the two configured hosts served a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// The primary base URL.
    Primary,
    /// The backup base URL (after a failover).
    Backup,
}

/// A response as it came off the wire, whatever its status.
///
/// Non-2xx statuses are returned here, not as [`Error`]s: the caller maps them
/// (e.g. parses the WeChat Pay error body). When every attempt got a retryable
/// status (429, 500, 502, 503), the response of the **last** attempt is returned.
#[derive(Clone)]
pub struct Response {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    attempts: u32,
    elapsed: Duration,
    endpoint: Endpoint,
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The body is never printed, only its size.
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("request_id", &self.request_id())
            .field("body_len", &self.body.len())
            .field("attempts", &self.attempts)
            .field("elapsed", &self.elapsed)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl Response {
    /// A response as if received by the primary host on the first attempt (for tests
    /// and custom layers); the `Request-ID` is read from `headers`.
    pub fn new(status: StatusCode, headers: HeaderMap, body: Bytes) -> Self {
        Self {
            status,
            headers,
            body,
            attempts: 1,
            elapsed: Duration::ZERO,
            endpoint: Endpoint::Primary,
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// `true` for 2xx.
    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The exact body bytes received (verify signatures over these).
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Takes the body out.
    pub fn into_body(self) -> Bytes {
        self.body
    }

    /// The `Request-ID` header (any case), to quote when contacting WeChat Pay
    /// (read from the headers when asked: nothing is copied).
    pub fn request_id(&self) -> Option<&str> {
        request_id_of(&self.headers)
    }

    /// How many attempts the call took (1 = no retry).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Time from the start of the call to the end of the last attempt.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// Which host answered.
    pub fn endpoint(&self) -> Endpoint {
        self.endpoint
    }
}

/// A parsed base URL: scheme and authority only.
#[derive(Debug, Clone)]
struct BaseUrl {
    scheme: Scheme,
    authority: Authority,
    text: String,
}

impl BaseUrl {
    fn parse(which: &str, url: &str) -> Result<Self, Error> {
        let uri: Uri = url
            .parse()
            .map_err(|e| Error::config_from(format!("{which} base URL {url:?} is not a URL"), e))?;
        let parts = uri.into_parts();
        let scheme = match parts.scheme {
            Some(s) if s == Scheme::HTTPS || s == Scheme::HTTP => s,
            _ => {
                return Err(Error::config(format!(
                    "{which} base URL {url:?} must start with https:// (or http:// for local tests)"
                )));
            }
        };
        let authority = parts
            .authority
            .ok_or_else(|| Error::config(format!("{which} base URL {url:?} has no host")))?;
        if parts
            .path_and_query
            .is_some_and(|pq| pq.as_str() != "/" && !pq.as_str().is_empty())
        {
            return Err(Error::config(format!(
                "{which} base URL {url:?} must not have a path or query (signatures cover the \
                 path as sent)"
            )));
        }
        Ok(Self {
            text: format!("{scheme}://{authority}"),
            scheme,
            authority,
        })
    }

    fn uri(&self, path_and_query: PathAndQuery) -> Result<Uri, Error> {
        let mut parts = http::uri::Parts::default();
        parts.scheme = Some(self.scheme.clone());
        parts.authority = Some(self.authority.clone());
        parts.path_and_query = Some(path_and_query);
        Uri::from_parts(parts).map_err(|e| Error::invalid_request_from("URI", e))
    }
}

/// Builds a [`Transport`]; start with [`Transport::builder`].
#[derive(Debug, Clone)]
pub struct TransportBuilder {
    primary: String,
    backup: Option<String>,
    connect_timeout: Duration,
    request_timeout: Duration,
    body_limit: usize,
    retry: RetryPolicy,
    user_agent: Option<String>,
    connector: Option<Arc<dyn HttpConnector>>,
    pool_idle_timeout: Duration,
    pool_max_idle_per_host: usize,
    roots: RootCertificates,
    clock: Arc<dyn Clock>,
}

impl Default for TransportBuilder {
    fn default() -> Self {
        Self {
            primary: DEFAULT_PRIMARY_BASE_URL.to_owned(),
            backup: Some(DEFAULT_BACKUP_BASE_URL.to_owned()),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            body_limit: DEFAULT_BODY_LIMIT,
            retry: RetryPolicy::default(),
            user_agent: None,
            connector: None,
            pool_idle_timeout: DEFAULT_POOL_IDLE_TIMEOUT,
            pool_max_idle_per_host: DEFAULT_POOL_MAX_IDLE_PER_HOST,
            roots: RootCertificates::default(),
            clock: Arc::new(TokioClock),
        }
    }
}

impl TransportBuilder {
    /// Primary base URL, `scheme://host[:port]` without a path. Default
    /// [`DEFAULT_PRIMARY_BASE_URL`]. `http://` is accepted (and then allowed by the
    /// default connector) only when written here explicitly.
    pub fn primary_base_url(mut self, url: impl Into<String>) -> Self {
        self.primary = url.into();
        self
    }

    /// Backup base URL, used for the rest of a call after a connect failure or
    /// connect timeout on the primary (or a request timeout, for idempotent
    /// requests: see the crate's retry table). Default [`DEFAULT_BACKUP_BASE_URL`].
    pub fn backup_base_url(mut self, url: impl Into<String>) -> Self {
        self.backup = Some(url.into());
        self
    }

    /// Disables failover: every attempt goes to the primary.
    pub fn without_backup(mut self) -> Self {
        self.backup = None;
        self
    }

    /// Connect timeout (TCP plus TLS) of the default connector. Default 5 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Whole-attempt timeout: sending, response headers and body. Default 30 s.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Maximum response body size in bytes. Default 4 MiB ([`DEFAULT_BODY_LIMIT`]).
    /// The default connector enforces it while streaming (a larger declared
    /// `Content-Length` is refused before reading, a chunked body stops at the
    /// limit); the transport re-checks what any connector returns.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Retry policy. Default [`RetryPolicy::default`].
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// `User-Agent` header. Default [`default_user_agent`].
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Replaces the default [`HyperConnector`]. The connect timeout, pool and root
    /// settings of this builder then do not apply; the request timeout, body limit,
    /// retries and failover still do.
    pub fn connector(mut self, connector: Arc<dyn HttpConnector>) -> Self {
        self.connector = Some(connector);
        self
    }

    /// Idle timeout of pooled connections. Default 90 s.
    pub fn pool_idle_timeout(mut self, timeout: Duration) -> Self {
        self.pool_idle_timeout = timeout;
        self
    }

    /// Maximum idle pooled connections per host. Default 16.
    pub fn pool_max_idle_per_host(mut self, max: usize) -> Self {
        self.pool_max_idle_per_host = max;
        self
    }

    /// Trusted TLS roots of the default connector. Default
    /// [`RootCertificates::WebPki`] (the bundled Mozilla roots).
    pub fn root_certificates(mut self, roots: RootCertificates) -> Self {
        self.roots = roots;
        self
    }

    /// Trusts the CA certificate(s) in `pem` (one or more
    /// `-----BEGIN CERTIFICATE-----` blocks), e.g. the CA of a TLS-inspecting
    /// corporate proxy, or of a test server.
    ///
    /// The first call switches the default connector to
    /// [`RootCertificates::Custom`]: from then on **only** the certificates added this
    /// way are trusted, not the bundled webpki roots (nor native roots). Further calls
    /// add to that set. To go back, call [`root_certificates`](Self::root_certificates)
    /// with [`RootCertificates::WebPki`].
    ///
    /// Fails with [`ErrorKind::Config`] when `pem` holds no certificate, or a block is
    /// not valid PEM or not a well-formed X.509 certificate; the builder is consumed
    /// then, start over.
    ///
    /// ```
    /// # fn demo(proxy_ca_pem: &str) -> Result<(), coupon_http::Error> {
    /// let transport = coupon_http::Transport::builder()
    ///     .add_root_certificate_pem(proxy_ca_pem)?
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    pub fn add_root_certificate_pem(mut self, pem: &str) -> Result<Self, Error> {
        let certs = parse_pem_certificates(pem)?;
        match &mut self.roots {
            RootCertificates::Custom(trusted) => trusted.extend(certs),
            other => *other = RootCertificates::Custom(certs),
        }
        Ok(self)
    }

    /// Time source for backoff sleeps and the call budget (tests inject a fake).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Validates the configuration and builds the transport.
    pub fn build(self) -> Result<Transport, Error> {
        let primary = BaseUrl::parse("primary", &self.primary)?;
        let backup = self
            .backup
            .as_deref()
            .map(|url| BaseUrl::parse("backup", url))
            .transpose()?;
        let user_agent = self.user_agent.unwrap_or_else(default_user_agent);
        let user_agent = HeaderValue::try_from(user_agent.as_str())
            .map_err(|e| Error::config_from(format!("User-Agent {user_agent:?}"), e))?;
        let connector = match self.connector {
            Some(connector) => connector,
            None => {
                let allow_http = primary.scheme == Scheme::HTTP
                    || backup.as_ref().is_some_and(|b| b.scheme == Scheme::HTTP);
                let config = HyperConnectorConfig {
                    connect_timeout: self.connect_timeout,
                    pool_idle_timeout: self.pool_idle_timeout,
                    pool_max_idle_per_host: self.pool_max_idle_per_host,
                    body_limit: self.body_limit,
                    allow_http,
                    roots: self.roots,
                };
                Arc::new(HyperConnector::new(config)?)
            }
        };
        Ok(Transport {
            inner: Arc::new(Inner {
                primary,
                backup,
                request_timeout: self.request_timeout,
                body_limit: self.body_limit,
                retry: self.retry,
                user_agent,
                connector,
                clock: self.clock,
                rng: JitterRng::from_entropy(),
            }),
        })
    }
}

struct Inner {
    primary: BaseUrl,
    backup: Option<BaseUrl>,
    request_timeout: Duration,
    body_limit: usize,
    retry: RetryPolicy,
    user_agent: HeaderValue,
    connector: Arc<dyn HttpConnector>,
    clock: Arc<dyn Clock>,
    rng: JitterRng,
}

/// Moves signed requests to WeChat Pay and brings back raw responses, with
/// timeouts, retries with backoff, and backup-host failover.
///
/// Cheap to clone: clones share the configuration and the connection pool.
#[derive(Clone)]
pub struct Transport {
    inner: Arc<Inner>,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("Transport")
            .field("primary", &i.primary.text)
            .field("backup", &i.backup.as_ref().map(|b| &b.text))
            .field("request_timeout", &i.request_timeout)
            .field("body_limit", &i.body_limit)
            .field("retry", &i.retry)
            .field("user_agent", &i.user_agent)
            .field("connector", &i.connector)
            .finish_non_exhaustive()
    }
}

/// What one attempt produced, and what the loop should do about it.
enum Verdict {
    Done,
    /// A retryable failure, but the request may have reached the server and is not
    /// idempotent: surfaced, not resent.
    NotResent {
        /// For the log line.
        reason: &'static str,
    },
    Retry {
        /// Switch to the backup host (connect failure or timeout).
        failover: bool,
        /// The server's `Retry-After`, replacing the computed backoff (capped by the
        /// policy's maximum delay).
        after: Option<Duration>,
        /// For the log line.
        reason: &'static str,
    },
}

impl Verdict {
    /// The retry table of the crate docs.
    fn of(outcome: &Result<Response, Error>, idempotent: bool) -> Self {
        let (failover, after, reason) = match outcome {
            // The server answered: a resend is the documented behaviour.
            Ok(response) if is_retryable_status(response.status) => (
                false,
                retry_after(&response.headers),
                response
                    .status
                    .canonical_reason()
                    .unwrap_or("retryable status"),
            ),
            Ok(_) => return Self::Done,
            Err(e) => match e.kind() {
                // Nothing was sent: safe for any request.
                ErrorKind::Connect => (true, None, "connect error"),
                ErrorKind::Timeout(TimeoutPhase::Connect) => (true, None, "connect timeout"),
                // The request may have reached the server.
                ErrorKind::Timeout(TimeoutPhase::Request) if idempotent => {
                    (true, None, "request timeout")
                }
                ErrorKind::Io if idempotent => (false, None, "I/O or protocol error"),
                ErrorKind::Timeout(TimeoutPhase::Request) => {
                    return Self::NotResent {
                        reason: "request timeout",
                    };
                }
                ErrorKind::Io => {
                    return Self::NotResent {
                        reason: "I/O or protocol error",
                    };
                }
                _ => return Self::Done,
            },
        };
        Self::Retry {
            failover,
            after,
            reason,
        }
    }
}

impl Transport {
    /// A builder with the defaults (WeChat Pay hosts, 5 s / 30 s timeouts, 4 MiB body
    /// limit, 3 attempts).
    pub fn builder() -> TransportBuilder {
        TransportBuilder::default()
    }

    /// The primary base URL.
    pub fn primary_base_url(&self) -> &str {
        &self.inner.primary.text
    }

    /// The backup base URL, if failover is enabled.
    pub fn backup_base_url(&self) -> Option<&str> {
        self.inner.backup.as_ref().map(|b| b.text.as_str())
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// Sends `template`, retrying as the [`RetryPolicy`] says, and returns the final
    /// response whatever its status.
    ///
    /// Before **every** attempt, `hook` adds that attempt's headers, so each retry is
    /// freshly signed (new timestamp and nonce) over the same method, path and body.
    ///
    /// Retries follow the retry table of the [crate docs](crate): failures before
    /// the request was sent (connect, DNS, TLS handshake, connect timeout) are
    /// retried for every request and fail over to the backup host; request
    /// timeouts and I/O or protocol errors after sending (reset, truncated or
    /// malformed answer) are retried only when the template
    /// [is idempotent](RequestTemplate::is_idempotent) — otherwise the error is
    /// returned after that one attempt; the statuses 429, 500, 502 and 503 are
    /// retried for every request (the server answered), waiting as long as
    /// `Retry-After` says, capped by the policy's maximum delay, provided that fits
    /// in the call's time budget (otherwise that response is returned at once).
    /// Other statuses are never retried.
    ///
    /// **Idempotency:** a retried request resends the identical body bytes. A POST
    /// may therefore reach WeChat Pay twice (after a 5xx, or, when marked
    /// idempotent, when the answer to the first attempt was lost); the
    /// `out_request_no` in its body makes this safe — WeChat Pay processes a given
    /// `out_request_no` only once and answers the replay with the original result.
    /// Do not retry a creating call with a *new* `out_request_no` on top of this.
    ///
    /// Returns `Ok` for any status (including a retryable status left after the last
    /// attempt) and `Err` only when no response could be obtained; the error carries
    /// the number of attempts and the elapsed time.
    pub async fn execute(
        &self,
        template: &RequestTemplate,
        hook: &dyn AttemptHook,
    ) -> Result<Response, Error> {
        let span = tracing::info_span!(
            "coupon_http.call",
            method = %template.method,
            path_template = template.path_template,
            attempts = field::Empty,
            status = field::Empty,
            request_id = field::Empty,
            elapsed_ms = field::Empty,
        );
        self.run(template, hook).instrument(span).await
    }

    async fn run(
        &self,
        template: &RequestTemplate,
        hook: &dyn AttemptHook,
    ) -> Result<Response, Error> {
        let inner = &*self.inner;
        let start = inner.clock.now();
        // Checked once per call and moved into the first attempt; a retry
        // parses the template's text again (no copy kept for retries that
        // rarely happen).
        let mut path_and_query = Some(parse_path_and_query(&template.path_and_query)?);
        let mut endpoint = Endpoint::Primary;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let base = match (endpoint, &inner.backup) {
                (Endpoint::Backup, Some(backup)) => backup,
                _ => &inner.primary,
            };
            // No attempt, the first included, may outlive the call's time budget.
            let timeout = inner.request_timeout.min(remaining(inner, start));
            let attempt_span = tracing::debug_span!(
                "coupon_http.attempt",
                attempt,
                host = %base.authority,
                status = field::Empty,
                elapsed_ms = field::Empty,
            );
            let this_path_and_query = match path_and_query.take() {
                Some(parsed) => parsed,
                None => parse_path_and_query(&template.path_and_query)?,
            };
            let outcome = self
                .attempt(template, hook, base, this_path_and_query, attempt, timeout)
                .instrument(attempt_span)
                .await;
            let verdict = Verdict::of(&outcome, template.is_idempotent());
            if let Verdict::NotResent { reason } = verdict {
                tracing::info!(
                    attempt,
                    reason,
                    "not retrying: the request may have reached the server and is not \
                     marked idempotent"
                );
            }
            if let Verdict::Retry {
                failover,
                after,
                reason,
            } = verdict
                && attempt < inner.retry.max_attempts()
            {
                // A server's Retry-After never makes the client wait longer than the
                // policy's maximum delay.
                let delay = match after {
                    Some(after) => after.min(inner.retry.max_delay()),
                    None => inner.retry.delay(attempt, inner.rng.next()),
                };
                let elapsed = inner.clock.now().saturating_duration_since(start);
                if elapsed.saturating_add(delay) < inner.retry.max_elapsed() {
                    if failover && inner.backup.is_some() {
                        endpoint = Endpoint::Backup;
                    }
                    tracing::info!(
                        attempt,
                        reason,
                        delay_ms = delay.as_millis() as u64,
                        next_endpoint = ?endpoint,
                        "retrying"
                    );
                    inner.clock.sleep(delay).await;
                    continue;
                }
                tracing::info!(
                    attempt,
                    reason,
                    delay_ms = delay.as_millis() as u64,
                    "not retrying: the next attempt would start after the time budget"
                );
            }
            return finish(inner, outcome, attempt, start, endpoint);
        }
    }

    async fn attempt(
        &self,
        template: &RequestTemplate,
        hook: &dyn AttemptHook,
        base: &BaseUrl,
        path_and_query: PathAndQuery,
        number: u32,
        timeout: Duration,
    ) -> Result<Response, Error> {
        let inner = &*self.inner;
        let span = tracing::Span::current();
        // Timing only matters when someone records the attempt span.
        let started = (!span.is_disabled()).then(Instant::now);
        let uri = base.uri(path_and_query)?;
        // Sized once for the template's headers, the User-Agent and what a signing
        // hook adds (cloning the template's map and growing it costs a rehash).
        let mut headers = HeaderMap::with_capacity(template.headers.len() + 4);
        for (name, value) in &template.headers {
            headers.append(name.clone(), value.clone());
        }
        if !headers.contains_key(USER_AGENT) {
            headers.insert(USER_AGENT, inner.user_agent.clone());
        }
        let info = Attempt {
            number,
            method: &template.method,
            path_and_query: &template.path_and_query,
            body: &template.body,
        };
        hook.before_attempt(&info, &mut headers)
            .map_err(Error::hook)?;

        let mut request = http::Request::new(template.body.clone());
        *request.method_mut() = template.method.clone();
        *request.uri_mut() = uri;
        *request.headers_mut() = headers;

        let result = match tokio::time::timeout(timeout, inner.connector.call(request)).await {
            Ok(result) => result,
            Err(_) => Err(Error::request_timeout()),
        };
        if let Some(started) = started {
            span.record("elapsed_ms", started.elapsed().as_millis() as u64);
        }
        let response = match result {
            Ok(response) => response,
            Err(mut e) => {
                e.set_host(base.authority.as_str());
                tracing::debug!(error_kind = ?e.kind(), "attempt failed");
                return Err(e);
            }
        };
        let (parts, body) = response.into_parts();
        span.record("status", parts.status.as_u16());
        if body.len() > inner.body_limit {
            let mut e = Error::body_too_large(inner.body_limit);
            e.set_host(base.authority.as_str());
            return Err(e);
        }
        Ok(Response::new(parts.status, parts.headers, body))
    }
}

/// `HeaderMap` names are lowercase, so this matches `Request-ID` in any case.
const REQUEST_ID: HeaderName = HeaderName::from_static("request-id");

/// The longest `Request-ID` kept (bytes); a longer one is dropped. WeChat Pay's
/// are well under 64 bytes.
pub const MAX_REQUEST_ID_LEN: usize = 128;

/// The `Request-ID` header, when it is at most [`MAX_REQUEST_ID_LEN`] bytes of
/// visible ASCII (it comes from an unverified answer and ends up in logs and
/// error messages).
fn request_id_of(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(&REQUEST_ID)
        .filter(|v| v.len() <= MAX_REQUEST_ID_LEN)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.bytes().all(|b| b.is_ascii_graphic()))
}

fn parse_path_and_query(text: &str) -> Result<PathAndQuery, Error> {
    if !text.starts_with('/') {
        return Err(Error::invalid_request(
            "path_and_query must start with '/' (an absolute path, no scheme or host)",
        ));
    }
    PathAndQuery::try_from(text).map_err(|e| {
        Error::invalid_request_from(
            "path_and_query contains characters that must be percent-encoded",
            e,
        )
    })
}

fn remaining(inner: &Inner, start: Instant) -> Duration {
    let elapsed = inner.clock.now().saturating_duration_since(start);
    inner.retry.max_elapsed().saturating_sub(elapsed)
}

fn finish(
    inner: &Inner,
    outcome: Result<Response, Error>,
    attempts: u32,
    start: Instant,
    endpoint: Endpoint,
) -> Result<Response, Error> {
    let elapsed = inner.clock.now().saturating_duration_since(start);
    let span = tracing::Span::current();
    span.record("attempts", attempts);
    span.record("elapsed_ms", elapsed.as_millis() as u64);
    match outcome {
        Ok(mut response) => {
            response.attempts = attempts;
            response.elapsed = elapsed;
            response.endpoint = endpoint;
            if !span.is_disabled() {
                span.record("status", response.status.as_u16());
                if let Some(id) = response.request_id() {
                    span.record("request_id", id);
                }
            }
            Ok(response)
        }
        Err(mut e) => {
            e.set_call_stats(attempts, elapsed);
            tracing::warn!(error_kind = ?e.kind(), attempts, "call failed");
            Err(e)
        }
    }
}
