//! Validation: rule ids, violations, and the product-coupon context.
//!
//! Validation is a separate, explicit step: every document type with rules
//! has `validate(…) -> Result<(), Violations>`, which reports **all**
//! violations it finds, each with its [`RuleId`], the JSON pointer of the
//! offending field (relative to the validated document, e.g.
//! `/stock/single_usage_rule/normal_coupon` for an add-stock body) and a
//! message saying what to change. The rules and their ids are those of the
//! catalogue `rules.md` (see [`RuleId`]).
//!
//! # Context
//! Rules marked *(context)* depend on the product coupon that owns a stock
//! (its `scope`, `type`, `usage_mode` and sequential `count`). Pass a
//! [`ValidationContext`] (e.g. [`ValidationContext::from_product_coupon`]);
//! with `None`, or with the needed part missing or an unknown enum value,
//! those rules are **skipped**. A user coupon carries its own product coupon,
//! which is the context of its stock; context supplied from outside is used
//! only for documents that do not carry their own product coupon.
//!
//! `total-count-iff-first-page` needs to know whether the list request
//! carried a `page_token`: set [`ValidationContext::page_token_sent`] (the
//! list requests' `response_context()` does it); without it the rule is
//! skipped.
//!
//! # How rules combine
//! - A rule applies only to documents that carry its fields (an add-stock
//!   request has no `state`, `coupon_code_count_info` or `stock_bundle_info`).
//! - Each field is reported at most once: presence rules ("present iff")
//!   run before range and format rules, and a later violation at a pointer
//!   already reported is dropped.
//! - Rules conditioned on an enum value (`state`, `coupon_code_mode`,
//!   `usage_mode`, …) are skipped when that value is absent or unknown.
//! - Time strings: responses may use the documentation's minute-precision
//!   form (`2025-01-01T00:00+08:00`); requests must carry seconds.
//! - "Present" means the key is there, except for the "needs" rules
//!   (`mini-program-needs-appid-and-path`, `app-needs-path`), where an empty
//!   string does not count as present.

use core::fmt;
use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::ids::{OutRequestNo, PageToken};
use crate::product_coupon::{ProductCoupon, ProductCouponScope, ProductCouponType, UsageMode};
use crate::time::{DateTime, Timestamp};

macro_rules! rule_ids {
    ($($variant:ident = $id:literal, $ctx:literal, $summary:literal;)+) => {
        /// The stable id of a validation rule (from `rules.md`).
        ///
        /// Serialises as its id string, e.g. `"code-count-iff-upload"`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum RuleId {
            $(
                #[doc = concat!("`", $id, "`: ", $summary)]
                $variant,
            )+
        }

        impl RuleId {
            /// Every rule, in catalogue order.
            pub const ALL: &'static [RuleId] = &[$(RuleId::$variant),+];

            /// The stable id, e.g. `"code-count-iff-upload"`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(RuleId::$variant => $id,)+
                }
            }

            /// Whether the rule needs the owning product coupon as context
            /// (skipped without it).
            pub fn needs_context(self) -> bool {
                match self {
                    $(RuleId::$variant => $ctx,)+
                }
            }

            /// One-line statement of the rule.
            pub fn summary(self) -> &'static str {
                match self {
                    $(RuleId::$variant => $summary,)+
                }
            }

            /// The rule with this id, if any.
            pub fn from_id(id: &str) -> Option<Self> {
                match id {
                    $($id => Some(RuleId::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

rule_ids! {
    TotalCountIffFirstPage = "total-count-iff-first-page", false,
        "a list response's `total_count` is present iff the request carried no `page_token`";
    CodeCountIffUpload = "code-count-iff-upload", false,
        "a stock's `coupon_code_count_info` is present iff `coupon_code_mode` is `UPLOAD`";
    SingleRuleIffSingleMode = "single-rule-iff-single-mode", true,
        "a stock's `single_usage_rule` is present iff the product coupon's `usage_mode` is `SINGLE`";
    SequentialRuleIffSequentialMode = "sequential-rule-iff-sequential-mode", true,
        "exactly one sequential rule (`sequential_usage_rule` or `progressive_bundle_usage_rule`) is present iff `usage_mode` is sequential";
    SingleRuleOnlyForSingleScope = "single-rule-only-for-single-scope", true,
        "for scope `ALL`, a stock's `single_usage_rule` holds only `coupon_available_period`";
    RuleMatchesType = "rule-matches-type", true,
        "exactly one of `normal_coupon` / `discount_coupon` / `exchange_coupon` is present, the one named by `type`";
    RuleListMatchesType = "rule-list-matches-type", true,
        "exactly one coupon list of `sequential_usage_rule` is present, the one named by `type`, with the sequential `count` entries";
    BundleInfoIffBundled = "bundle-info-iff-bundled", false,
        "a stock's `stock_bundle_info` is present iff it carries a `progressive_bundle_usage_rule`";
    DeactivationIffDeactivated = "deactivation-iff-deactivated", false,
        "`deactivate_request_no`, `deactivate_time` and `deactivate_reason` are present iff the state is `DEACTIVATED`";
    SingleInfoIffSingleAll = "single-info-iff-single-all", false,
        "a product coupon's `single_usage_info` is present iff `usage_mode` is `SINGLE` and `scope` is `ALL`";
    SequentialInfoIffSequential = "sequential-info-iff-sequential", false,
        "a product coupon's `sequential_usage_info` is present iff `usage_mode` is sequential";
    ExchangeOnlySingleScope = "exchange-only-single-scope", false,
        "a product coupon of `type` `EXCHANGE` has `scope` `SINGLE`";
    SingleScopeNeedsPriceAndCombo = "single-scope-needs-price-and-combo", false,
        "`display_info.original_price` and a non-empty `combo_package_list` are present iff `scope` is `SINGLE`";
    MiniProgramNeedsAppidAndPath = "mini-program-needs-appid-and-path", false,
        "`mini_program_appid` and `mini_program_path` are present (together) when the usage methods include `MINI_PROGRAM`";
    AppNeedsPath = "app-needs-path", false,
        "`app_path` is present when the usage methods include `APP`";
    DayPeriodsNeedDays = "day-periods-need-days", false,
        "`day_list` is non-empty when `day_period_list` is present";
    AvailableDaysExcludesIrregular = "available-days-excludes-irregular", false,
        "`available_days` and `irregular_available_period_list` are not both present";
    WaitDaysNeedsAvailableDays = "wait-days-needs-available-days", false,
        "`wait_days_after_receive` only together with `available_days`";
    OutRequestNoFormat = "out-request-no-format", false,
        "`out_request_no` (and `send_request_no`) is 6–40 characters of `[0-9A-Za-z_-]`";
    RemarkLength = "remark-length", false,
        "a stock's `remark` has at most 20 characters";
    UsageDescriptionLength = "usage-description-length", false,
        "`usage_description` and `coupon_available_store_info.description` have at most 1000 characters";
    MaxCountRange = "max-count-range", false,
        "`max_count` and `max_count_per_day` are 1 to 100,000,000";
    MaxCountPerUserRange = "max-count-per-user-range", false,
        "`max_count_per_user` is 1 to 100";
    PageSizeRange = "page-size-range", false,
        "`page_size` is 1 to 50";
    DisplayNameLength = "display-name-length", false,
        "a product coupon's `display_info.name` has 3 to 15 characters";
    DetailImagesMax = "detail-images-max", false,
        "`detail_image_url_list` has at most 8 entries";
    ComboLimits = "combo-limits", false,
        "at most 50 packages, 99 choices per package, choice `count` at most 99, names at most 15 characters";
    EntranceWordingLength = "entrance-wording-length", false,
        "`entrance_wording` has at most 5 and `guidance_wording` at most 6 characters";
    AvailableDaysRange = "available-days-range", false,
        "`available_days` is 1 to 365 and `wait_days_after_receive` 0 to 30";
    DayPeriodRange = "day-period-range", false,
        "a day period's `begin_time` < `end_time`, both within 0..=86399";
    TimeFormat = "time-format", false,
        "every time string is RFC 3339 (requests with seconds)";
    PeriodOrder = "period-order", false,
        "a period begins before it ends; the available period spans at most 365 days";
    StockMatchesUsageMode = "stock-matches-usage-mode", false,
        "a create-product-coupon body carries `stock` iff `usage_mode` is `SINGLE` and `stock_bundle` iff it is sequential";
    BudgetMatchesMode = "budget-matches-mode", false,
        "an update-budget body carries the target named by `update_mode` (`target_max_count` or `target_max_count_per_day`)";
    UseNeedsOneOrder = "use-needs-one-order", false,
        "a use body carries exactly one of `associated_order_info` and `associated_pay_score_order_info`";
    NotifyUrlFormat = "notify-url-format", false,
        "`notify_url` is an absolute https (or http) URL with a host, no query and no fragment";
    SequentialCountRange = "sequential-count-range", false,
        "a sequential product coupon's `count` (number of uses) is 3 to 15";
    ImageFile = "image-file", false,
        "an uploaded image is a non-empty JPG or PNG file of at most 2 MiB, named `.jpg`/`.jpeg`/`.png`, whose `sha256` (when given) is 64 hex digits";
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl core::str::FromStr for RuleId {
    type Err = UnknownRuleId;

    fn from_str(id: &str) -> Result<Self, Self::Err> {
        Self::from_id(id).ok_or_else(|| UnknownRuleId(id.to_owned()))
    }
}

/// A string that is not the id of any rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownRuleId(pub String);

impl fmt::Display for UnknownRuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown rule id \"{}\"; see RuleId::ALL for the catalogue",
            crate::text::excerpt(&self.0, 64)
        )
    }
}

impl std::error::Error for UnknownRuleId {}

impl Serialize for RuleId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RuleId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RuleVisitor;
        impl serde::de::Visitor<'_> for RuleVisitor {
            type Value = RuleId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a rule id such as \"code-count-iff-upload\"")
            }
            fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<RuleId, E> {
                RuleId::from_id(value).ok_or_else(|| E::custom(UnknownRuleId(value.to_owned())))
            }
        }
        deserializer.deserialize_str(RuleVisitor)
    }
}

/// One broken rule: which rule, where (JSON pointer), and what to change.
///
/// Serialises to exactly `{"rule":…,"path":…,"message":…}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// The rule broken.
    pub rule: RuleId,
    /// JSON pointer (RFC 6901) of the offending or missing field, relative to
    /// the validated document; `""` is the document itself.
    pub path: String,
    /// What is wrong and what to change.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "(document)"
        } else {
            &self.path
        };
        write!(f, "[{}] {}: {}", self.rule, path, self.message)
    }
}

/// A non-empty list of violations, in the order found. Returned as the error
/// of every `validate()`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Violations(Vec<Violation>);

impl Violations {
    /// Wraps a list; `None` when it is empty.
    pub fn new(violations: Vec<Violation>) -> Option<Self> {
        if violations.is_empty() {
            None
        } else {
            Some(Self(violations))
        }
    }

    /// The violations, in the order found.
    pub fn iter(&self) -> core::slice::Iter<'_, Violation> {
        self.0.iter()
    }

    /// How many (at least one).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: a `Violations` holds at least one violation.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The violations as a slice.
    pub fn as_slice(&self) -> &[Violation] {
        &self.0
    }

    /// The violations as a vector.
    pub fn into_vec(self) -> Vec<Violation> {
        self.0
    }

    /// Whether some violation is of `rule` at `path`.
    pub fn contains(&self, rule: RuleId, path: &str) -> bool {
        self.0.iter().any(|v| v.rule == rule && v.path == path)
    }
}

impl fmt::Display for Violations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(f, "{n} rule violation{}:", if n == 1 { "" } else { "s" })?;
        for violation in &self.0 {
            write!(f, "\n  - {violation}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Violations {}

impl IntoIterator for Violations {
    type Item = Violation;
    type IntoIter = std::vec::IntoIter<Violation>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Violations {
    type Item = &'a Violation;
    type IntoIter = core::slice::Iter<'a, Violation>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl From<Violations> for Vec<Violation> {
    fn from(value: Violations) -> Self {
        value.0
    }
}

/// What the (context) rules need to know about the owning product coupon,
/// and whether the list request carried a `page_token`.
///
/// Every part is optional; a rule that needs a missing part is skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationContext {
    /// The product coupon's `scope`.
    pub scope: Option<ProductCouponScope>,
    /// The product coupon's `type`.
    pub coupon_type: Option<ProductCouponType>,
    /// The product coupon's `usage_mode`.
    pub usage_mode: Option<UsageMode>,
    /// The product coupon's `sequential_usage_info.count` (number of uses).
    pub sequential_count: Option<i64>,
    /// Whether the list request carried a `page_token` (for
    /// `total-count-iff-first-page`).
    pub page_token_sent: Option<bool>,
}

impl ValidationContext {
    /// An empty context: every (context) rule is skipped.
    pub fn new() -> Self {
        Self::default()
    }

    /// The context given by a product coupon (scope, type, usage mode,
    /// sequential count); `page_token_sent` is unset.
    pub fn from_product_coupon(product_coupon: &ProductCoupon) -> Self {
        Self::default().with_product_coupon(product_coupon)
    }

    /// This context with the product-coupon parts taken from `product_coupon`.
    pub fn with_product_coupon(mut self, product_coupon: &ProductCoupon) -> Self {
        self.scope = product_coupon.scope.clone();
        self.coupon_type = product_coupon.coupon_type.clone();
        self.usage_mode = product_coupon.usage_mode.clone();
        self.sequential_count = product_coupon
            .sequential_usage_info
            .as_ref()
            .and_then(|info| info.count);
        self
    }

    /// This context with [`ValidationContext::page_token_sent`] set.
    pub fn with_page_token_sent(mut self, sent: bool) -> Self {
        self.page_token_sent = Some(sent);
        self
    }

    pub(crate) fn scope_kind(ctx: Option<&Self>) -> Option<ScopeKind> {
        ctx.and_then(|c| c.scope.as_ref()).and_then(ScopeKind::of)
    }

    pub(crate) fn type_kind(ctx: Option<&Self>) -> Option<TypeKind> {
        ctx.and_then(|c| c.coupon_type.as_ref())
            .and_then(TypeKind::of)
    }

    pub(crate) fn mode_kind(ctx: Option<&Self>) -> Option<ModeKind> {
        ctx.and_then(|c| c.usage_mode.as_ref())
            .and_then(ModeKind::of)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScopeKind {
    All,
    Single,
}

impl ScopeKind {
    pub(crate) fn of(scope: &ProductCouponScope) -> Option<Self> {
        match scope {
            ProductCouponScope::All => Some(Self::All),
            ProductCouponScope::Single => Some(Self::Single),
            ProductCouponScope::Unknown(_) => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TypeKind {
    Normal,
    Discount,
    Exchange,
}

impl TypeKind {
    pub(crate) fn of(kind: &ProductCouponType) -> Option<Self> {
        match kind {
            ProductCouponType::Normal => Some(Self::Normal),
            ProductCouponType::Discount => Some(Self::Discount),
            ProductCouponType::Exchange => Some(Self::Exchange),
            ProductCouponType::Unknown(_) => None,
        }
    }

    fn index(self) -> usize {
        match self {
            Self::Normal => 0,
            Self::Discount => 1,
            Self::Exchange => 2,
        }
    }

    fn wire(self) -> &'static str {
        match self {
            Self::Normal => "NORMAL",
            Self::Discount => "DISCOUNT",
            Self::Exchange => "EXCHANGE",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ModeKind {
    Single,
    Sequential,
}

impl ModeKind {
    pub(crate) fn of(mode: &UsageMode) -> Option<Self> {
        match mode {
            UsageMode::Single => Some(Self::Single),
            UsageMode::Sequential => Some(Self::Sequential),
            UsageMode::Unknown(_) => None,
        }
    }
}

// ---------------------------------------------------------------------------
// Internal machinery: allocation-free JSON pointers and the collector.

#[derive(Clone, Copy)]
enum Seg {
    Root,
    Key(&'static str),
    Index(usize),
}

/// A JSON pointer built on the stack as a linked list of segments; rendered
/// to a string only when a violation is reported.
#[derive(Clone, Copy)]
pub(crate) struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    seg: Seg,
}

impl Path<'static> {
    pub(crate) const ROOT: Path<'static> = Path {
        parent: None,
        seg: Seg::Root,
    };
}

impl<'a> Path<'a> {
    pub(crate) fn key(&'a self, key: &'static str) -> Path<'a> {
        Path {
            parent: Some(self),
            seg: Seg::Key(key),
        }
    }

    pub(crate) fn index(&'a self, index: usize) -> Path<'a> {
        Path {
            parent: Some(self),
            seg: Seg::Index(index),
        }
    }

    pub(crate) fn render(&self) -> String {
        let mut segs = Vec::new();
        let mut cur = Some(self);
        while let Some(p) = cur {
            segs.push(p.seg);
            cur = p.parent;
        }
        let mut out = String::new();
        for seg in segs.iter().rev() {
            match seg {
                Seg::Root => {}
                Seg::Key(key) => {
                    out.push('/');
                    for ch in key.chars() {
                        match ch {
                            '~' => out.push_str("~0"),
                            '/' => out.push_str("~1"),
                            other => out.push(other),
                        }
                    }
                }
                Seg::Index(i) => {
                    out.push('/');
                    out.push_str(&i.to_string());
                }
            }
        }
        out
    }
}

/// Collects violations while walking a document.
///
/// Reporting is O(1) per call (amortised): the pointers already reported are
/// kept in a hash set, so a document with *n* violations validates in time
/// linear in its size, not in *n*².
pub(crate) struct Checker {
    out: Vec<Violation>,
    reported: HashSet<String>,
    request: bool,
}

impl Checker {
    /// For documents the caller sends (times must carry seconds).
    pub(crate) fn request() -> Self {
        Self {
            out: Vec::new(),
            reported: HashSet::new(),
            request: true,
        }
    }

    /// For documents WeChat Pay returns.
    pub(crate) fn response() -> Self {
        Self {
            out: Vec::new(),
            reported: HashSet::new(),
            request: false,
        }
    }

    /// Records a violation unless that pointer is already reported.
    pub(crate) fn report(&mut self, rule: RuleId, path: &Path<'_>, message: String) {
        let path = path.render();
        if self.reported.contains(&path) {
            return;
        }
        self.reported.insert(path.clone());
        self.out.push(Violation {
            rule,
            path,
            message,
        });
    }

    pub(crate) fn finish(self) -> Result<(), Violations> {
        match Violations::new(self.out) {
            None => Ok(()),
            Some(violations) => Err(violations),
        }
    }
}

// ---------------------------------------------------------------------------
// Shared checks.

/// `time-format`; returns the parsed value when it is usable for ordering.
pub(crate) fn check_time(c: &mut Checker, p: &Path<'_>, value: &Timestamp) -> Option<DateTime> {
    match value.parse() {
        Ok(parsed) if c.request && !parsed.has_seconds() => {
            c.report(
                RuleId::TimeFormat,
                p,
                format!(
                    "\"{}\" has no seconds; requests must write RFC 3339 with seconds, e.g. {}",
                    crate::text::excerpt(value.as_str(), 48),
                    parsed.to_rfc3339()
                ),
            );
            Some(parsed)
        }
        Ok(parsed) => Some(parsed),
        Err(_) => {
            c.report(
                RuleId::TimeFormat,
                p,
                format!(
                    "\"{}\" is not an RFC 3339 time; write it like 2025-08-01T00:00:00+08:00",
                    crate::text::excerpt(value.as_str(), 48)
                ),
            );
            None
        }
    }
}

pub(crate) fn check_opt_time(
    c: &mut Checker,
    p: &Path<'_>,
    key: &'static str,
    value: Option<&Timestamp>,
) {
    if let Some(value) = value {
        check_time(c, &p.key(key), value);
    }
}

/// At most `max` Unicode scalar values.
pub(crate) fn check_max_chars(
    c: &mut Checker,
    p: &Path<'_>,
    rule: RuleId,
    value: &str,
    max: usize,
    what: &str,
) {
    // Fast path: byte length bounds the char count.
    if value.len() <= max {
        return;
    }
    let n = value.chars().count();
    if n > max {
        c.report(
            rule,
            p,
            format!("{what} has {n} characters; shorten it to at most {max}"),
        );
    }
}

pub(crate) fn check_range(
    c: &mut Checker,
    p: &Path<'_>,
    rule: RuleId,
    value: i64,
    min: i64,
    max: i64,
    what: &str,
) {
    if value < min || value > max {
        c.report(
            rule,
            p,
            format!("{what} is {value}; set it between {min} and {max}"),
        );
    }
}

/// `deactivation-iff-deactivated`: `deactivated` is `None` when the state is
/// absent or unknown (rule skipped).
pub(crate) fn check_deactivation(
    c: &mut Checker,
    p: &Path<'_>,
    deactivated: Option<bool>,
    state_field: &str,
    state: &str,
    present: [bool; 3],
) {
    const FIELDS: [&str; 3] = [
        "deactivate_request_no",
        "deactivate_time",
        "deactivate_reason",
    ];
    let Some(deactivated) = deactivated else {
        return;
    };
    for (field, is_present) in FIELDS.into_iter().zip(present) {
        if deactivated && !is_present {
            c.report(
                RuleId::DeactivationIffDeactivated,
                &p.key(field),
                format!("{field} is missing; it is present whenever {state_field} is DEACTIVATED"),
            );
        } else if !deactivated && is_present {
            c.report(
                RuleId::DeactivationIffDeactivated,
                &p.key(field),
                format!("remove {field}: it is present only when {state_field} is DEACTIVATED, not {state}"),
            );
        }
    }
}

/// `out-request-no-format` on `out_request_no`.
pub(crate) fn check_out_request_no(c: &mut Checker, p: &Path<'_>, value: &OutRequestNo) {
    check_request_no_field(c, p, "out_request_no", value.as_str());
}

/// `out-request-no-format` on an idempotency key named `field`.
pub(crate) fn check_request_no_field(c: &mut Checker, p: &Path<'_>, field: &str, s: &str) {
    let len_ok = (6..=40).contains(&s.len());
    let chars_ok = s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !len_ok || !chars_ok {
        c.report(
            RuleId::OutRequestNoFormat,
            p,
            format!(
                "{field} \"{}\" must be 6 to 40 characters of digits, letters, '_' and '-'",
                crate::text::excerpt(s, 48)
            ),
        );
    }
}

/// The whole `validate()` of a body whose only rule is its `out_request_no`
/// (at `/out_request_no`).
pub(crate) fn validate_request_no(value: &OutRequestNo) -> Result<(), Violations> {
    let mut c = Checker::request();
    check_out_request_no(&mut c, &Path::ROOT.key("out_request_no"), value);
    c.finish()
}

// ---------------------------------------------------------------------------
// The two paginated endpoints (list stocks, list user coupons) share their
// paging parameters and the shape of their response checks.

/// A list request's `validate()`: `page-size-range` at `/page_size`.
pub(crate) fn validate_list_request(page_size: Option<u32>) -> Result<(), Violations> {
    let mut c = Checker::request();
    if let Some(size) = page_size {
        check_range(
            &mut c,
            &Path::ROOT.key("page_size"),
            RuleId::PageSizeRange,
            i64::from(size),
            1,
            50,
            "page_size",
        );
    }
    c.finish()
}

/// A list request's `response_context()`: whether a `page_token` was sent.
pub(crate) fn list_response_context(page_token: Option<&PageToken>) -> ValidationContext {
    ValidationContext::new().with_page_token_sent(page_token.is_some())
}

/// A list response's `validate()`: `total-count-iff-first-page` (when
/// `ctx.page_token_sent` is set), then every item at `/{key}/{i}` with
/// `check_item`.
pub(crate) fn validate_list_response<T>(
    ctx: Option<&ValidationContext>,
    total_count_present: bool,
    key: &'static str,
    items: Option<&[T]>,
    check_item: impl Fn(&T, &mut Checker, &Path<'_>, Option<&ValidationContext>),
) -> Result<(), Violations> {
    let mut c = Checker::response();
    let p = Path::ROOT;
    if let Some(sent) = ctx.and_then(|c| c.page_token_sent) {
        if sent && total_count_present {
            c.report(
                RuleId::TotalCountIffFirstPage,
                &p.key("total_count"),
                "total_count is present although the request carried a page_token; it comes only with the first page".to_owned(),
            );
        } else if !sent && !total_count_present {
            c.report(
                RuleId::TotalCountIffFirstPage,
                &p.key("total_count"),
                "total_count is missing; the first page (no page_token) always carries it"
                    .to_owned(),
            );
        }
    }
    if let Some(items) = items {
        let lp = p.key(key);
        for (i, item) in items.iter().enumerate() {
            check_item(item, &mut c, &lp.index(i), ctx);
        }
    }
    c.finish()
}

/// The "exactly one of three, the one named by `type`" check shared by
/// `rule-matches-type` and `rule-list-matches-type`. `named_len` is the
/// length of the named list together with the expected count, when both
/// are known.
pub(crate) fn check_matches_type(
    c: &mut Checker,
    p: &Path<'_>,
    rule: RuleId,
    kind: TypeKind,
    fields: [(&'static str, bool); 3],
    named_len: Option<(usize, i64)>,
) {
    let named = kind.index();
    let named_field = fields[named].0;
    for (i, (field, present)) in fields.into_iter().enumerate() {
        if i == named && !present {
            c.report(
                rule,
                &p.key(field),
                format!(
                    "{field} is missing; the product coupon's type is {}, which uses {field}",
                    kind.wire()
                ),
            );
        } else if i != named && present {
            c.report(
                rule,
                &p.key(field),
                format!(
                    "remove {field}: the product coupon's type is {}, which uses only {named_field}",
                    kind.wire()
                ),
            );
        }
    }
    if let Some((len, count)) = named_len {
        if fields[named].1 && i64::try_from(len).ok() != Some(count) {
            c.report(
                rule,
                &p.key(named_field),
                format!(
                    "{named_field} has {len} {}; give exactly {count}, one per use (the product coupon's sequential count)",
                    if len == 1 { "entry" } else { "entries" }
                ),
            );
        }
    }
}

/// A string that counts as present for the "needs" rules.
pub(crate) fn non_empty<S: AsRef<str>>(value: Option<&S>) -> bool {
    value.is_some_and(|s| !s.as_ref().is_empty())
}
