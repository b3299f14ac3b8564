//! Required fields, JSON types and enum values of the request bodies with
//! nested objects or enums, checked before the typed parse so that a missing
//! or mistyped field — or an undocumented enum value, which the lenient model
//! types would keep as `Unknown` — is reported as `400 PARAM_ERROR` with
//! `detail.field` the JSON pointer where it should be (e.g.
//! `/stock/stock_send_rule`), the way WeChat Pay reports it. The other bodies
//! rely on the typed parse alone (its errors carry pointers too).

use serde_json::Value;

use crate::respond::ApiError;

/// The expected JSON shape of a field.
pub(crate) enum Ty {
    Str,
    Int,
    Bool,
    Enum(&'static [&'static str]),
    Obj(&'static [F]),
    Arr(&'static Ty),
}

/// A field of an object.
pub(crate) struct F {
    name: &'static str,
    ty: Ty,
    required: bool,
}

const fn req(name: &'static str, ty: Ty) -> F {
    F {
        name,
        ty,
        required: true,
    }
}

const fn opt(name: &'static str, ty: Ty) -> F {
    F {
        name,
        ty,
        required: false,
    }
}

const WEEKDAYS: &[&str] = &[
    "MONDAY",
    "TUESDAY",
    "WEDNESDAY",
    "THURSDAY",
    "FRIDAY",
    "SATURDAY",
    "SUNDAY",
];

const TIME_PERIOD: &[F] = &[req("begin_time", Ty::Str), req("end_time", Ty::Str)];
const DAY_PERIOD: &[F] = &[req("begin_time", Ty::Int), req("end_time", Ty::Int)];
const WEEKLY: &[F] = &[
    opt("day_list", Ty::Arr(&Ty::Enum(WEEKDAYS))),
    opt("day_period_list", Ty::Arr(&Ty::Obj(DAY_PERIOD))),
];
const PERIOD: &[F] = &[
    opt("available_begin_time", Ty::Str),
    opt("available_end_time", Ty::Str),
    opt("available_days", Ty::Int),
    opt("wait_days_after_receive", Ty::Int),
    opt("weekly_available_period", Ty::Obj(WEEKLY)),
    opt(
        "irregular_available_period_list",
        Ty::Arr(&Ty::Obj(TIME_PERIOD)),
    ),
];
const NORMAL: &[F] = &[opt("threshold", Ty::Int), req("discount_amount", Ty::Int)];
const DISCOUNT: &[F] = &[opt("threshold", Ty::Int), req("percent_off", Ty::Int)];
const EXCHANGE: &[F] = &[opt("threshold", Ty::Int), req("exchange_price", Ty::Int)];
const SINGLE_RULE: &[F] = &[
    req("coupon_available_period", Ty::Obj(PERIOD)),
    opt("normal_coupon", Ty::Obj(NORMAL)),
    opt("discount_coupon", Ty::Obj(DISCOUNT)),
    opt("exchange_coupon", Ty::Obj(EXCHANGE)),
];
const SEQUENTIAL_RULE: &[F] = &[
    req("coupon_available_period", Ty::Obj(PERIOD)),
    opt("normal_coupon_list", Ty::Arr(&Ty::Obj(NORMAL))),
    opt("discount_coupon_list", Ty::Arr(&Ty::Obj(DISCOUNT))),
    opt("exchange_coupon_list", Ty::Arr(&Ty::Obj(EXCHANGE))),
    opt("special_first", Ty::Bool),
];
const PROGRESSIVE_RULE: &[F] = &[
    req("coupon_available_period", Ty::Obj(PERIOD)),
    opt("normal_coupon", Ty::Obj(NORMAL)),
    opt("discount_coupon", Ty::Obj(DISCOUNT)),
    opt("exchange_coupon", Ty::Obj(EXCHANGE)),
    opt("normal_coupon_list", Ty::Arr(&Ty::Obj(NORMAL))),
    opt("discount_coupon_list", Ty::Arr(&Ty::Obj(DISCOUNT))),
    opt("exchange_coupon_list", Ty::Arr(&Ty::Obj(EXCHANGE))),
    opt("special_first", Ty::Bool),
];
const SEND_RULE: &[F] = &[
    req("max_count", Ty::Int),
    opt("max_count_per_day", Ty::Int),
    req("max_count_per_user", Ty::Int),
];
const STORE_INFO: &[F] = &[
    opt("description", Ty::Str),
    opt("mini_program_appid", Ty::Str),
    opt("mini_program_path", Ty::Str),
];
const USAGE_DISPLAY: &[F] = &[
    req(
        "coupon_usage_method_list",
        Ty::Arr(&Ty::Enum(&[
            "OFFLINE",
            "MINI_PROGRAM",
            "APP",
            "PAYMENT_CODE",
        ])),
    ),
    opt("mini_program_appid", Ty::Str),
    opt("mini_program_path", Ty::Str),
    opt("app_path", Ty::Str),
    req("usage_description", Ty::Str),
    opt("coupon_available_store_info", Ty::Obj(STORE_INFO)),
];
const ENTRANCE_MINI: &[F] = &[
    opt("appid", Ty::Str),
    opt("path", Ty::Str),
    opt("entrance_wording", Ty::Str),
    opt("guidance_wording", Ty::Str),
];
const COUPON_DISPLAY: &[F] = &[
    req(
        "code_display_mode",
        Ty::Enum(&["INVISIBLE", "BARCODE", "QRCODE"]),
    ),
    opt("background_color", Ty::Str),
    opt("entrance_mini_program", Ty::Obj(ENTRANCE_MINI)),
    opt(
        "entrance_official_account",
        Ty::Obj(&[req("appid", Ty::Str)]),
    ),
    opt(
        "entrance_finder",
        Ty::Obj(&[
            opt("finder_id", Ty::Str),
            opt("finder_video_id", Ty::Str),
            opt("finder_video_cover_image_url", Ty::Str),
        ]),
    ),
];
const NEW_STOCK: &[F] = &[
    opt("remark", Ty::Str),
    req(
        "coupon_code_mode",
        Ty::Enum(&["WECHATPAY", "UPLOAD", "API_ASSIGN"]),
    ),
    req("stock_send_rule", Ty::Obj(SEND_RULE)),
    opt("single_usage_rule", Ty::Obj(SINGLE_RULE)),
    opt("sequential_usage_rule", Ty::Obj(SEQUENTIAL_RULE)),
    opt("progressive_bundle_usage_rule", Ty::Obj(PROGRESSIVE_RULE)),
    req("usage_rule_display_info", Ty::Obj(USAGE_DISPLAY)),
    req("coupon_display_info", Ty::Obj(COUPON_DISPLAY)),
    req("notify_config", Ty::Obj(&[req("notify_appid", Ty::Str)])),
    req("store_scope", Ty::Enum(&["NONE", "ALL", "SPECIFIC"])),
];

/// The add-stock request body (page 001).
pub(crate) const ADD_STOCK: Ty = Ty::Obj(&[
    req("out_request_no", Ty::Str),
    req("stock", Ty::Obj(NEW_STOCK)),
]);

const COMBO_CHOICE: &[F] = &[
    opt("name", Ty::Str),
    opt("price", Ty::Int),
    opt("count", Ty::Int),
    opt("image_url", Ty::Str),
    opt("mini_program_appid", Ty::Str),
    opt("mini_program_path", Ty::Str),
];
const COMBO: &[F] = &[
    opt("name", Ty::Str),
    opt("pick_count", Ty::Int),
    opt("choice_list", Ty::Arr(&Ty::Obj(COMBO_CHOICE))),
];
const DISPLAY_INFO: &[F] = &[
    req("name", Ty::Str),
    req("image_url", Ty::Str),
    opt("background_url", Ty::Str),
    opt("detail_image_url_list", Ty::Arr(&Ty::Str)),
    opt("original_price", Ty::Int),
    opt("combo_package_list", Ty::Arr(&Ty::Obj(COMBO))),
];

/// The update-product-coupon request body (page 003); the partner side's
/// `brand_id` is required by the dispatcher.
pub(crate) const UPDATE_PRODUCT_COUPON: Ty = Ty::Obj(&[
    req("out_request_no", Ty::Str),
    req("display_info", Ty::Obj(DISPLAY_INFO)),
    opt("brand_id", Ty::Str),
]);

const SCOPES: &[&str] = &["ALL", "SINGLE"];
const TYPES: &[&str] = &["NORMAL", "DISCOUNT", "EXCHANGE"];
const USAGE_MODES: &[&str] = &["SINGLE", "SEQUENTIAL", "PROGRESSIVE_BUNDLE"];
const SINGLE_INFO: &[F] = &[
    opt("normal_coupon", Ty::Obj(NORMAL)),
    opt("discount_coupon", Ty::Obj(DISCOUNT)),
];
const SEQUENTIAL_INFO: &[F] = &[
    opt("type", Ty::Str),
    opt("count", Ty::Int),
    opt("available_days", Ty::Int),
    opt("interval_days", Ty::Int),
];

/// The create-product-coupon request body.
pub(crate) const CREATE_PRODUCT_COUPON: Ty = Ty::Obj(&[
    req("out_request_no", Ty::Str),
    opt("brand_id", Ty::Str),
    req("scope", Ty::Enum(SCOPES)),
    req("type", Ty::Enum(TYPES)),
    req("usage_mode", Ty::Enum(USAGE_MODES)),
    opt("single_usage_info", Ty::Obj(SINGLE_INFO)),
    opt("sequential_usage_info", Ty::Obj(SEQUENTIAL_INFO)),
    opt("progressive_bundle_usage_info", Ty::Obj(SEQUENTIAL_INFO)),
    req("display_info", Ty::Obj(DISPLAY_INFO)),
    opt("out_product_no", Ty::Str),
    opt("stock", Ty::Obj(NEW_STOCK)),
    opt("stock_bundle", Ty::Obj(NEW_STOCK)),
]);

/// The create-stock-bundle request body.
pub(crate) const CREATE_STOCK_BUNDLE: Ty = Ty::Obj(&[
    req("out_request_no", Ty::Str),
    req("stock_bundle", Ty::Obj(NEW_STOCK)),
]);

/// The update-stock and update-stock-bundle request body.
pub(crate) const UPDATE_STOCK: Ty = Ty::Obj(&[
    req("out_request_no", Ty::Str),
    opt("remark", Ty::Str),
    opt("usage_rule_display_info", Ty::Obj(USAGE_DISPLAY)),
    opt("coupon_display_info", Ty::Obj(COUPON_DISPLAY)),
    opt("notify_config", Ty::Obj(&[req("notify_appid", Ty::Str)])),
    opt("store_scope", Ty::Enum(&["NONE", "ALL", "SPECIFIC"])),
]);

/// The update-budget request body (stocks and bundles).
pub(crate) const UPDATE_BUDGET: Ty = Ty::Obj(&[
    req("out_request_no", Ty::Str),
    req("update_mode", Ty::Enum(&["MAX_COUNT", "MAX_COUNT_PER_DAY"])),
    opt("current_max_count", Ty::Int),
    opt("target_max_count", Ty::Int),
    opt("current_max_count_per_day", Ty::Int),
    opt("target_max_count_per_day", Ty::Int),
]);

/// The send and pre-send request bodies.
pub(crate) const SEND: Ty = Ty::Obj(&[
    req("product_coupon_id", Ty::Str),
    req("stock_id", Ty::Str),
    opt("coupon_code", Ty::Str),
    req("appid", Ty::Str),
    req("send_request_no", Ty::Str),
    opt("attach", Ty::Str),
    opt(
        "coupon_tag_info",
        Ty::Obj(&[
            opt("coupon_tag_list", Ty::Arr(&Ty::Enum(&["MEMBER"]))),
            opt(
                "member_tag_info",
                Ty::Obj(&[opt("member_card_id", Ty::Str)]),
            ),
        ]),
    ),
]);

/// The shape checked before the typed parse of operation `name`'s body, if any.
pub(crate) fn for_operation(name: &str) -> Option<&'static Ty> {
    Some(match name {
        "create-product-coupon" => &CREATE_PRODUCT_COUPON,
        "update-product-coupon" => &UPDATE_PRODUCT_COUPON,
        "create-stock" => &ADD_STOCK,
        "create-stock-bundle" => &CREATE_STOCK_BUNDLE,
        "update-stock" | "update-stock-bundle" => &UPDATE_STOCK,
        "update-stock-budget" | "update-stock-bundle-budget" => &UPDATE_BUDGET,
        "send-user-product-coupon" | "pre-send-user-product-coupon" => &SEND,
        _ => return None,
    })
}

fn type_name(ty: &Ty) -> String {
    match ty {
        Ty::Str => "a string".into(),
        Ty::Int => "an integer (64-bit signed)".into(),
        Ty::Bool => "a boolean".into(),
        Ty::Enum(values) => format!("one of {}", values.join("|")),
        Ty::Obj(_) => "an object".into(),
        Ty::Arr(_) => "an array".into(),
    }
}

/// Appends a JSON-pointer token (escaping `~` and `/`).
fn push_token(path: &str, token: &str) -> String {
    format!("{path}/{}", token.replace('~', "~0").replace('/', "~1"))
}

/// Checks `value` against `ty`; the first problem is returned as PARAM_ERROR.
pub(crate) fn check(value: &Value, ty: &Ty) -> Result<(), ApiError> {
    check_at(value, ty, "")
}

fn check_at(value: &Value, ty: &Ty, path: &str) -> Result<(), ApiError> {
    let ok = match ty {
        Ty::Str => value.is_string(),
        // i64 only: a larger integer is reported here, at its own pointer,
        // rather than by the typed parse without one.
        Ty::Int => value.is_i64(),
        Ty::Bool => value.is_boolean(),
        Ty::Enum(values) => value.as_str().is_some_and(|s| values.contains(&s)),
        Ty::Obj(_) => value.is_object(),
        Ty::Arr(_) => value.is_array(),
    };
    if !ok {
        let shown = if path.is_empty() { "/" } else { path };
        return Err(ApiError::param(
            shown,
            "body",
            format!(
                "参数格式错误: {shown} 应为 {} (the field {shown} must be {}, got {})",
                type_name(ty),
                type_name(ty),
                short(value)
            ),
        )
        .with_value(value.clone()));
    }
    match (ty, value) {
        (Ty::Obj(fields), Value::Object(map)) => {
            for field in *fields {
                let here = push_token(path, field.name);
                match map.get(field.name) {
                    None | Some(Value::Null) if field.required => {
                        return Err(ApiError::param(
                            &here,
                            "body",
                            format!(
                                "缺少必填参数 {here} (the required field {here} is missing; add it)"
                            ),
                        ));
                    }
                    None | Some(Value::Null) => {}
                    Some(v) => check_at(v, &field.ty, &here)?,
                }
            }
            Ok(())
        }
        (Ty::Arr(item), Value::Array(items)) => {
            for (i, v) in items.iter().enumerate() {
                check_at(v, item, &push_token(path, &i.to_string()))?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 40 {
        let cut: String = text.chars().take(40).collect();
        format!("{cut}…")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn valid_stock_body() -> Value {
        json!({
            "out_request_no": "sandbox_0001",
            "stock": {
                "coupon_code_mode": "WECHATPAY",
                "stock_send_rule": { "max_count": 100, "max_count_per_user": 1 },
                "single_usage_rule": { "coupon_available_period": {
                    "available_begin_time": "2025-08-01T00:00:00+08:00",
                    "available_end_time": "2025-08-31T23:59:59+08:00" } },
                "usage_rule_display_info": { "coupon_usage_method_list": ["OFFLINE"], "usage_description": "x" },
                "coupon_display_info": { "code_display_mode": "QRCODE" },
                "notify_config": { "notify_appid": "wx1" },
                "store_scope": "ALL"
            }
        })
    }

    fn field_of(e: ApiError) -> String {
        e.body.detail.unwrap().field.unwrap()
    }

    #[test]
    fn valid_body_passes() {
        check(&valid_stock_body(), &ADD_STOCK).unwrap();
    }

    #[test]
    fn missing_fields_are_reported_at_their_pointer() {
        for (remove, pointer) in [
            ("stock_send_rule", "/stock/stock_send_rule"),
            ("notify_config", "/stock/notify_config"),
            ("store_scope", "/stock/store_scope"),
        ] {
            let mut body = valid_stock_body();
            body["stock"].as_object_mut().unwrap().remove(remove);
            let e = check(&body, &ADD_STOCK).unwrap_err();
            assert_eq!(e.body.code.as_str(), "PARAM_ERROR");
            assert_eq!(field_of(e), pointer);
        }
        let mut body = valid_stock_body();
        body["stock"]["stock_send_rule"]
            .as_object_mut()
            .unwrap()
            .remove("max_count");
        assert_eq!(
            field_of(check(&body, &ADD_STOCK).unwrap_err()),
            "/stock/stock_send_rule/max_count"
        );
        let mut body = valid_stock_body();
        body.as_object_mut().unwrap().remove("out_request_no");
        assert_eq!(
            field_of(check(&body, &ADD_STOCK).unwrap_err()),
            "/out_request_no"
        );
    }

    #[test]
    fn wrong_types_and_enum_values_are_reported() {
        let mut body = valid_stock_body();
        body["stock"]["stock_send_rule"]["max_count"] = json!("100");
        assert_eq!(
            field_of(check(&body, &ADD_STOCK).unwrap_err()),
            "/stock/stock_send_rule/max_count"
        );
        let mut body = valid_stock_body();
        body["stock"]["stock_send_rule"]["max_count_per_day"] = json!(u64::MAX);
        assert_eq!(
            field_of(check(&body, &ADD_STOCK).unwrap_err()),
            "/stock/stock_send_rule/max_count_per_day"
        );
        let mut body = valid_stock_body();
        body["stock"]["usage_rule_display_info"]["coupon_usage_method_list"] = json!(["FAX"]);
        assert_eq!(
            field_of(check(&body, &ADD_STOCK).unwrap_err()),
            "/stock/usage_rule_display_info/coupon_usage_method_list/0"
        );
        assert_eq!(field_of(check(&json!([]), &ADD_STOCK).unwrap_err()), "/");
    }
}
