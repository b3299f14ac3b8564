//! The crate's single error type.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Convenience alias for `Result<T, coupon_sandbox::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while starting, driving or talking to the sandbox.
///
/// Errors *inside* a request (bad signature, invalid body, …) are not errors of
/// this crate: they are WeChat Pay-format HTTP responses sent to the client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The requested listen address is not a loopback address.
    #[error(
        "refusing to listen on {addr}: the sandbox binds loopback addresses only; use 127.0.0.1:PORT (or [::1]:PORT)"
    )]
    NonLoopbackListen {
        /// The refused address.
        addr: SocketAddr,
    },

    /// Binding the listening socket failed.
    #[error("cannot listen on {addr}: {source}; pick a free port or use port 0")]
    Bind {
        /// The address that was tried.
        addr: SocketAddr,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// A key operation from `wxpay-sign` failed (key generation, signing, encryption).
    #[error("{context}: {source}")]
    Crypto {
        /// What the sandbox was doing.
        context: &'static str,
        /// The underlying error.
        #[source]
        source: wxpay_sign::Error,
    },

    /// The operating system's random number generator failed.
    #[error(
        "the OS random number generator failed: {reason}; check /dev/urandom / getrandom availability"
    )]
    Random {
        /// What the RNG reported.
        reason: String,
    },

    /// Reading or writing the keys directory failed.
    #[error("cannot {action} `{}`: {source}; check the path and its permissions", path.display())]
    KeysDir {
        /// What was attempted ("write", "read", "create").
        action: &'static str,
        /// The file or directory concerned.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// The keys directory exists but its contents are incomplete or malformed.
    #[error(
        "the keys directory `{}` is not usable: {reason}; delete it to let the sandbox write fresh credentials",
        path.display()
    )]
    InvalidKeysDir {
        /// The directory.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },

    /// A webhook target URL was rejected before sending.
    #[error(
        "cannot send a webhook to {url:?}: {reason}; the sandbox only POSTs plain http:// to loopback hosts (127.0.0.1, [::1], localhost)"
    )]
    WebhookUrl {
        /// The URL given.
        url: String,
        /// Why it was rejected.
        reason: String,
    },

    /// Sending a webhook failed at the transport level (connect, I/O, timeout).
    #[error("sending the webhook to {url} failed: {reason}; is the receiver listening?")]
    WebhookTransport {
        /// The URL.
        url: String,
        /// What failed.
        reason: String,
    },

    /// Serialising a JSON document failed (should not happen for the sandbox's own types).
    #[error("cannot serialise {what} as JSON: {source}")]
    Json {
        /// What was being serialised.
        what: &'static str,
        /// The serde error.
        #[source]
        source: serde_json::Error,
    },

    /// A value the sandbox produced could not be used (a bug: please report it).
    #[error("internal sandbox error: {0}; this is a bug in coupon-sandbox")]
    Internal(String),

    /// The state file cannot be used: not JSON, not a sandbox state file,
    /// another version or another sandbox identity's, unreadable or
    /// unwritable. A refused file is left untouched.
    #[error(
        "refusing the state file `{}`: {reason}; it was left untouched — move or delete it, or pass another path",
        path.display()
    )]
    StateFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },

    /// The admin channel of a running sandbox could not be reached or answered an error.
    #[error("the sandbox admin channel at {url} failed: {reason}; is the sandbox running there?")]
    Admin {
        /// The URL called.
        url: String,
        /// What went wrong.
        reason: String,
    },

    /// A request to the sandbox through the library was refused (the same
    /// refusal an API call would get).
    #[error("refused: {0}")]
    Refused(String),

    /// No seeded object matches the request (e.g. no user coupon to build a webhook from).
    #[error("{0}")]
    NotFound(String),
}

impl Error {
    pub(crate) fn crypto(context: &'static str) -> impl FnOnce(wxpay_sign::Error) -> Error {
        move |source| Error::Crypto { context, source }
    }
}
