//! Percent-encoding of path parameters and query strings.
//!
//! The string built here is the one that is signed *and* sent, so it is built once,
//! deterministically: parameters in the order the model gives them, every byte
//! outside RFC 3986's unreserved set (`A–Z a–z 0–9 - . _ ~`) percent-encoded.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything but RFC 3986 unreserved characters.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Encodes one path segment (a `{placeholder}` value).
pub(crate) fn segment(value: &str) -> String {
    utf8_percent_encode(value, COMPONENT).to_string()
}

/// Appends `?k=v&k=v` for the given pairs (nothing when there are none).
pub(crate) fn append_query(path: &mut String, pairs: &[(&'static str, String)]) {
    let mut first = true;
    for (key, value) in pairs {
        path.push(if first { '?' } else { '&' });
        first = false;
        path.extend(utf8_percent_encode(key, COMPONENT));
        path.push('=');
        path.extend(utf8_percent_encode(value, COMPONENT));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn segment_keeps_unreserved_and_encodes_the_rest() {
        assert_eq!(
            segment("oh-394z-6CGkNoJrsDLTTUKiAnp4"),
            "oh-394z-6CGkNoJrsDLTTUKiAnp4"
        );
        assert_eq!(segment("a/b c?d"), "a%2Fb%20c%3Fd");
        assert_eq!(segment("券"), "%E5%88%B8");
    }

    #[test]
    fn query_is_ordered_and_encoded() {
        let mut p = String::from("/x");
        append_query(
            &mut p,
            &[("state", "SENDING".into()), ("page_token", "a+b=".into())],
        );
        assert_eq!(p, "/x?state=SENDING&page_token=a%2Bb%3D");
        let mut q = String::from("/x");
        append_query(&mut q, &[]);
        assert_eq!(q, "/x");
    }

    proptest! {
        #[test]
        fn segment_round_trips_and_never_contains_delimiters(s in any::<String>()) {
            let enc = segment(&s);
            prop_assert!(!enc.contains(['/', '?', '&', '=', '#', ' ']));
            let dec = percent_encoding::percent_decode_str(&enc).decode_utf8().unwrap();
            prop_assert_eq!(dec, s);
        }
    }
}
