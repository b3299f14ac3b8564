//! The brand client: `WECHATPAY-BRAND-SHA256-RSA2048`, paths under `/brand/…`.

use std::sync::Arc;

use coupon_model::ids::BrandId;
use coupon_model::stock::{AddStockRequest, ListStocksRequest, ListStocksResponse, Stock};
use coupon_model::user_coupon::{ListUserCouponsRequest, ListUserCouponsResponse, UserCoupon};

use crate::config::{CommonConfig, Identity, common_builder_methods};
use crate::core::Core;
use crate::endpoints;
use crate::error::Error;
use crate::paginate::{ItemStream, Page, paginate};

/// A brand's client for the product-coupon API. Cheap to clone; share one per
/// brand identity.
///
/// Every call validates the request first (nothing is sent when it breaks a
/// documented rule), signs each attempt afresh, verifies the response signature
/// before parsing, and maps non-2xx answers to [`Error::Api`].
#[derive(Debug, Clone)]
pub struct BrandClient {
    core: Arc<Core>,
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
        let core = self.common.build_core(Identity::Brand(brand_id))?;
        Ok(BrandClient {
            core: Arc::new(core),
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
        BrandId::from(self.core.signer.identity().id())
    }

    /// One page of a product coupon's stocks (page 000).
    pub async fn list_stocks(
        &self,
        request: &ListStocksRequest,
    ) -> Result<ListStocksResponse, Error> {
        request.validate()?;
        let path =
            endpoints::LIST_STOCKS.path(request.product_coupon_id.as_str(), &request.query_pairs());
        self.core
            .call(&endpoints::LIST_STOCKS, path, None, "list-stocks response")
            .await
    }

    /// Every stock matching `request`, following `next_page_token` one page at a
    /// time from `request.page_token` (normally absent) to the last page.
    pub fn list_stocks_stream(&self, request: ListStocksRequest) -> ItemStream<Stock> {
        let client = self.clone();
        let first = request.page_token.as_ref().map(|t| t.as_str().to_owned());
        paginate(first, move |token| {
            let client = client.clone();
            let mut request = request.clone();
            request.page_token = token.map(Into::into);
            async move {
                let page = client.list_stocks(&request).await?;
                Ok(Page {
                    items: page.stock_list.unwrap_or_default(),
                    next_page_token: page.next_page_token.map(|t| t.as_str().to_owned()),
                })
            }
        })
    }

    /// Adds a stock to a product coupon (page 001). Safe to retry with the same
    /// `out_request_no` and body: WeChat Pay returns the stock it created.
    pub async fn add_stock(&self, request: &AddStockRequest) -> Result<Stock, Error> {
        request.validate(None)?;
        let body = serde_json::to_vec(&request.body)
            .map_err(|e| Error::Config(format!("could not serialise the add-stock body: {e}")))?;
        let path = endpoints::ADD_STOCK.path(request.product_coupon_id.as_str(), &[]);
        self.core
            .call(&endpoints::ADD_STOCK, path, Some(body), "stock")
            .await
    }

    /// One page of a user's coupons (page 002).
    pub async fn list_user_coupons(
        &self,
        request: &ListUserCouponsRequest,
    ) -> Result<ListUserCouponsResponse, Error> {
        request.validate()?;
        let path =
            endpoints::LIST_USER_COUPONS.path(request.openid.as_str(), &request.query_pairs());
        self.core
            .call(
                &endpoints::LIST_USER_COUPONS,
                path,
                None,
                "list-user-coupons response",
            )
            .await
    }

    /// Every user coupon matching `request`, one page at a time.
    pub fn list_user_coupons_stream(
        &self,
        request: ListUserCouponsRequest,
    ) -> ItemStream<UserCoupon> {
        let client = self.clone();
        let first = request.page_token.as_ref().map(|t| t.as_str().to_owned());
        paginate(first, move |token| {
            let client = client.clone();
            let mut request = request.clone();
            request.page_token = token.map(Into::into);
            async move {
                let page = client.list_user_coupons(&request).await?;
                Ok(Page {
                    items: page.user_coupon_list.unwrap_or_default(),
                    next_page_token: page.next_page_token.map(|t| t.as_str().to_owned()),
                })
            }
        })
    }
}
