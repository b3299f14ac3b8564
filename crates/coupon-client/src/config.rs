//! Settings shared by both client builders.

use std::sync::Arc;

use coupon_http::Transport;
use wxpay_sign::{
    ApiV3Key, Clock, KeySet, PlatformCertificate, PrivateKey, PublicKey, Signer, SystemClock,
    Verifier,
};

use crate::core::Core;
use crate::error::Error;
use crate::keys::{CertificateRefresh, KeyConfig, KeyManager, Side};

/// What both builders collect besides the identity.
#[derive(Debug, Default)]
pub(crate) struct CommonConfig {
    pub(crate) serial_no: Option<String>,
    pub(crate) private_key: Option<PrivateKey>,
    pub(crate) public_keys: Vec<(String, PublicKey)>,
    pub(crate) certificates: Vec<PlatformCertificate>,
    pub(crate) wechatpay_serial: Option<String>,
    pub(crate) base_url: Option<String>,
    pub(crate) backup_base_url: Option<Option<String>>,
    pub(crate) transport: Option<Transport>,
    pub(crate) clock: Option<Arc<dyn Clock>>,
    /// Partner side only: downloads platform certificates.
    pub(crate) apiv3_key: Option<ApiV3Key>,
    /// Partner side only.
    pub(crate) certificate_refresh: Option<CertificateRefresh>,
}

/// Which identity the client signs with.
pub(crate) enum Identity {
    Brand(String),
    Merchant(String),
}

impl CommonConfig {
    pub(crate) fn build_core(self, identity: Identity) -> Result<Core, Error> {
        let serial_no = self.serial_no.ok_or_else(|| {
            Error::Config("missing API-certificate serial number: call .serial_no(…)".into())
        })?;
        let key = self.private_key.ok_or_else(|| {
            Error::Config("missing API-certificate private key: call .private_key(…)".into())
        })?;
        if self.public_keys.is_empty() && self.certificates.is_empty() && self.apiv3_key.is_none() {
            return Err(Error::Config(match identity {
                Identity::Brand(_) => "no WeChat Pay public key: call .wechatpay_public_key(id, key) (id = PUB_KEY_ID_…)".into(),
                Identity::Merchant(_) => "no WeChat Pay key: call .wechatpay_public_key(id, key) (id = PUB_KEY_ID_…), or .apiv3_key(…) to download the platform certificates".into(),
            }));
        }
        let clock: Arc<dyn Clock> = self.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let mut configured = KeySet::new();
        for (id, key) in &self.public_keys {
            configured.insert_public_key(id.clone(), key.clone());
        }
        for cert in &self.certificates {
            configured.insert_certificate(cert.clone());
        }
        let verifier = Verifier::builder()
            .keys(configured.clone())
            .allow_empty()
            .clock(clock.clone())
            .build()
            .map_err(|e| Error::Config(format!("WeChat Pay keys: {e}")))?;
        let transport = match self.transport {
            Some(t) => t,
            None => {
                let mut b = Transport::builder();
                if let Some(url) = self.base_url {
                    b = b.primary_base_url(url);
                }
                match self.backup_base_url {
                    Some(Some(url)) => b = b.backup_base_url(url),
                    Some(None) => b = b.without_backup(),
                    None => {}
                }
                b.build()
                    .map_err(|e| Error::Config(format!("transport: {e}")))?
            }
        };
        // An explicit Wechatpay-Serial must name a configured key, unless
        // certificates are downloaded (it may name one of those).
        if let Some(id) = &self.wechatpay_serial {
            if http::HeaderValue::from_str(id).is_err() {
                return Err(Error::Config(format!(
                    "the WeChat Pay key id {id:?} cannot be sent as the Wechatpay-Serial header; copy the id (PUB_KEY_ID_…) exactly from the merchant platform"
                )));
            }
            if self.apiv3_key.is_none() && !configured.contains(id) {
                return Err(Error::Config(format!(
                    "the Wechatpay-Serial {id:?} is not one of the WeChat Pay public key ids given to .wechatpay_public_key(…) or certificates given to .wechatpay_certificate(…); add that key or send one of {:?}",
                    configured.ids().collect::<Vec<_>>()
                )));
            }
        }
        let side = match identity {
            Identity::Brand(_) => Side::Brand,
            Identity::Merchant(_) => Side::Merchant,
        };
        let signer = match identity {
            Identity::Brand(brand_id) => Signer::brand(brand_id, serial_no, key),
            Identity::Merchant(mchid) => Signer::merchant(mchid, serial_no, key),
        };
        let download = self.apiv3_key.map(|apiv3_key| {
            (
                apiv3_key,
                transport.clone(),
                signer.clone(),
                self.certificate_refresh.unwrap_or_default(),
            )
        });
        let keys = KeyManager::new(KeyConfig {
            verifier,
            clock: clock.clone(),
            configured,
            first_public_key_id: self.public_keys.first().map(|(id, _)| id.clone()),
            explicit_serial: self.wechatpay_serial,
            side,
            download,
        });
        Ok(Core {
            transport,
            signer,
            keys: Arc::new(keys),
            clock,
        })
    }
}

/// Builder methods both client builders share, generated once.
macro_rules! common_builder_methods {
    () => {
        /// The serial number of your API certificate (the `serial_no` of the
        /// `Authorization` header).
        pub fn serial_no(mut self, serial_no: impl Into<String>) -> Self {
            self.common.serial_no = Some(serial_no.into());
            self
        }

        /// Your API-certificate private key (`apiclient_key.pem`).
        pub fn private_key(mut self, key: wxpay_sign::PrivateKey) -> Self {
            self.common.private_key = Some(key);
            self
        }

        /// A WeChat Pay public key (id `PUB_KEY_ID_…`) to verify responses
        /// with. Call several times to hold the old and the new key during a
        /// rotation (both verify, without downtime); unless
        /// [`wechatpay_serial`](Self::wechatpay_serial) says otherwise, the
        /// first one's id is sent as `Wechatpay-Serial` on brand calls. (A
        /// platform certificate's key under its serial is accepted too, but
        /// [`wechatpay_certificate`](Self::wechatpay_certificate) also
        /// enforces its validity.)
        pub fn wechatpay_public_key(
            mut self,
            id: impl Into<String>,
            key: wxpay_sign::PublicKey,
        ) -> Self {
            self.common.public_keys.push((id.into(), key));
            self
        }

        /// A WeChat Pay platform certificate to verify responses with (by its
        /// serial, within its validity), e.g. one saved by `wxpay-coupon
        /// certificates download`. Call several times for several. Partner
        /// clients given [`apiv3_key`](crate::PartnerClientBuilder::apiv3_key)
        /// download the current ones themselves.
        pub fn wechatpay_certificate(
            mut self,
            certificate: wxpay_sign::PlatformCertificate,
        ) -> Self {
            self.common.certificates.push(certificate);
            self
        }

        /// Which WeChat Pay public key id to send as the `Wechatpay-Serial`
        /// request header; it must be one of the ids given to
        /// [`wechatpay_public_key`](Self::wechatpay_public_key) or
        /// [`wechatpay_certificate`](Self::wechatpay_certificate) (or, on a
        /// partner client with an APIv3 key, a certificate serial it will
        /// download). Default: brand clients send the first public key's id
        /// (brand calls require the header); partner clients send none when
        /// they have a public key, and otherwise the serial of their newest
        /// valid platform certificate (WeChat Pay answers with the key the
        /// request names). Requests with encrypted fields name their key
        /// through [`SensitiveFields`](crate::SensitiveFields).
        pub fn wechatpay_serial(mut self, public_key_id: impl Into<String>) -> Self {
            self.common.wechatpay_serial = Some(public_key_id.into());
            self
        }

        /// The primary base URL (default `https://api.mch.weixin.qq.com`). Ignored
        /// when a [`Transport`](coupon_http::Transport) is given.
        pub fn base_url(mut self, url: impl Into<String>) -> Self {
            self.common.base_url = Some(url.into());
            self
        }

        /// The backup base URL used after a connection failure or timeout on the
        /// primary (default `https://api2.mch.weixin.qq.com`); `None` disables
        /// failover. Ignored when a transport is given.
        pub fn backup_base_url(mut self, url: Option<String>) -> Self {
            self.common.backup_base_url = Some(url);
            self
        }

        /// A fully configured transport (timeouts, retries, connector, hosts).
        pub fn transport(mut self, transport: coupon_http::Transport) -> Self {
            self.common.transport = Some(transport);
            self
        }

        /// The clock for signing timestamps and the verification window (default
        /// the system clock).
        pub fn clock(mut self, clock: std::sync::Arc<dyn wxpay_sign::Clock>) -> Self {
            self.common.clock = Some(clock);
            self
        }
    };
}
pub(crate) use common_builder_methods;

/// The methods both clients share, generated once: `$Marker` is the side's
/// operation marker (`BrandOperation`, `PartnerOperation`). The client has
/// fields `core` and `validate` and a `scope()` naming its side.
macro_rules! side_client_methods {
    ($Marker:ident, $side:literal) => {
        #[doc = concat!("Sends one operation and returns its verified answer (the ", $side, " side).")]
        ///
        /// Validates the request (nothing is sent when it breaks a
        /// documented rule), signs each attempt afresh, verifies the answer's
        /// signature before parsing it, and maps non-2xx answers to
        /// [`Error::Api`](crate::Error::Api).
        pub async fn call<O: $Marker>(&self, request: &O) -> Result<O::Response, crate::Error> {
            self.call_any(request).await
        }

        /// [`call`](Self::call) for an operation chosen at run time: an
        /// operation this side lacks is refused with
        /// [`Error::Unsendable`](crate::Error::Unsendable) before anything is
        /// sent.
        pub async fn call_any<O: coupon_model::operation::Operation>(
            &self,
            request: &O,
        ) -> Result<O::Response, crate::Error> {
            self.core
                .call(request, self.scope(), self.validate, None)
                .await
        }

        /// [`call`](Self::call) for a request carrying fields encrypted with
        /// `fields`: `Wechatpay-Serial` is `fields.key_id()`, whatever the
        /// client's default, so the encryption key and the header can never
        /// disagree.
        pub async fn call_with<O: $Marker>(
            &self,
            fields: &crate::SensitiveFields,
            request: &O,
        ) -> Result<O::Response, crate::Error> {
            self.core
                .call(request, self.scope(), self.validate, Some(fields.key_id()))
                .await
        }

        /// Every item of a paged operation, following `next_page_token` one
        /// page at a time from the request's `page_token` (normally absent) to
        /// the last page.
        pub fn stream<O: $Marker + coupon_model::operation::PagedOperation>(
            &self,
            request: O,
        ) -> crate::paginate::ItemStream<O::Item> {
            crate::paginate::items(self.stream_pages(request))
        }

        /// [`stream`](Self::stream) page by page: each item is one whole page
        /// (its items, `next_page_token`, `total_count`), for progress or
        /// checkpoints.
        pub fn stream_pages<O: $Marker + coupon_model::operation::PagedOperation>(
            &self,
            request: O,
        ) -> crate::paginate::PageStream<O::Item> {
            let client = self.clone();
            crate::paginate::follow_pages(request, move |request| {
                let client = client.clone();
                async move { client.call_any(&request).await }
            })
        }

        /// This client without the documented-rule validation before sending
        /// (for a request you know better than the SDK; WeChat Pay still
        /// checks it). Path parameters, the brand and uploads are still
        /// checked.
        pub fn without_validation(&self) -> Self {
            Self {
                validate: false,
                ..self.clone()
            }
        }

        /// The verifier of this client: its key set is live (shared with this
        /// client, its clones and webhook handlers made from it), so a
        /// certificate refresh is seen everywhere at once.
        pub fn verifier(&self) -> &wxpay_sign::Verifier {
            self.core.keys.verifier()
        }

        /// The key for the sensitive fields of one request, chosen once: the
        /// key named by `.wechatpay_serial(…)` if set, else the first
        /// configured WeChat Pay public key (or the newest valid platform
        /// certificate). Encrypt the fields with it and send the request with
        /// [`call_with`](Self::call_with), which names the same key in
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
        pub async fn sensitive_fields(&self) -> Result<crate::SensitiveFields, crate::Error> {
            self.core.keys.prepare().await?;
            self.core.keys.sensitive_fields()
        }

        /// The key `id` of the live key set (a public key id, or the serial
        /// of a certificate valid now) for sensitive fields — to pin one key
        /// during a rotation.
        pub fn sensitive_fields_for(
            &self,
            id: &str,
        ) -> Result<crate::SensitiveFields, crate::Error> {
            self.core.keys.sensitive_fields_for(id)
        }

        /// Decrypts a sensitive field of a verified answer (RSA-OAEP,
        /// encrypted by WeChat Pay to this client's API-certificate key) with
        /// the private key. Only for fields of answers this client verified:
        /// see [`PrivateKey::decrypt_sensitive`](wxpay_sign::PrivateKey::decrypt_sensitive).
        pub fn decrypt_field(&self, ciphertext_b64: &str) -> Result<String, crate::Error> {
            let plaintext = self
                .core
                .signer
                .private_key()
                .decrypt_sensitive(ciphertext_b64)
                .map_err(crate::Error::Decryption)?;
            String::from_utf8(plaintext.to_vec())
                .map_err(|_| crate::Error::Decryption(wxpay_sign::Error::SensitiveDecryptionFailed))
        }
    };
}
pub(crate) use side_client_methods;
