//! The CLI's one error type and its exit codes.

use std::process::ExitCode;

use coupon_client::ErrorKind;
use coupon_model::Violations;

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: usage or configuration error (bad flags, missing settings,
/// unreadable or unparsable input files).
pub const EXIT_USAGE: u8 = 1;
/// Exit code: WeChat Pay answered with an error (non-2xx), or a verified
/// answer did not parse, or (`certificates download`) the account has no
/// platform certificates.
pub const EXIT_API: u8 = 2;
/// Exit code: a response or webhook failed verification (signature probes
/// and certificates outside their validity included), or a verified webhook
/// did not decrypt.
pub const EXIT_VERIFICATION: u8 = 3;
/// Exit code: no usable response (connect failure, timeout, body limit).
pub const EXIT_TRANSPORT: u8 = 4;
/// Exit code: the input breaks documented rules (`validate`, or a request the
/// client refused to send).
pub const EXIT_VALIDATION: u8 = 5;

/// Everything that makes a command fail.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Usage or configuration problem; the message says what to set or fix.
    #[error("{0}")]
    Config(String),

    /// An input file could not be read or parsed.
    #[error("{0}")]
    Input(String),

    /// The client failed (API error, verification, transport, validation…).
    #[error(transparent)]
    Client(#[from] coupon_client::Error),

    /// A document breaks documented rules (`validate`).
    #[error("{what} is not valid: it breaks {} documented rule(s)", violations.len())]
    Invalid {
        /// What was validated (e.g. "stock.json as a stock").
        what: String,
        /// The broken rules.
        violations: Violations,
    },

    /// The account has no platform certificates (public-key-only): the
    /// message names the public-key settings to use instead.
    #[error("{0}")]
    NoCertificates(String),

    /// The local sandbox failed to start or run.
    #[error("sandbox: {0}")]
    Sandbox(#[from] coupon_sandbox::Error),

    /// A step of the demo did not behave as expected.
    #[error("demo step failed: {0}")]
    Demo(String),

    /// Writing the output failed.
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
}

impl CliError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Config(_) | CliError::Input(_) | CliError::Output(_) => EXIT_USAGE,
            CliError::Sandbox(_) | CliError::Demo(_) => EXIT_USAGE,
            CliError::Invalid { .. } => EXIT_VALIDATION,
            CliError::NoCertificates(_) => EXIT_API,
            CliError::Client(e) => client_exit_code(e.kind()),
        }
    }

    /// What to do next, for the last line of every error report.
    pub fn next_step(&self) -> &'static str {
        use coupon_client::ErrorKind as K;
        match self {
            CliError::Config(_) => {
                "set what the message names (flags or WXPAY_* variables; `--help` lists them), or run the sandbox: `wxpay-coupon sandbox --keys-dir \"$(mktemp -d)/kd\"`"
            }
            CliError::Input(_) => "fix the input the message names and run the command again",
            CliError::Output(_) => {
                "check that stdout can be written (disk space, the pipe's reader)"
            }
            CliError::NoCertificates(_) => {
                "configure the WeChat Pay public key (WXPAY_PUBLIC_KEY_ID, WXPAY_PUBLIC_KEY) from the merchant platform"
            }
            CliError::Invalid { .. } => {
                "fix each field listed above (its JSON pointer and rule id), then validate again"
            }
            CliError::Sandbox(_) => {
                "check the listen address, the keys directory and the state file the message names"
            }
            CliError::Demo(_) => "report it with the output above: the demo should always pass",
            CliError::Client(e) => match e.kind() {
                K::InvalidRequest => "fix the request as listed above; nothing was sent",
                K::Api => match e.api_error() {
                    Some(api) if !api.verified => {
                        "the answer was not signed: confirm it before acting on its advice; quote the Request-ID to WeChat Pay support"
                    }
                    _ => "follow the advice above; quote the Request-ID to WeChat Pay support",
                },
                K::SignatureProbe => "nothing: WeChat Pay checks that answers are verified",
                K::Verification | K::Replayed => {
                    "check WXPAY_PUBLIC_KEY_ID / WXPAY_PUBLIC_KEY against the merchant platform, and the clock"
                }
                K::CertificateExpired | K::CertificateNotYetValid => {
                    "check the clock, then fetch the current platform certificates: `wxpay-coupon certificates download`"
                }
                K::Decryption => "check WXPAY_APIV3_KEY (brands: the brand API key)",
                K::Transport => {
                    "check the base URL and the network, then retry: a write with the same request number is never done twice"
                }
                K::Decode => {
                    "quote the Request-ID when you report it: the SDK may be older than the API"
                }
                K::Config => "check the keys and settings the message names",
                _ => "see the message above",
            },
        }
    }

    /// Whether this is a closed stdout (e.g. piped into `head`): not worth a message.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, CliError::Output(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

/// The exit code for a client error kind.
pub fn client_exit_code(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::InvalidRequest => EXIT_VALIDATION,
        ErrorKind::Api | ErrorKind::Decode => EXIT_API,
        kind if kind.is_verification() => EXIT_VERIFICATION,
        ErrorKind::Decryption | ErrorKind::Replayed => EXIT_VERIFICATION,
        ErrorKind::Transport => EXIT_TRANSPORT,
        _ => EXIT_USAGE,
    }
}

impl From<&CliError> for ExitCode {
    fn from(error: &CliError) -> Self {
        ExitCode::from(error.exit_code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_kinds_map_to_the_documented_exit_codes() {
        assert_eq!(client_exit_code(ErrorKind::InvalidRequest), 5);
        assert_eq!(client_exit_code(ErrorKind::Api), 2);
        assert_eq!(client_exit_code(ErrorKind::Decode), 2);
        assert_eq!(client_exit_code(ErrorKind::Verification), 3);
        assert_eq!(client_exit_code(ErrorKind::SignatureProbe), 3);
        assert_eq!(client_exit_code(ErrorKind::Decryption), 3);
        assert_eq!(client_exit_code(ErrorKind::CertificateExpired), 3);
        assert_eq!(client_exit_code(ErrorKind::CertificateNotYetValid), 3);
        assert_eq!(client_exit_code(ErrorKind::Transport), 4);
        assert_eq!(client_exit_code(ErrorKind::Config), 1);
    }
}
