//! Coupon codes uploaded to a stock whose `coupon_code_mode` is `UPLOAD`.

use serde::{Deserialize, Serialize};

use crate::ids::{BrandId, CouponCode, OutRequestNo};
use crate::validate::validate_request_no;

/// The request types of this resource's operations (defined by the table in
/// [`crate::operations`]).
pub use crate::operations::UploadCouponCodesRequest;

/// The JSON body of `upload-coupon-codes`.
///
/// Required (request type, strict): `out_request_no`, `code_list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadCouponCodesBody {
    /// Idempotency key, 6–40 characters of `[0-9A-Za-z_-]`.
    pub out_request_no: OutRequestNo,
    /// The codes to add to the stock.
    pub code_list: Vec<CouponCode>,
    /// The brand the partner acts for (partner side only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand_id: Option<BrandId>,
}

impl UploadCouponCodesBody {
    /// A body uploading `codes`.
    pub fn new<I, S>(out_request_no: impl Into<OutRequestNo>, codes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<CouponCode>,
    {
        Self {
            out_request_no: out_request_no.into(),
            code_list: codes.into_iter().map(Into::into).collect(),
            brand_id: None,
        }
    }
}

impl_request_body!(
    UploadCouponCodesBody,
    validate = |b| validate_request_no(&b.out_request_no),
    brand_id
);

/// A code that could not be uploaded, and why.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FailedCouponCode {
    /// The code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon_code: Option<CouponCode>,
    /// An error code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// What went wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The answer of `upload-coupon-codes`: what became of each code.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UploadCouponCodesResponse {
    /// How many codes the request carried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_count: Option<i64>,
    /// Codes added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_code_list: Option<Vec<CouponCode>>,
    /// Codes refused, with why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_code_list: Option<Vec<FailedCouponCode>>,
    /// Codes the stock already had.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub already_exist_code_list: Option<Vec<CouponCode>>,
    /// Codes given more than once in this request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_code_list: Option<Vec<CouponCode>>,
}
