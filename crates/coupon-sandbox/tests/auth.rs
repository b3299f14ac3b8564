//! Request authentication: schemes per path prefix, identities, serials,
//! the ±300 s window, raw path-and-query and body — and signed answers.

mod common;

use std::net::SocketAddr;

use common::{Harness, PARTNER, STOCKS};
use coupon_sandbox::{Error, Sandbox, seed};
use http::{Method, StatusCode};
use wxpay_sign::Signer;

fn list_path() -> String {
    format!("{STOCKS}/{}/stocks?page_size=3", seed::PRODUCT_COUPON_ID)
}

#[tokio::test]
async fn a_correctly_signed_brand_call_is_accepted_and_the_answer_verifies() {
    let h = Harness::start().await;
    let a = h.get(list_path()).await;
    let b = h.get(list_path()).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(
        a.header("Wechatpay-Serial"),
        h.sandbox.credentials().wechatpay_public_key_id
    );
    assert_eq!(a.header("Wechatpay-Timestamp"), common::NOW.to_string());
    assert!(!a.header("Request-ID").is_empty());
    assert_ne!(
        a.header("Request-ID"),
        b.header("Request-ID"),
        "Request-ID is unique per request"
    );
    assert_eq!(h.sandbox.requests_seen(), 2);
}

#[tokio::test]
async fn the_wrong_scheme_on_a_prefix_is_a_sign_error_and_the_error_is_signed() {
    let h = Harness::start().await;
    let mut call = h.brand(Method::GET, list_path(), b"");
    call.signer = Some(h.sandbox.credentials().merchant_signer());
    let reply = h.send(call).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.code(), "SIGN_ERROR");
    assert!(
        reply.json()["message"]
            .as_str()
            .unwrap()
            .contains("WECHATPAY-BRAND-SHA256-RSA2048")
    );
    h.verify(&reply).expect("error answers are signed too");

    let body = br#"{"out_request_no":"abcdef","display_info":{"name":"abc","image_url":"u"},"brand_id":"120344"}"#;
    let mut call = h.partner(
        Method::PATCH,
        format!("{PARTNER}/{}", seed::PRODUCT_COUPON_ID),
        body,
    );
    call.signer = Some(h.sandbox.credentials().brand_signer());
    let reply = h.send(call).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(
        reply.json()["message"]
            .as_str()
            .unwrap()
            .contains("WECHATPAY2-SHA256-RSA2048")
    );
}

#[tokio::test]
async fn skew_of_300_seconds_either_way_is_refused_299_is_accepted() {
    let h = Harness::start().await;
    for (offset, accepted) in [
        (-299, true),
        (299, true),
        (-300, false),
        (300, false),
        (-3600, false),
    ] {
        let mut call = h.brand(Method::GET, list_path(), b"");
        call.timestamp = Some(common::NOW + offset);
        let reply = h.send(call).await;
        if accepted {
            assert_eq!(reply.status, StatusCode::OK, "offset {offset}");
        } else {
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "offset {offset}");
            assert_eq!(reply.code(), "SIGN_ERROR");
            assert!(
                reply.json()["message"]
                    .as_str()
                    .unwrap()
                    .contains("timestamp")
            );
        }
    }
}

#[tokio::test]
async fn bad_signature_unknown_serial_unknown_identity_and_missing_header_are_refused() {
    let h = Harness::start().await;
    let creds = h.sandbox.credentials().clone();

    // Signed one body, sent another.
    let body = common::add_stock_body("auth_body_0001", "a");
    let tampered = common::add_stock_body("auth_body_0001", "b");
    let mut call = h.brand(
        Method::POST,
        format!("{STOCKS}/{}/stocks", seed::PRODUCT_COUPON_ID),
        &body,
    );
    call.sent_body = Some(&tampered);
    let reply = h.send(call).await;
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (StatusCode::UNAUTHORIZED, "SIGN_ERROR")
    );
    assert_eq!(
        h.sandbox.stock_count(seed::PRODUCT_COUPON_ID),
        seed::SINGLE_STOCK_COUNT
    );

    let cases: Vec<(Option<Signer>, &str)> = vec![
        (
            Some(Signer::brand(
                creds.brand_id.clone(),
                "0123456789ABCDEF",
                creds.brand_private_key.clone(),
            )),
            "serial_no",
        ),
        (
            Some(Signer::brand(
                "999999",
                creds.brand_serial_no.clone(),
                creds.brand_private_key.clone(),
            )),
            "brand_id",
        ),
        (
            Some(Signer::brand(
                creds.brand_id.clone(),
                creds.brand_serial_no.clone(),
                creds.mch_private_key.clone(),
            )),
            "signature",
        ),
        (None, "Authorization"),
    ];
    for (signer, mentions) in cases {
        let mut call = h.brand(Method::GET, list_path(), b"");
        call.signer = signer;
        let reply = h.send(call).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{mentions}");
        assert_eq!(reply.code(), "SIGN_ERROR");
        assert!(
            reply.json()["message"].as_str().unwrap().contains(mentions),
            "{mentions}: {}",
            reply.json()
        );
    }
}

#[tokio::test]
async fn the_signature_covers_the_raw_path_and_query() {
    let h = Harness::start().await;
    // Sign `page_size=3`, send `page_size=4`: the sandbox must notice.
    let mut call = h.brand(Method::GET, list_path(), b"");
    call.sent_path = Some(list_path().replace("page_size=3", "page_size=4"));
    let reply = h.send(call).await;
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (StatusCode::UNAUTHORIZED, "SIGN_ERROR")
    );

    // A percent-encoded query is verified exactly as sent.
    let reply = h
        .get(format!(
            "{STOCKS}/{}/stocks?state=%53ENDING&page_size=2",
            seed::PRODUCT_COUPON_ID
        ))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    for stock in reply.json()["stock_list"].as_array().unwrap() {
        assert_eq!(stock["state"], "SENDING");
    }
}

#[tokio::test]
async fn brand_calls_must_name_the_wechatpay_public_key() {
    let h = Harness::start().await;
    for serial in [None, Some("PUB_KEY_ID_SOMEONE_ELSE".to_owned())] {
        let mut call = h.brand(Method::GET, list_path(), b"");
        call.wechatpay_serial = serial;
        let reply = h.send(call).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        assert_eq!(reply.code(), "PARAM_ERROR");
        assert_eq!(reply.field(), "Wechatpay-Serial");
    }
}

#[tokio::test]
async fn unknown_paths_get_a_signed_not_found() {
    let h = Harness::start().await;
    let reply = h
        .get(format!("{STOCKS}/{}/nothing-here", seed::PRODUCT_COUPON_ID))
        .await;
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (StatusCode::NOT_FOUND, "NOT_FOUND")
    );
    let reply = h.get(format!("{STOCKS}/4040404040/stocks")).await;
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (StatusCode::NOT_FOUND, "NOT_FOUND")
    );
    assert_eq!(reply.field(), "product_coupon_id");
}

#[tokio::test]
async fn only_loopback_addresses_are_bound() {
    for addr in ["0.0.0.0:0", "192.0.2.1:8080", "[::]:0"] {
        let addr: SocketAddr = addr.parse().unwrap();
        let err = Sandbox::builder()
            .listen(addr)
            .credentials(common::creds())
            .start()
            .await
            .unwrap_err();
        assert!(matches!(err, Error::NonLoopbackListen { .. }), "{err}");
    }
    let sandbox = Sandbox::builder()
        .listen("127.0.0.1:0".parse().unwrap())
        .credentials(common::creds())
        .start()
        .await
        .unwrap();
    assert!(sandbox.base_url().starts_with("http://127.0.0.1:"));
    assert_eq!(sandbox.base_url(), format!("http://{}", sandbox.addr()));
}

#[tokio::test]
async fn shutdown_stops_listening() {
    let sandbox = Sandbox::builder()
        .credentials(common::creds())
        .start()
        .await
        .unwrap();
    let addr = sandbox.addr();
    sandbox.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[test]
fn credentials_debug_is_redacted() {
    let creds = common::creds();
    let shown = format!("{creds:?}");
    assert!(shown.contains(&creds.brand_id));
    assert!(!shown.contains(creds.apiv3_key_text()));
    assert!(!shown.contains("PRIVATE KEY"));
    let pem = creds.brand_private_key.to_pkcs8_pem();
    let body_line = pem.lines().nth(1).unwrap();
    assert!(!shown.contains(body_line));
}
