//! The product coupon (商品券) and the bodies of the operations on it:
//! create (with its first stock or stock bundle), update (page 003 for the
//! partner side) and deactivate. Get answers a [`ProductCoupon`].

use serde::{Deserialize, Serialize};

use crate::common::{DiscountCouponUsageRule, Fen, NormalCouponUsageRule};
use crate::ids::{AppId, BrandId, OutProductNo, OutRequestNo, ProductCouponId, RequestNo};
use crate::stock::{NewStock, Stock};
use crate::stock_bundle::StockBundle;
use crate::time::Timestamp;
use crate::validate::{
    Checker, ModeKind, Path, RuleId, ScopeKind, TypeKind, ValidationContext, Violations,
    check_deactivation, check_matches_type, check_max_chars, check_opt_time, check_out_request_no,
    check_range,
};

/// The request types of this resource's operations (defined by the table in
/// [`crate::operations`]).
pub use crate::operations::{
    CreateProductCouponRequest, DeactivateProductCouponRequest, GetProductCouponRequest,
    UpdateProductCouponRequest,
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

    /// Input shape of a create body: both names of the sequential info, and
    /// a sequential bundle sent under `stock` (the partner Go samples).
    #[derive(Deserialize)]
    pub(super) struct CreateProductCouponWire {
        out_request_no: OutRequestNo,
        #[serde(default)]
        brand_id: Option<BrandId>,
        scope: ProductCouponScope,
        #[serde(rename = "type")]
        coupon_type: ProductCouponType,
        usage_mode: UsageMode,
        #[serde(default)]
        single_usage_info: Option<SingleUsageInfo>,
        #[serde(default)]
        sequential_usage_info: Option<SequentialUsageInfo>,
        #[serde(default)]
        progressive_bundle_usage_info: Option<SequentialUsageInfo>,
        display_info: ProductCouponDisplayInfo,
        #[serde(default)]
        out_product_no: Option<OutProductNo>,
        #[serde(default)]
        stock: Option<NewStock>,
        #[serde(default)]
        stock_bundle: Option<NewStock>,
    }

    impl From<CreateProductCouponWire> for CreateProductCouponBody {
        fn from(w: CreateProductCouponWire) -> Self {
            let bundle_under_stock = w.usage_mode == UsageMode::Sequential
                && w.stock_bundle.is_none()
                && w.stock.as_ref().is_some_and(|s| {
                    s.progressive_bundle_usage_rule.is_some() && s.single_usage_rule.is_none()
                });
            let (stock, stock_bundle) = if bundle_under_stock {
                (None, w.stock)
            } else {
                (w.stock, w.stock_bundle)
            };
            Self {
                out_request_no: w.out_request_no,
                brand_id: w.brand_id,
                scope: w.scope,
                coupon_type: w.coupon_type,
                usage_mode: w.usage_mode,
                single_usage_info: w.single_usage_info,
                sequential_usage_info: w.sequential_usage_info.or(w.progressive_bundle_usage_info),
                display_info: w.display_info,
                out_product_no: w.out_product_no,
                stock,
                stock_bundle,
            }
        }
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
        let parts = self.parts();
        parts.check_presence(c, p);
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
        parts.check_nested(c, p);
        check_opt_time(c, p, "deactivate_time", self.deactivate_time.as_ref());
    }

    fn parts(&self) -> CouponParts<'_> {
        CouponParts {
            scope: self.scope.as_ref(),
            coupon_type: self.coupon_type.as_ref(),
            usage_mode: self.usage_mode.as_ref(),
            single_usage_info: self.single_usage_info.as_ref(),
            sequential_usage_info: self.sequential_usage_info.as_ref(),
            display_info: self.display_info.as_ref(),
        }
    }
}

/// The fields a product coupon and a create-product-coupon body share, and
/// the rules on them.
struct CouponParts<'a> {
    scope: Option<&'a ProductCouponScope>,
    coupon_type: Option<&'a ProductCouponType>,
    usage_mode: Option<&'a UsageMode>,
    single_usage_info: Option<&'a SingleUsageInfo>,
    sequential_usage_info: Option<&'a SequentialUsageInfo>,
    display_info: Option<&'a ProductCouponDisplayInfo>,
}

impl CouponParts<'_> {
    /// The "present iff" rules between scope, type, usage mode and the infos.
    fn check_presence(&self, c: &mut Checker, p: &Path<'_>) {
        let scope = self.scope.and_then(ScopeKind::of);
        let kind = self.coupon_type.and_then(TypeKind::of);
        let mode = self.usage_mode.and_then(ModeKind::of);

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
                    self.usage_mode.map_or("-", UsageMode::as_str),
                    self.scope.map_or("-", ProductCouponScope::as_str)
                ),
            ),
            _ => {}
        }
        // rule-matches-type on single_usage_info (EXCHANGE is reported by
        // exchange-only-single-scope / single-info-iff-single-all instead).
        if let (Some(info), Some(kind)) = (self.single_usage_info, kind) {
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
    }

    /// The rules inside the sequential info and the display.
    fn check_nested(&self, c: &mut Checker, p: &Path<'_>) {
        if let Some(info) = self.sequential_usage_info {
            info.check(c, &p.key("sequential_usage_info"));
        }
        if let Some(display) = self.display_info {
            display.check(
                c,
                &p.key("display_info"),
                self.scope.and_then(ScopeKind::of),
            );
        }
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
        if let Some(count) = self.count {
            check_range(
                c,
                &p.key("count"),
                RuleId::SequentialCountRange,
                count,
                3,
                15,
                "count",
            );
        }
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

/// The JSON body of `update-product-coupon` (page 003 for the partner side):
/// `{"out_request_no", "display_info", "brand_id"}`.
///
/// Required (request type, strict): `out_request_no` and `display_info`.
/// `brand_id` is the partner side's (the partner client fills in its brand
/// when it is absent); the brand side sends none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateProductCouponBody {
    /// Idempotency key, 6–40 characters of `[0-9A-Za-z_-]`.
    pub out_request_no: OutRequestNo,
    /// The new display information.
    pub display_info: ProductCouponDisplayInfo,
    /// The brand the partner acts for (partner side only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand_id: Option<BrandId>,
}

/// The response of `update-product-coupon`.
pub type UpdateProductCouponResponse = ProductCoupon;

impl UpdateProductCouponBody {
    /// A body setting `display_info`.
    pub fn new(
        out_request_no: impl Into<OutRequestNo>,
        display_info: ProductCouponDisplayInfo,
    ) -> Self {
        Self {
            out_request_no: out_request_no.into(),
            display_info,
            brand_id: None,
        }
    }

    /// For brand `brand_id` (partner side; the partner client's default
    /// brand is used when unset).
    pub fn with_brand_id(mut self, brand_id: impl Into<BrandId>) -> Self {
        self.brand_id = Some(brand_id.into());
        self
    }
}

impl_request_body!(
    UpdateProductCouponBody,
    validate = |b| b.validate(None),
    brand_id
);

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

/// The JSON body of `create-product-coupon`: the product coupon and its first
/// stock (`usage_mode` `SINGLE`) or stock bundle (sequential).
///
/// Required (request type, strict): `out_request_no`, `scope`, `type`,
/// `usage_mode`, `display_info`. `brand_id` is the partner side's (filled in
/// by the partner client when absent).
///
/// Spellings accepted on input, written as the pages write them:
/// `progressive_bundle_usage_info` → `sequential_usage_info`, `usage_mode`
/// `PROGRESSIVE_BUNDLE` → `SEQUENTIAL`. The sources disagree on where a
/// sequential coupon's first stocks go: the models and the Java samples use
/// `stock_bundle`, the partner Go samples put the bundle under `stock`. A
/// sequential body whose `stock` carries a `progressive_bundle_usage_rule`
/// (and no `stock_bundle`) is read as that bundle and written as
/// `stock_bundle`. Both `stock` and `stock_bundle` are a [`NewStock`], which
/// holds the union of the stock shapes the sources build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "wire::CreateProductCouponWire")]
pub struct CreateProductCouponBody {
    /// Idempotency key, 6–40 characters of `[0-9A-Za-z_-]`; reusing it with
    /// another body gives `ALREADY_EXISTS`.
    pub out_request_no: OutRequestNo,
    /// The brand the partner acts for (partner side only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand_id: Option<BrandId>,
    /// What the coupon applies to.
    pub scope: ProductCouponScope,
    /// The kind of discount (`type`).
    #[serde(rename = "type")]
    pub coupon_type: ProductCouponType,
    /// Single or sequential use.
    pub usage_mode: UsageMode,
    /// The discount of a storewide single-use coupon; iff `SINGLE` + `ALL`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub single_usage_info: Option<SingleUsageInfo>,
    /// The sequential settings; iff `usage_mode` is sequential.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequential_usage_info: Option<SequentialUsageInfo>,
    /// What the user sees.
    pub display_info: ProductCouponDisplayInfo,
    /// The merchant's own product number (not checked for uniqueness).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_product_no: Option<OutProductNo>,
    /// The first stock, for `usage_mode` `SINGLE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stock: Option<NewStock>,
    /// The first stock bundle, for a sequential coupon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stock_bundle: Option<NewStock>,
}

impl CreateProductCouponBody {
    /// A single-use product coupon with its first stock. A storewide (`ALL`)
    /// coupon also needs [`with_single_usage_info`](Self::with_single_usage_info).
    pub fn single(
        out_request_no: impl Into<OutRequestNo>,
        scope: ProductCouponScope,
        coupon_type: ProductCouponType,
        display_info: ProductCouponDisplayInfo,
        stock: NewStock,
    ) -> Self {
        Self {
            out_request_no: out_request_no.into(),
            brand_id: None,
            scope,
            coupon_type,
            usage_mode: UsageMode::Single,
            single_usage_info: None,
            sequential_usage_info: None,
            display_info,
            out_product_no: None,
            stock: Some(stock),
            stock_bundle: None,
        }
    }

    /// A sequential (multi-use) product coupon with its first stock bundle.
    pub fn sequential(
        out_request_no: impl Into<OutRequestNo>,
        scope: ProductCouponScope,
        coupon_type: ProductCouponType,
        sequential_usage_info: SequentialUsageInfo,
        display_info: ProductCouponDisplayInfo,
        stock_bundle: NewStock,
    ) -> Self {
        Self {
            out_request_no: out_request_no.into(),
            brand_id: None,
            scope,
            coupon_type,
            usage_mode: UsageMode::Sequential,
            single_usage_info: None,
            sequential_usage_info: Some(sequential_usage_info),
            display_info,
            out_product_no: None,
            stock: None,
            stock_bundle: Some(stock_bundle),
        }
    }

    /// With the storewide discount (`single_usage_info`).
    pub fn with_single_usage_info(mut self, info: SingleUsageInfo) -> Self {
        self.single_usage_info = Some(info);
        self
    }

    /// With the merchant's product number.
    pub fn with_out_product_no(mut self, out_product_no: impl Into<OutProductNo>) -> Self {
        self.out_product_no = Some(out_product_no.into());
        self
    }

    /// For brand `brand_id` (partner side).
    pub fn with_brand_id(mut self, brand_id: impl Into<BrandId>) -> Self {
        self.brand_id = Some(brand_id.into());
        self
    }

    /// The context this body gives its own stocks (scope, type, usage mode,
    /// sequential count).
    pub fn context(&self) -> ValidationContext {
        ValidationContext {
            scope: Some(self.scope.clone()),
            coupon_type: Some(self.coupon_type.clone()),
            usage_mode: Some(self.usage_mode.clone()),
            sequential_count: self.sequential_usage_info.as_ref().and_then(|i| i.count),
            page_token_sent: None,
        }
    }

    /// Checks every rule of the product coupon and of its stock or stock
    /// bundle, which the body's own scope, type and usage mode give their
    /// context; `stock-matches-usage-mode`; `out-request-no-format`.
    /// Pointers are relative to the body.
    pub fn validate(&self) -> Result<(), Violations> {
        let mut c = Checker::request();
        let p = Path::ROOT;
        check_out_request_no(&mut c, &p.key("out_request_no"), &self.out_request_no);
        let parts = CouponParts {
            scope: Some(&self.scope),
            coupon_type: Some(&self.coupon_type),
            usage_mode: Some(&self.usage_mode),
            single_usage_info: self.single_usage_info.as_ref(),
            sequential_usage_info: self.sequential_usage_info.as_ref(),
            display_info: Some(&self.display_info),
        };
        parts.check_presence(&mut c, &p);
        // stock-matches-usage-mode
        if let Some(mode) = ModeKind::of(&self.usage_mode) {
            let (wanted, unwanted) = match mode {
                ModeKind::Single => (
                    ("stock", self.stock.is_some()),
                    ("stock_bundle", self.stock_bundle.is_some()),
                ),
                ModeKind::Sequential => (
                    ("stock_bundle", self.stock_bundle.is_some()),
                    ("stock", self.stock.is_some()),
                ),
            };
            if !wanted.1 {
                c.report(
                    RuleId::StockMatchesUsageMode,
                    &p.key(wanted.0),
                    format!(
                        "add {}: usage_mode {} creates the coupon with its first {}",
                        wanted.0,
                        self.usage_mode,
                        wanted.0.replace('_', " ")
                    ),
                );
            }
            if unwanted.1 {
                c.report(
                    RuleId::StockMatchesUsageMode,
                    &p.key(unwanted.0),
                    format!(
                        "remove {}: usage_mode {} takes {} instead",
                        unwanted.0, self.usage_mode, wanted.0
                    ),
                );
            }
        }
        parts.check_nested(&mut c, &p);
        let ctx = self.context();
        if let Some(stock) = &self.stock {
            stock.check(&mut c, &p.key("stock"), Some(&ctx));
        }
        if let Some(bundle) = &self.stock_bundle {
            bundle.check(&mut c, &p.key("stock_bundle"), Some(&ctx));
        }
        c.finish()
    }
}

impl_request_body!(
    CreateProductCouponBody,
    validate = CreateProductCouponBody::validate,
    brand_id
);

/// The answer of `create-product-coupon`: the product coupon with the stock
/// or stock bundle it was created with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateProductCouponResponse {
    /// The product coupon (its fields are the answer's top-level fields).
    #[serde(flatten)]
    pub product_coupon: ProductCoupon,
    /// The first stock (single use).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stock: Option<Stock>,
    /// The first stock bundle (sequential).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stock_bundle: Option<CreatedStockBundle>,
}

/// The `stock_bundle` of a create-product-coupon answer. The sources
/// disagree on its shape: the Go models answer a stock bundle
/// (`stock_bundle_id` + `stock_list`), the Java model a single stock. Either
/// is read (a `stock_id` without a `stock_list` means a stock) and written
/// back in the shape it came in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum CreatedStockBundle {
    /// The bundle with its stocks (Go models).
    Bundle(StockBundle),
    /// One stock (Java model).
    Stock(Box<Stock>),
}

impl CreatedStockBundle {
    /// The stocks of the bundle (one for the single-stock shape).
    pub fn stocks(&self) -> &[Stock] {
        match self {
            Self::Bundle(bundle) => bundle.stock_list.as_deref().unwrap_or(&[]),
            Self::Stock(stock) => core::slice::from_ref(stock.as_ref()),
        }
    }
}

impl<'de> Deserialize<'de> for CreatedStockBundle {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        let is_stock = value.get("stock_id").is_some() && value.get("stock_list").is_none();
        if is_stock {
            serde_json::from_value(value)
                .map(|stock| Self::Stock(Box::new(stock)))
                .map_err(serde::de::Error::custom)
        } else {
            serde_json::from_value(value)
                .map(Self::Bundle)
                .map_err(serde::de::Error::custom)
        }
    }
}

/// The JSON body of `deactivate-product-coupon` (the same shape as
/// `deactivate-stock`'s).
pub type DeactivateProductCouponBody = crate::common::DeactivateBody;
