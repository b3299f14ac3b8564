//! Add stock and the partner product-coupon update: validation, idempotency
//! on `out_request_no`, NO_AUTH.

mod common;

use common::{Harness, PARTNER, STOCKS, add_stock_body};
use coupon_model::ValidationContext;
use coupon_model::stock::Stock;
use coupon_sandbox::{NEW_STOCK_STATE, seed};
use http::{Method, StatusCode};
use serde_json::{Value, json};

fn stocks_path(id: &str) -> String {
    format!("{STOCKS}/{id}/stocks")
}

#[tokio::test]
async fn add_stock_creates_once_and_replays_the_same_stock() {
    let h = Harness::start().await;
    let pc = seed::PRODUCT_COUPON_ID;
    let body = add_stock_body("sandbox_add_0001", "九月批次");
    let first = h
        .send_verified(h.brand(Method::POST, stocks_path(pc), &body))
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.json());
    assert_eq!(h.sandbox.stock_count(pc), seed::SINGLE_STOCK_COUNT + 1);
    let stock: Stock = serde_json::from_slice(&first.body).unwrap();
    assert_eq!(stock.product_coupon_id.as_str(), pc);
    assert_eq!(
        stock.state.as_ref().map(|s| s.as_str()),
        Some(NEW_STOCK_STATE)
    );
    assert_eq!(
        stock.coupon_code_count_info.and_then(|c| c.total_count),
        Some(0)
    );
    let ctx = ValidationContext::from_product_coupon(&h.sandbox.product_coupon(pc).unwrap());
    stock
        .validate(Some(&ctx))
        .expect("the created stock satisfies the rules");

    // Same out_request_no, same body (even re-serialised differently): the same stock, byte for byte.
    let reordered =
        serde_json::to_vec_pretty(&serde_json::from_slice::<Value>(&body).unwrap()).unwrap();
    for again in [&body, &reordered] {
        let reply = h
            .send_verified(h.brand(Method::POST, stocks_path(pc), again))
            .await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.body, first.body);
    }
    assert_eq!(h.sandbox.stock_count(pc), seed::SINGLE_STOCK_COUNT + 1);

    // Same out_request_no, different body: ALREADY_EXISTS, nothing created.
    let other = add_stock_body("sandbox_add_0001", "十月批次");
    let reply = h
        .send_verified(h.brand(Method::POST, stocks_path(pc), &other))
        .await;
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (StatusCode::BAD_REQUEST, "ALREADY_EXISTS")
    );
    // …also when addressed to another product coupon.
    let reply = h
        .send_verified(h.brand(
            Method::POST,
            stocks_path(seed::SINGLE_SCOPE_PRODUCT_COUPON_ID),
            &body,
        ))
        .await;
    assert_eq!(reply.code(), "ALREADY_EXISTS");
    assert_eq!(h.sandbox.stock_count(pc), seed::SINGLE_STOCK_COUNT + 1);

    // A new out_request_no creates a second stock with a new id, listed last.
    let body2 = add_stock_body("sandbox_add_0002", "十月批次");
    let second = h
        .send_verified(h.brand(Method::POST, stocks_path(pc), &body2))
        .await;
    assert_eq!(second.status, StatusCode::OK);
    assert_ne!(second.json()["stock_id"], first.json()["stock_id"]);
    let stocks = h.sandbox.stocks(pc);
    assert_eq!(
        stocks.last().unwrap().stock_id.as_str(),
        second.json()["stock_id"].as_str().unwrap()
    );
    let list = h
        .get(format!(
            "{}?page_size=50&state={NEW_STOCK_STATE}",
            stocks_path(pc)
        ))
        .await;
    let listed: Vec<String> = list.json()["stock_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stock_id"].as_str().unwrap().to_owned())
        .collect();
    assert!(listed.iter().any(|id| *id == first.json()["stock_id"]));
}

#[tokio::test]
async fn missing_fields_are_param_errors_with_a_json_pointer() {
    let h = Harness::start().await;
    let pc = seed::PRODUCT_COUPON_ID;
    type Edit = fn(&mut Value);
    let cases: [(&str, Edit); 4] = [
        ("/stock/stock_send_rule", |b| {
            b["stock"]
                .as_object_mut()
                .unwrap()
                .remove("stock_send_rule");
        }),
        ("/stock/stock_send_rule/max_count_per_user", |b| {
            b["stock"]["stock_send_rule"]
                .as_object_mut()
                .unwrap()
                .remove("max_count_per_user");
        }),
        ("/out_request_no", |b| {
            b.as_object_mut().unwrap().remove("out_request_no");
        }),
        ("/stock/usage_rule_display_info/usage_description", |b| {
            b["stock"]["usage_rule_display_info"]
                .as_object_mut()
                .unwrap()
                .remove("usage_description");
        }),
    ];
    for (pointer, edit) in cases {
        let mut body: Value =
            serde_json::from_slice(&add_stock_body("sandbox_missing", "x")).unwrap();
        edit(&mut body);
        let bytes = serde_json::to_vec(&body).unwrap();
        let reply = h
            .send_verified(h.brand(Method::POST, stocks_path(pc), &bytes))
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{pointer}");
        assert_eq!(reply.code(), "PARAM_ERROR");
        assert_eq!(reply.field(), pointer);
        assert_eq!(reply.json()["detail"]["location"], "body");
    }
    let reply = h
        .send(h.brand(Method::POST, stocks_path(pc), b"{not json"))
        .await;
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (StatusCode::BAD_REQUEST, "PARAM_ERROR")
    );
    assert_eq!(h.sandbox.stock_count(pc), seed::SINGLE_STOCK_COUNT);
}

#[tokio::test]
async fn rule_violations_are_invalid_requests_naming_the_rules() {
    let h = Harness::start().await;
    // Scope ALL: the discount must not sit in the stock's single_usage_rule,
    // and a SINGLE-mode coupon takes no sequential rule.
    let mut body: Value = serde_json::from_slice(&add_stock_body("sandbox_rules_1", "x")).unwrap();
    body["stock"]["single_usage_rule"]["normal_coupon"] =
        json!({ "threshold": 100, "discount_amount": 10 });
    body["stock"]["sequential_usage_rule"] = body["stock"]["single_usage_rule"].clone();
    let bytes = serde_json::to_vec(&body).unwrap();
    let reply = h
        .send_verified(h.brand(Method::POST, stocks_path(seed::PRODUCT_COUPON_ID), &bytes))
        .await;
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (StatusCode::BAD_REQUEST, "INVALID_REQUEST")
    );
    let json = reply.json();
    let message = json["message"].as_str().unwrap();
    assert!(
        message.contains("single-rule-only-for-single-scope"),
        "{message}"
    );
    assert!(
        message.contains("sequential-rule-iff-sequential-mode"),
        "{message}"
    );
    let rules: Vec<&str> = json["detail"]["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"single-rule-only-for-single-scope"));
    assert_eq!(json["detail"]["field"], "/stock/sequential_usage_rule");

    // A bad out_request_no format is a PARAM_ERROR.
    let bytes = add_stock_body("bad!", "x");
    let reply = h
        .send_verified(h.brand(Method::POST, stocks_path(seed::PRODUCT_COUPON_ID), &bytes))
        .await;
    assert_eq!(reply.code(), "PARAM_ERROR");
    assert_eq!(reply.field(), "/out_request_no");

    // The sequential product coupon needs one discount per use (count 3).
    let mut body: Value = serde_json::from_slice(&add_stock_body("sandbox_rules_2", "x")).unwrap();
    let period = body["stock"]["single_usage_rule"]["coupon_available_period"].clone();
    body["stock"]
        .as_object_mut()
        .unwrap()
        .remove("single_usage_rule");
    body["stock"]["sequential_usage_rule"] = json!({
        "coupon_available_period": period,
        "discount_coupon_list": [ { "threshold": 100, "percent_off": 10 } ]
    });
    let bytes = serde_json::to_vec(&body).unwrap();
    let path = stocks_path(seed::BUNDLE_PRODUCT_COUPON_ID);
    let reply = h
        .send_verified(h.brand(Method::POST, path.clone(), &bytes))
        .await;
    assert_eq!(reply.code(), "INVALID_REQUEST");
    assert!(
        reply.json()["message"]
            .as_str()
            .unwrap()
            .contains("rule-list-matches-type")
    );
    body["stock"]["sequential_usage_rule"]["discount_coupon_list"] = json!([
        { "threshold": 100, "percent_off": 10 },
        { "threshold": 100, "percent_off": 20 },
        { "threshold": 100, "percent_off": 30 }
    ]);
    let bytes = serde_json::to_vec(&body).unwrap();
    let reply = h.send_verified(h.brand(Method::POST, path, &bytes)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
    assert_eq!(h.sandbox.stock_count(seed::BUNDLE_PRODUCT_COUPON_ID), 4);
    assert_eq!(
        h.sandbox.stock_count(seed::PRODUCT_COUPON_ID),
        seed::SINGLE_STOCK_COUNT
    );

    let reply = h
        .send_verified(h.brand(
            Method::POST,
            stocks_path("4040404040"),
            &add_stock_body("sandbox_404", "x"),
        ))
        .await;
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (StatusCode::NOT_FOUND, "NOT_FOUND")
    );
}

fn page_003_body(brand_id: &str, out_request_no: &str, name: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "out_request_no": out_request_no,
        "display_info": {
            "name": name,
            "image_url": "https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx",
            "background_url": "https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx",
            "detail_image_url_list": ["https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx"],
            "original_price": 10000,
            "combo_package_list": [{
                "name": "咖啡2选1",
                "pick_count": 3,
                "choice_list": [{
                    "name": "美式",
                    "price": 10000,
                    "count": 2,
                    "image_url": "https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx",
                    "mini_program_appid": "wx4fd12345678",
                    "mini_program_path": "/pages/index/index"
                }]
            }]
        },
        "brand_id": brand_id
    }))
    .unwrap()
}

#[tokio::test]
async fn partner_update_changes_the_display_info_idempotently() {
    let h = Harness::start().await;
    let brand = h.sandbox.credentials().brand_id.clone();
    let path = format!("{PARTNER}/{}", seed::SINGLE_SCOPE_PRODUCT_COUPON_ID);
    let body = page_003_body(&brand, "34657_20250101_123456", "美式咖啡立减券");
    let reply = h
        .send_verified(h.partner(Method::PATCH, path.clone(), &body))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
    let json = reply.json();
    assert_eq!(json["brand_id"], brand.as_str());
    assert_eq!(
        json["product_coupon_id"],
        seed::SINGLE_SCOPE_PRODUCT_COUPON_ID
    );
    assert_eq!(json["display_info"]["name"], "美式咖啡立减券");
    assert_eq!(json["scope"], "SINGLE");
    let now = h
        .sandbox
        .product_coupon(seed::SINGLE_SCOPE_PRODUCT_COUPON_ID)
        .unwrap();
    assert_eq!(now.display_info.unwrap().name, "美式咖啡立减券");

    let again = h
        .send_verified(h.partner(Method::PATCH, path.clone(), &body))
        .await;
    assert_eq!(again.body, reply.body);
    let different = page_003_body(&brand, "34657_20250101_123456", "另一个名字");
    let reply = h
        .send_verified(h.partner(Method::PATCH, path.clone(), &different))
        .await;
    assert_eq!(reply.code(), "ALREADY_EXISTS");

    // Unknown brand → 403 NO_AUTH; nothing changes.
    let reply = h
        .send_verified(h.partner(
            Method::PATCH,
            path.clone(),
            &page_003_body("999999", "other_no_0001", "名字三个字"),
        ))
        .await;
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (StatusCode::FORBIDDEN, "NO_AUTH")
    );

    // The storewide coupon takes no original_price / combo: INVALID_REQUEST.
    let storewide = format!("{PARTNER}/{}", seed::PRODUCT_COUPON_ID);
    let reply = h
        .send_verified(h.partner(
            Method::PATCH,
            storewide,
            &page_003_body(&brand, "other_no_0002", "全场满减券"),
        ))
        .await;
    assert_eq!(reply.code(), "INVALID_REQUEST");
    assert!(
        reply.json()["message"]
            .as_str()
            .unwrap()
            .contains("single-scope-needs-price-and-combo")
    );

    // Missing display_info/name → PARAM_ERROR at its pointer.
    let mut body: Value =
        serde_json::from_slice(&page_003_body(&brand, "other_no_0003", "x")).unwrap();
    body["display_info"].as_object_mut().unwrap().remove("name");
    let bytes = serde_json::to_vec(&body).unwrap();
    let reply = h
        .send_verified(h.partner(Method::PATCH, path, &bytes))
        .await;
    assert_eq!(
        (reply.code().as_str(), reply.field().as_str()),
        ("PARAM_ERROR", "/display_info/name")
    );
}

#[tokio::test]
async fn bodies_must_be_json_and_accept_must_allow_json() {
    let h = Harness::start().await;
    let body = add_stock_body("media_type_0001", "x");
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Full<bytes::Bytes>>();
    let path = stocks_path(seed::PRODUCT_COUPON_ID);
    let creds = h.sandbox.credentials();
    for (content_type, accept, ok) in [
        (Some("application/json"), Some("application/json"), true),
        (Some("application/json; charset=utf-8"), None, true),
        (Some("text/plain"), Some("application/json"), false),
        (None, Some("application/json"), false),
        (Some("application/json"), Some("text/html"), false),
    ] {
        let out_request_no = format!("media_type_{}", h.sandbox.requests_seen());
        let body = String::from_utf8(body.clone())
            .unwrap()
            .replace("media_type_0001", &out_request_no);
        let auth = creds
            .brand_signer()
            .sign(
                &wxpay_sign::SignableRequest::new("POST", &path, body.as_bytes()),
                common::NOW,
                &wxpay_sign::generate_nonce(),
            )
            .unwrap();
        let mut request = http::Request::post(format!("{}{path}", h.sandbox.base_url()))
            .header("Authorization", auth.to_header_value())
            .header("Wechatpay-Serial", &creds.wechatpay_public_key_id);
        if let Some(ct) = content_type {
            request = request.header("Content-Type", ct);
        }
        if let Some(a) = accept {
            request = request.header("Accept", a);
        }
        let request = request
            .body(http_body_util::Full::new(bytes::Bytes::from(body)))
            .unwrap();
        let response = client.request(request).await.unwrap();
        let expected = if ok {
            StatusCode::OK
        } else {
            StatusCode::BAD_REQUEST
        };
        assert_eq!(response.status(), expected, "{content_type:?} {accept:?}");
    }
}

#[tokio::test]
async fn concurrent_retries_of_one_add_stock_create_exactly_one_stock() {
    let h = std::sync::Arc::new(Harness::start().await);
    let body = add_stock_body("concurrent_0001", "并发");
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let h = h.clone();
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            h.send_verified(h.brand(Method::POST, stocks_path(seed::PRODUCT_COUPON_ID), &body))
                .await
        }));
    }
    let mut bodies = Vec::new();
    for task in tasks {
        let reply = task.await.unwrap();
        assert_eq!(reply.status, StatusCode::OK);
        bodies.push(reply.body);
    }
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "every retry got the same stock"
    );
    assert_eq!(
        h.sandbox.stock_count(seed::PRODUCT_COUPON_ID),
        seed::SINGLE_STOCK_COUNT + 1
    );
}
