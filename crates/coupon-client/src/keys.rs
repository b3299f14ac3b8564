//! The WeChat Pay keys a client trusts, and how they are kept current: the
//! live key set (public keys and platform certificates), the platform
//! certificate download and its refresh (on a schedule, and once when a
//! message names an unknown serial), and the key chosen for `Wechatpay-Serial`
//! and sensitive fields.
//!
//! # Trust decision for downloaded certificates
//!
//! `GET /v3/certificates` delivers each certificate encrypted with
//! AES-256-GCM under the APIv3 key, which only the merchant and WeChat Pay
//! hold; a certificate that decrypts and authenticates therefore comes from
//! WeChat Pay (over TLS to its API host). The answer's signature is checked
//! too:
//!
//! * when the client already holds a usable key (a configured public key, or
//!   a certificate valid now), the answer must verify with **those** keys —
//!   the download names one of them in `Wechatpay-Serial` so that WeChat Pay
//!   signs with it; a download signed by anything else is refused and the
//!   old set kept;
//! * when it holds none (the first download of a client configured with the
//!   APIv3 key only, or after every certificate it held has expired), the
//!   answer must verify with one of the certificates it delivers (valid now):
//!   the APIv3-key encryption is then the root of trust, as in WeChat Pay's
//!   own SDKs, and the signature proves the answer was made by the holder of
//!   a delivered certificate's key.
//!
//! The certificates' issuer chain is not checked.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use coupon_http::{RequestTemplate, Transport};
use http::header::ACCEPT;
use http::{HeaderValue, Method, StatusCode};
use serde::Deserialize;
use tokio::time::Instant;
use wxpay_sign::{
    ApiV3Key, Clock, KeySet, PlatformCertificate, PublicKey, Signer, Verifier, WechatPayKey,
    decrypt_resource,
};

use crate::core::{SignEachAttempt, WECHATPAY_SERIAL, map_transport};
use crate::error::{ApiError, Error};

/// The path of the certificate download.
const CERTIFICATES_PATH: &str = "/v3/certificates";

/// When and how often platform certificates are downloaded again (partner
/// clients given an APIv3 key). Start from [`CertificateRefresh::default`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CertificateRefresh {
    /// How long after a successful download the next one is made by the
    /// background task; `None`: no scheduled refresh. Default 12 h.
    pub interval: Option<Duration>,
    /// The least time between two downloads triggered by an unknown
    /// `Wechatpay-Serial` (a response or webhook naming a key the client does
    /// not hold). Default 1 minute.
    pub min_on_demand_interval: Duration,
    /// The wait before retrying a failed scheduled refresh, doubled after
    /// each further failure. Default 1 minute.
    pub retry_base: Duration,
    /// The longest wait between retries of a failed scheduled refresh.
    /// Default 1 hour.
    pub retry_max: Duration,
}

impl Default for CertificateRefresh {
    fn default() -> Self {
        Self {
            interval: Some(Duration::from_secs(12 * 3600)),
            min_on_demand_interval: Duration::from_secs(60),
            retry_base: Duration::from_secs(60),
            retry_max: Duration::from_secs(3600),
        }
    }
}

impl CertificateRefresh {
    /// This policy with the scheduled refresh every `interval` (`None`: none).
    pub fn with_interval(mut self, interval: Option<Duration>) -> Self {
        self.interval = interval;
        self
    }

    /// This policy with at most one on-demand download per `interval`.
    pub fn with_min_on_demand_interval(mut self, interval: Duration) -> Self {
        self.min_on_demand_interval = interval;
        self
    }

    /// This policy retrying a failed scheduled refresh after `base`, doubling
    /// up to `max`.
    pub fn with_retry(mut self, base: Duration, max: Duration) -> Self {
        self.retry_base = base;
        self.retry_max = max;
        self
    }

    /// The wait before the retry that follows `failures` failed scheduled
    /// refreshes in a row (at least one).
    fn retry_delay(&self, failures: u32) -> Duration {
        let factor = 1u32
            .checked_shl(failures.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.retry_base
            .checked_mul(factor)
            .unwrap_or(self.retry_max)
            .min(self.retry_max)
    }
}

/// What a certificate download found.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum CertificateStatus {
    /// The account's current platform certificates (now in the client's key
    /// set, beside its public keys).
    Certificates(Vec<PlatformCertificate>),
    /// The account has no platform certificates (`/v3/certificates` answered
    /// 404 or an empty list): it uses WeChat Pay public keys only. The key
    /// set is unchanged.
    PublicKeyOnly,
}

/// The key chosen, once, for the sensitive fields of one request: it
/// encrypts the fields, and its id is the `Wechatpay-Serial` of the request
/// sent with [`BrandClient::call_with`](crate::BrandClient::call_with) /
/// [`PartnerClient::call_with`](crate::PartnerClient::call_with), so the two
/// can never disagree.
///
/// Made by the clients' `sensitive_fields` / `sensitive_fields_for` only: its
/// key and id cannot be set or changed separately.
///
/// ```compile_fail
/// # fn f(key: coupon_client::wxpay_sign::PublicKey) {
/// // Neither a constructor nor public fields: a key id cannot be paired
/// // with another key.
/// let fields = coupon_client::SensitiveFields { key_id: "PUB_KEY_ID_X".into(), key };
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct SensitiveFields {
    key_id: String,
    key: PublicKey,
}

impl SensitiveFields {
    /// The id (`PUB_KEY_ID_…` or certificate serial) sent as
    /// `Wechatpay-Serial` with the fields.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Encrypts one field (name, phone number, …) with RSA-OAEP (SHA-1) for
    /// WeChat Pay, as base64. At most 214 bytes of UTF-8 for RSA-2048.
    pub fn encrypt(&self, plaintext: &str) -> Result<String, Error> {
        self.key
            .encrypt_sensitive(plaintext.as_bytes())
            .map_err(Error::Encryption)
    }
}

/// The answer of `/v3/certificates`.
#[derive(Deserialize)]
struct CertificatesAnswer {
    #[serde(default)]
    data: Vec<CertificateEntry>,
}

#[derive(Deserialize)]
struct CertificateEntry {
    serial_no: String,
    encrypt_certificate: EncryptedCertificate,
}

#[derive(Deserialize)]
struct EncryptedCertificate {
    algorithm: String,
    nonce: String,
    #[serde(default)]
    associated_data: Option<String>,
    ciphertext: String,
}

/// Which side the client is on (the brand side has no certificate download).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Brand,
    Merchant,
}

/// Why a download is attempted.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Trigger {
    /// The set holds no usable key: needed before anything can be verified.
    Bootstrap,
    /// A message named this serial, not in the set.
    UnknownSerial(String),
    /// The background schedule.
    Scheduled,
    /// The caller asked for it.
    Explicit,
}

/// The state behind the single-flight lock.
#[derive(Debug, Default)]
struct Gate {
    /// The last download triggered by an unknown serial (rate limit).
    last_on_demand: Option<Instant>,
    /// The last successful download (schedule).
    last_success: Option<Instant>,
}

/// Aborts the scheduled-refresh task when dropped.
#[derive(Debug)]
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// What a merchant client needs to download certificates.
struct CertificateSource {
    apiv3_key: ApiV3Key,
    transport: Transport,
    signer: Signer,
    policy: CertificateRefresh,
    /// Single flight: at most one download at a time.
    gate: tokio::sync::Mutex<Gate>,
    /// "No certificates" is logged once.
    no_certificates_logged: AtomicBool,
    /// The scheduled refresh, started once there are certificates to refresh.
    scheduler: Mutex<Option<AbortOnDrop>>,
    /// Whether `scheduler` is set (a lock-free check for every call).
    scheduler_started: AtomicBool,
}

/// The keys of one client, shared by its clones and the webhook handlers
/// made from it.
pub(crate) struct KeyManager {
    verifier: Verifier,
    clock: Arc<dyn Clock>,
    /// The configured keys: they stay whatever a download brings.
    configured: KeySet,
    /// The first configured public key id (brand calls send it by default).
    first_public_key_id: Option<String>,
    /// `.wechatpay_serial(…)`.
    explicit_serial: Option<String>,
    side: Side,
    certificates: Option<CertificateSource>,
}

impl std::fmt::Debug for KeyManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyManager")
            .field("key_ids", &self.verifier.key_ids())
            .field("explicit_serial", &self.explicit_serial)
            .field("side", &self.side)
            .field(
                "certificate_refresh",
                &self.certificates.as_ref().map(|c| &c.policy),
            )
            .finish_non_exhaustive()
    }
}

/// What [`KeyManager::new`] takes.
pub(crate) struct KeyConfig {
    pub(crate) verifier: Verifier,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) configured: KeySet,
    pub(crate) first_public_key_id: Option<String>,
    pub(crate) explicit_serial: Option<String>,
    pub(crate) side: Side,
    /// The APIv3 key, transport and signer for downloads (merchant side).
    pub(crate) download: Option<(ApiV3Key, Transport, Signer, CertificateRefresh)>,
}

impl KeyManager {
    pub(crate) fn new(config: KeyConfig) -> Self {
        Self {
            verifier: config.verifier,
            clock: config.clock,
            configured: config.configured,
            first_public_key_id: config.first_public_key_id,
            explicit_serial: config.explicit_serial,
            side: config.side,
            certificates: config
                .download
                .map(|(apiv3_key, transport, signer, policy)| CertificateSource {
                    apiv3_key,
                    transport,
                    signer,
                    policy,
                    gate: tokio::sync::Mutex::new(Gate::default()),
                    no_certificates_logged: AtomicBool::new(false),
                    scheduler: Mutex::new(None),
                    scheduler_started: AtomicBool::new(false),
                }),
        }
    }

    /// The live verifier (clones share its key set).
    pub(crate) fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// Gets the keys ready for a call: downloads the certificates first when
    /// the set holds no usable key (once, single flight), and starts the
    /// scheduled refresh when there are certificates to refresh.
    pub(crate) async fn prepare(self: &Arc<Self>) -> Result<(), Error> {
        if self.certificates.is_none() {
            return Ok(());
        }
        if !self.verifier.keys().has_usable_key(self.clock.now_unix()) {
            let outcome = self.refresh(Trigger::Bootstrap).await?;
            if !self.verifier.keys().has_usable_key(self.clock.now_unix()) {
                return Err(no_usable_key(matches!(
                    outcome,
                    Some(CertificateStatus::PublicKeyOnly)
                )));
            }
        }
        self.ensure_scheduler();
        Ok(())
    }

    /// The `Wechatpay-Serial` of a call: `.wechatpay_serial(…)`; else, on
    /// the brand side, the first configured public key; else, when no public
    /// key is configured, the newest certificate valid now (WeChat Pay then
    /// answers with that certificate); else none.
    pub(crate) fn request_serial(&self) -> Option<String> {
        if let Some(serial) = &self.explicit_serial {
            return Some(serial.clone());
        }
        if let Some(id) = &self.first_public_key_id {
            return match self.side {
                Side::Brand => Some(id.clone()),
                Side::Merchant => None,
            };
        }
        self.newest_certificate_serial()
    }

    /// The `Wechatpay-Serial` of a certificate download: always a key the
    /// client holds when it holds one, so that WeChat Pay signs the answer
    /// with a key already trusted.
    fn download_serial(&self) -> Option<String> {
        self.explicit_serial
            .clone()
            .or_else(|| self.first_public_key_id.clone())
            .or_else(|| self.newest_certificate_serial())
    }

    fn newest_certificate_serial(&self) -> Option<String> {
        self.verifier
            .keys()
            .newest_valid_certificate(self.clock.now_unix())
            .map(|c| c.serial().to_owned())
    }

    /// The key for sensitive fields, as [`request_serial`](Self::request_serial)
    /// would name it, falling back to the first public key on the merchant
    /// side (a partner request with encrypted fields must name a key).
    pub(crate) fn sensitive_fields(&self) -> Result<SensitiveFields, Error> {
        let id = self
            .request_serial()
            .or_else(|| self.first_public_key_id.clone())
            .ok_or_else(|| {
                Error::Config(
                    "no WeChat Pay key to encrypt sensitive fields with: configure a WeChat Pay public key, or download the platform certificates (APIv3 key)".into(),
                )
            })?;
        self.sensitive_fields_for(&id)
    }

    /// The key `id` of the live set for sensitive fields; a certificate must
    /// be valid now.
    pub(crate) fn sensitive_fields_for(&self, id: &str) -> Result<SensitiveFields, Error> {
        let keys = self.verifier.keys();
        let key = keys.get(id).ok_or_else(|| {
            Error::Config(format!(
                "no WeChat Pay key {id:?} to encrypt sensitive fields with; the keys held are {:?}",
                keys.ids().collect::<Vec<_>>()
            ))
        })?;
        if let WechatPayKey::Certificate(cert) = key {
            cert.check_validity(self.clock.now_unix())
                .map_err(|e| Error::Config(format!("cannot encrypt with {id}: {e}")))?;
        }
        let key_id = match key {
            WechatPayKey::Certificate(cert) => cert.serial().to_owned(),
            WechatPayKey::PublicKey(_) => id.to_owned(),
        };
        Ok(SensitiveFields {
            key_id,
            key: key.public_key().clone(),
        })
    }

    /// Verifies a message; when it names a serial the set lacks and
    /// certificates can be downloaded, downloads them once (rate-limited,
    /// single flight) and verifies the same message again. Never resends
    /// anything; fails closed when the serial is still unknown.
    pub(crate) async fn verify_refreshing(
        self: &Arc<Self>,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<(), wxpay_sign::Error> {
        match self.verifier.verify_headers(headers, body) {
            Err(wxpay_sign::Error::UnknownSerial { got, .. }) if self.certificates.is_some() => {
                if let Err(e) = self.refresh(Trigger::UnknownSerial(got)).await {
                    tracing::warn!(
                        error = %e,
                        "downloading the platform certificates for an unknown Wechatpay-Serial failed; keeping the current keys"
                    );
                }
                self.ensure_scheduler();
                self.verifier.verify_headers(headers, body)
            }
            other => other,
        }
    }

    /// Downloads the certificates now (single flight, not rate-limited).
    pub(crate) async fn refresh_now(self: &Arc<Self>) -> Result<CertificateStatus, Error> {
        if self.certificates.is_none() {
            return Err(Error::Config(
                "downloading platform certificates needs the APIv3 key: build the partner client with .apiv3_key(…)".into(),
            ));
        }
        let status = self
            .refresh(Trigger::Explicit)
            .await?
            .unwrap_or(CertificateStatus::PublicKeyOnly);
        self.ensure_scheduler();
        Ok(status)
    }

    /// One download for `trigger`, unless the single-flight and rate-limit
    /// rules say it is not needed (`Ok(None)`). A failure keeps the set.
    async fn refresh(&self, trigger: Trigger) -> Result<Option<CertificateStatus>, Error> {
        let Some(source) = &self.certificates else {
            return Ok(None);
        };
        let mut gate = source.gate.lock().await;
        match &trigger {
            Trigger::Bootstrap => {
                // Another caller may have downloaded while this one waited.
                if self.verifier.keys().has_usable_key(self.clock.now_unix()) {
                    return Ok(None);
                }
            }
            Trigger::UnknownSerial(serial) => {
                if self.verifier.keys().contains(serial) {
                    return Ok(None);
                }
                let now = Instant::now();
                if let Some(last) = gate.last_on_demand {
                    if now.saturating_duration_since(last) < source.policy.min_on_demand_interval {
                        tracing::debug!(
                            serial = %serial,
                            "unknown Wechatpay-Serial: a certificate download was made less than the minimum interval ago; not downloading again"
                        );
                        return Ok(None);
                    }
                }
                gate.last_on_demand = Some(now);
            }
            Trigger::Scheduled | Trigger::Explicit => {}
        }
        let status = self.download(source).await?;
        gate.last_success = Some(Instant::now());
        match &status {
            CertificateStatus::Certificates(certificates) => {
                let mut set = self.configured.clone();
                for cert in certificates {
                    if !matches!(set.get(cert.serial()), Some(WechatPayKey::PublicKey(_))) {
                        set.insert_certificate(cert.clone());
                    }
                }
                tracing::info!(
                    trigger = ?trigger,
                    serials = ?certificates.iter().map(|c| c.serial()).collect::<Vec<_>>(),
                    "WeChat Pay platform certificates downloaded"
                );
                self.verifier.replace_keys(set);
            }
            CertificateStatus::PublicKeyOnly => {
                if !source.no_certificates_logged.swap(true, Ordering::Relaxed) {
                    tracing::info!(
                        "WeChat Pay has no platform certificates for this merchant: it signs with WeChat Pay public keys only, and the client keeps to its configured public keys"
                    );
                }
            }
        }
        Ok(Some(status))
    }

    /// `GET /v3/certificates`, checked as the module docs say.
    async fn download(&self, source: &CertificateSource) -> Result<CertificateStatus, Error> {
        let mut template = RequestTemplate::new(Method::GET, CERTIFICATES_PATH, CERTIFICATES_PATH)
            .with_header(ACCEPT, HeaderValue::from_static("application/json"))
            .idempotent(true);
        if let Some(serial) = self.download_serial() {
            if let Ok(value) = HeaderValue::from_str(&serial) {
                template = template.with_header(WECHATPAY_SERIAL, value);
            }
        }
        let hook = SignEachAttempt {
            signer: &source.signer,
            clock: self.clock.as_ref(),
            signed_body: None,
        };
        let response = source
            .transport
            .execute(&template, &hook)
            .await
            .map_err(map_transport)?;
        let request_id = response.request_id().map(str::to_owned);
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(CertificateStatus::PublicKeyOnly);
        }
        if !response.is_success() {
            let verified = self
                .verifier
                .verify_headers(response.headers(), response.body())
                .is_ok();
            return Err(Error::Api(Box::new(ApiError::from_response(
                response.status(),
                response.body(),
                request_id,
                verified,
            ))));
        }
        let now = self.clock.now_unix();
        let trusted = self.verifier.keys().has_usable_key(now);
        let verification_failed =
            |source: wxpay_sign::Error, request_id: &Option<String>| Error::Verification {
                source,
                status: Some(response.status()),
                request_id: request_id.clone(),
            };
        if trusted {
            // Verified with the keys already held before anything is parsed.
            self.verifier
                .verify_headers(response.headers(), response.body())
                .map_err(|e| verification_failed(e, &request_id))?;
        }
        let answer: CertificatesAnswer =
            serde_json::from_slice(response.body()).map_err(|source| Error::Decode {
                source,
                what: "certificate list (/v3/certificates)",
                request_id: request_id.clone(),
            })?;
        let mut certificates = Vec::with_capacity(answer.data.len());
        for entry in &answer.data {
            certificates.push(decrypt_certificate(&source.apiv3_key, entry)?);
        }
        if !trusted {
            // First download: the answer must verify with a certificate it
            // delivers (each one authenticated by the APIv3 key above).
            let delivered: KeySet = certificates
                .iter()
                .filter(|c| c.is_valid_at(now))
                .cloned()
                .collect();
            self.verifier
                .with_separate_keys(delivered)
                .verify_headers(response.headers(), response.body())
                .map_err(|e| verification_failed(e, &request_id))?;
        }
        if certificates.is_empty() {
            return Ok(CertificateStatus::PublicKeyOnly);
        }
        Ok(CertificateStatus::Certificates(certificates))
    }

    /// Starts the scheduled refresh once there are certificates to refresh
    /// (never for a client that holds public keys only).
    fn ensure_scheduler(self: &Arc<Self>) {
        let Some(source) = &self.certificates else {
            return;
        };
        let Some(interval) = source.policy.interval else {
            return;
        };
        if source.scheduler_started.load(Ordering::Acquire) {
            return;
        }
        if self.verifier.keys().certificates().next().is_none() {
            return;
        }
        let Ok(mut slot) = source.scheduler.lock() else {
            return;
        };
        if slot.is_some() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let task = runtime.spawn(scheduled_refresh(
            Arc::downgrade(self),
            interval,
            source.policy.clone(),
        ));
        *slot = Some(AbortOnDrop(task.abort_handle()));
        source.scheduler_started.store(true, Ordering::Release);
    }

    /// When the last successful download happened.
    async fn last_success(&self) -> Option<Instant> {
        match &self.certificates {
            Some(source) => source.gate.lock().await.last_success,
            None => None,
        }
    }
}

/// The scheduled refresh: `interval` after the last successful download,
/// then again and again; after a failure, retries with backoff (the key set
/// is kept meanwhile). Ends when the last client, clone or webhook handler
/// sharing the keys is dropped (it holds them only weakly, and the task is
/// aborted when they go).
async fn scheduled_refresh(
    manager: Weak<KeyManager>,
    interval: Duration,
    policy: CertificateRefresh,
) {
    let mut failures: u32 = 0;
    loop {
        let deadline = {
            let Some(strong) = manager.upgrade() else {
                return;
            };
            let last = strong.last_success().await.unwrap_or_else(Instant::now);
            if failures == 0 {
                last + interval
            } else {
                Instant::now() + policy.retry_delay(failures)
            }
        };
        tokio::time::sleep_until(deadline).await;
        let Some(strong) = manager.upgrade() else {
            return;
        };
        if failures == 0 {
            // An on-demand download since may have moved the deadline.
            if let Some(last) = strong.last_success().await {
                if last + interval > Instant::now() {
                    continue;
                }
            }
        }
        match strong.refresh(Trigger::Scheduled).await {
            Ok(_) => failures = 0,
            Err(e) => {
                failures = failures.saturating_add(1);
                tracing::warn!(
                    error = %e,
                    retry_in_secs = policy.retry_delay(failures).as_secs(),
                    "scheduled download of the WeChat Pay platform certificates failed; keeping the current keys"
                );
            }
        }
    }
}

/// Decrypts and parses one delivered certificate; its serial must be the
/// one the entry announces.
fn decrypt_certificate(
    key: &ApiV3Key,
    entry: &CertificateEntry,
) -> Result<PlatformCertificate, Error> {
    let enc = &entry.encrypt_certificate;
    let announced = coupon_model::text::excerpt(&entry.serial_no, 64).into_owned();
    let plaintext = decrypt_resource(
        key,
        &enc.algorithm,
        &enc.nonce,
        enc.associated_data.as_deref().unwrap_or(""),
        &enc.ciphertext,
    )
    .map_err(|source| Error::Certificate {
        serial: announced.clone(),
        reason: "it does not decrypt with the APIv3 key (AES-256-GCM)".into(),
        source: Some(source),
    })?;
    let pem = std::str::from_utf8(&plaintext).map_err(|_| Error::Certificate {
        serial: announced.clone(),
        reason: "the decrypted certificate is not PEM text".into(),
        source: None,
    })?;
    let cert = PlatformCertificate::from_pem(pem).map_err(|source| Error::Certificate {
        serial: announced.clone(),
        reason: "the decrypted certificate does not parse".into(),
        source: Some(source),
    })?;
    if !cert.serial().eq_ignore_ascii_case(entry.serial_no.trim()) {
        return Err(Error::Certificate {
            serial: announced,
            reason: format!(
                "the decrypted certificate's serial is {}, not the serial_no announced",
                cert.serial()
            ),
            source: None,
        });
    }
    Ok(cert)
}

/// The error of a call that has no key to verify its answer with.
fn no_usable_key(public_key_only: bool) -> Error {
    if public_key_only {
        Error::Config(
            "WeChat Pay has no platform certificates for this merchant (GET /v3/certificates answered 404 or an empty list): it is a public-key-only account; configure its WeChat Pay public key with .wechatpay_public_key(\"PUB_KEY_ID_…\", key) (CLI: WXPAY_PUBLIC_KEY_ID and WXPAY_PUBLIC_KEY)".into(),
        )
    } else {
        Error::Config(
            "no usable WeChat Pay key: every platform certificate held has expired or is not valid yet, and the download brought no valid one; check the clock, or configure the WeChat Pay public key".into(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_up_to_the_maximum() {
        let policy = CertificateRefresh::default();
        let delays: Vec<u64> = (1..=8).map(|n| policy.retry_delay(n).as_secs()).collect();
        assert_eq!(delays, vec![60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(policy.retry_delay(u32::MAX).as_secs(), 3600);
    }
}
