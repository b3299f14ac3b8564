//! The pluggable HTTP stack: the [`HttpConnector`] trait and its default
//! implementation on hyper 1 + rustls.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::Uri;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector as TcpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::error::{BoxError, Error};

/// The future returned by [`HttpConnector::call`].
pub type ConnectorFuture<'a> =
    Pin<Box<dyn Future<Output = Result<http::Response<Bytes>, Error>> + Send + 'a>>;

/// Sends one HTTP request and brings back the whole response.
///
/// This is the seam between the transport's retry loop and the HTTP stack: the
/// default is [`HyperConnector`]; a service can route calls through its own stack and
/// tests can inject faults. The trait is object-safe and used as
/// `Arc<dyn HttpConnector>`.
///
/// An implementation sends exactly one attempt (no retries: [`Transport`] owns the
/// retry loop) to the absolute URI of the request, and reports failures with
/// [`Error::connect`], [`Error::connect_timeout`], [`Error::io`] or
/// [`Error::body_too_large`] so the transport can decide whether to retry. It should
/// stop reading a response body beyond its own limit; the transport also rejects any
/// body larger than its configured limit.
///
/// [`Transport`]: crate::Transport
pub trait HttpConnector: Send + Sync + fmt::Debug {
    /// Sends `request` (absolute URI, final headers, body) and returns the response
    /// with its body fully read.
    fn call(&self, request: http::Request<Bytes>) -> ConnectorFuture<'_>;
}

/// Which root certificates the default connector trusts.
///
/// The default is [`RootCertificates::WebPki`]: the Mozilla roots compiled into the
/// binary, which is all that `api.mch.weixin.qq.com` needs. Use
/// [`RootCertificates::Custom`] (or [`TransportBuilder::add_root_certificate_pem`])
/// when a TLS-inspecting proxy or firewall re-signs HTTPS traffic with its own CA, or
/// to test against a local TLS server.
///
/// [`TransportBuilder::add_root_certificate_pem`]: crate::TransportBuilder::add_root_certificate_pem
#[derive(Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RootCertificates {
    /// The Mozilla roots bundled by `webpki-roots` (default; needs no system files).
    #[default]
    WebPki,
    /// The operating system's trust store (feature `native-roots`).
    #[cfg(feature = "native-roots")]
    Native,
    /// Exactly these CA certificates (DER), **instead of** the bundled roots: a server
    /// is trusted only when its chain ends at one of them. Must not be empty; each
    /// entry must be a well-formed X.509 certificate (checked by
    /// [`HyperConnector::new`]). Build it from PEM text with
    /// [`RootCertificates::from_pem`].
    Custom(Vec<CertificateDer<'static>>),
}

impl fmt::Debug for RootCertificates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WebPki => f.write_str("WebPki"),
            #[cfg(feature = "native-roots")]
            Self::Native => f.write_str("Native"),
            Self::Custom(certs) => write!(f, "Custom({} certificate(s))", certs.len()),
        }
    }
}

impl RootCertificates {
    /// [`RootCertificates::Custom`] with every certificate of `pem`: one or more
    /// `-----BEGIN CERTIFICATE-----` blocks (other blocks, such as keys, are
    /// skipped).
    ///
    /// Fails with [`ErrorKind::Config`](crate::ErrorKind::Config) when `pem` holds no
    /// certificate block, a block is not valid base64, or a certificate is not
    /// well-formed X.509.
    pub fn from_pem(pem: &str) -> Result<Self, Error> {
        parse_pem_certificates(pem).map(Self::Custom)
    }
}

/// Every certificate of a PEM text, each checked to be usable as a trust anchor.
pub(crate) fn parse_pem_certificates(pem: &str) -> Result<Vec<CertificateDer<'static>>, Error> {
    let mut certs = Vec::new();
    for (index, cert) in CertificateDer::pem_slice_iter(pem.as_bytes()).enumerate() {
        let cert = cert.map_err(|e| {
            Error::config_from(
                format!(
                    "root certificate PEM: block {} could not be read; pass the CA \
                     certificate exactly as exported, from -----BEGIN CERTIFICATE----- to \
                     -----END CERTIFICATE-----",
                    index + 1
                ),
                e,
            )
        })?;
        certs.push(cert);
    }
    if certs.is_empty() {
        return Err(Error::config(
            "root certificate PEM: no -----BEGIN CERTIFICATE----- block found; pass the CA \
             certificate in PEM form (convert a DER file with `openssl x509 -inform der \
             -in ca.cer -out ca.pem`; a private key is not a certificate)",
        ));
    }
    root_store(&certs)?;
    Ok(certs)
}

/// A rustls root store holding exactly `certs`.
fn root_store(certs: &[CertificateDer<'static>]) -> Result<rustls::RootCertStore, Error> {
    if certs.is_empty() {
        return Err(Error::config(
            "RootCertificates::Custom holds no certificate; add the CA certificate(s) to \
             trust, or keep the default webpki roots",
        ));
    }
    let mut store = rustls::RootCertStore::empty();
    for (index, cert) in certs.iter().enumerate() {
        store.add(cert.clone()).map_err(|e| {
            Error::config_from(
                format!(
                    "root certificate {} is not a well-formed X.509 certificate; pass the \
                     CA certificate itself (PEM or DER), not a key or a request",
                    index + 1
                ),
                e,
            )
        })?;
    }
    Ok(store)
}

/// Settings of the default [`HyperConnector`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HyperConnectorConfig {
    /// Limit for TCP connect plus TLS handshake. Default 5 s.
    pub connect_timeout: Duration,
    /// How long an idle pooled connection is kept. Default 90 s.
    pub pool_idle_timeout: Duration,
    /// Maximum idle connections kept per host. Default 16.
    pub pool_max_idle_per_host: usize,
    /// Maximum response body size in bytes, enforced while streaming. Default 4 MiB.
    pub body_limit: usize,
    /// Allow plain `http://` URIs (only for loopback tests and sandboxes). Default
    /// `false`: only `https://` is connectable.
    pub allow_http: bool,
    /// Trusted roots for `https://`. Default [`RootCertificates::WebPki`].
    pub roots: RootCertificates,
}

/// Default connect timeout (TCP connect plus TLS handshake).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default idle timeout of pooled connections.
pub const DEFAULT_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// Default maximum number of idle pooled connections per host.
pub const DEFAULT_POOL_MAX_IDLE_PER_HOST: usize = 16;
/// Default response body limit: 4 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 4 * 1024 * 1024;

impl Default for HyperConnectorConfig {
    fn default() -> Self {
        Self {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            pool_idle_timeout: DEFAULT_POOL_IDLE_TIMEOUT,
            pool_max_idle_per_host: DEFAULT_POOL_MAX_IDLE_PER_HOST,
            body_limit: DEFAULT_BODY_LIMIT,
            allow_http: false,
            roots: RootCertificates::WebPki,
        }
    }
}

type Stack = TimeoutConnect<hyper_rustls::HttpsConnector<TcpConnector>>;

#[cfg(not(any(feature = "ring", feature = "aws-lc")))]
compile_error!(
    "coupon-http needs a TLS crypto provider: enable the feature `ring` (the default) or \
     `aws-lc`, e.g. `coupon-http = { version = \"…\", default-features = false, features = [\"aws-lc\"] }`"
);

/// The rustls crypto provider of the compiled-in backend, passed to rustls
/// explicitly (rustls' process-wide default is neither read nor installed, so it
/// does not matter which providers other crates of the program enable).
/// `aws-lc` wins when both features are on, as in `wxpay-sign`.
fn crypto_provider() -> Arc<rustls::crypto::CryptoProvider> {
    #[cfg(feature = "aws-lc")]
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    #[cfg(all(feature = "ring", not(feature = "aws-lc")))]
    let provider = rustls::crypto::ring::default_provider();
    Arc::new(provider)
}

/// The default connector: hyper 1 through `hyper-util`'s pooled client, TLS by rustls
/// on the crypto provider of the compiled-in backend (`ring` by default, `aws-lc-rs`
/// with feature `aws-lc`; see the crate docs), HTTP/1.1 and HTTP/2 negotiated by ALPN.
///
/// For `https://` the client offers `h2` and `http/1.1` by ALPN and speaks whatever
/// the server picks (HTTP/1.1 when the server does not use ALPN). The server's
/// certificate chain must end at one of the configured
/// [`roots`](HyperConnectorConfig::roots); otherwise the connection is refused with
/// [`ErrorKind::Connect`](crate::ErrorKind::Connect) before any request byte is sent,
/// and the error's message names the certificate problem. Plain `http://` is refused
/// unless [`allow_http`](HyperConnectorConfig::allow_http) is set.
///
/// Cheap to clone (the pool is shared).
#[derive(Clone)]
pub struct HyperConnector {
    client: Client<Stack, Full<Bytes>>,
    config: Arc<HyperConnectorConfig>,
}

impl fmt::Debug for HyperConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HyperConnector")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl HyperConnector {
    /// Builds the connector. Fails only when the TLS configuration cannot be built:
    /// no usable native root certificate, or a [`RootCertificates::Custom`] that is
    /// empty or holds a malformed certificate.
    pub fn new(config: HyperConnectorConfig) -> Result<Self, Error> {
        let provider = crypto_provider();
        let builder = hyper_rustls::HttpsConnectorBuilder::new();
        let builder = match &config.roots {
            RootCertificates::WebPki => builder
                .with_provider_and_webpki_roots(provider)
                .map_err(|e| Error::config_from("TLS configuration", e))?,
            #[cfg(feature = "native-roots")]
            RootCertificates::Native => builder
                .with_provider_and_native_roots(provider)
                .map_err(|e| Error::config_from("loading the native root certificates", e))?,
            RootCertificates::Custom(certs) => {
                let tls = rustls::ClientConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()
                    .map_err(|e| Error::config_from("TLS configuration", e))?
                    .with_root_certificates(root_store(certs)?)
                    .with_no_client_auth();
                // ALPN is left empty here: `enable_http1().enable_http2()` below sets it.
                builder.with_tls_config(tls)
            }
        };
        let builder = if config.allow_http {
            builder.https_or_http()
        } else {
            builder.https_only()
        };

        let mut tcp = TcpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        let https = TimeoutConnect {
            inner: builder.enable_http1().enable_http2().wrap_connector(tcp),
            timeout: config.connect_timeout,
        };

        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(config.pool_idle_timeout)
            .pool_max_idle_per_host(config.pool_max_idle_per_host)
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .build(https);
        Ok(Self {
            client,
            config: Arc::new(config),
        })
    }

    /// The configuration this connector was built with.
    pub fn config(&self) -> &HyperConnectorConfig {
        &self.config
    }

    async fn send(&self, request: http::Request<Bytes>) -> Result<http::Response<Bytes>, Error> {
        let request = request.map(Full::new);
        let response = self
            .client
            .request(request)
            .await
            .map_err(map_client_error)?;
        let limit = self.config.body_limit;
        let (parts, body) = response.into_parts();
        let declared = parts
            .headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|len| len > limit as u64) {
            return Err(Error::body_too_large(limit));
        }
        let body = collect(Limited::new(body, limit), declared)
            .await
            .map_err(|e| {
                if e.is::<LengthLimitError>() {
                    Error::body_too_large(limit)
                } else {
                    Error::io(e)
                }
            })?;
        Ok(http::Response::from_parts(parts, body))
    }
}

/// The whole body: a body that arrives in one frame is returned as it is
/// (no copy); one in several frames is copied once into a buffer sized from
/// `Content-Length` (`declared`, already checked against the limit).
/// Trailers are ignored.
async fn collect<B>(mut body: B, declared: Option<u64>) -> Result<Bytes, B::Error>
where
    B: hyper::body::Body<Data = Bytes> + Unpin,
{
    let mut first: Option<Bytes> = None;
    let mut joined: Option<BytesMut> = None;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame?.into_data() else {
            continue;
        };
        if data.is_empty() {
            continue;
        }
        if let Some(buf) = joined.as_mut() {
            buf.extend_from_slice(&data);
        } else if let Some(head) = first.take() {
            let total = head.len() + data.len();
            let capacity = declared
                .and_then(|len| usize::try_from(len).ok())
                .map_or(total, |len| len.max(total));
            let mut buf = BytesMut::with_capacity(capacity);
            buf.extend_from_slice(&head);
            buf.extend_from_slice(&data);
            joined = Some(buf);
        } else {
            first = Some(data);
        }
    }
    Ok(match (joined, first) {
        (Some(buf), _) => buf.freeze(),
        (None, Some(data)) => data,
        (None, None) => Bytes::new(),
    })
}

impl HttpConnector for HyperConnector {
    fn call(&self, request: http::Request<Bytes>) -> ConnectorFuture<'_> {
        Box::pin(self.send(request))
    }
}

/// Classifies an error of the pooled client.
fn map_client_error(err: hyper_util::client::legacy::Error) -> Error {
    if !err.is_connect() {
        return Error::io(err);
    }
    let mut tls = None;
    for e in causes(&err) {
        if e.is::<ConnectTimedOut>() {
            return Error::connect_timeout();
        }
        if tls.is_none() {
            tls = e.downcast_ref::<rustls::Error>().map(describe_tls_error);
        }
    }
    match tls {
        Some(detail) => Error::connect(err).with_detail(detail),
        None => Error::connect(err),
    }
}

/// `err` and its causes, looking inside `io::Error`s too (their `source()` skips the
/// error they wrap, which is where tokio-rustls puts the `rustls::Error`).
fn causes<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(err), |e| {
        match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        }
    })
}

/// What a TLS handshake failure means for the user.
fn describe_tls_error(err: &rustls::Error) -> String {
    match err {
        rustls::Error::InvalidCertificate(reason) => format!(
            "the server's TLS certificate was refused ({reason}); if a TLS-inspecting \
             proxy re-signs traffic, trust its CA with add_root_certificate_pem / \
             RootCertificates::Custom"
        ),
        other => format!("the TLS handshake failed ({other})"),
    }
}

/// Marker error: the connect timeout of [`TimeoutConnect`] elapsed.
#[derive(Debug)]
struct ConnectTimedOut;

impl fmt::Display for ConnectTimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connect timeout elapsed")
    }
}

impl std::error::Error for ConnectTimedOut {}

/// Wraps the TLS connector so that the connect timeout covers everything up to a
/// usable connection: DNS, TCP connect and the TLS handshake.
#[derive(Clone, Debug)]
struct TimeoutConnect<C> {
    inner: C,
    timeout: Duration,
}

impl<C> tower_service::Service<Uri> for TimeoutConnect<C>
where
    C: tower_service::Service<Uri> + Send + 'static,
    C::Future: Send + 'static,
    C::Error: Into<BoxError>,
{
    type Response = C::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<C::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let connecting = self.inner.call(uri);
        let timeout = self.timeout;
        Box::pin(async move {
            match tokio::time::timeout(timeout, connecting).await {
                Ok(result) => result.map_err(Into::into),
                Err(_) => Err(Box::new(ConnectTimedOut) as BoxError),
            }
        })
    }
}
