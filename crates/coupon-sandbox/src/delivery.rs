//! Notifications from state: every coupon sent while a notify URL is set
//! becomes a signed, encrypted notification POSTed to that URL and redelivered
//! — the same id and body, signed anew — until the receiver answers 2xx, with
//! exponential backoff and a bounded number of attempts. Every delivery is
//! logged ([`Delivery`]); the log is readable from the library
//! (`Sandbox::deliveries`), the admin route and the state file.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, watch};
use wxpay_sign::Clock;

use crate::credentials::Credentials;
use crate::ops::Notice;
use crate::server::lock;
use crate::timeutil::timestamp;
use crate::webhook::{
    EVENT_TYPE_SEND, WebhookOptions, check_webhook_url, notification_body, notification_id,
    post_webhook_within, sign_notification_with,
};
use crate::wechatpay_keys::KeyRing;

/// How the sandbox redelivers a notification its receiver did not accept (a
/// non-2xx answer, no answer within [`answer_timeout`](Self::answer_timeout),
/// or no connection): after [`first_delay`](Self::first_delay), then twice as
/// long each time up to [`max_delay`](Self::max_delay), for at most
/// [`max_attempts`](Self::max_attempts) attempts in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebhookRetry {
    /// The wait before the first redelivery (default 1 s).
    pub first_delay: Duration,
    /// The longest wait between two attempts (default 10 minutes).
    pub max_delay: Duration,
    /// Attempts in all, the first included (default 15, as WeChat Pay's
    /// "up to 15 times"; at least 1).
    pub max_attempts: u32,
    /// How long a receiver has to answer one attempt (default 5 s, as WeChat Pay).
    pub answer_timeout: Duration,
}

impl Default for WebhookRetry {
    fn default() -> Self {
        Self {
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(600),
            max_attempts: 15,
            answer_timeout: Duration::from_secs(5),
        }
    }
}

impl WebhookRetry {
    /// The defaults (1 s, doubling up to 10 minutes, 15 attempts, 5 s to answer).
    pub fn new() -> Self {
        Self::default()
    }

    /// With the first redelivery after `delay` (tests use a millisecond).
    pub fn with_first_delay(mut self, delay: Duration) -> Self {
        self.first_delay = delay;
        self
    }

    /// With waits capped at `delay`.
    pub fn with_max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// With at most `attempts` attempts (at least 1).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// With `timeout` for each answer.
    pub fn with_answer_timeout(mut self, timeout: Duration) -> Self {
        self.answer_timeout = timeout;
        self
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum DeliveryOutcome {
    /// Attempts are still going on.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Every attempt failed; the sandbox gave up.
    Failed,
    /// Never sent: the notify URL is not `http://` on a loopback host (the
    /// sandbox posts nowhere else).
    Refused,
    /// The sandbox stopped (or was reset) before the delivery finished.
    Interrupted,
}

/// One attempt to deliver a notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryAttempt {
    /// When it was made (RFC 3339, sandbox clock).
    pub at: String,
    /// The receiver's HTTP status, when it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// What went wrong, when it did not answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A notification and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// The notification's `id` (the same in every attempt).
    pub id: String,
    /// `PRODUCT_COUPON.SEND` (brand) or `PRODUCT_COUPON_SP.SEND` (service provider).
    pub event_type: String,
    /// The notify URL.
    pub url: String,
    /// The coupon the notification is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon_code: Option<String>,
    /// The user holding it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub openid: Option<String>,
    /// When the notification was made (RFC 3339, sandbox clock).
    pub created_at: String,
    /// Every attempt, in order.
    pub attempts: Vec<DeliveryAttempt>,
    /// Where it stands.
    pub outcome: DeliveryOutcome,
    /// Why it was refused or failed, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

struct Inner {
    creds: Credentials,
    /// The keys notifications are signed with (each attempt with the key of
    /// that moment: a redelivery after a rotation carries the new one).
    keys: Arc<KeyRing>,
    clock: Arc<dyn Clock>,
    retry: WebhookRetry,
    log: Mutex<Vec<Delivery>>,
    /// Bumped on every change of the log.
    changed: watch::Sender<u64>,
    /// Set when the sandbox stops.
    shutdown: watch::Sender<bool>,
    /// Bumped by a reset: deliveries of an older epoch stop.
    epoch: AtomicU64,
    /// Tells the state file's writer the log changed.
    dirty: Arc<Notify>,
}

/// The delivery log and the tasks that deliver.
#[derive(Clone)]
pub(crate) struct Deliveries {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Deliveries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deliveries")
            .field("retry", &self.inner.retry)
            .finish_non_exhaustive()
    }
}

impl Deliveries {
    pub(crate) fn new(
        creds: Credentials,
        keys: Arc<KeyRing>,
        clock: Arc<dyn Clock>,
        retry: WebhookRetry,
        log: Vec<Delivery>,
        dirty: Arc<Notify>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                creds,
                keys,
                clock,
                retry,
                log: Mutex::new(log),
                changed: watch::Sender::new(0),
                shutdown: watch::Sender::new(false),
                epoch: AtomicU64::new(0),
                dirty,
            }),
        }
    }

    /// The log, oldest first.
    pub(crate) fn log(&self) -> Vec<Delivery> {
        lock(&self.inner.log).clone()
    }

    /// Waits until no delivery is pending, then returns the log.
    pub(crate) async fn settled(&self) -> Vec<Delivery> {
        let mut changes = self.inner.changed.subscribe();
        loop {
            {
                let log = lock(&self.inner.log);
                if !log.iter().any(|d| d.outcome == DeliveryOutcome::Pending) {
                    return log.clone();
                }
            }
            if changes.changed().await.is_err() {
                return self.log();
            }
        }
    }

    fn update(&self, id: &str, change: impl FnOnce(&mut Delivery)) {
        {
            let mut log = lock(&self.inner.log);
            if let Some(d) = log.iter_mut().find(|d| d.id == id) {
                change(d);
            }
        }
        self.changed();
    }

    fn changed(&self) {
        self.inner.changed.send_modify(|n| *n = n.wrapping_add(1));
        self.inner.dirty.notify_one();
    }

    /// Logs `notice` and starts delivering it (on the current Tokio runtime).
    pub(crate) fn enqueue(&self, notice: Notice) {
        let inner = &self.inner;
        let now = inner.clock.now_unix();
        let mut delivery = Delivery {
            id: String::new(),
            event_type: notice.event_type.to_owned(),
            url: notice.url.clone(),
            coupon_code: Some(notice.payload.coupon_code.as_str().to_owned()),
            openid: Some(notice.payload.openid.as_str().to_owned()),
            created_at: timestamp(now).into_string(),
            attempts: Vec::new(),
            outcome: DeliveryOutcome::Pending,
            error: None,
        };
        let body = notification_id().and_then(|id| {
            delivery.id = id.clone();
            check_webhook_url(&notice.url)?;
            let plaintext =
                serde_json::to_vec(&notice.payload).map_err(|source| crate::Error::Json {
                    what: "the notification payload",
                    source,
                })?;
            notification_body(
                &inner.creds,
                &id,
                now,
                notice.event_type,
                "商品券用户领券通知",
                &plaintext,
            )
        });
        let body = match body {
            Ok(body) => body,
            Err(e) => {
                delivery.outcome = DeliveryOutcome::Refused;
                delivery.error = Some(e.to_string());
                if delivery.id.is_empty() {
                    delivery.id = format!("refused-{now}");
                }
                tracing::warn!(url = %notice.url, error = %e, "sandbox: notification not sent");
                lock(&inner.log).push(delivery);
                self.changed();
                return;
            }
        };
        let id = delivery.id.clone();
        lock(&inner.log).push(delivery);
        self.changed();
        let epoch = inner.epoch.load(Ordering::SeqCst);
        let this = self.clone();
        let to_brand = notice.event_type == EVENT_TYPE_SEND;
        tokio::spawn(async move { this.deliver(id, notice.url, body, to_brand, epoch).await });
    }

    async fn deliver(self, id: String, url: String, body: Vec<u8>, to_brand: bool, epoch: u64) {
        let inner = self.inner.clone();
        let retry = inner.retry;
        let mut shutdown = inner.shutdown.subscribe();
        let mut delay = retry.first_delay;
        let interrupted = |this: &Self| {
            this.update(&id, |d| {
                if d.outcome == DeliveryOutcome::Pending {
                    d.outcome = DeliveryOutcome::Interrupted;
                }
            })
        };
        for attempt in 1..=retry.max_attempts.max(1) {
            if *shutdown.borrow() || inner.epoch.load(Ordering::SeqCst) != epoch {
                interrupted(&self);
                return;
            }
            let now = inner.clock.now_unix();
            let post = async {
                let signer = inner.keys.notification_signer(to_brand).ok_or_else(|| {
                    crate::Error::Internal("the sandbox holds no WeChat Pay key".into())
                })?;
                let headers = sign_notification_with(&signer, now, &body, WebhookOptions::new())?;
                post_webhook_within(&url, headers, body.clone(), retry.answer_timeout).await
            };
            let result = tokio::select! {
                result = post => result,
                _ = shutdown.changed() => {
                    interrupted(&self);
                    return;
                }
            };
            let (status, error) = match result {
                Ok(status) => (Some(status.as_u16()), None),
                Err(e) => (None, Some(e.to_string())),
            };
            let delivered = status.is_some_and(|s| (200..300).contains(&s));
            let last = attempt >= retry.max_attempts;
            self.update(&id, |d| {
                d.attempts.push(DeliveryAttempt {
                    at: timestamp(now).into_string(),
                    status,
                    error: error.clone(),
                });
                if delivered {
                    d.outcome = DeliveryOutcome::Delivered;
                } else if last {
                    d.outcome = DeliveryOutcome::Failed;
                    d.error = Some(format!(
                        "gave up after {attempt} attempt(s): {}",
                        error.clone().unwrap_or_else(|| format!(
                            "the receiver answered {}",
                            status.unwrap_or_default()
                        ))
                    ));
                }
            });
            if delivered || last {
                return;
            }
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                _ = shutdown.changed() => {
                    interrupted(&self);
                    return;
                }
            }
            delay = delay.saturating_mul(2).min(retry.max_delay);
        }
    }

    /// Stops every delivery (they end `INTERRUPTED`).
    pub(crate) fn shutdown(&self) {
        self.inner.shutdown.send_replace(true);
        self.interrupt_pending();
    }

    /// A reset: pending deliveries stop, the log is replaced by `log`.
    pub(crate) fn reset(&self, log: Vec<Delivery>) {
        self.inner.epoch.fetch_add(1, Ordering::SeqCst);
        *lock(&self.inner.log) = log;
        self.changed();
    }

    fn interrupt_pending(&self) {
        {
            let mut log = lock(&self.inner.log);
            for d in log.iter_mut() {
                if d.outcome == DeliveryOutcome::Pending {
                    d.outcome = DeliveryOutcome::Interrupted;
                }
            }
        }
        self.changed();
    }
}
