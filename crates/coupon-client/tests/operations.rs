//! The wire format of a sample of operations on each side, against wiremock:
//! method, path (several placeholders, percent-encoded), query, body, scheme,
//! and what is refused before anything is sent.

mod common;

use common::{PUB_KEY_ID, Signed, Tamper, brand, keys, partner};
use coupon_client::coupon_model::coupon_bundle::SendUserCouponBundleBody;
use coupon_client::coupon_model::operations::{
    ConfirmSendUserProductCouponRequest, CreateStockBundleRequest, GetImageGenerationTaskRequest,
    GetNotifyConfigRequest, GetUserProductCouponRequest, ListAssociatedStoresRequest,
    SendUserCouponBundleRequest, UpdateStockBudgetRequest, UploadImageRequest,
    UseUserProductCouponRequest,
};
use coupon_client::coupon_model::stock::{NewStock, UpdateBudgetBody};
use coupon_client::coupon_model::stock_bundle::CreateStockBundleBody;
use coupon_client::coupon_model::user_coupon::{
    AssociatedOrderInfo, ConfirmUserProductCouponBody, UseUserProductCouponBody,
};
use coupon_client::wxpay_sign::{ParsedAuthorization, Scheme, SignableRequest, verify_request};
use coupon_client::{ErrorKind, PartnerClient};
use futures_util::StreamExt;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request};

const USER_COUPON: &str = r#"{"coupon_code":"C 1/2","coupon_state":"EFFECTIVE"}"#;

fn signed(body: &str) -> Signed {
    Signed {
        status: 200,
        body: body.to_owned(),
        tamper: Tamper::None,
    }
}

/// The raw path and query of a received request, as signed.
fn path_and_query(req: &Request) -> String {
    match req.url.query() {
        Some(q) => format!("{}?{q}", req.url.path()),
        None => req.url.path().to_owned(),
    }
}

/// Checks the Authorization header: scheme, identity and a signature over
/// `signed_body` (the body itself unless the protocol signs something else).
fn assert_signed(req: &Request, scheme: Scheme, id: &str, signed_body: &[u8]) {
    let auth =
        ParsedAuthorization::parse(req.headers.get("authorization").unwrap().to_str().unwrap())
            .unwrap();
    assert_eq!(auth.scheme(), scheme);
    assert_eq!(auth.id(), id);
    verify_request(
        &keys().client.public_key(),
        &auth,
        &SignableRequest::new(req.method.as_str(), &path_and_query(req), signed_body),
    )
    .unwrap();
}

fn body_json(req: &Request) -> Value {
    serde_json::from_slice(&req.body).unwrap()
}

#[tokio::test]
async fn brand_confirm_encodes_two_placeholders_and_sends_no_brand_id() {
    let server = MockServer::start().await;
    let raw = "/brand/marketing/product-coupon/users/o%2F1%20x/coupons/C%201%2F2/confirm";
    Mock::given(method("POST"))
        .and(path(raw))
        .respond_with(signed(USER_COUPON))
        .expect(1)
        .mount(&server)
        .await;
    let mut body =
        ConfirmUserProductCouponBody::new("1002323", "100232301", "wx1", "MCHCONFIRM0001");
    // The brand's own id is accepted and stripped: a brand call names no brand.
    body.brand_id = Some("1001".into());
    let request = ConfirmSendUserProductCouponRequest::new("o/1 x", "C 1/2", body);
    let coupon = brand(&server).call(&request).await.unwrap();
    assert_eq!(coupon.coupon_code.as_str(), "C 1/2");

    let req = &server.received_requests().await.unwrap()[0];
    assert_eq!(req.url.path(), raw);
    assert_eq!(req.headers.get("wechatpay-serial").unwrap(), PUB_KEY_ID);
    assert_eq!(req.headers.get("content-type").unwrap(), "application/json");
    assert_signed(req, Scheme::Brand, "1001", &req.body);
    assert_eq!(
        body_json(req),
        json!({"product_coupon_id": "1002323", "stock_id": "100232301", "appid": "wx1", "out_request_no": "MCHCONFIRM0001"})
    );
}

#[tokio::test]
async fn partner_get_puts_appid_and_the_default_brand_in_the_query() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(
            "/v3/marketing/partner/product-coupon/users/o1/coupons/C1",
        ))
        .respond_with(signed(USER_COUPON))
        .expect(2)
        .mount(&server)
        .await;
    let client = partner(&server).for_brand("1001");
    let request = GetUserProductCouponRequest::new("o1", "C1", "wx 1").with_stock_id("100232301");
    client.call(&request).await.unwrap();
    // The request's own brand wins over the client's default.
    client
        .call(&request.clone().with_brand_id("2002"))
        .await
        .unwrap();

    let received = server.received_requests().await.unwrap();
    assert_eq!(
        path_and_query(&received[0]),
        "/v3/marketing/partner/product-coupon/users/o1/coupons/C1?appid=wx%201&stock_id=100232301&brand_id=1001"
    );
    assert!(path_and_query(&received[1]).ends_with("&brand_id=2002"));
    assert!(received[0].body.is_empty());
    assert!(received[0].headers.get("content-type").is_none());
    assert_signed(&received[0], Scheme::Merchant, "1900000001", b"");
}

#[tokio::test]
async fn partner_bodies_carry_the_brand_and_budget_updates_their_mode() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(
            "/v3/marketing/partner/product-coupon/product-coupons/1000000013/stocks/1000000013001/update-budget",
        ))
        .respond_with(signed(r#"{"product_coupon_id":"1000000013","stock_id":"1000000013001"}"#))
        .expect(1)
        .mount(&server)
        .await;
    let request = UpdateStockBudgetRequest::new(
        "1000000013",
        "1000000013001",
        UpdateBudgetBody::max_count("budget_000001", 10_000_000, 200),
    );
    partner(&server)
        .for_brand("1001")
        .call(&request)
        .await
        .unwrap();
    let req = &server.received_requests().await.unwrap()[0];
    assert_signed(req, Scheme::Merchant, "1900000001", &req.body);
    assert_eq!(
        body_json(req),
        json!({"out_request_no": "budget_000001", "update_mode": "MAX_COUNT", "current_max_count": 10000000, "target_max_count": 200, "brand_id": "1001"})
    );
}

#[tokio::test]
async fn paged_store_lists_stream_every_page_on_the_partner_side() {
    let server = MockServer::start().await;
    let list_path =
        "/v3/marketing/partner/product-coupon/product-coupons/1/stocks/2/associated-stores";
    Mock::given(method("GET"))
        .and(path(list_path))
        .and(wiremock::matchers::query_param("page_token", "p2"))
        .respond_with(signed(r#"{"store_list":[{"store_id":"s3"}]}"#))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(list_path))
        .respond_with(signed(
            r#"{"total_count":3,"store_list":[{"store_id":"s1"},{"store_id":"s2"}],"next_page_token":"p2"}"#,
        ))
        .mount(&server)
        .await;
    let stores: Vec<String> = partner(&server)
        .for_brand("1001")
        .stream(ListAssociatedStoresRequest::new("1", "2").with_page_size(2))
        .map(|s| s.unwrap().store_id.into_string())
        .collect()
        .await;
    assert_eq!(stores, ["s1", "s2", "s3"]);
    let received = server.received_requests().await.unwrap();
    assert_eq!(
        path_and_query(&received[0]),
        format!("{list_path}?page_size=2&brand_id=1001")
    );
    assert_eq!(
        path_and_query(&received[1]),
        format!("{list_path}?page_size=2&page_token=p2&brand_id=1001")
    );
}

#[tokio::test]
async fn partner_only_operations_work_on_the_partner_side_and_are_refused_on_the_brand_side() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(
            "/v3/marketing/partner/product-coupon/users/o1/coupon-bundles",
        ))
        .respond_with(signed(
            r#"{"user_coupon_bundle_id":"b1","user_product_coupon_list":[{"coupon_code":"C1"}]}"#,
        ))
        .expect(1)
        .mount(&server)
        .await;
    let request = SendUserCouponBundleRequest::new(
        "o1",
        SendUserCouponBundleBody::new("1002323", "712315129419284901", "wx1", "SEND_20250801_01"),
    );
    let bundle = partner(&server)
        .for_brand("1001")
        .call(&request)
        .await
        .unwrap();
    assert_eq!(bundle.user_product_coupon_list.unwrap().len(), 1);
    assert_eq!(
        body_json(&server.received_requests().await.unwrap()[0])["brand_id"],
        "1001"
    );

    // On the brand side the operation does not exist: refused, nothing sent.
    let err = brand(&server)
        .call_any(&GetImageGenerationTaskRequest::new("t1"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    assert!(
        err.to_string()
            .contains("brand side has no get-image-generation-task"),
        "{err}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_missing_or_foreign_brand_is_refused_before_sending() {
    let server = MockServer::start().await;
    let partner_without_brand: PartnerClient = partner(&server);
    let bundle = CreateStockBundleRequest::new(
        "1",
        CreateStockBundleBody::new("bundle_000001", serde_json::from_value::<NewStock>(json!({
            "coupon_code_mode": "WECHATPAY",
            "stock_send_rule": {"max_count": 10, "max_count_per_user": 1},
            "usage_rule_display_info": {"coupon_usage_method_list": ["OFFLINE"], "usage_description": "x"},
            "coupon_display_info": {"code_display_mode": "QRCODE"},
            "notify_config": {"notify_appid": "wx1"},
            "store_scope": "NONE"
        })).unwrap()),
    );
    let err = partner_without_brand.call(&bundle).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    assert!(err.to_string().contains(".brand_id("), "{err}");

    let mut foreign = bundle.clone();
    foreign.body.brand_id = Some("2002".into());
    let err = brand(&server).call(&foreign).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    assert!(err.to_string().contains("\"2002\""), "{err}");

    // Service-provider-wide operations need no brand.
    let notify = GetNotifyConfigRequest::new();
    Mock::given(method("GET"))
        .and(path("/v3/marketing/partner/product-coupon/notify-configs"))
        .respond_with(signed(r#"{"notify_url":"https://example.com/n"}"#))
        .expect(1)
        .mount(&server)
        .await;
    partner_without_brand.call(&notify).await.unwrap();
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 1, "only the notify-config call went out");
    assert_eq!(received[0].url.query(), None);
}

#[tokio::test]
async fn a_use_without_an_order_breaks_a_rule_and_is_not_sent() {
    let server = MockServer::start().await;
    let body = UseUserProductCouponBody::new(
        "1002323",
        "100232301",
        "wx1",
        "MCHUSE0001",
        "2025-08-02T12:00:00+08:00",
    );
    let err = brand(&server)
        .call(&UseUserProductCouponRequest::new("o1", "C1", body.clone()))
        .await
        .unwrap_err();
    let violations = err.violations().unwrap();
    assert!(
        violations
            .iter()
            .any(|v| v.rule.as_str() == "use-needs-one-order")
    );
    assert!(server.received_requests().await.unwrap().is_empty());

    Mock::given(method("POST"))
        .and(path(
            "/brand/marketing/product-coupon/users/o1/coupons/C1/use",
        ))
        .respond_with(signed(USER_COUPON))
        .expect(1)
        .mount(&server)
        .await;
    let order = AssociatedOrderInfo {
        transaction_id: Some("4200000000000000000".into()),
        ..Default::default()
    };
    brand(&server)
        .call(&UseUserProductCouponRequest::new(
            "o1",
            "C1",
            body.with_order(order),
        ))
        .await
        .unwrap();
}

/// A tiny valid PNG header (the API's type check reads the first bytes).
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01";

#[tokio::test]
async fn image_upload_is_multipart_and_the_signature_covers_the_meta_json() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/brand/marketing/product-coupon/media/upload-image"))
        .respond_with(signed(r#"{"image_url":"https://wxpaylogo.qpic.cn/x.png"}"#))
        .expect(1)
        .mount(&server)
        .await;
    let answer = brand(&server)
        .call(&UploadImageRequest::from_file("logo.png", PNG.to_vec()))
        .await
        .unwrap();
    assert_eq!(
        answer.image_url.as_deref(),
        Some("https://wxpaylogo.qpic.cn/x.png")
    );

    let req = &server.received_requests().await.unwrap()[0];
    let content_type = req.headers.get("content-type").unwrap().to_str().unwrap();
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap();
    let body = req.body.as_slice();
    let text = String::from_utf8_lossy(body);
    let meta_start = text.find("\r\n\r\n").unwrap() + 4;
    let meta_end = text[meta_start..].find("\r\n--").unwrap() + meta_start;
    let meta = &body[meta_start..meta_end];
    let meta_json: Value = serde_json::from_slice(meta).unwrap();
    assert_eq!(meta_json["filename"], "logo.png");
    // sha256 computed by the client (python3 -c "import hashlib; …").
    assert_eq!(
        meta_json["sha256"],
        "a930c2bb4e61c0682068f71c4ef427eefbb07098ecea9390e445e7af4b66a384"
    );
    assert!(text.starts_with(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"meta\""
    )));
    assert!(text.contains("Content-Disposition: form-data; name=\"file\"; filename=\"logo.png\"\r\nContent-Type: image/png"));
    assert!(body.windows(PNG.len()).any(|w| w == PNG));
    assert!(text.ends_with(&format!("\r\n--{boundary}--\r\n")));
    // The signature covers the meta JSON, byte for byte as sent.
    assert_signed(req, Scheme::Brand, "1001", meta);
}

#[tokio::test]
async fn an_empty_or_foreign_image_is_refused_with_what_the_api_accepts() {
    let server = MockServer::start().await;
    for (name, bytes, needle) in [
        ("logo.png", Vec::new(), "empty"),
        (
            "logo.png",
            b"GIF89a....".to_vec(),
            "neither a JPG nor a PNG",
        ),
        ("logo.gif", PNG.to_vec(), ".jpg, .jpeg or .png"),
        ("logo.jpg", PNG.to_vec(), "its name says image/jpeg"),
    ] {
        let err = brand(&server)
            .call(&UploadImageRequest::from_file(name, bytes))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidRequest, "{name}");
        assert!(err.to_string().contains(needle), "{name}: {err}");
    }
    // A given digest must be the file's.
    let mut wrong = UploadImageRequest::from_file("logo.png", PNG.to_vec());
    wrong.body.sha256 = "0".repeat(64);
    let err = brand(&server).call(&wrong).await.unwrap_err();
    assert!(err.to_string().contains("not the file's SHA-256"), "{err}");
    assert!(server.received_requests().await.unwrap().is_empty());
}
