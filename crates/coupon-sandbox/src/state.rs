//! Everything the sandbox knows, as plain data: product coupons, stocks,
//! stock bundles, user coupons, users, remembered answers, notification
//! settings, uploaded images — each object with the brand it belongs to —
//! plus lookup indexes rebuilt on load.
//!
//! Objects store their *base* state; what a read shows is computed from it and
//! the injected clock ([`State::render_stock`], [`State::render_coupon`], …):
//! a stock under review until its review time, a confirmed coupon `PENDING`
//! before its validity, `EFFECTIVE` during it, `EXPIRED` after it. Seeded
//! fixtures (`timed: false`) keep their seeded states whatever the clock says,
//! so that list tests see every state; operations still move them.
//!
//! The whole struct is what the state file holds (see `persist`).

use std::collections::{BTreeMap, HashMap};

use coupon_model::common::CouponAvailablePeriod;
use coupon_model::ids::BrandId;
use coupon_model::image_task::ImageGenerationTask;
use coupon_model::notify::NotifyUrlConfig;
use coupon_model::product_coupon::{ProductCoupon, ProductCouponState};
use coupon_model::stock::{
    CouponCodeCountInfo, CouponCodeMode, Stock, StockSentCountInfo, StockState,
};
use coupon_model::user_coupon::{UserCoupon, UserCouponState};
use serde::{Deserialize, Serialize};

use crate::seed::SeedData;
use crate::timeutil::{shanghai_day, unix_of};

/// A product coupon and its owner.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ProductCouponRecord {
    /// The brand it belongs to.
    pub owner: String,
    /// Stored base: `state` is `AUDITING` until `review_until`, then shows `EFFECTIVE`.
    pub product_coupon: ProductCoupon,
    /// When its review ends (objects created through the API).
    #[serde(default)]
    pub review_until: Option<i64>,
}

/// A stock, its owner and its counters.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StockRecord {
    /// The brand it belongs to.
    pub owner: String,
    /// Stored base (the counters and code counts are rendered from the fields below).
    pub stock: Stock,
    /// Whether time moves it (false for seeded fixtures).
    pub timed: bool,
    /// When its review ends (stocks created through the API).
    #[serde(default)]
    pub review_until: Option<i64>,
    /// Coupons sent over its life.
    pub sent_total: i64,
    /// The Asia/Shanghai day `sent_today` counts.
    pub sent_day: i64,
    /// Coupons sent on `sent_day`.
    pub sent_today: i64,
    /// Associated store ids, in association order.
    #[serde(default)]
    pub stores: Vec<String>,
    /// Uploaded codes not sent yet (UPLOAD stocks).
    #[serde(default)]
    pub codes: Vec<String>,
    /// Codes uploaded over its life (UPLOAD stocks).
    #[serde(default)]
    pub uploaded_total: i64,
    /// Seeded fixtures only: unsent codes the seed counts but never listed;
    /// minted on send.
    #[serde(default)]
    pub seeded_codes: i64,
}

/// A stock bundle: the stocks that are the steps of one multi-use coupon.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct BundleRecord {
    /// The brand it belongs to.
    pub owner: String,
    /// Its product coupon.
    pub product_coupon_id: String,
    /// Its stocks, step by step.
    pub stock_ids: Vec<String>,
}

/// A user's coupon.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CouponRecord {
    /// The brand it belongs to (its product coupon's).
    pub owner: String,
    /// Its holder.
    pub openid: String,
    /// The AppID the holder's OpenID belongs to.
    pub appid: String,
    /// Stored base: `coupon_state` is `CONFIRMING`, `EFFECTIVE` (confirmed;
    /// shown `PENDING` before and `EXPIRED` after its validity), `USED`,
    /// `DEACTIVATED` or `DELETED`. Carries the product coupon and stock as
    /// they were when it was sent.
    pub coupon: UserCoupon,
    /// Whether time moves it (false for seeded fixtures).
    pub timed: bool,
}

/// A remembered answer to a write with a request number.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Replay {
    /// The path parameters the request addressed.
    pub target: String,
    /// The request body as parsed JSON, without `brand_id`.
    pub request: serde_json::Value,
    /// The exact answer sent to the brand side.
    pub brand_answer: String,
    /// The exact answer sent to the partner side.
    pub partner_answer: String,
}

/// A pre-sent coupon waiting for the user to claim it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PreSendRecord {
    /// The brand.
    pub owner: String,
    /// The user.
    pub openid: String,
    /// The user's AppID.
    pub appid: String,
    /// The product coupon.
    pub product_coupon_id: String,
    /// The stock.
    pub stock_id: String,
    /// The pre-send's request number (the claimed coupon's `send_request_no`).
    pub send_request_no: String,
    /// The brand's `attach`.
    #[serde(default)]
    pub attach: Option<String>,
    /// When the token stops working (5 minutes after the pre-send).
    pub expires_at: i64,
    /// Whether it came through the partner side (the SEND notification then goes to the service provider).
    pub partner: bool,
    /// The coupon it became, once claimed.
    #[serde(default)]
    pub claimed: Option<String>,
}

/// An image-generation task (partner only).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct TaskRecord {
    /// The brand.
    pub owner: String,
    /// The task as answered.
    pub task: ImageGenerationTask,
}

/// Sequence numbers for new identifiers.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Counters {
    pub product_coupon: u64,
    pub bundle: u64,
    pub code: u64,
    pub user_bundle: u64,
    pub task: u64,
    pub image: u64,
}

/// Lookup indexes (not persisted; rebuilt by [`State::reindex`]).
#[derive(Debug, Clone, Default)]
pub(crate) struct Indexes {
    /// Stock id → position in `stocks`.
    pub stock: HashMap<String, usize>,
    /// `brand \u{1f} coupon_code` → position in `coupons`.
    pub code: HashMap<String, usize>,
    /// OpenID → positions in `coupons`, in receive order.
    pub by_openid: HashMap<String, Vec<usize>>,
    /// `(stock_id, openid)` → coupons the user received from the stock.
    pub per_user: HashMap<(String, String), i64>,
}

/// The notification key of the service provider (one URL for all its brands).
pub(crate) fn sp_key(mchid: &str) -> String {
    format!("sp:{mchid}")
}

/// The index key of a coupon code within a brand.
pub(crate) fn code_key(brand: &str, code: &str) -> String {
    format!("{brand}\u{1f}{code}")
}

/// Everything the sandbox knows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct State {
    /// The brand of the brand scheme (`brand_id="…"`).
    pub brand_id: String,
    /// The service provider (`mchid="…"`).
    pub mchid: String,
    /// The brands the service provider may act for (the first is `brand_id`).
    pub brands: Vec<String>,
    /// Product coupons by id.
    pub product_coupons: BTreeMap<String, ProductCouponRecord>,
    /// Stocks in creation order.
    pub stocks: Vec<StockRecord>,
    /// Stock bundles by id.
    pub bundles: BTreeMap<String, BundleRecord>,
    /// User coupons in receive order.
    pub coupons: Vec<CouponRecord>,
    /// OpenID → the AppID it belongs to.
    pub users: BTreeMap<String, String>,
    /// AppIDs bound to the brands.
    pub bound_appids: Vec<String>,
    /// Remembered answers by `brand \u{1f} operation \u{1f} request number`.
    pub replays: HashMap<String, Replay>,
    /// Notification URLs: by brand id, and [`sp_key`] for the service provider.
    pub notify: BTreeMap<String, NotifyUrlConfig>,
    /// Pre-sends by token.
    pub presends: HashMap<String, PreSendRecord>,
    /// URLs handed out by image upload.
    pub images: Vec<String>,
    /// Image-generation tasks by id.
    pub tasks: BTreeMap<String, TaskRecord>,
    /// Identifier sequences.
    pub seq: Counters,
    #[serde(skip)]
    pub idx: Indexes,
}

impl State {
    /// The seeded state for brand `brand_id` and service provider `mchid`
    /// (also authorised for `second_brand`), at `now`.
    pub(crate) fn seeded(
        brand_id: &str,
        mchid: &str,
        second_brand: &str,
        seed: SeedData,
        now: i64,
    ) -> Self {
        let today = shanghai_day(now);
        let stocks = seed
            .stocks
            .into_iter()
            .map(|stock| {
                let sent = stock.sent_count_info.unwrap_or_default();
                let codes = stock.coupon_code_count_info.unwrap_or_default();
                let bundle = stock.stock_bundle_info.clone();
                let record = StockRecord {
                    owner: brand_id.to_owned(),
                    timed: false,
                    review_until: None,
                    sent_total: sent.total_count.unwrap_or(0),
                    sent_day: today,
                    sent_today: sent.today_count.unwrap_or(0),
                    stores: Vec::new(),
                    codes: Vec::new(),
                    uploaded_total: codes.total_count.unwrap_or(0),
                    seeded_codes: codes.available_count.unwrap_or(0),
                    stock,
                };
                (record, bundle)
            })
            .collect::<Vec<_>>();
        let mut bundles: BTreeMap<String, BundleRecord> = BTreeMap::new();
        for (record, info) in &stocks {
            if let Some(info) = info {
                bundles
                    .entry(info.stock_bundle_id.as_str().to_owned())
                    .or_insert_with(|| BundleRecord {
                        owner: brand_id.to_owned(),
                        product_coupon_id: record.stock.product_coupon_id.as_str().to_owned(),
                        stock_ids: Vec::new(),
                    })
                    .stock_ids
                    .push(record.stock.stock_id.as_str().to_owned());
            }
        }
        let mut state = Self {
            brand_id: brand_id.to_owned(),
            mchid: mchid.to_owned(),
            brands: if second_brand == brand_id {
                vec![brand_id.to_owned()]
            } else {
                vec![brand_id.to_owned(), second_brand.to_owned()]
            },
            product_coupons: seed
                .product_coupons
                .into_iter()
                .map(|pc| {
                    (
                        pc.product_coupon_id.as_str().to_owned(),
                        ProductCouponRecord {
                            owner: brand_id.to_owned(),
                            product_coupon: pc,
                            review_until: None,
                        },
                    )
                })
                .collect(),
            stocks: stocks.into_iter().map(|(record, _)| record).collect(),
            bundles,
            coupons: seed
                .user_coupons
                .into_iter()
                .map(|(openid, coupon)| CouponRecord {
                    owner: brand_id.to_owned(),
                    appid: seed
                        .users
                        .iter()
                        .find(|(o, _)| *o == openid)
                        .map(|(_, a)| a.clone())
                        .unwrap_or_default(),
                    openid,
                    coupon,
                    timed: false,
                })
                .collect(),
            users: seed.users.into_iter().collect(),
            bound_appids: seed.bound_appids,
            replays: HashMap::new(),
            notify: BTreeMap::new(),
            presends: HashMap::new(),
            images: Vec::new(),
            tasks: BTreeMap::new(),
            seq: Counters::default(),
            idx: Indexes::default(),
        };
        state.reindex();
        state
    }

    /// Rebuilds the lookup indexes (after loading or resetting).
    pub(crate) fn reindex(&mut self) {
        let mut idx = Indexes::default();
        for (i, s) in self.stocks.iter().enumerate() {
            idx.stock.insert(s.stock.stock_id.as_str().to_owned(), i);
        }
        for (i, c) in self.coupons.iter().enumerate() {
            idx.code
                .insert(code_key(&c.owner, c.coupon.coupon_code.as_str()), i);
            idx.by_openid.entry(c.openid.clone()).or_default().push(i);
            if let Some(stock) = &c.coupon.stock {
                *idx.per_user
                    .entry((stock.stock_id.as_str().to_owned(), c.openid.clone()))
                    .or_default() += 1;
            }
        }
        self.idx = idx;
    }

    /// Adds a coupon, keeping the indexes in step.
    pub(crate) fn push_coupon(&mut self, record: CouponRecord) -> usize {
        let i = self.coupons.len();
        self.idx.code.insert(
            code_key(&record.owner, record.coupon.coupon_code.as_str()),
            i,
        );
        self.idx
            .by_openid
            .entry(record.openid.clone())
            .or_default()
            .push(i);
        if let Some(stock) = &record.coupon.stock {
            *self
                .idx
                .per_user
                .entry((stock.stock_id.as_str().to_owned(), record.openid.clone()))
                .or_default() += 1;
        }
        self.coupons.push(record);
        i
    }

    /// Adds a stock, keeping the index in step.
    pub(crate) fn push_stock(&mut self, record: StockRecord) -> usize {
        let i = self.stocks.len();
        self.idx
            .stock
            .insert(record.stock.stock_id.as_str().to_owned(), i);
        self.stocks.push(record);
        i
    }

    /// The stock `stock_id`'s position.
    pub(crate) fn stock_index(&self, stock_id: &str) -> Option<usize> {
        self.idx.stock.get(stock_id).copied()
    }

    /// How many coupons `openid` received from `stock_id` (unconfirmed ones included).
    pub(crate) fn received_from(&self, stock_id: &str, openid: &str) -> i64 {
        self.idx
            .per_user
            .get(&(stock_id.to_owned(), openid.to_owned()))
            .copied()
            .unwrap_or(0)
    }

    /// The product coupon as a read shows it at `now`.
    pub(crate) fn render_product_coupon(record: &ProductCouponRecord, now: i64) -> ProductCoupon {
        let mut pc = record.product_coupon.clone();
        if pc.state == Some(ProductCouponState::Auditing)
            && record.review_until.is_some_and(|t| now >= t)
        {
            pc.state = Some(ProductCouponState::Effective);
        }
        pc
    }

    /// The stock state a read shows at `now`.
    pub(crate) fn stock_state(record: &StockRecord, now: i64) -> Option<StockState> {
        let base = record.stock.state.clone();
        if !record.timed {
            return base;
        }
        let state = match base {
            Some(StockState::Auditing) if record.review_until.is_some_and(|t| now >= t) => {
                Some(StockState::Sending)
            }
            other => other,
        };
        // "过期的批次会自动停止": a sending stock whose period has ended stops.
        if state == Some(StockState::Sending)
            && period_of(&record.stock)
                .and_then(|p| p.available_end_time.as_ref())
                .and_then(unix_of)
                .is_some_and(|end| now > end)
        {
            return Some(StockState::Stopped);
        }
        state
    }

    /// The stock as a read shows it at `now`: state, sent counters, code counts.
    pub(crate) fn render_stock(record: &StockRecord, now: i64) -> Stock {
        let mut stock = record.stock.clone();
        stock.state = Self::stock_state(record, now);
        stock.sent_count_info = Some(StockSentCountInfo {
            total_count: Some(record.sent_total),
            today_count: Some(if record.sent_day == shanghai_day(now) {
                record.sent_today
            } else {
                0
            }),
        });
        if stock.coupon_code_mode == Some(CouponCodeMode::Upload) {
            stock.coupon_code_count_info = Some(CouponCodeCountInfo {
                total_count: Some(record.uploaded_total),
                available_count: Some(
                    (record.codes.len() as i64).saturating_add(record.seeded_codes),
                ),
            });
        }
        stock
    }

    /// The coupon state a read shows at `now`.
    pub(crate) fn coupon_state(record: &CouponRecord, now: i64) -> Option<UserCouponState> {
        let base = record.coupon.coupon_state.clone();
        if !record.timed {
            return base;
        }
        let begin = record.coupon.valid_begin_time.as_ref().and_then(unix_of);
        let end = record.coupon.valid_end_time.as_ref().and_then(unix_of);
        let expired = end.is_some_and(|end| now > end);
        match base {
            Some(UserCouponState::Confirming) if expired => Some(UserCouponState::Expired),
            Some(UserCouponState::Effective) if expired => Some(UserCouponState::Expired),
            Some(UserCouponState::Effective) if begin.is_some_and(|b| now < b) => {
                Some(UserCouponState::Pending)
            }
            other => other,
        }
    }

    /// The coupon as a read shows it at `now`.
    pub(crate) fn render_coupon(record: &CouponRecord, now: i64) -> UserCoupon {
        let mut coupon = record.coupon.clone();
        coupon.coupon_state = Self::coupon_state(record, now);
        coupon
    }
}

/// The available period of a stock, whichever rule carries it.
pub(crate) fn period_of(stock: &Stock) -> Option<&CouponAvailablePeriod> {
    stock
        .single_usage_rule
        .as_ref()
        .map(|r| &r.coupon_available_period)
        .or_else(|| {
            stock
                .sequential_usage_rule
                .as_ref()
                .map(|r| &r.coupon_available_period)
        })
        .or_else(|| {
            stock
                .progressive_bundle_usage_rule
                .as_ref()
                .map(|r| &r.coupon_available_period)
        })
}

/// `brand_id` as the answers' type.
pub(crate) fn brand(id: &str) -> BrandId {
    BrandId::new(id)
}
