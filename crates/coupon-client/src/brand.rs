//! The brand client: `WECHATPAY-BRAND-SHA256-RSA2048`, paths under `/brand/…`.

use std::future::Future;
use std::sync::Arc;

use coupon_model::ids::{BrandId, PageToken};
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
        let path = endpoints::LIST_STOCKS.path(
            "product_coupon_id",
            request.product_coupon_id.as_str(),
            &request.query_pairs(),
        )?;
        self.core
            .call(&endpoints::LIST_STOCKS, path, None, "list-stocks response")
            .await
    }

    /// Every stock matching `request`, following `next_page_token` one page at a
    /// time from `request.page_token` (normally absent) to the last page.
    pub fn list_stocks_stream(&self, request: ListStocksRequest) -> ItemStream<Stock> {
        self.follow_pages(
            request,
            |r| &mut r.page_token,
            |client, request| async move {
                let page = client.list_stocks(&request).await?;
                Ok(Page::new(page.stock_list, page.next_page_token))
            },
        )
    }

    /// Adds a stock to a product coupon (page 001). Safe to retry with the same
    /// `out_request_no` and body: WeChat Pay returns the stock it created.
    pub async fn add_stock(&self, request: &AddStockRequest) -> Result<Stock, Error> {
        request.validate(None)?;
        let path = endpoints::ADD_STOCK.path(
            "product_coupon_id",
            request.product_coupon_id.as_str(),
            &[],
        )?;
        let body = serde_json::to_vec(&request.body)
            .map_err(|e| Error::Config(format!("could not serialise the add-stock body: {e}")))?;
        self.core
            .call(&endpoints::ADD_STOCK, path, Some(body), "stock")
            .await
    }

    /// One page of a user's coupons (page 002). `appid` is required: an empty
    /// one is refused before sending.
    pub async fn list_user_coupons(
        &self,
        request: &ListUserCouponsRequest,
    ) -> Result<ListUserCouponsResponse, Error> {
        request.validate()?;
        if request.appid.as_str().is_empty() {
            return Err(Error::InvalidParameter {
                name: "appid",
                value: String::new(),
            });
        }
        let path = endpoints::LIST_USER_COUPONS.path(
            "openid",
            request.openid.as_str(),
            &request.query_pairs(),
        )?;
        self.core
            .call(
                &endpoints::LIST_USER_COUPONS,
                path,
                None,
                "list-user-coupons response",
            )
            .await
    }

    /// Every user coupon matching `request`, following `next_page_token` one
    /// page at a time from `request.page_token` (normally absent) to the last page.
    pub fn list_user_coupons_stream(
        &self,
        request: ListUserCouponsRequest,
    ) -> ItemStream<UserCoupon> {
        self.follow_pages(
            request,
            |r| &mut r.page_token,
            |client, request| async move {
                let page = client.list_user_coupons(&request).await?;
                Ok(Page::new(page.user_coupon_list, page.next_page_token))
            },
        )
    }

    /// The stream behind both `*_stream` methods: `fetch(client, request)` gets
    /// one page, with `page_token(request)` set to the token to fetch.
    fn follow_pages<R, T, F, Fut>(
        &self,
        mut request: R,
        page_token: fn(&mut R) -> &mut Option<PageToken>,
        fetch: F,
    ) -> ItemStream<T>
    where
        R: Clone + Send + 'static,
        T: Send + 'static,
        F: Fn(BrandClient, R) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Page<T>, Error>> + Send + 'static,
    {
        let client = self.clone();
        let first = page_token(&mut request)
            .as_ref()
            .map(|t| t.as_str().to_owned());
        paginate(first, move |token| {
            let mut request = request.clone();
            *page_token(&mut request) = token.map(PageToken::from);
            fetch(client.clone(), request)
        })
    }
}
