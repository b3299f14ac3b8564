//! The `aws-lc-rs` backend (feature `aws-lc`).
//!
//! Messages are hashed part by part ([`digest::Context`]) and the digest is
//! signed or verified (`sign_digest` / `verify_digest_sig`), which gives the
//! same RSASSA-PKCS1-v1_5 SHA-256 signatures as signing the concatenated
//! message without copying a response body into a new buffer first.

use aws_lc_rs::digest::{self, SHA256};
use aws_lc_rs::signature::{self, KeyPair as _, ParsedPublicKey, RsaKeyPair};

use super::Unspecified;

/// The backend's name, for error messages and docs.
pub(crate) const NAME: &str = "aws-lc-rs";

/// Which private keys the backend signs with (for error messages).
pub(crate) const SIGNING_KEY_LIMITS: &str = "aws-lc-rs accepts 2048–8192-bit two-prime RSA keys";

/// SHA-256 over the concatenation of `parts`.
fn sha256_parts(parts: &[&[u8]]) -> digest::Digest {
    let mut ctx = digest::Context::new(&SHA256);
    for part in parts {
        ctx.update(part);
    }
    ctx.finish()
}

/// An RSA private key parsed once into an AWS-LC `EVP_PKEY`.
pub(crate) struct SigningKey {
    key_pair: RsaKeyPair,
}

impl SigningKey {
    /// Parses a DER PKCS#1 `RSAPrivateKey`; the error says why AWS-LC refused it.
    pub(crate) fn from_pkcs1_der(der: &[u8]) -> Result<Self, String> {
        let key_pair = RsaKeyPair::from_der(der).map_err(|e| e.to_string())?;
        Ok(Self { key_pair })
    }

    /// The public key as DER PKCS#1 `RSAPublicKey`.
    pub(crate) fn public_key_pkcs1_der(&self) -> &[u8] {
        self.key_pair.public_key().as_ref()
    }

    /// Length of a signature (the modulus length in bytes).
    pub(crate) fn signature_len(&self) -> usize {
        self.key_pair.public_modulus_len()
    }

    /// Signs the concatenation of `parts` (RSASSA-PKCS1-v1_5, SHA-256;
    /// AWS-LC's constant-time, blinded RSA) into `out`, which must be exactly
    /// [`SigningKey::signature_len`] bytes long.
    pub(crate) fn sign_pkcs1_sha256(
        &self,
        parts: &[&[u8]],
        out: &mut [u8],
    ) -> Result<(), Unspecified> {
        // aws-lc-rs copies into `out` with `copy_from_slice`: check the length
        // here so a wrong buffer is an error, not a panic.
        if out.len() != self.signature_len() {
            return Err(Unspecified);
        }
        self.key_pair
            .sign_digest(&signature::RSA_PKCS1_SHA256, &sha256_parts(parts), out)
            .map_err(|_| Unspecified)
    }
}

/// An RSA public key parsed once into an AWS-LC `EVP_PKEY`
/// ([`ParsedPublicKey`]), so verification neither re-parses the DER nor
/// recomputes the key's Montgomery constants (AWS-LC caches them in the key).
pub(crate) struct VerifyingKey {
    parsed: ParsedPublicKey,
}

impl VerifyingKey {
    /// Parses a DER PKCS#1 `RSAPublicKey`; the error says why AWS-LC refused it.
    pub(crate) fn from_pkcs1_der(der: &[u8]) -> Result<Self, String> {
        let parsed = ParsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, der)
            .map_err(|e| e.to_string())?;
        Ok(Self { parsed })
    }

    /// `true` when `signature` is a valid RSASSA-PKCS1-v1_5 SHA-256 signature
    /// of the concatenation of `parts` (keys of 2048–8192 bits).
    pub(crate) fn verify_pkcs1_sha256(&self, parts: &[&[u8]], signature: &[u8]) -> bool {
        self.parsed
            .verify_digest_sig(&sha256_parts(parts), signature)
            .is_ok()
    }
}

aead_key!(aws_lc_rs::aead);

/// SHA-256 of `data`.
pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    let digest = digest::digest(&SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}
