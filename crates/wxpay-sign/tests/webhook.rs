//! Webhook resource decryption (AEAD_AES_256_GCM) and sensitive fields (RSA-OAEP).

mod common;

use common::*;
use proptest::prelude::*;
use wxpay_sign::{
    AEAD_AES_256_GCM, ApiV3Key, Error, ErrorKind, PrivateKey, decrypt_resource, encrypt_resource,
};

const KEY: &str = "TestApiV3Key0123456789abcdefABCD";
const RESOURCE_NONCE: &str = "Wx1Nonce0a9B";
const AD: &str = "product_coupon";

fn key() -> ApiV3Key {
    ApiV3Key::new(KEY).unwrap()
}

fn vector() -> String {
    text("kat/webhook_ciphertext.b64").trim().to_owned()
}

#[test]
fn decrypts_the_independent_vector() {
    let plain = decrypt_resource(&key(), AEAD_AES_256_GCM, RESOURCE_NONCE, AD, &vector()).unwrap();
    assert_eq!(plain, bytes("kat/webhook_plain.json"));
    assert!(String::from_utf8(plain).unwrap().contains("测试附加信息"));
    // And our encryption reproduces it exactly (GCM is deterministic).
    let ct =
        encrypt_resource(&key(), RESOURCE_NONCE, AD, &bytes("kat/webhook_plain.json")).unwrap();
    assert_eq!(ct, vector());
}

#[test]
fn authentication_failures() {
    let ct = vector();
    let wrong_key = ApiV3Key::new("XestApiV3Key0123456789abcdefABCD").unwrap();
    let cases = [
        decrypt_resource(&wrong_key, AEAD_AES_256_GCM, RESOURCE_NONCE, AD, &ct),
        decrypt_resource(&key(), AEAD_AES_256_GCM, "Wx1Nonce0a9C", AD, &ct),
        decrypt_resource(&key(), AEAD_AES_256_GCM, RESOURCE_NONCE, "coupon", &ct),
        decrypt_resource(&key(), AEAD_AES_256_GCM, RESOURCE_NONCE, "", &ct),
    ];
    for r in cases {
        let err = r.unwrap_err();
        assert!(matches!(err, Error::DecryptionFailed), "{err:?}");
        assert_eq!(err.kind(), ErrorKind::Decryption);
        assert!(err.to_string().contains("APIv3 key"));
    }
    // One flipped bit anywhere in ciphertext or tag.
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let raw = b64.decode(&ct).unwrap();
    for i in [0, raw.len() / 2, raw.len() - 1] {
        let mut t = raw.clone();
        t[i] ^= 0x01;
        let err = decrypt_resource(&key(), AEAD_AES_256_GCM, RESOURCE_NONCE, AD, &b64.encode(t))
            .unwrap_err();
        assert!(matches!(err, Error::DecryptionFailed));
    }
}

#[test]
fn shape_errors() {
    let ct = vector();
    let err = decrypt_resource(&key(), "AEAD_AES_128_GCM", RESOURCE_NONCE, AD, &ct).unwrap_err();
    assert!(matches!(&err, Error::UnsupportedAlgorithm { got } if got == "AEAD_AES_128_GCM"));
    let err = decrypt_resource(&key(), "aead_aes_256_gcm", RESOURCE_NONCE, AD, &ct).unwrap_err();
    assert!(matches!(err, Error::UnsupportedAlgorithm { .. }));
    let err =
        decrypt_resource(&key(), AEAD_AES_256_GCM, RESOURCE_NONCE, AD, "not base64!").unwrap_err();
    assert!(matches!(err, Error::Base64 { .. }), "{err:?}");
    let err = decrypt_resource(&key(), AEAD_AES_256_GCM, "short", AD, &ct).unwrap_err();
    assert!(matches!(err, Error::InvalidResource { field: "nonce", .. }));
    let err = decrypt_resource(&key(), AEAD_AES_256_GCM, RESOURCE_NONCE, AD, "AAAA").unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidResource {
            field: "ciphertext",
            ..
        }
    ));
    let err = encrypt_resource(&key(), "thirteen-char", AD, b"x").unwrap_err();
    assert!(matches!(err, Error::InvalidResource { field: "nonce", .. }));
}

#[test]
fn api_v3_key_must_be_32_bytes() {
    for bad in [
        "",
        "short",
        "TestApiV3Key0123456789abcdefABCD\n",
        "TestApiV3Key0123456789abcdefABC",
    ] {
        let err = ApiV3Key::new(bad).unwrap_err();
        assert!(matches!(err, Error::InvalidApiV3Key { len } if len == bad.len()));
        assert_eq!(err.kind(), ErrorKind::Key);
    }
    assert!(ApiV3Key::new([7u8; 32]).is_ok());
    assert!(ApiV3Key::new(vec![7u8; 32]).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn resource_round_trip(
        key_bytes in proptest::array::uniform32(any::<u8>()),
        nonce in "[0-9A-Za-z]{12}",
        ad in "\\PC{0,20}",
        plain in proptest::collection::vec(any::<u8>(), 0..2048),
    ) {
        let key = ApiV3Key::new(key_bytes).unwrap();
        let ct = encrypt_resource(&key, &nonce, &ad, &plain).unwrap();
        prop_assert_eq!(decrypt_resource(&key, AEAD_AES_256_GCM, &nonce, &ad, &ct).unwrap(), plain);
    }

    #[test]
    fn decrypt_never_panics(
        alg in prop_oneof![Just(AEAD_AES_256_GCM.to_string()), "\\PC{0,20}"],
        nonce in "\\PC{0,16}",
        ad in "\\PC{0,16}",
        ct in "[A-Za-z0-9+/=]{0,64}|\\PC{0,64}",
    ) {
        prop_assert!(decrypt_resource(&key(), &alg, &nonce, &ad, &ct).is_err());
    }
}

// ---------------------------------------------------------------------------
// Sensitive fields (RSA-OAEP SHA-1)
// ---------------------------------------------------------------------------

#[test]
fn decrypts_an_openssl_oaep_ciphertext() {
    let ct = text("kat/oaep_ciphertext.b64");
    let plain = merchant_key().decrypt_sensitive(&ct).unwrap();
    assert_eq!(&plain[..], "张三 13800138000".as_bytes());
    assert_eq!(&plain[..], &bytes("kat/oaep_plain.txt")[..]);
}

#[test]
fn oaep_round_trip_is_randomised() {
    let public = wechatpay_pub();
    let a = public.encrypt_sensitive("李四".as_bytes()).unwrap();
    let b = public.encrypt_sensitive("李四".as_bytes()).unwrap();
    assert_ne!(a, b);
    for ct in [a, b] {
        let plain = wechatpay_key().decrypt_sensitive(&ct).unwrap();
        assert_eq!(&plain[..], "李四".as_bytes());
    }
    // 214 bytes is the maximum for RSA-2048 with OAEP-SHA1.
    let max = vec![b'x'; 214];
    let ct = public.encrypt_sensitive(&max).unwrap();
    assert_eq!(
        &wechatpay_key().decrypt_sensitive(&ct).unwrap()[..],
        &max[..]
    );
}

#[test]
fn oaep_errors() {
    let err = wechatpay_pub().encrypt_sensitive(&[0u8; 215]).unwrap_err();
    assert!(matches!(err, Error::EncryptionFailed { .. }));
    assert!(err.to_string().contains("214"));
    assert_eq!(err.kind(), ErrorKind::Encryption);

    let ct = wechatpay_pub().encrypt_sensitive(b"secret").unwrap();
    let err = merchant_key().decrypt_sensitive(&ct).unwrap_err();
    assert!(matches!(err, Error::SensitiveDecryptionFailed));
    let err = merchant_key().decrypt_sensitive("%%%").unwrap_err();
    assert!(matches!(err, Error::Base64 { .. }));
    let err = merchant_key().decrypt_sensitive("AAAA").unwrap_err();
    assert!(matches!(err, Error::SensitiveDecryptionFailed));
}

#[test]
fn oaep_works_with_generated_keys() {
    let key = PrivateKey::generate().unwrap();
    let ct = key.public_key().encrypt_sensitive(b"13800138000").unwrap();
    assert_eq!(&key.decrypt_sensitive(&ct).unwrap()[..], b"13800138000");
}
