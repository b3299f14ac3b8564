//! The in-memory state and the four endpoints' handlers (after authentication).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use coupon_model::product_coupon::{ProductCoupon, UpdateProductCouponBody};
use coupon_model::stock::{
    AddStockBody, CouponCodeCountInfo, CouponCodeMode, ListStocksResponse, Stock,
    StockSentCountInfo, StockState,
};
use coupon_model::user_coupon::{ListUserCouponsResponse, UserCoupon, UserCouponState};
use coupon_model::{ErrorCode, RuleId, ValidationContext, Violations};
use http::StatusCode;
use serde_json::{Value, json};

use crate::paging::{Query, fingerprint, page};
use crate::respond::ApiError;
use crate::schema;
use crate::seed::SeedData;

/// The state a new stock starts in (documented on the crate).
pub(crate) const NEW_STOCK_STATE: StockState = StockState::Auditing;

/// A remembered answer to an idempotent request.
#[derive(Debug)]
struct Replay {
    /// The path parameter the request addressed.
    target: String,
    /// The request body as parsed JSON (compared key order aside).
    request: Value,
    /// The exact response body sent the first time.
    response: Vec<u8>,
}

/// Everything the sandbox knows.
#[derive(Debug)]
pub(crate) struct Store {
    brand_id: String,
    product_coupons: BTreeMap<String, ProductCoupon>,
    stocks: Vec<Stock>,
    users: HashMap<String, String>,
    bound_appids: BTreeSet<String>,
    user_coupons: Vec<(String, UserCoupon)>,
    add_stock_replays: Replays,
    update_replays: Replays,
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(value).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::SystemError,
            format!("the sandbox could not serialise its answer: {e}"),
        )
    })
}

fn no_product_coupon(id: &str) -> ApiError {
    ApiError::not_found(format!(
        "未找到 product_coupon_id 对应的商品券 (no product coupon {id:?} in the sandbox; the seeded ones are {}, {} and {})",
        crate::seed::PRODUCT_COUPON_ID,
        crate::seed::BUNDLE_PRODUCT_COUPON_ID,
        crate::seed::SINGLE_SCOPE_PRODUCT_COUPON_ID
    ))
    .with_detail(
        Some("product_coupon_id".into()),
        "path",
        Some("not found".into()),
        None,
    )
}

fn parse_body(body: &[u8], shape: &schema::Ty) -> Result<Value, ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::param(
            "/",
            "body",
            format!("请求体不是合法的 JSON (the body is not valid JSON: {e}); send a JSON object with Content-Type: application/json"),
        )
    })?;
    schema::check(&value, shape)?;
    Ok(value)
}

fn typed<T: serde::de::DeserializeOwned>(value: &Value) -> Result<T, ApiError> {
    T::deserialize(value).map_err(|e| {
        ApiError::param(
            "/",
            "body",
            format!("参数错误 (the body does not match the documented request: {e})"),
        )
    })
}

/// 400 for model-validation violations: `INVALID_REQUEST` naming the rules,
/// or `PARAM_ERROR` when a format rule (time, out_request_no) is broken.
pub(crate) fn violations_error(violations: &Violations) -> ApiError {
    let list = violations.as_slice();
    let format_rule = |r: RuleId| matches!(r, RuleId::TimeFormat | RuleId::OutRequestNoFormat);
    let (code, head) = if list.iter().any(|v| format_rule(v.rule)) {
        (ErrorCode::ParamError, "参数格式错误")
    } else {
        (ErrorCode::InvalidRequest, "传入参数不符合业务规则")
    };
    let items: Vec<String> = list
        .iter()
        .map(|v| format!("[{}] {}: {}", v.rule.as_str(), v.path, v.message))
        .collect();
    let message = format!(
        "{head} ({} violation{} of the product-coupon rules: {})",
        list.len(),
        if list.len() == 1 { "" } else { "s" },
        items.join("; ")
    );
    let value = Value::Array(
        list.iter()
            .map(|v| json!({ "rule": v.rule.as_str(), "path": v.path, "message": v.message }))
            .collect(),
    );
    let first = list.first();
    ApiError::new(StatusCode::BAD_REQUEST, code, message).with_detail(
        first.map(|v| v.path.clone()),
        "body",
        first.map(|v| v.rule.as_str().to_owned()),
        Some(value),
    )
}

/// The remembered answers of one idempotent endpoint, by `out_request_no`.
#[derive(Debug)]
struct Replays {
    /// What the endpoint does, for messages ("add-stock", "update").
    what: &'static str,
    by_out_request_no: HashMap<String, Replay>,
}

impl Replays {
    fn new(what: &'static str) -> Self {
        Self {
            what,
            by_out_request_no: HashMap::new(),
        }
    }

    /// For an `out_request_no` seen before: the first answer, byte for byte,
    /// when the request is the same (same target, same body key order
    /// aside), else `400 ALREADY_EXISTS`. `None` for a new `out_request_no`.
    fn answer(
        &self,
        out_request_no: &str,
        target: &str,
        request: &Value,
    ) -> Option<Result<Vec<u8>, ApiError>> {
        let replay = self.by_out_request_no.get(out_request_no)?;
        Some(if replay.target == target && &replay.request == request {
            Ok(replay.response.clone())
        } else {
            Err(ApiError::already_exists(format!(
                "out_request_no 已被使用 (out_request_no {out_request_no:?} was already used for a different {} request; resend the identical request to get the same answer, or use a new out_request_no)",
                self.what
            ))
            .with_detail(
                Some("/out_request_no".into()),
                "body",
                Some("already used".into()),
                None,
            ))
        })
    }

    fn remember(&mut self, out_request_no: String, target: &str, request: Value, response: &[u8]) {
        self.by_out_request_no.insert(
            out_request_no,
            Replay {
                target: target.to_owned(),
                request,
                response: response.to_vec(),
            },
        );
    }
}

fn known_state<T: From<String> + PartialEq>(
    query: &Query,
    name: &str,
    is_unknown: impl Fn(&T) -> bool,
) -> Result<Option<T>, ApiError> {
    let Some(raw) = query.non_empty(name)? else {
        return Ok(None);
    };
    let value = T::from(raw.to_owned());
    if is_unknown(&value) {
        return Err(ApiError::param(
            name,
            "query",
            format!("{name} 取值不合法 (unknown {name} {raw:?}; use one of the documented values)"),
        ));
    }
    Ok(Some(value))
}

impl Store {
    pub(crate) fn new(brand_id: &str, seed: SeedData) -> Self {
        Self {
            brand_id: brand_id.to_owned(),
            product_coupons: seed
                .product_coupons
                .into_iter()
                .map(|p| (p.product_coupon_id.as_str().to_owned(), p))
                .collect(),
            stocks: seed.stocks,
            users: seed.users.into_iter().collect(),
            bound_appids: seed.bound_appids.into_iter().collect(),
            user_coupons: seed.user_coupons,
            add_stock_replays: Replays::new("add-stock"),
            update_replays: Replays::new("update"),
        }
    }

    pub(crate) fn stock_count(&self, product_coupon_id: &str) -> usize {
        self.stocks
            .iter()
            .filter(|s| s.product_coupon_id.as_str() == product_coupon_id)
            .count()
    }

    pub(crate) fn stocks_of(&self, product_coupon_id: &str) -> Vec<Stock> {
        self.stocks
            .iter()
            .filter(|s| s.product_coupon_id.as_str() == product_coupon_id)
            .cloned()
            .collect()
    }

    pub(crate) fn product_coupon(&self, id: &str) -> Option<&ProductCoupon> {
        self.product_coupons.get(id)
    }

    pub(crate) fn user_coupons_of(&self, openid: &str) -> Vec<UserCoupon> {
        self.user_coupons
            .iter()
            .filter(|(o, _)| o == openid)
            .map(|(_, c)| c.clone())
            .collect()
    }

    /// GET …/product-coupons/{id}/stocks (page 000).
    pub(crate) fn list_stocks(
        &self,
        product_coupon_id: &str,
        query: &Query,
    ) -> Result<Vec<u8>, ApiError> {
        if !self.product_coupons.contains_key(product_coupon_id) {
            return Err(no_product_coupon(product_coupon_id));
        }
        let state: Option<StockState> = known_state(query, "state", StockState::is_unknown)?;
        let bundle = query.non_empty("stock_bundle_id")?;
        let fp = fingerprint(&[
            ("endpoint", Some("list-stocks")),
            ("product_coupon_id", Some(product_coupon_id)),
            ("state", state.as_ref().map(StockState::as_str)),
            ("stock_bundle_id", bundle),
        ]);
        let matching: Vec<&Stock> = self
            .stocks
            .iter()
            .filter(|s| s.product_coupon_id.as_str() == product_coupon_id)
            .filter(|s| state.is_none() || s.state == state)
            .filter(|s| {
                bundle.is_none_or(|b| {
                    s.stock_bundle_info
                        .as_ref()
                        .is_some_and(|i| i.stock_bundle_id.as_str() == b)
                })
            })
            .collect();
        let p = page(query, matching.len(), fp)?;
        let response = ListStocksResponse {
            total_count: p.first.then_some(matching.len() as i64),
            stock_list: Some(
                matching[p.start..p.end]
                    .iter()
                    .map(|s| (*s).clone())
                    .collect(),
            ),
            next_page_token: p.next_token.map(Into::into),
        };
        to_json(&response)
    }

    /// GET …/users/{openid}/coupons (page 002).
    pub(crate) fn list_user_coupons(
        &self,
        openid: &str,
        query: &Query,
    ) -> Result<Vec<u8>, ApiError> {
        let Some(appid) = query.non_empty("appid")? else {
            return Err(ApiError::param(
                "appid",
                "query",
                "缺少必填参数 appid (appid is required: pass the AppID the OpenID belongs to)",
            ));
        };
        if !self.bound_appids.contains(appid) {
            return Err(ApiError::invalid_request(format!(
                "AppID 与品牌没有绑定关系 (appid {appid:?} is not bound to brand {}; bound: {})",
                self.brand_id,
                self.bound_appids
                    .iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .with_detail(
                Some("appid".into()),
                "query",
                Some("not bound".into()),
                None,
            ));
        }
        if self.users.get(openid).map(String::as_str) != Some(appid) {
            return Err(ApiError::invalid_request(format!(
                "传入的OpenID不合法,请使用参数 AppID 对应的的OpenID (openid {openid:?} does not belong to appid {appid:?})"
            ))
            .with_detail(Some("openid".into()), "path", Some("invalid openid".into()), None));
        }
        let product_coupon_id = query.non_empty("product_coupon_id")?;
        if let Some(id) = product_coupon_id {
            if !self.product_coupons.contains_key(id) {
                return Err(no_product_coupon(id));
            }
        }
        let stock_id = query.non_empty("stock_id")?;
        if let Some(id) = stock_id {
            let exists = self.stocks.iter().any(|s| {
                s.stock_id.as_str() == id
                    && product_coupon_id.is_none_or(|p| s.product_coupon_id.as_str() == p)
            });
            if !exists {
                return Err(ApiError::not_found(format!(
                    "未找到 stock_id 对应的商品券批次 (no stock {id:?}{} in the sandbox)",
                    product_coupon_id
                        .map(|p| format!(" under product coupon {p:?}"))
                        .unwrap_or_default()
                ))
                .with_detail(
                    Some("stock_id".into()),
                    "query",
                    Some("not found".into()),
                    None,
                ));
            }
        }
        let state: Option<UserCouponState> =
            known_state(query, "coupon_state", UserCouponState::is_unknown)?;
        let fp = fingerprint(&[
            ("endpoint", Some("list-user-coupons")),
            ("openid", Some(openid)),
            ("appid", Some(appid)),
            ("product_coupon_id", product_coupon_id),
            ("stock_id", stock_id),
            ("coupon_state", state.as_ref().map(UserCouponState::as_str)),
        ]);
        let matching: Vec<&UserCoupon> = self
            .user_coupons
            .iter()
            .filter(|(o, _)| o == openid)
            .map(|(_, c)| c)
            .filter(|c| {
                product_coupon_id.is_none_or(|p| {
                    c.product_coupon
                        .as_ref()
                        .is_some_and(|pc| pc.product_coupon_id.as_str() == p)
                })
            })
            .filter(|c| {
                stock_id
                    .is_none_or(|s| c.stock.as_ref().is_some_and(|st| st.stock_id.as_str() == s))
            })
            .filter(|c| state.is_none() || c.coupon_state == state)
            .collect();
        let p = page(query, matching.len(), fp)?;
        let response = ListUserCouponsResponse {
            total_count: p.first.then_some(matching.len() as i64),
            user_coupon_list: Some(
                matching[p.start..p.end]
                    .iter()
                    .map(|c| (*c).clone())
                    .collect(),
            ),
            next_page_token: p.next_token.map(Into::into),
        };
        to_json(&response)
    }

    /// POST …/product-coupons/{id}/stocks (page 001).
    pub(crate) fn add_stock(
        &mut self,
        product_coupon_id: &str,
        body: &[u8],
    ) -> Result<Vec<u8>, ApiError> {
        let Some(product_coupon) = self.product_coupons.get(product_coupon_id) else {
            return Err(no_product_coupon(product_coupon_id));
        };
        let value = parse_body(body, &schema::ADD_STOCK)?;
        let request: AddStockBody = typed(&value)?;
        let out_request_no = request.out_request_no.as_str().to_owned();
        if let Some(answer) =
            self.add_stock_replays
                .answer(&out_request_no, product_coupon_id, &value)
        {
            return answer;
        }
        let ctx = ValidationContext::from_product_coupon(product_coupon);
        request
            .validate(Some(&ctx))
            .map_err(|v| violations_error(&v))?;

        let mut seq = self.stock_count(product_coupon_id) + 1;
        let stock_id = loop {
            let id = format!("{product_coupon_id}{seq:03}");
            if !self.stocks.iter().any(|s| s.stock_id.as_str() == id) {
                break id;
            }
            seq += 1;
        };
        let new = request.stock;
        let upload = new.coupon_code_mode == CouponCodeMode::Upload;
        let stock = Stock {
            product_coupon_id: product_coupon_id.into(),
            stock_id: stock_id.into(),
            remark: new.remark,
            coupon_code_mode: Some(new.coupon_code_mode),
            coupon_code_count_info: upload.then_some(CouponCodeCountInfo {
                total_count: Some(0),
                available_count: Some(0),
            }),
            stock_send_rule: Some(new.stock_send_rule),
            single_usage_rule: new.single_usage_rule,
            sequential_usage_rule: new.sequential_usage_rule,
            usage_rule_display_info: Some(new.usage_rule_display_info),
            coupon_display_info: Some(new.coupon_display_info),
            notify_config: Some(new.notify_config),
            store_scope: Some(new.store_scope),
            sent_count_info: Some(StockSentCountInfo {
                total_count: Some(0),
                today_count: Some(0),
            }),
            state: Some(NEW_STOCK_STATE),
            ..Stock::default()
        };
        let response = to_json(&stock)?;
        self.stocks.push(stock);
        self.add_stock_replays
            .remember(out_request_no, product_coupon_id, value, &response);
        Ok(response)
    }

    /// PATCH /v3/…/product-coupons/{id} (page 003).
    pub(crate) fn update_product_coupon(
        &mut self,
        product_coupon_id: &str,
        body: &[u8],
    ) -> Result<Vec<u8>, ApiError> {
        let value = parse_body(body, &schema::UPDATE_PRODUCT_COUPON)?;
        let request: UpdateProductCouponBody = typed(&value)?;
        let brand_id = request.brand_id.clone().unwrap_or_default();
        if brand_id.as_str() != self.brand_id {
            return Err(ApiError::no_auth(format!(
                "缺少业务相关权限 (brand_id {:?} has not authorised this service provider; the sandbox's brand is {:?})",
                brand_id.as_str(),
                self.brand_id
            ))
            .with_detail(Some("/brand_id".into()), "body", Some("no authorisation".into()), None));
        }
        let Some(product_coupon) = self.product_coupons.get_mut(product_coupon_id) else {
            return Err(no_product_coupon(product_coupon_id));
        };
        let out_request_no = request.out_request_no.as_str().to_owned();
        if let Some(answer) = self
            .update_replays
            .answer(&out_request_no, product_coupon_id, &value)
        {
            return answer;
        }
        let ctx = ValidationContext::from_product_coupon(product_coupon);
        request
            .validate(Some(&ctx))
            .map_err(|v| violations_error(&v))?;
        product_coupon.display_info = Some(request.display_info);
        let mut answer = product_coupon.clone();
        answer.brand_id = Some(brand_id);
        let response = to_json(&answer)?;
        self.update_replays
            .remember(out_request_no, product_coupon_id, value, &response);
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::seed::{self, seed_data};

    fn store() -> Store {
        static SEED: std::sync::OnceLock<crate::seed::SeedData> = std::sync::OnceLock::new();
        let seed = SEED.get_or_init(|| seed_data().unwrap()).clone();
        Store::new(crate::credentials::DEFAULT_BRAND_ID, seed)
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            "[a-zA-Z0-9_/ -]{0,12}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                prop::collection::btree_map(
                    prop_oneof![
                        Just("out_request_no".to_owned()),
                        Just("stock".to_owned()),
                        Just("stock_send_rule".to_owned()),
                        Just("display_info".to_owned()),
                        Just("brand_id".to_owned()),
                        "[a-z_]{1,10}"
                    ],
                    inner,
                    0..5
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn arbitrary_bodies_get_an_answer_never_a_panic(body in json_value(), raw in prop::collection::vec(any::<u8>(), 0..64)) {
            let mut s = store();
            let bytes = serde_json::to_vec(&body).unwrap();
            for b in [&bytes, &raw] {
                match s.add_stock(seed::PRODUCT_COUPON_ID, b) {
                    Ok(_) => {}
                    Err(e) => prop_assert!(e.status.is_client_error(), "{:?}", e.body),
                }
                match s.update_product_coupon(seed::PRODUCT_COUPON_ID, b) {
                    Ok(_) => {}
                    Err(e) => prop_assert!(e.status.is_client_error(), "{:?}", e.body),
                }
            }
        }

        #[test]
        fn arbitrary_queries_get_an_answer_never_a_panic(raw in "[a-z_=&%0-9A-Z+-]{0,60}") {
            let s = store();
            if let Ok(q) = Query::parse(Some(&raw)) {
                if let Err(e) = s.list_stocks(seed::PRODUCT_COUPON_ID, &q) {
                    prop_assert!(e.status.is_client_error());
                }
                if let Err(e) = s.list_user_coupons(seed::OPENID, &q) {
                    prop_assert!(e.status.is_client_error());
                }
            }
        }
    }
}
