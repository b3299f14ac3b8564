//! Verification: responses and webhooks (`Wechatpay-*` headers) on the client
//! side, `Authorization` headers on the server side (sandbox).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use arc_swap::ArcSwap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, HeaderName, HeaderValue};

use crate::backend::MAX_SIGNATURE_LEN;
use crate::cert::PlatformCertificate;
use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};
use crate::keys::{PrivateKey, PublicKey};
use crate::keyset::{KeySet, WechatPayKey};
use crate::nonce::try_generate_nonce;
use crate::sign::{Identity, Scheme, SignableRequest};

/// Timestamps differing from local time by this many seconds or more are rejected.
pub const TIMESTAMP_WINDOW_SECS: u64 = 300;

/// Prefix of WeChat Pay's deliberate signature probes.
pub const SIGNATURE_PROBE_PREFIX: &str = "WECHATPAY/SIGNTEST/";

/// `Wechatpay-Timestamp`.
pub const WECHATPAY_TIMESTAMP: HeaderName = HeaderName::from_static("wechatpay-timestamp");
/// `Wechatpay-Nonce`.
pub const WECHATPAY_NONCE: HeaderName = HeaderName::from_static("wechatpay-nonce");
/// `Wechatpay-Signature`.
pub const WECHATPAY_SIGNATURE: HeaderName = HeaderName::from_static("wechatpay-signature");
/// `Wechatpay-Serial`.
pub const WECHATPAY_SERIAL: HeaderName = HeaderName::from_static("wechatpay-serial");
/// `Wechatpay-Signature-Type` (sent with webhooks).
pub const WECHATPAY_SIGNATURE_TYPE: HeaderName =
    HeaderName::from_static("wechatpay-signature-type");

/// Rejects `timestamp` when it differs from `clock`'s time by `window_secs` or
/// more, in either direction ([`Error::TimestampSkew`]).
pub fn check_timestamp(clock: &dyn Clock, timestamp: i64, window_secs: u64) -> Result<()> {
    let now = clock.now_unix();
    if now.abs_diff(timestamp) >= window_secs {
        return Err(Error::TimestampSkew {
            timestamp,
            now,
            window: window_secs,
        });
    }
    Ok(())
}

/// The exact bytes a response or webhook signature covers:
/// `TIMESTAMP\nNONCE\nBODY\n`.
pub fn response_message(timestamp: &str, nonce: &str, body: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(timestamp.len() + nonce.len() + body.len() + 3);
    for part in [timestamp.as_bytes(), nonce.as_bytes(), body] {
        m.extend_from_slice(part);
        m.push(b'\n');
    }
    m
}

/// Decodes a base64 signature into `buf` (no allocation). `Ok(None)` when it
/// is valid base64 but longer than any signature of a supported key: such a
/// signature cannot verify.
fn decode_signature<'b>(
    signature_b64: &str,
    buf: &'b mut [u8; MAX_SIGNATURE_LEN],
) -> std::result::Result<Option<&'b [u8]>, base64::DecodeError> {
    match STANDARD.decode_slice(signature_b64.as_bytes(), buf) {
        Ok(len) => Ok(buf.get(..len)),
        // Too long for any key: decode it all anyway (rare), so that invalid
        // base64 is still reported as such wherever the bad byte is.
        Err(base64::DecodeSliceError::OutputSliceTooSmall) => {
            STANDARD.decode(signature_b64.as_bytes()).map(|_| None)
        }
        Err(base64::DecodeSliceError::DecodeError(e)) => Err(e),
    }
}

/// Parses a signed timestamp: optional `-`, then 1–19 ASCII digits, nothing else.
fn parse_timestamp(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || digits.len() > 19 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Longest excerpt of a received (untrusted) value put into an error message.
const EXCERPT_CHARS: usize = 64;

/// At most [`EXCERPT_CHARS`] characters of an untrusted value, for error messages.
pub(crate) fn excerpt(s: &str) -> String {
    let mut chars = s.chars();
    let mut out: String = chars.by_ref().take(EXCERPT_CHARS).collect();
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

// ---------------------------------------------------------------------------
// Response / webhook headers
// ---------------------------------------------------------------------------

/// The four signature headers of a WeChat Pay response or webhook.
///
/// `Debug` shows the timestamp, nonce and serial but not the signature.
#[derive(Clone, PartialEq, Eq)]
pub struct SignatureHeaders {
    timestamp: i64,
    /// The timestamp exactly as received (it is what was signed).
    timestamp_raw: String,
    nonce: String,
    signature: String,
    serial: String,
}

impl SignatureHeaders {
    /// Builds headers from parts (for servers signing responses, and tests).
    pub fn new(
        timestamp: i64,
        nonce: impl Into<String>,
        signature: impl Into<String>,
        serial: impl Into<String>,
    ) -> Self {
        Self {
            timestamp,
            timestamp_raw: timestamp.to_string(),
            nonce: nonce.into(),
            signature: signature.into(),
            serial: serial.into(),
        }
    }

    /// Reads `Wechatpay-Timestamp`, `Wechatpay-Nonce`, `Wechatpay-Signature` and
    /// `Wechatpay-Serial`. Fails with [`Error::MissingHeader`] or
    /// [`Error::InvalidHeader`] naming the header (a header given twice is invalid).
    pub fn from_header_map(headers: &HeaderMap) -> Result<Self> {
        HeadersView::from_header_map(headers).map(|view| Self {
            timestamp: view.timestamp,
            timestamp_raw: view.timestamp_raw.to_owned(),
            nonce: view.nonce.to_owned(),
            signature: view.signature.to_owned(),
            serial: view.serial.to_owned(),
        })
    }

    /// The headers as borrowed text (what verification reads).
    fn view(&self) -> HeadersView<'_> {
        HeadersView {
            timestamp: self.timestamp,
            timestamp_raw: &self.timestamp_raw,
            nonce: &self.nonce,
            signature: &self.signature,
            serial: &self.serial,
        }
    }

    /// Inserts the four headers into `headers` (replacing existing values).
    pub fn apply_to(&self, headers: &mut HeaderMap) -> Result<()> {
        for (name, display, value) in [
            (
                WECHATPAY_TIMESTAMP,
                "Wechatpay-Timestamp",
                &self.timestamp_raw,
            ),
            (WECHATPAY_NONCE, "Wechatpay-Nonce", &self.nonce),
            (WECHATPAY_SIGNATURE, "Wechatpay-Signature", &self.signature),
            (WECHATPAY_SERIAL, "Wechatpay-Serial", &self.serial),
        ] {
            let value = HeaderValue::from_str(value).map_err(|e| Error::InvalidHeader {
                name: display,
                reason: e.to_string(),
            })?;
            headers.insert(name, value);
        }
        Ok(())
    }

    /// The signed timestamp.
    pub fn timestamp(&self) -> i64 {
        self.timestamp
    }

    /// `Wechatpay-Nonce`.
    pub fn nonce(&self) -> &str {
        &self.nonce
    }

    /// `Wechatpay-Signature` (base64, or a `WECHATPAY/SIGNTEST/` probe).
    pub fn signature(&self) -> &str {
        &self.signature
    }

    /// `Wechatpay-Serial`: the WeChat Pay public key id or platform-certificate serial.
    pub fn serial(&self) -> &str {
        &self.serial
    }

    /// The bytes the signature covers for `body`.
    pub fn message(&self, body: &[u8]) -> Vec<u8> {
        response_message(&self.timestamp_raw, &self.nonce, body)
    }
}

impl fmt::Debug for SignatureHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignatureHeaders")
            .field("timestamp", &self.timestamp_raw)
            .field("nonce", &self.nonce)
            .field("serial", &self.serial)
            .field("signature", &"<redacted>")
            .finish()
    }
}

/// The four signature headers borrowed from where they were received: what
/// [`Verifier::verify_headers`] checks without copying them.
#[derive(Clone, Copy)]
struct HeadersView<'a> {
    timestamp: i64,
    timestamp_raw: &'a str,
    nonce: &'a str,
    signature: &'a str,
    serial: &'a str,
}

impl<'a> HeadersView<'a> {
    /// [`SignatureHeaders::from_header_map`] without the copies: the same
    /// checks, in the same order, with the same errors.
    fn from_header_map(headers: &'a HeaderMap) -> Result<Self> {
        let timestamp_raw = header_str(headers, &WECHATPAY_TIMESTAMP, "Wechatpay-Timestamp")?;
        let Some(timestamp) = parse_timestamp(timestamp_raw) else {
            return Err(Error::InvalidHeader {
                name: "Wechatpay-Timestamp",
                reason: format!(
                    "{:?} is not a Unix timestamp in seconds",
                    excerpt(timestamp_raw)
                ),
            });
        };
        Ok(Self {
            timestamp,
            timestamp_raw,
            nonce: header_str(headers, &WECHATPAY_NONCE, "Wechatpay-Nonce")?,
            signature: header_str(headers, &WECHATPAY_SIGNATURE, "Wechatpay-Signature")?,
            serial: header_str(headers, &WECHATPAY_SERIAL, "Wechatpay-Serial")?,
        })
    }
}

fn header_str<'a>(
    headers: &'a HeaderMap,
    name: &HeaderName,
    display: &'static str,
) -> Result<&'a str> {
    let mut values = headers.get_all(name).iter();
    let Some(value) = values.next() else {
        return Err(Error::MissingHeader { name: display });
    };
    if values.next().is_some() {
        return Err(Error::InvalidHeader {
            name: display,
            reason: "appears more than once".into(),
        });
    }
    let s = value.to_str().map_err(|_| Error::InvalidHeader {
        name: display,
        reason: "is not visible ASCII".into(),
    })?;
    let s = s.trim();
    if s.is_empty() {
        return Err(Error::InvalidHeader {
            name: display,
            reason: "is empty".into(),
        });
    }
    Ok(s)
}

// ---------------------------------------------------------------------------
// Verifier
// ---------------------------------------------------------------------------

/// Verifies WeChat Pay responses and webhooks against a live [`KeySet`]:
/// WeChat Pay public keys (`PUB_KEY_ID_…`) and platform certificates (by
/// serial, case-insensitively) at the same time.
///
/// Holds several keys at once (key rotation; platform certificate → public-key
/// migration) and an injectable [`Clock`]. Cheap to clone, `Send + Sync`;
/// **clones share the key set**: [`replace_keys`](Self::replace_keys) on one
/// is seen by every clone. The set is swapped atomically and read without a
/// lock (`arc-swap`), so replacing it never blocks or fails a verification
/// in flight: each verification uses the whole old set or the whole new one.
///
/// Checks, in order: signature probe → headers parse → known serial →
/// certificate validity (`notBefore ..= notAfter` by the clock;
/// [`Error::CertificateExpired`], [`Error::CertificateNotYetValid`]) →
/// timestamp window (`|now − ts| ≥ 300 s` rejected, in either direction) →
/// signature.
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<VerifierInner>,
}

struct VerifierInner {
    keys: ArcSwap<KeySet>,
    clock: Arc<dyn Clock>,
    window: u64,
}

/// Builds a [`Verifier`].
#[derive(Debug)]
pub struct VerifierBuilder {
    keys: KeySet,
    clock: Option<Arc<dyn Clock>>,
    window: u64,
    allow_empty: bool,
}

impl Verifier {
    /// Starts a builder (system clock, 300 s window, no keys).
    pub fn builder() -> VerifierBuilder {
        VerifierBuilder {
            keys: KeySet::new(),
            clock: None,
            window: TIMESTAMP_WINDOW_SECS,
            allow_empty: false,
        }
    }

    /// Verifies a response or webhook `body` against its signature headers.
    pub fn verify(&self, headers: &SignatureHeaders, body: &[u8]) -> Result<()> {
        self.verify_view(headers.view(), body)
    }

    /// [`verify`](Self::verify) of borrowed headers: no copy of them, and
    /// (with the aws-lc backend) no heap allocation on success.
    fn verify_view(&self, headers: HeadersView<'_>, body: &[u8]) -> Result<()> {
        if headers.signature.starts_with(SIGNATURE_PROBE_PREFIX) {
            return Err(Error::SignatureProbe {
                serial: excerpt(headers.serial),
            });
        }
        // One lock-free snapshot for the whole verification.
        let keys = self.inner.keys.load();
        let now = self.inner.clock.now_unix();
        let key = keys.verification_key(headers.serial, now)?;
        check_timestamp(&*self.inner.clock, headers.timestamp, self.inner.window)?;
        let mut buf = [0u8; MAX_SIGNATURE_LEN];
        let signature = match decode_signature(headers.signature, &mut buf) {
            Ok(Some(signature)) => signature,
            Ok(None) => {
                return Err(Error::BadSignature {
                    serial: headers.serial.to_owned(),
                });
            }
            Err(e) => {
                return Err(Error::InvalidHeader {
                    name: "Wechatpay-Signature",
                    reason: format!("is not standard base64: {e}"),
                });
            }
        };
        let parts = [
            headers.timestamp_raw.as_bytes(),
            b"\n",
            headers.nonce.as_bytes(),
            b"\n",
            body,
            b"\n",
        ];
        if key.verify_pkcs1_sha256(&parts, signature) {
            Ok(())
        } else {
            Err(Error::BadSignature {
                serial: headers.serial.to_owned(),
            })
        }
    }

    /// Reads the signature headers from `headers` and verifies `body`.
    ///
    /// A signature probe is recognised before anything else is looked at, so it
    /// is reported as [`Error::SignatureProbe`] even when the other headers are
    /// missing or malformed. The headers are read in place, not copied.
    pub fn verify_headers(&self, headers: &HeaderMap, body: &[u8]) -> Result<()> {
        if let Some(probe) = probe_in(headers) {
            return Err(probe);
        }
        self.verify_view(HeadersView::from_header_map(headers)?, body)
    }

    /// The key set in use now (a snapshot: later replacements do not change it).
    pub fn keys(&self) -> Arc<KeySet> {
        self.inner.keys.load_full()
    }

    /// Replaces the key set, for this verifier and every clone of it, at once.
    /// Verifications already running finish with the set they started with.
    /// An empty set is allowed here (every message then fails with
    /// [`Error::UnknownSerial`]).
    pub fn replace_keys(&self, keys: KeySet) {
        self.inner.keys.store(Arc::new(keys));
    }

    /// A verifier with this one's clock and window and its own key set
    /// `keys`, **not** shared with this one (to check a message against
    /// candidate keys before adopting them).
    pub fn with_separate_keys(&self, keys: KeySet) -> Verifier {
        Verifier {
            inner: Arc::new(VerifierInner {
                keys: ArcSwap::from_pointee(keys),
                clock: self.inner.clock.clone(),
                window: self.inner.window,
            }),
        }
    }

    /// The ids (public key ids / certificate serials) of the keys held now, sorted.
    pub fn key_ids(&self) -> Vec<String> {
        self.inner.keys.load().ids().map(str::to_owned).collect()
    }

    /// The key held now under `id` (certificate serials in any case), if any.
    pub fn public_key(&self, id: &str) -> Option<PublicKey> {
        self.inner
            .keys
            .load()
            .get(id)
            .map(|k| k.public_key().clone())
    }

    /// The clock that judges timestamps and certificate validity.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// The timestamp window in seconds.
    pub fn timestamp_window_secs(&self) -> u64 {
        self.inner.window
    }
}

/// [`Error::SignatureProbe`] when any `Wechatpay-Signature` value starts with
/// [`SIGNATURE_PROBE_PREFIX`], whatever the other headers hold.
fn probe_in(headers: &HeaderMap) -> Option<Error> {
    let is_probe = headers.get_all(&WECHATPAY_SIGNATURE).iter().any(|v| {
        v.as_bytes()
            .trim_ascii_start()
            .starts_with(SIGNATURE_PROBE_PREFIX.as_bytes())
    });
    is_probe.then(|| Error::SignatureProbe {
        serial: headers
            .get(&WECHATPAY_SERIAL)
            .and_then(|v| v.to_str().ok())
            .map(|s| excerpt(s.trim()))
            .unwrap_or_default(),
    })
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("keys", &*self.inner.keys.load())
            .field("clock", &self.inner.clock)
            .field("window_secs", &self.inner.window)
            .finish()
    }
}

impl VerifierBuilder {
    /// Adds (or replaces) the key with id `id`: a WeChat Pay public key id
    /// (`PUB_KEY_ID_…`), or a platform-certificate serial when only the
    /// certificate's key is at hand (prefer [`certificate`](Self::certificate),
    /// which also enforces its validity). Call several times to hold old and
    /// new keys during a rotation.
    pub fn public_key(mut self, id: impl Into<String>, key: PublicKey) -> Self {
        self.keys.insert_public_key(id, key);
        self
    }

    /// Adds (or replaces) a platform certificate, under its serial.
    pub fn certificate(mut self, certificate: PlatformCertificate) -> Self {
        self.keys.insert_certificate(certificate);
        self
    }

    /// Adds every key of `keys` (replacing keys of the same ids).
    pub fn keys(mut self, keys: KeySet) -> Self {
        for (id, key) in keys.iter() {
            match key {
                WechatPayKey::PublicKey(k) => self.keys.insert_public_key(id, k.clone()),
                WechatPayKey::Certificate(c) => self.keys.insert_certificate(c.clone()),
            }
        }
        self
    }

    /// Lets [`build`](Self::build) succeed with no key: for a verifier whose
    /// keys arrive later through [`Verifier::replace_keys`] (platform
    /// certificates downloaded with the APIv3 key). Until then every message
    /// fails with [`Error::UnknownSerial`].
    pub fn allow_empty(mut self) -> Self {
        self.allow_empty = true;
        self
    }

    /// Uses `clock` instead of the system clock.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Changes the timestamp window (default [`TIMESTAMP_WINDOW_SECS`]).
    pub fn timestamp_window_secs(mut self, secs: u64) -> Self {
        self.window = secs;
        self
    }

    /// Builds the verifier; fails with [`Error::NoPublicKeys`] when no key was
    /// added, unless [`allow_empty`](Self::allow_empty) was called.
    pub fn build(self) -> Result<Verifier> {
        if self.keys.is_empty() && !self.allow_empty {
            return Err(Error::NoPublicKeys);
        }
        Ok(Verifier {
            inner: Arc::new(VerifierInner {
                keys: ArcSwap::from_pointee(self.keys),
                clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
                window: self.window,
            }),
        })
    }
}

// ---------------------------------------------------------------------------
// Server side: signing responses
// ---------------------------------------------------------------------------

/// Signs responses and webhooks the way WeChat Pay does (for sandboxes and tests).
#[derive(Clone, Debug)]
pub struct ResponseSigner {
    serial: String,
    key: PrivateKey,
}

impl ResponseSigner {
    /// A signer whose messages carry `Wechatpay-Serial: serial` (e.g. `PUB_KEY_ID_…`).
    pub fn new(serial: impl Into<String>, key: PrivateKey) -> Self {
        Self {
            serial: serial.into(),
            key,
        }
    }

    /// The serial put in `Wechatpay-Serial`.
    pub fn serial(&self) -> &str {
        &self.serial
    }

    /// The public key that verifies this signer's messages.
    pub fn public_key(&self) -> PublicKey {
        self.key.public_key()
    }

    /// Signs `body` at `timestamp` with `nonce` (pure, deterministic).
    pub fn sign(&self, body: &[u8], timestamp: i64, nonce: &str) -> Result<SignatureHeaders> {
        let ts = timestamp.to_string();
        let mut signature = String::new();
        self.key.sign_pkcs1_sha256_base64(
            &[ts.as_bytes(), b"\n", nonce.as_bytes(), b"\n", body, b"\n"],
            &mut signature,
        )?;
        Ok(SignatureHeaders {
            timestamp,
            timestamp_raw: ts,
            nonce: nonce.to_owned(),
            signature,
            serial: self.serial.clone(),
        })
    }

    /// Signs `body` with `clock`'s time and a fresh nonce.
    pub fn sign_with_clock(&self, body: &[u8], clock: &dyn Clock) -> Result<SignatureHeaders> {
        self.sign(body, clock.now_unix(), &try_generate_nonce()?)
    }

    /// Signs `body` with the system clock and a fresh nonce.
    pub fn sign_now(&self, body: &[u8]) -> Result<SignatureHeaders> {
        self.sign_with_clock(body, &SystemClock)
    }
}

// ---------------------------------------------------------------------------
// Server side: parsing and verifying Authorization
// ---------------------------------------------------------------------------

/// A parsed request `Authorization` header (server side).
///
/// `Debug` shows every parameter except the signature.
#[derive(Clone, PartialEq, Eq)]
pub struct ParsedAuthorization {
    scheme: Scheme,
    id: String,
    nonce_str: String,
    timestamp: i64,
    timestamp_raw: String,
    serial_no: String,
    signature: String,
}

impl ParsedAuthorization {
    /// Parses `SCHEME key="value",…`. Parameters may come in any order, with
    /// optional spaces after commas; unknown parameters are ignored, duplicates
    /// and missing ones are errors ([`Error::MalformedAuthorization`]). Never
    /// panics, whatever the input.
    pub fn parse(header: &str) -> Result<Self> {
        let bad = |reason: String| Error::MalformedAuthorization { reason };
        let header = header.trim();
        let Some((scheme_token, params)) = header.split_once(' ') else {
            return Err(bad("expected a scheme, a space, then parameters".into()));
        };
        let scheme = match scheme_token {
            "WECHATPAY-BRAND-SHA256-RSA2048" => Scheme::Brand,
            "WECHATPAY2-SHA256-RSA2048" => Scheme::Merchant,
            // Echo the token only when it is short and looks like one: garbled
            // input could otherwise put (part of) a signature in the message.
            other
                if other.len() <= 32
                    && other
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
            {
                return Err(bad(format!("unknown scheme {other:?}")));
            }
            _ => return Err(bad("unknown scheme".into())),
        };
        let mut fields: BTreeMap<&str, &str> = BTreeMap::new();
        let mut rest = params.trim_start();
        while !rest.is_empty() {
            let Some((key, after_eq)) = rest.split_once('=') else {
                return Err(bad("a parameter lacks `=`".into()));
            };
            let key = key.trim();
            if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Err(bad("a parameter name is empty or not [A-Za-z0-9_]".into()));
            }
            let (value, after_value) = if let Some(quoted) = after_eq.strip_prefix('"') {
                let Some(end) = quoted.find('"') else {
                    return Err(bad(format!("the value of {key} has no closing quote")));
                };
                (&quoted[..end], &quoted[end + 1..])
            } else {
                let end = after_eq.find(',').unwrap_or(after_eq.len());
                (after_eq[..end].trim(), &after_eq[end..])
            };
            if fields.insert(key, value).is_some() {
                return Err(bad(format!("parameter {key} appears twice")));
            }
            let after_value = after_value.trim_start();
            rest = match after_value.strip_prefix(',') {
                Some(r) => r.trim_start(),
                None if after_value.is_empty() => after_value,
                None => return Err(bad(format!("expected `,` after the value of {key}"))),
            };
        }
        let other_id = match scheme {
            Scheme::Brand => Scheme::Merchant.id_param(),
            Scheme::Merchant => Scheme::Brand.id_param(),
        };
        if fields.contains_key(other_id) {
            return Err(bad(format!(
                "{} carries {other_id}: the brand and merchant schemes are mixed",
                scheme.as_str()
            )));
        }
        let mut take = |name: &str| -> Result<String> {
            match fields.remove(name) {
                Some(v) if !v.is_empty() => Ok(v.to_owned()),
                Some(_) => Err(bad(format!("{name} is empty"))),
                None => Err(bad(format!("{name} is missing"))),
            }
        };
        let id = take(scheme.id_param())?;
        let nonce_str = take("nonce_str")?;
        let timestamp_raw = take("timestamp")?;
        let serial_no = take("serial_no")?;
        let signature = take("signature")?;
        let Some(timestamp) = parse_timestamp(&timestamp_raw) else {
            return Err(bad("timestamp is not a Unix timestamp in seconds".into()));
        };
        Ok(Self {
            scheme,
            id,
            nonce_str,
            timestamp,
            timestamp_raw,
            serial_no,
            signature,
        })
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The `brand_id` or `mchid`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The caller as an [`Identity`].
    pub fn identity(&self) -> Identity {
        match self.scheme {
            Scheme::Brand => Identity::Brand {
                brand_id: self.id.clone(),
            },
            Scheme::Merchant => Identity::Merchant {
                mchid: self.id.clone(),
            },
        }
    }

    /// `nonce_str`.
    pub fn nonce_str(&self) -> &str {
        &self.nonce_str
    }

    /// `timestamp`.
    pub fn timestamp(&self) -> i64 {
        self.timestamp
    }

    /// `serial_no`: the caller's API-certificate serial.
    pub fn serial_no(&self) -> &str {
        &self.serial_no
    }

    /// `signature` (base64).
    pub fn signature(&self) -> &str {
        &self.signature
    }

    /// The bytes the signature should cover for `request`.
    pub fn message(&self, request: &SignableRequest<'_>) -> Vec<u8> {
        request.message(&self.timestamp_raw, &self.nonce_str)
    }
}

impl fmt::Debug for ParsedAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParsedAuthorization")
            .field("scheme", &self.scheme)
            .field("id", &self.id)
            .field("nonce_str", &self.nonce_str)
            .field("timestamp", &self.timestamp_raw)
            .field("serial_no", &self.serial_no)
            .field("signature", &"<redacted>")
            .finish()
    }
}

/// Checks that `auth`'s signature covers `request` under `key` (server side).
///
/// Only the signature is checked; check the caller's identity, serial and
/// [`check_timestamp`] separately.
pub fn verify_request(
    key: &PublicKey,
    auth: &ParsedAuthorization,
    request: &SignableRequest<'_>,
) -> Result<()> {
    let bad_signature = || Error::BadSignature {
        serial: auth.serial_no.clone(),
    };
    let mut buf = [0u8; MAX_SIGNATURE_LEN];
    let signature = decode_signature(&auth.signature, &mut buf)
        .map_err(|e| Error::MalformedAuthorization {
            reason: format!("signature is not standard base64: {e}"),
        })?
        .ok_or_else(bad_signature)?;
    let parts = request.message_parts(auth.timestamp_raw.as_bytes(), &auth.nonce_str);
    if key.verify_pkcs1_sha256(&parts, signature) {
        Ok(())
    } else {
        Err(Error::BadSignature {
            serial: auth.serial_no.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_of_the_largest_keys_fit_the_buffer() {
        let mut buf = [0u8; MAX_SIGNATURE_LEN];
        for len in [0, 1, 256, 512, MAX_SIGNATURE_LEN - 1, MAX_SIGNATURE_LEN] {
            let sig = vec![0xa5; len];
            let decoded = decode_signature(&STANDARD.encode(&sig), &mut buf).unwrap();
            assert_eq!(decoded, Some(&sig[..]), "{len} bytes");
        }
        let too_long = STANDARD.encode([0xa5; MAX_SIGNATURE_LEN + 1]);
        assert_eq!(decode_signature(&too_long, &mut buf).unwrap(), None);
        assert!(decode_signature("a!", &mut buf).is_err());
    }
}
