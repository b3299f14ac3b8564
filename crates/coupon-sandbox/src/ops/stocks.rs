//! Stocks and stock bundles: create, get, list, update, budget, deactivate,
//! stores, coupon-code upload.

use std::collections::HashSet;

use coupon_model::ValidationContext;
use coupon_model::coupon_code::{
    FailedCouponCode, UploadCouponCodesBody, UploadCouponCodesResponse,
};
use coupon_model::product_coupon::{ProductCoupon, ProductCouponState, UsageMode};
use coupon_model::stock::{
    CouponCodeMode, CreateStockBody, DeactivateStockBody, ListStocksResponse, NewStock,
    ProgressiveBundleUsageRule, Stock, StockBundleInfo, StockState, UpdateBudgetBody,
    UpdateBudgetMode, UpdateStockBody,
};
use coupon_model::stock_bundle::{CreateStockBundleBody, StockBundle};
use coupon_model::store::{
    AssociateStoresResponse, FailedStoreInfo, ListAssociatedStoresResponse, StoreInfo,
    StoreListBody,
};

use super::{Call, Reply, check, known_state, refused};
use crate::paging::{fingerprint, page};
use crate::respond::ApiError;
use crate::state::{BundleRecord, State, StockRecord, code_key};
use crate::timeutil::{shanghai_day, timestamp};

/// The first id handed to a stock bundle created through the API.
const FIRST_BUNDLE_ID: u64 = 712_315_129_419_300_000;
/// Stocks "生效中" a product coupon may have at once.
const MAX_ACTIVE_STOCKS: usize = 200;

/// Whether `code` is a well-formed coupon code: 1–40 of `[0-9A-Za-z_-]`.
pub(crate) fn valid_code(code: &str) -> bool {
    (1..=40).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl State {
    fn next_stock_id(&self, pc: &str) -> String {
        let mut seq = self
            .stocks
            .iter()
            .filter(|s| s.stock.product_coupon_id.as_str() == pc)
            .count()
            + 1;
        loop {
            let id = format!("{pc}{seq:03}");
            if self.stock_index(&id).is_none() {
                return id;
            }
            seq += 1;
        }
    }

    /// Adds a stock of `pc` from `new`, `AUDITING` until the review delay has
    /// passed; `bundle` makes it step `index` of a bundle with its step rule.
    pub(crate) fn create_stock_record(
        &mut self,
        call: &Call<'_>,
        pc: &str,
        new: NewStock,
        bundle: Option<(String, i64, ProgressiveBundleUsageRule)>,
    ) -> usize {
        let stock_id = self.next_stock_id(pc);
        let (stock_bundle_info, progressive) = match bundle {
            Some((id, index, rule)) => (
                Some(StockBundleInfo {
                    stock_bundle_id: id.into(),
                    stock_bundle_index: Some(index),
                }),
                Some(rule),
            ),
            None => (None, new.progressive_bundle_usage_rule),
        };
        let stock = Stock {
            product_coupon_id: pc.into(),
            stock_id: stock_id.as_str().into(),
            remark: new.remark,
            coupon_code_mode: Some(new.coupon_code_mode),
            stock_send_rule: Some(new.stock_send_rule),
            single_usage_rule: if stock_bundle_info.is_some() {
                None
            } else {
                new.single_usage_rule
            },
            sequential_usage_rule: if stock_bundle_info.is_some() {
                None
            } else {
                new.sequential_usage_rule
            },
            progressive_bundle_usage_rule: progressive,
            stock_bundle_info,
            usage_rule_display_info: Some(new.usage_rule_display_info),
            coupon_display_info: Some(new.coupon_display_info),
            notify_config: Some(new.notify_config),
            store_scope: Some(new.store_scope),
            state: Some(StockState::Auditing),
            ..Stock::default()
        };
        self.push_stock(StockRecord {
            owner: call.brand().to_owned(),
            stock,
            timed: true,
            review_until: Some(call.now.saturating_add(call.review_delay)),
            sent_total: 0,
            sent_day: shanghai_day(call.now),
            sent_today: 0,
            stores: Vec::new(),
            codes: Vec::new(),
            uploaded_total: 0,
            seeded_codes: 0,
        })
    }

    /// Adds a stock bundle of `pc`: one stock per use (`sequential_usage_info.count`),
    /// step `i` with the `i`-th discount of a list-form rule (or the single
    /// discount of a single-form rule).
    pub(crate) fn create_bundle(
        &mut self,
        call: &Call<'_>,
        pc: &ProductCoupon,
        new: NewStock,
    ) -> StockBundle {
        let rule = new.progressive_bundle_usage_rule.clone().or_else(|| {
            new.sequential_usage_rule.as_ref().map(|s| {
                let mut r = ProgressiveBundleUsageRule::new(s.coupon_available_period.clone());
                r.normal_coupon_list = s.normal_coupon_list.clone();
                r.discount_coupon_list = s.discount_coupon_list.clone();
                r.exchange_coupon_list = s.exchange_coupon_list.clone();
                r
            })
        });
        let listed = rule.as_ref().map_or(0, |r| {
            r.normal_coupon_list
                .as_ref()
                .map(Vec::len)
                .or(r.discount_coupon_list.as_ref().map(Vec::len))
                .or(r.exchange_coupon_list.as_ref().map(Vec::len))
                .unwrap_or(0)
        });
        let count = pc
            .sequential_usage_info
            .as_ref()
            .and_then(|i| i.count)
            .and_then(|c| usize::try_from(c).ok())
            .filter(|&c| c > 0)
            .unwrap_or(listed.max(1))
            .min(100);
        let bundle_id = loop {
            self.seq.bundle = self.seq.bundle.wrapping_add(1);
            let id = FIRST_BUNDLE_ID.wrapping_add(self.seq.bundle).to_string();
            if !self.bundles.contains_key(&id) {
                break id;
            }
        };
        let pc_id = pc.product_coupon_id.as_str().to_owned();
        let mut stock_ids = Vec::with_capacity(count);
        for index in 0..count {
            let step = rule.as_ref().map(|r| {
                let mut step = ProgressiveBundleUsageRule::new(r.coupon_available_period.clone());
                step.normal_coupon = r
                    .normal_coupon_list
                    .as_ref()
                    .and_then(|l| l.get(index).copied())
                    .or(r.normal_coupon);
                step.discount_coupon = r
                    .discount_coupon_list
                    .as_ref()
                    .and_then(|l| l.get(index).copied())
                    .or(r.discount_coupon);
                step.exchange_coupon = r
                    .exchange_coupon_list
                    .as_ref()
                    .and_then(|l| l.get(index).copied())
                    .or(r.exchange_coupon);
                step
            });
            let step = step.unwrap_or_else(|| {
                ProgressiveBundleUsageRule::new(
                    coupon_model::common::CouponAvailablePeriod::default(),
                )
            });
            let i = self.create_stock_record(
                call,
                &pc_id,
                new.clone(),
                Some((bundle_id.clone(), index as i64, step)),
            );
            if let Some(s) = self.stocks.get(i) {
                stock_ids.push(s.stock.stock_id.as_str().to_owned());
            }
        }
        self.bundles.insert(
            bundle_id.clone(),
            BundleRecord {
                owner: call.brand().to_owned(),
                product_coupon_id: pc_id,
                stock_ids,
            },
        );
        self.render_bundle(&bundle_id, call.now)
    }

    /// The bundle as a read shows it.
    pub(crate) fn render_bundle(&self, id: &str, now: i64) -> StockBundle {
        let stock_list = self
            .bundles
            .get(id)
            .map(|b| {
                b.stock_ids
                    .iter()
                    .filter_map(|s| self.stock_index(s))
                    .filter_map(|i| self.stocks.get(i))
                    .map(|r| State::render_stock(r, now))
                    .collect()
            })
            .unwrap_or_default();
        StockBundle {
            stock_bundle_id: Some(id.into()),
            stock_list: Some(stock_list),
            brand_id: None,
        }
    }

    /// A product coupon stocks can still be added to.
    fn open_product_coupon(&self, call: &Call<'_>, pc: &str) -> Result<ProductCoupon, ApiError> {
        let record = self.owned_product_coupon(call, pc, "path")?;
        if record.product_coupon.state == Some(ProductCouponState::Deactivated) {
            return Err(refused(
                None,
                format!(
                    "商品券已失效 (product coupon {pc} is DEACTIVATED: it takes no new stock; create a new product coupon)"
                ),
            ));
        }
        let active = self
            .stocks
            .iter()
            .filter(|s| s.stock.product_coupon_id.as_str() == pc)
            .filter(|s| {
                matches!(
                    State::stock_state(s, call.now),
                    Some(StockState::Auditing | StockState::Sending | StockState::Paused)
                )
            })
            .count();
        if active >= MAX_ACTIVE_STOCKS {
            return Err(refused(
                None,
                format!(
                    "生效中的批次数量已达上限 (product coupon {pc} already has {active} active stocks; at most {MAX_ACTIVE_STOCKS}: deactivate one first)"
                ),
            ));
        }
        Ok(State::render_product_coupon(record, call.now))
    }

    /// `POST …/stocks` (page 001): validated against the product coupon.
    pub(crate) fn create_stock(
        &mut self,
        call: &Call<'_>,
        body: CreateStockBody,
    ) -> Result<Reply<Stock>, ApiError> {
        let pc_id = call.params.get("product_coupon_id").to_owned();
        let pc = self.open_product_coupon(call, &pc_id)?;
        let ctx = ValidationContext::from_product_coupon(&pc);
        check(body.validate(Some(&ctx)))?;
        if body.stock.progressive_bundle_usage_rule.is_some() {
            return Err(refused(
                None,
                "批次组请使用创建批次组接口 (a stock with progressive_bundle_usage_rule is a stock bundle: create it with POST …/stock-bundles)",
            ));
        }
        let i = self.create_stock_record(call, &pc_id, body.stock, None);
        self.stocks
            .get(i)
            .map(|r| Reply::of(State::render_stock(r, call.now)))
            .ok_or_else(|| super::internal("the new stock vanished"))
    }

    /// `GET …/stocks/{stock_id}`.
    pub(crate) fn get_stock(&self, call: &Call<'_>) -> Result<Stock, ApiError> {
        let i = self.owned_stock(
            call,
            call.params.get("product_coupon_id"),
            call.params.get("stock_id"),
            "path",
        )?;
        self.stocks
            .get(i)
            .map(|r| State::render_stock(r, call.now))
            .ok_or_else(|| super::internal("the stock vanished"))
    }

    /// `GET …/stocks` (page 000): filters on the state a read shows.
    pub(crate) fn list_stocks(&self, call: &Call<'_>) -> Result<ListStocksResponse, ApiError> {
        let pc = call.params.get("product_coupon_id");
        self.owned_product_coupon(call, pc, "path")?;
        let query = call.query;
        let state: Option<StockState> = known_state(query, "state", StockState::is_unknown)?;
        let bundle = query.non_empty("stock_bundle_id")?;
        let fp = fingerprint(&[
            ("endpoint", Some("list-stocks")),
            ("product_coupon_id", Some(pc)),
            ("state", state.as_ref().map(StockState::as_str)),
            ("stock_bundle_id", bundle),
        ]);
        let matching: Vec<&StockRecord> = self
            .stocks
            .iter()
            .filter(|s| s.stock.product_coupon_id.as_str() == pc)
            .filter(|s| state.is_none() || State::stock_state(s, call.now) == state)
            .filter(|s| {
                bundle.is_none_or(|b| {
                    s.stock
                        .stock_bundle_info
                        .as_ref()
                        .is_some_and(|i| i.stock_bundle_id.as_str() == b)
                })
            })
            .collect();
        let p = page(query, matching.len(), fp)?;
        Ok(ListStocksResponse {
            total_count: p.first.then_some(matching.len() as i64),
            stock_list: Some(
                matching
                    .get(p.start..p.end)
                    .unwrap_or_default()
                    .iter()
                    .map(|r| State::render_stock(r, call.now))
                    .collect(),
            ),
            next_page_token: p.next_token.map(Into::into),
        })
    }

    /// The stocks an operation on a stock or a bundle addresses (positions).
    fn addressed_stocks(&self, call: &Call<'_>) -> Result<Vec<usize>, ApiError> {
        let pc = call.params.get("product_coupon_id");
        if call.params.0.iter().any(|(n, _)| *n == "stock_bundle_id") {
            let bundle = self.owned_bundle(call, pc, call.params.get("stock_bundle_id"), "path")?;
            Ok(bundle
                .stock_ids
                .iter()
                .filter_map(|s| self.stock_index(s))
                .collect())
        } else {
            Ok(vec![self.owned_stock(
                call,
                pc,
                call.params.get("stock_id"),
                "path",
            )?])
        }
    }

    fn refuse_deactivated(&self, indexes: &[usize], doing: &str) -> Result<(), ApiError> {
        for &i in indexes {
            if let Some(s) = self.stocks.get(i) {
                if s.stock.state == Some(StockState::Deactivated) {
                    return Err(refused(
                        None,
                        format!(
                            "批次已失效 (stock {} is DEACTIVATED: it cannot {doing}; create a new stock)",
                            s.stock.stock_id
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    fn apply_update(&mut self, indexes: &[usize], body: &UpdateStockBody) {
        for &i in indexes {
            if let Some(s) = self.stocks.get_mut(i) {
                let stock = &mut s.stock;
                if let Some(remark) = &body.remark {
                    stock.remark = Some(remark.clone());
                }
                if let Some(info) = &body.usage_rule_display_info {
                    stock.usage_rule_display_info = Some(info.clone());
                }
                if let Some(info) = &body.coupon_display_info {
                    stock.coupon_display_info = Some(info.clone());
                }
                if let Some(config) = &body.notify_config {
                    stock.notify_config = Some(config.clone());
                }
                if let Some(scope) = &body.store_scope {
                    stock.store_scope = Some(scope.clone());
                }
            }
        }
    }

    /// `PATCH …/stocks/{stock_id}`: remark, displays, notify config, store scope.
    pub(crate) fn update_stock(
        &mut self,
        call: &Call<'_>,
        body: UpdateStockBody,
    ) -> Result<Reply<Stock>, ApiError> {
        let indexes = self.addressed_stocks(call)?;
        self.refuse_deactivated(&indexes, "be modified")?;
        self.apply_update(&indexes, &body);
        self.stock_answer(&indexes, call.now)
    }

    /// `PATCH …/stock-bundles/{id}`: the same change on every stock of the bundle.
    pub(crate) fn update_stock_bundle(
        &mut self,
        call: &Call<'_>,
        body: UpdateStockBody,
    ) -> Result<Reply<StockBundle>, ApiError> {
        let indexes = self.addressed_stocks(call)?;
        self.refuse_deactivated(&indexes, "be modified")?;
        self.apply_update(&indexes, &body);
        Ok(Reply::of(self.render_bundle(
            call.params.get("stock_bundle_id"),
            call.now,
        )))
    }

    fn stock_answer(&self, indexes: &[usize], now: i64) -> Result<Reply<Stock>, ApiError> {
        indexes
            .first()
            .and_then(|&i| self.stocks.get(i))
            .map(|r| Reply::of(State::render_stock(r, now)))
            .ok_or_else(|| super::internal("the stock vanished"))
    }

    /// Checks a budget change against every addressed stock, then applies it.
    fn apply_budget(
        &mut self,
        indexes: &[usize],
        body: &UpdateBudgetBody,
        now: i64,
    ) -> Result<(), ApiError> {
        self.refuse_deactivated(indexes, "change its budget")?;
        for &i in indexes {
            let Some(s) = self.stocks.get(i) else {
                continue;
            };
            let rule = s
                .stock
                .stock_send_rule
                .unwrap_or(coupon_model::stock::StockSendRule::new(0, 1));
            let id = &s.stock.stock_id;
            match body.update_mode {
                UpdateBudgetMode::MaxCount => {
                    if let Some(current) = body.current_max_count {
                        if current != rule.max_count {
                            return Err(refused(
                                None,
                                format!(
                                    "当前库存与批次不一致 (current_max_count {current} is not stock {id}'s max_count {}; read the stock and send its current value)",
                                    rule.max_count
                                ),
                            )
                            .with_detail(Some("/current_max_count".into()), "body", Some("mismatch".into()), None));
                        }
                    }
                    if let Some(target) = body.target_max_count {
                        if target < s.sent_total {
                            return Err(refused(
                                None,
                                format!(
                                    "目标库存小于已发放数量 (target_max_count {target} is below the {} coupons stock {id} has already sent)",
                                    s.sent_total
                                ),
                            )
                            .with_detail(Some("/target_max_count".into()), "body", Some("below sent".into()), None));
                        }
                    }
                }
                UpdateBudgetMode::MaxCountPerDay => {
                    if body.current_max_count_per_day != rule.max_count_per_day {
                        let shown = |v: Option<i64>| v.map_or("none".to_owned(), |v| v.to_string());
                        return Err(refused(
                            None,
                            format!(
                                "当前每日库存与批次不一致 (current_max_count_per_day {} is not stock {id}'s max_count_per_day {}; send the stock's current value, or omit it when the stock has no daily limit)",
                                shown(body.current_max_count_per_day),
                                shown(rule.max_count_per_day)
                            ),
                        )
                        .with_detail(Some("/current_max_count_per_day".into()), "body", Some("mismatch".into()), None));
                    }
                }
                _ => {
                    return Err(ApiError::param(
                        "/update_mode",
                        "body",
                        "update_mode 取值不合法 (use MAX_COUNT or MAX_COUNT_PER_DAY)",
                    ));
                }
            }
        }
        let _ = now;
        for &i in indexes {
            if let Some(rule) = self
                .stocks
                .get_mut(i)
                .and_then(|s| s.stock.stock_send_rule.as_mut())
            {
                match body.update_mode {
                    UpdateBudgetMode::MaxCount => {
                        if let Some(target) = body.target_max_count {
                            rule.max_count = target;
                        }
                    }
                    UpdateBudgetMode::MaxCountPerDay => {
                        if let Some(target) = body.target_max_count_per_day {
                            rule.max_count_per_day = Some(target);
                        }
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// `POST …/stocks/{stock_id}/update-budget`.
    pub(crate) fn update_stock_budget(
        &mut self,
        call: &Call<'_>,
        body: UpdateBudgetBody,
    ) -> Result<Reply<Stock>, ApiError> {
        let indexes = self.addressed_stocks(call)?;
        self.apply_budget(&indexes, &body, call.now)?;
        self.stock_answer(&indexes, call.now)
    }

    /// `POST …/stock-bundles/{id}/update-budget`: every stock of the bundle.
    pub(crate) fn update_stock_bundle_budget(
        &mut self,
        call: &Call<'_>,
        body: UpdateBudgetBody,
    ) -> Result<Reply<StockBundle>, ApiError> {
        let indexes = self.addressed_stocks(call)?;
        self.apply_budget(&indexes, &body, call.now)?;
        Ok(Reply::of(self.render_bundle(
            call.params.get("stock_bundle_id"),
            call.now,
        )))
    }

    /// `POST …/stocks/{stock_id}/deactivate`: coupons already sent stay usable.
    pub(crate) fn deactivate_stock(
        &mut self,
        call: &Call<'_>,
        body: DeactivateStockBody,
    ) -> Result<Reply<Stock>, ApiError> {
        let indexes = self.addressed_stocks(call)?;
        self.refuse_deactivated(&indexes, "be deactivated again")?;
        let when = timestamp(call.now);
        for &i in &indexes {
            if let Some(s) = self.stocks.get_mut(i) {
                s.stock.state = Some(StockState::Deactivated);
                s.stock.deactivate_request_no = Some(body.out_request_no.as_str().into());
                s.stock.deactivate_time = Some(when.clone());
                s.stock.deactivate_reason = Some(body.deactivate_reason.clone());
            }
        }
        self.stock_answer(&indexes, call.now)
    }

    /// Associates (or disassociates) stores with a stock or every stock of a bundle.
    pub(crate) fn stores(
        &mut self,
        call: &Call<'_>,
        body: StoreListBody,
        associate: bool,
    ) -> Result<Reply<AssociateStoresResponse>, ApiError> {
        let indexes = self.addressed_stocks(call)?;
        let mut success = Vec::new();
        let mut failed = Vec::new();
        let mut seen = HashSet::new();
        for store in &body.store_list {
            let id = store.store_id.as_str();
            if !valid_code(id) {
                failed.push(FailedStoreInfo {
                    store_id: Some(store.store_id.clone()),
                    code: Some("PARAM_ERROR".to_owned()),
                    message: Some(format!(
                        "门店编号不合法 (store_id {id:?} must be 1–40 of [0-9A-Za-z_-])"
                    )),
                });
                continue;
            }
            if !seen.insert(id.to_owned()) {
                continue;
            }
            let associated = indexes.iter().all(|&i| {
                self.stocks
                    .get(i)
                    .is_some_and(|s| s.stores.iter().any(|x| x == id))
            });
            if associate {
                for &i in &indexes {
                    if let Some(s) = self.stocks.get_mut(i) {
                        if !s.stores.iter().any(|x| x == id) {
                            s.stores.push(id.to_owned());
                        }
                    }
                }
                success.push(store.clone());
            } else if associated {
                for &i in &indexes {
                    if let Some(s) = self.stocks.get_mut(i) {
                        s.stores.retain(|x| x != id);
                    }
                }
                success.push(store.clone());
            } else {
                failed.push(FailedStoreInfo {
                    store_id: Some(store.store_id.clone()),
                    code: Some("INVALID_REQUEST".to_owned()),
                    message: Some(format!(
                        "门店未关联该批次 (store {id} is not associated, so it cannot be disassociated)"
                    )),
                });
            }
        }
        Ok(Reply::of(AssociateStoresResponse {
            total_count: Some(body.store_list.len() as i64),
            success_store_list: Some(success),
            failed_store_list: Some(failed),
        }))
    }

    /// `GET …/stocks/{stock_id}/associated-stores`, paged.
    pub(crate) fn list_associated_stores(
        &self,
        call: &Call<'_>,
    ) -> Result<ListAssociatedStoresResponse, ApiError> {
        let pc = call.params.get("product_coupon_id");
        let stock_id = call.params.get("stock_id");
        let i = self.owned_stock(call, pc, stock_id, "path")?;
        let stores = self
            .stocks
            .get(i)
            .map(|s| s.stores.as_slice())
            .unwrap_or_default();
        let fp = fingerprint(&[
            ("endpoint", Some("list-associated-stores")),
            ("stock_id", Some(stock_id)),
        ]);
        let p = page(call.query, stores.len(), fp)?;
        Ok(ListAssociatedStoresResponse {
            total_count: p.first.then_some(stores.len() as i64),
            store_list: Some(
                stores
                    .get(p.start..p.end)
                    .unwrap_or_default()
                    .iter()
                    .map(|s| StoreInfo::new(s.as_str()))
                    .collect(),
            ),
            next_page_token: p.next_token.map(Into::into),
        })
    }

    /// `POST …/stocks/{stock_id}/upload-coupon-codes`: UPLOAD stocks only.
    pub(crate) fn upload_coupon_codes(
        &mut self,
        call: &Call<'_>,
        body: UploadCouponCodesBody,
    ) -> Result<Reply<UploadCouponCodesResponse>, ApiError> {
        let indexes = self.addressed_stocks(call)?;
        self.refuse_deactivated(&indexes, "take codes")?;
        let Some(&i) = indexes.first() else {
            return Err(super::internal("no stock addressed"));
        };
        let (owner, mode) = match self.stocks.get(i) {
            Some(s) => (s.owner.clone(), s.stock.coupon_code_mode.clone()),
            None => return Err(super::internal("the stock vanished")),
        };
        if mode != Some(CouponCodeMode::Upload) {
            return Err(refused(
                None,
                format!(
                    "批次的券码模式不是 UPLOAD (stock {} has coupon_code_mode {}; only UPLOAD stocks take uploaded codes)",
                    call.params.get("stock_id"),
                    mode.as_ref().map_or("-", |m| m.as_str())
                ),
            ));
        }
        let pooled: HashSet<String> = self
            .stocks
            .iter()
            .filter(|s| s.owner == owner)
            .flat_map(|s| s.codes.iter().cloned())
            .collect();
        let mut success = Vec::new();
        let mut failed = Vec::new();
        let mut already = Vec::new();
        let mut duplicate = Vec::new();
        let mut seen = HashSet::new();
        for code in &body.code_list {
            let text = code.as_str();
            if !valid_code(text) {
                failed.push(FailedCouponCode {
                    coupon_code: Some(code.clone()),
                    code: Some("PARAM_ERROR".to_owned()),
                    message: Some(
                        "券码格式不合法 (a coupon code is 1–40 of [0-9A-Za-z_-])".to_owned(),
                    ),
                });
            } else if !seen.insert(text.to_owned()) {
                duplicate.push(code.clone());
            } else if pooled.contains(text) || self.idx.code.contains_key(&code_key(&owner, text)) {
                already.push(code.clone());
            } else {
                success.push(code.clone());
            }
        }
        if let Some(s) = self.stocks.get_mut(i) {
            s.codes
                .extend(success.iter().map(|c| c.as_str().to_owned()));
            s.uploaded_total = s.uploaded_total.saturating_add(success.len() as i64);
        }
        Ok(Reply::of(UploadCouponCodesResponse {
            total_count: Some(body.code_list.len() as i64),
            success_code_list: Some(success),
            failed_code_list: Some(failed),
            already_exist_code_list: Some(already),
            duplicate_code_list: Some(duplicate),
        }))
    }

    /// `POST …/stock-bundles`: a sequential product coupon's new bundle.
    pub(crate) fn create_stock_bundle(
        &mut self,
        call: &Call<'_>,
        body: CreateStockBundleBody,
    ) -> Result<Reply<StockBundle>, ApiError> {
        let pc_id = call.params.get("product_coupon_id").to_owned();
        let pc = self.open_product_coupon(call, &pc_id)?;
        if pc.usage_mode != Some(UsageMode::Sequential) {
            return Err(refused(
                None,
                format!(
                    "商品券不是多次优惠券 (product coupon {pc_id} has usage_mode {}; stock bundles belong to SEQUENTIAL coupons — add a stock instead)",
                    pc.usage_mode.as_ref().map_or("-", |m| m.as_str())
                ),
            ));
        }
        let ctx = ValidationContext::from_product_coupon(&pc);
        check(body.validate(Some(&ctx)))?;
        Ok(Reply::of(self.create_bundle(call, &pc, body.stock_bundle)))
    }
}
