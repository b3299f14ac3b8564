//! RSA private and public keys: loading, conversion, signing primitives and
//! sensitive-field (RSA-OAEP) encryption.

use std::fmt;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use pkcs1::der::{Decode, Encode};
use pkcs8::ObjectIdentifier;
use pkcs8::der::asn1::{AnyRef, BitStringRef};
use pkcs8::spki::{AlgorithmIdentifierRef, SubjectPublicKeyInfoRef};
use rand_core::OsRng;
use zeroize::Zeroizing;

use crate::backend::{self, MAX_SIGNATURE_LEN, SigningKey, VerifyingKey};
use crate::error::{Error, Result};
use crate::pem;

/// Smallest RSA modulus accepted anywhere in this crate.
pub const MIN_RSA_BITS: usize = 2048;

const RSA_ENCRYPTION: ObjectIdentifier = pkcs1::ALGORITHM_OID;

fn algorithm_name(oid: &ObjectIdentifier) -> String {
    let name = match oid.to_string().as_str() {
        "1.2.840.10045.2.1" => "EC (id-ecPublicKey)",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        "1.3.101.110" => "X25519",
        "1.2.840.10040.4.1" => "DSA",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS (only rsaEncryption keys are supported)",
        "1.2.156.10197.1.301" => "SM2",
        _ => return format!("algorithm OID {oid}"),
    };
    name.to_owned()
}

fn modulus_bits(modulus: &[u8]) -> usize {
    let mut m = modulus;
    while let [0, rest @ ..] = m {
        m = rest;
    }
    match m.first() {
        None => 0,
        Some(&first) => m.len() * 8 - first.leading_zeros() as usize,
    }
}

fn malformed(what: &'static str, reason: impl fmt::Display) -> Error {
    Error::MalformedKey {
        what,
        reason: reason.to_string(),
    }
}

fn fingerprint(spki_der: &[u8]) -> String {
    let digest = backend::sha256(spki_der);
    let mut hex = String::with_capacity(16);
    for b in &digest[..8] {
        hex.push_str(&format!("{b:02x}"));
    }
    hex
}

fn read_file(path: &Path) -> Result<Zeroizing<String>> {
    std::fs::read_to_string(path)
        .map(Zeroizing::new)
        .map_err(|source| Error::KeyFile {
            path: path.to_path_buf(),
            source,
        })
}

// ---------------------------------------------------------------------------
// Private key
// ---------------------------------------------------------------------------

/// An RSA private key (≥ 2048 bits), parsed once by the crypto backend (`ring`
/// or `aws-lc-rs`, see the crate docs) for constant-time, blinded signing.
///
/// Cheap to clone (the key lives behind an `Arc`). `Debug` prints only the
/// modulus size and a fingerprint of the *public* key. The PKCS#8 bytes this
/// crate keeps (and the `rsa` crate's copy used for OAEP decryption) are
/// zeroized on drop; the backend keeps its own internal representation: AWS-LC
/// wipes its allocations when it frees them, `ring` does not promise to.
#[derive(Clone)]
pub struct PrivateKey {
    inner: Arc<PrivateInner>,
}

struct PrivateInner {
    signing: SigningKey,
    pkcs8: Zeroizing<Vec<u8>>,
    public: PublicKey,
    /// Parsed on first [`PrivateKey::decrypt_sensitive`]; zeroizes itself on drop.
    oaep: OnceLock<rsa::RsaPrivateKey>,
}

impl PrivateKey {
    /// Parses a PEM private key: PKCS#8 (`BEGIN PRIVATE KEY`, as in
    /// `apiclient_key.pem`) or PKCS#1 (`BEGIN RSA PRIVATE KEY`).
    ///
    /// Text around the block is ignored. Encrypted keys
    /// ([`Error::EncryptedKey`]), non-RSA keys ([`Error::NotRsaKey`]) and keys
    /// under 2048 bits ([`Error::KeyTooSmall`]) are rejected.
    pub fn from_pem(pem_text: &str) -> Result<Self> {
        const WHAT: &str = "private key PEM";
        let blocks = pem::parse_all(pem_text, WHAT)?;
        let Some(block) = blocks.iter().find(|b| b.label.ends_with("PRIVATE KEY")) else {
            return Err(Error::NoPemBlock {
                expected: "`PRIVATE KEY` or `RSA PRIVATE KEY`",
                found: blocks.into_iter().map(|b| b.label).collect(),
            });
        };
        if block.encrypted_header {
            return Err(Error::EncryptedKey {
                format: "legacy OpenSSL PEM encryption, `Proc-Type: 4,ENCRYPTED`",
            });
        }
        match block.label.as_str() {
            "PRIVATE KEY" => Self::from_pkcs8_der(&block.der),
            "RSA PRIVATE KEY" => Self::from_pkcs1_der(&block.der),
            "ENCRYPTED PRIVATE KEY" => Err(Error::EncryptedKey {
                format: "PKCS#8 `ENCRYPTED PRIVATE KEY`",
            }),
            "EC PRIVATE KEY" => Err(Error::NotRsaKey {
                algorithm: "EC (SEC1 `EC PRIVATE KEY`)".into(),
            }),
            "DSA PRIVATE KEY" => Err(Error::NotRsaKey {
                algorithm: "DSA".into(),
            }),
            other => Err(malformed(
                WHAT,
                format!(
                    "unsupported PEM label `{other}`; convert the key to PKCS#8 with `openssl pkcs8 -topk8 -nocrypt`"
                ),
            )),
        }
    }

    /// Reads and parses a PEM private key file (see [`PrivateKey::from_pem`]).
    pub fn from_pem_file(path: impl AsRef<Path>) -> Result<Self> {
        let text = read_file(path.as_ref())?;
        Self::from_pem(&text)
    }

    /// Parses a DER PKCS#8 `PrivateKeyInfo` holding an RSA key.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self> {
        const WHAT: &str = "PKCS#8 private key";
        let info = pkcs8::PrivateKeyInfo::try_from(der).map_err(|e| {
            malformed(
                WHAT,
                format!("{e} (encrypted PKCS#8 DER is not supported; decrypt it first)"),
            )
        })?;
        if info.algorithm.oid != RSA_ENCRYPTION {
            return Err(Error::NotRsaKey {
                algorithm: algorithm_name(&info.algorithm.oid),
            });
        }
        Self::from_pkcs1_der(info.private_key)
    }

    /// Parses a DER PKCS#1 `RSAPrivateKey`.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self> {
        const WHAT: &str = "PKCS#1 RSA private key";
        let parsed = pkcs1::RsaPrivateKey::try_from(der).map_err(|e| malformed(WHAT, e))?;
        if parsed.other_prime_infos.is_some() {
            return Err(malformed(WHAT, "multi-prime RSA keys are not supported"));
        }
        let bits = modulus_bits(parsed.modulus.as_bytes());
        if bits < MIN_RSA_BITS {
            return Err(Error::KeyTooSmall {
                bits,
                min: MIN_RSA_BITS,
            });
        }
        let signing = SigningKey::from_pkcs1_der(der).map_err(|e| {
            malformed(
                WHAT,
                format!(
                    "rejected by {}: {e} ({})",
                    backend::NAME,
                    backend::SIGNING_KEY_LIMITS
                ),
            )
        })?;
        let public = PublicKey::from_pkcs1_der(signing.public_key_pkcs1_der())?;

        let info = pkcs8::PrivateKeyInfo::new(
            AlgorithmIdentifierRef {
                oid: RSA_ENCRYPTION,
                parameters: Some(AnyRef::NULL),
            },
            der,
        );
        let len = info
            .encoded_len()
            .and_then(usize::try_from)
            .map_err(|e| malformed(WHAT, e))?;
        let mut pkcs8 = Zeroizing::new(Vec::with_capacity(len));
        info.encode_to_vec(&mut pkcs8)
            .map_err(|e| malformed(WHAT, e))?;

        Ok(Self {
            inner: Arc::new(PrivateInner {
                signing,
                pkcs8,
                public,
                oaep: OnceLock::new(),
            }),
        })
    }

    /// Generates a fresh RSA-2048 key (with the `rsa` crate; for sandboxes and
    /// tests — production keys come from the merchant platform).
    ///
    /// Slow in unoptimised builds; see the crate docs for the
    /// `[profile.dev.package.num-bigint-dig]` recommendation.
    pub fn generate() -> Result<Self> {
        let key = rsa::RsaPrivateKey::new(&mut OsRng, MIN_RSA_BITS).map_err(|e| Error::Rng {
            reason: format!("RSA key generation failed: {e}"),
        })?;
        let doc = pkcs8::EncodePrivateKey::to_pkcs8_der(&key)
            .map_err(|e| malformed("generated private key", e))?;
        Self::from_pkcs8_der(doc.as_bytes())
    }

    /// The key as PKCS#8 PEM (`BEGIN PRIVATE KEY`), wiped from memory on drop.
    pub fn to_pkcs8_pem(&self) -> Zeroizing<String> {
        pem::encode("PRIVATE KEY", &self.inner.pkcs8)
    }

    /// The key as PKCS#8 DER, wiped from memory on drop.
    pub fn to_pkcs8_der(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.inner.pkcs8.to_vec())
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        self.inner.public.clone()
    }

    /// Modulus length in bits.
    pub fn bits(&self) -> usize {
        self.inner.public.bits()
    }

    /// Appends to `out` the standard-base64 RSASSA-PKCS1-v1_5 SHA-256
    /// signature of the concatenation of `parts` (constant-time, blinded, by
    /// the backend). The signature itself goes through a stack buffer.
    pub(crate) fn sign_pkcs1_sha256_base64(&self, parts: &[&[u8]], out: &mut String) -> Result<()> {
        let mut buf = [0u8; MAX_SIGNATURE_LEN];
        let sig = buf
            .get_mut(..self.inner.signing.signature_len())
            .ok_or(Error::SigningFailed)?;
        self.inner
            .signing
            .sign_pkcs1_sha256(parts, sig)
            .map_err(|_| Error::SigningFailed)?;
        STANDARD.encode_string(&*sig, out);
        Ok(())
    }

    /// The raw RSASSA-PKCS1-v1_5 SHA-256 signature of the concatenation of
    /// `parts` (certificates made for sandboxes and tests).
    pub(crate) fn sign_pkcs1_sha256_raw(&self, parts: &[&[u8]]) -> Result<Vec<u8>> {
        let mut sig = vec![0u8; self.inner.signing.signature_len()];
        self.inner
            .signing
            .sign_pkcs1_sha256(parts, &mut sig)
            .map_err(|_| Error::SigningFailed)?;
        Ok(sig)
    }

    /// Decrypts a base64 sensitive field encrypted to this key's public key with
    /// RSA-OAEP (SHA-1, MGF1-SHA-1), as WeChat Pay encrypts fields for merchants.
    ///
    /// **Backend note:** this uses the `rsa` crate with blinding, whichever
    /// crypto backend is compiled in (`ring` has no RSA decryption, and one
    /// code path for both backends keeps their behaviour identical). That
    /// crate's big-integer arithmetic is not constant-time (RUSTSEC-2023-0071, "Marvin"): an attacker who can submit
    /// many chosen ciphertexts *and* time this call precisely could recover the
    /// key. Only decrypt fields from messages whose signature you have already
    /// verified, and never expose this as a decryption oracle.
    pub fn decrypt_sensitive(&self, ciphertext_b64: &str) -> Result<Zeroizing<Vec<u8>>> {
        let ciphertext = STANDARD
            .decode(ciphertext_b64.trim().as_bytes())
            .map_err(|e| Error::Base64 {
                field: "sensitive-field ciphertext",
                reason: e.to_string(),
            })?;
        let key = self.oaep_key()?;
        key.decrypt_blinded(&mut OsRng, rsa::Oaep::new::<sha1::Sha1>(), &ciphertext)
            .map(Zeroizing::new)
            .map_err(|_| Error::SensitiveDecryptionFailed)
    }

    fn oaep_key(&self) -> Result<&rsa::RsaPrivateKey> {
        if let Some(key) = self.inner.oaep.get() {
            return Ok(key);
        }
        let key =
            <rsa::RsaPrivateKey as pkcs8::DecodePrivateKey>::from_pkcs8_der(&self.inner.pkcs8)
                .map_err(|e| malformed("private key (rsa crate)", e))?;
        // A concurrent caller may have won the race; either value is the same key.
        let _ = self.inner.oaep.set(key);
        self.inner
            .oaep
            .get()
            .ok_or_else(|| malformed("private key (rsa crate)", "could not cache the key"))
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("bits", &self.bits())
            .field("public_key_sha256", &self.inner.public.fingerprint())
            .field("key", &"<redacted>")
            .finish()
    }
}

// ---------------------------------------------------------------------------
// Public key
// ---------------------------------------------------------------------------

/// An RSA public key (≥ 2048 bits): a WeChat Pay public key (`PUB_KEY_ID_…`),
/// a platform certificate's key, or a merchant's key on the server side.
///
/// Cheap to clone. Compares equal when the keys are the same.
#[derive(Clone)]
pub struct PublicKey {
    inner: Arc<PublicInner>,
}

struct PublicInner {
    /// DER `RSAPublicKey`.
    pkcs1: Vec<u8>,
    /// The backend's verification key, parsed once (where the backend allows).
    verifying: VerifyingKey,
    /// DER `SubjectPublicKeyInfo`.
    spki: Vec<u8>,
    bits: usize,
    rsa: rsa::RsaPublicKey,
}

impl PublicKey {
    /// Parses a PEM public key: SPKI (`BEGIN PUBLIC KEY`, the WeChat Pay public
    /// key file), PKCS#1 (`BEGIN RSA PUBLIC KEY`) or a certificate
    /// (`BEGIN CERTIFICATE`; use [`PublicKey::from_certificate_pem`] to also get
    /// its serial). The first such block is used.
    pub fn from_pem(pem_text: &str) -> Result<Self> {
        let blocks = pem::parse_all(pem_text, "public key PEM")?;
        for block in &blocks {
            match block.label.as_str() {
                "PUBLIC KEY" => return Self::from_spki_der(&block.der),
                "RSA PUBLIC KEY" => return Self::from_pkcs1_der(&block.der),
                "CERTIFICATE" => return Self::from_certificate_der(&block.der).map(|(k, _)| k),
                _ => {}
            }
        }
        Err(Error::NoPemBlock {
            expected: "`PUBLIC KEY`, `RSA PUBLIC KEY` or `CERTIFICATE`",
            found: blocks.into_iter().map(|b| b.label).collect(),
        })
    }

    /// Reads and parses a PEM public key or certificate file.
    pub fn from_pem_file(path: impl AsRef<Path>) -> Result<Self> {
        let text = read_file(path.as_ref())?;
        Self::from_pem(&text)
    }

    /// Parses a PEM X.509 certificate (platform-certificate mode) and returns its
    /// public key and serial number as uppercase hex without leading zero bytes
    /// (the form `openssl x509 -noout -serial` prints and `Wechatpay-Serial` carries).
    pub fn from_certificate_pem(pem_text: &str) -> Result<(PublicKey, String)> {
        let blocks = pem::parse_all(pem_text, "certificate PEM")?;
        match blocks.iter().find(|b| b.label == "CERTIFICATE") {
            Some(block) => Self::from_certificate_der(&block.der),
            None => Err(Error::NoPemBlock {
                expected: "`CERTIFICATE`",
                found: blocks.into_iter().map(|b| b.label).collect(),
            }),
        }
    }

    /// Parses a DER X.509 certificate; see [`PublicKey::from_certificate_pem`].
    /// [`PlatformCertificate::from_der`](crate::PlatformCertificate::from_der)
    /// also keeps the validity.
    pub fn from_certificate_der(der: &[u8]) -> Result<(PublicKey, String)> {
        let cert = crate::PlatformCertificate::from_der(der)?;
        Ok((cert.public_key().clone(), cert.serial().to_owned()))
    }

    /// The key of a `SubjectPublicKeyInfo` given as its algorithm and key bits.
    pub(crate) fn from_rsa_spki_parts(algorithm: &ObjectIdentifier, key: &[u8]) -> Result<Self> {
        if *algorithm != RSA_ENCRYPTION {
            return Err(Error::NotRsaKey {
                algorithm: algorithm_name(algorithm),
            });
        }
        Self::from_pkcs1_der(key)
    }

    /// Parses a DER `SubjectPublicKeyInfo`.
    pub fn from_spki_der(der: &[u8]) -> Result<Self> {
        let spki =
            SubjectPublicKeyInfoRef::try_from(der).map_err(|e| malformed("SPKI public key", e))?;
        if spki.algorithm.oid != RSA_ENCRYPTION {
            return Err(Error::NotRsaKey {
                algorithm: algorithm_name(&spki.algorithm.oid),
            });
        }
        Self::from_pkcs1_der(spki.subject_public_key.raw_bytes())
    }

    /// Parses a DER PKCS#1 `RSAPublicKey`.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self> {
        const WHAT: &str = "PKCS#1 RSA public key";
        let parsed = pkcs1::RsaPublicKey::from_der(der).map_err(|e| malformed(WHAT, e))?;
        let bits = modulus_bits(parsed.modulus.as_bytes());
        if bits < MIN_RSA_BITS {
            return Err(Error::KeyTooSmall {
                bits,
                min: MIN_RSA_BITS,
            });
        }
        let rsa = rsa::RsaPublicKey::new_with_max_size(
            rsa::BigUint::from_bytes_be(parsed.modulus.as_bytes()),
            rsa::BigUint::from_bytes_be(parsed.public_exponent.as_bytes()),
            8192,
        )
        .map_err(|e| malformed(WHAT, e))?;
        let spki_ref = SubjectPublicKeyInfoRef {
            algorithm: AlgorithmIdentifierRef {
                oid: RSA_ENCRYPTION,
                parameters: Some(AnyRef::NULL),
            },
            subject_public_key: BitStringRef::from_bytes(der).map_err(|e| malformed(WHAT, e))?,
        };
        let spki = spki_ref.to_der().map_err(|e| malformed(WHAT, e))?;
        let verifying = VerifyingKey::from_pkcs1_der(der)
            .map_err(|e| malformed(WHAT, format!("rejected by {}: {e}", backend::NAME)))?;
        Ok(Self {
            inner: Arc::new(PublicInner {
                pkcs1: der.to_vec(),
                verifying,
                spki,
                bits,
                rsa,
            }),
        })
    }

    /// The key as SPKI PEM (`BEGIN PUBLIC KEY`), the format of WeChat Pay's `pub_key.pem`.
    pub fn to_spki_pem(&self) -> String {
        pem::encode("PUBLIC KEY", &self.inner.spki).to_string()
    }

    /// The key as DER `SubjectPublicKeyInfo`.
    pub fn to_spki_der(&self) -> Vec<u8> {
        self.inner.spki.clone()
    }

    /// The key as DER PKCS#1 `RSAPublicKey`.
    pub fn to_pkcs1_der(&self) -> Vec<u8> {
        self.inner.pkcs1.clone()
    }

    /// Modulus length in bits.
    pub fn bits(&self) -> usize {
        self.inner.bits
    }

    /// First 8 bytes of SHA-256 over the SPKI DER, as hex (for logs).
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.inner.spki)
    }

    /// Encrypts a sensitive field (name, phone number, …) with RSA-OAEP (SHA-1,
    /// MGF1-SHA-1) as WeChat Pay requires, returning standard base64. Send the
    /// key's id in `Wechatpay-Serial`. At most 214 bytes for RSA-2048.
    pub fn encrypt_sensitive(&self, plaintext: &[u8]) -> Result<String> {
        let ct = self
            .inner
            .rsa
            .encrypt(&mut OsRng, rsa::Oaep::new::<sha1::Sha1>(), plaintext)
            .map_err(|e| Error::EncryptionFailed {
                reason: format!(
                    "{e} (RSA-OAEP-SHA1 with a {}-bit key takes at most {} bytes, got {})",
                    self.bits(),
                    self.bits() / 8 - 42,
                    plaintext.len()
                ),
            })?;
        Ok(STANDARD.encode(ct))
    }

    /// `true` when `signature` is a valid RSASSA-PKCS1-v1_5 SHA-256 signature
    /// of the concatenation of `parts`.
    pub(crate) fn verify_pkcs1_sha256(&self, parts: &[&[u8]], signature: &[u8]) -> bool {
        self.inner.verifying.verify_pkcs1_sha256(parts, signature)
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.inner.spki == other.inner.spki
    }
}

impl Eq for PublicKey {}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("bits", &self.bits())
            .field("sha256", &self.fingerprint())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_length() {
        assert_eq!(modulus_bits(&[]), 0);
        assert_eq!(modulus_bits(&[0, 0x01]), 1);
        assert_eq!(modulus_bits(&[0x80, 0]), 16);
        assert_eq!(modulus_bits(&[0, 0x7f, 0]), 15);
    }
}
