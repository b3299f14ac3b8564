//! Webhooks end to end: the sandbox POSTs a signed, encrypted notification to an
//! axum endpoint that uses the client's `WebhookHandler`.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use coupon_client::coupon_model::webhook::ProductCouponSendEvent;
use coupon_client::{ErrorKind, ReceivedWebhook, WebhookHandler};
use coupon_e2e::{Sandbox, start_sandbox};
use coupon_sandbox::WebhookOptions;

type Log = Arc<Mutex<Vec<Result<ReceivedWebhook, ErrorKind>>>>;

fn handler_for(sandbox: &Sandbox) -> WebhookHandler {
    WebhookHandler::new(
        sandbox.verifier().unwrap(),
        sandbox.credentials().apiv3_key.clone(),
    )
}

/// Serves `POST /notify` on 127.0.0.1 and records what the handler concluded.
async fn endpoint(handler: WebhookHandler) -> (String, Log) {
    let log: Log = Arc::default();
    let state = (handler, log.clone());
    async fn notify(
        State((handler, log)): State<(WebhookHandler, Log)>,
        headers: HeaderMap,
        body: Bytes,
    ) -> StatusCode {
        let result = handler.handle(&headers, &body);
        let status = WebhookHandler::status_for(&result);
        log.lock().unwrap().push(result.map_err(|e| e.kind()));
        status
    }
    let app = Router::new()
        .route("/notify", post(notify))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, log)
}

#[tokio::test]
async fn a_send_notification_arrives_verified_and_typed() {
    let sandbox = start_sandbox().await;
    let (url, log) = endpoint(handler_for(&sandbox)).await;
    let event: ProductCouponSendEvent = sandbox.sample_send_event().unwrap();
    let status = sandbox.send_webhook(&url, &event).await.unwrap();
    assert_eq!(status, StatusCode::NO_CONTENT);
    let log = log.lock().unwrap();
    let received = log[0].as_ref().unwrap();
    assert_eq!(
        received.notification.event_type.as_str(),
        "PRODUCT_COUPON.SEND"
    );
    assert_eq!(received.event.as_send(), Some(&event));
}

#[tokio::test]
async fn a_probe_notification_is_answered_with_a_4xx() {
    let sandbox = start_sandbox().await;
    let (url, log) = endpoint(handler_for(&sandbox)).await;
    let event = sandbox.sample_send_event().unwrap();
    let status = sandbox
        .send_webhook_with(&url, &event, WebhookOptions::signature_probe())
        .await
        .unwrap();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        log.lock().unwrap()[0].as_ref().err(),
        Some(&ErrorKind::SignatureProbe)
    );
}

#[tokio::test]
async fn bad_and_stale_notifications_are_refused() {
    let sandbox = start_sandbox().await;
    let (url, log) = endpoint(handler_for(&sandbox)).await;
    let event = sandbox.sample_send_event().unwrap();
    let bad = WebhookOptions {
        bad_signature: true,
        ..WebhookOptions::new()
    };
    let stale = WebhookOptions {
        stale_timestamp: true,
        ..WebhookOptions::new()
    };
    assert_eq!(
        sandbox.send_webhook_with(&url, &event, bad).await.unwrap(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        sandbox
            .send_webhook_with(&url, &event, stale)
            .await
            .unwrap(),
        StatusCode::UNAUTHORIZED
    );
    let log = log.lock().unwrap();
    assert!(
        log.iter()
            .all(|r| r.as_ref().err() == Some(&ErrorKind::Verification))
    );
}
