//! Request numbers (`send_request_no`, `out_request_no`): 6–40 characters of
//! `[0-9A-Za-z_-]`, unique per brand and operation.

use sha2::{Digest, Sha256};

use crate::error::Error;

/// A fresh random request number: `prefix` (a few ASCII characters) and
/// random letters and digits, 32 characters in all.
pub fn fresh(prefix: &'static str) -> Result<String, Error> {
    let random = coupon_client::wxpay_sign::try_generate_nonce_of_len(
        32usize.saturating_sub(prefix.len()).max(24),
    )
    .map_err(|e| Error::Config(format!("no randomness for a request number: {e}")))?;
    Ok(format!("{prefix}{random}"))
}

/// Whether `value` may be a request number.
pub fn is_valid(value: &str) -> bool {
    (6..=40).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The confirm's `out_request_no` for `coupon_code`: the same for every
/// attempt, every redelivery and every instance, so WeChat Pay answers a
/// repeated confirm with the first answer instead of confirming twice.
/// `cf_<code>` when that is a valid number, else `cf_` and 37 hex digits of
/// the code's SHA-256.
pub fn confirm(coupon_code: &str) -> String {
    let plain = format!("cf_{coupon_code}");
    if is_valid(&plain) {
        return plain;
    }
    let digest = Sha256::digest(coupon_code.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("cf_{}", &hex[..37])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confirm_numbers_are_stable_and_valid() {
        assert_eq!(confirm("8734567123456"), "cf_8734567123456");
        assert_eq!(confirm("8734567123456"), confirm("8734567123456"));
        for code in ["", "a", "x".repeat(40).as_str(), "含中文的券码", "a b"] {
            let number = confirm(code);
            assert!(is_valid(&number), "{number}");
            assert_eq!(number, confirm(code));
        }
        assert_ne!(confirm(&"x".repeat(40)), confirm(&"y".repeat(40)));
    }

    #[test]
    fn fresh_numbers_are_valid_and_differ() {
        let a = fresh("snd_").unwrap();
        let b = fresh("snd_").unwrap();
        assert!(is_valid(&a) && a.starts_with("snd_") && a.len() == 32);
        assert_ne!(a, b);
    }
}
