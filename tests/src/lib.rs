//! Shared set-up for the end-to-end tests and the load benchmark: an in-process
//! [`Sandbox`] and clients configured from its generated credentials.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
//! runtime.block_on(async {
//!     let sandbox = coupon_e2e::start_sandbox().await;
//!     let client = coupon_e2e::brand_client(&sandbox, coupon_e2e::fast_retries());
//!     let request = coupon_client::coupon_model::stock::ListStocksRequest::new("1000000013");
//!     let page = client.list_stocks(&request).await?;
//!     assert!(page.total_count >= Some(100));
//!     Ok(())
//! })
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use coupon_client::coupon_http::{RetryPolicy, Transport};
use coupon_client::wxpay_sign::Clock;
use coupon_client::{BrandClient, PartnerClient};
pub use coupon_sandbox::{Fault, Sandbox, seed};

/// Starts a sandbox on 127.0.0.1 with fresh credentials.
///
/// # Panics
/// When the sandbox cannot start (test set-up only).
pub async fn start_sandbox() -> Sandbox {
    match Sandbox::start().await {
        Ok(sandbox) => sandbox,
        Err(e) => panic!("the sandbox did not start: {e}"),
    }
}

/// Three attempts with millisecond backoff: retries are exercised without slowing
/// the tests (and nothing asserts on time).
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::new()
        .with_max_attempts(3)
        .with_base_delay(Duration::from_millis(1))
        .with_max_delay(Duration::from_millis(5))
}

/// A transport to `primary` (no backup) with `policy` and a 10 s request timeout.
///
/// # Panics
/// On an invalid URL (test set-up only).
pub fn transport_to(
    primary: &str,
    backup: Option<&str>,
    policy: RetryPolicy,
    request_timeout: Duration,
) -> Transport {
    let mut builder = Transport::builder()
        .primary_base_url(primary)
        .retry_policy(policy)
        .request_timeout(request_timeout)
        .connect_timeout(Duration::from_secs(5));
    builder = match backup {
        Some(url) => builder.backup_base_url(url),
        None => builder.without_backup(),
    };
    match builder.build() {
        Ok(t) => t,
        Err(e) => panic!("transport: {e}"),
    }
}

/// A brand client for the sandbox's brand, over `transport`, with `clock`.
///
/// # Panics
/// On a configuration error (test set-up only).
pub fn brand_client_with(
    sandbox: &Sandbox,
    transport: Transport,
    clock: Option<Arc<dyn Clock>>,
) -> BrandClient {
    let creds = sandbox.credentials();
    let mut builder = BrandClient::builder()
        .brand_id(&creds.brand_id)
        .serial_no(&creds.brand_serial_no)
        .private_key(creds.brand_private_key.clone())
        .wechatpay_public_key(
            &creds.wechatpay_public_key_id,
            creds.wechatpay_public_key.clone(),
        )
        .transport(transport);
    if let Some(clock) = clock {
        builder = builder.clock(clock);
    }
    match builder.build() {
        Ok(c) => c,
        Err(e) => panic!("brand client: {e}"),
    }
}

/// A brand client for the sandbox with `policy`.
pub fn brand_client(sandbox: &Sandbox, policy: RetryPolicy) -> BrandClient {
    brand_client_with(
        sandbox,
        transport_to(&sandbox.base_url(), None, policy, Duration::from_secs(10)),
        None,
    )
}

/// A partner client for the sandbox's service provider with `policy`.
///
/// # Panics
/// On a configuration error (test set-up only).
pub fn partner_client(sandbox: &Sandbox, policy: RetryPolicy) -> PartnerClient {
    let creds = sandbox.credentials();
    let built = PartnerClient::builder()
        .mchid(&creds.mchid)
        .serial_no(&creds.mch_serial_no)
        .private_key(creds.mch_private_key.clone())
        .wechatpay_public_key(
            &creds.wechatpay_public_key_id,
            creds.wechatpay_public_key.clone(),
        )
        .transport(transport_to(
            &sandbox.base_url(),
            None,
            policy,
            Duration::from_secs(10),
        ))
        .build();
    match built {
        Ok(c) => c,
        Err(e) => panic!("partner client: {e}"),
    }
}

/// A valid single-use stock for the storewide (scope `ALL`) product coupon
/// `1000000013`: its `single_usage_rule` holds only the available period,
/// from yesterday for 180 days (so the sandbox sends from it today).
pub fn valid_stock(remark: &str) -> coupon_client::coupon_model::stock::NewStock {
    use coupon_client::coupon_model::common::{
        CouponAvailablePeriod, CouponCodeDisplayMode, CouponDisplayInfo, CouponUsageMethod,
        NotifyConfig, UsageRuleDisplayInfo,
    };
    use coupon_client::coupon_model::stock::{
        CouponCodeMode, NewStock, SingleUsageRule, StockSendRule, StoreScope,
    };
    NewStock::new(
        CouponCodeMode::Wechatpay,
        StockSendRule::new(10_000, 1),
        UsageRuleDisplayInfo::new(vec![CouponUsageMethod::Offline], "到店出示券码即可使用"),
        CouponDisplayInfo::new(CouponCodeDisplayMode::Qrcode),
        NotifyConfig::new(seed::APPID),
        StoreScope::NoStore,
    )
    .with_remark(remark)
    .with_single_usage_rule(SingleUsageRule::new(CouponAvailablePeriod::between(
        days_from_now(-1),
        days_from_now(180),
    )))
}

/// RFC 3339 (`+08:00`) of the system clock's now plus `days`.
///
/// # Panics
/// Outside years 0–9999 (never for the system clock).
pub fn days_from_now(days: i64) -> String {
    use coupon_client::coupon_model::time::DateTime;
    use coupon_client::wxpay_sign::{Clock as _, SystemClock};
    match DateTime::from_unix_timestamp(SystemClock.now_unix() + days * 86_400, 8 * 60) {
        Ok(t) => t.to_rfc3339(),
        Err(e) => panic!("the system clock is out of range: {e}"),
    }
}
