//! The two list endpoints: pagination tokens, page-size bounds, filters,
//! and the appid / OpenID rules.

mod common;

use std::collections::BTreeSet;

use common::{Harness, STOCKS, USERS};
use coupon_sandbox::seed;
use http::StatusCode;
use serde_json::Value;

/// Follows `next_page_token` from `first` to the end; returns every page.
async fn walk(h: &Harness, first: &str) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut path = first.to_owned();
    loop {
        let reply = h.get(path.clone()).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
        let page = reply.json();
        let next = page["next_page_token"].as_str().map(str::to_owned);
        pages.push(page);
        match next {
            Some(token) => {
                let sep = if first.contains('?') { '&' } else { '?' };
                path = format!("{first}{sep}page_token={token}");
            }
            None => return pages,
        }
        assert!(pages.len() < 1000, "pagination does not end");
    }
}

fn ids(pages: &[Value], list: &str, id: &str) -> Vec<String> {
    pages
        .iter()
        .flat_map(|p| p[list].as_array().cloned().unwrap_or_default())
        .map(|s| s[id].as_str().unwrap().to_owned())
        .collect()
}

fn assert_total_count_only_on_first_page(pages: &[Value], expected: usize) {
    assert_eq!(pages[0]["total_count"].as_u64(), Some(expected as u64));
    for page in &pages[1..] {
        assert!(
            page.get("total_count").is_none(),
            "total_count only on the first page"
        );
    }
    let last = pages.last().unwrap();
    assert!(last.get("next_page_token").is_none());
}

#[tokio::test]
async fn walking_every_stock_of_1000000013_returns_each_exactly_once() {
    let h = Harness::start().await;
    let first = format!("{STOCKS}/{}/stocks", seed::PRODUCT_COUPON_ID);
    let pages = walk(&h, &first).await;
    let all = ids(&pages, "stock_list", "stock_id");
    assert_eq!(all.len(), seed::SINGLE_STOCK_COUNT);
    assert_eq!(
        all.iter().collect::<BTreeSet<_>>().len(),
        all.len(),
        "no duplicates"
    );
    assert_eq!(
        pages.len(),
        seed::SINGLE_STOCK_COUNT.div_ceil(20),
        "default page size 20"
    );
    assert!(
        pages[..pages.len() - 1]
            .iter()
            .all(|p| p["stock_list"].as_array().unwrap().len() == 20)
    );
    assert_total_count_only_on_first_page(&pages, seed::SINGLE_STOCK_COUNT);

    // The largest page size gives the same stocks in the same order.
    let big = walk(&h, &format!("{first}?page_size=50")).await;
    assert_eq!(big.len(), 3);
    assert_eq!(ids(&big, "stock_list", "stock_id"), all);
}

#[tokio::test]
async fn state_and_bundle_filters() {
    let h = Harness::start().await;
    for state in seed::STOCK_STATES {
        let first = format!(
            "{STOCKS}/{}/stocks?state={state}&page_size=7",
            seed::PRODUCT_COUPON_ID
        );
        let pages = walk(&h, &first).await;
        let stocks: Vec<Value> = pages
            .iter()
            .flat_map(|p| p["stock_list"].as_array().cloned().unwrap())
            .collect();
        let expected = seed::SINGLE_STOCK_COUNT / seed::STOCK_STATES.len();
        assert_eq!(stocks.len(), expected, "{state}");
        assert!(stocks.iter().all(|s| s["state"] == state));
        assert_total_count_only_on_first_page(&pages, expected);
    }
    let reply = h
        .get(format!(
            "{STOCKS}/{}/stocks?page_size=20&stock_bundle_id={}",
            seed::BUNDLE_PRODUCT_COUPON_ID,
            seed::STOCK_BUNDLE_ID
        ))
        .await;
    let page = reply.json();
    assert_eq!(page["total_count"], 3);
    let list = page["stock_list"].as_array().unwrap();
    for (i, stock) in list.iter().enumerate() {
        assert_eq!(stock["stock_id"], format!("100000001400{}", i + 1));
        assert_eq!(stock["stock_bundle_info"]["stock_bundle_index"], i);
        assert!(stock["progressive_bundle_usage_rule"]["discount_coupon"].is_object());
    }
    let reply = h
        .get(format!(
            "{STOCKS}/{}/stocks?stock_bundle_id=1",
            seed::BUNDLE_PRODUCT_COUPON_ID
        ))
        .await;
    assert_eq!(reply.json()["total_count"], 0);
    let reply = h
        .get(format!(
            "{STOCKS}/{}/stocks?state=SLEEPING",
            seed::PRODUCT_COUPON_ID
        ))
        .await;
    assert_eq!(
        (reply.status, reply.field().as_str()),
        (StatusCode::BAD_REQUEST, "state")
    );
}

#[tokio::test]
async fn page_size_must_be_1_to_50() {
    let h = Harness::start().await;
    for (size, ok) in [
        ("1", true),
        ("50", true),
        ("0", false),
        ("51", false),
        ("-5", false),
        ("ten", false),
    ] {
        let reply = h
            .get(format!(
                "{STOCKS}/{}/stocks?page_size={size}",
                seed::PRODUCT_COUPON_ID
            ))
            .await;
        if ok {
            assert_eq!(reply.status, StatusCode::OK, "{size}");
            assert_eq!(
                reply.json()["stock_list"].as_array().unwrap().len(),
                size.parse::<usize>().unwrap()
            );
        } else {
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{size}");
            assert_eq!(reply.code(), "PARAM_ERROR");
            assert_eq!(reply.field(), "page_size");
        }
    }
    let reply = h
        .get(format!(
            "{USERS}/{}/coupons?appid={}&page_size=51",
            seed::OPENID,
            seed::APPID
        ))
        .await;
    assert_eq!(
        (reply.status, reply.field().as_str()),
        (StatusCode::BAD_REQUEST, "page_size")
    );
}

#[tokio::test]
async fn a_token_from_another_query_or_garbage_is_a_param_error() {
    let h = Harness::start().await;
    let sending = format!(
        "{STOCKS}/{}/stocks?state=SENDING&page_size=5",
        seed::PRODUCT_COUPON_ID
    );
    let token = h.get(sending.clone()).await.json()["next_page_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // Same query: fine, and no total_count.
    let reply = h.get(format!("{sending}&page_token={token}")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.json().get("total_count").is_none());
    for bad in [
        format!(
            "{STOCKS}/{}/stocks?state=PAUSED&page_token={token}",
            seed::PRODUCT_COUPON_ID
        ),
        format!(
            "{STOCKS}/{}/stocks?page_token={token}",
            seed::BUNDLE_PRODUCT_COUPON_ID
        ),
        format!(
            "{USERS}/{}/coupons?appid={}&page_token={token}",
            seed::OPENID,
            seed::APPID
        ),
        format!(
            "{STOCKS}/{}/stocks?page_token=MTIzNDUK",
            seed::PRODUCT_COUPON_ID
        ),
    ] {
        let reply = h.get(bad.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(reply.code(), "PARAM_ERROR");
        assert_eq!(reply.field(), "page_token");
    }
}

#[tokio::test]
async fn appid_is_required_and_the_openid_must_belong_to_it() {
    let h = Harness::start().await;
    let reply = h.get(format!("{USERS}/{}/coupons", seed::OPENID)).await;
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (StatusCode::BAD_REQUEST, "PARAM_ERROR")
    );
    assert_eq!(reply.field(), "appid");

    for (openid, appid) in [
        (seed::OPENID, seed::OTHER_APPID),
        ("oUnknownOpenId0000000000000", seed::APPID),
        (seed::OPENID, "wx0000000000000000"),
    ] {
        let reply = h
            .get(format!("{USERS}/{openid}/coupons?appid={appid}"))
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{openid} {appid}");
        assert_eq!(reply.code(), "INVALID_REQUEST");
    }
    let reply = h
        .get(format!(
            "{USERS}/{}/coupons?appid={}",
            seed::OPENID,
            seed::OTHER_APPID
        ))
        .await;
    assert!(
        reply.json()["message"]
            .as_str()
            .unwrap()
            .contains("OpenID不合法")
    );
}

#[tokio::test]
async fn walking_the_users_coupons_and_filters() {
    let h = Harness::start().await;
    let first = format!("{USERS}/{}/coupons?appid={}", seed::OPENID, seed::APPID);
    let pages = walk(&h, &first).await;
    let all = ids(&pages, "user_coupon_list", "coupon_code");
    assert_eq!(all.len(), seed::USER_COUPON_COUNT);
    assert_eq!(all.iter().collect::<BTreeSet<_>>().len(), all.len());
    assert_total_count_only_on_first_page(&pages, seed::USER_COUPON_COUNT);
    let coupon = &pages[0]["user_coupon_list"][0];
    assert!(coupon["product_coupon"]["product_coupon_id"].is_string());
    assert!(coupon["stock"]["stock_id"].is_string());

    for state in seed::COUPON_STATES {
        let pages = walk(&h, &format!("{first}&coupon_state={state}&page_size=50")).await;
        let coupons: Vec<Value> = pages
            .iter()
            .flat_map(|p| p["user_coupon_list"].as_array().cloned().unwrap())
            .collect();
        assert_eq!(coupons.len(), seed::USER_COUPON_COUNT / 7, "{state}");
        assert!(coupons.iter().all(|c| c["coupon_state"] == state));
        assert!(
            coupons
                .iter()
                .all(|c| c.get("deactivate_time").is_some() == (state == "DEACTIVATED"))
        );
    }

    let bundle = walk(
        &h,
        &format!(
            "{first}&product_coupon_id={}",
            seed::BUNDLE_PRODUCT_COUPON_ID
        ),
    )
    .await;
    let coupons: Vec<Value> = bundle
        .iter()
        .flat_map(|p| p["user_coupon_list"].as_array().cloned().unwrap())
        .collect();
    assert!(!coupons.is_empty());
    assert!(
        coupons
            .iter()
            .all(|c| c["product_coupon"]["product_coupon_id"] == seed::BUNDLE_PRODUCT_COUPON_ID)
    );

    let stock_id = format!("{}002", seed::BUNDLE_PRODUCT_COUPON_ID);
    let by_stock = walk(&h, &format!("{first}&stock_id={stock_id}")).await;
    let coupons = ids(&by_stock, "user_coupon_list", "coupon_code");
    assert!(!coupons.is_empty());
    for page in &by_stock {
        for c in page["user_coupon_list"].as_array().unwrap() {
            assert_eq!(c["stock"]["stock_id"], stock_id.as_str());
        }
    }

    let reply = h.get(format!("{first}&stock_id=1")).await;
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (StatusCode::NOT_FOUND, "NOT_FOUND")
    );
    let reply = h.get(format!("{first}&product_coupon_id=1")).await;
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (StatusCode::NOT_FOUND, "NOT_FOUND")
    );
    let reply = h.get(format!("{first}&coupon_state=LOST")).await;
    assert_eq!(
        (reply.status, reply.field().as_str()),
        (StatusCode::BAD_REQUEST, "coupon_state")
    );
}

#[tokio::test]
async fn every_list_answer_passes_model_validation() {
    use coupon_model::stock::{ListStocksRequest, ListStocksResponse};
    use coupon_model::user_coupon::{ListUserCouponsRequest, ListUserCouponsResponse};

    let h = Harness::start().await;
    let first = format!("{STOCKS}/{}/stocks", seed::PRODUCT_COUPON_ID);
    let product_coupon = h.sandbox.product_coupon(seed::PRODUCT_COUPON_ID).unwrap();
    for (i, page) in walk(&h, &first).await.into_iter().enumerate() {
        let parsed: ListStocksResponse = serde_json::from_value(page).unwrap();
        let mut request = ListStocksRequest::new(seed::PRODUCT_COUPON_ID);
        if i > 0 {
            request = request.with_page_token("t");
        }
        let ctx = request
            .response_context()
            .with_product_coupon(&product_coupon);
        parsed.validate(Some(&ctx)).unwrap();
    }
    let first = format!(
        "{USERS}/{}/coupons?appid={}&page_size=50",
        seed::OPENID,
        seed::APPID
    );
    for (i, page) in walk(&h, &first).await.into_iter().enumerate() {
        let parsed: ListUserCouponsResponse = serde_json::from_value(page).unwrap();
        let mut request = ListUserCouponsRequest::new(seed::OPENID, seed::APPID);
        if i > 0 {
            request = request.with_page_token("t");
        }
        parsed.validate(Some(&request.response_context())).unwrap();
    }
}
