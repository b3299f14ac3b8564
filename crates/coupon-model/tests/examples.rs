//! The page examples break several rules on purpose: these tests pin the
//! exact set of (rule, JSON pointer) pairs each example produces, with and
//! without context.

mod common;

use common::{fixture, pairs, set};
use coupon_model::ValidationContext;
use coupon_model::product_coupon::{
    ProductCoupon, ProductCouponScope, ProductCouponType, UpdateProductCouponBody, UsageMode,
};
use coupon_model::stock::{AddStockBody, ListStocksResponse, Stock};
use coupon_model::user_coupon::{ListUserCouponsResponse, UserCoupon};

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

/// The product coupon of page 002 (ALL / NORMAL / SEQUENTIAL, count 10).
fn page_002_product_coupon() -> ProductCoupon {
    let response: ListUserCouponsResponse = fixture("002_list_user_coupons_response.json");
    response.user_coupons()[0].product_coupon.clone().unwrap()
}

#[test]
fn list_stocks_examples_are_clean() {
    for name in [
        "000_list_stocks_response_deactivated.json",
        "000_list_stocks_response_bundle.json",
    ] {
        let response: ListStocksResponse = fixture(name);
        assert_eq!(pairs(response.validate(None)), set(&[]), "{name}");
        // The page's requests carried no page_token, and total_count is there.
        let first_page = ValidationContext::new().with_page_token_sent(false);
        assert_eq!(
            pairs(response.validate(Some(&first_page))),
            set(&[]),
            "{name}"
        );
        let later_page = ValidationContext::new().with_page_token_sent(true);
        assert_eq!(
            pairs(response.validate(Some(&later_page))),
            set(&[("total-count-iff-first-page", "/total_count")]),
            "{name}"
        );
    }
}

#[test]
fn bundle_example_matches_a_sequential_discount_coupon_only() {
    let response: ListStocksResponse = fixture("000_list_stocks_response_bundle.json");
    let discount = ctx(
        ProductCouponScope::All,
        ProductCouponType::Discount,
        UsageMode::Sequential,
        Some(3),
    );
    assert_eq!(pairs(response.validate(Some(&discount))), set(&[]));
    // Under a NORMAL product coupon every step carries the wrong discount kind.
    let normal = ctx(
        ProductCouponScope::All,
        ProductCouponType::Normal,
        UsageMode::Sequential,
        Some(3),
    );
    let mut expected = Vec::new();
    let paths: Vec<(String, String)> = (0..3)
        .flat_map(|i| {
            [
                format!("/stock_list/{i}/progressive_bundle_usage_rule/normal_coupon"),
                format!("/stock_list/{i}/progressive_bundle_usage_rule/discount_coupon"),
            ]
        })
        .map(|p| ("rule-matches-type".to_owned(), p))
        .collect();
    expected.extend(paths);
    assert_eq!(
        pairs(response.validate(Some(&normal))),
        expected.into_iter().collect()
    );
    // Under a SINGLE-mode product coupon the steps should not exist at all.
    let single = ctx(
        ProductCouponScope::All,
        ProductCouponType::Discount,
        UsageMode::Single,
        None,
    );
    let expected: Vec<(String, String)> = (0..3)
        .flat_map(|i| {
            [
                (
                    "single-rule-iff-single-mode".to_owned(),
                    format!("/stock_list/{i}/single_usage_rule"),
                ),
                (
                    "sequential-rule-iff-sequential-mode".to_owned(),
                    format!("/stock_list/{i}/progressive_bundle_usage_rule"),
                ),
            ]
        })
        .collect();
    assert_eq!(
        pairs(response.validate(Some(&single))),
        expected.into_iter().collect()
    );
}

#[test]
fn add_stock_request_example_without_context() {
    let body: AddStockBody = fixture("001_add_stock_request.json");
    assert_eq!(
        pairs(body.validate(None)),
        set(&[
            (
                "available-days-excludes-irregular",
                "/stock/single_usage_rule/coupon_available_period/irregular_available_period_list"
            ),
            (
                "wait-days-needs-available-days",
                "/stock/sequential_usage_rule/coupon_available_period/wait_days_after_receive"
            ),
        ])
    );
}

#[test]
fn add_stock_request_example_for_a_single_product_normal_coupon() {
    let body: AddStockBody = fixture("001_add_stock_request.json");
    let c = ctx(
        ProductCouponScope::Single,
        ProductCouponType::Normal,
        UsageMode::Single,
        None,
    );
    assert_eq!(
        pairs(body.validate(Some(&c))),
        set(&[
            (
                "available-days-excludes-irregular",
                "/stock/single_usage_rule/coupon_available_period/irregular_available_period_list"
            ),
            (
                "wait-days-needs-available-days",
                "/stock/sequential_usage_rule/coupon_available_period/wait_days_after_receive"
            ),
            (
                "sequential-rule-iff-sequential-mode",
                "/stock/sequential_usage_rule"
            ),
            (
                "rule-matches-type",
                "/stock/single_usage_rule/discount_coupon"
            ),
            (
                "rule-matches-type",
                "/stock/single_usage_rule/exchange_coupon"
            ),
        ])
    );
}

#[test]
fn add_stock_request_example_for_a_storewide_single_use_coupon() {
    let body: AddStockBody = fixture("001_add_stock_request.json");
    let c = ctx(
        ProductCouponScope::All,
        ProductCouponType::Discount,
        UsageMode::Single,
        None,
    );
    assert_eq!(
        pairs(body.validate(Some(&c))),
        set(&[
            (
                "available-days-excludes-irregular",
                "/stock/single_usage_rule/coupon_available_period/irregular_available_period_list"
            ),
            (
                "wait-days-needs-available-days",
                "/stock/sequential_usage_rule/coupon_available_period/wait_days_after_receive"
            ),
            (
                "sequential-rule-iff-sequential-mode",
                "/stock/sequential_usage_rule"
            ),
            (
                "single-rule-only-for-single-scope",
                "/stock/single_usage_rule/normal_coupon"
            ),
            (
                "single-rule-only-for-single-scope",
                "/stock/single_usage_rule/discount_coupon"
            ),
            (
                "single-rule-only-for-single-scope",
                "/stock/single_usage_rule/exchange_coupon"
            ),
        ])
    );
}

#[test]
fn add_stock_request_example_for_the_page_002_product_coupon() {
    let body: AddStockBody = fixture("001_add_stock_request.json");
    let c = ValidationContext::from_product_coupon(&page_002_product_coupon());
    assert_eq!(c.sequential_count, Some(10));
    assert_eq!(
        pairs(body.validate(Some(&c))),
        set(&[
            (
                "available-days-excludes-irregular",
                "/stock/single_usage_rule/coupon_available_period/irregular_available_period_list"
            ),
            (
                "wait-days-needs-available-days",
                "/stock/sequential_usage_rule/coupon_available_period/wait_days_after_receive"
            ),
            ("single-rule-iff-single-mode", "/stock/single_usage_rule"),
            (
                "single-rule-only-for-single-scope",
                "/stock/single_usage_rule/normal_coupon"
            ),
            (
                "single-rule-only-for-single-scope",
                "/stock/single_usage_rule/discount_coupon"
            ),
            (
                "single-rule-only-for-single-scope",
                "/stock/single_usage_rule/exchange_coupon"
            ),
            (
                "rule-list-matches-type",
                "/stock/sequential_usage_rule/normal_coupon_list"
            ),
            (
                "rule-list-matches-type",
                "/stock/sequential_usage_rule/discount_coupon_list"
            ),
            (
                "rule-list-matches-type",
                "/stock/sequential_usage_rule/exchange_coupon_list"
            ),
        ])
    );
}

#[test]
fn add_stock_response_example() {
    let stock: Stock = fixture("001_add_stock_response.json");
    // SENDING with deactivation fields; minute-precision deactivate_time is
    // accepted in a response.
    assert_eq!(
        pairs(stock.validate(None)),
        set(&[
            (
                "available-days-excludes-irregular",
                "/single_usage_rule/coupon_available_period/irregular_available_period_list"
            ),
            (
                "wait-days-needs-available-days",
                "/sequential_usage_rule/coupon_available_period/wait_days_after_receive"
            ),
            ("deactivation-iff-deactivated", "/deactivate_request_no"),
            ("deactivation-iff-deactivated", "/deactivate_time"),
            ("deactivation-iff-deactivated", "/deactivate_reason"),
        ])
    );
}

const USER_COUPON_EXAMPLE: &[(&str, &str)] = &[
    ("deactivation-iff-deactivated", "/deactivate_request_no"),
    ("deactivation-iff-deactivated", "/deactivate_time"),
    ("deactivation-iff-deactivated", "/deactivate_reason"),
    (
        "single-info-iff-single-all",
        "/product_coupon/single_usage_info",
    ),
    (
        "rule-matches-type",
        "/product_coupon/single_usage_info/discount_coupon",
    ),
    (
        "single-scope-needs-price-and-combo",
        "/product_coupon/display_info/original_price",
    ),
    (
        "single-scope-needs-price-and-combo",
        "/product_coupon/display_info/combo_package_list",
    ),
    (
        "deactivation-iff-deactivated",
        "/product_coupon/deactivate_request_no",
    ),
    (
        "deactivation-iff-deactivated",
        "/product_coupon/deactivate_time",
    ),
    (
        "deactivation-iff-deactivated",
        "/product_coupon/deactivate_reason",
    ),
    ("single-rule-iff-single-mode", "/stock/single_usage_rule"),
    (
        "single-rule-only-for-single-scope",
        "/stock/single_usage_rule/normal_coupon",
    ),
    (
        "single-rule-only-for-single-scope",
        "/stock/single_usage_rule/discount_coupon",
    ),
    (
        "single-rule-only-for-single-scope",
        "/stock/single_usage_rule/exchange_coupon",
    ),
    (
        "available-days-excludes-irregular",
        "/stock/single_usage_rule/coupon_available_period/irregular_available_period_list",
    ),
    (
        "wait-days-needs-available-days",
        "/stock/sequential_usage_rule/coupon_available_period/wait_days_after_receive",
    ),
    (
        "rule-list-matches-type",
        "/stock/sequential_usage_rule/normal_coupon_list",
    ),
    (
        "rule-list-matches-type",
        "/stock/sequential_usage_rule/discount_coupon_list",
    ),
    (
        "rule-list-matches-type",
        "/stock/sequential_usage_rule/exchange_coupon_list",
    ),
    (
        "deactivation-iff-deactivated",
        "/stock/deactivate_request_no",
    ),
    ("deactivation-iff-deactivated", "/stock/deactivate_time"),
    ("deactivation-iff-deactivated", "/stock/deactivate_reason"),
];

fn prefixed(prefix: &str, items: &[(&str, &str)]) -> std::collections::BTreeSet<(String, String)> {
    items
        .iter()
        .map(|(r, p)| ((*r).to_owned(), format!("{prefix}{p}")))
        .collect()
}

#[test]
fn list_user_coupons_example() {
    let response: ListUserCouponsResponse = fixture("002_list_user_coupons_response.json");
    let expected = prefixed("/user_coupon_list/0", USER_COUPON_EXAMPLE);
    assert_eq!(expected.len(), 22);
    assert_eq!(pairs(response.validate(None)), expected);

    // The page's request carried page_token=MTIzMjUK, yet the response has
    // total_count.
    let mut with_token = expected.clone();
    with_token.insert((
        "total-count-iff-first-page".to_owned(),
        "/total_count".to_owned(),
    ));
    let c = ValidationContext::new().with_page_token_sent(true);
    assert_eq!(pairs(response.validate(Some(&c))), with_token);

    // The coupon's own product coupon is its stock's context: context from
    // outside changes nothing.
    let other = ctx(
        ProductCouponScope::Single,
        ProductCouponType::Exchange,
        UsageMode::Single,
        None,
    );
    assert_eq!(pairs(response.validate(Some(&other))), expected);
}

#[test]
fn user_coupon_without_product_coupon_uses_outside_context() {
    let response: ListUserCouponsResponse = fixture("002_list_user_coupons_response.json");
    let mut coupon: UserCoupon = response.user_coupons()[0].clone();
    let pc = coupon.product_coupon.take().unwrap();
    let own: Vec<(&str, &str)> = USER_COUPON_EXAMPLE
        .iter()
        .copied()
        .filter(|(_, p)| !p.starts_with("/product_coupon"))
        .collect();
    assert_eq!(
        pairs(coupon.validate(Some(&ValidationContext::from_product_coupon(&pc)))),
        set(&own)
    );
    // Without any context the (context) rules are skipped.
    let no_context: Vec<(&str, &str)> = own
        .iter()
        .copied()
        .filter(|(r, _)| {
            !matches!(
                *r,
                "single-rule-iff-single-mode"
                    | "single-rule-only-for-single-scope"
                    | "rule-list-matches-type"
            )
        })
        .collect();
    assert_eq!(pairs(coupon.validate(None)), set(&no_context));
}

#[test]
fn update_product_coupon_request_example() {
    let body: UpdateProductCouponBody = fixture("003_update_product_coupon_request.json");
    assert_eq!(pairs(body.validate(None)), set(&[]));
    // Modifying the page's product coupon (scope ALL): price and packages
    // are only for single-product coupons.
    let response: ProductCoupon = fixture("003_update_product_coupon_response.json");
    let c = ValidationContext::from_product_coupon(&response);
    assert_eq!(
        pairs(body.validate(Some(&c))),
        set(&[
            (
                "single-scope-needs-price-and-combo",
                "/display_info/original_price"
            ),
            (
                "single-scope-needs-price-and-combo",
                "/display_info/combo_package_list"
            ),
        ])
    );
    let single = ctx(
        ProductCouponScope::Single,
        ProductCouponType::Normal,
        UsageMode::Single,
        None,
    );
    assert_eq!(pairs(body.validate(Some(&single))), set(&[]));
}

#[test]
fn update_product_coupon_response_example() {
    let pc: ProductCoupon = fixture("003_update_product_coupon_response.json");
    let expected = set(&[
        ("single-info-iff-single-all", "/single_usage_info"),
        ("rule-matches-type", "/single_usage_info/discount_coupon"),
        (
            "single-scope-needs-price-and-combo",
            "/display_info/original_price",
        ),
        (
            "single-scope-needs-price-and-combo",
            "/display_info/combo_package_list",
        ),
        ("deactivation-iff-deactivated", "/deactivate_request_no"),
        ("deactivation-iff-deactivated", "/deactivate_time"),
        ("deactivation-iff-deactivated", "/deactivate_reason"),
    ]);
    assert_eq!(pairs(pc.validate(None)), expected);
    // A product coupon carries its own context; outside context is ignored.
    let other = ctx(
        ProductCouponScope::Single,
        ProductCouponType::Exchange,
        UsageMode::Single,
        None,
    );
    assert_eq!(pairs(pc.validate(Some(&other))), expected);
}

#[test]
fn violations_serialise_as_rule_path_message() {
    let pc: ProductCoupon = fixture("003_update_product_coupon_response.json");
    let violations = pc.validate(None).unwrap_err();
    let json = serde_json::to_value(&violations).unwrap();
    let first = &json[0];
    let keys: Vec<&String> = first.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["message", "path", "rule"]); // serde_json sorts keys
    assert_eq!(first["rule"], "single-info-iff-single-all");
    assert_eq!(first["path"], "/single_usage_info");
    let text = serde_json::to_string(&violations.as_slice()[0]).unwrap();
    assert!(
        text.starts_with(
            r#"{"rule":"single-info-iff-single-all","path":"/single_usage_info","message":""#
        ),
        "{text}"
    );
    let back: Vec<coupon_model::Violation> = serde_json::from_value(json).unwrap();
    assert_eq!(back, violations.clone().into_vec());
    let shown = violations.to_string();
    assert!(shown.starts_with("7 rule violations:"), "{shown}");
    assert!(
        shown.contains("[deactivation-iff-deactivated] /deactivate_time: remove deactivate_time"),
        "{shown}"
    );
}
