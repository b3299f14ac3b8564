//! The operations' business logic, one handler per operation of the table,
//! over [`State`]: lookups with ownership checks, state transitions, budgets,
//! and the refusals with their WeChat Pay error numbers. No HTTP here: the
//! dispatcher parses, authorises and replays; handlers decide and change.

pub(crate) mod other;
pub(crate) mod product_coupons;
pub(crate) mod stocks;
pub(crate) mod user_coupons;

use coupon_model::coupon_bundle::UserCouponBundle;
use coupon_model::coupon_code::UploadCouponCodesResponse;
use coupon_model::image_task::{CreateImageGenerationTaskResponse, ImageGenerationTask};
use coupon_model::media::UploadImageResponse;
use coupon_model::notify::NotifyUrlConfig;
use coupon_model::operation::Side;
use coupon_model::product_coupon::{CreateProductCouponResponse, ProductCoupon};
use coupon_model::stock::{ListStocksResponse, Stock};
use coupon_model::stock_bundle::StockBundle;
use coupon_model::store::{AssociateStoresResponse, ListAssociatedStoresResponse};
use coupon_model::user_coupon::{
    ListUserCouponsResponse, PreSendUserProductCouponResponse, UserCoupon,
};
use coupon_model::webhook::ProductCouponEvent;
use coupon_model::{ErrorCode, RuleId, Violations};
use http::StatusCode;
use serde_json::{Value, json};

use crate::paging::Query;
use crate::respond::ApiError;
use crate::state::{BundleRecord, ProductCouponRecord, State, brand};

/// 用户券状态非法: the coupon's state does not allow the operation.
pub(crate) const COUPON_STATE_ILLEGAL: u32 = 268_578_367;
/// 券已被其他订单核销: a used coupon, used again under another number.
pub(crate) const USED_BY_ANOTHER_ORDER: u32 = 272_756_745;
/// The coupon is outside its usable period (not yet, or no longer).
pub(crate) const OUTSIDE_USABLE_PERIOD: u32 = 272_755_715;
/// Unknown coupon code.
pub(crate) const UNKNOWN_COUPON_CODE: u32 = 268_578_851;
/// 商品券批次状态不是发放中: only `SENDING` stocks send.
pub(crate) const STOCK_NOT_SENDING: u32 = 268_577_984;
/// 用户领取券张数已达上限: the stock's `max_count_per_user`.
pub(crate) const PER_USER_LIMIT: u32 = 272_756_740;
/// 相同单号但请求数据不一致: a request number reused with other data.
pub(crate) const SAME_NUMBER_OTHER_DATA: u32 = 268_578_927;

/// The brand-side and partner-side event types of a sent coupon.
pub(crate) const EVENT_SEND: &str = "PRODUCT_COUPON.SEND";
/// The service provider's variant (payload with `brand_id`).
pub(crate) const EVENT_SP_SEND: &str = "PRODUCT_COUPON_SP.SEND";

/// The decoded path parameters of a request, by placeholder name.
#[derive(Debug, Default)]
pub(crate) struct Params(pub Vec<(&'static str, String)>);

impl Params {
    /// The value of `name` (empty when the operation has no such placeholder,
    /// which routing rules out).
    pub(crate) fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// `a/b/c`: what a replay must address again.
    pub(crate) fn target(&self) -> String {
        self.0
            .iter()
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
            .join("/")
    }
}

/// What a handler knows about the call.
#[derive(Debug)]
pub(crate) struct Call<'a> {
    /// Brand or partner side.
    pub side: Side,
    /// The brand acted for: the brand's own id, or the partner's `brand_id`;
    /// `None` for the service provider's own settings (notify config, images).
    pub brand: Option<&'a str>,
    /// The injected clock's reading for this request.
    pub now: i64,
    /// Decoded path parameters.
    pub params: &'a Params,
    /// The query.
    pub query: &'a Query,
    /// Seconds a new product coupon or stock stays `AUDITING`.
    pub review_delay: i64,
}

impl Call<'_> {
    /// The brand acted for; operations that act for a brand always have one.
    pub(crate) fn brand(&self) -> &str {
        self.brand.unwrap_or_default()
    }

    /// Whether the call came through the partner side.
    pub(crate) fn partner(&self) -> bool {
        self.side == Side::Partner
    }
}

/// A notification an operation produced, delivered after the state is saved.
#[derive(Debug, Clone)]
pub(crate) struct Notice {
    /// Where to POST it (the configured notify URL).
    pub url: String,
    /// `PRODUCT_COUPON.SEND` or `PRODUCT_COUPON_SP.SEND`.
    pub event_type: &'static str,
    /// The decrypted payload.
    pub payload: ProductCouponEvent,
}

/// A handler's answer and the notifications it produced.
#[derive(Debug)]
pub(crate) struct Reply<R> {
    /// The answer.
    pub answer: R,
    /// Notifications to deliver.
    pub notices: Vec<Notice>,
}

impl<R> Reply<R> {
    /// An answer without notifications.
    pub(crate) fn of(answer: R) -> Self {
        Self {
            answer,
            notices: Vec::new(),
        }
    }
}

/// An answer type that names the brand on the partner side.
pub(crate) trait WithBrand {
    /// Sets the answer's `brand_id`, where it has one.
    fn set_brand(&mut self, brand_id: &str) {
        let _ = brand_id;
    }
}

impl WithBrand for ProductCoupon {
    fn set_brand(&mut self, brand_id: &str) {
        self.brand_id = Some(brand(brand_id));
    }
}

impl WithBrand for CreateProductCouponResponse {
    fn set_brand(&mut self, brand_id: &str) {
        self.product_coupon.brand_id = Some(brand(brand_id));
    }
}

impl WithBrand for Stock {
    fn set_brand(&mut self, brand_id: &str) {
        self.brand_id = Some(brand(brand_id));
    }
}

impl WithBrand for StockBundle {
    fn set_brand(&mut self, brand_id: &str) {
        self.brand_id = Some(brand(brand_id));
    }
}

impl WithBrand for UserCoupon {
    fn set_brand(&mut self, brand_id: &str) {
        self.brand_id = Some(brand(brand_id));
    }
}

impl WithBrand for ImageGenerationTask {
    fn set_brand(&mut self, brand_id: &str) {
        self.brand_id = Some(brand(brand_id));
    }
}

impl WithBrand for CreateImageGenerationTaskResponse {
    fn set_brand(&mut self, brand_id: &str) {
        self.brand_id = Some(brand(brand_id));
    }
}

impl WithBrand for ListStocksResponse {}
impl WithBrand for ListUserCouponsResponse {}
impl WithBrand for ListAssociatedStoresResponse {}
impl WithBrand for AssociateStoresResponse {}
impl WithBrand for UploadCouponCodesResponse {}
impl WithBrand for PreSendUserProductCouponResponse {}
impl WithBrand for NotifyUrlConfig {}
impl WithBrand for UploadImageResponse {}
impl WithBrand for UserCouponBundle {}

/// 400 `INVALID_REQUEST` for a refused transition: `message` says why;
/// `number` (the WeChat Pay business error number, if any) ends the `Request-ID`.
pub(crate) fn refused(number: Option<u32>, message: impl Into<String>) -> ApiError {
    let e = ApiError::invalid_request(message);
    match number {
        Some(n) => e.with_business_code(n),
        None => e,
    }
}

/// 404 `NOT_FOUND` naming the parameter that named nothing.
pub(crate) fn not_found(field: &str, location: &str, message: impl Into<String>) -> ApiError {
    ApiError::not_found(message).with_detail(
        Some(field.to_owned()),
        location,
        Some("not found".to_owned()),
        None,
    )
}

/// 403 `NO_AUTH`: the object belongs to another brand.
pub(crate) fn foreign(what: &str, id: &str, owner: &str, acting: &str) -> ApiError {
    ApiError::no_auth(format!(
        "无权操作其他品牌的{what} ({what} {id:?} belongs to brand {owner}, not to brand {acting}; act on your own brand's objects)"
    ))
}

/// 400 for model-validation violations: `INVALID_REQUEST` naming the rules,
/// or `PARAM_ERROR` when a format rule (time, request number) is broken.
pub(crate) fn violations_error(violations: &Violations) -> ApiError {
    let list = violations.as_slice();
    let format_rule = |r: RuleId| matches!(r, RuleId::TimeFormat | RuleId::OutRequestNoFormat);
    let (code, head) = if list.iter().any(|v| format_rule(v.rule)) {
        (ErrorCode::ParamError, "参数格式错误")
    } else {
        (ErrorCode::InvalidRequest, "传入参数不符合业务规则")
    };
    let items: Vec<String> = list
        .iter()
        .map(|v| format!("[{}] {}: {}", v.rule.as_str(), v.path, v.message))
        .collect();
    let message = format!(
        "{head} ({} violation{} of the product-coupon rules: {})",
        list.len(),
        if list.len() == 1 { "" } else { "s" },
        items.join("; ")
    );
    let value = Value::Array(
        list.iter()
            .map(|v| json!({ "rule": v.rule.as_str(), "path": v.path, "message": v.message }))
            .collect(),
    );
    let first = list.first();
    ApiError::new(StatusCode::BAD_REQUEST, code, message).with_detail(
        first.map(|v| v.path.clone()),
        "body",
        first.map(|v| v.rule.as_str().to_owned()),
        Some(value),
    )
}

/// Runs a validation, turning violations into the 400 answer.
pub(crate) fn check(result: Result<(), Violations>) -> Result<(), ApiError> {
    result.map_err(|v| violations_error(&v))
}

/// A query filter that must be one of the documented enum values.
pub(crate) fn known_state<T: From<String>>(
    query: &Query,
    name: &str,
    is_unknown: impl Fn(&T) -> bool,
) -> Result<Option<T>, ApiError> {
    let Some(raw) = query.non_empty(name)? else {
        return Ok(None);
    };
    let value = T::from(raw.to_owned());
    if is_unknown(&value) {
        return Err(ApiError::param(
            name,
            "query",
            format!("{name} 取值不合法 (unknown {name} {raw:?}; use one of the documented values)"),
        ));
    }
    Ok(Some(value))
}

/// 404 for a product coupon id that names nothing.
pub(crate) fn no_product_coupon(id: &str) -> ApiError {
    not_found(
        "product_coupon_id",
        "path",
        format!(
            "未找到 product_coupon_id 对应的商品券 (no product coupon {id:?} in the sandbox; the seeded ones are {}, {} and {})",
            crate::seed::PRODUCT_COUPON_ID,
            crate::seed::BUNDLE_PRODUCT_COUPON_ID,
            crate::seed::SINGLE_SCOPE_PRODUCT_COUPON_ID
        ),
    )
}

/// 500 when the sandbox cannot serialise its own answer (a bug).
pub(crate) fn internal(what: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::SystemError,
        format!("the sandbox could not build its answer: {what}"),
    )
}

impl State {
    /// The product coupon `id` of the calling brand: 404 when unknown, 403
    /// when another brand's.
    pub(crate) fn owned_product_coupon(
        &self,
        call: &Call<'_>,
        id: &str,
        location: &str,
    ) -> Result<&ProductCouponRecord, ApiError> {
        let record = self.product_coupons.get(id).ok_or_else(|| {
            let e = no_product_coupon(id);
            if location == "path" {
                e
            } else {
                e.with_detail(
                    Some(field_name(location, "product_coupon_id")),
                    location,
                    Some("not found".to_owned()),
                    None,
                )
            }
        })?;
        if record.owner != call.brand() {
            return Err(foreign("商品券", id, &record.owner, call.brand()));
        }
        Ok(record)
    }

    /// The stock `stock_id` of product coupon `pc` of the calling brand (its
    /// position): 404 when unknown or under another product coupon, 403 when
    /// another brand's.
    pub(crate) fn owned_stock(
        &self,
        call: &Call<'_>,
        pc: &str,
        stock_id: &str,
        location: &str,
    ) -> Result<usize, ApiError> {
        let i = self
            .stock_index(stock_id)
            .filter(|&i| {
                self.stocks
                    .get(i)
                    .is_some_and(|s| s.stock.product_coupon_id.as_str() == pc)
            })
            .ok_or_else(|| {
                not_found(
                    &field_name(location, "stock_id"),
                    location,
                    format!(
                        "未找到 stock_id 对应的商品券批次 (no stock {stock_id:?} under product coupon {pc:?} in the sandbox)"
                    ),
                )
            })?;
        let owner = self.stocks.get(i).map_or("", |s| s.owner.as_str());
        if owner != call.brand() {
            return Err(foreign("批次", stock_id, owner, call.brand()));
        }
        Ok(i)
    }

    /// The stock bundle `id` of product coupon `pc` of the calling brand.
    pub(crate) fn owned_bundle(
        &self,
        call: &Call<'_>,
        pc: &str,
        id: &str,
        location: &str,
    ) -> Result<&BundleRecord, ApiError> {
        let bundle = self
            .bundles
            .get(id)
            .filter(|b| b.product_coupon_id == pc)
            .ok_or_else(|| {
                not_found(
                    &field_name(location, "stock_bundle_id"),
                    location,
                    format!(
                        "未找到 stock_bundle_id 对应的批次组 (no stock bundle {id:?} under product coupon {pc:?} in the sandbox)"
                    ),
                )
            })?;
        if bundle.owner != call.brand() {
            return Err(foreign("批次组", id, &bundle.owner, call.brand()));
        }
        Ok(bundle)
    }

    /// The position of coupon `code` held by `openid`, of the calling brand:
    /// 404 (…-268578851) when no such coupon, 403 when another brand's.
    pub(crate) fn owned_coupon(
        &self,
        call: &Call<'_>,
        openid: &str,
        code: &str,
    ) -> Result<usize, ApiError> {
        let unknown = || {
            not_found(
                "coupon_code",
                "path",
                format!("券码不存在 (user {openid:?} holds no coupon {code:?} in the sandbox)"),
            )
            .with_business_code(UNKNOWN_COUPON_CODE)
        };
        let key = crate::state::code_key(call.brand(), code);
        if let Some(&i) = self.idx.code.get(&key) {
            return match self.coupons.get(i) {
                Some(c) if c.openid == openid => Ok(i),
                _ => Err(unknown()),
            };
        }
        // Held by the user, but another brand's?
        let other = self
            .idx
            .by_openid
            .get(openid)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.coupons.get(i))
            .find(|c| c.coupon.coupon_code.as_str() == code);
        match other {
            Some(c) => Err(foreign("用户券", code, &c.owner, call.brand())),
            None => Err(unknown()),
        }
    }

    /// Checks `appid` is bound and `openid` belongs to it (a new OpenID is
    /// accepted: it is registered under `appid` when it receives a coupon).
    pub(crate) fn check_user(
        &self,
        openid: &str,
        appid: &str,
        location: &str,
        call: &Call<'_>,
    ) -> Result<(), ApiError> {
        if !self.bound_appids.iter().any(|a| a == appid) {
            return Err(ApiError::invalid_request(format!(
                "AppID 与品牌没有绑定关系 (appid {appid:?} is not bound to brand {}; bound: {})",
                call.brand(),
                self.bound_appids.join(", ")
            ))
            .with_detail(
                Some(field_name(location, "appid")),
                location,
                Some("not bound".into()),
                None,
            ));
        }
        match self.users.get(openid) {
            Some(a) if a != appid => Err(ApiError::invalid_request(format!(
                "传入的OpenID不合法,请使用参数 AppID 对应的的OpenID (openid {openid:?} does not belong to appid {appid:?})"
            ))
            .with_detail(Some("openid".into()), "path", Some("invalid openid".into()), None)),
            _ => Ok(()),
        }
    }
}

/// A JSON pointer for body fields (`/stock_id`), the bare name for path and query ones.
pub(crate) fn field_name(location: &str, name: &str) -> String {
    if location == "body" {
        format!("/{name}")
    } else {
        name.to_owned()
    }
}
