//! `demo`: starts the sandbox in-process and walks one coupon's life end to
//! end, as a brand and then as a service provider — create, stock, send, the
//! SEND notification received and verified, confirm, use, a refused second
//! use, return, deactivate — printing a short report. Needs no configuration.

use std::io::{self, Write};
use std::time::{Duration, Instant};

use coupon_client::{BrandClient, Error, ErrorKind, PartnerClient, WebhookHandler};
use coupon_model::common::{
    CouponAvailablePeriod, CouponCodeDisplayMode, CouponDisplayInfo, CouponUsageMethod,
    NormalCouponUsageRule, NotifyConfig, UsageRuleDisplayInfo,
};
use coupon_model::notify::{SetNotifyConfigBody, SetNotifyConfigRequest};
use coupon_model::operation::Operation;
use coupon_model::product_coupon::{
    CreateProductCouponBody, CreateProductCouponRequest, ProductCouponDisplayInfo,
    ProductCouponScope, ProductCouponType, SingleUsageInfo,
};
use coupon_model::stock::ListStocksRequest;
use coupon_model::stock::{
    AddStockRequest, CouponCodeMode, CreateStockBody, NewStock, SingleUsageRule, StockSendRule,
    StoreScope,
};
use coupon_model::time::DateTime;
use coupon_model::user_coupon::{
    AssociatedOrderInfo, ConfirmSendUserProductCouponRequest, ConfirmUserProductCouponBody,
    DeactivateUserProductCouponBody, DeactivateUserProductCouponRequest,
    ReturnUserProductCouponBody, ReturnUserProductCouponRequest, SendUserProductCouponBody,
    SendUserProductCouponRequest, UseUserProductCouponBody, UseUserProductCouponRequest,
    UserCoupon,
};
use coupon_sandbox::{DeliveryOutcome, Fault, Sandbox, WebhookReceiver, seed};
use wxpay_sign::{Clock as _, SystemClock};

use crate::error::CliError;

/// How long the demo waits for a notification before giving up.
const WEBHOOK_WAIT: Duration = Duration::from_secs(10);

/// The report on stdout; write errors (a closed pipe) end the demo.
struct Report {
    out: io::Stdout,
}

impl Report {
    fn line(&mut self, text: impl AsRef<str>) -> Result<(), CliError> {
        let mut out = self.out.lock();
        writeln!(out, "{}", text.as_ref())?;
        out.flush()?;
        Ok(())
    }

    fn step(&mut self, text: impl AsRef<str>) -> Result<(), CliError> {
        self.line(format!("✓ {}", text.as_ref()))
    }

    fn detail(&mut self, text: impl AsRef<str>) -> Result<(), CliError> {
        self.line(format!("    {}", text.as_ref()))
    }
}

fn ensure(condition: bool, what: impl FnOnce() -> String) -> Result<(), CliError> {
    if condition {
        Ok(())
    } else {
        Err(CliError::Demo(what()))
    }
}

fn rfc3339(unix: i64) -> Result<String, CliError> {
    DateTime::from_unix_timestamp(unix, 8 * 60)
        .map(|t| t.to_rfc3339())
        .map_err(|e| CliError::Demo(format!("the clock is out of range: {e}")))
}

/// A storewide single-use stock usable from yesterday for 30 days.
fn demo_stock(now: i64) -> Result<NewStock, CliError> {
    Ok(NewStock::new(
        CouponCodeMode::Wechatpay,
        StockSendRule::new(10_000, 1).with_max_count_per_day(1_000),
        UsageRuleDisplayInfo::new(vec![CouponUsageMethod::Offline], "到店出示券码即可使用"),
        CouponDisplayInfo::new(CouponCodeDisplayMode::Qrcode),
        NotifyConfig::new(seed::APPID),
        StoreScope::NoStore,
    )
    .with_remark("demo stock")
    .with_single_usage_rule(SingleUsageRule::new(CouponAvailablePeriod::between(
        rfc3339(now - 86_400)?,
        rfc3339(now + 30 * 86_400)?,
    ))))
}

/// A storewide "100 off 10" product coupon created with `stock`.
fn demo_product_coupon(out_request_no: &str, stock: NewStock) -> CreateProductCouponRequest {
    CreateProductCouponRequest::new(
        CreateProductCouponBody::single(
            out_request_no,
            ProductCouponScope::All,
            ProductCouponType::Normal,
            ProductCouponDisplayInfo::new(
                "全场满100减10元",
                "https://wxpaylogo.qpic.cn/wxpaylogo/demo/main.png",
            ),
            stock,
        )
        .with_single_usage_info(SingleUsageInfo {
            normal_coupon: Some(NormalCouponUsageRule::new(10_000, 1_000)),
            discount_coupon: None,
        }),
    )
}

fn state(coupon: &UserCoupon) -> &str {
    coupon.coupon_state.as_ref().map_or("-", |s| s.as_str())
}

/// Calls an operation as the brand or as the service provider.
enum Caller<'a> {
    Brand(&'a BrandClient),
    Partner(&'a PartnerClient),
}

impl Caller<'_> {
    async fn call<O: Operation>(&self, request: &O) -> Result<O::Response, Error> {
        match self {
            Caller::Brand(c) => c.call_any(request).await,
            Caller::Partner(c) => c.call_any(request).await,
        }
    }
}

/// The ids one life needs.
struct Life<'a> {
    tag: &'a str,
    openid: &'a str,
    pc: String,
    stock: String,
}

impl Life<'_> {
    fn confirm(&self, code: &str) -> ConfirmSendUserProductCouponRequest {
        ConfirmSendUserProductCouponRequest::new(
            self.openid,
            code,
            ConfirmUserProductCouponBody::new(
                self.pc.as_str(),
                self.stock.as_str(),
                seed::APPID,
                format!("{}_confirm_0001", self.tag),
            ),
        )
    }

    fn use_for(
        &self,
        code: &str,
        order: &str,
        now: i64,
    ) -> Result<UseUserProductCouponRequest, CliError> {
        Ok(UseUserProductCouponRequest::new(
            self.openid,
            code,
            UseUserProductCouponBody::new(
                self.pc.as_str(),
                self.stock.as_str(),
                seed::APPID,
                format!("{}_use_{order}", self.tag),
                rfc3339(now)?,
            )
            .with_order(AssociatedOrderInfo {
                transaction_id: Some(format!("42000000{order}").into()),
                out_trade_no: Some(format!("{}_trade_{order}", self.tag).into()),
                mchid: Some("1900000001".into()),
                sub_mchid: None,
            }),
        ))
    }
}

/// Runs one life on `caller`; returns the coupon code.
async fn live(
    report: &mut Report,
    caller: &Caller<'_>,
    who: &str,
    life: &Life<'_>,
    receiver: &WebhookReceiver,
    handler: &WebhookHandler,
) -> Result<String, CliError> {
    let now = SystemClock.now_unix();
    let send = SendUserProductCouponRequest::new(
        life.openid,
        SendUserProductCouponBody::new(
            life.pc.as_str(),
            life.stock.as_str(),
            seed::APPID,
            format!("{}_send_0001", life.tag),
        ),
    );
    let sent = caller.call(&send).await?;
    let replayed = caller.call(&send).await?;
    let code = sent.coupon_code.as_str().to_owned();
    ensure(replayed.coupon_code == sent.coupon_code, || {
        "replaying send_request_no sent a second coupon".to_owned()
    })?;
    report.step(format!(
        "{who}: sent coupon {code} to {} — {} until {}; the same send_request_no again returned the same coupon",
        life.openid,
        state(&sent),
        sent.valid_end_time.as_ref().map_or("-", |t| t.as_str())
    ))?;

    let arrived = tokio::time::timeout(WEBHOOK_WAIT, receiver.next())
        .await
        .map_err(|_| CliError::Demo("no notification arrived within 10 s".to_owned()))?
        .ok_or_else(|| CliError::Demo("the notification receiver stopped".to_owned()))?;
    // The endpoint already accepted this delivery (and its replay guard
    // recorded it); read it again here without the guard to show it.
    let received = handler
        .clone()
        .without_replay_guard()
        .handle(&arrived.headers, &arrived.body)?;
    let event = received.event.as_send().ok_or_else(|| {
        CliError::Demo(format!(
            "the notification decoded as {} instead of a SEND event",
            received.notification.event_type
        ))
    })?;
    ensure(event.coupon_code.as_str() == code, || {
        format!(
            "the notification is about coupon {}, not {code}",
            event.coupon_code
        )
    })?;
    report.step(format!(
        "webhook: {} {} received, verified and decrypted (coupon {code}{}), answered {}",
        received.notification.event_type,
        received.notification.id,
        event
            .brand_id
            .as_ref()
            .map(|b| format!(", brand {b}"))
            .unwrap_or_default(),
        arrived.status.as_u16()
    ))?;

    let confirmed = caller.call(&life.confirm(&code)).await?;
    let used = caller.call(&life.use_for(&code, "0001", now)?).await?;
    report.step(format!(
        "{who}: confirmed → {} · used for order {}_trade_0001 → {}",
        state(&confirmed),
        life.tag,
        state(&used)
    ))?;
    Ok(code)
}

/// Tries to use `code` again for another order: refused.
async fn refused_second_use(
    report: &mut Report,
    caller: &Caller<'_>,
    life: &Life<'_>,
    code: &str,
) -> Result<(), CliError> {
    let now = SystemClock.now_unix();
    match caller.call(&life.use_for(code, "0002", now)?).await {
        Err(e) if e.kind() == ErrorKind::Api => {
            let api = e.api_error();
            report.step(format!(
                "refused: using {code} again for another order → {} {} (Request-ID {})",
                api.map_or(0, |a| a.status.as_u16()),
                api.map_or("-", |a| a.code.as_str()),
                e.request_id().unwrap_or("-")
            ))?;
            if let Some(api) = api {
                report.detail(&api.message)?;
            }
            Ok(())
        }
        Err(e) => Err(e.into()),
        Ok(coupon) => Err(CliError::Demo(format!(
            "a used coupon was used again ({})",
            state(&coupon)
        ))),
    }
}

/// Returns then deactivates `code`.
async fn wind_down(
    report: &mut Report,
    caller: &Caller<'_>,
    who: &str,
    life: &Life<'_>,
    code: &str,
) -> Result<(), CliError> {
    let returned = caller
        .call(&ReturnUserProductCouponRequest::new(
            life.openid,
            code,
            ReturnUserProductCouponBody::new(
                life.pc.as_str(),
                life.stock.as_str(),
                seed::APPID,
                format!("{}_return_0001", life.tag),
            ),
        ))
        .await?;
    let deactivated = caller
        .call(&DeactivateUserProductCouponRequest::new(
            life.openid,
            code,
            DeactivateUserProductCouponBody::new(
                life.pc.as_str(),
                life.stock.as_str(),
                seed::APPID,
                format!("{}_deactivate_0001", life.tag),
                "活动结束",
            ),
        ))
        .await?;
    ensure(state(&deactivated) == "DEACTIVATED", || {
        format!("deactivating left the coupon {}", state(&deactivated))
    })?;
    report.step(format!(
        "{who}: returned (order refunded) → {} · deactivated → {}",
        state(&returned),
        state(&deactivated)
    ))
}

pub(crate) async fn run() -> Result<(), CliError> {
    let started = Instant::now();
    let mut report = Report { out: io::stdout() };
    report
        .line("WeChat Pay product coupons (商品券) — one coupon's life against a local sandbox")?;
    let sandbox = Sandbox::start().await?;
    let creds = sandbox.credentials();
    report.line(format!(
        "sandbox at {} · brand {} · service provider (mchid) {} · fresh RSA keys",
        sandbox.base_url(),
        creds.brand_id,
        creds.mchid
    ))?;

    let brand = super::sandbox::brand_client_of(&sandbox)?;
    let partner = super::sandbox::partner_client_of(&sandbox)?;

    // A notification endpoint that answers 204 only to what verifies and decrypts.
    let handler = WebhookHandler::new(sandbox.verifier()?, creds.apiv3_key.clone());
    let receiver = {
        let handler = handler.clone();
        WebhookReceiver::start(move |headers, body| {
            WebhookHandler::status_for(&handler.handle(headers, body))
        })
        .await?
    };
    let notify = SetNotifyConfigRequest::new(SetNotifyConfigBody::new(receiver.url()));
    brand.call(&notify).await?;
    partner.call(&notify).await?;
    report.step(format!(
        "notify URL of the brand and of the service provider: {} (set-notify-config)",
        receiver.url()
    ))?;

    // 1. The brand.
    let now = SystemClock.now_unix();
    let created = brand
        .call(&demo_product_coupon("demo_create_0001", demo_stock(now)?))
        .await?;
    let stock = created
        .stock
        .as_ref()
        .ok_or_else(|| CliError::Demo("the product coupon came without its stock".to_owned()))?;
    let added = brand
        .add_stock(&AddStockRequest::new(
            created.product_coupon.product_coupon_id.clone(),
            CreateStockBody::new("demo_add_stock_0001", demo_stock(now)?),
        ))
        .await?;
    report.step(format!(
        "brand: created product coupon {} ({}) with stock {} ({}), then added stock {}",
        created.product_coupon.product_coupon_id,
        created
            .product_coupon
            .state
            .as_ref()
            .map_or("-", |s| s.as_str()),
        stock.stock_id,
        stock.state.as_ref().map_or("-", |s| s.as_str()),
        added.stock_id
    ))?;
    let life = Life {
        tag: "demo_brand",
        openid: "oDemoBrandUser-000000000001",
        pc: created.product_coupon.product_coupon_id.as_str().to_owned(),
        stock: stock.stock_id.as_str().to_owned(),
    };
    let caller = Caller::Brand(&brand);
    let code = live(&mut report, &caller, "brand", &life, &receiver, &handler).await?;
    refused_second_use(&mut report, &caller, &life, &code).await?;
    wind_down(&mut report, &caller, "brand", &life, &code).await?;

    // 2. The service provider, for the same brand.
    let created = partner
        .call(&demo_product_coupon("demo_create_0002", demo_stock(now)?))
        .await?;
    let stock = created
        .stock
        .as_ref()
        .ok_or_else(|| CliError::Demo("the product coupon came without its stock".to_owned()))?;
    report.step(format!(
        "service provider {} for brand {}: created product coupon {} with stock {}",
        creds.mchid, creds.brand_id, created.product_coupon.product_coupon_id, stock.stock_id
    ))?;
    let life = Life {
        tag: "demo_partner",
        openid: "oDemoPartnerUser-0000000001",
        pc: created.product_coupon.product_coupon_id.as_str().to_owned(),
        stock: stock.stock_id.as_str().to_owned(),
    };
    let caller = Caller::Partner(&partner);
    let code = live(
        &mut report,
        &caller,
        "service provider",
        &life,
        &receiver,
        &handler,
    )
    .await?;
    wind_down(&mut report, &caller, "service provider", &life, &code).await?;

    // 3. What the client refuses to send, and what it refuses to believe.
    let mut bad_stock = demo_stock(now)?;
    bad_stock.stock_send_rule.max_count_per_user = 500;
    let bad = AddStockRequest::new(
        seed::PRODUCT_COUPON_ID,
        CreateStockBody::new("no!", bad_stock),
    );
    let before = sandbox.requests_seen();
    let violations = match brand.add_stock(&bad).await {
        Err(e) if e.kind() == ErrorKind::InvalidRequest => e
            .violations()
            .map(|v| v.iter().cloned().collect::<Vec<_>>())
            .unwrap_or_default(),
        Err(e) => return Err(e.into()),
        Ok(stock) => {
            return Err(CliError::Demo(format!(
                "an invalid stock was accepted as {}",
                stock.stock_id
            )));
        }
    };
    let sent = sandbox.requests_seen() - before;
    ensure(sent == 0, || {
        format!("{sent} request(s) reached the sandbox")
    })?;
    report.step(format!(
        "invalid request rejected before sending: {} violation(s), {sent} requests sent",
        violations.len()
    ))?;
    sandbox.inject(Fault::SignatureProbe, 1);
    let probe = brand
        .list_stocks(&ListStocksRequest::new(seed::PRODUCT_COUPON_ID).with_page_size(1))
        .await;
    let kind = probe.as_ref().err().map(|e| e.kind());
    ensure(kind == Some(ErrorKind::SignatureProbe), || {
        format!("a probed response gave {kind:?} instead of SignatureProbe")
    })?;
    report
        .step("signature probe (WECHATPAY/SIGNTEST/) rejected: the answer was discarded unread")?;

    let deliveries = sandbox.settled_deliveries().await;
    let delivered = deliveries
        .iter()
        .filter(|d| d.outcome == DeliveryOutcome::Delivered)
        .count();
    ensure(delivered == deliveries.len(), || {
        format!(
            "{} of {} notifications were not delivered",
            deliveries.len() - delivered,
            deliveries.len()
        )
    })?;
    report.line(format!(
        "done in {:.2} s: {} requests, {delivered} notification(s) delivered. Run one yourself: wxpay-coupon sandbox --keys-dir ./sandbox-keys --notify-url http://127.0.0.1:PORT/notify",
        started.elapsed().as_secs_f64(),
        sandbox.requests_seen()
    ))?;
    drop(receiver);
    sandbox.shutdown().await;
    Ok(())
}
