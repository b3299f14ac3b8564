//! Turning fuzz bytes into HTTP pieces.

use http::{HeaderMap, HeaderName, HeaderValue};

/// Splits `data` at the first blank line (`\n\n`): header lines before, body
/// after. Without a blank line everything is headers.
pub(crate) fn split_head(data: &[u8]) -> (&[u8], &[u8]) {
    match data.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (&data[..at], &data[at + 2..]),
        None => (data, &[]),
    }
}

/// `Name: value` lines as a header map; lines that are not a valid header are
/// skipped. Names may repeat (appended).
pub(crate) fn header_map(head: &[u8]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for line in head.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        let value = value.strip_prefix(b" ").unwrap_or(value);
        if let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
        {
            headers.append(name, value);
        }
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_and_body() {
        let (head, body) = split_head(b"A: 1\nB: 2\n\n{\"x\":1}\n\n");
        assert_eq!(body, b"{\"x\":1}\n\n");
        let headers = header_map(head);
        assert_eq!(headers["a"], "1");
        assert_eq!(headers["b"], "2");
        assert_eq!(split_head(b"A: 1").1, b"");
        assert!(header_map(b"no colon\n\xff: x\n").is_empty());
    }
}
