//! The service-provider (partner) client: `WECHATPAY2-SHA256-RSA2048`, paths
//! under `/v3/…`, the brand named in each request.

use std::sync::Arc;

use coupon_model::ids::BrandId;
use coupon_model::operation::{Operation, PagedOperation, PartnerOperation};
use coupon_model::operations::UpdateProductCouponRequest;
use coupon_model::product_coupon::ProductCoupon;

use crate::config::{CommonConfig, Identity, common_builder_methods};
use crate::core::Core;
use crate::error::Error;
use crate::paginate::{ItemStream, follow_pages};
use crate::request::BrandScope;

/// A service provider's client, signing as its merchant id (`mchid`) and
/// acting for one brand at a time. Cheap to clone.
///
/// The partner side names the brand in every request (`brand_id` in the body,
/// or the query for `GET`). A request that sets `brand_id` itself is sent for
/// that brand; otherwise the client's default brand
/// ([`PartnerClientBuilder::brand_id`], [`PartnerClient::for_brand`]) is
/// filled in; with neither, the call is refused before sending.
#[derive(Debug, Clone)]
pub struct PartnerClient {
    core: Arc<Core>,
    brand_id: Option<BrandId>,
    validate: bool,
}

/// Builds a [`PartnerClient`].
#[derive(Debug, Default)]
pub struct PartnerClientBuilder {
    mchid: Option<String>,
    brand_id: Option<String>,
    common: CommonConfig,
}

impl PartnerClientBuilder {
    /// Your service-provider merchant id (`mchid` of the `Authorization` header).
    pub fn mchid(mut self, mchid: impl Into<String>) -> Self {
        self.mchid = Some(mchid.into());
        self
    }

    /// The brand to act for when a request names none.
    pub fn brand_id(mut self, brand_id: impl Into<String>) -> Self {
        self.brand_id = Some(brand_id.into());
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
            brand_id: self.brand_id.map(BrandId::from),
            validate: true,
        })
    }
}

impl PartnerClient {
    /// This client without the documented-rule validation before sending
    /// (for a request you know better than the SDK; WeChat Pay still checks
    /// it). Path parameters, the brand and uploads are still checked.
    pub fn without_validation(&self) -> Self {
        Self {
            validate: false,
            ..self.clone()
        }
    }

    /// Starts a builder.
    pub fn builder() -> PartnerClientBuilder {
        PartnerClientBuilder::default()
    }

    /// This client acting for `brand_id` by default (the same connection
    /// pool and keys).
    pub fn for_brand(&self, brand_id: impl Into<BrandId>) -> Self {
        Self {
            core: self.core.clone(),
            brand_id: Some(brand_id.into()),
            validate: self.validate,
        }
    }

    /// The brand this client acts for when a request names none.
    pub fn default_brand_id(&self) -> Option<&BrandId> {
        self.brand_id.as_ref()
    }

    /// Sends one operation for the request's brand (or the default one) and
    /// returns its verified answer.
    pub async fn call<O: PartnerOperation>(&self, request: &O) -> Result<O::Response, Error> {
        self.call_any(request).await
    }

    /// [`call`](Self::call) for an operation chosen at run time: an operation
    /// the partner side lacks is refused with [`Error::Unsendable`] before
    /// anything is sent.
    pub async fn call_any<O: Operation>(&self, request: &O) -> Result<O::Response, Error> {
        self.core
            .call(
                request,
                BrandScope::Partner(self.brand_id.as_ref()),
                self.validate,
            )
            .await
    }

    /// Every item of a paged operation, following `next_page_token` one page
    /// at a time to the last page.
    pub fn stream<O: PartnerOperation + PagedOperation>(&self, request: O) -> ItemStream<O::Item> {
        let client = self.clone();
        follow_pages(request, move |request| {
            let client = client.clone();
            async move { client.call_any(&request).await }
        })
    }

    /// Modifies a product coupon's display information for a brand (page
    /// 003); shorthand for [`call`](Self::call). Only coupons sent afterwards
    /// change. Safe to retry with the same `out_request_no`.
    pub async fn update_product_coupon(
        &self,
        request: &UpdateProductCouponRequest,
    ) -> Result<ProductCoupon, Error> {
        self.call(request).await
    }
}
