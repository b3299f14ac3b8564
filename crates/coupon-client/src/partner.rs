//! The service-provider (partner) client: `WECHATPAY2-SHA256-RSA2048`, paths
//! under `/v3/…`, the brand named in each request.

use std::sync::Arc;

use coupon_model::ids::BrandId;
use coupon_model::operation::PartnerOperation;
use coupon_model::operations::UpdateProductCouponRequest;
use coupon_model::product_coupon::ProductCoupon;

use crate::config::{CommonConfig, Identity, common_builder_methods, side_client_methods};
use crate::core::Core;
use crate::error::Error;
use crate::keys::{CertificateRefresh, CertificateStatus};
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

    /// The APIv3 key: with it the client downloads the merchant's WeChat Pay
    /// platform certificates (`GET /v3/certificates`, each decrypted with
    /// this key) and keeps them current — before the first call when it
    /// holds no usable key (so a client may be built with no public key at
    /// all), on a schedule, and once when an answer names a serial it does
    /// not hold. A public-key-only account (404, no certificates) stays on
    /// its public keys; one whose answers are signed with a configured public
    /// key never downloads anything. See [`CertificateRefresh`] for the
    /// schedule, and the crate docs for the trust decision.
    pub fn apiv3_key(mut self, apiv3_key: wxpay_sign::ApiV3Key) -> Self {
        self.common.apiv3_key = Some(apiv3_key);
        self
    }

    /// When certificates are downloaded again (default
    /// [`CertificateRefresh::default`]: every 12 h, at most one on-demand
    /// download a minute, retries from 1 minute doubling to 1 hour). Used
    /// with [`apiv3_key`](Self::apiv3_key).
    pub fn certificate_refresh(mut self, refresh: CertificateRefresh) -> Self {
        self.common.certificate_refresh = Some(refresh);
        self
    }

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

    fn scope(&self) -> BrandScope<'_> {
        BrandScope::Partner(self.brand_id.as_ref())
    }

    side_client_methods!(PartnerOperation, "partner");

    /// A webhook handler verifying with this client's live key set and
    /// decrypting with `apiv3_key`. When this client downloads platform certificates, the handler's [`handle_async`](crate::WebhookHandler::handle_async) refreshes them once on a notification naming an unknown serial.
    pub fn webhook_handler(&self, apiv3_key: wxpay_sign::ApiV3Key) -> crate::WebhookHandler {
        crate::WebhookHandler::with_keys(self.core.keys.clone(), apiv3_key)
    }

    /// Downloads the platform certificates now (needs
    /// [`apiv3_key`](PartnerClientBuilder::apiv3_key)): the current ones
    /// replace the certificates of the key set, the configured public keys
    /// stay. [`CertificateStatus::PublicKeyOnly`] for an account without
    /// certificates. A failure keeps the key set as it was.
    pub async fn refresh_certificates(&self) -> Result<CertificateStatus, Error> {
        self.core.keys.refresh_now().await
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
