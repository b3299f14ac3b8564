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
mod paginate;
mod partner;
mod request;
mod webhook;

pub use brand::{BrandClient, BrandClientBuilder};
pub use error::{ApiError, Error, ErrorKind};
pub use paginate::ItemStream;
pub use partner::{PartnerClient, PartnerClientBuilder};
pub use webhook::{Delivery, MemoryReplayGuard, ReceivedWebhook, ReplayGuard, WebhookHandler};

pub use coupon_http;
pub use coupon_model;
pub use wxpay_sign;
