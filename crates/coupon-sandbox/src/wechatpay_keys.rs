//! The sandbox's WeChat Pay keys: WeChat Pay public keys (`PUB_KEY_ID_…`)
//! and platform certificates, which of them signs an answer, a certificate
//! download or a notification, and their rotation.
//!
//! The rules, as WeChat Pay applies them to accounts migrating between the
//! two kinds:
//! - an answer is signed with the key the request's `Wechatpay-Serial`
//!   names when the sandbox holds it (and has not retired it), otherwise
//!   with the **default key**: the public key in the public-key and both
//!   modes, the certificate in the certificates mode — and, after a
//!   rotation, the key the rotation added;
//! - the certificate download (`GET /v3/certificates`) is signed with the
//!   key its `Wechatpay-Serial` names, retired keys included, otherwise with
//!   the newest certificate (never with a public key by default: a client
//!   that names no key is downloading its first certificates and verifies the
//!   answer with one of them);
//! - notifications to the service provider are signed with the default key,
//!   those to a brand with the newest public key when there is one (brand
//!   clients verify with public keys only).

use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use wxpay_sign::{KeySet, PlatformCertificate, PrivateKey, PublicKey, ResponseSigner};

use crate::credentials::{Credentials, random_hex};
use crate::error::{Error, Result};
use crate::server::lock;

/// How long the certificates the sandbox issues are valid by default: five
/// years, as WeChat Pay's platform certificates.
pub const DEFAULT_CERTIFICATE_VALIDITY: Duration = Duration::from_secs(5 * 365 * 86_400);
/// How far before the moment it is issued a sandbox certificate becomes
/// valid (one hour), so that a client whose clock is a little behind the
/// sandbox's accepts it.
pub const CERTIFICATE_BACKDATE: Duration = Duration::from_secs(3600);

/// Which kinds of WeChat Pay key the sandbox signs with
/// ([`SandboxBuilder::wechatpay_keys`](crate::SandboxBuilder::wechatpay_keys),
/// `wxpay-coupon sandbox --wechatpay-keys`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum WechatPayKeyMode {
    /// WeChat Pay public keys only (a new merchant): `GET /v3/certificates`
    /// answers `404 NOT_FOUND`, rotation adds a public key.
    PublicKey,
    /// Platform certificates only (an older merchant): the keys directory's
    /// `wxpay.env` names no public key, so clients download the
    /// certificates with the APIv3 key; rotation adds a certificate.
    Certificates,
    /// Both (an account migrating between the two; the default): answers to
    /// requests naming no key are signed with the public key until a
    /// rotation adds a certificate, which then signs them.
    #[default]
    Both,
}

impl WechatPayKeyMode {
    /// `public-key`, `certificates` or `both`.
    pub fn as_str(self) -> &'static str {
        match self {
            WechatPayKeyMode::PublicKey => "public-key",
            WechatPayKeyMode::Certificates => "certificates",
            WechatPayKeyMode::Both => "both",
        }
    }

    /// Whether the sandbox holds a WeChat Pay public key in this mode.
    pub fn has_public_key(self) -> bool {
        matches!(self, WechatPayKeyMode::PublicKey | WechatPayKeyMode::Both)
    }

    /// Whether the sandbox serves platform certificates in this mode.
    pub fn has_certificates(self) -> bool {
        matches!(
            self,
            WechatPayKeyMode::Certificates | WechatPayKeyMode::Both
        )
    }
}

impl fmt::Display for WechatPayKeyMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for WechatPayKeyMode {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "public-key" => Ok(WechatPayKeyMode::PublicKey),
            "certificates" => Ok(WechatPayKeyMode::Certificates),
            "both" => Ok(WechatPayKeyMode::Both),
            other => Err(Error::Refused(format!(
                "unknown WeChat Pay key mode {:?}: use public-key, certificates or both",
                other.chars().take(32).collect::<String>()
            ))),
        }
    }
}

/// The kind of a WeChat Pay key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum WechatPayKeyKind {
    /// A WeChat Pay public key, named by its `PUB_KEY_ID_…`.
    PublicKey,
    /// A platform certificate, named by its serial (uppercase hex).
    Certificate,
}

/// One WeChat Pay key of the sandbox, as [`Sandbox::wechatpay_keys`]
/// (and the admin channel's `GET /sandbox-admin/v1/wechatpay-keys`) shows it:
/// public material only.
///
/// [`Sandbox::wechatpay_keys`]: crate::Sandbox::wechatpay_keys
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WechatPayKeyInfo {
    /// The `Wechatpay-Serial` of what it signs: `PUB_KEY_ID_…`, or the
    /// certificate's serial in uppercase hex.
    pub id: String,
    /// Public key or platform certificate.
    pub kind: WechatPayKeyKind,
    /// Whether it signs the answers to requests that name no key (or a key
    /// the sandbox does not hold).
    pub default: bool,
    /// Whether it was retired: no longer listed by `/v3/certificates`,
    /// accepted on brand calls or used to sign anything but a certificate
    /// download that names it.
    pub retired: bool,
    /// A certificate's `notBefore` (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<i64>,
    /// A certificate's `notAfter` (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_after: Option<i64>,
    /// The public key (SPKI PEM).
    pub public_key_pem: String,
    /// The certificate (PEM), for a certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_pem: Option<String>,
}

impl WechatPayKeyInfo {
    /// The public key, parsed.
    pub fn public_key(&self) -> Result<PublicKey> {
        PublicKey::from_pem(&self.public_key_pem)
            .map_err(Error::crypto("reading a sandbox WeChat Pay public key"))
    }

    /// The platform certificate, parsed (`None` for a public key).
    pub fn certificate(&self) -> Result<Option<PlatformCertificate>> {
        self.certificate_pem
            .as_deref()
            .map(PlatformCertificate::from_pem)
            .transpose()
            .map_err(Error::crypto("reading a sandbox platform certificate"))
    }
}

/// One key the sandbox holds.
struct Entry {
    id: String,
    kind: WechatPayKeyKind,
    certificate: Option<PlatformCertificate>,
    signer: ResponseSigner,
    retired: bool,
}

impl Entry {
    /// Whether `named` (a `Wechatpay-Serial` value) names this key:
    /// certificate serials whatever their case, public key ids exactly.
    fn is_named(&self, named: &str) -> bool {
        match self.kind {
            WechatPayKeyKind::Certificate => self.id.eq_ignore_ascii_case(named.trim()),
            WechatPayKeyKind::PublicKey => self.id == named,
        }
    }

    fn info(&self, default: bool) -> WechatPayKeyInfo {
        WechatPayKeyInfo {
            id: self.id.clone(),
            kind: self.kind,
            default,
            retired: self.retired,
            not_before: self
                .certificate
                .as_ref()
                .map(PlatformCertificate::not_before),
            not_after: self
                .certificate
                .as_ref()
                .map(PlatformCertificate::not_after),
            public_key_pem: self.signer.public_key().to_spki_pem(),
            certificate_pem: self.certificate.as_ref().map(PlatformCertificate::to_pem),
        }
    }
}

/// The keys, oldest first, and which one is the default.
struct Ring {
    entries: Vec<Entry>,
    default: usize,
}

impl Ring {
    fn default_entry(&self) -> Option<&Entry> {
        self.entries.get(self.default)
    }

    fn active(&self) -> impl DoubleEndedIterator<Item = &Entry> + '_ {
        self.entries.iter().filter(|e| !e.retired)
    }

    fn newest_active(&self, kind: WechatPayKeyKind) -> Option<usize> {
        self.entries
            .iter()
            .rposition(|e| !e.retired && e.kind == kind)
    }
}

/// A rotation waiting for requests to be answered first.
struct Pending {
    remaining: u64,
    key: PrivateKey,
    retire_previous: bool,
}

/// The sandbox's WeChat Pay keys, shared by the server and the notification
/// deliveries.
pub(crate) struct KeyRing {
    mode: WechatPayKeyMode,
    validity_secs: i64,
    ring: Mutex<Ring>,
    pending: Mutex<Option<Pending>>,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ring = lock(&self.ring);
        f.debug_struct("KeyRing")
            .field("mode", &self.mode)
            .field(
                "keys",
                &ring
                    .entries
                    .iter()
                    .map(|e| e.id.as_str())
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// A certificate serial as WeChat Pay's look: 40 uppercase hex digits, the
/// first one 1–7 (a positive DER integer without a leading zero byte, so the
/// serial reads back unchanged).
fn certificate_serial(hex40: &str) -> String {
    let mut serial: String = hex40
        .chars()
        .take(40)
        .collect::<String>()
        .to_ascii_uppercase();
    if let Some(first) = serial.chars().next().and_then(|c| c.to_digit(16)) {
        let fixed = char::from_digit(first % 7 + 1, 16).unwrap_or('1');
        serial.replace_range(..1, &fixed.to_string());
    }
    serial
}

impl KeyRing {
    /// The keys of a new sandbox: the credentials' WeChat Pay key pair as the
    /// public key (`wechatpay_public_key_id`), as a platform certificate, or
    /// as both. The certificate's serial is derived from the key, so a
    /// sandbox restarted on the same keys directory keeps it.
    pub(crate) fn new(
        creds: &Credentials,
        mode: WechatPayKeyMode,
        validity: Duration,
        now: i64,
    ) -> Result<Self> {
        let validity_secs = i64::try_from(validity.as_secs()).unwrap_or(i64::MAX / 4);
        let this = Self {
            mode,
            validity_secs,
            ring: Mutex::new(Ring {
                entries: Vec::new(),
                default: 0,
            }),
            pending: Mutex::new(None),
        };
        let key = &creds.wechatpay_private_key;
        let mut entries = Vec::new();
        if mode.has_public_key() {
            entries.push(Entry {
                id: creds.wechatpay_public_key_id.clone(),
                kind: WechatPayKeyKind::PublicKey,
                certificate: None,
                signer: ResponseSigner::new(creds.wechatpay_public_key_id.clone(), key.clone()),
                retired: false,
            });
        }
        if mode.has_certificates() {
            let digest = wxpay_sign::sha256_hex(&key.public_key().to_spki_der());
            entries.push(this.certificate_entry(key.clone(), &certificate_serial(&digest), now)?);
        }
        lock(&this.ring).entries = entries;
        Ok(this)
    }

    fn certificate_entry(&self, key: PrivateKey, serial: &str, now: i64) -> Result<Entry> {
        let backdate = i64::try_from(CERTIFICATE_BACKDATE.as_secs()).unwrap_or(0);
        let certificate = PlatformCertificate::self_signed(
            &key,
            serial,
            now.saturating_sub(backdate),
            now.saturating_add(self.validity_secs),
        )
        .map_err(Error::crypto("issuing a sandbox platform certificate"))?;
        let id = certificate.serial().to_owned();
        Ok(Entry {
            signer: ResponseSigner::new(id.clone(), key),
            id,
            kind: WechatPayKeyKind::Certificate,
            certificate: Some(certificate),
            retired: false,
        })
    }

    pub(crate) fn mode(&self) -> WechatPayKeyMode {
        self.mode
    }

    /// The signer of an answer to a request naming `named` in `Wechatpay-Serial`.
    pub(crate) fn answer_signer(&self, named: Option<&str>) -> Option<ResponseSigner> {
        let ring = lock(&self.ring);
        named
            .and_then(|n| ring.active().find(|e| e.is_named(n)))
            .or_else(|| ring.default_entry())
            .map(|e| e.signer.clone())
    }

    /// The signer of a certificate download naming `named`: that key, even
    /// retired; otherwise the newest certificate; otherwise the default key.
    pub(crate) fn download_signer(&self, named: Option<&str>) -> Option<ResponseSigner> {
        let ring = lock(&self.ring);
        named
            .and_then(|n| ring.entries.iter().rev().find(|e| e.is_named(n)))
            .or_else(|| {
                ring.newest_active(WechatPayKeyKind::Certificate)
                    .and_then(|i| ring.entries.get(i))
            })
            .or_else(|| ring.default_entry())
            .map(|e| e.signer.clone())
    }

    /// The signer of a notification: to a brand, the newest public key when
    /// there is one; otherwise (and to the service provider) the default key.
    pub(crate) fn notification_signer(&self, to_brand: bool) -> Option<ResponseSigner> {
        let ring = lock(&self.ring);
        let brand_key = if to_brand {
            ring.newest_active(WechatPayKeyKind::PublicKey)
                .and_then(|i| ring.entries.get(i))
        } else {
            None
        };
        brand_key
            .or_else(|| ring.default_entry())
            .map(|e| e.signer.clone())
    }

    /// Whether `sent` names a key the sandbox holds (brand calls must).
    pub(crate) fn holds(&self, sent: &str) -> bool {
        lock(&self.ring).active().any(|e| e.is_named(sent))
    }

    /// The ids of the keys held (not retired), oldest first.
    pub(crate) fn active_ids(&self) -> Vec<String> {
        lock(&self.ring).active().map(|e| e.id.clone()).collect()
    }

    /// The keys held (not retired), as a client's key set.
    pub(crate) fn key_set(&self) -> KeySet {
        let ring = lock(&self.ring);
        let mut set = KeySet::new();
        for entry in ring.active() {
            match &entry.certificate {
                Some(cert) => set.insert_certificate(cert.clone()),
                None => set.insert_public_key(entry.id.clone(), entry.signer.public_key()),
            }
        }
        set
    }

    /// The certificates held (not retired), newest first.
    pub(crate) fn certificates(&self) -> Vec<PlatformCertificate> {
        lock(&self.ring)
            .active()
            .rev()
            .filter_map(|e| e.certificate.clone())
            .collect()
    }

    /// Every key, retired ones included, oldest first.
    pub(crate) fn infos(&self) -> Vec<WechatPayKeyInfo> {
        let ring = lock(&self.ring);
        ring.entries
            .iter()
            .enumerate()
            .map(|(i, e)| e.info(i == ring.default))
            .collect()
    }

    /// Adds `key` as a new key of the mode's kind (a certificate when the
    /// mode has certificates, else a public key), makes it the default, and
    /// retires the newest key of its kind before it when `retire_previous`.
    pub(crate) fn rotate(
        &self,
        key: PrivateKey,
        retire_previous: bool,
        now: i64,
    ) -> Result<WechatPayKeyInfo> {
        let entry = if self.mode.has_certificates() {
            self.certificate_entry(key, &certificate_serial(&random_hex::<20>()?), now)?
        } else {
            let id = format!("PUB_KEY_ID_{}", random_hex::<14>()?);
            Entry {
                signer: ResponseSigner::new(id.clone(), key),
                id,
                kind: WechatPayKeyKind::PublicKey,
                certificate: None,
                retired: false,
            }
        };
        let mut ring = lock(&self.ring);
        let previous = ring.newest_active(entry.kind);
        ring.entries.push(entry);
        ring.default = ring.entries.len() - 1;
        if retire_previous {
            if let Some(previous) = previous.and_then(|i| ring.entries.get_mut(i)) {
                previous.retired = true;
            }
        }
        let info = ring
            .entries
            .last()
            .map(|e| e.info(true))
            .ok_or_else(|| Error::Internal("a rotated key went missing".into()))?;
        tracing::info!(id = %info.id, kind = ?info.kind, retire_previous, "sandbox: WeChat Pay key rotated");
        Ok(info)
    }

    /// Retires the key `id`: refused for the default key and for the last
    /// key of its kind (rotate first).
    pub(crate) fn retire(&self, id: &str) -> Result<WechatPayKeyInfo> {
        let mut ring = lock(&self.ring);
        let default = ring.default;
        let index = ring
            .entries
            .iter()
            .position(|e| !e.retired && e.is_named(id))
            .ok_or_else(|| {
                Error::NotFound(format!(
                    "the sandbox holds no WeChat Pay key {:?} (or it is retired already); it holds {:?}",
                    id.chars().take(64).collect::<String>(),
                    ring.active().map(|e| e.id.as_str()).collect::<Vec<_>>()
                ))
            })?;
        let (held, kind) = match ring.entries.get(index) {
            Some(entry) => (entry.id.clone(), entry.kind),
            None => return Err(Error::Internal("a held key went missing".into())),
        };
        if index == default {
            return Err(Error::Refused(format!(
                "{held} is the default WeChat Pay key: rotate first, then retire it"
            )));
        }
        if ring.active().filter(|e| e.kind == kind).count() < 2 {
            return Err(Error::Refused(format!(
                "{held} is the sandbox's last {} in the {} mode: rotate first, then retire it",
                match kind {
                    WechatPayKeyKind::Certificate => "platform certificate",
                    WechatPayKeyKind::PublicKey => "public key",
                },
                self.mode
            )));
        }
        let entry = ring
            .entries
            .get_mut(index)
            .ok_or_else(|| Error::Internal("a held key went missing".into()))?;
        entry.retired = true;
        tracing::info!(id = %entry.id, "sandbox: WeChat Pay key retired");
        Ok(entry.info(false))
    }

    /// Rotates to `key` once `after` more requests have arrived (the last of
    /// them is still answered with the keys of before); replaces a rotation
    /// already waiting. `after` 0 rotates now.
    pub(crate) fn schedule_rotation(
        &self,
        after: u64,
        key: PrivateKey,
        retire_previous: bool,
        now: i64,
    ) -> Result<Option<WechatPayKeyInfo>> {
        if after == 0 {
            *lock(&self.pending) = None;
            return self.rotate(key, retire_previous, now).map(Some);
        }
        *lock(&self.pending) = Some(Pending {
            remaining: after,
            key,
            retire_previous,
        });
        Ok(None)
    }

    /// Counts a request toward a waiting rotation, and makes the rotation
    /// when it is due.
    pub(crate) fn request_arrived(&self, now: i64) {
        let due = {
            let mut pending = lock(&self.pending);
            match pending.as_mut() {
                Some(p) if p.remaining > 1 => {
                    p.remaining -= 1;
                    None
                }
                Some(_) => pending.take(),
                None => None,
            }
        };
        if let Some(p) = due {
            if let Err(e) = self.rotate(p.key, p.retire_previous, now) {
                tracing::warn!(error = %e, "sandbox: the scheduled WeChat Pay key rotation failed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_are_forty_hex_digits_starting_with_one_to_seven() {
        for hex in ["0000", "ffffffffffffffffffffffffffffffffffffffffff", "8a"] {
            let serial = certificate_serial(&format!("{hex:0<40}"));
            assert_eq!(serial.len(), 40);
            let first = serial.chars().next().unwrap().to_digit(16).unwrap();
            assert!((1..=7).contains(&first), "{serial}");
            assert_eq!(serial, serial.to_ascii_uppercase());
        }
    }

    #[test]
    fn modes_read_back_from_their_names() {
        for mode in [
            WechatPayKeyMode::PublicKey,
            WechatPayKeyMode::Certificates,
            WechatPayKeyMode::Both,
        ] {
            assert_eq!(mode.as_str().parse::<WechatPayKeyMode>().unwrap(), mode);
        }
        assert!("certificate".parse::<WechatPayKeyMode>().is_err());
    }
}
