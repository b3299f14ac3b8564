//! Webhook `resource` decryption (`AEAD_AES_256_GCM` with the APIv3 key).

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use crate::backend::{AEAD_NONCE_LEN as NONCE_LEN, AEAD_TAG_LEN as TAG_LEN, AeadKey};
use crate::error::{Error, Result};

/// The only resource algorithm WeChat Pay APIv3 defines.
pub const AEAD_AES_256_GCM: &str = "AEAD_AES_256_GCM";

/// The 32-byte APIv3 key (brands: the brand API key). `Debug` is redacted.
///
/// The AES-256-GCM key schedule is built once, here, and shared by clones, so
/// decrypting a webhook does not rebuild it. The key bytes are copied only
/// into that schedule (the temporary copy made on the way is zeroized); it
/// lives inside the crypto backend: AWS-LC wipes its allocations when it frees
/// them, `ring` does not promise to wipe its key schedule.
#[derive(Clone)]
pub struct ApiV3Key(Arc<AeadKey>);

impl ApiV3Key {
    /// Wraps the key; fails with [`Error::InvalidApiV3Key`] unless it is exactly
    /// 32 bytes (the key is the 32-character string, used as its UTF-8 bytes).
    pub fn new(key: impl AsRef<[u8]>) -> Result<Self> {
        let key = key.as_ref();
        let mut bytes = Zeroizing::new([0u8; 32]);
        if key.len() != bytes.len() {
            return Err(Error::InvalidApiV3Key { len: key.len() });
        }
        bytes.copy_from_slice(key);
        let aead = AeadKey::aes_256_gcm(&bytes)
            .map_err(|_| Error::InvalidApiV3Key { len: bytes.len() })?;
        Ok(Self(Arc::new(aead)))
    }
}

impl fmt::Debug for ApiV3Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiV3Key(<redacted>)")
    }
}

fn nonce(nonce: &str) -> Result<[u8; NONCE_LEN]> {
    nonce
        .as_bytes()
        .try_into()
        .map_err(|_| Error::InvalidResource {
            field: "nonce",
            reason: format!("must be {NONCE_LEN} bytes, got {}", nonce.len()),
        })
}

/// Decrypts a webhook `resource`: `algorithm` must be `AEAD_AES_256_GCM`,
/// `nonce` the 12-character `resource.nonce`, `associated_data` the
/// `resource.associated_data` (may be empty) and `ciphertext_b64` the base64 of
/// ciphertext followed by the 16-byte tag.
///
/// Errors: [`Error::UnsupportedAlgorithm`], [`Error::InvalidResource`],
/// [`Error::Base64`], [`Error::DecryptionFailed`] (authentication failure).
pub fn decrypt_resource(
    key: &ApiV3Key,
    algorithm: &str,
    nonce_str: &str,
    associated_data: &str,
    ciphertext_b64: &str,
) -> Result<Vec<u8>> {
    if algorithm != AEAD_AES_256_GCM {
        return Err(Error::UnsupportedAlgorithm {
            got: algorithm.chars().take(64).collect(),
        });
    }
    let nonce = nonce(nonce_str)?;
    let mut buf = STANDARD
        .decode(ciphertext_b64.as_bytes())
        .map_err(|e| Error::Base64 {
            field: "resource ciphertext",
            reason: e.to_string(),
        })?;
    if buf.len() < TAG_LEN {
        return Err(Error::InvalidResource {
            field: "ciphertext",
            reason: format!(
                "is {} bytes, shorter than the {TAG_LEN}-byte tag",
                buf.len()
            ),
        });
    }
    let len = key
        .0
        .open_in_place(nonce, associated_data.as_bytes(), &mut buf)
        .map_err(|_| Error::DecryptionFailed)?;
    buf.truncate(len);
    Ok(buf)
}

/// Encrypts `plaintext` as a webhook `resource` ciphertext (base64 of
/// ciphertext‖tag), the inverse of [`decrypt_resource`] (for sandboxes and tests).
/// Never reuse a `nonce` with the same key.
pub fn encrypt_resource(
    key: &ApiV3Key,
    nonce_str: &str,
    associated_data: &str,
    plaintext: &[u8],
) -> Result<String> {
    let nonce = nonce(nonce_str)?;
    let mut buf = Vec::with_capacity(plaintext.len() + TAG_LEN);
    buf.extend_from_slice(plaintext);
    key.0
        .seal_in_place_append_tag(nonce, associated_data.as_bytes(), &mut buf)
        .map_err(|_| Error::EncryptionFailed {
            reason: "AES-256-GCM refused the input (too long)".into(),
        })?;
    Ok(STANDARD.encode(buf))
}
