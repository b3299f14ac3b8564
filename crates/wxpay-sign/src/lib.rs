//! WeChat Pay APIv3 signing for Rust: request `Authorization` headers, response
//! and webhook signature verification, webhook resource decryption and
//! sensitive-field encryption — byte-exact and fail-closed.
//!
//! ```
//! use wxpay_sign::{PrivateKey, SignableRequest, Signer};
//!
//! # fn main() -> Result<(), wxpay_sign::Error> {
//! let key = PrivateKey::from_pem_file(concat!(
//!     env!("CARGO_MANIFEST_DIR"),
//!     "/tests/fixtures/merchant_key.pem"
//! ))?;
//! let signer = Signer::brand("1001", "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB", key);
//! let request = SignableRequest::new("GET", "/brand/marketing/product-coupon/product-coupons/1/stocks?limit=10", b"");
//! let auth = signer.sign(&request, 1_700_000_000, "593BEC0C930BF1AFEB40B4A08C8FB242")?;
//! assert!(auth.as_str().starts_with("WECHATPAY-BRAND-SHA256-RSA2048 brand_id=\"1001\","));
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod clock;
mod error;
mod keys;
mod nonce;
mod pem;
mod sign;
mod verify;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Error, ErrorKind, Result};
pub use keys::{MIN_RSA_BITS, PrivateKey, PublicKey};
pub use nonce::{NONCE_LEN, generate_nonce, try_generate_nonce, try_generate_nonce_of_len};
pub use sign::{Authorization, Identity, Scheme, SignableRequest, Signer};
pub use verify::{
    ParsedAuthorization, ResponseSigner, SIGNATURE_PROBE_PREFIX, SignatureHeaders,
    TIMESTAMP_WINDOW_SECS, Verifier, VerifierBuilder, WECHATPAY_NONCE, WECHATPAY_SERIAL,
    WECHATPAY_SIGNATURE, WECHATPAY_SIGNATURE_TYPE, WECHATPAY_TIMESTAMP, check_timestamp,
    response_message, verify_request,
};
