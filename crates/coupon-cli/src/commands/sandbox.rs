//! `sandbox`: run the local WeChat Pay look-alike until interrupted.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::Args;
use coupon_sandbox::{Credentials, ENV_FILE, Sandbox};

use crate::error::CliError;
use crate::output::note;

#[derive(Debug, Args)]
pub(crate) struct SandboxArgs {
    /// Listen address; loopback only (port 0 picks a free port).
    #[arg(long, value_name = "127.0.0.1:PORT", default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Directory for the credentials (wxpay.env and PEM files). Reused when it
    /// already holds a wxpay.env [default: a fresh temporary directory].
    #[arg(long, value_name = "DIR")]
    keys_dir: Option<PathBuf>,
}

pub(crate) async fn run(args: SandboxArgs) -> Result<(), CliError> {
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
    let credentials = load_or_generate(&dir).await?;
    let sandbox = Sandbox::builder()
        .listen(args.listen)
        .credentials(credentials)
        .start()
        .await?;
    let base_url = sandbox.base_url();
    sandbox.credentials().write_keys_dir(&dir, &base_url)?;

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
