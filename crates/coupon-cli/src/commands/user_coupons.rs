//! `user-coupons list` (page 002, brand).

use clap::{Args, Subcommand};
use coupon_model::user_coupon::{ListUserCouponsRequest, UserCouponState};

use crate::config::BrandConfig;
use crate::error::CliError;
use crate::listing::{OutputFormat, print_all, print_page};

#[derive(Debug, Subcommand)]
pub(crate) enum UserCouponsCommand {
    /// List a user's coupons: one page, or every page with --all.
    List(ListArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// The user's OpenID.
    #[arg(long, value_name = "OPENID")]
    openid: String,
    /// The AppID the OpenID belongs to.
    #[arg(long, value_name = "APPID")]
    appid: String,
    /// Only coupons of this product coupon.
    #[arg(long, value_name = "ID")]
    product_coupon_id: Option<String>,
    /// Only coupons of this stock.
    #[arg(long, value_name = "ID")]
    stock_id: Option<String>,
    /// Only coupons in this state: CONFIRMING, PENDING, EFFECTIVE, USED,
    /// EXPIRED, DELETED, DEACTIVATED.
    #[arg(long, value_name = "STATE")]
    coupon_state: Option<String>,
    /// Page size, 1 to 50 (server default 20).
    #[arg(long, value_name = "N")]
    page_size: Option<u32>,
    /// Start from this page (a previous response's next_page_token).
    #[arg(long, value_name = "TOKEN")]
    page_token: Option<String>,
    /// Follow next_page_token to the last page and print one JSON array of coupons.
    #[arg(long)]
    all: bool,
    /// json (the answer, or with --all one array) or table (key fields, aligned).
    #[arg(long, value_enum, default_value_t = OutputFormat::Json, value_name = "FORMAT")]
    output: OutputFormat,
    #[command(flatten)]
    config: BrandConfig,
}

pub(crate) async fn run(command: UserCouponsCommand) -> Result<(), CliError> {
    match command {
        UserCouponsCommand::List(args) => list(args).await,
    }
}

async fn list(args: ListArgs) -> Result<(), CliError> {
    let client = args.config.client("user-coupons list")?;
    let mut request = ListUserCouponsRequest::new(args.openid, args.appid);
    if let Some(id) = args.product_coupon_id {
        request = request.with_product_coupon_id(id);
    }
    if let Some(id) = args.stock_id {
        request = request.with_stock_id(id);
    }
    if let Some(state) = args.coupon_state {
        request = request.with_coupon_state(UserCouponState::from(state.to_ascii_uppercase()));
    }
    if let Some(size) = args.page_size {
        request = request.with_page_size(size);
    }
    if let Some(token) = args.page_token {
        request = request.with_page_token(token);
    }
    if args.all {
        print_all(client.stream_pages(request), "coupons", args.output).await
    } else {
        let page = client.list_user_coupons(&request).await?;
        print_page(
            args.output,
            &page,
            page.user_coupons(),
            page.next_page_token.as_ref().map(|t| t.as_str()),
        )
    }
}
