//! `webhook decode`: verify, decrypt and print a received notification;
//! `webhook sample`: make one, signed and encrypted with a sandbox keys
//! directory, to try `decode` or a receiver with.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use coupon_client::ReceivedWebhook;
use coupon_model::user_coupon::UserCouponState;
use coupon_sandbox::{Credentials, WebhookOptions, seed};
use http::{HeaderMap, HeaderName, HeaderValue};
use serde::Serialize;

use crate::commands::{read_file, read_json};
use crate::config::WebhookConfig;
use crate::error::CliError;
use crate::output::{note, print_json};

#[derive(Debug, Subcommand)]
pub(crate) enum WebhookCommand {
    /// Verify a notification's signature, decrypt its resource and print the
    /// event as JSON.
    Decode(DecodeArgs),
    /// Make a PRODUCT_COUPON.SEND notification as the sandbox in --keys-dir
    /// would send it (signed now, encrypted with its APIv3 key) and write its
    /// headers and body for `webhook decode`, or POST it to a local receiver.
    Sample(SampleArgs),
}

#[derive(Debug, Args)]
pub(crate) struct SampleArgs {
    /// A keys directory written by `wxpay-coupon sandbox --keys-dir DIR`.
    #[arg(long, value_name = "DIR")]
    keys_dir: PathBuf,
    /// Write the headers here, as `webhook decode --headers` reads them.
    #[arg(long, value_name = "HEADERS.json", requires = "body_out")]
    headers_out: Option<PathBuf>,
    /// Write the exact body bytes here, for `webhook decode --body`.
    #[arg(long, value_name = "BODY", requires = "headers_out")]
    body_out: Option<PathBuf>,
    /// POST the notification to this receiver (http:// on a loopback host)
    /// and print its answer's status.
    #[arg(long, value_name = "URL", required_unless_present = "headers_out")]
    post: Option<String>,
    /// The seeded user coupon the notification reports [default: the first
    /// EFFECTIVE coupon of the seeded user].
    #[arg(long, value_name = "CODE")]
    coupon_code: Option<String>,
    /// Spoil the notification on purpose, to check that a receiver rejects it.
    #[arg(long, value_enum)]
    spoil: Option<Spoil>,
}

/// How `webhook sample --spoil` spoils the notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Spoil {
    /// A `WECHATPAY/SIGNTEST/` signature probe.
    SignatureProbe,
    /// One bit of the signature flipped.
    BadSignature,
    /// Signed ten minutes ago (outside the ±5 minute window).
    StaleTimestamp,
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

pub(crate) async fn run(command: WebhookCommand) -> Result<(), CliError> {
    match command {
        WebhookCommand::Decode(args) => decode(&args).await,
        WebhookCommand::Sample(args) => sample(args).await,
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

async fn decode(args: &DecodeArgs) -> Result<(), CliError> {
    let handler = args.config.handler("webhook decode")?;
    let headers = read_headers(args)?;
    let body = read_file(&args.body, "--body")?;
    // With the merchant identity, an unknown certificate serial downloads
    // the platform certificates once before the notification is refused.
    let received = handler.handle_async(&headers, &body).await?;
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

async fn sample(args: SampleArgs) -> Result<(), CliError> {
    let credentials = Credentials::load_keys_dir(&args.keys_dir).map_err(|e| {
        CliError::Config(format!(
            "--keys-dir {}: {e}; pass a directory written by `wxpay-coupon sandbox --keys-dir DIR`",
            args.keys_dir.display()
        ))
    })?;
    let seeded = seed::seed_data()?;
    let mut coupons = seeded
        .user_coupons
        .iter()
        .filter(|(openid, _)| openid == seed::OPENID)
        .map(|(_, coupon)| coupon);
    let coupon = match &args.coupon_code {
        Some(code) => coupons
            .find(|c| c.coupon_code.as_str() == code)
            .ok_or_else(|| {
                CliError::Config(format!(
                    "--coupon-code {code:?} is not a seeded coupon of {}; list them with `wxpay-coupon user-coupons list --openid {} --appid {}`",
                    seed::OPENID,
                    seed::OPENID,
                    seed::APPID
                ))
            })?,
        None => coupons
            .find(|c| c.coupon_state == Some(UserCouponState::Effective))
            .ok_or_else(|| CliError::Config("the seed has no EFFECTIVE coupon".into()))?,
    };
    let event =
        coupon_sandbox::send_event_for(&credentials.brand_id, seed::OPENID, seed::APPID, coupon);
    let options = WebhookOptions {
        signature_probe: args.spoil == Some(Spoil::SignatureProbe),
        bad_signature: args.spoil == Some(Spoil::BadSignature),
        stale_timestamp: args.spoil == Some(Spoil::StaleTimestamp),
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| CliError::Config(format!("the system clock is before 1970: {e}")))?;
    let now = i64::try_from(now.as_secs())
        .map_err(|_| CliError::Config("the system clock is out of range".into()))?;
    let (headers, body) = coupon_sandbox::build_webhook(&credentials, now, &event, options)?;

    if let (Some(headers_out), Some(body_out)) = (&args.headers_out, &args.body_out) {
        let object: serde_json::Map<String, serde_json::Value> = headers
            .iter()
            .filter_map(|(name, value)| {
                let value = value.to_str().ok()?;
                Some((
                    name.to_string(),
                    serde_json::Value::String(value.to_owned()),
                ))
            })
            .collect();
        let text = serde_json::to_vec_pretty(&object)
            .map_err(|e| CliError::Config(format!("cannot serialise the headers: {e}")))?;
        write_output(headers_out, &text, "--headers-out")?;
        write_output(body_out, &body, "--body-out")?;
        note(format!(
            "wrote a PRODUCT_COUPON.SEND notification for coupon {}; decode it within 5 minutes with:",
            event.coupon_code
        ));
        note(format!(
            "  wxpay-coupon webhook decode --headers {} --body {}",
            headers_out.display(),
            body_out.display()
        ));
    }
    if let Some(url) = &args.post {
        let status = coupon_sandbox::post_webhook(url, headers, body).await?;
        print_json(&serde_json::json!({ "url": url, "status": status.as_u16() }))?;
    }
    Ok(())
}

fn write_output(path: &Path, bytes: &[u8], flag: &str) -> Result<(), CliError> {
    std::fs::write(path, bytes)
        .map_err(|e| CliError::Input(format!("cannot write {flag} {}: {e}", path.display())))
}
