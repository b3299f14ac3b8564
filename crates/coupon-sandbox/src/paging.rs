//! Query-string parsing and opaque page tokens.
//!
//! A page token is the unpadded URL-safe base64 of `v1.OFFSET.FINGERPRINT`,
//! where the fingerprint is a 64-bit FNV-1a hash of the endpoint, the path
//! parameter and every filter of the query (not the page size). A token used
//! with a different query — or anything that is not a token — is refused with
//! `400 PARAM_ERROR`, as on the page's error table.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use percent_encoding::percent_decode_str;

use crate::respond::ApiError;

/// Default page size when `page_size` is absent.
pub const DEFAULT_PAGE_SIZE: usize = 20;
/// Largest accepted `page_size`.
pub const MAX_PAGE_SIZE: usize = 50;

/// A decoded query string (`name=value` pairs, percent-decoded, `+` as space).
#[derive(Debug, Default)]
pub(crate) struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Parses the raw query (without `?`). Undecodable escapes → PARAM_ERROR.
    pub(crate) fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        let mut pairs = Vec::new();
        for part in raw.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (name, value) = part.split_once('=').unwrap_or((part, ""));
            let decode = |s: &str| {
                percent_decode_str(&s.replace('+', " "))
                    .decode_utf8()
                    .map(|c| c.into_owned())
            };
            let (Ok(name), Ok(value)) = (decode(name), decode(value)) else {
                return Err(ApiError::param(
                    name,
                    "query",
                    format!(
                        "查询参数 {name} 不是合法的 UTF-8 百分号编码 (the query parameter is not valid percent-encoded UTF-8)"
                    ),
                ));
            };
            pairs.push((name, value));
        }
        Ok(Self { pairs })
    }

    /// The value of `name`; a parameter given twice → PARAM_ERROR.
    pub(crate) fn get(&self, name: &str) -> Result<Option<&str>, ApiError> {
        let mut found = self.pairs.iter().filter(|(n, _)| n == name);
        let first = found.next();
        if found.next().is_some() {
            return Err(ApiError::param(
                name,
                "query",
                format!(
                    "查询参数 {name} 重复 (the query parameter {name} appears more than once; send it once)"
                ),
            ));
        }
        Ok(first.map(|(_, v)| v.as_str()))
    }

    /// The value of `name` unless absent or empty.
    pub(crate) fn non_empty(&self, name: &str) -> Result<Option<&str>, ApiError> {
        Ok(self.get(name)?.filter(|v| !v.is_empty()))
    }

    /// `page_size`: absent → 20; not an integer or outside 1..=50 → PARAM_ERROR.
    pub(crate) fn page_size(&self) -> Result<usize, ApiError> {
        let Some(raw) = self.non_empty("page_size")? else {
            return Ok(DEFAULT_PAGE_SIZE);
        };
        match raw.parse::<i64>() {
            Ok(n) if (1..=MAX_PAGE_SIZE as i64).contains(&n) => Ok(n as usize),
            Ok(n) => Err(ApiError::param(
                "page_size",
                "query",
                format!("分页大小超出限制,请根据接口文档调整到允许的范围 (page_size {n} is outside 1..={MAX_PAGE_SIZE}; omit it for the default {DEFAULT_PAGE_SIZE})"),
            )
            .with_value(serde_json::json!(n))),
            Err(_) => Err(ApiError::param(
                "page_size",
                "query",
                format!("page_size 应为整数 (page_size {raw:?} is not an integer; use 1..={MAX_PAGE_SIZE})"),
            )),
        }
    }
}

/// 64-bit FNV-1a over the `(name, value)` filter pairs, NUL-separated.
pub(crate) fn fingerprint(parts: &[(&str, Option<&str>)]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for (name, value) in parts {
        eat(name.as_bytes());
        match value {
            Some(v) => {
                eat(b"=");
                eat(v.as_bytes());
            }
            None => eat(b"!"),
        }
        eat(&[0]);
    }
    hash
}

/// Encodes a page token for `offset` under `fingerprint`.
pub(crate) fn encode_token(offset: usize, fingerprint: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("v1.{offset}.{fingerprint:016x}"))
}

/// Decodes a page token; `None` if it is not one of ours.
pub(crate) fn decode_token(token: &str) -> Option<(usize, u64)> {
    if token.len() > 100 {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(token.as_bytes()).ok()?;
    let text = std::str::from_utf8(&bytes).ok()?;
    let rest = text.strip_prefix("v1.")?;
    let (offset, fp) = rest.split_once('.')?;
    if fp.len() != 16 || offset.is_empty() || !offset.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((offset.parse().ok()?, u64::from_str_radix(fp, 16).ok()?))
}

/// One page of a list of `total` items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Page {
    /// First index (inclusive).
    pub start: usize,
    /// Last index (exclusive).
    pub end: usize,
    /// Whether the request carried no `page_token` (then `total_count` is sent).
    pub first: bool,
    /// The token of the next page, when more items remain.
    pub next_token: Option<String>,
}

/// Resolves `page_token` / `page_size` over `total` items for the query `fp`.
pub(crate) fn page(query: &Query, total: usize, fp: u64) -> Result<Page, ApiError> {
    let size = query.page_size()?;
    let token = query.get("page_token")?;
    let (start, first) = match token {
        None | Some("") => (0, true),
        Some(token) => match decode_token(token) {
            Some((offset, token_fp)) if token_fp == fp && offset <= total => (offset, false),
            _ => {
                return Err(ApiError::param(
                    "page_token",
                    "query",
                    "page_token 不合法,请确认 page_token 来自于上一个列表查询请求的 next_page_token (the page_token does not come from the previous response's next_page_token for this same query; omit it to start from the first page)",
                ));
            }
        },
    };
    let end = start.saturating_add(size).min(total);
    let next_token = (end < total).then(|| encode_token(end, fp));
    Ok(Page {
        start,
        end,
        first,
        next_token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn q(raw: &str) -> Query {
        Query::parse(Some(raw)).unwrap()
    }

    #[test]
    fn page_size_bounds() {
        assert_eq!(q("").page_size().unwrap(), 20);
        assert_eq!(q("page_size=1").page_size().unwrap(), 1);
        assert_eq!(q("page_size=50").page_size().unwrap(), 50);
        for bad in ["page_size=0", "page_size=51", "page_size=-1", "page_size=x"] {
            let e = q(bad).page_size().unwrap_err();
            assert_eq!(e.body.detail.unwrap().field.as_deref(), Some("page_size"));
        }
    }

    #[test]
    fn decoding_and_duplicates() {
        let query = q("a=x%20y&b=1+2&c");
        assert_eq!(query.get("a").unwrap(), Some("x y"));
        assert_eq!(query.get("b").unwrap(), Some("1 2"));
        assert_eq!(query.get("c").unwrap(), Some(""));
        assert_eq!(query.get("d").unwrap(), None);
        assert!(q("a=1&a=2").get("a").is_err());
        assert!(Query::parse(Some("a=%FF")).is_err());
    }

    #[test]
    fn walking_pages_covers_everything_once() {
        let fp = fingerprint(&[("x", Some("1"))]);
        let mut raw = "page_size=7".to_owned();
        let mut seen = Vec::new();
        let mut firsts = 0;
        loop {
            let p = page(&q(&raw), 23, fp).unwrap();
            firsts += usize::from(p.first);
            seen.extend(p.start..p.end);
            match p.next_token {
                Some(t) => raw = format!("page_size=7&page_token={t}"),
                None => break,
            }
        }
        assert_eq!(seen, (0..23).collect::<Vec<_>>());
        assert_eq!(firsts, 1);
    }

    #[test]
    fn token_from_another_query_is_refused() {
        let t = encode_token(20, fingerprint(&[("state", Some("SENDING"))]));
        let other = fingerprint(&[("state", None)]);
        assert!(page(&q(&format!("page_token={t}")), 100, other).is_err());
        assert!(page(&q("page_token=garbage"), 100, other).is_err());
        // Past the end of the list.
        let t = encode_token(101, other);
        assert!(page(&q(&format!("page_token={t}")), 100, other).is_err());
    }

    proptest! {
        #[test]
        fn tokens_round_trip(offset in 0usize..1_000_000_000, fp in any::<u64>()) {
            let token = encode_token(offset, fp);
            prop_assert!(token.len() <= 100);
            prop_assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            prop_assert_eq!(decode_token(&token), Some((offset, fp)));
        }

        #[test]
        fn decode_never_panics(s in "\\PC{0,120}") {
            let _ = decode_token(&s);
            let _ = Query::parse(Some(&s));
        }
    }
}
