//! A reference brand service on `coupon-client`: what a brand runs to send
//! product coupons (商品券) and act on WeChat Pay's notifications, with every
//! step idempotent and every decision kept in a database.
//!
//! | route | does |
//! |---|---|
//! | `POST /coupons` | sends a coupon (`{openid, product_coupon_id, stock_id, appid?}`, optional `Idempotency-Key` header) |
//! | `GET /coupons/{code}` | what the service knows of a coupon: its send, its notifications and confirm, its uses |
//! | `POST /coupons/{code}/use` | uses a coupon for an order (`{out_trade_no, transaction_id?, mchid?}`) |
//! | `POST /wxpay/notify` | WeChat Pay's notifications: verified, deduplicated, a SEND confirmed |
//! | `GET /health` | 200 while the database answers, 503 otherwise |
//!
//! # Storage
//!
//! [`Store`] is one [`sqlx::AnyPool`]: an SQLite file (`sqlite://FILE`) for
//! one machine, or PostgreSQL (`postgres://…`) when several instances share
//! one store. The same SQL runs on both; the migrations under `migrations/`
//! are embedded and applied at start. Four tables:
//!
//! * `webhook_deliveries` — the [`ReplayGuard`](coupon_client::ReplayGuard)
//!   ([`DbReplayGuard`]): one row per delivery (serial, signed timestamp,
//!   nonce), unique, kept for 10 minutes of signed time. A captured delivery
//!   sent again is refused (401) by every instance.
//! * `coupon_events` — business deduplication, one row per (event type,
//!   coupon code). WeChat Pay redelivers a notification with the same `id`
//!   and a fresh signature until it is answered 2xx, and a redelivery may
//!   reach another instance while the first one is still working: the row
//!   is *claimed* by one worker at a time (`INSERT … ON CONFLICT DO NOTHING`,
//!   or an `UPDATE` taking over a claim that was released or whose lease
//!   expired), marked `done` after the confirm, and a delivery that finds it
//!   done answers 204 without calling anything; one that finds it claimed
//!   answers 503, so WeChat Pay comes back later.
//! * `coupon_sends` — every send, stored `pending` with a fresh
//!   `send_request_no` **before** WeChat Pay is called, then `sent` (with the
//!   coupon code) or `failed` (refused for good). The caller's
//!   `Idempotency-Key` is unique, so a retried request finds the same row.
//! * `coupon_uses` — every use, one per (coupon, order), with its
//!   `out_request_no` and use time stored before the call.
//!
//! # Idempotency and crashes
//!
//! WeChat Pay answers a request number it has already served with the first
//! answer, byte for byte. The service only ever sends a number it has
//! stored first, with the same body, so a retry never does anything twice:
//!
//! * **send** — a crash or a lost answer between storing the row and
//!   recording the answer leaves it `pending`; the caller's retry with the
//!   same `Idempotency-Key`, or the recovery pass
//!   ([`BrandService::recover_pending_sends`], at start and then every
//!   minute, for sends pending for more than 30 s) sends it again with the
//!   same `send_request_no` and gets the same coupon.
//! * **confirm** — the `out_request_no` is derived from the coupon code
//!   ([`numbers::confirm`]), so every instance and every redelivery sends
//!   the same confirm. A failure that a retry may cure releases the claim
//!   and answers 500, so the next delivery tries again; a crash leaves the
//!   claim to expire ([`ServiceConfig::claim_lease`]) and a later delivery
//!   takes it over.
//! * **use** — the stored number and use time are sent again for the same
//!   coupon and order.
//!
//! Decisions that two instances could race on are single atomic statements
//! (unique keys, `ON CONFLICT DO NOTHING`, `UPDATE … WHERE state = …`); no
//! transaction spans a call to WeChat Pay and no in-process lock is involved.
//!
//! # Running it
//!
//! `cargo run -p brand-service -- --sandbox` starts it against the embedded
//! sandbox ([`sandbox`]), on an SQLite file in the temporary directory;
//! against WeChat Pay it takes the brand's identity from the same `WXPAY_*`
//! variables as the `wxpay-coupon` CLI, and `--database-url` (see `--help`).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod guard;
pub mod numbers;
pub mod sandbox;
mod service;
pub mod store;

pub use error::Error;
pub use guard::DbReplayGuard;
pub use service::{
    BrandService, Failure, IDEMPOTENCY_KEY, NOTIFY_PATH, Recovery, SendCouponRequest, SendOutcome,
    ServiceConfig, UseCouponRequest, UseOutcome,
};
pub use store::{Backend, Store};
