//! Webhook notifications: the envelope WeChat Pay posts, the event types,
//! and the decrypted payloads.
//!
//! | event type | side | payload |
//! |---|---|---|
//! | `PRODUCT_COUPON.SEND` | brand | [`ProductCouponEvent`]: a user received a coupon; confirm it |
//! | `PRODUCT_COUPON.USE` | brand | [`ProductCouponEvent`]: a coupon was redeemed |
//! | `PRODUCT_COUPON.RETURN` | brand | [`ProductCouponEvent`]: a coupon was returned |
//! | `PRODUCT_COUPON_SP.SEND` | partner | [`ProductCouponEvent`] (with `brand_id`) |
//! | `PRODUCT_COUPON_SP.IMAGE_GENERATION` | partner | [`ImageGenerationTask`] |
//!
//! The official guide gives one field list for the three brand events; the
//! partner events and their payloads are known only from third-party SDKs.
//! [`ProductCouponEvent`] holds the union of the fields all of them name.
//! Any other event type parses as [`WebhookEvent::Other`] with its raw
//! plaintext, never as an error.
//!
//! Decryption (AES-256-GCM with the APIv3 key) is not done here: this crate
//! has no crypto. Decrypt [`EncryptedResource`] elsewhere (e.g. with the
//! workspace's signing crate), then give the plaintext to [`parse_event`].

use serde::{Deserialize, Serialize};

use crate::error::ModelError;
use crate::ids::{
    AppId, BrandId, CouponCode, OpenId, ProductCouponId, RequestNo, StockBundleId, StockId,
    UnionId, UserCouponBundleId,
};
use crate::image_task::ImageGenerationTask;
use crate::time::Timestamp;
use crate::user_coupon::SendChannel;
use crate::validate::{Checker, Path, Violations, check_opt_time};

string_enum! {
    /// The `event_type` of a notification.
    pub enum EventType {
        /// Brand: a user received a product coupon (confirm it afterwards).
        ProductCouponSend = "PRODUCT_COUPON.SEND",
        /// Brand: a coupon was redeemed.
        ProductCouponUse = "PRODUCT_COUPON.USE",
        /// Brand: a coupon was returned.
        ProductCouponReturn = "PRODUCT_COUPON.RETURN",
        /// Partner: a user received a product coupon.
        PartnerProductCouponSend = "PRODUCT_COUPON_SP.SEND",
        /// Partner: an image was generated.
        PartnerImageGeneration = "PRODUCT_COUPON_SP.IMAGE_GENERATION",
    }
}

/// The notification envelope WeChat Pay posts to the brand's URL.
///
/// Required: `id`, `event_type`, `resource` (nothing can be done without
/// them). Verify the signature over the exact body bytes before trusting it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// Notification id.
    pub id: String,
    /// When it was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<Timestamp>,
    /// What happened.
    pub event_type: EventType,
    /// `encrypt-resource`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    /// Short description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The encrypted payload.
    pub resource: EncryptedResource,
}

/// The encrypted payload of a notification (`resource`).
///
/// Required: `algorithm`, `ciphertext`, `nonce`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptedResource {
    /// `AEAD_AES_256_GCM`.
    pub algorithm: String,
    /// Base64 of the ciphertext followed by the 16-byte tag.
    pub ciphertext: String,
    /// Associated data (e.g. `product_coupon`); absent means empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub associated_data: Option<String>,
    /// The 12-character nonce.
    pub nonce: String,
    /// The payload's type before encryption (e.g. `product_coupon`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_type: Option<String>,
}

/// The decrypted payload of `PRODUCT_COUPON.SEND` / `.USE` / `.RETURN` and
/// `PRODUCT_COUPON_SP.SEND`: what happened to which user's coupon.
/// Deduplicate on `coupon_code` + event type; after a SEND, confirm the
/// coupon.
///
/// Required: `coupon_code`, `product_coupon_id`, `stock_id`, `openid`
/// (identity of the coupon and its holder). The other documented fields are
/// optional on parse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductCouponEvent {
    /// The brand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand_id: Option<BrandId>,
    /// The coupon code.
    pub coupon_code: CouponCode,
    /// The product coupon.
    pub product_coupon_id: ProductCouponId,
    /// The stock.
    pub stock_id: StockId,
    /// The stock bundle, for a bundled stock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stock_bundle_id: Option<StockBundleId>,
    /// The user coupon bundle, for a bundled stock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_coupon_bundle_id: Option<UserCouponBundleId>,
    /// The AppID of `openid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appid: Option<AppId>,
    /// The user.
    pub openid: OpenId,
    /// The user's UnionID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unionid: Option<UnionId>,
    /// When the user received it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receive_time: Option<Timestamp>,
    /// The send request number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_request_no: Option<RequestNo>,
    /// How it was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_channel: Option<SendChannel>,
    /// Start of validity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_begin_time: Option<Timestamp>,
    /// End of validity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_end_time: Option<Timestamp>,
    /// The user's phone number, when shared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// Country code of the phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    /// The brand's data attached at send time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attach: Option<String>,
    /// Channel-specific data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_custom_info: Option<String>,
}

/// The payload type under its older name.
pub type ProductCouponSendEvent = ProductCouponEvent;

impl ProductCouponEvent {
    /// Checks `time-format` on the payload's times.
    pub fn validate(&self) -> Result<(), Violations> {
        let mut c = Checker::response();
        let p = Path::ROOT;
        check_opt_time(&mut c, &p, "receive_time", self.receive_time.as_ref());
        check_opt_time(
            &mut c,
            &p,
            "valid_begin_time",
            self.valid_begin_time.as_ref(),
        );
        check_opt_time(&mut c, &p, "valid_end_time", self.valid_end_time.as_ref());
        c.finish()
    }
}

/// A decrypted notification payload, typed by event type.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WebhookEvent {
    /// `PRODUCT_COUPON.SEND` (brand).
    ProductCouponSend(ProductCouponEvent),
    /// `PRODUCT_COUPON.USE` (brand).
    ProductCouponUse(ProductCouponEvent),
    /// `PRODUCT_COUPON.RETURN` (brand).
    ProductCouponReturn(ProductCouponEvent),
    /// `PRODUCT_COUPON_SP.SEND` (partner).
    PartnerProductCouponSend(ProductCouponEvent),
    /// `PRODUCT_COUPON_SP.IMAGE_GENERATION` (partner).
    PartnerImageGeneration(ImageGenerationTask),
    /// Any other event type, with the plaintext as received. Never an error.
    Other {
        /// The notification's event type.
        event_type: EventType,
        /// The decrypted plaintext.
        plaintext: String,
    },
}

impl WebhookEvent {
    /// The SEND payload, for both the brand and the partner event.
    pub fn as_send(&self) -> Option<&ProductCouponEvent> {
        match self {
            Self::ProductCouponSend(event) | Self::PartnerProductCouponSend(event) => Some(event),
            _ => None,
        }
    }

    /// The coupon payload of any coupon event (send, use, return; brand or
    /// partner).
    pub fn as_coupon_event(&self) -> Option<&ProductCouponEvent> {
        match self {
            Self::ProductCouponSend(event)
            | Self::ProductCouponUse(event)
            | Self::ProductCouponReturn(event)
            | Self::PartnerProductCouponSend(event) => Some(event),
            _ => None,
        }
    }
}

/// Parses a decrypted notification payload according to its event type.
/// Unknown event types give [`WebhookEvent::Other`]; a documented event whose
/// payload is not the documented JSON gives [`ModelError::Json`].
pub fn parse_event(event_type: &EventType, plaintext: &str) -> Result<WebhookEvent, ModelError> {
    fn parse<T: serde::de::DeserializeOwned>(
        plaintext: &str,
        what: &'static str,
    ) -> Result<T, ModelError> {
        serde_json::from_str(plaintext).map_err(|source| ModelError::Json { what, source })
    }
    Ok(match event_type {
        EventType::ProductCouponSend => {
            WebhookEvent::ProductCouponSend(parse(plaintext, "PRODUCT_COUPON.SEND payload")?)
        }
        EventType::ProductCouponUse => {
            WebhookEvent::ProductCouponUse(parse(plaintext, "PRODUCT_COUPON.USE payload")?)
        }
        EventType::ProductCouponReturn => {
            WebhookEvent::ProductCouponReturn(parse(plaintext, "PRODUCT_COUPON.RETURN payload")?)
        }
        EventType::PartnerProductCouponSend => WebhookEvent::PartnerProductCouponSend(parse(
            plaintext,
            "PRODUCT_COUPON_SP.SEND payload",
        )?),
        EventType::PartnerImageGeneration => WebhookEvent::PartnerImageGeneration(parse(
            plaintext,
            "PRODUCT_COUPON_SP.IMAGE_GENERATION payload",
        )?),
        other => WebhookEvent::Other {
            event_type: other.clone(),
            plaintext: plaintext.to_owned(),
        },
    })
}
