//! Validation cost is linear in the number of violations: a page of many
//! thousand stocks that each break two rules reports exactly two violations
//! per stock, in document order. (The time figure is a benchmark, not a timed
//! test: `cargo bench -p coupon-model --bench parse -- many_violations`.)

mod common;

use coupon_model::RuleId;
use coupon_model::stock::ListStocksResponse;
use serde_json::{Value, json};

const STOCKS: usize = 10_000;

/// A list-stocks page of `n` copies of page 000's first stock, each with a
/// 21-character `remark` (`remark-length`) and `max_count_per_user` 0
/// (`max-count-per-user-range`).
fn broken_page(n: usize) -> Vec<u8> {
    let page = common::fixture_value("000_list_stocks_response_deactivated.json");
    let mut stock = page["stock_list"][0].clone();
    stock["remark"] = Value::String("r".repeat(21));
    stock["stock_send_rule"]["max_count_per_user"] = json!(0);
    let stocks: Vec<Value> = (0..n)
        .map(|i| {
            let mut s = stock.clone();
            s["stock_id"] = Value::String(format!("{}", 1_000_000_000_000u64 + i as u64));
            s
        })
        .collect();
    serde_json::to_vec(&json!({ "total_count": n, "stock_list": stocks })).unwrap()
}

#[test]
fn the_clean_stock_is_clean() {
    let page: ListStocksResponse = common::fixture("000_list_stocks_response_deactivated.json");
    let clean = serde_json::to_vec(&json!({ "stock_list": [page.stocks()[0]] })).unwrap();
    let clean: ListStocksResponse = serde_json::from_slice(&clean).unwrap();
    assert!(clean.validate(None).is_ok());
}

#[test]
fn a_page_of_many_broken_stocks_reports_every_violation_once_in_order() {
    let bytes = broken_page(STOCKS);
    let page: ListStocksResponse = serde_json::from_slice(&bytes).unwrap();
    let violations = page.validate(None).unwrap_err();

    assert_eq!(violations.len(), 2 * STOCKS);
    for (i, pair) in violations.iter().collect::<Vec<_>>().chunks(2).enumerate() {
        assert_eq!(pair[0].rule, RuleId::RemarkLength, "stock {i}");
        assert_eq!(pair[0].path, format!("/stock_list/{i}/remark"));
        assert_eq!(pair[1].rule, RuleId::MaxCountPerUserRange, "stock {i}");
        assert_eq!(
            pair[1].path,
            format!("/stock_list/{i}/stock_send_rule/max_count_per_user")
        );
    }
}
