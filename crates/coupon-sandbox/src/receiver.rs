//! A loopback endpoint for notifications: point the sandbox's notify URL at
//! it in tests and demos, answer each notification with a function of your
//! own (e.g. a webhook handler that verifies and decrypts), and await what
//! arrived — no web framework needed.

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{Mutex, mpsc, watch};

use crate::error::{Error, Result};

/// The largest notification body the receiver reads (1 MiB).
const MAX_NOTIFICATION_BYTES: usize = 1 << 20;

/// One notification as it arrived, and the status it was answered with.
#[derive(Debug, Clone)]
pub struct Received {
    /// The request headers (`Wechatpay-*` among them).
    pub headers: HeaderMap,
    /// The exact body bytes.
    pub body: Bytes,
    /// What the receiver answered.
    pub status: StatusCode,
}

type Answer = dyn Fn(&HeaderMap, &[u8]) -> StatusCode + Send + Sync;

/// An HTTP endpoint on `127.0.0.1` that answers every POST with `answer(headers,
/// body)` and hands each request to [`WebhookReceiver::next`]. Dropping it
/// stops it.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
/// # runtime.block_on(async {
/// use coupon_sandbox::WebhookReceiver;
/// use http::StatusCode;
///
/// let receiver = WebhookReceiver::start(|_headers, _body| StatusCode::NO_CONTENT).await?;
/// assert!(receiver.url().starts_with("http://127.0.0.1:"));
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// # })
/// # }
/// ```
pub struct WebhookReceiver {
    url: String,
    arrivals: Mutex<mpsc::UnboundedReceiver<Received>>,
    stop: watch::Sender<bool>,
}

impl std::fmt::Debug for WebhookReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookReceiver")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl WebhookReceiver {
    /// Starts listening on `127.0.0.1` (a free port), path `/notify`, on the
    /// current Tokio runtime.
    pub async fn start(
        answer: impl Fn(&HeaderMap, &[u8]) -> StatusCode + Send + Sync + 'static,
    ) -> Result<Self> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Bind { addr, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| Error::Bind { addr, source })?;
        let (tx, rx) = mpsc::unbounded_channel();
        let (stop, mut stopped) = watch::channel(false);
        let answer: Arc<Answer> = Arc::new(answer);
        tokio::spawn(async move {
            loop {
                let stream = tokio::select! {
                    accepted = listener.accept() => match accepted {
                        Ok((stream, _)) => stream,
                        Err(_) => continue,
                    },
                    _ = stopped.changed() => return,
                };
                let tx = tx.clone();
                let answer = answer.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                        let tx = tx.clone();
                        let answer = answer.clone();
                        async move {
                            let (parts, body) = req.into_parts();
                            let (status, body) =
                                match Limited::new(body, MAX_NOTIFICATION_BYTES).collect().await {
                                    Ok(body) => {
                                        let body = body.to_bytes();
                                        (answer(&parts.headers, &body), body)
                                    }
                                    Err(_) => (StatusCode::PAYLOAD_TOO_LARGE, Bytes::new()),
                                };
                            let _ = tx.send(Received {
                                headers: parts.headers,
                                body,
                                status,
                            });
                            let mut response = Response::new(Full::new(Bytes::new()));
                            *response.status_mut() = status;
                            Ok::<_, Infallible>(response)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Self {
            url: format!("http://{local}/notify"),
            arrivals: Mutex::new(rx),
            stop,
        })
    }

    /// `http://127.0.0.1:PORT/notify`: the URL to give as notify URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The next notification to arrive (waits for it).
    pub async fn next(&self) -> Option<Received> {
        self.arrivals.lock().await.recv().await
    }
}

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}
