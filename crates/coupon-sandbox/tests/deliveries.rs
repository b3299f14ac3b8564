//! Notifications from state: a send with a notify URL set POSTs a signed,
//! encrypted SEND notification (the service provider's variant for partner
//! sends), redelivered with the same id until the receiver answers 2xx, and
//! logged. Delays are a millisecond; tests wait for the deliveries to settle
//! (an explicit signal), never for time.

mod common;

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use common::*;
use coupon_model::webhook::{Notification, ProductCouponEvent};
use coupon_sandbox::{DeliveryOutcome, WebhookRetry};
use http::{HeaderMap, Method, Request, Response};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::json;
use wxpay_sign::decrypt_resource;

const DAY: i64 = 86_400;

/// What the receiver does with one request.
#[derive(Debug, Clone, Copy)]
enum Answer {
    Status(u16),
    /// Close the connection without an answer.
    Hang,
}

type Captured = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

/// A loopback receiver answering from `script` (then 204 forever).
async fn receiver(script: Vec<Answer>) -> (String, Captured) {
    let (url, captured, _) = signalling_receiver(script).await;
    (url, captured)
}

/// [`receiver`], also signalling each request's arrival.
async fn signalling_receiver(script: Vec<Answer>) -> (String, Captured, Arc<tokio::sync::Notify>) {
    let arrived = Arc::new(tokio::sync::Notify::new());
    let signal = arrived.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    let captured: Captured = Arc::default();
    let script = Arc::new(Mutex::new(VecDeque::from(script)));
    let sink = captured.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let sink = sink.clone();
            let script = script.clone();
            let signal = signal.clone();
            tokio::spawn(async move {
                let signal = signal.clone();
                let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                    let sink = sink.clone();
                    let script = script.clone();
                    let signal = signal.clone();
                    async move {
                        let (parts, body) = req.into_parts();
                        let body = body.collect().await.unwrap().to_bytes();
                        sink.lock().unwrap().push((parts.headers, body));
                        signal.notify_one();
                        let answer = script
                            .lock()
                            .unwrap()
                            .pop_front()
                            .unwrap_or(Answer::Status(204));
                        match answer {
                            Answer::Status(code) => Ok::<_, Infallible>(
                                Response::builder()
                                    .status(code)
                                    .body(Full::new(Bytes::new()))
                                    .unwrap(),
                            ),
                            Answer::Hang => std::future::pending().await,
                        }
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (url, captured, arrived)
}

fn fast() -> WebhookRetry {
    WebhookRetry::new()
        .with_first_delay(Duration::from_millis(1))
        .with_max_delay(Duration::from_millis(4))
        .with_answer_timeout(Duration::from_millis(200))
        .with_max_attempts(4)
}

fn open(h: &Harness, headers: &HeaderMap, body: &[u8]) -> (Notification, ProductCouponEvent) {
    h.sandbox
        .verifier()
        .unwrap()
        .verify_headers(headers, body)
        .expect("the notification verifies");
    assert_eq!(
        headers["wechatpay-signature-type"],
        "WECHATPAY2-SHA256-RSA2048"
    );
    let envelope: Notification = serde_json::from_slice(body).unwrap();
    let r = &envelope.resource;
    let plain = decrypt_resource(
        &h.sandbox.credentials().apiv3_key,
        &r.algorithm,
        &r.nonce,
        r.associated_data.as_deref().unwrap_or(""),
        &r.ciphertext,
    )
    .expect("it decrypts with the APIv3 key");
    (envelope, serde_json::from_slice(&plain).unwrap())
}

async fn settled(h: &Harness) -> Vec<coupon_sandbox::Delivery> {
    tokio::time::timeout(Duration::from_secs(30), h.sandbox.settled_deliveries())
        .await
        .expect("deliveries settle")
}

async fn product_coupon(h: &Harness, side: Side, no: &str) -> (String, String) {
    let created = h
        .ok(
            side,
            Method::POST,
            "/product-coupons",
            Some(single_product_coupon(
                no,
                new_stock("WECHATPAY", 100, 5, NOW - DAY, NOW + DAY),
            )),
        )
        .await;
    (
        created["product_coupon_id"].as_str().unwrap().to_owned(),
        created["stock"]["stock_id"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_send_notifies_the_brand_and_redelivers_the_same_notification_until_2xx() {
    let (url, captured) =
        receiver(vec![Answer::Status(500), Answer::Hang, Answer::Status(204)]).await;
    let h = Harness::start_with(|b| b.webhook_retry(fast())).await;
    h.ok(
        Side::Brand,
        Method::POST,
        "/notify-configs",
        Some(json!({ "notify_url": url })),
    )
    .await;
    let (pc, stock) = product_coupon(&h, Side::Brand, "notify_brand").await;
    let sent = h
        .ok(
            Side::Brand,
            Method::POST,
            &format!("/users/{NEW_OPENID}/coupons"),
            Some(send_body(&pc, &stock, "notify_send_1")),
        )
        .await;
    let log = settled(&h).await;
    assert_eq!(log.len(), 1);
    let delivery = &log[0];
    assert_eq!(delivery.outcome, DeliveryOutcome::Delivered);
    assert_eq!(delivery.event_type, "PRODUCT_COUPON.SEND");
    assert_eq!(
        delivery.coupon_code.as_deref(),
        sent["coupon_code"].as_str()
    );
    let statuses: Vec<Option<u16>> = delivery.attempts.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [Some(500), None, Some(204)]);
    assert!(delivery.attempts[1].error.is_some());

    let captured = captured.lock().unwrap().clone();
    assert_eq!(captured.len(), 3);
    let mut ids = Vec::new();
    for (headers, body) in &captured {
        let (envelope, event) = open(&h, headers, body);
        assert_eq!(envelope.event_type.as_str(), "PRODUCT_COUPON.SEND");
        assert_eq!(
            event.coupon_code.as_str(),
            sent["coupon_code"].as_str().unwrap()
        );
        assert_eq!(event.openid.as_str(), NEW_OPENID);
        assert_eq!(event.stock_id.as_str(), stock);
        assert_eq!(
            event.send_request_no.as_ref().unwrap().as_str(),
            "notify_send_1"
        );
        assert_eq!(
            event.valid_end_time.as_ref().unwrap().as_str(),
            sent["valid_end_time"].as_str().unwrap()
        );
        assert!(
            event.brand_id.is_none(),
            "the brand's variant names no brand"
        );
        ids.push(envelope.id);
    }
    assert!(
        ids.iter().all(|id| *id == delivery.id),
        "one notification, redelivered: {ids:?}"
    );
    // The same bytes each time, signed anew.
    assert!(captured.windows(2).all(|w| w[0].1 == w[1].1));
}

#[tokio::test]
async fn a_partner_send_notifies_the_service_provider_with_brand_id() {
    let (url, captured) = receiver(vec![]).await;
    let h = Harness::start_with(|b| b.webhook_retry(fast())).await;
    h.ok(
        Side::Partner,
        Method::POST,
        "/notify-configs",
        Some(json!({ "notify_url": url })),
    )
    .await;
    let (pc, stock) = product_coupon(&h, Side::Partner, "notify_partner").await;
    h.ok(
        Side::Partner,
        Method::POST,
        &format!("/users/{NEW_OPENID}/coupons"),
        Some(send_body(&pc, &stock, "notify_send_2")),
    )
    .await;
    // A brand-side send goes to the brand's URL, and the brand has none: no notification.
    h.ok(
        Side::Brand,
        Method::POST,
        "/users/oBrandSide-0000000000000001/coupons",
        Some(send_body(&pc, &stock, "notify_send_3")),
    )
    .await;
    let log = settled(&h).await;
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].event_type, "PRODUCT_COUPON_SP.SEND");
    let (headers, body) = captured.lock().unwrap()[0].clone();
    let (envelope, event) = open(&h, &headers, &body);
    assert_eq!(envelope.event_type.as_str(), "PRODUCT_COUPON_SP.SEND");
    assert_eq!(
        event.brand_id.unwrap().as_str(),
        h.sandbox.credentials().brand_id
    );
}

#[tokio::test]
async fn delivery_gives_up_after_the_last_attempt() {
    let (url, captured) = receiver(vec![Answer::Status(503); 10]).await;
    let h =
        Harness::start_with(|b| b.webhook_retry(fast().with_max_attempts(3)).notify_url(url)).await;
    let (pc, stock) = product_coupon(&h, Side::Brand, "notify_fail").await;
    h.ok(
        Side::Brand,
        Method::POST,
        &format!("/users/{NEW_OPENID}/coupons"),
        Some(send_body(&pc, &stock, "notify_send_4")),
    )
    .await;
    let log = settled(&h).await;
    assert_eq!(log[0].outcome, DeliveryOutcome::Failed);
    assert_eq!(log[0].attempts.len(), 3);
    assert!(
        log[0].error.as_deref().unwrap().contains("503"),
        "{:?}",
        log[0].error
    );
    assert_eq!(captured.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn a_url_off_loopback_is_never_posted_to_and_logged_refused() {
    let h = Harness::start_with(|b| b.webhook_retry(fast())).await;
    h.ok(
        Side::Brand,
        Method::POST,
        "/notify-configs",
        Some(json!({ "notify_url": "https://merchant.example/notify" })),
    )
    .await;
    let (pc, stock) = product_coupon(&h, Side::Brand, "notify_remote").await;
    h.ok(
        Side::Brand,
        Method::POST,
        &format!("/users/{NEW_OPENID}/coupons"),
        Some(send_body(&pc, &stock, "notify_send_5")),
    )
    .await;
    let log = settled(&h).await;
    assert_eq!(log[0].outcome, DeliveryOutcome::Refused);
    assert!(log[0].attempts.is_empty());
    assert!(log[0].error.as_deref().unwrap().contains("loopback"));
}

#[test]
fn redelivery_starts_after_a_second_and_is_bounded_by_default() {
    let retry = WebhookRetry::default();
    assert_eq!(retry.first_delay, Duration::from_secs(1));
    assert_eq!(retry.max_attempts, 15);
    assert_eq!(retry.answer_timeout, Duration::from_secs(5));
    assert!(retry.max_delay >= retry.first_delay);
}

#[tokio::test]
async fn shutdown_interrupts_pending_deliveries_and_the_state_file_keeps_the_log() {
    let (url, _captured, arrived) = signalling_receiver(vec![Answer::Status(500); 100]).await;
    let dir = std::env::temp_dir().join(format!("sandbox-deliveries-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("state.json");
    let _ = std::fs::remove_file(&file);
    let retry = fast()
        .with_first_delay(Duration::from_secs(3600))
        .with_max_delay(Duration::from_secs(3600));
    let h = Harness::start_with(|b| b.webhook_retry(retry).notify_url(url).state_file(&file)).await;
    let (pc, stock) = product_coupon(&h, Side::Brand, "notify_stop").await;
    h.ok(
        Side::Brand,
        Method::POST,
        &format!("/users/{NEW_OPENID}/coupons"),
        Some(send_body(&pc, &stock, "notify_send_6")),
    )
    .await;
    arrived.notified().await;
    assert_eq!(h.sandbox.deliveries()[0].outcome, DeliveryOutcome::Pending);
    h.sandbox.shutdown().await;
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(
        saved["deliveries"][0]["outcome"], "INTERRUPTED",
        "{}",
        saved["deliveries"]
    );
    assert!(
        saved["state"]["coupons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["coupon"]["send_request_no"] == "notify_send_6")
    );
    let _ = std::fs::remove_dir_all(&dir);
}
