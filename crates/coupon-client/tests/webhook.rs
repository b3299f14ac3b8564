//! The webhook handler: verify, decrypt, type — and fail closed.

use std::sync::{Arc, OnceLock};

use coupon_client::coupon_model::webhook::{EventType, WebhookEvent};
use coupon_client::wxpay_sign::{
    ApiV3Key, ManualClock, PrivateKey, ResponseSigner, Verifier, encrypt_resource,
};
use coupon_client::{ErrorKind, WebhookHandler};
use http::{HeaderMap, StatusCode};

const KEY_ID: &str = "PUB_KEY_ID_0000000000000000000000000001";
const NOW: i64 = 1_764_000_000;
const APIV3: &[u8] = b"0123456789abcdefABCDEF0123456789";

fn wechatpay_key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::generate().unwrap())
}

fn handler(apiv3: &[u8]) -> WebhookHandler {
    let verifier = Verifier::builder()
        .public_key(KEY_ID, wechatpay_key().public_key())
        .clock(Arc::new(ManualClock::new(NOW)))
        .build()
        .unwrap();
    WebhookHandler::new(verifier, ApiV3Key::new(apiv3).unwrap())
}

const SEND_PAYLOAD: &str = r#"{"brand_id":"1001","coupon_code":"CODE_0001","product_coupon_id":"1000000013","stock_id":"1000000013001","appid":"wx233544546545989","openid":"oh-394z-6CGkNoJrsDLTTUKiAnp4","receive_time":"2025-08-01T10:00:00+08:00","send_request_no":"send_0001","send_channel":"API","valid_begin_time":"2025-08-01T00:00:00+08:00","valid_end_time":"2025-08-31T23:59:59+08:00"}"#;

/// A notification as WeChat Pay would post it.
fn notification(event_type: &str, plaintext: &str, signature_prefix: &str) -> (HeaderMap, Vec<u8>) {
    delivery(
        event_type,
        plaintext,
        signature_prefix,
        "N0NCE0123456789ABCDEFGHIJKLMNOPQ",
    )
}

/// One delivery of a notification, signed with `signature_nonce`.
fn delivery(
    event_type: &str,
    plaintext: &str,
    signature_prefix: &str,
    signature_nonce: &str,
) -> (HeaderMap, Vec<u8>) {
    let key = ApiV3Key::new(APIV3).unwrap();
    let nonce = "a1b2c3d4e5f6";
    let ciphertext = encrypt_resource(&key, nonce, "product_coupon", plaintext.as_bytes()).unwrap();
    let body = serde_json::json!({
        "id": "EV-2018022511223320873",
        "create_time": "2025-08-01T10:00:01+08:00",
        "event_type": event_type,
        "resource_type": "encrypt-resource",
        "summary": "商品券发放",
        "resource": {
            "original_type": "product_coupon",
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": ciphertext,
            "associated_data": "product_coupon",
            "nonce": nonce
        }
    })
    .to_string()
    .into_bytes();
    let signed = ResponseSigner::new(KEY_ID, wechatpay_key().clone())
        .sign(&body, NOW - 10, signature_nonce)
        .unwrap();
    let mut headers = HeaderMap::new();
    coupon_client::wxpay_sign::SignatureHeaders::new(
        signed.timestamp(),
        signed.nonce(),
        format!("{signature_prefix}{}", signed.signature()),
        KEY_ID,
    )
    .apply_to(&mut headers)
    .unwrap();
    headers.insert(
        "wechatpay-signature-type",
        "WECHATPAY2-SHA256-RSA2048".parse().unwrap(),
    );
    (headers, body)
}

#[test]
fn a_send_notification_is_verified_decrypted_and_typed() {
    let (headers, body) = notification("PRODUCT_COUPON.SEND", SEND_PAYLOAD, "");
    let result = handler(APIV3).handle(&headers, &body);
    assert_eq!(WebhookHandler::status_for(&result), StatusCode::NO_CONTENT);
    let received = result.unwrap();
    assert_eq!(
        received.notification.event_type,
        EventType::ProductCouponSend
    );
    let send = received.event.as_send().unwrap();
    assert_eq!(send.coupon_code.as_str(), "CODE_0001");
    assert_eq!(send.openid.as_str(), "oh-394z-6CGkNoJrsDLTTUKiAnp4");
}

#[test]
fn an_unknown_event_type_is_returned_with_its_plaintext() {
    let (headers, body) = notification("PRODUCT_COUPON.SOMETHING_NEW", r#"{"x":1}"#, "");
    let received = handler(APIV3).handle(&headers, &body).unwrap();
    match received.event {
        WebhookEvent::Other {
            event_type,
            plaintext,
        } => {
            assert_eq!(event_type.as_str(), "PRODUCT_COUPON.SOMETHING_NEW");
            assert_eq!(plaintext, r#"{"x":1}"#);
        }
        other => panic!("expected Other, got {other:?}"),
    }
}

#[test]
fn a_signature_probe_is_rejected_with_its_own_kind_and_a_4xx() {
    let (headers, body) = notification("PRODUCT_COUPON.SEND", SEND_PAYLOAD, "WECHATPAY/SIGNTEST/");
    let result = handler(APIV3).handle(&headers, &body);
    assert_eq!(
        result.as_ref().unwrap_err().kind(),
        ErrorKind::SignatureProbe
    );
    assert_eq!(
        WebhookHandler::status_for(&result),
        StatusCode::UNAUTHORIZED
    );
}

#[test]
fn a_tampered_body_fails_verification_before_decryption() {
    let (headers, mut body) = notification("PRODUCT_COUPON.SEND", SEND_PAYLOAD, "");
    let at = body.iter().position(|b| *b == b'E').unwrap();
    body[at] = b'F';
    let result = handler(APIV3).handle(&headers, &body);
    assert_eq!(result.as_ref().unwrap_err().kind(), ErrorKind::Verification);
    assert!(
        result
            .as_ref()
            .unwrap_err()
            .to_string()
            .starts_with("notification rejected"),
        "{:?}",
        result.as_ref().err()
    );
    assert_eq!(
        WebhookHandler::status_for(&result),
        StatusCode::UNAUTHORIZED
    );
}

#[test]
fn a_wrong_apiv3_key_is_a_decryption_error_that_names_the_key() {
    let (headers, body) = notification("PRODUCT_COUPON.SEND", SEND_PAYLOAD, "");
    let result = handler(b"ffffffffffffffffffffffffffffffff").handle(&headers, &body);
    let err = result.as_ref().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decryption);
    assert!(err.to_string().contains("APIv3 key"));
    assert_eq!(
        WebhookHandler::status_for(&result),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    let failure = WebhookHandler::failure_body(err);
    assert!(failure.starts_with(r#"{"code":"FAIL""#));
}

#[test]
fn missing_headers_fail_closed() {
    let (_, body) = notification("PRODUCT_COUPON.SEND", SEND_PAYLOAD, "");
    let err = handler(APIV3).handle(&HeaderMap::new(), &body).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Verification);
}

#[test]
fn the_handler_debug_shows_no_key_material() {
    let text = format!("{:?}", handler(APIV3));
    assert!(!text.contains("0123456789abcdef"));
    assert!(text.contains("redacted"));
}

#[test]
fn a_replayed_delivery_is_refused_and_a_genuine_redelivery_passes() {
    let handler = handler(APIV3);
    let (headers, body) = notification("PRODUCT_COUPON.SEND", SEND_PAYLOAD, "");
    assert!(handler.handle(&headers, &body).is_ok());
    // The same bytes and headers again: a replay.
    let replay = handler.handle(&headers, &body);
    let err = replay.as_ref().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Replayed);
    assert!(err.to_string().contains("EV-2018022511223320873"), "{err}");
    assert_eq!(
        WebhookHandler::status_for(&replay),
        StatusCode::UNAUTHORIZED
    );
    // WeChat Pay's redelivery of the same notification carries a new nonce.
    let (headers, body) = delivery(
        "PRODUCT_COUPON.SEND",
        SEND_PAYLOAD,
        "",
        "R3DELIVERY456789ABCDEFGHIJKLMNOP",
    );
    assert!(handler.handle(&headers, &body).is_ok());
    // A clone shares the guard; without a guard, replays pass verification.
    assert_eq!(
        handler.clone().handle(&headers, &body).unwrap_err().kind(),
        ErrorKind::Replayed
    );
    assert!(
        handler
            .without_replay_guard()
            .handle(&headers, &body)
            .is_ok()
    );
}

#[test]
fn a_custom_replay_guard_decides_and_its_failure_refuses_the_delivery() {
    #[derive(Debug)]
    struct Broken;
    impl coupon_client::ReplayGuard for Broken {
        fn first_delivery(
            &self,
            _: &coupon_client::Delivery<'_>,
        ) -> Result<bool, coupon_client::coupon_http::BoxError> {
            Err("store unreachable".into())
        }
    }
    let (headers, body) = notification("PRODUCT_COUPON.SEND", SEND_PAYLOAD, "");
    let result = handler(APIV3)
        .with_replay_guard(Arc::new(Broken))
        .handle(&headers, &body);
    assert_eq!(
        WebhookHandler::status_for(&result),
        StatusCode::INTERNAL_SERVER_ERROR,
        "fail closed: WeChat Pay retries"
    );
}

#[test]
fn the_memory_guard_forgets_deliveries_older_than_its_window_and_stays_bounded() {
    use coupon_client::{Delivery, MemoryReplayGuard, ReplayGuard};
    let guard = MemoryReplayGuard::new(3);
    let at = |timestamp: i64, nonce: &'static str| Delivery::new(timestamp, nonce, KEY_ID, "n");
    assert!(guard.first_delivery(&at(NOW, "a")).unwrap());
    assert!(!guard.first_delivery(&at(NOW, "a")).unwrap());
    assert!(guard.first_delivery(&at(NOW, "b")).unwrap());
    // Ten minutes of signed time later, "a" is forgotten (its signature has
    // long expired, so the verifier refuses it anyway).
    assert!(guard.first_delivery(&at(NOW + 601, "c")).unwrap());
    assert!(guard.first_delivery(&at(NOW, "a")).unwrap());
    // At capacity the oldest goes first.
    for nonce in ["d", "e", "f"] {
        assert!(guard.first_delivery(&at(NOW + 601, nonce)).unwrap());
    }
    assert!(!guard.first_delivery(&at(NOW + 601, "f")).unwrap());
}

#[test]
fn failure_answers_are_generic() {
    let (headers, body) = notification("PRODUCT_COUPON.SEND", SEND_PAYLOAD, "");
    let mut tampered = body.clone();
    tampered[5] ^= 1;
    for result in [
        handler(APIV3).handle(&headers, &tampered),
        handler(APIV3).handle(&HeaderMap::new(), &body),
        handler(b"ffffffffffffffffffffffffffffffff").handle(&headers, &body),
    ] {
        let failure = WebhookHandler::failure_body(result.as_ref().unwrap_err());
        assert!(!failure.contains(KEY_ID), "{failure}");
        assert!(!failure.contains(&NOW.to_string()[..6]), "{failure}");
        assert!(!failure.to_lowercase().contains("apiv3"), "{failure}");
        let parsed: serde_json::Value = serde_json::from_str(&failure).unwrap();
        assert_eq!(parsed["code"], "FAIL");
    }
}
