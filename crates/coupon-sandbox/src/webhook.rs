//! `PRODUCT_COUPON.SEND` webhooks: encrypted, signed, and POSTed over plain
//! HTTP to a loopback receiver.

use std::time::Duration;

use bytes::Bytes;
use coupon_model::time::DateTime;
use coupon_model::user_coupon::UserCoupon;
use coupon_model::webhook::ProductCouponSendEvent;
use http::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use http::{Method, Request, StatusCode, Uri};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::json;
use wxpay_sign::{
    AEAD_AES_256_GCM, ResponseSigner, WECHATPAY_NONCE, WECHATPAY_SERIAL, WECHATPAY_SIGNATURE,
    WECHATPAY_SIGNATURE_TYPE, WECHATPAY_TIMESTAMP, encrypt_resource,
};

use crate::credentials::{Credentials, random_hex};
use crate::error::{Error, Result};
use crate::server::{STALE_BY_SECS, flip_bit, signature_probe};

/// The event type of a brand's coupon-received notification.
pub const EVENT_TYPE_SEND: &str = "PRODUCT_COUPON.SEND";
/// `resource.original_type` and `resource.associated_data` of SEND notifications.
pub const ORIGINAL_TYPE: &str = "product_coupon";
/// The `Wechatpay-Signature-Type` header value of webhooks.
pub const SIGNATURE_TYPE: &str = "WECHATPAY2-SHA256-RSA2048";
/// How long [`crate::Sandbox::send_webhook`] waits for the receiver's answer.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(30);
/// How much of a webhook receiver's answer body is read (4 KiB): only its status
/// matters, the rest is dropped with the connection.
pub const MAX_WEBHOOK_ANSWER_BYTES: usize = 4 * 1024;
/// The read buffer for a receiver's answer head (16 KiB): a longer status line
/// and headers fail the send.
const MAX_WEBHOOK_ANSWER_HEAD_BYTES: usize = 16 * 1024;

/// How to spoil a webhook on purpose (default: a valid one).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WebhookOptions {
    /// Replace `Wechatpay-Signature` with a `WECHATPAY/SIGNTEST/…` probe.
    pub signature_probe: bool,
    /// Flip one bit of the signature.
    pub bad_signature: bool,
    /// Sign with a timestamp ten minutes old.
    pub stale_timestamp: bool,
}

impl WebhookOptions {
    /// A valid webhook.
    pub fn new() -> Self {
        Self::default()
    }

    /// A signature probe, as WeChat Pay sends now and then: receivers must reject it.
    pub fn signature_probe() -> Self {
        Self {
            signature_probe: true,
            ..Self::default()
        }
    }
}

/// The SEND event WeChat Pay would post when `coupon` was received by
/// `openid` under `appid`, for brand `brand_id`.
pub fn send_event_for(
    brand_id: &str,
    openid: &str,
    appid: &str,
    coupon: &UserCoupon,
) -> ProductCouponSendEvent {
    let stock = coupon.stock.as_ref();
    ProductCouponSendEvent {
        brand_id: Some(brand_id.into()),
        coupon_code: coupon.coupon_code.clone(),
        product_coupon_id: coupon
            .product_coupon
            .as_ref()
            .map(|p| p.product_coupon_id.clone())
            .or_else(|| stock.map(|s| s.product_coupon_id.clone()))
            .unwrap_or_default(),
        stock_id: stock.map(|s| s.stock_id.clone()).unwrap_or_default(),
        stock_bundle_id: stock
            .and_then(|s| s.stock_bundle_info.as_ref())
            .map(|b| b.stock_bundle_id.clone()),
        user_coupon_bundle_id: coupon
            .user_product_coupon_bundle_info
            .as_ref()
            .and_then(|b| b.user_coupon_bundle_id.clone()),
        appid: Some(appid.into()),
        openid: openid.into(),
        unionid: Some(format!("o6_bm{}", openid.chars().skip(5).collect::<String>()).into()),
        receive_time: coupon.receive_time.clone(),
        send_request_no: coupon.send_request_no.clone(),
        send_channel: coupon.send_channel.clone(),
        valid_begin_time: coupon.valid_begin_time.clone(),
        valid_end_time: coupon.valid_end_time.clone(),
        phone_number: None,
        country_code: None,
        attach: coupon.attach.clone(),
        channel_custom_info: coupon.channel_custom_info.clone(),
    }
}

fn header(value: &str) -> Result<HeaderValue> {
    HeaderValue::from_str(value)
        .map_err(|e| Error::Internal(format!("cannot put {value:?} in a header: {e}")))
}

/// Builds the webhook WeChat Pay would post for `event`, signed at
/// `now_unix` with the sandbox's WeChat Pay key in `credentials`: the headers
/// (`Content-Type`, `Wechatpay-Timestamp`, `Wechatpay-Nonce`,
/// `Wechatpay-Signature`, `Wechatpay-Serial`, `Wechatpay-Signature-Type`) and
/// the exact body bytes. The resource is `AEAD_AES_256_GCM` with the APIv3
/// key, associated data `product_coupon` and a fresh 12-character nonce.
pub fn build_webhook(
    credentials: &Credentials,
    now_unix: i64,
    event: &ProductCouponSendEvent,
    options: WebhookOptions,
) -> Result<(HeaderMap, Vec<u8>)> {
    let signer = ResponseSigner::new(
        credentials.wechatpay_public_key_id.clone(),
        credentials.wechatpay_private_key.clone(),
    );
    build_webhook_with(credentials, &signer, now_unix, event, options)
}

/// [`build_webhook`] signed with `signer` (the resource still encrypted with
/// the APIv3 key of `credentials`).
pub(crate) fn build_webhook_with(
    credentials: &Credentials,
    signer: &ResponseSigner,
    now_unix: i64,
    event: &ProductCouponSendEvent,
    options: WebhookOptions,
) -> Result<(HeaderMap, Vec<u8>)> {
    let plaintext = serde_json::to_vec(event).map_err(|source| Error::Json {
        what: "the SEND event",
        source,
    })?;
    let body = notification_body(
        credentials,
        &notification_id()?,
        now_unix,
        EVENT_TYPE_SEND,
        "商品券用户领券通知",
        &plaintext,
    )?;
    let headers = sign_notification_with(signer, now_unix, &body, options)?;
    Ok((headers, body))
}

/// A fresh notification id (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, hex).
pub fn notification_id() -> Result<String> {
    let id = random_hex::<16>()?;
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &id[..8],
        &id[8..12],
        &id[12..16],
        &id[16..20],
        &id[20..]
    ))
}

/// The body of a notification: the envelope (`id`, `create_time` from
/// `created_unix`, `event_type`, `summary`, `resource_type`) around
/// `plaintext` encrypted with the APIv3 key (`AEAD_AES_256_GCM`, associated
/// data and original type `product_coupon`, a fresh 12-character nonce).
/// Redeliveries send these same bytes, signed anew ([`sign_notification`]).
pub fn notification_body(
    credentials: &Credentials,
    id: &str,
    created_unix: i64,
    event_type: &str,
    summary: &str,
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    let resource_nonce = wxpay_sign::try_generate_nonce_of_len(12)
        .map_err(Error::crypto("generating the resource nonce"))?;
    let ciphertext = encrypt_resource(
        &credentials.apiv3_key,
        &resource_nonce,
        ORIGINAL_TYPE,
        plaintext,
    )
    .map_err(Error::crypto("encrypting the webhook resource"))?;
    let create_time = DateTime::from_unix_timestamp(created_unix, 8 * 60)
        .map(|t| t.to_rfc3339())
        .unwrap_or_else(|_| "2025-01-01T00:00:00+08:00".to_owned());
    let envelope = json!({
        "id": id,
        "create_time": create_time,
        "resource_type": "encrypt-resource",
        "event_type": event_type,
        "summary": summary,
        "resource": {
            "original_type": ORIGINAL_TYPE,
            "algorithm": AEAD_AES_256_GCM,
            "ciphertext": ciphertext,
            "associated_data": ORIGINAL_TYPE,
            "nonce": resource_nonce
        }
    });
    serde_json::to_vec(&envelope).map_err(|source| Error::Json {
        what: "the webhook envelope",
        source,
    })
}

/// The headers of a notification `body` signed at `now_unix` with the
/// sandbox's WeChat Pay key: `Content-Type`, `Wechatpay-Timestamp`,
/// `Wechatpay-Nonce`, `Wechatpay-Signature`, `Wechatpay-Serial`,
/// `Wechatpay-Signature-Type`, spoilt as `options` asks.
pub fn sign_notification(
    credentials: &Credentials,
    now_unix: i64,
    body: &[u8],
    options: WebhookOptions,
) -> Result<HeaderMap> {
    let signer = ResponseSigner::new(
        credentials.wechatpay_public_key_id.clone(),
        credentials.wechatpay_private_key.clone(),
    );
    sign_notification_with(&signer, now_unix, body, options)
}

/// [`sign_notification`] with `signer` (its key and `Wechatpay-Serial`).
pub(crate) fn sign_notification_with(
    signer: &ResponseSigner,
    now_unix: i64,
    body: &[u8],
    options: WebhookOptions,
) -> Result<HeaderMap> {
    let timestamp = if options.stale_timestamp {
        now_unix - STALE_BY_SECS
    } else {
        now_unix
    };
    let nonce = wxpay_sign::try_generate_nonce().map_err(Error::crypto("generating a nonce"))?;
    let signed = signer
        .sign(body, timestamp, &nonce)
        .map_err(Error::crypto("signing the webhook"))?;
    let signature = if options.signature_probe {
        signature_probe()
    } else if options.bad_signature {
        flip_bit(signed.signature())
    } else {
        signed.signature().to_owned()
    };
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(WECHATPAY_TIMESTAMP, header(&timestamp.to_string())?);
    headers.insert(WECHATPAY_NONCE, header(signed.nonce())?);
    headers.insert(WECHATPAY_SIGNATURE, header(&signature)?);
    headers.insert(WECHATPAY_SERIAL, header(signed.serial())?);
    headers.insert(
        WECHATPAY_SIGNATURE_TYPE,
        HeaderValue::from_static(SIGNATURE_TYPE),
    );
    Ok(headers)
}

/// Checks that `url` is one the sandbox posts to: `http://` on a loopback
/// host (127.0.0.0/8, `[::1]`, `localhost`); the error says why not.
pub fn check_webhook_url(url: &str) -> Result<()> {
    loopback_url(url).map(|_| ())
}

/// Checks that `url` is `http://` to a loopback host and returns it parsed.
fn loopback_url(url: &str) -> Result<Uri> {
    let bad = |reason: &str| Error::WebhookUrl {
        url: url.to_owned(),
        reason: reason.to_owned(),
    };
    let uri: Uri = url.parse().map_err(|_| bad("not a valid URL"))?;
    if uri.scheme_str() != Some("http") {
        return Err(bad("only http:// is supported"));
    }
    let host = uri.host().ok_or_else(|| bad("no host"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if !loopback {
        return Err(bad("the host is not a loopback address"));
    }
    Ok(uri)
}

/// POSTs `(headers, body)` to `url` (plain HTTP, loopback only) and returns
/// the receiver's status.
///
/// The receiver is not trusted: the whole exchange is bounded by
/// [`SEND_TIMEOUT`], its answer head by a 16 KiB read buffer, and at most
/// [`MAX_WEBHOOK_ANSWER_BYTES`] of its answer body are read (then the
/// connection is dropped); the body's content is never used.
pub async fn post_webhook(url: &str, headers: HeaderMap, body: Vec<u8>) -> Result<StatusCode> {
    post_webhook_within(url, headers, body, SEND_TIMEOUT).await
}

/// [`post_webhook`] with the whole exchange bounded by `timeout` instead of
/// [`SEND_TIMEOUT`] (WeChat Pay gives a receiver 5 s).
pub async fn post_webhook_within(
    url: &str,
    headers: HeaderMap,
    body: Vec<u8>,
    timeout: Duration,
) -> Result<StatusCode> {
    let uri = loopback_url(url)?;
    let transport = |reason: String| Error::WebhookTransport {
        url: url.to_owned(),
        reason,
    };
    let mut request = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| transport(e.to_string()))?;
    *request.headers_mut() = headers;
    let client = Client::builder(TokioExecutor::new())
        .http1_max_buf_size(MAX_WEBHOOK_ANSWER_HEAD_BYTES)
        .pool_max_idle_per_host(0)
        .build_http::<Full<Bytes>>();
    let exchange = async {
        let response = client
            .request(request)
            .await
            .map_err(|e| transport(e.to_string()))?;
        let status = response.status();
        // Read a little of the answer so a well-behaved receiver's connection
        // closes cleanly; stop at the bound, whatever the receiver sends.
        let mut answer = response.into_body();
        let mut read = 0usize;
        while read <= MAX_WEBHOOK_ANSWER_BYTES {
            match answer.frame().await {
                Some(Ok(frame)) => read += frame.data_ref().map_or(0, Bytes::len),
                _ => break,
            }
        }
        Ok(status)
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| transport(format!("no answer within {} ms", timeout.as_millis())))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_http_urls_are_accepted() {
        for ok in [
            "http://127.0.0.1:8080/notify",
            "http://localhost/notify",
            "http://[::1]:9/x",
            "http://127.1.2.3/",
        ] {
            assert!(loopback_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "https://127.0.0.1/notify",
            "http://example.com/notify",
            "http://10.0.0.1/",
            "not a url",
            "/relative",
        ] {
            assert!(loopback_url(bad).is_err(), "{bad}");
        }
    }
}
