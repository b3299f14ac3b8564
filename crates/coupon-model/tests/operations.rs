//! The operation table's behaviour: routing, parameters, brand ids, the
//! accepted spellings of create-product-coupon.

use coupon_model::operation::{
    BrandIdPlacement, Operation, OperationVisitor, PagedOperation, Side, find, route,
    visit_operation,
};
use coupon_model::operations::{
    ConfirmSendUserProductCouponRequest, GetStockRequest, ListStocksRequest, OPERATIONS,
    UpdateStockRequest,
};
use coupon_model::product_coupon::{CreateProductCouponBody, UsageMode};
use coupon_model::stock::{StockState, UpdateStockBody};
use coupon_model::user_coupon::ConfirmUserProductCouponBody;
use coupon_model::{ModelError, RuleId};
use serde_json::json;

#[test]
fn route_finds_the_operation_side_and_raw_placeholders() {
    let r = route(
        "POST",
        "/brand/marketing/product-coupon/users/o%2F1/coupons/C-1/confirm",
    )
    .unwrap();
    assert_eq!(r.spec.name, "confirm-send-user-product-coupon");
    assert_eq!(r.side, Side::Brand);
    assert_eq!(r.params.get("openid"), Some("o%2F1"));
    assert_eq!(r.params.get("coupon_code"), Some("C-1"));
    assert_eq!(r.params.len(), 2);

    let r = route(
        "GET",
        "/v3/marketing/partner/product-coupon/product-coupons/1/stocks/2/associated-stores",
    )
    .unwrap();
    assert_eq!(
        (r.spec.name, r.side),
        ("list-associated-stores", Side::Partner)
    );

    // The path exists with another method: Err(true); nothing matches: Err(false).
    assert!(matches!(
        route(
            "DELETE",
            "/brand/marketing/product-coupon/product-coupons/1"
        ),
        Err(true)
    ));
    assert!(matches!(
        route("GET", "/brand/marketing/product-coupon/nope"),
        Err(false)
    ));
    // An empty placeholder never matches, nor does a partner-only path on the brand side.
    assert!(
        route(
            "GET",
            "/brand/marketing/product-coupon/product-coupons//stocks"
        )
        .is_err()
    );
    assert!(
        route(
            "GET",
            "/brand/marketing/product-coupon/image-generation-tasks/t1"
        )
        .is_err()
    );
    assert!(
        route(
            "GET",
            "/v3/marketing/partner/product-coupon/image-generation-tasks/t1"
        )
        .is_ok()
    );
    // Trailing segments do not match.
    assert!(route("GET", "/brand/marketing/product-coupon/notify-configs/x").is_err());
}

#[test]
fn every_template_routes_back_to_its_operation() {
    for spec in OPERATIONS {
        for side in [Side::Brand, Side::Partner] {
            let Some(template) = spec.path_template(side) else {
                continue;
            };
            let path = template.replace('{', "v").replace('}', "");
            let r = route(spec.method.as_str(), &path).unwrap();
            assert_eq!((r.spec.name, r.side), (spec.name, side), "{path}");
            assert_eq!(r.params.len(), spec.placeholders().count());
        }
        assert_eq!(find(spec.name).map(|s| s.name), Some(spec.name));
    }
    assert!(find("no-such-operation").is_none());
}

#[test]
fn parameters_are_set_by_name_and_unknown_ones_are_refused_with_the_known_ones() {
    let mut request = ListStocksRequest::from_body(Default::default());
    request
        .set_path_param("product_coupon_id", "1000000013")
        .unwrap();
    request.set_query_param("state", "SENDING").unwrap();
    request.set_query_param("page_size", "10").unwrap();
    assert_eq!(request.path_param("product_coupon_id"), Some("1000000013"));
    assert_eq!(request.state, Some(StockState::Sending));
    assert_eq!(
        request.query_pairs(),
        vec![
            ("state", "SENDING".to_owned()),
            ("page_size", "10".to_owned())
        ]
    );

    let err = request.set_query_param("page_size", "ten").unwrap_err();
    assert!(
        matches!(&err, ModelError::Parameter { name, .. } if name == "page_size"),
        "{err}"
    );
    assert!(err.to_string().contains("whole number"), "{err}");
    let err = request.set_query_param("stat", "SENDING").unwrap_err();
    assert!(err.to_string().contains("state, page_size"), "{err}");
    let err = request.set_path_param("stock_id", "1").unwrap_err();
    assert!(err.to_string().contains("product_coupon_id"), "{err}");

    let mut get = GetStockRequest::new("1", "2");
    assert!(get.set_path_param("stock_id", "3").is_ok());
    assert_eq!(get.stock_id.as_str(), "3");
}

#[test]
fn brand_id_lives_in_the_query_for_get_and_in_the_body_otherwise() {
    let mut get = GetStockRequest::new("1", "2");
    assert_eq!(
        GetStockRequest::SPEC.partner_brand_id,
        BrandIdPlacement::Query
    );
    get.set_brand_id(Some("1001".into()));
    assert_eq!(get.query_pairs(), vec![("brand_id", "1001".to_owned())]);
    assert_eq!(get.brand_id().map(|b| b.as_str()), Some("1001"));

    let mut update = UpdateStockRequest::new("1", "2", UpdateStockBody::new("upd_000001"));
    update.set_brand_id(Some("1001".into()));
    assert!(update.query_pairs().is_empty());
    assert_eq!(
        update.body.brand_id.as_ref().map(|b| b.as_str()),
        Some("1001")
    );
    let json = serde_json::to_value(&update.body).unwrap();
    assert_eq!(
        json,
        json!({"out_request_no": "upd_000001", "brand_id": "1001"})
    );

    let notify = coupon_model::operations::GetNotifyConfigRequest::new();
    assert_eq!(
        coupon_model::operations::GetNotifyConfigRequest::SPEC.partner_brand_id,
        BrandIdPlacement::NotSent
    );
    assert!(notify.brand_id().is_none());
}

#[test]
fn paged_operations_set_their_page_token() {
    let mut request = ListStocksRequest::new("1");
    request.set_page_token(Some("t1".into()));
    assert_eq!(request.page_token().map(|t| t.as_str()), Some("t1"));
    let page = ListStocksRequest::into_page(
        serde_json::from_value(
            json!({"stock_list": [], "next_page_token": "t2", "total_count": 3}),
        )
        .unwrap(),
    );
    assert!(page.items.is_empty());
    assert_eq!(
        page.next_page_token.map(|t| t.into_string()),
        Some("t2".into())
    );
    assert_eq!(page.total_count, Some(3));
    for spec in OPERATIONS {
        assert_eq!(
            spec.is_paged(),
            spec.name.starts_with("list-"),
            "{}",
            spec.name
        );
    }
}

#[test]
fn request_validation_reports_body_rules_with_pointers() {
    let bad = ConfirmSendUserProductCouponRequest::new(
        "o1",
        "C1",
        ConfirmUserProductCouponBody::new("1", "2", "wx1", "x"),
    );
    let violations = bad.validate().unwrap_err();
    assert!(violations.contains(RuleId::OutRequestNoFormat, "/out_request_no"));
}

#[test]
fn a_bundle_sent_under_stock_is_read_as_the_stock_bundle() {
    // The partner Go samples put a sequential coupon's bundle under "stock".
    let body: CreateProductCouponBody = serde_json::from_value(json!({
        "out_request_no": "create_000001",
        "brand_id": "1001",
        "scope": "ALL",
        "type": "NORMAL",
        "usage_mode": "PROGRESSIVE_BUNDLE",
        "progressive_bundle_usage_info": {"count": 3, "interval_days": 1},
        "display_info": {"name": "全场满减券", "image_url": "https://a/b.png"},
        "stock": {
            "coupon_code_mode": "WECHATPAY",
            "stock_send_rule": {"max_count": 100, "max_count_per_user": 1},
            "progressive_bundle_usage_rule": {
                "coupon_available_period": {"available_begin_time": "2025-08-01T00:00:00+08:00", "available_end_time": "2025-08-31T00:00:00+08:00"},
                "normal_coupon": {"threshold": 100, "discount_amount": 10}
            },
            "usage_rule_display_info": {"coupon_usage_method_list": ["OFFLINE"], "usage_description": "x"},
            "coupon_display_info": {"code_display_mode": "QRCODE"},
            "notify_config": {"notify_appid": "wx1"},
            "store_scope": "NONE"
        }
    }))
    .unwrap();
    assert_eq!(body.usage_mode, UsageMode::Sequential);
    assert!(body.stock.is_none());
    assert!(body.stock_bundle.is_some());
    assert_eq!(
        body.sequential_usage_info.as_ref().and_then(|i| i.count),
        Some(3)
    );
    let written = serde_json::to_value(&body).unwrap();
    assert_eq!(written["usage_mode"], "SEQUENTIAL");
    assert!(written.get("stock").is_none() && written.get("stock_bundle").is_some());
    assert!(written.get("sequential_usage_info").is_some());
    assert!(written.get("progressive_bundle_usage_info").is_none());
}

struct Name;

impl OperationVisitor for Name {
    type Output = &'static str;
    fn visit<O: Operation>(self) -> &'static str {
        O::SPEC.request_type
    }
}

#[test]
fn visit_operation_picks_the_request_type_by_name() {
    assert_eq!(visit_operation("get-stock", Name), Some("GetStockRequest"));
    assert_eq!(
        visit_operation("upload-image", Name),
        Some("UploadImageRequest")
    );
    assert_eq!(visit_operation("nope", Name), None);
    for spec in OPERATIONS {
        assert_eq!(visit_operation(spec.name, Name), Some(spec.request_type));
    }
}
