//! One positive and one negative case per rule id: the positive document is
//! entirely valid, the negative one breaks exactly that rule, reported at
//! the expected JSON pointers and nowhere else.

mod common;

use std::collections::BTreeSet;

use coupon_model::common::{
    CouponAvailablePeriod, CouponAvailableStoreInfo, CouponCodeDisplayMode, CouponDisplayInfo,
    CouponUsageMethod, DayPeriod, EntranceMiniProgram, ExchangeCouponUsageRule, Fen,
    NormalCouponUsageRule, NotifyConfig, TimePeriod, UsageRuleDisplayInfo, Weekday,
    WeeklyAvailablePeriod,
};
use coupon_model::media::UploadImageRequest;
use coupon_model::notify::SetNotifyConfigBody;
use coupon_model::product_coupon::CreateProductCouponBody;
use coupon_model::product_coupon::{
    ComboChoice, ComboPackage, ProductCoupon, ProductCouponDisplayInfo, ProductCouponScope,
    ProductCouponState, ProductCouponType, SequentialUsageInfo, SingleUsageInfo, UsageMode,
};
use coupon_model::stock::{
    AddStockBody, AddStockRequest, CouponCodeCountInfo, CouponCodeMode, CreateStockBody,
    ListStocksRequest, ListStocksResponse, NewStock, ProgressiveBundleUsageRule,
    SequentialUsageRule, SingleUsageRule, Stock, StockBundleInfo, StockSendRule,
    StockSentCountInfo, StockState, StoreScope,
};
use coupon_model::stock::{UpdateBudgetBody, UpdateBudgetMode};
use coupon_model::user_coupon::ListUserCouponsRequest;
use coupon_model::user_coupon::{
    AssociatedOrderInfo, AssociatedPayScoreOrderInfo, UseUserProductCouponBody,
};
use coupon_model::{RuleId, ValidationContext, Violations};

fn ctx(
    scope: ProductCouponScope,
    kind: ProductCouponType,
    mode: UsageMode,
    count: Option<i64>,
) -> ValidationContext {
    ValidationContext {
        scope: Some(scope),
        coupon_type: Some(kind),
        usage_mode: Some(mode),
        sequential_count: count,
        page_token_sent: None,
    }
}

fn all_normal_single() -> ValidationContext {
    ctx(
        ProductCouponScope::All,
        ProductCouponType::Normal,
        UsageMode::Single,
        None,
    )
}

fn all_normal_sequential(count: i64) -> ValidationContext {
    ctx(
        ProductCouponScope::All,
        ProductCouponType::Normal,
        UsageMode::Sequential,
        Some(count),
    )
}

fn period() -> CouponAvailablePeriod {
    CouponAvailablePeriod::between("2025-08-01T00:00:00+08:00", "2025-08-31T23:59:59+08:00")
        .with_available_days(30)
        .with_wait_days_after_receive(1)
        .with_weekly_available_period(
            WeeklyAvailablePeriod::on_days(vec![Weekday::Monday, Weekday::Friday])
                .with_day_periods(vec![DayPeriod::new(60, 86_399)]),
        )
}

fn usage_display() -> UsageRuleDisplayInfo {
    UsageRuleDisplayInfo::new(
        vec![CouponUsageMethod::Offline, CouponUsageMethod::MiniProgram],
        "工作日可用",
    )
    .with_mini_program("wx1234567890", "/pages/index/product")
    .with_store_info(CouponAvailableStoreInfo {
        description: Some("所有门店可用".to_owned()),
        ..Default::default()
    })
}

fn coupon_display() -> CouponDisplayInfo {
    CouponDisplayInfo::new(CouponCodeDisplayMode::Qrcode)
        .with_background_color("Color010")
        .with_entrance_mini_program(EntranceMiniProgram {
            entrance_wording: Some("欢迎选购".to_owned()),
            guidance_wording: Some("获取更多优惠".to_owned()),
            ..Default::default()
        })
}

/// A valid add-stock body for a storewide, NORMAL, single-use product coupon.
fn body() -> AddStockBody {
    let stock = NewStock::new(
        CouponCodeMode::Upload,
        StockSendRule::new(10_000_000, 1).with_max_count_per_day(10_000),
        usage_display(),
        coupon_display(),
        NotifyConfig::new("wx4fd12345678"),
        StoreScope::All,
    )
    .with_remark("8月工作日有效批次")
    .with_single_usage_rule(SingleUsageRule::new(period()));
    AddStockRequest::new(
        "1000000013",
        CreateStockBody::new("34657_20250101_123456", stock),
    )
    .body
}

/// A valid returned stock for a storewide, NORMAL, single-use product coupon.
fn stock() -> Stock {
    Stock {
        product_coupon_id: "1000000013".into(),
        stock_id: "1000000013001".into(),
        remark: Some("8月工作日有效批次".to_owned()),
        coupon_code_mode: Some(CouponCodeMode::Upload),
        coupon_code_count_info: Some(CouponCodeCountInfo {
            total_count: Some(10),
            available_count: Some(5),
        }),
        stock_send_rule: Some(StockSendRule::new(10_000_000, 1)),
        single_usage_rule: Some(SingleUsageRule::new(period())),
        usage_rule_display_info: Some(usage_display()),
        coupon_display_info: Some(coupon_display()),
        notify_config: Some(NotifyConfig::new("wx4fd12345678")),
        store_scope: Some(StoreScope::All),
        sent_count_info: Some(StockSentCountInfo::default()),
        state: Some(StockState::Sending),
        ..Stock::default()
    }
}

fn normal_list(n: usize) -> Vec<NormalCouponUsageRule> {
    vec![NormalCouponUsageRule::new(10_000, 100); n]
}

/// A valid stock of a NORMAL sequential coupon with 3 uses.
fn sequential_stock() -> Stock {
    Stock {
        single_usage_rule: None,
        sequential_usage_rule: Some(
            SequentialUsageRule::new(period()).with_normal_coupons(normal_list(3)),
        ),
        ..stock()
    }
}

/// A valid stock that is one step of a stock bundle of a NORMAL sequential coupon.
fn bundled_stock() -> Stock {
    Stock {
        single_usage_rule: None,
        progressive_bundle_usage_rule: Some(ProgressiveBundleUsageRule {
            coupon_available_period: period(),
            normal_coupon: Some(NormalCouponUsageRule::new(10_000, 100)),
            discount_coupon: None,
            exchange_coupon: None,
            normal_coupon_list: None,
            discount_coupon_list: None,
            exchange_coupon_list: None,
            special_first: None,
        }),
        stock_bundle_info: Some(StockBundleInfo {
            stock_bundle_id: "712315129419284901".into(),
            stock_bundle_index: Some(0),
        }),
        ..stock()
    }
}

fn display(name: &str) -> ProductCouponDisplayInfo {
    ProductCouponDisplayInfo::new(name, "https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx")
}

/// A valid storewide, NORMAL, single-use product coupon.
fn product_coupon() -> ProductCoupon {
    ProductCoupon {
        product_coupon_id: "1002323".into(),
        scope: Some(ProductCouponScope::All),
        coupon_type: Some(ProductCouponType::Normal),
        usage_mode: Some(UsageMode::Single),
        single_usage_info: Some(SingleUsageInfo {
            normal_coupon: Some(NormalCouponUsageRule::new(10_000, 1_000)),
            discount_coupon: None,
        }),
        display_info: Some(display("全场满100可减10元")),
        state: Some(ProductCouponState::Effective),
        ..ProductCoupon::default()
    }
}

/// A valid storewide, NORMAL, sequential product coupon with 3 uses.
fn sequential_product_coupon() -> ProductCoupon {
    ProductCoupon {
        usage_mode: Some(UsageMode::Sequential),
        single_usage_info: None,
        sequential_usage_info: Some(SequentialUsageInfo {
            count: Some(3),
            available_days: Some(10),
            interval_days: Some(1),
            ..Default::default()
        }),
        ..product_coupon()
    }
}

fn combo() -> ComboPackage {
    ComboPackage {
        name: Some("咖啡2选1".to_owned()),
        pick_count: Some(1),
        choice_list: Some(vec![ComboChoice {
            name: Some("美式".to_owned()),
            price: Some(Fen(1_000)),
            count: Some(2),
            ..Default::default()
        }]),
    }
}

/// A valid single-product EXCHANGE single-use product coupon.
fn exchange_product_coupon() -> ProductCoupon {
    ProductCoupon {
        scope: Some(ProductCouponScope::Single),
        coupon_type: Some(ProductCouponType::Exchange),
        single_usage_info: None,
        display_info: Some(
            display("美式咖啡换购券")
                .with_original_price(2_000)
                .with_combo_packages(vec![combo()]),
        ),
        ..product_coupon()
    }
}

fn single_product_exchange_ctx() -> ValidationContext {
    ctx(
        ProductCouponScope::Single,
        ProductCouponType::Exchange,
        UsageMode::Single,
        None,
    )
}

fn period_mut(stock: &mut Stock) -> &mut CouponAvailablePeriod {
    &mut stock
        .single_usage_rule
        .as_mut()
        .unwrap()
        .coupon_available_period
}

type Check = Box<dyn Fn() -> Result<(), Violations>>;

struct Case {
    rule: RuleId,
    good: Check,
    bad: Check,
    bad_paths: Vec<String>,
}

fn case(rule: RuleId, good: Check, bad: Check, bad_paths: &[&str]) -> Case {
    Case {
        rule,
        good,
        bad,
        bad_paths: bad_paths.iter().map(|p| (*p).to_owned()).collect(),
    }
}

fn cases() -> Vec<Case> {
    vec![
        case(
            RuleId::TotalCountIffFirstPage,
            Box::new(|| {
                let response = ListStocksResponse {
                    total_count: Some(1),
                    stock_list: Some(vec![stock()]),
                    next_page_token: None,
                };
                response.validate(Some(&ListStocksRequest::new("1").response_context()))
            }),
            Box::new(|| {
                let response = ListStocksResponse {
                    total_count: None,
                    stock_list: Some(vec![stock()]),
                    next_page_token: None,
                };
                response.validate(Some(&ListStocksRequest::new("1").response_context()))
            }),
            &["/total_count"],
        ),
        case(
            RuleId::CodeCountIffUpload,
            Box::new(|| stock().validate(None)),
            Box::new(|| {
                Stock {
                    coupon_code_mode: Some(CouponCodeMode::Wechatpay),
                    ..stock()
                }
                .validate(None)
            }),
            &["/coupon_code_count_info"],
        ),
        case(
            RuleId::SingleRuleIffSingleMode,
            Box::new(|| stock().validate(Some(&all_normal_single()))),
            Box::new(|| {
                Stock {
                    single_usage_rule: None,
                    ..stock()
                }
                .validate(Some(&all_normal_single()))
            }),
            &["/single_usage_rule"],
        ),
        case(
            RuleId::SequentialRuleIffSequentialMode,
            Box::new(|| sequential_stock().validate(Some(&all_normal_sequential(3)))),
            Box::new(|| {
                let mut s = stock();
                s.sequential_usage_rule = sequential_stock().sequential_usage_rule;
                s.validate(Some(&all_normal_single()))
            }),
            &["/sequential_usage_rule"],
        ),
        case(
            RuleId::SingleRuleOnlyForSingleScope,
            Box::new(|| stock().validate(Some(&all_normal_single()))),
            Box::new(|| {
                let mut s = stock();
                s.single_usage_rule.as_mut().unwrap().normal_coupon =
                    Some(NormalCouponUsageRule::new(0, 100));
                s.validate(Some(&all_normal_single()))
            }),
            &["/single_usage_rule/normal_coupon"],
        ),
        case(
            RuleId::RuleMatchesType,
            Box::new(|| {
                let mut s = stock();
                s.single_usage_rule.as_mut().unwrap().exchange_coupon =
                    Some(ExchangeCouponUsageRule::new(0, 990));
                s.validate(Some(&single_product_exchange_ctx()))
            }),
            Box::new(|| {
                let mut s = stock();
                s.single_usage_rule.as_mut().unwrap().normal_coupon =
                    Some(NormalCouponUsageRule::new(0, 990));
                s.validate(Some(&single_product_exchange_ctx()))
            }),
            &[
                "/single_usage_rule/normal_coupon",
                "/single_usage_rule/exchange_coupon",
            ],
        ),
        case(
            RuleId::RuleListMatchesType,
            Box::new(|| sequential_stock().validate(Some(&all_normal_sequential(3)))),
            Box::new(|| sequential_stock().validate(Some(&all_normal_sequential(4)))),
            &["/sequential_usage_rule/normal_coupon_list"],
        ),
        case(
            RuleId::BundleInfoIffBundled,
            Box::new(|| bundled_stock().validate(Some(&all_normal_sequential(3)))),
            Box::new(|| {
                Stock {
                    stock_bundle_info: None,
                    ..bundled_stock()
                }
                .validate(Some(&all_normal_sequential(3)))
            }),
            &["/stock_bundle_info"],
        ),
        case(
            RuleId::DeactivationIffDeactivated,
            Box::new(|| {
                Stock {
                    state: Some(StockState::Deactivated),
                    deactivate_request_no: Some("de_34657_20250101_123456".into()),
                    deactivate_time: Some("2025-09-01T00:00:00+08:00".into()),
                    deactivate_reason: Some("批次信息有误".to_owned()),
                    ..stock()
                }
                .validate(None)
            }),
            Box::new(|| {
                Stock {
                    state: Some(StockState::Deactivated),
                    deactivate_request_no: Some("de_34657_20250101_123456".into()),
                    deactivate_reason: Some("批次信息有误".to_owned()),
                    ..stock()
                }
                .validate(None)
            }),
            &["/deactivate_time"],
        ),
        case(
            RuleId::SingleInfoIffSingleAll,
            Box::new(|| product_coupon().validate(None)),
            Box::new(|| {
                ProductCoupon {
                    single_usage_info: None,
                    ..product_coupon()
                }
                .validate(None)
            }),
            &["/single_usage_info"],
        ),
        case(
            RuleId::SequentialInfoIffSequential,
            Box::new(|| sequential_product_coupon().validate(None)),
            Box::new(|| {
                ProductCoupon {
                    sequential_usage_info: None,
                    ..sequential_product_coupon()
                }
                .validate(None)
            }),
            &["/sequential_usage_info"],
        ),
        case(
            RuleId::ExchangeOnlySingleScope,
            Box::new(|| exchange_product_coupon().validate(None)),
            Box::new(|| {
                ProductCoupon {
                    coupon_type: Some(ProductCouponType::Exchange),
                    ..sequential_product_coupon()
                }
                .validate(None)
            }),
            &["/type"],
        ),
        case(
            RuleId::SingleScopeNeedsPriceAndCombo,
            Box::new(|| exchange_product_coupon().validate(None)),
            Box::new(|| {
                let mut pc = exchange_product_coupon();
                let d = pc.display_info.as_mut().unwrap();
                d.original_price = None;
                d.combo_package_list = Some(vec![]);
                pc.validate(None)
            }),
            &[
                "/display_info/original_price",
                "/display_info/combo_package_list",
            ],
        ),
        case(
            RuleId::MiniProgramNeedsAppidAndPath,
            Box::new(|| stock().validate(None)),
            Box::new(|| {
                let mut s = stock();
                s.usage_rule_display_info
                    .as_mut()
                    .unwrap()
                    .mini_program_path = None;
                s.validate(None)
            }),
            &["/usage_rule_display_info/mini_program_path"],
        ),
        case(
            RuleId::AppNeedsPath,
            Box::new(|| {
                let mut b = body();
                let d = &mut b.stock.usage_rule_display_info;
                d.coupon_usage_method_list
                    .as_mut()
                    .unwrap()
                    .push(CouponUsageMethod::App);
                d.app_path = Some("https://www.example.com/jump-to-app".to_owned());
                b.validate(None)
            }),
            Box::new(|| {
                let mut b = body();
                let d = &mut b.stock.usage_rule_display_info;
                d.coupon_usage_method_list
                    .as_mut()
                    .unwrap()
                    .push(CouponUsageMethod::App);
                d.app_path = Some(String::new());
                b.validate(None)
            }),
            &["/stock/usage_rule_display_info/app_path"],
        ),
        case(
            RuleId::DayPeriodsNeedDays,
            Box::new(|| stock().validate(None)),
            Box::new(|| {
                let mut s = stock();
                period_mut(&mut s)
                    .weekly_available_period
                    .as_mut()
                    .unwrap()
                    .day_list = Some(vec![]);
                s.validate(None)
            }),
            &["/single_usage_rule/coupon_available_period/weekly_available_period/day_list"],
        ),
        case(
            RuleId::AvailableDaysExcludesIrregular,
            Box::new(|| {
                let mut s = stock();
                let p = period_mut(&mut s);
                p.available_days = None;
                p.wait_days_after_receive = None;
                p.irregular_available_period_list = Some(vec![TimePeriod::new(
                    "2025-08-02T00:00:00+08:00",
                    "2025-08-03T00:00:00+08:00",
                )]);
                s.validate(None)
            }),
            Box::new(|| {
                let mut s = stock();
                period_mut(&mut s).irregular_available_period_list = Some(vec![TimePeriod::new(
                    "2025-08-02T00:00:00+08:00",
                    "2025-08-03T00:00:00+08:00",
                )]);
                s.validate(None)
            }),
            &["/single_usage_rule/coupon_available_period/irregular_available_period_list"],
        ),
        case(
            RuleId::WaitDaysNeedsAvailableDays,
            Box::new(|| stock().validate(None)),
            Box::new(|| {
                let mut s = stock();
                period_mut(&mut s).available_days = None;
                s.validate(None)
            }),
            &["/single_usage_rule/coupon_available_period/wait_days_after_receive"],
        ),
        case(
            RuleId::OutRequestNoFormat,
            Box::new(|| body().validate(None)),
            Box::new(|| {
                AddStockBody {
                    out_request_no: "34657 2025".into(),
                    ..body()
                }
                .validate(None)
            }),
            &["/out_request_no"],
        ),
        case(
            RuleId::RemarkLength,
            // 20 characters (60 bytes of UTF-8) are fine.
            Box::new(|| {
                Stock {
                    remark: Some("券".repeat(20)),
                    ..stock()
                }
                .validate(None)
            }),
            Box::new(|| {
                Stock {
                    remark: Some("券".repeat(21)),
                    ..stock()
                }
                .validate(None)
            }),
            &["/remark"],
        ),
        case(
            RuleId::UsageDescriptionLength,
            Box::new(|| {
                let mut b = body();
                b.stock.usage_rule_display_info.usage_description = Some("说".repeat(1000));
                b.validate(None)
            }),
            Box::new(|| {
                let mut b = body();
                b.stock.usage_rule_display_info.coupon_available_store_info =
                    Some(CouponAvailableStoreInfo {
                        description: Some("店".repeat(1001)),
                        ..Default::default()
                    });
                b.validate(None)
            }),
            &["/stock/usage_rule_display_info/coupon_available_store_info/description"],
        ),
        case(
            RuleId::MaxCountRange,
            Box::new(|| {
                let mut b = body();
                b.stock.stock_send_rule =
                    StockSendRule::new(100_000_000, 100).with_max_count_per_day(100_000_000);
                b.validate(None)
            }),
            Box::new(|| {
                let mut b = body();
                b.stock.stock_send_rule.max_count_per_day = Some(100_000_001);
                b.validate(None)
            }),
            &["/stock/stock_send_rule/max_count_per_day"],
        ),
        case(
            RuleId::MaxCountPerUserRange,
            Box::new(|| body().validate(None)),
            Box::new(|| {
                let mut b = body();
                b.stock.stock_send_rule.max_count_per_user = 0;
                b.validate(None)
            }),
            &["/stock/stock_send_rule/max_count_per_user"],
        ),
        case(
            RuleId::PageSizeRange,
            Box::new(|| ListStocksRequest::new("1").with_page_size(50).validate()),
            Box::new(|| {
                ListUserCouponsRequest::new("o", "wx1")
                    .with_page_size(0)
                    .validate()
            }),
            &["/page_size"],
        ),
        case(
            RuleId::DisplayNameLength,
            Box::new(|| {
                ProductCoupon {
                    display_info: Some(display("满减券")),
                    ..product_coupon()
                }
                .validate(None)
            }),
            Box::new(|| {
                ProductCoupon {
                    display_info: Some(display("满减")),
                    ..product_coupon()
                }
                .validate(None)
            }),
            &["/display_info/name"],
        ),
        case(
            RuleId::DetailImagesMax,
            Box::new(|| {
                let mut pc = product_coupon();
                pc.display_info.as_mut().unwrap().detail_image_url_list =
                    Some(vec!["https://a/b".to_owned(); 8]);
                pc.validate(None)
            }),
            Box::new(|| {
                let mut pc = product_coupon();
                pc.display_info.as_mut().unwrap().detail_image_url_list =
                    Some(vec!["https://a/b".to_owned(); 9]);
                pc.validate(None)
            }),
            &["/display_info/detail_image_url_list"],
        ),
        case(
            RuleId::ComboLimits,
            Box::new(|| exchange_product_coupon().validate(None)),
            Box::new(|| {
                let mut pc = exchange_product_coupon();
                let package = &mut pc
                    .display_info
                    .as_mut()
                    .unwrap()
                    .combo_package_list
                    .as_mut()
                    .unwrap()[0];
                let choice = &mut package.choice_list.as_mut().unwrap()[0];
                choice.count = Some(100);
                choice.name = Some("超".repeat(16));
                pc.validate(None)
            }),
            &[
                "/display_info/combo_package_list/0/choice_list/0/count",
                "/display_info/combo_package_list/0/choice_list/0/name",
            ],
        ),
        case(
            RuleId::EntranceWordingLength,
            Box::new(|| stock().validate(None)),
            Box::new(|| {
                let mut s = stock();
                let entrance = s
                    .coupon_display_info
                    .as_mut()
                    .unwrap()
                    .entrance_mini_program
                    .as_mut()
                    .unwrap();
                entrance.guidance_wording = Some("获取更多的优惠".to_owned());
                s.validate(None)
            }),
            &["/coupon_display_info/entrance_mini_program/guidance_wording"],
        ),
        case(
            RuleId::AvailableDaysRange,
            Box::new(|| {
                let mut s = stock();
                let p = period_mut(&mut s);
                p.available_days = Some(365);
                p.wait_days_after_receive = Some(30);
                s.validate(None)
            }),
            Box::new(|| {
                let mut s = stock();
                period_mut(&mut s).wait_days_after_receive = Some(31);
                s.validate(None)
            }),
            &["/single_usage_rule/coupon_available_period/wait_days_after_receive"],
        ),
        case(
            RuleId::DayPeriodRange,
            Box::new(|| stock().validate(None)),
            Box::new(|| {
                let mut s = stock();
                let weekly = period_mut(&mut s).weekly_available_period.as_mut().unwrap();
                weekly.day_period_list =
                    Some(vec![DayPeriod::new(0, 100), DayPeriod::new(100, 100)]);
                s.validate(None)
            }),
            &[
                "/single_usage_rule/coupon_available_period/weekly_available_period/day_period_list/1/end_time",
            ],
        ),
        case(
            RuleId::TimeFormat,
            // A response may use the documentation's minute-precision form ...
            Box::new(|| {
                let mut s = stock();
                period_mut(&mut s).available_begin_time = Some("2025-08-01T00:00+08:00".into());
                s.validate(None)
            }),
            // ... a request must carry seconds.
            Box::new(|| {
                let mut b = body();
                b.stock
                    .single_usage_rule
                    .as_mut()
                    .unwrap()
                    .coupon_available_period
                    .available_begin_time = Some("2025-08-01T00:00+08:00".into());
                b.validate(None)
            }),
            &["/stock/single_usage_rule/coupon_available_period/available_begin_time"],
        ),
        case(
            RuleId::PeriodOrder,
            Box::new(|| {
                let mut s = stock();
                period_mut(&mut s).available_end_time = Some("2026-08-01T00:00:00+08:00".into());
                s.validate(None)
            }),
            Box::new(|| {
                let mut s = stock();
                period_mut(&mut s).available_end_time = Some("2026-08-01T00:00:01+08:00".into());
                s.validate(None)
            }),
            &["/single_usage_rule/coupon_available_period/available_end_time"],
        ),
        case(
            RuleId::StockMatchesUsageMode,
            Box::new(|| create_body().validate()),
            Box::new(|| {
                let mut b = create_body();
                b.stock_bundle = b.stock.clone();
                b.validate()
            }),
            &["/stock_bundle"],
        ),
        case(
            RuleId::BudgetMatchesMode,
            Box::new(|| UpdateBudgetBody::max_count("budget_000001", 100, 200).validate()),
            Box::new(|| {
                let mut b = UpdateBudgetBody::max_count("budget_000001", 100, 200);
                b.update_mode = UpdateBudgetMode::MaxCountPerDay;
                b.validate()
            }),
            &["/target_max_count_per_day"],
        ),
        case(
            RuleId::UseNeedsOneOrder,
            Box::new(|| use_body().validate()),
            Box::new(|| {
                let mut b = use_body();
                b.associated_pay_score_order_info = Some(AssociatedPayScoreOrderInfo::default());
                b.validate()
            }),
            &["/associated_pay_score_order_info"],
        ),
        case(
            RuleId::NotifyUrlFormat,
            Box::new(|| SetNotifyConfigBody::new("https://example.com/wxpay/notify").validate()),
            Box::new(|| SetNotifyConfigBody::new("https://example.com/notify?x=1").validate()),
            &["/notify_url"],
        ),
        case(
            RuleId::SequentialCountRange,
            Box::new(|| sequential_product_coupon().validate(None)),
            Box::new(|| {
                let mut pc = sequential_product_coupon();
                pc.sequential_usage_info.as_mut().unwrap().count = Some(16);
                pc.validate(None)
            }),
            &["/sequential_usage_info/count"],
        ),
        case(
            RuleId::ImageFile,
            Box::new(|| UploadImageRequest::from_file("logo.png", PNG.to_vec()).validate()),
            Box::new(|| UploadImageRequest::from_file("logo.gif", PNG.to_vec()).validate()),
            &["/filename"],
        ),
    ]
}

/// The first bytes of a PNG file.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

/// A valid create-product-coupon body: storewide, NORMAL, single use.
fn create_body() -> CreateProductCouponBody {
    CreateProductCouponBody::single(
        "create_000001",
        ProductCouponScope::All,
        ProductCouponType::Normal,
        display("全场满100可减10元"),
        body().stock,
    )
    .with_single_usage_info(SingleUsageInfo {
        normal_coupon: Some(NormalCouponUsageRule::new(10_000, 1_000)),
        discount_coupon: None,
    })
}

/// A valid use body, against a payment order.
fn use_body() -> UseUserProductCouponBody {
    UseUserProductCouponBody::new(
        "1002323",
        "100232301",
        "wx233544546545989",
        "MCHUSE202501010001",
        "2025-08-02T12:00:00+08:00",
    )
    .with_order(AssociatedOrderInfo::default())
}

#[test]
fn every_rule_has_a_positive_and_a_negative_case() {
    let covered: BTreeSet<RuleId> = cases().iter().map(|c| c.rule).collect();
    let all: BTreeSet<RuleId> = RuleId::ALL.iter().copied().collect();
    assert_eq!(covered, all);
    assert_eq!(cases().len(), RuleId::ALL.len(), "one case per rule");
}

#[test]
fn positive_cases_are_entirely_valid() {
    for case in cases() {
        if let Err(violations) = (case.good)() {
            panic!("{}: positive case failed:\n{violations}", case.rule);
        }
    }
}

#[test]
fn negative_cases_break_exactly_their_rule_at_the_expected_pointers() {
    for case in cases() {
        let violations = (case.bad)().expect_err(case.rule.as_str());
        let got: BTreeSet<(RuleId, String)> = violations
            .iter()
            .map(|v| (v.rule, v.path.clone()))
            .collect();
        let want: BTreeSet<(RuleId, String)> = case
            .bad_paths
            .iter()
            .map(|p| (case.rule, p.clone()))
            .collect();
        assert_eq!(got, want, "{}:\n{violations}", case.rule);
        for v in &violations {
            assert!(!v.message.is_empty(), "{}: empty message", case.rule);
        }
    }
}

#[test]
fn context_rules_are_skipped_without_context() {
    // Each negative case of a (context) rule is clean when validated without
    // context; a context lacking the needed part also skips it.
    let broken = Stock {
        single_usage_rule: None,
        ..stock()
    };
    assert!(broken.validate(None).is_ok());
    assert!(broken.validate(Some(&ValidationContext::new())).is_ok());
    let unknown_mode = ValidationContext {
        usage_mode: Some(UsageMode::from("TRIPLE")),
        ..all_normal_single()
    };
    assert!(broken.validate(Some(&unknown_mode)).is_ok());
    assert!(sequential_stock().validate(None).is_ok());
    let no_count = ValidationContext {
        sequential_count: None,
        ..all_normal_sequential(4)
    };
    assert!(
        sequential_stock().validate(Some(&no_count)).is_ok(),
        "length check needs the count"
    );
    for rule in RuleId::ALL {
        assert_eq!(
            rule.needs_context(),
            matches!(
                rule,
                RuleId::SingleRuleIffSingleMode
                    | RuleId::SequentialRuleIffSequentialMode
                    | RuleId::SingleRuleOnlyForSingleScope
                    | RuleId::RuleMatchesType
                    | RuleId::RuleListMatchesType
            ),
            "{rule}"
        );
    }
}

#[test]
fn more_negative_variants() {
    use common::{pairs, set};
    // total_count present on a later page.
    let later = ListStocksResponse {
        total_count: Some(1),
        ..Default::default()
    };
    let ctx_later = ListStocksRequest::new("1")
        .with_page_token("t")
        .response_context();
    assert_eq!(
        pairs(later.validate(Some(&ctx_later))),
        set(&[("total-count-iff-first-page", "/total_count")])
    );
    // Both sequential shapes at once: reported at the second.
    let mut both = sequential_stock();
    both.progressive_bundle_usage_rule = bundled_stock().progressive_bundle_usage_rule;
    both.stock_bundle_info = bundled_stock().stock_bundle_info;
    assert_eq!(
        pairs(both.validate(Some(&all_normal_sequential(3)))),
        set(&[(
            "sequential-rule-iff-sequential-mode",
            "/progressive_bundle_usage_rule"
        )])
    );
    // Neither: reported at sequential_usage_rule.
    let neither = Stock {
        single_usage_rule: None,
        ..stock()
    };
    assert_eq!(
        pairs(neither.validate(Some(&all_normal_sequential(3)))),
        set(&[(
            "sequential-rule-iff-sequential-mode",
            "/sequential_usage_rule"
        )])
    );
    // Mini program appid and path come together even without MINI_PROGRAM.
    let mut lone = stock();
    let d = lone.usage_rule_display_info.as_mut().unwrap();
    d.coupon_usage_method_list = Some(vec![CouponUsageMethod::Offline]);
    d.mini_program_appid = None;
    assert_eq!(
        pairs(lone.validate(None)),
        set(&[(
            "mini-program-needs-appid-and-path",
            "/usage_rule_display_info/mini_program_appid"
        )])
    );
    // out_request_no: too short, too long, bad characters.
    for bad in ["12345", "a".repeat(41).as_str(), "订单123456", "abc/def"] {
        let b = AddStockBody {
            out_request_no: bad.into(),
            ..body()
        };
        assert_eq!(
            pairs(b.validate(None)),
            set(&[("out-request-no-format", "/out_request_no")]),
            "{bad}"
        );
    }
    // A field breaking two rules is reported once, by the presence rule.
    let mut s = stock();
    let p = period_mut(&mut s);
    p.available_days = None;
    p.wait_days_after_receive = Some(99);
    assert_eq!(
        pairs(s.validate(None)),
        set(&[(
            "wait-days-needs-available-days",
            "/single_usage_rule/coupon_available_period/wait_days_after_receive"
        )])
    );
    // A time that is not RFC 3339 at all, in a response; period-order is not
    // reported on top of it.
    let mut s = stock();
    period_mut(&mut s).available_end_time = Some("2025/08/31 23:59:59".into());
    assert_eq!(
        pairs(s.validate(None)),
        set(&[(
            "time-format",
            "/single_usage_rule/coupon_available_period/available_end_time"
        )])
    );
}
