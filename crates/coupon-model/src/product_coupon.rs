//! The product coupon (商品券) and the partner "modify product coupon"
//! request (page 003, `PATCH /v3/marketing/partner/product-coupon/product-coupons/{product_coupon_id}`).

use serde::{Deserialize, Serialize};

use crate::common::{DiscountCouponUsageRule, Fen, NormalCouponUsageRule};
use crate::ids::{AppId, BrandId, OutProductNo, OutRequestNo, ProductCouponId, RequestNo};
use crate::time::Timestamp;
use crate::validate::{
    Checker, ModeKind, Path, RuleId, ScopeKind, TypeKind, ValidationContext, Violations,
    check_deactivation, check_matches_type, check_max_chars, check_opt_time, check_out_request_no,
    check_range,
};

string_enum! {
    /// What the product coupon applies to (`scope`).
    pub enum ProductCouponScope {
        /// Storewide (全场券): `type` is `NORMAL` or `DISCOUNT`.
        All = "ALL",
        /// One product (单品券): any `type`.
        Single = "SINGLE",
    }
}

string_enum! {
    /// The kind of discount (`type`).
    pub enum ProductCouponType {
        /// Fixed amount off (满减券).
        Normal = "NORMAL",
        /// Percentage off (折扣券).
        Discount = "DISCOUNT",
        /// Exchange for a price (换购券), only with scope `SINGLE`.
        Exchange = "EXCHANGE",
    }
}

string_enum! {
    /// How many times a received coupon can be used (`usage_mode`).
    pub enum UsageMode {
        /// Once (单券).
        Single = "SINGLE",
        /// Several times in sequence (次卡/多次优惠). The official samples spell
        /// it `PROGRESSIVE_BUNDLE`: accepted on input, written `SEQUENTIAL`.
        Sequential = "SEQUENTIAL" | "PROGRESSIVE_BUNDLE",
    }
}

string_enum! {
    /// State of a product coupon (`state`).
    pub enum ProductCouponState {
        /// Under review; unusable until approved.
        Auditing = "AUDITING",
        /// In effect.
        Effective = "EFFECTIVE",
        /// Deactivated by the brand.
        Deactivated = "DEACTIVATED",
    }
}

string_enum! {
    /// How the discounts of a sequential coupon's uses relate
    /// (`sequential_usage_info.type`). The pages show only `EQUAL`.
    pub enum SequentialUsageType {
        /// Every use grants the same discount.
        Equal = "EQUAL",
    }
}

/// A product coupon (商品券), as returned by the API.
///
/// Required: `product_coupon_id` (the coupon is meaningless without it).
/// Everything else is optional on parse, including the documented-required
/// `scope`, `type`, `usage_mode`, `display_info` and `state`.
///
/// `sequential_usage_info` is also accepted under the samples' name
/// `progressive_bundle_usage_info` (same object); it is always written as
/// `sequential_usage_info`. If both names appear, `sequential_usage_info` wins.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(from = "wire::ProductCouponWire")]
pub struct ProductCoupon {
    /// The product coupon id.
    pub product_coupon_id: ProductCouponId,
    /// What it applies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<ProductCouponScope>,
    /// The kind of discount (`type`).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub coupon_type: Option<ProductCouponType>,
    /// Single or sequential use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_mode: Option<UsageMode>,
    /// The discount of a storewide single-use coupon; present iff
    /// `usage_mode` is `SINGLE` and `scope` is `ALL`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub single_usage_info: Option<SingleUsageInfo>,
    /// The sequential settings; present iff `usage_mode` is sequential.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequential_usage_info: Option<SequentialUsageInfo>,
    /// What the user sees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_info: Option<ProductCouponDisplayInfo>,
    /// The merchant's product number, echoed back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_product_no: Option<OutProductNo>,
    /// State.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<ProductCouponState>,
    /// Present iff `state` is `DEACTIVATED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deactivate_request_no: Option<RequestNo>,
    /// Present iff `state` is `DEACTIVATED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deactivate_time: Option<Timestamp>,
    /// Present iff `state` is `DEACTIVATED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deactivate_reason: Option<String>,
    /// The brand (partner endpoints only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand_id: Option<BrandId>,
}

mod wire {
    use super::*;

    /// Input shape accepting both names of the sequential info.
    #[derive(Deserialize)]
    pub(super) struct ProductCouponWire {
        product_coupon_id: ProductCouponId,
        #[serde(default)]
        scope: Option<ProductCouponScope>,
        #[serde(rename = "type", default)]
        coupon_type: Option<ProductCouponType>,
        #[serde(default)]
        usage_mode: Option<UsageMode>,
        #[serde(default)]
        single_usage_info: Option<SingleUsageInfo>,
        #[serde(default)]
        sequential_usage_info: Option<SequentialUsageInfo>,
        #[serde(default)]
        progressive_bundle_usage_info: Option<SequentialUsageInfo>,
        #[serde(default)]
        display_info: Option<ProductCouponDisplayInfo>,
        #[serde(default)]
        out_product_no: Option<OutProductNo>,
        #[serde(default)]
        state: Option<ProductCouponState>,
        #[serde(default)]
        deactivate_request_no: Option<RequestNo>,
        #[serde(default)]
        deactivate_time: Option<Timestamp>,
        #[serde(default)]
        deactivate_reason: Option<String>,
        #[serde(default)]
        brand_id: Option<BrandId>,
    }

    impl From<ProductCouponWire> for ProductCoupon {
        fn from(w: ProductCouponWire) -> Self {
            Self {
                product_coupon_id: w.product_coupon_id,
                scope: w.scope,
                coupon_type: w.coupon_type,
                usage_mode: w.usage_mode,
                single_usage_info: w.single_usage_info,
                sequential_usage_info: w.sequential_usage_info.or(w.progressive_bundle_usage_info),
                display_info: w.display_info,
                out_product_no: w.out_product_no,
                state: w.state,
                deactivate_request_no: w.deactivate_request_no,
                deactivate_time: w.deactivate_time,
                deactivate_reason: w.deactivate_reason,
                brand_id: w.brand_id,
            }
        }
    }
}

impl ProductCoupon {
    /// Checks every rule that applies to a product coupon (it carries its
    /// own scope, type and usage mode, so `ctx` is not needed and is ignored;
    /// the parameter keeps all `validate` signatures alike).
    pub fn validate(&self, ctx: Option<&ValidationContext>) -> Result<(), Violations> {
        let _ = ctx;
        let mut c = Checker::response();
        self.check(&mut c, &Path::ROOT);
        c.finish()
    }

    pub(crate) fn check(&self, c: &mut Checker, p: &Path<'_>) {
        let scope = self.scope.as_ref().and_then(ScopeKind::of);
        let kind = self.coupon_type.as_ref().and_then(TypeKind::of);
        let mode = self.usage_mode.as_ref().and_then(ModeKind::of);

        // single-info-iff-single-all
        let single_expected = match (mode, scope) {
            (Some(ModeKind::Sequential), _) => Some(false),
            (Some(ModeKind::Single), Some(ScopeKind::All)) => Some(true),
            (Some(ModeKind::Single), Some(ScopeKind::Single)) => Some(false),
            _ => None,
        };
        match (single_expected, self.single_usage_info.is_some()) {
            (Some(true), false) => c.report(
                RuleId::SingleInfoIffSingleAll,
                &p.key("single_usage_info"),
                "add single_usage_info: a storewide (scope ALL) single-use coupon carries its discount there".to_owned(),
            ),
            (Some(false), true) => c.report(
                RuleId::SingleInfoIffSingleAll,
                &p.key("single_usage_info"),
                format!(
                    "remove single_usage_info: it is present only when usage_mode is SINGLE and scope is ALL (here {} / {})",
                    self.usage_mode.as_ref().map_or("-", UsageMode::as_str),
                    self.scope.as_ref().map_or("-", ProductCouponScope::as_str)
                ),
            ),
            _ => {}
        }
        // rule-matches-type on single_usage_info (EXCHANGE is reported by
        // exchange-only-single-scope / single-info-iff-single-all instead).
        if let (Some(info), Some(kind)) = (&self.single_usage_info, kind) {
            if kind != TypeKind::Exchange {
                check_matches_type(
                    c,
                    &p.key("single_usage_info"),
                    RuleId::RuleMatchesType,
                    kind,
                    [
                        ("normal_coupon", info.normal_coupon.is_some()),
                        ("discount_coupon", info.discount_coupon.is_some()),
                        ("exchange_coupon", false),
                    ],
                    None,
                );
            }
        }
        // sequential-info-iff-sequential
        if let Some(mode) = mode {
            let expected = mode == ModeKind::Sequential;
            if expected != self.sequential_usage_info.is_some() {
                let message = if expected {
                    "add sequential_usage_info: usage_mode is SEQUENTIAL".to_owned()
                } else {
                    "remove sequential_usage_info: usage_mode is SINGLE".to_owned()
                };
                c.report(
                    RuleId::SequentialInfoIffSequential,
                    &p.key("sequential_usage_info"),
                    message,
                );
            }
        }
        // exchange-only-single-scope
        if kind == Some(TypeKind::Exchange) && scope == Some(ScopeKind::All) {
            c.report(
                RuleId::ExchangeOnlySingleScope,
                &p.key("type"),
                "type EXCHANGE needs scope SINGLE; use NORMAL or DISCOUNT for a storewide coupon"
                    .to_owned(),
            );
        }
        // deactivation-iff-deactivated
        if let Some(state) = &self.state {
            let deactivated = match state {
                ProductCouponState::Deactivated => Some(true),
                ProductCouponState::Unknown(_) => None,
                _ => Some(false),
            };
            check_deactivation(
                c,
                p,
                deactivated,
                "state",
                state.as_str(),
                [
                    self.deactivate_request_no.is_some(),
                    self.deactivate_time.is_some(),
                    self.deactivate_reason.is_some(),
                ],
            );
        }
        if let Some(info) = &self.sequential_usage_info {
            info.check(c, &p.key("sequential_usage_info"));
        }
        if let Some(display) = &self.display_info {
            display.check(c, &p.key("display_info"), scope);
        }
        check_opt_time(c, p, "deactivate_time", self.deactivate_time.as_ref());
    }
}

/// The discount of a storewide single-use product coupon (`single_usage_info`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SingleUsageInfo {
    /// For type `NORMAL`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normal_coupon: Option<NormalCouponUsageRule>,
    /// For type `DISCOUNT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_coupon: Option<DiscountCouponUsageRule>,
}

/// Settings of a sequential (multi-use) product coupon
/// (`sequential_usage_info`, alias `progressive_bundle_usage_info`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SequentialUsageInfo {
    /// How the uses' discounts relate (`type`).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub usage_type: Option<SequentialUsageType>,
    /// Number of uses; a stock's `sequential_usage_rule` lists this many discounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    /// Days the uses stay available (1–365).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_days: Option<i64>,
    /// Days between two uses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_days: Option<i64>,
}

impl SequentialUsageInfo {
    fn check(&self, c: &mut Checker, p: &Path<'_>) {
        if let Some(days) = self.available_days {
            check_range(
                c,
                &p.key("available_days"),
                RuleId::AvailableDaysRange,
                days,
                1,
                365,
                "available_days",
            );
        }
    }
}

/// What the user sees of a product coupon (`display_info`).
///
/// Required: `name` (the display is meaningless without it).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ProductCouponDisplayInfo {
    /// Name, 3 to 15 characters.
    pub name: String,
    /// Main image URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    /// Background image URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background_url: Option<String>,
    /// Detail image URLs, at most 8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail_image_url_list: Option<Vec<String>>,
    /// Original price of the product, in fen; present iff scope is `SINGLE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_price: Option<Fen>,
    /// Product packages; non-empty iff scope is `SINGLE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub combo_package_list: Option<Vec<ComboPackage>>,
}

impl ProductCouponDisplayInfo {
    /// A display with a name and main image.
    pub fn new(name: impl Into<String>, image_url: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            image_url: Some(image_url.into()),
            ..Self::default()
        }
    }

    /// With the original price (single-product coupons).
    pub fn with_original_price(mut self, fen: i64) -> Self {
        self.original_price = Some(Fen(fen));
        self
    }

    /// With the packages (single-product coupons).
    pub fn with_combo_packages(mut self, packages: Vec<ComboPackage>) -> Self {
        self.combo_package_list = Some(packages);
        self
    }

    /// `scope` is the owning product coupon's; `None` skips
    /// `single-scope-needs-price-and-combo`.
    pub(crate) fn check(&self, c: &mut Checker, p: &Path<'_>, scope: Option<ScopeKind>) {
        let has_combo = self
            .combo_package_list
            .as_ref()
            .is_some_and(|l| !l.is_empty());
        match scope {
            Some(ScopeKind::Single) => {
                if self.original_price.is_none() {
                    c.report(
                        RuleId::SingleScopeNeedsPriceAndCombo,
                        &p.key("original_price"),
                        "add original_price: a single-product (scope SINGLE) coupon shows the product's price".to_owned(),
                    );
                }
                if !has_combo {
                    c.report(
                        RuleId::SingleScopeNeedsPriceAndCombo,
                        &p.key("combo_package_list"),
                        "add a non-empty combo_package_list: a single-product (scope SINGLE) coupon lists its packages".to_owned(),
                    );
                }
            }
            Some(ScopeKind::All) => {
                if self.original_price.is_some() {
                    c.report(
                        RuleId::SingleScopeNeedsPriceAndCombo,
                        &p.key("original_price"),
                        "remove original_price: it is only for single-product (scope SINGLE) coupons, this one is ALL".to_owned(),
                    );
                }
                if has_combo {
                    c.report(
                        RuleId::SingleScopeNeedsPriceAndCombo,
                        &p.key("combo_package_list"),
                        "remove combo_package_list: it is only for single-product (scope SINGLE) coupons, this one is ALL".to_owned(),
                    );
                }
            }
            None => {}
        }
        let n = self.name.chars().count();
        if !(3..=15).contains(&n) {
            c.report(
                RuleId::DisplayNameLength,
                &p.key("name"),
                format!("name has {n} characters; use 3 to 15"),
            );
        }
        if let Some(list) = &self.detail_image_url_list {
            if list.len() > 8 {
                c.report(
                    RuleId::DetailImagesMax,
                    &p.key("detail_image_url_list"),
                    format!(
                        "detail_image_url_list has {} images; keep at most 8",
                        list.len()
                    ),
                );
            }
        }
        if let Some(list) = &self.combo_package_list {
            let lp = p.key("combo_package_list");
            if list.len() > 50 {
                c.report(
                    RuleId::ComboLimits,
                    &lp,
                    format!(
                        "combo_package_list has {} packages; keep at most 50",
                        list.len()
                    ),
                );
            }
            for (i, package) in list.iter().enumerate() {
                package.check(c, &lp.index(i));
            }
        }
    }
}

/// A package of a single-product coupon (`combo_package_list[]`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ComboPackage {
    /// Package name, at most 15 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// How many choices the user picks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pick_count: Option<i64>,
    /// The choices, at most 99.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choice_list: Option<Vec<ComboChoice>>,
}

impl ComboPackage {
    fn check(&self, c: &mut Checker, p: &Path<'_>) {
        if let Some(name) = &self.name {
            check_max_chars(
                c,
                &p.key("name"),
                RuleId::ComboLimits,
                name,
                15,
                "the package name",
            );
        }
        if let Some(list) = &self.choice_list {
            let lp = p.key("choice_list");
            if list.len() > 99 {
                c.report(
                    RuleId::ComboLimits,
                    &lp,
                    format!("choice_list has {} choices; keep at most 99", list.len()),
                );
            }
            for (i, choice) in list.iter().enumerate() {
                let cp = lp.index(i);
                if let Some(name) = &choice.name {
                    check_max_chars(
                        c,
                        &cp.key("name"),
                        RuleId::ComboLimits,
                        name,
                        15,
                        "the choice name",
                    );
                }
                if let Some(count) = choice.count {
                    if count > 99 {
                        c.report(
                            RuleId::ComboLimits,
                            &cp.key("count"),
                            format!("count is {count}; keep it at most 99"),
                        );
                    }
                }
            }
        }
    }
}

/// One choice of a package (`choice_list[]`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ComboChoice {
    /// Name, at most 15 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Price, in fen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Fen>,
    /// Quantity, at most 99.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    /// Image URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    /// Mini program showing the item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mini_program_appid: Option<AppId>,
    /// Path in that mini program.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mini_program_path: Option<String>,
}

/// Partner request to modify a product coupon's display (page 003):
/// `PATCH /v3/marketing/partner/product-coupon/product-coupons/{product_coupon_id}`,
/// merchant signing scheme. The response is a [`ProductCoupon`] (with `brand_id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateProductCouponRequest {
    /// Path parameter: the product coupon to modify.
    pub product_coupon_id: ProductCouponId,
    /// The JSON body.
    pub body: UpdateProductCouponBody,
}

/// The JSON body of [`UpdateProductCouponRequest`].
///
/// Required (request type, strict): all three fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateProductCouponBody {
    /// Idempotency key, 6–40 characters of `[0-9A-Za-z_-]`.
    pub out_request_no: OutRequestNo,
    /// The new display information.
    pub display_info: ProductCouponDisplayInfo,
    /// The brand the partner acts for.
    pub brand_id: BrandId,
}

/// The response of [`UpdateProductCouponRequest`].
pub type UpdateProductCouponResponse = ProductCoupon;

impl UpdateProductCouponRequest {
    /// HTTP method.
    pub const METHOD: &'static str = "PATCH";
    /// Path template; substitute the percent-encoded `product_coupon_id`.
    pub const PATH_TEMPLATE: &'static str =
        "/v3/marketing/partner/product-coupon/product-coupons/{product_coupon_id}";

    /// A request for `product_coupon_id`.
    pub fn new(
        product_coupon_id: impl Into<ProductCouponId>,
        out_request_no: impl Into<OutRequestNo>,
        brand_id: impl Into<BrandId>,
        display_info: ProductCouponDisplayInfo,
    ) -> Self {
        Self {
            product_coupon_id: product_coupon_id.into(),
            body: UpdateProductCouponBody {
                out_request_no: out_request_no.into(),
                display_info,
                brand_id: brand_id.into(),
            },
        }
    }

    /// Validates the body (see [`UpdateProductCouponBody::validate`]).
    pub fn validate(&self, ctx: Option<&ValidationContext>) -> Result<(), Violations> {
        self.body.validate(ctx)
    }
}

impl UpdateProductCouponBody {
    /// Checks `out-request-no-format` and the display rules. The product
    /// coupon's `scope` comes from `ctx` (the coupon being modified); without
    /// it `single-scope-needs-price-and-combo` is skipped. Times are not
    /// involved. Pointers are relative to the body.
    pub fn validate(&self, ctx: Option<&ValidationContext>) -> Result<(), Violations> {
        let mut c = Checker::request();
        let p = Path::ROOT;
        check_out_request_no(&mut c, &p.key("out_request_no"), &self.out_request_no);
        self.display_info.check(
            &mut c,
            &p.key("display_info"),
            ValidationContext::scope_kind(ctx),
        );
        c.finish()
    }
}
