//! `webhook decode`: verify, decrypt and print a received notification.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use coupon_client::ReceivedWebhook;
use http::{HeaderMap, HeaderName, HeaderValue};
use serde::Serialize;

use crate::commands::{read_file, read_json};
use crate::config::WebhookConfig;
use crate::error::CliError;
use crate::output::print_json;

#[derive(Debug, Subcommand)]
pub(crate) enum WebhookCommand {
    /// Verify a notification's signature, decrypt its resource and print the
    /// event as JSON.
    Decode(DecodeArgs),
}

#[derive(Debug, Args)]
pub(crate) struct DecodeArgs {
    /// The request headers as a JSON object of name → value (at least the
    /// Wechatpay-Timestamp, -Nonce, -Signature and -Serial headers).
    #[arg(long, value_name = "HEADERS.json")]
    headers: PathBuf,
    /// The raw request body, byte for byte as received.
    #[arg(long, value_name = "BODY")]
    body: PathBuf,
    #[command(flatten)]
    config: WebhookConfig,
}

pub(crate) fn run(command: WebhookCommand) -> Result<(), CliError> {
    match command {
        WebhookCommand::Decode(args) => decode(&args),
    }
}

/// The printed result.
#[derive(Debug, Serialize)]
pub(crate) struct Decoded<'a> {
    event_type: &'a str,
    notification: &'a coupon_model::webhook::Notification,
    #[serde(skip_serializing_if = "Option::is_none")]
    event: Option<&'a coupon_model::webhook::ProductCouponSendEvent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    plaintext: Option<&'a str>,
}

impl<'a> Decoded<'a> {
    /// The printable form of a received webhook: the SEND payload as
    /// `event`, any other event type's plaintext as `plaintext`.
    pub(crate) fn new(received: &'a ReceivedWebhook) -> Self {
        use coupon_model::webhook::WebhookEvent;
        let plaintext = match &received.event {
            WebhookEvent::Other { plaintext, .. } => Some(plaintext.as_str()),
            _ => None,
        };
        Self {
            event_type: received.notification.event_type.as_str(),
            notification: &received.notification,
            event: received.event.as_send(),
            plaintext,
        }
    }
}

fn decode(args: &DecodeArgs) -> Result<(), CliError> {
    let handler = args.config.handler("webhook decode")?;
    let headers = read_headers(args)?;
    let body = read_file(&args.body, "--body")?;
    let received = handler.handle(&headers, &body)?;
    print_json(&Decoded::new(&received))
}

fn read_headers(args: &DecodeArgs) -> Result<HeaderMap, CliError> {
    let object: serde_json::Map<String, serde_json::Value> = read_json(
        &args.headers,
        "--headers",
        "a JSON object of header name → value",
    )?;
    let mut headers = HeaderMap::new();
    for (name, value) in object {
        let text = match value {
            serde_json::Value::String(s) => s,
            serde_json::Value::Number(n) => n.to_string(),
            _ => {
                return Err(CliError::Input(format!(
                    "--headers: the value of {name:?} must be a string"
                )));
            }
        };
        let header_name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            CliError::Input(format!("--headers: {name:?} is not a valid header name"))
        })?;
        let header_value = HeaderValue::from_str(&text).map_err(|_| {
            CliError::Input(format!(
                "--headers: the value of {name:?} is not a valid header value"
            ))
        })?;
        headers.append(header_name, header_value);
    }
    Ok(headers)
}
