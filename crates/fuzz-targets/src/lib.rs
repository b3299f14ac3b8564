//! The fuzz targets of `fuzz/` (cargo-fuzz, libFuzzer), as plain functions.
//!
//! Each `fuzz/fuzz_targets/<name>.rs` is one line calling the function of the
//! same name here, so the same code runs
//! - under libFuzzer on a nightly toolchain (`cargo +nightly fuzz run <name>`),
//!   and
//! - on stable in `cargo test --workspace`, over every target's seed corpus
//!   (`fuzz/seeds/<name>/`, built from the page examples in
//!   `crates/*/tests/fixtures`; see [`seeds`]).
//!
//! A target returns normally for any input the code under test handles —
//! including every error it reports — and panics when an invariant breaks:
//! a panic inside the code under test, a response type that does not survive a
//! JSON round trip, or a sandbox answer that is a 5xx or unsigned.
//!
//! | target | what it drives |
//! |---|---|
//! | [`authorization`] | `wxpay_sign::ParsedAuthorization::parse` (the server-side `Authorization` parser) |
//! | [`signature_headers`] | `SignatureHeaders::from_header_map` and `Verifier::verify_headers` on arbitrary headers and body |
//! | [`response`] | parse + validate + round trip of every type in [`RESPONSE_TYPES`] |
//! | [`webhook`] | `coupon_client::WebhookHandler::handle` with a fixed verifier and APIv3 key (raw input, or signed / encrypted here so the fuzzer gets past verification and decryption) |
//! | [`sandbox_request`] | `coupon_sandbox::Sandbox::serve_in_process`: arbitrary method, path, headers and body, optionally signed correctly |
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod input;
mod seeds;
mod targets;

pub use seeds::{Seed, seeds};
pub use targets::{
    NOW, RESPONSE_TYPES, TARGETS, Target, authorization, flags, response, sandbox_request,
    signature_headers, webhook,
};
