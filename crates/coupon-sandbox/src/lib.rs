//! A local WeChat Pay look-alike for the product-coupon (商品券) API, in the
//! spirit of stripe-mock — but it really signs, and it keeps state: a coupon
//! lives its whole life in it.
//!
//! [`Sandbox`] is an HTTP server on a loopback port that serves **every
//! operation of the table** ([`coupon_model::operations`]), on the brand side
//! (`/brand/marketing/product-coupon/…`) and on the partner side
//! (`/v3/marketing/partner/product-coupon/…`), over one in-memory state that
//! starts from [seeded data](seed): product coupons (created with their first
//! stock or stock bundle; get, update, deactivate), stocks (create, get, list,
//! update, budgets, deactivate, stores, coupon-code upload), stock bundles,
//! user coupons (pre-send, send, confirm, use, return, deactivate, get, list),
//! notify configs, image upload and the partner-only image tasks and coupon
//! bundles. `docs/sandbox.md` describes every state, transition, refusal and
//! choice made where WeChat Pay's documentation is silent.
//!
//! Like WeChat Pay it
//! - verifies every request's `Authorization` over the raw path-and-query and
//!   body bytes (image upload: its `meta` part): the brand scheme
//!   (`WECHATPAY-BRAND-SHA256-RSA2048`) on `/brand/…`, the merchant scheme
//!   (`WECHATPAY2-SHA256-RSA2048`) on `/v3/…`, the right `brand_id`/`mchid`
//!   and certificate serial, a timestamp within ±300 s — otherwise
//!   `401 SIGN_ERROR` with a message saying what was wrong; brand calls must
//!   also send `Wechatpay-Serial` naming a WeChat Pay key the sandbox holds —
//!   its public key id, or a certificate serial (`400 PARAM_ERROR`
//!   otherwise); a body must come with
//!   `Content-Type: application/json` (image upload: `multipart/form-data`)
//!   and an `Accept` header, if sent, must allow `application/json`
//!   (`400 INVALID_REQUEST` otherwise);
//! - signs every response, errors included, with its own WeChat Pay key — the
//!   one the request's `Wechatpay-Serial` names when it holds it — and
//!   sends every header WeChat Pay sends: `Wechatpay-Timestamp/Nonce/Signature/Serial`,
//!   `Wechatpay-Signature-Type: WECHATPAY2-SHA256-RSA2048` (third-party SDKs
//!   such as wechatpayv3 refuse answers without it), `Request-ID` — ending in
//!   `-<number>` for refusals WeChat Pay documents an error number for
//!   (`…-268578367` 用户券状态非法) — and `Content-Type: application/json`;
//! - parses bodies into `coupon-model`'s body types (`400 PARAM_ERROR` with
//!   `detail.field` the JSON pointer of a missing or mistyped field) and
//!   validates them with its rules, with the stored product coupon as context
//!   (`400 INVALID_REQUEST` naming the broken rules);
//! - takes the partner side's `brand_id` (body, or query for reads) and
//!   refuses a brand that has not authorised the service provider, and any
//!   brand's call on another brand's objects, with `403 NO_AUTH`;
//! - replays every request number (`out_request_no`, `send_request_no`): the
//!   same request gets the first answer byte for byte, another request under
//!   the same number `400 ALREADY_EXISTS` (`…-268578927`);
//! - enforces the lifecycle: only `SENDING` stocks send (`…-268577984`),
//!   within `max_count`, `max_count_per_day` (days turn at midnight
//!   Asia/Shanghai) and `max_count_per_user` (`…-272756740`); UPLOAD stocks
//!   send only uploaded codes; a coupon is `CONFIRMING` until confirmed,
//!   `PENDING`/`EFFECTIVE`/`EXPIRED` by its validity, used once
//!   (`…-272756745` for another order), returned to `EFFECTIVE`, deactivated —
//!   every refusal a signed 4xx with a `code` and a `message` saying why, and
//!   nothing changed;
//! - computes every time-driven state from the injected [`Clock`]: the review
//!   delay of new product coupons and stocks ([`SandboxBuilder::review_delay`],
//!   default: reviewed at once), validity, daily budgets, pre-send tokens;
//! - paginates every list with opaque tokens (`total_count` only on the first
//!   page, `next_page_token` only when more remain, a token from another query
//!   → `400 PARAM_ERROR`), `page_size` 1..=50 (default 20);
//! - POSTs a signed, encrypted `PRODUCT_COUPON.SEND` notification (the service
//!   provider's `PRODUCT_COUPON_SP.SEND`, with `brand_id`, for partner sends)
//!   to the notify URL of each send, redelivering the same notification until
//!   it is answered 2xx ([`WebhookRetry`]); every delivery is logged
//!   ([`Sandbox::deliveries`], the [admin] channel);
//! - holds WeChat Pay public keys, platform certificates or both
//!   ([`WechatPayKeyMode`], [`SandboxBuilder::wechatpay_keys`]) and serves
//!   `GET /v3/certificates` ([`CERTIFICATES_PATH`]): real X.509 certificates
//!   for its keys, each encrypted with the APIv3 key as WeChat Pay does
//!   (`404 NOT_FOUND` in the public-key mode); rotates its key on demand —
//!   now or after a number of requests — keeping the old key for requests
//!   that name it until it is retired ([`Sandbox::rotate_wechatpay_key`],
//!   [`KeyRotation`], [`Sandbox::retire_wechatpay_key`], the [admin]
//!   channel);
//! - keeps its state in a JSON file if asked ([`SandboxBuilder::state_file`]);
//! - injects [faults](Fault) on demand, and builds or POSTs any
//!   [webhook](Sandbox::send_webhook) on request.
//!
//! It binds loopback addresses only and never talks to anything else, and it
//! does not trust its peers:
//! - a request's head is authenticated (path prefix, `Authorization` scheme,
//!   identity, certificate serial, timestamp window) **before** any body byte is
//!   read; the signature, which covers the body, is checked once the body is in;
//! - bodies are limited to [`DEFAULT_MAX_BODY_BYTES`] (1 MiB; image uploads
//!   to [`DEFAULT_MAX_UPLOAD_BODY_BYTES`], the API's 2 MiB image plus its
//!   multipart form; a larger declared `Content-Length` is refused unread) and
//!   must arrive within
//!   [`DEFAULT_BODY_READ_TIMEOUT`] (30 s);
//! - a request head must arrive within [`DEFAULT_HEADER_READ_TIMEOUT`] (30 s), a
//!   connection without traffic and without a request in progress is closed
//!   after [`DEFAULT_IDLE_TIMEOUT`] (60 s), and at most
//!   [`DEFAULT_MAX_CONNECTIONS`] (256) connections are served at once — one
//!   over the cap is closed as soon as it is accepted. All are
//!   [`SandboxBuilder`] options;
//! - notifications go to `http://` URLs on loopback hosts only (others are
//!   logged as refused), and a receiver's answer is read up to
//!   [`MAX_WEBHOOK_ANSWER_BYTES`];
//! - the keys directory is written and read without following links, only in
//!   a private directory of the current user, never overwriting a key file
//!   (see [`Credentials::write_keys_dir`]).
//!
//! # Example: send a coupon and receive its notification
//! ```
//! use std::sync::Arc;
//!
//! use coupon_sandbox::{Sandbox, WebhookReceiver, seed};
//! use http_body_util::{BodyExt as _, Full};
//! use hyper_util::client::legacy::Client;
//! use hyper_util::rt::TokioExecutor;
//! use wxpay_sign::{Clock, ManualClock, SignableRequest};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
//! runtime.block_on(async {
//!     // Notifications go to a local endpoint; time is whatever the test says
//!     // (15 July 2025: the seeded stock 1000000013007 is sending then).
//!     let receiver = WebhookReceiver::start(|_, _| http::StatusCode::NO_CONTENT).await?;
//!     let clock = Arc::new(ManualClock::new(1_752_537_600));
//!     let sandbox = Sandbox::builder()
//!         .clock(clock.clone())
//!         .notify_url(receiver.url())
//!         .start()
//!         .await?;
//!     let creds = sandbox.credentials();
//!
//!     // Sign a brand call exactly as a client would, on the sandbox's clock.
//!     let path = "/brand/marketing/product-coupon/users/oExampleUser-0000000000001/coupons";
//!     let body = serde_json::to_vec(&serde_json::json!({
//!         "product_coupon_id": seed::PRODUCT_COUPON_ID,
//!         "stock_id": "1000000013007",
//!         "appid": seed::APPID,
//!         "send_request_no": "example_send_0001"
//!     }))?;
//!     let auth = creds.brand_signer().sign(
//!         &SignableRequest::new("POST", path, &body),
//!         clock.now_unix(),
//!         &wxpay_sign::generate_nonce(),
//!     )?;
//!     let request = http::Request::post(format!("{}{path}", sandbox.base_url()))
//!         .header("Authorization", auth.to_header_value())
//!         .header("Wechatpay-Serial", &creds.wechatpay_public_key_id)
//!         .header("Content-Type", "application/json")
//!         .header("Accept", "application/json")
//!         .body(Full::new(bytes::Bytes::from(body)))?;
//!     let client = Client::builder(TokioExecutor::new()).build_http();
//!     let response = client.request(request).await?;
//!     assert_eq!(response.status(), 200);
//!     assert_eq!(response.headers()["wechatpay-signature-type"], "WECHATPAY2-SHA256-RSA2048");
//!     let headers = response.headers().clone();
//!     let answer = response.into_body().collect().await?.to_bytes();
//!     sandbox.verifier()?.verify_headers(&headers, &answer)?;
//!     let coupon: serde_json::Value = serde_json::from_slice(&answer)?;
//!     assert_eq!(coupon["coupon_state"], "CONFIRMING");
//!
//!     // Its SEND notification arrives, signed like every answer.
//!     let notification = receiver.next().await.ok_or("no notification")?;
//!     sandbox.verifier()?.verify_headers(&notification.headers, &notification.body)?;
//!     let log = sandbox.settled_deliveries().await;
//!     assert_eq!(log[0].coupon_code.as_deref(), coupon["coupon_code"].as_str());
//!     sandbox.shutdown().await;
//!     Ok::<_, Box<dyn std::error::Error>>(())
//! })
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod admin;
mod certificates;
mod credentials;
mod delivery;
mod dispatch;
mod engine;
mod error;
mod fault;
mod keysdir;
mod ops;
mod paging;
mod persist;
mod receiver;
mod respond;
mod rng;
mod schema;
pub mod seed;
mod server;
mod state;
mod timeutil;
mod webhook;
mod wechatpay_keys;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use coupon_model::product_coupon::ProductCoupon;
use coupon_model::stock::Stock;
use coupon_model::user_coupon::{UserCoupon, UserCouponState};
use coupon_model::webhook::ProductCouponSendEvent;
use http::{HeaderMap, StatusCode};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use wxpay_sign::{Clock, PlatformCertificate, PrivateKey, SystemClock, Verifier};

pub use credentials::{
    BRAND_PRIVATE_KEY_FILE, Credentials, DEFAULT_BRAND_ID, DEFAULT_MCHID, ENV_FILE,
    MCH_PRIVATE_KEY_FILE, SANDBOX_WXPAY_PRIVATE_KEY_FILE, WXPAY_PUBLIC_KEY_FILE,
};
pub use delivery::{Delivery, DeliveryAttempt, DeliveryOutcome, WebhookRetry};
pub use error::{Error, Result};
pub use fault::Fault;
pub use keysdir::MAX_KEYS_FILE_BYTES;
pub use paging::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
pub use persist::{MAX_STATE_FILE_BYTES, STATE_FILE_FORMAT, STATE_FILE_VERSION};
pub use receiver::{Received, WebhookReceiver};
pub use webhook::{
    EVENT_TYPE_SEND, MAX_WEBHOOK_ANSWER_BYTES, ORIGINAL_TYPE, SEND_TIMEOUT, SIGNATURE_TYPE,
    WebhookOptions, build_webhook, check_webhook_url, notification_body, notification_id,
    post_webhook, post_webhook_within, send_event_for, sign_notification,
};
pub use wechatpay_keys::{
    CERTIFICATE_BACKDATE, DEFAULT_CERTIFICATE_VALIDITY, WechatPayKeyInfo, WechatPayKeyKind,
    WechatPayKeyMode,
};

/// The event type of the service provider's coupon-received notification
/// (the payload then carries `brand_id`).
pub const EVENT_TYPE_SP_SEND: &str = ops::EVENT_SP_SEND;
/// How long a pre-send token can be claimed (5 minutes).
pub const PRE_SEND_TTL: Duration = Duration::from_secs(ops::user_coupons::PRE_SEND_TTL_SECS as u64);

use crate::server::{Shared, lock};

pub use server::{
    DEFAULT_BODY_READ_TIMEOUT, DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_UPLOAD_BODY_BYTES,
};

/// The path of the platform-certificate download the sandbox serves.
pub const CERTIFICATES_PATH: &str = server::CERTIFICATES_PATH;

/// The `Wechatpay-Serial` the sandbox sends under [`Fault::WrongSerial`].
pub const WRONG_SERIAL: &str = server::WRONG_SERIAL;
/// The state of product coupons (`AUDITING`) and stocks created through the
/// API until their review delay has passed (see [`SandboxBuilder::review_delay`]).
pub const NEW_STOCK_STATE: &str = "AUDITING";

/// A running sandbox. Dropping it stops the server (in the background);
/// [`Sandbox::shutdown`] stops it and waits.
///
/// The server runs on the Tokio runtime that started it.
pub struct Sandbox {
    shared: Arc<Shared>,
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("addr", &self.addr)
            .field("credentials", &self.shared.creds)
            .finish_non_exhaustive()
    }
}

/// Configures a [`Sandbox`]: listen address, credentials, clock, and the
/// server's bounds (timeouts, connection cap, body size).
#[derive(Debug)]
pub struct SandboxBuilder {
    listen: SocketAddr,
    credentials: Option<Credentials>,
    clock: Option<Arc<dyn Clock>>,
    limits: server::Limits,
    engine: engine::EngineConfig,
    key_mode: WechatPayKeyMode,
    certificate_validity: Duration,
}

impl Default for SandboxBuilder {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            credentials: None,
            clock: None,
            limits: server::Limits::default(),
            engine: engine::EngineConfig::default(),
            key_mode: WechatPayKeyMode::default(),
            certificate_validity: DEFAULT_CERTIFICATE_VALIDITY,
        }
    }
}

impl SandboxBuilder {
    /// Where to listen (default `127.0.0.1:0`, a free port). Non-loopback
    /// addresses are refused by [`SandboxBuilder::start`].
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Use these credentials instead of generating fresh ones (generation
    /// costs three RSA key pairs; share one set across tests).
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// The clock for request timestamp checks and response timestamps
    /// (default: the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// How long a client has to send a request's head (request line and
    /// headers) once the server waits for one, HTTP/1 (default
    /// [`DEFAULT_HEADER_READ_TIMEOUT`], 30 s). The connection is closed when it
    /// runs out.
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.limits.header_read_timeout = timeout;
        self
    }

    /// How long the body of an authenticated request has to arrive in full
    /// (default [`DEFAULT_BODY_READ_TIMEOUT`], 30 s); a late body gets
    /// `400 PARAM_ERROR`.
    pub fn body_read_timeout(mut self, timeout: Duration) -> Self {
        self.limits.body_read_timeout = timeout;
        self
    }

    /// How long a connection may go without a byte in either direction while no
    /// request is in progress before it is closed (default
    /// [`DEFAULT_IDLE_TIMEOUT`], 60 s).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.limits.idle_timeout = timeout;
        self
    }

    /// How many connections are served at once (default
    /// [`DEFAULT_MAX_CONNECTIONS`], 256; at least 1). A connection over the cap
    /// is closed as soon as it is accepted, never queued.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.limits.max_connections = max.max(1);
        self
    }

    /// The largest request body read (default [`DEFAULT_MAX_BODY_BYTES`],
    /// 1 MiB; image uploads: see
    /// [`max_upload_body_bytes`](Self::max_upload_body_bytes)). A larger
    /// declared `Content-Length` is refused before reading; a longer body
    /// stops being read at the limit. Either way `400 PARAM_ERROR`.
    pub fn max_body_bytes(mut self, max: usize) -> Self {
        self.limits.max_body_bytes = max;
        self
    }

    /// The largest image-upload body read (default
    /// [`DEFAULT_MAX_UPLOAD_BODY_BYTES`]: the API's 2 MiB image limit plus
    /// 64 KiB of multipart form; never below
    /// [`max_body_bytes`](Self::max_body_bytes)). Only `upload-image` takes
    /// bodies this large: every other request stays within `max_body_bytes`.
    pub fn max_upload_body_bytes(mut self, max: usize) -> Self {
        self.limits.max_upload_body_bytes = max;
        self
    }

    /// Which WeChat Pay keys the sandbox signs with (default
    /// [`WechatPayKeyMode::Both`]): public keys only (`/v3/certificates`
    /// answers 404), platform certificates only, or both. The credentials'
    /// WeChat Pay key pair is the public key (`wechatpay_public_key_id`) and
    /// the first certificate.
    pub fn wechatpay_keys(mut self, mode: WechatPayKeyMode) -> Self {
        self.key_mode = mode;
        self
    }

    /// How long the platform certificates the sandbox issues (at start and at
    /// each rotation) are valid from the moment they are issued, on the
    /// sandbox's clock (default [`DEFAULT_CERTIFICATE_VALIDITY`], five
    /// years). Each is also valid from [`CERTIFICATE_BACKDATE`] before it.
    /// The sandbox never replaces an expired certificate by itself: it keeps
    /// signing with it, and clients refuse its answers
    /// (`CertificateExpired`), until it is rotated.
    pub fn certificate_validity(mut self, validity: Duration) -> Self {
        self.certificate_validity = validity;
        self
    }

    /// How long product coupons and stocks created through the API stay
    /// `AUDITING`, on the sandbox's clock (default: zero — reviewed at once,
    /// so the create answer already shows `EFFECTIVE` / `SENDING`). Rounded up
    /// to whole seconds.
    pub fn review_delay(mut self, delay: Duration) -> Self {
        self.engine.review_delay = delay;
        self
    }

    /// The notify URL of the brands and of the service provider at start (as
    /// if each had called set-notify-config; calls can change it). Only
    /// `http://` URLs on loopback hosts receive notifications; others are
    /// logged as refused deliveries.
    pub fn notify_url(mut self, url: impl Into<String>) -> Self {
        self.engine.notify_url = Some(url.into());
        self
    }

    /// Keeps the state in `path` (JSON, see [`STATE_FILE_FORMAT`]): loaded at
    /// start when the file exists, saved after every change and at shutdown,
    /// always atomically. A file that is not this sandbox's state (corrupt,
    /// foreign, another version or another identity's) fails the start with
    /// [`Error::StateFile`] and is left untouched.
    pub fn state_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.engine.state_file = Some(path.into());
        self
    }

    /// Starts from the seeded state even when the state file holds one (it
    /// is overwritten — unless it is not a sandbox state file, which is still
    /// refused).
    pub fn fresh_state(mut self, fresh: bool) -> Self {
        self.engine.fresh_state = fresh;
        self
    }

    /// How notifications are redelivered (default [`WebhookRetry::default`]:
    /// after 1 s, doubling up to 10 minutes, 15 attempts, 5 s to answer).
    pub fn webhook_retry(mut self, retry: WebhookRetry) -> Self {
        self.engine.retry = retry;
        self
    }

    /// Binds, seeds (or loads the state file) and starts serving on the
    /// current Tokio runtime.
    pub async fn start(self) -> Result<Sandbox> {
        if !self.listen.ip().is_loopback() {
            return Err(Error::NonLoopbackListen { addr: self.listen });
        }
        let creds = match self.credentials {
            Some(c) => c,
            None => tokio::task::spawn_blocking(Credentials::generate)
                .await
                .map_err(|e| Error::Internal(format!("key generation task failed: {e}")))??,
        };
        let clock = self.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let keys = Arc::new(wechatpay_keys::KeyRing::new(
            &creds,
            self.key_mode,
            self.certificate_validity,
            clock.now_unix(),
        )?);
        let store = engine::Store::new(&creds, keys.clone(), clock.clone(), self.engine)?;
        let listener = TcpListener::bind(self.listen)
            .await
            .map_err(|source| Error::Bind {
                addr: self.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| Error::Bind {
            addr: self.listen,
            source,
        })?;
        let prefix = credentials::random_hex::<6>()?;
        let shared = Arc::new(Shared::new(creds, clock, keys, store, prefix, self.limits));
        let (shutdown, shutdown_rx) = watch::channel(false);
        let task = tokio::spawn(server::accept_loop(listener, shared.clone(), shutdown_rx));
        tracing::info!(%addr, wechatpay_keys = %self.key_mode, "sandbox: listening");
        Ok(Sandbox {
            shared,
            addr,
            shutdown,
            task: Some(task),
        })
    }
}

impl Sandbox {
    /// Starts a sandbox on `127.0.0.1` (a free port) with freshly generated credentials.
    pub async fn start() -> Result<Sandbox> {
        Self::builder().start().await
    }

    /// A builder for listen address, credentials and clock.
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The identities the sandbox accepts and its WeChat Pay key pair.
    pub fn credentials(&self) -> &Credentials {
        &self.shared.creds
    }

    /// The clock the sandbox checks and signs with.
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.shared.clock.clone()
    }

    /// A verifier holding the sandbox's WeChat Pay keys now (public keys and
    /// platform certificates, retired ones excepted), on the sandbox's clock.
    pub fn verifier(&self) -> Result<Verifier> {
        Verifier::builder()
            .keys(self.shared.keys.key_set())
            .clock(self.shared.clock.clone())
            .build()
            .map_err(Error::crypto("building a verifier"))
    }

    /// The kinds of WeChat Pay key the sandbox signs with.
    pub fn wechatpay_key_mode(&self) -> WechatPayKeyMode {
        self.shared.keys.mode()
    }

    /// Every WeChat Pay key of the sandbox, oldest first, retired ones
    /// included (public material only).
    pub fn wechatpay_keys(&self) -> Vec<WechatPayKeyInfo> {
        self.shared.keys.infos()
    }

    /// The platform certificates `/v3/certificates` delivers now, newest
    /// first (none in the public-key mode).
    pub fn platform_certificates(&self) -> Vec<PlatformCertificate> {
        self.shared.keys.certificates()
    }

    /// Rotates the sandbox's WeChat Pay key now, with a freshly generated
    /// key pair: see [`Sandbox::rotate_wechatpay_key_with`].
    pub async fn rotate_wechatpay_key(&self) -> Result<WechatPayKeyInfo> {
        self.rotate_wechatpay_key_with(KeyRotation::new())
            .await?
            .ok_or_else(|| Error::Internal("a rotation without delay was not made".into()))
    }

    /// Rotates the sandbox's WeChat Pay key as `rotation` says: adds a new
    /// key — a platform certificate (new serial, valid from now for
    /// [`certificate_validity`](SandboxBuilder::certificate_validity)) in the
    /// certificates and both modes, a public key (new `PUB_KEY_ID_…`) in the
    /// public-key mode — and makes it the **default**: it signs the answers to
    /// requests naming no key or naming it, and the notifications (brand
    /// notifications keep a public key when there is one). The keys of before
    /// stay valid for requests that name them (old and new in flight) until
    /// retired ([`KeyRotation::retire_previous`],
    /// [`Sandbox::retire_wechatpay_key`]).
    ///
    /// Returns the new key, or `None` when the rotation waits for
    /// [`KeyRotation::after_requests`] requests (it is made as the last of
    /// them arrives, which is still answered with the keys of before).
    pub async fn rotate_wechatpay_key_with(
        &self,
        rotation: KeyRotation,
    ) -> Result<Option<WechatPayKeyInfo>> {
        let key = match rotation.key {
            Some(key) => key,
            None => tokio::task::spawn_blocking(PrivateKey::generate)
                .await
                .map_err(|e| Error::Internal(format!("key generation task failed: {e}")))?
                .map_err(Error::crypto("generating an RSA key"))?,
        };
        self.shared.keys.schedule_rotation(
            rotation.after_requests,
            key,
            rotation.retire_previous,
            self.shared.clock.now_unix(),
        )
    }

    /// Retires the WeChat Pay key `id` (a `PUB_KEY_ID_…` or a certificate
    /// serial): it is withdrawn — no longer listed by `/v3/certificates`,
    /// accepted as a brand call's `Wechatpay-Serial`, or used to sign answers
    /// and notifications (requests naming it get the default key). Only a
    /// certificate download naming it is still signed with it, so that a
    /// client holding nothing else fetches its successor under a signature it
    /// trusts. The default key, and the last key of its kind, cannot be
    /// retired: rotate first.
    pub fn retire_wechatpay_key(&self, id: &str) -> Result<WechatPayKeyInfo> {
        self.shared.keys.retire(id)
    }

    /// Queues `fault` for the next `times` requests (after any faults already
    /// queued). Each request consumes one queued fault; see [`Fault`] for
    /// which ones apply before or after the request takes effect.
    pub fn inject(&self, fault: Fault, times: u32) {
        lock(&self.shared.faults).push(fault, times);
    }

    /// Removes every queued fault.
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    /// How many fault uses are still queued.
    pub fn pending_faults(&self) -> u64 {
        lock(&self.shared.faults).pending()
    }

    /// How many connections are open now (at most the builder's
    /// [`max_connections`](SandboxBuilder::max_connections)).
    pub fn open_connections(&self) -> usize {
        let limits = &self.shared.limits;
        limits
            .max_connections
            .clamp(1, tokio::sync::Semaphore::MAX_PERMITS)
            .saturating_sub(self.shared.connections.available_permits())
    }

    /// Runs one request through the same pipeline as the HTTP server — queued
    /// faults, authentication of the head, the bounded body read, routing,
    /// handlers and response signing — without a socket (fuzzing, tests).
    ///
    /// Returns `None` when the request consumed [`Fault::DropConnection`] or
    /// [`Fault::DropConnectionBeforeHandling`] (the server would close the
    /// connection without answering). Counts in [`Sandbox::requests_seen`].
    pub async fn serve_in_process(
        &self,
        request: http::Request<bytes::Bytes>,
    ) -> Option<http::Response<bytes::Bytes>> {
        use http_body_util::BodyExt as _;
        let drop_signal = Arc::new(tokio::sync::Notify::new());
        let request = request.map(http_body_util::Full::new);
        let answer = tokio::select! {
            answer = server::handle(self.shared.clone(), drop_signal.clone(), request) => answer,
            () = drop_signal.notified() => return None,
        };
        let (parts, body) = match answer {
            Ok(response) => response.into_parts(),
            Err(never) => match never {},
        };
        let body = match body.collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(never) => match never {},
        };
        Some(http::Response::from_parts(parts, body))
    }

    /// How many HTTP requests reached the sandbox so far (all paths, all outcomes).
    pub fn requests_seen(&self) -> u64 {
        self.shared.requests_seen.load(Ordering::SeqCst)
    }

    /// How many of them were certificate downloads (`/v3/certificates`, all
    /// outcomes, faults included).
    pub fn certificate_requests(&self) -> u64 {
        self.shared.certificate_requests.load(Ordering::SeqCst)
    }

    /// How many stocks `product_coupon_id` has now (seeded + created).
    pub fn stock_count(&self, product_coupon_id: &str) -> usize {
        self.shared.store.stock_count(product_coupon_id)
    }

    /// The stocks of `product_coupon_id`, in creation order, as a read shows
    /// them now (state, sent counters, code counts).
    pub fn stocks(&self, product_coupon_id: &str) -> Vec<Stock> {
        self.shared.store.stocks_of(product_coupon_id)
    }

    /// The stock `stock_id` as a read shows it now.
    pub fn stock(&self, stock_id: &str) -> Option<Stock> {
        self.shared.store.stock(stock_id)
    }

    /// The product coupon as a read shows it now.
    pub fn product_coupon(&self, product_coupon_id: &str) -> Option<ProductCoupon> {
        self.shared.store.product_coupon(product_coupon_id)
    }

    /// The coupons `openid` holds (of every brand), in receive order, as a
    /// read shows them now.
    pub fn user_coupons(&self, openid: &str) -> Vec<UserCoupon> {
        self.shared.store.user_coupons_of(openid)
    }

    /// The coupon `coupon_code` of `openid`, as a read shows it now.
    pub fn user_coupon(&self, openid: &str, coupon_code: &str) -> Option<UserCoupon> {
        self.user_coupons(openid)
            .into_iter()
            .find(|c| c.coupon_code.as_str() == coupon_code)
    }

    /// The notification delivery log, oldest first.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.shared.store.deliveries()
    }

    /// Waits until no notification delivery is pending (each has been
    /// delivered, given up on, refused or interrupted), then returns the log.
    pub async fn settled_deliveries(&self) -> Vec<Delivery> {
        self.shared.store.settled_deliveries().await
    }

    /// Back to the seeded state (with the builder's notify URL): every object
    /// created since is gone, pending deliveries stop and the log is emptied.
    pub fn reset(&self) -> Result<()> {
        self.shared.store.reset(&self.shared.creds)
    }

    /// Writes the state file now (a no-op without one; it is also written
    /// after every change and at shutdown).
    pub async fn save_state(&self) -> Result<()> {
        self.shared.store.save().await
    }

    /// Pauses a `SENDING` stock, as the brand platform does (the API has no
    /// endpoint for it); sends from it are then refused.
    pub fn pause_stock(&self, stock_id: &str) -> Result<Stock> {
        self.shared.store.set_paused(stock_id, true)
    }

    /// Resumes a `PAUSED` stock (the brand platform's part).
    pub fn resume_stock(&self, stock_id: &str) -> Result<Stock> {
        self.shared.store.set_paused(stock_id, false)
    }

    /// The user deletes a `PENDING` or `EFFECTIVE` coupon from the WeChat
    /// wallet (the part WeChat plays; the API has no endpoint for it): it is
    /// `DELETED` from then on, and WeChat Pay sends no notification.
    pub fn delete_user_coupon(&self, openid: &str, coupon_code: &str) -> Result<UserCoupon> {
        self.shared.store.delete_coupon(openid, coupon_code)
    }

    /// The user claims a pre-sent coupon in the receive component (the part
    /// WeChat plays): the coupon of the pre-send `token` is sent with channel
    /// `RECEIVE_COMPONENT`, with the same checks and notification as a send.
    /// Refused when the token is unknown, claimed or older than [`PRE_SEND_TTL`].
    pub fn claim_pre_sent_coupon(&self, token: &str) -> Result<UserCoupon> {
        self.shared.store.claim_pre_sent(token)
    }

    /// The SEND event of the seeded user's coupon `coupon_code`.
    pub fn send_event_for(&self, coupon_code: &str) -> Result<ProductCouponSendEvent> {
        let coupons = self.user_coupons(seed::OPENID);
        let coupon = coupons
            .iter()
            .find(|c| c.coupon_code.as_str() == coupon_code)
            .ok_or_else(|| {
                Error::NotFound(format!(
                    "no seeded coupon {coupon_code:?} for {}; see Sandbox::user_coupons",
                    seed::OPENID
                ))
            })?;
        Ok(send_event_for(
            &self.shared.creds.brand_id,
            seed::OPENID,
            seed::APPID,
            coupon,
        ))
    }

    /// The SEND event of the seeded user's first `EFFECTIVE` coupon.
    pub fn sample_send_event(&self) -> Result<ProductCouponSendEvent> {
        let coupons = self.user_coupons(seed::OPENID);
        let coupon = coupons
            .iter()
            .find(|c| c.coupon_state == Some(UserCouponState::Effective))
            .or(coupons.first())
            .ok_or_else(|| Error::NotFound(format!("no seeded coupon for {}", seed::OPENID)))?;
        Ok(send_event_for(
            &self.shared.creds.brand_id,
            seed::OPENID,
            seed::APPID,
            coupon,
        ))
    }

    /// The headers and body of the webhook for `event`, signed now (see
    /// [`build_webhook`]) with the key of a notification to the brand: the
    /// newest public key, or the default key when the sandbox has none.
    pub fn build_webhook(
        &self,
        event: &ProductCouponSendEvent,
        options: WebhookOptions,
    ) -> Result<(HeaderMap, Vec<u8>)> {
        let signer = self
            .shared
            .keys
            .notification_signer(true)
            .ok_or_else(|| Error::Internal("the sandbox holds no WeChat Pay key".into()))?;
        webhook::build_webhook_with(
            &self.shared.creds,
            &signer,
            self.shared.clock.now_unix(),
            event,
            options,
        )
    }

    /// POSTs a valid `PRODUCT_COUPON.SEND` webhook for `event` to `url`
    /// (`http://` on a loopback host only) and returns the receiver's status.
    pub async fn send_webhook(
        &self,
        url: &str,
        event: &ProductCouponSendEvent,
    ) -> Result<StatusCode> {
        self.send_webhook_with(url, event, WebhookOptions::new())
            .await
    }

    /// [`Sandbox::send_webhook`] with [`WebhookOptions`] (e.g. a signature probe).
    pub async fn send_webhook_with(
        &self,
        url: &str,
        event: &ProductCouponSendEvent,
        options: WebhookOptions,
    ) -> Result<StatusCode> {
        let (headers, body) = self.build_webhook(event, options)?;
        post_webhook(url, headers, body).await
    }

    /// Stops accepting, lets open connections finish (at most ~10 s), stops
    /// notification deliveries, writes the state file one last time, and waits.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.shared.store.shutdown().await;
    }
}

/// How to rotate the sandbox's WeChat Pay key
/// ([`Sandbox::rotate_wechatpay_key_with`]): now or after some requests,
/// keeping or retiring the key of before, with a key of your own or a
/// generated one.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct KeyRotation {
    /// Retire the newest key of the same kind as the new one (the certificate
    /// or public key it replaces) at once.
    pub retire_previous: bool,
    /// Rotate once this many more requests have arrived (0: now). Admin
    /// requests do not count.
    pub after_requests: u64,
    /// The new key pair (default: a freshly generated RSA-2048 key).
    pub key: Option<PrivateKey>,
}

impl KeyRotation {
    /// A rotation now, keeping the key of before, with a generated key.
    pub fn new() -> Self {
        Self::default()
    }

    /// Retires the key it replaces at once.
    pub fn retire_previous(mut self) -> Self {
        self.retire_previous = true;
        self
    }

    /// Waits until `requests` more requests have arrived.
    pub fn after_requests(mut self, requests: u64) -> Self {
        self.after_requests = requests;
        self
    }

    /// Rotates to `key` (generating one is the slow part; tests share keys).
    pub fn with_key(mut self, key: PrivateKey) -> Self {
        self.key = Some(key);
        self
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        self.shared.store.stop();
    }
}
