//! WeChat Pay APIv3 signing for Rust: request `Authorization` headers, response
//! and webhook signature verification, webhook resource decryption and
//! sensitive-field encryption — byte-exact and fail-closed. Usable on its own in
//! any APIv3 integration; no async runtime or HTTP client is pulled in (only the
//! `http` types).
//!
//! * **Keys** — [`PrivateKey`] (PKCS#8 / PKCS#1 PEM or DER) and [`PublicKey`]
//!   (SPKI, PKCS#1, X.509 certificate with its serial).
//! * **Signing** — [`Signer`] turns a [`SignableRequest`] plus an explicit
//!   timestamp and nonce into an [`Authorization`] (a pure function, like
//!   `aws-sigv4`); [`Signer::sign_now`] uses the clock and a fresh nonce.
//! * **Platform certificates** — [`PlatformCertificate`]: the X.509
//!   certificates `/v3/certificates` delivers, with their serial and validity.
//! * **Verification** — [`Verifier`] checks `Wechatpay-*` headers of responses
//!   and webhooks against a [`KeySet`] of WeChat Pay public keys and platform
//!   certificates together, replaceable while in use, with an injectable
//!   [`Clock`]; [`ParsedAuthorization`] and [`verify_request`] are the server
//!   side.
//! * **Webhooks** — [`decrypt_resource`] with an [`ApiV3Key`].
//! * **Sensitive fields** — [`PublicKey::encrypt_sensitive`] /
//!   [`PrivateKey::decrypt_sensitive`] (RSA-OAEP, SHA-1).
//!
//! ```
//! use std::sync::Arc;
//! use wxpay_sign::{ManualClock, PrivateKey, ResponseSigner, SignableRequest, Signer, Verifier};
//!
//! # fn main() -> Result<(), wxpay_sign::Error> {
//! let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
//! let key = PrivateKey::from_pem_file(format!("{dir}/merchant_key.pem"))?;
//!
//! // Sign a request.
//! let signer = Signer::brand("120344", "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB", key);
//! let request = SignableRequest::new(
//!     "GET",
//!     "/brand/marketing/product-coupon/product-coupons/1000000013/stocks?offset=0&limit=10",
//!     b"",
//! );
//! let auth = signer.sign(&request, 1_700_000_000, "593BEC0C930BF1AFEB40B4A08C8FB242")?;
//! assert!(auth.as_str().starts_with("WECHATPAY-BRAND-SHA256-RSA2048 brand_id=\"120344\","));
//! let _header: http::HeaderValue = auth.to_header_value(); // marked sensitive
//!
//! // Verify a response (here signed by the sandbox-side helper).
//! let platform = ResponseSigner::new(
//!     "PUB_KEY_ID_0114232134912410000000000000",
//!     PrivateKey::from_pem_file(format!("{dir}/wechatpay_key.pem"))?,
//! );
//! let body = br#"{"stock_id":"1000000013001"}"#;
//! let mut headers = http::HeaderMap::new();
//! platform.sign(body, 1_700_000_000, "n0nce")?.apply_to(&mut headers)?;
//!
//! let verifier = Verifier::builder()
//!     .public_key(platform.serial(), platform.public_key())
//!     .clock(Arc::new(ManualClock::new(1_700_000_100)))
//!     .build()?;
//! verifier.verify_headers(&headers, body)?;
//! assert!(verifier.verify_headers(&headers, b"{}").unwrap_err().is_verification_failure());
//! # Ok(()) }
//! ```
//!
//! # Keys that change: public keys and platform certificates
//!
//! WeChat Pay signs with a **WeChat Pay public key** (`Wechatpay-Serial:
//! PUB_KEY_ID_…`, downloaded once from the merchant platform, no expiry) or
//! with a **platform certificate** (`Wechatpay-Serial` = its serial in hex,
//! valid from `notBefore` to `notAfter`, delivered by `GET /v3/certificates`
//! encrypted with the APIv3 key). New merchants have only public keys; older
//! ones only certificates; accounts migrating between the two receive
//! messages signed either way. So a [`Verifier`] holds one [`KeySet`] with
//! both kinds: it picks the key `Wechatpay-Serial` names (certificate serials
//! case-insensitively), and refuses a certificate outside its validity by its
//! [`Clock`] with [`ErrorKind::CertificateExpired`] or
//! [`ErrorKind::CertificateNotYetValid`] (both
//! [verification failures](ErrorKind::is_verification)).
//!
//! The set is immutable and swapped atomically
//! ([`Verifier::replace_keys`], lock-free reads through `arc-swap`), and
//! clones of a verifier share it: a rotation or a certificate download
//! replaces it while messages are being verified, and no verification blocks
//! or fails because of it. This crate stays pure: it parses certificates
//! ([`PlatformCertificate::from_pem`]), decrypts them ([`decrypt_resource`]
//! with the `encrypt_certificate`'s nonce and associated data) and holds
//! keys; it never downloads anything. `coupon-client` downloads and refreshes
//! certificates through its transport.
//!
//! ```
//! use std::sync::Arc;
//! use wxpay_sign::{KeySet, ManualClock, PlatformCertificate, PrivateKey, ResponseSigner, Verifier};
//!
//! # fn main() -> Result<(), wxpay_sign::Error> {
//! let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
//! let old = PrivateKey::from_pem_file(format!("{dir}/wechatpay_key.pem"))?;
//! let new = PrivateKey::from_pem_file(format!("{dir}/merchant_key.pem"))?;
//! let clock = Arc::new(ManualClock::new(1_700_000_000));
//! let verifier = Verifier::builder()
//!     .public_key("PUB_KEY_ID_0114232134912410000000000000", old.public_key())
//!     .clock(clock.clone())
//!     .build()?;
//! // A certificate arrives (valid for a day): every clone sees it at once.
//! let cert = PlatformCertificate::self_signed(&new, "3775B6A45ACD588826D15E583A95F5DD", 1_699_990_000, 1_700_076_400)?;
//! let shared = verifier.clone();
//! verifier.replace_keys(verifier.keys().with_certificates_replaced([cert]));
//! let body = b"{}";
//! let headers = ResponseSigner::new("3775b6a45acd588826d15e583a95f5dd", new).sign(body, 1_700_000_000, "n0nce")?;
//! shared.verify(&headers, body)?;
//! clock.set(1_700_100_000); // a day later the certificate has expired
//! let err = shared.verify(&headers, body).unwrap_err();
//! assert_eq!(err.kind(), wxpay_sign::ErrorKind::CertificateExpired);
//! # Ok(()) }
//! ```
//!
//! # Crypto backend
//!
//! RSASSA-PKCS1-v1_5 SHA-256 signing and verification, AES-256-GCM (webhook
//! resources) and SHA-256 run on one of two constant-time backends, chosen at
//! compile time by a feature:
//!
//! | feature | links | signing key | verification key |
//! |---|---|---|---|
//! | `ring` (default) | [`ring`](https://docs.rs/ring/0.17) 0.17 | parsed once (`RsaKeyPair`), blinded CRT | DER kept; ring parses it on every verification (it has no pre-parsed RSA key) |
//! | `aws-lc` | [`aws-lc-rs`](https://docs.rs/aws-lc-rs) (AWS-LC, built from C by `aws-lc-sys`) | parsed once (`RsaKeyPair`), blinded CRT | parsed once (`ParsedPublicKey`) when the [`PublicKey`] is built |
//!
//! To link AWS-LC only, depend on the crate with `default-features = false,
//! features = ["aws-lc"]`. Both features at once compile: Cargo unifies
//! features across a build, so one crate of a workspace asking for `aws-lc`
//! while another keeps the default must not break it; aws-lc-rs is then used
//! and ring is linked but idle. With neither feature the crate does not compile
//! (a `compile_error!` names the features). The public API, the errors and
//! every signature are identical on both backends (RSASSA-PKCS1-v1_5 is
//! deterministic; the same OpenSSL-made known-answer vectors pass on both).
//! The differences: aws-lc-rs signs with 2048–8192-bit keys (ring 2048–4096
//! with e ≥ 65537), and rejects a malformed public key when it is loaded
//! rather than when it is first used. With aws-lc-rs, messages are hashed part
//! by part, so verifying a response never copies its body, and verification
//! runs about 1.35× faster than with ring; RSA-2048 signing runs at OpenSSL's
//! rate with aws-lc-rs (the repository's `docs/benchmarks.md` has the figures
//! beside `openssl speed`; how fast ring signs relative to OpenSSL varies with
//! the CPU, 0.56× to 1.04× so far).
//!
//! The `rsa`, `pkcs1`, `pkcs8` and `x509-cert` crates only parse and convert
//! keys, generate test keys ([`PrivateKey::generate`]) and do RSA-OAEP, on
//! either backend. The `rsa` crate's signing is **not** used: it is affected by
//! RUSTSEC-2023-0071 (Marvin timing side channel, unpatched).
//!
//! [`PrivateKey::decrypt_sensitive`] does use the `rsa` crate (with blinding),
//! because ring has no RSA decryption (and one code path keeps both backends
//! alike). The advisory applies there: an attacker able to submit many chosen
//! ciphertexts to your decryption and time it precisely could in principle
//! recover the key. That is acceptable for its intended use — decrypting
//! fields of responses whose signature was verified first, and the sandbox —
//! but never expose it as a decryption oracle. Encryption
//! ([`PublicKey::encrypt_sensitive`]) only uses the public key and is
//! unaffected.
//!
//! Secret bytes this crate holds (the private key's PKCS#8 DER, the `rsa`
//! crate's copy of it, PEM text read from key files, the temporary copy of the
//! APIv3 key) are zeroized on drop. The backend keeps its own copies — the RSA
//! key pair, and the AES key schedule that [`ApiV3Key::new`] builds once: AWS-LC
//! wipes its allocations when it frees them; ring does not promise to.
//!
//! # Test builds
//!
//! The `rsa` crate's big-integer code is extremely slow without optimisation
//! (RSA key generation can take minutes in a debug build). Workspaces using
//! [`PrivateKey::generate`] or [`PrivateKey::decrypt_sensitive`] in tests should add
//!
//! ```toml
//! [profile.dev.package.num-bigint-dig]
//! opt-level = 3
//!
//! [profile.dev.package.rsa]
//! opt-level = 3
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod backend;
mod cert;
mod clock;
mod digest;
mod error;
mod keys;
mod keyset;
mod nonce;
mod pem;
mod sign;
mod verify;
mod webhook;

pub use cert::PlatformCertificate;
pub use clock::{Clock, ManualClock, SystemClock};
pub use digest::sha256_hex;
pub use error::{Error, ErrorKind, Result};
pub use keys::{MIN_RSA_BITS, PrivateKey, PublicKey};
pub use keyset::{KeySet, WechatPayKey};
pub use nonce::{NONCE_LEN, generate_nonce, try_generate_nonce, try_generate_nonce_of_len};
pub use sign::{Authorization, Identity, Scheme, SignableRequest, Signer};
pub use verify::{
    ParsedAuthorization, ResponseSigner, SIGNATURE_PROBE_PREFIX, SignatureHeaders,
    TIMESTAMP_WINDOW_SECS, Verifier, VerifierBuilder, WECHATPAY_NONCE, WECHATPAY_SERIAL,
    WECHATPAY_SIGNATURE, WECHATPAY_SIGNATURE_TYPE, WECHATPAY_TIMESTAMP, check_timestamp,
    response_message, verify_request,
};
pub use webhook::{AEAD_AES_256_GCM, ApiV3Key, decrypt_resource, encrypt_resource};
