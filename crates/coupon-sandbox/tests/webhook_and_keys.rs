//! Webhooks (round trip through a loopback receiver: verify, decrypt) and
//! the keys directory (`wxpay.env` + PEM files).

mod common;

use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use common::Harness;
use coupon_model::webhook::{Notification, ProductCouponSendEvent};
use coupon_sandbox::{Credentials, Error, WebhookOptions, build_webhook, seed};
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use wxpay_sign::{PrivateKey, PublicKey, SignableRequest, decrypt_resource};

type Captured = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

/// A loopback receiver that records each POST and answers 204.
async fn receiver() -> (String, Captured) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    let captured: Captured = Arc::default();
    let sink = captured.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let sink = sink.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                    let sink = sink.clone();
                    async move {
                        let (parts, body) = req.into_parts();
                        let body = body.collect().await.unwrap().to_bytes();
                        sink.lock().unwrap().push((parts.headers, body));
                        Ok::<_, Infallible>(
                            Response::builder()
                                .status(204)
                                .body(Full::new(Bytes::new()))
                                .unwrap(),
                        )
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (url, captured)
}

fn decrypt(h: &Harness, body: &[u8]) -> (Notification, ProductCouponSendEvent) {
    let envelope: Notification = serde_json::from_slice(body).unwrap();
    let r = &envelope.resource;
    let plain = decrypt_resource(
        &h.sandbox.credentials().apiv3_key,
        &r.algorithm,
        &r.nonce,
        r.associated_data.as_deref().unwrap_or(""),
        &r.ciphertext,
    )
    .unwrap();
    let event = serde_json::from_slice(&plain).unwrap();
    (envelope, event)
}

#[tokio::test]
async fn webhook_round_trip_verifies_and_decrypts() {
    let h = Harness::start().await;
    let (url, captured) = receiver().await;
    let event = h.sandbox.sample_send_event().unwrap();
    assert_eq!(event.openid.as_str(), seed::OPENID);
    assert_eq!(event.appid.as_ref().unwrap().as_str(), seed::APPID);
    let status = h.sandbox.send_webhook(&url, &event).await.unwrap();
    assert_eq!(status, StatusCode::NO_CONTENT);

    let (headers, body) = captured.lock().unwrap().pop().unwrap();
    h.sandbox
        .verifier()
        .unwrap()
        .verify_headers(&headers, &body)
        .unwrap();
    assert_eq!(
        headers["wechatpay-signature-type"],
        "WECHATPAY2-SHA256-RSA2048"
    );
    assert_eq!(headers["content-type"], "application/json");
    let (envelope, decrypted) = decrypt(&h, &body);
    assert_eq!(envelope.event_type.as_str(), "PRODUCT_COUPON.SEND");
    assert_eq!(envelope.resource_type.as_deref(), Some("encrypt-resource"));
    assert_eq!(envelope.resource.algorithm, "AEAD_AES_256_GCM");
    assert_eq!(
        envelope.resource.original_type.as_deref(),
        Some("product_coupon")
    );
    assert_eq!(
        envelope.resource.associated_data.as_deref(),
        Some("product_coupon")
    );
    assert_eq!(envelope.resource.nonce.len(), 12);
    assert!(envelope.create_time.unwrap().parse().is_ok());
    assert_eq!(decrypted, event);
    decrypted.validate().unwrap();
}

#[tokio::test]
async fn webhook_signature_probe_and_other_spoilt_webhooks_fail_verification() {
    let h = Harness::start().await;
    let (url, captured) = receiver().await;
    let coupon = h.sandbox.user_coupons(seed::OPENID).pop().unwrap();
    let event = h
        .sandbox
        .send_event_for(coupon.coupon_code.as_str())
        .unwrap();
    h.sandbox
        .send_webhook_with(&url, &event, WebhookOptions::signature_probe())
        .await
        .unwrap();
    let (headers, body) = captured.lock().unwrap().pop().unwrap();
    let err = h
        .sandbox
        .verifier()
        .unwrap()
        .verify_headers(&headers, &body)
        .unwrap_err();
    assert!(err.is_signature_probe(), "{err}");
    // Still decryptable: only the signature is spoilt.
    assert_eq!(decrypt(&h, &body).1, event);

    let (headers, body) = h
        .sandbox
        .build_webhook(
            &event,
            WebhookOptions {
                bad_signature: true,
                ..WebhookOptions::new()
            },
        )
        .unwrap();
    let err = h
        .sandbox
        .verifier()
        .unwrap()
        .verify_headers(&headers, &body)
        .unwrap_err();
    assert!(
        matches!(err, wxpay_sign::Error::BadSignature { .. }),
        "{err}"
    );
    let (headers, body) = h
        .sandbox
        .build_webhook(
            &event,
            WebhookOptions {
                stale_timestamp: true,
                ..WebhookOptions::new()
            },
        )
        .unwrap();
    let err = h
        .sandbox
        .verifier()
        .unwrap()
        .verify_headers(&headers, &body)
        .unwrap_err();
    assert!(
        matches!(err, wxpay_sign::Error::TimestampSkew { .. }),
        "{err}"
    );

    // The free function works without a running sandbox.
    let (headers, body) = build_webhook(
        h.sandbox.credentials(),
        common::NOW,
        &event,
        WebhookOptions::new(),
    )
    .unwrap();
    h.sandbox
        .verifier()
        .unwrap()
        .verify_headers(&headers, &body)
        .unwrap();
    assert!(h.sandbox.send_event_for("no-such-code").is_err());
}

#[tokio::test]
async fn webhooks_only_go_to_loopback_http() {
    let h = Harness::start().await;
    let event = h.sandbox.sample_send_event().unwrap();
    for url in [
        "https://127.0.0.1/notify",
        "http://192.0.2.1/notify",
        "http://example.com/",
    ] {
        let err = h.sandbox.send_webhook(url, &event).await.unwrap_err();
        assert!(matches!(err, Error::WebhookUrl { .. }), "{url}: {err}");
    }
    // Nobody listening: a transport error, not a panic.
    let free = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", free.local_addr().unwrap());
    drop(free);
    let err = h.sandbox.send_webhook(&url, &event).await.unwrap_err();
    assert!(matches!(err, Error::WebhookTransport { .. }), "{err}");
}

fn temp_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("coupon-sandbox-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn keys_dir_round_trip() {
    let creds = common::creds();
    let dir = temp_dir("keys");
    creds.write_keys_dir(&dir, "http://127.0.0.1:4242").unwrap();

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        for file in [
            "brand_private_key.pem",
            "mch_private_key.pem",
            "sandbox_wxpay_private_key.pem",
            "wxpay.env",
        ] {
            let mode = std::fs::metadata(dir.join(file))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{file}");
        }
    }
    let env = std::fs::read_to_string(dir.join("wxpay.env")).unwrap();
    assert!(env.contains("http://127.0.0.1:4242"));
    for name in [
        "WXPAY_BASE_URL",
        "WXPAY_BRAND_ID",
        "WXPAY_BRAND_SERIAL_NO",
        "WXPAY_BRAND_PRIVATE_KEY",
        "WXPAY_MCHID",
        "WXPAY_MCH_SERIAL_NO",
        "WXPAY_MCH_PRIVATE_KEY",
        "WXPAY_PUBLIC_KEY_ID",
        "WXPAY_PUBLIC_KEY",
        "WXPAY_APIV3_KEY",
    ] {
        assert_eq!(
            env.lines()
                .filter(|l| l.starts_with(&format!("{name}=")))
                .count(),
            1,
            "{name}"
        );
    }

    let loaded = Credentials::load_keys_dir(&dir).unwrap();
    assert_eq!(loaded.brand_id, creds.brand_id);
    assert_eq!(loaded.brand_serial_no, creds.brand_serial_no);
    assert_eq!(loaded.mchid, creds.mchid);
    assert_eq!(loaded.mch_serial_no, creds.mch_serial_no);
    assert_eq!(
        loaded.wechatpay_public_key_id,
        creds.wechatpay_public_key_id
    );
    assert_eq!(loaded.apiv3_key_text(), creds.apiv3_key_text());
    assert!(loaded.wechatpay_public_key == creds.wechatpay_public_key);
    assert!(loaded.brand_private_key.public_key() == creds.brand_private_key.public_key());
    assert!(loaded.mch_private_key.public_key() == creds.mch_private_key.public_key());
    let public = PublicKey::from_pem_file(dir.join("wxpay_public_key.pem")).unwrap();
    assert!(public == creds.wechatpay_public_key);
    // Keys load from the documented PEM paths, and sign the same way.
    let request = SignableRequest::new("GET", "/brand/x", b"");
    let brand = PrivateKey::from_pem_file(dir.join("brand_private_key.pem")).unwrap();
    let signer = wxpay_sign::Signer::brand(&creds.brand_id, &creds.brand_serial_no, brand);
    let nonce = "0123456789ABCDEFabcdef0123456789";
    let a = signer.sign(&request, 1, nonce).unwrap();
    let b = creds.brand_signer().sign(&request, 1, nonce).unwrap();
    assert_eq!(a.as_str(), b.as_str());

    assert!(
        Credentials::load_keys_dir_if_present(&temp_dir("absent"))
            .unwrap()
            .is_none()
    );
    assert!(
        Credentials::load_keys_dir_if_present(&dir)
            .unwrap()
            .is_some()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[test]
fn wxpay_env_is_sourceable_by_a_posix_shell() {
    let creds = common::creds();
    let dir = temp_dir("with space's");
    creds.write_keys_dir(&dir, "http://127.0.0.1:1").unwrap();
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg(r#"set -a; . "$1/wxpay.env"; printf '%s\n%s\n%s\n' "$WXPAY_BRAND_PRIVATE_KEY" "$WXPAY_PUBLIC_KEY_ID" "$WXPAY_APIV3_KEY""#)
        .arg("sh")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let out = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    let canonical = std::fs::canonicalize(&dir).unwrap();
    assert_eq!(
        lines[0],
        canonical.join("brand_private_key.pem").to_str().unwrap()
    );
    assert!(std::path::Path::new(lines[0]).is_absolute());
    assert_eq!(lines[1], creds.wechatpay_public_key_id);
    assert_eq!(lines[2], creds.apiv3_key_text());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_broken_keys_dir_is_reported() {
    let dir = temp_dir("broken");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("wxpay.env"), "WXPAY_BRAND_ID=1\n").unwrap();
    let err = Credentials::load_keys_dir(&dir).unwrap_err();
    assert!(matches!(err, Error::InvalidKeysDir { .. }), "{err}");
    assert!(err.to_string().contains("WXPAY_BRAND_SERIAL_NO"));
    let _ = std::fs::remove_dir_all(&dir);
}
