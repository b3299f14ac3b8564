//! `sandbox`: run the local WeChat Pay look-alike until interrupted; and
//! `sandbox deliveries` / `reset` / `keys` / `rotate-key` / `retire-key`
//! against a running one (its loopback-only admin channel).

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Subcommand};
use coupon_client::{BrandClient, PartnerClient};
use coupon_sandbox::{Credentials, ENV_FILE, KeyRotation, Sandbox, WechatPayKeyMode};

use crate::error::CliError;
use crate::output::{note, print_json};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct SandboxArgs {
    #[command(subcommand)]
    action: Option<SandboxAction>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, Subcommand)]
enum SandboxAction {
    /// Print the notification deliveries of a running sandbox as JSON: id,
    /// event type, URL, coupon, every attempt (status or error) and the
    /// outcome (PENDING, DELIVERED, FAILED, REFUSED, INTERRUPTED).
    Deliveries(AdminArgs),
    /// Reset a running sandbox to its seeded state (every object created
    /// since is gone, the delivery log emptied).
    Reset(AdminArgs),
    /// Print the WeChat Pay keys of a running sandbox as JSON: its key mode
    /// and every key (PUB_KEY_ID_… or certificate serial, kind, default,
    /// retired, validity, public key and certificate PEM), oldest first.
    Keys(AdminArgs),
    /// Rotate the WeChat Pay key of a running sandbox: a new certificate (a
    /// new public key in the public-key mode) becomes the default; the old
    /// key still answers requests naming it until it is retired. Prints the
    /// new key and every key as JSON.
    RotateKey(RotateArgs),
    /// Retire a WeChat Pay key of a running sandbox (not the default one):
    /// no longer listed by /v3/certificates nor used to sign, except a
    /// certificate download naming it. Prints the keys as JSON.
    RetireKey(RetireArgs),
}

#[derive(Debug, Args)]
struct RotateArgs {
    #[command(flatten)]
    admin: AdminArgs,
    /// Retire the key the new one replaces at once.
    #[arg(long)]
    retire_previous: bool,
    /// Rotate once this many more requests have arrived (admin requests do
    /// not count) instead of now.
    #[arg(long, value_name = "N", default_value_t = 0)]
    after_requests: u64,
}

#[derive(Debug, Args)]
struct RetireArgs {
    #[command(flatten)]
    admin: AdminArgs,
    /// The key to retire: its PUB_KEY_ID_… or certificate serial (see
    /// `sandbox keys`).
    #[arg(value_name = "ID")]
    id: String,
}

#[derive(Debug, Args)]
struct AdminArgs {
    /// The running sandbox (its first stdout line; `wxpay.env` sets it).
    #[arg(long, env = "WXPAY_BASE_URL", value_name = "http://127.0.0.1:PORT")]
    base_url: String,
}

#[derive(Debug, Args)]
struct RunArgs {
    /// Listen address; loopback only (port 0 picks a free port).
    #[arg(long, value_name = "127.0.0.1:PORT", default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Directory for the credentials (wxpay.env and PEM files). Reused when it
    /// already holds a wxpay.env [default: a fresh temporary directory].
    #[arg(long, value_name = "DIR")]
    keys_dir: Option<PathBuf>,
    /// Notify URL of the brands and the service provider at start (as if each
    /// had called set-notify-config): every send POSTs a signed, encrypted
    /// notification there, retried until it answers 2xx. Only http:// on a
    /// loopback host is posted to.
    #[arg(long, value_name = "URL")]
    notify_url: Option<String>,
    /// Keep the state in this JSON file: loaded at start when it exists,
    /// saved after every change and at exit. A file that is not a sandbox
    /// state file is refused and left untouched.
    #[arg(long, value_name = "PATH")]
    state_file: Option<PathBuf>,
    /// Start from the seeded state, discarding what --state-file holds.
    #[arg(long)]
    reset: bool,
    /// Seconds new product coupons and stocks stay AUDITING.
    #[arg(long, value_name = "SECS", default_value_t = 0)]
    review_delay: u64,
    /// Which WeChat Pay keys the sandbox signs with: `public-key` (GET
    /// /v3/certificates answers 404, wxpay.env names the public key),
    /// `certificates` (platform certificates only; wxpay.env names no public
    /// key, so clients download the certificates with WXPAY_APIV3_KEY) or
    /// `both` (an account migrating: answers are signed with the key the
    /// request's Wechatpay-Serial names, by default the public key).
    #[arg(
        long,
        value_name = "MODE",
        default_value = "both",
        value_parser = parse_key_mode
    )]
    wechatpay_keys: WechatPayKeyMode,
    /// Rotate the WeChat Pay key once this many requests have arrived (the
    /// last of them is still answered with the first key), so that a
    /// client's key refresh can be seen from one `call --repeat`. Later
    /// rotations: `wxpay-coupon sandbox rotate-key`.
    #[arg(long, value_name = "N")]
    rotate_after: Option<u64>,
}

fn parse_key_mode(value: &str) -> Result<WechatPayKeyMode, String> {
    value
        .parse()
        .map_err(|e: coupon_sandbox::Error| e.to_string())
}

pub(crate) async fn run(args: SandboxArgs) -> Result<(), CliError> {
    match args.action {
        Some(SandboxAction::Deliveries(admin)) => {
            let log = coupon_sandbox::admin::deliveries(&admin.base_url).await?;
            print_json(&log)
        }
        Some(SandboxAction::Reset(admin)) => {
            coupon_sandbox::admin::reset(&admin.base_url).await?;
            note(format!(
                "the sandbox at {} is back to its seeded state",
                admin.base_url
            ));
            Ok(())
        }
        Some(SandboxAction::Keys(admin)) => {
            let keys = coupon_sandbox::admin::wechatpay_keys(&admin.base_url).await?;
            print_json(&serde_json::json!({ "mode": keys.mode, "keys": keys.keys }))
        }
        Some(SandboxAction::RotateKey(args)) => {
            let rotation = coupon_sandbox::admin::rotate_wechatpay_key(
                &args.admin.base_url,
                args.retire_previous,
                args.after_requests,
            )
            .await?;
            match &rotation.rotated {
                Some(key) => note(format!(
                    "the sandbox at {} now signs with {}",
                    args.admin.base_url, key.id
                )),
                None => note(format!(
                    "the sandbox at {} rotates its key once {} more request(s) have arrived",
                    args.admin.base_url, rotation.after_requests
                )),
            }
            print_json(&serde_json::json!({
                "rotated": rotation.rotated,
                "after_requests": rotation.after_requests,
                "retire_previous": rotation.retire_previous,
                "mode": rotation.mode,
                "keys": rotation.keys,
            }))
        }
        Some(SandboxAction::RetireKey(args)) => {
            let keys =
                coupon_sandbox::admin::retire_wechatpay_key(&args.admin.base_url, &args.id).await?;
            note(format!(
                "the sandbox at {} retired {}",
                args.admin.base_url, args.id
            ));
            print_json(&serde_json::json!({ "mode": keys.mode, "keys": keys.keys }))
        }
        None => serve(args.run).await,
    }
}

async fn serve(args: RunArgs) -> Result<(), CliError> {
    if !args.listen.ip().is_loopback() {
        return Err(CliError::Config(format!(
            "refusing to listen on {}: the sandbox binds loopback addresses only; use --listen 127.0.0.1:PORT",
            args.listen
        )));
    }
    let dir = match args.keys_dir {
        Some(dir) => dir,
        None => fresh_temp_dir()?,
    };
    if args.reset && args.state_file.is_none() {
        return Err(CliError::Config(
            "--reset starts over from the seeded state of a --state-file; without --state-file every start is fresh".to_owned(),
        ));
    }
    let credentials = load_or_generate(&dir).await?;
    let mut builder = Sandbox::builder()
        .listen(args.listen)
        .credentials(credentials)
        .review_delay(Duration::from_secs(args.review_delay))
        .wechatpay_keys(args.wechatpay_keys)
        .fresh_state(args.reset);
    if let Some(url) = &args.notify_url {
        builder = builder.notify_url(url.clone());
    }
    if let Some(path) = &args.state_file {
        builder = builder.state_file(path.clone());
    }
    let sandbox = builder.start().await?;
    if let Some(requests) = args.rotate_after {
        sandbox
            .rotate_wechatpay_key_with(KeyRotation::new().after_requests(requests))
            .await?;
    }
    let base_url = sandbox.base_url();
    sandbox
        .credentials()
        .write_keys_dir_for(&dir, &base_url, args.wechatpay_keys)?;

    // The base URL is the first line of stdout, flushed, so scripts can read it.
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{base_url}")?;
        out.flush()?;
    }
    let env_file = std::fs::canonicalize(&dir)
        .unwrap_or_else(|_| dir.clone())
        .join(ENV_FILE);
    note(format!("sandbox listening on {base_url}"));
    note(format!("credentials written to {}", env_file.display()));
    note("configure the CLI with:");
    note(format!("  set -a; . {}; set +a", env_file.display()));
    note(format!(
        "  wxpay-coupon stocks list --product-coupon-id {}",
        coupon_sandbox::seed::PRODUCT_COUPON_ID
    ));
    if let Some(url) = &args.notify_url {
        if let Err(e) = coupon_sandbox::check_webhook_url(url) {
            note(format!("warning: {e}"));
        } else {
            note(format!("notifications go to {url}"));
        }
    }
    if let Some(path) = &args.state_file {
        note(format!("state kept in {}", path.display()));
    }
    note(format!(
        "WeChat Pay keys: {} ({})",
        args.wechatpay_keys,
        match args.wechatpay_keys {
            WechatPayKeyMode::PublicKey => "public key only; /v3/certificates answers 404",
            WechatPayKeyMode::Certificates =>
                "platform certificates only; clients download them with WXPAY_APIV3_KEY",
            _ => "public key and platform certificates",
        }
    ));
    if let Some(requests) = args.rotate_after {
        note(format!(
            "the WeChat Pay key rotates once {requests} request(s) have arrived"
        ));
    }
    note("deliveries: wxpay-coupon sandbox deliveries · reset: wxpay-coupon sandbox reset");
    note("keys: wxpay-coupon sandbox keys · rotate-key [--retire-previous] · retire-key ID");
    note("press Ctrl-C to stop");

    wait_for_interrupt().await?;
    note("stopping the sandbox (Ctrl-C again to stop at once)");
    tokio::select! {
        () = sandbox.shutdown() => note("stopped"),
        _ = tokio::signal::ctrl_c() => note("stopped at once"),
    }
    Ok(())
}

/// The credentials stored in `dir`, or fresh ones.
async fn load_or_generate(dir: &Path) -> Result<Credentials, CliError> {
    if let Some(credentials) = Credentials::load_keys_dir_if_present(dir)? {
        note(format!("reusing the credentials in {}", dir.display()));
        return Ok(credentials);
    }
    let credentials = tokio::task::spawn_blocking(Credentials::generate)
        .await
        .map_err(|e| CliError::Config(format!("key generation task failed: {e}")))??;
    Ok(credentials)
}

/// A new, private directory under the system temp directory.
fn fresh_temp_dir() -> Result<PathBuf, CliError> {
    let suffix = wxpay_sign::try_generate_nonce_of_len(12)
        .map_err(|e| CliError::Config(format!("cannot name a temporary keys directory: {e}")))?;
    let dir = std::env::temp_dir().join(format!("wxpay-coupon-sandbox-{suffix}"));
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(&dir).map_err(|e| {
        CliError::Config(format!(
            "cannot create the keys directory {}: {e}; pass --keys-dir DIR",
            dir.display()
        ))
    })?;
    Ok(dir)
}

/// Waits for Ctrl-C (and, on Unix, SIGTERM).
async fn wait_for_interrupt() -> Result<(), CliError> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).map_err(signal_error)?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result.map_err(signal_error)?,
            _ = term.recv() => {}
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.map_err(signal_error)?;
        Ok(())
    }
}

fn signal_error(e: std::io::Error) -> CliError {
    CliError::Config(format!("cannot listen for Ctrl-C: {e}"))
}

/// A brand client of the in-process `sandbox`, from its credentials (its
/// WeChat Pay public key; no backup host).
pub(crate) fn brand_client_of(sandbox: &Sandbox) -> Result<BrandClient, CliError> {
    let creds: &Credentials = sandbox.credentials();
    Ok(BrandClient::builder()
        .brand_id(creds.brand_id.clone())
        .serial_no(creds.brand_serial_no.clone())
        .private_key(creds.brand_private_key.clone())
        .wechatpay_public_key(
            creds.wechatpay_public_key_id.clone(),
            creds.wechatpay_public_key.clone(),
        )
        .base_url(sandbox.base_url())
        .backup_base_url(None)
        .build()?)
}

/// A service-provider client of the in-process `sandbox`, for its brand.
pub(crate) fn partner_client_of(sandbox: &Sandbox) -> Result<PartnerClient, CliError> {
    let creds: &Credentials = sandbox.credentials();
    Ok(PartnerClient::builder()
        .mchid(creds.mchid.clone())
        .brand_id(creds.brand_id.clone())
        .serial_no(creds.mch_serial_no.clone())
        .private_key(creds.mch_private_key.clone())
        .wechatpay_public_key(
            creds.wechatpay_public_key_id.clone(),
            creds.wechatpay_public_key.clone(),
        )
        .base_url(sandbox.base_url())
        .backup_base_url(None)
        .build()?)
}
