//! Formatting every secret-bearing type with `{:?}` never reveals key material.

mod common;

use base64::Engine as _;
use common::*;
use wxpay_sign::{
    ApiV3Key, ParsedAuthorization, ResponseSigner, SignableRequest, Signer, Verifier,
};

/// Every 12-character window of `secret`; none may appear in `debug`.
fn assert_no_window(debug: &str, secret: &str, what: &str) {
    let chars: Vec<char> = secret.chars().collect();
    for w in chars.windows(12) {
        let w: String = w.iter().collect();
        assert!(!debug.contains(&w), "{what} leaks {w:?} in {debug}");
    }
}

fn key_material() -> Vec<String> {
    let pem = text("merchant_key.pem");
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(&body)
        .unwrap();
    let hex: String = der.iter().map(|b| format!("{b:02x}")).collect();
    let bytes_debug = format!("{:?}", &der[..]);
    vec![
        body,
        hex.clone(),
        hex.to_uppercase(),
        bytes_debug[1..200].to_string(),
    ]
}

#[test]
fn private_key_signer_and_authorization_debug_are_redacted() {
    let key = merchant_key();
    let signer = Signer::merchant("1900000109", MERCHANT_SERIAL, key.clone());
    let auth = signer
        .sign(&SignableRequest::new("GET", "/v3/x", b""), TS, NONCE)
        .unwrap();
    let signature = auth
        .as_str()
        .rsplit("signature=\"")
        .next()
        .unwrap()
        .trim_end_matches('"')
        .to_string();
    let response = ResponseSigner::new(PUB_KEY_ID, key.clone());

    let outputs = [
        ("PrivateKey", format!("{key:?}"), format!("{key:#?}")),
        ("Signer", format!("{signer:?}"), format!("{signer:#?}")),
        (
            "ResponseSigner",
            format!("{response:?}"),
            format!("{response:#?}"),
        ),
        ("Authorization", format!("{auth:?}"), format!("{auth:#?}")),
        (
            "HeaderValue",
            format!("{:?}", auth.to_header_value()),
            format!("{:#?}", auth.to_header_value()),
        ),
    ];
    for (what, plain, pretty) in &outputs {
        for debug in [plain, pretty] {
            for secret in key_material() {
                assert_no_window(debug, &secret, what);
            }
            assert_no_window(debug, &signature, what);
            assert!(!debug.contains(auth.as_str()), "{what}");
        }
    }
    assert!(outputs[0].1.contains("redacted"));
    assert!(outputs[3].1.contains("redacted"));
    assert!(
        outputs[3].1.contains(NONCE),
        "the nonce is not secret and helps debugging"
    );
    // The PEM export itself must of course contain the key.
    assert!(key.to_pkcs8_pem().contains(&key_material()[0][..64]));
}

#[test]
fn signature_carriers_redact_the_signature() {
    let key = merchant_key();
    let auth = Signer::merchant("1900000109", MERCHANT_SERIAL, key.clone())
        .sign(&SignableRequest::new("GET", "/v3/x", b""), TS, NONCE)
        .unwrap();
    let parsed = ParsedAuthorization::parse(auth.as_str()).unwrap();
    let headers = ResponseSigner::new(PUB_KEY_ID, key)
        .sign(b"{}", TS, NONCE)
        .unwrap();
    for (what, signature, plain, pretty) in [
        (
            "ParsedAuthorization",
            parsed.signature().to_owned(),
            format!("{parsed:?}"),
            format!("{parsed:#?}"),
        ),
        (
            "SignatureHeaders",
            headers.signature().to_owned(),
            format!("{headers:?}"),
            format!("{headers:#?}"),
        ),
    ] {
        for debug in [&plain, &pretty] {
            assert_no_window(debug, &signature, what);
            assert!(debug.contains("redacted"), "{what}: {debug}");
            assert!(debug.contains(NONCE), "{what}: the nonce helps debugging");
        }
    }
    // A malformed header's error never echoes a signature-looking tail either.
    let squashed = auth.as_str().replacen(' ', "", 1);
    let err = ParsedAuthorization::parse(&squashed).unwrap_err();
    assert_no_window(&format!("{err} {err:?}"), parsed.signature(), "Error");
    let garbled = format!("{} x=1", parsed.signature());
    let err = ParsedAuthorization::parse(&garbled).unwrap_err();
    assert_no_window(&format!("{err} {err:?}"), parsed.signature(), "Error");
    let err = ParsedAuthorization::parse(r#"Bearer token="x""#).unwrap_err();
    assert!(err.to_string().contains("\"Bearer\""), "{err}");
}

#[test]
fn api_v3_key_debug_is_redacted() {
    let raw = "TestApiV3Key0123456789abcdefABCD";
    let key = ApiV3Key::new(raw).unwrap();
    let bytes_debug = format!("{:?}", raw.as_bytes());
    for debug in [format!("{key:?}"), format!("{key:#?}")] {
        assert!(!debug.contains(raw));
        assert!(!debug.contains("TestApiV3"));
        assert!(!debug.contains(&bytes_debug[1..30]));
        assert!(debug.contains("redacted"));
    }
}

#[test]
fn verifier_and_errors_hold_no_secrets() {
    let verifier = Verifier::builder()
        .public_key(PUB_KEY_ID, wechatpay_pub())
        .build()
        .unwrap();
    let debug = format!("{verifier:?}");
    assert!(debug.contains(PUB_KEY_ID));
    // Errors from a bad key file never echo its content.
    let broken = text("merchant_key.pem").replace("MII", "!!!");
    let err = wxpay_sign::PrivateKey::from_pem(&broken).unwrap_err();
    for secret in key_material() {
        assert_no_window(&format!("{err:?} {err}"), &secret, "Error");
    }
}
