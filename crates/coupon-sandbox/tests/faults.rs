//! Every fault mode's observable effect, and when it applies relative to the
//! request's effect.

mod common;

use std::time::{Duration, Instant};

use common::{Harness, STOCKS, add_stock_body};
use coupon_sandbox::{Fault, WRONG_SERIAL, seed};
use http::{Method, StatusCode};
use wxpay_sign::Error as SignError;

fn list() -> String {
    format!("{STOCKS}/{}/stocks?page_size=2", seed::PRODUCT_COUPON_ID)
}

fn add() -> String {
    format!("{STOCKS}/{}/stocks", seed::PRODUCT_COUPON_ID)
}

#[tokio::test]
async fn signature_faults_fail_verification_with_the_right_kind() {
    let h = Harness::start().await;
    h.sandbox.inject(Fault::SignatureProbe, 1);
    h.sandbox.inject(Fault::BadSignature, 1);
    h.sandbox.inject(Fault::StaleTimestamp, 1);
    h.sandbox.inject(Fault::WrongSerial, 1);
    assert_eq!(h.sandbox.pending_faults(), 4);

    let probe = h.send(h.brand(Method::GET, list(), b"")).await;
    assert_eq!(probe.status, StatusCode::OK, "the body itself is normal");
    assert!(
        probe
            .header("Wechatpay-Signature")
            .starts_with("WECHATPAY/SIGNTEST/")
    );
    let err = h.verify(&probe).unwrap_err();
    assert!(err.is_signature_probe(), "{err}");

    let bad = h.send(h.brand(Method::GET, list(), b"")).await;
    assert!(matches!(
        h.verify(&bad).unwrap_err(),
        SignError::BadSignature { .. }
    ));

    let stale = h.send(h.brand(Method::GET, list(), b"")).await;
    assert_eq!(
        stale.header("Wechatpay-Timestamp"),
        (common::NOW - 600).to_string()
    );
    assert!(matches!(
        h.verify(&stale).unwrap_err(),
        SignError::TimestampSkew { .. }
    ));

    let serial = h.send(h.brand(Method::GET, list(), b"")).await;
    assert_eq!(serial.header("Wechatpay-Serial"), WRONG_SERIAL);
    assert!(matches!(
        h.verify(&serial).unwrap_err(),
        SignError::UnknownSerial { .. }
    ));

    // The queue is empty again: answers verify.
    assert_eq!(h.sandbox.pending_faults(), 0);
    h.get(list()).await;
}

#[tokio::test]
async fn rate_limited_happens_before_handling_and_is_consumed_per_request() {
    let h = Harness::start().await;
    h.sandbox.inject(Fault::RateLimited, 2);
    let body = add_stock_body("fault_rate_0001", "限流");
    for _ in 0..2 {
        let reply = h.send_verified(h.brand(Method::POST, add(), &body)).await;
        assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(reply.code(), "RATELIMIT_EXCEEDED");
        assert_eq!(reply.header("Retry-After"), "0");
        assert_eq!(
            h.sandbox.stock_count(seed::PRODUCT_COUPON_ID),
            seed::SINGLE_STOCK_COUNT
        );
    }
    let reply = h.send_verified(h.brand(Method::POST, add(), &body)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        h.sandbox.stock_count(seed::PRODUCT_COUPON_ID),
        seed::SINGLE_STOCK_COUNT + 1
    );
    assert_eq!(h.sandbox.requests_seen(), 3);
}

#[tokio::test]
async fn server_error_after_handling_then_a_retry_replays_exactly_one_stock() {
    let h = Harness::start().await;
    h.sandbox.inject(Fault::ServerError, 1);
    let body = add_stock_body("fault_500_after_1", "重试");
    let reply = h.send_verified(h.brand(Method::POST, add(), &body)).await;
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (StatusCode::INTERNAL_SERVER_ERROR, "SYSTEM_ERROR")
    );
    assert_eq!(
        h.sandbox.stock_count(seed::PRODUCT_COUPON_ID),
        seed::SINGLE_STOCK_COUNT + 1,
        "the stock was created"
    );
    let retry = h.send_verified(h.brand(Method::POST, add(), &body)).await;
    assert_eq!(retry.status, StatusCode::OK);
    assert_eq!(
        h.sandbox.stock_count(seed::PRODUCT_COUPON_ID),
        seed::SINGLE_STOCK_COUNT + 1,
        "exactly one stock"
    );
    let created = h.sandbox.stocks(seed::PRODUCT_COUPON_ID).pop().unwrap();
    assert_eq!(retry.json()["stock_id"], created.stock_id.as_str());
}

#[tokio::test]
async fn server_error_before_handling_has_no_effect() {
    let h = Harness::start().await;
    h.sandbox.inject(Fault::ServerErrorBeforeHandling, 1);
    let body = add_stock_body("fault_500_before", "无效果");
    let reply = h.send_verified(h.brand(Method::POST, add(), &body)).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(reply.code(), "SYSTEM_ERROR");
    assert_eq!(
        h.sandbox.stock_count(seed::PRODUCT_COUPON_ID),
        seed::SINGLE_STOCK_COUNT
    );
}

#[tokio::test]
async fn slow_delays_the_answer_without_changing_it() {
    let h = Harness::start().await;
    let delay = Duration::from_millis(300);
    h.sandbox.inject(Fault::Slow(delay), 1);
    let started = Instant::now();
    let reply = h.get(list()).await;
    // A lower bound only: the sandbox waited at least `delay` before answering.
    assert!(started.elapsed() >= delay);
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["stock_list"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn drop_connection_closes_the_socket_after_the_effect() {
    let h = Harness::start().await;
    h.sandbox.inject(Fault::DropConnection, 1);
    let body = add_stock_body("fault_drop_after", "断开");
    let err = h
        .try_send(h.brand(Method::POST, add(), &body))
        .await
        .expect_err("no response at all");
    assert!(
        !err.is_connect(),
        "the connection was made, then dropped: {err:?}"
    );
    assert_eq!(
        h.sandbox.stock_count(seed::PRODUCT_COUPON_ID),
        seed::SINGLE_STOCK_COUNT + 1
    );
    // The retry replays the same stock; the sandbox still serves new connections.
    let retry = h.send_verified(h.brand(Method::POST, add(), &body)).await;
    assert_eq!(retry.status, StatusCode::OK);
    assert_eq!(
        h.sandbox.stock_count(seed::PRODUCT_COUPON_ID),
        seed::SINGLE_STOCK_COUNT + 1
    );
}

#[tokio::test]
async fn drop_connection_before_handling_has_no_effect() {
    let h = Harness::start().await;
    h.sandbox.inject(Fault::DropConnectionBeforeHandling, 1);
    let body = add_stock_body("fault_drop_befor", "断开");
    assert!(
        h.try_send(h.brand(Method::POST, add(), &body))
            .await
            .is_err()
    );
    assert_eq!(
        h.sandbox.stock_count(seed::PRODUCT_COUPON_ID),
        seed::SINGLE_STOCK_COUNT
    );
    assert_eq!(h.sandbox.requests_seen(), 1);
}

#[tokio::test]
async fn a_dropped_connection_sends_no_bytes() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    let h = Harness::start().await;
    h.sandbox.inject(Fault::DropConnection, 1);
    let mut stream = tokio::net::TcpStream::connect(h.sandbox.addr())
        .await
        .unwrap();
    stream
        .write_all(b"GET /brand/x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let mut received = Vec::new();
    // EOF (or a reset) without a single byte of response.
    let _ = stream.read_to_end(&mut received).await;
    assert!(
        received.is_empty(),
        "got {:?}",
        String::from_utf8_lossy(&received)
    );
}

#[tokio::test]
async fn clear_faults_empties_the_queue() {
    let h = Harness::start().await;
    h.sandbox.inject(Fault::ServerError, 10);
    h.sandbox.clear_faults();
    assert_eq!(h.sandbox.pending_faults(), 0);
    assert_eq!(h.get(list()).await.status, StatusCode::OK);
}
