//! Property tests: generated valid documents round-trip through JSON and
//! validate clean; breaking one rule is reported with exactly that rule's id
//! and pointer; validation and parsing never panic on arbitrary input; the
//! RFC 3339 view round-trips.

use std::collections::BTreeSet;

use coupon_model::common::{
    CouponAvailablePeriod, CouponCodeDisplayMode, CouponDisplayInfo, CouponUsageMethod, DayPeriod,
    DiscountCouponUsageRule, EntranceMiniProgram, ExchangeCouponUsageRule, Fen,
    NormalCouponUsageRule, NotifyConfig, TimePeriod, UsageRuleDisplayInfo, Weekday,
    WeeklyAvailablePeriod,
};
use coupon_model::product_coupon::{
    ComboChoice, ComboPackage, ProductCoupon, ProductCouponDisplayInfo, ProductCouponScope,
    ProductCouponState, ProductCouponType, SequentialUsageInfo, SingleUsageInfo, UsageMode,
};
use coupon_model::stock::{
    CouponCodeCountInfo, CouponCodeMode, ListStocksResponse, ProgressiveBundleUsageRule,
    SequentialUsageRule, SingleUsageRule, Stock, StockBundleInfo, StockSendRule,
    StockSentCountInfo, StockState, StoreScope,
};
use coupon_model::time::{DateTime, Timestamp};
use coupon_model::user_coupon::{ListUserCouponsResponse, UserCoupon, UserCouponState};
use coupon_model::{RuleId, ValidationContext, Violations};
use proptest::prelude::*;
use proptest::sample::select;

// ---------------------------------------------------------------------------
// Valid generators.

/// The owning product coupon's shape.
#[derive(Debug, Clone)]
struct Shape {
    scope: ProductCouponScope,
    kind: ProductCouponType,
    mode: UsageMode,
    count: i64,
}

impl Shape {
    fn ctx(&self) -> ValidationContext {
        ValidationContext {
            scope: Some(self.scope.clone()),
            coupon_type: Some(self.kind.clone()),
            usage_mode: Some(self.mode.clone()),
            sequential_count: Some(self.count),
            page_token_sent: None,
        }
    }
    fn single_scope(&self) -> bool {
        self.scope == ProductCouponScope::Single
    }
    fn sequential(&self) -> bool {
        self.mode == UsageMode::Sequential
    }
    /// Index of the coupon kind named by `type`: 0 normal, 1 discount, 2 exchange.
    fn named(&self) -> usize {
        match self.kind {
            ProductCouponType::Normal => 0,
            ProductCouponType::Discount => 1,
            _ => 2,
        }
    }
}

fn arb_shape() -> impl Strategy<Value = Shape> {
    (any::<bool>(), 0usize..3, any::<bool>(), 3i64..=6).prop_map(
        |(single_scope, k, sequential, count)| {
            let kind = match (k, single_scope) {
                (0, _) => ProductCouponType::Normal,
                (1, _) => ProductCouponType::Discount,
                (_, true) => ProductCouponType::Exchange,
                (_, false) => ProductCouponType::Normal,
            };
            Shape {
                scope: if single_scope {
                    ProductCouponScope::Single
                } else {
                    ProductCouponScope::All
                },
                kind,
                mode: if sequential {
                    UsageMode::Sequential
                } else {
                    UsageMode::Single
                },
                count,
            }
        },
    )
}

fn ts(unix: i64, offset: i16) -> Timestamp {
    Timestamp::from(DateTime::from_unix_timestamp(unix, offset).unwrap())
}

fn arb_offset() -> impl Strategy<Value = i16> {
    select(vec![480i16, 0, -300, 330, 545, -720])
}

fn arb_text(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[a-zA-Z0-9 _\u{4e00}-\u{4e80}]{{0,{max}}}")).unwrap()
}

fn arb_weekly() -> impl Strategy<Value = WeeklyAvailablePeriod> {
    let days = proptest::sample::subsequence(
        vec![
            Weekday::Monday,
            Weekday::Tuesday,
            Weekday::Wednesday,
            Weekday::Thursday,
            Weekday::Friday,
            Weekday::Saturday,
            Weekday::Sunday,
        ],
        1..=7,
    );
    let window = (0i64..86_399).prop_flat_map(|b| (Just(b), (b + 1)..=86_399));
    (days, prop::option::of(prop::collection::vec(window, 0..3))).prop_map(|(days, windows)| {
        let weekly = WeeklyAvailablePeriod::on_days(days);
        match windows {
            Some(w) => {
                weekly.with_day_periods(w.into_iter().map(|(b, e)| DayPeriod::new(b, e)).collect())
            }
            None => weekly,
        }
    })
}

fn arb_period() -> impl Strategy<Value = CouponAvailablePeriod> {
    (
        1_577_836_800i64..1_893_456_000,
        1i64..=365 * 86_400,
        arb_offset(),
        prop::option::of(1i64..=365),
        prop::option::of(0i64..=30),
        prop::collection::vec((0i64..86_400 * 30, 1i64..86_400 * 10), 0..3),
        prop::option::of(arb_weekly()),
    )
        .prop_map(|(begin, span, offset, days, wait, irregular, weekly)| {
            let mut period =
                CouponAvailablePeriod::between(ts(begin, offset), ts(begin + span, offset));
            period.available_days = days;
            if days.is_some() {
                period.wait_days_after_receive = wait;
            } else if !irregular.is_empty() {
                period.irregular_available_period_list = Some(
                    irregular
                        .into_iter()
                        .map(|(start, len)| {
                            TimePeriod::new(
                                ts(begin + start, offset),
                                ts(begin + start + len, offset),
                            )
                        })
                        .collect(),
                );
            }
            period.weekly_available_period = weekly;
            period
        })
}

fn arb_usage_display() -> impl Strategy<Value = UsageRuleDisplayInfo> {
    (
        proptest::sample::subsequence(
            vec![
                CouponUsageMethod::Offline,
                CouponUsageMethod::MiniProgram,
                CouponUsageMethod::App,
                CouponUsageMethod::PaymentCode,
            ],
            0..=4,
        ),
        any::<bool>(),
        any::<bool>(),
        arb_text(40),
        prop::option::of(arb_text(40)),
    )
        .prop_map(|(methods, mini_anyway, app_anyway, description, store)| {
            let mini = methods.contains(&CouponUsageMethod::MiniProgram) || mini_anyway;
            let app = methods.contains(&CouponUsageMethod::App) || app_anyway;
            let mut info = UsageRuleDisplayInfo::new(methods, description);
            if mini {
                info = info.with_mini_program("wx1234567890", "/pages/index/product");
            }
            if app {
                info = info.with_app_path("https://www.example.com/app");
            }
            if let Some(store) = store {
                info.coupon_available_store_info =
                    Some(coupon_model::common::CouponAvailableStoreInfo {
                        description: Some(store),
                        ..Default::default()
                    });
            }
            info
        })
}

fn arb_coupon_display() -> impl Strategy<Value = CouponDisplayInfo> {
    (
        select(vec![
            CouponCodeDisplayMode::Invisible,
            CouponCodeDisplayMode::Barcode,
            CouponCodeDisplayMode::Qrcode,
        ]),
        prop::option::of((arb_text(5), arb_text(6))),
    )
        .prop_map(|(mode, entrance)| {
            let mut display = CouponDisplayInfo::new(mode).with_background_color("Color010");
            if let Some((entrance_wording, guidance_wording)) = entrance {
                display = display.with_entrance_mini_program(EntranceMiniProgram {
                    appid: Some("wx1234567890".into()),
                    path: Some("/pages/index".to_owned()),
                    entrance_wording: Some(entrance_wording),
                    guidance_wording: Some(guidance_wording),
                });
            }
            display
        })
}

fn normal(t: i64) -> NormalCouponUsageRule {
    NormalCouponUsageRule::new(t, t / 10)
}
fn discount(t: i64) -> DiscountCouponUsageRule {
    DiscountCouponUsageRule::new(t, 30)
}
fn exchange(t: i64) -> ExchangeCouponUsageRule {
    ExchangeCouponUsageRule::new(t, 990)
}

/// A single rule (period plus, for scope SINGLE, the named discount).
fn single_rule(shape: &Shape, period: CouponAvailablePeriod) -> SingleUsageRule {
    let rule = SingleUsageRule::new(period);
    if !shape.single_scope() {
        return rule;
    }
    match shape.named() {
        0 => rule.with_normal_coupon(normal(10_000)),
        1 => rule.with_discount_coupon(discount(10_000)),
        _ => rule.with_exchange_coupon(exchange(0)),
    }
}

fn sequential_rule(
    shape: &Shape,
    period: CouponAvailablePeriod,
    len: usize,
) -> SequentialUsageRule {
    let rule = SequentialUsageRule::new(period);
    match shape.named() {
        0 => rule.with_normal_coupons(vec![normal(5_000); len]),
        1 => rule.with_discount_coupons(vec![discount(5_000); len]),
        _ => rule.with_exchange_coupons(vec![exchange(0); len]),
    }
}

fn deactivation(
    deactivated: bool,
) -> (
    Option<coupon_model::ids::RequestNo>,
    Option<Timestamp>,
    Option<String>,
) {
    if deactivated {
        (
            Some("de_34657_20250101_123456".into()),
            Some("2025-09-01T00:00:00+08:00".into()),
            Some("批次信息有误".to_owned()),
        )
    } else {
        (None, None, None)
    }
}

fn arb_stock_for(shape: Shape) -> impl Strategy<Value = Stock> {
    let ids = ("[0-9]{1,20}", "[0-9]{1,20}");
    let limits = (
        1i64..=100_000_000,
        prop::option::of(1i64..=100_000_000),
        1i64..=100,
    );
    let kinds = (0usize..3, 0usize..3, 0usize..5, any::<bool>());
    (
        ids,
        prop::option::of(arb_text(20)),
        limits,
        kinds,
        arb_period(),
        arb_usage_display(),
        arb_coupon_display(),
        prop::option::of("[0-9]{6}"),
        0i64..1_000,
    )
        .prop_map(
            move |(
                (pcid, sid),
                remark,
                (max, per_day, per_user),
                (code, store, state, bundled),
                period,
                usage,
                display,
                brand,
                sent,
            )| {
                let coupon_code_mode = [
                    CouponCodeMode::Wechatpay,
                    CouponCodeMode::Upload,
                    CouponCodeMode::ApiAssign,
                ][code]
                    .clone();
                let state = [
                    StockState::Auditing,
                    StockState::Sending,
                    StockState::Paused,
                    StockState::Stopped,
                    StockState::Deactivated,
                ][state]
                    .clone();
                let (deactivate_request_no, deactivate_time, deactivate_reason) =
                    deactivation(state == StockState::Deactivated);
                let mut stock = Stock {
                    product_coupon_id: pcid.into(),
                    stock_id: sid.into(),
                    remark,
                    coupon_code_count_info: (coupon_code_mode == CouponCodeMode::Upload).then_some(
                        CouponCodeCountInfo {
                            total_count: Some(sent),
                            available_count: Some(sent / 2),
                        },
                    ),
                    coupon_code_mode: Some(coupon_code_mode),
                    stock_send_rule: Some(StockSendRule {
                        max_count: max,
                        max_count_per_day: per_day,
                        max_count_per_user: per_user,
                    }),
                    usage_rule_display_info: Some(usage),
                    coupon_display_info: Some(display),
                    notify_config: Some(NotifyConfig::new("wx4fd12345678")),
                    store_scope: Some(
                        [StoreScope::NoStore, StoreScope::All, StoreScope::Specific][store].clone(),
                    ),
                    sent_count_info: Some(StockSentCountInfo {
                        total_count: Some(sent),
                        today_count: Some(sent / 3),
                    }),
                    state: Some(state),
                    deactivate_request_no,
                    deactivate_time,
                    deactivate_reason,
                    brand_id: brand.map(Into::into),
                    ..Stock::default()
                };
                if !shape.sequential() {
                    stock.single_usage_rule = Some(single_rule(&shape, period));
                } else if bundled {
                    let mut rule = ProgressiveBundleUsageRule {
                        coupon_available_period: period,
                        normal_coupon: None,
                        discount_coupon: None,
                        exchange_coupon: None,
                        normal_coupon_list: None,
                        discount_coupon_list: None,
                        exchange_coupon_list: None,
                        special_first: None,
                    };
                    match shape.named() {
                        0 => rule.normal_coupon = Some(normal(10_000)),
                        1 => rule.discount_coupon = Some(discount(10_000)),
                        _ => rule.exchange_coupon = Some(exchange(0)),
                    }
                    stock.progressive_bundle_usage_rule = Some(rule);
                    stock.stock_bundle_info = Some(StockBundleInfo {
                        stock_bundle_id: "712315129419284901".into(),
                        stock_bundle_index: Some(0),
                    });
                } else {
                    stock.sequential_usage_rule =
                        Some(sequential_rule(&shape, period, shape.count as usize));
                }
                stock
            },
        )
}

fn arb_shape_and_stock() -> impl Strategy<Value = (Shape, Stock)> {
    arb_shape().prop_flat_map(|shape| (Just(shape.clone()), arb_stock_for(shape)))
}

fn product_coupon_for(
    shape: &Shape,
    name: String,
    state: ProductCouponState,
    images: usize,
) -> ProductCoupon {
    let single_all = !shape.sequential() && !shape.single_scope();
    let mut display = ProductCouponDisplayInfo::new(name, "https://wxpaylogo.qpic.cn/x");
    display.detail_image_url_list = Some(vec!["https://wxpaylogo.qpic.cn/d".to_owned(); images]);
    if shape.single_scope() {
        display = display
            .with_original_price(10_000)
            .with_combo_packages(vec![ComboPackage {
                name: Some("咖啡2选1".to_owned()),
                pick_count: Some(1),
                choice_list: Some(vec![
                    ComboChoice {
                        name: Some("美式".to_owned()),
                        price: Some(Fen(1_000)),
                        count: Some(2),
                        ..Default::default()
                    };
                    2
                ]),
            }]);
    }
    let (deactivate_request_no, deactivate_time, deactivate_reason) =
        deactivation(state == ProductCouponState::Deactivated);
    ProductCoupon {
        product_coupon_id: "1002323".into(),
        scope: Some(shape.scope.clone()),
        coupon_type: Some(shape.kind.clone()),
        usage_mode: Some(shape.mode.clone()),
        single_usage_info: single_all.then(|| match shape.named() {
            1 => SingleUsageInfo {
                normal_coupon: None,
                discount_coupon: Some(discount(10_000)),
            },
            _ => SingleUsageInfo {
                normal_coupon: Some(normal(10_000)),
                discount_coupon: None,
            },
        }),
        sequential_usage_info: shape.sequential().then(|| SequentialUsageInfo {
            count: Some(shape.count),
            available_days: Some(30),
            interval_days: Some(1),
            ..Default::default()
        }),
        display_info: Some(display),
        out_product_no: Some("Product_1234567890".into()),
        state: Some(state),
        deactivate_request_no,
        deactivate_time,
        deactivate_reason,
        brand_id: None,
    }
}

fn arb_product_coupon_for(shape: Shape) -> impl Strategy<Value = ProductCoupon> {
    (
        proptest::string::string_regex("[a-z\u{4e00}-\u{4e80}]{3,15}").unwrap(),
        select(vec![
            ProductCouponState::Auditing,
            ProductCouponState::Effective,
            ProductCouponState::Deactivated,
        ]),
        0usize..=8,
    )
        .prop_map(move |(name, state, images)| product_coupon_for(&shape, name, state, images))
}

fn arb_user_coupon() -> impl Strategy<Value = (Shape, UserCoupon)> {
    arb_shape().prop_flat_map(|shape| {
        (
            Just(shape.clone()),
            arb_product_coupon_for(shape.clone()),
            arb_stock_for(shape),
            0usize..7,
            "[0-9]{6,20}",
        )
            .prop_map(|(shape, pc, stock, state, code)| {
                let states = [
                    UserCouponState::Confirming,
                    UserCouponState::Pending,
                    UserCouponState::Effective,
                    UserCouponState::Used,
                    UserCouponState::Expired,
                    UserCouponState::Deleted,
                    UserCouponState::Deactivated,
                ];
                let state = states[state].clone();
                let (deactivate_request_no, deactivate_time, deactivate_reason) =
                    deactivation(state == UserCouponState::Deactivated);
                let coupon = UserCoupon {
                    coupon_code: code.into(),
                    coupon_state: Some(state),
                    valid_begin_time: Some("2025-01-01T00:00+08:00".into()),
                    valid_end_time: Some("2025-01-30T23:59:59+08:00".into()),
                    receive_time: Some("2025-01-01T09:10:00+08:00".into()),
                    deactivate_request_no,
                    deactivate_time,
                    deactivate_reason,
                    product_coupon: Some(pc),
                    stock: Some(stock),
                    ..UserCoupon::default()
                };
                (shape, coupon)
            })
    })
}

fn rule_paths(result: Result<(), Violations>) -> BTreeSet<(RuleId, String)> {
    match result {
        Ok(()) => BTreeSet::new(),
        Err(v) => v.iter().map(|v| (v.rule, v.path.clone())).collect(),
    }
}

// ---------------------------------------------------------------------------
// Breaking exactly one rule.

/// The stock's usage rule period and its pointer.
fn rule_period(stock: &mut Stock) -> (&mut CouponAvailablePeriod, &'static str) {
    if let Some(rule) = stock.single_usage_rule.as_mut() {
        (
            &mut rule.coupon_available_period,
            "/single_usage_rule/coupon_available_period",
        )
    } else if let Some(rule) = stock.sequential_usage_rule.as_mut() {
        (
            &mut rule.coupon_available_period,
            "/sequential_usage_rule/coupon_available_period",
        )
    } else {
        let rule = stock.progressive_bundle_usage_rule.as_mut().unwrap();
        (
            &mut rule.coupon_available_period,
            "/progressive_bundle_usage_rule/coupon_available_period",
        )
    }
}

const COUPON_FIELDS: [&str; 3] = ["normal_coupon", "discount_coupon", "exchange_coupon"];

/// Breaks one rule of a valid stock; returns the expected (rule, pointer),
/// or `None` when mutation `which` does not apply to this stock.
fn break_stock(stock: &mut Stock, shape: &Shape, which: usize) -> Option<(RuleId, String)> {
    let other = (shape.named() + 1) % 3;
    let one = |r: RuleId, p: &str| Some((r, p.to_owned()));
    match which {
        0 => {
            if stock.coupon_code_count_info.take().is_none() {
                stock.coupon_code_count_info = Some(CouponCodeCountInfo::default());
            }
            one(RuleId::CodeCountIffUpload, "/coupon_code_count_info")
        }
        1 => {
            if stock.deactivate_reason.take().is_none() {
                stock.deactivate_reason = Some("x".to_owned());
            }
            one(RuleId::DeactivationIffDeactivated, "/deactivate_reason")
        }
        2 => {
            stock.remark = Some("备".repeat(21));
            one(RuleId::RemarkLength, "/remark")
        }
        3 => {
            stock.stock_send_rule.as_mut().unwrap().max_count = 0;
            one(RuleId::MaxCountRange, "/stock_send_rule/max_count")
        }
        4 => {
            stock.stock_send_rule.as_mut().unwrap().max_count_per_user = 101;
            one(
                RuleId::MaxCountPerUserRange,
                "/stock_send_rule/max_count_per_user",
            )
        }
        5 => {
            if stock.stock_bundle_info.take().is_none() {
                stock.stock_bundle_info = Some(StockBundleInfo {
                    stock_bundle_id: "1".into(),
                    stock_bundle_index: None,
                });
            }
            one(RuleId::BundleInfoIffBundled, "/stock_bundle_info")
        }
        6 => {
            if shape.sequential() {
                let (period, _) = rule_period(stock);
                let period = period.clone();
                stock.single_usage_rule = Some(single_rule(shape, period));
            } else {
                stock.single_usage_rule = None;
            }
            one(RuleId::SingleRuleIffSingleMode, "/single_usage_rule")
        }
        7 => {
            let (period, _) = rule_period(stock);
            let rule = sequential_rule(shape, period.clone(), shape.count as usize);
            if !shape.sequential() {
                stock.sequential_usage_rule = Some(rule);
                one(
                    RuleId::SequentialRuleIffSequentialMode,
                    "/sequential_usage_rule",
                )
            } else if stock.sequential_usage_rule.take().is_some() {
                one(
                    RuleId::SequentialRuleIffSequentialMode,
                    "/sequential_usage_rule",
                )
            } else {
                stock.sequential_usage_rule = Some(rule);
                one(
                    RuleId::SequentialRuleIffSequentialMode,
                    "/progressive_bundle_usage_rule",
                )
            }
        }
        8 => {
            let rule = stock
                .single_usage_rule
                .as_mut()
                .filter(|_| !shape.single_scope())?;
            rule.normal_coupon = Some(normal(100));
            one(
                RuleId::SingleRuleOnlyForSingleScope,
                "/single_usage_rule/normal_coupon",
            )
        }
        9 => {
            let field = COUPON_FIELDS[other];
            if let Some(rule) = stock
                .single_usage_rule
                .as_mut()
                .filter(|_| shape.single_scope())
            {
                match other {
                    0 => rule.normal_coupon = Some(normal(100)),
                    1 => rule.discount_coupon = Some(discount(100)),
                    _ => rule.exchange_coupon = Some(exchange(100)),
                }
                Some((
                    RuleId::RuleMatchesType,
                    format!("/single_usage_rule/{field}"),
                ))
            } else if let Some(rule) = stock.progressive_bundle_usage_rule.as_mut() {
                match other {
                    0 => rule.normal_coupon = Some(normal(100)),
                    1 => rule.discount_coupon = Some(discount(100)),
                    _ => rule.exchange_coupon = Some(exchange(100)),
                }
                Some((
                    RuleId::RuleMatchesType,
                    format!("/progressive_bundle_usage_rule/{field}"),
                ))
            } else {
                None
            }
        }
        10 => {
            let rule = stock.sequential_usage_rule.as_mut()?;
            let field = match shape.named() {
                0 => {
                    rule.normal_coupon_list.as_mut().unwrap().push(normal(1));
                    "normal_coupon_list"
                }
                1 => {
                    rule.discount_coupon_list
                        .as_mut()
                        .unwrap()
                        .push(discount(1));
                    "discount_coupon_list"
                }
                _ => {
                    rule.exchange_coupon_list
                        .as_mut()
                        .unwrap()
                        .push(exchange(1));
                    "exchange_coupon_list"
                }
            };
            Some((
                RuleId::RuleListMatchesType,
                format!("/sequential_usage_rule/{field}"),
            ))
        }
        11 => {
            let d = stock.usage_rule_display_info.as_mut().unwrap();
            let methods = d.coupon_usage_method_list.get_or_insert_with(Vec::new);
            if !methods.contains(&CouponUsageMethod::MiniProgram) {
                methods.push(CouponUsageMethod::MiniProgram);
            }
            d.mini_program_appid = None;
            d.mini_program_path = Some("/p".to_owned());
            one(
                RuleId::MiniProgramNeedsAppidAndPath,
                "/usage_rule_display_info/mini_program_appid",
            )
        }
        12 => {
            let d = stock.usage_rule_display_info.as_mut().unwrap();
            d.coupon_usage_method_list
                .get_or_insert_with(Vec::new)
                .push(CouponUsageMethod::App);
            d.app_path = None;
            one(RuleId::AppNeedsPath, "/usage_rule_display_info/app_path")
        }
        13 => {
            let (period, at) = rule_period(stock);
            period.weekly_available_period = Some(WeeklyAvailablePeriod {
                day_list: None,
                day_period_list: Some(vec![DayPeriod::new(0, 1)]),
            });
            Some((
                RuleId::DayPeriodsNeedDays,
                format!("{at}/weekly_available_period/day_list"),
            ))
        }
        14 => {
            let (period, at) = rule_period(stock);
            let begin = period.available_begin_time.clone().unwrap();
            period.available_days = Some(10);
            period.irregular_available_period_list =
                Some(vec![TimePeriod::new(begin, "2031-01-01T00:00:00+08:00")]);
            Some((
                RuleId::AvailableDaysExcludesIrregular,
                format!("{at}/irregular_available_period_list"),
            ))
        }
        15 => {
            let (period, at) = rule_period(stock);
            period.available_days = None;
            period.irregular_available_period_list = None;
            period.wait_days_after_receive = Some(1);
            Some((
                RuleId::WaitDaysNeedsAvailableDays,
                format!("{at}/wait_days_after_receive"),
            ))
        }
        16 => {
            let (period, at) = rule_period(stock);
            period.available_days = Some(0);
            period.irregular_available_period_list = None;
            Some((RuleId::AvailableDaysRange, format!("{at}/available_days")))
        }
        17 => {
            let (period, at) = rule_period(stock);
            period.weekly_available_period = Some(
                WeeklyAvailablePeriod::on_days(vec![Weekday::Monday])
                    .with_day_periods(vec![DayPeriod::new(5, 5)]),
            );
            Some((
                RuleId::DayPeriodRange,
                format!("{at}/weekly_available_period/day_period_list/0/end_time"),
            ))
        }
        18 => {
            let (period, at) = rule_period(stock);
            period.available_begin_time = Some("2025-13-01T00:00:00+08:00".into());
            Some((RuleId::TimeFormat, format!("{at}/available_begin_time")))
        }
        19 => {
            let (period, at) = rule_period(stock);
            period.available_end_time = period.available_begin_time.clone();
            Some((RuleId::PeriodOrder, format!("{at}/available_end_time")))
        }
        20 => {
            stock
                .usage_rule_display_info
                .as_mut()
                .unwrap()
                .usage_description = Some("说".repeat(1001));
            one(
                RuleId::UsageDescriptionLength,
                "/usage_rule_display_info/usage_description",
            )
        }
        _ => {
            stock
                .coupon_display_info
                .as_mut()
                .unwrap()
                .entrance_mini_program = Some(EntranceMiniProgram {
                entrance_wording: Some("欢迎光临选购".to_owned()),
                ..Default::default()
            });
            one(
                RuleId::EntranceWordingLength,
                "/coupon_display_info/entrance_mini_program/entrance_wording",
            )
        }
    }
}

/// Breaks one rule of a valid product coupon.
fn break_product_coupon(
    pc: &mut ProductCoupon,
    shape: &Shape,
    which: usize,
) -> Option<(RuleId, String)> {
    let one = |r: RuleId, p: &str| Some((r, p.to_owned()));
    let display = pc.display_info.as_mut().unwrap();
    match which {
        0 => {
            if pc.single_usage_info.take().is_none() {
                pc.single_usage_info = Some(SingleUsageInfo {
                    normal_coupon: (shape.named() == 0).then(|| normal(1)),
                    discount_coupon: (shape.named() == 1).then(|| discount(1)),
                });
            }
            one(RuleId::SingleInfoIffSingleAll, "/single_usage_info")
        }
        1 => {
            if pc.sequential_usage_info.take().is_none() {
                pc.sequential_usage_info = Some(SequentialUsageInfo::default());
            }
            one(
                RuleId::SequentialInfoIffSequential,
                "/sequential_usage_info",
            )
        }
        2 => {
            if shape.single_scope() {
                return None;
            }
            pc.coupon_type = Some(ProductCouponType::Exchange);
            one(RuleId::ExchangeOnlySingleScope, "/type")
        }
        3 => {
            if display.original_price.take().is_none() {
                display.original_price = Some(Fen(1));
            }
            one(
                RuleId::SingleScopeNeedsPriceAndCombo,
                "/display_info/original_price",
            )
        }
        4 => {
            display.name = "券".repeat(16);
            one(RuleId::DisplayNameLength, "/display_info/name")
        }
        5 => {
            display.detail_image_url_list = Some(vec!["u".to_owned(); 9]);
            one(
                RuleId::DetailImagesMax,
                "/display_info/detail_image_url_list",
            )
        }
        6 => {
            let package = display.combo_package_list.as_mut()?.first_mut()?;
            package.name = Some("套".repeat(16));
            one(
                RuleId::ComboLimits,
                "/display_info/combo_package_list/0/name",
            )
        }
        _ => {
            if pc.deactivate_time.take().is_none() {
                pc.deactivate_time = Some("2025-06-20T13:29:35+08:00".into());
            }
            one(RuleId::DeactivationIffDeactivated, "/deactivate_time")
        }
    }
}

// ---------------------------------------------------------------------------
// Wild (arbitrary, mostly invalid) generators for the no-panic properties.

fn wild_string() -> BoxedStrategy<String> {
    prop_oneof![
        any::<String>(),
        select(vec![
            "2025-08-01T00:00:00+08:00",
            "2025-01-01T00:00+08:00",
            "2025-02-30T00:00:00Z",
            "",
            "9999-12-31T23:59:60-23:59",
        ])
        .prop_map(str::to_owned),
    ]
    .boxed()
}

fn wild_i64() -> impl Strategy<Value = i64> {
    prop_oneof![
        any::<i64>(),
        -5i64..400,
        select(vec![i64::MIN, i64::MAX, 0, 86_399, 86_400])
    ]
}

fn wild_enum<T: From<String> + std::fmt::Debug + Clone + 'static>(
    known: &'static [&'static str],
) -> impl Strategy<Value = T> {
    prop_oneof![
        select(known).prop_map(|s| T::from(s.to_owned())),
        any::<String>().prop_map(T::from)
    ]
}

fn wild_period() -> BoxedStrategy<CouponAvailablePeriod> {
    (
        prop::option::of(wild_string()),
        prop::option::of(wild_string()),
        prop::option::of(wild_i64()),
        prop::option::of(wild_i64()),
        prop::option::of((
            prop::option::of(prop::collection::vec(
                wild_enum::<Weekday>(Weekday::KNOWN_VALUES),
                0..3,
            )),
            prop::option::of(prop::collection::vec((wild_i64(), wild_i64()), 0..3)),
        )),
        prop::option::of(prop::collection::vec((wild_string(), wild_string()), 0..3)),
    )
        .prop_map(
            |(begin, end, days, wait, weekly, irregular)| CouponAvailablePeriod {
                available_begin_time: begin.map(Into::into),
                available_end_time: end.map(Into::into),
                available_days: days,
                wait_days_after_receive: wait,
                weekly_available_period: weekly.map(|(day_list, periods)| WeeklyAvailablePeriod {
                    day_list,
                    day_period_list: periods
                        .map(|p| p.into_iter().map(|(b, e)| DayPeriod::new(b, e)).collect()),
                }),
                irregular_available_period_list: irregular
                    .map(|l| l.into_iter().map(|(b, e)| TimePeriod::new(b, e)).collect()),
                interval_days: None,
                available_seconds: None,
            },
        )
        .boxed()
}

fn wild_stock() -> BoxedStrategy<Stock> {
    (
        (
            prop::option::of(wild_string()),
            prop::option::of(wild_enum::<CouponCodeMode>(CouponCodeMode::KNOWN_VALUES)),
            any::<bool>(),
            prop::option::of((wild_i64(), prop::option::of(wild_i64()), wild_i64())),
        ),
        (
            prop::option::of((wild_period(), prop::option::of(wild_i64()))),
            prop::option::of((wild_period(), prop::option::of(0usize..4))),
            prop::option::of(wild_period()),
            any::<bool>(),
        ),
        (
            prop::option::of((
                prop::option::of(prop::collection::vec(
                    wild_enum::<CouponUsageMethod>(CouponUsageMethod::KNOWN_VALUES),
                    0..4,
                )),
                prop::option::of(wild_string()),
                prop::option::of(wild_string()),
                prop::option::of(wild_string()),
            )),
            prop::option::of((
                prop::option::of(wild_string()),
                prop::option::of(wild_string()),
            )),
            prop::option::of(wild_enum::<StockState>(StockState::KNOWN_VALUES)),
            (
                any::<bool>(),
                any::<bool>(),
                prop::option::of(wild_string()),
            ),
        ),
    )
        .prop_map(
            |(
                (remark, mode, count_info, send),
                (single, seq, prog, bundle),
                (usage, entrance, state, (a, b, dt)),
            )| Stock {
                remark,
                coupon_code_mode: mode,
                coupon_code_count_info: count_info.then(CouponCodeCountInfo::default),
                stock_send_rule: send.map(|(max_count, max_count_per_day, max_count_per_user)| {
                    StockSendRule {
                        max_count,
                        max_count_per_day,
                        max_count_per_user,
                    }
                }),
                single_usage_rule: single.map(|(period, amount)| SingleUsageRule {
                    coupon_available_period: period,
                    normal_coupon: amount.map(|a| NormalCouponUsageRule::new(a, a)),
                    discount_coupon: amount.map(|a| DiscountCouponUsageRule::new(a, a)),
                    exchange_coupon: None,
                }),
                sequential_usage_rule: seq.map(|(period, len)| SequentialUsageRule {
                    normal_coupon_list: len.map(|n| vec![normal(1); n]),
                    ..SequentialUsageRule::new(period)
                }),
                progressive_bundle_usage_rule: prog.map(|period| ProgressiveBundleUsageRule {
                    coupon_available_period: period,
                    normal_coupon: None,
                    discount_coupon: None,
                    exchange_coupon: Some(exchange(1)),
                    normal_coupon_list: None,
                    discount_coupon_list: None,
                    exchange_coupon_list: None,
                    special_first: None,
                }),
                stock_bundle_info: bundle.then(|| StockBundleInfo {
                    stock_bundle_id: "".into(),
                    stock_bundle_index: None,
                }),
                usage_rule_display_info: usage.map(|(methods, appid, path, description)| {
                    UsageRuleDisplayInfo {
                        coupon_usage_method_list: methods,
                        mini_program_appid: appid.map(Into::into),
                        mini_program_path: path,
                        usage_description: description,
                        ..Default::default()
                    }
                }),
                coupon_display_info: entrance.map(|(e, g)| CouponDisplayInfo {
                    entrance_mini_program: Some(EntranceMiniProgram {
                        entrance_wording: e,
                        guidance_wording: g,
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                state,
                deactivate_request_no: a.then(|| "x".into()),
                deactivate_reason: b.then(|| "y".to_owned()),
                deactivate_time: dt.map(Into::into),
                ..Stock::default()
            },
        )
        .boxed()
}

fn wild_ctx() -> impl Strategy<Value = Option<ValidationContext>> {
    prop::option::of((
        prop::option::of(wild_enum::<ProductCouponScope>(
            ProductCouponScope::KNOWN_VALUES,
        )),
        prop::option::of(wild_enum::<ProductCouponType>(
            ProductCouponType::KNOWN_VALUES,
        )),
        prop::option::of(wild_enum::<UsageMode>(UsageMode::KNOWN_VALUES)),
        prop::option::of(wild_i64()),
        prop::option::of(any::<bool>()),
    ))
    .prop_map(|o| {
        o.map(
            |(scope, coupon_type, usage_mode, sequential_count, page_token_sent)| {
                ValidationContext {
                    scope,
                    coupon_type,
                    usage_mode,
                    sequential_count,
                    page_token_sent,
                }
            },
        )
    })
}

/// Arbitrary JSON built from this API's field names and typical values, to
/// reach deep into the types when parsing.
fn schema_json() -> impl Strategy<Value = serde_json::Value> {
    const KEYS: &[&str] = &[
        "product_coupon_id",
        "stock_id",
        "stock_list",
        "total_count",
        "user_coupon_list",
        "coupon_code",
        "single_usage_rule",
        "sequential_usage_rule",
        "progressive_bundle_usage_rule",
        "coupon_available_period",
        "available_begin_time",
        "available_end_time",
        "available_days",
        "wait_days_after_receive",
        "weekly_available_period",
        "day_list",
        "day_period_list",
        "begin_time",
        "end_time",
        "irregular_available_period_list",
        "normal_coupon",
        "discount_coupon",
        "exchange_coupon",
        "normal_coupon_list",
        "threshold",
        "discount_amount",
        "percent_off",
        "exchange_price",
        "state",
        "coupon_state",
        "scope",
        "type",
        "usage_mode",
        "product_coupon",
        "stock",
        "display_info",
        "name",
        "combo_package_list",
        "choice_list",
        "count",
        "stock_send_rule",
        "max_count",
        "max_count_per_user",
        "usage_rule_display_info",
        "coupon_usage_method_list",
        "deactivate_time",
        "sequential_usage_info",
        "progressive_bundle_usage_info",
        "single_usage_info",
        "notify_config",
        "notify_appid",
    ];
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        wild_i64().prop_map(serde_json::Value::from),
        wild_string().prop_map(serde_json::Value::from),
        select(vec![
            "UPLOAD",
            "SEQUENTIAL",
            "PROGRESSIVE_BUNDLE",
            "DEACTIVATED",
            "ALL",
            "SINGLE",
            "NORMAL"
        ])
        .prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            prop::collection::vec((select(KEYS), inner), 0..8).prop_map(|entries| {
                serde_json::Value::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect(),
                )
            }),
        ]
    })
}

// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn valid_stocks_round_trip_and_validate_clean((shape, stock) in arb_shape_and_stock()) {
        let json = serde_json::to_string(&stock).unwrap();
        let back: Stock = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &stock);
        prop_assert!(!json.contains("null"));
        let result = stock.validate(Some(&shape.ctx()));
        prop_assert!(result.is_ok(), "{}", result.unwrap_err());
        let page = ListStocksResponse { total_count: Some(1), stock_list: Some(vec![stock]), next_page_token: None };
        let back: ListStocksResponse = serde_json::from_slice(&serde_json::to_vec(&page).unwrap()).unwrap();
        prop_assert_eq!(&back, &page);
        prop_assert!(page.validate(Some(&shape.ctx().with_page_token_sent(false))).is_ok());
    }

    #[test]
    fn valid_user_coupons_round_trip_and_validate_clean((_shape, coupon) in arb_user_coupon()) {
        let page = ListUserCouponsResponse { total_count: None, user_coupon_list: Some(vec![coupon]), next_page_token: Some("MTIz".into()) };
        let back: ListUserCouponsResponse = serde_json::from_str(&serde_json::to_string(&page).unwrap()).unwrap();
        prop_assert_eq!(&back, &page);
        let result = page.validate(Some(&ValidationContext::new().with_page_token_sent(true)));
        prop_assert!(result.is_ok(), "{}", result.unwrap_err());
    }

    #[test]
    fn breaking_one_stock_rule_reports_exactly_it((shape, mut stock) in arb_shape_and_stock(), which in 0usize..22) {
        let expected = break_stock(&mut stock, &shape, which);
        prop_assume!(expected.is_some());
        let (rule, path) = expected.unwrap();
        let got = rule_paths(stock.validate(Some(&shape.ctx())));
        prop_assert_eq!(got, BTreeSet::from([(rule, path.clone())]));
        // Inside a list response the pointer gains the list prefix.
        let page = ListStocksResponse { total_count: Some(1), stock_list: Some(vec![stock]), next_page_token: None };
        let got = rule_paths(page.validate(Some(&shape.ctx())));
        prop_assert_eq!(got, BTreeSet::from([(rule, format!("/stock_list/0{path}"))]));
    }

    #[test]
    fn breaking_one_product_coupon_rule_reports_exactly_it((shape, mut pc) in arb_shape().prop_flat_map(|s| (Just(s.clone()), arb_product_coupon_for(s))), which in 0usize..8) {
        prop_assert!(pc.validate(None).is_ok(), "{}", pc.validate(None).unwrap_err());
        let expected = break_product_coupon(&mut pc, &shape, which);
        prop_assume!(expected.is_some());
        let (rule, path) = expected.unwrap();
        prop_assert_eq!(rule_paths(pc.validate(None)), BTreeSet::from([(rule, path)]));
    }

    #[test]
    fn validation_never_panics_on_wild_values(stock in wild_stock(), ctx in wild_ctx()) {
        for violations in [stock.validate(ctx.as_ref()).err(), UserCoupon { stock: Some(stock.clone()), ..UserCoupon::default() }.validate(ctx.as_ref()).err()].into_iter().flatten() {
            for v in &violations {
                prop_assert!(v.path.starts_with('/'));
                prop_assert_eq!(RuleId::from_id(v.rule.as_str()), Some(v.rule));
                prop_assert!(!v.message.is_empty());
            }
        }
        // Every reported pointer names a distinct field.
        if let Err(v) = stock.validate(ctx.as_ref()) {
            let paths: BTreeSet<&str> = v.iter().map(|v| v.path.as_str()).collect();
            prop_assert_eq!(paths.len(), v.len());
        }
    }

    #[test]
    fn parsing_never_panics_on_schema_shaped_json(value in schema_json(), ctx in wild_ctx()) {
        let bytes = serde_json::to_vec(&value).unwrap();
        if let Ok(page) = serde_json::from_slice::<ListStocksResponse>(&bytes) { let _ = page.validate(ctx.as_ref()); }
        if let Ok(page) = serde_json::from_slice::<ListUserCouponsResponse>(&bytes) { let _ = page.validate(ctx.as_ref()); }
        if let Ok(stock) = serde_json::from_slice::<Stock>(&bytes) { let _ = stock.validate(ctx.as_ref()); }
        if let Ok(pc) = serde_json::from_slice::<ProductCoupon>(&bytes) { let _ = pc.validate(ctx.as_ref()); }
        if let Ok(coupon) = serde_json::from_slice::<UserCoupon>(&bytes) { let _ = coupon.validate(ctx.as_ref()); }
    }

    #[test]
    fn parsing_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = serde_json::from_slice::<ListStocksResponse>(&bytes);
        let _ = serde_json::from_slice::<coupon_model::webhook::Notification>(&bytes);
        let _ = coupon_model::from_json::<coupon_model::ApiErrorBody>(&bytes, "error body");
    }

    // ---- RFC 3339 view ----

    #[test]
    fn datetime_round_trips_through_rfc3339(
        year in 0u16..=9999, month in 1u8..=12, day in 1u8..=31, hour in 0u8..24, minute in 0u8..60,
        second in 0u8..60, nanos in prop::option::of(1u32..1_000_000_000), offset in -1439i16..=1439,
    ) {
        let built = DateTime::new(year, month, day, hour, minute, second, offset);
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let max_day = match month { 2 if leap => 29, 2 => 28, 4 | 6 | 9 | 11 => 30, _ => 31 };
        prop_assert_eq!(built.is_ok(), day <= max_day);
        if let Ok(mut value) = built {
            if let Some(n) = nanos { value = value.with_nanosecond(n).unwrap(); }
            let text = value.to_rfc3339();
            let parsed = DateTime::parse(&text).unwrap();
            prop_assert_eq!(parsed, value);
            prop_assert_eq!(Timestamp::from(value).into_string(), text.clone());
            // The same instant written at UTC compares equal.
            let utc = DateTime::from_unix_timestamp(value.unix_timestamp(), 0).unwrap();
            if nanos.is_none() { prop_assert!(utc.cmp_instant(&value).is_eq()); }
        }
    }

    #[test]
    fn unix_timestamps_round_trip(secs in -62_135_596_800i64..253_402_300_799, offset in -1439i16..=1439) {
        if let Ok(value) = DateTime::from_unix_timestamp(secs, offset) {
            prop_assert_eq!(value.unix_timestamp(), secs);
            prop_assert_eq!(DateTime::parse(&value.to_rfc3339()).unwrap().unix_timestamp(), secs);
        }
    }

    #[test]
    fn minute_precision_is_accepted_and_means_second_zero(secs in 0i64..4_102_444_800, offset in arb_offset()) {
        let full = DateTime::from_unix_timestamp(secs - secs.rem_euclid(60), offset).unwrap().to_rfc3339();
        // "YYYY-MM-DDTHH:MM:00+hh:mm" -> "YYYY-MM-DDTHH:MM+hh:mm"
        let short = format!("{}{}", &full[..16], &full[19..]);
        let parsed = DateTime::parse(&short).unwrap();
        prop_assert!(!parsed.has_seconds());
        prop_assert_eq!(parsed.second(), 0);
        prop_assert_eq!(parsed.unix_timestamp(), DateTime::parse(&full).unwrap().unix_timestamp());
    }

    #[test]
    fn time_parsing_never_panics(s in any::<String>(), cut in 0usize..40, byte in any::<u8>()) {
        let _ = DateTime::parse(&s);
        let mut text = b"2025-08-01T00:00:00.123456789+08:00".to_vec();
        if cut < text.len() { text[cut] = byte; }
        if let Ok(s) = String::from_utf8(text) { let _ = DateTime::parse(&s); }
    }
}
