//! Typed parsing vs `serde_json::Value` on the page examples, and validation
//! of one stock vs parsing it.
//!
//! Run: `cargo bench -p coupon-model -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use coupon_model::ValidationContext;
use coupon_model::product_coupon::{ProductCouponScope, ProductCouponType, UsageMode};
use coupon_model::stock::{ListStocksResponse, Stock};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

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

criterion_group!(benches, list_stocks, one_stock);
criterion_main!(benches);
