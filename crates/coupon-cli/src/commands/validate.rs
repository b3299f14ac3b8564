//! `validate`: check a JSON document against the documented rules, offline.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use coupon_model::product_coupon::ProductCoupon;
use coupon_model::stock::{AddStockBody, ListStocksResponse, Stock};
use coupon_model::user_coupon::UserCoupon;
use coupon_model::{ValidationContext, Violation, Violations};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::commands::read_json;
use crate::error::CliError;
use crate::output::print_json;

/// What the file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Kind {
    /// An add-stock request body: {"out_request_no", "stock": {…}}.
    AddStockRequest,
    /// A stock as returned by the API.
    Stock,
    /// A product coupon (carries its own context).
    ProductCoupon,
    /// A user coupon (its product_coupon is the context of its stock).
    UserCoupon,
    /// One page of a list-stocks response.
    ListStocksResponse,
}

impl Kind {
    fn describe(self) -> &'static str {
        match self {
            Kind::AddStockRequest => "an add-stock request body",
            Kind::Stock => "a stock",
            Kind::ProductCoupon => "a product coupon",
            Kind::UserCoupon => "a user coupon",
            Kind::ListStocksResponse => "a list-stocks response",
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    /// What the file holds.
    #[arg(long, value_enum)]
    kind: Kind,
    /// The JSON document to check.
    #[arg(long, value_name = "FILE.json")]
    file: PathBuf,
    /// The owning product coupon (JSON), enabling the rules that depend on its
    /// scope, type and usage mode.
    #[arg(long, value_name = "PRODUCT_COUPON.json")]
    context: Option<PathBuf>,
    /// For list-stocks-response: whether the request carried a page_token
    /// (enables total-count-iff-first-page).
    #[arg(long, value_name = "BOOL")]
    page_token_sent: Option<bool>,
}

/// The printed result: exactly `{"valid": …, "violations": […]}`.
#[derive(Debug, Serialize)]
struct Report<'a> {
    valid: bool,
    violations: &'a [Violation],
}

fn check<T: DeserializeOwned>(
    args: &ValidateArgs,
    validate: impl FnOnce(&T) -> Result<(), Violations>,
) -> Result<Option<Violations>, CliError> {
    let document: T = read_json(&args.file, "--file", args.kind.describe())?;
    Ok(validate(&document).err())
}

pub(crate) fn run(args: &ValidateArgs) -> Result<(), CliError> {
    let mut ctx = match &args.context {
        Some(path) => {
            let product_coupon: ProductCoupon = read_json(path, "--context", "a product coupon")?;
            Some(ValidationContext::from_product_coupon(&product_coupon))
        }
        None => None,
    };
    if let Some(sent) = args.page_token_sent {
        ctx = Some(ctx.unwrap_or_default().with_page_token_sent(sent));
    }
    let ctx = ctx.as_ref();
    let violations = match args.kind {
        Kind::AddStockRequest => check(args, |d: &AddStockBody| d.validate(ctx))?,
        Kind::Stock => check(args, |d: &Stock| d.validate(ctx))?,
        Kind::ProductCoupon => check(args, |d: &ProductCoupon| d.validate(ctx))?,
        Kind::UserCoupon => check(args, |d: &UserCoupon| d.validate(ctx))?,
        Kind::ListStocksResponse => check(args, |d: &ListStocksResponse| d.validate(ctx))?,
    };
    print_json(&Report {
        valid: violations.is_none(),
        violations: violations.as_ref().map_or(&[], |v| v.as_slice()),
    })?;
    match violations {
        None => Ok(()),
        Some(violations) => Err(CliError::Invalid {
            what: format!("{} as {}", args.file.display(), args.kind.describe()),
            violations,
        }),
    }
}
