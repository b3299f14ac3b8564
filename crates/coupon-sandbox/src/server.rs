//! The accept loop, the per-request pipeline (faults, authentication,
//! routing, signing) and connection dropping.

use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderName, RETRY_AFTER};
use http::request::Parts;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;
use wxpay_sign::{
    Clock, ParsedAuthorization, PublicKey, ResponseSigner, Scheme, SignableRequest,
    TIMESTAMP_WINDOW_SECS, WECHATPAY_NONCE, WECHATPAY_SERIAL, WECHATPAY_SIGNATURE,
    WECHATPAY_SIGNATURE_TYPE, WECHATPAY_TIMESTAMP, check_timestamp, verify_request,
};

use crate::credentials::Credentials;
use crate::engine::Store;
use crate::fault::{Fault, FaultQueue};
use crate::respond::ApiError;
use crate::wechatpay_keys::KeyRing;

/// Default largest request body accepted: 1 MiB (image uploads: see
/// [`DEFAULT_MAX_UPLOAD_BODY_BYTES`]).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1 << 20;
/// Default largest image-upload body accepted: 2 MiB (the API's image limit)
/// plus 64 KiB for the multipart form around it (boundaries, part headers and
/// the `meta` JSON).
pub const DEFAULT_MAX_UPLOAD_BODY_BYTES: usize = (2 << 20) + (64 << 10);
/// Default time a client has to send a request's head (request line and
/// headers) once the server waits for one: 30 s.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Default time an authenticated request's body has to arrive in full: 30 s.
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Default time a connection may stay without traffic and without a request
/// in progress before the server closes it: 60 s.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Default number of connections served at once: 256. Connections over the
/// cap are closed as soon as they are accepted.
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;

/// The server's bounds (see the `SandboxBuilder` methods of the same names).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub header_read_timeout: Duration,
    pub body_read_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
    pub max_body_bytes: usize,
    pub max_upload_body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_upload_body_bytes: DEFAULT_MAX_UPLOAD_BODY_BYTES,
        }
    }
}
/// How far in the past [`Fault::StaleTimestamp`] dates a response.
pub(crate) const STALE_BY_SECS: i64 = 600;
/// The `Wechatpay-Serial` sent under [`Fault::WrongSerial`].
pub(crate) const WRONG_SERIAL: &str = "PUB_KEY_ID_SANDBOX_UNKNOWN_KEY";
/// The `Request-ID` response header.
pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("request-id");
/// The platform-certificate download, served beside the operation table.
pub(crate) const CERTIFICATES_PATH: &str = "/v3/certificates";

/// State shared by every connection.
pub(crate) struct Shared {
    pub creds: Credentials,
    pub clock: Arc<dyn Clock>,
    /// The WeChat Pay keys answers and notifications are signed with.
    pub keys: Arc<KeyRing>,
    pub brand_public_key: PublicKey,
    pub mch_public_key: PublicKey,
    pub store: Store,
    pub faults: Mutex<FaultQueue>,
    pub requests_seen: AtomicU64,
    /// Requests to `/v3/certificates` (every outcome).
    pub certificate_requests: AtomicU64,
    pub request_id_prefix: String,
    pub limits: Limits,
    /// One permit per open connection (at most `limits.max_connections`).
    pub connections: Arc<Semaphore>,
}

/// Locks a mutex, recovering the data if a holder panicked (the sandbox's
/// state stays usable; handlers never leave it half-updated).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(crate) type Body = Full<Bytes>;

/// Accepts connections until `shutdown` flips, then lets open connections
/// finish gracefully (bounded). A connection over the cap is closed at once.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => match shared.connections.clone().try_acquire_owned() {
                    Ok(permit) => {
                        conns.spawn(serve_connection(stream, shared.clone(), shutdown.clone(), permit));
                    }
                    Err(_) => {
                        // Not queued: the client sees the connection closed.
                        tracing::debug!(
                            max_connections = shared.limits.max_connections,
                            "sandbox: connection cap reached; closing a new connection"
                        );
                        drop(stream);
                    }
                },
                Err(e) => {
                    tracing::warn!(error = %e, "sandbox: accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            _ = shutdown.changed() => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    let drain = async { while conns.join_next().await.is_some() {} };
    if tokio::time::timeout(Duration::from_secs(10), drain)
        .await
        .is_err()
    {
        conns.abort_all();
    }
}

/// When a connection last moved a byte, and how many of its requests are in
/// progress (a request being handled is not idleness).
struct Activity {
    epoch: Instant,
    last_ms: AtomicU64,
    in_flight: AtomicUsize,
}

impl Activity {
    fn new() -> Self {
        Self {
            epoch: Instant::now(),
            last_ms: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    fn last(&self) -> Instant {
        self.epoch + Duration::from_millis(self.last_ms.load(Ordering::Relaxed))
    }

    fn busy(&self) -> bool {
        self.in_flight.load(Ordering::Relaxed) > 0
    }
}

/// Counts a request as in progress while alive.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn new(activity: Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::Relaxed);
        Self(activity)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.0.touch();
    }
}

/// The socket, recording every byte moved in its [`Activity`].
struct TrackedIo<T> {
    inner: T,
    activity: Arc<Activity>,
}

impl<T: AsyncRead + Unpin> AsyncRead for TrackedIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let result = Pin::new(&mut this.inner).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.activity.touch();
        }
        result
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for TrackedIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.inner).poll_write(cx, buf);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.touch();
        }
        result
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.touch();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

async fn serve_connection(
    stream: TcpStream,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    let limits = shared.limits;
    let activity = Arc::new(Activity::new());
    let drop_signal = Arc::new(Notify::new());
    let service = {
        let drop_signal = drop_signal.clone();
        let activity = activity.clone();
        service_fn(move |req| {
            let in_flight = InFlight::new(activity.clone());
            let answer = handle(shared.clone(), drop_signal.clone(), req);
            async move {
                let answer = answer.await;
                drop(in_flight);
                answer
            }
        })
    };
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // HTTP/1: the request head must arrive within the header read timeout
    // (hyper closes the connection otherwise). Both protocols: the idle timer
    // below.
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    builder.http2().timer(TokioTimer::new());
    let io = TrackedIo {
        inner: stream,
        activity: activity.clone(),
    };
    let conn = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    let idle = tokio::time::sleep(limits.idle_timeout);
    tokio::pin!(idle);
    let mut shutting_down = *shutdown.borrow();
    if shutting_down {
        conn.as_mut().graceful_shutdown();
    }
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "sandbox: connection ended with an error");
                }
                break;
            }
            // Fault::DropConnection: leaving the loop drops `conn` and with it
            // the socket — the client gets no response bytes at all.
            () = drop_signal.notified() => break,
            _ = shutdown.changed(), if !shutting_down => {
                shutting_down = true;
                conn.as_mut().graceful_shutdown();
            }
            () = &mut idle => {
                let now = Instant::now();
                let deadline = activity.last() + limits.idle_timeout;
                if !activity.busy() && now >= deadline {
                    tracing::debug!("sandbox: closing an idle connection");
                    break;
                }
                let next = if activity.busy() { now + limits.idle_timeout } else { deadline };
                idle.as_mut().reset(next);
            }
        }
    }
}

/// Asks the connection task to drop the connection, then never answers.
async fn drop_connection(signal: &Notify) -> Response<Body> {
    signal.notify_one();
    match std::future::pending::<Infallible>().await {}
}

/// The error of a request body (hyper's `Incoming` on the server, `Full<Bytes>`
/// in process).
type BodyError = Box<dyn std::error::Error + Send + Sync>;

/// The per-request pipeline, shared by the HTTP server and
/// [`crate::Sandbox::serve_in_process`]: faults, authentication of the head,
/// the bounded body read, routing and signing.
pub(crate) async fn handle<B>(
    shared: Arc<Shared>,
    drop_signal: Arc<Notify>,
    req: Request<B>,
) -> Result<Response<Body>, Infallible>
where
    B: hyper::body::Body<Data = Bytes> + Send + Unpin,
    B::Error: Into<BodyError>,
{
    let seq = shared.requests_seen.fetch_add(1, Ordering::SeqCst) + 1;
    let request_id = format!("{}{seq:012X}", shared.request_id_prefix);
    // The admin channel: no WeChat Pay authentication, no faults.
    if let Some((status, body)) =
        crate::admin::handle(&shared, req.method(), req.uri(), req.headers()).await
    {
        let signer = shared.keys.answer_signer(None);
        return Ok(finish(
            &shared,
            signer.as_ref(),
            status,
            body,
            None,
            &request_id,
            false,
        ));
    }
    // The key the answer is signed with is the one the request names, when
    // held; chosen before a rotation this request may make due.
    let named = req
        .headers()
        .get(WECHATPAY_SERIAL)
        .and_then(|v| v.to_str().ok());
    let signer = if req.uri().path() == CERTIFICATES_PATH {
        shared.certificate_requests.fetch_add(1, Ordering::SeqCst);
        shared.keys.download_signer(named)
    } else {
        shared.keys.answer_signer(named)
    };
    let signer = signer.as_ref();
    shared.keys.request_arrived(shared.clock.now_unix());
    let fault = lock(&shared.faults).take();
    let (parts, body) = req.into_parts();
    tracing::debug!(method = %parts.method, path = %parts.uri.path(), request_id, ?fault, "sandbox: request");

    // Faults that replace the handling answer without looking at the body.
    if let Some(f) = fault.filter(|f| f.is_before_handling()) {
        let (err, retry_after) = match f {
            Fault::RateLimited => (ApiError::rate_limited(), true),
            Fault::DropConnectionBeforeHandling => return Ok(drop_connection(&drop_signal).await),
            _ => (ApiError::system_error(), false),
        };
        return Ok(finish(
            &shared,
            signer,
            err.status,
            err.to_json(),
            None,
            &request_id,
            retry_after,
        ));
    }
    // Everything the head can prove comes before a single body byte is read:
    // an unauthenticated peer cannot make the sandbox buffer a body.
    let outcome = match preauthenticate(&shared, &parts) {
        Ok(pre) => match read_body(&shared.limits, &parts, body).await {
            Ok(body) => dispatch(&shared, &parts, &body, &pre),
            Err(err) => Err(err),
        },
        Err(err) => Err(err),
    };
    let (mut status, mut bytes, mut business_code) = match outcome {
        Ok(bytes) => (StatusCode::OK, bytes, None),
        Err(e) => (e.status, e.to_json(), e.business_code),
    };
    match fault {
        Some(Fault::ServerError) => {
            let err = ApiError::system_error();
            status = err.status;
            bytes = err.to_json();
            business_code = None;
        }
        Some(Fault::DropConnection) => return Ok(drop_connection(&drop_signal).await),
        Some(Fault::Slow(delay)) => tokio::time::sleep(delay).await,
        _ => {}
    }
    // WeChat Pay ends the Request-ID of a business refusal with its error number.
    let request_id = match business_code {
        Some(code) => format!("{request_id}-{code}"),
        None => request_id,
    };
    Ok(finish(
        &shared,
        signer,
        status,
        bytes,
        fault,
        &request_id,
        false,
    ))
}

/// Reads the body of an authenticated request: refused at once when its
/// declared length is over the limit, and cut off at the limit or when it has
/// not arrived in full within the body read timeout.
async fn read_body<B>(limits: &Limits, parts: &Parts, body: B) -> Result<Bytes, ApiError>
where
    B: hyper::body::Body<Data = Bytes> + Send + Unpin,
    B::Error: Into<BodyError>,
{
    let max = if is_image_upload(parts) {
        limits.max_upload_body_bytes.max(limits.max_body_bytes)
    } else {
        limits.max_body_bytes
    };
    let too_large = |what: String| {
        ApiError::param(
            "/",
            "body",
            format!("请求体过大 (the request body {what}; bodies are limited to {max} bytes)"),
        )
    };
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(declared) = declared.filter(|&n| n > max as u64) {
        return Err(too_large(format!("declares {declared} bytes")));
    }
    let timeout = limits.body_read_timeout;
    match tokio::time::timeout(timeout, Limited::new(body, max).collect()).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
            Err(too_large("is longer".to_owned()))
        }
        Ok(Err(e)) => Err(ApiError::param(
            "/",
            "body",
            format!(
                "请求体读取失败 (cannot read the request body: {e}; bodies are limited to {max} bytes)"
            ),
        )),
        Err(_) => Err(ApiError::param(
            "/",
            "body",
            format!(
                "请求体读取超时 (the request body did not arrive within {} s)",
                timeout.as_secs()
            ),
        )),
    }
}

/// Whether the request is an image upload, whose body may be larger than
/// others: the API takes images up to 2 MiB.
fn is_image_upload(parts: &Parts) -> bool {
    coupon_model::operation::route(parts.method.as_str(), parts.uri.path())
        .is_ok_and(|found| found.spec.body == coupon_model::operation::BodyKind::Multipart)
}

/// Signs `body` with `signer` (applying signature faults) and builds the response.
fn finish(
    shared: &Shared,
    signer: Option<&ResponseSigner>,
    status: StatusCode,
    body: Vec<u8>,
    fault: Option<Fault>,
    request_id: &str,
    retry_after: bool,
) -> Response<Body> {
    let now = shared.clock.now_unix();
    let timestamp = if fault == Some(Fault::StaleTimestamp) {
        now - STALE_BY_SECS
    } else {
        now
    };
    let signed = match signer {
        Some(signer) => wxpay_sign::try_generate_nonce()
            .and_then(|nonce| signer.sign(&body, timestamp, &nonce))
            .map_err(|e| e.to_string()),
        None => Err("the sandbox holds no WeChat Pay key".to_owned()),
    };
    let mut builder = Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "application/json")
        .header(REQUEST_ID, request_id);
    if retry_after {
        builder = builder.header(RETRY_AFTER, "0");
    }
    match signed {
        Ok(sig) => {
            let signature = match fault {
                Some(Fault::SignatureProbe) => signature_probe(),
                Some(Fault::BadSignature) => flip_bit(sig.signature()),
                _ => sig.signature().to_owned(),
            };
            let serial = if fault == Some(Fault::WrongSerial) {
                WRONG_SERIAL
            } else {
                sig.serial()
            };
            builder = builder
                .header(WECHATPAY_TIMESTAMP, sig.timestamp().to_string())
                .header(WECHATPAY_NONCE, sig.nonce())
                .header(WECHATPAY_SIGNATURE, signature)
                .header(WECHATPAY_SERIAL, serial)
                .header(WECHATPAY_SIGNATURE_TYPE, crate::webhook::SIGNATURE_TYPE);
        }
        Err(e) => {
            tracing::error!(error = %e, "sandbox: cannot sign a response; sending it unsigned")
        }
    }
    builder
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "sandbox: cannot build a response");
            let mut r = Response::new(Full::new(Bytes::from_static(
                br#"{"code":"SYSTEM_ERROR","message":"the sandbox could not build its response"}"#,
            )));
            *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            r
        })
}

/// `WECHATPAY/SIGNTEST/` followed by base64 junk, as WeChat Pay's probes.
pub(crate) fn signature_probe() -> String {
    let junk = wxpay_sign::try_generate_nonce().unwrap_or_else(|_| "SANDBOXPROBE".to_owned());
    format!(
        "{}{}",
        wxpay_sign::SIGNATURE_PROBE_PREFIX,
        STANDARD.encode(junk.repeat(8))
    )
}

/// The same signature with one bit of its last byte flipped (still valid base64).
pub(crate) fn flip_bit(signature_b64: &str) -> String {
    match STANDARD.decode(signature_b64) {
        Ok(mut raw) if !raw.is_empty() => {
            if let Some(last) = raw.last_mut() {
                *last ^= 0x01;
            }
            STANDARD.encode(raw)
        }
        _ => STANDARD.encode(b"not a signature"),
    }
}

/// What [`preauthenticate`] established from the headers alone.
pub(crate) struct Preauthenticated {
    scheme: Scheme,
    auth: ParsedAuthorization,
}

/// Checks what the request's head can prove, before its body is read: a path
/// the sandbox serves a scheme on, and an `Authorization` of that scheme with the
/// right identity, certificate serial and a timestamp within ±300 s.
fn preauthenticate(shared: &Shared, parts: &Parts) -> Result<Preauthenticated, ApiError> {
    let path = parts.uri.path();
    let scheme = if path.starts_with("/brand/") {
        Scheme::Brand
    } else if path.starts_with("/v3/") {
        Scheme::Merchant
    } else {
        return Err(ApiError::not_found(format!(
            "the sandbox only serves /brand/… and /v3/… paths, not {path}"
        )));
    };
    let auth = authenticate_headers(shared, parts, scheme)?;
    Ok(Preauthenticated { scheme, auth })
}

/// Routes (by the operation table), authenticates (signature over the body —
/// for image upload over its `meta` part) and runs one request whose head
/// passed [`preauthenticate`].
fn dispatch(
    shared: &Shared,
    parts: &Parts,
    body: &[u8],
    pre: &Preauthenticated,
) -> Result<Vec<u8>, ApiError> {
    if parts.uri.path() == CERTIFICATES_PATH {
        authenticate(shared, parts, body, pre)?;
        return crate::certificates::answer(shared, parts);
    }
    let routed = crate::dispatch::route(parts);
    let signed = crate::dispatch::signed_body(&routed, parts, body);
    authenticate(shared, parts, &signed, pre)?;
    let routed = routed?;
    if !routed.is_multipart() {
        check_media_types(parts, body)?;
    }
    shared.store.handle(&routed, parts, body)
}

/// A body must be sent as `Content-Type: application/json`; an `Accept`
/// header, when present, must allow `application/json`.
fn check_media_types(parts: &Parts, body: &[u8]) -> Result<(), ApiError> {
    let header = |name| {
        parts
            .headers
            .get(name)
            .and_then(|v: &http::HeaderValue| v.to_str().ok())
    };
    let is_json = |v: &str| {
        v.split(';')
            .next()
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
    };
    if !body.is_empty() && !header(CONTENT_TYPE).is_some_and(is_json) {
        return Err(ApiError::invalid_request(format!(
            "HTTP 请求不符合微信支付 APIv3 接口规则 (a request body must be sent with Content-Type: application/json, got {:?})",
            header(CONTENT_TYPE).unwrap_or("nothing")
        ))
        .with_detail(Some("Content-Type".into()), "header", None, None));
    }
    if let Some(accept) = parts.headers.get(ACCEPT) {
        let ok = accept.to_str().is_ok_and(|v| {
            v.split(',').any(|t| {
                let t = t.split(';').next().unwrap_or("").trim();
                t.eq_ignore_ascii_case("application/json")
                    || t == "*/*"
                    || t.eq_ignore_ascii_case("application/*")
            })
        });
        if !ok {
            return Err(ApiError::invalid_request(
                "HTTP 请求不符合微信支付 APIv3 接口规则 (the Accept header must allow application/json; send Accept: application/json)",
            )
            .with_detail(Some("Accept".into()), "header", None, None));
        }
    }
    Ok(())
}

/// The header part of authentication: `Authorization` parses, has the scheme
/// for the path prefix, the right identity and certificate serial, and a
/// timestamp within the window.
fn authenticate_headers(
    shared: &Shared,
    parts: &Parts,
    expected: Scheme,
) -> Result<ParsedAuthorization, ApiError> {
    let creds = &shared.creds;
    let header = parts
        .headers
        .get(AUTHORIZATION)
        .ok_or_else(|| {
            ApiError::sign_error(format!(
                "缺少 Authorization 头 (missing Authorization header: sign the request with {})",
                expected.as_str()
            ))
        })?
        .to_str()
        .map_err(|_| {
            ApiError::sign_error(
                "Authorization 头含有非 ASCII 字符 (the Authorization header is not ASCII)",
            )
        })?;
    let auth = ParsedAuthorization::parse(header)
        .map_err(|e| ApiError::sign_error(format!("Authorization 头格式错误 ({e})")))?;
    if auth.scheme() != expected {
        return Err(ApiError::sign_error(format!(
            "签名方式错误 (wrong scheme: paths under {} are signed with {} but the request used {})",
            if expected == Scheme::Brand {
                "/brand/"
            } else {
                "/v3/"
            },
            expected.as_str(),
            auth.scheme().as_str()
        )));
    }
    let (who, id, serial) = match expected {
        Scheme::Brand => ("brand_id", &creds.brand_id, &creds.brand_serial_no),
        Scheme::Merchant => ("mchid", &creds.mchid, &creds.mch_serial_no),
    };
    if auth.id() != id {
        return Err(ApiError::sign_error(format!(
            "{who} {:?} 未知 (unknown {who} {:?}: the sandbox knows {who} {id:?})",
            auth.id(),
            auth.id()
        )));
    }
    if auth.serial_no() != serial {
        return Err(ApiError::sign_error(format!(
            "证书序列号错误 (unknown serial_no {:?}: the {who} {id}'s API certificate serial is {serial:?})",
            auth.serial_no()
        )));
    }
    if check_timestamp(&*shared.clock, auth.timestamp(), TIMESTAMP_WINDOW_SECS).is_err() {
        let now = shared.clock.now_unix();
        return Err(ApiError::sign_error(format!(
            "请求时间戳超出有效范围 (timestamp {} is {} s away from the sandbox clock {now}; it must be within {TIMESTAMP_WINDOW_SECS} s — check the client's clock)",
            auth.timestamp(),
            now.abs_diff(auth.timestamp())
        )));
    }
    Ok(auth)
}

/// The rest of authentication, once the body is read: the signature over the
/// raw method, path-and-query, timestamp, nonce and body, then, on brand paths,
/// `Wechatpay-Serial`.
fn authenticate(
    shared: &Shared,
    parts: &Parts,
    body: &[u8],
    pre: &Preauthenticated,
) -> Result<(), ApiError> {
    let creds = &shared.creds;
    let (expected, auth) = (pre.scheme, &pre.auth);
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path(), |pq| pq.as_str());
    let (who, key) = match expected {
        Scheme::Brand => ("brand_id", &shared.brand_public_key),
        Scheme::Merchant => ("mchid", &shared.mch_public_key),
    };
    let request = SignableRequest::new(parts.method.as_str(), path_and_query, body);
    if verify_request(key, auth, &request).is_err() {
        return Err(ApiError::sign_error(format!(
            "签名验证失败 (the signature does not verify over \"{}\\n{}\\n{}\\n{}\\n<{} body bytes>\\n\": sign the exact method, path-and-query and body bytes you send, with the {who}'s API private key)",
            parts.method,
            path_and_query,
            auth.timestamp(),
            auth.nonce_str(),
            body.len()
        )));
    }
    if expected == Scheme::Brand {
        let sent = parts
            .headers
            .get(WECHATPAY_SERIAL)
            .and_then(|v| v.to_str().ok());
        if !sent.is_some_and(|s| shared.keys.holds(s)) {
            let held = shared.keys.active_ids().join(", ");
            let message = match sent {
                None => format!(
                    "缺少 Wechatpay-Serial 头 (brand calls must send Wechatpay-Serial: the id of a WeChat Pay key of brand {}, one of {held})",
                    creds.brand_id
                ),
                Some(s) => format!(
                    "Wechatpay-Serial 与品牌不匹配 ({:?} is not a WeChat Pay key of brand {}; send one of {held})",
                    coupon_model::text::excerpt(s, 64),
                    creds.brand_id
                ),
            };
            return Err(ApiError::param("Wechatpay-Serial", "header", message));
        }
    }
    Ok(())
}

impl Shared {
    pub(crate) fn new(
        creds: Credentials,
        clock: Arc<dyn Clock>,
        keys: Arc<KeyRing>,
        store: Store,
        request_id_prefix: String,
        limits: Limits,
    ) -> Self {
        Self {
            keys,
            brand_public_key: creds.brand_private_key.public_key(),
            mch_public_key: creds.mch_private_key.public_key(),
            creds,
            clock,
            store,
            faults: Mutex::new(FaultQueue::default()),
            requests_seen: AtomicU64::new(0),
            certificate_requests: AtomicU64::new(0),
            request_id_prefix,
            connections: Arc::new(Semaphore::new(
                limits.max_connections.clamp(1, Semaphore::MAX_PERMITS),
            )),
            limits,
        }
    }
}
