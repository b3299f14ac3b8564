//! Receiving product-coupon notifications: verify, refuse replays, decrypt,
//! type.

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex};

use coupon_http::BoxError;
use coupon_model::webhook::{Notification, WebhookEvent, parse_event};
use http::{HeaderMap, StatusCode};
use wxpay_sign::{ApiV3Key, SignatureHeaders, Verifier, decrypt_resource};

use crate::error::Error;
use crate::keys::KeyManager;

/// A verified, decrypted notification.
#[derive(Debug, Clone)]
pub struct ReceivedWebhook {
    /// The envelope (id, create_time, event_type, summary, the encrypted resource).
    pub notification: Notification,
    /// The typed payload; unknown event types arrive as
    /// [`WebhookEvent::Other`] with the plaintext, never as an error.
    pub event: WebhookEvent,
}

/// Verifies and decrypts webhook notifications. Cheap to clone; share it between
/// request handlers.
///
/// Fail-closed: a body is parsed only after its signature verified (known serial,
/// ±300 s window, probes rejected). Answer WeChat Pay with [`WebhookHandler::status_for`]:
/// 2xx only for a notification that was verified and decrypted, so WeChat Pay
/// retries anything else.
///
/// WeChat Pay may deliver the same notification more than once: deduplicate on
/// `coupon_code` + event type before acting, and answer within 5 seconds.
///
/// Replays: every delivery carries a fresh `Wechatpay-Nonce`; the handler
/// refuses a delivery whose signed timestamp and nonce it has seen already
/// ([`ErrorKind::Replayed`](crate::ErrorKind::Replayed)), with an in-memory
/// [`MemoryReplayGuard`] by default and your own [`ReplayGuard`] (a shared
/// store) when several instances receive notifications. The notification
/// `id` is deliberately not the key: WeChat Pay's genuine redeliveries reuse
/// it with a new nonce, and must get through.
///
/// Keys: a handler made with [`WebhookHandler::new`] verifies with the given
/// verifier's key set (live: replacing it through any clone of the verifier
/// is seen at once). One made from a client
/// ([`PartnerClient::webhook_handler`](crate::PartnerClient::webhook_handler))
/// shares that client's live key set, and its
/// [`handle_async`](Self::handle_async) downloads the platform certificates
/// once (rate-limited) when a notification names a serial it does not hold.
#[derive(Clone)]
pub struct WebhookHandler {
    verifier: Verifier,
    key: ApiV3Key,
    replay_guard: Option<Arc<dyn ReplayGuard>>,
    keys: Option<Arc<KeyManager>>,
}

impl std::fmt::Debug for WebhookHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookHandler")
            .field("key_ids", &self.verifier.key_ids())
            .field("apiv3_key", &"<redacted>")
            .field("replay_guard", &self.replay_guard)
            .finish()
    }
}

/// One delivery of a notification, as the replay guard sees it: the signed
/// `Wechatpay-Timestamp`, `Wechatpay-Nonce` and `Wechatpay-Serial`, and the
/// notification id (for logging; not part of the key).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Delivery<'a> {
    /// The signed timestamp (Unix seconds), within ±300 s of now.
    pub timestamp: i64,
    /// The signed nonce, fresh for every delivery.
    pub nonce: &'a str,
    /// The WeChat Pay key id that signed it.
    pub serial: &'a str,
    /// The notification id (shared by redeliveries of one notification).
    pub notification_id: &'a str,
}

impl<'a> Delivery<'a> {
    /// A delivery (for testing guards).
    pub fn new(timestamp: i64, nonce: &'a str, serial: &'a str, notification_id: &'a str) -> Self {
        Self {
            timestamp,
            nonce,
            serial,
            notification_id,
        }
    }

    /// The key a guard should store: `serial`, `timestamp` and `nonce`.
    pub fn key(&self) -> String {
        format!("{}:{}:{}", self.serial, self.timestamp, self.nonce)
    }
}

/// Remembers deliveries for as long as their signature is valid (the
/// verifier accepts a timestamp within ±300 s, so 10 minutes is enough), to
/// refuse a captured delivery sent again. Implement it over a shared store
/// (a database table with a unique key and an expiry) to cover several
/// instances; an error refuses the delivery (fail closed: WeChat Pay retries).
pub trait ReplayGuard: Send + Sync + fmt::Debug {
    /// Records `delivery`: `Ok(true)` the first time, `Ok(false)` when it was
    /// recorded before.
    fn first_delivery(&self, delivery: &Delivery<'_>) -> Result<bool, BoxError>;
}

/// The default [`ReplayGuard`]: a bounded in-memory set of the deliveries of
/// the last 10 minutes of signed time (at most `capacity`, oldest dropped
/// first; dropping one early only weakens replay detection for it, the
/// timestamp window still bounds it).
#[derive(Debug)]
pub struct MemoryReplayGuard {
    capacity: usize,
    seen: Mutex<Seen>,
}

#[derive(Debug, Default)]
struct Seen {
    keys: HashSet<String>,
    order: VecDeque<(i64, String)>,
    newest: i64,
}

/// How long a delivery is remembered, in seconds of signed time: twice the
/// verifier's ±300 s window.
const REPLAY_WINDOW_SECS: i64 = 600;

impl MemoryReplayGuard {
    /// A guard remembering at most `capacity` deliveries.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            seen: Mutex::new(Seen::default()),
        }
    }
}

impl Default for MemoryReplayGuard {
    /// At most 100 000 deliveries (a few MiB).
    fn default() -> Self {
        Self::new(100_000)
    }
}

impl ReplayGuard for MemoryReplayGuard {
    fn first_delivery(&self, delivery: &Delivery<'_>) -> Result<bool, BoxError> {
        let mut seen = self
            .seen
            .lock()
            .map_err(|_| BoxError::from("the replay guard's lock is poisoned"))?;
        seen.newest = seen.newest.max(delivery.timestamp);
        let horizon = seen.newest - REPLAY_WINDOW_SECS;
        while let Some((ts, _)) = seen.order.front() {
            if *ts >= horizon && seen.order.len() < self.capacity {
                break;
            }
            if let Some((_, key)) = seen.order.pop_front() {
                seen.keys.remove(&key);
            }
        }
        let key = delivery.key();
        if seen.keys.contains(&key) {
            return Ok(false);
        }
        seen.keys.insert(key.clone());
        seen.order.push_back((delivery.timestamp, key));
        Ok(true)
    }
}

impl WebhookHandler {
    /// A handler verifying with `verifier` and decrypting with the APIv3 key (for
    /// brands: the brand API key), refusing replays with an in-memory
    /// [`MemoryReplayGuard`].
    pub fn new(verifier: Verifier, apiv3_key: ApiV3Key) -> Self {
        Self {
            verifier,
            key: apiv3_key,
            replay_guard: Some(Arc::new(MemoryReplayGuard::default())),
            keys: None,
        }
    }

    /// A handler sharing a client's keys (and their refresh).
    pub(crate) fn with_keys(keys: Arc<KeyManager>, apiv3_key: ApiV3Key) -> Self {
        Self {
            verifier: keys.verifier().clone(),
            key: apiv3_key,
            replay_guard: Some(Arc::new(MemoryReplayGuard::default())),
            keys: Some(keys),
        }
    }

    /// The verifier (its key set is live).
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// This handler with `guard` deciding which deliveries are replays
    /// (share one guard, or one store, between every instance that receives
    /// notifications).
    pub fn with_replay_guard(mut self, guard: Arc<dyn ReplayGuard>) -> Self {
        self.replay_guard = Some(guard);
        self
    }

    /// This handler without replay detection (deliveries are still verified,
    /// including their ±300 s window).
    pub fn without_replay_guard(mut self) -> Self {
        self.replay_guard = None;
        self
    }

    /// Verifies `body` against the `Wechatpay-*` headers, decrypts the resource and
    /// types the payload.
    ///
    /// Errors: [`ErrorKind::SignatureProbe`](crate::ErrorKind::SignatureProbe) for
    /// WeChat Pay's deliberate probes, `Verification` for any other signature
    /// failure, `Replayed` for a delivery seen before, `Decryption` when the
    /// verified resource does not decrypt (wrong APIv3 key), `Decode` when the
    /// verified JSON is not a notification.
    ///
    /// Synchronous: it verifies with the key set held now and never
    /// downloads. Use [`handle_async`](Self::handle_async) to have an
    /// unknown serial refresh the platform certificates first.
    pub fn handle(&self, headers: &HeaderMap, body: &[u8]) -> Result<ReceivedWebhook, Error> {
        self.verifier
            .verify_headers(headers, body)
            .map_err(|source| Error::Verification {
                source,
                status: None,
                request_id: None,
            })?;
        self.handle_verified(headers, body)
    }

    /// [`handle`](Self::handle), except that a notification naming a
    /// `Wechatpay-Serial` the key set lacks makes a handler made from a
    /// client with an APIv3 key download the platform certificates once
    /// (single flight, at most one such download per minimum interval) and
    /// verify the same notification again; still unknown, it is refused
    /// (fail closed). Other handlers behave as `handle`.
    pub async fn handle_async(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<ReceivedWebhook, Error> {
        let verified = match &self.keys {
            Some(keys) => {
                // A handler of a client holding no usable key yet downloads
                // the certificates first, as a call would.
                keys.prepare().await?;
                keys.verify_refreshing(headers, body).await
            }
            None => self.verifier.verify_headers(headers, body),
        };
        verified.map_err(|source| Error::Verification {
            source,
            status: None,
            request_id: None,
        })?;
        self.handle_verified(headers, body)
    }

    /// Replay check, decryption and typing of a verified notification.
    fn handle_verified(&self, headers: &HeaderMap, body: &[u8]) -> Result<ReceivedWebhook, Error> {
        let notification: Notification =
            serde_json::from_slice(body).map_err(|source| Error::Decode {
                source,
                what: "webhook notification",
                request_id: None,
            })?;
        if let Some(guard) = &self.replay_guard {
            // The headers verified above, so they parse.
            let signed = SignatureHeaders::from_header_map(headers).map_err(|source| {
                Error::Verification {
                    source,
                    status: None,
                    request_id: None,
                }
            })?;
            let delivery = Delivery {
                timestamp: signed.timestamp(),
                nonce: signed.nonce(),
                serial: signed.serial(),
                notification_id: &notification.id,
            };
            match guard.first_delivery(&delivery) {
                Ok(true) => {}
                Ok(false) => {
                    return Err(Error::Replayed {
                        notification_id: coupon_model::text::excerpt(&notification.id, 64)
                            .into_owned(),
                    });
                }
                Err(e) => return Err(Error::Config(format!("the replay guard failed: {e}"))),
            }
        }
        let resource = &notification.resource;
        let plaintext = decrypt_resource(
            &self.key,
            &resource.algorithm,
            &resource.nonce,
            resource.associated_data.as_deref().unwrap_or(""),
            &resource.ciphertext,
        )
        .map_err(Error::Decryption)?;
        let text = String::from_utf8(plaintext).map_err(|_| {
            Error::Decryption(wxpay_sign::Error::InvalidResource {
                field: "plaintext",
                reason: "the decrypted resource is not UTF-8 text".to_owned(),
            })
        })?;
        let event = parse_event(&notification.event_type, &text).map_err(|e| match e {
            coupon_model::ModelError::Json { source, what } => Error::Decode {
                source,
                what,
                request_id: None,
            },
            other => Error::Config(format!("webhook payload: {other}")),
        })?;
        Ok(ReceivedWebhook {
            notification,
            event,
        })
    }

    /// The status to answer WeChat Pay with for a [`handle`](Self::handle) result:
    /// `204 No Content` on success; `401` for verification failures, probes
    /// and replays; `400` for malformed notifications; `500` otherwise (so
    /// WeChat Pay retries).
    pub fn status_for(result: &Result<ReceivedWebhook, Error>) -> StatusCode {
        use crate::ErrorKind as K;
        match result {
            Ok(_) => StatusCode::NO_CONTENT,
            Err(e) => match e.kind() {
                k if k.is_verification() => StatusCode::UNAUTHORIZED,
                K::Replayed => StatusCode::UNAUTHORIZED,
                K::Decode => StatusCode::BAD_REQUEST,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            },
        }
    }

    /// The JSON body to send with a failure status
    /// (`{"code":"FAIL","message":"…"}`, as WeChat Pay expects). The message
    /// is generic — it names no key id, clock or cause, which would help a
    /// forger; log the error itself on your side.
    pub fn failure_body(error: &Error) -> String {
        use crate::ErrorKind as K;
        let message = match error.kind() {
            k if k.is_verification() => "signature verification failed",
            K::Replayed => "signature verification failed",
            K::Decode => "malformed notification",
            _ => "notification not processed",
        };
        serde_json::json!({ "code": "FAIL", "message": message }).to_string()
    }
}
