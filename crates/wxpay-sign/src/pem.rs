//! A tolerant PEM reader: finds every `-----BEGIN X-----` block in a text
//! (ignoring explanatory text such as openssl's "Bag Attributes", CRLF line
//! endings and surrounding whitespace) and notes RFC 1421 encryption headers.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// One decoded PEM block.
pub(crate) struct Block {
    pub(crate) label: String,
    /// `Proc-Type: 4,ENCRYPTED` was present (legacy OpenSSL encryption).
    pub(crate) encrypted_header: bool,
    pub(crate) der: Zeroizing<Vec<u8>>,
}

/// All PEM blocks of `text`, in order.
pub(crate) fn parse_all(text: &str, what: &'static str) -> Result<Vec<Block>> {
    const BEGIN: &str = "-----BEGIN ";
    const DASHES: &str = "-----";
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let after_begin = &rest[start + BEGIN.len()..];
        let Some(label_end) = after_begin.find(DASHES) else {
            return Err(malformed(what, "unterminated `-----BEGIN` line"));
        };
        let label = &after_begin[..label_end];
        if label.contains('\n') {
            return Err(malformed(what, "unterminated `-----BEGIN` line"));
        }
        let body_and_rest = &after_begin[label_end + DASHES.len()..];
        let end_marker = format!("-----END {label}-----");
        let Some(end) = body_and_rest.find(&end_marker) else {
            return Err(malformed(
                what,
                &format!("`-----BEGIN {label}-----` has no matching `{end_marker}`"),
            ));
        };
        let body = &body_and_rest[..end];
        let mut encrypted_header = false;
        let mut b64 = Zeroizing::new(String::with_capacity(body.len()));
        for line in body.lines() {
            if let Some((name, value)) = line.split_once(':') {
                if name.trim().eq_ignore_ascii_case("Proc-Type")
                    && value.to_ascii_uppercase().contains("ENCRYPTED")
                {
                    encrypted_header = true;
                }
                continue;
            }
            b64.extend(line.chars().filter(|c| !c.is_ascii_whitespace()));
        }
        let der = if encrypted_header {
            // Legacy-encrypted bodies are useless to us; do not even decode.
            Zeroizing::new(Vec::new())
        } else {
            Zeroizing::new(STANDARD.decode(b64.as_bytes()).map_err(|e| {
                malformed(what, &format!("`{label}` block is not valid base64: {e}"))
            })?)
        };
        blocks.push(Block {
            label: label.to_owned(),
            encrypted_header,
            der,
        });
        rest = &body_and_rest[end + end_marker.len()..];
    }
    Ok(blocks)
}

fn malformed(what: &'static str, reason: &str) -> Error {
    Error::MalformedKey {
        what,
        reason: reason.to_owned(),
    }
}

/// Encodes DER as PEM with 64-character lines and LF line endings.
pub(crate) fn encode(label: &str, der: &[u8]) -> Zeroizing<String> {
    let b64 = Zeroizing::new(STANDARD.encode(der));
    let mut out = Zeroizing::new(String::with_capacity(b64.len() + b64.len() / 64 + 64));
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    // base64 output is ASCII, so slicing at any byte offset is a char boundary.
    let mut i = 0;
    while i < b64.len() {
        let j = (i + 64).min(b64.len());
        out.push_str(&b64[i..j]);
        out.push('\n');
        i = j;
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tolerance() {
        let der: Vec<u8> = (0..=255u8).collect();
        let pem = encode("TEST THING", &der);
        let noisy = format!(
            "Bag Attributes\r\n  friendlyName: x\r\n{}\r\n",
            pem.replace('\n', "\r\n")
        );
        let blocks = parse_all(&noisy, "test").unwrap();
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].label, "TEST THING");
        assert_eq!(&blocks[0].der[..], &der[..]);
        assert!(pem.lines().all(|l| l.len() <= 64));
    }

    #[test]
    fn errors() {
        assert!(parse_all("-----BEGIN X-----\nAAAA\n", "t").is_err());
        assert!(parse_all("-----BEGIN X-----\n!!!!\n-----END X-----", "t").is_err());
        assert!(parse_all("no pem here", "t").unwrap().is_empty());
        let enc = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00\n\n!!\n-----END RSA PRIVATE KEY-----\n";
        let b = parse_all(enc, "t").unwrap();
        assert!(b[0].encrypted_header);
    }
}
