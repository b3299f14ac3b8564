//! The command tree and its dispatch.

mod bench;
mod call;
mod certificates;
mod demo;
mod product_coupons;
mod sandbox;
mod stocks;
mod user_coupons;
mod validate;
mod webhook;

use std::path::Path;

use clap::{Parser, Subcommand};
use serde::de::DeserializeOwned;

use crate::error::CliError;

/// Command line for WeChat Pay product coupons (商品券).
///
/// Exit codes: 0 ok, 1 usage/configuration, 2 API error (also: no platform
/// certificates), 3 verification failure, 4 transport failure, 5 validation
/// failure.
#[derive(Debug, Parser)]
#[command(name = "wxpay-coupon", version)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Stocks (批次) of a product coupon (brand).
    #[command(subcommand)]
    Stocks(stocks::StocksCommand),
    /// A user's coupons (brand).
    #[command(subcommand, name = "user-coupons")]
    UserCoupons(user_coupons::UserCouponsCommand),
    /// Product coupons (partner / service provider).
    #[command(subcommand, name = "product-coupons")]
    ProductCoupons(product_coupons::ProductCouponsCommand),
    /// WeChat Pay platform certificates (service provider: merchant identity
    /// and APIv3 key).
    #[command(subcommand)]
    Certificates(certificates::CertificatesCommand),
    /// Check a JSON document against the documented rules (no network).
    Validate(validate::ValidateArgs),
    /// Webhook notifications.
    #[command(subcommand)]
    Webhook(webhook::WebhookCommand),
    /// Run the local WeChat Pay sandbox until interrupted (Ctrl-C).
    Sandbox(sandbox::SandboxArgs),
    /// Start the sandbox in-process and walk through every operation.
    Demo,
    /// List every operation of the API as JSON: name, method, brand and
    /// partner path (null where a side lacks it).
    Operations,
    /// Call any operation by name (see `operations`), e.g.
    /// `wxpay-coupon call get-stock --param product_coupon_id=1 --param stock_id=2`.
    Call(Box<call::CallArgs>),
    /// Calls/s and client CPU per call of one operation against a base URL
    /// (the sandbox or staging; production hosts only with --production), one
    /// call at a time and --concurrency at once, e.g.
    /// `wxpay-coupon bench get-product-coupon --param product_coupon_id=1 --calls 500`.
    Bench(Box<bench::BenchArgs>),
    /// Print a shell completion script, e.g.
    /// `wxpay-coupon completions bash > ~/.local/share/bash-completion/completions/wxpay-coupon`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// Runs the parsed command.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Stocks(command) => stocks::run(command).await,
        Command::UserCoupons(command) => user_coupons::run(command).await,
        Command::ProductCoupons(command) => product_coupons::run(command).await,
        Command::Certificates(command) => certificates::run(command).await,
        Command::Validate(args) => validate::run(&args),
        Command::Webhook(command) => webhook::run(command).await,
        Command::Sandbox(args) => sandbox::run(args).await,
        Command::Demo => demo::run().await,
        Command::Operations => call::operations(),
        Command::Call(args) => call::call(*args).await,
        Command::Bench(args) => bench::bench(*args).await,
        Command::Completions { shell } => {
            use clap::CommandFactory as _;
            let mut command = Cli::command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut command, "wxpay-coupon", &mut script);
            crate::output::print_text(String::from_utf8_lossy(&script).trim_end())
        }
    }
}

/// The largest JSON document a command reads (request bodies, stocks,
/// display infos, documents to validate): 8 MiB.
pub(crate) const MAX_JSON_BYTES: usize = 8 * 1024 * 1024;

/// Reads a JSON file of at most [`MAX_JSON_BYTES`], naming the flag it came
/// from on failure.
pub(crate) fn read_file(path: &Path, flag: &str) -> Result<Vec<u8>, CliError> {
    read_file_bounded(path, flag, MAX_JSON_BYTES)
}

/// Reads at most `limit` bytes of a file; a larger one (or an endless one,
/// such as `/dev/zero`) is an input error after reading `limit + 1` bytes.
pub(crate) fn read_file_bounded(
    path: &Path,
    flag: &str,
    limit: usize,
) -> Result<Vec<u8>, CliError> {
    use std::io::Read as _;
    let cannot =
        |e: std::io::Error| CliError::Input(format!("cannot read {flag} {}: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(cannot)?;
    let mut bytes = Vec::new();
    file.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() > limit {
        return Err(CliError::Input(format!(
            "{flag} {} is larger than {limit} bytes, the most this command reads",
            path.display()
        )));
    }
    Ok(bytes)
}

/// Reads and parses a JSON file as `what`, naming the flag on failure.
pub(crate) fn read_json<T: DeserializeOwned>(
    path: &Path,
    flag: &str,
    what: &str,
) -> Result<T, CliError> {
    let bytes = read_file(path, flag)?;
    parse_json(&bytes, path, flag, what)
}

/// Parses the bytes of `path` as `what`, naming the flag on failure.
pub(crate) fn parse_json<T: DeserializeOwned>(
    bytes: &[u8],
    path: &Path,
    flag: &str,
    what: &str,
) -> Result<T, CliError> {
    serde_json::from_slice(bytes).map_err(|e| {
        CliError::Input(format!(
            "{flag} {} does not parse as {what}: {e}",
            path.display()
        ))
    })
}

/// The JSON pointer of a field serde ignored (`a.?.0.b` → `/a/0/b`).
pub(crate) fn pointer(path: &serde_ignored::Path<'_>) -> String {
    let text = path.to_string();
    let mut out = String::new();
    for segment in text.split('.').filter(|s| *s != "?" && !s.is_empty()) {
        out.push('/');
        out.push_str(segment);
    }
    out
}
