//! Showing text that came from outside (an unverified error answer, a
//! document being validated) without letting it control a terminal or a log.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` made safe to print: control characters (C0, C1, `DEL`), line and
/// paragraph separators and bidirectional overrides are written as `\u{…}`
/// escapes (`\n`, `\r` and `\t` as those two characters), and the result is
/// cut after `max_chars` characters with a note of how many were left out.
/// Printable text, Chinese included, is kept as it is.
pub fn excerpt(text: &str, max_chars: usize) -> Cow<'_, str> {
    let needs_escape = text.chars().any(is_unsafe);
    let mut chars = text.char_indices();
    let cut = chars.nth(max_chars).map(|(i, _)| i);
    if !needs_escape && cut.is_none() {
        return Cow::Borrowed(text);
    }
    let kept = &text[..cut.unwrap_or(text.len())];
    let mut out = String::with_capacity(kept.len() + 16);
    for c in kept.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    if let Some(cut) = cut {
        let rest = text[cut..].chars().count();
        let _ = write!(out, "… ({rest} more characters)");
    }
    Cow::Owned(out)
}

/// Characters that could move the cursor, end a line or reorder what a
/// terminal shows.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_text_is_borrowed_unchanged() {
        assert!(matches!(
            excerpt("分页大小超出限制 page_size", 100),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn controls_are_escaped_and_long_text_is_cut() {
        assert_eq!(excerpt("a\nb\x1b[31mc", 100), "a\\nb\\u{1b}[31mc");
        assert_eq!(excerpt("x\u{202E}y", 100), "x\\u{202e}y");
        assert_eq!(excerpt("abcdef", 3), "abc… (3 more characters)");
        assert_eq!(excerpt("", 0), "");
    }
}
