//! WeChat Pay-format error responses (`{"code","message","detail"?}`).

use coupon_model::{ApiErrorBody, ErrorCode, ErrorDetail};
use http::StatusCode;

/// An error answer: status plus WeChat Pay error body.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    /// Boxed to keep `Result<_, ApiError>` small.
    pub body: Box<ApiErrorBody>,
    /// The WeChat Pay business error number of a refusal, sent as the
    /// `Request-ID` suffix (`…-268578367`), as WeChat Pay does.
    pub business_code: Option<u32>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            body: Box::new(ApiErrorBody {
                code,
                message: message.into(),
                detail: None,
            }),
            business_code: None,
        }
    }

    /// Sets the business error number sent as the `Request-ID` suffix.
    pub(crate) fn with_business_code(mut self, code: u32) -> Self {
        self.business_code = Some(code);
        self
    }

    /// 400 PARAM_ERROR naming `field` (a JSON pointer for body errors, the
    /// parameter name for path/query/header errors) at `location`.
    pub(crate) fn param(field: &str, location: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut e = Self::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::ParamError,
            message.clone(),
        );
        e.body.detail = Some(ErrorDetail {
            field: Some(field.to_owned()),
            value: None,
            issue: Some(message),
            location: Some(location.to_owned()),
        });
        e
    }

    /// Sets `detail.value`.
    pub(crate) fn with_value(mut self, value: serde_json::Value) -> Self {
        let detail = self.body.detail.get_or_insert_with(ErrorDetail::default);
        detail.value = Some(value);
        self
    }

    /// Sets `detail` (field, issue, location, value).
    pub(crate) fn with_detail(
        mut self,
        field: Option<String>,
        location: &str,
        issue: Option<String>,
        value: Option<serde_json::Value>,
    ) -> Self {
        self.body.detail = Some(ErrorDetail {
            field,
            value,
            issue,
            location: Some(location.to_owned()),
        });
        self
    }

    pub(crate) fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest, message)
    }

    pub(crate) fn sign_error(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ErrorCode::SignError, message)
    }

    pub(crate) fn no_auth(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, ErrorCode::NoAuth, message)
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
    }

    pub(crate) fn already_exists(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorCode::AlreadyExists, message)
    }

    pub(crate) fn rate_limited() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RatelimitExceeded,
            "请求超过接口频率限制,请稍后使用原参数重试 (rate limit exceeded — injected by the sandbox; retry later with the same parameters)",
        )
    }

    pub(crate) fn system_error() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::SystemError,
            "系统异常,请稍后重试 (system error — injected by the sandbox; retry later with the same parameters)",
        )
    }

    /// The JSON body bytes.
    pub(crate) fn to_json(&self) -> Vec<u8> {
        // Serialising a struct of strings and a Value cannot fail; fall back to a fixed body anyway.
        serde_json::to_vec(&self.body).unwrap_or_else(|_| {
            br#"{"code":"SYSTEM_ERROR","message":"cannot serialise the error body"}"#.to_vec()
        })
    }
}
