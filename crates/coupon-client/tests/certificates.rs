//! Keys that change, against wiremock on loopback: platform certificates
//! downloaded before the first call, an unknown serial refreshing them
//! exactly once, a failed refresh keeping the old keys, an expired
//! certificate, a public-key-only account, rotation with old and new keys in
//! flight, webhooks on the same live keys, and sensitive fields whose key
//! always matches `Wechatpay-Serial`.

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use coupon_client::coupon_model::operations::{
    GetProductCouponRequest, UpdateProductCouponRequest,
};
use coupon_client::coupon_model::product_coupon::{
    ProductCouponDisplayInfo, UpdateProductCouponBody,
};
use coupon_client::wxpay_sign::{
    ApiV3Key, ManualClock, ParsedAuthorization, PlatformCertificate, PrivateKey, ResponseSigner,
    Scheme, SignableRequest, verify_request,
};
use coupon_client::{
    BrandClient, CertificateRefresh, CertificateStatus, ErrorKind, PartnerClient,
    PartnerClientBuilder,
};
use futures_util::future::join_all;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

mod common;
use common::*;

const PC_PATH: &str = "/v3/marketing/partner/product-coupon/product-coupons/1000000013";
const PC_BODY: &str = r#"{"product_coupon_id":"1000000013","brand_id":"1001","scope":"ALL"}"#;
const PUBLIC_KEY_ID: &str = "PUB_KEY_ID_0000000000000000000000000001";

fn partner_builder(server: &MockServer) -> PartnerClientBuilder {
    PartnerClient::builder()
        .mchid("1900000001")
        .serial_no("CLIENTSERIAL02")
        .private_key(keys().client.clone())
        .brand_id("1001")
        .transport(transport(server))
}

/// A partner client holding nothing but the APIv3 key.
fn certificates_only(server: &MockServer) -> PartnerClient {
    partner_builder(server)
        .apiv3_key(apiv3_key())
        .build()
        .unwrap()
}

/// A partner client with the WeChat Pay public key and the APIv3 key.
fn public_key_and_apiv3(server: &MockServer) -> PartnerClient {
    partner_builder(server)
        .wechatpay_public_key(PUBLIC_KEY_ID, keys().wechatpay.public_key())
        .apiv3_key(apiv3_key())
        .build()
        .unwrap()
}

async fn mount_business(server: &MockServer, responder: impl wiremock::Respond + 'static) {
    Mock::given(method("GET"))
        .and(path(PC_PATH))
        .respond_with(responder)
        .mount(server)
        .await;
}

/// `/v3/certificates` answering `certs`, signed by `serial`/`key`; `times`
/// limits how often this answer is given (later answers come from mocks
/// mounted after it).
async fn mount_download(
    server: &MockServer,
    certs: &[&PlatformCertificate],
    serial: &str,
    key: &PrivateKey,
    times: Option<u64>,
) {
    let mock = Mock::given(method("GET"))
        .and(path(CERTIFICATES_PATH))
        .respond_with(SignedWith::new(
            certificates_body(&apiv3_key(), certs),
            serial,
            key,
        ));
    let mock = match times {
        Some(n) => mock.up_to_n_times(n),
        None => mock,
    };
    mock.mount(server).await;
}

fn get_pc() -> GetProductCouponRequest {
    GetProductCouponRequest::new("1000000013")
}

fn header(request: &wiremock::Request, name: &str) -> Option<String> {
    request
        .headers
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

#[tokio::test]
async fn a_client_with_only_the_apiv3_key_downloads_certificates_before_its_first_call() {
    let server = MockServer::start().await;
    let [c1_key, _] = cert_keys();
    let c1 = current_certificate(c1_key, "C1A0C1A0");
    mount_download(&server, &[&c1], c1.serial(), c1_key, None).await;
    mount_business(&server, SignedWith::new(PC_BODY, c1.serial(), c1_key)).await;

    let client = certificates_only(&server);
    assert!(client.verifier().key_ids().is_empty());
    let pc = client.call(&get_pc()).await.unwrap();
    assert_eq!(pc.product_coupon_id.as_str(), "1000000013");
    assert_eq!(client.verifier().key_ids(), vec!["C1A0C1A0"]);
    client.call(&get_pc()).await.unwrap();
    assert_eq!(received(&server, CERTIFICATES_PATH).await, 1);
    assert_eq!(received(&server, PC_PATH).await, 2);

    let requests = server.received_requests().await.unwrap();
    // The download: merchant scheme, signed like any call, naming no key
    // (none was held yet).
    let download = &requests[0];
    assert_eq!(download.url.path(), CERTIFICATES_PATH);
    assert_eq!(header(download, "wechatpay-serial"), None);
    let auth = ParsedAuthorization::parse(&header(download, "authorization").unwrap()).unwrap();
    assert_eq!((auth.scheme(), auth.id()), (Scheme::Merchant, "1900000001"));
    verify_request(
        &keys().client.public_key(),
        &auth,
        &SignableRequest::new("GET", CERTIFICATES_PATH, b""),
    )
    .unwrap();
    // The calls name the newest valid certificate, so WeChat Pay answers with it.
    for call in &requests[1..] {
        assert_eq!(
            header(call, "wechatpay-serial").as_deref(),
            Some("C1A0C1A0")
        );
    }
}

#[tokio::test]
async fn an_unknown_serial_triggers_exactly_one_refresh_and_the_answer_is_verified_again() {
    let server = MockServer::start().await;
    let [c2_key, _] = cert_keys();
    let c2 = current_certificate(c2_key, "C2B0C2B0");
    // The download is signed with the public key the client holds (it names
    // that key), and delivers the certificate that signs the answers.
    mount_download(&server, &[&c2], PUBLIC_KEY_ID, &keys().wechatpay, None).await;
    mount_business(&server, SignedWith::new(PC_BODY, c2.serial(), c2_key)).await;

    let client = public_key_and_apiv3(&server);
    for _ in 0..3 {
        client.call(&get_pc()).await.unwrap();
    }
    assert_eq!(
        received(&server, CERTIFICATES_PATH).await,
        1,
        "exactly one refresh"
    );
    assert_eq!(received(&server, PC_PATH).await, 3, "no call was resent");
    assert_eq!(client.verifier().key_ids(), vec!["C2B0C2B0", PUBLIC_KEY_ID]);
    let requests = server.received_requests().await.unwrap();
    let download = requests
        .iter()
        .find(|r| r.url.path() == CERTIFICATES_PATH)
        .unwrap();
    assert_eq!(
        header(download, "wechatpay-serial").as_deref(),
        Some(PUBLIC_KEY_ID)
    );
}

#[tokio::test]
async fn a_certificates_only_client_downloads_at_most_twice_for_one_call() {
    let server = MockServer::start().await;
    let [c1_key, c2_key] = cert_keys();
    let c1 = current_certificate(c1_key, "C1A1");
    let c2 = current_certificate(c2_key, "C2B2");
    // First download: only C1; the next one: C1 and the new C2 (signed with
    // C1, which the client then holds and names).
    mount_download(&server, &[&c1], c1.serial(), c1_key, Some(1)).await;
    mount_download(&server, &[&c1, &c2], c1.serial(), c1_key, None).await;
    mount_business(&server, SignedWith::new(PC_BODY, c2.serial(), c2_key)).await;

    let client = certificates_only(&server);
    client.call(&get_pc()).await.unwrap();
    assert_eq!(received(&server, CERTIFICATES_PATH).await, 2);
    assert_eq!(
        received(&server, PC_PATH).await,
        1,
        "the call was not resent"
    );
    let requests = server.received_requests().await.unwrap();
    let downloads: Vec<_> = requests
        .iter()
        .filter(|r| r.url.path() == CERTIFICATES_PATH)
        .collect();
    assert_eq!(header(downloads[0], "wechatpay-serial"), None);
    assert_eq!(
        header(downloads[1], "wechatpay-serial").as_deref(),
        Some("C1A1")
    );
    client.call(&get_pc()).await.unwrap();
    assert_eq!(received(&server, CERTIFICATES_PATH).await, 2);
}

#[tokio::test]
async fn a_serial_still_unknown_after_the_refresh_fails_closed_and_refreshes_are_rate_limited() {
    let server = MockServer::start().await;
    let [c2_key, other] = cert_keys();
    let c2 = current_certificate(c2_key, "C2C2");
    mount_download(&server, &[&c2], PUBLIC_KEY_ID, &keys().wechatpay, None).await;
    mount_business(&server, SignedWith::new(PC_BODY, "DEADBEEF", other)).await;

    let client = public_key_and_apiv3(&server);
    for _ in 0..3 {
        let err = client.call(&get_pc()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Verification, "{err}");
        assert!(err.to_string().contains("DEADBEEF"), "{err}");
    }
    assert_eq!(
        received(&server, CERTIFICATES_PATH).await,
        1,
        "at most one on-demand download per minute"
    );
    assert_eq!(received(&server, PC_PATH).await, 3, "no call was resent");

    // Without a minimum interval, every unknown serial downloads once.
    let eager = partner_builder(&server)
        .wechatpay_public_key(PUBLIC_KEY_ID, keys().wechatpay.public_key())
        .apiv3_key(apiv3_key())
        .certificate_refresh(
            CertificateRefresh::default().with_min_on_demand_interval(std::time::Duration::ZERO),
        )
        .build()
        .unwrap();
    for _ in 0..2 {
        assert!(eager.call(&get_pc()).await.is_err());
    }
    assert_eq!(received(&server, CERTIFICATES_PATH).await, 3);
}

#[tokio::test]
async fn a_failed_refresh_keeps_the_old_keys() {
    let server = MockServer::start().await;
    let [c1_key, c2_key] = cert_keys();
    let c1 = current_certificate(c1_key, "C1D1");
    let c2 = current_certificate(c2_key, "C2D2");
    mount_download(&server, &[&c1], c1.serial(), c1_key, Some(1)).await;
    mount_business(&server, SignedWith::new(PC_BODY, c1.serial(), c1_key)).await;
    let client = certificates_only(&server);
    client.call(&get_pc()).await.unwrap();
    let before = client.verifier().keys();

    // 1. The server fails.
    Mock::given(method("GET"))
        .and(path(CERTIFICATES_PATH))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_string(r#"{"code":"SYSTEM_ERROR","message":"busy"}"#),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let err = client.refresh_certificates().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Api, "{err}");
    assert_eq!(client.verifier().keys(), before);

    // 2. A certificate that does not decrypt with the APIv3 key.
    let wrong = ApiV3Key::new("ffffffffffffffffffffffffffffffff").unwrap();
    Mock::given(method("GET"))
        .and(path(CERTIFICATES_PATH))
        .respond_with(SignedWith::new(
            certificates_body(&wrong, &[&c1, &c2]),
            c1.serial(),
            c1_key,
        ))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let err = client.refresh_certificates().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decryption, "{err}");
    assert!(err.to_string().contains("APIv3 key"), "{err}");
    assert_eq!(client.verifier().keys(), before);

    // 3. A download signed by a key the client does not hold, although it
    //    holds one: refused, even though it delivers that key.
    Mock::given(method("GET"))
        .and(path(CERTIFICATES_PATH))
        .respond_with(SignedWith::new(
            certificates_body(&apiv3_key(), &[&c1, &c2]),
            c2.serial(),
            c2_key,
        ))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let err = client.refresh_certificates().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Verification, "{err}");
    assert_eq!(client.verifier().keys(), before);

    // The old keys still verify.
    client.call(&get_pc()).await.unwrap();
    assert_eq!(received(&server, CERTIFICATES_PATH).await, 4);
}

#[tokio::test]
async fn an_expired_certificate_is_refused_with_its_own_kind_and_no_refresh() {
    let server = MockServer::start().await;
    let [old_key, new_key] = cert_keys();
    let t = now();
    let clock = Arc::new(ManualClock::new(t));
    let old = certificate(old_key, "0E0E", t - 2 * 86_400, t - 1);
    let new = certificate(new_key, "0F0F", t - 86_400, t + 86_400);
    mount_download(&server, &[&old, &new], new.serial(), new_key, None).await;
    mount_business(
        &server,
        SignedWith::new(PC_BODY, old.serial(), old_key).clock(clock.clone()),
    )
    .await;
    let client = partner_builder(&server)
        .apiv3_key(apiv3_key())
        .clock(clock.clone())
        .build()
        .unwrap();
    let err = client.call(&get_pc()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CertificateExpired, "{err}");
    assert!(err.kind().is_verification());
    assert!(err.to_string().contains("expired"), "{err}");
    assert_eq!(
        received(&server, CERTIFICATES_PATH).await,
        1,
        "a known serial is not refreshed"
    );
    // The request named the newest valid certificate.
    let requests = server.received_requests().await.unwrap();
    let call = requests.iter().find(|r| r.url.path() == PC_PATH).unwrap();
    assert_eq!(header(call, "wechatpay-serial").as_deref(), Some("0F0F"));
}

#[tokio::test]
async fn a_public_key_only_account_stays_on_public_keys() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(CERTIFICATES_PATH))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_string(r#"{"code":"NOT_FOUND","message":"no certificate"}"#),
        )
        .mount(&server)
        .await;
    mount_business(
        &server,
        SignedWith::new(PC_BODY, PUBLIC_KEY_ID, &keys().wechatpay),
    )
    .await;

    // Answers signed with the configured public key: no certificate request at all.
    let client = public_key_and_apiv3(&server);
    for _ in 0..3 {
        client.call(&get_pc()).await.unwrap();
    }
    assert_eq!(received(&server, CERTIFICATES_PATH).await, 0);

    // Asked explicitly: "no certificates" is an answer, not an error.
    let status = client.refresh_certificates().await.unwrap();
    assert!(
        matches!(status, CertificateStatus::PublicKeyOnly),
        "{status:?}"
    );
    assert_eq!(client.verifier().key_ids(), vec![PUBLIC_KEY_ID]);
    client.call(&get_pc()).await.unwrap();

    // With no public key configured, the call says which setting is missing
    // and nothing is sent.
    let err = certificates_only(&server)
        .call(&get_pc())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    assert!(err.to_string().contains("public-key-only"), "{err}");
    assert!(err.to_string().contains("WXPAY_PUBLIC_KEY"), "{err}");
    assert_eq!(received(&server, PC_PATH).await, 4);
}

#[tokio::test]
async fn old_and_new_public_keys_verify_side_by_side_during_a_rotation() {
    let server = MockServer::start().await;
    let [new_key, _] = cert_keys();
    let new_id = "PUB_KEY_ID_0000000000000000000000000002";
    mount_business(
        &server,
        RoundRobin {
            body: PC_BODY.to_owned(),
            signers: vec![
                (PUBLIC_KEY_ID.to_owned(), keys().wechatpay.clone()),
                (new_id.to_owned(), new_key.clone()),
            ],
            next: AtomicUsize::new(0),
        },
    )
    .await;
    let client = partner_builder(&server)
        .wechatpay_public_key(PUBLIC_KEY_ID, keys().wechatpay.public_key())
        .wechatpay_public_key(new_id, new_key.public_key())
        .build()
        .unwrap();
    let request = get_pc();
    let results = join_all((0..8).map(|_| client.call(&request))).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");

    // The webhook handler made from the client uses the same live keys.
    let handler = client.webhook_handler(apiv3_key());
    for (serial, key) in [(PUBLIC_KEY_ID, &keys().wechatpay), (new_id, new_key)] {
        let (headers, body) = notification(serial, key);
        handler.handle(&headers, &body).unwrap();
    }
}

#[tokio::test]
async fn certificates_rotate_while_calls_are_in_flight() {
    let server = MockServer::start().await;
    let [c1_key, c2_key] = cert_keys();
    let c1 = current_certificate(c1_key, "C1E1");
    let c2 = current_certificate(c2_key, "C2E2");
    mount_download(&server, &[&c1], c1.serial(), c1_key, Some(1)).await;
    mount_download(&server, &[&c1, &c2], c1.serial(), c1_key, None).await;
    mount_business(
        &server,
        RoundRobin {
            body: PC_BODY.to_owned(),
            signers: vec![
                (c1.serial().to_owned(), c1_key.clone()),
                (c2.serial().to_owned(), c2_key.clone()),
            ],
            next: AtomicUsize::new(0),
        },
    )
    .await;
    let client = certificates_only(&server);
    let request = get_pc();
    let results = join_all((0..8).map(|_| client.call(&request))).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    // One download before the first call, one when C2 first appeared: the
    // single flight made every other caller wait for it and reuse it.
    assert_eq!(received(&server, CERTIFICATES_PATH).await, 2);
    assert_eq!(received(&server, PC_PATH).await, 8);
}

/// A signed PRODUCT_COUPON_SP.SEND notification.
fn notification(serial: &str, key: &PrivateKey) -> (http::HeaderMap, Vec<u8>) {
    let plaintext = r#"{"brand_id":"1001","coupon_code":"CODE_0001","product_coupon_id":"1000000013","stock_id":"1000000013001","appid":"wx233544546545989","openid":"oh-394z-6CGkNoJrsDLTTUKiAnp4","receive_time":"2025-08-01T10:00:00+08:00","send_request_no":"send_0001","send_channel":"API","valid_begin_time":"2025-08-01T00:00:00+08:00","valid_end_time":"2025-08-31T23:59:59+08:00"}"#;
    let nonce = "nonceNOTIFY1";
    let body = serde_json::json!({
        "id": format!("EV-{serial}"),
        "create_time": "2025-01-01T00:00:00+08:00",
        "event_type": "PRODUCT_COUPON_SP.SEND",
        "resource_type": "encrypt-resource",
        "summary": "sent",
        "resource": {
            "original_type": "product_coupon",
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": coupon_client::wxpay_sign::encrypt_resource(&apiv3_key(), nonce, "product_coupon", plaintext.as_bytes()).unwrap(),
            "associated_data": "product_coupon",
            "nonce": nonce,
        }
    })
    .to_string();
    let signed = ResponseSigner::new(serial, key.clone())
        .sign_now(body.as_bytes())
        .unwrap();
    let mut headers = http::HeaderMap::new();
    signed.apply_to(&mut headers).unwrap();
    (headers, body.into_bytes())
}

#[tokio::test]
async fn a_webhook_naming_an_unknown_certificate_refreshes_once() {
    let server = MockServer::start().await;
    let [c2_key, _] = cert_keys();
    let c2 = current_certificate(c2_key, "C2F2");
    mount_download(&server, &[&c2], PUBLIC_KEY_ID, &keys().wechatpay, None).await;
    let client = public_key_and_apiv3(&server);
    let handler = client.webhook_handler(apiv3_key());
    let (headers, body) = notification(c2.serial(), c2_key);
    // The synchronous handler never downloads: unknown serial, refused.
    let err = handler.handle(&headers, &body).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Verification);
    assert_eq!(received(&server, CERTIFICATES_PATH).await, 0);
    // The asynchronous one refreshes once, then verifies it.
    let received_webhook = handler.handle_async(&headers, &body).await.unwrap();
    assert_eq!(
        received_webhook.notification.event_type.as_str(),
        "PRODUCT_COUPON_SP.SEND"
    );
    let (headers, body) = notification(c2.serial(), c2_key);
    handler.handle(&headers, &body).unwrap();
    assert_eq!(received(&server, CERTIFICATES_PATH).await, 1);
    // The client sees the certificate too: one key set.
    assert!(client.verifier().keys().contains("c2f2"));
}

fn update_with(name: String) -> UpdateProductCouponRequest {
    UpdateProductCouponRequest::new(
        "1000000013",
        UpdateProductCouponBody::new(
            "upd_20250101_0001",
            ProductCouponDisplayInfo::new(name, "https://wxpaylogo.qpic.cn/x"),
        )
        .with_brand_id("1001"),
    )
}

/// Every request that carried an encrypted `display_info.name`: the key
/// named by its `Wechatpay-Serial` decrypts it.
async fn assert_serial_names_the_encrypting_key(
    server: &MockServer,
    private_keys: &[(&str, &PrivateKey)],
) -> usize {
    let mut checked = 0;
    for request in server.received_requests().await.unwrap() {
        if request.url.path() != PC_PATH || request.method.as_str() != "PATCH" {
            continue;
        }
        let serial = header(&request, "wechatpay-serial").expect("a Wechatpay-Serial");
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        let field = body["display_info"]["name"].as_str().unwrap();
        for (id, key) in private_keys {
            let decrypted = key.decrypt_sensitive(field);
            if id.eq_ignore_ascii_case(&serial) {
                assert_eq!(&*decrypted.unwrap(), "张三".as_bytes(), "{serial}");
            } else {
                assert!(
                    decrypted.is_err(),
                    "{id} must not decrypt a field sent for {serial}"
                );
            }
        }
        checked += 1;
    }
    checked
}

#[tokio::test]
async fn sensitive_fields_and_wechatpay_serial_always_name_the_same_key() {
    let server = MockServer::start().await;
    let [new_key, c_key] = cert_keys();
    let new_id = "PUB_KEY_ID_0000000000000000000000000002";
    Mock::given(method("PATCH"))
        .and(path(PC_PATH))
        .respond_with(SignedWith::new(PC_BODY, PUBLIC_KEY_ID, &keys().wechatpay))
        .mount(&server)
        .await;

    // A partner client holding the old and the new public key, sending the
    // new one by default.
    let client = partner_builder(&server)
        .wechatpay_public_key(PUBLIC_KEY_ID, keys().wechatpay.public_key())
        .wechatpay_public_key(new_id, new_key.public_key())
        .wechatpay_serial(new_id)
        .build()
        .unwrap()
        .without_validation();
    let fields = client.sensitive_fields().await.unwrap();
    assert_eq!(fields.key_id(), new_id);
    client
        .call_with(&fields, &update_with(fields.encrypt("张三").unwrap()))
        .await
        .unwrap();
    // Pinned to the old key during the rotation: the header follows the key.
    let old = client.sensitive_fields_for(PUBLIC_KEY_ID).unwrap();
    client
        .call_with(&old, &update_with(old.encrypt("张三").unwrap()))
        .await
        .unwrap();
    assert!(client.sensitive_fields_for("PUB_KEY_ID_UNKNOWN").is_err());

    // A certificates-only client encrypts with its newest valid certificate
    // (downloaded first) and names it.
    let c = current_certificate(c_key, "5E5E");
    mount_download(&server, &[&c], c.serial(), c_key, None).await;
    let certificates = certificates_only(&server).without_validation();
    let fields = certificates.sensitive_fields().await.unwrap();
    assert_eq!(fields.key_id(), "5E5E");
    let err = certificates
        .call_with(&fields, &update_with(fields.encrypt("张三").unwrap()))
        .await
        .unwrap_err();
    // (The mock answers with the public key the certificates-only client
    // does not hold: refused, but the request went out as sent.)
    assert!(err.kind().is_verification(), "{err}");

    let checked = assert_serial_names_the_encrypting_key(
        &server,
        &[
            (PUBLIC_KEY_ID, &keys().wechatpay),
            (new_id, new_key),
            ("5E5E", c_key),
        ],
    )
    .await;
    assert_eq!(checked, 3);

    // Too long for RSA-OAEP: refused before anything is sent.
    let err = fields.encrypt(&"x".repeat(300)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
}

#[tokio::test]
async fn a_field_encrypted_to_the_merchant_decrypts_with_its_private_key() {
    let server = MockServer::start().await;
    let client = BrandClient::builder()
        .brand_id("1001")
        .serial_no("CLIENTSERIAL01")
        .private_key(keys().client.clone())
        .wechatpay_public_key(PUBLIC_KEY_ID, keys().wechatpay.public_key())
        .transport(transport(&server))
        .build()
        .unwrap();
    let ciphertext = keys()
        .client
        .public_key()
        .encrypt_sensitive("13800138000".as_bytes())
        .unwrap();
    assert_eq!(client.decrypt_field(&ciphertext).unwrap(), "13800138000");
    let other = keys()
        .wechatpay
        .public_key()
        .encrypt_sensitive(b"13800138000")
        .unwrap();
    let err = client.decrypt_field(&other).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decryption);
    assert!(err.to_string().contains("sensitive field"), "{err}");
}

#[test]
fn a_partner_needs_a_public_key_a_certificate_or_the_apiv3_key() {
    let err = PartnerClient::builder()
        .mchid("1900000001")
        .serial_no("S")
        .private_key(keys().client.clone())
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    let text = err.to_string();
    assert!(
        text.contains("wechatpay_public_key") && text.contains("apiv3_key"),
        "{text}"
    );
}
