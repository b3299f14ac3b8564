//! The sandbox's state behind one short-lived lock, with what hangs off it:
//! the clock, the review delay, notification delivery and the state file's
//! writer. Handlers run under the lock and never await; notifications and
//! file writes happen after it is released.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use coupon_model::notify::NotifyUrlConfig;
use coupon_model::product_coupon::ProductCoupon;
use coupon_model::stock::{Stock, StockState};
use coupon_model::user_coupon::{UserCoupon, UserCouponState};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use wxpay_sign::Clock;

use crate::credentials::Credentials;
use crate::delivery::{Deliveries, Delivery, WebhookRetry};
use crate::error::{Error, Result};
use crate::ops::{Call, Notice, Params};
use crate::paging::Query;
use crate::persist;
use crate::server::lock;
use crate::state::{State, sp_key};
use crate::timeutil::timestamp;
use crate::wechatpay_keys::KeyRing;

/// How long the state file's writer waits after a change for more changes
/// before saving them all at once.
const SAVE_COALESCE: Duration = Duration::from_millis(100);

/// How the state behaves (see the `SandboxBuilder` methods of the same names).
#[derive(Debug, Clone, Default)]
pub(crate) struct EngineConfig {
    pub review_delay: Duration,
    pub notify_url: Option<String>,
    pub state_file: Option<PathBuf>,
    pub fresh_state: bool,
    pub retry: WebhookRetry,
}

/// The state and everything that hangs off it.
pub(crate) struct Store {
    pub(crate) state: Arc<Mutex<State>>,
    clock: Arc<dyn Clock>,
    brand_id: String,
    brands: Vec<String>,
    review_delay: i64,
    notify_url: Option<String>,
    deliveries: Deliveries,
    dirty: Arc<Notify>,
    state_file: Option<PathBuf>,
    persist_stop: watch::Sender<bool>,
    persist_task: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("brand_id", &self.brand_id)
            .field("review_delay", &self.review_delay)
            .field("state_file", &self.state_file)
            .finish_non_exhaustive()
    }
}

fn seeded(creds: &Credentials, notify_url: Option<&str>, now: i64) -> Result<State> {
    let mut state = State::seeded(
        &creds.brand_id,
        &creds.mchid,
        crate::seed::OTHER_BRAND_ID,
        crate::seed::seed_data()?,
        now,
    );
    if let Some(url) = notify_url {
        apply_notify_url(&mut state, url, now);
    }
    Ok(state)
}

/// Sets `url` as the notify URL of every brand and of the service provider.
fn apply_notify_url(state: &mut State, url: &str, now: i64) {
    let config = NotifyUrlConfig {
        notify_url: Some(url.to_owned()),
        update_time: Some(timestamp(now)),
    };
    let mut keys = state.brands.clone();
    keys.push(sp_key(&state.mchid));
    for key in keys {
        state.notify.insert(key, config.clone());
    }
}

impl Store {
    /// The seeded state, or the state file's (see `persist::load`); starts the
    /// state file's writer on the current Tokio runtime.
    pub(crate) fn new(
        creds: &Credentials,
        keys: Arc<KeyRing>,
        clock: Arc<dyn Clock>,
        config: EngineConfig,
    ) -> Result<Self> {
        let now = clock.now_unix();
        let loaded = match (&config.state_file, config.fresh_state) {
            (Some(path), fresh) => {
                // A foreign or corrupt file is refused even when starting fresh:
                // it is never overwritten.
                let loaded = persist::load(path, &creds.brand_id, &creds.mchid)?;
                if fresh { None } else { loaded }
            }
            (None, _) => None,
        };
        let (mut state, log) = match loaded {
            Some(found) => found,
            None => (
                seeded(creds, config.notify_url.as_deref(), now)?,
                Vec::new(),
            ),
        };
        if let Some(url) = &config.notify_url {
            apply_notify_url(&mut state, url, now);
        }
        let dirty = Arc::new(Notify::new());
        let deliveries = Deliveries::new(
            creds.clone(),
            keys,
            clock.clone(),
            config.retry,
            log,
            dirty.clone(),
        );
        let review_delay = i64::try_from(config.review_delay.as_secs())
            .unwrap_or(i64::MAX / 4)
            .saturating_add(i64::from(config.review_delay.subsec_nanos() > 0));
        let store = Self {
            brand_id: state.brand_id.clone(),
            brands: state.brands.clone(),
            state: Arc::new(Mutex::new(state)),
            clock,
            review_delay,
            notify_url: config.notify_url,
            deliveries,
            dirty,
            state_file: config.state_file,
            persist_stop: watch::Sender::new(false),
            persist_task: Mutex::new(None),
        };
        if let Some(path) = &store.state_file {
            // Written at once, so an unusable path fails the start.
            persist::write_atomic(path, &store.snapshot()?)?;
            let task = tokio::spawn(store.writer(path.clone()));
            *lock(&store.persist_task) = Some(task);
        }
        Ok(store)
    }

    /// The state file's writer: saves after changes (coalescing bursts), and
    /// once more when the sandbox stops.
    fn writer(&self, path: PathBuf) -> impl std::future::Future<Output = ()> + Send + 'static {
        let state = self.state.clone();
        let deliveries = self.deliveries.clone();
        let dirty = self.dirty.clone();
        let clock = self.clock.clone();
        let mut stop = self.persist_stop.subscribe();
        async move {
            loop {
                let mut stopping = tokio::select! {
                    () = dirty.notified() => false,
                    _ = stop.changed() => true,
                };
                if !stopping {
                    // Let a burst of writes end: one save for all of them.
                    tokio::select! {
                        () = tokio::time::sleep(SAVE_COALESCE) => {}
                        _ = stop.changed() => stopping = true,
                    }
                }
                // Serialised outside the lock, from a copy.
                let snapshot = lock(&state).clone();
                let log = deliveries.log();
                let bytes = persist::to_bytes(&snapshot, &log, clock.now_unix());
                let path = path.clone();
                let written = match bytes {
                    Ok(bytes) => {
                        tokio::task::spawn_blocking(move || persist::write_atomic(&path, &bytes))
                            .await
                            .unwrap_or_else(|e| Err(Error::Internal(format!("state writer: {e}"))))
                    }
                    Err(e) => Err(e),
                };
                if let Err(e) = written {
                    tracing::warn!(error = %e, "sandbox: cannot save the state file");
                }
                // A stop seen while writing is still unseen by `changed()`:
                // the next turn takes the last snapshot.
                if stopping {
                    return;
                }
            }
        }
    }

    fn snapshot(&self) -> Result<Vec<u8>> {
        let log = self.deliveries.log();
        let state = lock(&self.state);
        persist::to_bytes(&state, &log, self.clock.now_unix())
    }

    /// The injected clock's reading.
    pub(crate) fn now(&self) -> i64 {
        self.clock.now_unix()
    }

    /// The brand of the brand scheme.
    pub(crate) fn brand_id(&self) -> &str {
        &self.brand_id
    }

    /// The brands the service provider may act for.
    pub(crate) fn brands(&self) -> &[String] {
        &self.brands
    }

    /// Seconds new product coupons and stocks stay `AUDITING`.
    pub(crate) fn review_delay_secs(&self) -> i64 {
        self.review_delay
    }

    /// After a write: deliver its notifications, save the state.
    pub(crate) fn after_write(&self, notices: Vec<Notice>) {
        for notice in notices {
            self.deliveries.enqueue(notice);
        }
        self.dirty.notify_one();
    }

    /// Number of stocks of `pc`.
    pub(crate) fn stock_count(&self, pc: &str) -> usize {
        lock(&self.state)
            .stocks
            .iter()
            .filter(|s| s.stock.product_coupon_id.as_str() == pc)
            .count()
    }

    /// The stocks of `pc` as a read shows them now, in creation order.
    pub(crate) fn stocks_of(&self, pc: &str) -> Vec<Stock> {
        let now = self.now();
        lock(&self.state)
            .stocks
            .iter()
            .filter(|s| s.stock.product_coupon_id.as_str() == pc)
            .map(|s| State::render_stock(s, now))
            .collect()
    }

    /// The stock `stock_id` as a read shows it now.
    pub(crate) fn stock(&self, stock_id: &str) -> Option<Stock> {
        let now = self.now();
        let state = lock(&self.state);
        state
            .stock_index(stock_id)
            .and_then(|i| state.stocks.get(i))
            .map(|s| State::render_stock(s, now))
    }

    /// The product coupon as a read shows it now.
    pub(crate) fn product_coupon(&self, id: &str) -> Option<ProductCoupon> {
        let now = self.now();
        lock(&self.state)
            .product_coupons
            .get(id)
            .map(|r| State::render_product_coupon(r, now))
    }

    /// Every coupon `openid` holds (all brands), in receive order, as a read shows them.
    pub(crate) fn user_coupons_of(&self, openid: &str) -> Vec<UserCoupon> {
        let now = self.now();
        let state = lock(&self.state);
        state
            .idx
            .by_openid
            .get(openid)
            .into_iter()
            .flatten()
            .filter_map(|&k| state.coupons.get(k))
            .map(|c| State::render_coupon(c, now))
            .collect()
    }

    /// The delivery log.
    pub(crate) fn deliveries(&self) -> Vec<Delivery> {
        self.deliveries.log()
    }

    /// Waits until no delivery is pending; the log.
    pub(crate) async fn settled_deliveries(&self) -> Vec<Delivery> {
        self.deliveries.settled().await
    }

    /// Back to the seeded state (with the configured notify URL); pending
    /// deliveries stop and the log is emptied.
    pub(crate) fn reset(&self, creds: &Credentials) -> Result<()> {
        let fresh = seeded(creds, self.notify_url.as_deref(), self.now())?;
        *lock(&self.state) = fresh;
        self.deliveries.reset(Vec::new());
        self.dirty.notify_one();
        Ok(())
    }

    /// Writes the state file now (when there is one).
    pub(crate) async fn save(&self) -> Result<()> {
        let Some(path) = self.state_file.clone() else {
            return Ok(());
        };
        let bytes = self.snapshot()?;
        tokio::task::spawn_blocking(move || persist::write_atomic(&path, &bytes))
            .await
            .map_err(|e| Error::Internal(format!("state writer: {e}")))?
    }

    /// Stops deliveries, then the state file's writer after a last save.
    pub(crate) async fn shutdown(&self) {
        self.deliveries.shutdown();
        self.persist_stop.send_replace(true);
        let task = lock(&self.persist_task).take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }

    /// Stops in the background (a dropped sandbox).
    pub(crate) fn stop(&self) {
        self.deliveries.shutdown();
        self.persist_stop.send_replace(true);
    }

    /// Pauses (`true`) or resumes a stock, as the brand platform does (the
    /// API has no endpoint for it).
    pub(crate) fn set_paused(&self, stock_id: &str, paused: bool) -> Result<Stock> {
        let now = self.now();
        let stock = {
            let mut state = lock(&self.state);
            let i = state
                .stock_index(stock_id)
                .ok_or_else(|| Error::NotFound(format!("no stock {stock_id:?} in the sandbox")))?;
            let record = state
                .stocks
                .get_mut(i)
                .ok_or_else(|| Error::NotFound(format!("no stock {stock_id:?} in the sandbox")))?;
            let shown = State::stock_state(record, now);
            let (from, to) = if paused {
                (StockState::Sending, StockState::Paused)
            } else {
                (StockState::Paused, StockState::Sending)
            };
            if shown != Some(from.clone()) {
                return Err(Error::Refused(format!(
                    "stock {stock_id} is {}, not {from}",
                    shown.as_ref().map_or("-", |s| s.as_str())
                )));
            }
            record.stock.state = Some(to);
            State::render_stock(record, now)
        };
        self.dirty.notify_one();
        Ok(stock)
    }

    /// The user deletes a `PENDING` or `EFFECTIVE` coupon from the WeChat
    /// wallet: `DELETED` (no notification, as WeChat Pay sends none).
    pub(crate) fn delete_coupon(&self, openid: &str, code: &str) -> Result<UserCoupon> {
        let now = self.now();
        let coupon = {
            let mut state = lock(&self.state);
            let k = state
                .idx
                .by_openid
                .get(openid)
                .into_iter()
                .flatten()
                .copied()
                .find(|&k| {
                    state
                        .coupons
                        .get(k)
                        .is_some_and(|c| c.coupon.coupon_code.as_str() == code)
                })
                .ok_or_else(|| {
                    Error::NotFound(format!("user {openid} holds no coupon {code:?}"))
                })?;
            let record = state
                .coupons
                .get_mut(k)
                .ok_or_else(|| Error::NotFound(format!("no coupon {code:?}")))?;
            let shown = State::coupon_state(record, now);
            if !matches!(
                shown,
                Some(UserCouponState::Pending | UserCouponState::Effective)
            ) {
                return Err(Error::Refused(format!(
                    "coupon {code} is {}: only PENDING and EFFECTIVE coupons are in the wallet to delete",
                    shown.as_ref().map_or("-", |s| s.as_str())
                )));
            }
            record.coupon.coupon_state = Some(UserCouponState::Deleted);
            State::render_coupon(record, now)
        };
        self.dirty.notify_one();
        Ok(coupon)
    }

    /// The user claims a pre-sent coupon (the receive component's part).
    pub(crate) fn claim_pre_sent(&self, token: &str) -> Result<UserCoupon> {
        let params = Params::default();
        let query = Query::default();
        let reply = {
            let mut state = lock(&self.state);
            let call = Call {
                side: coupon_model::operation::Side::Brand,
                brand: None,
                now: self.now(),
                params: &params,
                query: &query,
                review_delay: self.review_delay,
            };
            state
                .claim_pre_sent(&call, token)
                .map_err(|e| Error::Refused(e.body.message.clone()))?
        };
        self.after_write(reply.notices);
        Ok(reply.answer)
    }
}
