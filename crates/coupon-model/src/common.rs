//! Sub-objects shared by stocks, product coupons and user coupons: money,
//! available periods, discount rules, display information.
//!
//! # Lenient parsing
//! Unknown fields are ignored. Optional fields (and documented-required
//! fields whose absence leaves the object usable) are `Option`s; a missing
//! one parses as `None` and is omitted on output (never `null`). Fields are
//! non-`Option` only where the object is meaningless without them — listed
//! on each type under "Required".

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::{AppId, BrandId, OutRequestNo};
use crate::time::Timestamp;
use crate::validate::{Checker, Path, RuleId, check_max_chars, check_range, check_time, non_empty};

/// An amount of money in fen (分, 1/100 yuan), as every amount of this API
/// is written. `Fen(10000)` is 100.00 yuan.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Fen(pub i64);

impl Fen {
    /// The amount in fen.
    pub fn get(self) -> i64 {
        self.0
    }
}

impl From<i64> for Fen {
    fn from(value: i64) -> Self {
        Self(value)
    }
}

impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} fen", self.0)
    }
}

string_enum! {
    /// A day of the week (`day_list`).
    pub enum Weekday {
        /// Monday.
        Monday = "MONDAY",
        /// Tuesday.
        Tuesday = "TUESDAY",
        /// Wednesday.
        Wednesday = "WEDNESDAY",
        /// Thursday.
        Thursday = "THURSDAY",
        /// Friday.
        Friday = "FRIDAY",
        /// Saturday.
        Saturday = "SATURDAY",
        /// Sunday.
        Sunday = "SUNDAY",
    }
}

string_enum! {
    /// How a user can redeem the coupon (`coupon_usage_method_list`).
    pub enum CouponUsageMethod {
        /// In a physical store.
        Offline = "OFFLINE",
        /// In the brand's mini program (needs `mini_program_appid` and `mini_program_path`).
        MiniProgram = "MINI_PROGRAM",
        /// In the brand's app (needs `app_path`).
        App = "APP",
        /// With the WeChat payment code.
        PaymentCode = "PAYMENT_CODE",
    }
}

string_enum! {
    /// How the coupon code is shown in the user's card wallet (`code_display_mode`).
    pub enum CouponCodeDisplayMode {
        /// Not shown.
        Invisible = "INVISIBLE",
        /// As a barcode.
        Barcode = "BARCODE",
        /// As a QR code.
        Qrcode = "QRCODE",
    }
}

/// When a received coupon can be used (`coupon_available_period`).
///
/// Required: nothing (every field is optional on parse).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CouponAvailablePeriod {
    /// Start of the usable period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_begin_time: Option<Timestamp>,
    /// End of the usable period (at most 365 days after the start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_end_time: Option<Timestamp>,
    /// Days the coupon stays usable after it is received (1–365).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_days: Option<i64>,
    /// Days after receipt before it becomes usable (0–30); only with `available_days`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_days_after_receive: Option<i64>,
    /// Fixed weekly availability.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weekly_available_period: Option<WeeklyAvailablePeriod>,
    /// Irregular availability windows; not together with `available_days`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub irregular_available_period_list: Option<Vec<TimePeriod>>,
    /// Days between two uses of a sequential coupon (the brand Java model and
    /// every brand sequential sample set it inside the bundle's period; the
    /// Go models lack it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_days: Option<i64>,
    /// Seconds the coupon stays usable after it is received (a third-party
    /// SDK's model only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_seconds: Option<i64>,
}

impl CouponAvailablePeriod {
    /// A period between two times (RFC 3339 with seconds).
    pub fn between(begin: impl Into<Timestamp>, end: impl Into<Timestamp>) -> Self {
        Self {
            available_begin_time: Some(begin.into()),
            available_end_time: Some(end.into()),
            ..Self::default()
        }
    }

    /// With `available_days`.
    pub fn with_available_days(mut self, days: i64) -> Self {
        self.available_days = Some(days);
        self
    }

    /// With `wait_days_after_receive`.
    pub fn with_wait_days_after_receive(mut self, days: i64) -> Self {
        self.wait_days_after_receive = Some(days);
        self
    }

    /// With `weekly_available_period`.
    pub fn with_weekly_available_period(mut self, weekly: WeeklyAvailablePeriod) -> Self {
        self.weekly_available_period = Some(weekly);
        self
    }

    /// With `irregular_available_period_list`.
    pub fn with_irregular_periods(mut self, periods: Vec<TimePeriod>) -> Self {
        self.irregular_available_period_list = Some(periods);
        self
    }

    pub(crate) fn check(&self, c: &mut Checker, p: &Path<'_>) {
        if self.available_days.is_some() && self.irregular_available_period_list.is_some() {
            c.report(
                RuleId::AvailableDaysExcludesIrregular,
                &p.key("irregular_available_period_list"),
                "remove irregular_available_period_list or available_days: they cannot be used together".to_owned(),
            );
        }
        if self.wait_days_after_receive.is_some() && self.available_days.is_none() {
            c.report(
                RuleId::WaitDaysNeedsAvailableDays,
                &p.key("wait_days_after_receive"),
                "wait_days_after_receive needs available_days; add available_days or remove wait_days_after_receive".to_owned(),
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
        if let Some(days) = self.wait_days_after_receive {
            check_range(
                c,
                &p.key("wait_days_after_receive"),
                RuleId::AvailableDaysRange,
                days,
                0,
                30,
                "wait_days_after_receive",
            );
        }
        let begin = self
            .available_begin_time
            .as_ref()
            .and_then(|t| check_time(c, &p.key("available_begin_time"), t));
        let end_path = p.key("available_end_time");
        let end = self
            .available_end_time
            .as_ref()
            .and_then(|t| check_time(c, &end_path, t));
        if let (Some(begin), Some(end)) = (begin, end) {
            if begin.cmp_instant(&end).is_ge() {
                c.report(
                    RuleId::PeriodOrder,
                    &end_path,
                    "available_end_time is not after available_begin_time; make the period end after it begins".to_owned(),
                );
            } else if end.unix_timestamp() - begin.unix_timestamp() > 365 * 86_400 {
                c.report(
                    RuleId::PeriodOrder,
                    &end_path,
                    "the available period spans more than 365 days; end it at most 365 days after available_begin_time".to_owned(),
                );
            }
        }
        if let Some(weekly) = &self.weekly_available_period {
            weekly.check(c, &p.key("weekly_available_period"));
        }
        if let Some(list) = &self.irregular_available_period_list {
            let lp = p.key("irregular_available_period_list");
            for (i, period) in list.iter().enumerate() {
                period.check(c, &lp.index(i));
            }
        }
    }
}

/// Fixed weekly availability (`weekly_available_period`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct WeeklyAvailablePeriod {
    /// Days of the week the coupon is usable; non-empty when `day_period_list` is present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_list: Option<Vec<Weekday>>,
    /// Usable windows within each of those days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_period_list: Option<Vec<DayPeriod>>,
}

impl WeeklyAvailablePeriod {
    /// Usable on these days, all day.
    pub fn on_days(days: Vec<Weekday>) -> Self {
        Self {
            day_list: Some(days),
            day_period_list: None,
        }
    }

    /// With `day_period_list`.
    pub fn with_day_periods(mut self, periods: Vec<DayPeriod>) -> Self {
        self.day_period_list = Some(periods);
        self
    }

    fn check(&self, c: &mut Checker, p: &Path<'_>) {
        if self.day_period_list.is_some() && self.day_list.as_ref().is_none_or(Vec::is_empty) {
            c.report(
                RuleId::DayPeriodsNeedDays,
                &p.key("day_list"),
                "day_list is missing or empty; list the days of the week the day periods apply to"
                    .to_owned(),
            );
        }
        if let Some(list) = &self.day_period_list {
            let lp = p.key("day_period_list");
            for (i, period) in list.iter().enumerate() {
                period.check(c, &lp.index(i));
            }
        }
    }
}

/// A window within a day, in seconds since midnight (`day_period_list[]`).
///
/// Required: `begin_time`, `end_time`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayPeriod {
    /// Start, seconds of the day (0–86399).
    pub begin_time: i64,
    /// End, seconds of the day (0–86399), after `begin_time`.
    pub end_time: i64,
}

impl DayPeriod {
    /// A window from `begin_time` to `end_time` seconds of the day.
    pub fn new(begin_time: i64, end_time: i64) -> Self {
        Self {
            begin_time,
            end_time,
        }
    }

    fn check(&self, c: &mut Checker, p: &Path<'_>) {
        let begin_ok = (0..=86_399).contains(&self.begin_time);
        let end_ok = (0..=86_399).contains(&self.end_time);
        if !begin_ok {
            c.report(
                RuleId::DayPeriodRange,
                &p.key("begin_time"),
                format!(
                    "begin_time is {}; use seconds of the day, 0 to 86399",
                    self.begin_time
                ),
            );
        }
        if !end_ok {
            c.report(
                RuleId::DayPeriodRange,
                &p.key("end_time"),
                format!(
                    "end_time is {}; use seconds of the day, 0 to 86399",
                    self.end_time
                ),
            );
        }
        if begin_ok && end_ok && self.begin_time >= self.end_time {
            c.report(
                RuleId::DayPeriodRange,
                &p.key("end_time"),
                format!(
                    "end_time {} is not after begin_time {}; make the window end after it begins",
                    self.end_time, self.begin_time
                ),
            );
        }
    }
}

/// An absolute time window (`irregular_available_period_list[]`).
///
/// Required: `begin_time`, `end_time`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimePeriod {
    /// Start.
    pub begin_time: Timestamp,
    /// End, after the start.
    pub end_time: Timestamp,
}

impl TimePeriod {
    /// A window from `begin_time` to `end_time`.
    pub fn new(begin_time: impl Into<Timestamp>, end_time: impl Into<Timestamp>) -> Self {
        Self {
            begin_time: begin_time.into(),
            end_time: end_time.into(),
        }
    }

    fn check(&self, c: &mut Checker, p: &Path<'_>) {
        let begin = check_time(c, &p.key("begin_time"), &self.begin_time);
        let end_path = p.key("end_time");
        let end = check_time(c, &end_path, &self.end_time);
        if let (Some(begin), Some(end)) = (begin, end) {
            if begin.cmp_instant(&end).is_ge() {
                c.report(
                    RuleId::PeriodOrder,
                    &end_path,
                    "end_time is not after begin_time; make the window end after it begins"
                        .to_owned(),
                );
            }
        }
    }
}

/// A fixed-amount discount (满减券, `normal_coupon`): `discount_amount` off
/// when the order reaches `threshold`.
///
/// Required: `discount_amount`. `threshold` absent means none was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NormalCouponUsageRule {
    /// Minimum order amount, in fen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<Fen>,
    /// Amount taken off, in fen.
    pub discount_amount: Fen,
}

impl NormalCouponUsageRule {
    /// `discount_amount` fen off from `threshold` fen.
    pub fn new(threshold: i64, discount_amount: i64) -> Self {
        Self {
            threshold: Some(Fen(threshold)),
            discount_amount: Fen(discount_amount),
        }
    }
}

/// A percentage discount (折扣券, `discount_coupon`).
///
/// Required: `percent_off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscountCouponUsageRule {
    /// Minimum order amount, in fen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<Fen>,
    /// The discount as a percentage taken off the price (`percent_off`, e.g. `30`).
    pub percent_off: i64,
}

impl DiscountCouponUsageRule {
    /// `percent_off` percent off from `threshold` fen.
    pub fn new(threshold: i64, percent_off: i64) -> Self {
        Self {
            threshold: Some(Fen(threshold)),
            percent_off,
        }
    }
}

/// An exchange (换购券, `exchange_coupon`): buy the product for `exchange_price`.
///
/// Required: `exchange_price`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeCouponUsageRule {
    /// Minimum order amount, in fen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<Fen>,
    /// Price paid for the product, in fen.
    pub exchange_price: Fen,
}

impl ExchangeCouponUsageRule {
    /// Exchange for `exchange_price` fen from `threshold` fen.
    pub fn new(threshold: i64, exchange_price: i64) -> Self {
        Self {
            threshold: Some(Fen(threshold)),
            exchange_price: Fen(exchange_price),
        }
    }
}

/// How the usage rules are shown to the user (`usage_rule_display_info`).
///
/// Required: nothing on parse (`coupon_usage_method_list` and
/// `usage_description` are documented as required; build with
/// [`UsageRuleDisplayInfo::new`]).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UsageRuleDisplayInfo {
    /// Ways the coupon can be redeemed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon_usage_method_list: Option<Vec<CouponUsageMethod>>,
    /// Mini program to redeem in (with `MINI_PROGRAM`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mini_program_appid: Option<AppId>,
    /// Path inside that mini program (with `MINI_PROGRAM`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mini_program_path: Option<String>,
    /// App jump path (with `APP`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_path: Option<String>,
    /// How the app is opened (a third-party SDK's model only; values not
    /// documented).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_jump_type: Option<String>,
    /// A passcode link (a third-party SDK's model only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passcode_link: Option<String>,
    /// Usage description, at most 1000 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_description: Option<String>,
    /// Where the coupon can be used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon_available_store_info: Option<CouponAvailableStoreInfo>,
}

impl UsageRuleDisplayInfo {
    /// Usage methods and description (the documented required fields).
    pub fn new(methods: Vec<CouponUsageMethod>, usage_description: impl Into<String>) -> Self {
        Self {
            coupon_usage_method_list: Some(methods),
            usage_description: Some(usage_description.into()),
            ..Self::default()
        }
    }

    /// With the mini program to redeem in.
    pub fn with_mini_program(mut self, appid: impl Into<AppId>, path: impl Into<String>) -> Self {
        self.mini_program_appid = Some(appid.into());
        self.mini_program_path = Some(path.into());
        self
    }

    /// With the app jump path.
    pub fn with_app_path(mut self, path: impl Into<String>) -> Self {
        self.app_path = Some(path.into());
        self
    }

    /// With the store information.
    pub fn with_store_info(mut self, info: CouponAvailableStoreInfo) -> Self {
        self.coupon_available_store_info = Some(info);
        self
    }

    pub(crate) fn check(&self, c: &mut Checker, p: &Path<'_>) {
        let methods = self.coupon_usage_method_list.as_deref().unwrap_or(&[]);
        let mini = methods.contains(&CouponUsageMethod::MiniProgram);
        let app = methods.contains(&CouponUsageMethod::App);
        let has_appid = non_empty(self.mini_program_appid.as_ref());
        let has_path = non_empty(self.mini_program_path.as_ref());
        if mini || has_appid != has_path {
            let why = if mini {
                "coupon_usage_method_list contains MINI_PROGRAM"
            } else {
                "mini_program_appid and mini_program_path come together"
            };
            if !has_appid {
                c.report(
                    RuleId::MiniProgramNeedsAppidAndPath,
                    &p.key("mini_program_appid"),
                    format!("add mini_program_appid: {why}"),
                );
            }
            if !has_path {
                c.report(
                    RuleId::MiniProgramNeedsAppidAndPath,
                    &p.key("mini_program_path"),
                    format!("add mini_program_path: {why}"),
                );
            }
        }
        if app && !non_empty(self.app_path.as_ref()) {
            c.report(
                RuleId::AppNeedsPath,
                &p.key("app_path"),
                "add app_path: coupon_usage_method_list contains APP".to_owned(),
            );
        }
        if let Some(text) = &self.usage_description {
            check_max_chars(
                c,
                &p.key("usage_description"),
                RuleId::UsageDescriptionLength,
                text,
                1000,
                "usage_description",
            );
        }
        if let Some(text) = self
            .coupon_available_store_info
            .as_ref()
            .and_then(|s| s.description.as_ref())
        {
            check_max_chars(
                c,
                &p.key("coupon_available_store_info").key("description"),
                RuleId::UsageDescriptionLength,
                text,
                1000,
                "coupon_available_store_info.description",
            );
        }
    }
}

/// Where the coupon can be used (`coupon_available_store_info`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CouponAvailableStoreInfo {
    /// Description of the stores, at most 1000 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Mini program listing the stores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mini_program_appid: Option<AppId>,
    /// Path of the store list in that mini program.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mini_program_path: Option<String>,
}

/// How the user coupon looks in the card wallet (`coupon_display_info`).
///
/// Required: nothing on parse (`code_display_mode` is documented as
/// required; build with [`CouponDisplayInfo::new`]).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CouponDisplayInfo {
    /// How the code is shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_display_mode: Option<CouponCodeDisplayMode>,
    /// Background colour name, e.g. `Color010` (kept as a string: the
    /// documented palette is not enumerated on the pages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background_color: Option<String>,
    /// Entrance to a mini program.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrance_mini_program: Option<EntranceMiniProgram>,
    /// Entrance to an official account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrance_official_account: Option<EntranceOfficialAccount>,
    /// Entrance to a Channels (视频号) video.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrance_finder: Option<EntranceFinder>,
}

impl CouponDisplayInfo {
    /// With the code display mode.
    pub fn new(code_display_mode: CouponCodeDisplayMode) -> Self {
        Self {
            code_display_mode: Some(code_display_mode),
            ..Self::default()
        }
    }

    /// With the background colour name.
    pub fn with_background_color(mut self, color: impl Into<String>) -> Self {
        self.background_color = Some(color.into());
        self
    }

    /// With a mini program entrance.
    pub fn with_entrance_mini_program(mut self, entrance: EntranceMiniProgram) -> Self {
        self.entrance_mini_program = Some(entrance);
        self
    }

    pub(crate) fn check(&self, c: &mut Checker, p: &Path<'_>) {
        if let Some(entrance) = &self.entrance_mini_program {
            let ep = p.key("entrance_mini_program");
            if let Some(text) = &entrance.entrance_wording {
                check_max_chars(
                    c,
                    &ep.key("entrance_wording"),
                    RuleId::EntranceWordingLength,
                    text,
                    5,
                    "entrance_wording",
                );
            }
            if let Some(text) = &entrance.guidance_wording {
                check_max_chars(
                    c,
                    &ep.key("guidance_wording"),
                    RuleId::EntranceWordingLength,
                    text,
                    6,
                    "guidance_wording",
                );
            }
        }
    }
}

/// Entrance to a mini program (`entrance_mini_program`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EntranceMiniProgram {
    /// Mini program AppID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appid: Option<AppId>,
    /// Path inside it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Entrance wording, at most 5 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrance_wording: Option<String>,
    /// Guidance wording, at most 6 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guidance_wording: Option<String>,
}

/// Entrance to an official account (`entrance_official_account`).
///
/// Required: `appid` (its only field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntranceOfficialAccount {
    /// Official account AppID.
    pub appid: AppId,
}

/// Entrance to a Channels video (`entrance_finder`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EntranceFinder {
    /// Channels id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finder_id: Option<String>,
    /// Video id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finder_video_id: Option<String>,
    /// Cover image URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finder_video_cover_image_url: Option<String>,
}

/// Event notification settings (`notify_config`).
///
/// Required: `notify_appid` (its only field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotifyConfig {
    /// AppID used to compute the user's OpenID in notifications.
    pub notify_appid: AppId,
}

impl NotifyConfig {
    /// Notifications computed under `notify_appid`.
    pub fn new(notify_appid: impl Into<AppId>) -> Self {
        Self {
            notify_appid: notify_appid.into(),
        }
    }
}

/// The JSON body of `deactivate-product-coupon` and `deactivate-stock`:
/// `{"out_request_no", "deactivate_reason"}`, plus `brand_id` on the partner
/// side.
///
/// Required (request type, strict): `out_request_no`, `deactivate_reason`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeactivateBody {
    /// Idempotency key, 6–40 characters of `[0-9A-Za-z_-]`; echoed as the
    /// object's `deactivate_request_no`.
    pub out_request_no: OutRequestNo,
    /// Why it is deactivated.
    pub deactivate_reason: String,
    /// The brand the partner acts for (partner side only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand_id: Option<BrandId>,
}

impl DeactivateBody {
    /// A body with its reason.
    pub fn new(
        out_request_no: impl Into<OutRequestNo>,
        deactivate_reason: impl Into<String>,
    ) -> Self {
        Self {
            out_request_no: out_request_no.into(),
            deactivate_reason: deactivate_reason.into(),
            brand_id: None,
        }
    }

    /// Checks `out-request-no-format`.
    pub fn validate(&self) -> Result<(), crate::Violations> {
        crate::validate::validate_request_no(&self.out_request_no)
    }
}

impl_request_body!(
    DeactivateBody,
    validate = DeactivateBody::validate,
    brand_id
);
