//! Every JSON example of the four API pages is a fixture: it parses into its
//! type and re-serialises to the same JSON value. Unknown enum values and
//! unknown extra fields still parse, and unknown values round-trip.

mod common;

use common::{fixture, fixture_bytes, fixture_value};
use coupon_model::error::{ApiErrorBody, ErrorCode};
use coupon_model::product_coupon::{
    ProductCoupon, ProductCouponScope, ProductCouponState, ProductCouponType,
    UpdateProductCouponBody, UsageMode,
};
use coupon_model::stock::{
    AddStockBody, CouponCodeMode, ListStocksRequest, ListStocksResponse, Stock, StockState,
    StoreScope,
};
use coupon_model::user_coupon::{
    ListUserCouponsRequest, ListUserCouponsResponse, SendChannel, UserCouponState,
};
use coupon_model::webhook::{EventType, Notification, WebhookEvent, parse_event};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// (fixture, enum pointers to replace with an unknown value)
const PAGE_FIXTURES: &[(&str, &[&str])] = &[
    (
        "000_list_stocks_response_deactivated.json",
        &[
            "/stock_list/0/state",
            "/stock_list/0/coupon_code_mode",
            "/stock_list/0/store_scope",
            "/stock_list/0/usage_rule_display_info/coupon_usage_method_list/1",
            "/stock_list/0/coupon_display_info/code_display_mode",
            "/stock_list/0/single_usage_rule/coupon_available_period/weekly_available_period/day_list/4",
        ],
    ),
    (
        "000_list_stocks_response_bundle.json",
        &[
            "/stock_list/2/state",
            "/stock_list/1/coupon_code_mode",
            "/stock_list/0/store_scope",
        ],
    ),
    (
        "001_add_stock_request.json",
        &[
            "/stock/coupon_code_mode",
            "/stock/store_scope",
            "/stock/usage_rule_display_info/coupon_usage_method_list/0",
            "/stock/sequential_usage_rule/coupon_available_period/weekly_available_period/day_list/0",
        ],
    ),
    (
        "001_add_stock_response.json",
        &["/state", "/coupon_code_mode", "/store_scope"],
    ),
    (
        "002_list_user_coupons_response.json",
        &[
            "/user_coupon_list/0/coupon_state",
            "/user_coupon_list/0/send_channel",
            "/user_coupon_list/0/sequential_usage_detail/detail_item_list/0/detail_state",
            "/user_coupon_list/0/product_coupon/scope",
            "/user_coupon_list/0/product_coupon/type",
            "/user_coupon_list/0/product_coupon/usage_mode",
            "/user_coupon_list/0/product_coupon/state",
            "/user_coupon_list/0/product_coupon/sequential_usage_info/type",
            "/user_coupon_list/0/stock/state",
        ],
    ),
    // The update request has no enum field.
    ("003_update_product_coupon_request.json", &[]),
    (
        "003_update_product_coupon_response.json",
        &[
            "/scope",
            "/type",
            "/usage_mode",
            "/state",
            "/sequential_usage_info/type",
        ],
    ),
];

/// Parses with the fixture's type and serialises back.
fn reserialise(name: &str, bytes: &[u8]) -> Value {
    fn go<T: DeserializeOwned + Serialize>(name: &str, bytes: &[u8]) -> Value {
        let typed: T = serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        serde_json::to_value(&typed).unwrap()
    }
    match name {
        n if n.starts_with("000_") => go::<ListStocksResponse>(name, bytes),
        "001_add_stock_request.json" => go::<AddStockBody>(name, bytes),
        "001_add_stock_response.json" => go::<Stock>(name, bytes),
        n if n.starts_with("002_") => go::<ListUserCouponsResponse>(name, bytes),
        "003_update_product_coupon_request.json" => go::<UpdateProductCouponBody>(name, bytes),
        "003_update_product_coupon_response.json" => go::<ProductCoupon>(name, bytes),
        "synthetic_notification.json" => go::<Notification>(name, bytes),
        "synthetic_send_payload.json" => {
            go::<coupon_model::webhook::ProductCouponSendEvent>(name, bytes)
        }
        "synthetic_error_param.json" => go::<ApiErrorBody>(name, bytes),
        other => panic!("no type for {other}"),
    }
}

#[test]
fn every_fixture_round_trips_to_the_same_json_value() {
    let mut names: Vec<&str> = PAGE_FIXTURES.iter().map(|(n, _)| *n).collect();
    names.extend([
        "synthetic_notification.json",
        "synthetic_send_payload.json",
        "synthetic_error_param.json",
    ]);
    for name in names {
        let bytes = fixture_bytes(name);
        let original: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(reserialise(name, &bytes), original, "{name}");
    }
}

#[test]
fn every_fixture_file_is_listed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        // operations/ holds the generated answer fixtures (tests/index.rs).
        .filter(|n| !n.starts_with("synthetic_") && n != "operations")
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = PAGE_FIXTURES.iter().map(|(n, _)| (*n).to_owned()).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
}

fn add_extra_fields(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for child in map.values_mut() {
                add_extra_fields(child);
            }
            map.insert(
                "x_field_added_tomorrow".to_owned(),
                json!({"nested": [1, "two", null], "flag": true}),
            );
        }
        Value::Array(items) => items.iter_mut().for_each(add_extra_fields),
        _ => {}
    }
}

#[test]
fn unknown_enum_values_and_extra_fields_parse_and_unknown_values_round_trip() {
    for (name, pointers) in PAGE_FIXTURES {
        let mut expected = fixture_value(name);
        for (i, pointer) in pointers.iter().enumerate() {
            let slot = expected
                .pointer_mut(pointer)
                .unwrap_or_else(|| panic!("{name}: no {pointer}"));
            assert!(slot.is_string(), "{name}{pointer} is not an enum string");
            *slot = Value::String(format!("VALUE_ADDED_TOMORROW_{i}"));
        }
        let mut input = expected.clone();
        add_extra_fields(&mut input);
        let bytes = serde_json::to_vec(&input).unwrap();
        // Extra fields are dropped, unknown enum values are kept verbatim.
        assert_eq!(reserialise(name, &bytes), expected, "{name}");
    }
}

#[test]
fn unknown_values_are_unknown_variants_and_known_ones_are_not() {
    let mut value = fixture_value("000_list_stocks_response_deactivated.json");
    value["stock_list"][0]["state"] = json!("ARCHIVED");
    let response: ListStocksResponse = serde_json::from_value(value).unwrap();
    let stock = &response.stocks()[0];
    assert_eq!(
        stock.state,
        Some(StockState::Unknown("ARCHIVED".to_owned()))
    );
    assert!(stock.state.as_ref().unwrap().is_unknown());
    assert_eq!(stock.coupon_code_mode, Some(CouponCodeMode::Upload));
    assert_eq!(stock.store_scope, Some(StoreScope::All));
    assert_eq!(StockState::from("SENDING"), StockState::Sending);
    assert_eq!(
        StockState::KNOWN_VALUES,
        ["AUDITING", "SENDING", "PAUSED", "STOPPED", "DEACTIVATED"]
    );
}

#[test]
fn typed_fields_of_the_user_coupon_example() {
    let response: ListUserCouponsResponse = fixture("002_list_user_coupons_response.json");
    assert_eq!(response.total_count, Some(20));
    assert_eq!(
        response.next_page_token.as_ref().unwrap().as_str(),
        "MTIzNDUK"
    );
    let coupon = &response.user_coupons()[0];
    assert_eq!(coupon.coupon_code.as_str(), "123446565767");
    assert_eq!(coupon.coupon_state, Some(UserCouponState::Used));
    assert_eq!(coupon.send_channel, Some(SendChannel::Api));
    let valid_begin = coupon.valid_begin_time.as_ref().unwrap();
    assert_eq!(valid_begin.as_str(), "2025-01-01T00:00+08:00");
    assert!(!valid_begin.parse().unwrap().has_seconds());
    let pc = coupon.product_coupon.as_ref().unwrap();
    assert_eq!(pc.scope, Some(ProductCouponScope::All));
    assert_eq!(pc.coupon_type, Some(ProductCouponType::Normal));
    assert_eq!(pc.usage_mode, Some(UsageMode::Sequential));
    assert_eq!(pc.state, Some(ProductCouponState::Auditing));
    assert_eq!(pc.sequential_usage_info.as_ref().unwrap().count, Some(10));
    let display = pc.display_info.as_ref().unwrap();
    assert_eq!(display.original_price.unwrap().get(), 10000);
    let stock = coupon.stock.as_ref().unwrap();
    let seq = stock.sequential_usage_rule.as_ref().unwrap();
    assert_eq!(
        seq.normal_coupon_list.as_ref().unwrap()[0]
            .discount_amount
            .get(),
        100
    );
    assert_eq!(seq.special_first, Some(false));
    let detail = coupon.sequential_usage_detail.as_ref().unwrap();
    assert_eq!(
        detail.detail_item_list.as_ref().unwrap()[0].detail_state,
        Some(UserCouponState::Used)
    );
}

#[test]
fn bundle_stocks_keep_the_single_object_progressive_rule() {
    let response: ListStocksResponse = fixture("000_list_stocks_response_bundle.json");
    let percents: Vec<i64> = response
        .stocks()
        .iter()
        .map(|s| {
            assert!(s.sequential_usage_rule.is_none());
            let rule = s.progressive_bundle_usage_rule.as_ref().unwrap();
            rule.discount_coupon.unwrap().percent_off
        })
        .collect();
    assert_eq!(percents, [50, 20, 30]);
    let indexes: Vec<Option<i64>> = response
        .stocks()
        .iter()
        .map(|s| s.stock_bundle_info.as_ref().unwrap().stock_bundle_index)
        .collect();
    assert_eq!(indexes, [Some(0), Some(1), Some(2)]);
}

#[test]
fn samples_spellings_are_accepted_and_the_pages_spelling_is_emitted() {
    let mut value = fixture_value("003_update_product_coupon_response.json");
    let object = value.as_object_mut().unwrap();
    let info = object.remove("sequential_usage_info").unwrap();
    object.insert("progressive_bundle_usage_info".to_owned(), info);
    object.insert("usage_mode".to_owned(), json!("PROGRESSIVE_BUNDLE"));
    let pc: ProductCoupon = serde_json::from_value(value).unwrap();
    assert_eq!(pc.usage_mode, Some(UsageMode::Sequential));
    assert_eq!(pc.sequential_usage_info.as_ref().unwrap().count, Some(10));
    assert_eq!(
        serde_json::to_value(&pc).unwrap(),
        fixture_value("003_update_product_coupon_response.json")
    );
    // Both names at once: the pages' name wins, no duplicate-field error.
    let both = json!({"product_coupon_id": "1", "sequential_usage_info": {"count": 3},
                      "progressive_bundle_usage_info": {"count": 5}});
    let pc: ProductCoupon = serde_json::from_value(both).unwrap();
    assert_eq!(pc.sequential_usage_info.unwrap().count, Some(3));
}

#[test]
fn absent_fields_are_omitted_never_null() {
    let stock: Stock = serde_json::from_value(json!({"product_coupon_id": "1", "stock_id": "2",
        "remark": null, "stock_bundle_info": null}))
    .unwrap();
    assert_eq!(
        serde_json::to_string(&stock).unwrap(),
        r#"{"product_coupon_id":"1","stock_id":"2"}"#
    );
    // An error detail's free-form value: a JSON null is absent, both ways.
    let body: ApiErrorBody = serde_json::from_value(
        json!({"code": "PARAM_ERROR", "message": "m", "detail": {"field": "/", "value": null}}),
    )
    .unwrap();
    assert_eq!(body.detail.as_ref().unwrap().value, None);
    let built = ApiErrorBody {
        detail: Some(coupon_model::ErrorDetail {
            value: Some(serde_json::Value::Null),
            ..body.detail.clone().unwrap()
        }),
        ..body
    };
    assert_eq!(
        serde_json::to_string(&built).unwrap(),
        r#"{"code":"PARAM_ERROR","message":"m","detail":{"field":"/"}}"#
    );
}

#[test]
fn query_pairs_reproduce_the_pages_request_examples() {
    fn query(pairs: Vec<(&'static str, String)>) -> String {
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    }
    let first = ListStocksRequest::new("1000000013")
        .with_state(StockState::Deactivated)
        .with_page_size(10);
    assert_eq!(query(first.query_pairs()), "state=DEACTIVATED&page_size=10");
    let second = ListStocksRequest::new("1000000014")
        .with_page_size(20)
        .with_stock_bundle_id("712315129419284901");
    assert_eq!(
        query(second.query_pairs()),
        "page_size=20&stock_bundle_id=712315129419284901"
    );
    let all = ListStocksRequest::new("1")
        .with_stock_bundle_id("b")
        .with_page_token("t")
        .with_page_size(5)
        .with_state(StockState::Paused);
    assert_eq!(
        query(all.query_pairs()),
        "state=PAUSED&page_size=5&page_token=t&stock_bundle_id=b"
    );
    let users = ListUserCouponsRequest::new("oh-394z-6CGkNoJrsDLTTUKiAnp4", "wx233544546545989")
        .with_page_token("MTIzMjUK")
        .with_page_size(20)
        .with_coupon_state(UserCouponState::Used)
        .with_stock_id("100232301")
        .with_product_coupon_id("1002323");
    assert_eq!(
        query(users.query_pairs()),
        // Required parameters first, then the optional ones in table order
        // (the page's example lists the same pairs with appid third).
        "appid=wx233544546545989&product_coupon_id=1002323&stock_id=100232301&coupon_state=USED&page_size=20&page_token=MTIzMjUK"
    );
    assert_eq!(
        query(ListUserCouponsRequest::new("o", "wx1").query_pairs()),
        "appid=wx1"
    );
}

#[test]
fn webhook_envelope_and_payload_parse_by_event_type() {
    let notification: Notification = fixture("synthetic_notification.json");
    assert_eq!(notification.event_type, EventType::ProductCouponSend);
    assert_eq!(notification.resource.algorithm, "AEAD_AES_256_GCM");
    assert_eq!(
        notification.resource.associated_data.as_deref(),
        Some("product_coupon")
    );

    let plaintext = String::from_utf8(fixture_bytes("synthetic_send_payload.json")).unwrap();
    let event = parse_event(&notification.event_type, &plaintext).unwrap();
    let send = event.as_send().unwrap();
    assert_eq!(send.coupon_code.as_str(), "123446565767");
    assert_eq!(send.send_channel, Some(SendChannel::Api));
    assert!(send.validate().is_ok());
    assert!(matches!(
        parse_event(&EventType::PartnerProductCouponSend, &plaintext).unwrap(),
        WebhookEvent::PartnerProductCouponSend(_)
    ));

    // USE and RETURN carry the same payload as SEND; IMAGE_GENERATION its task.
    let used = parse_event(&EventType::from("PRODUCT_COUPON.USE"), &plaintext).unwrap();
    assert!(
        matches!(used, WebhookEvent::ProductCouponUse(ref e) if e.coupon_code.as_str() == "123446565767")
    );
    assert!(used.as_send().is_none());
    assert!(used.as_coupon_event().is_some());
    let task = parse_event(
        &EventType::PartnerImageGeneration,
        r#"{"brand_id":"1001","task_id":"t1","task_state":"SUCCESS","combine_image_result":{"image_url":"https://x/y.png"}}"#,
    )
    .unwrap();
    assert!(
        matches!(task, WebhookEvent::PartnerImageGeneration(ref t) if t.task_id.as_ref().is_some_and(|id| id == "t1"))
    );
    // A documented event whose payload is not its JSON is an error, not lost.
    assert!(parse_event(&EventType::ProductCouponReturn, "not even json").is_err());

    // Unknown event types are kept raw, never rejected.
    for event_type in [
        EventType::from("PRODUCT_COUPON.SOMETHING_NEW"),
        EventType::from("MARKETING.OTHER"),
    ] {
        let event = parse_event(&event_type, "not even json").unwrap();
        assert_eq!(
            event,
            WebhookEvent::Other {
                event_type,
                plaintext: "not even json".to_owned()
            }
        );
    }
    // A SEND payload that is not the documented JSON is an error naming it.
    let err = parse_event(&EventType::ProductCouponSend, "{}").unwrap_err();
    assert!(
        err.to_string().contains("PRODUCT_COUPON.SEND payload"),
        "{err}"
    );
}

#[test]
fn error_body_codes() {
    let body: ApiErrorBody = fixture("synthetic_error_param.json");
    assert_eq!(body.code, ErrorCode::ParamError);
    let detail = body.detail.as_ref().unwrap();
    assert_eq!(detail.field.as_deref(), Some("/stock/stock_send_rule"));
    assert_eq!(detail.location.as_deref(), Some("body"));
    assert!(body.to_string().contains("/stock/stock_send_rule"));
    let retry: ApiErrorBody =
        serde_json::from_str(r#"{"code":"RATELIMIT_EXCEEDED","message":"slow down"}"#).unwrap();
    assert!(retry.code.is_retryable());
    let odd: ApiErrorBody = serde_json::from_str(r#"{"code":"NEW_CODE"}"#).unwrap();
    assert_eq!(odd.code, ErrorCode::Unknown("NEW_CODE".to_owned()));
    assert!(!odd.code.is_retryable());
    assert_eq!(odd.message, "");
    for code in ErrorCode::KNOWN_VALUES {
        assert!(!ErrorCode::from(*code).is_unknown(), "{code}");
    }
}

#[test]
fn ids_are_transparent_strings() {
    use coupon_model::ids::{OutRequestNo, StockId};
    let id = StockId::from("123");
    assert_eq!(serde_json::to_string(&id).unwrap(), "\"123\"");
    assert_eq!(serde_json::from_str::<StockId>("\"123\"").unwrap(), id);
    assert_eq!(id.to_string(), "123");
    assert_eq!(id, "123");
    let owned: String = OutRequestNo::from(String::from("abc_123")).into();
    assert_eq!(owned, "abc_123");
}
