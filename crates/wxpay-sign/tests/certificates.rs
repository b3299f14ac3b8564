//! Platform certificates and the key set: parsing with serial and validity,
//! public keys and certificates in one verifier, expiry by the injected
//! clock, and replacing the set while verifications run.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::*;
use wxpay_sign::{
    Error, ErrorKind, KeySet, ManualClock, PlatformCertificate, PublicKey, ResponseSigner,
    SignatureHeaders, Verifier, WechatPayKey,
};

const BODY: &[u8] = br#"{"stock_id":"1000000013001"}"#;
/// notBefore / notAfter of `wechatpay_cert.pem` (openssl x509 -dates).
const FIXTURE_NOT_BEFORE: i64 = 1_795_355_354;
const FIXTURE_NOT_AFTER: i64 = 4_948_955_354;

fn cert(key: &wxpay_sign::PrivateKey, serial: &str, from: i64, to: i64) -> PlatformCertificate {
    PlatformCertificate::self_signed(key, serial, from, to).unwrap()
}

#[test]
fn a_certificate_keeps_its_serial_key_and_validity() {
    let c = PlatformCertificate::from_pem(&text("wechatpay_cert.pem")).unwrap();
    assert_eq!(c.serial(), CERT_SERIAL);
    assert_eq!(c.public_key(), &wechatpay_pub());
    assert_eq!(c.not_before(), FIXTURE_NOT_BEFORE);
    assert_eq!(c.not_after(), FIXTURE_NOT_AFTER);
    assert!(c.is_valid_at(FIXTURE_NOT_BEFORE));
    assert!(c.is_valid_at(FIXTURE_NOT_AFTER));
    assert!(!c.is_valid_at(FIXTURE_NOT_BEFORE - 1));
    assert!(!c.is_valid_at(FIXTURE_NOT_AFTER + 1));
    // PEM round trip, and the older API agrees.
    assert_eq!(PlatformCertificate::from_pem(&c.to_pem()).unwrap(), c);
    let (key, serial) = PublicKey::from_certificate_pem(&text("wechatpay_cert.pem")).unwrap();
    assert_eq!((key, serial.as_str()), (wechatpay_pub(), CERT_SERIAL));
    let shown = format!("{c:?}");
    assert!(
        shown.contains(CERT_SERIAL) && shown.contains("not_after"),
        "{shown}"
    );
}

#[test]
fn self_signed_certificates_round_trip() {
    let c = cert(&wechatpay_key(), "0a1b2c", TS - 10, TS + 10);
    assert_eq!(c.serial(), "0A1B2C");
    assert_eq!((c.not_before(), c.not_after()), (TS - 10, TS + 10));
    assert_eq!(c.public_key(), &wechatpay_pub());
    // A high-bit serial keeps its digits; one after 2049 uses GeneralizedTime.
    let c = cert(&wechatpay_key(), "F1", 0, 2_600_000_000);
    assert_eq!((c.serial(), c.not_after()), ("F1", 2_600_000_000));
    for bad in ["", "xyz", &"A".repeat(41)] {
        assert!(PlatformCertificate::self_signed(&wechatpay_key(), bad, 0, 1).is_err());
    }
    assert!(PlatformCertificate::self_signed(&wechatpay_key(), "01", -5, 1).is_err());
}

#[test]
fn a_non_certificate_pem_is_refused_by_name() {
    let err = PlatformCertificate::from_pem(&text("wechatpay_pub.pem")).unwrap_err();
    assert!(matches!(err, Error::NoPemBlock { .. }), "{err}");
    assert_eq!(err.kind(), ErrorKind::Key);
}

fn signed(serial: &str, key: &wxpay_sign::PrivateKey, ts: i64) -> SignatureHeaders {
    ResponseSigner::new(serial, key.clone())
        .sign(BODY, ts, NONCE)
        .unwrap()
}

#[test]
fn public_keys_and_certificates_verify_side_by_side() {
    let clock = Arc::new(ManualClock::new(TS));
    let c = cert(&merchant_key(), "5A5A01", TS - 100, TS + 100);
    let verifier = Verifier::builder()
        .public_key(PUB_KEY_ID, wechatpay_pub())
        .certificate(c.clone())
        .clock(clock.clone())
        .build()
        .unwrap();
    assert_eq!(verifier.key_ids(), vec!["5A5A01", PUB_KEY_ID]);
    verifier
        .verify(&signed(PUB_KEY_ID, &wechatpay_key(), TS), BODY)
        .unwrap();
    // The serial matches whatever its case.
    for serial in ["5A5A01", "5a5a01"] {
        verifier
            .verify(&signed(serial, &merchant_key(), TS), BODY)
            .unwrap();
    }
    // The key is the one the serial names: the other key's signature fails.
    let err = verifier
        .verify(&signed("5A5A01", &wechatpay_key(), TS), BODY)
        .unwrap_err();
    assert!(matches!(err, Error::BadSignature { .. }), "{err}");
    let err = verifier
        .verify(&signed("5A5A02", &merchant_key(), TS), BODY)
        .unwrap_err();
    assert!(
        matches!(&err, Error::UnknownSerial { known, .. } if known.len() == 2),
        "{err}"
    );
}

#[test]
fn a_certificate_outside_its_validity_is_refused_with_its_own_kind() {
    let clock = Arc::new(ManualClock::new(TS));
    let c = cert(&merchant_key(), "0C0C", TS - 100, TS + 100);
    let verifier = Verifier::builder()
        .certificate(c)
        .clock(clock.clone())
        .build()
        .unwrap();
    // Validity is inclusive at both ends.
    for now in [TS - 100, TS + 100] {
        clock.set(now);
        verifier
            .verify(&signed("0C0C", &merchant_key(), now), BODY)
            .unwrap();
    }
    clock.set(TS + 101);
    let err = verifier
        .verify(&signed("0C0C", &merchant_key(), TS + 101), BODY)
        .unwrap_err();
    assert!(
        matches!(err, Error::CertificateExpired { ref serial, not_after, now } if serial == "0C0C" && not_after == TS + 100 && now == TS + 101),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::CertificateExpired);
    assert!(err.is_verification_failure() && err.kind().is_verification());
    assert!(err.to_string().contains("expired"), "{err}");

    clock.set(TS - 101);
    let err = verifier
        .verify(&signed("0C0C", &merchant_key(), TS - 101), BODY)
        .unwrap_err();
    assert!(
        matches!(err, Error::CertificateNotYetValid { not_before, .. } if not_before == TS - 100),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::CertificateNotYetValid);
    assert!(err.is_verification_failure());
}

#[test]
fn replacing_the_keys_is_seen_by_every_clone_and_not_by_snapshots() {
    let clock = Arc::new(ManualClock::new(TS));
    let verifier = Verifier::builder()
        .allow_empty()
        .clock(clock)
        .build()
        .unwrap();
    let clone = verifier.clone();
    let message = signed(PUB_KEY_ID, &wechatpay_key(), TS);
    assert!(matches!(
        clone.verify(&message, BODY).unwrap_err(),
        Error::UnknownSerial { .. }
    ));
    let before = verifier.keys();
    verifier.replace_keys(KeySet::new().with_public_key(PUB_KEY_ID, wechatpay_pub()));
    clone.verify(&message, BODY).unwrap();
    assert!(before.is_empty(), "a snapshot does not change");
    assert_eq!(clone.keys().len(), 1);

    // A separate verifier shares the clock, not the keys.
    let separate = verifier.with_separate_keys(KeySet::new());
    assert!(separate.verify(&message, BODY).is_err());
    verifier.verify(&message, BODY).unwrap();
}

#[test]
fn without_allow_empty_a_verifier_needs_a_key() {
    assert!(matches!(
        Verifier::builder().build().unwrap_err(),
        Error::NoPublicKeys
    ));
}

/// A rotation while messages are being verified: old and new keys are both
/// in every set swapped in, so no verification may fail, whatever the
/// interleaving.
#[test]
fn verifications_never_fail_while_the_set_is_replaced() {
    let old = cert(&wechatpay_key(), "01D0", 0, i64::from(u32::MAX));
    let new = cert(&merchant_key(), "02E0", 0, i64::from(u32::MAX));
    let both = KeySet::new()
        .with_certificate(old.clone())
        .with_certificate(new.clone());
    let both_and_a_public_key = both.clone().with_public_key(PUB_KEY_ID, wechatpay_pub());
    let verifier = Verifier::builder()
        .keys(both.clone())
        .clock(Arc::new(ManualClock::new(TS)))
        .build()
        .unwrap();
    let messages = [
        signed("01D0", &wechatpay_key(), TS),
        signed("02E0", &merchant_key(), TS),
    ];
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        let swapper = s.spawn(|| {
            for i in 0..2_000 {
                let set = if i % 2 == 0 {
                    &both_and_a_public_key
                } else {
                    &both
                };
                verifier.replace_keys(set.clone());
            }
            done.store(true, Ordering::SeqCst);
        });
        for _ in 0..2 {
            let verifier = verifier.clone();
            let messages = &messages;
            let done = &done;
            s.spawn(move || {
                let mut n = 0;
                while !done.load(Ordering::SeqCst) || n < 100 {
                    verifier.verify(&messages[n % 2], BODY).unwrap();
                    n += 1;
                }
            });
        }
        swapper.join().unwrap();
    });
}

#[test]
fn a_download_replaces_the_certificates_and_keeps_the_public_keys() {
    let a = cert(&wechatpay_key(), "0A", TS - 10, TS + 10);
    let b = cert(&merchant_key(), "0B", TS, TS + 1000);
    let c = cert(&merchant_key(), "0C", TS + 500, TS + 2000);
    let set = KeySet::new()
        .with_public_key(PUB_KEY_ID, wechatpay_pub())
        .with_certificate(a.clone());
    let next = set.with_certificates_replaced([b.clone(), c.clone()]);
    assert_eq!(next.ids().collect::<Vec<_>>(), vec!["0B", "0C", PUB_KEY_ID]);
    assert!(matches!(
        next.get(PUB_KEY_ID),
        Some(WechatPayKey::PublicKey(_))
    ));
    assert_eq!(next.public_key_ids().collect::<Vec<_>>(), vec![PUB_KEY_ID]);
    // The newest valid certificate is the one valid now that lasts longest.
    assert_eq!(
        next.newest_valid_certificate(TS).map(|c| c.serial()),
        Some("0B")
    );
    assert_eq!(
        next.newest_valid_certificate(TS + 600).map(|c| c.serial()),
        Some("0C")
    );
    assert_eq!(next.newest_valid_certificate(TS + 5000), None);
    assert!(
        next.has_usable_key(TS + 5000),
        "the public key never expires"
    );
    let certs_only: KeySet = [a, b].into_iter().collect();
    assert!(certs_only.has_usable_key(TS));
    assert!(!certs_only.has_usable_key(TS + 5000));
    assert!(!KeySet::new().has_usable_key(TS));
}
