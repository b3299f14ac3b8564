//! Property tests: sign→verify round trips, tamper detection, parser robustness.

mod common;

use std::sync::{Arc, OnceLock};

use common::*;
use http::{HeaderMap, HeaderValue};
use proptest::prelude::*;
use wxpay_sign::{
    Error, ManualClock, ParsedAuthorization, PrivateKey, PublicKey, ResponseSigner,
    SignableRequest, SignatureHeaders, Signer, Verifier, verify_request,
};

fn key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(merchant_key)
}

fn public() -> &'static PublicKey {
    static KEY: OnceLock<PublicKey> = OnceLock::new();
    KEY.get_or_init(|| key().public_key())
}

fn verifier() -> &'static Verifier {
    static V: OnceLock<Verifier> = OnceLock::new();
    V.get_or_init(|| {
        Verifier::builder()
            .public_key(PUB_KEY_ID, public().clone())
            .clock(Arc::new(ManualClock::new(TS)))
            .build()
            .unwrap()
    })
}

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("GET".to_string()),
        Just("POST".to_string()),
        Just("PATCH".to_string()),
        "[A-Z]{1,12}",
    ]
}

fn path() -> impl Strategy<Value = String> {
    "/[A-Za-z0-9/_.~%-]{0,60}(\\?[A-Za-z0-9_.~%&=-]{0,60})?"
}

fn nonce() -> impl Strategy<Value = String> {
    "[0-9A-Za-z]{1,64}"
}

/// A different alphanumeric character at position `i` of `s`.
fn change_char(s: &str, i: usize) -> String {
    let mut b = s.as_bytes().to_vec();
    let i = i % b.len();
    b[i] = if b[i] == b'a' { b'b' } else { b'a' };
    String::from_utf8(b).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn request_sign_parse_verify_round_trip(
        method in method(),
        path in path(),
        body in proptest::collection::vec(any::<u8>(), 0..512),
        ts in any::<i64>(),
        nonce in nonce(),
        brand in any::<bool>(),
    ) {
        let signer = if brand {
            Signer::brand("120344", MERCHANT_SERIAL, key().clone())
        } else {
            Signer::merchant("1900000109", MERCHANT_SERIAL, key().clone())
        };
        let req = SignableRequest::new(&method, &path, &body);
        let auth = signer.sign(&req, ts, &nonce).unwrap();
        let parsed = ParsedAuthorization::parse(auth.as_str()).unwrap();
        prop_assert_eq!(parsed.timestamp(), ts);
        prop_assert_eq!(parsed.nonce_str(), nonce.as_str());
        prop_assert_eq!(&parsed.identity(), signer.identity());
        verify_request(public(), &parsed, &req).unwrap();
    }

    #[test]
    fn request_tampering_is_detected(
        path in path(),
        body in proptest::collection::vec(any::<u8>(), 1..256),
        idx in any::<usize>(),
        mask in 1u8..=255,
        nonce in nonce(),
        dt in prop_oneof![-1_000_000i64..0, 1i64..1_000_000],
    ) {
        let signer = Signer::merchant("1900000109", MERCHANT_SERIAL, key().clone());
        let req = SignableRequest::new("POST", &path, &body);
        let auth = signer.sign(&req, TS, &nonce).unwrap();
        let parsed = ParsedAuthorization::parse(auth.as_str()).unwrap();

        let mut flipped = body.clone();
        flipped[idx % body.len()] ^= mask;
        let tampered = SignableRequest::new("POST", &path, &flipped);
        let is_bad = matches!(verify_request(public(), &parsed, &tampered), Err(Error::BadSignature { .. }));
        prop_assert!(is_bad);

        let other_ts = auth.as_str().replace(&format!("timestamp=\"{TS}\""), &format!("timestamp=\"{}\"", TS + dt));
        let parsed_ts = ParsedAuthorization::parse(&other_ts).unwrap();
        let is_bad = matches!(verify_request(public(), &parsed_ts, &req), Err(Error::BadSignature { .. }));
        prop_assert!(is_bad);

        let other_nonce = auth.as_str().replace(&format!("nonce_str=\"{nonce}\""), &format!("nonce_str=\"{}\"", change_char(&nonce, idx)));
        let parsed_nonce = ParsedAuthorization::parse(&other_nonce).unwrap();
        let is_bad = matches!(verify_request(public(), &parsed_nonce, &req), Err(Error::BadSignature { .. }));
        prop_assert!(is_bad);
    }

    #[test]
    fn response_round_trip_and_tampering(
        body in proptest::collection::vec(any::<u8>(), 0..512),
        idx in any::<usize>(),
        mask in 1u8..=255,
        nonce in nonce(),
        skew in -299i64..=299,
        dt in prop_oneof![-299i64..0, 1i64..=299],
    ) {
        let signer = ResponseSigner::new(PUB_KEY_ID, key().clone());
        let ts = TS + skew;
        let headers = signer.sign(&body, ts, &nonce).unwrap();
        verifier().verify(&headers, &body).unwrap();

        let mut map = HeaderMap::new();
        headers.apply_to(&mut map).unwrap();
        verifier().verify_headers(&map, &body).unwrap();

        if !body.is_empty() {
            let mut flipped = body.clone();
            flipped[idx % body.len()] ^= mask;
            let is_bad = matches!(verifier().verify(&headers, &flipped), Err(Error::BadSignature { .. }));
            prop_assert!(is_bad);
        }
        let mut longer = body.clone();
        longer.push(b' ');
        let is_bad = matches!(verifier().verify(&headers, &longer), Err(Error::BadSignature { .. }));
        prop_assert!(is_bad);

        // Another timestamp still inside the window: only the signature can catch it.
        let other_ts = (skew + dt).clamp(-299, 299);
        if other_ts != skew {
            let h = SignatureHeaders::new(TS + other_ts, &nonce, headers.signature(), PUB_KEY_ID);
            let is_bad = matches!(verifier().verify(&h, &body), Err(Error::BadSignature { .. }));
            prop_assert!(is_bad);
        }
        let h = SignatureHeaders::new(ts, change_char(&nonce, idx), headers.signature(), PUB_KEY_ID);
        let is_bad = matches!(verifier().verify(&h, &body), Err(Error::BadSignature { .. }));
        prop_assert!(is_bad);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn authorization_parser_never_panics(s in "\\PC*") {
        let _ = ParsedAuthorization::parse(&s);
    }

    #[test]
    fn authorization_parser_never_panics_on_near_misses(
        prefix in prop_oneof![Just("WECHATPAY2-SHA256-RSA2048 "), Just("WECHATPAY-BRAND-SHA256-RSA2048 "), Just("")],
        tokens in proptest::collection::vec(
            prop_oneof![
                Just("mchid=".to_string()), Just("brand_id=".to_string()), Just("nonce_str=".to_string()),
                Just("timestamp=".to_string()), Just("serial_no=".to_string()), Just("signature=".to_string()),
                Just("\"".to_string()), Just(",".to_string()), Just(" ".to_string()), Just("=".to_string()),
                "[0-9]{1,20}", "[ -~]{0,8}", "\\PC{0,4}",
            ],
            0..24,
        ),
    ) {
        let s = format!("{prefix}{}", tokens.concat());
        if let Ok(p) = ParsedAuthorization::parse(&s) {
            // Whatever parses has all five non-empty parameters.
            prop_assert!(!p.id().is_empty() && !p.nonce_str().is_empty());
            prop_assert!(!p.serial_no().is_empty() && !p.signature().is_empty());
        }
    }

    #[test]
    fn header_reader_never_panics(
        values in proptest::collection::vec(proptest::option::of(proptest::collection::vec(any::<u8>(), 0..40)), 4),
    ) {
        let names = ["wechatpay-timestamp", "wechatpay-nonce", "wechatpay-signature", "wechatpay-serial"];
        let mut map = HeaderMap::new();
        for (name, value) in names.iter().zip(&values) {
            if let Some(v) = value {
                if let Ok(v) = HeaderValue::from_bytes(v) {
                    map.insert(*name, v);
                }
            }
        }
        let r = verifier().verify_headers(&map, b"{}");
        prop_assert!(r.is_err());
    }
}
