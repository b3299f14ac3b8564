//! `demo`: starts the sandbox in-process and walks through every operation,
//! printing a short report. Needs no configuration.

use std::collections::BTreeMap;
use std::io::{self, Write};

use coupon_client::{BrandClient, ErrorKind, PartnerClient, WebhookHandler};
use coupon_model::common::{
    CouponAvailablePeriod, CouponCodeDisplayMode, CouponDisplayInfo, CouponUsageMethod,
    NotifyConfig, UsageRuleDisplayInfo,
};
use coupon_model::product_coupon::{
    ProductCouponDisplayInfo, UpdateProductCouponBody, UpdateProductCouponRequest,
};
use coupon_model::stock::CreateStockBody;
use coupon_model::stock::{
    AddStockRequest, CouponCodeMode, ListStocksRequest, NewStock, SingleUsageRule, StockSendRule,
    StoreScope,
};
use coupon_model::user_coupon::ListUserCouponsRequest;
use coupon_sandbox::{Fault, Sandbox, WebhookOptions, seed};
use futures_util::StreamExt;

use crate::error::CliError;

/// Page size for the pagination steps (several pages of seeded data).
const PAGE_SIZE: u32 = 20;

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

/// A valid single-use stock for the storewide (scope ALL) product coupon:
/// its `single_usage_rule` holds only the available period.
fn demo_stock() -> NewStock {
    NewStock::new(
        CouponCodeMode::Wechatpay,
        StockSendRule::new(10_000, 1).with_max_count_per_day(1_000),
        UsageRuleDisplayInfo::new(vec![CouponUsageMethod::Offline], "到店出示券码即可使用"),
        CouponDisplayInfo::new(CouponCodeDisplayMode::Qrcode),
        NotifyConfig::new(seed::APPID),
        StoreScope::NoStore,
    )
    .with_remark("demo stock")
    .with_single_usage_rule(SingleUsageRule::new(CouponAvailablePeriod::between(
        "2026-01-01T00:00:00+08:00",
        "2026-12-31T23:59:59+08:00",
    )))
}

fn tally<'a>(states: impl Iterator<Item = &'a str>) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for state in states {
        *counts.entry(state).or_default() += 1;
    }
    counts
        .iter()
        .map(|(state, n)| format!("{state} {n}"))
        .collect::<Vec<_>>()
        .join(" · ")
}

pub(crate) async fn run() -> Result<(), CliError> {
    let mut report = Report { out: io::stdout() };
    report.line("WeChat Pay product coupons (商品券) — demo against a local sandbox")?;
    let sandbox = Sandbox::start().await?;
    let creds = sandbox.credentials();
    report.line(format!(
        "sandbox at {} · brand {} · service provider (mchid) {} · fresh RSA keys",
        sandbox.base_url(),
        creds.brand_id,
        creds.mchid
    ))?;

    let brand = BrandClient::builder()
        .brand_id(creds.brand_id.clone())
        .serial_no(creds.brand_serial_no.clone())
        .private_key(creds.brand_private_key.clone())
        .wechatpay_public_key(
            creds.wechatpay_public_key_id.clone(),
            creds.wechatpay_public_key.clone(),
        )
        .base_url(sandbox.base_url())
        .backup_base_url(None)
        .build()?;
    let partner = PartnerClient::builder()
        .mchid(creds.mchid.clone())
        .serial_no(creds.mch_serial_no.clone())
        .private_key(creds.mch_private_key.clone())
        .wechatpay_public_key(
            creds.wechatpay_public_key_id.clone(),
            creds.wechatpay_public_key.clone(),
        )
        .base_url(sandbox.base_url())
        .backup_base_url(None)
        .build()?;
    let product_coupon_id = seed::PRODUCT_COUPON_ID;

    // 1. Add a stock, then replay the same out_request_no.
    let request = AddStockRequest::new(
        product_coupon_id,
        CreateStockBody::new("demo_add_stock_0001", demo_stock()),
    );
    let stock = brand.add_stock(&request).await?;
    let count = sandbox.stock_count(product_coupon_id);
    report.step(format!(
        "add stock: created stock {} ({}) on product coupon {product_coupon_id} with out_request_no {}",
        stock.stock_id,
        stock.state.as_ref().map_or("no state", |s| s.as_str()),
        request.body.out_request_no
    ))?;
    let replayed = brand.add_stock(&request).await?;
    ensure(replayed == stock, || {
        format!(
            "replaying out_request_no returned stock {} instead of {}",
            replayed.stock_id, stock.stock_id
        )
    })?;
    ensure(sandbox.stock_count(product_coupon_id) == count, || {
        "replaying out_request_no created a second stock".to_owned()
    })?;
    report.step(format!(
        "idempotency: sending the same request again returned the same stock {}; still {count} stocks",
        replayed.stock_id
    ))?;

    // 2. Every stock, page by page.
    let before = sandbox.requests_seen();
    let mut stocks = brand
        .list_stocks_stream(ListStocksRequest::new(product_coupon_id).with_page_size(PAGE_SIZE));
    let mut states = Vec::new();
    let mut found_new = false;
    while let Some(item) = stocks.next().await {
        let item = item?;
        found_new |= item.stock_id == stock.stock_id;
        states.push(
            item.state
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
        );
    }
    let pages = sandbox.requests_seen() - before;
    ensure(found_new && states.len() == count, || {
        format!(
            "listing found {} stocks (expected {count}, including {})",
            states.len(),
            stock.stock_id
        )
    })?;
    report.step(format!(
        "list stocks: {} stocks of {product_coupon_id} in {pages} pages of up to {PAGE_SIZE} (list_stocks_stream follows next_page_token)",
        states.len()
    ))?;
    report.detail(tally(states.iter().map(String::as_str)))?;

    // 3. The seeded user's coupons, grouped by state.
    let before = sandbox.requests_seen();
    let mut coupons = brand.list_user_coupons_stream(
        ListUserCouponsRequest::new(seed::OPENID, seed::APPID).with_page_size(PAGE_SIZE),
    );
    let mut coupon_states = Vec::new();
    while let Some(item) = coupons.next().await {
        let item = item?;
        coupon_states.push(
            item.coupon_state
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
        );
    }
    let pages = sandbox.requests_seen() - before;
    report.step(format!(
        "user coupons: {} coupons of {} under {} in {pages} pages",
        coupon_states.len(),
        seed::OPENID,
        seed::APPID
    ))?;
    report.detail(tally(coupon_states.iter().map(String::as_str)))?;

    // 4. Partner update of the product coupon's display.
    let display = ProductCouponDisplayInfo::new(
        "全场满100减10元",
        "https://wxpaylogo.qpic.cn/wxpaylogo/demo/main.png",
    );
    let update = UpdateProductCouponRequest::new(
        product_coupon_id,
        UpdateProductCouponBody::new("demo_update_0001", display.clone())
            .with_brand_id(creds.brand_id.clone()),
    );
    let updated = partner.update_product_coupon(&update).await?;
    let name = updated.display_info.as_ref().map(|d| d.name.as_str());
    ensure(name == Some(display.name.as_str()), || {
        format!("the partner update returned the display name {name:?}")
    })?;
    report.step(format!(
        "partner update: merchant {} renamed product coupon {product_coupon_id} to \"{}\" for brand {}",
        creds.mchid, display.name, creds.brand_id
    ))?;

    // 5. An invalid request is refused before anything is sent.
    let mut bad_stock = demo_stock();
    bad_stock.stock_send_rule.max_count_per_user = 500;
    let bad = AddStockRequest::new(product_coupon_id, CreateStockBody::new("no!", bad_stock));
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
    for v in &violations {
        report.detail(format!("{} {}: {}", v.rule, v.path, v.message))?;
    }

    // 6. A webhook built by the sandbox, verified and decrypted by the client.
    let handler = WebhookHandler::new(sandbox.verifier()?, creds.apiv3_key.clone());
    let event = sandbox.sample_send_event()?;
    let (headers, body) = sandbox.build_webhook(&event, WebhookOptions::new())?;
    let received = handler.handle(&headers, &body)?;
    let send = received.event.as_send().ok_or_else(|| {
        CliError::Demo(format!(
            "the webhook decoded as {} instead of a SEND event",
            received.notification.event_type
        ))
    })?;
    report.step(format!(
        "webhook: {} verified and decrypted by WebhookHandler — coupon {} of stock {} received by {}",
        received.notification.event_type, send.coupon_code, send.stock_id, send.openid
    ))?;

    // 7. Signature probes: a response and a webhook, both rejected.
    sandbox.inject(Fault::SignatureProbe, 1);
    let probe = brand
        .list_stocks(&ListStocksRequest::new(product_coupon_id).with_page_size(1))
        .await;
    let response_kind = probe.as_ref().err().map(|e| e.kind());
    ensure(response_kind == Some(ErrorKind::SignatureProbe), || {
        format!("a probed response gave {response_kind:?} instead of SignatureProbe")
    })?;
    let (headers, body) = sandbox.build_webhook(&event, WebhookOptions::signature_probe())?;
    let result = handler.handle(&headers, &body);
    let status = WebhookHandler::status_for(&result);
    let webhook_kind = result.as_ref().err().map(|e| e.kind());
    ensure(webhook_kind == Some(ErrorKind::SignatureProbe), || {
        format!("a probed webhook gave {webhook_kind:?} instead of SignatureProbe")
    })?;
    report.step(format!(
        "signature probes (WECHATPAY/SIGNTEST/) rejected: the response was discarded unread, the webhook answered {}",
        status.as_u16()
    ))?;

    report.line(format!(
        "done: every operation ran against the sandbox ({} requests). Run one yourself: wxpay-coupon sandbox --keys-dir ./sandbox-keys",
        sandbox.requests_seen()
    ))?;
    sandbox.shutdown().await;
    Ok(())
}
