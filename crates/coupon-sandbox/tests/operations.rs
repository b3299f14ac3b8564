//! Every operation of the table is served on each side it exists on, every
//! answer carries WeChat Pay's headers, writes replay their request numbers,
//! brands keep to their own objects; notify config, image upload,
//! image-generation tasks and pre-send.

mod common;

use bytes::Bytes;
use common::*;
use coupon_model::OPERATIONS;
use coupon_model::operation::Side as ModelSide;
use coupon_sandbox::seed;
use http::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

const DAY: i64 = 86_400;

fn filled(path: &str) -> String {
    path.replace("{product_coupon_id}", seed::PRODUCT_COUPON_ID)
        .replace("{stock_id}", "1000000013002")
        .replace("{stock_bundle_id}", seed::STOCK_BUNDLE_ID)
        .replace("{openid}", seed::OPENID)
        .replace("{coupon_code}", "123446500003")
        .replace("{task_id}", "task_none")
        .replace("{user_coupon_bundle_id}", "none")
}

#[tokio::test]
async fn every_operation_answers_signed_with_every_header_wechat_pay_sends() {
    let h = Harness::start().await;
    for spec in OPERATIONS {
        for (side, template) in [
            (ModelSide::Brand, spec.brand_path),
            (ModelSide::Partner, spec.partner_path),
        ] {
            let Some(template) = template else { continue };
            let path = filled(template);
            let body: &[u8] = if spec.method.as_str() == "GET" {
                b""
            } else {
                b"{}"
            };
            let method = Method::from_bytes(spec.method.as_str().as_bytes()).unwrap();
            let call = match side {
                ModelSide::Brand => h.brand(method, path.clone(), body),
                ModelSide::Partner => h.partner(method, path.clone(), body),
            };
            let reply = h.send_verified(call).await;
            let what = format!(
                "{} {path}: {}",
                spec.name,
                String::from_utf8_lossy(&reply.body)
            );
            assert!(
                reply.status.is_success() || reply.status.is_client_error(),
                "{what}"
            );
            let json = reply.json();
            if !reply.status.is_success() {
                assert!(
                    json["code"].as_str().is_some_and(|c| !c.is_empty()),
                    "{what}"
                );
                assert!(
                    !json["message"]
                        .as_str()
                        .unwrap_or_default()
                        .contains("no handler"),
                    "{what}"
                );
            }
            assert_ne!(reply.status, StatusCode::NOT_FOUND, "{what}");
            for header in [
                "wechatpay-timestamp",
                "wechatpay-nonce",
                "wechatpay-signature",
                "wechatpay-serial",
                "request-id",
            ] {
                assert!(!reply.header(header).is_empty(), "{header} missing: {what}");
            }
            assert_eq!(
                reply.header("wechatpay-signature-type"),
                "WECHATPAY2-SHA256-RSA2048"
            );
            assert_eq!(reply.header("content-type"), "application/json");
        }
    }
}

#[tokio::test]
async fn writes_replay_their_request_numbers_byte_for_byte() {
    let h = Harness::start_with(|b| b).await;
    for side in SIDES {
        let tag = format!("{side:?}").to_lowercase();
        let body = single_product_coupon(
            &format!("idem_{tag}"),
            new_stock("WECHATPAY", 10, 5, NOW - DAY, NOW + DAY),
        );
        let first = h
            .op(side, Method::POST, "/product-coupons", Some(body.clone()))
            .await;
        assert_eq!(first.status, StatusCode::OK);
        let again = h
            .op(side, Method::POST, "/product-coupons", Some(body.clone()))
            .await;
        assert_eq!(again.body, first.body);
        let mut other = body.clone();
        other["display_info"]["name"] = json!("另一个名字的券");
        h.op(side, Method::POST, "/product-coupons", Some(other))
            .await
            .assert_refused(StatusCode::BAD_REQUEST, "ALREADY_EXISTS", Some(268_578_927));
        let pc = first.json()["product_coupon_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let stock = first.json()["stock"]["stock_id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            h.sandbox.stock_count(&pc),
            1,
            "one stock, however often replayed"
        );

        let send = send_body(&pc, &stock, &format!("idem_send_{tag}"));
        let path = format!("/users/{NEW_OPENID}/coupons");
        let sent = h.op(side, Method::POST, &path, Some(send.clone())).await;
        let resent = h.op(side, Method::POST, &path, Some(send.clone())).await;
        assert_eq!(resent.body, sent.body);
        let mut other = send.clone();
        other["attach"] = json!("changed");
        h.op(side, Method::POST, &path, Some(other))
            .await
            .assert_refused(StatusCode::BAD_REQUEST, "ALREADY_EXISTS", Some(268_578_927));
        // …and to another user (the path is part of the request).
        h.op(
            side,
            Method::POST,
            "/users/oIdemOther-0000000000001/coupons",
            Some(send),
        )
        .await
        .assert_refused(StatusCode::BAD_REQUEST, "ALREADY_EXISTS", Some(268_578_927));
        assert_eq!(
            h.sandbox
                .stock(&stock)
                .unwrap()
                .sent_count_info
                .unwrap()
                .total_count,
            Some(1)
        );
    }
    // The same numbers on the other side and for the other brand are other requests' keys:
    // a partner replaying a brand's request gets the same object, in the partner's form.
    let body = single_product_coupon(
        "idem_brand",
        new_stock("WECHATPAY", 10, 5, NOW - DAY, NOW + DAY),
    );
    let brand = h
        .op(Side::Brand, Method::POST, "/product-coupons", Some(body))
        .await
        .json();
    assert_eq!(
        brand["product_coupon_id"],
        h.op(
            Side::Partner,
            Method::POST,
            "/product-coupons",
            Some(single_product_coupon(
                "idem_brand",
                new_stock("WECHATPAY", 10, 5, NOW - DAY, NOW + DAY)
            ))
        )
        .await
        .json()["product_coupon_id"]
    );
}

#[tokio::test]
async fn brands_keep_to_their_own_objects() {
    let h = Harness::start_with(|b| b).await;
    let other = seed::OTHER_BRAND_ID;
    let created = h
        .op_for(
            Side::Partner,
            other,
            Method::POST,
            "/product-coupons",
            Some(single_product_coupon(
                "other_brand_pc",
                new_stock("WECHATPAY", 10, 5, NOW - DAY, NOW + DAY),
            )),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.json());
    assert_eq!(created.json()["brand_id"], other);
    let pc = created.json()["product_coupon_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let stock = created.json()["stock"]["stock_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let pc_path = format!("/product-coupons/{pc}");

    // The sandbox's brand cannot see or touch it, on either side.
    for side in SIDES {
        h.op(side, Method::GET, &pc_path, None)
            .await
            .assert_refused(StatusCode::FORBIDDEN, "NO_AUTH", None);
        h.op(
            side,
            Method::POST,
            &format!("/users/{NEW_OPENID}/coupons"),
            Some(send_body(&pc, &stock, "foreign_send")),
        )
        .await
        .assert_refused(StatusCode::FORBIDDEN, "NO_AUTH", None);
    }
    // The other brand's coupon cannot be confirmed by the sandbox's brand.
    let sent = h
        .op_for(
            Side::Partner,
            other,
            Method::POST,
            &format!("/users/{NEW_OPENID}/coupons"),
            Some(send_body(&pc, &stock, "other_send")),
        )
        .await
        .json();
    let code = sent["coupon_code"].as_str().unwrap().to_owned();
    assert_eq!(sent["brand_id"], other);
    for side in SIDES {
        h.op(
            side,
            Method::POST,
            &format!("/users/{NEW_OPENID}/coupons/{code}/confirm"),
            Some(coupon_body(&pc, &stock, "foreign_confirm")),
        )
        .await
        .assert_refused(StatusCode::FORBIDDEN, "NO_AUTH", None);
    }
    // Each brand lists only its own coupons of the user.
    let mine = h
        .ok(
            Side::Brand,
            Method::GET,
            &format!("/users/{NEW_OPENID}/coupons?appid={APPID}"),
            None,
        )
        .await;
    assert_eq!(mine["total_count"], 0);
    let theirs = h
        .op_for(
            Side::Partner,
            other,
            Method::GET,
            &format!("/users/{NEW_OPENID}/coupons?appid={APPID}"),
            None,
        )
        .await
        .json();
    assert_eq!(theirs["total_count"], 1);
    // A brand that has not authorised the service provider: NO_AUTH.
    h.op_for(Side::Partner, "999999", Method::GET, &pc_path, None)
        .await
        .assert_refused(StatusCode::FORBIDDEN, "NO_AUTH", None);
    // The partner side must name the brand.
    let reply = h
        .send_verified(h.partner(Method::GET, format!("{PARTNER_PREFIX}{pc_path}"), b""))
        .await;
    reply.assert_refused(StatusCode::BAD_REQUEST, "PARAM_ERROR", None);
    assert_eq!(reply.field(), "brand_id");
}

#[tokio::test]
async fn notify_configs_are_per_brand_and_per_service_provider() {
    let h = Harness::start_with(|b| b).await;
    assert_eq!(
        h.ok(Side::Brand, Method::GET, "/notify-configs", None)
            .await,
        json!({})
    );
    let set = h
        .ok(
            Side::Brand,
            Method::POST,
            "/notify-configs",
            Some(json!({ "notify_url": "https://brand.example/notify" })),
        )
        .await;
    assert_eq!(set["notify_url"], "https://brand.example/notify");
    assert!(set["update_time"].is_string());
    assert_eq!(
        h.ok(Side::Brand, Method::GET, "/notify-configs", None)
            .await,
        set
    );
    assert_eq!(
        h.ok(Side::Partner, Method::GET, "/notify-configs", None)
            .await,
        json!({})
    );
    h.ok(
        Side::Partner,
        Method::POST,
        "/notify-configs",
        Some(json!({ "notify_url": "http://127.0.0.1:9/sp" })),
    )
    .await;
    assert_eq!(
        h.ok(Side::Partner, Method::GET, "/notify-configs", None)
            .await["notify_url"],
        "http://127.0.0.1:9/sp"
    );
    let reply = h
        .op(
            Side::Brand,
            Method::POST,
            "/notify-configs",
            Some(json!({ "notify_url": "ftp://x/y?z" })),
        )
        .await;
    reply.assert_refused(StatusCode::BAD_REQUEST, "INVALID_REQUEST", None);
    assert_eq!(reply.field(), "/notify_url");
}

/// A signed multipart image upload on `side`.
async fn upload(h: &Harness, side: Side, filename: &str, file: &[u8], sha256: &str) -> Reply {
    let meta = serde_json::to_vec(&json!({ "filename": filename, "sha256": sha256 })).unwrap();
    let boundary = "SandboxBoundary1234";
    let mut body = Vec::new();
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"meta\"\r\nContent-Type: application/json\r\n\r\n").as_bytes());
    body.extend_from_slice(&meta);
    body.extend_from_slice(format!("\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: image/png\r\n\r\n").as_bytes());
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let prefix = if side == Side::Brand {
        BRAND_PREFIX
    } else {
        PARTNER_PREFIX
    };
    let path = format!("{prefix}/media/upload-image");
    let creds = h.sandbox.credentials();
    let signer = if side == Side::Brand {
        creds.brand_signer()
    } else {
        creds.merchant_signer()
    };
    let auth = signer
        .sign(
            &wxpay_sign::SignableRequest::new("POST", &path, &meta),
            NOW,
            &wxpay_sign::generate_nonce(),
        )
        .unwrap();
    let request = http::Request::post(format!("{}{path}", h.sandbox.base_url()))
        .header("Authorization", auth.to_header_value())
        .header("Wechatpay-Serial", &creds.wechatpay_public_key_id)
        .header("Accept", "application/json")
        .header(
            "Content-Type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(http_body_util::Full::new(Bytes::from(body)))
        .unwrap();
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Full<Bytes>>();
    let response = client.request(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    use http_body_util::BodyExt as _;
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let reply = Reply {
        status,
        headers,
        body,
    };
    h.verify(&reply).unwrap();
    reply
}

#[tokio::test]
async fn image_upload_returns_a_url_later_requests_use() {
    let h = Harness::start().await;
    let png = b"\x89PNG\r\n\x1a\nsandbox image bytes";
    let digest: String = Sha256::digest(png)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    for side in SIDES {
        let reply = upload(&h, side, "logo.png", png, &digest).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
        let url = reply.json()["image_url"].as_str().unwrap().to_owned();
        assert!(url.starts_with("https://"), "{url}");
        let updated = h
            .ok(
                side,
                Method::PATCH,
                &format!("/product-coupons/{}", seed::PRODUCT_COUPON_ID),
                Some(json!({
                    "out_request_no": format!("img_{side:?}"),
                    "display_info": { "name": "新图片的满减券", "image_url": url }
                })),
            )
            .await;
        assert_eq!(updated["display_info"]["image_url"], url.as_str());
    }
    let reply = upload(&h, Side::Brand, "logo.png", png, &"0".repeat(64)).await;
    reply.assert_refused(StatusCode::BAD_REQUEST, "PARAM_ERROR", None);
    assert_eq!(reply.field(), "/sha256");
    let reply = upload(&h, Side::Brand, "logo.gif", png, &digest).await;
    reply.assert_refused(StatusCode::BAD_REQUEST, "INVALID_REQUEST", None);
}

#[tokio::test]
async fn image_generation_tasks_finish_at_once() {
    let h = Harness::start().await;
    let created = h
        .ok(
            Side::Partner,
            Method::POST,
            "/image-generation-tasks",
            Some(json!({ "image_generation_type": "COMBINE_IMAGE" })),
        )
        .await;
    let id = created["task_id"].as_str().unwrap();
    let task = h
        .ok(
            Side::Partner,
            Method::GET,
            &format!("/image-generation-tasks/{id}"),
            None,
        )
        .await;
    assert_eq!(task["task_state"], "SUCCESS");
    assert!(task["combine_image_result"]["image_url"].is_string());
    let other = h
        .op_for(
            Side::Partner,
            seed::OTHER_BRAND_ID,
            Method::GET,
            &format!("/image-generation-tasks/{id}"),
            None,
        )
        .await;
    other.assert_refused(StatusCode::FORBIDDEN, "NO_AUTH", None);
}

#[tokio::test]
async fn a_pre_sent_coupon_is_claimed_once_within_five_minutes() {
    let h = Harness::start_with(|b| b).await;
    let created = h
        .ok(
            Side::Brand,
            Method::POST,
            "/product-coupons",
            Some(single_product_coupon(
                "pre_pc",
                new_stock("WECHATPAY", 10, 5, NOW - DAY, NOW + DAY),
            )),
        )
        .await;
    let pc = created["product_coupon_id"].as_str().unwrap().to_owned();
    let stock = created["stock"]["stock_id"].as_str().unwrap().to_owned();
    let pre = |no: &str| send_body(&pc, &stock, no);
    let path = format!("/users/{NEW_OPENID}/pre-send-coupon");
    let token = h
        .ok(Side::Brand, Method::POST, &path, Some(pre("pre_send_1")))
        .await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let coupon = h.sandbox.claim_pre_sent_coupon(&token).unwrap();
    assert_eq!(coupon.send_channel.unwrap().as_str(), "RECEIVE_COMPONENT");
    assert_eq!(coupon.send_request_no.unwrap().as_str(), "pre_send_1");
    assert!(
        h.sandbox.claim_pre_sent_coupon(&token).is_err(),
        "claimed once"
    );
    let late = h
        .ok(Side::Partner, Method::POST, &path, Some(pre("pre_send_2")))
        .await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    h.clock.advance(301);
    assert!(h.sandbox.claim_pre_sent_coupon(&late).is_err(), "expired");
    // Pre-send checks what a send checks.
    h.sandbox.pause_stock(&stock).unwrap();
    h.op(Side::Brand, Method::POST, &path, Some(pre("pre_send_3")))
        .await
        .assert_refused(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            Some(268_577_984),
        );
}

#[tokio::test]
async fn shape_errors_name_the_field_by_json_pointer() {
    let h = Harness::start_with(|b| b).await;
    let cases: [(&str, Value, &str); 4] = [
        (
            "/users/oShape-000000000000000001/coupons",
            json!({ "product_coupon_id": "1", "stock_id": "2", "appid": APPID }),
            "/send_request_no",
        ),
        (
            "/product-coupons/1000000013/stocks/1000000013002/upload-coupon-codes",
            json!({ "out_request_no": "shape_0001", "code_list": ["a", 7] }),
            "/code_list/1",
        ),
        (
            "/product-coupons/1000000013/stocks/1000000013002/update-budget",
            json!({ "out_request_no": "shape_0002", "update_mode": "EVERYTHING" }),
            "/update_mode",
        ),
        (
            "/users/oShape-000000000000000001/coupons/X/use",
            json!({ "product_coupon_id": "1", "stock_id": "2", "appid": APPID, "out_request_no": "shape_0003",
                    "use_time": "2025-08-01T00:00:00+08:00", "associated_order_info": { "out_trade_no": 12 } }),
            "/associated_order_info/out_trade_no",
        ),
    ];
    for (path, body, pointer) in cases {
        for side in SIDES {
            let reply = h.op(side, Method::POST, path, Some(body.clone())).await;
            reply.assert_refused(StatusCode::BAD_REQUEST, "PARAM_ERROR", None);
            assert_eq!(reply.field(), pointer, "{path}: {}", reply.json());
        }
    }
}

#[tokio::test]
async fn an_injected_server_error_carries_no_business_number() {
    let h = Harness::start().await;
    let send = send_body(
        seed::PRODUCT_COUPON_ID,
        "1000000013004",
        "fault_paused_send",
    );
    let path = format!("/users/{NEW_OPENID}/coupons");
    let refused = h
        .op(Side::Brand, Method::POST, &path, Some(send.clone()))
        .await;
    refused.assert_refused(
        StatusCode::BAD_REQUEST,
        "INVALID_REQUEST",
        Some(268_577_984),
    );
    h.sandbox.inject(coupon_sandbox::Fault::ServerError, 1);
    let spoilt = h.op(Side::Brand, Method::POST, &path, Some(send)).await;
    spoilt.assert_refused(StatusCode::INTERNAL_SERVER_ERROR, "SYSTEM_ERROR", None);
}
