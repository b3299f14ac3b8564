//! The service: its HTTP routes and what each one does.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use coupon_client::coupon_model::time::DateTime;
use coupon_client::coupon_model::user_coupon::{
    AssociatedOrderInfo, ConfirmSendUserProductCouponRequest, ConfirmUserProductCouponBody,
    SendUserProductCouponBody, SendUserProductCouponRequest, UseUserProductCouponBody,
    UseUserProductCouponRequest,
};
use coupon_client::coupon_model::webhook::ProductCouponEvent;
use coupon_client::wxpay_sign::{Clock, SystemClock};
use coupon_client::{BrandClient, ErrorKind, WebhookHandler};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::error::Error;
use crate::guard::DbReplayGuard;
use crate::numbers;
use crate::store::{
    Claim, EventRow, NewEvent, SendRow, SendSpec, SendState, Store, UseRow, UseSpec,
};

/// The header a caller sets to make `POST /coupons` idempotent.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// The route WeChat Pay's notify URL points at.
pub const NOTIFY_PATH: &str = "/wxpay/notify";

/// How one instance behaves.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// This instance's name in event claims (default: random).
    pub instance_id: String,
    /// How long a claim on a notification holds before another instance may
    /// take it over (default 120 s): longer than a confirm call can take.
    pub claim_lease: Duration,
    /// The AppID used when a request or notification names none.
    pub default_appid: Option<String>,
    /// The clock of claims and stored times (the system's by default).
    pub clock: Arc<dyn Clock>,
}

impl ServiceConfig {
    /// The defaults: a random instance id, a 120 s lease, no default AppID,
    /// the system clock.
    pub fn new() -> Result<Self, Error> {
        Ok(Self {
            instance_id: numbers::fresh("inst_")?,
            claim_lease: Duration::from_secs(120),
            default_appid: None,
            clock: Arc::new(SystemClock),
        })
    }

    /// With the instance's name.
    pub fn with_instance_id(mut self, id: impl Into<String>) -> Self {
        self.instance_id = id.into();
        self
    }

    /// With the claim lease.
    pub fn with_claim_lease(mut self, lease: Duration) -> Self {
        self.claim_lease = lease;
        self
    }

    /// With a default AppID.
    pub fn with_default_appid(mut self, appid: impl Into<String>) -> Self {
        self.default_appid = Some(appid.into());
        self
    }

    /// With a clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
}

/// One instance of the brand service. Cheap to clone.
#[derive(Clone)]
pub struct BrandService {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    client: BrandClient,
    webhooks: WebhookHandler,
    config: ServiceConfig,
}

impl std::fmt::Debug for BrandService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrandService")
            .field("instance_id", &self.inner.config.instance_id)
            .field("backend", &self.inner.store.backend())
            .finish_non_exhaustive()
    }
}

/// The body of `POST /coupons`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendCouponRequest {
    /// The user.
    pub openid: String,
    /// The product coupon.
    pub product_coupon_id: String,
    /// The stock to send from.
    pub stock_id: String,
    /// The AppID of the OpenID (default: the configured one).
    #[serde(default)]
    pub appid: Option<String>,
}

/// The body of `POST /coupons/{code}/use`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UseCouponRequest {
    /// The merchant order the coupon is used for.
    pub out_trade_no: String,
    /// The WeChat Pay transaction id of the order.
    #[serde(default)]
    pub transaction_id: Option<String>,
    /// The merchant id of the order.
    #[serde(default)]
    pub mchid: Option<String>,
}

/// What a send came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendOutcome {
    /// The stored send after this request.
    pub row: SendRow,
    /// Whether this request stored it (`false`: an earlier one with the same
    /// `Idempotency-Key` did).
    pub created: bool,
}

/// What a use came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UseOutcome {
    /// The stored use after this request.
    pub row: UseRow,
    /// The refusal or failure of this request's attempt, when it failed.
    pub failure: Option<Failure>,
}

/// A failed call to WeChat Pay, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// `true` when WeChat Pay refused the request (retrying it unchanged will
    /// not help); `false` for failures a retry may cure (transport, 5xx, 429).
    pub refused: bool,
    /// WeChat Pay's error code, or the client's error kind.
    pub code: String,
    /// What happened, in words.
    pub message: String,
}

impl Failure {
    fn of(error: &coupon_client::Error) -> Self {
        match error.api_error() {
            Some(api) => {
                let status = api.status.as_u16();
                Failure {
                    refused: (400..500).contains(&status)
                        && !matches!(status, 401 | 403 | 408 | 429),
                    code: api.code.as_str().to_owned(),
                    message: format!(
                        "{status} {}: {} (Request-ID {})",
                        api.code.as_str(),
                        api.message,
                        api.request_id.as_deref().unwrap_or("-")
                    ),
                }
            }
            None => Failure {
                refused: error.kind() == ErrorKind::InvalidRequest,
                code: format!("{:?}", error.kind()),
                message: error.to_string(),
            },
        }
    }
}

/// Counts of one recovery pass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Pending sends answered now.
    pub sent: usize,
    /// Pending sends refused for good.
    pub failed: usize,
    /// Pending sends that failed again (retried on the next pass).
    pub still_pending: usize,
}

/// An HTTP answer that is not a success.
#[derive(Debug)]
enum Problem {
    BadRequest(String),
    NotFound(String),
    Conflict(String),
    Unavailable(Error),
}

impl From<Error> for Problem {
    fn from(e: Error) -> Self {
        Problem::Unavailable(e)
    }
}

fn error_body(code: &str, message: &str) -> serde_json::Value {
    json!({ "error": { "code": code, "message": message } })
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            Problem::BadRequest(m) => (StatusCode::BAD_REQUEST, "BAD_REQUEST", m),
            Problem::NotFound(m) => (StatusCode::NOT_FOUND, "NOT_FOUND", m),
            Problem::Conflict(m) => (StatusCode::CONFLICT, "CONFLICT", m),
            Problem::Unavailable(e) => {
                tracing::error!(error = %e, "request failed on the database");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "UNAVAILABLE",
                    "the database is unavailable; retry with the same Idempotency-Key".to_owned(),
                )
            }
        };
        (status, Json(error_body(code, &message))).into_response()
    }
}

fn check_field(name: &str, value: &str, max: usize) -> Result<(), Problem> {
    if value.is_empty() || value.len() > max || value.chars().any(char::is_control) {
        return Err(Problem::BadRequest(format!(
            "{name} must be 1–{max} bytes without control characters"
        )));
    }
    Ok(())
}

#[derive(Serialize)]
struct SendView<'a> {
    send_request_no: &'a str,
    state: &'static str,
    coupon_code: Option<&'a str>,
    coupon_state: Option<&'a str>,
    product_coupon_id: &'a str,
    stock_id: &'a str,
    attempts: i64,
    last_error: Option<&'a str>,
}

impl<'a> SendView<'a> {
    fn of(row: &'a SendRow) -> Self {
        SendView {
            send_request_no: &row.send_request_no,
            state: match row.state {
                SendState::Pending => "pending",
                SendState::Sent => "sent",
                SendState::Failed => "failed",
            },
            coupon_code: row.coupon_code.as_deref(),
            coupon_state: row.coupon_state.as_deref(),
            product_coupon_id: &row.spec.product_coupon_id,
            stock_id: &row.spec.stock_id,
            attempts: row.attempts,
            last_error: row.last_error.as_deref(),
        }
    }
}

#[derive(Serialize)]
struct EventView<'a> {
    event_type: &'a str,
    notification_id: &'a str,
    state: &'a str,
    outcome: Option<&'a str>,
    confirm_request_no: Option<&'a str>,
    coupon_state: Option<&'a str>,
    attempts: i64,
    last_error: Option<&'a str>,
}

impl<'a> EventView<'a> {
    fn of(row: &'a EventRow) -> Self {
        EventView {
            event_type: &row.event.event_type,
            notification_id: &row.event.notification_id,
            state: &row.state,
            outcome: row.outcome.as_deref(),
            confirm_request_no: row.event.action_request_no.as_deref(),
            coupon_state: row.coupon_state.as_deref(),
            attempts: row.attempts,
            last_error: row.last_error.as_deref(),
        }
    }
}

#[derive(Serialize)]
struct UseView<'a> {
    coupon_code: &'a str,
    out_trade_no: &'a str,
    use_request_no: &'a str,
    use_time: &'a str,
    state: &'a str,
    coupon_state: Option<&'a str>,
    attempts: i64,
    last_error: Option<&'a str>,
}

impl<'a> UseView<'a> {
    fn of(row: &'a UseRow) -> Self {
        UseView {
            coupon_code: &row.coupon_code,
            out_trade_no: &row.order.out_trade_no,
            use_request_no: &row.use_request_no,
            use_time: &row.use_time,
            state: &row.state,
            coupon_state: row.coupon_state.as_deref(),
            attempts: row.attempts,
            last_error: row.last_error.as_deref(),
        }
    }
}

/// What the notify route answers: a status and WeChat Pay's JSON body.
fn notify_answer(status: StatusCode, message: &str) -> (StatusCode, String) {
    if status.is_success() {
        (status, String::new())
    } else {
        (
            status,
            json!({ "code": "FAIL", "message": message }).to_string(),
        )
    }
}

impl BrandService {
    /// An instance over `store`, calling WeChat Pay with `client` and
    /// receiving notifications with `webhooks` — whose replay guard becomes
    /// the database's ([`DbReplayGuard`]), shared by every instance of the store.
    pub fn new(
        store: Store,
        client: BrandClient,
        webhooks: WebhookHandler,
        config: ServiceConfig,
    ) -> Self {
        let webhooks = webhooks.with_replay_guard(Arc::new(DbReplayGuard::new(store.clone())));
        Self {
            inner: Arc::new(Inner {
                store,
                client,
                webhooks,
                config,
            }),
        }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// This instance's configuration.
    pub fn config(&self) -> &ServiceConfig {
        &self.inner.config
    }

    fn now(&self) -> i64 {
        self.inner.config.clock.now_unix()
    }

    /// The routes: `GET /health`, `POST /coupons`, `GET /coupons/{code}`,
    /// `POST /coupons/{code}/use` and `POST /wxpay/notify`.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/health", get(health))
            .route("/coupons", post(send_route))
            .route("/coupons/{code}", get(coupon_route))
            .route("/coupons/{code}/use", post(use_route))
            .route(NOTIFY_PATH, post(notify_route))
            .with_state(self.clone())
    }

    /// Serves the routes on `listener` until `shutdown` completes.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), Error> {
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(Error::io("serving HTTP"))
    }

    /// Sends a coupon: stores the send with a fresh `send_request_no` (or
    /// finds the one stored under `idempotency_key`) **before** calling
    /// WeChat Pay, then calls it unless the send is already settled. A lost
    /// answer leaves it pending; the same key again, or the recovery pass,
    /// sends it again with the same number.
    async fn send_coupon(
        &self,
        request: SendCouponRequest,
        idempotency_key: Option<String>,
    ) -> Result<SendOutcome, Problem> {
        check_field("openid", &request.openid, 128)?;
        check_field("product_coupon_id", &request.product_coupon_id, 64)?;
        check_field("stock_id", &request.stock_id, 64)?;
        let appid = request
            .appid
            .clone()
            .or_else(|| self.inner.config.default_appid.clone())
            .ok_or_else(|| {
                Problem::BadRequest(
                    "appid is missing (and no default AppID is configured: --appid)".to_owned(),
                )
            })?;
        check_field("appid", &appid, 64)?;
        if let Some(key) = &idempotency_key {
            check_field("the Idempotency-Key header", key, 128)?;
        }
        let spec = SendSpec {
            openid: request.openid,
            appid,
            product_coupon_id: request.product_coupon_id,
            stock_id: request.stock_id,
        };
        let store = &self.inner.store;
        let existing = match &idempotency_key {
            Some(key) => store.send_by_key(key).await?,
            None => None,
        };
        let (row, created) = match existing {
            Some(row) => (row, false),
            None => {
                let number = numbers::fresh("snd_")?;
                store
                    .insert_send(&number, idempotency_key.as_deref(), &spec, self.now())
                    .await?
            }
        };
        if row.spec != spec {
            return Err(Problem::Conflict(
                "this Idempotency-Key was used for another send".to_owned(),
            ));
        }
        let row = match row.state {
            SendState::Pending => self.attempt_send(row).await?,
            SendState::Sent | SendState::Failed => row,
        };
        Ok(SendOutcome { row, created })
    }

    /// One attempt of a pending send, with its stored number and body.
    async fn attempt_send(&self, row: SendRow) -> Result<SendRow, Error> {
        let store = &self.inner.store;
        let number = row.send_request_no.clone();
        store.note_send_attempt(&number, self.now()).await?;
        let request = SendUserProductCouponRequest::new(
            row.spec.openid.as_str(),
            SendUserProductCouponBody::new(
                row.spec.product_coupon_id.as_str(),
                row.spec.stock_id.as_str(),
                row.spec.appid.as_str(),
                number.as_str(),
            ),
        );
        match self.inner.client.call(&request).await {
            Ok(coupon) => {
                tracing::info!(
                    send_request_no = %number,
                    coupon_code = %coupon.coupon_code,
                    "coupon sent"
                );
                store
                    .settle_send(
                        &number,
                        SendState::Sent,
                        Some(coupon.coupon_code.as_str()),
                        coupon.coupon_state.as_ref().map(|s| s.as_str()),
                        None,
                        self.now(),
                    )
                    .await?;
            }
            Err(e) => {
                let failure = Failure::of(&e);
                let state = if failure.refused {
                    tracing::warn!(send_request_no = %number, error = %failure.message, "send refused");
                    SendState::Failed
                } else {
                    tracing::warn!(send_request_no = %number, error = %failure.message, "send not answered; it stays pending and is sent again with the same number");
                    SendState::Pending
                };
                store
                    .settle_send(
                        &number,
                        state,
                        None,
                        None,
                        Some(&failure.message),
                        self.now(),
                    )
                    .await?;
            }
        }
        store
            .send(&number)
            .await?
            .ok_or_else(|| Error::Corrupt("a stored send vanished".to_owned()))
    }

    /// Sends again, each with its stored number, the pending sends that last
    /// changed at least `older_than` ago (at most 100 a pass): those a crash
    /// or a lost answer left behind. WeChat Pay answers a number it already
    /// served with the coupon it sent then, so nothing is sent twice.
    pub async fn recover_pending_sends(&self, older_than: Duration) -> Result<Recovery, Error> {
        let age = i64::try_from(older_than.as_secs()).unwrap_or(i64::MAX);
        let rows = self
            .inner
            .store
            .pending_sends(self.now().saturating_sub(age), 100)
            .await?;
        let mut recovery = Recovery::default();
        for row in rows {
            let number = row.send_request_no.clone();
            match self.attempt_send(row).await?.state {
                SendState::Sent => recovery.sent += 1,
                SendState::Failed => recovery.failed += 1,
                SendState::Pending => recovery.still_pending += 1,
            }
            tracing::debug!(send_request_no = %number, "recovery: pending send retried");
        }
        if recovery != Recovery::default() {
            tracing::info!(
                sent = recovery.sent,
                failed = recovery.failed,
                still_pending = recovery.still_pending,
                "recovery pass over pending sends"
            );
        }
        Ok(recovery)
    }

    /// Runs [`recover_pending_sends`](Self::recover_pending_sends) now and then
    /// every `every`, for sends pending for at least `grace` — long enough for
    /// a send in flight on another instance to have finished, so that a
    /// recovery never races a live request.
    pub fn spawn_recovery(&self, every: Duration, grace: Duration) -> JoinHandle<()> {
        let service = self.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every.max(Duration::from_secs(1)));
            loop {
                ticks.tick().await;
                if let Err(e) = service.recover_pending_sends(grace).await {
                    tracing::warn!(error = %e, "recovery pass failed; retried on the next one");
                }
            }
        })
    }

    /// Uses coupon `coupon_code` for an order: stores the use with a fresh
    /// `out_request_no` and use time (or finds the one stored for the same
    /// coupon and order) before calling WeChat Pay, so a retry sends the same
    /// request and WeChat Pay answers it as the first time.
    async fn use_coupon(
        &self,
        coupon_code: &str,
        request: UseCouponRequest,
    ) -> Result<UseOutcome, Problem> {
        check_field("coupon code", coupon_code, 64)?;
        check_field("out_trade_no", &request.out_trade_no, 64)?;
        if let Some(id) = &request.transaction_id {
            check_field("transaction_id", id, 64)?;
        }
        if let Some(id) = &request.mchid {
            check_field("mchid", id, 32)?;
        }
        let store = &self.inner.store;
        let coupon = store.coupon(coupon_code).await?.ok_or_else(|| {
            Problem::NotFound(format!(
                "coupon {coupon_code} is not known here (neither sent by this service nor notified)"
            ))
        })?;
        let appid = coupon
            .appid
            .clone()
            .or_else(|| self.inner.config.default_appid.clone())
            .ok_or_else(|| {
                Problem::Conflict(format!(
                    "the AppID of coupon {coupon_code} is unknown (configure --appid)"
                ))
            })?;
        let order = UseSpec {
            out_trade_no: request.out_trade_no,
            transaction_id: request.transaction_id,
            mchid: request.mchid,
        };
        let now = self.now();
        let use_time = DateTime::from_unix_timestamp(now, 8 * 60)
            .map_err(|e| Error::Config(format!("the clock is out of range: {e}")))?
            .to_rfc3339();
        let number = numbers::fresh("use_")?;
        let (row, _) = store
            .insert_use(&number, coupon_code, &order, &use_time, now)
            .await?;
        if row.order != order {
            return Err(Problem::Conflict(format!(
                "coupon {coupon_code} has a use for order {} with other details",
                order.out_trade_no
            )));
        }
        if row.state == "used" {
            return Ok(UseOutcome { row, failure: None });
        }
        let body = UseUserProductCouponBody::new(
            coupon.product_coupon_id.as_str(),
            coupon.stock_id.as_str(),
            appid.as_str(),
            row.use_request_no.as_str(),
            row.use_time.as_str(),
        )
        .with_order(AssociatedOrderInfo {
            transaction_id: row.order.transaction_id.as_deref().map(Into::into),
            out_trade_no: Some(row.order.out_trade_no.as_str().into()),
            mchid: row.order.mchid.as_deref().map(Into::into),
            sub_mchid: None,
        });
        let request = UseUserProductCouponRequest::new(coupon.openid.as_str(), coupon_code, body);
        let (failure, coupon_state) = match self.inner.client.call(&request).await {
            Ok(used) => {
                tracing::info!(coupon_code, use_request_no = %row.use_request_no, "coupon used");
                (None, used.coupon_state.map(|s| s.as_str().to_owned()))
            }
            Err(e) => {
                let failure = Failure::of(&e);
                tracing::warn!(coupon_code, error = %failure.message, "use failed");
                (Some(failure), None)
            }
        };
        store
            .settle_use(
                &row.use_request_no,
                failure.is_none(),
                coupon_state.as_deref(),
                failure.as_ref().map(|f| f.message.as_str()),
                self.now(),
            )
            .await?;
        let row = store
            .use_for(coupon_code, &row.order.out_trade_no)
            .await?
            .ok_or_else(|| Error::Corrupt("a stored use vanished".to_owned()))?;
        Ok(UseOutcome { row, failure })
    }

    /// Verifies, deduplicates and acts on one notification delivery; the
    /// answer for WeChat Pay: 204 when it is handled (now or before), 401 for
    /// what does not verify (and replays), 503 while another instance is
    /// handling the same event, 500 when handling failed (WeChat Pay
    /// redelivers, and the next delivery to any instance tries again).
    pub async fn handle_notification(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> (StatusCode, String) {
        let result = self.inner.webhooks.handle_async(headers, body).await;
        let received = match result {
            Ok(received) => received,
            Err(e) => {
                match e.kind() {
                    ErrorKind::SignatureProbe => tracing::info!("signature probe rejected"),
                    ErrorKind::Replayed => tracing::info!(error = %e, "replayed delivery refused"),
                    _ => tracing::warn!(error = %e, "notification refused"),
                }
                let status = WebhookHandler::status_for(&Err(e));
                return notify_answer(status, "notification not processed");
            }
        };
        let notification = &received.notification;
        let event_type = notification.event_type.as_str();
        let outcome = match (received.event.as_send(), received.event.as_coupon_event()) {
            (Some(event), _) => self.confirm_sent(&notification.id, event_type, event).await,
            (None, Some(event)) => {
                let new = self.new_event(&notification.id, event_type, event, None);
                match self.inner.store.record_event(&new, self.now()).await {
                    Ok(first) => {
                        tracing::info!(event_type, coupon_code = %event.coupon_code, first, "coupon event recorded");
                        Ok(StatusCode::NO_CONTENT)
                    }
                    Err(e) => Err(e),
                }
            }
            (None, None) => {
                tracing::info!(event_type, id = %notification.id, "notification of a type this service does not act on");
                Ok(StatusCode::NO_CONTENT)
            }
        };
        match outcome {
            Ok(status) => notify_answer(status, "being processed by another instance; retry"),
            Err(e) => {
                tracing::error!(error = %e, id = %notification.id, "notification not processed (database)");
                notify_answer(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "notification not processed",
                )
            }
        }
    }

    fn new_event(
        &self,
        notification_id: &str,
        event_type: &str,
        event: &ProductCouponEvent,
        action_request_no: Option<String>,
    ) -> NewEvent {
        NewEvent {
            event_type: event_type.to_owned(),
            coupon_code: event.coupon_code.as_str().to_owned(),
            notification_id: notification_id.to_owned(),
            openid: event.openid.as_str().to_owned(),
            appid: event
                .appid
                .as_ref()
                .map(|a| a.as_str().to_owned())
                .or_else(|| self.inner.config.default_appid.clone()),
            product_coupon_id: event.product_coupon_id.as_str().to_owned(),
            stock_id: event.stock_id.as_str().to_owned(),
            action_request_no,
        }
    }

    /// A SEND event: claim it, confirm the coupon with the number derived from
    /// its code, record the outcome.
    async fn confirm_sent(
        &self,
        notification_id: &str,
        event_type: &str,
        event: &ProductCouponEvent,
    ) -> Result<StatusCode, Error> {
        let code = event.coupon_code.as_str();
        let new = self.new_event(
            notification_id,
            event_type,
            event,
            Some(numbers::confirm(code)),
        );
        let owner = self.inner.config.instance_id.as_str();
        let store = &self.inner.store;
        let row = match store
            .claim_event(&new, owner, self.now(), self.inner.config.claim_lease)
            .await?
        {
            Claim::Claimed(row) => row,
            Claim::Done(_) => {
                tracing::info!(
                    event_type,
                    coupon_code = code,
                    "duplicate notification: already handled"
                );
                return Ok(StatusCode::NO_CONTENT);
            }
            Claim::Busy(row) => {
                tracing::info!(
                    event_type,
                    coupon_code = code,
                    holder = row.claimed_by.as_deref().unwrap_or("-"),
                    "notification being handled by another worker"
                );
                return Ok(StatusCode::SERVICE_UNAVAILABLE);
            }
        };
        // The stored event (first receipt) is what every attempt confirms.
        let stored = &row.event;
        let number = stored
            .action_request_no
            .clone()
            .unwrap_or_else(|| numbers::confirm(code));
        let Some(appid) = stored.appid.as_deref() else {
            tracing::error!(
                coupon_code = code,
                "SEND notification without an AppID and no --appid: not confirmed"
            );
            store
                .finish_event(
                    (event_type, code),
                    owner,
                    self.now(),
                    "refused",
                    None,
                    Some("no AppID to confirm with"),
                )
                .await?;
            return Ok(StatusCode::NO_CONTENT);
        };
        let request = ConfirmSendUserProductCouponRequest::new(
            stored.openid.as_str(),
            code,
            ConfirmUserProductCouponBody::new(
                stored.product_coupon_id.as_str(),
                stored.stock_id.as_str(),
                appid,
                number.as_str(),
            ),
        );
        match self.inner.client.call(&request).await {
            Ok(coupon) => {
                let state = coupon.coupon_state.as_ref().map(|s| s.as_str());
                let still_ours = store
                    .finish_event(
                        (event_type, code),
                        owner,
                        self.now(),
                        "confirmed",
                        state,
                        None,
                    )
                    .await?;
                tracing::info!(coupon_code = code, confirm_request_no = %number, coupon_state = state.unwrap_or("-"), still_ours, "coupon confirmed");
                Ok(StatusCode::NO_CONTENT)
            }
            Err(e) => {
                let failure = Failure::of(&e);
                if failure.refused {
                    tracing::warn!(coupon_code = code, error = %failure.message, "confirm refused; recorded, not retried");
                    store
                        .finish_event(
                            (event_type, code),
                            owner,
                            self.now(),
                            "refused",
                            None,
                            Some(&failure.message),
                        )
                        .await?;
                    Ok(StatusCode::NO_CONTENT)
                } else {
                    tracing::warn!(coupon_code = code, error = %failure.message, "confirm failed; the next delivery retries it");
                    store
                        .release_event(event_type, code, owner, &failure.message)
                        .await?;
                    Ok(StatusCode::INTERNAL_SERVER_ERROR)
                }
            }
        }
    }
}

async fn health(State(service): State<BrandService>) -> Response {
    match tokio::time::timeout(Duration::from_secs(2), service.store().ping()).await {
        Ok(Ok(())) => (
            StatusCode::OK,
            Json(json!({ "status": "ok", "database": format!("{:?}", service.store().backend()).to_lowercase() })),
        )
            .into_response(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health: the database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "unavailable" }))).into_response()
        }
        Err(_) => {
            tracing::warn!("health: the database did not answer within 2 s");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "unavailable" }))).into_response()
        }
    }
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, Problem> {
    headers
        .get(IDEMPOTENCY_KEY)
        .map(|v| {
            v.to_str().map(str::to_owned).map_err(|_| {
                Problem::BadRequest("the Idempotency-Key header must be visible ASCII".to_owned())
            })
        })
        .transpose()
}

async fn send_route(
    State(service): State<BrandService>,
    headers: HeaderMap,
    body: Result<Json<SendCouponRequest>, JsonRejection>,
) -> Result<Response, Problem> {
    let Json(request) = body.map_err(|e| Problem::BadRequest(e.body_text()))?;
    let key = idempotency_key(&headers)?;
    // On its own task: a caller that hangs up does not leave the send pending
    // until the next recovery pass.
    let outcome = tokio::spawn(async move { service.send_coupon(request, key).await })
        .await
        .map_err(|e| {
            Problem::Unavailable(Error::Corrupt(format!("the send task failed: {e}")))
        })??;
    let status = match outcome.row.state {
        SendState::Sent if outcome.created => StatusCode::CREATED,
        SendState::Sent => StatusCode::OK,
        SendState::Pending => StatusCode::ACCEPTED,
        SendState::Failed => StatusCode::UNPROCESSABLE_ENTITY,
    };
    Ok((status, Json(SendView::of(&outcome.row))).into_response())
}

async fn coupon_route(
    State(service): State<BrandService>,
    Path(code): Path<String>,
) -> Result<Response, Problem> {
    check_field("coupon code", &code, 64)?;
    let store = service.store();
    let send = store.send_of_coupon(&code).await?;
    let events = store.events_of(&code).await?;
    let uses = store.uses_of(&code).await?;
    if send.is_none() && events.is_empty() {
        return Err(Problem::NotFound(format!(
            "coupon {code} is not known here"
        )));
    }
    Ok(Json(json!({
        "coupon_code": code,
        "send": send.as_ref().map(SendView::of),
        "events": events.iter().map(EventView::of).collect::<Vec<_>>(),
        "uses": uses.iter().map(UseView::of).collect::<Vec<_>>(),
    }))
    .into_response())
}

async fn use_route(
    State(service): State<BrandService>,
    Path(code): Path<String>,
    body: Result<Json<UseCouponRequest>, JsonRejection>,
) -> Result<Response, Problem> {
    let Json(request) = body.map_err(|e| Problem::BadRequest(e.body_text()))?;
    let outcome = service.use_coupon(&code, request).await?;
    let view = serde_json::to_value(UseView::of(&outcome.row))
        .map_err(|e| Problem::Unavailable(Error::Corrupt(e.to_string())))?;
    Ok(match outcome.failure {
        None => (StatusCode::OK, Json(view)).into_response(),
        Some(failure) => {
            let status = if failure.refused {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::BAD_GATEWAY
            };
            let mut body = error_body(&failure.code, &failure.message);
            body["use"] = view;
            (status, Json(body)).into_response()
        }
    })
}

async fn notify_route(
    State(service): State<BrandService>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    // On its own task: a sender that hangs up (WeChat Pay gives up after 5 s)
    // does not cancel a confirm half-way, leaving its claim to the lease.
    let task = tokio::spawn(async move { service.handle_notification(&headers, &body).await });
    match task.await {
        Ok(answer) => answer,
        Err(e) => {
            tracing::error!(error = %e, "notification task failed");
            notify_answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                "notification not processed",
            )
        }
    }
}
