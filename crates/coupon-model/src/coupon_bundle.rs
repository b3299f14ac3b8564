//! User coupon bundles (partner only): all the coupons of a stock bundle
//! sent to a user in one call, and deactivated in one call.
//!
//! Known only from a third-party SDK's models
//! (fudiwei/DotNetCore.SKIT.FlurlHttpClient.Wechat), not from the official
//! samples.

use serde::{Deserialize, Serialize};

use crate::ids::{
    AppId, BrandId, CouponCode, OutRequestNo, ProductCouponId, RequestNo, StockBundleId,
    UserCouponBundleId,
};
use crate::user_coupon::{CouponTagInfo, UserCoupon};
use crate::validate::{Checker, Path, Violations, check_request_no_field, validate_request_no};

/// The request types of this resource's operations (defined by the table in
/// [`crate::operations`]).
pub use crate::operations::{DeactivateUserCouponBundleRequest, SendUserCouponBundleRequest};

/// The JSON body of `send-user-coupon-bundle`.
///
/// Required (request type, strict): `product_coupon_id`, `stock_bundle_id`,
/// `appid`, `send_request_no`; `brand_id` is filled in by the partner client
/// when absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendUserCouponBundleBody {
    /// The product coupon.
    pub product_coupon_id: ProductCouponId,
    /// The brand the partner acts for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand_id: Option<BrandId>,
    /// The stock bundle to send from.
    pub stock_bundle_id: StockBundleId,
    /// The AppID the user's OpenID belongs to.
    pub appid: AppId,
    /// The code to give the coupons, when the brand assigns codes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon_code: Option<CouponCode>,
    /// Idempotency key of the send, 6–40 characters of `[0-9A-Za-z_-]`.
    pub send_request_no: RequestNo,
    /// The brand's data, echoed in the SEND notification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attach: Option<String>,
    /// Tags of the coupons.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon_tag_info: Option<CouponTagInfo>,
}

impl SendUserCouponBundleBody {
    /// A send of the coupons of `stock_bundle_id` under `appid`.
    pub fn new(
        product_coupon_id: impl Into<ProductCouponId>,
        stock_bundle_id: impl Into<StockBundleId>,
        appid: impl Into<AppId>,
        send_request_no: impl Into<RequestNo>,
    ) -> Self {
        Self {
            product_coupon_id: product_coupon_id.into(),
            brand_id: None,
            stock_bundle_id: stock_bundle_id.into(),
            appid: appid.into(),
            coupon_code: None,
            send_request_no: send_request_no.into(),
            attach: None,
            coupon_tag_info: None,
        }
    }

    /// Checks `out-request-no-format` on `send_request_no`.
    pub fn validate(&self) -> Result<(), Violations> {
        let mut c = Checker::request();
        check_request_no_field(
            &mut c,
            &Path::ROOT.key("send_request_no"),
            "send_request_no",
            self.send_request_no.as_str(),
        );
        c.finish()
    }
}

impl_request_body!(
    SendUserCouponBundleBody,
    validate = SendUserCouponBundleBody::validate,
    brand_id
);

/// The JSON body of `deactivate-user-coupon-bundle`.
///
/// Required (request type, strict): every field but `brand_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeactivateUserCouponBundleBody {
    /// The product coupon.
    pub product_coupon_id: ProductCouponId,
    /// The brand the partner acts for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand_id: Option<BrandId>,
    /// The stock bundle the coupons came from.
    pub stock_bundle_id: StockBundleId,
    /// The AppID the user's OpenID belongs to.
    pub appid: AppId,
    /// Idempotency key, 6–40 characters of `[0-9A-Za-z_-]`.
    pub out_request_no: OutRequestNo,
    /// Why they are deactivated.
    pub deactivate_reason: String,
}

impl DeactivateUserCouponBundleBody {
    /// A deactivation of the coupons from `stock_bundle_id`.
    pub fn new(
        product_coupon_id: impl Into<ProductCouponId>,
        stock_bundle_id: impl Into<StockBundleId>,
        appid: impl Into<AppId>,
        out_request_no: impl Into<OutRequestNo>,
        deactivate_reason: impl Into<String>,
    ) -> Self {
        Self {
            product_coupon_id: product_coupon_id.into(),
            brand_id: None,
            stock_bundle_id: stock_bundle_id.into(),
            appid: appid.into(),
            out_request_no: out_request_no.into(),
            deactivate_reason: deactivate_reason.into(),
        }
    }
}

impl_request_body!(
    DeactivateUserCouponBundleBody,
    validate = |b| validate_request_no(&b.out_request_no),
    brand_id
);

/// The answer of `send-user-coupon-bundle` and
/// `deactivate-user-coupon-bundle`: the bundle and its user coupons.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UserCouponBundle {
    /// The user coupon bundle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_coupon_bundle_id: Option<UserCouponBundleId>,
    /// Its coupons, one per step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_product_coupon_list: Option<Vec<UserCoupon>>,
}
