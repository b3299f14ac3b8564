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
    fill_nonce_chars(len, |c| out.push(char::from(c)))?;
    Ok(out)
}

/// A request nonce held on the stack: [`NONCE_LEN`] characters of
/// `[0-9A-Za-z]` from the OS RNG, drawn exactly as [`try_generate_nonce`]
/// draws them, without a heap allocation.
pub(crate) struct StackNonce {
    bytes: [u8; NONCE_LEN],
}

impl StackNonce {
    /// A fresh nonce; fails with [`Error::Rng`] when the OS RNG does.
    pub(crate) fn generate() -> Result<Self> {
        let mut bytes = [0u8; NONCE_LEN];
        let mut filled = 0;
        fill_nonce_chars(NONCE_LEN, |c| {
            if let Some(slot) = bytes.get_mut(filled) {
                *slot = c;
                filled += 1;
            }
        })?;
        Ok(Self { bytes })
    }

    /// The nonce text.
    pub(crate) fn as_str(&self) -> &str {
        // Every byte is from ALPHABET (ASCII), so this never fails.
        std::str::from_utf8(&self.bytes).unwrap_or_default()
    }
}

/// Calls `push` with `len` characters of the alphabet, each drawn uniformly
/// from the OS RNG (bytes at or above [`ACCEPT_BELOW`] are rejected).
fn fill_nonce_chars(len: usize, mut push: impl FnMut(u8)) -> Result<()> {
    let mut pushed = 0;
    let mut buf = [0u8; 64];
    while pushed < len {
        OsRng.try_fill_bytes(&mut buf).map_err(|e| Error::Rng {
            reason: e.to_string(),
        })?;
        for &b in &buf {
            if pushed == len {
                break;
            }
            if b < ACCEPT_BELOW {
                push(ALPHABET[usize::from(b % 62)]);
                pushed += 1;
            }
        }
    }
    Ok(())
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
        let stack = StackNonce::generate().unwrap();
        assert_eq!(stack.as_str().len(), NONCE_LEN);
        assert!(stack.as_str().bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(stack.as_str(), StackNonce::generate().unwrap().as_str());
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
