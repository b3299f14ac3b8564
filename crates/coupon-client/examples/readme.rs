//! The README's Rust snippets, compiled: each function body holds one snippet
//! verbatim (indented by four spaces), and `tests/readme.rs` fails when the
//! README and this file drift apart. Edit both together.
//!
//! They need real keys to run; to see every operation work without an account,
//! run `cargo run -p coupon-cli -- demo`.

use http::{HeaderMap, StatusCode};

/// "A service in fifteen lines".
async fn service() -> Result<(), Box<dyn std::error::Error>> {
    use coupon_client::BrandClient;
    use coupon_client::coupon_model::stock::{ListStocksRequest, StockState};
    use coupon_client::wxpay_sign::{PrivateKey, PublicKey};
    use futures_util::StreamExt; // futures-util = "0.3"

    let client = BrandClient::builder()
        .brand_id("1001") // your brand id
        .serial_no("1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C") // your API certificate's serial
        .private_key(PrivateKey::from_pem_file("apiclient_key.pem")?)
        .wechatpay_public_key(
            "PUB_KEY_ID_0114232134912410000000000000",
            PublicKey::from_pem_file("pub_key.pem")?,
        )
        .build()?;
    let request = ListStocksRequest::new("1000000013").with_state(StockState::Sending);
    let mut stocks = client.list_stocks_stream(request); // follows next_page_token, one page at a time
    while let Some(stock) = stocks.next().await {
        println!("{}", stock?.stock_id);
    }
    Ok(())
}

/// "Every operation": any request type through the one generic call.
async fn any_operation(
    client: coupon_client::BrandClient,
) -> Result<(), Box<dyn std::error::Error>> {
    use coupon_client::coupon_model::operations::SendUserProductCouponRequest;
    use coupon_client::coupon_model::user_coupon::SendUserProductCouponBody;

    let body = SendUserProductCouponBody::new(
        "1000000013",           // product_coupon_id
        "1000000013001",        // stock_id
        "wx233544546545989",    // the appid of the openid
        "SEND_20250801_000001", // send_request_no: retries with it never send twice
    );
    let request = SendUserProductCouponRequest::new("oh-394z-6CGkNoJrsDLTTUKiAnp4", body);
    let coupon = client.call(&request).await?; // CONFIRMING until you confirm it
    println!("sent {} ({:?})", coupon.coupon_code, coupon.coupon_state);
    Ok(())
}

/// "Webhooks": `headers` and `body` are what your HTTP framework received.
fn webhook(headers: HeaderMap, body: Vec<u8>) -> Result<StatusCode, Box<dyn std::error::Error>> {
    use coupon_client::WebhookHandler;
    use coupon_client::wxpay_sign::{ApiV3Key, PublicKey, Verifier};

    let verifier = Verifier::builder()
        .public_key(
            "PUB_KEY_ID_0114232134912410000000000000",
            PublicKey::from_pem_file("pub_key.pem")?,
        )
        .build()?;
    let handler = WebhookHandler::new(verifier, ApiV3Key::new(std::env::var("WXPAY_APIV3_KEY")?)?);

    // in your HTTP handler, with the raw header map and the exact body bytes:
    let result = handler.handle(&headers, &body);
    if let Some(send) = result.as_ref().ok().and_then(|r| r.event.as_send()) {
        // deduplicate on coupon_code + event type, then act on it
        println!("coupon {} received by {}", send.coupon_code, send.openid);
    }
    let status = WebhookHandler::status_for(&result); // 204 only when verified and decrypted
    Ok(status)
}

/// "WeChat Pay keys": a partner client with the APIv3 key (platform
/// certificates), its webhook handler and sensitive fields.
async fn keys(headers: HeaderMap, body: Vec<u8>) -> Result<(), Box<dyn std::error::Error>> {
    use coupon_client::PartnerClient;
    use coupon_client::coupon_model::operations::GetProductCouponRequest;
    use coupon_client::wxpay_sign::{ApiV3Key, PrivateKey, PublicKey};

    let client = PartnerClient::builder()
        .mchid("1900000001")
        .serial_no("1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C")
        .private_key(PrivateKey::from_pem_file("apiclient_key.pem")?)
        .apiv3_key(ApiV3Key::new(std::env::var("WXPAY_APIV3_KEY")?)?) // platform certificates
        .wechatpay_public_key(
            "PUB_KEY_ID_0114232134912410000000000000", // optional with the APIv3 key
            PublicKey::from_pem_file("pub_key.pem")?,
        )
        .brand_id("1001")
        .build()?;
    let request = GetProductCouponRequest::new("1000000013");
    let coupon = client.call(&request).await?;
    let keys = client.verifier().key_ids(); // public key ids and certificate serials held now
    println!("{:?} verified by {keys:?}", coupon.product_coupon_id);

    // Notifications, on the same live keys (an unknown serial refreshes them once):
    let handler = client.webhook_handler(ApiV3Key::new(std::env::var("WXPAY_APIV3_KEY")?)?);
    let result = handler.handle_async(&headers, &body).await;

    // Sensitive fields: one key, chosen once, both for the field and for Wechatpay-Serial.
    let fields = client.sensitive_fields().await?;
    let encrypted_name = fields.encrypt("张三")?; // put it in the request body, then
    // client.call_with(&fields, &request).await? sends fields.key_id() as Wechatpay-Serial
    let _ = (result, encrypted_name);
    Ok(())
}

fn main() {
    let _compiled_only = (service, any_operation, webhook, keys);
    println!(
        "This example only compiles the README's snippets; they need real keys. \
         Try `cargo run -p coupon-cli -- demo`."
    );
}
