//! SHA-256 of uploaded files: the `meta.sha256` that WeChat Pay's media
//! uploads (`multipart/form-data` with a signed `meta` JSON) carry.

/// The SHA-256 of `data` as 64 lowercase hex digits, on the crate's crypto
/// backend.
///
/// ```
/// assert_eq!(
///     wxpay_sign::sha256_hex(b"abc"),
///     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
/// );
/// ```
pub fn sha256_hex(data: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = crate::backend::sha256(data);
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    out
}
