//! Response/webhook verification (every error kind, window edges, check order)
//! and server-side `Authorization` parsing and verification.

mod common;

use std::sync::Arc;

use common::*;
use http::{HeaderMap, HeaderValue};
use wxpay_sign::{
    Clock, Error, ErrorKind, ManualClock, ParsedAuthorization, ResponseSigner, Scheme,
    SignableRequest, SignatureHeaders, Signer, Verifier, check_timestamp, verify_request,
};

const BODY: &[u8] = "{\"stock_id\":\"1000000013001\",\"remark\":\"满减券\"}".as_bytes();

fn platform() -> ResponseSigner {
    ResponseSigner::new(PUB_KEY_ID, wechatpay_key())
}

fn setup() -> (Verifier, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(TS));
    let verifier = Verifier::builder()
        .public_key(PUB_KEY_ID, wechatpay_pub())
        .public_key(CERT_SERIAL, wechatpay_pub())
        .clock(clock.clone())
        .build()
        .unwrap();
    (verifier, clock)
}

fn header_map(h: &SignatureHeaders) -> HeaderMap {
    let mut map = HeaderMap::new();
    h.apply_to(&mut map).unwrap();
    map
}

#[test]
fn a_signed_response_verifies_via_struct_and_header_map() {
    let (verifier, _) = setup();
    let headers = platform().sign(BODY, TS, NONCE).unwrap();
    verifier.verify(&headers, BODY).unwrap();
    let map = header_map(&headers);
    assert_eq!(map["wechatpay-serial"], PUB_KEY_ID);
    assert_eq!(map["Wechatpay-Timestamp"], "1700000000");
    verifier.verify_headers(&map, BODY).unwrap();
    assert_eq!(SignatureHeaders::from_header_map(&map).unwrap(), headers);
}

#[test]
fn several_keys_are_held_at_once() {
    let clock = Arc::new(ManualClock::new(TS));
    let verifier = Verifier::builder()
        .public_key("PUB_KEY_ID_NEW", merchant_key().public_key())
        .public_key(CERT_SERIAL, wechatpay_pub())
        .clock(clock)
        .build()
        .unwrap();
    assert_eq!(verifier.key_ids(), vec![CERT_SERIAL, "PUB_KEY_ID_NEW"]);
    let old = ResponseSigner::new(CERT_SERIAL, wechatpay_key());
    let new = ResponseSigner::new("PUB_KEY_ID_NEW", merchant_key());
    verifier
        .verify(&old.sign(BODY, TS, NONCE).unwrap(), BODY)
        .unwrap();
    verifier
        .verify(&new.sign(BODY, TS, NONCE).unwrap(), BODY)
        .unwrap();
    // A signature by one key presented under the other key's id fails.
    let forged = SignatureHeaders::new(
        TS,
        NONCE,
        new.sign(BODY, TS, NONCE).unwrap().signature(),
        CERT_SERIAL,
    );
    assert!(matches!(
        verifier.verify(&forged, BODY).unwrap_err(),
        Error::BadSignature { .. }
    ));
    assert_eq!(verifier.public_key(CERT_SERIAL), Some(wechatpay_pub()));
}

#[test]
fn every_missing_header_is_named() {
    let (verifier, _) = setup();
    let full = header_map(&platform().sign(BODY, TS, NONCE).unwrap());
    for name in [
        "Wechatpay-Timestamp",
        "Wechatpay-Nonce",
        "Wechatpay-Signature",
        "Wechatpay-Serial",
    ] {
        let mut map = full.clone();
        map.remove(name);
        let err = verifier.verify_headers(&map, BODY).unwrap_err();
        assert!(
            matches!(err, Error::MissingHeader { name: n } if n == name),
            "{name}: {err:?}"
        );
        assert!(err.to_string().contains(name));
        assert!(err.is_verification_failure());
    }
}

#[test]
fn invalid_headers_are_named() {
    let (verifier, _) = setup();
    let full = header_map(&platform().sign(BODY, TS, NONCE).unwrap());
    let cases: &[(&str, &[u8])] = &[
        ("wechatpay-timestamp", b"abc"),
        ("wechatpay-timestamp", b"1.5"),
        ("wechatpay-timestamp", b"+1700000000"),
        ("wechatpay-timestamp", b"99999999999999999999"),
        ("wechatpay-timestamp", b""),
        ("wechatpay-nonce", b"   "),
        ("wechatpay-serial", "序列号".as_bytes()),
        ("wechatpay-signature", b"\xff\xfe"),
    ];
    let display = |n: &str| match n {
        "wechatpay-timestamp" => "Wechatpay-Timestamp",
        "wechatpay-nonce" => "Wechatpay-Nonce",
        "wechatpay-serial" => "Wechatpay-Serial",
        _ => "Wechatpay-Signature",
    };
    for (name, value) in cases {
        let mut map = full.clone();
        map.insert(*name, HeaderValue::from_bytes(value).unwrap());
        let err = verifier.verify_headers(&map, BODY).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidHeader { name: n, .. } if *n == display(name)),
            "{name} {value:?}: {err:?}"
        );
    }
    // A header given twice is ambiguous, hence invalid.
    let mut map = full.clone();
    map.append("wechatpay-nonce", HeaderValue::from_static("other"));
    assert!(matches!(
        verifier.verify_headers(&map, BODY).unwrap_err(),
        Error::InvalidHeader {
            name: "Wechatpay-Nonce",
            ..
        }
    ));
}

#[test]
fn unknown_serial_names_got_and_known() {
    let (verifier, _) = setup();
    let headers = ResponseSigner::new("PUB_KEY_ID_OTHER", wechatpay_key())
        .sign(BODY, TS, NONCE)
        .unwrap();
    let err = verifier.verify(&headers, BODY).unwrap_err();
    match &err {
        Error::UnknownSerial { got, known } => {
            assert_eq!(got, "PUB_KEY_ID_OTHER");
            assert_eq!(
                known,
                &vec![CERT_SERIAL.to_string(), PUB_KEY_ID.to_string()]
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("PUB_KEY_ID_OTHER"));
    assert!(msg.contains(PUB_KEY_ID));
    assert!(msg.contains("Verifier::builder().public_key("));
}

#[test]
fn timestamp_window_edges_in_both_directions() {
    let (verifier, clock) = setup();
    let signer = platform();
    for (offset, ok) in [
        (0, true),
        (299, true),
        (-299, true),
        (300, false),
        (-300, false),
        (301, false),
        (-86_400, false),
    ] {
        let headers = signer.sign(BODY, TS + offset, NONCE).unwrap();
        let result = verifier.verify(&headers, BODY);
        if ok {
            result.unwrap();
        } else {
            let err = result.unwrap_err();
            assert!(
                matches!(err, Error::TimestampSkew { timestamp, now: TS, window: 300 } if timestamp == TS + offset),
                "{offset}: {err:?}"
            );
            assert!(err.to_string().contains("NTP"));
        }
    }
    // The same message is accepted or rejected as the clock moves.
    let headers = signer.sign(BODY, TS, NONCE).unwrap();
    clock.set(TS + 299);
    verifier.verify(&headers, BODY).unwrap();
    clock.set(TS + 300);
    assert!(matches!(
        verifier.verify(&headers, BODY).unwrap_err(),
        Error::TimestampSkew { .. }
    ));
    clock.set(TS - 300);
    assert!(matches!(
        verifier.verify(&headers, BODY).unwrap_err(),
        Error::TimestampSkew { .. }
    ));
}

#[test]
fn extreme_timestamps_do_not_overflow() {
    let clock = ManualClock::new(i64::MAX);
    assert!(check_timestamp(&clock, i64::MIN, 300).is_err());
    clock.set(i64::MIN);
    assert!(check_timestamp(&clock, i64::MAX, 300).is_err());
    assert!(check_timestamp(&clock, i64::MIN + 299, 300).is_ok());
    clock.advance(-5);
    assert_eq!(clock.now_unix(), i64::MIN);
}

#[test]
fn custom_window() {
    let clock = Arc::new(ManualClock::new(TS));
    let verifier = Verifier::builder()
        .public_key(PUB_KEY_ID, wechatpay_pub())
        .clock(clock)
        .timestamp_window_secs(60)
        .build()
        .unwrap();
    assert_eq!(verifier.timestamp_window_secs(), 60);
    let headers = platform().sign(BODY, TS + 60, NONCE).unwrap();
    assert!(matches!(
        verifier.verify(&headers, BODY).unwrap_err(),
        Error::TimestampSkew { window: 60, .. }
    ));
}

#[test]
fn signature_probes_are_their_own_kind_and_checked_first() {
    let (verifier, _) = setup();
    let probe_sig = "WECHATPAY/SIGNTEST/KfPPl8hpQcKZu/bkWLKxqdIgXnvyY1nvBwNVL9tuQgiV0Q==";
    // With a known serial and a fresh timestamp…
    let probe = SignatureHeaders::new(TS, NONCE, probe_sig, PUB_KEY_ID);
    let err = verifier.verify(&probe, BODY).unwrap_err();
    assert!(matches!(&err, Error::SignatureProbe { serial } if serial == PUB_KEY_ID));
    assert!(err.is_signature_probe());
    assert!(err.is_verification_failure());
    // …and even with an unknown serial and a stale timestamp: probe wins.
    let probe = SignatureHeaders::new(TS - 10_000, NONCE, probe_sig, "PUB_KEY_ID_UNKNOWN");
    assert!(
        verifier
            .verify(&probe, BODY)
            .unwrap_err()
            .is_signature_probe()
    );
    // Through the header map as well.
    let mut map = HeaderMap::new();
    probe.apply_to(&mut map).unwrap();
    assert!(
        verifier
            .verify_headers(&map, BODY)
            .unwrap_err()
            .is_signature_probe()
    );
    // Before anything else: a probe with missing or malformed companions is
    // still reported as a probe, not as a header problem.
    let mut broken = map.clone();
    broken.remove("wechatpay-timestamp");
    broken.insert("wechatpay-nonce", HeaderValue::from_static("   "));
    let err = verifier.verify_headers(&broken, BODY).unwrap_err();
    assert!(
        matches!(&err, Error::SignatureProbe { serial } if serial == "PUB_KEY_ID_UNKNOWN"),
        "{err:?}"
    );
    let mut only_signature = HeaderMap::new();
    only_signature.insert("wechatpay-signature", HeaderValue::from_static(probe_sig));
    let err = verifier.verify_headers(&only_signature, BODY).unwrap_err();
    assert!(matches!(&err, Error::SignatureProbe { serial } if serial.is_empty()));
}

#[test]
fn untrusted_values_are_echoed_only_in_part() {
    let (verifier, _) = setup();
    let long = "S".repeat(10_000);
    let h = SignatureHeaders::new(TS, NONCE, "AAAA", long.as_str());
    match verifier.verify(&h, BODY).unwrap_err() {
        Error::UnknownSerial { got, .. } => {
            assert!(long.starts_with(got.trim_end_matches('…')));
            assert!(got.chars().count() <= 65, "{}", got.len());
        }
        other => panic!("unexpected {other:?}"),
    }
    let mut map = header_map(&platform().sign(BODY, TS, NONCE).unwrap());
    map.insert(
        "wechatpay-timestamp",
        HeaderValue::from_str(&"9".repeat(10_000)).unwrap(),
    );
    let err = verifier.verify_headers(&map, BODY).unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidHeader {
            name: "Wechatpay-Timestamp",
            ..
        }
    ));
    assert!(err.to_string().len() < 300, "{err}");
}

#[test]
fn check_order_serial_before_time_before_signature() {
    let (verifier, _) = setup();
    // Unknown serial + stale timestamp + bad signature → unknown serial.
    let h = SignatureHeaders::new(TS - 10_000, NONCE, "AAAA", "NOPE");
    assert!(matches!(
        verifier.verify(&h, BODY).unwrap_err(),
        Error::UnknownSerial { .. }
    ));
    // Known serial + stale timestamp + bad signature → skew.
    let h = SignatureHeaders::new(TS - 10_000, NONCE, "AAAA", PUB_KEY_ID);
    assert!(matches!(
        verifier.verify(&h, BODY).unwrap_err(),
        Error::TimestampSkew { .. }
    ));
}

#[test]
fn bad_signatures_are_rejected() {
    let (verifier, _) = setup();
    let headers = platform().sign(BODY, TS, NONCE).unwrap();
    // Altered body (one byte), even a re-serialised equivalent JSON.
    let mut body = BODY.to_vec();
    body[3] ^= 1;
    let err = verifier.verify(&headers, &body).unwrap_err();
    assert!(matches!(&err, Error::BadSignature { serial } if serial == PUB_KEY_ID));
    assert_eq!(err.kind(), ErrorKind::Verification);
    let reserialised = "{\"stock_id\": \"1000000013001\", \"remark\": \"满减券\"}";
    assert!(matches!(
        verifier
            .verify(&headers, reserialised.as_bytes())
            .unwrap_err(),
        Error::BadSignature { .. }
    ));
    // Signed by another key.
    let other = ResponseSigner::new(PUB_KEY_ID, merchant_key())
        .sign(BODY, TS, NONCE)
        .unwrap();
    assert!(matches!(
        verifier.verify(&other, BODY).unwrap_err(),
        Error::BadSignature { .. }
    ));
    // Altered nonce.
    let h = SignatureHeaders::new(TS, "X", headers.signature(), PUB_KEY_ID);
    assert!(matches!(
        verifier.verify(&h, BODY).unwrap_err(),
        Error::BadSignature { .. }
    ));
    // Not base64 at all.
    let h = SignatureHeaders::new(TS, NONCE, "not base64!", PUB_KEY_ID);
    assert!(matches!(
        verifier.verify(&h, BODY).unwrap_err(),
        Error::InvalidHeader {
            name: "Wechatpay-Signature",
            ..
        }
    ));
    // Empty or truncated signature bytes.
    for sig in ["", "AAAA", &headers.signature()[..100]] {
        let h = SignatureHeaders::new(TS, NONCE, sig, PUB_KEY_ID);
        assert!(
            verifier
                .verify(&h, BODY)
                .unwrap_err()
                .is_verification_failure()
        );
    }
}

#[test]
fn oversized_signatures_fail_as_before() {
    use base64::Engine as _;
    let (verifier, _) = setup();
    let b64 = base64::engine::general_purpose::STANDARD;
    // Valid base64, longer than any supported key's signature: does not verify.
    for len in [1025, 4096] {
        let sig = b64.encode(vec![0x5a; len]);
        let h = SignatureHeaders::new(TS, NONCE, sig, PUB_KEY_ID);
        let err = verifier.verify(&h, BODY).unwrap_err();
        assert!(matches!(&err, Error::BadSignature { serial } if serial == PUB_KEY_ID));
    }
    // Long and not base64 (the bad byte near the end) is still invalid base64.
    let mut sig = b64.encode(vec![0x5a; 3000]);
    sig.replace_range(3990..3991, "!");
    let h = SignatureHeaders::new(TS, NONCE, sig, PUB_KEY_ID);
    assert!(matches!(
        verifier.verify(&h, BODY).unwrap_err(),
        Error::InvalidHeader {
            name: "Wechatpay-Signature",
            ..
        }
    ));
    // Server side: the same rules for the Authorization signature.
    let signer = Signer::brand("120344", MERCHANT_SERIAL, merchant_key());
    let req = SignableRequest::new("GET", "/brand/x", b"");
    let auth = signer.sign(&req, TS, NONCE).unwrap();
    let parsed = ParsedAuthorization::parse(auth.as_str()).unwrap();
    let long = auth
        .as_str()
        .replace(parsed.signature(), &b64.encode(vec![0x5a; 2000]));
    let parsed = ParsedAuthorization::parse(&long).unwrap();
    assert!(matches!(
        verify_request(&merchant_key().public_key(), &parsed, &req).unwrap_err(),
        Error::BadSignature { .. }
    ));
}

#[test]
fn the_timestamp_is_verified_as_received() {
    // "01700000000" parses to the same number but is not what was signed.
    let (verifier, _) = setup();
    let headers = platform().sign(BODY, TS, NONCE).unwrap();
    let mut map = header_map(&headers);
    map.insert(
        "wechatpay-timestamp",
        HeaderValue::from_static("01700000000"),
    );
    assert!(matches!(
        verifier.verify_headers(&map, BODY).unwrap_err(),
        Error::BadSignature { .. }
    ));
}

#[test]
fn builder_requires_a_key() {
    let err = Verifier::builder().build().unwrap_err();
    assert!(matches!(err, Error::NoPublicKeys));
    assert_eq!(err.kind(), ErrorKind::Config);
    // Default clock is the system clock: a fresh signature verifies.
    let v = Verifier::builder()
        .public_key(PUB_KEY_ID, wechatpay_pub())
        .build()
        .unwrap();
    assert_eq!(v.timestamp_window_secs(), 300);
    v.verify(&platform().sign_now(BODY).unwrap(), BODY).unwrap();
}

#[test]
fn verifier_is_clone_send_sync() {
    fn assert_traits<T: Clone + Send + Sync + 'static>() {}
    assert_traits::<Verifier>();
    assert_traits::<Signer>();
    assert_traits::<ResponseSigner>();
    assert_traits::<wxpay_sign::PrivateKey>();
    assert_traits::<wxpay_sign::PublicKey>();
    let (verifier, _) = setup();
    let v2 = verifier.clone();
    let headers = platform().sign(BODY, TS, NONCE).unwrap();
    std::thread::spawn(move || v2.verify(&headers, BODY).unwrap())
        .join()
        .unwrap();
}

#[test]
fn apply_to_rejects_unencodable_values() {
    let h = SignatureHeaders::new(TS, "bad\nnonce", "sig", PUB_KEY_ID);
    let err = h.apply_to(&mut HeaderMap::new()).unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidHeader {
            name: "Wechatpay-Nonce",
            ..
        }
    ));
}

#[test]
fn response_signer_sign_with_clock() {
    let clock = ManualClock::new(TS + 42);
    let h = platform().sign_with_clock(BODY, &clock).unwrap();
    assert_eq!(h.timestamp(), TS + 42);
    assert_eq!(h.nonce().len(), 32);
    assert_eq!(h.serial(), PUB_KEY_ID);
    assert_eq!(platform().public_key(), wechatpay_pub());
}

// ---------------------------------------------------------------------------
// Server side
// ---------------------------------------------------------------------------

const AUTH: &str = r#"WECHATPAY2-SHA256-RSA2048 mchid="1900000109",nonce_str="N1",timestamp="1700000000",serial_no="S1",signature="c2ln""#;

#[test]
fn authorization_parameters_in_any_order_with_spaces_and_unquoted_values() {
    let a = ParsedAuthorization::parse(AUTH).unwrap();
    assert_eq!(a.scheme(), Scheme::Merchant);
    assert_eq!(a.id(), "1900000109");
    assert_eq!(a.nonce_str(), "N1");
    assert_eq!(a.timestamp(), 1_700_000_000);
    assert_eq!(a.serial_no(), "S1");
    assert_eq!(a.signature(), "c2ln");
    let reordered = r#"  WECHATPAY2-SHA256-RSA2048 signature="c2ln", serial_no="S1" ,timestamp=1700000000,nonce_str="N1",mchid="1900000109",extra="x"  "#;
    assert_eq!(ParsedAuthorization::parse(reordered).unwrap(), a);
    let brand = ParsedAuthorization::parse(
        r#"WECHATPAY-BRAND-SHA256-RSA2048 brand_id="120344",nonce_str="N",timestamp="1",serial_no="S",signature="c2ln==""#,
    )
    .unwrap();
    assert_eq!(brand.scheme(), Scheme::Brand);
    assert_eq!(
        brand.identity(),
        wxpay_sign::Identity::Brand {
            brand_id: "120344".into()
        }
    );
    assert_eq!(brand.signature(), "c2ln==");
}

#[test]
fn malformed_authorizations_are_rejected() {
    let cases = [
        "",
        "WECHATPAY2-SHA256-RSA2048",
        r#"Bearer mchid="1""#,
        r#"WECHATPAY2-SHA256-RSA2048 mchid="1",nonce_str="N",timestamp="1",serial_no="S""#,
        r#"WECHATPAY2-SHA256-RSA2048 mchid="1",mchid="2",nonce_str="N",timestamp="1",serial_no="S",signature="x""#,
        r#"WECHATPAY2-SHA256-RSA2048 mchid="1",nonce_str="N",timestamp="soon",serial_no="S",signature="x""#,
        r#"WECHATPAY2-SHA256-RSA2048 mchid="1",nonce_str="N",timestamp="1",serial_no="S",signature="x"#,
        r#"WECHATPAY2-SHA256-RSA2048 mchid="1" nonce_str="N",timestamp="1",serial_no="S",signature="x""#,
        r#"WECHATPAY2-SHA256-RSA2048 mchid="",nonce_str="N",timestamp="1",serial_no="S",signature="x""#,
        r#"WECHATPAY2-SHA256-RSA2048 brand_id="1",mchid="1",nonce_str="N",timestamp="1",serial_no="S",signature="x""#,
        r#"WECHATPAY-BRAND-SHA256-RSA2048 mchid="1",nonce_str="N",timestamp="1",serial_no="S",signature="x""#,
        r#"WECHATPAY2-SHA256-RSA2048 mchid"1""#,
        r#"WECHATPAY2-SHA256-RSA2048 ="1""#,
    ];
    for header in cases {
        let err = ParsedAuthorization::parse(header).unwrap_err();
        assert!(
            matches!(err, Error::MalformedAuthorization { .. }),
            "{header}: {err:?}"
        );
        assert!(err.is_verification_failure());
    }
}

#[test]
fn server_verifies_requests_signed_by_the_client() {
    let signer = Signer::brand("120344", MERCHANT_SERIAL, merchant_key());
    let public = merchant_key().public_key();
    let req = SignableRequest::new("POST", "/brand/x?y=1", BODY);
    let auth = signer.sign(&req, TS, NONCE).unwrap();
    let parsed = ParsedAuthorization::parse(auth.as_str()).unwrap();
    verify_request(&public, &parsed, &req).unwrap();
    assert_eq!(parsed.identity(), *signer.identity());
    check_timestamp(&ManualClock::new(TS + 299), parsed.timestamp(), 300).unwrap();

    for other in [
        SignableRequest::new("PUT", "/brand/x?y=1", BODY),
        SignableRequest::new("POST", "/brand/x?y=2", BODY),
        SignableRequest::new("POST", "/brand/x?y=1", b""),
    ] {
        let err = verify_request(&public, &parsed, &other).unwrap_err();
        assert!(matches!(&err, Error::BadSignature { serial } if serial == MERCHANT_SERIAL));
    }
    let err = verify_request(&wechatpay_pub(), &parsed, &req).unwrap_err();
    assert!(matches!(err, Error::BadSignature { .. }));
    let garbled = auth.as_str().replace("signature=\"", "signature=\"!");
    let parsed = ParsedAuthorization::parse(&garbled).unwrap();
    assert!(matches!(
        verify_request(&public, &parsed, &req).unwrap_err(),
        Error::MalformedAuthorization { .. }
    ));
}
