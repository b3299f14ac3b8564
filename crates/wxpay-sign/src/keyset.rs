//! The keys a [`Verifier`](crate::Verifier) trusts: WeChat Pay public keys
//! (by `PUB_KEY_ID_…`) and platform certificates (by serial), together.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use crate::cert::PlatformCertificate;
use crate::error::{Error, Result};
use crate::keys::PublicKey;

/// One key of a [`KeySet`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WechatPayKey {
    /// A WeChat Pay public key (微信支付公钥), named by its `PUB_KEY_ID_…`;
    /// it has no validity period.
    PublicKey(PublicKey),
    /// A platform certificate (平台证书), named by its serial; valid from
    /// `notBefore` to `notAfter`.
    Certificate(PlatformCertificate),
}

impl WechatPayKey {
    /// The RSA key that verifies.
    pub fn public_key(&self) -> &PublicKey {
        match self {
            WechatPayKey::PublicKey(key) => key,
            WechatPayKey::Certificate(cert) => cert.public_key(),
        }
    }

    /// The certificate, for a platform certificate.
    pub fn certificate(&self) -> Option<&PlatformCertificate> {
        match self {
            WechatPayKey::Certificate(cert) => Some(cert),
            WechatPayKey::PublicKey(_) => None,
        }
    }

    /// `true` when the key may verify a message at `now` (Unix seconds): a
    /// public key always, a certificate within its validity.
    pub fn is_usable_at(&self, now: i64) -> bool {
        match self {
            WechatPayKey::PublicKey(_) => true,
            WechatPayKey::Certificate(cert) => cert.is_valid_at(now),
        }
    }
}

/// The key id as the set stores it: certificate serials (hex digits only) in
/// uppercase, so `Wechatpay-Serial` matches them case-insensitively; public
/// key ids (`PUB_KEY_ID_…`) exactly as given.
fn canonical(id: &str) -> Cow<'_, str> {
    if !id.is_empty()
        && id.bytes().all(|b| b.is_ascii_hexdigit())
        && id.bytes().any(|b| b.is_ascii_lowercase())
    {
        Cow::Owned(id.to_ascii_uppercase())
    } else {
        Cow::Borrowed(id)
    }
}

/// An immutable set of WeChat Pay keys: public keys by id (`PUB_KEY_ID_…`)
/// and platform certificates by serial (hex, matched case-insensitively).
///
/// A [`Verifier`](crate::Verifier) holds one and picks the key that
/// `Wechatpay-Serial` names; [`Verifier::replace_keys`](crate::Verifier::replace_keys)
/// swaps in a new set atomically (key rotation, a certificate download)
/// while messages are being verified with the old one. Building a set is
/// pure: nothing here does I/O.
///
/// ```
/// use wxpay_sign::{KeySet, PlatformCertificate, PrivateKey};
///
/// # fn main() -> Result<(), wxpay_sign::Error> {
/// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
/// let key = PrivateKey::from_pem_file(format!("{dir}/wechatpay_key.pem"))?;
/// let cert = PlatformCertificate::self_signed(&key, "5157f09efdc096de15ebe81a47057a72", 0, 4_000_000_000)?;
/// let set = KeySet::new()
///     .with_public_key("PUB_KEY_ID_0114232134912410000000000000", key.public_key())
///     .with_certificate(cert);
/// assert!(set.get("5157F09EFDC096DE15EBE81A47057A72").is_some());
/// assert!(set.get("5157f09efdc096de15ebe81a47057a72").is_some());
/// assert_eq!(set.newest_valid_certificate(1_700_000_000).map(|c| c.serial()),
///            Some("5157F09EFDC096DE15EBE81A47057A72"));
/// # Ok(()) }
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct KeySet {
    keys: BTreeMap<String, WechatPayKey>,
}

impl KeySet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// This set with the WeChat Pay public key `id` (`PUB_KEY_ID_…`) added
    /// (replacing a key of the same id).
    pub fn with_public_key(mut self, id: impl Into<String>, key: PublicKey) -> Self {
        self.insert_public_key(id, key);
        self
    }

    /// This set with `certificate` added under its serial (replacing a key of
    /// the same id).
    pub fn with_certificate(mut self, certificate: PlatformCertificate) -> Self {
        self.insert_certificate(certificate);
        self
    }

    /// Adds (or replaces) the WeChat Pay public key `id`.
    pub fn insert_public_key(&mut self, id: impl Into<String>, key: PublicKey) {
        let id = id.into();
        let id = canonical(&id).into_owned();
        self.keys.insert(id, WechatPayKey::PublicKey(key));
    }

    /// Adds (or replaces) `certificate` under its serial.
    pub fn insert_certificate(&mut self, certificate: PlatformCertificate) {
        self.keys.insert(
            certificate.serial().to_owned(),
            WechatPayKey::Certificate(certificate),
        );
    }

    /// This set's public keys with `certificates` as its only certificates
    /// (what a certificate download leaves: the configured public keys stay,
    /// the certificates are the ones just delivered). A certificate whose
    /// serial is also a public key id does not replace the public key.
    pub fn with_certificates_replaced(
        &self,
        certificates: impl IntoIterator<Item = PlatformCertificate>,
    ) -> Self {
        let mut keys: BTreeMap<String, WechatPayKey> = self
            .keys
            .iter()
            .filter(|(_, k)| matches!(k, WechatPayKey::PublicKey(_)))
            .map(|(id, k)| (id.clone(), k.clone()))
            .collect();
        for cert in certificates {
            keys.entry(cert.serial().to_owned())
                .or_insert(WechatPayKey::Certificate(cert));
        }
        Self { keys }
    }

    /// The key named `id` (a `Wechatpay-Serial` value), if held; certificate
    /// serials match whatever their case.
    pub fn get(&self, id: &str) -> Option<&WechatPayKey> {
        self.keys.get(canonical(id).as_ref())
    }

    /// `true` when the set holds a key named `id`.
    pub fn contains(&self, id: &str) -> bool {
        self.get(id).is_some()
    }

    /// The ids held, sorted: public key ids as given, certificate serials in
    /// uppercase.
    pub fn ids(&self) -> impl Iterator<Item = &str> + '_ {
        self.keys.keys().map(String::as_str)
    }

    /// Every key with its id, sorted by id.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &WechatPayKey)> + '_ {
        self.keys.iter().map(|(id, k)| (id.as_str(), k))
    }

    /// The ids of the public keys held, sorted.
    pub fn public_key_ids(&self) -> impl Iterator<Item = &str> + '_ {
        self.iter()
            .filter(|(_, k)| matches!(k, WechatPayKey::PublicKey(_)))
            .map(|(id, _)| id)
    }

    /// The certificates held, sorted by serial.
    pub fn certificates(&self) -> impl Iterator<Item = &PlatformCertificate> + '_ {
        self.keys.values().filter_map(WechatPayKey::certificate)
    }

    /// The certificate valid at `now` (Unix seconds) that stays valid the
    /// longest (the latest `notAfter`; on a tie, the latest `notBefore`):
    /// the one to name in a request's `Wechatpay-Serial`.
    pub fn newest_valid_certificate(&self, now: i64) -> Option<&PlatformCertificate> {
        self.certificates()
            .filter(|c| c.is_valid_at(now))
            .max_by_key(|c| (c.not_after(), c.not_before()))
    }

    /// `true` when some key can verify a message at `now`: a public key, or a
    /// certificate valid then.
    pub fn has_usable_key(&self, now: i64) -> bool {
        self.keys.values().any(|k| k.is_usable_at(now))
    }

    /// How many keys the set holds.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// `true` when the set holds no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The key that verifies a message naming `serial` at `now`, or why none
    /// does: [`Error::UnknownSerial`], [`Error::CertificateExpired`],
    /// [`Error::CertificateNotYetValid`].
    pub(crate) fn verification_key(&self, serial: &str, now: i64) -> Result<&PublicKey> {
        match self.get(serial) {
            None => Err(Error::UnknownSerial {
                got: crate::verify::excerpt(serial),
                known: self.keys.keys().cloned().collect(),
            }),
            Some(WechatPayKey::PublicKey(key)) => Ok(key),
            Some(WechatPayKey::Certificate(cert)) => {
                cert.check_validity(now)?;
                Ok(cert.public_key())
            }
        }
    }
}

impl fmt::Debug for KeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.keys.iter()).finish()
    }
}

impl FromIterator<PlatformCertificate> for KeySet {
    fn from_iter<I: IntoIterator<Item = PlatformCertificate>>(iter: I) -> Self {
        let mut set = KeySet::new();
        for cert in iter {
            set.insert_certificate(cert);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hex_ids_are_case_folded() {
        assert_eq!(canonical("5157f09e"), "5157F09E");
        assert_eq!(canonical("5157F09E"), "5157F09E");
        assert_eq!(
            canonical("PUB_KEY_ID_0114232134912410000000000000"),
            "PUB_KEY_ID_0114232134912410000000000000"
        );
        assert_eq!(canonical("pub_key_id_1"), "pub_key_id_1");
        assert_eq!(canonical(""), "");
    }
}
