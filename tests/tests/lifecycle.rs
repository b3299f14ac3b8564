//! A coupon's whole life through `coupon-client` against the sandbox, as a
//! brand and as a service provider: create with a stock, send, the SEND
//! notification received by an axum endpoint using the client's
//! `WebhookHandler`, confirm, use, return, deactivate — the refused
//! transitions arriving as typed API errors with their Request-ID numbers.

use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use coupon_client::coupon_model::ErrorCode;
use coupon_client::coupon_model::common::{
    CouponAvailablePeriod, CouponCodeDisplayMode, CouponDisplayInfo, CouponUsageMethod,
    NormalCouponUsageRule, NotifyConfig, UsageRuleDisplayInfo,
};
use coupon_client::coupon_model::operation::Operation;
use coupon_client::coupon_model::product_coupon::{
    CreateProductCouponBody, CreateProductCouponRequest, DeactivateProductCouponBody,
    DeactivateProductCouponRequest, GetProductCouponRequest, ProductCouponDisplayInfo,
    ProductCouponScope, ProductCouponType, SingleUsageInfo,
};
use coupon_client::coupon_model::stock::{
    CouponCodeMode, GetStockRequest, ListStocksRequest, NewStock, SingleUsageRule, StockSendRule,
    StoreScope, UpdateBudgetBody, UpdateStockBudgetRequest,
};
use coupon_client::coupon_model::time::DateTime;
use coupon_client::coupon_model::user_coupon::{
    AssociatedOrderInfo, ConfirmSendUserProductCouponRequest, ConfirmUserProductCouponBody,
    DeactivateUserProductCouponBody, DeactivateUserProductCouponRequest,
    GetUserProductCouponRequest, ListUserCouponsRequest, ReturnUserProductCouponBody,
    ReturnUserProductCouponRequest, SendUserProductCouponBody, SendUserProductCouponRequest,
    UseUserProductCouponBody, UseUserProductCouponRequest, UserCouponState,
};
use coupon_client::wxpay_sign::{Clock as _, SystemClock, Verifier};
use coupon_client::{
    BrandClient, Error, ErrorKind, PartnerClient, ReceivedWebhook, WebhookHandler,
};
use coupon_e2e::{brand_client, fast_retries, partner_client, seed};
use coupon_sandbox::{DeliveryOutcome, Sandbox};
use futures_util::StreamExt;
use tokio::sync::mpsc;

type Arrivals = mpsc::UnboundedSender<Result<ReceivedWebhook, ErrorKind>>;

/// Serves `POST /notify` on 127.0.0.1: verifies and decrypts with the
/// client's handler, answers accordingly, and passes on what it concluded.
async fn endpoint(
    handler: WebhookHandler,
) -> (
    String,
    mpsc::UnboundedReceiver<Result<ReceivedWebhook, ErrorKind>>,
) {
    let (tx, rx) = mpsc::unbounded_channel();
    async fn notify(
        State((handler, tx)): State<(WebhookHandler, Arrivals)>,
        headers: HeaderMap,
        body: Bytes,
    ) -> StatusCode {
        let result = handler.handle(&headers, &body);
        let status = WebhookHandler::status_for(&result);
        let _ = tx.send(result.map_err(|e| e.kind()));
        status
    }
    let app = Router::new()
        .route("/notify", post(notify))
        .with_state((handler, tx));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, rx)
}

fn at(unix: i64) -> String {
    DateTime::from_unix_timestamp(unix, 480)
        .unwrap()
        .to_rfc3339()
}

fn stock(now: i64) -> NewStock {
    NewStock::new(
        CouponCodeMode::Wechatpay,
        StockSendRule::new(100, 1),
        UsageRuleDisplayInfo::new(vec![CouponUsageMethod::Offline], "到店出示券码即可使用"),
        CouponDisplayInfo::new(CouponCodeDisplayMode::Qrcode),
        NotifyConfig::new(seed::APPID),
        StoreScope::NoStore,
    )
    .with_single_usage_rule(SingleUsageRule::new(CouponAvailablePeriod::between(
        at(now - 86_400),
        at(now + 30 * 86_400),
    )))
}

fn product_coupon(no: &str, now: i64) -> CreateProductCouponRequest {
    CreateProductCouponRequest::new(
        CreateProductCouponBody::single(
            no,
            ProductCouponScope::All,
            ProductCouponType::Normal,
            ProductCouponDisplayInfo::new(
                "端到端满减券",
                "https://wxpaylogo.qpic.cn/wxpaylogo/e2e/1",
            ),
            stock(now),
        )
        .with_single_usage_info(SingleUsageInfo {
            normal_coupon: Some(NormalCouponUsageRule::new(10_000, 1_000)),
            discount_coupon: None,
        }),
    )
}

/// A brand or a service provider: one `call` for both.
enum Caller {
    Brand(BrandClient),
    Partner(PartnerClient),
}

impl Caller {
    async fn call<O: Operation>(&self, request: &O) -> Result<O::Response, Error> {
        match self {
            Caller::Brand(c) => c.call_any(request).await,
            Caller::Partner(c) => c.call_any(request).await,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Caller::Brand(_) => "brand",
            Caller::Partner(_) => "partner",
        }
    }
}

#[track_caller]
fn assert_refused(err: &Error, code: ErrorCode, number: &str) {
    assert_eq!(err.kind(), ErrorKind::Api, "{err}");
    let api = err.api_error().unwrap();
    assert_eq!(api.status.as_u16(), 400, "{err}");
    assert_eq!(api.code, code, "{err}");
    assert!(!api.message.is_empty());
    let request_id = err.request_id().unwrap();
    assert!(
        request_id.ends_with(number),
        "{request_id} should end in {number}"
    );
}

async fn a_life(
    sandbox: &Sandbox,
    caller: &Caller,
    arrivals: &mut mpsc::UnboundedReceiver<Result<ReceivedWebhook, ErrorKind>>,
) {
    let tag = caller.name();
    let now = SystemClock.now_unix();
    let created = caller
        .call(&product_coupon(&format!("e2e_create_{tag}"), now))
        .await
        .unwrap();
    let pc = created.product_coupon.product_coupon_id.clone();
    let first = created.stock.clone().unwrap();
    assert_eq!(first.state.as_ref().unwrap().as_str(), "SENDING");
    let got = caller
        .call(&GetProductCouponRequest::new(pc.clone()))
        .await
        .unwrap();
    assert_eq!(got.state.unwrap().as_str(), "EFFECTIVE");
    let got = caller
        .call(&GetStockRequest::new(pc.clone(), first.stock_id.clone()))
        .await
        .unwrap();
    assert_eq!(got.stock_id, first.stock_id);
    let raised = caller
        .call(&UpdateStockBudgetRequest::new(
            pc.clone(),
            first.stock_id.clone(),
            UpdateBudgetBody::max_count(format!("e2e_budget_{tag}"), 100, 200),
        ))
        .await
        .unwrap();
    assert_eq!(raised.stock_send_rule.unwrap().max_count, 200);

    // Send; the notification arrives verified and typed.
    let openid = format!("oE2E-{tag}-0000000000000001");
    let sent = caller
        .call(&SendUserProductCouponRequest::new(
            openid.as_str(),
            SendUserProductCouponBody::new(
                pc.clone(),
                first.stock_id.clone(),
                seed::APPID,
                format!("e2e_send_{tag}"),
            ),
        ))
        .await
        .unwrap();
    assert_eq!(sent.coupon_state, Some(UserCouponState::Confirming));
    let code = sent.coupon_code.clone();
    let received = tokio::time::timeout(Duration::from_secs(30), arrivals.recv())
        .await
        .expect("a notification arrives")
        .unwrap()
        .expect("it verifies and decrypts");
    let event = received.event.as_send().expect("a SEND event");
    assert_eq!(event.coupon_code, code);
    assert_eq!(event.openid.as_str(), openid);
    assert_eq!(
        event.send_request_no.as_ref().unwrap().as_str(),
        format!("e2e_send_{tag}")
    );
    let expected_type = if tag == "brand" {
        "PRODUCT_COUPON.SEND"
    } else {
        "PRODUCT_COUPON_SP.SEND"
    };
    assert_eq!(received.notification.event_type.as_str(), expected_type);

    let body = |no: &str| {
        (
            pc.clone(),
            first.stock_id.clone(),
            seed::APPID,
            format!("e2e_{no}_{tag}"),
        )
    };
    let use_request = |no: &str| {
        let (p, s, a, n) = body(no);
        UseUserProductCouponRequest::new(
            openid.as_str(),
            code.clone(),
            UseUserProductCouponBody::new(p, s, a, n, at(now)).with_order(AssociatedOrderInfo {
                transaction_id: Some("4200000000000000001".into()),
                out_trade_no: Some(format!("e2e_trade_{no}").into()),
                mchid: Some("1900000001".into()),
                sub_mchid: None,
            }),
        )
    };
    // Not confirmed yet: refused with 268578367, nothing changes.
    let err = caller.call(&use_request("use_early")).await.unwrap_err();
    assert_refused(&err, ErrorCode::InvalidRequest, "-268578367");

    let (p, s, a, n) = body("confirm");
    let confirmed = caller
        .call(&ConfirmSendUserProductCouponRequest::new(
            openid.as_str(),
            code.clone(),
            ConfirmUserProductCouponBody::new(p, s, a, n),
        ))
        .await
        .unwrap();
    assert_eq!(confirmed.coupon_state, Some(UserCouponState::Effective));
    let used = caller.call(&use_request("use")).await.unwrap();
    assert_eq!(used.coupon_state, Some(UserCouponState::Used));
    // The same use again: the same answer (idempotent); another order: 272756745.
    assert_eq!(caller.call(&use_request("use")).await.unwrap(), used);
    let err = caller.call(&use_request("use_again")).await.unwrap_err();
    assert_refused(&err, ErrorCode::InvalidRequest, "-272756745");

    let (p, s, a, n) = body("return");
    let returned = caller
        .call(&ReturnUserProductCouponRequest::new(
            openid.as_str(),
            code.clone(),
            ReturnUserProductCouponBody::new(p, s, a, n),
        ))
        .await
        .unwrap();
    assert_eq!(returned.coupon_state, Some(UserCouponState::Effective));
    let (p, s, a, n) = body("deactivate");
    let deactivated = caller
        .call(&DeactivateUserProductCouponRequest::new(
            openid.as_str(),
            code.clone(),
            DeactivateUserProductCouponBody::new(p, s, a, n, "端到端测试结束"),
        ))
        .await
        .unwrap();
    assert_eq!(deactivated.coupon_state, Some(UserCouponState::Deactivated));
    let got = caller
        .call(&GetUserProductCouponRequest::new(
            openid.as_str(),
            code.clone(),
            seed::APPID,
        ))
        .await
        .unwrap();
    assert_eq!(got.without_brand(), deactivated.clone().without_brand());
    let sandbox_view = sandbox.user_coupon(&openid, code.as_str()).unwrap();
    assert_eq!(
        sandbox_view.coupon_state,
        Some(UserCouponState::Deactivated)
    );

    // The product coupon goes too, with its stock.
    let off = caller
        .call(&DeactivateProductCouponRequest::new(
            pc.clone(),
            DeactivateProductCouponBody::new(format!("e2e_pc_off_{tag}"), "活动结束"),
        ))
        .await
        .unwrap();
    assert_eq!(off.state.unwrap().as_str(), "DEACTIVATED");
    assert_eq!(
        sandbox
            .stock(first.stock_id.as_str())
            .unwrap()
            .state
            .unwrap()
            .as_str(),
        "DEACTIVATED"
    );
}

/// Partner answers name the brand; brand answers do not.
trait WithoutBrand {
    fn without_brand(self) -> Self;
}

impl WithoutBrand for coupon_client::coupon_model::user_coupon::UserCoupon {
    fn without_brand(mut self) -> Self {
        self.brand_id = None;
        self
    }
}

#[tokio::test]
async fn a_coupon_lives_its_whole_life_through_the_client_on_both_sides() {
    // The endpoint must exist before the sandbox that posts to it: its
    // verifier is built from the credentials the sandbox will use.
    let credentials = coupon_sandbox::Credentials::generate().unwrap();
    let verifier = Verifier::builder()
        .public_key(
            credentials.wechatpay_public_key_id.clone(),
            credentials.wechatpay_public_key.clone(),
        )
        .build()
        .unwrap();
    let (url, mut arrivals) =
        endpoint(WebhookHandler::new(verifier, credentials.apiv3_key.clone())).await;
    let sandbox = Sandbox::builder()
        .credentials(credentials)
        .notify_url(url)
        .start()
        .await
        .unwrap();
    let brand = Caller::Brand(brand_client(&sandbox, fast_retries()));
    a_life(&sandbox, &brand, &mut arrivals).await;
    let partner =
        partner_client(&sandbox, fast_retries()).for_brand(sandbox.credentials().brand_id.as_str());
    a_life(&sandbox, &Caller::Partner(partner), &mut arrivals).await;

    let log = sandbox.settled_deliveries().await;
    assert_eq!(log.len(), 2);
    assert!(
        log.iter()
            .all(|d| d.outcome == DeliveryOutcome::Delivered && d.attempts.len() == 1)
    );
}

#[tokio::test]
async fn streams_walk_the_new_objects_and_other_brands_are_refused() {
    let sandbox = coupon_e2e::start_sandbox().await;
    let brand = brand_client(&sandbox, fast_retries());
    let now = SystemClock.now_unix();
    let created = brand
        .call(&product_coupon("e2e_stream_pc", now))
        .await
        .unwrap();
    let pc = created.product_coupon.product_coupon_id.clone();
    let stock = created.stock.unwrap().stock_id;
    for n in 0..45 {
        brand
            .call(&SendUserProductCouponRequest::new(
                format!("oE2EStream-{n:016}"),
                SendUserProductCouponBody::new(
                    pc.clone(),
                    stock.clone(),
                    seed::APPID,
                    format!("e2e_stream_{n:04}"),
                ),
            ))
            .await
            .unwrap();
    }
    let stocks: Vec<_> = brand
        .stream(ListStocksRequest::new(pc.clone()).with_page_size(1))
        .map(|s| s.unwrap())
        .collect()
        .await;
    assert_eq!(stocks.len(), 1);
    assert_eq!(stocks[0].sent_count_info.unwrap().total_count, Some(45));
    let mine: Vec<_> = brand
        .stream(ListUserCouponsRequest::new(
            "oE2EStream-0000000000000007",
            seed::APPID,
        ))
        .map(|c| c.unwrap())
        .collect()
        .await;
    assert_eq!(mine.len(), 1);

    // The service provider acting for the other brand cannot touch this brand's product coupon.
    let other = partner_client(&sandbox, fast_retries()).for_brand(seed::OTHER_BRAND_ID);
    let err = other
        .call(&GetProductCouponRequest::new(pc.clone()))
        .await
        .unwrap_err();
    assert_eq!(err.api_error().unwrap().code, ErrorCode::NoAuth);
    assert_eq!(err.api_error().unwrap().status.as_u16(), 403);
}
