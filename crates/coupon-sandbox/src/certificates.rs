//! `GET /v3/certificates`, the platform-certificate download: the sandbox's
//! certificates, each PEM encrypted with the APIv3 key as WeChat Pay does
//! (`AEAD_AES_256_GCM`, a fresh 12-character nonce, associated data
//! `certificate`). Served beside the operation table (it is no product-coupon
//! operation), authenticated like every merchant-scheme request. A sandbox in
//! the public-key mode answers `404 NOT_FOUND`, as WeChat Pay does for an
//! account without platform certificates.

use http::Method;
use http::request::Parts;
use serde_json::json;
use wxpay_sign::{AEAD_AES_256_GCM, encrypt_resource};

use crate::ops::internal;
use crate::respond::ApiError;
use crate::server::{CERTIFICATES_PATH, Shared};
use crate::timeutil::timestamp;

/// The `associated_data` of each `encrypt_certificate`.
pub(crate) const ASSOCIATED_DATA: &str = "certificate";

/// The answer body of an authenticated request to [`CERTIFICATES_PATH`].
pub(crate) fn answer(shared: &Shared, parts: &Parts) -> Result<Vec<u8>, ApiError> {
    if parts.method != Method::GET {
        return Err(ApiError::not_found(format!(
            "{} {CERTIFICATES_PATH} 不存在 (the certificate download is GET {CERTIFICATES_PATH})",
            parts.method
        )));
    }
    if !shared.keys.mode().has_certificates() {
        return Err(ApiError::not_found(
            "no certificate: 该商户没有平台证书 (this merchant uses WeChat Pay public keys only — the sandbox runs with --wechatpay-keys public-key; verify with the WeChat Pay public key)",
        ));
    }
    let mut data = Vec::new();
    for cert in shared.keys.certificates() {
        let nonce = wxpay_sign::try_generate_nonce_of_len(12).map_err(internal)?;
        let ciphertext = encrypt_resource(
            &shared.creds.apiv3_key,
            &nonce,
            ASSOCIATED_DATA,
            cert.to_pem().as_bytes(),
        )
        .map_err(internal)?;
        data.push(json!({
            "serial_no": cert.serial(),
            "effective_time": timestamp(cert.not_before()).into_string(),
            "expire_time": timestamp(cert.not_after()).into_string(),
            "encrypt_certificate": {
                "algorithm": AEAD_AES_256_GCM,
                "nonce": nonce,
                "associated_data": ASSOCIATED_DATA,
                "ciphertext": ciphertext,
            }
        }));
    }
    serde_json::to_vec(&json!({ "data": data })).map_err(internal)
}
