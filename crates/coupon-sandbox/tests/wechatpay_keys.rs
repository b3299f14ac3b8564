//! The sandbox's WeChat Pay keys over raw HTTP: the certificate download
//! (`GET /v3/certificates`, encrypted with the APIv3 key), the three key
//! modes, the key an answer is signed with (the one the request names), the
//! brand's `Wechatpay-Serial` check, rotation (now and after some requests),
//! retirement, the admin routes, and the keys directory of the certificates
//! mode.

use std::sync::OnceLock;
use std::time::Duration;

use http::{Method, StatusCode};
use serde_json::Value;
use wxpay_sign::{Clock as _, KeySet, PlatformCertificate, PrivateKey, Verifier, decrypt_resource};

use coupon_sandbox::{
    CERTIFICATES_PATH, Credentials, KeyRotation, WechatPayKeyKind, WechatPayKeyMode, admin,
};

mod common;
use common::{Harness, Reply, creds};

/// A path under cargo's temporary directory for this test target (not created:
/// the sandbox creates a keys directory private).
fn temp_keys_dir(name: &str) -> std::path::PathBuf {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("coupon-sandbox-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Key pairs for rotations (generation is the slow part).
fn rotation_keys() -> &'static [PrivateKey; 2] {
    static KEYS: OnceLock<[PrivateKey; 2]> = OnceLock::new();
    KEYS.get_or_init(|| {
        [
            PrivateKey::generate().unwrap(),
            PrivateKey::generate().unwrap(),
        ]
    })
}

async fn start(mode: WechatPayKeyMode) -> Harness {
    Harness::start_with(|b| b.wechatpay_keys(mode)).await
}

const PC: &str = "/v3/marketing/partner/product-coupon/product-coupons/1000000013?brand_id=120344";
const BRAND_PC: &str = "/brand/marketing/product-coupon/product-coupons/1000000013";

/// A partner GET of `path` naming `serial` (or nothing).
async fn partner_get(h: &Harness, path: &str, serial: Option<&str>) -> Reply {
    let mut call = h.partner(Method::GET, path, b"");
    call.wechatpay_serial = serial.map(str::to_owned);
    h.send(call).await
}

/// The certificates a download delivers, decrypted with the APIv3 key and
/// checked against what each entry announces.
fn delivered(h: &Harness, reply: &Reply) -> Vec<PlatformCertificate> {
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let json = reply.json();
    let data = json["data"].as_array().expect("data");
    data.iter()
        .map(|entry| {
            let enc = &entry["encrypt_certificate"];
            assert_eq!(enc["algorithm"], "AEAD_AES_256_GCM");
            assert_eq!(enc["associated_data"], "certificate");
            let nonce = enc["nonce"].as_str().unwrap();
            assert_eq!(nonce.len(), 12);
            let pem = decrypt_resource(
                &h.sandbox.credentials().apiv3_key,
                "AEAD_AES_256_GCM",
                nonce,
                "certificate",
                enc["ciphertext"].as_str().unwrap(),
            )
            .expect("decrypts with the APIv3 key");
            let cert = PlatformCertificate::from_pem(std::str::from_utf8(&pem).unwrap()).unwrap();
            assert_eq!(entry["serial_no"], cert.serial());
            for field in ["effective_time", "expire_time"] {
                let time =
                    coupon_model::time::DateTime::parse(entry[field].as_str().unwrap()).unwrap();
                let expected = if field == "effective_time" {
                    cert.not_before()
                } else {
                    cert.not_after()
                };
                assert_eq!(time.unix_timestamp(), expected, "{field}");
            }
            cert
        })
        .collect()
}

/// Verifies `reply` with exactly the key `id` of `set`.
fn signed_by(h: &Harness, reply: &Reply, set: KeySet, id: &str) {
    assert_eq!(reply.header("wechatpay-serial"), id);
    Verifier::builder()
        .keys(set)
        .clock(h.sandbox.clock())
        .build()
        .unwrap()
        .verify_headers(&reply.headers, &reply.body)
        .unwrap_or_else(|e| panic!("signed by {id}: {e}"));
}

#[tokio::test]
async fn the_certificate_download_delivers_a_real_certificate_encrypted_with_the_apiv3_key() {
    let h = start(WechatPayKeyMode::Both).await;
    let reply = partner_get(&h, CERTIFICATES_PATH, None).await;
    let certs = delivered(&h, &reply);
    assert_eq!(certs.len(), 1);
    let cert = &certs[0];
    // The sandbox's own key pair, a 40-digit serial, valid now for 5 years.
    assert_eq!(cert.public_key(), &creds().wechatpay_public_key);
    assert_eq!(cert.serial().len(), 40);
    let now = h.clock.now_unix();
    assert_eq!(cert.not_before(), now - 3600);
    assert_eq!(cert.not_after(), now + 5 * 365 * 86_400);
    // Naming no key, the download is signed with the certificate (a client
    // that names none is fetching its first certificates).
    signed_by(
        &h,
        &reply,
        KeySet::new().with_certificate(cert.clone()),
        cert.serial(),
    );
    assert_eq!(h.sandbox.platform_certificates(), certs);
    assert_eq!(h.sandbox.certificate_requests(), 1);

    // Naming the public key, it is signed with the public key.
    let creds = creds();
    let reply = partner_get(&h, CERTIFICATES_PATH, Some(&creds.wechatpay_public_key_id)).await;
    signed_by(
        &h,
        &reply,
        KeySet::new().with_public_key(
            &creds.wechatpay_public_key_id,
            creds.wechatpay_public_key.clone(),
        ),
        &creds.wechatpay_public_key_id,
    );

    // A restarted sandbox on the same key pair keeps the serial.
    let again = start(WechatPayKeyMode::Certificates).await;
    assert_eq!(
        again.sandbox.platform_certificates()[0].serial(),
        cert.serial()
    );
}

#[tokio::test]
async fn the_download_is_authenticated_like_any_merchant_request() {
    let h = start(WechatPayKeyMode::Certificates).await;
    let mut unsigned = h.partner(Method::GET, CERTIFICATES_PATH, b"");
    unsigned.signer = None;
    let reply = h.send(unsigned).await;
    reply.assert_refused(StatusCode::UNAUTHORIZED, "SIGN_ERROR", None);
    let mut brand_scheme = h.partner(Method::GET, CERTIFICATES_PATH, b"");
    brand_scheme.signer = Some(creds().brand_signer());
    h.send(brand_scheme)
        .await
        .assert_refused(StatusCode::UNAUTHORIZED, "SIGN_ERROR", None);
    let mut tampered = h.partner(Method::GET, CERTIFICATES_PATH, b"");
    tampered.sent_path = Some(format!("{CERTIFICATES_PATH}?x=1"));
    h.send(tampered)
        .await
        .assert_refused(StatusCode::UNAUTHORIZED, "SIGN_ERROR", None);
    h.send(h.partner(Method::POST, CERTIFICATES_PATH, b""))
        .await
        .assert_refused(StatusCode::NOT_FOUND, "NOT_FOUND", None);
    assert_eq!(h.sandbox.certificate_requests(), 4);
}

#[tokio::test]
async fn a_public_key_only_sandbox_has_no_certificates() {
    let h = start(WechatPayKeyMode::PublicKey).await;
    let reply = partner_get(&h, CERTIFICATES_PATH, None).await;
    reply.assert_refused(StatusCode::NOT_FOUND, "NOT_FOUND", None);
    assert!(
        reply.json()["message"]
            .as_str()
            .unwrap()
            .contains("no certificate")
    );
    h.verify(&reply).expect("signed with the public key");
    assert_eq!(
        reply.header("wechatpay-serial"),
        creds().wechatpay_public_key_id
    );
    assert!(h.sandbox.platform_certificates().is_empty());
    assert_eq!(
        h.sandbox.verifier().unwrap().key_ids(),
        vec![creds().wechatpay_public_key_id]
    );
}

#[tokio::test]
async fn answers_are_signed_with_the_key_the_request_names() {
    let h = start(WechatPayKeyMode::Both).await;
    let creds = creds();
    let cert = h.sandbox.platform_certificates()[0].clone();
    let pk = creds.wechatpay_public_key_id.clone();
    let keys = h.sandbox.verifier().unwrap().keys();
    // None, an unknown one or the public key: the public key (as before).
    for named in [
        None,
        Some("PUB_KEY_ID_UNKNOWN"),
        Some("ABCDEF"),
        Some(pk.as_str()),
    ] {
        let reply = partner_get(&h, PC, named).await;
        assert_eq!(reply.status, StatusCode::OK);
        signed_by(&h, &reply, (*keys).clone(), &pk);
    }
    // The certificate, in any case: the certificate.
    for named in [cert.serial().to_owned(), cert.serial().to_ascii_lowercase()] {
        let reply = partner_get(&h, PC, Some(&named)).await;
        signed_by(&h, &reply, (*keys).clone(), cert.serial());
    }
    // Refusals too.
    let reply = partner_get(
        &h,
        "/v3/marketing/partner/product-coupon/product-coupons/1?brand_id=120344",
        Some(cert.serial()),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    signed_by(&h, &reply, (*keys).clone(), cert.serial());

    // The brand names the public key or the certificate; nothing else.
    for serial in [pk.clone(), cert.serial().to_owned()] {
        let mut call = h.brand(Method::GET, BRAND_PC, b"");
        call.wechatpay_serial = Some(serial.clone());
        let reply = h.send(call).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&reply.body)
        );
        signed_by(&h, &reply, (*keys).clone(), &serial);
    }
    let mut call = h.brand(Method::GET, BRAND_PC, b"");
    call.wechatpay_serial = Some("PUB_KEY_ID_UNKNOWN".into());
    let reply = h.send(call).await;
    reply.assert_refused(StatusCode::BAD_REQUEST, "PARAM_ERROR", None);
    assert!(reply.json()["message"].as_str().unwrap().contains(&pk));
}

#[tokio::test]
async fn the_certificates_mode_signs_with_its_certificate_and_refuses_a_public_key_id() {
    let h = start(WechatPayKeyMode::Certificates).await;
    let cert = h.sandbox.platform_certificates()[0].clone();
    assert_eq!(
        h.sandbox.verifier().unwrap().key_ids(),
        vec![cert.serial().to_owned()]
    );
    let reply = partner_get(&h, PC, None).await;
    signed_by(
        &h,
        &reply,
        KeySet::new().with_certificate(cert.clone()),
        cert.serial(),
    );
    // A brand call naming the public key id: the sandbox has no public key.
    let reply = h.send(h.brand(Method::GET, BRAND_PC, b"")).await;
    reply.assert_refused(StatusCode::BAD_REQUEST, "PARAM_ERROR", None);
    let mut call = h.brand(Method::GET, BRAND_PC, b"");
    call.wechatpay_serial = Some(cert.serial().to_owned());
    assert_eq!(h.send(call).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_rotation_adds_a_default_certificate_and_keeps_the_old_one_for_requests_naming_it() {
    let h = start(WechatPayKeyMode::Certificates).await;
    let old = h.sandbox.platform_certificates()[0].clone();
    h.clock.advance(600);
    let new = h
        .sandbox
        .rotate_wechatpay_key_with(KeyRotation::new().with_key(rotation_keys()[0].clone()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(new.kind, WechatPayKeyKind::Certificate);
    assert!(new.default && !new.retired);
    let new_cert = new.certificate().unwrap().unwrap();
    assert_eq!(new_cert.public_key(), &rotation_keys()[0].public_key());
    assert_ne!(new_cert.serial(), old.serial());
    // It stays valid longer: a client names it once it holds both.
    assert!(new_cert.not_after() > old.not_after());

    let both = KeySet::new()
        .with_certificate(old.clone())
        .with_certificate(new_cert.clone());
    signed_by(
        &h,
        &partner_get(&h, PC, None).await,
        both.clone(),
        new_cert.serial(),
    );
    signed_by(
        &h,
        &partner_get(&h, PC, Some(new_cert.serial())).await,
        both.clone(),
        new_cert.serial(),
    );
    signed_by(
        &h,
        &partner_get(&h, PC, Some(old.serial())).await,
        both.clone(),
        old.serial(),
    );
    let reply = partner_get(&h, CERTIFICATES_PATH, Some(old.serial())).await;
    assert_eq!(delivered(&h, &reply), vec![new_cert.clone(), old.clone()]);
    signed_by(&h, &reply, both.clone(), old.serial());
    assert_eq!(h.sandbox.verifier().unwrap().keys().len(), 2);

    // Retired, the old certificate is withdrawn: not delivered, not used for
    // answers naming it — except the download naming it.
    h.sandbox.retire_wechatpay_key(old.serial()).unwrap();
    signed_by(
        &h,
        &partner_get(&h, PC, Some(old.serial())).await,
        both.clone(),
        new_cert.serial(),
    );
    let reply = partner_get(&h, CERTIFICATES_PATH, Some(old.serial())).await;
    assert_eq!(delivered(&h, &reply), vec![new_cert.clone()]);
    signed_by(&h, &reply, both.clone(), old.serial());
    let reply = partner_get(&h, CERTIFICATES_PATH, None).await;
    signed_by(&h, &reply, both, new_cert.serial());
    assert_eq!(
        h.sandbox.verifier().unwrap().key_ids(),
        vec![new_cert.serial().to_owned()]
    );
    let keys = h.sandbox.wechatpay_keys();
    assert_eq!(keys.len(), 2);
    assert!(keys[0].retired && !keys[0].default);

    // The default key and the last of its kind cannot be retired.
    let err = h
        .sandbox
        .retire_wechatpay_key(new_cert.serial())
        .unwrap_err();
    assert!(err.to_string().contains("rotate first"), "{err}");
    assert!(h.sandbox.retire_wechatpay_key(old.serial()).is_err());
}

#[tokio::test]
async fn in_the_both_mode_a_rotation_moves_answers_naming_no_key_to_the_new_certificate() {
    let h = start(WechatPayKeyMode::Both).await;
    let creds = creds();
    let pk = creds.wechatpay_public_key_id.clone();
    let new = h
        .sandbox
        .rotate_wechatpay_key_with(KeyRotation::new().with_key(rotation_keys()[1].clone()))
        .await
        .unwrap()
        .unwrap();
    let keys = h.sandbox.verifier().unwrap().keys();
    assert_eq!(keys.len(), 3);
    signed_by(
        &h,
        &partner_get(&h, PC, None).await,
        (*keys).clone(),
        &new.id,
    );
    signed_by(
        &h,
        &partner_get(&h, PC, Some(&pk)).await,
        (*keys).clone(),
        &pk,
    );
    // Brand calls keep their public key; a brand notification too.
    let event = h.sandbox.sample_send_event().unwrap();
    let (headers, _) = h
        .sandbox
        .build_webhook(&event, coupon_sandbox::WebhookOptions::new())
        .unwrap();
    assert_eq!(headers["wechatpay-serial"], pk.as_str());
    // The public key is the last of its kind.
    assert!(h.sandbox.retire_wechatpay_key(&pk).is_err());
}

#[tokio::test]
async fn the_public_key_mode_rotates_to_a_new_public_key() {
    let h = start(WechatPayKeyMode::PublicKey).await;
    let new = h
        .sandbox
        .rotate_wechatpay_key_with(
            KeyRotation::new()
                .with_key(rotation_keys()[0].clone())
                .retire_previous(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(new.kind, WechatPayKeyKind::PublicKey);
    assert!(new.id.starts_with("PUB_KEY_ID_"), "{}", new.id);
    assert!(new.certificate().unwrap().is_none());
    assert_eq!(new.public_key().unwrap(), rotation_keys()[0].public_key());
    let keys = h.sandbox.verifier().unwrap().keys();
    assert_eq!(keys.ids().collect::<Vec<_>>(), vec![new.id.as_str()]);
    // The old id, retired, is refused on brand calls; the new one accepted.
    h.send(h.brand(Method::GET, BRAND_PC, b""))
        .await
        .assert_refused(StatusCode::BAD_REQUEST, "PARAM_ERROR", None);
    let mut call = h.brand(Method::GET, BRAND_PC, b"");
    call.wechatpay_serial = Some(new.id.clone());
    let reply = h.send(call).await;
    signed_by(&h, &reply, (*keys).clone(), &new.id);
}

#[tokio::test]
async fn a_scheduled_rotation_happens_as_the_last_awaited_request_arrives() {
    let h = start(WechatPayKeyMode::Certificates).await;
    let old = h.sandbox.platform_certificates()[0].serial().to_owned();
    let scheduled = h
        .sandbox
        .rotate_wechatpay_key_with(
            KeyRotation::new()
                .with_key(rotation_keys()[1].clone())
                .after_requests(2)
                .retire_previous(),
        )
        .await
        .unwrap();
    assert!(scheduled.is_none());
    assert_eq!(
        partner_get(&h, PC, Some(&old))
            .await
            .header("wechatpay-serial"),
        old
    );
    // The second request makes the rotation, and is answered as before it.
    assert_eq!(
        partner_get(&h, PC, Some(&old))
            .await
            .header("wechatpay-serial"),
        old
    );
    let new = h.sandbox.platform_certificates()[0].serial().to_owned();
    assert_ne!(new, old);
    assert_eq!(
        partner_get(&h, PC, Some(&old))
            .await
            .header("wechatpay-serial"),
        new
    );
    assert_eq!(h.sandbox.platform_certificates().len(), 1);
}

#[tokio::test]
async fn an_expired_certificate_keeps_signing_until_it_is_rotated() {
    let h = Harness::start_with(|b| {
        b.wechatpay_keys(WechatPayKeyMode::Certificates)
            .certificate_validity(Duration::from_secs(86_400))
    })
    .await;
    let cert = h.sandbox.platform_certificates()[0].clone();
    assert_eq!(cert.not_after(), h.clock.now_unix() + 86_400);
    h.clock.advance(2 * 86_400);
    let reply = partner_get(&h, PC, None).await;
    assert_eq!(reply.header("wechatpay-serial"), cert.serial());
    let err = h.verify(&reply).unwrap_err();
    assert_eq!(
        err.kind(),
        wxpay_sign::ErrorKind::CertificateExpired,
        "{err}"
    );
}

#[tokio::test]
async fn the_admin_channel_lists_rotates_and_retires_keys() {
    let h = start(WechatPayKeyMode::Certificates).await;
    let base = h.sandbox.base_url();
    let listed = admin::wechatpay_keys(&base).await.unwrap();
    assert_eq!(listed.mode, WechatPayKeyMode::Certificates);
    assert_eq!(listed.keys, h.sandbox.wechatpay_keys());
    assert!(
        !serde_json::to_string(&listed.keys)
            .unwrap()
            .contains("PRIVATE KEY")
    );

    let rotation = admin::rotate_wechatpay_key(&base, false, 0).await.unwrap();
    let new = rotation.rotated.clone().expect("rotated now");
    assert!(new.default);
    assert_eq!(rotation.keys.len(), 2);
    let old = &rotation.keys[0];
    let after = admin::retire_wechatpay_key(&base, &old.id).await.unwrap();
    assert!(after.keys[0].retired);
    let err = admin::retire_wechatpay_key(&base, &new.id)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("rotate first"), "{err}");

    let scheduled = admin::rotate_wechatpay_key(&base, true, 3).await.unwrap();
    assert!(scheduled.rotated.is_none());
    assert_eq!(scheduled.after_requests, 3);
    // Admin requests do not count toward it.
    admin::wechatpay_keys(&base).await.unwrap();
    assert_eq!(h.sandbox.wechatpay_keys().len(), 2);
    for _ in 0..3 {
        partner_get(&h, PC, None).await;
    }
    let keys = h.sandbox.wechatpay_keys();
    assert_eq!(keys.len(), 3);
    assert!(keys[1].retired && keys[2].default);

    // POSTs need the admin header.
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Full<bytes::Bytes>>();
    let response = client
        .request(
            http::Request::post(format!("{base}{}", admin::ROTATE_KEY_PATH))
                .body(Default::default())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_keys_directory_of_the_certificates_mode_names_no_public_key() {
    let creds = creds();
    let dir = temp_keys_dir("certificates-mode");
    creds
        .write_keys_dir_for(&dir, "http://127.0.0.1:1", WechatPayKeyMode::Certificates)
        .unwrap();
    let env = std::fs::read_to_string(dir.join(coupon_sandbox::ENV_FILE)).unwrap();
    let names: Vec<&str> = env
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('=').map(|(n, _)| n))
        .collect();
    assert!(
        !names.contains(&"WXPAY_PUBLIC_KEY_ID") && !names.contains(&"WXPAY_PUBLIC_KEY"),
        "{env}"
    );
    assert!(names.contains(&"WXPAY_APIV3_KEY"));
    assert_eq!(names.len(), 8, "{env}");
    assert!(!dir.join(coupon_sandbox::WXPAY_PUBLIC_KEY_FILE).exists());
    // It reads back: same keys, a fresh public key id.
    let loaded = Credentials::load_keys_dir(&dir).unwrap();
    assert_eq!(loaded.wechatpay_public_key, creds.wechatpay_public_key);
    assert!(loaded.wechatpay_public_key_id.starts_with("PUB_KEY_ID_"));
    // The same directory in the both mode gets its public key back.
    loaded
        .write_keys_dir_for(&dir, "http://127.0.0.1:2", WechatPayKeyMode::Both)
        .unwrap();
    let env = std::fs::read_to_string(dir.join(coupon_sandbox::ENV_FILE)).unwrap();
    assert!(env.contains(&format!(
        "WXPAY_PUBLIC_KEY_ID={}",
        loaded.wechatpay_public_key_id
    )));
}

#[test]
fn serialized_key_infos_name_their_kind_and_mode() {
    let value: Value = serde_json::to_value(WechatPayKeyMode::PublicKey).unwrap();
    assert_eq!(value, "public-key");
    let value: Value = serde_json::to_value(WechatPayKeyKind::Certificate).unwrap();
    assert_eq!(value, "certificate");
}
