//! The state file (persist, reload, refuse corrupt or foreign files without
//! touching them, start fresh), reset, and the loopback-only admin channel.

mod common;

use std::path::PathBuf;

use common::*;
use coupon_sandbox::{Error, Sandbox, seed};
use http::{Method, StatusCode};
use serde_json::json;

const DAY: i64 = 86_400;

fn temp_file(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sandbox-state-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("state.json")
}

async fn start_on(file: &PathBuf) -> Result<Harness, Error> {
    let clock = std::sync::Arc::new(wxpay_sign::ManualClock::new(NOW));
    let sandbox = Sandbox::builder()
        .credentials(creds())
        .clock(clock.clone())
        .state_file(file)
        .start()
        .await?;
    Ok(Harness::wrap(sandbox, clock))
}

#[tokio::test]
async fn objects_survive_a_restart_on_the_state_file() {
    let file = temp_file("restart");
    let h = start_on(&file).await.unwrap();
    let created = h
        .ok(
            Side::Brand,
            Method::POST,
            "/product-coupons",
            Some(single_product_coupon(
                "persist_pc",
                new_stock("WECHATPAY", 10, 5, NOW - DAY, NOW + DAY),
            )),
        )
        .await;
    let pc = created["product_coupon_id"].as_str().unwrap().to_owned();
    let stock = created["stock"]["stock_id"].as_str().unwrap().to_owned();
    let sent = h
        .ok(
            Side::Brand,
            Method::POST,
            &format!("/users/{NEW_OPENID}/coupons"),
            Some(send_body(&pc, &stock, "persist_send")),
        )
        .await;
    let code = sent["coupon_code"].as_str().unwrap().to_owned();
    h.ok(
        Side::Brand,
        Method::POST,
        &format!("/users/{NEW_OPENID}/coupons/{code}/confirm"),
        Some(coupon_body(&pc, &stock, "persist_confirm")),
    )
    .await;
    h.sandbox.shutdown().await;

    let h = start_on(&file).await.unwrap();
    let coupon = h
        .ok(
            Side::Brand,
            Method::GET,
            &format!("/users/{NEW_OPENID}/coupons/{code}?appid={APPID}"),
            None,
        )
        .await;
    assert_eq!(coupon["coupon_state"], "EFFECTIVE");
    assert_eq!(
        h.sandbox
            .stock(&stock)
            .unwrap()
            .sent_count_info
            .unwrap()
            .total_count,
        Some(1)
    );
    // Request numbers are remembered too: the same send replays, a new one counts.
    let again = h
        .op(
            Side::Brand,
            Method::POST,
            &format!("/users/{NEW_OPENID}/coupons"),
            Some(send_body(&pc, &stock, "persist_send")),
        )
        .await;
    assert_eq!(again.json()["coupon_code"], code.as_str());
    // New ids do not collide with the reloaded ones.
    let second = h
        .ok(
            Side::Brand,
            Method::POST,
            "/product-coupons",
            Some(single_product_coupon(
                "persist_pc_2",
                new_stock("WECHATPAY", 10, 5, NOW - DAY, NOW + DAY),
            )),
        )
        .await;
    assert_ne!(second["product_coupon_id"], pc.as_str());
    h.sandbox.shutdown().await;
    let _ = std::fs::remove_dir_all(file.parent().unwrap());
}

#[tokio::test]
async fn corrupt_or_foreign_files_are_refused_and_left_untouched() {
    let cases: [(&str, Vec<u8>, &str); 5] = [
        ("corrupt", b"{\"format\": \"wxpay-coupon-sandbox-state\", \"vers".to_vec(), "not JSON"),
        ("foreign", br#"{"name": "someone else's file"}"#.to_vec(), "not a sandbox state file"),
        ("version", br#"{"format": "wxpay-coupon-sandbox-state", "version": 99}"#.to_vec(), "version 99"),
        ("shape", br#"{"format": "wxpay-coupon-sandbox-state", "version": 1, "state": 5, "deliveries": []}"#.to_vec(), "does not parse"),
        ("binary", vec![0xff, 0xfe, 0x00, 0x01], "not JSON"),
    ];
    for (name, bytes, says) in cases {
        let file = temp_file(name);
        std::fs::write(&file, &bytes).unwrap();
        for fresh in [false, true] {
            let err = Sandbox::builder()
                .credentials(creds())
                .state_file(&file)
                .fresh_state(fresh)
                .start()
                .await
                .unwrap_err();
            assert!(matches!(err, Error::StateFile { .. }), "{name}: {err}");
            let text = err.to_string();
            assert!(text.contains(says), "{name}: {text}");
            assert!(text.contains("untouched"), "{text}");
            assert_eq!(
                std::fs::read(&file).unwrap(),
                bytes,
                "{name}: the file is left as it was"
            );
        }
        let _ = std::fs::remove_dir_all(file.parent().unwrap());
    }
    // Another sandbox identity's state is foreign too.
    let file = temp_file("identity");
    let h = start_on(&file).await.unwrap();
    h.sandbox.shutdown().await;
    let saved = std::fs::read(&file).unwrap();
    let other = creds_with_brand("999001");
    let err = Sandbox::builder()
        .credentials(other)
        .state_file(&file)
        .start()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("belongs to brand"), "{err}");
    assert_eq!(std::fs::read(&file).unwrap(), saved);
    let _ = std::fs::remove_dir_all(file.parent().unwrap());
}

fn creds_with_brand(brand: &str) -> coupon_sandbox::Credentials {
    let mut c = creds();
    c.brand_id = brand.to_owned();
    c
}

#[tokio::test]
async fn a_fresh_start_and_a_reset_bring_back_the_seed() {
    let file = temp_file("fresh");
    let h = start_on(&file).await.unwrap();
    h.ok(
        Side::Brand,
        Method::POST,
        "/product-coupons",
        Some(single_product_coupon(
            "fresh_pc",
            new_stock("WECHATPAY", 10, 5, NOW - DAY, NOW + DAY),
        )),
    )
    .await;
    assert!(h.sandbox.product_coupon("1000100001").is_some());
    h.sandbox.reset().unwrap();
    assert!(h.sandbox.product_coupon("1000100001").is_none());
    assert_eq!(
        h.sandbox.stock_count(seed::PRODUCT_COUPON_ID),
        seed::SINGLE_STOCK_COUNT
    );
    h.ok(
        Side::Brand,
        Method::POST,
        "/product-coupons",
        Some(single_product_coupon(
            "fresh_pc_2",
            new_stock("WECHATPAY", 10, 5, NOW - DAY, NOW + DAY),
        )),
    )
    .await;
    h.sandbox.shutdown().await;

    let sandbox = Sandbox::builder()
        .credentials(creds())
        .state_file(&file)
        .fresh_state(true)
        .start()
        .await
        .unwrap();
    assert!(
        sandbox.product_coupon("1000100001").is_none(),
        "started from the seed"
    );
    sandbox.shutdown().await;
    let _ = std::fs::remove_dir_all(file.parent().unwrap());
}

#[tokio::test]
async fn the_admin_channel_lists_deliveries_and_resets_loopback_callers_only() {
    let h = Harness::start_with(|b| b.notify_url("https://not-loopback.example/notify")).await;
    let created = h
        .ok(
            Side::Brand,
            Method::POST,
            "/product-coupons",
            Some(single_product_coupon(
                "admin_pc",
                new_stock("WECHATPAY", 10, 5, NOW - DAY, NOW + DAY),
            )),
        )
        .await;
    let pc = created["product_coupon_id"].as_str().unwrap().to_owned();
    let stock = created["stock"]["stock_id"].as_str().unwrap().to_owned();
    h.ok(
        Side::Brand,
        Method::POST,
        &format!("/users/{NEW_OPENID}/coupons"),
        Some(send_body(&pc, &stock, "admin_send")),
    )
    .await;
    h.sandbox.settled_deliveries().await;
    let base = h.sandbox.base_url();
    let log = coupon_sandbox::admin::deliveries(&base).await.unwrap();
    assert_eq!(log, h.sandbox.deliveries());
    assert_eq!(log.len(), 1);

    // Raw: a reset without the admin header, or through a non-loopback Host, is refused.
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Full<bytes::Bytes>>();
    for (host, header, expected) in [
        (None, false, StatusCode::FORBIDDEN),
        (Some("evil.example"), true, StatusCode::FORBIDDEN),
    ] {
        let mut request =
            http::Request::post(format!("{base}{}", coupon_sandbox::admin::RESET_PATH));
        if let Some(host) = host {
            request = request.header("host", host);
        }
        if header {
            request = request.header("x-sandbox-admin", "1");
        }
        let response = client
            .request(
                request
                    .body(http_body_util::Full::new(bytes::Bytes::new()))
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), expected);
    }
    assert!(h.sandbox.product_coupon(&pc).is_some(), "not reset");
    coupon_sandbox::admin::reset(&base).await.unwrap();
    assert!(h.sandbox.product_coupon(&pc).is_none());
    assert!(h.sandbox.deliveries().is_empty());
    // The admin helpers speak to loopback only.
    assert!(
        coupon_sandbox::admin::reset("http://example.com")
            .await
            .is_err()
    );
    let _ = json!({});
}
