//! Typed data for the WeChat Pay product-coupon (商品券) API: requests,
//! responses, webhook payloads and error bodies, with explicit "present iff"
//! validation. Pure data — no I/O, no async, no crypto; depends only on
//! `serde` and `serde_json`.
//!
//! # The operation table
//! [`operations`] describes every endpoint of the API, brand and partner, one
//! entry each (34 operations: 30 on the brand side, 34 on the partner side),
//! and generates each operation's request type (`…Request`) from it. Every
//! request implements [`Operation`] (its [`OperationSpec`] — method, path
//! suffix, placeholders, query, body and answer types, paging, idempotency
//! key — and its parameters), paged lists also [`PagedOperation`]; clients are
//! generic over them. [`operation::route`] matches a request path for
//! servers, [`operation::visit_operation`] picks a typed operation by name.
//!
//! # Modules by resource
//! Each holds its bodies and answers, and re-exports its request types:
//! - [`product_coupon`]: [`product_coupon::ProductCoupon`]; create (with its first stock or
//!   bundle), get, update (page 003), deactivate.
//! - [`stock`]: [`stock::Stock`]; create (page 001, "add stock"), get, list (page 000),
//!   update, update budget, deactivate.
//! - [`stock_bundle`]: [`stock_bundle::StockBundle`]; create, update, update budget.
//! - [`store`]: associate, disassociate and list the stores of stocks and bundles.
//! - [`coupon_code`]: upload codes to an `UPLOAD` stock.
//! - [`user_coupon`]: [`user_coupon::UserCoupon`]; send, pre-send, confirm, use, return,
//!   deactivate, get, list (page 002).
//! - [`notify`]: the notification URL (get, set).
//! - [`media`]: image upload (`multipart/form-data`).
//! - [`image_task`], [`coupon_bundle`]: partner-only operations known from a third-party
//!   SDK's models.
//! - [`webhook`]: notification envelope, event types, the decrypted payloads.
//! - [`ids`]: identifier newtypes ([`ids::ProductCouponId`], [`ids::StockId`], …).
//! - [`time`]: [`time::Timestamp`] (exact wire string) and its RFC 3339 view.
//! - [`common`]: shared sub-objects (available periods, discount rules, display infos, [`common::Fen`]).
//! - [`error`]: the WeChat Pay error body and this crate's [`ModelError`].
//! - [`validate`]: [`RuleId`], [`Violation`], [`Violations`], [`ValidationContext`].
//!
//! Parsing is lenient (unknown fields ignored, unknown enum values kept in
//! `Unknown(String)` and written back unchanged, most documented-required
//! response fields optional — each type documents its required ones).
//! Serialising omits absent fields. Validation is a separate step.
//!
//! # Lenient parsing: which fields are required
//! A documented-required field is `Option` (parses when missing) unless the
//! object is meaningless without it. Non-`Option`, i.e. the parse fails when
//! missing:
//!
//! | type | required fields | why |
//! |---|---|---|
//! | `Stock` | `product_coupon_id`, `stock_id` | identity |
//! | `ProductCoupon` | `product_coupon_id` | identity |
//! | `UserCoupon` | `coupon_code` | identity |
//! | `StockSendRule` | `max_count`, `max_count_per_user` | the limits are the object |
//! | `SingleUsageRule`, `SequentialUsageRule`, `ProgressiveBundleUsageRule` | `coupon_available_period` | a usage rule without a period says nothing |
//! | `NormalCouponUsageRule` / `DiscountCouponUsageRule` / `ExchangeCouponUsageRule` | `discount_amount` / `percent_off` / `exchange_price` (`threshold` is optional) | the discount is the object |
//! | `DayPeriod`, `TimePeriod` | `begin_time`, `end_time` | a window needs both ends |
//! | `StockBundleInfo` | `stock_bundle_id` | identity of the bundle |
//! | `NotifyConfig`, `EntranceOfficialAccount` | `notify_appid`, `appid` | their only field |
//! | `ProductCouponDisplayInfo` | `name` | the display is meaningless without it |
//! | `Notification` | `id`, `event_type`, `resource` (`algorithm`, `ciphertext`, `nonce`) | nothing can be done without them |
//! | `ProductCouponSendEvent` | `coupon_code`, `product_coupon_id`, `stock_id`, `openid` | identity of the coupon and its holder |
//! | `ApiErrorBody` | `code` (`message` defaults to `""`) | the code is the error |
//!
//! Request bodies are strict instead: every `…Body` type (and `NewStock`)
//! requires the documented-required fields, including the idempotency key
//! (`out_request_no`, `send_request_no`) wherever the API takes one, and
//! their constructors take them. The partner side's `brand_id` is an
//! `Option` in every body: the partner client fills it in. Lists are `Option<Vec<_>>` so that an
//! explicit `[]` round-trips. Money is [`common::Fen`] (分); time fields are
//! [`time::Timestamp`] (byte-exact round trip); the samples' spellings
//! `PROGRESSIVE_BUNDLE` and `progressive_bundle_usage_info` are accepted and
//! written as the pages' `SEQUENTIAL` / `sequential_usage_info`.
//!
//! # Example
//! ```
//! use coupon_model::stock::{ListStocksRequest, ListStocksResponse, StockState};
//! use coupon_model::{RuleId, ValidationContext};
//!
//! let request = ListStocksRequest::new("1000000013")
//!     .with_state(StockState::Deactivated)
//!     .with_page_size(10);
//! assert_eq!(
//!     request.query_pairs(),
//!     vec![("state", "DEACTIVATED".to_owned()), ("page_size", "10".to_owned())]
//! );
//!
//! let body = br#"{"stock_list":[{"product_coupon_id":"1000000013","stock_id":"1",
//!     "coupon_code_mode":"WECHATPAY","coupon_code_count_info":{"total_count":0},
//!     "state":"A_FUTURE_STATE"}]}"#;
//! let response: ListStocksResponse = serde_json::from_slice(body)?;
//! assert_eq!(response.stocks()[0].state.as_ref().map(|s| s.as_str()), Some("A_FUTURE_STATE"));
//!
//! // The first page (no page_token) must carry total_count, and only UPLOAD
//! // stocks report coupon_code_count_info: both are reported, with pointers.
//! let ctx = request.response_context();
//! let violations = response.validate(Some(&ctx)).unwrap_err();
//! assert!(violations.contains(RuleId::TotalCountIffFirstPage, "/total_count"));
//! assert!(violations.contains(RuleId::CodeCountIffUpload, "/stock_list/0/coupon_code_count_info"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[macro_use]
mod macros;

pub mod common;
pub mod coupon_bundle;
pub mod coupon_code;
pub mod error;
pub mod ids;
pub mod image_task;
pub mod media;
pub mod notify;
pub mod operation;
pub mod operations;
pub mod product_coupon;
pub mod stock;
pub mod stock_bundle;
pub mod store;
pub mod text;
pub mod time;
pub mod user_coupon;
pub mod validate;
pub mod webhook;

pub use error::{ApiErrorBody, ErrorCode, ErrorDetail, ModelError};
pub use operation::{
    BrandOperation, HttpMethod, Operation, OperationSpec, PagedOperation, PartnerOperation,
    RequestBody, Side,
};
pub use operations::OPERATIONS;
pub use validate::{RuleId, ValidationContext, Violation, Violations};

/// Parses a JSON document into `T`, naming `what` in the error (e.g.
/// `from_json::<Stock>(bytes, "stock")`).
pub fn from_json<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    what: &'static str,
) -> Result<T, ModelError> {
    serde_json::from_slice(bytes).map_err(|source| ModelError::Json { what, source })
}
