//! Settings shared by both client builders.

use std::sync::Arc;

use coupon_http::Transport;
use http::HeaderValue;
use wxpay_sign::{Clock, PrivateKey, PublicKey, Signer, SystemClock, Verifier};

use crate::core::Core;
use crate::error::Error;

/// What both builders collect besides the identity.
#[derive(Debug, Default)]
pub(crate) struct CommonConfig {
    pub(crate) serial_no: Option<String>,
    pub(crate) private_key: Option<PrivateKey>,
    pub(crate) public_keys: Vec<(String, PublicKey)>,
    pub(crate) wechatpay_serial: Option<String>,
    pub(crate) base_url: Option<String>,
    pub(crate) backup_base_url: Option<Option<String>>,
    pub(crate) transport: Option<Transport>,
    pub(crate) clock: Option<Arc<dyn Clock>>,
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
        if self.public_keys.is_empty() {
            return Err(Error::Config(
                "no WeChat Pay public key: call .wechatpay_public_key(id, key) (id = PUB_KEY_ID_… or the platform certificate serial)".into(),
            ));
        }
        let clock: Arc<dyn Clock> = self.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let mut verifier = Verifier::builder().clock(clock.clone());
        for (id, key) in &self.public_keys {
            verifier = verifier.public_key(id.clone(), key.clone());
        }
        let verifier = verifier
            .build()
            .map_err(|e| Error::Config(format!("WeChat Pay public keys: {e}")))?;
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
        // Brand calls must name the WeChat Pay public key (default: the first
        // one); partner calls send it only when asked to.
        let serial_id = match (&self.wechatpay_serial, &identity) {
            (Some(id), _) => {
                if !self.public_keys.iter().any(|(known, _)| known == id) {
                    return Err(Error::Config(format!(
                        "the Wechatpay-Serial {id:?} is not one of the WeChat Pay public key ids given to .wechatpay_public_key(…); add that key or send one of {:?}",
                        self.public_keys
                            .iter()
                            .map(|(k, _)| k.as_str())
                            .collect::<Vec<_>>()
                    )));
                }
                Some(id.as_str())
            }
            (None, Identity::Brand(_)) => Some(self.public_keys[0].0.as_str()),
            (None, Identity::Merchant(_)) => None,
        };
        let wechatpay_serial = serial_id
            .map(|id| {
                HeaderValue::from_str(id).map_err(|_| {
                    Error::Config(format!(
                        "the WeChat Pay public key id {id:?} cannot be sent as the Wechatpay-Serial header; copy the id (PUB_KEY_ID_…) exactly from the merchant platform"
                    ))
                })
            })
            .transpose()?;
        let signer = match identity {
            Identity::Brand(brand_id) => Signer::brand(brand_id, serial_no, key),
            Identity::Merchant(mchid) => Signer::merchant(mchid, serial_no, key),
        };
        Ok(Core {
            transport,
            signer,
            verifier,
            clock,
            wechatpay_serial,
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

        /// A WeChat Pay public key (id `PUB_KEY_ID_…`) or platform certificate
        /// (id = its serial) to verify responses with. Call several times during key
        /// rotation or migration; unless [`wechatpay_serial`](Self::wechatpay_serial)
        /// says otherwise, the first one's id is sent as `Wechatpay-Serial` on brand
        /// calls.
        pub fn wechatpay_public_key(
            mut self,
            id: impl Into<String>,
            key: wxpay_sign::PublicKey,
        ) -> Self {
            self.common.public_keys.push((id.into(), key));
            self
        }

        /// Which WeChat Pay public key id to send as the `Wechatpay-Serial`
        /// request header; it must be one of the ids given to
        /// [`wechatpay_public_key`](Self::wechatpay_public_key). Default: brand
        /// clients send the first key's id (brand calls require the header);
        /// partner clients send none (needed only with encrypted fields).
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
