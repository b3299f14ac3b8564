//! The crate's one error type.

use std::fmt;

use coupon_model::error::{ApiErrorBody, ErrorCode, ErrorDetail};
use coupon_model::validate::Violations;
use http::StatusCode;

/// What went wrong, in a form a caller can match on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The request broke a documented rule, or a required parameter is empty or
    /// unusable in a URL; nothing was sent.
    InvalidRequest,
    /// WeChat Pay answered with a non-2xx status and an error body.
    Api,
    /// The response (or webhook) failed signature verification.
    Verification,
    /// The response (or webhook) named a platform certificate whose
    /// `notAfter` has passed; refused, as a verification failure (see
    /// [`ErrorKind::is_verification`]).
    CertificateExpired,
    /// The response (or webhook) named a platform certificate whose
    /// `notBefore` is still ahead; refused, as a verification failure.
    CertificateNotYetValid,
    /// The response or webhook carried a deliberate `WECHATPAY/SIGNTEST/` signature
    /// probe. It failed verification, as it must; nothing is wrong on your side.
    SignatureProbe,
    /// The request never got a usable response: connect failure, timeout, body too
    /// large, I/O.
    Transport,
    /// The body verified but did not parse as the documented type, or the
    /// verified pages did not make sense (a `next_page_token` that loops).
    Decode,
    /// A verified webhook resource did not decrypt (usually a wrong APIv3 key).
    Decryption,
    /// A webhook delivery that was already received (same signed timestamp
    /// and nonce): a replay, refused.
    Replayed,
    /// The client is misconfigured (bad key, bad base URL, missing setting).
    Config,
}

impl ErrorKind {
    /// `true` for every kind that means "the answer or notification was
    /// refused as unauthenticated": [`Verification`](Self::Verification),
    /// [`SignatureProbe`](Self::SignatureProbe),
    /// [`CertificateExpired`](Self::CertificateExpired) and
    /// [`CertificateNotYetValid`](Self::CertificateNotYetValid).
    pub fn is_verification(self) -> bool {
        matches!(
            self,
            ErrorKind::Verification
                | ErrorKind::SignatureProbe
                | ErrorKind::CertificateExpired
                | ErrorKind::CertificateNotYetValid
        )
    }
}

/// A non-2xx answer from WeChat Pay.
///
/// **Unverified unless [`verified`](Self::verified)**: the protocol signs the
/// 2xx bodies worth verifying; an error answer is checked against the
/// WeChat Pay keys when it carries a signature, and is otherwise taken as
/// sent — by WeChat Pay, or by anything between you and it. So `code`,
/// `message` and `detail` are diagnostics, never instructions: the SDK acts
/// on nothing in them but the documented retry of 429/5xx statuses (with a
/// `Retry-After` capped by the retry policy's maximum delay), and its text
/// fields hold the server's words with control characters escaped and their
/// length bounded (see [`coupon_model::text::excerpt`]), so they are safe
/// to print and log.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// The error code (`PARAM_ERROR`, `SIGN_ERROR`, …); `Unknown` when the body was
    /// not a WeChat Pay error body.
    pub code: ErrorCode,
    /// The server's message.
    pub message: String,
    /// The server's detail (`field` is a JSON pointer for body errors).
    pub detail: Option<ErrorDetail>,
    /// The `Request-ID` to quote to WeChat Pay support.
    pub request_id: Option<String>,
    /// Whether the answer carried a WeChat Pay signature that verified.
    pub verified: bool,
}

/// The longest `message` kept from an error answer (characters).
const MAX_MESSAGE_CHARS: usize = 512;
/// The longest `code`, `detail` string, or `Request-ID` kept (characters).
const MAX_FIELD_CHARS: usize = 128;

fn bounded(text: &str, max: usize) -> String {
    coupon_model::text::excerpt(text, max).into_owned()
}

/// A `detail.value` of at most 1 KiB of JSON; a larger one becomes an
/// excerpt of its text.
fn bounded_value(value: serde_json::Value) -> serde_json::Value {
    match serde_json::to_string(&value) {
        Ok(text) if text.len() <= 1024 && !matches!(value, serde_json::Value::String(_)) => value,
        Ok(text) => serde_json::Value::String(bounded(&text, MAX_MESSAGE_CHARS)),
        Err(_) => serde_json::Value::Null,
    }
}

impl ApiError {
    pub(crate) fn from_response(
        status: StatusCode,
        body: &[u8],
        request_id: Option<String>,
        verified: bool,
    ) -> Self {
        let request_id = request_id.map(|id| bounded(&id, MAX_FIELD_CHARS));
        match serde_json::from_slice::<ApiErrorBody>(body) {
            Ok(parsed) => ApiError {
                status,
                code: match parsed.code {
                    ErrorCode::Unknown(code) => ErrorCode::Unknown(bounded(&code, MAX_FIELD_CHARS)),
                    known => known,
                },
                message: bounded(&parsed.message, MAX_MESSAGE_CHARS),
                detail: parsed.detail.map(|d| ErrorDetail {
                    field: d.field.map(|t| bounded(&t, MAX_FIELD_CHARS)),
                    issue: d.issue.map(|t| bounded(&t, MAX_MESSAGE_CHARS)),
                    location: d.location.map(|t| bounded(&t, MAX_FIELD_CHARS)),
                    value: d.value.map(bounded_value),
                }),
                request_id,
                verified,
            },
            Err(_) => ApiError {
                status,
                code: ErrorCode::Unknown(String::new()),
                message: format!(
                    "HTTP {status} with a body that is not a WeChat Pay error body ({} bytes)",
                    body.len()
                ),
                detail: None,
                request_id,
                verified,
            },
        }
    }

    /// What to do, by code. For an unverified answer it is advice *if the
    /// answer is genuine*.
    fn advice(&self) -> &'static str {
        match self.code {
            ErrorCode::ParamError | ErrorCode::InvalidRequest => {
                "fix the request as the message and detail say"
            }
            ErrorCode::SignError => {
                "check the identity (brand_id vs mchid), API-certificate serial number and private key, and that the clock is right"
            }
            ErrorCode::NoAuth => "the brand or merchant lacks permission for this API or object",
            ErrorCode::NotFound => "check the identifiers in the path",
            ErrorCode::AlreadyExists => {
                "this out_request_no was used with a different request: use a new out_request_no or resend the original body"
            }
            ErrorCode::RatelimitExceeded => "retry later with the same parameters",
            ErrorCode::SystemError => "retry later with the same parameters",
            _ => "see the message; quote the Request-ID to WeChat Pay support",
        }
    }
}

/// The error of every `coupon-client` operation.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The request broke documented rules; nothing went on the wire.
    InvalidRequest(Violations),
    /// A required path or query parameter is empty, or is `.`/`..` (which
    /// would change the path's meaning); nothing went on the wire.
    InvalidParameter {
        /// The parameter (`openid`, `appid`, `product_coupon_id`).
        name: &'static str,
        /// The value given.
        value: String,
    },
    /// The operation cannot be sent as asked — the side lacks it, the partner
    /// side needs a `brand_id` that is missing, a brand call names another
    /// brand, or an upload's digest does not match its file; nothing went on
    /// the wire.
    Unsendable {
        /// The operation's name (`send-user-product-coupon`, …).
        operation: &'static str,
        /// Why, and what to do.
        reason: String,
    },
    /// WeChat Pay answered with an error status.
    Api(Box<ApiError>),
    /// The response failed verification and was discarded unread.
    Verification {
        /// Why verification failed.
        source: wxpay_sign::Error,
        /// HTTP status of the discarded response (absent for webhooks).
        status: Option<StatusCode>,
        /// `Request-ID` of the discarded response.
        request_id: Option<String>,
    },
    /// The transport gave up.
    Transport(coupon_http::Error),
    /// The body verified but is not the documented JSON.
    Decode {
        /// The JSON error.
        source: serde_json::Error,
        /// What was being decoded.
        what: &'static str,
        /// `Request-ID` of the response.
        request_id: Option<String>,
    },
    /// Following `next_page_token` was stopped because the verified pages
    /// would never end (a token that repeats, or endless empty pages). The
    /// items yielded before this error are the ones WeChat Pay returned.
    Pagination(String),
    /// A verified webhook resource could not be decrypted.
    Decryption(wxpay_sign::Error),
    /// A sensitive field could not be encrypted (too long for RSA-OAEP);
    /// nothing was sent.
    Encryption(wxpay_sign::Error),
    /// A platform certificate delivered by `/v3/certificates` is unusable:
    /// it does not decrypt with the APIv3 key, does not parse, or is not the
    /// serial announced. The download is refused whole and the keys held are
    /// kept.
    Certificate {
        /// The `serial_no` the answer announced (an excerpt).
        serial: String,
        /// What is wrong with it.
        reason: String,
        /// The underlying error, if any.
        source: Option<wxpay_sign::Error>,
    },
    /// A webhook delivery whose signed timestamp and nonce were seen before.
    Replayed {
        /// The notification's id (an excerpt).
        notification_id: String,
    },
    /// The client configuration is unusable (or a request could not be signed).
    Config(String),
}

impl Error {
    /// The kind, for matching.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidRequest(_)
            | Error::InvalidParameter { .. }
            | Error::Unsendable { .. } => ErrorKind::InvalidRequest,
            Error::Api(_) => ErrorKind::Api,
            Error::Verification { source, .. } if is_probe(source) => ErrorKind::SignatureProbe,
            Error::Verification { source, .. } => match source.kind() {
                wxpay_sign::ErrorKind::CertificateExpired => ErrorKind::CertificateExpired,
                wxpay_sign::ErrorKind::CertificateNotYetValid => ErrorKind::CertificateNotYetValid,
                _ => ErrorKind::Verification,
            },
            Error::Encryption(_) => ErrorKind::InvalidRequest,
            Error::Certificate {
                source: Some(source),
                ..
            } if source.kind() == wxpay_sign::ErrorKind::Decryption => ErrorKind::Decryption,
            Error::Certificate { .. } => ErrorKind::Decode,
            Error::Transport(_) => ErrorKind::Transport,
            Error::Decode { .. } | Error::Pagination(_) => ErrorKind::Decode,
            Error::Decryption(_) => ErrorKind::Decryption,
            Error::Replayed { .. } => ErrorKind::Replayed,
            Error::Config(_) => ErrorKind::Config,
        }
    }

    /// The API error, when WeChat Pay answered with an error status.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }

    /// The violations, when the request was rejected before sending for
    /// breaking documented rules (`None` for an empty or unusable parameter:
    /// see [`Error::InvalidParameter`]).
    pub fn violations(&self) -> Option<&Violations> {
        match self {
            Error::InvalidRequest(v) => Some(v),
            _ => None,
        }
    }

    /// The `Request-ID` of the response involved, if there was one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api(e) => e.request_id.as_deref(),
            Error::Verification { request_id, .. } | Error::Decode { request_id, .. } => {
                request_id.as_deref()
            }
            _ => None,
        }
    }
}

fn is_probe(e: &wxpay_sign::Error) -> bool {
    e.is_signature_probe()
}

fn rid(request_id: &Option<String>) -> String {
    match request_id {
        Some(id) => format!(" (Request-ID {id})"),
        None => String::new(),
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidRequest(v) => write!(
                f,
                "request not sent: it breaks {} documented rule(s): {v}",
                v.len()
            ),
            Error::InvalidParameter { name, value } if value.is_empty() => write!(
                f,
                "request not sent: {name} is empty; pass the {name} the API page requires"
            ),
            Error::InvalidParameter { name, value } => write!(
                f,
                "request not sent: {name} {value:?} is a dot segment that would change the request path; pass the real {name}"
            ),
            Error::Unsendable { operation, reason } => {
                write!(f, "request not sent: {operation}: {reason}")
            }
            Error::Api(e) => {
                write!(
                    f,
                    "WeChat Pay answered {} {}: {}",
                    e.status.as_u16(),
                    e.code.as_str(),
                    e.message
                )?;
                if let Some(field) = e.detail.as_ref().and_then(|d| d.field.as_deref()) {
                    write!(f, " (field {field})")?;
                }
                if e.verified {
                    write!(f, "{}; {}", rid(&e.request_id), e.advice())
                } else {
                    write!(
                        f,
                        "{}; unverified answer (not signed by WeChat Pay): if it is genuine, {}",
                        rid(&e.request_id),
                        e.advice()
                    )
                }
            }
            Error::Verification {
                source, request_id, ..
            } if is_probe(source) => write!(
                f,
                "rejected a WeChat Pay signature probe (WECHATPAY/SIGNTEST/){}: this is expected now and then and proves verification works; nothing to fix",
                rid(request_id)
            ),
            Error::Verification {
                source,
                status,
                request_id,
            } => {
                let what = if status.is_some() {
                    "response discarded"
                } else {
                    "notification rejected"
                };
                write!(
                    f,
                    "{what}: signature verification failed{}: {}",
                    rid(request_id),
                    coupon_model::text::excerpt(&source.to_string(), 300)
                )?;
                if matches!(source, wxpay_sign::Error::BadSignature { .. }) {
                    f.write_str(". If every message fails, the WeChat Pay public key configured under that id is the wrong one: download it again from the merchant platform")?;
                }
                Ok(())
            }
            Error::Transport(e) => write!(f, "transport failure: {e}"),
            Error::Decode {
                source,
                what,
                request_id,
            } => write!(
                f,
                "the verified {what} does not parse{}: {}; the SDK may be older than the API — report it with the Request-ID",
                rid(request_id),
                coupon_model::text::excerpt(&source.to_string(), 300)
            ),
            Error::Pagination(msg) => write!(
                f,
                "stopped following next_page_token: {msg}; the items before this error are complete as returned, the rest were not fetched — retry later or quote the Request-IDs in your logs to WeChat Pay support"
            ),
            Error::Decryption(e)
                if matches!(
                    e,
                    wxpay_sign::Error::SensitiveDecryptionFailed
                        | wxpay_sign::Error::Base64 {
                            field: "sensitive-field ciphertext",
                            ..
                        }
                ) =>
            {
                write!(
                    f,
                    "the sensitive field did not decrypt with the merchant's API private key: {e}"
                )
            }
            Error::Decryption(e) => write!(
                f,
                "the webhook verified but its resource did not decrypt: {e}; check the APIv3 key (brands: the brand API key)"
            ),
            Error::Replayed { notification_id } => write!(
                f,
                "notification {notification_id} rejected: this exact delivery (signed timestamp and nonce) was received before, so it is a replay; WeChat Pay's own redeliveries carry a new nonce and pass"
            ),
            Error::Encryption(e) => write!(f, "request not sent: {e}"),
            Error::Certificate { serial, reason, .. } => write!(
                f,
                "the platform certificate {serial} from /v3/certificates is unusable: {reason}; the download was refused and the keys held are kept (a certificate that does not decrypt means the APIv3 key is wrong)"
            ),
            Error::Config(msg) => write!(f, "client configuration: {msg}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::InvalidRequest(v) => Some(v),
            Error::Verification { source, .. }
            | Error::Decryption(source)
            | Error::Encryption(source) => Some(source),
            Error::Certificate { source, .. } => source
                .as_ref()
                .map(|e| e as &(dyn std::error::Error + 'static)),
            Error::Transport(e) => Some(e),
            Error::Decode { source, .. } => Some(source),
            Error::Api(_)
            | Error::InvalidParameter { .. }
            | Error::Unsendable { .. }
            | Error::Pagination(_)
            | Error::Replayed { .. }
            | Error::Config(_) => None,
        }
    }
}

impl From<Violations> for Error {
    fn from(v: Violations) -> Self {
        Error::InvalidRequest(v)
    }
}

impl From<coupon_http::Error> for Error {
    fn from(e: coupon_http::Error) -> Self {
        Error::Transport(e)
    }
}
