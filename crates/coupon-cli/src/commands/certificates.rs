//! `certificates download`: the merchant's WeChat Pay platform certificates,
//! downloaded (`GET /v3/certificates`, signed with the merchant identity),
//! decrypted with the APIv3 key, checked, and printed or written as PEM.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use coupon_client::CertificateStatus;
use coupon_client::wxpay_sign::{Clock, PlatformCertificate, SystemClock};
use serde::Serialize;

use crate::config::PartnerConfig;
use crate::error::CliError;
use crate::output::{note, print_json};

#[derive(Debug, Subcommand)]
pub(crate) enum CertificatesCommand {
    /// Download the merchant's WeChat Pay platform certificates, decrypt
    /// them with the APIv3 key and print them (serial, validity, PEM) as
    /// JSON, or write them to --out. A public-key-only account has none:
    /// exit 2, and use its WeChat Pay public key instead.
    Download(DownloadArgs),
}

#[derive(Debug, Args)]
pub(crate) struct DownloadArgs {
    /// Write each certificate to DIR/wechatpay_SERIAL.pem, SERIAL being its
    /// serial (DIR is created when missing), and print the file names
    /// instead of the PEM text.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    #[command(flatten)]
    config: PartnerConfig,
}

pub(crate) async fn run(command: CertificatesCommand) -> Result<(), CliError> {
    match command {
        CertificatesCommand::Download(args) => download(args).await,
    }
}

/// One printed certificate.
#[derive(Debug, Serialize)]
struct Line {
    serial_no: String,
    /// RFC 3339, UTC.
    not_before: String,
    /// RFC 3339, UTC.
    not_after: String,
    /// Whether it is valid now (by this machine's clock).
    valid_now: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pem: Option<String>,
}

async fn download(args: DownloadArgs) -> Result<(), CliError> {
    let client = args.config.certificates_client("certificates download")?;
    let certificates = match client.refresh_certificates().await? {
        CertificateStatus::Certificates(certificates) => certificates,
        // `CertificateStatus` may grow; anything but certificates is "none".
        _ => {
            return Err(CliError::NoCertificates(
                "WeChat Pay has no platform certificates for this merchant (GET /v3/certificates answered 404 or an empty list): it is a public-key-only account — verify with its WeChat Pay public key instead: set WXPAY_PUBLIC_KEY_ID (--public-key-id) and WXPAY_PUBLIC_KEY (--public-key), downloaded from the merchant platform".to_owned(),
            ));
        }
    };
    let now = SystemClock.now_unix();
    let mut lines = Vec::with_capacity(certificates.len());
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir)
            .map_err(|e| CliError::Input(format!("cannot create --out {}: {e}", dir.display())))?;
    }
    for cert in &certificates {
        let (file, pem) = match &args.out {
            Some(dir) => (Some(write_pem(dir, cert)?), None),
            None => (None, Some(cert.to_pem())),
        };
        lines.push(Line {
            serial_no: cert.serial().to_owned(),
            not_before: rfc3339(cert.not_before()),
            not_after: rfc3339(cert.not_after()),
            valid_now: cert.is_valid_at(now),
            file,
            pem,
        });
    }
    if let Some(dir) = &args.out {
        note(format!(
            "{} platform certificate(s) written to {}",
            lines.len(),
            dir.display()
        ));
    }
    print_json(&lines)
}

/// Writes `cert` to `dir/wechatpay_SERIAL.pem` and returns the path.
fn write_pem(dir: &Path, cert: &PlatformCertificate) -> Result<String, CliError> {
    // The serial is hex digits only (the certificate parser made it), so it
    // is a safe file name.
    let path = dir.join(format!("wechatpay_{}.pem", cert.serial()));
    std::fs::write(&path, cert.to_pem()).map_err(|e| {
        CliError::Output(std::io::Error::new(
            e.kind(),
            format!("{}: {e}", path.display()),
        ))
    })?;
    Ok(path.to_string_lossy().into_owned())
}

/// `unix` seconds as `YYYY-MM-DDTHH:MM:SSZ` (proleptic Gregorian, UTC).
fn rfc3339(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Days since 1970-01-01 to a civil date (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn unix_times_print_as_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(4_948_955_354), "2126-10-29T13:49:14Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }
}
