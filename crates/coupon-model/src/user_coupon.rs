//! User coupons (用户商品券): the user coupon and its rules, the
//! list-user-coupons answer (page 002), and the bodies of send, pre-send,
//! confirm, use, return and deactivate. The request types are in
//! [`crate::operations`].

use serde::{Deserialize, Serialize};

use crate::common::Fen;
use crate::ids::{
    AppId, BrandId, CouponCode, MchId, OutRequestNo, OutTradeNo, PageToken, ProductCouponId,
    RequestNo, StockId, StoreId, TransactionId, UserCouponBundleId,
};
use crate::product_coupon::ProductCoupon;
use crate::stock::Stock;
use crate::time::Timestamp;
use crate::validate::{
    Checker, Path, RuleId, ValidationContext, Violations, check_deactivation, check_opt_time,
    check_out_request_no, check_request_no_field, check_time, list_response_context,
    validate_list_response, validate_request_no,
};

/// The request types of this resource's operations (defined by the table in
/// [`crate::operations`]).
pub use crate::operations::{
    ConfirmSendUserProductCouponRequest, DeactivateUserProductCouponRequest,
    GetUserProductCouponRequest, ListUserCouponsRequest, ListUserProductCouponsRequest,
    PreSendUserProductCouponRequest, ReturnUserProductCouponRequest, SendUserProductCouponRequest,
    UseUserProductCouponRequest,
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
    /// The amount the user saved, in fen (a third-party SDK's model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saved_amount: Option<Fen>,
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
    /// The PayScore order it was used with (a third-party SDK's model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub associated_pay_score_order_info: Option<AssociatedPayScoreOrderInfo>,
    /// The amount the user saved, in fen (a third-party SDK's model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saved_amount: Option<Fen>,
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

impl crate::operations::ListUserProductCouponsRequest {
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

/// The JSON body of `send-user-product-coupon`: which stock's coupon goes to
/// the user (the path's `openid`).
///
/// Required (request type, strict): `product_coupon_id`, `stock_id`,
/// `appid`, `send_request_no`. `coupon_code` is the brand's own code for an
/// `API_ASSIGN` stock (the samples always set one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendUserProductCouponBody {
    /// The product coupon.
    pub product_coupon_id: ProductCouponId,
    /// The stock to send from.
    pub stock_id: StockId,
    /// The code to give the coupon (`API_ASSIGN` stocks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon_code: Option<CouponCode>,
    /// The AppID the user's OpenID belongs to.
    pub appid: AppId,
    /// Idempotency key of the send, 6–40 characters of `[0-9A-Za-z_-]`;
    /// echoed as the coupon's `send_request_no`.
    pub send_request_no: RequestNo,
    /// The brand's data, echoed in the SEND notification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attach: Option<String>,
    /// Tags of the coupon (e.g. member coupons).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon_tag_info: Option<CouponTagInfo>,
    /// The brand the partner acts for (partner side only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand_id: Option<BrandId>,
}

impl SendUserProductCouponBody {
    /// A send of a coupon of `stock_id` under `appid`.
    pub fn new(
        product_coupon_id: impl Into<ProductCouponId>,
        stock_id: impl Into<StockId>,
        appid: impl Into<AppId>,
        send_request_no: impl Into<RequestNo>,
    ) -> Self {
        Self {
            product_coupon_id: product_coupon_id.into(),
            stock_id: stock_id.into(),
            coupon_code: None,
            appid: appid.into(),
            send_request_no: send_request_no.into(),
            attach: None,
            coupon_tag_info: None,
            brand_id: None,
        }
    }

    /// With the brand's own code (`API_ASSIGN` stocks).
    pub fn with_coupon_code(mut self, code: impl Into<CouponCode>) -> Self {
        self.coupon_code = Some(code.into());
        self
    }

    /// With data echoed in the SEND notification.
    pub fn with_attach(mut self, attach: impl Into<String>) -> Self {
        self.attach = Some(attach.into());
        self
    }

    /// Checks `out-request-no-format` on `send_request_no`.
    pub fn validate(&self) -> Result<(), Violations> {
        validate_send_request_no(&self.send_request_no)
    }
}

impl_request_body!(
    SendUserProductCouponBody,
    validate = SendUserProductCouponBody::validate,
    brand_id
);

/// The JSON body of `pre-send-user-product-coupon`: like a send, answered
/// with a token for the receive component (valid 5 minutes).
///
/// Required (request type, strict): `product_coupon_id`, `stock_id`,
/// `appid`, `send_request_no`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreSendUserProductCouponBody {
    /// The product coupon.
    pub product_coupon_id: ProductCouponId,
    /// The stock to send from.
    pub stock_id: StockId,
    /// The code to give the coupon (`API_ASSIGN` stocks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon_code: Option<CouponCode>,
    /// The AppID the user's OpenID belongs to.
    pub appid: AppId,
    /// Idempotency key of the send, 6–40 characters of `[0-9A-Za-z_-]`.
    pub send_request_no: RequestNo,
    /// The brand's data, echoed in the SEND notification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attach: Option<String>,
    /// The brand the partner acts for (partner side only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand_id: Option<BrandId>,
}

impl PreSendUserProductCouponBody {
    /// A pre-send of a coupon of `stock_id` under `appid`.
    pub fn new(
        product_coupon_id: impl Into<ProductCouponId>,
        stock_id: impl Into<StockId>,
        appid: impl Into<AppId>,
        send_request_no: impl Into<RequestNo>,
    ) -> Self {
        Self {
            product_coupon_id: product_coupon_id.into(),
            stock_id: stock_id.into(),
            coupon_code: None,
            appid: appid.into(),
            send_request_no: send_request_no.into(),
            attach: None,
            brand_id: None,
        }
    }

    /// Checks `out-request-no-format` on `send_request_no`.
    pub fn validate(&self) -> Result<(), Violations> {
        validate_send_request_no(&self.send_request_no)
    }
}

impl_request_body!(
    PreSendUserProductCouponBody,
    validate = PreSendUserProductCouponBody::validate,
    brand_id
);

/// The answer of `pre-send-user-product-coupon`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PreSendUserProductCouponResponse {
    /// The token for the receive component (valid 5 minutes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// Declares the body of a call on one user coupon (confirm, use, return,
/// deactivate): the fields they all send — which coupon (with the path's
/// `openid` and `coupon_code`), under which AppID, with which idempotency
/// key — plus the call's own required and optional fields.
macro_rules! user_coupon_body {
    (
        $(#[$meta:meta])*
        $name:ident {
            required { $($(#[$rmeta:meta])* $req:ident : $rty:ty),* $(,)? }
            optional { $($(#[$ometa:meta])* $opt:ident : $oty:ty),* $(,)? }
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        pub struct $name {
            /// The product coupon.
            pub product_coupon_id: ProductCouponId,
            /// The stock the coupon was sent from.
            pub stock_id: StockId,
            /// The AppID the user's OpenID belongs to.
            pub appid: AppId,
            /// Idempotency key, 6–40 characters of `[0-9A-Za-z_-]`.
            pub out_request_no: OutRequestNo,
            $($(#[$rmeta])* pub $req: $rty,)*
            $(
                $(#[$ometa])*
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $opt: Option<$oty>,
            )*
            /// The brand the partner acts for (partner side only).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub brand_id: Option<BrandId>,
        }

        impl $name {
            /// A body for the coupon of `stock_id` under `appid`, with the
            /// call's required fields; optional ones are unset.
            pub fn new(
                product_coupon_id: impl Into<ProductCouponId>,
                stock_id: impl Into<StockId>,
                appid: impl Into<AppId>,
                out_request_no: impl Into<OutRequestNo>,
                $($req: impl Into<$rty>,)*
            ) -> Self {
                Self {
                    product_coupon_id: product_coupon_id.into(),
                    stock_id: stock_id.into(),
                    appid: appid.into(),
                    out_request_no: out_request_no.into(),
                    $($req: $req.into(),)*
                    $($opt: None,)*
                    brand_id: None,
                }
            }
        }
    };
}

user_coupon_body! {
    /// The JSON body of `confirm-send-user-product-coupon`: take the coupon
    /// from `CONFIRMING` to `PENDING`/`EFFECTIVE` after its SEND notification.
    /// The `out_request_no` is echoed as `confirm_request_no`.
    ///
    /// Required (request type, strict): all fields but `brand_id`.
    ConfirmUserProductCouponBody {
        required {}
        optional {}
    }
}

impl_request_body!(
    ConfirmUserProductCouponBody,
    validate = |b| validate_request_no(&b.out_request_no),
    brand_id
);

user_coupon_body! {
    /// The JSON body of `return-user-product-coupon`: undo a use (its order
    /// was refunded). The `out_request_no` is echoed as `return_request_no`.
    ///
    /// Required (request type, strict): all fields but `brand_id`.
    ReturnUserProductCouponBody {
        required {}
        optional {}
    }
}

impl_request_body!(
    ReturnUserProductCouponBody,
    validate = |b| validate_request_no(&b.out_request_no),
    brand_id
);

user_coupon_body! {
    /// The JSON body of `deactivate-user-product-coupon`. The
    /// `out_request_no` is echoed as `deactivate_request_no`.
    ///
    /// Required (request type, strict): all fields but `brand_id`.
    DeactivateUserProductCouponBody {
        required {
            /// Why it is deactivated.
            deactivate_reason: String,
        }
        optional {}
    }
}

impl_request_body!(
    DeactivateUserProductCouponBody,
    validate = |b| validate_request_no(&b.out_request_no),
    brand_id
);

user_coupon_body! {
    /// The JSON body of `use-user-product-coupon`: redeem an `EFFECTIVE`
    /// coupon against exactly one order (a payment or a PayScore order,
    /// "二选一必传"). The `out_request_no` is echoed as `use_request_no`;
    /// the same number again is answered as success.
    ///
    /// Required (request type, strict): `product_coupon_id`, `stock_id`,
    /// `appid`, `out_request_no`, `use_time`, and one of the order infos
    /// (checked by validation).
    UseUserProductCouponBody {
        required {
            /// When it was used (RFC 3339 with seconds).
            use_time: Timestamp,
        }
        optional {
            /// The store it was used in.
            store_id: StoreId,
            /// The payment order (or the PayScore order below).
            associated_order_info: AssociatedOrderInfo,
            /// The PayScore order (or the payment order above).
            associated_pay_score_order_info: AssociatedPayScoreOrderInfo,
        }
    }
}

impl UseUserProductCouponBody {
    /// Used against a payment order.
    pub fn with_order(mut self, order: AssociatedOrderInfo) -> Self {
        self.associated_order_info = Some(order);
        self
    }

    /// Used against a PayScore order.
    pub fn with_pay_score_order(mut self, order: AssociatedPayScoreOrderInfo) -> Self {
        self.associated_pay_score_order_info = Some(order);
        self
    }

    /// Used in store `store_id`.
    pub fn with_store_id(mut self, store_id: impl Into<StoreId>) -> Self {
        self.store_id = Some(store_id.into());
        self
    }

    /// Checks `out-request-no-format`, `time-format` on `use_time` and
    /// `use-needs-one-order`.
    pub fn validate(&self) -> Result<(), Violations> {
        let mut c = Checker::request();
        let p = Path::ROOT;
        check_out_request_no(&mut c, &p.key("out_request_no"), &self.out_request_no);
        check_time(&mut c, &p.key("use_time"), &self.use_time);
        match (
            self.associated_order_info.is_some(),
            self.associated_pay_score_order_info.is_some(),
        ) {
            (false, false) => c.report(
                RuleId::UseNeedsOneOrder,
                &p.key("associated_order_info"),
                "add associated_order_info (a payment) or associated_pay_score_order_info (a PayScore order): a use names its order".to_owned(),
            ),
            (true, true) => c.report(
                RuleId::UseNeedsOneOrder,
                &p.key("associated_pay_score_order_info"),
                "keep only one order: remove associated_pay_score_order_info or associated_order_info".to_owned(),
            ),
            _ => {}
        }
        c.finish()
    }
}

impl_request_body!(
    UseUserProductCouponBody,
    validate = UseUserProductCouponBody::validate,
    brand_id
);

/// `out-request-no-format` on a body's `send_request_no`.
fn validate_send_request_no(value: &RequestNo) -> Result<(), Violations> {
    let mut c = Checker::request();
    check_request_no_field(
        &mut c,
        &Path::ROOT.key("send_request_no"),
        "send_request_no",
        value.as_str(),
    );
    c.finish()
}
