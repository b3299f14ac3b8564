//! Random nonces from the operating system RNG.

use rand_core::{OsRng, RngCore};

use crate::error::{Error, Result};

/// Length of the request nonce WeChat Pay expects.
pub const NONCE_LEN: usize = 32;

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// Largest multiple of 62 that fits in a byte: bytes at or above it are
/// rejected so every character is equally likely.
const ACCEPT_BELOW: u8 = 248;

/// A fresh 32-character nonce of `[0-9A-Za-z]` from the OS RNG (unbiased).
///
/// # Panics
/// Only if the operating system's random number generator fails, in which
/// case no secure signing is possible anyway; use [`try_generate_nonce`] to get
/// an error instead.
pub fn generate_nonce() -> String {
    match try_generate_nonce_of_len(NONCE_LEN) {
        Ok(n) => n,
        Err(e) => panic!("{e}"),
    }
}

/// Like [`generate_nonce`], but reports an RNG failure as [`Error::Rng`].
pub fn try_generate_nonce() -> Result<String> {
    try_generate_nonce_of_len(NONCE_LEN)
}

/// A fresh nonce of `len` characters of `[0-9A-Za-z]` (webhook resources use 12).
pub fn try_generate_nonce_of_len(len: usize) -> Result<String> {
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        OsRng.try_fill_bytes(&mut buf).map_err(|e| Error::Rng {
            reason: e.to_string(),
        })?;
        for &b in &buf {
            if out.len() == len {
                break;
            }
            if b < ACCEPT_BELOW {
                out.push(char::from(ALPHABET[usize::from(b % 62)]));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonce_shape() {
        let n = generate_nonce();
        assert_eq!(n.len(), 32);
        assert!(n.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(n, generate_nonce());
        assert_eq!(try_generate_nonce_of_len(12).unwrap().len(), 12);
        assert_eq!(try_generate_nonce_of_len(0).unwrap(), "");
    }

    #[test]
    fn rejection_bound_is_a_multiple_of_the_alphabet() {
        assert_eq!(usize::from(ACCEPT_BELOW) % ALPHABET.len(), 0);
        assert!(usize::from(ACCEPT_BELOW) + ALPHABET.len() > 256);
    }

    #[test]
    fn every_character_occurs() {
        // 62 symbols over 62*200 draws: a missing symbol has probability ~62*e^-200.
        let mut seen = [false; 128];
        let s = try_generate_nonce_of_len(62 * 200).unwrap();
        for b in s.bytes() {
            seen[usize::from(b)] = true;
        }
        assert!(ALPHABET.iter().all(|&c| seen[usize::from(c)]));
    }
}
