//! The per-call paths do not allocate what they could reuse: keys are parsed once,
//! signatures are decoded into stack buffers, and (with aws-lc-rs) messages are
//! hashed part by part instead of being copied into one buffer.
//!
//! A counting global allocator counts the Rust heap allocations made by the
//! calling thread (other tests run on other threads). Allocations inside AWS-LC
//! go through its own `malloc` and are not counted; what is asserted is what this
//! crate and the Rust side of the backend allocate.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use wxpay_sign::{AEAD_AES_256_GCM, ApiV3Key, decrypt_resource, encrypt_resource};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count_one() {
    // `try_with`: the thread's counter may already be gone while it exits.
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every call is forwarded unchanged to the system allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Heap allocations made by `f` on this thread.
fn allocations<T>(f: impl FnOnce() -> T) -> u64 {
    let before = ALLOCATIONS.with(Cell::get);
    let out = f();
    let after = ALLOCATIONS.with(Cell::get);
    drop(out);
    after - before
}

/// A 30 KB body, the size of a list page of 20 stocks.
fn page() -> Vec<u8> {
    br#"{"stock_id":"1000000013001","remark":"x"},"#
        .iter()
        .copied()
        .cycle()
        .take(30 * 1024)
        .collect()
}

#[test]
fn webhook_decryption_allocates_only_the_plaintext() {
    let key = ApiV3Key::new("TestApiV3Key0123456789abcdefABCD").unwrap();
    let ciphertext = encrypt_resource(&key, "Wx1Nonce0a9B", "product_coupon", &page()).unwrap();
    let decrypt = || {
        decrypt_resource(
            &key,
            AEAD_AES_256_GCM,
            "Wx1Nonce0a9B",
            "product_coupon",
            &ciphertext,
        )
    };
    decrypt().unwrap();
    // The key schedule was built by ApiV3Key::new; decryption works in place in
    // the buffer base64 decodes into, which becomes the plaintext.
    assert_eq!(allocations(|| decrypt().unwrap()), 1);
}

/// ring verifies and signs contiguous messages (so it copies them) and allocates
/// its own working buffers; only the aws-lc backend can keep these paths free of
/// Rust heap allocations, so only it is held to that.
#[cfg(feature = "aws-lc")]
mod aws_lc {
    use std::sync::Arc;

    use wxpay_sign::{
        ManualClock, ParsedAuthorization, ResponseSigner, SignableRequest, Signer, Verifier,
        verify_request,
    };

    use super::common::*;
    use super::{allocations, page};

    #[test]
    fn verification_allocates_nothing() {
        let platform = ResponseSigner::new(PUB_KEY_ID, wechatpay_key());
        let verifier = Verifier::builder()
            .public_key(PUB_KEY_ID, platform.public_key())
            .clock(Arc::new(ManualClock::new(TS)))
            .build()
            .unwrap();
        let body = page();
        let headers = platform.sign(&body, TS, NONCE).unwrap();
        verifier.verify(&headers, &body).unwrap(); // first use: lazy backend setup

        // Pre-parsed key, signature decoded on the stack, body hashed in place.
        assert_eq!(allocations(|| verifier.verify(&headers, &body).unwrap()), 0);

        // Server side: the same for a request's Authorization.
        let signer = Signer::brand("120344", MERCHANT_SERIAL, merchant_key());
        let public = merchant_key().public_key();
        let request = SignableRequest::new("POST", "/brand/x", &body);
        let auth = signer.sign(&request, TS, NONCE).unwrap();
        let parsed = ParsedAuthorization::parse(auth.as_str()).unwrap();
        verify_request(&public, &parsed, &request).unwrap();
        assert_eq!(
            allocations(|| verify_request(&public, &parsed, &request).unwrap()),
            0
        );
    }

    #[test]
    fn signing_allocates_only_the_authorization_it_returns() {
        let signer = Signer::brand("120344", MERCHANT_SERIAL, merchant_key());
        let body = page();
        let request = SignableRequest::new("POST", "/brand/x", &body);
        signer.sign(&request, TS, NONCE).unwrap();

        // The header text, its `HeaderValue`, the nonce it reports, and the one
        // buffer aws-lc-rs returns the signature in; no copy of the 30 KB body.
        let n = allocations(|| signer.sign(&request, TS, NONCE).unwrap());
        assert!(n <= 4, "{n} allocations");
    }
}
