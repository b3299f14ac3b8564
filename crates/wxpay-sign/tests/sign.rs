//! Signing inputs, conveniences and the header shape.

mod common;

use common::*;
use wxpay_sign::{Error, ErrorKind, Identity, ManualClock, Scheme, SignableRequest, Signer};

fn get(path: &str) -> SignableRequest<'_> {
    SignableRequest::new("GET", path, b"")
}

#[test]
fn get_message_has_an_empty_body_line() {
    let req = get("/v3/x?a=1&b=2");
    assert_eq!(req.message("1", "N"), b"GET\n/v3/x?a=1&b=2\n1\nN\n\n");
    let req = SignableRequest::new("POST", "/v3/x", "{\"a\":\"券\"}".as_bytes());
    assert_eq!(
        req.message("1", "N"),
        "POST\n/v3/x\n1\nN\n{\"a\":\"券\"}\n".as_bytes()
    );
}

#[test]
fn identities_pick_their_scheme() {
    let brand = Signer::brand("B1", "S1", merchant_key());
    let merchant = Signer::merchant("M1", "S1", merchant_key());
    assert_eq!(
        brand.identity(),
        &Identity::Brand {
            brand_id: "B1".into()
        }
    );
    assert_eq!(brand.identity().scheme(), Scheme::Brand);
    assert_eq!(merchant.identity().id(), "M1");
    assert_eq!(merchant.serial_no(), "S1");
    let a = brand.sign(&get("/brand/x"), TS, NONCE).unwrap();
    let b = merchant.sign(&get("/v3/x"), TS, NONCE).unwrap();
    assert!(
        a.as_str()
            .starts_with("WECHATPAY-BRAND-SHA256-RSA2048 brand_id=\"B1\",nonce_str=")
    );
    assert!(
        b.as_str()
            .starts_with("WECHATPAY2-SHA256-RSA2048 mchid=\"M1\",nonce_str=")
    );
    assert_eq!(a.scheme(), Scheme::Brand);
    let via_new = Signer::new(
        Identity::Merchant { mchid: "M1".into() },
        "S1",
        merchant_key(),
    );
    assert_eq!(
        via_new.sign(&get("/v3/x"), TS, NONCE).unwrap().as_str(),
        b.as_str()
    );
}

#[test]
fn different_inputs_give_different_signatures() {
    let s = Signer::merchant("M1", "S1", merchant_key());
    let base = s.sign(&get("/v3/x"), TS, NONCE).unwrap();
    let other_ts = s.sign(&get("/v3/x"), TS + 1, NONCE).unwrap();
    let other_path = s.sign(&get("/v3/y"), TS, NONCE).unwrap();
    assert_ne!(base.as_str(), other_ts.as_str());
    assert_ne!(base.as_str(), other_path.as_str());
}

#[test]
fn sign_now_and_sign_with_clock_use_time_and_fresh_nonces() {
    let s = Signer::brand("B1", "S1", merchant_key());
    let clock = ManualClock::new(1_234_567_890);
    let a = s.sign_with_clock(&get("/brand/x"), &clock).unwrap();
    let b = s.sign_with_clock(&get("/brand/x"), &clock).unwrap();
    assert_eq!(a.timestamp(), 1_234_567_890);
    assert_eq!(a.nonce().len(), 32);
    assert!(a.nonce().bytes().all(|c| c.is_ascii_alphanumeric()));
    assert_ne!(a.nonce(), b.nonce());
    assert!(a.as_str().contains("timestamp=\"1234567890\""));
    let now = s.sign_now(&get("/brand/x")).unwrap();
    assert!(now.timestamp() > 1_600_000_000);
}

#[test]
fn unsafe_inputs_are_refused() {
    let s = Signer::merchant("M1", "S1", merchant_key());
    let cases: &[(SignableRequest<'_>, &str, &str)] = &[
        (SignableRequest::new("", "/v3/x", b""), NONCE, "method"),
        (SignableRequest::new("GE T", "/v3/x", b""), NONCE, "method"),
        (SignableRequest::new("GET\n", "/v3/x", b""), NONCE, "method"),
        (
            SignableRequest::new("GET", "https://api.mch.weixin.qq.com/v3/x", b""),
            NONCE,
            "path_and_query",
        ),
        (
            SignableRequest::new("GET", "v3/x", b""),
            NONCE,
            "path_and_query",
        ),
        (
            SignableRequest::new("GET", "/v3/x y", b""),
            NONCE,
            "path_and_query",
        ),
        (
            SignableRequest::new("GET", "/v3/x\n", b""),
            NONCE,
            "path_and_query",
        ),
        (
            SignableRequest::new("GET", "/v3/商品", b""),
            NONCE,
            "path_and_query",
        ),
        (
            SignableRequest::new("GET", "/v3/x#frag", b""),
            NONCE,
            "path_and_query",
        ),
        (get("/v3/x"), "", "nonce"),
        (get("/v3/x"), "abc\"def", "nonce"),
        (get("/v3/x"), "abc-def", "nonce"),
    ];
    for (req, nonce, field) in cases {
        let err = s.sign(req, TS, nonce).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidSigningInput { field: f, .. } if f == field),
            "{req:?} {nonce:?}: {err:?}"
        );
        assert_eq!(err.kind(), ErrorKind::Signing);
    }
    let err = Signer::merchant("M\"1", "S1", merchant_key())
        .sign(&get("/v3/x"), TS, NONCE)
        .unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidSigningInput { field: "mchid", .. }
    ));
    let err = Signer::brand("B1", "", merchant_key())
        .sign(&get("/brand/x"), TS, NONCE)
        .unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidSigningInput {
            field: "serial_no",
            ..
        }
    ));
}

#[test]
fn negative_and_extreme_timestamps_are_signed_verbatim() {
    let s = Signer::merchant("M1", "S1", merchant_key());
    let a = s.sign(&get("/v3/x"), i64::MIN, NONCE).unwrap();
    assert!(a.as_str().contains("timestamp=\"-9223372036854775808\""));
}
