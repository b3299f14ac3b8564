//! From a typed [`Operation`] to the bytes on the wire: the path with its
//! placeholders filled, the query, the body and the text the signature covers.
//! Built once per call; every attempt resends the same bytes.

use std::borrow::Cow;

use bytes::Bytes;
use coupon_model::ids::BrandId;
use coupon_model::media::{ImageFile, ImageMeta};
use coupon_model::operation::{BodyKind, BrandIdPlacement, HttpMethod, Operation, Side};
use http::{HeaderValue, Method};

use crate::encode;
use crate::error::Error;

/// What a call sends.
pub(crate) struct WireRequest {
    pub(crate) method: Method,
    pub(crate) path_and_query: String,
    pub(crate) path_template: &'static str,
    /// The bytes sent.
    pub(crate) body: Bytes,
    /// The `Content-Type` of `body`, when there is one.
    pub(crate) content_type: Option<HeaderValue>,
    /// The body text the signature covers when it differs from `body`
    /// (multipart: the `meta` JSON).
    pub(crate) signed_body: Option<Bytes>,
    /// Whether resending after an unclear failure is safe: `GET`s, and writes
    /// carrying an idempotency key (WeChat Pay answers a repeat with the
    /// first result).
    pub(crate) idempotent: bool,
}

/// The brand a call is made for: the brand side's own identity is in its
/// signature; the partner side names a brand in the request.
pub(crate) enum BrandScope<'a> {
    /// A brand client signing as this brand.
    Brand(&'a str),
    /// A partner client, with its default brand if it has one.
    Partner(Option<&'a BrandId>),
}

impl BrandScope<'_> {
    fn side(&self) -> Side {
        match self {
            BrandScope::Brand(_) => Side::Brand,
            BrandScope::Partner(_) => Side::Partner,
        }
    }
}

/// Builds the request of `operation` for `scope`. Checks, before anything is
/// sent: the side has the operation, the documented rules hold (when
/// `validate`), the brand is named where the partner side needs it, and
/// every path placeholder and required query parameter is usable.
pub(crate) fn build<O: Operation>(
    operation: &O,
    scope: BrandScope<'_>,
    validate: bool,
) -> Result<WireRequest, Error> {
    let spec = O::SPEC;
    let side = scope.side();
    let template = spec.path_template(side).ok_or(Error::Unsendable {
        operation: spec.name,
        reason: format!(
            "the {side} side has no {} operation; use the {} client",
            spec.name,
            match side {
                Side::Brand => "partner",
                Side::Partner => "brand",
            }
        ),
    })?;
    if validate {
        operation.validate()?;
    }

    // The brand: the brand side sends none (its signature names it); the
    // partner side sends the request's, or the client's default.
    let brand_fix: Option<Option<BrandId>> = match scope {
        BrandScope::Brand(own) => match operation.brand_id() {
            None => None,
            Some(given) if given.as_str() == own => Some(None),
            Some(given) => {
                return Err(Error::Unsendable {
                    operation: spec.name,
                    reason: format!(
                        "the request names brand_id {:?}, but this brand client signs as brand {own:?}; a brand call sends no brand_id — remove it or use that brand's client",
                        given.as_str()
                    ),
                });
            }
        },
        BrandScope::Partner(default) => match spec.partner_brand_id {
            BrandIdPlacement::NotSent => None,
            _ => match (operation.brand_id(), default) {
                (Some(given), _) if !given.is_empty() => None,
                (_, Some(default)) => Some(Some(default.clone())),
                _ => {
                    return Err(Error::Unsendable {
                        operation: spec.name,
                        reason: "the partner side names the brand in every call: set the request's brand_id, or give the client a default with .brand_id(…)".to_owned(),
                    });
                }
            },
        },
    };
    let fixed;
    let operation: &O = match brand_fix {
        None => operation,
        Some(brand) => {
            let mut copy = operation.clone();
            copy.set_brand_id(brand);
            fixed = copy;
            &fixed
        }
    };

    let path_and_query = path_and_query(operation, template)?;
    let (body, content_type, signed_body) = match spec.body {
        BodyKind::None => (Bytes::new(), None, None),
        BodyKind::Json => {
            let body = operation
                .body()
                .map(serde_json::to_vec)
                .transpose()
                .map_err(|e| {
                    Error::Config(format!("could not serialise the {} body: {e}", spec.name))
                })?
                .unwrap_or_default();
            (
                Bytes::from(body),
                Some(HeaderValue::from_static("application/json")),
                None,
            )
        }
        BodyKind::Multipart => {
            let (meta, file) = multipart_parts(operation)?;
            let multipart = Multipart::new(&meta, file)?;
            let content_type = HeaderValue::try_from(multipart.content_type)
                .map_err(|_| Error::Config("unusable multipart Content-Type".to_owned()))?;
            (
                multipart.body,
                Some(content_type),
                Some(multipart.meta_json),
            )
        }
    };
    Ok(WireRequest {
        method: method(spec.method),
        path_and_query,
        path_template: template,
        body,
        content_type,
        signed_body,
        idempotent: spec.method == HttpMethod::Get || spec.idempotency_key.is_some(),
    })
}

fn method(method: HttpMethod) -> Method {
    match method {
        HttpMethod::Get => Method::GET,
        HttpMethod::Post => Method::POST,
        HttpMethod::Patch => Method::PATCH,
    }
}

/// The template with each `{placeholder}` replaced by the request's
/// percent-encoded value, then `?` and the query. An empty value, or a dot
/// segment (`.`/`..`, which percent-encoding leaves alone and intermediaries
/// may resolve), is refused: the signed path would not name the intended
/// object. So is an empty required query parameter.
pub(crate) fn path_and_query<O: Operation>(operation: &O, template: &str) -> Result<String, Error> {
    let mut out = String::with_capacity(template.len() + 64);
    for (i, segment) in template.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => {
                let value = operation.path_param(name).unwrap_or("");
                let name = O::SPEC
                    .placeholders()
                    .find(|p| *p == name)
                    .unwrap_or("path parameter");
                if matches!(value, "" | "." | "..") {
                    return Err(Error::InvalidParameter {
                        name,
                        value: value.to_owned(),
                    });
                }
                out.push_str(&encode::segment(value));
            }
            None => out.push_str(segment),
        }
    }
    let query = operation.query_pairs();
    for param in O::SPEC.query.iter().filter(|q| q.required) {
        let value = query
            .iter()
            .find(|(name, _)| *name == param.name)
            .map_or("", |(_, v)| v.as_str());
        if value.is_empty() {
            return Err(Error::InvalidParameter {
                name: param.name,
                value: String::new(),
            });
        }
    }
    encode::append_query(&mut out, &query);
    Ok(out)
}

/// The meta and file of an upload operation.
fn multipart_parts<O: Operation>(operation: &O) -> Result<(ImageMeta, &ImageFile), Error> {
    let any: &dyn std::any::Any = operation;
    let upload = any
        .downcast_ref::<coupon_model::operations::UploadImageRequest>()
        .ok_or_else(|| Error::Config(format!("{} has no multipart form", O::SPEC.name)))?;
    // The file's checks run even without validation: the API takes nothing else.
    upload.validate()?;
    let mut meta = upload.body.clone();
    let digest = wxpay_sign::sha256_hex(upload.file.as_bytes());
    if meta.sha256.is_empty() {
        meta.sha256 = digest;
    } else if !meta.sha256.eq_ignore_ascii_case(&digest) {
        return Err(Error::Unsendable {
            operation: O::SPEC.name,
            reason: format!(
                "meta.sha256 {:?} is not the file's SHA-256 ({digest}); leave it empty to have it computed",
                meta.sha256
            ),
        });
    }
    Ok((meta, &upload.file))
}

/// A `multipart/form-data` body: `meta` (JSON) then `file`.
struct Multipart {
    body: Bytes,
    content_type: String,
    meta_json: Bytes,
}

impl Multipart {
    fn new(meta: &ImageMeta, file: &ImageFile) -> Result<Self, Error> {
        let meta_json = serde_json::to_vec(meta)
            .map_err(|e| Error::Config(format!("could not serialise the image meta: {e}")))?;
        let boundary = format!(
            "wxpay-coupon-{}",
            wxpay_sign::try_generate_nonce().map_err(|e| Error::Config(format!(
                "no randomness for the multipart boundary: {e}"
            )))?
        );
        let media_type = file.media_type().unwrap_or("application/octet-stream");
        let filename = header_safe(&meta.filename);
        let mut body = Vec::with_capacity(meta_json.len() + file.len() + 512);
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"meta\"\r\nContent-Type: application/json\r\n\r\n").as_bytes());
        body.extend_from_slice(&meta_json);
        body.extend_from_slice(format!("\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: {media_type}\r\n\r\n").as_bytes());
        body.extend_from_slice(file.as_bytes());
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        Ok(Self {
            body: Bytes::from(body),
            content_type: format!("multipart/form-data; boundary={boundary}"),
            meta_json: Bytes::from(meta_json),
        })
    }
}

/// A file name safe inside a quoted header parameter: `"`, `\`, CR, LF and
/// other control characters percent-encoded.
fn header_safe(name: &str) -> Cow<'_, str> {
    if name
        .chars()
        .all(|c| !c.is_control() && c != '"' && c != '\\')
    {
        return Cow::Borrowed(name);
    }
    let mut out = String::with_capacity(name.len() + 8);
    for c in name.chars() {
        if c.is_control() || c == '"' || c == '\\' {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use coupon_model::operations::{ConfirmSendUserProductCouponRequest, GetStockRequest};
    use coupon_model::user_coupon::ConfirmUserProductCouponBody;
    use proptest::prelude::*;

    fn confirm(openid: &str, code: &str) -> ConfirmSendUserProductCouponRequest {
        ConfirmSendUserProductCouponRequest::new(
            openid,
            code,
            ConfirmUserProductCouponBody::new("1", "2", "wx1", "confirm_0001"),
        )
    }

    proptest! {
        /// Any placeholder values: the built path has exactly the template's
        /// segments, each value is one segment that percent-decodes back to
        /// it, and nothing escapes into the query.
        #[test]
        fn placeholders_round_trip_and_never_escape_their_segment(
            openid in any::<String>(),
            code in any::<String>(),
        ) {
            let request = confirm(&openid, &code);
            let template = "/brand/marketing/product-coupon/users/{openid}/coupons/{coupon_code}/confirm";
            match path_and_query(&request, template) {
                Ok(path) => {
                    prop_assert!(!path.contains('?') && !path.contains('#'));
                    let segments: Vec<&str> = path.split('/').collect();
                    prop_assert_eq!(segments.len(), template.split('/').count());
                    let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8().map(|c| c.into_owned());
                    prop_assert_eq!(decode(segments[5]).unwrap(), openid);
                    prop_assert_eq!(decode(segments[7]).unwrap(), code);
                    prop_assert_eq!(segments[8], "confirm");
                }
                Err(Error::InvalidParameter { name, value }) => {
                    prop_assert!(matches!(value.as_str(), "" | "." | ".."));
                    prop_assert!(name == "openid" || name == "coupon_code");
                }
                Err(other) => prop_assert!(false, "unexpected {other}"),
            }
        }
    }

    #[test]
    fn empty_and_dot_placeholders_are_refused_and_named() {
        let template = "/x/{product_coupon_id}/stocks/{stock_id}";
        for (pc, stock, name) in [
            ("", "1", "product_coupon_id"),
            ("1", "..", "stock_id"),
            (".", "1", "product_coupon_id"),
        ] {
            let err = path_and_query(&GetStockRequest::new(pc, stock), template).unwrap_err();
            assert!(
                matches!(err, Error::InvalidParameter { name: n, .. } if n == name),
                "{err}"
            );
        }
        assert_eq!(
            path_and_query(&GetStockRequest::new("a.b", "..."), template).unwrap(),
            "/x/a.b/stocks/..."
        );
    }

    #[test]
    fn file_names_are_made_safe_for_the_header() {
        assert_eq!(header_safe("logo.png"), "logo.png");
        assert_eq!(header_safe("a\"b\r\n.png"), "a%22b%0D%0A.png");
        assert_eq!(header_safe("图.png"), "图.png");
    }
}
