//! User coupons (用户商品券) and the list-user-coupons request/response
//! (page 002, `GET /brand/marketing/product-coupon/users/{openid}/coupons`).

use serde::{Deserialize, Serialize};

use crate::ids::{
    AppId, BrandId, CouponCode, MchId, OpenId, OutTradeNo, PageToken, ProductCouponId, RequestNo,
    StockId, TransactionId, UserCouponBundleId,
};
use crate::product_coupon::ProductCoupon;
use crate::stock::Stock;
use crate::time::Timestamp;
use crate::validate::{
    Checker, Path, ValidationContext, Violations, check_deactivation, check_opt_time,
    list_response_context, push_paging_pairs, validate_list_request, validate_list_response,
};

string_enum! {
    /// State of a user coupon (`coupon_state`); also used for the state of
    /// one use of a sequential coupon (`detail_state`, whose values the
    /// pages do not enumerate; they show `USED`).
    pub enum UserCouponState {
        /// Sent, waiting for the brand's confirm call.
        Confirming = "CONFIRMING",
        /// Sent, not yet in its usable period.
        Pending = "PENDING",
        /// Usable.
        Effective = "EFFECTIVE",
        /// Used.
        Used = "USED",
        /// Expired.
        Expired = "EXPIRED",
        /// Deleted by the user.
        Deleted = "DELETED",
        /// Deactivated by the brand.
        Deactivated = "DEACTIVATED",
    }
}

string_enum! {
    /// How the user received the coupon (`send_channel`).
    pub enum SendChannel {
        /// The brand's send API.
        Api = "API",
        /// The brand management platform.
        BrandManage = "BRAND_MANAGE",
        /// The receive component.
        ReceiveComponent = "RECEIVE_COMPONENT",
        /// Membership (listed in the webhook payload).
        Member = "MEMBER",
    }
}

string_enum! {
    /// A tag on a user coupon (`coupon_tag_list`).
    pub enum CouponTag {
        /// A membership coupon.
        Member = "MEMBER",
    }
}

/// The order a use was tied to (`associated_order_info`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AssociatedOrderInfo {
    /// WeChat Pay transaction id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<TransactionId>,
    /// Merchant order number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_trade_no: Option<OutTradeNo>,
    /// Merchant id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mchid: Option<MchId>,
    /// Sub-merchant id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_mchid: Option<MchId>,
}

/// The Pay Score (支付分) order a use was tied to
/// (`associated_pay_score_order_info`, samples only).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AssociatedPayScoreOrderInfo {
    /// Pay Score order id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// Merchant's Pay Score order number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_order_no: Option<String>,
    /// Merchant id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mchid: Option<MchId>,
    /// Sub-merchant id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_mchid: Option<MchId>,
}

/// How a single use went (`single_usage_detail`; the samples'
/// `progressive_bundle_usage_detail` has the same shape).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CouponUsageDetail {
    /// The brand's use request number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_request_no: Option<RequestNo>,
    /// When it was used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_time: Option<Timestamp>,
    /// The order it was used with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub associated_order_info: Option<AssociatedOrderInfo>,
    /// The Pay Score order it was used with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub associated_pay_score_order_info: Option<AssociatedPayScoreOrderInfo>,
    /// The brand's return request number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_request_no: Option<RequestNo>,
    /// When the use was returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_time: Option<Timestamp>,
}

impl CouponUsageDetail {
    fn check(&self, c: &mut Checker, p: &Path<'_>) {
        check_opt_time(c, p, "use_time", self.use_time.as_ref());
        check_opt_time(c, p, "return_time", self.return_time.as_ref());
    }
}

/// How the uses of a sequential coupon went (`sequential_usage_detail`, page 002).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SequentialUsageDetail {
    /// Number of uses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_count: Option<i64>,
    /// Uses consumed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_count: Option<i64>,
    /// One entry per use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail_item_list: Option<Vec<SequentialUsageDetailItem>>,
}

/// One use of a sequential coupon (`detail_item_list[]`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SequentialUsageDetailItem {
    /// State of this use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail_state: Option<UserCouponState>,
    /// Start of this use's validity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_begin_time: Option<Timestamp>,
    /// End of this use's validity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_end_time: Option<Timestamp>,
    /// The brand's use request number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_request_no: Option<RequestNo>,
    /// When it was used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_time: Option<Timestamp>,
    /// The order it was used with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub associated_order_info: Option<AssociatedOrderInfo>,
    /// The brand's return request number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_request_no: Option<RequestNo>,
    /// When the use was returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_time: Option<Timestamp>,
    /// When it was deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_time: Option<Timestamp>,
}

/// The user coupon bundle a coupon belongs to
/// (`user_product_coupon_bundle_info`, samples).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UserCouponBundleInfo {
    /// The bundle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_coupon_bundle_id: Option<UserCouponBundleId>,
    /// Position of this coupon in the bundle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_coupon_bundle_index: Option<i64>,
    /// Coupons in the bundle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_count: Option<i64>,
    /// Coupons used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_count: Option<i64>,
}

/// Tags of a user coupon (`coupon_tag_info`, samples).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CouponTagInfo {
    /// Tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon_tag_list: Option<Vec<CouponTag>>,
    /// Membership details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_tag_info: Option<MemberTagInfo>,
}

/// Membership details of a tagged coupon (`member_tag_info`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MemberTagInfo {
    /// Member card id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_card_id: Option<String>,
}

/// A coupon a user holds (page 002's `user_coupon_list[]`), with its
/// product coupon and stock.
///
/// Required: `coupon_code` (identity). Everything else is optional on parse.
/// `sequential_usage_detail` (page 002: counts and one item per use) and the
/// samples' `progressive_bundle_usage_detail` (one use of a bundle step,
/// shaped like `single_usage_detail`) are different shapes and stay separate.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UserCoupon {
    /// The coupon code.
    pub coupon_code: CouponCode,
    /// State.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon_state: Option<UserCouponState>,
    /// Start of validity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_begin_time: Option<Timestamp>,
    /// End of validity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_end_time: Option<Timestamp>,
    /// When the user received it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receive_time: Option<Timestamp>,
    /// The send request number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_request_no: Option<RequestNo>,
    /// How it was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_channel: Option<SendChannel>,
    /// The confirm request number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm_request_no: Option<RequestNo>,
    /// When it was confirmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm_time: Option<Timestamp>,
    /// Present iff `coupon_state` is `DEACTIVATED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deactivate_request_no: Option<RequestNo>,
    /// Present iff `coupon_state` is `DEACTIVATED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deactivate_time: Option<Timestamp>,
    /// Present iff `coupon_state` is `DEACTIVATED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deactivate_reason: Option<String>,
    /// Use of a single-use coupon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub single_usage_detail: Option<CouponUsageDetail>,
    /// Uses of a sequential coupon (page 002).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequential_usage_detail: Option<SequentialUsageDetail>,
    /// Use of one bundle step (samples).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progressive_bundle_usage_detail: Option<CouponUsageDetail>,
    /// The user coupon bundle (samples).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_product_coupon_bundle_info: Option<UserCouponBundleInfo>,
    /// The product coupon; it is the validation context of `stock`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_coupon: Option<ProductCoupon>,
    /// The stock it was sent from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stock: Option<Stock>,
    /// The brand's data attached at send time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attach: Option<String>,
    /// Channel-specific data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_custom_info: Option<String>,
    /// Tags (samples).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon_tag_info: Option<CouponTagInfo>,
    /// The brand (partner endpoints only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand_id: Option<BrandId>,
}

impl UserCoupon {
    /// Checks every rule that applies to a user coupon, its product coupon
    /// and its stock. The coupon's own `product_coupon` is the context of
    /// its `stock`; `ctx` is used only when `product_coupon` is absent.
    /// Pointers are relative to the user coupon.
    pub fn validate(&self, ctx: Option<&ValidationContext>) -> Result<(), Violations> {
        let mut c = Checker::response();
        self.check(&mut c, &Path::ROOT, ctx);
        c.finish()
    }

    pub(crate) fn check(&self, c: &mut Checker, p: &Path<'_>, ctx: Option<&ValidationContext>) {
        if let Some(state) = &self.coupon_state {
            let deactivated = match state {
                UserCouponState::Deactivated => Some(true),
                UserCouponState::Unknown(_) => None,
                _ => Some(false),
            };
            check_deactivation(
                c,
                p,
                deactivated,
                "coupon_state",
                state.as_str(),
                [
                    self.deactivate_request_no.is_some(),
                    self.deactivate_time.is_some(),
                    self.deactivate_reason.is_some(),
                ],
            );
        }
        check_opt_time(c, p, "valid_begin_time", self.valid_begin_time.as_ref());
        check_opt_time(c, p, "valid_end_time", self.valid_end_time.as_ref());
        check_opt_time(c, p, "receive_time", self.receive_time.as_ref());
        check_opt_time(c, p, "confirm_time", self.confirm_time.as_ref());
        check_opt_time(c, p, "deactivate_time", self.deactivate_time.as_ref());
        if let Some(detail) = &self.single_usage_detail {
            detail.check(c, &p.key("single_usage_detail"));
        }
        if let Some(detail) = &self.sequential_usage_detail {
            if let Some(items) = &detail.detail_item_list {
                let dp = p.key("sequential_usage_detail");
                let lp = dp.key("detail_item_list");
                for (i, item) in items.iter().enumerate() {
                    let ip = lp.index(i);
                    check_opt_time(c, &ip, "valid_begin_time", item.valid_begin_time.as_ref());
                    check_opt_time(c, &ip, "valid_end_time", item.valid_end_time.as_ref());
                    check_opt_time(c, &ip, "use_time", item.use_time.as_ref());
                    check_opt_time(c, &ip, "return_time", item.return_time.as_ref());
                    check_opt_time(c, &ip, "delete_time", item.delete_time.as_ref());
                }
            }
        }
        if let Some(detail) = &self.progressive_bundle_usage_detail {
            detail.check(c, &p.key("progressive_bundle_usage_detail"));
        }
        let own;
        let stock_ctx = match &self.product_coupon {
            Some(product_coupon) => {
                product_coupon.check(c, &p.key("product_coupon"));
                own = ValidationContext::from_product_coupon(product_coupon);
                Some(&own)
            }
            None => ctx,
        };
        if let Some(stock) = &self.stock {
            stock.check(c, &p.key("stock"), stock_ctx);
        }
    }
}

/// List a user's coupons (page 002):
/// `GET /brand/marketing/product-coupon/users/{openid}/coupons`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListUserCouponsRequest {
    /// Path parameter: the user.
    pub openid: OpenId,
    /// The AppID the OpenID belongs to (required query parameter).
    pub appid: AppId,
    /// Only coupons of this product coupon.
    pub product_coupon_id: Option<ProductCouponId>,
    /// Only coupons of this stock.
    pub stock_id: Option<StockId>,
    /// Only coupons in this state.
    pub coupon_state: Option<UserCouponState>,
    /// Page size, 1 to 50 (server default 20).
    pub page_size: Option<u32>,
    /// The previous response's `next_page_token`; absent for the first page.
    pub page_token: Option<PageToken>,
    /// Only coupons of this user coupon bundle (samples).
    pub user_coupon_bundle_id: Option<UserCouponBundleId>,
    /// The brand, for the partner variant of the endpoint only.
    pub brand_id: Option<BrandId>,
}

impl ListUserCouponsRequest {
    /// HTTP method.
    pub const METHOD: &'static str = "GET";
    /// Path template; substitute the percent-encoded `openid`.
    pub const PATH_TEMPLATE: &'static str =
        "/brand/marketing/product-coupon/users/{openid}/coupons";

    /// The first page of the coupons of `openid` under `appid`.
    pub fn new(openid: impl Into<OpenId>, appid: impl Into<AppId>) -> Self {
        Self {
            openid: openid.into(),
            appid: appid.into(),
            product_coupon_id: None,
            stock_id: None,
            coupon_state: None,
            page_size: None,
            page_token: None,
            user_coupon_bundle_id: None,
            brand_id: None,
        }
    }

    /// Only coupons of a product coupon.
    pub fn with_product_coupon_id(mut self, id: impl Into<ProductCouponId>) -> Self {
        self.product_coupon_id = Some(id.into());
        self
    }

    /// Only coupons of a stock.
    pub fn with_stock_id(mut self, id: impl Into<StockId>) -> Self {
        self.stock_id = Some(id.into());
        self
    }

    /// Only coupons in a state.
    pub fn with_coupon_state(mut self, state: UserCouponState) -> Self {
        self.coupon_state = Some(state);
        self
    }

    /// With a page size (1 to 50).
    pub fn with_page_size(mut self, page_size: u32) -> Self {
        self.page_size = Some(page_size);
        self
    }

    /// The page after the one that returned `token`.
    pub fn with_page_token(mut self, token: impl Into<PageToken>) -> Self {
        self.page_token = Some(token.into());
        self
    }

    /// Only coupons of a user coupon bundle.
    pub fn with_user_coupon_bundle_id(mut self, id: impl Into<UserCouponBundleId>) -> Self {
        self.user_coupon_bundle_id = Some(id.into());
        self
    }

    /// The brand (partner endpoint).
    pub fn with_brand_id(mut self, id: impl Into<BrandId>) -> Self {
        self.brand_id = Some(id.into());
        self
    }

    /// The query parameters that are set, unencoded, in this fixed order
    /// (the page's example order, then the samples' extras):
    /// `product_coupon_id`, `stock_id`, `appid`, `coupon_state`,
    /// `page_size`, `page_token`, `user_coupon_bundle_id`, `brand_id`.
    pub fn query_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::with_capacity(8);
        if let Some(id) = &self.product_coupon_id {
            pairs.push(("product_coupon_id", id.as_str().to_owned()));
        }
        if let Some(id) = &self.stock_id {
            pairs.push(("stock_id", id.as_str().to_owned()));
        }
        pairs.push(("appid", self.appid.as_str().to_owned()));
        if let Some(state) = &self.coupon_state {
            pairs.push(("coupon_state", state.as_str().to_owned()));
        }
        push_paging_pairs(&mut pairs, self.page_size, self.page_token.as_ref());
        if let Some(id) = &self.user_coupon_bundle_id {
            pairs.push(("user_coupon_bundle_id", id.as_str().to_owned()));
        }
        if let Some(id) = &self.brand_id {
            pairs.push(("brand_id", id.as_str().to_owned()));
        }
        pairs
    }

    /// Checks `page-size-range` (reported at `/page_size`).
    pub fn validate(&self) -> Result<(), Violations> {
        validate_list_request(self.page_size)
    }

    /// The context for validating this request's response (records whether
    /// a `page_token` was sent).
    pub fn response_context(&self) -> ValidationContext {
        list_response_context(self.page_token.as_ref())
    }
}

/// One page of a user's coupons (page 002).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ListUserCouponsResponse {
    /// Total matching coupons; present iff the request carried no `page_token`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_count: Option<i64>,
    /// The coupons of this page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_coupon_list: Option<Vec<UserCoupon>>,
    /// Token of the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<PageToken>,
}

impl ListUserCouponsResponse {
    /// The coupons of this page (empty when `user_coupon_list` is absent).
    pub fn user_coupons(&self) -> &[UserCoupon] {
        self.user_coupon_list.as_deref().unwrap_or(&[])
    }

    /// Checks `total-count-iff-first-page` (when `ctx.page_token_sent` is
    /// set) and every user coupon (each with its own product coupon as its
    /// stock's context; `ctx`'s product-coupon parts only for coupons that
    /// carry none). Pointers are relative to the response.
    pub fn validate(&self, ctx: Option<&ValidationContext>) -> Result<(), Violations> {
        validate_list_response(
            ctx,
            self.total_count.is_some(),
            "user_coupon_list",
            self.user_coupon_list.as_deref(),
            UserCoupon::check,
        )
    }
}
