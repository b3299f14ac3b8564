//! `product-coupons update` (page 003, partner).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use coupon_model::product_coupon::{
    ProductCouponDisplayInfo, UpdateProductCouponBody, UpdateProductCouponRequest,
};

use crate::commands::read_json;
use crate::config::PartnerConfig;
use crate::error::CliError;
use crate::output::print_json;

#[derive(Debug, Subcommand)]
pub(crate) enum ProductCouponsCommand {
    /// Modify a product coupon's display information for a brand (partner
    /// signing; retry-safe with the same --out-request-no).
    Update(UpdateArgs),
}

#[derive(Debug, Args)]
pub(crate) struct UpdateArgs {
    /// The product coupon to modify.
    #[arg(long, value_name = "ID")]
    product_coupon_id: String,
    /// The brand the service provider acts for (sent in the body).
    #[arg(long, env = "WXPAY_BRAND_ID", value_name = "ID")]
    brand_id: Option<String>,
    /// Idempotency key, 6–40 characters of [0-9A-Za-z_-].
    #[arg(long, value_name = "NO")]
    out_request_no: String,
    /// The new display information as JSON (the body's "display_info" object).
    #[arg(long, value_name = "FILE.json")]
    display_info: PathBuf,
    #[command(flatten)]
    config: PartnerConfig,
}

pub(crate) async fn run(command: ProductCouponsCommand) -> Result<(), CliError> {
    match command {
        ProductCouponsCommand::Update(args) => update(args).await,
    }
}

async fn update(args: UpdateArgs) -> Result<(), CliError> {
    let display_info: ProductCouponDisplayInfo = read_json(
        &args.display_info,
        "--display-info",
        "a product coupon display_info object",
    )?;
    let client = args
        .config
        .client("product-coupons update", args.brand_id.as_ref())?;
    let request = UpdateProductCouponRequest::new(
        args.product_coupon_id,
        UpdateProductCouponBody::new(args.out_request_no, display_info),
    );
    print_json(&client.update_product_coupon(&request).await?)
}
