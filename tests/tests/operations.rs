//! Every operation of the client against the sandbox, end to end.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use coupon_client::coupon_model::ErrorCode;
use coupon_client::coupon_model::ValidationContext;
use coupon_client::coupon_model::product_coupon::UpdateProductCouponBody;
use coupon_client::coupon_model::product_coupon::{
    ProductCouponDisplayInfo, UpdateProductCouponRequest,
};
use coupon_client::coupon_model::stock::{
    AddStockRequest, CreateStockBody, ListStocksRequest, StockState,
};
use coupon_client::coupon_model::user_coupon::{ListUserCouponsRequest, UserCouponState};
use coupon_client::wxpay_sign::{Clock, ManualClock, PrivateKey, SystemClock};
use coupon_client::{BrandClient, ErrorKind};
use coupon_e2e::{
    brand_client, brand_client_with, fast_retries, partner_client, seed, start_sandbox,
    transport_to, valid_stock,
};
use futures_util::StreamExt;

#[tokio::test]
async fn the_first_page_carries_total_count_and_a_token() {
    let sandbox = start_sandbox().await;
    let client = brand_client(&sandbox, fast_retries());
    let page = client
        .list_stocks(&ListStocksRequest::new(seed::PRODUCT_COUPON_ID))
        .await
        .unwrap();
    assert_eq!(
        page.total_count,
        Some(sandbox.stock_count(seed::PRODUCT_COUPON_ID) as i64)
    );
    assert_eq!(page.stocks().len(), 20, "default page size");
    assert!(page.next_page_token.is_some());
    let second = client
        .list_stocks(
            &ListStocksRequest::new(seed::PRODUCT_COUPON_ID)
                .with_page_token(page.next_page_token.clone().unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(
        second.total_count, None,
        "total_count only on the first page"
    );
}

#[tokio::test]
async fn the_stock_stream_walks_every_page_once_and_every_stock_is_valid() {
    let sandbox = start_sandbox().await;
    let client = brand_client(&sandbox, fast_retries());
    let before = sandbox.requests_seen();
    let stocks: Vec<_> = client
        .list_stocks_stream(ListStocksRequest::new(seed::PRODUCT_COUPON_ID).with_page_size(50))
        .map(|r| r.unwrap())
        .collect()
        .await;
    let expected = sandbox.stock_count(seed::PRODUCT_COUPON_ID);
    assert!(expected >= 100);
    assert_eq!(stocks.len(), expected);
    let ids: HashSet<_> = stocks
        .iter()
        .map(|s| s.stock_id.as_str().to_owned())
        .collect();
    assert_eq!(ids.len(), expected, "no duplicates");
    assert_eq!(
        sandbox.requests_seen() - before,
        expected.div_ceil(50) as u64,
        "one request per page"
    );
    let pc = sandbox.product_coupon(seed::PRODUCT_COUPON_ID).unwrap();
    let ctx = ValidationContext::from_product_coupon(&pc);
    for stock in &stocks {
        stock.validate(Some(&ctx)).unwrap();
    }
}

#[tokio::test]
async fn filters_by_state_and_by_stock_bundle() {
    let sandbox = start_sandbox().await;
    let client = brand_client(&sandbox, fast_retries());
    for state in [
        StockState::Deactivated,
        StockState::Sending,
        StockState::Auditing,
        StockState::Paused,
        StockState::Stopped,
    ] {
        let got: Vec<_> = client
            .list_stocks_stream(
                ListStocksRequest::new(seed::PRODUCT_COUPON_ID).with_state(state.clone()),
            )
            .map(|r| r.unwrap())
            .collect()
            .await;
        let expected = sandbox
            .stocks(seed::PRODUCT_COUPON_ID)
            .iter()
            .filter(|s| s.state.as_ref() == Some(&state))
            .count();
        assert!(expected > 0, "seed has {state:?} stocks");
        assert_eq!(got.len(), expected);
        assert!(got.iter().all(|s| s.state.as_ref() == Some(&state)));
    }
    let bundle = client
        .list_stocks(
            &ListStocksRequest::new(seed::BUNDLE_PRODUCT_COUPON_ID)
                .with_stock_bundle_id(seed::STOCK_BUNDLE_ID),
        )
        .await
        .unwrap();
    let indexes: Vec<_> = bundle
        .stocks()
        .iter()
        .map(|s| s.stock_bundle_info.as_ref().unwrap().stock_bundle_index)
        .collect();
    assert_eq!(bundle.total_count, Some(3));
    assert_eq!(indexes, vec![Some(0), Some(1), Some(2)]);
}

#[tokio::test]
async fn add_stock_creates_once_and_replays_by_out_request_no() {
    let sandbox = start_sandbox().await;
    let client = brand_client(&sandbox, fast_retries());
    let before = sandbox.stock_count(seed::PRODUCT_COUPON_ID);
    let request = AddStockRequest::new(
        seed::PRODUCT_COUPON_ID,
        CreateStockBody::new("e2e_add_0001", valid_stock("e2e")),
    );
    let created = client.add_stock(&request).await.unwrap();
    assert_eq!(created.product_coupon_id.as_str(), seed::PRODUCT_COUPON_ID);
    assert_eq!(sandbox.stock_count(seed::PRODUCT_COUPON_ID), before + 1);

    let replayed = client.add_stock(&request).await.unwrap();
    assert_eq!(
        replayed, created,
        "same out_request_no and body → the same stock"
    );
    assert_eq!(sandbox.stock_count(seed::PRODUCT_COUPON_ID), before + 1);

    let different = AddStockRequest::new(
        seed::PRODUCT_COUPON_ID,
        CreateStockBody::new("e2e_add_0001", valid_stock("other remark")),
    );
    let err = client.add_stock(&different).await.unwrap_err();
    assert_eq!(err.api_error().unwrap().code, ErrorCode::AlreadyExists);
    assert_eq!(err.api_error().unwrap().status.as_u16(), 400);
    assert_eq!(sandbox.stock_count(seed::PRODUCT_COUPON_ID), before + 1);
}

#[tokio::test]
async fn an_invalid_stock_is_refused_before_anything_is_sent() {
    let sandbox = start_sandbox().await;
    let client = brand_client(&sandbox, fast_retries());
    let before = sandbox.requests_seen();
    let request = AddStockRequest::new(
        seed::PRODUCT_COUPON_ID,
        CreateStockBody::new(
            "bad!",
            valid_stock("这个备注远远超过了二十个字符的长度限制所以无效"),
        ),
    );
    let err = client.add_stock(&request).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    let found: Vec<_> = err
        .violations()
        .unwrap()
        .iter()
        .map(|v| (v.rule.as_str(), v.path.as_str()))
        .collect();
    assert_eq!(
        found,
        vec![
            ("out-request-no-format", "/out_request_no"),
            ("remark-length", "/stock/remark")
        ]
    );
    assert_eq!(sandbox.requests_seen(), before, "nothing went on the wire");
}

#[tokio::test]
async fn the_users_coupons_cover_every_state_and_filter_by_state() {
    let sandbox = start_sandbox().await;
    let client = brand_client(&sandbox, fast_retries());
    let all: Vec<_> = client
        .list_user_coupons_stream(
            ListUserCouponsRequest::new(seed::OPENID, seed::APPID).with_page_size(30),
        )
        .map(|r| r.unwrap())
        .collect()
        .await;
    assert!(all.len() >= 100);
    assert_eq!(all.len(), sandbox.user_coupons(seed::OPENID).len());
    let mut by_state: BTreeMap<String, usize> = BTreeMap::new();
    for coupon in &all {
        *by_state
            .entry(coupon.coupon_state.as_ref().unwrap().as_str().to_owned())
            .or_default() += 1;
        coupon.validate(None).unwrap();
    }
    assert_eq!(by_state.len(), 7, "{by_state:?}");
    let used: Vec<_> = client
        .list_user_coupons_stream(
            ListUserCouponsRequest::new(seed::OPENID, seed::APPID)
                .with_coupon_state(UserCouponState::Used),
        )
        .map(|r| r.unwrap())
        .collect()
        .await;
    assert_eq!(used.len(), by_state["USED"]);
}

#[tokio::test]
async fn an_openid_under_another_appid_is_an_api_error() {
    let sandbox = start_sandbox().await;
    let client = brand_client(&sandbox, fast_retries());
    let err = client
        .list_user_coupons(&ListUserCouponsRequest::new(
            seed::OPENID,
            seed::OTHER_APPID,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Api);
    assert_eq!(err.api_error().unwrap().status.as_u16(), 400);
    assert!(err.request_id().is_some());
}

#[tokio::test]
async fn a_partner_updates_a_product_coupon_for_its_brand() {
    let sandbox = start_sandbox().await;
    let client = partner_client(&sandbox, fast_retries());
    let brand_id = sandbox.credentials().brand_id.clone();
    let display = ProductCouponDisplayInfo::new(
        "全场满减新版",
        "https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx",
    );
    let request = UpdateProductCouponRequest::new(
        seed::PRODUCT_COUPON_ID,
        UpdateProductCouponBody::new("e2e_update_0001", display).with_brand_id(brand_id),
    );
    let updated = client.update_product_coupon(&request).await.unwrap();
    assert_eq!(updated.display_info.as_ref().unwrap().name, "全场满减新版");
    let stored = sandbox.product_coupon(seed::PRODUCT_COUPON_ID).unwrap();
    assert_eq!(stored.display_info.unwrap().name, "全场满减新版");

    let foreign = UpdateProductCouponRequest::new(
        seed::PRODUCT_COUPON_ID,
        UpdateProductCouponBody::new(
            "e2e_update_0002",
            ProductCouponDisplayInfo::new(
                "全场满减新版",
                "https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx",
            ),
        )
        .with_brand_id("SOMEONE_ELSES_BRAND"),
    );
    let err = client.update_product_coupon(&foreign).await.unwrap_err();
    assert_eq!(err.api_error().unwrap().code, ErrorCode::NoAuth);
    assert_eq!(err.api_error().unwrap().status.as_u16(), 403);
}

#[tokio::test]
async fn a_wrong_private_key_is_refused_with_sign_error() {
    let sandbox = start_sandbox().await;
    let creds = sandbox.credentials();
    let client = BrandClient::builder()
        .brand_id(&creds.brand_id)
        .serial_no(&creds.brand_serial_no)
        .private_key(PrivateKey::generate().unwrap())
        .wechatpay_public_key(
            &creds.wechatpay_public_key_id,
            creds.wechatpay_public_key.clone(),
        )
        .transport(transport_to(
            &sandbox.base_url(),
            None,
            fast_retries(),
            Duration::from_secs(10),
        ))
        .build()
        .unwrap();
    let err = client
        .list_stocks(&ListStocksRequest::new(seed::PRODUCT_COUPON_ID))
        .await
        .unwrap_err();
    assert_eq!(err.api_error().unwrap().code, ErrorCode::SignError);
    assert_eq!(err.api_error().unwrap().status.as_u16(), 401);
}

#[tokio::test]
async fn a_client_clock_five_minutes_off_is_refused_in_both_directions() {
    let sandbox = start_sandbox().await;
    for offset in [300_i64, -300] {
        let clock = Arc::new(ManualClock::new(SystemClock.now_unix() + offset));
        let transport = transport_to(
            &sandbox.base_url(),
            None,
            fast_retries(),
            Duration::from_secs(10),
        );
        let client = brand_client_with(&sandbox, transport, Some(clock));
        let err = client
            .list_stocks(&ListStocksRequest::new(seed::PRODUCT_COUPON_ID))
            .await
            .unwrap_err();
        assert_eq!(
            err.api_error().map(|e| e.code.clone()),
            Some(ErrorCode::SignError),
            "offset {offset}"
        );
    }
}

#[tokio::test]
async fn an_unknown_product_coupon_is_not_found() {
    let sandbox = start_sandbox().await;
    let client = brand_client(&sandbox, fast_retries());
    let err = client
        .list_stocks(&ListStocksRequest::new("9999999999"))
        .await
        .unwrap_err();
    assert_eq!(err.api_error().unwrap().code, ErrorCode::NotFound);
    assert!(err.to_string().contains("Request-ID"));
}

#[tokio::test]
async fn an_image_of_one_and_a_half_mib_uploads_on_both_sides() {
    use coupon_client::coupon_model::operations::UploadImageRequest;
    let sandbox = start_sandbox().await;
    // Over the 1 MiB every other request is held to, under the API's 2 MiB.
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01".to_vec();
    png.resize(1536 * 1024, 0x5A);
    assert!(png.len() > coupon_sandbox::DEFAULT_MAX_BODY_BYTES);
    let request = UploadImageRequest::from_file("poster.png", png);
    let brand = brand_client(&sandbox, fast_retries())
        .call(&request)
        .await
        .unwrap();
    let partner = partner_client(&sandbox, fast_retries())
        .call(&request)
        .await
        .unwrap();
    for answer in [brand, partner] {
        let url = answer.image_url.unwrap();
        assert!(url.starts_with("https://wxpaylogo.qpic.cn/"), "{url}");
    }
}
