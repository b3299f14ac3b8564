//! The client against wiremock on loopback: what goes on the wire, and how every
//! kind of answer is mapped.

use std::time::Duration;

use coupon_client::coupon_http::{RetryPolicy, Transport};
use coupon_client::coupon_model::ErrorCode;
use coupon_client::coupon_model::product_coupon::UpdateProductCouponBody;
use coupon_client::coupon_model::product_coupon::{
    ProductCouponDisplayInfo, UpdateProductCouponRequest,
};
use coupon_client::coupon_model::stock::{CreateStockBody, ListStocksRequest, StockState};
use coupon_client::wxpay_sign::{
    ParsedAuthorization, PrivateKey, Scheme, SignableRequest, SystemClock, check_timestamp,
    verify_request,
};
use coupon_client::{BrandClient, ErrorKind, PartnerClient};
use futures_util::StreamExt;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

mod common;
use common::{PUB_KEY_ID, Signed, Tamper, brand, keys, partner, transport};

const STOCKS_PATH: &str = "/brand/marketing/product-coupon/product-coupons/1000000013/stocks";

fn stock_json(id: &str) -> String {
    format!(
        r#"{{"product_coupon_id":"1000000013","stock_id":"{id}","coupon_code_mode":"WECHATPAY","state":"SENDING","store_scope":"NONE"}}"#
    )
}

#[tokio::test]
async fn a_verified_page_parses_and_the_request_is_signed_byte_exact() {
    let server = MockServer::start().await;
    let body = format!(
        r#"{{"total_count":1,"stock_list":[{}]}}"#,
        stock_json("1000000013001")
    );
    Mock::given(method("GET"))
        .and(path(STOCKS_PATH))
        .respond_with(Signed {
            status: 200,
            body,
            tamper: Tamper::None,
        })
        .expect(1)
        .mount(&server)
        .await;

    let request = ListStocksRequest::new("1000000013")
        .with_state(StockState::Deactivated)
        .with_page_size(10);
    let page = brand(&server).list_stocks(&request).await.unwrap();
    assert_eq!(page.total_count, Some(1));
    assert_eq!(page.stocks()[0].stock_id.as_str(), "1000000013001");

    let received = server.received_requests().await.unwrap();
    let req = &received[0];
    let path_and_query = format!("{}?{}", req.url.path(), req.url.query().unwrap());
    assert_eq!(
        path_and_query,
        format!("{STOCKS_PATH}?state=DEACTIVATED&page_size=10")
    );
    let header = |n: &str| req.headers.get(n).unwrap().to_str().unwrap().to_owned();
    assert_eq!(header("accept"), "application/json");
    assert_eq!(header("wechatpay-serial"), PUB_KEY_ID);
    let auth = ParsedAuthorization::parse(&header("authorization")).unwrap();
    assert_eq!(auth.scheme(), Scheme::Brand);
    assert_eq!(auth.id(), "1001");
    assert_eq!(auth.serial_no(), "CLIENTSERIAL01");
    check_timestamp(&SystemClock, auth.timestamp(), 300).unwrap();
    verify_request(
        &keys().client.public_key(),
        &auth,
        &SignableRequest::new("GET", &path_and_query, b""),
    )
    .unwrap();
}

#[tokio::test]
async fn partner_update_uses_the_merchant_scheme_and_carries_brand_id_in_the_body() {
    let server = MockServer::start().await;
    let path_str = "/v3/marketing/partner/product-coupon/product-coupons/1000000013";
    Mock::given(method("PATCH"))
        .and(path(path_str))
        .respond_with(Signed {
            status: 200,
            body: r#"{"product_coupon_id":"1000000013","brand_id":"1001","scope":"ALL"}"#.into(),
            tamper: Tamper::None,
        })
        .expect(1)
        .mount(&server)
        .await;
    let request = UpdateProductCouponRequest::new(
        "1000000013",
        UpdateProductCouponBody::new(
            "upd_20250101_0001",
            ProductCouponDisplayInfo::new(
                "全场满减券",
                "https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx",
            ),
        )
        .with_brand_id("1001"),
    );
    let pc = partner(&server)
        .update_product_coupon(&request)
        .await
        .unwrap();
    assert_eq!(pc.product_coupon_id.as_str(), "1000000013");

    let req = &server.received_requests().await.unwrap()[0];
    assert!(
        req.headers.get("wechatpay-serial").is_none(),
        "partner calls do not send Wechatpay-Serial"
    );
    assert_eq!(req.headers.get("content-type").unwrap(), "application/json");
    let auth =
        ParsedAuthorization::parse(req.headers.get("authorization").unwrap().to_str().unwrap())
            .unwrap();
    assert_eq!(auth.scheme(), Scheme::Merchant);
    assert_eq!(auth.id(), "1900000001");
    verify_request(
        &keys().client.public_key(),
        &auth,
        &SignableRequest::new("PATCH", path_str, &req.body),
    )
    .unwrap();
    let sent: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(sent["brand_id"], "1001");
    assert_eq!(sent["out_request_no"], "upd_20250101_0001");
}

async fn list_with(status: u16, body: &str, tamper: Tamper) -> coupon_client::Error {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(STOCKS_PATH))
        .respond_with(Signed {
            status,
            body: body.to_owned(),
            tamper,
        })
        .mount(&server)
        .await;
    brand(&server)
        .list_stocks(&ListStocksRequest::new("1000000013"))
        .await
        .unwrap_err()
}

#[tokio::test]
async fn an_error_status_maps_to_an_api_error_with_code_detail_and_request_id() {
    let body = r#"{"code":"PARAM_ERROR","message":"分页大小超出限制","detail":{"field":"page_size","value":60,"issue":"too big","location":"query"}}"#;
    let err = list_with(400, body, Tamper::None).await;
    assert_eq!(err.kind(), ErrorKind::Api);
    let api = err.api_error().unwrap();
    assert_eq!(api.status.as_u16(), 400);
    assert_eq!(api.code, ErrorCode::ParamError);
    assert_eq!(
        api.detail.as_ref().unwrap().field.as_deref(),
        Some("page_size")
    );
    assert_eq!(
        err.request_id(),
        Some("08F0F4B4BE0610A8031890C0BB0120D4C60F28A2AC01-0")
    );
    let text = err.to_string();
    assert!(
        text.contains("PARAM_ERROR") && text.contains("page_size") && text.contains("Request-ID"),
        "{text}"
    );
}

#[tokio::test]
async fn an_unsigned_error_answer_is_marked_unverified_escaped_and_bounded() {
    // The Signed responder signs error answers too: those verify.
    let signed = list_with(400, r#"{"code":"PARAM_ERROR","message":"m"}"#, Tamper::None).await;
    assert!(signed.api_error().unwrap().verified);
    assert!(!signed.to_string().contains("unverified"), "{signed}");

    // An unsigned (or forged) answer with terminal escapes and a huge message.
    let server = MockServer::start().await;
    let message = format!("forged\\n\\u001b[2J{}", "x".repeat(100_000));
    let body = format!(
        r#"{{"code":"ALREADY\u0007EXISTS","message":"{message}","detail":{{"field":"a\rb","value":"{}"}}}}"#,
        "v".repeat(10_000)
    );
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(400).set_body_raw(body, "application/json"))
        .mount(&server)
        .await;
    let err = brand(&server)
        .list_stocks(&ListStocksRequest::new("1000000013"))
        .await
        .unwrap_err();
    let api = err.api_error().unwrap();
    assert!(!api.verified);
    assert!(
        api.message.starts_with("forged\\n\\u{1b}[2J"),
        "{}",
        &api.message[..40]
    );
    assert!(api.message.chars().count() < 600, "bounded");
    assert!(!api.message.chars().any(char::is_control));
    assert_eq!(api.code.as_str(), "ALREADY\\u{7}EXISTS");
    let detail = api.detail.as_ref().unwrap();
    assert_eq!(detail.field.as_deref(), Some("a\\rb"));
    assert!(detail.value.as_ref().unwrap().as_str().unwrap().len() < 2_000);
    let text = err.to_string();
    assert!(text.contains("unverified answer"), "{text}");
    assert!(!text.chars().any(char::is_control), "{text}");
    assert!(text.len() < 2_000);
}

#[tokio::test]
async fn each_documented_error_code_is_recognised() {
    for (status, code, expected) in [
        (401, "SIGN_ERROR", ErrorCode::SignError),
        (403, "NO_AUTH", ErrorCode::NoAuth),
        (404, "NOT_FOUND", ErrorCode::NotFound),
        (400, "ALREADY_EXISTS", ErrorCode::AlreadyExists),
        (400, "INVALID_REQUEST", ErrorCode::InvalidRequest),
        (429, "RATELIMIT_EXCEEDED", ErrorCode::RatelimitExceeded),
        (500, "SYSTEM_ERROR", ErrorCode::SystemError),
    ] {
        let err = list_with(
            status,
            &format!(r#"{{"code":"{code}","message":"m"}}"#),
            Tamper::None,
        )
        .await;
        assert_eq!(err.api_error().unwrap().code, expected, "{code}");
        assert_eq!(err.api_error().unwrap().status.as_u16(), status);
    }
}

#[tokio::test]
async fn a_non_wechatpay_error_body_still_maps_to_an_api_error() {
    let err = list_with(502, "<html>bad gateway</html>", Tamper::None).await;
    assert_eq!(err.kind(), ErrorKind::Api);
    assert_eq!(err.api_error().unwrap().status.as_u16(), 502);
    assert!(matches!(
        err.api_error().unwrap().code,
        ErrorCode::Unknown(_)
    ));
}

#[tokio::test]
async fn a_signature_probe_is_rejected_as_its_own_kind() {
    let err = list_with(200, r#"{"total_count":0}"#, Tamper::Probe).await;
    assert_eq!(err.kind(), ErrorKind::SignatureProbe);
    assert!(err.to_string().contains("probe"));
}

#[tokio::test]
async fn bad_signature_unknown_serial_and_stale_timestamp_fail_closed() {
    for tamper in [Tamper::BadSignature, Tamper::UnknownSerial, Tamper::Stale] {
        // The body would not even parse: verification must come first.
        let err = list_with(200, "not json at all", tamper).await;
        assert_eq!(err.kind(), ErrorKind::Verification);
        let text = err.to_string();
        assert!(text.starts_with("response discarded"), "{text}");
        assert!(
            !text.contains("not json"),
            "nothing of the body is shown: {text}"
        );
        assert_eq!(
            text.contains("download it again"),
            matches!(tamper, Tamper::BadSignature),
            "key advice only for a bad signature: {text}"
        );
        assert_eq!(
            err.request_id(),
            Some("08F0F4B4BE0610A8031890C0BB0120D4C60F28A2AC01-0")
        );
    }
}

#[tokio::test]
async fn a_verified_body_that_is_not_the_documented_json_is_a_decode_error() {
    let err = list_with(200, r#"{"stock_list":"not a list"}"#, Tamper::None).await;
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(err.request_id().is_some());
}

#[tokio::test]
async fn an_invalid_request_is_rejected_before_anything_is_sent() {
    let server = MockServer::start().await;
    let err = brand(&server)
        .list_stocks(&ListStocksRequest::new("1000000013").with_page_size(51))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    let v = err.violations().unwrap();
    assert_eq!(
        v.iter()
            .map(|v| (v.rule.as_str(), v.path.as_str()))
            .collect::<Vec<_>>(),
        vec![("page-size-range", "/page_size")]
    );
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "nothing went on the wire"
    );
}

#[tokio::test]
async fn the_stream_walks_every_page_and_surfaces_a_late_error_after_the_items() {
    let server = MockServer::start().await;
    let page1 = format!(
        r#"{{"total_count":3,"stock_list":[{},{}],"next_page_token":"t/2+"}}"#,
        stock_json("1"),
        stock_json("2")
    );
    let page2 = format!(
        r#"{{"stock_list":[{}],"next_page_token":"t3"}}"#,
        stock_json("3")
    );
    Mock::given(method("GET"))
        .and(path(STOCKS_PATH))
        .and(wiremock::matchers::query_param("page_token", "t/2+"))
        .respond_with(Signed {
            status: 200,
            body: page2,
            tamper: Tamper::None,
        })
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(STOCKS_PATH))
        .and(wiremock::matchers::query_param("page_token", "t3"))
        .respond_with(Signed {
            status: 500,
            body: r#"{"code":"SYSTEM_ERROR","message":"x"}"#.into(),
            tamper: Tamper::None,
        })
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(STOCKS_PATH))
        .respond_with(Signed {
            status: 200,
            body: page1,
            tamper: Tamper::None,
        })
        .mount(&server)
        .await;

    let results: Vec<_> = brand(&server)
        .list_stocks_stream(ListStocksRequest::new("1000000013"))
        .collect()
        .await;
    let ids: Vec<String> = results
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|s| s.stock_id.as_str().to_owned())
        .collect();
    assert_eq!(ids, vec!["1", "2", "3"]);
    assert_eq!(results.len(), 4);
    assert_eq!(
        results[3].as_ref().unwrap_err().api_error().unwrap().code,
        ErrorCode::SystemError
    );
    // The token was percent-encoded in the query that was signed and sent.
    let received = server.received_requests().await.unwrap();
    assert_eq!(received[1].url.query(), Some("page_token=t%2F2%2B"));
}

#[test]
fn a_builder_without_keys_names_the_missing_setting() {
    let err = BrandClient::builder()
        .brand_id("1001")
        .serial_no("S")
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.to_string().contains(".private_key("));
    let err = BrandClient::builder()
        .brand_id("1001")
        .serial_no("S")
        .private_key(keys().client.clone())
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("wechatpay_public_key"));
}

/// Answers 500 to the first request, then a signed page.
struct FailOnceThenPage {
    calls: std::sync::atomic::AtomicU32,
}

impl Respond for FailOnceThenPage {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let status = if self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            500
        } else {
            200
        };
        Signed {
            status,
            body: r#"{"total_count":0,"stock_list":[]}"#.into(),
            tamper: Tamper::None,
        }
        .respond(request)
    }
}

#[tokio::test]
async fn every_attempt_is_signed_afresh_over_the_same_bytes() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(STOCKS_PATH))
        .respond_with(FailOnceThenPage {
            calls: Default::default(),
        })
        .expect(2)
        .mount(&server)
        .await;
    let transport = Transport::builder()
        .primary_base_url(server.uri())
        .without_backup()
        .retry_policy(
            RetryPolicy::new()
                .with_max_attempts(2)
                .with_base_delay(Duration::from_millis(1))
                .with_max_delay(Duration::from_millis(2)),
        )
        .build()
        .unwrap();
    let client = BrandClient::builder()
        .brand_id("1001")
        .serial_no("CLIENTSERIAL01")
        .private_key(keys().client.clone())
        .wechatpay_public_key(PUB_KEY_ID, keys().wechatpay.public_key())
        .transport(transport)
        .build()
        .unwrap();
    let stock = serde_json::from_str(
        r#"{"coupon_code_mode":"WECHATPAY","stock_send_rule":{"max_count":10,"max_count_per_user":1},
            "usage_rule_display_info":{"coupon_usage_method_list":["OFFLINE"],"usage_description":"到店使用"},
            "coupon_display_info":{"code_display_mode":"QRCODE"},"notify_config":{"notify_appid":"wx233544546545989"},
            "store_scope":"NONE"}"#,
    )
    .unwrap();
    let request = coupon_client::coupon_model::stock::AddStockRequest::new(
        "1000000013",
        CreateStockBody::new("retry_20250101_0001", stock),
    );
    // The verified 200 is not a stock: a Decode error, after both attempts.
    let err = client.add_stock(&request).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode, "{err}");

    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 2);
    assert_eq!(
        received[0].body, received[1].body,
        "retries resend identical bytes"
    );
    let auths: Vec<ParsedAuthorization> = received
        .iter()
        .map(|r| {
            let auth = r.headers.get("authorization").unwrap().to_str().unwrap();
            let parsed = ParsedAuthorization::parse(auth).unwrap();
            verify_request(
                &keys().client.public_key(),
                &parsed,
                &SignableRequest::new("POST", STOCKS_PATH, &r.body),
            )
            .unwrap();
            parsed
        })
        .collect();
    assert_ne!(
        auths[0].nonce_str(),
        auths[1].nonce_str(),
        "each attempt has its own nonce (and signature)"
    );
    assert_ne!(auths[0].signature(), auths[1].signature());
}

#[tokio::test]
async fn wechatpay_serial_defaults_per_side_and_can_be_chosen() {
    const SECOND: &str = "PUB_KEY_ID_0000000000000000000000000002";
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(STOCKS_PATH))
        .respond_with(Signed {
            status: 200,
            body: r#"{"total_count":0,"stock_list":[]}"#.into(),
            tamper: Tamper::None,
        })
        .mount(&server)
        .await;
    let second_key = PrivateKey::generate().unwrap().public_key();
    let builder = || {
        BrandClient::builder()
            .brand_id("1001")
            .serial_no("CLIENTSERIAL01")
            .private_key(keys().client.clone())
            .wechatpay_public_key(SECOND, second_key.clone())
            .wechatpay_public_key(PUB_KEY_ID, keys().wechatpay.public_key())
            .transport(transport(&server))
    };
    let request = ListStocksRequest::new("1000000013");
    // Default: the first key's id; chosen: the named one. Both verify the
    // answer with whichever key its Wechatpay-Serial names.
    builder()
        .build()
        .unwrap()
        .list_stocks(&request)
        .await
        .unwrap();
    builder()
        .wechatpay_serial(PUB_KEY_ID)
        .build()
        .unwrap()
        .list_stocks(&request)
        .await
        .unwrap();
    let sent: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            r.headers
                .get("wechatpay-serial")
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(sent, vec![SECOND, PUB_KEY_ID]);

    // An id the client does not hold is a configuration error, on either side.
    let err = builder()
        .wechatpay_serial("PUB_KEY_ID_UNKNOWN")
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.to_string().contains("PUB_KEY_ID_UNKNOWN"), "{err}");
    let err = PartnerClient::builder()
        .mchid("1900000001")
        .serial_no("S")
        .private_key(keys().client.clone())
        .wechatpay_public_key(PUB_KEY_ID, keys().wechatpay.public_key())
        .wechatpay_serial("PUB_KEY_ID_UNKNOWN")
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
}

#[tokio::test]
async fn a_partner_client_sends_wechatpay_serial_when_asked() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(Signed {
            status: 200,
            body: r#"{"product_coupon_id":"1000000013"}"#.into(),
            tamper: Tamper::None,
        })
        .mount(&server)
        .await;
    let client = PartnerClient::builder()
        .mchid("1900000001")
        .serial_no("CLIENTSERIAL02")
        .private_key(keys().client.clone())
        .wechatpay_public_key(PUB_KEY_ID, keys().wechatpay.public_key())
        .wechatpay_serial(PUB_KEY_ID)
        .transport(transport(&server))
        .build()
        .unwrap();
    let request = UpdateProductCouponRequest::new(
        "1000000013",
        UpdateProductCouponBody::new(
            "upd_20250101_0002",
            ProductCouponDisplayInfo::new(
                "全场满减券",
                "https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx",
            ),
        )
        .with_brand_id("1001"),
    );
    client.update_product_coupon(&request).await.unwrap();
    let req = &server.received_requests().await.unwrap()[0];
    assert_eq!(req.headers.get("wechatpay-serial").unwrap(), PUB_KEY_ID);
}

#[tokio::test]
async fn empty_or_dot_path_parameters_and_an_empty_appid_are_not_sent() {
    use coupon_client::coupon_model::user_coupon::ListUserCouponsRequest;
    let server = MockServer::start().await;
    let client = brand(&server);
    for (openid, appid, name) in [
        ("", "wx233544546545989", "openid"),
        ("..", "wx233544546545989", "openid"),
        ("oh-394z-6CGkNoJrsDLTTUKiAnp4", "", "appid"),
    ] {
        let err = client
            .list_user_coupons(&ListUserCouponsRequest::new(openid, appid))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidRequest, "{err}");
        assert!(err.to_string().contains(name), "{err}");
    }
    let err = client
        .list_stocks(&ListStocksRequest::new(""))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        coupon_client::Error::InvalidParameter {
            name: "product_coupon_id",
            ..
        }
    ));
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[test]
fn client_debug_output_holds_no_key_material() {
    let client = BrandClient::builder()
        .brand_id("1001")
        .serial_no("CLIENTSERIAL01")
        .private_key(keys().client.clone())
        .wechatpay_public_key(PUB_KEY_ID, keys().wechatpay.public_key());
    let builder_debug = format!("{client:?}");
    let client = client.build().unwrap();
    let client_debug = format!("{client:?}");
    let pem = keys().client.to_pkcs8_pem();
    let body_line = pem.lines().nth(1).unwrap().to_owned();
    for shown in [&builder_debug, &client_debug] {
        assert!(shown.contains("CLIENTSERIAL01"), "{shown}");
        assert!(
            !shown.contains(&body_line),
            "key material in Debug: {shown}"
        );
        assert!(!shown.contains("PRIVATE KEY"), "{shown}");
    }
}
