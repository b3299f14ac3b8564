//! Request signing: the pure function and its conveniences.

use std::fmt;
use std::ops::Range;

use http::HeaderValue;

use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};
use crate::keys::PrivateKey;
use crate::nonce::StackNonce;

/// The two `Authorization` schemes of WeChat Pay APIv3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `WECHATPAY-BRAND-SHA256-RSA2048 brand_id="…",…` — brand APIs (`/brand/…`).
    Brand,
    /// `WECHATPAY2-SHA256-RSA2048 mchid="…",…` — merchant and service-provider APIs (`/v3/…`).
    Merchant,
}

impl Scheme {
    /// The scheme token that opens the header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Brand => "WECHATPAY-BRAND-SHA256-RSA2048",
            Scheme::Merchant => "WECHATPAY2-SHA256-RSA2048",
        }
    }

    /// The parameter naming the caller: `brand_id` or `mchid`.
    pub fn id_param(self) -> &'static str {
        match self {
            Scheme::Brand => "brand_id",
            Scheme::Merchant => "mchid",
        }
    }
}

/// Who signs: a brand (brand APIs) or a merchant / service provider (`/v3/…` APIs).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Identity {
    /// A brand, identified by its `brand_id`.
    Brand {
        /// The brand id.
        brand_id: String,
    },
    /// A merchant or service provider, identified by its `mchid`.
    Merchant {
        /// The merchant id.
        mchid: String,
    },
}

impl Identity {
    /// The `Authorization` scheme this identity signs with.
    pub fn scheme(&self) -> Scheme {
        match self {
            Identity::Brand { .. } => Scheme::Brand,
            Identity::Merchant { .. } => Scheme::Merchant,
        }
    }

    /// The brand id or mchid.
    pub fn id(&self) -> &str {
        match self {
            Identity::Brand { brand_id } => brand_id,
            Identity::Merchant { mchid } => mchid,
        }
    }
}

/// The parts of an HTTP request that WeChat Pay signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignableRequest<'a> {
    /// HTTP method exactly as sent, e.g. `GET`.
    pub method: &'a str,
    /// Absolute path plus `?query` exactly as sent (percent-encoded), no scheme or host.
    pub path_and_query: &'a str,
    /// The exact body bytes sent; empty for GET. For image uploads, the `meta` JSON.
    pub body: &'a [u8],
}

impl<'a> SignableRequest<'a> {
    /// Bundles method, path-and-query and body.
    pub fn new(method: &'a str, path_and_query: &'a str, body: &'a [u8]) -> Self {
        Self {
            method,
            path_and_query,
            body,
        }
    }

    /// The exact bytes that are signed:
    /// `METHOD\nPATH_AND_QUERY\nTIMESTAMP\nNONCE\nBODY\n`.
    pub fn message(&self, timestamp: &str, nonce: &str) -> Vec<u8> {
        self.message_parts(timestamp.as_bytes(), nonce).concat()
    }

    /// [`SignableRequest::message`] as the slices it concatenates (signed and
    /// verified without building the message).
    pub(crate) fn message_parts<'p>(
        &'p self,
        timestamp: &'p [u8],
        nonce: &'p str,
    ) -> [&'p [u8]; 10] {
        [
            self.method.as_bytes(),
            b"\n",
            self.path_and_query.as_bytes(),
            b"\n",
            timestamp,
            b"\n",
            nonce.as_bytes(),
            b"\n",
            self.body,
            b"\n",
        ]
    }

    fn validate(&self) -> Result<()> {
        let bad = |field, reason: &str| {
            Err(Error::InvalidSigningInput {
                field,
                reason: reason.to_owned(),
            })
        };
        if self.method.is_empty() || !self.method.bytes().all(is_tchar) {
            return bad(
                "method",
                "must be a non-empty HTTP token such as GET or POST",
            );
        }
        let p = self.path_and_query;
        if p.starts_with("http://") || p.starts_with("https://") {
            return bad(
                "path_and_query",
                "pass only the path and query (e.g. /v3/…?a=b), without scheme and host",
            );
        }
        if !p.starts_with('/') {
            return bad("path_and_query", "must start with `/`");
        }
        if !p.bytes().all(|b| b.is_ascii_graphic()) || p.contains('#') {
            return bad(
                "path_and_query",
                "must be percent-encoded ASCII without spaces, control characters or a `#fragment`",
            );
        }
        Ok(())
    }
}

/// Bytes of the `Authorization` value besides the scheme, the id parameter's
/// name, the values and the timestamp: ` ="`, four `",NAME="` separators (13
/// bytes each) and the closing `"`.
const HEADER_FIXED_LEN: usize = 3 + 4 * 13 + 1;

/// Longest decimal `i64`: `-9223372036854775808`.
const I64_DECIMAL_MAX: usize = 20;

/// `value` in ASCII decimal, written into the end of `buf` (no allocation).
fn format_i64(value: i64, buf: &mut [u8; I64_DECIMAL_MAX]) -> &[u8] {
    let mut n = value.unsigned_abs();
    let mut start = buf.len();
    loop {
        start -= 1;
        // `n % 10` is below 10, so the cast cannot truncate.
        buf[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if value < 0 {
        start -= 1;
        buf[start] = b'-';
    }
    &buf[start..]
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Checks that `value` can sit inside `name="…"`: visible ASCII, no `"` or `\`.
fn validate_param(field: &'static str, value: &str) -> Result<()> {
    if value.is_empty()
        || !value
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
    {
        return Err(Error::InvalidSigningInput {
            field,
            reason: "must be non-empty visible ASCII without `\"` or `\\`".to_owned(),
        });
    }
    Ok(())
}

fn validate_nonce(nonce: &str) -> Result<()> {
    if nonce.is_empty() || nonce.len() > 128 || !nonce.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Error::InvalidSigningInput {
            field: "nonce",
            reason: "must be 1–128 characters of [0-9A-Za-z] (WeChat Pay uses 32)".to_owned(),
        });
    }
    Ok(())
}

/// Signs requests for one identity with one API-certificate key.
///
/// `Debug` shows the identity and serial, never the key.
#[derive(Clone, Debug)]
pub struct Signer {
    identity: Identity,
    serial_no: String,
    key: PrivateKey,
}

impl Signer {
    /// A signer for the brand scheme. `serial_no` is the serial of the brand's
    /// own API certificate.
    pub fn brand(
        brand_id: impl Into<String>,
        serial_no: impl Into<String>,
        key: PrivateKey,
    ) -> Self {
        Self::new(
            Identity::Brand {
                brand_id: brand_id.into(),
            },
            serial_no,
            key,
        )
    }

    /// A signer for the merchant / service-provider scheme. `serial_no` is the
    /// serial of the merchant's own API certificate.
    pub fn merchant(
        mchid: impl Into<String>,
        serial_no: impl Into<String>,
        key: PrivateKey,
    ) -> Self {
        Self::new(
            Identity::Merchant {
                mchid: mchid.into(),
            },
            serial_no,
            key,
        )
    }

    /// A signer for any identity.
    pub fn new(identity: Identity, serial_no: impl Into<String>, key: PrivateKey) -> Self {
        Self {
            identity,
            serial_no: serial_no.into(),
            key,
        }
    }

    /// Who signs.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// The API-certificate serial number put in `serial_no`.
    pub fn serial_no(&self) -> &str {
        &self.serial_no
    }

    /// The private key.
    pub fn private_key(&self) -> &PrivateKey {
        &self.key
    }

    /// Signs `request` at `timestamp` (Unix seconds) with `nonce`: a pure,
    /// deterministic function of its inputs (RSASSA-PKCS1-v1_5 is deterministic).
    pub fn sign(
        &self,
        request: &SignableRequest<'_>,
        timestamp: i64,
        nonce: &str,
    ) -> Result<Authorization> {
        request.validate()?;
        validate_nonce(nonce)?;
        let scheme = self.identity.scheme();
        validate_param(scheme.id_param(), self.identity.id())?;
        validate_param("serial_no", &self.serial_no)?;

        // The header is written once, in order, into a buffer of exactly its
        // size, which then becomes the `HeaderValue` without a copy; the
        // message is signed from its parts (no message buffer with the aws-lc
        // backend) and the base64 signature is appended in place.
        let id = self.identity.id();
        let mut ts_buf = [0u8; I64_DECIMAL_MAX];
        let ts = format_i64(timestamp, &mut ts_buf);
        let mut header = String::with_capacity(
            HEADER_FIXED_LEN
                + scheme.as_str().len()
                + scheme.id_param().len()
                + id.len()
                + nonce.len()
                + ts.len()
                + self.serial_no.len()
                + 4 * self.key.bits().div_ceil(8).div_ceil(3),
        );
        for part in [scheme.as_str(), " ", scheme.id_param(), "=\"", id] {
            header.push_str(part);
        }
        header.push_str("\",nonce_str=\"");
        let nonce_at = header.len()..header.len() + nonce.len();
        header.push_str(nonce);
        header.push_str("\",timestamp=\"");
        header.extend(ts.iter().map(|&b| char::from(b)));
        header.push_str("\",serial_no=\"");
        header.push_str(&self.serial_no);
        header.push_str("\",signature=\"");
        let parts = request.message_parts(ts, nonce);
        self.key.sign_pkcs1_sha256_base64(&parts, &mut header)?;
        header.push('"');
        let mut value = HeaderValue::try_from(header).map_err(|e| Error::InvalidSigningInput {
            field: "authorization",
            reason: e.to_string(),
        })?;
        value.set_sensitive(true);
        Ok(Authorization {
            value,
            scheme,
            timestamp,
            nonce: nonce_at,
        })
    }

    /// Signs with the system clock and a fresh nonce.
    pub fn sign_now(&self, request: &SignableRequest<'_>) -> Result<Authorization> {
        self.sign_with_clock(request, &SystemClock)
    }

    /// Signs with `clock`'s time and a fresh nonce.
    pub fn sign_with_clock(
        &self,
        request: &SignableRequest<'_>,
        clock: &dyn Clock,
    ) -> Result<Authorization> {
        let nonce = StackNonce::generate()?;
        self.sign(request, clock.now_unix(), nonce.as_str())
    }

    /// Base64 RSASSA-PKCS1-v1_5 SHA-256 signature over arbitrary bytes (for
    /// example a response message `TIMESTAMP\nNONCE\nBODY\n`).
    pub fn sign_message(&self, message: &[u8]) -> Result<String> {
        let mut out = String::with_capacity(4 * self.key.bits().div_ceil(24));
        self.key.sign_pkcs1_sha256_base64(&[message], &mut out)?;
        Ok(out)
    }
}

/// A signed `Authorization` header value.
///
/// `Debug` redacts the signature; [`Authorization::to_header_value`] and
/// [`Authorization::into_header_value`] yield a value marked sensitive so
/// `http`'s own `Debug` hides it too.
#[derive(Clone)]
pub struct Authorization {
    /// The header, marked sensitive (visible ASCII: checked when it was made).
    value: HeaderValue,
    scheme: Scheme,
    timestamp: i64,
    /// Where the nonce is in the header.
    nonce: Range<usize>,
}

impl Authorization {
    /// The full header value.
    pub fn as_str(&self) -> &str {
        // Built from visible ASCII only (`Signer::sign` checks every part),
        // so this never falls back.
        self.value.to_str().unwrap_or_default()
    }

    /// The header value, marked sensitive.
    pub fn to_header_value(&self) -> HeaderValue {
        self.value.clone()
    }

    /// The header value, marked sensitive, without a copy or a reference
    /// count (what a signing hook sends).
    pub fn into_header_value(self) -> HeaderValue {
        self.value
    }

    /// The signed timestamp.
    pub fn timestamp(&self) -> i64 {
        self.timestamp
    }

    /// The signed nonce.
    pub fn nonce(&self) -> &str {
        self.as_str().get(self.nonce.clone()).unwrap_or_default()
    }

    /// The scheme used.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }
}

impl fmt::Debug for Authorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authorization")
            .field("scheme", &self.scheme.as_str())
            .field("timestamp", &self.timestamp)
            .field("nonce", &self.nonce())
            .field("signature", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_timestamps() {
        let mut buf = [0u8; I64_DECIMAL_MAX];
        for v in [
            0,
            7,
            -7,
            10,
            1_700_000_000,
            -1_700_000_000,
            i64::MAX,
            i64::MIN,
        ] {
            assert_eq!(format_i64(v, &mut buf), v.to_string().as_bytes());
        }
    }
}
