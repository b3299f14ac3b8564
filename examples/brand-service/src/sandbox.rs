//! `--sandbox`: the embedded WeChat Pay look-alike (`coupon-sandbox`) in the
//! same process, its notify URL pointed at this service, and a product coupon
//! with a stock to send from — so one command runs the whole loop. The tests
//! use the same pieces.

use coupon_client::coupon_model::common::{
    CouponAvailablePeriod, CouponCodeDisplayMode, CouponDisplayInfo, CouponUsageMethod,
    NormalCouponUsageRule, NotifyConfig, UsageRuleDisplayInfo,
};
use coupon_client::coupon_model::product_coupon::{
    CreateProductCouponBody, CreateProductCouponRequest, ProductCouponDisplayInfo,
    ProductCouponScope, ProductCouponType, SingleUsageInfo,
};
use coupon_client::coupon_model::stock::{
    CouponCodeMode, NewStock, SingleUsageRule, StockSendRule, StoreScope,
};
use coupon_client::coupon_model::time::DateTime;
use coupon_client::{BrandClient, WebhookHandler};
use coupon_sandbox::Credentials;

use crate::error::Error;

/// The AppID the sandbox binds to its brand (`coupon_sandbox::seed::APPID`).
pub const APPID: &str = coupon_sandbox::seed::APPID;

/// A brand client for the sandbox at `base_url` with its `credentials`
/// (no backup host).
pub fn brand_client(credentials: &Credentials, base_url: &str) -> Result<BrandClient, Error> {
    Ok(BrandClient::builder()
        .brand_id(credentials.brand_id.clone())
        .serial_no(credentials.brand_serial_no.clone())
        .private_key(credentials.brand_private_key.clone())
        .wechatpay_public_key(
            credentials.wechatpay_public_key_id.clone(),
            credentials.wechatpay_public_key.clone(),
        )
        .base_url(base_url)
        .backup_base_url(None)
        .build()?)
}

/// The webhook handler for the sandbox's notifications: `client`'s keys and
/// the sandbox's APIv3 key.
pub fn webhook_handler(client: &BrandClient, credentials: &Credentials) -> WebhookHandler {
    client.webhook_handler(credentials.apiv3_key.clone())
}

fn rfc3339(unix: i64) -> Result<String, Error> {
    DateTime::from_unix_timestamp(unix, 8 * 60)
        .map(|t| t.to_rfc3339())
        .map_err(|e| Error::Config(format!("the clock is out of range: {e}")))
}

/// Creates a storewide "100 off 10" product coupon with one stock, usable
/// from a day before `now` for 30 days, up to 10 000 coupons (5 per user);
/// returns `(product_coupon_id, stock_id)`. `out_request_no` names the
/// creation (6–40 of `[0-9A-Za-z_-]`).
pub async fn create_stock(
    client: &BrandClient,
    out_request_no: &str,
    now: i64,
) -> Result<(String, String), Error> {
    let stock = NewStock::new(
        CouponCodeMode::Wechatpay,
        StockSendRule::new(10_000, 5),
        UsageRuleDisplayInfo::new(vec![CouponUsageMethod::Offline], "到店出示券码即可使用"),
        CouponDisplayInfo::new(CouponCodeDisplayMode::Qrcode),
        NotifyConfig::new(APPID),
        StoreScope::NoStore,
    )
    .with_remark("brand-service")
    .with_single_usage_rule(SingleUsageRule::new(CouponAvailablePeriod::between(
        rfc3339(now - 86_400)?,
        rfc3339(now + 30 * 86_400)?,
    )));
    let request = CreateProductCouponRequest::new(
        CreateProductCouponBody::single(
            out_request_no,
            ProductCouponScope::All,
            ProductCouponType::Normal,
            ProductCouponDisplayInfo::new(
                "全场满100减10元",
                "https://wxpaylogo.qpic.cn/wxpaylogo/brand-service/main.png",
            ),
            stock,
        )
        .with_single_usage_info(SingleUsageInfo {
            normal_coupon: Some(NormalCouponUsageRule::new(10_000, 1_000)),
            discount_coupon: None,
        }),
    );
    let created = client.call(&request).await?;
    let stock = created
        .stock
        .ok_or_else(|| Error::Config("the product coupon came without its stock".to_owned()))?;
    Ok((
        created.product_coupon.product_coupon_id.as_str().to_owned(),
        stock.stock_id.as_str().to_owned(),
    ))
}
