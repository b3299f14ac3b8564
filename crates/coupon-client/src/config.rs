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
