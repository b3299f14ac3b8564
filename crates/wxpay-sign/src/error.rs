//! The crate's single error type.

use std::path::PathBuf;

/// Convenience alias for `Result<T, wxpay_sign::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in this crate.
///
/// Each variant's `Display` says what happened and what to do about it. Use
/// [`Error::kind`] (or [`Error::is_verification_failure`]) to group them, for
/// example to answer a webhook with 401 on any verification failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The private key is password-protected.
    #[error(
        "the private key is encrypted ({format}); this crate only loads unencrypted keys: decrypt it once with `openssl pkcs8 -topk8 -nocrypt -in KEY.pem -out apiclient_key.pem` and protect the file (or a secret store) instead"
    )]
    EncryptedKey {
        /// Which encrypted container was found.
        format: &'static str,
    },

    /// The key is not an RSA (`rsaEncryption`) key.
    #[error(
        "the key is not an RSA key (found {algorithm}); WeChat Pay APIv3 signs with RSA-2048: use the apiclient_key.pem issued with your merchant API certificate"
    )]
    NotRsaKey {
        /// The algorithm that was found instead.
        algorithm: String,
    },

    /// The RSA key is shorter than 2048 bits.
    #[error(
        "the RSA key has {bits} bits but at least {min} are required; WeChat Pay API certificates use 2048-bit keys: use the current apiclient_key.pem / WeChat Pay public key"
    )]
    KeyTooSmall {
        /// Modulus length found.
        bits: usize,
        /// Minimum accepted modulus length.
        min: usize,
    },

    /// The key or certificate could not be decoded or was rejected by the backend.
    #[error(
        "malformed {what}: {reason}; check that the file is the unmodified PEM/DER downloaded from the merchant platform"
    )]
    MalformedKey {
        /// What was being decoded (e.g. "PKCS#8 private key").
        what: &'static str,
        /// Why it was rejected.
        reason: String,
    },

    /// The PEM text holds no block of the expected kind.
    #[error(
        "no {expected} PEM block found (found: {found:?}); pass the right file: apiclient_key.pem for the private key, the WeChat Pay public key (pub_key.pem) or platform certificate for verification"
    )]
    NoPemBlock {
        /// The block labels that would have been accepted.
        expected: &'static str,
        /// The labels that were present.
        found: Vec<String>,
    },

    /// A key file could not be read.
    #[error("cannot read key file `{}`: {source}; check the path and the file permissions", path.display())]
    KeyFile {
        /// The path that was tried.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// An input to signing (method, path, nonce, id, serial) cannot be put in a header safely.
    #[error("cannot sign: invalid {field}: {reason}")]
    InvalidSigningInput {
        /// The offending input.
        field: &'static str,
        /// Why it was rejected.
        reason: String,
    },

    /// The crypto backend failed to produce a signature (should not happen with a loaded key).
    #[error(
        "the crypto backend failed to sign the message; retry, and report a bug if it persists"
    )]
    SigningFailed,

    /// The operating system's random number generator failed.
    #[error(
        "the operating system random number generator failed ({reason}); check the host's entropy source"
    )]
    Rng {
        /// Backend description.
        reason: String,
    },

    /// A required signature header is absent.
    #[error(
        "the {name} header is missing; only signed 2xx responses and webhooks from WeChat Pay carry it — reject the message"
    )]
    MissingHeader {
        /// Canonical header name, e.g. `Wechatpay-Timestamp`.
        name: &'static str,
    },

    /// A signature header is present but unusable.
    #[error("the {name} header is invalid: {reason}; reject the message")]
    InvalidHeader {
        /// Canonical header name.
        name: &'static str,
        /// Why it was rejected.
        reason: String,
    },

    /// `Wechatpay-Serial` names a key the verifier does not hold.
    #[error(
        "the message's Wechatpay-Serial {got} is not among the WeChat Pay public keys and platform certificates held {known:?}: a PUB_KEY_ID_… is a WeChat Pay public key to download from the merchant platform and add (Verifier::builder().public_key(…)); a hex serial is a platform certificate, which GET /v3/certificates delivers (coupon-client downloads it when given the APIv3 key)"
    )]
    UnknownSerial {
        /// The serial/key id the message named (at most 64 characters of it).
        got: String,
        /// The key ids the verifier holds.
        known: Vec<String>,
    },

    /// `Wechatpay-Serial` names a platform certificate whose validity ended.
    #[error(
        "the platform certificate {serial} expired at {not_after} (Unix time; now {now}): WeChat Pay no longer signs with it — reject the message; a certificate download brings the current ones (or move to the WeChat Pay public key)"
    )]
    CertificateExpired {
        /// The certificate's serial.
        serial: String,
        /// Its `notAfter`, Unix seconds.
        not_after: i64,
        /// The verifier's clock reading.
        now: i64,
    },

    /// `Wechatpay-Serial` names a platform certificate not valid yet.
    #[error(
        "the platform certificate {serial} is valid only from {not_before} (Unix time; now {now}): reject the message, and check the local clock (NTP) if this repeats"
    )]
    CertificateNotYetValid {
        /// The certificate's serial.
        serial: String,
        /// Its `notBefore`, Unix seconds.
        not_before: i64,
        /// The verifier's clock reading.
        now: i64,
    },

    /// The signed timestamp is too far from the local clock.
    #[error(
        "the signed timestamp {timestamp} differs from local time {now} by {} s, not less than the allowed {window} s; the message may be replayed, or the local clock is wrong (check NTP)",
        timestamp.abs_diff(*now)
    )]
    TimestampSkew {
        /// The timestamp that was signed.
        timestamp: i64,
        /// The local clock reading.
        now: i64,
        /// Allowed window in seconds (differences `>= window` are rejected).
        window: u64,
    },

    /// WeChat Pay's deliberate signature probe (`Wechatpay-Signature: WECHATPAY/SIGNTEST/…`).
    #[error(
        "signature probe from WeChat Pay (Wechatpay-Signature starts with WECHATPAY/SIGNTEST/, serial {serial}); this is expected now and then: reject the message (answer webhooks with 4xx/5xx) — no action needed"
    )]
    SignatureProbe {
        /// The serial the probe named (at most 64 characters; empty when absent).
        serial: String,
    },

    /// The signature does not verify.
    #[error(
        "the signature does not verify with public key {serial}: the signed bytes (timestamp, nonce, body, or method/path) were altered, or they were signed with another key; reject the message and never re-serialise the body before verifying"
    )]
    BadSignature {
        /// The key id used.
        serial: String,
    },

    /// An `Authorization` header could not be parsed.
    #[error(
        "malformed Authorization header: {reason}; expected `WECHATPAY2-SHA256-RSA2048 mchid=\"…\",nonce_str=\"…\",timestamp=\"…\",serial_no=\"…\",signature=\"…\"` (or WECHATPAY-BRAND-SHA256-RSA2048 with brand_id)"
    )]
    MalformedAuthorization {
        /// Why it was rejected.
        reason: String,
    },

    /// A verifier was built without any public key.
    #[error(
        "a Verifier needs at least one WeChat Pay public key: call Verifier::builder().public_key(\"PUB_KEY_ID_…\", key) before build()"
    )]
    NoPublicKeys,

    /// The APIv3 key is not 32 bytes long.
    #[error(
        "the APIv3 key must be exactly 32 bytes, got {len}; copy the 32-character key set under Account Center → API security (watch for trailing newlines)"
    )]
    InvalidApiV3Key {
        /// Length received.
        len: usize,
    },

    /// The webhook resource names an algorithm other than `AEAD_AES_256_GCM`.
    #[error(
        "unsupported resource algorithm {got:?}; only AEAD_AES_256_GCM is defined by WeChat Pay APIv3 — reject the notification"
    )]
    UnsupportedAlgorithm {
        /// The algorithm name received.
        got: String,
    },

    /// A base64 field could not be decoded.
    #[error("the {field} is not valid standard base64: {reason}")]
    Base64 {
        /// Which field.
        field: &'static str,
        /// Decoder message.
        reason: String,
    },

    /// A webhook resource field has the wrong shape (e.g. nonce length).
    #[error("invalid webhook resource {field}: {reason}")]
    InvalidResource {
        /// Which field.
        field: &'static str,
        /// Why it was rejected.
        reason: String,
    },

    /// AES-GCM authentication failed.
    #[error(
        "webhook resource failed AES-256-GCM authentication: the APIv3 key is wrong (brands use the brand API key) or the nonce, associated_data or ciphertext was altered"
    )]
    DecryptionFailed,

    /// RSA-OAEP encryption failed (e.g. plaintext longer than 214 bytes for RSA-2048).
    #[error("cannot encrypt the sensitive field: {reason}")]
    EncryptionFailed {
        /// Why it failed.
        reason: String,
    },

    /// RSA-OAEP decryption failed.
    #[error(
        "cannot decrypt the sensitive field: it was not encrypted (RSA-OAEP SHA-1) to this private key's public key, or it was altered"
    )]
    SensitiveDecryptionFailed,
}

/// Coarse grouping of [`Error`] variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Loading a key, certificate or APIv3 key failed.
    Key,
    /// A component was configured incorrectly (e.g. verifier without keys).
    Config,
    /// Producing a signature failed (bad input or backend failure).
    Signing,
    /// A message failed verification: missing/invalid headers, unknown serial,
    /// timestamp skew, probe, bad signature, malformed `Authorization`. (A
    /// certificate outside its validity has its own kinds, below; use
    /// [`ErrorKind::is_verification`] to match all of them.)
    Verification,
    /// A message named a platform certificate whose `notAfter` has passed
    /// ([`Error::CertificateExpired`]); a verification failure.
    CertificateExpired,
    /// A message named a platform certificate whose `notBefore` is still
    /// ahead ([`Error::CertificateNotYetValid`]); a verification failure.
    CertificateNotYetValid,
    /// Decrypting a webhook resource or sensitive field failed.
    Decryption,
    /// Encrypting a sensitive field failed.
    Encryption,
}

impl ErrorKind {
    /// `true` for the kinds that mean "reject the message as
    /// unauthenticated": [`Verification`](Self::Verification),
    /// [`CertificateExpired`](Self::CertificateExpired) and
    /// [`CertificateNotYetValid`](Self::CertificateNotYetValid).
    pub fn is_verification(self) -> bool {
        matches!(
            self,
            ErrorKind::Verification
                | ErrorKind::CertificateExpired
                | ErrorKind::CertificateNotYetValid
        )
    }
}

impl Error {
    /// The group this error belongs to.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::EncryptedKey { .. }
            | Error::NotRsaKey { .. }
            | Error::KeyTooSmall { .. }
            | Error::MalformedKey { .. }
            | Error::NoPemBlock { .. }
            | Error::KeyFile { .. }
            | Error::InvalidApiV3Key { .. } => ErrorKind::Key,
            Error::NoPublicKeys => ErrorKind::Config,
            Error::InvalidSigningInput { .. } | Error::SigningFailed | Error::Rng { .. } => {
                ErrorKind::Signing
            }
            Error::MissingHeader { .. }
            | Error::InvalidHeader { .. }
            | Error::UnknownSerial { .. }
            | Error::TimestampSkew { .. }
            | Error::SignatureProbe { .. }
            | Error::BadSignature { .. }
            | Error::MalformedAuthorization { .. } => ErrorKind::Verification,
            Error::CertificateExpired { .. } => ErrorKind::CertificateExpired,
            Error::CertificateNotYetValid { .. } => ErrorKind::CertificateNotYetValid,
            Error::UnsupportedAlgorithm { .. }
            | Error::Base64 { .. }
            | Error::InvalidResource { .. }
            | Error::DecryptionFailed
            | Error::SensitiveDecryptionFailed => ErrorKind::Decryption,
            Error::EncryptionFailed { .. } => ErrorKind::Encryption,
        }
    }

    /// `true` for every reason a response, webhook or request must be rejected
    /// as unauthenticated (including signature probes and certificates outside
    /// their validity).
    pub fn is_verification_failure(&self) -> bool {
        self.kind().is_verification()
    }

    /// `true` for WeChat Pay's deliberate `WECHATPAY/SIGNTEST/` probes, which
    /// services usually log at a calmer level than real failures.
    pub fn is_signature_probe(&self) -> bool {
        matches!(self, Error::SignatureProbe { .. })
    }
}
