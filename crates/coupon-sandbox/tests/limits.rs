//! The server's bounds, through real loopback sockets on paused tokio time:
//! header read and idle timeouts, the connection cap, authentication before
//! the body is read, the body size and read-time limits, and the bounded read
//! of a webhook receiver's answer. Timers fire only when every task waits, so
//! no test sleeps or depends on the machine's speed.

mod common;

use std::sync::Arc;
use std::time::Duration;

use coupon_sandbox::{Fault, Sandbox, SandboxBuilder, seed};
use http::HeaderMap;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use wxpay_sign::{Clock, ManualClock, SignableRequest};

const STOCKS_PATH: &str = "/brand/marketing/product-coupon/product-coupons/1000000013/stocks";

async fn start(configure: impl FnOnce(SandboxBuilder) -> SandboxBuilder) -> Sandbox {
    let clock = Arc::new(ManualClock::new(common::NOW));
    configure(
        Sandbox::builder()
            .credentials(common::creds())
            .clock(clock as Arc<dyn Clock>),
    )
    .start()
    .await
    .expect("sandbox starts")
}

async fn connect(sandbox: &Sandbox) -> TcpStream {
    TcpStream::connect(sandbox.addr()).await.unwrap()
}

/// Everything until the server closes (a reset counts as closed).
async fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    let _ = stream.read_to_end(&mut received).await;
    received
}

/// One response: the head and a `Content-Length` body. `None` when the server
/// closed first.
async fn read_response(stream: &mut TcpStream) -> Option<(u16, String)> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => return None,
        }
    }
    let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
    let status = head.get(9..12)?.parse().ok()?;
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).await.ok()?;
    Some((status, String::from_utf8_lossy(&body).into_owned()))
}

/// An unauthenticated GET: answered `401` at once, the connection kept alive.
const UNSIGNED_GET: &[u8] = b"GET /brand/x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

/// A brand request head signed over `signed_body` (what the signature covers;
/// the head passes authentication whatever body follows).
fn signed_head(
    sandbox: &Sandbox,
    method: &str,
    path: &str,
    signed_body: &[u8],
    extra: &str,
) -> String {
    let creds = sandbox.credentials();
    let auth = creds
        .brand_signer()
        .sign(
            &SignableRequest::new(method, path, signed_body),
            common::NOW,
            &wxpay_sign::generate_nonce(),
        )
        .unwrap();
    format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\
         Authorization: {}\r\nWechatpay-Serial: {}\r\n{extra}\r\n",
        auth.as_str(),
        creds.wechatpay_public_key_id
    )
}

// ------------------------------------------------------------- timeouts

#[tokio::test(start_paused = true)]
async fn a_slow_head_is_cut_off_at_the_header_read_timeout() {
    let sandbox = start(|b| {
        b.header_read_timeout(Duration::from_secs(10))
            .idle_timeout(Duration::from_secs(600))
    })
    .await;
    let mut stream = connect(&sandbox).await;
    let started = Instant::now();
    // The head never ends.
    stream
        .write_all(b"GET /brand/x HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();

    let received = read_until_closed(&mut stream).await;

    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(10) && waited < Duration::from_secs(600),
        "closed after {waited:?}"
    );
    assert!(!received.starts_with(b"HTTP/1.1 2"), "{received:?}");
    assert_eq!(sandbox.requests_seen(), 0, "no request was handled");
}

#[tokio::test(start_paused = true)]
async fn an_idle_connection_is_closed_at_the_idle_timeout() {
    let sandbox = start(|b| {
        b.idle_timeout(Duration::from_secs(20))
            .header_read_timeout(Duration::from_secs(600))
    })
    .await;
    let mut stream = connect(&sandbox).await;
    stream.write_all(UNSIGNED_GET).await.unwrap();
    let (status, _) = read_response(&mut stream).await.unwrap();
    assert_eq!(status, 401);
    let answered = Instant::now();

    let rest = read_until_closed(&mut stream).await;

    let waited = answered.elapsed();
    assert!(rest.is_empty());
    assert!(
        waited >= Duration::from_secs(20) && waited < Duration::from_secs(600),
        "closed after {waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_request_in_progress_is_not_idleness() {
    let sandbox = start(|b| b.idle_timeout(Duration::from_secs(20))).await;
    sandbox.inject(Fault::Slow(Duration::from_secs(90)), 1);
    let mut stream = connect(&sandbox).await;
    let path = format!("{STOCKS_PATH}?page_size=1");
    stream
        .write_all(signed_head(&sandbox, "GET", &path, b"", "").as_bytes())
        .await
        .unwrap();
    let started = Instant::now();

    let (status, body) = read_response(&mut stream).await.expect("an answer");

    assert_eq!(status, 200, "{body}");
    assert!(started.elapsed() >= Duration::from_secs(90));
}

// ------------------------------------------------------- connection cap

#[tokio::test(start_paused = true)]
async fn connections_over_the_cap_are_closed_at_once() {
    let sandbox = start(|b| b.max_connections(2)).await;
    let mut a = connect(&sandbox).await;
    let mut b = connect(&sandbox).await;
    for stream in [&mut a, &mut b] {
        stream.write_all(UNSIGNED_GET).await.unwrap();
        assert_eq!(read_response(stream).await.unwrap().0, 401);
    }
    assert_eq!(sandbox.open_connections(), 2);

    let started = Instant::now();
    let mut over = connect(&sandbox).await;
    let _ = over.write_all(UNSIGNED_GET).await;
    assert!(read_until_closed(&mut over).await.is_empty(), "no answer");
    assert_eq!(started.elapsed(), Duration::ZERO, "closed, not queued");
    assert_eq!(sandbox.requests_seen(), 2);

    // The two below the cap are still served.
    a.write_all(UNSIGNED_GET).await.unwrap();
    assert_eq!(read_response(&mut a).await.unwrap().0, 401);

    // Closing one frees its slot for a new connection.
    drop(b);
    for _ in 0..1000 {
        if sandbox.open_connections() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert_eq!(sandbox.open_connections(), 1);
    let mut next = connect(&sandbox).await;
    next.write_all(UNSIGNED_GET).await.unwrap();
    assert_eq!(read_response(&mut next).await.unwrap().0, 401);
}

// ------------------------------------------------ authentication and body

#[tokio::test(start_paused = true)]
async fn an_unauthenticated_body_is_never_waited_for() {
    let sandbox = start(|b| b.body_read_timeout(Duration::from_secs(30))).await;
    let mut stream = connect(&sandbox).await;
    // A huge declared body that never comes, without Authorization.
    let head = format!(
        "POST {STOCKS_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: 900000\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();

    let (status, body) = read_response(&mut stream).await.expect("an answer");

    assert_eq!(status, 401, "{body}");
    assert!(body.contains("SIGN_ERROR"), "{body}");
    assert_eq!(
        started.elapsed(),
        Duration::ZERO,
        "answered from the head alone"
    );
}

#[tokio::test(start_paused = true)]
async fn a_wrong_identity_is_refused_before_the_body() {
    let sandbox = start(|b| b).await;
    let mut stream = connect(&sandbox).await;
    let head = signed_head(
        &sandbox,
        "POST",
        STOCKS_PATH,
        b"{}",
        "Content-Type: application/json\r\nContent-Length: 900000\r\n",
    )
    .replace(&sandbox.credentials().brand_serial_no, "0000000000000000");
    stream.write_all(head.as_bytes()).await.unwrap();

    let (status, body) = read_response(&mut stream).await.expect("an answer");

    assert_eq!(status, 401, "{body}");
    assert!(body.contains("serial_no"), "{body}");
}

#[tokio::test(start_paused = true)]
async fn a_declared_body_over_the_limit_is_refused_before_reading() {
    let sandbox = start(|b| b.max_body_bytes(1024)).await;
    let mut stream = connect(&sandbox).await;
    let head = signed_head(
        &sandbox,
        "POST",
        STOCKS_PATH,
        b"{}",
        "Content-Type: application/json\r\nContent-Length: 2048\r\n",
    );
    stream.write_all(head.as_bytes()).await.unwrap();

    let (status, body) = read_response(&mut stream).await.expect("an answer");

    assert_eq!(status, 400, "{body}");
    assert!(body.contains("declares 2048 bytes"), "{body}");
}

#[tokio::test(start_paused = true)]
async fn a_streamed_body_over_the_limit_stops_at_the_limit() {
    let sandbox = start(|b| b.max_body_bytes(1024)).await;
    let mut stream = connect(&sandbox).await;
    let head = signed_head(
        &sandbox,
        "POST",
        STOCKS_PATH,
        b"{}",
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n",
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = format!("320\r\n{}\r\n", "a".repeat(0x320));
    stream.write_all(chunk.as_bytes()).await.unwrap();
    stream.write_all(chunk.as_bytes()).await.unwrap();

    let (status, body) = read_response(&mut stream).await.expect("an answer");

    assert_eq!(status, 400, "{body}");
    assert!(body.contains("limited to 1024 bytes"), "{body}");
}

#[tokio::test(start_paused = true)]
async fn a_body_that_does_not_arrive_is_cut_off_at_the_body_read_timeout() {
    let sandbox = start(|b| {
        b.body_read_timeout(Duration::from_secs(5))
            .idle_timeout(Duration::from_secs(600))
    })
    .await;
    let mut stream = connect(&sandbox).await;
    let head = signed_head(
        &sandbox,
        "POST",
        STOCKS_PATH,
        b"{}",
        "Content-Type: application/json\r\nContent-Length: 100\r\n",
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(b"{\"out_req").await.unwrap();
    let started = Instant::now();

    let (status, body) = read_response(&mut stream).await.expect("an answer");

    assert_eq!(status, 400, "{body}");
    assert!(body.contains("did not arrive within 5 s"), "{body}");
    assert!(started.elapsed() >= Duration::from_secs(5));
    assert_eq!(
        sandbox.stock_count(seed::PRODUCT_COUPON_ID),
        seed::SINGLE_STOCK_COUNT
    );
}

// ------------------------------------------------------ webhook answers

/// A webhook receiver that answers `head` and then streams `chunk` for as long
/// as the sender reads.
async fn endless_receiver(head: String, chunk: &'static [u8]) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let Ok((mut socket, _)) = listener.accept().await else {
            return;
        };
        let mut buf = vec![0u8; 64 * 1024];
        // The request is small: one read is enough to get past it.
        let _ = socket.read(&mut buf).await;
        if socket.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        if chunk.is_empty() {
            // Hold the connection until the sender drops it.
            let _ = socket.read(&mut buf).await;
            return;
        }
        while socket.write_all(chunk).await.is_ok() {}
    });
    url
}

/// One chunk of 1 KiB in chunked transfer coding.
const CHUNK_1KIB: &[u8] = concat!(
    "400\r\n",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "\r\n"
)
.as_bytes();

#[tokio::test(start_paused = true)]
async fn an_endless_webhook_answer_is_read_only_up_to_the_bound() {
    let url = endless_receiver(
        "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".to_owned(),
        CHUNK_1KIB,
    )
    .await;

    let status = coupon_sandbox::post_webhook(&url, HeaderMap::new(), b"{}".to_vec())
        .await
        .expect("the status, without waiting for the endless body");

    assert_eq!(status, 200);
}

#[tokio::test(start_paused = true)]
async fn an_oversized_webhook_answer_head_fails_the_send() {
    let head = format!(
        "HTTP/1.1 200 OK\r\nx-junk: {}\r\ncontent-length: 0\r\n\r\n",
        "j".repeat(64 * 1024)
    );
    let url = endless_receiver(head, b"").await;

    let err = coupon_sandbox::post_webhook(&url, HeaderMap::new(), b"{}".to_vec())
        .await
        .unwrap_err();

    assert!(
        matches!(err, coupon_sandbox::Error::WebhookTransport { .. }),
        "{err}"
    );
}
