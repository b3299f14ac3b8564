//! Receiving product-coupon notifications: verify, decrypt, type.

use coupon_model::webhook::{Notification, WebhookEvent, parse_event};
use http::{HeaderMap, StatusCode};
use wxpay_sign::{ApiV3Key, Verifier, decrypt_resource};

use crate::error::Error;

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
#[derive(Clone)]
pub struct WebhookHandler {
    verifier: Verifier,
    key: ApiV3Key,
}

impl std::fmt::Debug for WebhookHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookHandler")
            .field("key_ids", &self.verifier.key_ids())
            .field("apiv3_key", &"<redacted>")
            .finish()
    }
}

impl WebhookHandler {
    /// A handler verifying with `verifier` and decrypting with the APIv3 key (for
    /// brands: the brand API key).
    pub fn new(verifier: Verifier, apiv3_key: ApiV3Key) -> Self {
        Self {
            verifier,
            key: apiv3_key,
        }
    }

    /// Verifies `body` against the `Wechatpay-*` headers, decrypts the resource and
    /// types the payload.
    ///
    /// Errors: [`ErrorKind::SignatureProbe`](crate::ErrorKind::SignatureProbe) for
    /// WeChat Pay's deliberate probes, `Verification` for any other signature
    /// failure, `Decryption` when the verified resource does not decrypt (wrong
    /// APIv3 key), `Decode` when the verified JSON is not a notification.
    pub fn handle(&self, headers: &HeaderMap, body: &[u8]) -> Result<ReceivedWebhook, Error> {
        self.verifier
            .verify_headers(headers, body)
            .map_err(|source| Error::Verification {
                source,
                status: None,
                request_id: None,
            })?;
        let notification: Notification =
            serde_json::from_slice(body).map_err(|source| Error::Decode {
                source,
                what: "webhook notification",
                request_id: None,
            })?;
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
    /// `204 No Content` on success; `401` for verification failures and probes;
    /// `400` for malformed notifications; `500` otherwise (so WeChat Pay retries).
    pub fn status_for(result: &Result<ReceivedWebhook, Error>) -> StatusCode {
        use crate::ErrorKind as K;
        match result {
            Ok(_) => StatusCode::NO_CONTENT,
            Err(e) => match e.kind() {
                K::SignatureProbe | K::Verification => StatusCode::UNAUTHORIZED,
                K::Decode => StatusCode::BAD_REQUEST,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            },
        }
    }

    /// The JSON body to send with a failure status
    /// (`{"code":"FAIL","message":"…"}`, as WeChat Pay expects).
    pub fn failure_body(error: &Error) -> String {
        serde_json::json!({ "code": "FAIL", "message": error.to_string() }).to_string()
    }
}
