//! The brand client: `WECHATPAY-BRAND-SHA256-RSA2048`, paths under `/brand/…`.

use std::sync::Arc;

use coupon_model::ids::BrandId;
use coupon_model::operation::BrandOperation;
use coupon_model::operations::{CreateStockRequest, ListStocksRequest, ListUserCouponsRequest};
use coupon_model::stock::{ListStocksResponse, Stock};
use coupon_model::user_coupon::{ListUserCouponsResponse, UserCoupon};

use crate::config::{CommonConfig, Identity, common_builder_methods, side_client_methods};
use crate::core::Core;
use crate::error::Error;
use crate::paginate::ItemStream;
use crate::request::BrandScope;

/// A brand's client for the product-coupon API. Cheap to clone; share one per
/// brand identity.
///
/// [`call`](Self::call) sends any operation of the table (every `…Request`
/// type of [`coupon_model::operations`] that the brand side has) and
/// [`stream`](Self::stream) follows any paged one. Every call validates the
/// request first (nothing is sent when it breaks a documented rule), signs
/// each attempt afresh, verifies the response signature before parsing, and
/// maps non-2xx answers to [`Error::Api`].
#[derive(Debug, Clone)]
pub struct BrandClient {
    core: Arc<Core>,
    brand_id: BrandId,
    validate: bool,
}

/// Builds a [`BrandClient`].
#[derive(Debug, Default)]
pub struct BrandClientBuilder {
    brand_id: Option<String>,
    common: CommonConfig,
}

impl BrandClientBuilder {
    /// Your brand id (`brand_id` of the `Authorization` header).
    pub fn brand_id(mut self, brand_id: impl Into<String>) -> Self {
        self.brand_id = Some(brand_id.into());
        self
    }

    common_builder_methods!();

    /// Builds the client; names the first missing setting.
    pub fn build(self) -> Result<BrandClient, Error> {
        let brand_id = self
            .brand_id
            .ok_or_else(|| Error::Config("missing brand id: call .brand_id(…)".into()))?;
        let core = self.common.build_core(Identity::Brand(brand_id.clone()))?;
        Ok(BrandClient {
            core: Arc::new(core),
            brand_id: BrandId::from(brand_id),
            validate: true,
        })
    }
}

impl BrandClient {
    /// Starts a builder.
    pub fn builder() -> BrandClientBuilder {
        BrandClientBuilder::default()
    }

    /// The brand id this client signs as.
    pub fn brand_id(&self) -> BrandId {
        self.brand_id.clone()
    }

    fn scope(&self) -> BrandScope<'_> {
        BrandScope::Brand(self.brand_id.as_str())
    }

    side_client_methods!(BrandOperation, "brand");

    /// A webhook handler verifying with this client's live key set and
    /// decrypting with `apiv3_key` (the brand API key). Brand clients verify with WeChat Pay public keys (the brand side has no certificate download).
    pub fn webhook_handler(&self, apiv3_key: wxpay_sign::ApiV3Key) -> crate::WebhookHandler {
        crate::WebhookHandler::with_keys(self.core.keys.clone(), apiv3_key)
    }

    /// One page of a product coupon's stocks (page 000); shorthand for
    /// [`call`](Self::call).
    pub async fn list_stocks(
        &self,
        request: &ListStocksRequest,
    ) -> Result<ListStocksResponse, Error> {
        self.call(request).await
    }

    /// Every stock matching `request`; shorthand for [`stream`](Self::stream).
    pub fn list_stocks_stream(&self, request: ListStocksRequest) -> ItemStream<Stock> {
        self.stream(request)
    }

    /// Adds a stock to a product coupon (page 001); shorthand for
    /// [`call`](Self::call). Safe to retry with the same `out_request_no` and
    /// body: WeChat Pay returns the stock it created.
    pub async fn add_stock(&self, request: &CreateStockRequest) -> Result<Stock, Error> {
        self.call(request).await
    }

    /// One page of a user's coupons (page 002); shorthand for
    /// [`call`](Self::call). `appid` is required: an empty one is refused
    /// before sending.
    pub async fn list_user_coupons(
        &self,
        request: &ListUserCouponsRequest,
    ) -> Result<ListUserCouponsResponse, Error> {
        self.call(request).await
    }

    /// Every user coupon matching `request`; shorthand for
    /// [`stream`](Self::stream).
    pub fn list_user_coupons_stream(
        &self,
        request: ListUserCouponsRequest,
    ) -> ItemStream<UserCoupon> {
        self.stream(request)
    }
}
