//! `stocks list` and `stocks add` (pages 000 and 001, brand).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use coupon_model::stock::{
    AddStockRequest, CreateStockBody, ListStocksRequest, NewStock, StockState,
};

use crate::commands::{parse_json, read_file};
use crate::config::BrandConfig;
use crate::error::CliError;
use crate::output::{JsonArrayWriter, Progress, print_json};

#[derive(Debug, Subcommand)]
pub(crate) enum StocksCommand {
    /// List a product coupon's stocks: one page, or every page with --all.
    List(ListArgs),
    /// Add a stock to a product coupon (retry-safe with the same --out-request-no).
    Add(AddArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// The product coupon.
    #[arg(long, value_name = "ID")]
    product_coupon_id: String,
    /// Only stocks in this state: AUDITING, SENDING, PAUSED, STOPPED, DEACTIVATED.
    #[arg(long, value_name = "STATE")]
    state: Option<String>,
    /// Only the stocks of this stock bundle.
    #[arg(long, value_name = "ID")]
    stock_bundle_id: Option<String>,
    /// Page size, 1 to 50 (server default 20).
    #[arg(long, value_name = "N")]
    page_size: Option<u32>,
    /// Start from this page (a previous response's next_page_token).
    #[arg(long, value_name = "TOKEN")]
    page_token: Option<String>,
    /// Follow next_page_token to the last page and print one JSON array of stocks.
    #[arg(long)]
    all: bool,
    #[command(flatten)]
    config: BrandConfig,
}

#[derive(Debug, Args)]
pub(crate) struct AddArgs {
    /// The product coupon to add the stock to.
    #[arg(long, value_name = "ID")]
    product_coupon_id: String,
    /// Idempotency key, 6–40 characters of [0-9A-Za-z_-].
    #[arg(long, value_name = "NO")]
    out_request_no: String,
    /// The stock as JSON (the body's "stock" object).
    #[arg(long, value_name = "FILE.json")]
    stock: PathBuf,
    #[command(flatten)]
    config: BrandConfig,
}

pub(crate) async fn run(command: StocksCommand) -> Result<(), CliError> {
    match command {
        StocksCommand::List(args) => list(args).await,
        StocksCommand::Add(args) => add(args).await,
    }
}

async fn list(args: ListArgs) -> Result<(), CliError> {
    let client = args.config.client("stocks list")?;
    let mut request = ListStocksRequest::new(args.product_coupon_id);
    if let Some(state) = args.state {
        request = request.with_state(StockState::from(state.to_ascii_uppercase()));
    }
    if let Some(id) = args.stock_bundle_id {
        request = request.with_stock_bundle_id(id);
    }
    if let Some(size) = args.page_size {
        request = request.with_page_size(size);
    }
    if let Some(token) = args.page_token {
        request = request.with_page_token(token);
    }
    if args.all {
        stream_all(client.list_stocks_stream(request), "stocks").await
    } else {
        print_json(&client.list_stocks(&request).await?)
    }
}

async fn add(args: AddArgs) -> Result<(), CliError> {
    let bytes = read_file(&args.stock, "--stock")?;
    let stock: NewStock = parse_json(
        &bytes,
        &args.stock,
        "--stock",
        "a stock (the add-stock body's \"stock\" object)",
    )
    .map_err(|e| hint_whole_request(e, &bytes))?;
    let client = args.config.client("stocks add")?;
    let request = AddStockRequest::new(
        args.product_coupon_id,
        CreateStockBody::new(args.out_request_no, stock),
    );
    print_json(&client.add_stock(&request).await?)
}

/// A whole add-stock body (`{"out_request_no", "stock": {…}}`) given to
/// `--stock` gets a hint: only its `"stock"` object belongs there.
fn hint_whole_request(error: CliError, bytes: &[u8]) -> CliError {
    let whole = serde_json::from_slice::<serde_json::Value>(bytes)
        .is_ok_and(|v| v.get("stock").is_some_and(serde_json::Value::is_object));
    match error {
        CliError::Input(message) if whole => CliError::Input(format!(
            "{message}; the file looks like a whole add-stock body: pass only its \"stock\" object, and its out_request_no as --out-request-no"
        )),
        other => other,
    }
}

/// Prints every item of `stream` into one JSON array as it arrives, with a
/// progress line on a terminal. After an error the array is closed (stdout
/// stays valid JSON) and the error is returned.
pub(crate) async fn stream_all<T: serde::Serialize>(
    mut stream: coupon_client::ItemStream<T>,
    noun: &'static str,
) -> Result<(), CliError> {
    use futures_util::StreamExt;

    let mut writer = JsonArrayWriter::start()?;
    let mut progress = Progress::new(noun);
    let mut failure = None;
    while let Some(item) = stream.next().await {
        match item {
            Ok(item) => {
                writer.push(&item)?;
                progress.update(writer.count());
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    let count = writer.finish()?;
    progress.finish(count);
    match failure {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}
