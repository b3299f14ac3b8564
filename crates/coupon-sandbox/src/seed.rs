//! The seeded data: identifiers and shapes from the API pages' examples,
//! deterministic (the same on every start), and valid for `coupon-model`'s
//! rules (a unit test checks every object with its own product coupon as
//! context).
//!
//! | what | ids |
//! |---|---|
//! | product coupon, scope `ALL`, type `NORMAL`, usage mode `SINGLE` (page 000, first example) | [`PRODUCT_COUPON_ID`] `1000000013`, with [`SINGLE_STOCK_COUNT`] stocks `1000000013001…120` cycling through every stock state × code mode; stock `…001` is the page's example verbatim |
//! | product coupon, scope `ALL`, type `DISCOUNT`, usage mode `SEQUENTIAL` (page 000, second example) | [`BUNDLE_PRODUCT_COUPON_ID`] `1000000014`, stock bundle [`STOCK_BUNDLE_ID`] `712315129419284901` = stocks `1000000014001…003` |
//! | product coupon, scope `SINGLE`, type `NORMAL`, usage mode `SINGLE` (page 003's example display info) | [`SINGLE_SCOPE_PRODUCT_COUPON_ID`] `200000001`, stocks `200000001001…002` |
//! | user | [`OPENID`] under [`APPID`], [`USER_COUPON_COUNT`] coupons cycling through all seven coupon states |
//!
//! The brand is also bound to [`OTHER_APPID`] (the pages' `notify_appid`), under
//! which the seeded OpenID is *not* valid — to exercise the "OpenID 不合法" rule.

use coupon_model::product_coupon::ProductCoupon;
use coupon_model::stock::Stock;
use coupon_model::user_coupon::UserCoupon;
use serde_json::{Value, json};

use crate::error::{Error, Result};

/// The single-use, storewide product coupon (page 000's first example).
pub const PRODUCT_COUPON_ID: &str = "1000000013";
/// The multi-use (`SEQUENTIAL`) discount product coupon (page 000's second example).
pub const BUNDLE_PRODUCT_COUPON_ID: &str = "1000000014";
/// The stock bundle of [`BUNDLE_PRODUCT_COUPON_ID`].
pub const STOCK_BUNDLE_ID: &str = "712315129419284901";
/// A single-product (`scope SINGLE`) product coupon, the target of page 003's example.
pub const SINGLE_SCOPE_PRODUCT_COUPON_ID: &str = "200000001";
/// The seeded user's OpenID (page 002's example).
pub const OPENID: &str = "oh-394z-6CGkNoJrsDLTTUKiAnp4";
/// The AppID the seeded user belongs to (page 002's example).
pub const APPID: &str = "wx233544546545989";
/// A second AppID bound to the brand; [`OPENID`] is not valid under it.
pub const OTHER_APPID: &str = "wx4fd12345678";
/// A second brand that has authorised the sandbox's service provider: it
/// starts with nothing, and the partner side can create objects for it. The
/// brand scheme accepts only the sandbox's own brand, and neither brand can
/// act on the other's objects (`403 NO_AUTH`).
pub const OTHER_BRAND_ID: &str = "120355";
/// How many stocks [`PRODUCT_COUPON_ID`] has at start.
pub const SINGLE_STOCK_COUNT: usize = 120;
/// How many coupons [`OPENID`] holds at start.
pub const USER_COUPON_COUNT: usize = 140;

/// Stock states in seeding order (stock `n` has `STOCK_STATES[(n-1) % 5]`).
pub const STOCK_STATES: [&str; 5] = ["DEACTIVATED", "SENDING", "AUDITING", "PAUSED", "STOPPED"];
/// Code modes in seeding order (stock `n` has `CODE_MODES[((n-1) / 5) % 3]`).
pub const CODE_MODES: [&str; 3] = ["UPLOAD", "WECHATPAY", "API_ASSIGN"];
/// User-coupon states in seeding order (coupon `n` has `COUPON_STATES[(n-1) % 7]`).
pub const COUPON_STATES: [&str; 7] = [
    "CONFIRMING",
    "PENDING",
    "EFFECTIVE",
    "USED",
    "EXPIRED",
    "DELETED",
    "DEACTIVATED",
];

/// All seeded data.
#[derive(Debug, Clone)]
pub struct SeedData {
    /// Product coupons, in id order.
    pub product_coupons: Vec<ProductCoupon>,
    /// Stocks of every product coupon, in creation order.
    pub stocks: Vec<Stock>,
    /// `(openid, appid)` of every known user.
    pub users: Vec<(String, String)>,
    /// AppIDs bound to the brand.
    pub bound_appids: Vec<String>,
    /// `(openid, coupon)` of every user coupon, in receive order.
    pub user_coupons: Vec<(String, UserCoupon)>,
}

fn parse<T: serde::de::DeserializeOwned>(value: Value, what: &'static str) -> Result<T> {
    serde_json::from_value(value).map_err(|source| Error::Json { what, source })
}

const MONTH_DAYS: [u32; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

fn usage_rule_display_info() -> Value {
    json!({
        "coupon_usage_method_list": ["OFFLINE", "MINI_PROGRAM", "PAYMENT_CODE"],
        "mini_program_appid": "wx1234567890",
        "mini_program_path": "/pages/index/product",
        "usage_description": "工作日可用",
        "coupon_available_store_info": {
            "description": "所有门店可用,可使用小程序查看门店列表",
            "mini_program_appid": "wx1234567890",
            "mini_program_path": "/pages/index/store-list"
        }
    })
}

fn coupon_display_info() -> Value {
    json!({
        "code_display_mode": "QRCODE",
        "background_color": "Color010",
        "entrance_mini_program": {
            "appid": "wx1234567890",
            "path": "/pages/index/product",
            "entrance_wording": "欢迎选购",
            "guidance_wording": "获取更多优惠"
        },
        "entrance_official_account": { "appid": "wx1234567890" },
        "entrance_finder": {
            "finder_id": "gh_12345678",
            "finder_video_id": "UDFsdf24df34dD456Hdf34",
            "finder_video_cover_image_url": "https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx"
        }
    })
}

fn august_weekdays_period() -> Value {
    json!({
        "available_begin_time": "2025-08-01T00:00:00+08:00",
        "available_end_time": "2025-08-31T23:59:59+08:00",
        "available_days": 30,
        "weekly_available_period": {
            "day_list": ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"]
        }
    })
}

/// The available period of seeded stock number `n` (1-based): one of four
/// shapes, in a month of 2025 that cycles with `n`.
fn available_period(n: usize) -> Value {
    if n == 1 {
        return august_weekdays_period();
    }
    let month = (n - 1) % 12 + 1;
    let last = MONTH_DAYS[month - 1];
    let begin = format!("2025-{month:02}-01T00:00:00+08:00");
    let end = format!("2025-{month:02}-{last:02}T23:59:59+08:00");
    match n % 4 {
        0 => json!({
            "available_begin_time": begin,
            "available_end_time": end,
            "available_days": 30,
            "weekly_available_period": {
                "day_list": ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"]
            }
        }),
        1 => json!({
            "available_begin_time": begin,
            "available_end_time": end,
            "available_days": 7,
            "wait_days_after_receive": 1
        }),
        2 => json!({
            "available_begin_time": begin,
            "available_end_time": end,
            "irregular_available_period_list": [
                {
                    "begin_time": format!("2025-{month:02}-01T00:00:00+08:00"),
                    "end_time": format!("2025-{month:02}-15T23:59:59+08:00")
                }
            ]
        }),
        _ => json!({
            "available_begin_time": begin,
            "available_end_time": end,
            "weekly_available_period": {
                "day_list": ["SATURDAY", "SUNDAY"],
                "day_period_list": [ { "begin_time": 36000, "end_time": 79200 } ]
            }
        }),
    }
}

/// Stock number `n` (1-based) of [`PRODUCT_COUPON_ID`].
fn single_stock(n: usize) -> Value {
    let i = n - 1;
    let state = STOCK_STATES[i % STOCK_STATES.len()];
    let mode = CODE_MODES[(i / STOCK_STATES.len()) % CODE_MODES.len()];
    let mut stock = json!({
        "product_coupon_id": PRODUCT_COUPON_ID,
        "stock_id": format!("{PRODUCT_COUPON_ID}{n:03}"),
        "remark": if n == 1 { "8月工作日有效批次".to_owned() } else { format!("沙箱批次{n:03}") },
        "coupon_code_mode": mode,
        "stock_send_rule": if n == 1 || n % 2 == 1 {
            json!({ "max_count": 10_000_000, "max_count_per_user": 1 })
        } else {
            json!({ "max_count": 1_000_000, "max_count_per_day": 10_000, "max_count_per_user": 1 + n % 5 })
        },
        "single_usage_rule": { "coupon_available_period": available_period(n) },
        "usage_rule_display_info": usage_rule_display_info(),
        "coupon_display_info": coupon_display_info(),
        "notify_config": { "notify_appid": "wx4fd12345678" },
        "store_scope": if n == 1 { "ALL" } else { ["ALL", "NONE", "SPECIFIC"][n % 3] },
        "sent_count_info": if n == 1 || state == "AUDITING" {
            json!({ "total_count": 0, "today_count": 0 })
        } else {
            json!({ "total_count": n * 37, "today_count": n % 10 })
        },
        "state": state
    });
    if mode == "UPLOAD" {
        stock["coupon_code_count_info"] = if n == 1 {
            json!({ "total_count": 0, "available_count": 0 })
        } else {
            json!({ "total_count": 1000 * (n % 7 + 1), "available_count": 100 * (n % 7 + 1) })
        };
    }
    if state == "DEACTIVATED" {
        stock["deactivate_request_no"] = if n == 1 {
            json!("de_34657_20250101_123456")
        } else {
            json!(format!("de_34657_20250101_{n:06}"))
        };
        stock["deactivate_reason"] = json!("批次信息有误,重新创建");
        stock["deactivate_time"] = json!("2025-09-01T00:00:00+08:00");
    }
    stock
}

/// Stock `index` (0-based) of the stock bundle (page 000's second example).
fn bundle_stock(index: usize) -> Value {
    const PERCENT_OFF: [u32; 3] = [50, 20, 30];
    json!({
        "product_coupon_id": BUNDLE_PRODUCT_COUPON_ID,
        "stock_id": format!("{BUNDLE_PRODUCT_COUPON_ID}{:03}", index + 1),
        "remark": "8月工作日有效批次",
        "coupon_code_mode": "UPLOAD",
        "coupon_code_count_info": { "total_count": 0, "available_count": 0 },
        "stock_send_rule": { "max_count": 10_000_000, "max_count_per_user": 1 },
        "progressive_bundle_usage_rule": {
            "coupon_available_period": august_weekdays_period(),
            "discount_coupon": { "threshold": 10000, "percent_off": PERCENT_OFF[index % 3] }
        },
        "stock_bundle_info": { "stock_bundle_id": STOCK_BUNDLE_ID, "stock_bundle_index": index },
        "usage_rule_display_info": usage_rule_display_info(),
        "coupon_display_info": coupon_display_info(),
        "notify_config": { "notify_appid": "wx4fd12345678" },
        "store_scope": "NONE",
        "sent_count_info": { "total_count": 0, "today_count": 0 },
        "state": "SENDING"
    })
}

/// Stock `index` (0-based) of [`SINGLE_SCOPE_PRODUCT_COUPON_ID`].
fn single_scope_stock(index: usize) -> Value {
    json!({
        "product_coupon_id": SINGLE_SCOPE_PRODUCT_COUPON_ID,
        "stock_id": format!("{SINGLE_SCOPE_PRODUCT_COUPON_ID}{:03}", index + 1),
        "remark": "单品满减券",
        "coupon_code_mode": "WECHATPAY",
        "stock_send_rule": { "max_count": 10_000_000, "max_count_per_day": 10_000, "max_count_per_user": 1 },
        "single_usage_rule": {
            "coupon_available_period": august_weekdays_period(),
            "normal_coupon": { "threshold": 10000, "discount_amount": 1000 * (index as u64 + 1) }
        },
        "usage_rule_display_info": {
            "coupon_usage_method_list": ["OFFLINE", "PAYMENT_CODE"],
            "usage_description": "美式咖啡可用"
        },
        "coupon_display_info": { "code_display_mode": "BARCODE", "background_color": "Color020" },
        "notify_config": { "notify_appid": "wx4fd12345678" },
        "store_scope": "ALL",
        "sent_count_info": { "total_count": 12, "today_count": 2 },
        "state": "SENDING"
    })
}

fn product_coupons() -> Vec<Value> {
    let images = json!({
        "image_url": "https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx",
        "background_url": "https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx",
        "detail_image_url_list": ["https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx"]
    });
    let display = |name: &str, extra: Value| {
        let mut d = images.clone();
        d["name"] = json!(name);
        if let (Some(d), Value::Object(extra)) = (d.as_object_mut(), extra) {
            d.extend(extra);
        }
        d
    };
    vec![
        json!({
            "product_coupon_id": PRODUCT_COUPON_ID,
            "scope": "ALL",
            "type": "NORMAL",
            "usage_mode": "SINGLE",
            "single_usage_info": { "normal_coupon": { "threshold": 10000, "discount_amount": 1000 } },
            "display_info": display("全场满100可减10元", json!({})),
            "out_product_no": "Product_1000000013",
            "state": "EFFECTIVE"
        }),
        json!({
            "product_coupon_id": BUNDLE_PRODUCT_COUPON_ID,
            "scope": "ALL",
            "type": "DISCOUNT",
            "usage_mode": "SEQUENTIAL",
            "sequential_usage_info": { "type": "EQUAL", "count": 3, "available_days": 30, "interval_days": 1 },
            "display_info": display("全场折扣三次券", json!({})),
            "out_product_no": "Product_1000000014",
            "state": "EFFECTIVE"
        }),
        json!({
            "product_coupon_id": SINGLE_SCOPE_PRODUCT_COUPON_ID,
            "scope": "SINGLE",
            "type": "NORMAL",
            "usage_mode": "SINGLE",
            "display_info": display("全场满100可减10元", json!({
                "original_price": 10000,
                "combo_package_list": [
                    {
                        "name": "咖啡2选1",
                        "pick_count": 3,
                        "choice_list": [
                            {
                                "name": "美式",
                                "price": 10000,
                                "count": 2,
                                "image_url": "https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx",
                                "mini_program_appid": "wx4fd12345678",
                                "mini_program_path": "/pages/index/index"
                            }
                        ]
                    }
                ]
            })),
            "out_product_no": "example_out_product_no",
            "state": "EFFECTIVE"
        }),
    ]
}

/// User coupon number `n` (1-based) of [`OPENID`], holding `product_coupon` and `stock`.
fn user_coupon(
    n: usize,
    product_coupon: &Value,
    stock: &Value,
    bundle_index: Option<usize>,
) -> Value {
    const SEND_CHANNELS: [&str; 4] = ["API", "BRAND_MANAGE", "RECEIVE_COMPONENT", "MEMBER"];
    let i = n - 1;
    let state = COUPON_STATES[i % COUPON_STATES.len()];
    let day = i % 28 + 1;
    let mut c = json!({
        "coupon_code": format!("1234465{n:05}"),
        "coupon_state": state,
        "valid_begin_time": format!("2025-07-{day:02}T00:00:00+08:00"),
        "valid_end_time": format!("2025-08-{day:02}T23:59:59+08:00"),
        "receive_time": format!("2025-07-{day:02}T09:10:00+08:00"),
        "send_request_no": format!("MCHSEND2025070{:05}", n),
        "send_channel": SEND_CHANNELS[i % 4],
    });
    if state != "CONFIRMING" {
        c["confirm_request_no"] = json!(format!("MCHCONFIRM2025070{n:05}"));
        c["confirm_time"] = json!(format!("2025-07-{day:02}T09:11:00+08:00"));
    }
    if state == "DEACTIVATED" {
        c["deactivate_request_no"] = json!(format!("1002600620019090123{n:09}"));
        c["deactivate_time"] = json!(format!("2025-07-{day:02}T13:29:35+08:00"));
        c["deactivate_reason"] = json!("商品已下线");
    }
    if state == "USED" {
        let detail = json!({
            "use_request_no": format!("MCHUSE2025070{n:05}"),
            "use_time": format!("2025-07-{day:02}T13:29:35+08:00"),
            "associated_order_info": {
                "transaction_id": format!("42000000001234567891234{n:05}"),
                "out_trade_no": format!("trade_no_2025072{n:08}"),
                "mchid": "1900000001"
            }
        });
        if bundle_index.is_some() {
            c["progressive_bundle_usage_detail"] = detail;
        } else {
            c["single_usage_detail"] = detail;
        }
    }
    if let Some(index) = bundle_index {
        c["user_product_coupon_bundle_info"] = json!({
            "user_coupon_bundle_id": format!("9000{:08}", i / 30),
            "user_coupon_bundle_index": index,
            "total_count": 3,
            "used_count": usize::from(state == "USED")
        });
    }
    c["product_coupon"] = product_coupon.clone();
    c["stock"] = stock.clone();
    if n % 3 == 0 {
        c["attach"] = json!("example_attach");
    }
    if n % 5 == 0 {
        c["channel_custom_info"] = json!("example_channel_custom_info");
    }
    c
}

/// Builds the seeded data (deterministic).
pub fn seed_data() -> Result<SeedData> {
    let coupons = product_coupons();
    let single: Vec<Value> = (1..=SINGLE_STOCK_COUNT).map(single_stock).collect();
    let bundle: Vec<Value> = (0..3).map(bundle_stock).collect();
    let single_scope: Vec<Value> = (0..2).map(single_scope_stock).collect();

    let mut user_coupons = Vec::with_capacity(USER_COUPON_COUNT);
    for n in 1..=USER_COUPON_COUNT {
        let i = n - 1;
        let (pc, stock, bundle_index) = match i % 10 {
            0..=6 => (&coupons[0], &single[(i * 13) % single.len()], None),
            7 | 8 => (
                &coupons[2],
                &single_scope[(i / 10) % single_scope.len()],
                None,
            ),
            _ => {
                let index = (i / 10) % bundle.len();
                (&coupons[1], &bundle[index], Some(index))
            }
        };
        let value = user_coupon(n, pc, stock, bundle_index);
        user_coupons.push((OPENID.to_owned(), parse(value, "seeded user coupon")?));
    }

    Ok(SeedData {
        product_coupons: coupons
            .into_iter()
            .map(|v| parse(v, "seeded product coupon"))
            .collect::<Result<_>>()?,
        stocks: single
            .into_iter()
            .chain(bundle)
            .chain(single_scope)
            .map(|v| parse(v, "seeded stock"))
            .collect::<Result<_>>()?,
        users: vec![(OPENID.to_owned(), APPID.to_owned())],
        bound_appids: vec![APPID.to_owned(), OTHER_APPID.to_owned()],
        user_coupons,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use coupon_model::ValidationContext;
    use coupon_model::stock::{CouponCodeMode, StockState};
    use coupon_model::user_coupon::UserCouponState;

    use super::*;

    fn data() -> SeedData {
        seed_data().unwrap()
    }

    fn product_coupon<'a>(d: &'a SeedData, id: &str) -> &'a ProductCoupon {
        d.product_coupons
            .iter()
            .find(|p| p.product_coupon_id.as_str() == id)
            .unwrap()
    }

    #[test]
    fn every_seeded_object_passes_validation_with_its_own_product_coupon() {
        let d = data();
        for pc in &d.product_coupons {
            if let Err(v) = pc.validate(None) {
                panic!("product coupon {}: {v:?}", pc.product_coupon_id);
            }
        }
        for stock in &d.stocks {
            let ctx = ValidationContext::from_product_coupon(product_coupon(
                &d,
                stock.product_coupon_id.as_str(),
            ));
            if let Err(v) = stock.validate(Some(&ctx)) {
                panic!("stock {}: {v:?}", stock.stock_id);
            }
        }
        for (_, coupon) in &d.user_coupons {
            assert!(coupon.product_coupon.is_some() && coupon.stock.is_some());
            if let Err(v) = coupon.validate(None) {
                panic!("user coupon {}: {v:?}", coupon.coupon_code);
            }
        }
    }

    #[test]
    fn single_product_coupon_has_every_state_and_code_mode_over_several_pages() {
        let d = data();
        let stocks: Vec<&Stock> = d
            .stocks
            .iter()
            .filter(|s| s.product_coupon_id.as_str() == PRODUCT_COUPON_ID)
            .collect();
        assert!(stocks.len() >= 100);
        let mut combos = BTreeSet::new();
        for s in &stocks {
            let state = s.state.clone().unwrap();
            let mode = s.coupon_code_mode.clone().unwrap();
            assert_eq!(
                s.coupon_code_count_info.is_some(),
                mode == CouponCodeMode::Upload
            );
            let deactivated = state == StockState::Deactivated;
            assert_eq!(s.deactivate_request_no.is_some(), deactivated);
            assert_eq!(s.deactivate_time.is_some(), deactivated);
            assert_eq!(s.deactivate_reason.is_some(), deactivated);
            let rule = s.single_usage_rule.as_ref().unwrap();
            assert!(rule.normal_coupon.is_none() && rule.discount_coupon.is_none());
            assert!(rule.exchange_coupon.is_none());
            combos.insert((state.as_str().to_owned(), mode.as_str().to_owned()));
        }
        assert_eq!(combos.len(), STOCK_STATES.len() * CODE_MODES.len());
        let ids: BTreeSet<_> = stocks.iter().map(|s| s.stock_id.as_str()).collect();
        assert_eq!(ids.len(), stocks.len(), "stock ids are unique");
    }

    #[test]
    fn first_stock_is_the_page_000_example() {
        let d = data();
        let page: Value = json!({
            "product_coupon_id" : "1000000013",
            "stock_id" : "1000000013001",
            "remark" : "8月工作日有效批次",
            "coupon_code_mode" : "UPLOAD",
            "coupon_code_count_info" : { "total_count" : 0, "available_count" : 0 },
            "stock_send_rule" : { "max_count" : 10000000, "max_count_per_user" : 1 },
            "single_usage_rule" : { "coupon_available_period" : august_weekdays_period() },
            "usage_rule_display_info" : usage_rule_display_info(),
            "coupon_display_info" : coupon_display_info(),
            "notify_config" : { "notify_appid" : "wx4fd12345678" },
            "store_scope" : "ALL",
            "sent_count_info" : { "total_count" : 0, "today_count" : 0 },
            "state" : "DEACTIVATED",
            "deactivate_request_no" : "de_34657_20250101_123456",
            "deactivate_reason" : "批次信息有误,重新创建",
            "deactivate_time" : "2025-09-01T00:00:00+08:00"
        });
        assert_eq!(serde_json::to_value(&d.stocks[0]).unwrap(), page);
    }

    #[test]
    fn bundle_has_three_steps_with_discounts() {
        let d = data();
        let bundle: Vec<&Stock> = d
            .stocks
            .iter()
            .filter(|s| s.product_coupon_id.as_str() == BUNDLE_PRODUCT_COUPON_ID)
            .collect();
        assert_eq!(bundle.len(), 3);
        for (i, s) in bundle.iter().enumerate() {
            assert_eq!(s.stock_id.as_str(), format!("100000001400{}", i + 1));
            let info = s.stock_bundle_info.as_ref().unwrap();
            assert_eq!(info.stock_bundle_id.as_str(), STOCK_BUNDLE_ID);
            assert_eq!(info.stock_bundle_index, Some(i as i64));
            let rule = s.progressive_bundle_usage_rule.as_ref().unwrap();
            assert!(rule.discount_coupon.is_some());
            assert!(s.single_usage_rule.is_none() && s.sequential_usage_rule.is_none());
        }
    }

    #[test]
    fn user_holds_every_coupon_state() {
        let d = data();
        assert!(d.user_coupons.len() >= 100);
        let states: BTreeSet<String> = d
            .user_coupons
            .iter()
            .map(|(_, c)| c.coupon_state.clone().unwrap().as_str().to_owned())
            .collect();
        assert_eq!(states.len(), 7);
        assert!(d.user_coupons.iter().all(|(o, c)| o == OPENID
            && !c.coupon_state.as_ref().unwrap().is_unknown()
            && (c.coupon_state == Some(UserCouponState::Deactivated))
                == c.deactivate_time.is_some()));
        let codes: BTreeSet<_> = d
            .user_coupons
            .iter()
            .map(|(_, c)| c.coupon_code.as_str())
            .collect();
        assert_eq!(codes.len(), d.user_coupons.len());
    }
}
