//! The facade services use for WeChat Pay product coupons (商品券).
//!
//! Two clients, because the two sides sign differently:
//! - [`BrandClient`] — a brand's own calls (`WECHATPAY-BRAND-SHA256-RSA2048`,
//!   paths under `/brand/…`, `Wechatpay-Serial` sent).
//! - [`PartnerClient`] — a service provider acting for a brand
//!   (`WECHATPAY2-SHA256-RSA2048`, paths under `/v3/…`, the brand named in
//!   each request's body or query).
//!
//! Both send every operation of the table
//! ([`coupon_model::operations`]: each `…Request` type's docs give its method,
//! paths, body, answer and paging) with one generic `call`, and follow any
//! paged list with `stream`, a [`Stream`](futures_core::Stream) that follows
//! `next_page_token` one page at a time. A few shorthands remain for the
//! first four operations (`list_stocks`, `add_stock`, `list_user_coupons`,
//! `update_product_coupon`).
//!
//! Every operation validates the request with `coupon-model` before anything goes
//! on the wire, signs each attempt afresh (retries carry a new timestamp and nonce),
//! verifies the response signature **before** parsing (fail-closed; WeChat Pay's
//! `WECHATPAY/SIGNTEST/` probes are rejected as [`ErrorKind::SignatureProbe`]) and
//! maps non-2xx answers to [`ApiError`]. [`WebhookHandler`] does the same for
//! notifications and decrypts them.
//!
//! # WeChat Pay keys: public keys and platform certificates
//!
//! Each client verifies with one live [`KeySet`](wxpay_sign::KeySet) of WeChat
//! Pay public keys (`PUB_KEY_ID_…`) and platform certificates (by serial,
//! within their validity), shared by its clones, its
//! [`verifier()`](PartnerClient::verifier) and the
//! [`webhook_handler`](PartnerClient::webhook_handler)s made from it. The set
//! is replaced atomically (lock-free reads), so a refresh never blocks or
//! fails a call in flight. Configure several public keys
//! (`.wechatpay_public_key(…)` twice) to rotate without downtime.
//!
//! **Brand clients** verify with WeChat Pay public keys: the brand side has
//! no certificate download. **Partner clients** (service providers, the
//! accounts migrating from platform certificates to public keys) given the
//! APIv3 key ([`PartnerClientBuilder::apiv3_key`]) also manage certificates
//! through the same transport and signer:
//!
//! * **First download.** A client holding no usable key (APIv3 key only)
//!   downloads `GET /v3/certificates` before its first call, and from then
//!   on names its newest valid certificate in each request's
//!   `Wechatpay-Serial` (WeChat Pay answers with the key the request names).
//!   A client whose answers are signed with a configured public key never
//!   downloads anything.
//! * **Trust.** Every certificate is decrypted with the APIv3 key
//!   (AES-256-GCM, its `associated_data` and `nonce`): that authenticates it
//!   as WeChat Pay's. The answer's signature must verify with the keys
//!   already held when there are any (the download names one of them), and
//!   with a certificate it delivers only when none is held (the first
//!   download): the APIv3 key is then the root of trust, as in WeChat Pay's
//!   own SDKs. The issuer chain is not checked.
//! * **Unknown serial.** An answer (or, through
//!   [`WebhookHandler::handle_async`], a notification) naming a serial the
//!   set lacks triggers one download — single flight (concurrent callers wait
//!   for it and reuse it), at most one per
//!   [`min_on_demand_interval`](CertificateRefresh::min_on_demand_interval)
//!   (default 1 minute) — then the same answer is verified again; still
//!   unknown, it fails closed. The request is never resent: one call makes
//!   at most two downloads (the first one, and this one).
//! * **Schedule.** Once the set holds certificates, a background task
//!   downloads them again 12 h ([`CertificateRefresh::interval`]) after the
//!   last successful download. A failure keeps the old set and is retried
//!   after 1 minute, doubling up to 1 hour. The task holds the keys weakly
//!   and is aborted when the last client clone and webhook handler sharing
//!   them is dropped; none is started for public-key-only setups.
//! * **No certificates.** A 404 (or an empty list) is normal for a
//!   public-key-only account: the client stays on its public keys and logs
//!   it once; [`PartnerClient::refresh_certificates`] returns
//!   [`CertificateStatus::PublicKeyOnly`]. With no public key configured, a
//!   call then fails with [`ErrorKind::Config`] naming the setting to add.
//! * **Expiry.** An answer naming a certificate outside its validity (by the
//!   client's clock) fails with [`ErrorKind::CertificateExpired`] /
//!   [`ErrorKind::CertificateNotYetValid`], both
//!   [verification failures](ErrorKind::is_verification).
//!
//! **Sensitive fields.** [`PartnerClient::sensitive_fields`] (and the
//! brand's) picks the key once and returns a [`SensitiveFields`] that
//! encrypts fields (RSA-OAEP) with it; [`PartnerClient::call_with`] sends
//! that key's id as `Wechatpay-Serial`. The pair cannot be split, so a field
//! is never encrypted with one key while the request names another.
//! [`PartnerClient::decrypt_field`] decrypts a field WeChat Pay encrypted to
//! the merchant, with the private key.
//!
//! # Example
//! ```
//! use coupon_client::BrandClient;
//! use coupon_client::coupon_model::stock::ListStocksRequest;
//! use coupon_client::wxpay_sign::{PrivateKey, PublicKey};
//! use futures_util::StreamExt;
//!
//! async fn print_stocks() -> Result<(), Box<dyn std::error::Error>> {
//!     let client = BrandClient::builder()
//!         .brand_id("1001")
//!         .serial_no("1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C")
//!         .private_key(PrivateKey::from_pem_file("apiclient_key.pem")?)
//!         .wechatpay_public_key("PUB_KEY_ID_0114232134912410000000000000", PublicKey::from_pem_file("pub_key.pem")?)
//!         .build()?;
//!     let mut stocks = client.list_stocks_stream(ListStocksRequest::new("1000000013"));
//!     while let Some(stock) = stocks.next().await {
//!         let stock = stock?;
//!         println!("{} {:?}", stock.stock_id, stock.state);
//!     }
//!     Ok(())
//! }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod brand;
mod config;
mod core;
mod encode;
mod error;
mod keys;
mod paginate;
mod partner;
mod request;
mod webhook;

pub use brand::{BrandClient, BrandClientBuilder};
pub use error::{ApiError, Error, ErrorKind};
pub use keys::{CertificateRefresh, CertificateStatus, SensitiveFields};
pub use paginate::{ItemStream, PageStream};
pub use partner::{PartnerClient, PartnerClientBuilder};
pub use webhook::{Delivery, MemoryReplayGuard, ReceivedWebhook, ReplayGuard, WebhookHandler};

pub use coupon_http;
pub use coupon_model;
pub use wxpay_sign;
