//! `validate`: check a JSON document against the documented rules, offline.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use coupon_model::product_coupon::ProductCoupon;
use coupon_model::stock::{AddStockBody, ListStocksResponse, NewStock, Stock};
use coupon_model::user_coupon::UserCoupon;
use coupon_model::{ValidationContext, Violation, Violations};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::commands::{parse_json, read_file, read_json};
use crate::error::CliError;
use crate::output::{note, print_json};

/// What the file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Kind {
    /// An add-stock request body: {"out_request_no", "stock": {…}}.
    AddStockRequest,
    /// The add-stock body's "stock" object alone, as `stocks add --stock`
    /// takes it (pointers relative to it).
    NewStock,
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
            Kind::NewStock => "a new stock (the add-stock body's \"stock\" object)",
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

fn check<T: DeserializeOwned + Serialize>(
    args: &ValidateArgs,
    validate: impl FnOnce(&T) -> Result<(), Violations>,
) -> Result<Option<Violations>, CliError> {
    let what = args.kind.describe();
    let bytes = read_file(&args.file, "--file")?;
    let document: T = parse_json(&bytes, &args.file, "--file", what)?;
    let fields = top_level_fields(&bytes, &document);
    if !fields.unknown.is_empty() {
        let list = fields.unknown.join(", ");
        if fields.known == 0 {
            return Err(CliError::Input(format!(
                "--file {} does not parse as {what}: none of its fields ({list}) belong to {what}; check --kind",
                args.file.display()
            )));
        }
        note(format!(
            "warning: {} has fields that {what} does not have and that were not checked: {list}; check --kind (or the SDK is older than the API)",
            args.file.display()
        ));
    }
    Ok(validate(&document).err())
}

/// A new stock's rules: those of an add-stock body holding it (with a valid
/// placeholder `out_request_no`), pointers made relative to the stock.
fn validate_new_stock(stock: &NewStock, ctx: Option<&ValidationContext>) -> Result<(), Violations> {
    let body = AddStockBody::new("validate_new_stock", stock.clone());
    let Err(violations) = body.validate(ctx) else {
        return Ok(());
    };
    let relative = violations
        .into_vec()
        .into_iter()
        .map(|mut v| {
            if let Some(rest) = v.path.strip_prefix("/stock") {
                v.path = rest.to_owned();
            }
            v
        })
        .collect();
    Violations::new(relative).map_or(Ok(()), Err)
}

/// The document's top-level fields: how many `T` knows, and the names of the
/// others (serde ignores unknown fields, so a document of another kind could
/// otherwise pass as valid). Null fields count as known.
struct TopLevelFields {
    known: usize,
    unknown: Vec<String>,
}

fn top_level_fields<T: Serialize>(bytes: &[u8], parsed: &T) -> TopLevelFields {
    let original = serde_json::from_slice::<serde_json::Value>(bytes).ok();
    let round_trip = serde_json::to_value(parsed).ok();
    let mut fields = TopLevelFields {
        known: 0,
        unknown: Vec::new(),
    };
    if let (Some(serde_json::Value::Object(original)), Some(serde_json::Value::Object(kept))) =
        (original, round_trip)
    {
        for (name, value) in original {
            if value.is_null() || kept.contains_key(&name) {
                fields.known += 1;
            } else {
                fields.unknown.push(name);
            }
        }
    }
    fields
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
        Kind::NewStock => check(args, |d: &NewStock| validate_new_stock(d, ctx))?,
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
