//! Known-answer tests: fixed key, timestamp and nonce → exact header bytes.
//!
//! Every expected signature below was produced by OpenSSL, independently of this
//! crate, with `openssl dgst -sha256 -sign merchant_key.pem kat/NAME.msg | base64 -w0`
//! (see `tests/fixtures/make_kat.sh` and `tests/fixtures/README.md`).

mod common;

use common::*;
use wxpay_sign::{ParsedAuthorization, Scheme, SignableRequest, Signer, Verifier, verify_request};

const BRAND_ID: &str = "120344";
const MCHID: &str = "1900000109";

const BRAND_POST_BODY: &str = r#"{"out_request_no":"34657_20250101_123456","stock":{"remark":"满减券","stock_name":"春节商品券批次","usage_description":"全场可用"}}"#;
const MERCHANT_PATCH_BODY: &str = r#"{"brand_id":"120344","out_request_no":"modify_20250101_0001","display_info":{"title":"咖啡买一送一券","description":"周一至周五可用"}}"#;

struct Kat {
    name: &'static str,
    signer: fn() -> Signer,
    method: &'static str,
    path_and_query: &'static str,
    body: &'static str,
    expected: &'static str,
}

fn brand() -> Signer {
    Signer::brand(BRAND_ID, MERCHANT_SERIAL, merchant_key())
}

fn merchant() -> Signer {
    Signer::merchant(MCHID, MERCHANT_SERIAL, merchant_key())
}

const KATS: &[Kat] = &[
    Kat {
        name: "brand_get",
        signer: brand,
        method: "GET",
        path_and_query: "/brand/marketing/product-coupon/product-coupons/1000000013/stocks?offset=0&limit=10",
        body: "",
        expected: r#"WECHATPAY-BRAND-SHA256-RSA2048 brand_id="120344",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",timestamp="1700000000",serial_no="408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB",signature="QGhdetnTy6Rsl2hGSgTt0ynx52yWfDnU2QrhcdLGVDqZE4xsH40ErjcS0Xis7MaZtuzJWjlmwtlCwboXOrvnOf/1E++f/koDzxErsz03HEm6mufQgXKASK8otu6JEey6qHj6e8IrB0GO9qhX0ds6wJtj+Ehzs1gxFcNGPDbroA3epQ1QvV7dsrd1IqPykljiE77jvAlmyhQcnZDdkE019BiGc/zA1TMqKIXWBHVYbEJAjPo2qnJjfbpeypnwAEB0nlDj/WoB+w4ZmWkp5oXU9TCEp6oPoOfTnGdOwSrjTWydiFyswZ6XoMXbk9L3AHLRMZzyXcg8TY4k5dXMYzekrw==""#,
    },
    Kat {
        name: "brand_post",
        signer: brand,
        method: "POST",
        path_and_query: "/brand/marketing/product-coupon/product-coupons/1000000013/stocks",
        body: BRAND_POST_BODY,
        expected: r#"WECHATPAY-BRAND-SHA256-RSA2048 brand_id="120344",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",timestamp="1700000000",serial_no="408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB",signature="FZljyANvJYkcUSCmdeDRpV/P7pBrFzCKKw+QQc4VMAEA2Y7EMDQvRuyIRgMjltiVKeIkUAt0l3uLtpnKtXCHEVgYKJ9NJzxxKbjKD0tro7In8rAVD6GzJkDur/B+1TuAoUo4gylze7a1EQM3GWH+fTFmBbupGoP6xVP6YSyMA4UF1NMDQcVzzNH+FnHygU5+gmreXLZBYLAR8vgMVGYa4m7nZev0MOLgDUgTtYDFbwyLQoe6oKJrQciCWwMrNHh7rG69gRPHP6cRL/ELXiTXh6mwG/T1W6lQraa43nRHuJ67PaN+2eGUNZiBfPFiOScyFfMFr/Y2PSNxFB8xfIgTvA==""#,
    },
    Kat {
        name: "merchant_get",
        signer: merchant,
        method: "GET",
        path_and_query: "/v3/marketing/partner/product-coupon/product-coupons/1000000013?brand_id=120344",
        body: "",
        expected: r#"WECHATPAY2-SHA256-RSA2048 mchid="1900000109",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",timestamp="1700000000",serial_no="408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB",signature="SPWQsAdtTW1M58s2vYHNPp1aSEl1eBUYD3YnGzEHUcx+FWn9By7sZzHD0+DXazVSqykcFsr8BOSSoFxYh8IYJMdrviY0EdIReoGV9mhnMdobpbgWl3aMx9cutjUSWTnymt2V7w0UlbwVsYTF2Z3OV7WtTgi7cj1cl89VJllMH7gqv2v0e7Xwhkbdpj9y24QZWLX4UxM1LOq3ChERe0ZOQWB4yau4hibG5Eh4YOz4orMhQh5LMTNL569iippAauD1KBEXBvO6PJymsVtN45tcnyzzJiYx1BwuZTdy7SepI0JgoAz/kbAAsSa4831kNx6+T/WweCgxfDlEF4ziWhATEA==""#,
    },
    Kat {
        name: "merchant_patch",
        signer: merchant,
        method: "PATCH",
        path_and_query: "/v3/marketing/partner/product-coupon/product-coupons/1000000013",
        body: MERCHANT_PATCH_BODY,
        expected: r#"WECHATPAY2-SHA256-RSA2048 mchid="1900000109",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",timestamp="1700000000",serial_no="408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB",signature="grTmvkOGxM06BEJotgTC56FsDoKKxAifc5S3mQaiSkwNbHM3ylYPcM5eJtgMeY6oV/WWGlGkEOT37f2JSr8IjBwEBOOqmnnjMCZz8987ZVDTmuO+TcvtyU5KUWq+pRcZ/9VqaxBitwPQz3yHXE09Kkc3SIPARI5O12E5NBXaau2oj74Jwk/j6T6U/pSkFeZqdDwIYd5WshQg4sYSEdrYJxp+YyBvCVhj0pfdXPWi1yW4YvY3U3oTCuh7pgCzOx5lmiCpym1S37mDaUyESNJVlRVqT3xUJahHCzGEArv+A9MY96XranZ3xx2FgcPoemWYad1SICz51nbT6oDMXfsWSg==""#,
    },
];

#[test]
fn signed_message_bytes_match_the_openssl_input() {
    for kat in KATS {
        let req = SignableRequest::new(kat.method, kat.path_and_query, kat.body.as_bytes());
        let msg = bytes(&format!("kat/{}.msg", kat.name));
        assert_eq!(req.message("1700000000", NONCE), msg, "{}", kat.name);
    }
    assert_eq!(BRAND_POST_BODY.as_bytes(), bytes("kat/brand_post.body"));
    assert_eq!(
        MERCHANT_PATCH_BODY.as_bytes(),
        bytes("kat/merchant_patch.body")
    );
}

#[test]
fn header_values_are_byte_exact() {
    for kat in KATS {
        let req = SignableRequest::new(kat.method, kat.path_and_query, kat.body.as_bytes());
        let auth = (kat.signer)().sign(&req, TS, NONCE).unwrap();
        assert_eq!(auth.as_str(), kat.expected, "{}", kat.name);
        assert_eq!(auth.to_header_value().as_bytes(), kat.expected.as_bytes());
        assert!(auth.to_header_value().is_sensitive());
        assert_eq!(auth.timestamp(), TS);
        assert_eq!(auth.nonce(), NONCE);
        // The signature part equals OpenSSL's output byte for byte.
        let sig = text(&format!("kat/{}.sig", kat.name));
        assert!(
            auth.as_str()
                .ends_with(&format!("signature=\"{}\"", sig.trim()))
        );
    }
}

#[test]
fn signing_is_deterministic_and_sign_message_matches_openssl() {
    let signer = brand();
    let msg = bytes("kat/brand_post.msg");
    assert_eq!(
        signer.sign_message(&msg).unwrap(),
        text("kat/brand_post.sig").trim()
    );
    let req = SignableRequest::new(
        KATS[1].method,
        KATS[1].path_and_query,
        KATS[1].body.as_bytes(),
    );
    assert_eq!(
        signer.sign(&req, TS, NONCE).unwrap().as_str(),
        signer.sign(&req, TS, NONCE).unwrap().as_str()
    );
}

#[test]
fn kat_headers_parse_and_verify_on_the_server_side() {
    let public = merchant_key().public_key();
    for kat in KATS {
        let parsed = ParsedAuthorization::parse(kat.expected).unwrap();
        let expected_scheme = if kat.name.starts_with("brand") {
            Scheme::Brand
        } else {
            Scheme::Merchant
        };
        assert_eq!(parsed.scheme(), expected_scheme);
        assert_eq!(parsed.timestamp(), TS);
        assert_eq!(parsed.nonce_str(), NONCE);
        assert_eq!(parsed.serial_no(), MERCHANT_SERIAL);
        let req = SignableRequest::new(kat.method, kat.path_and_query, kat.body.as_bytes());
        verify_request(&public, &parsed, &req).unwrap();
    }
}

#[test]
fn openssl_signed_response_verifies() {
    let clock = std::sync::Arc::new(wxpay_sign::ManualClock::new(TS + 10));
    let verifier = Verifier::builder()
        .public_key(PUB_KEY_ID, wechatpay_pub())
        .clock(clock)
        .build()
        .unwrap();
    let headers =
        wxpay_sign::SignatureHeaders::new(TS, NONCE, text("kat/response.sig").trim(), PUB_KEY_ID);
    let body = bytes("kat/response.body");
    assert_eq!(headers.message(&body), bytes("kat/response.msg"));
    verifier.verify(&headers, &body).unwrap();
    // The server-side helper produces the very same signature.
    let signed = wxpay_sign::ResponseSigner::new(PUB_KEY_ID, wechatpay_key())
        .sign(&body, TS, NONCE)
        .unwrap();
    assert_eq!(signed, headers);
}

#[test]
fn a_4096_bit_key_matches_openssl_and_verifies() {
    // Twice the signature length of the 2048-bit keys: the signature buffers
    // are sized for the largest key a backend accepts.
    let key = wxpay_sign::PrivateKey::from_pem(&text("rsa4096_key.pem")).unwrap();
    assert_eq!(key.bits(), 4096);
    let public = wxpay_sign::PublicKey::from_pem(&text("rsa4096_pub.pem")).unwrap();
    assert_eq!(key.public_key(), public);
    let expected = text("kat/brand_post_4096.sig");
    let signer = Signer::brand(BRAND_ID, MERCHANT_SERIAL, key.clone());
    assert_eq!(
        signer.sign_message(&bytes("kat/brand_post.msg")).unwrap(),
        expected.trim()
    );
    let req = SignableRequest::new(
        KATS[1].method,
        KATS[1].path_and_query,
        KATS[1].body.as_bytes(),
    );
    let auth = signer.sign(&req, TS, NONCE).unwrap();
    assert!(
        auth.as_str()
            .ends_with(&format!("signature=\"{}\"", expected.trim()))
    );
    let parsed = ParsedAuthorization::parse(auth.as_str()).unwrap();
    verify_request(&public, &parsed, &req).unwrap();

    let verifier = Verifier::builder()
        .public_key(PUB_KEY_ID, public)
        .clock(std::sync::Arc::new(wxpay_sign::ManualClock::new(TS)))
        .build()
        .unwrap();
    let body = bytes("kat/response.body");
    let headers = wxpay_sign::ResponseSigner::new(PUB_KEY_ID, key)
        .sign(&body, TS, NONCE)
        .unwrap();
    verifier.verify(&headers, &body).unwrap();
    assert!(verifier.verify(&headers, b"{}").is_err());
}
