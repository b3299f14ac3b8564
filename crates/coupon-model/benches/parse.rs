//! Typed parsing vs `serde_json::Value` on the page examples, and validation
//! of one stock vs parsing it.
//!
//! Run: `cargo bench -p coupon-model -- --warm-up-time 1 --measurement-time 3`
//!
//! `many_violations` compares parsing a list-stocks page of 10,000 stocks that
//! each break two rules with validating it (20,000 violations): validation must
//! stay within a small multiple of the parse time (linear, not quadratic).
//! Just that group: `cargo bench -p coupon-model --bench parse -- many_violations`.

use std::hint::black_box;

use coupon_model::ValidationContext;
use coupon_model::product_coupon::{ProductCouponScope, ProductCouponType, UsageMode};
use coupon_model::stock::{ListStocksResponse, Stock};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};

const DEACTIVATED: &[u8] =
    include_bytes!("../tests/fixtures/000_list_stocks_response_deactivated.json");
const BUNDLE: &[u8] = include_bytes!("../tests/fixtures/000_list_stocks_response_bundle.json");
const ADD_STOCK_RESPONSE: &[u8] = include_bytes!("../tests/fixtures/001_add_stock_response.json");

fn list_stocks(c: &mut Criterion) {
    for (name, bytes) in [
        ("list_stocks_deactivated", DEACTIVATED),
        ("list_stocks_bundle", BUNDLE),
    ] {
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function("typed", |b| {
            b.iter(|| serde_json::from_slice::<ListStocksResponse>(black_box(bytes)).unwrap())
        });
        group.bench_function("value", |b| {
            b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(bytes)).unwrap())
        });
        group.finish();
    }
}

fn one_stock(c: &mut Criterion) {
    // The clean stock of page 000's first example, as pretty JSON like the page.
    let page: ListStocksResponse = serde_json::from_slice(DEACTIVATED).unwrap();
    let clean_bytes = serde_json::to_vec_pretty(&page.stocks()[0]).unwrap();
    let clean: Stock = serde_json::from_slice(&clean_bytes).unwrap();
    assert!(clean.validate(None).is_ok());
    // Page 001's response: 5 violations, the costly path (messages are built).
    let broken: Stock = serde_json::from_slice(ADD_STOCK_RESPONSE).unwrap();
    assert_eq!(broken.validate(None).unwrap_err().len(), 5);
    let ctx = ValidationContext {
        scope: Some(ProductCouponScope::All),
        coupon_type: Some(ProductCouponType::Normal),
        usage_mode: Some(UsageMode::Single),
        sequential_count: None,
        page_token_sent: None,
    };

    let mut group = c.benchmark_group("stock");
    group.bench_function("parse_clean", |b| {
        b.iter(|| serde_json::from_slice::<Stock>(black_box(&clean_bytes)).unwrap())
    });
    group.bench_function("validate_clean", |b| {
        b.iter(|| black_box(&clean).validate(None))
    });
    group.bench_function("validate_clean_with_context", |b| {
        b.iter(|| black_box(&clean).validate(Some(&ctx)))
    });
    group.bench_function("parse_page001", |b| {
        b.iter(|| serde_json::from_slice::<Stock>(black_box(ADD_STOCK_RESPONSE)).unwrap())
    });
    group.bench_function("validate_page001_5_violations", |b| {
        b.iter(|| black_box(&broken).validate(None))
    });
    group.finish();
}

/// Page 000's first stock `n` times, each with a 21-character `remark` and
/// `max_count_per_user` 0: two violations per stock.
fn broken_page(n: usize) -> Vec<u8> {
    let page: Value = serde_json::from_slice(DEACTIVATED).unwrap();
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

fn many_violations(c: &mut Criterion) {
    const STOCKS: usize = 10_000;
    let bytes = broken_page(STOCKS);
    let page: ListStocksResponse = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(page.validate(None).unwrap_err().len(), 2 * STOCKS);

    let mut group = c.benchmark_group("many_violations");
    group.sample_size(20);
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("parse_10000_stocks", |b| {
        b.iter(|| serde_json::from_slice::<ListStocksResponse>(black_box(&bytes)).unwrap())
    });
    group.bench_function("validate_20000_violations", |b| {
        b.iter(|| black_box(&page).validate(None))
    });
    group.finish();
}

criterion_group!(benches, list_stocks, one_stock, many_violations);
criterion_main!(benches);
