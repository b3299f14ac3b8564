//! The crypto backend, chosen at compile time by the crate features.
//!
//! * `ring` (default): `ring` 0.17.
//! * `aws-lc`: `aws-lc-rs` (AWS-LC). When both features are on (Cargo unifies
//!   features across a build), aws-lc-rs is used and ring stays unused.
//!
//! Both modules expose the same crate-private items with the same signatures:
//!
//! * [`SigningKey`] — an RSA private key parsed once (PKCS#1 DER), signing
//!   RSASSA-PKCS1-v1_5 with SHA-256 (constant-time, blinded) into a caller's
//!   buffer;
//! * [`VerifyingKey`] — an RSA public key for RSASSA-PKCS1-v1_5 SHA-256
//!   verification, parsed once where the backend allows (aws-lc-rs
//!   `ParsedPublicKey`; ring has no pre-parsed RSA verification key and parses
//!   the DER on every call);
//! * [`AeadKey`] — an AES-256-GCM key schedule built once;
//! * [`sha256`].
//!
//! Messages are passed as a list of byte slices that are signed as their
//! concatenation, so callers need not copy a response body into a new buffer:
//! aws-lc-rs hashes the parts as they come; ring, which only signs and verifies
//! contiguous messages, concatenates them first.

#[cfg(not(any(feature = "ring", feature = "aws-lc")))]
compile_error!(
    "wxpay-sign needs a crypto backend: enable the feature `ring` (the default) or \
     `aws-lc`, e.g. `wxpay-sign = { version = \"…\", default-features = false, features = [\"aws-lc\"] }`"
);

/// `AeadKey` over a backend's `aead` module: ring and aws-lc-rs offer the
/// same `aead` API, so both backends expand this one definition.
macro_rules! aead_key {
    ($aead:path) => {
        use $aead as aead;

        /// An AES-256-GCM key schedule, built once.
        pub(crate) struct AeadKey(aead::LessSafeKey);

        impl AeadKey {
            /// The key schedule for a 32-byte key.
            pub(crate) fn aes_256_gcm(key: &[u8; 32]) -> Result<Self, super::Unspecified> {
                aead::UnboundKey::new(&aead::AES_256_GCM, key)
                    .map(|k| Self(aead::LessSafeKey::new(k)))
                    .map_err(|_| super::Unspecified)
            }

            /// Authenticates and decrypts `in_out` (ciphertext ‖ tag) in place and
            /// returns the plaintext length.
            pub(crate) fn open_in_place(
                &self,
                nonce: [u8; super::AEAD_NONCE_LEN],
                aad: &[u8],
                in_out: &mut [u8],
            ) -> Result<usize, super::Unspecified> {
                self.0
                    .open_in_place(
                        aead::Nonce::assume_unique_for_key(nonce),
                        aead::Aad::from(aad),
                        in_out,
                    )
                    .map(|plain| plain.len())
                    .map_err(|_| super::Unspecified)
            }

            /// Encrypts `in_out` in place and appends the tag.
            pub(crate) fn seal_in_place_append_tag(
                &self,
                nonce: [u8; super::AEAD_NONCE_LEN],
                aad: &[u8],
                in_out: &mut Vec<u8>,
            ) -> Result<(), super::Unspecified> {
                self.0
                    .seal_in_place_append_tag(
                        aead::Nonce::assume_unique_for_key(nonce),
                        aead::Aad::from(aad),
                        in_out,
                    )
                    .map_err(|_| super::Unspecified)
            }
        }
    };
}

#[cfg(feature = "aws-lc")]
mod aws_lc;
#[cfg(feature = "aws-lc")]
pub(crate) use aws_lc::{AeadKey, NAME, SIGNING_KEY_LIMITS, SigningKey, VerifyingKey, sha256};

#[cfg(all(feature = "ring", not(feature = "aws-lc")))]
mod ring;
#[cfg(all(feature = "ring", not(feature = "aws-lc")))]
pub(crate) use self::ring::{AeadKey, NAME, SIGNING_KEY_LIMITS, SigningKey, VerifyingKey, sha256};

/// Length of an AES-256-GCM nonce (96 bits), the only length WeChat Pay uses.
pub(crate) const AEAD_NONCE_LEN: usize = 12;

/// Length of an AES-256-GCM authentication tag.
pub(crate) const AEAD_TAG_LEN: usize = 16;

/// Longest RSA signature any backend produces or verifies (an 8192-bit modulus).
pub(crate) const MAX_SIGNATURE_LEN: usize = 8192 / 8;

/// The AEAD and signature backends failed without saying why (bad tag, bad
/// signature, input too long). Callers map it to their own error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unspecified;
