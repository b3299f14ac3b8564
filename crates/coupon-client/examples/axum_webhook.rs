//! Receiving product-coupon notifications in an axum service.
//!
//! ```sh
//! export WXPAY_PUBLIC_KEY_ID=PUB_KEY_ID_… WXPAY_PUBLIC_KEY=/path/pub_key.pem WXPAY_APIV3_KEY=…
//! cargo run -p coupon-client --example axum_webhook
//! ```
//! Point WeChat Pay's notify URL (through your HTTPS front) at `POST /wxpay/notify`.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use coupon_client::wxpay_sign::{ApiV3Key, PublicKey, Verifier};
use coupon_client::{ErrorKind, WebhookHandler};

/// The route handler: verify + decrypt, act, and answer within 5 seconds.
async fn notify(
    State(handler): State<WebhookHandler>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let result = handler.handle(&headers, &body);
    match &result {
        Ok(received) => {
            if let Some(send) = received.event.as_send() {
                // Deduplicate on coupon_code + event type (deliveries repeat), then
                // hand off to a queue and confirm the coupon with the confirm API.
                println!(
                    "coupon {} sent to a user (stock {})",
                    send.coupon_code, send.stock_id
                );
            }
        }
        // WeChat Pay's deliberate probes: expected now and then, log calmly.
        Err(e) if e.kind() == ErrorKind::SignatureProbe => println!("signature probe rejected"),
        Err(e) => eprintln!("notification rejected: {e}"),
    }
    let status = WebhookHandler::status_for(&result);
    let body = result
        .err()
        .map(|e| WebhookHandler::failure_body(&e))
        .unwrap_or_default();
    (status, body)
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("set {name}"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let verifier = Verifier::builder()
        .public_key(
            env("WXPAY_PUBLIC_KEY_ID")?,
            PublicKey::from_pem_file(env("WXPAY_PUBLIC_KEY")?)?,
        )
        .build()?;
    let handler = WebhookHandler::new(verifier, ApiV3Key::new(env("WXPAY_APIV3_KEY")?)?);
    let app = Router::new()
        .route("/wxpay/notify", post(notify))
        .with_state(handler);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
    println!(
        "listening on http://{}/wxpay/notify",
        listener.local_addr()?
    );
    axum::serve(listener, app).await?;
    Ok(())
}
