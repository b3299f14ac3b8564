//! Randomness for identifiers that need not be secret (coupon codes, picks
//! among uploaded codes): the OS generator, with a counter-based fallback so
//! that a failing generator never fails a request (uniqueness comes from the
//! sequence numbers the identifiers also carry).

use std::sync::atomic::{AtomicU64, Ordering};

use rand_core::{OsRng, RngCore};

/// A random `u64` (see the module docs for the fallback).
pub(crate) fn random_u64() -> u64 {
    let mut buf = [0u8; 8];
    match OsRng.try_fill_bytes(&mut buf) {
        Ok(()) => u64::from_le_bytes(buf),
        Err(_) => {
            static FALLBACK: AtomicU64 = AtomicU64::new(0x9E37_79B9_7F4A_7C15);
            FALLBACK
                .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
                .rotate_left(17)
        }
    }
}
