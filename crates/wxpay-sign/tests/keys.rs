//! Key loading, conversion and rejection.

mod common;

use common::*;
use wxpay_sign::{Error, ErrorKind, PrivateKey, PublicKey};

#[test]
fn pkcs8_and_pkcs1_private_keys_are_the_same_key() {
    let a = PrivateKey::from_pem(&text("merchant_key.pem")).unwrap();
    let b = PrivateKey::from_pem(&text("merchant_key_pkcs1.pem")).unwrap();
    let c = PrivateKey::from_pkcs8_der(&bytes("merchant_key.der")).unwrap();
    let d = PrivateKey::from_pem_file(path("merchant_key.pem")).unwrap();
    assert_eq!(a.bits(), 2048);
    for k in [&b, &c, &d] {
        assert_eq!(k.public_key(), a.public_key());
    }
    // Same key, so the same deterministic PKCS#1 v1.5 signature.
    let signer = |k: &PrivateKey| wxpay_sign::Signer::brand("1", "S", k.clone());
    assert_eq!(
        signer(&a).sign_message(b"abc").unwrap(),
        signer(&b).sign_message(b"abc").unwrap()
    );
}

#[test]
fn pkcs8_export_is_byte_identical_to_openssl() {
    let expected = text("merchant_key.pem");
    assert_eq!(*merchant_key().to_pkcs8_pem(), expected);
    // Converting PKCS#1 input yields OpenSSL's PKCS#8 encoding too.
    let from_pkcs1 = PrivateKey::from_pem(&text("merchant_key_pkcs1.pem")).unwrap();
    assert_eq!(*from_pkcs1.to_pkcs8_pem(), expected);
    assert_eq!(*from_pkcs1.to_pkcs8_der(), bytes("merchant_key.der"));
    // And it loads back.
    let again = PrivateKey::from_pem(&from_pkcs1.to_pkcs8_pem()).unwrap();
    assert_eq!(again.public_key(), from_pkcs1.public_key());
}

#[test]
fn public_key_formats_agree_and_export_matches_openssl() {
    let expected = merchant_key().public_key();
    let spki = PublicKey::from_pem(&text("merchant_pub.pem")).unwrap();
    let pkcs1 = PublicKey::from_pem(&text("merchant_pub_pkcs1.pem")).unwrap();
    let file = PublicKey::from_pem_file(path("merchant_pub.pem")).unwrap();
    assert_eq!(spki, expected);
    assert_eq!(pkcs1, expected);
    assert_eq!(file, expected);
    assert_eq!(spki.bits(), 2048);
    assert_eq!(expected.to_spki_pem(), text("merchant_pub.pem"));
    assert_eq!(PublicKey::from_spki_der(&spki.to_spki_der()).unwrap(), spki);
    assert_eq!(
        PublicKey::from_pkcs1_der(&spki.to_pkcs1_der()).unwrap(),
        spki
    );
    assert_ne!(spki, wechatpay_pub());
}

#[test]
fn certificate_gives_key_and_serial() {
    let (key, serial) = PublicKey::from_certificate_pem(&text("wechatpay_cert.pem")).unwrap();
    assert_eq!(serial, CERT_SERIAL);
    assert_eq!(key, wechatpay_key().public_key());
    assert_eq!(
        PublicKey::from_pem(&text("wechatpay_cert.pem")).unwrap(),
        key
    );

    // A serial with the high bit set is DER-encoded with a leading 0x00,
    // which must not show up in the hex (openssl prints it without).
    let (_, serial) = PublicKey::from_certificate_pem(&text("highbit_serial_cert.pem")).unwrap();
    assert_eq!(serial, "8AB3C0FFEE0000000000000000000000000000FF");
}

#[test]
fn text_around_pem_blocks_and_crlf_are_tolerated() {
    let noisy = format!(
        "Bag Attributes\r\n    localKeyID: 01 00 00 00\r\n{}\r\n",
        text("merchant_key.pem").replace('\n', "\r\n")
    );
    let key = PrivateKey::from_pem(&noisy).unwrap();
    assert_eq!(key.public_key(), merchant_key().public_key());

    // A private key after a certificate in the same file is found.
    let bundle = format!("{}{}", text("wechatpay_cert.pem"), text("merchant_key.pem"));
    assert_eq!(
        PrivateKey::from_pem(&bundle).unwrap().public_key(),
        merchant_key().public_key()
    );
}

#[test]
fn encrypted_keys_are_rejected_as_encrypted() {
    for name in [
        "merchant_key_encrypted.pem",
        "merchant_key_pkcs1_encrypted.pem",
    ] {
        let err = PrivateKey::from_pem(&text(name)).unwrap_err();
        assert!(matches!(err, Error::EncryptedKey { .. }), "{name}: {err:?}");
        assert_eq!(err.kind(), ErrorKind::Key);
        assert!(err.to_string().contains("openssl pkcs8 -topk8 -nocrypt"));
    }
}

#[test]
fn non_rsa_keys_are_rejected_as_not_rsa() {
    let err = PrivateKey::from_pem(&text("ec_key.pem")).unwrap_err();
    assert!(
        matches!(&err, Error::NotRsaKey { algorithm } if algorithm.contains("EC")),
        "{err:?}"
    );
    let err = PrivateKey::from_pem(&text("ec_key_sec1.pem")).unwrap_err();
    assert!(matches!(err, Error::NotRsaKey { .. }), "{err:?}");
}

#[test]
fn small_keys_are_rejected_as_too_small() {
    let err = PrivateKey::from_pem(&text("rsa1024_key.pem")).unwrap_err();
    assert!(
        matches!(
            err,
            Error::KeyTooSmall {
                bits: 1024,
                min: 2048
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("1024"));
}

#[test]
fn wrong_block_kinds_name_what_was_found() {
    let err = PrivateKey::from_pem(&text("wechatpay_cert.pem")).unwrap_err();
    assert!(
        matches!(&err, Error::NoPemBlock { found, .. } if found == &["CERTIFICATE".to_string()]),
        "{err:?}"
    );
    let err = PublicKey::from_pem(&text("merchant_key.pem")).unwrap_err();
    assert!(
        matches!(&err, Error::NoPemBlock { found, .. } if found == &["PRIVATE KEY".to_string()]),
        "{err:?}"
    );
    let err = PublicKey::from_certificate_pem(&text("merchant_pub.pem")).unwrap_err();
    assert!(matches!(err, Error::NoPemBlock { .. }), "{err:?}");
    let err = PrivateKey::from_pem("").unwrap_err();
    assert!(matches!(&err, Error::NoPemBlock { found, .. } if found.is_empty()));
}

#[test]
fn garbage_is_malformed_not_a_panic() {
    let cases = [
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        "-----BEGIN RSA PRIVATE KEY-----\nMAA=\n-----END RSA PRIVATE KEY-----\n",
        "-----BEGIN PRIVATE KEY-----\n@@@@\n-----END PRIVATE KEY-----\n",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
    ];
    for pem in cases {
        let err = PrivateKey::from_pem(pem).unwrap_err();
        assert!(matches!(err, Error::MalformedKey { .. }), "{pem}: {err:?}");
    }
    assert!(matches!(
        PrivateKey::from_pkcs8_der(b"\x30\x03\x02\x01\x00").unwrap_err(),
        Error::MalformedKey { .. }
    ));
    assert!(matches!(
        PublicKey::from_spki_der(b"").unwrap_err(),
        Error::MalformedKey { .. }
    ));
    assert!(matches!(
        PublicKey::from_certificate_der(b"\x30\x00").unwrap_err(),
        Error::MalformedKey { .. }
    ));
    let half = &text("merchant_pub.pem")[..200];
    assert!(PublicKey::from_pem(half).is_err());
}

#[test]
fn missing_file_names_the_path() {
    let err = PrivateKey::from_pem_file("/nonexistent/apiclient_key.pem").unwrap_err();
    match &err {
        Error::KeyFile { path, .. } => assert!(path.ends_with("apiclient_key.pem")),
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains("/nonexistent/apiclient_key.pem"));
    assert!(matches!(
        PublicKey::from_pem_file("/nonexistent/pub_key.pem").unwrap_err(),
        Error::KeyFile { .. }
    ));
}

#[test]
fn small_public_keys_are_rejected() {
    let err = PublicKey::from_pem(&text("rsa1024_pub.pem")).unwrap_err();
    assert!(
        matches!(err, Error::KeyTooSmall { bits: 1024, .. }),
        "{err:?}"
    );
}

#[test]
fn generated_keys_work() {
    let key = PrivateKey::generate().unwrap();
    assert_eq!(key.bits(), 2048);
    assert_ne!(key.public_key(), merchant_key().public_key());
    let reloaded = PrivateKey::from_pem(&key.to_pkcs8_pem()).unwrap();
    assert_eq!(reloaded.public_key(), key.public_key());
}
