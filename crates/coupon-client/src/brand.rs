//! The brand client: `WECHATPAY-BRAND-SHA256-RSA2048`, paths under `/brand/…`.

use std::sync::Arc;

use coupon_model::ids::BrandId;
use coupon_model::operation::{BrandOperation, Operation, PagedOperation};
use coupon_model::operations::{CreateStockRequest, ListStocksRequest, ListUserCouponsRequest};
use coupon_model::stock::{ListStocksResponse, Stock};
use coupon_model::user_coupon::{ListUserCouponsResponse, UserCoupon};

use crate::config::{CommonConfig, Identity, common_builder_methods};
use crate::core::Core;
use crate::error::Error;
use crate::paginate::{ItemStream, PageStream, follow_pages, items};
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
    pub fn builder() -> BrandClientBuilder {
        BrandClientBuilder::default()
    }

    /// The brand id this client signs as.
    pub fn brand_id(&self) -> BrandId {
        self.brand_id.clone()
    }

    /// Sends one operation and returns its verified answer. A `brand_id` in
    /// the request must be this client's (a brand call sends none).
    ///
    /// ```no_run
    /// # async fn f(client: coupon_client::BrandClient) -> Result<(), coupon_client::Error> {
    /// use coupon_client::coupon_model::operations::GetStockRequest;
    /// let stock = client.call(&GetStockRequest::new("1000000013", "1000000013001")).await?;
    /// println!("{:?}", stock.state);
    /// # Ok(()) }
    /// ```
    pub async fn call<O: BrandOperation>(&self, request: &O) -> Result<O::Response, Error> {
        self.call_any(request).await
    }

    /// [`call`](Self::call) for an operation chosen at run time: an operation
    /// the brand side lacks is refused with [`Error::Unsendable`] before
    /// anything is sent.
    pub async fn call_any<O: Operation>(&self, request: &O) -> Result<O::Response, Error> {
        self.core
            .call(
                request,
                BrandScope::Brand(self.brand_id.as_str()),
                self.validate,
                None,
            )
            .await
    }

    /// The verifier of this client: its key set is live (shared with this
    /// client, its clones and webhook handlers made from it), so a
    /// certificate refresh is seen everywhere at once.
    pub fn verifier(&self) -> &wxpay_sign::Verifier {
        self.core.keys.verifier()
    }

    /// A webhook handler verifying with this client's live key set and
    /// decrypting with `apiv3_key` (the brand API key). Brand clients verify with WeChat Pay public keys (the brand side has no certificate download).
    pub fn webhook_handler(&self, apiv3_key: wxpay_sign::ApiV3Key) -> crate::WebhookHandler {
        crate::WebhookHandler::with_keys(self.core.keys.clone(), apiv3_key)
    }

    /// The key for the sensitive fields of one request, chosen once: the key
    /// named by [`wechatpay_serial`](BrandClientBuilder::wechatpay_serial) if set,
    /// else the first configured WeChat Pay public key. Encrypt the fields with it and send the request
    /// with [`call_with`](Self::call_with), which names the same key in
    /// `Wechatpay-Serial`.
    ///
    /// ```no_run
    /// # async fn f(client: coupon_client::BrandClient, request: coupon_client::coupon_model::operations::GetStockRequest) -> Result<(), coupon_client::Error> {
    /// let fields = client.sensitive_fields().await?;
    /// let encrypted_name = fields.encrypt("张三")?; // goes into the request body
    /// # let _ = encrypted_name;
    /// let answer = client.call_with(&fields, &request).await?; // Wechatpay-Serial: fields.key_id()
    /// # let _ = answer; Ok(()) }
    /// ```
    pub async fn sensitive_fields(&self) -> Result<crate::SensitiveFields, Error> {
        self.core.keys.prepare().await?;
        self.core.keys.sensitive_fields()
    }

    /// The key `id` of the live key set (a public key id, or the serial of a
    /// certificate valid now) for sensitive fields — to pin one key during a
    /// rotation.
    pub fn sensitive_fields_for(&self, id: &str) -> Result<crate::SensitiveFields, Error> {
        self.core.keys.sensitive_fields_for(id)
    }

    /// [`call`](Self::call) for a request carrying fields encrypted with
    /// `fields`: `Wechatpay-Serial` is `fields.key_id()`, whatever the
    /// client's default.
    pub async fn call_with<O: BrandOperation>(
        &self,
        fields: &crate::SensitiveFields,
        request: &O,
    ) -> Result<O::Response, Error> {
        self.core
            .call(
                request,
                BrandScope::Brand(self.brand_id.as_str()),
                self.validate,
                Some(fields.key_id()),
            )
            .await
    }

    /// Decrypts a sensitive field of a verified answer (RSA-OAEP, encrypted
    /// by WeChat Pay to this client's API-certificate key) with the private
    /// key. Only for fields of answers this client verified: see
    /// [`PrivateKey::decrypt_sensitive`](wxpay_sign::PrivateKey::decrypt_sensitive).
    pub fn decrypt_field(&self, ciphertext_b64: &str) -> Result<String, Error> {
        let plaintext = self
            .core
            .signer
            .private_key()
            .decrypt_sensitive(ciphertext_b64)
            .map_err(Error::Decryption)?;
        String::from_utf8(plaintext.to_vec())
            .map_err(|_| Error::Decryption(wxpay_sign::Error::SensitiveDecryptionFailed))
    }

    /// Every item of a paged operation, following `next_page_token` one page
    /// at a time from the request's `page_token` (normally absent) to the last
    /// page.
    pub fn stream<O: BrandOperation + PagedOperation>(&self, request: O) -> ItemStream<O::Item> {
        items(self.stream_pages(request))
    }

    /// [`stream`](Self::stream) page by page: each item is one whole page
    /// (its items, `next_page_token`, `total_count`), for progress or
    /// checkpoints.
    pub fn stream_pages<O: BrandOperation + PagedOperation>(
        &self,
        request: O,
    ) -> PageStream<O::Item> {
        let client = self.clone();
        follow_pages(request, move |request| {
            let client = client.clone();
            async move { client.call_any(&request).await }
        })
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
