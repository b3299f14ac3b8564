//! The `ring` 0.17 backend (feature `ring`, the default).

use ::ring::rand::SystemRandom;
use ::ring::signature::{self, KeyPair as _, RsaKeyPair};

use super::Unspecified;

/// The backend's name, for error messages and docs.
pub(crate) const NAME: &str = "ring";

/// Which private keys the backend signs with (for error messages).
pub(crate) const SIGNING_KEY_LIMITS: &str =
    "ring accepts 2048–4096-bit two-prime keys with e ≥ 65537";

/// Concatenates `parts`, borrowing when there is only one.
fn joined<'a>(parts: &[&'a [u8]]) -> std::borrow::Cow<'a, [u8]> {
    match parts {
        [one] => std::borrow::Cow::Borrowed(one),
        _ => std::borrow::Cow::Owned(parts.concat()),
    }
}

/// An RSA private key parsed once, with ring's RNG for blinding.
pub(crate) struct SigningKey {
    key_pair: RsaKeyPair,
    rng: SystemRandom,
}

impl SigningKey {
    /// Parses a DER PKCS#1 `RSAPrivateKey`; the error says why ring refused it.
    pub(crate) fn from_pkcs1_der(der: &[u8]) -> Result<Self, String> {
        let key_pair = RsaKeyPair::from_der(der).map_err(|e| e.to_string())?;
        Ok(Self {
            key_pair,
            rng: SystemRandom::new(),
        })
    }

    /// The public key as DER PKCS#1 `RSAPublicKey`.
    pub(crate) fn public_key_pkcs1_der(&self) -> &[u8] {
        self.key_pair.public_key().as_ref()
    }

    /// Length of a signature (the modulus length in bytes).
    pub(crate) fn signature_len(&self) -> usize {
        self.key_pair.public().modulus_len()
    }

    /// Signs the concatenation of `parts` (RSASSA-PKCS1-v1_5, SHA-256;
    /// constant-time and blinded) into `out`, which must be exactly
    /// [`SigningKey::signature_len`] bytes long.
    pub(crate) fn sign_pkcs1_sha256(
        &self,
        parts: &[&[u8]],
        out: &mut [u8],
    ) -> Result<(), Unspecified> {
        self.key_pair
            .sign(&signature::RSA_PKCS1_SHA256, &self.rng, &joined(parts), out)
            .map_err(|_| Unspecified)
    }
}

/// An RSA public key for verification. ring 0.17 has no pre-parsed RSA
/// verification key: the DER is parsed (and the Montgomery constants are
/// recomputed) on every verification.
pub(crate) struct VerifyingKey {
    pkcs1: Box<[u8]>,
}

impl VerifyingKey {
    /// Keeps a DER PKCS#1 `RSAPublicKey` for verification (ring parses it on
    /// every call, so nothing is checked here).
    pub(crate) fn from_pkcs1_der(der: &[u8]) -> Result<Self, String> {
        Ok(Self { pkcs1: der.into() })
    }

    /// `true` when `signature` is a valid RSASSA-PKCS1-v1_5 SHA-256 signature
    /// of the concatenation of `parts` (keys of 2048–8192 bits).
    pub(crate) fn verify_pkcs1_sha256(&self, parts: &[&[u8]], signature: &[u8]) -> bool {
        signature::UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &self.pkcs1)
            .verify(&joined(parts), signature)
            .is_ok()
    }
}

aead_key!(::ring::aead);

/// SHA-256 of `data`.
pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    let digest = ::ring::digest::digest(&::ring::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}
