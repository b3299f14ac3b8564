//! `validate`: check a JSON document against the documented rules, offline.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use coupon_model::product_coupon::ProductCoupon;
use coupon_model::stock::{AddStockBody, ListStocksResponse, NewStock, Stock};
use coupon_model::user_coupon::UserCoupon;
use coupon_model::{ValidationContext, Violation, Violations};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::commands::{pointer, read_file, read_json};
use crate::error::CliError;
use crate::output::print_json;

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

/// Reads and checks the document, failing closed: a file that is not UTF-8
/// JSON, not an object, nested too deep, or carrying any field `T` does not
/// have (at any depth — it could not be checked) is an input error, never
/// "valid".
fn check<T: DeserializeOwned>(
    args: &ValidateArgs,
    validate: impl FnOnce(&T) -> Result<(), Violations>,
) -> Result<Option<Violations>, CliError> {
    let what = args.kind.describe();
    let file = args.file.display();
    let bytes = read_file(&args.file, "--file")?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        CliError::Input(format!(
            "--file {file} is not a JSON document: {}",
            coupon_model::text::excerpt(&e.to_string(), 200)
        ))
    })?;
    let Some(top) = value.as_object() else {
        return Err(CliError::Input(format!(
            "--file {file} holds a JSON {}, not the object {what} is",
            json_kind(&value)
        )));
    };
    let mut unknown = Vec::new();
    let document: T = serde_ignored::deserialize(&value, |path| unknown.push(pointer(&path)))
        .map_err(|e| {
            CliError::Input(format!(
                "--file {file} does not parse as {what}: {}",
                coupon_model::text::excerpt(&e.to_string(), 200)
            ))
        })?;
    if !unknown.is_empty() {
        let shown: Vec<String> = unknown
            .iter()
            .take(10)
            .map(|p| coupon_model::text::excerpt(p, 80).into_owned())
            .collect();
        let more = unknown.len().saturating_sub(shown.len());
        let list = if more > 0 {
            format!("{} and {more} more", shown.join(", "))
        } else {
            shown.join(", ")
        };
        let known_top = top
            .keys()
            .filter(|k| {
                !unknown
                    .iter()
                    .any(|u| u.trim_start_matches('/') == k.as_str())
            })
            .count();
        return Err(CliError::Input(if known_top == 0 {
            format!(
                "--file {file} does not parse as {what}: none of its fields ({list}) belong to {what}; check --kind"
            )
        } else {
            format!(
                "--file {file} has fields that {what} does not have ({list}), so it was not checked; check --kind, or update the SDK if the API added them"
            )
        }));
    }
    Ok(validate(&document).err())
}

/// `array`, `string`, … for an error message.
fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
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
