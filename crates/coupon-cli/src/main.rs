//! `wxpay-coupon` — the command line for WeChat Pay product coupons (商品券).
//!
//! Try it without any account: `cargo run -p coupon-cli -- demo` starts the
//! local sandbox in-process and walks through every operation.
//!
//! Commands:
//! - `stocks list --product-coupon-id ID [--state S] [--stock-bundle-id B] [--page-size N] [--page-token T] [--all]`
//! - `stocks add --product-coupon-id ID --out-request-no NO --stock FILE.json`
//! - `user-coupons list --openid O --appid A [--product-coupon-id ID] [--stock-id S] [--coupon-state S] [--page-size N] [--page-token T] [--all]`
//! - `product-coupons update --product-coupon-id ID --brand-id B --out-request-no NO --display-info FILE.json` (partner)
//! - `validate --kind add-stock-request|new-stock|stock|product-coupon|user-coupon|list-stocks-response --file FILE.json [--context PRODUCT_COUPON.json]`
//! - `webhook decode --headers HEADERS.json --body BODY`
//! - `webhook sample --keys-dir DIR (--headers-out H.json --body-out BODY | --post URL) [--spoil …]`
//!   (a signed, encrypted notification from a sandbox keys directory)
//! - `sandbox [--listen 127.0.0.1:PORT] [--keys-dir DIR] [--wechatpay-keys public-key|certificates|both] [--rotate-after N]`
//!   and, against a running one, `sandbox deliveries|reset|keys`,
//!   `sandbox rotate-key [--retire-previous] [--after-requests N]`,
//!   `sandbox retire-key ID`
//! - `demo`
//! - `operations` (every operation as JSON: name, method, brand and partner path)
//! - `call NAME [--partner] [--param KEY=VALUE]… [--query KEY=VALUE]… [--body FILE|-] [--file PATH] [--no-validate] [--repeat N]`
//!   (any operation of the table; the body is the wire JSON, read into the
//!   operation's typed body with unknown fields refused; `--repeat N` makes
//!   the call N times in one process and reports key changes on stderr)
//! - `bench [NAME] [--partner] [--param KEY=VALUE]… [--calls N] [--concurrency C] [--base-url URL] [--allow-host HOST]… [--production]`
//!   (calls/s, client CPU per call and latency of one operation, sequential
//!   then concurrent; without `--base-url` against a sandbox started in
//!   process, its threads not counted; production hosts only with
//!   `--production`, other non-loopback hosts only with `--allow-host`)
//! - `certificates download [--out DIR]` (the service provider's WeChat Pay
//!   platform certificates as PEM with serial and validity; exit 2 for a
//!   public-key-only account)
//!
//! Service-provider commands (`product-coupons update`, `call --partner`,
//! `certificates download`, and `webhook decode` given the merchant
//! identity) work without `WXPAY_PUBLIC_KEY_ID` / `WXPAY_PUBLIC_KEY` when
//! `WXPAY_APIV3_KEY` is set: they download the platform certificates first
//! (and refresh them once if an answer names one they do not hold). With
//! both set, the public key verifies and certificates are downloaded only
//! when an answer names one.
//!
//! Configuration comes from flags or the environment (`WXPAY_BASE_URL`,
//! `WXPAY_BACKUP_BASE_URL`, `WXPAY_BRAND_ID`, `WXPAY_BRAND_SERIAL_NO`, `WXPAY_BRAND_PRIVATE_KEY`,
//! `WXPAY_MCHID`, `WXPAY_MCH_SERIAL_NO`, `WXPAY_MCH_PRIVATE_KEY`,
//! `WXPAY_PUBLIC_KEY_ID`, `WXPAY_PUBLIC_KEY`, `WXPAY_APIV3_KEY`); keys are
//! PEM paths and are never printed.
//!
//! Results are JSON on stdout (`--all` prints one JSON array); errors go to
//! stderr as one readable line, detail lines, and a last `next:` line saying
//! what to do. Exit codes: 0 ok, 1 usage/configuration, 2 API error (also: no
//! platform certificates), 3 verification failure (also: an expired
//! certificate), 4 transport
//! failure, 5 validation failure.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// Field doc comments are also the `--help` text, where bare URLs read best.
#![allow(rustdoc::bare_urls)]

mod commands;
mod config;
mod error;
mod listing;
mod output;

use std::process::ExitCode;

use clap::Parser;

use crate::commands::Cli;
use crate::error::{CliError, EXIT_OK, EXIT_USAGE};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with exit 0; every usage error
            // exits 1 (clap's own default would be 2, our "API error").
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { EXIT_OK });
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            output::report_error(&CliError::Config(format!(
                "cannot start the async runtime: {e}"
            )));
            return ExitCode::from(EXIT_USAGE);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            output::report_error(&e);
            ExitCode::from(&e)
        }
    }
}
