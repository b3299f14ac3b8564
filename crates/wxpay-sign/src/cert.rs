//! WeChat Pay platform certificates: the X.509 certificates `/v3/certificates`
//! delivers (encrypted with the APIv3 key), with their serial and validity.

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use pkcs1::der::{Decode, Encode};
use x509_cert::der::DateTime;
use x509_cert::der::asn1::{BitString, GeneralizedTime, UtcTime};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{AlgorithmIdentifierOwned, ObjectIdentifier, SubjectPublicKeyInfoOwned};
use x509_cert::time::{Time, Validity};
use x509_cert::{Certificate, TbsCertificate, Version};

use crate::error::{Error, Result};
use crate::keys::{PrivateKey, PublicKey};
use crate::pem;

/// `sha256WithRSAEncryption` (RFC 4055), the signature of the certificates
/// [`PlatformCertificate::self_signed`] makes.
const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");

/// A WeChat Pay platform certificate (平台证书): its RSA public key, its serial
/// number (the `Wechatpay-Serial` of the messages it signs) and its validity.
///
/// WeChat Pay delivers the certificates of an account through
/// `GET /v3/certificates`, each encrypted with the APIv3 key; this type parses
/// the decrypted PEM. A [`Verifier`](crate::Verifier) holding a certificate
/// refuses messages it signed outside `not_before ..= not_after`
/// ([`Error::CertificateExpired`], [`Error::CertificateNotYetValid`]) by the
/// verifier's [`Clock`](crate::Clock).
///
/// Only the key, serial and validity are used: the issuer chain is not
/// checked (the certificates arrive authenticated by the APIv3 key; see the
/// crate docs). Cheap to clone.
#[derive(Clone)]
pub struct PlatformCertificate {
    inner: Arc<CertInner>,
}

struct CertInner {
    serial: String,
    public_key: PublicKey,
    not_before: i64,
    not_after: i64,
    der: Vec<u8>,
}

fn malformed(reason: impl fmt::Display) -> Error {
    Error::MalformedKey {
        what: "X.509 certificate",
        reason: reason.to_string(),
    }
}

/// Seconds since the Unix epoch of an X.509 time (saturating).
fn unix_seconds(time: &Time) -> i64 {
    i64::try_from(time.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
}

/// An X.509 time for `unix` seconds: UTCTime through 2049, GeneralizedTime
/// after (RFC 5280 §4.1.2.5).
fn x509_time(unix: i64, which: &str) -> Result<Time> {
    let secs = u64::try_from(unix).map_err(|_| Error::InvalidSigningInput {
        field: "certificate validity",
        reason: format!("{which} {unix} is before 1970"),
    })?;
    let bad = |e: x509_cert::der::Error| Error::InvalidSigningInput {
        field: "certificate validity",
        reason: format!("{which} {unix}: {e}"),
    };
    let date = DateTime::from_unix_duration(Duration::from_secs(secs)).map_err(bad)?;
    if date.year() <= UtcTime::MAX_YEAR {
        Ok(Time::UtcTime(UtcTime::from_date_time(date).map_err(bad)?))
    } else {
        Ok(Time::GeneralTime(GeneralizedTime::from_date_time(date)))
    }
}

/// A certificate serial as `Wechatpay-Serial` carries it: uppercase hex of
/// the integer without leading zero bytes (what `openssl x509 -noout
/// -serial` prints).
pub(crate) fn serial_hex(bytes: &[u8]) -> String {
    let mut serial = bytes;
    while let [0, rest @ ..] = serial {
        if rest.is_empty() {
            break;
        }
        serial = rest;
    }
    serial.iter().map(|b| format!("{b:02X}")).collect()
}

impl PlatformCertificate {
    /// Parses the first `CERTIFICATE` block of a PEM text (the plaintext of
    /// an `encrypt_certificate`, or a saved `wechatpay_….pem`).
    pub fn from_pem(pem_text: &str) -> Result<Self> {
        let blocks = pem::parse_all(pem_text, "certificate PEM")?;
        match blocks.iter().find(|b| b.label == "CERTIFICATE") {
            Some(block) => Self::from_der(&block.der),
            None => Err(Error::NoPemBlock {
                expected: "`CERTIFICATE`",
                found: blocks.into_iter().map(|b| b.label).collect(),
            }),
        }
    }

    /// Reads and parses a PEM certificate file.
    pub fn from_pem_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::KeyFile {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_pem(&text)
    }

    /// Parses a DER X.509 certificate holding an RSA key of at least 2048 bits.
    pub fn from_der(der: &[u8]) -> Result<Self> {
        let cert = Certificate::from_der(der).map_err(malformed)?;
        let tbs = &cert.tbs_certificate;
        let public_key = PublicKey::from_rsa_spki_parts(
            &tbs.subject_public_key_info.algorithm.oid,
            tbs.subject_public_key_info.subject_public_key.raw_bytes(),
        )?;
        Ok(Self {
            inner: Arc::new(CertInner {
                serial: serial_hex(tbs.serial_number.as_bytes()),
                public_key,
                not_before: unix_seconds(&tbs.validity.not_before),
                not_after: unix_seconds(&tbs.validity.not_after),
                der: der.to_vec(),
            }),
        })
    }

    /// Makes a self-signed certificate for `key`'s public key with serial
    /// `serial_hex` (hex digits, at most 40) valid from `not_before` to
    /// `not_after` (Unix seconds, inclusive) — for sandboxes and tests: real
    /// platform certificates come from `/v3/certificates`.
    pub fn self_signed(
        key: &PrivateKey,
        serial_hex: &str,
        not_before: i64,
        not_after: i64,
    ) -> Result<Self> {
        let bad_serial = || Error::InvalidSigningInput {
            field: "certificate serial",
            reason: "must be 1–40 hex digits".to_owned(),
        };
        if serial_hex.is_empty()
            || serial_hex.len() > 40
            || !serial_hex.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(bad_serial());
        }
        let padded = if serial_hex.len() % 2 == 1 {
            format!("0{serial_hex}")
        } else {
            serial_hex.to_owned()
        };
        let serial_bytes = (0..padded.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&padded[i..i + 2], 16))
            .collect::<std::result::Result<Vec<u8>, _>>()
            .map_err(|_| bad_serial())?;
        let encoding = |e: x509_cert::der::Error| Error::InvalidSigningInput {
            field: "certificate",
            reason: e.to_string(),
        };
        let algorithm = AlgorithmIdentifierOwned {
            oid: SHA256_WITH_RSA,
            parameters: Some(x509_cert::der::asn1::Any::null()),
        };
        let name = Name::from_str("CN=WeChat Pay platform certificate (sandbox),O=wxpay-sign")
            .map_err(encoding)?;
        let spki = SubjectPublicKeyInfoOwned::from_der(&key.public_key().to_spki_der())
            .map_err(encoding)?;
        let tbs = TbsCertificate {
            version: Version::V3,
            serial_number: SerialNumber::new(&serial_bytes).map_err(encoding)?,
            signature: algorithm.clone(),
            issuer: name.clone(),
            validity: Validity {
                not_before: x509_time(not_before, "not_before")?,
                not_after: x509_time(not_after, "not_after")?,
            },
            subject: name,
            subject_public_key_info: spki,
            issuer_unique_id: None,
            subject_unique_id: None,
            extensions: None,
        };
        let tbs_der = tbs.to_der().map_err(encoding)?;
        let signature = key.sign_pkcs1_sha256_raw(&[&tbs_der])?;
        let cert = Certificate {
            tbs_certificate: tbs,
            signature_algorithm: algorithm,
            signature: BitString::from_bytes(&signature).map_err(encoding)?,
        };
        Self::from_der(&cert.to_der().map_err(encoding)?)
    }

    /// The serial number as uppercase hex (compare with
    /// [`eq_ignore_ascii_case`](str::eq_ignore_ascii_case): WeChat Pay's
    /// answers are uppercase, other tools may print lowercase).
    pub fn serial(&self) -> &str {
        &self.inner.serial
    }

    /// The certificate's public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.inner.public_key
    }

    /// `notBefore`, in Unix seconds.
    pub fn not_before(&self) -> i64 {
        self.inner.not_before
    }

    /// `notAfter`, in Unix seconds.
    pub fn not_after(&self) -> i64 {
        self.inner.not_after
    }

    /// `true` when `now` (Unix seconds) is within `not_before ..= not_after`.
    pub fn is_valid_at(&self, now: i64) -> bool {
        self.inner.not_before <= now && now <= self.inner.not_after
    }

    /// [`Error::CertificateExpired`] or [`Error::CertificateNotYetValid`]
    /// unless the certificate is valid at `now` (Unix seconds).
    pub fn check_validity(&self, now: i64) -> Result<()> {
        if now > self.inner.not_after {
            return Err(Error::CertificateExpired {
                serial: self.inner.serial.clone(),
                not_after: self.inner.not_after,
                now,
            });
        }
        if now < self.inner.not_before {
            return Err(Error::CertificateNotYetValid {
                serial: self.inner.serial.clone(),
                not_before: self.inner.not_before,
                now,
            });
        }
        Ok(())
    }

    /// The certificate as DER.
    pub fn to_der(&self) -> &[u8] {
        &self.inner.der
    }

    /// The certificate as PEM (`BEGIN CERTIFICATE`).
    pub fn to_pem(&self) -> String {
        pem::encode("CERTIFICATE", &self.inner.der).to_string()
    }
}

impl PartialEq for PlatformCertificate {
    fn eq(&self, other: &Self) -> bool {
        self.inner.der == other.inner.der
    }
}

impl Eq for PlatformCertificate {}

impl fmt::Debug for PlatformCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlatformCertificate")
            .field("serial", &self.inner.serial)
            .field("not_before", &self.inner.not_before)
            .field("not_after", &self.inner.not_after)
            .field("public_key", &self.inner.public_key)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_lose_leading_zero_bytes_only() {
        assert_eq!(serial_hex(&[0, 0x8a, 0x01]), "8A01");
        assert_eq!(serial_hex(&[0]), "00");
        assert_eq!(serial_hex(&[0x0a]), "0A");
    }

    #[test]
    fn times_around_2050_pick_the_rfc5280_encoding() {
        assert!(matches!(x509_time(0, "t").unwrap(), Time::UtcTime(_)));
        assert!(matches!(
            x509_time(2_524_608_000, "t").unwrap(), // 2050-01-01
            Time::GeneralTime(_)
        ));
        assert!(x509_time(-1, "t").is_err());
    }
}
