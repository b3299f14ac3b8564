//! The crate's one error type.

use std::fmt;
use std::time::Duration;

/// A boxed error source, as carried by [`Error`] and returned by [`AttemptHook`]s.
///
/// [`AttemptHook`]: crate::AttemptHook
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Which phase of an attempt ran out of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeoutPhase {
    /// Establishing the connection (TCP and TLS handshake) took longer than the
    /// connect timeout.
    Connect,
    /// Sending the request and receiving the whole response (headers and body) took
    /// longer than the request timeout.
    Request,
}

impl fmt::Display for TimeoutPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connect => "connect",
            Self::Request => "request",
        })
    }
}

/// What kind of failure an [`Error`] is. Match on this (through [`Error::kind`]) to
/// decide what to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A timeout elapsed. A connect timeout (nothing was sent) is retried and fails
    /// over to the backup host for every request; a request timeout (the request
    /// may have reached the server) only for idempotent requests.
    Timeout(TimeoutPhase),
    /// The connection could not be established: refused, DNS failure, TLS handshake
    /// or certificate failure. No request byte was sent, so it is retried (and fails
    /// over to the backup host) for every request.
    Connect,
    /// The response body is larger than the configured limit; reading stopped there.
    /// Not retried.
    BodyTooLarge {
        /// The configured limit, in bytes.
        limit: usize,
    },
    /// The request could not be built: invalid path, header or URL. Not retried.
    InvalidRequest,
    /// The per-attempt hook (typically the signer) failed. Not retried; the source
    /// is the hook's own error.
    Hook,
    /// The connection failed after it was established: reset, closed before the
    /// response was complete (truncated body), or a malformed HTTP answer (bad status
    /// line, conflicting lengths). The request may have reached the server, so it is
    /// retried (on the same host) only for idempotent requests.
    Io,
    /// The transport configuration is invalid (reported by the builders).
    Config,
}

/// Everything that can go wrong moving a request and its response.
///
/// A response with a non-2xx status is **not** an error of this crate: it comes back
/// as an ordinary [`Response`](crate::Response) for the caller to interpret.
///
/// Custom [`HttpConnector`](crate::HttpConnector)s build these errors with the
/// constructors ([`Error::connect`], [`Error::connect_timeout`], [`Error::io`],
/// [`Error::body_too_large`], [`Error::invalid_request`]); the transport then adds the
/// attempt count and elapsed time of the call.
#[derive(thiserror::Error)]
#[error("{}", self.describe())]
pub struct Error {
    kind: ErrorKind,
    #[source]
    source: Option<BoxError>,
    detail: Option<String>,
    host: Option<String>,
    attempts: u32,
    elapsed: Option<Duration>,
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("detail", &self.detail)
            .field("host", &self.host)
            .field("attempts", &self.attempts)
            .field("elapsed", &self.elapsed)
            .field("source", &self.source)
            .finish()
    }
}

impl Error {
    fn new(kind: ErrorKind) -> Self {
        Self {
            kind,
            source: None,
            detail: None,
            host: None,
            attempts: 0,
            elapsed: None,
        }
    }

    fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    pub(crate) fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// The connection could not be established (refused, DNS, TLS handshake).
    ///
    /// Custom connectors must use it only when **no byte of the request was
    /// written**: the transport then resends any request, POST included.
    pub fn connect(source: impl Into<BoxError>) -> Self {
        Self::new(ErrorKind::Connect).with_source(source)
    }

    /// Establishing the connection took longer than the connect timeout.
    pub fn connect_timeout() -> Self {
        Self::new(ErrorKind::Timeout(TimeoutPhase::Connect))
    }

    /// The whole request (headers and body) took longer than the request timeout.
    pub fn request_timeout() -> Self {
        Self::new(ErrorKind::Timeout(TimeoutPhase::Request))
    }

    /// The connection broke after it was established, or the response was malformed.
    /// The request may have reached the server: only idempotent requests are resent.
    pub fn io(source: impl Into<BoxError>) -> Self {
        Self::new(ErrorKind::Io).with_source(source)
    }

    /// The response body exceeded `limit` bytes.
    pub fn body_too_large(limit: usize) -> Self {
        Self::new(ErrorKind::BodyTooLarge { limit })
    }

    /// The request could not be built; `what` says which part is wrong.
    pub fn invalid_request(what: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidRequest).with_detail(what)
    }

    pub(crate) fn invalid_request_from(
        what: impl Into<String>,
        source: impl Into<BoxError>,
    ) -> Self {
        Self::invalid_request(what).with_source(source)
    }

    pub(crate) fn hook(source: BoxError) -> Self {
        Self::new(ErrorKind::Hook).with_source(source)
    }

    pub(crate) fn config(what: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config).with_detail(what)
    }

    pub(crate) fn config_from(what: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self::config(what).with_source(source)
    }

    /// Records which host the failing attempt went to (set by the transport).
    pub(crate) fn set_host(&mut self, host: &str) {
        if self.host.is_none() {
            self.host = Some(host.to_owned());
        }
    }

    /// Records how many attempts the call made and how long it took (set by the
    /// transport).
    pub(crate) fn set_call_stats(&mut self, attempts: u32, elapsed: Duration) {
        self.attempts = attempts;
        self.elapsed = Some(elapsed);
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// `true` for connect and request timeouts.
    pub fn is_timeout(&self) -> bool {
        matches!(self.kind, ErrorKind::Timeout(_))
    }

    /// `true` when the connection could not be established.
    pub fn is_connect(&self) -> bool {
        matches!(self.kind, ErrorKind::Connect)
    }

    /// `true` when the response body exceeded the configured limit.
    pub fn is_body_too_large(&self) -> bool {
        matches!(self.kind, ErrorKind::BodyTooLarge { .. })
    }

    /// `true` when the per-attempt hook (the signer) failed.
    pub fn is_hook(&self) -> bool {
        matches!(self.kind, ErrorKind::Hook)
    }

    /// `true` for the kinds the transport can retry: connect errors and connect
    /// timeouts (for every request), request timeouts and I/O errors (for
    /// idempotent requests only; see [`Error::may_have_reached_server`]).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Timeout(_) | ErrorKind::Connect | ErrorKind::Io
        )
    }

    /// `true` when the failing attempt may have delivered the request to the server
    /// (request timeout, I/O or protocol error, oversized answer): a non-idempotent
    /// request must not be resent blindly then. `false` when it provably did not
    /// (connect, DNS, TLS handshake, connect timeout) or was never attempted
    /// (invalid request, hook, configuration).
    pub fn may_have_reached_server(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Timeout(TimeoutPhase::Request)
                | ErrorKind::Io
                | ErrorKind::BodyTooLarge { .. }
        )
    }

    /// How many attempts the call made before failing (0 when the error did not come
    /// out of [`Transport::execute`](crate::Transport::execute)).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// How long the call ran before failing, when known.
    pub fn elapsed(&self) -> Option<Duration> {
        self.elapsed
    }

    /// The host (`host[:port]`) of the failing attempt, when known.
    pub fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }

    fn describe(&self) -> String {
        let mut out = match self.kind {
            ErrorKind::Timeout(TimeoutPhase::Connect) => String::from(
                "connecting to the server timed out; check network reachability, DNS and \
                 firewall rules, or raise the connect timeout",
            ),
            ErrorKind::Timeout(TimeoutPhase::Request) => String::from(
                "the request timed out before the whole response arrived; the server may \
                 have processed it: retry later with the same parameters (the same \
                 out_request_no) or raise the request timeout",
            ),
            ErrorKind::Connect => String::from(
                "could not connect to the server; check DNS, firewall and proxy settings, \
                 the base URLs and the TLS root certificates",
            ),
            ErrorKind::BodyTooLarge { limit } => format!(
                "the response body exceeds the limit of {limit} bytes and was cut off; raise \
                 the body limit if such large responses are expected"
            ),
            ErrorKind::InvalidRequest => String::from(
                "the request could not be built; fix the request (path, headers or URL)",
            ),
            ErrorKind::Hook => String::from(
                "the per-attempt hook (request signing) failed; check the signing key and \
                 credentials",
            ),
            ErrorKind::Io => String::from(
                "the connection failed or the answer was not valid HTTP after the request \
                 was sent; the server may have processed it: retry later with the same \
                 parameters (the same out_request_no)",
            ),
            ErrorKind::Config => String::from("invalid transport configuration; fix it"),
        };
        if let Some(detail) = &self.detail {
            out.push_str(": ");
            out.push_str(detail);
        }
        if let Some(host) = &self.host {
            out.push_str(" (host ");
            out.push_str(host);
            out.push(')');
        }
        if self.attempts > 0 {
            out.push_str(&format!(" [after {} attempt(s)", self.attempts));
            if let Some(elapsed) = self.elapsed {
                out.push_str(&format!(" in {} ms", elapsed.as_millis()));
            }
            out.push(']');
        }
        out
    }
}
