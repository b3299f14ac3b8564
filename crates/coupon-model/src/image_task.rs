//! Image-generation tasks (partner only): WeChat Pay composes a coupon image
//! or cuts out a product picture; the result arrives by polling or as a
//! `PRODUCT_COUPON_SP.IMAGE_GENERATION` notification.
//!
//! Known only from a third-party SDK's models
//! (fudiwei/DotNetCore.SKIT.FlurlHttpClient.Wechat), not from the official
//! samples; that model types every enum-like field as a plain string and
//! documents no values, so `image_generation_type` and `task_state` are
//! strings here.

use serde::{Deserialize, Serialize};

use crate::common::{DiscountCouponUsageRule, ExchangeCouponUsageRule, NormalCouponUsageRule};
use crate::ids::{BrandId, TaskId};
use crate::product_coupon::{ProductCouponScope, ProductCouponType, UsageMode};

/// The request types of this resource's operations (defined by the table in
/// [`crate::operations`]).
pub use crate::operations::{CreateImageGenerationTaskRequest, GetImageGenerationTaskRequest};

/// The JSON body of `create-image-generation-task`.
///
/// Required (request type, strict): `image_generation_type`. `brand_id` is
/// filled in by the partner client when absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateImageGenerationTaskBody {
    /// The brand the partner acts for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand_id: Option<BrandId>,
    /// The caller's task id, when it chooses one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<TaskId>,
    /// What to generate (values not documented; the input field named by it
    /// is `combine_image` or `cut_out`).
    pub image_generation_type: String,
    /// Compose a coupon image from the coupon's settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub combine_image: Option<CombineImage>,
    /// Cut out the subject of an image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cut_out: Option<CutOut>,
}

impl CreateImageGenerationTaskBody {
    /// A task of `image_generation_type`; add `combine_image` or `cut_out`.
    pub fn new(image_generation_type: impl Into<String>) -> Self {
        Self {
            brand_id: None,
            task_id: None,
            image_generation_type: image_generation_type.into(),
            combine_image: None,
            cut_out: None,
        }
    }
}

impl_request_body!(
    CreateImageGenerationTaskBody,
    validate = |_| Ok(()),
    brand_id
);

/// The coupon settings a composed image shows (`combine_image`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CombineImage {
    /// The product coupon's scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<ProductCouponScope>,
    /// The product coupon's type.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub coupon_type: Option<ProductCouponType>,
    /// The product coupon's usage mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_mode: Option<UsageMode>,
    /// For type `NORMAL`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normal_coupon: Option<NormalCouponUsageRule>,
    /// For type `DISCOUNT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_coupon: Option<DiscountCouponUsageRule>,
    /// For type `EXCHANGE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_coupon: Option<ExchangeCouponUsageRule>,
    /// Background colour, `#RRGGBB`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background_color: Option<String>,
}

/// The image to cut out (`cut_out`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CutOut {
    /// An image URL from `upload-image`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
}

/// The answer of `create-image-generation-task`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CreateImageGenerationTaskResponse {
    /// The brand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand_id: Option<BrandId>,
    /// The task, for `get-image-generation-task`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<TaskId>,
}

/// An image-generation task: the answer of `get-image-generation-task`, and
/// the decrypted payload of a `PRODUCT_COUPON_SP.IMAGE_GENERATION`
/// notification.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ImageGenerationTask {
    /// The brand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand_id: Option<BrandId>,
    /// The task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<TaskId>,
    /// Its state (values not documented).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_state: Option<String>,
    /// What it generates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_generation_type: Option<String>,
    /// The composed image, when done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub combine_image_result: Option<ImageResult>,
    /// The cut-out image, when done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cut_out_result: Option<ImageResult>,
}

/// A generated image.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ImageResult {
    /// Its URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
}
