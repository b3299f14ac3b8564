//! Behaviour of `Transport::execute` against servers on loopback: wiremock, closed
//! ports, silent listeners and a few hand-rolled HTTP/1.1 servers.
//!
//! Backoff runs on a fake clock (sleeps are recorded, never waited for), so no test
//! depends on timing to pass. The timeout tests give the server no way to answer, so
//! only the timeout under test can end the attempt.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use coupon_http::{
    Attempt, BoxError, Clock, ConnectorFuture, Endpoint, Error, ErrorKind, HttpConnector,
    HyperConnector, HyperConnectorConfig, RequestTemplate, RetryPolicy, TimeoutPhase, Transport,
    TransportBuilder,
};
use http::{HeaderMap, HeaderValue, Method, header};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

// ---------------------------------------------------------------- helpers

/// A clock whose sleeps return at once and advance a virtual `now`.
#[derive(Debug)]
struct FakeClock {
    base: Instant,
    offset: Mutex<Duration>,
    sleeps: Mutex<Vec<Duration>>,
}

impl FakeClock {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            base: Instant::now(),
            offset: Mutex::new(Duration::ZERO),
            sleeps: Mutex::new(Vec::new()),
        })
    }

    fn sleeps(&self) -> Vec<Duration> {
        self.sleeps.lock().unwrap().clone()
    }
}

impl Clock for FakeClock {
    fn now(&self) -> Instant {
        self.base + *self.offset.lock().unwrap()
    }

    fn sleep(
        &self,
        duration: Duration,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'static>> {
        *self.offset.lock().unwrap() += duration;
        self.sleeps.lock().unwrap().push(duration);
        Box::pin(async {})
    }
}

/// Zero computed delays, no jitter, 3 attempts.
fn fast_policy() -> RetryPolicy {
    RetryPolicy::new()
        .with_base_delay(Duration::ZERO)
        .with_max_delay(Duration::ZERO)
        .with_full_jitter(false)
}

/// A builder pointed at `primary`, without backup, on a fake clock.
fn builder(primary: &str, clock: &Arc<FakeClock>) -> TransportBuilder {
    Transport::builder()
        .primary_base_url(primary)
        .without_backup()
        .retry_policy(fast_policy())
        .clock(clock.clone())
}

/// The URL of a loopback port nobody listens on (connection refused).
async fn closed_port_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// A listener that is never accepted from: connects succeed (kernel backlog) but no
/// byte ever comes back. Keep the listener alive for the test's duration.
async fn silent_listener() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

fn get(path_and_query: &str) -> RequestTemplate {
    RequestTemplate::new(Method::GET, path_and_query, "/test/{id}")
}

/// A signing stand-in: counts attempts and adds an `Authorization` with a nonce that
/// is new on every attempt; records what it was asked to sign.
#[derive(Default)]
struct CountingSigner {
    calls: AtomicUsize,
    seen: Mutex<Vec<(u32, String, Vec<u8>)>>,
}

impl CountingSigner {
    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl coupon_http::AttemptHook for CountingSigner {
    fn before_attempt(
        &self,
        attempt: &Attempt<'_>,
        headers: &mut HeaderMap,
    ) -> Result<(), BoxError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        self.seen.lock().unwrap().push((
            attempt.number,
            attempt.path_and_query.to_owned(),
            attempt.body.to_vec(),
        ));
        let value = format!("TEST nonce_str=\"nonce-{n}-{}\"", attempt.number);
        headers.insert(header::AUTHORIZATION, HeaderValue::try_from(value)?);
        Ok(())
    }
}

async fn received(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

async fn mount_status_once_then_ok(server: &MockServer, status: u16) {
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(status))
        .up_to_n_times(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .mount(server)
        .await;
}

// ------------------------------------------------------- retryable statuses

async fn assert_status_is_retried(status: u16) {
    let server = MockServer::start().await;
    mount_status_once_then_ok(&server, status).await;
    let clock = FakeClock::new();
    let transport = builder(&server.uri(), &clock).build().unwrap();
    let signer = CountingSigner::default();

    let response = transport.execute(&get("/x"), &signer).await.unwrap();

    assert_eq!(response.status(), 200, "status {status} must be retried");
    assert_eq!(response.attempts(), 2);
    assert_eq!(received(&server).await, 2);
    assert_eq!(signer.calls(), 2);
    assert_eq!(
        clock.sleeps().len(),
        1,
        "one backoff between the two attempts"
    );
}

#[tokio::test]
async fn retries_on_500() {
    assert_status_is_retried(500).await;
}

#[tokio::test]
async fn retries_on_502() {
    assert_status_is_retried(502).await;
}

#[tokio::test]
async fn retries_on_503() {
    assert_status_is_retried(503).await;
}

#[tokio::test]
async fn retries_on_429() {
    assert_status_is_retried(429).await;
}

#[tokio::test]
async fn retries_on_connection_refused() {
    let clock = FakeClock::new();
    let transport = builder(&closed_port_url().await, &clock).build().unwrap();
    let signer = CountingSigner::default();

    let err = transport.execute(&get("/x"), &signer).await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Connect);
    assert!(err.is_connect() && err.is_retryable());
    assert_eq!(err.attempts(), 3);
    assert_eq!(signer.calls(), 3, "every attempt was prepared and sent");
    assert_eq!(clock.sleeps().len(), 2);
}

// ------------------------------------------------- non-retryable statuses

async fn assert_status_is_not_retried(status: u16) {
    let server = MockServer::start().await;
    let body = r#"{"code":"SOME_ERROR","message":"nope"}"#;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(status).set_body_string(body))
        .mount(&server)
        .await;
    let clock = FakeClock::new();
    let transport = builder(&server.uri(), &clock).build().unwrap();

    let response = transport
        .execute(&get("/x"), &CountingSigner::default())
        .await
        .expect("a non-2xx status is a response, not an error");

    assert_eq!(response.status(), status);
    assert_eq!(response.body().as_ref(), body.as_bytes());
    assert_eq!(response.attempts(), 1);
    assert_eq!(
        received(&server).await,
        1,
        "status {status} must not be retried"
    );
    assert!(clock.sleeps().is_empty());
}

#[tokio::test]
async fn no_retry_on_400() {
    assert_status_is_not_retried(400).await;
}

#[tokio::test]
async fn no_retry_on_401() {
    assert_status_is_not_retried(401).await;
}

#[tokio::test]
async fn no_retry_on_403() {
    assert_status_is_not_retried(403).await;
}

#[tokio::test]
async fn no_retry_on_404() {
    assert_status_is_not_retried(404).await;
}

// ------------------------------------------------------------- Retry-After

#[tokio::test]
async fn retry_after_is_honoured() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "7")
                .set_body_string(r#"{"code":"RATELIMIT_EXCEEDED","message":"slow down"}"#),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let clock = FakeClock::new();
    let policy = fast_policy()
        .with_base_delay(Duration::from_millis(1))
        .with_max_delay(Duration::from_secs(10));
    let transport = builder(&server.uri(), &clock)
        .retry_policy(policy)
        .build()
        .unwrap();

    let response = transport
        .execute(&get("/x"), &CountingSigner::default())
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(received(&server).await, 2);
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(7)]);
}

#[tokio::test]
async fn retry_after_beyond_the_time_budget_returns_the_429() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "120"))
        .mount(&server)
        .await;
    let clock = FakeClock::new();
    let policy = fast_policy()
        .with_max_delay(Duration::from_secs(300))
        .with_max_elapsed(Duration::from_secs(60));
    let transport = builder(&server.uri(), &clock)
        .retry_policy(policy)
        .build()
        .unwrap();

    let response = transport
        .execute(&get("/x"), &CountingSigner::default())
        .await
        .unwrap();

    assert_eq!(response.status(), 429);
    assert_eq!(received(&server).await, 1);
    assert!(clock.sleeps().is_empty(), "never waits past the budget");
}

#[tokio::test]
async fn retry_after_is_capped_by_the_maximum_delay() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", "86400"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let clock = FakeClock::new();
    let policy = fast_policy().with_max_delay(Duration::from_secs(5));
    let transport = builder(&server.uri(), &clock)
        .retry_policy(policy)
        .build()
        .unwrap();

    let response = transport
        .execute(&get("/x"), &CountingSigner::default())
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(
        clock.sleeps(),
        vec![Duration::from_secs(5)],
        "a day-long Retry-After waits the configured 5 s at most"
    );
}

#[tokio::test]
async fn an_oversized_retry_after_is_ignored() {
    let server = MockServer::start().await;
    let long = format!("{}7", "0".repeat(coupon_http::MAX_RETRY_AFTER_LEN));
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", long.as_str()))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let clock = FakeClock::new();
    let policy = fast_policy()
        .with_base_delay(Duration::from_millis(300))
        .with_max_delay(Duration::from_secs(10));
    let transport = builder(&server.uri(), &clock)
        .retry_policy(policy)
        .build()
        .unwrap();

    transport
        .execute(&get("/x"), &CountingSigner::default())
        .await
        .unwrap();

    assert_eq!(clock.sleeps(), vec![Duration::from_millis(300)], "backoff");
}

#[tokio::test]
async fn an_oversized_or_binary_request_id_is_dropped() {
    for value in [
        "A".repeat(coupon_http::MAX_REQUEST_ID_LEN + 1),
        "a b".to_owned(),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).insert_header("Request-ID", value.as_str()))
            .mount(&server)
            .await;
        let clock = FakeClock::new();
        let transport = builder(&server.uri(), &clock).build().unwrap();
        let response = transport
            .execute(&get("/x"), &CountingSigner::default())
            .await
            .unwrap();
        assert_eq!(response.request_id(), None, "{value:?}");
    }
}

// ------------------------------------------------- what is (not) resent

/// A raw HTTP/1.1 server on loopback: connection *i* reads one request (head and
/// `Content-Length` body), answers `answers[i]` (the last one for every later
/// connection) byte for byte and closes. Returns the base URL and the number of
/// requests it read.
async fn raw_server(answers: Vec<&'static [u8]>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let requests = Arc::new(AtomicUsize::new(0));
    let count = requests.clone();
    tokio::spawn(async move {
        let mut index = 0;
        while let Ok((mut socket, _)) = listener.accept().await {
            let answer = answers[index.min(answers.len() - 1)];
            index += 1;
            let count = count.clone();
            tokio::spawn(async move {
                if read_request(&mut socket).await {
                    count.fetch_add(1, Ordering::SeqCst);
                    let _ = socket.write_all(answer).await;
                    let _ = socket.shutdown().await;
                }
            });
        }
    });
    (format!("http://127.0.0.1:{port}"), requests)
}

/// Reads a request head and its `Content-Length` body. `false` when the peer
/// closed first.
async fn read_request(socket: &mut tokio::net::TcpStream) -> bool {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match socket.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => return false,
        }
    }
    let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    socket.read_exact(&mut body).await.is_ok()
}

const OK: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}";

/// Answers that break HTTP after the request was received.
const PROTOCOL_ERRORS: [(&str, &[u8]); 4] = [
    (
        "malformed status line",
        b"HTTP/1.1 2OO OK\r\ncontent-length: 2\r\n\r\n{}",
    ),
    (
        "conflicting Content-Length",
        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 5\r\n\r\n{}",
    ),
    (
        "truncated body",
        b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{\"a\"",
    ),
    ("closed without an answer", b""),
];

fn post() -> RequestTemplate {
    RequestTemplate::new(Method::POST, "/v3/create", "/v3/create")
        .with_header(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )
        .with_body(r#"{"amount":1}"#)
}

#[test]
fn idempotency_defaults_to_the_method() {
    assert!(get("/x").is_idempotent());
    assert!(!post().is_idempotent());
    let patch = RequestTemplate::new(Method::PATCH, "/x", "/x");
    assert!(!patch.is_idempotent());
    assert!(patch.idempotent(true).is_idempotent());
    assert!(!get("/x").idempotent(false).is_idempotent());
}

#[tokio::test]
async fn a_protocol_error_after_sending_a_post_is_returned_after_one_attempt() {
    for (what, answer) in PROTOCOL_ERRORS {
        let (url, requests) = raw_server(vec![answer, OK]).await;
        let clock = FakeClock::new();
        let transport = builder(&url, &clock).build().unwrap();
        let signer = CountingSigner::default();

        let err = transport.execute(&post(), &signer).await.unwrap_err();

        assert_eq!(err.kind(), ErrorKind::Io, "{what}: {err}");
        assert!(err.may_have_reached_server(), "{what}");
        assert_eq!(err.attempts(), 1, "{what}: not resent");
        assert_eq!(signer.calls(), 1, "{what}");
        assert_eq!(requests.load(Ordering::SeqCst), 1, "{what}");
        assert!(clock.sleeps().is_empty(), "{what}");
    }
}

#[tokio::test]
async fn a_protocol_error_on_a_get_is_retried() {
    for (what, answer) in PROTOCOL_ERRORS {
        let (url, requests) = raw_server(vec![answer, OK]).await;
        let clock = FakeClock::new();
        let transport = builder(&url, &clock).build().unwrap();

        let response = transport
            .execute(&get("/x"), &CountingSigner::default())
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));

        assert_eq!(response.status(), 200, "{what}");
        assert_eq!(response.attempts(), 2, "{what}");
        assert_eq!(requests.load(Ordering::SeqCst), 2, "{what}");
    }
}

#[tokio::test]
async fn a_post_marked_idempotent_is_retried_after_a_protocol_error() {
    for (what, answer) in PROTOCOL_ERRORS {
        let (url, requests) = raw_server(vec![answer, OK]).await;
        let clock = FakeClock::new();
        let transport = builder(&url, &clock).build().unwrap();

        let response = transport
            .execute(&post().idempotent(true), &CountingSigner::default())
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));

        assert_eq!(response.attempts(), 2, "{what}");
        assert_eq!(requests.load(Ordering::SeqCst), 2, "{what}");
    }
}

#[tokio::test]
async fn a_refused_post_is_retried_and_fails_over() {
    let (backup, requests) = raw_server(vec![OK]).await;
    let clock = FakeClock::new();
    let transport = builder(&closed_port_url().await, &clock)
        .backup_base_url(backup)
        .build()
        .unwrap();

    let response = transport
        .execute(&post(), &CountingSigner::default())
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(response.endpoint(), Endpoint::Backup);
    assert_eq!(response.attempts(), 2);
    assert_eq!(requests.load(Ordering::SeqCst), 1, "only the backup got it");
}

#[tokio::test]
async fn a_refused_post_without_backup_is_retried_on_the_primary() {
    let clock = FakeClock::new();
    let signer = CountingSigner::default();
    let transport = builder(&closed_port_url().await, &clock).build().unwrap();

    let err = transport.execute(&post(), &signer).await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Connect);
    assert!(!err.may_have_reached_server());
    assert_eq!(err.attempts(), 3);
    assert_eq!(signer.calls(), 3);
}

/// Paused tokio time: the hanging primary can only end by the request timeout.
#[tokio::test(start_paused = true)]
async fn a_post_that_timed_out_is_neither_resent_nor_failed_over() {
    let connector = ScriptedPrimary::new(None);
    let transport = scripted(&connector)
        .request_timeout(Duration::from_secs(30))
        .build()
        .unwrap();

    let err = transport
        .execute(&post(), &CountingSigner::default())
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Timeout(TimeoutPhase::Request));
    assert!(err.may_have_reached_server());
    assert_eq!(err.attempts(), 1);
    assert_eq!(connector.uris(), vec!["https://primary.test/v3/create"]);

    // The same call marked idempotent fails over.
    let response = transport
        .execute(&post().idempotent(true), &CountingSigner::default())
        .await
        .unwrap();
    assert_eq!(response.endpoint(), Endpoint::Backup);
}

#[tokio::test]
async fn a_post_after_a_connect_timeout_fails_over() {
    let connector = ScriptedPrimary::new(Some(Error::connect_timeout));
    let transport = scripted(&connector).build().unwrap();

    let response = transport
        .execute(&post(), &CountingSigner::default())
        .await
        .unwrap();

    assert_eq!(response.endpoint(), Endpoint::Backup);
    assert_eq!(
        connector.uris(),
        vec![
            "https://primary.test/v3/create",
            "https://backup.test/v3/create"
        ]
    );
}

#[tokio::test]
async fn a_post_after_a_5xx_is_resent() {
    let (url, requests) = raw_server(vec![
        b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        OK,
    ])
    .await;
    let clock = FakeClock::new();
    let transport = builder(&url, &clock).build().unwrap();

    let response = transport
        .execute(&post(), &CountingSigner::default())
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(requests.load(Ordering::SeqCst), 2, "the server answered");
}

// ------------------------------------------------------------------ limits

#[tokio::test]
async fn max_attempts_is_respected() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let clock = FakeClock::new();
    let transport = builder(&server.uri(), &clock)
        .retry_policy(fast_policy().with_max_attempts(4))
        .build()
        .unwrap();

    let response = transport
        .execute(&get("/x"), &CountingSigner::default())
        .await
        .unwrap();

    assert_eq!(response.status(), 503, "the last response is returned");
    assert_eq!(response.attempts(), 4);
    assert_eq!(received(&server).await, 4);
}

#[tokio::test]
async fn max_total_time_is_respected() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let clock = FakeClock::new();
    // Delays of exactly 1 s on the fake clock: attempts start at t = 0, 1, 2; the
    // next would start at t = 3, past the 2.5 s budget.
    let policy = RetryPolicy::new()
        .with_max_attempts(10)
        .with_base_delay(Duration::from_secs(1))
        .with_max_delay(Duration::from_secs(1))
        .with_full_jitter(false)
        .with_max_elapsed(Duration::from_millis(2500));
    let transport = builder(&server.uri(), &clock)
        .retry_policy(policy)
        .build()
        .unwrap();

    let response = transport
        .execute(&get("/x"), &CountingSigner::default())
        .await
        .unwrap();

    assert_eq!(response.status(), 500);
    assert_eq!(response.attempts(), 3);
    assert_eq!(received(&server).await, 3);
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(1); 2]);
}

/// Paused tokio time and the tokio clock: the hanging primary is cut off by what is
/// left of the 20 ms budget, not by the one-hour request timeout.
#[tokio::test(start_paused = true)]
async fn the_time_budget_also_bounds_the_first_attempt() {
    let connector = ScriptedPrimary::new(None);
    let transport = Transport::builder()
        .connector(connector.clone())
        .primary_base_url("https://primary.test")
        .without_backup()
        .request_timeout(Duration::from_secs(3600))
        .retry_policy(fast_policy().with_max_elapsed(Duration::from_millis(20)))
        .build()
        .unwrap();
    let started = tokio::time::Instant::now();

    let err = transport
        .execute(&get("/x"), &CountingSigner::default())
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Timeout(TimeoutPhase::Request));
    assert_eq!(err.attempts(), 1, "no retry starts after the budget");
    assert_eq!(started.elapsed(), Duration::from_millis(20));
}

// ---------------------------------------------------------------- failover

#[tokio::test]
async fn fails_over_from_a_dead_primary_to_the_backup() {
    let backup = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .mount(&backup)
        .await;
    let clock = FakeClock::new();
    let transport = builder(&closed_port_url().await, &clock)
        .backup_base_url(backup.uri())
        .build()
        .unwrap();

    let response = transport
        .execute(&get("/x"), &CountingSigner::default())
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(response.endpoint(), Endpoint::Backup);
    assert_eq!(response.attempts(), 2);
    assert_eq!(received(&backup).await, 1);
}

#[tokio::test]
async fn stays_on_the_backup_for_the_rest_of_the_call() {
    let backup = MockServer::start().await;
    mount_status_once_then_ok(&backup, 503).await;
    let clock = FakeClock::new();
    let transport = builder(&closed_port_url().await, &clock)
        .backup_base_url(backup.uri())
        .build()
        .unwrap();

    let response = transport
        .execute(&get("/x"), &CountingSigner::default())
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(response.attempts(), 3);
    assert_eq!(
        received(&backup).await,
        2,
        "attempts 2 and 3 both went to the backup"
    );
}

/// A fake HTTP stack for failover: a request to `https://primary.test` fails with
/// `primary()`, or never ends when that is `None`; any other host answers 200 at once
/// (its future is ready on the first poll, so no timer can beat it).
#[derive(Debug)]
struct ScriptedPrimary {
    primary: Option<fn() -> Error>,
    uris: Mutex<Vec<String>>,
}

impl ScriptedPrimary {
    fn new(primary: Option<fn() -> Error>) -> Arc<Self> {
        Arc::new(Self {
            primary,
            uris: Mutex::new(Vec::new()),
        })
    }

    fn uris(&self) -> Vec<String> {
        self.uris.lock().unwrap().clone()
    }
}

impl HttpConnector for ScriptedPrimary {
    fn call(&self, request: http::Request<Bytes>) -> ConnectorFuture<'_> {
        let uri = request.uri().to_string();
        self.uris.lock().unwrap().push(uri.clone());
        let primary = self.primary;
        Box::pin(async move {
            if uri.starts_with("https://primary.test/") {
                match primary {
                    Some(error) => return Err(error()),
                    None => std::future::pending::<()>().await,
                }
            }
            Ok(http::Response::builder()
                .status(200)
                .body(Bytes::new())
                .unwrap())
        })
    }
}

fn scripted(connector: &Arc<ScriptedPrimary>) -> TransportBuilder {
    Transport::builder()
        .connector(connector.clone())
        .primary_base_url("https://primary.test")
        .backup_base_url("https://backup.test")
        .retry_policy(fast_policy())
        .clock(FakeClock::new())
}

/// Paused tokio time: the primary's attempt can only end by the request timeout,
/// which fires as soon as the runtime is idle, without waiting.
#[tokio::test(start_paused = true)]
async fn fails_over_after_a_request_timeout_on_the_primary() {
    let connector = ScriptedPrimary::new(None);
    let transport = scripted(&connector)
        .request_timeout(Duration::from_secs(30))
        .build()
        .unwrap();

    let response = transport
        .execute(&get("/x"), &CountingSigner::default())
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(response.endpoint(), Endpoint::Backup);
    assert_eq!(response.attempts(), 2);
    assert_eq!(
        connector.uris(),
        vec!["https://primary.test/x", "https://backup.test/x"]
    );
}

#[tokio::test]
async fn fails_over_after_a_connect_timeout_on_the_primary() {
    let connector = ScriptedPrimary::new(Some(Error::connect_timeout));
    let transport = scripted(&connector).build().unwrap();

    let response = transport
        .execute(&get("/x"), &CountingSigner::default())
        .await
        .unwrap();

    assert_eq!(response.endpoint(), Endpoint::Backup);
    assert_eq!(
        connector.uris(),
        vec!["https://primary.test/x", "https://backup.test/x"]
    );
}

#[tokio::test]
async fn no_failover_after_an_io_error_on_the_primary() {
    let connector = ScriptedPrimary::new(Some(|| Error::io("connection reset by peer")));
    let transport = scripted(&connector).build().unwrap();

    let err = transport
        .execute(&get("/x"), &CountingSigner::default())
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Io);
    assert_eq!(err.attempts(), 3, "I/O errors are retried…");
    assert_eq!(
        connector.uris(),
        vec!["https://primary.test/x"; 3],
        "…on the primary: it did answer the connect"
    );
}

#[tokio::test]
async fn no_failover_on_a_retryable_status() {
    let primary = MockServer::start().await;
    let backup = MockServer::start().await;
    for server in [&primary, &backup] {
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(503))
            .mount(server)
            .await;
    }
    let clock = FakeClock::new();
    let transport = builder(&primary.uri(), &clock)
        .backup_base_url(backup.uri())
        .build()
        .unwrap();

    let response = transport
        .execute(&get("/x"), &CountingSigner::default())
        .await
        .unwrap();

    assert_eq!(response.endpoint(), Endpoint::Primary);
    assert_eq!(received(&primary).await, 3);
    assert_eq!(
        received(&backup).await,
        0,
        "the primary answered, so it is alive"
    );
}

// -------------------------------------------------------------- re-signing

#[tokio::test]
async fn every_attempt_is_signed_afresh_over_the_same_bytes() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let clock = FakeClock::new();
    let transport = builder(&server.uri(), &clock).build().unwrap();
    let body = r#"{"out_request_no":"R-1","stock_id":"1"}"#;
    let template = RequestTemplate::new(Method::POST, "/v3/send?x=1", "/v3/send")
        .with_header(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )
        .with_body(body);
    let signer = CountingSigner::default();

    let response = transport.execute(&template, &signer).await.unwrap();
    assert_eq!(response.status(), 200);

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    let auth: Vec<_> = requests
        .iter()
        .map(|r| r.headers.get(header::AUTHORIZATION).unwrap().clone())
        .collect();
    assert_ne!(auth[0], auth[1], "each attempt carries a new nonce");
    for r in &requests {
        assert_eq!(r.body, body.as_bytes(), "identical body on every attempt");
        assert_eq!(r.url.path(), "/v3/send");
        assert_eq!(r.url.query(), Some("x=1"));
    }
    let seen = signer.seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        vec![
            (1, "/v3/send?x=1".to_owned(), body.as_bytes().to_vec()),
            (2, "/v3/send?x=1".to_owned(), body.as_bytes().to_vec()),
        ]
    );
}

#[tokio::test]
async fn a_failing_hook_aborts_without_sending() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let clock = FakeClock::new();
    let transport = builder(&server.uri(), &clock).build().unwrap();
    let failing = |_: &Attempt<'_>, _: &mut HeaderMap| -> Result<(), BoxError> {
        Err("the signing key is unusable".into())
    };

    let err = transport.execute(&get("/x"), &failing).await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Hook);
    assert!(!err.is_retryable());
    assert_eq!(err.attempts(), 1);
    let source = std::error::Error::source(&err).unwrap().to_string();
    assert_eq!(source, "the signing key is unusable");
    assert_eq!(received(&server).await, 0);
}

// -------------------------------------------------------------- body limit

#[tokio::test]
async fn a_body_over_the_limit_is_rejected() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b'a'; 2048]))
        .mount(&server)
        .await;
    let clock = FakeClock::new();
    let transport = builder(&server.uri(), &clock)
        .body_limit(1024)
        .build()
        .unwrap();

    let err = transport
        .execute(&get("/x"), &CountingSigner::default())
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::BodyTooLarge { limit: 1024 });
    assert!(err.to_string().contains("1024 bytes"));
    assert_eq!(received(&server).await, 1, "not retried");
}

#[tokio::test]
async fn a_body_exactly_at_the_limit_is_accepted() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b'a'; 1024]))
        .mount(&server)
        .await;
    let clock = FakeClock::new();
    let transport = builder(&server.uri(), &clock)
        .body_limit(1024)
        .build()
        .unwrap();

    let response = transport
        .execute(&get("/x"), &CountingSigner::default())
        .await
        .unwrap();

    assert_eq!(response.body().len(), 1024);
}

/// The server streams an endless chunked body without `Content-Length`: only a limit
/// enforced while streaming can end the call with `BodyTooLarge` (buffering first
/// would run into the 30 s request timeout instead).
#[tokio::test]
async fn the_body_limit_is_enforced_while_streaming() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        read_request_head(&mut socket).await;
        let head = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n";
        if socket.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        let chunk = format!("400\r\n{}\r\n", "b".repeat(1024));
        while socket.write_all(chunk.as_bytes()).await.is_ok() {}
    });
    let clock = FakeClock::new();
    let transport = builder(&format!("http://127.0.0.1:{port}"), &clock)
        .body_limit(64 * 1024)
        .build()
        .unwrap();

    let err = transport
        .execute(&get("/x"), &CountingSigner::default())
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::BodyTooLarge { limit: 64 * 1024 });
}

// ---------------------------------------------------------------- timeouts

/// `https://` to a listener that never answers the TLS ClientHello: TCP connects at
/// once, the handshake never ends, so only the connect timeout (100 ms) can fire
/// before the request timeout (60 s).
#[tokio::test]
async fn connect_timeout_is_its_own_kind() {
    let (_listener, port) = silent_listener().await;
    let clock = FakeClock::new();
    let transport = builder(&format!("https://127.0.0.1:{port}"), &clock)
        .connect_timeout(Duration::from_millis(100))
        .request_timeout(Duration::from_secs(60))
        .retry_policy(RetryPolicy::no_retry())
        .build()
        .unwrap();

    let err = transport
        .execute(&get("/x"), &CountingSigner::default())
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Timeout(TimeoutPhase::Connect));
    assert!(err.is_timeout());
}

#[tokio::test]
async fn request_timeout_is_its_own_kind() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(10)))
        .mount(&server)
        .await;
    let clock = FakeClock::new();
    let transport = builder(&server.uri(), &clock)
        .request_timeout(Duration::from_millis(200))
        .retry_policy(RetryPolicy::no_retry())
        .build()
        .unwrap();

    let err = transport
        .execute(&get("/x"), &CountingSigner::default())
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Timeout(TimeoutPhase::Request));
    assert!(err.is_timeout());
    assert_eq!(err.attempts(), 1);
}

#[tokio::test]
async fn timeouts_are_retried() {
    let (_listener, port) = silent_listener().await;
    let clock = FakeClock::new();
    let signer = CountingSigner::default();
    let transport = builder(&format!("http://127.0.0.1:{port}"), &clock)
        .request_timeout(Duration::from_millis(100))
        .retry_policy(fast_policy().with_max_attempts(2))
        .build()
        .unwrap();

    let err = transport.execute(&get("/x"), &signer).await.unwrap_err();

    assert!(err.is_timeout());
    assert_eq!(err.attempts(), 2);
    assert_eq!(signer.calls(), 2);
}

// ----------------------------------------------------------- response data

#[tokio::test]
async fn request_id_is_captured_whatever_its_case() {
    for name in ["Request-ID", "request-id", "REQUEST-ID"] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(404).insert_header(name, "08F4A1B2-77"))
            .mount(&server)
            .await;
        let clock = FakeClock::new();
        let transport = builder(&server.uri(), &clock).build().unwrap();

        let response = transport
            .execute(&get("/x"), &CountingSigner::default())
            .await
            .unwrap();

        assert_eq!(response.request_id(), Some("08F4A1B2-77"), "header {name}");
    }
}

#[tokio::test]
async fn request_id_is_none_when_absent() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let clock = FakeClock::new();
    let transport = builder(&server.uri(), &clock).build().unwrap();

    let response = transport
        .execute(&get("/x"), &CountingSigner::default())
        .await
        .unwrap();

    assert_eq!(response.request_id(), None);
}

#[tokio::test]
async fn user_agent_names_the_sdk_and_version() {
    let server = MockServer::start().await;
    Mock::given(path("/x"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let clock = FakeClock::new();
    let transport = builder(&server.uri(), &clock).build().unwrap();

    transport
        .execute(&get("/x"), &CountingSigner::default())
        .await
        .unwrap();

    let requests = server.received_requests().await.unwrap();
    let ua = requests[0].headers.get(header::USER_AGENT).unwrap();
    let expected = format!("wxpay-coupon-rs/{} (", env!("CARGO_PKG_VERSION"));
    assert!(ua.to_str().unwrap().starts_with(&expected), "{ua:?}");
}

// ------------------------------------------------------------ keep-alive

/// A minimal HTTP/1.1 keep-alive server that counts accepted connections.
async fn counting_server() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(AtomicUsize::new(0));
    let count = connections.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                while read_request_head(&mut socket).await {
                    let response = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}";
                    if socket.write_all(response.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, connections)
}

/// Reads one request head (GET, no body). `false` when the peer closed.
async fn read_request_head(socket: &mut tokio::net::TcpStream) -> bool {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match socket.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => return false,
        }
    }
    true
}

#[tokio::test]
async fn sequential_calls_reuse_one_connection() {
    let (port, connections) = counting_server().await;
    let clock = FakeClock::new();
    let transport = builder(&format!("http://127.0.0.1:{port}"), &clock)
        .build()
        .unwrap();

    for _ in 0..3 {
        let response = transport
            .execute(&get("/x"), &CountingSigner::default())
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }

    assert_eq!(connections.load(Ordering::SeqCst), 1);
}

/// Control for the test above: with pooling off, the same server sees one connection
/// per call, so it does tell reuse apart.
#[tokio::test]
async fn without_idle_pooling_each_call_opens_a_connection() {
    let (port, connections) = counting_server().await;
    let clock = FakeClock::new();
    let transport = builder(&format!("http://127.0.0.1:{port}"), &clock)
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();

    for _ in 0..3 {
        transport
            .execute(&get("/x"), &CountingSigner::default())
            .await
            .unwrap();
    }

    assert_eq!(connections.load(Ordering::SeqCst), 3);
}

// ------------------------------------------------- requests and config

#[tokio::test]
async fn an_invalid_path_is_rejected_before_sending() {
    let server = MockServer::start().await;
    let clock = FakeClock::new();
    let transport = builder(&server.uri(), &clock).build().unwrap();

    for bad in ["relative/path", "/with space", "https://host/x"] {
        let err = transport
            .execute(&get(bad), &CountingSigner::default())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidRequest, "{bad}");
    }
    assert_eq!(received(&server).await, 0);
}

#[test]
fn base_urls_must_be_scheme_and_host_only() {
    for bad in [
        "api.mch.weixin.qq.com",
        "ftp://api.mch.weixin.qq.com",
        "https://api.mch.weixin.qq.com/v3",
        "https://api.mch.weixin.qq.com/?a=b",
    ] {
        let err = Transport::builder()
            .primary_base_url(bad)
            .build()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{bad}");
    }
    let transport = Transport::builder()
        .primary_base_url("https://api.mch.weixin.qq.com/")
        .build()
        .unwrap();
    assert_eq!(
        transport.primary_base_url(),
        "https://api.mch.weixin.qq.com"
    );
    assert_eq!(
        transport.backup_base_url(),
        Some("https://api2.mch.weixin.qq.com")
    );
}

// ------------------------------------------------------ custom connector

/// A fake HTTP stack: fails with an I/O error once, then answers with a canned
/// response; records the URIs it was asked for.
#[derive(Debug, Default)]
struct FlakyConnector {
    uris: Mutex<Vec<String>>,
    body: Bytes,
}

impl HttpConnector for FlakyConnector {
    fn call(&self, request: http::Request<Bytes>) -> ConnectorFuture<'_> {
        let mut uris = self.uris.lock().unwrap();
        uris.push(request.uri().to_string());
        let first = uris.len() == 1;
        let body = self.body.clone();
        Box::pin(async move {
            if first {
                return Err(Error::io("connection reset by peer"));
            }
            Ok(http::Response::builder()
                .status(200)
                .header("Request-Id", "from-fake")
                .body(body)
                .unwrap())
        })
    }
}

#[tokio::test]
async fn io_errors_are_retried_on_the_same_host_through_a_custom_connector() {
    let connector = Arc::new(FlakyConnector::default());
    let clock = FakeClock::new();
    let transport = Transport::builder()
        .connector(connector.clone())
        .retry_policy(fast_policy())
        .clock(clock.clone())
        .build()
        .unwrap();

    let response = transport
        .execute(&get("/v3/x?y=1"), &CountingSigner::default())
        .await
        .unwrap();

    assert_eq!(response.request_id(), Some("from-fake"));
    assert_eq!(response.endpoint(), Endpoint::Primary);
    assert_eq!(
        *connector.uris.lock().unwrap(),
        vec![
            "https://api.mch.weixin.qq.com/v3/x?y=1".to_owned(),
            "https://api.mch.weixin.qq.com/v3/x?y=1".to_owned(),
        ]
    );
}

#[tokio::test]
async fn the_body_limit_also_applies_to_custom_connectors() {
    let connector = Arc::new(FlakyConnector {
        body: Bytes::from(vec![0u8; 100]),
        ..FlakyConnector::default()
    });
    let clock = FakeClock::new();
    let transport = Transport::builder()
        .connector(connector)
        .retry_policy(fast_policy())
        .body_limit(99)
        .clock(clock)
        .build()
        .unwrap();

    let err = transport
        .execute(&get("/x"), &CountingSigner::default())
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::BodyTooLarge { limit: 99 });
}

#[tokio::test]
async fn the_default_connector_refuses_plain_http_unless_allowed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let request = || {
        http::Request::builder()
            .uri(format!("{}/x", server.uri()))
            .body(Bytes::new())
            .unwrap()
    };

    let https_only = HyperConnector::new(HyperConnectorConfig::default()).unwrap();
    let err = https_only.call(request()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connect);
    assert_eq!(received(&server).await, 0, "nothing sent in clear text");

    let mut config = HyperConnectorConfig::default();
    config.allow_http = true;
    let allowed = HyperConnector::new(config).unwrap();
    assert_eq!(allowed.call(request()).await.unwrap().status(), 200);
}

#[test]
fn execute_returns_a_send_future() {
    fn assert_send<T: Send>(_: T) {}
    let transport = Transport::builder().build().unwrap();
    let template = get("/x");
    assert_send(transport.execute(&template, &coupon_http::NoopHook));
}
