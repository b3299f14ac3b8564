//! Every fault mode of the sandbox, seen through the client: the right error kind
//! each time, no panic, and retried or replayed POSTs that create exactly one stock.

use std::net::TcpListener;
use std::time::Duration;

use coupon_client::ErrorKind;
use coupon_client::coupon_http::RetryPolicy;
use coupon_client::coupon_model::ErrorCode;
use coupon_client::coupon_model::stock::{AddStockRequest, CreateStockBody, ListStocksRequest};
use coupon_e2e::{
    Fault, brand_client, brand_client_with, fast_retries, seed, start_sandbox, transport_to,
    valid_stock,
};

fn list() -> ListStocksRequest {
    ListStocksRequest::new(seed::PRODUCT_COUPON_ID).with_page_size(5)
}

/// A loopback port with nothing listening.
fn closed_port_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

#[tokio::test]
async fn response_signature_faults_fail_verification_with_the_right_kind() {
    let sandbox = start_sandbox().await;
    let client = brand_client(&sandbox, RetryPolicy::no_retry());
    for (fault, kind) in [
        (Fault::SignatureProbe, ErrorKind::SignatureProbe),
        (Fault::BadSignature, ErrorKind::Verification),
        (Fault::StaleTimestamp, ErrorKind::Verification),
        (Fault::WrongSerial, ErrorKind::Verification),
    ] {
        sandbox.inject(fault, 1);
        let err = client.list_stocks(&list()).await.unwrap_err();
        assert_eq!(err.kind(), kind, "{fault:?}: {err}");
        assert!(
            err.request_id().is_some(),
            "{fault:?}: the Request-ID is kept for support"
        );
    }
    // Nothing lingers: the next call verifies.
    client.list_stocks(&list()).await.unwrap();
}

#[tokio::test]
async fn rate_limiting_is_retried_and_surfaces_when_retries_are_off() {
    let sandbox = start_sandbox().await;
    sandbox.inject(Fault::RateLimited, 1);
    let before = sandbox.requests_seen();
    brand_client(&sandbox, fast_retries())
        .list_stocks(&list())
        .await
        .unwrap();
    assert_eq!(sandbox.requests_seen() - before, 2, "one 429, one success");

    sandbox.inject(Fault::RateLimited, 1);
    let err = brand_client(&sandbox, RetryPolicy::no_retry())
        .list_stocks(&list())
        .await
        .unwrap_err();
    assert_eq!(err.api_error().unwrap().code, ErrorCode::RatelimitExceeded);
    assert_eq!(err.api_error().unwrap().status.as_u16(), 429);
}

#[tokio::test]
async fn server_errors_exhaust_max_attempts_then_surface() {
    let sandbox = start_sandbox().await;
    sandbox.inject(Fault::ServerErrorBeforeHandling, 5);
    let before = sandbox.requests_seen();
    let err = brand_client(&sandbox, fast_retries())
        .list_stocks(&list())
        .await
        .unwrap_err();
    assert_eq!(err.api_error().unwrap().code, ErrorCode::SystemError);
    assert_eq!(sandbox.requests_seen() - before, 3, "max attempts = 3");
}

#[tokio::test]
async fn a_post_retried_after_a_server_error_creates_exactly_one_stock() {
    let sandbox = start_sandbox().await;
    let client = brand_client(&sandbox, fast_retries());
    let before = sandbox.stock_count(seed::PRODUCT_COUPON_ID);
    sandbox.inject(Fault::ServerError, 1); // the stock is created, then the answer is a 500
    let stock = client
        .add_stock(&AddStockRequest::new(
            seed::PRODUCT_COUPON_ID,
            CreateStockBody::new("e2e_retry_0001", valid_stock("retried")),
        ))
        .await
        .unwrap();
    assert_eq!(sandbox.stock_count(seed::PRODUCT_COUPON_ID), before + 1);
    assert!(
        sandbox
            .stocks(seed::PRODUCT_COUPON_ID)
            .iter()
            .any(|s| s.stock_id == stock.stock_id)
    );
}

/// The connection drops after the stock was created: the request reached the
/// server, so the transport does not resend a POST it was not told is
/// idempotent (coupon-http's retry table); the caller's retry with the same
/// `out_request_no` replays the stock instead of creating a second one.
#[tokio::test]
async fn a_post_whose_connection_dropped_is_not_resent_and_its_replay_creates_one_stock() {
    let sandbox = start_sandbox().await;
    let client = brand_client(&sandbox, fast_retries());
    let before = sandbox.stock_count(seed::PRODUCT_COUPON_ID);
    let seen = sandbox.requests_seen();
    let request = AddStockRequest::new(
        seed::PRODUCT_COUPON_ID,
        CreateStockBody::new("e2e_retry_0002", valid_stock("dropped")),
    );
    sandbox.inject(Fault::DropConnection, 1); // created, then the connection is cut
    match client.add_stock(&request).await {
        Err(coupon_client::Error::Transport(t)) => {
            assert!(t.may_have_reached_server(), "{t}");
            assert_eq!(t.attempts(), 1, "not resent: {t}");
            assert_eq!(sandbox.requests_seen() - seen, 1);
        }
        // A client that marks requests carrying out_request_no idempotent gets
        // the replayed answer from the transport's own retry instead.
        Ok(_) => assert_eq!(sandbox.requests_seen() - seen, 2),
        Err(other) => panic!("expected a transport error, got {other}"),
    }
    assert_eq!(sandbox.stock_count(seed::PRODUCT_COUPON_ID), before + 1);

    let stock = client.add_stock(&request).await.unwrap();
    assert_eq!(sandbox.stock_count(seed::PRODUCT_COUPON_ID), before + 1);
    assert!(
        sandbox
            .stocks(seed::PRODUCT_COUPON_ID)
            .iter()
            .any(|s| s.stock_id == stock.stock_id)
    );
}

#[tokio::test]
async fn a_dropped_connection_without_retries_is_a_transport_error() {
    let sandbox = start_sandbox().await;
    sandbox.inject(Fault::DropConnectionBeforeHandling, 1);
    let err = brand_client(&sandbox, RetryPolicy::no_retry())
        .list_stocks(&list())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err}");
}

#[tokio::test]
async fn a_slow_answer_hits_the_request_timeout() {
    let sandbox = start_sandbox().await;
    sandbox.inject(Fault::Slow(Duration::from_secs(5)), 1);
    let transport = transport_to(
        &sandbox.base_url(),
        None,
        RetryPolicy::no_retry(),
        Duration::from_millis(200),
    );
    let err = brand_client_with(&sandbox, transport, None)
        .list_stocks(&list())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport);
    match &err {
        coupon_client::Error::Transport(t) => assert!(t.is_timeout(), "{t}"),
        other => panic!("expected a transport timeout, got {other}"),
    }
}

#[tokio::test]
async fn a_dead_primary_fails_over_to_the_backup() {
    let sandbox = start_sandbox().await;
    let transport = transport_to(
        &closed_port_url(),
        Some(&sandbox.base_url()),
        fast_retries(),
        Duration::from_secs(10),
    );
    let page = brand_client_with(&sandbox, transport, None)
        .list_stocks(&list())
        .await
        .unwrap();
    assert_eq!(page.stocks().len(), 5);
}

#[tokio::test]
async fn a_dead_host_without_backup_is_a_transport_error_after_the_retries() {
    let sandbox = start_sandbox().await;
    let transport = transport_to(
        &closed_port_url(),
        None,
        fast_retries(),
        Duration::from_secs(10),
    );
    let err = brand_client_with(&sandbox, transport, None)
        .list_stocks(&list())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport);
    match &err {
        coupon_client::Error::Transport(t) => {
            assert!(t.is_connect(), "{t}");
            assert_eq!(t.attempts(), 3);
        }
        other => panic!("expected a transport error, got {other}"),
    }
}
