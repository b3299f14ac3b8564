//! The service-provider (partner) client: `WECHATPAY2-SHA256-RSA2048`, paths under
//! `/v3/…`, the brand named in the body.

use std::sync::Arc;

use coupon_model::product_coupon::{ProductCoupon, UpdateProductCouponRequest};

use crate::config::{CommonConfig, Identity, common_builder_methods};
use crate::core::Core;
use crate::endpoints;
use crate::error::Error;

/// A service provider's client, signing as its merchant id (`mchid`).
#[derive(Debug, Clone)]
pub struct PartnerClient {
    core: Arc<Core>,
}

/// Builds a [`PartnerClient`].
#[derive(Debug, Default)]
pub struct PartnerClientBuilder {
    mchid: Option<String>,
    common: CommonConfig,
}

impl PartnerClientBuilder {
    /// Your service-provider merchant id (`mchid` of the `Authorization` header).
    pub fn mchid(mut self, mchid: impl Into<String>) -> Self {
        self.mchid = Some(mchid.into());
        self
    }

    common_builder_methods!();

    /// Builds the client; names the first missing setting.
    pub fn build(self) -> Result<PartnerClient, Error> {
        let mchid = self
            .mchid
            .ok_or_else(|| Error::Config("missing merchant id: call .mchid(…)".into()))?;
        let core = self.common.build_core(Identity::Merchant(mchid))?;
        Ok(PartnerClient {
            core: Arc::new(core),
        })
    }
}

impl PartnerClient {
    /// Starts a builder.
    pub fn builder() -> PartnerClientBuilder {
        PartnerClientBuilder::default()
    }

    /// Modifies a product coupon's display information for a brand (page 003).
    /// Only coupons sent afterwards change. Safe to retry with the same
    /// `out_request_no`.
    pub async fn update_product_coupon(
        &self,
        request: &UpdateProductCouponRequest,
    ) -> Result<ProductCoupon, Error> {
        request.validate(None)?;
        let path = endpoints::PARTNER_UPDATE_PRODUCT_COUPON.path(
            "product_coupon_id",
            request.product_coupon_id.as_str(),
            &[],
        )?;
        let body = serde_json::to_vec(&request.body)
            .map_err(|e| Error::Config(format!("could not serialise the update body: {e}")))?;
        self.core
            .call(
                &endpoints::PARTNER_UPDATE_PRODUCT_COUPON,
                path,
                Some(body),
                "product coupon",
            )
            .await
    }
}
