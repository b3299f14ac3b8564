//! Many clients sending from one stock at once never exceed its budget and
//! never send one code twice.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use common::*;
use http::{Method, StatusCode};
use serde_json::{Value, json};

const DAY: i64 = 86_400;

async fn stock(h: &Harness, no: &str, stock: Value) -> (String, String) {
    let created = h
        .ok(
            Side::Brand,
            Method::POST,
            "/product-coupons",
            Some(single_product_coupon(no, stock)),
        )
        .await;
    (
        created["product_coupon_id"].as_str().unwrap().to_owned(),
        created["stock"]["stock_id"].as_str().unwrap().to_owned(),
    )
}

/// Sends from `tasks` concurrent tasks (user `openid(i)`, alternating sides):
/// the codes sent and the number of refusals.
async fn storm(
    h: &Arc<Harness>,
    pc: &str,
    stock: &str,
    tasks: usize,
    openid: fn(usize) -> String,
) -> (Vec<String>, usize) {
    let mut handles = Vec::new();
    for i in 0..tasks {
        let h = h.clone();
        let (pc, stock) = (pc.to_owned(), stock.to_owned());
        handles.push(tokio::spawn(async move {
            let side = if i % 2 == 0 {
                Side::Brand
            } else {
                Side::Partner
            };
            h.op(
                side,
                Method::POST,
                &format!("/users/{}/coupons", openid(i)),
                Some(send_body(&pc, &stock, &format!("storm_{stock}_{i:04}"))),
            )
            .await
        }));
    }
    let mut codes = Vec::new();
    let mut refused = 0;
    for handle in handles {
        let reply = handle.await.unwrap();
        match reply.status {
            StatusCode::OK => codes.push(reply.json()["coupon_code"].as_str().unwrap().to_owned()),
            StatusCode::BAD_REQUEST => {
                assert_eq!(reply.code(), "INVALID_REQUEST", "{}", reply.json());
                refused += 1;
            }
            other => panic!("unexpected {other}: {}", reply.json()),
        }
    }
    (codes, refused)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_sends_never_exceed_the_budget_or_repeat_a_code() {
    let h = Arc::new(Harness::start_with(|b| b).await);
    let (pc, id) = stock(
        &h,
        "storm_budget",
        new_stock("WECHATPAY", 40, 1, NOW - DAY, NOW + DAY),
    )
    .await;
    let (codes, refused) = storm(&h, &pc, &id, 96, |i| format!("oStorm-{i:020}")).await;
    assert_eq!(codes.len(), 40);
    assert_eq!(refused, 56);
    assert_eq!(
        codes.iter().collect::<BTreeSet<_>>().len(),
        40,
        "no code twice"
    );
    let sent = h.sandbox.stock(&id).unwrap().sent_count_info.unwrap();
    assert_eq!(sent.total_count, Some(40));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_sends_of_an_upload_stock_hand_out_each_uploaded_code_once() {
    let h = Arc::new(Harness::start_with(|b| b).await);
    let (pc, id) = stock(
        &h,
        "storm_upload",
        new_stock("UPLOAD", 1000, 1, NOW - DAY, NOW + DAY),
    )
    .await;
    let uploaded: Vec<String> = (0..25).map(|i| format!("STORM_CODE_{i:03}")).collect();
    h.ok(
        Side::Brand,
        Method::POST,
        &format!("/product-coupons/{pc}/stocks/{id}/upload-coupon-codes"),
        Some(json!({ "out_request_no": "storm_upload_codes", "code_list": uploaded })),
    )
    .await;
    let (codes, refused) = storm(&h, &pc, &id, 60, |i| format!("oStormUp-{i:018}")).await;
    assert_eq!(refused, 35);
    assert_eq!(
        codes.iter().cloned().collect::<BTreeSet<_>>(),
        uploaded.into_iter().collect::<BTreeSet<_>>(),
        "exactly the uploaded codes, each once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_user_racing_gets_no_more_than_the_per_user_limit() {
    let h = Arc::new(Harness::start_with(|b| b).await);
    let (pc, id) = stock(
        &h,
        "storm_user",
        new_stock("WECHATPAY", 1000, 3, NOW - DAY, NOW + DAY),
    )
    .await;
    let (codes, refused) = storm(&h, &pc, &id, 30, |_| {
        "oStormSameUser-000000000001".to_owned()
    })
    .await;
    assert_eq!(codes.len(), 3);
    assert_eq!(refused, 27);
}
