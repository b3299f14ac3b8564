//! The WeChat Pay error body, its code enum, and this crate's own error type.

use core::fmt;

use serde::{Deserialize, Serialize};

string_enum! {
    /// The `code` of a WeChat Pay error body.
    pub enum ErrorCode {
        /// 400: a parameter is wrong; `detail` usually names it.
        ParamError = "PARAM_ERROR",
        /// 400: the request breaks the APIv3 rules or a business rule.
        InvalidRequest = "INVALID_REQUEST",
        /// 401: the signature did not verify (often the wrong scheme for the path).
        SignError = "SIGN_ERROR",
        /// 403: the caller lacks the permission.
        NoAuth = "NO_AUTH",
        /// 404: the addressed resource does not exist.
        NotFound = "NOT_FOUND",
        /// 400: an `out_request_no` was reused with a different request.
        AlreadyExists = "ALREADY_EXISTS",
        /// 429: too many requests; retry later with the same parameters.
        RatelimitExceeded = "RATELIMIT_EXCEEDED",
        /// 500: server error; retry later.
        SystemError = "SYSTEM_ERROR",
    }
}

impl ErrorCode {
    /// Whether the documentation says to retry later with the same
    /// parameters (`RATELIMIT_EXCEEDED`, `SYSTEM_ERROR`).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::RatelimitExceeded | Self::SystemError)
    }
}

/// The body of a non-2xx WeChat Pay response:
/// `{"code","message","detail":{"field","value","issue","location"}}`.
///
/// Lenient parse: `message` defaults to the empty string when missing (it is
/// then serialised as `""`); only `code` is required.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiErrorBody {
    /// The error code.
    pub code: ErrorCode,
    /// Human-readable description from WeChat Pay.
    #[serde(default)]
    pub message: String,
    /// Which parameter is at fault, when WeChat Pay says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<ErrorDetail>,
}

/// The `detail` of an error body.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// A JSON pointer for body errors (`/stock/stock_send_rule`), the
    /// parameter name for path and query errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The offending value as sent (any JSON). A JSON `null` parses as
    /// `None`, and `Some(Value::Null)` is omitted on output like `None`.
    #[serde(default, skip_serializing_if = "is_absent")]
    pub value: Option<serde_json::Value>,
    /// What is wrong with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue: Option<String>,
    /// Where the parameter was: `body`, `path`, `query`, `header`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// Whether `detail.value` would serialise as nothing or as `null`.
fn is_absent(value: &Option<serde_json::Value>) -> bool {
    matches!(value, None | Some(serde_json::Value::Null))
}

impl fmt::Display for ApiErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        if let Some(detail) = &self.detail {
            if let Some(field) = &detail.field {
                write!(f, " (field {field}")?;
                if let Some(issue) = &detail.issue {
                    write!(f, ": {issue}")?;
                }
                f.write_str(")")?;
            }
        }
        Ok(())
    }
}

/// The error type of this crate: a document that is not JSON of the expected
/// shape, or a time string that is not RFC 3339. (Rule violations found by
/// `validate()` are reported as [`crate::Violations`] instead.)
#[derive(Debug)]
#[non_exhaustive]
pub enum ModelError {
    /// The bytes are not JSON of the expected shape.
    Json {
        /// What was being parsed (e.g. `"PRODUCT_COUPON.SEND payload"`).
        what: &'static str,
        /// The underlying serde_json error (with line and column).
        source: serde_json::Error,
    },
    /// A path or query parameter the operation does not take, or whose text
    /// does not parse as its type.
    Parameter {
        /// The parameter's name as given.
        name: String,
        /// What is wrong and what is expected.
        message: String,
    },
    /// A time string is not RFC 3339.
    InvalidTime {
        /// The string as given.
        value: String,
        /// Which part is wrong.
        reason: &'static str,
    },
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Json { what, source } => write!(
                f,
                "could not parse the {what}: {}; check that the document is the JSON object the API page describes",
                crate::text::excerpt(&source.to_string(), 300)
            ),
            Self::Parameter { name, message } => write!(
                f,
                "parameter \"{}\": {message}",
                crate::text::excerpt(name, 64)
            ),
            Self::InvalidTime { value, reason } => write!(
                f,
                "invalid time \"{}\": {reason}; write RFC 3339 such as 2025-08-01T00:00:00+08:00",
                crate::text::excerpt(value, 48)
            ),
        }
    }
}

impl std::error::Error for ModelError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Json { source, .. } => Some(source),
            Self::Parameter { .. } | Self::InvalidTime { .. } => None,
        }
    }
}
