//! What both clients share: build the wire request of any operation, sign
//! every attempt, execute through the transport, verify before parsing, map
//! errors.

use std::sync::Arc;

use bytes::Bytes;
use coupon_http::{Attempt, AttemptHook, BoxError, RequestTemplate, Transport};
use coupon_model::operation::Operation;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use wxpay_sign::{Clock, SignableRequest, Signer};

use crate::error::{ApiError, Error};
use crate::keys::KeyManager;
use crate::request::{self, BrandScope};

/// The `Wechatpay-Serial` request header (the WeChat Pay key id).
pub(crate) const WECHATPAY_SERIAL: HeaderName = HeaderName::from_static("wechatpay-serial");

/// The shared machinery of a client.
#[derive(Debug)]
pub(crate) struct Core {
    pub(crate) transport: Transport,
    pub(crate) signer: Signer,
    /// The live key set, its refresh, and the `Wechatpay-Serial` of requests.
    pub(crate) keys: Arc<KeyManager>,
    pub(crate) clock: Arc<dyn Clock>,
}

/// Signs each attempt afresh: new timestamp, new nonce. The signature covers
/// the body sent, or `signed_body` when the protocol signs something else
/// (the `meta` JSON of a multipart upload).
pub(crate) struct SignEachAttempt<'a> {
    pub(crate) signer: &'a Signer,
    pub(crate) clock: &'a dyn Clock,
    pub(crate) signed_body: Option<&'a [u8]>,
}

impl AttemptHook for SignEachAttempt<'_> {
    fn before_attempt(
        &self,
        attempt: &Attempt<'_>,
        headers: &mut HeaderMap,
    ) -> Result<(), BoxError> {
        let request = SignableRequest::new(
            attempt.method.as_str(),
            attempt.path_and_query,
            self.signed_body.unwrap_or(attempt.body),
        );
        // The header text becomes the sent value as it is (no copy).
        let authorization = self.signer.sign_with_clock(&request, self.clock)?;
        headers.insert(AUTHORIZATION, authorization.into_header_value());
        Ok(())
    }
}

impl Core {
    /// Executes `operation` for `scope` and returns the verified, parsed
    /// answer; `validate` runs the documented rules first. `serial` replaces
    /// the client's `Wechatpay-Serial` (the key of sensitive fields).
    pub(crate) async fn call<O: Operation>(
        &self,
        operation: &O,
        scope: BrandScope<'_>,
        validate: bool,
        serial: Option<&str>,
    ) -> Result<O::Response, Error> {
        let wire = request::build(operation, scope, validate)?;
        // Keys first: a client configured with the APIv3 key only downloads
        // the platform certificates before its first call.
        self.keys.prepare().await?;
        let mut template =
            RequestTemplate::new(wire.method, wire.path_and_query, wire.path_template)
                .with_header(ACCEPT, HeaderValue::from_static("application/json"))
                .idempotent(wire.idempotent);
        if let Some(content_type) = wire.content_type {
            template = template
                .with_header(CONTENT_TYPE, content_type)
                .with_body(wire.body);
        }
        let serial = match serial {
            Some(serial) => Some(serial.to_owned()),
            None => self.keys.request_serial(),
        };
        if let Some(serial) = serial {
            template = template.with_header(WECHATPAY_SERIAL, serial_header(serial)?);
        }
        let signed_body: Option<Bytes> = wire.signed_body;
        let hook = SignEachAttempt {
            signer: &self.signer,
            clock: self.clock.as_ref(),
            signed_body: signed_body.as_deref(),
        };
        let response = self
            .transport
            .execute(&template, &hook)
            .await
            .map_err(map_transport)?;
        // The Request-ID is copied out of the response only for an error.
        let request_id = || response.request_id().map(str::to_owned);
        if !response.is_success() {
            // Error answers are often unsigned; a signed one is marked verified.
            let verified = self
                .keys
                .verifier()
                .verify_headers(response.headers(), response.body())
                .is_ok();
            return Err(Error::Api(Box::new(ApiError::from_response(
                response.status(),
                response.body(),
                request_id(),
                verified,
            ))));
        }
        // Fail closed: nothing of an unverified body reaches the caller. An
        // unknown serial refreshes the certificates once and verifies this
        // same answer again; the request is never resent.
        if let Err(source) = self
            .keys
            .verify_refreshing(response.headers(), response.body())
            .await
        {
            tracing::warn!(
                request_id = response.request_id().unwrap_or(""),
                probe = source.is_signature_probe(),
                "response failed signature verification and was discarded"
            );
            return Err(Error::Verification {
                source,
                status: Some(response.status()),
                request_id: request_id(),
            });
        }
        decode_json(response.body()).map_err(|source| Error::Decode {
            source,
            what: O::SPEC.response_type,
            request_id: request_id(),
        })
    }
}

/// `body` as JSON of `T`. The body is checked to be UTF-8 once, as a whole,
/// and then parsed as text, so the parser does not validate every string it
/// meets again (on a page of 20 stocks: ≈ 2 000 strings, ≈ 20 % of the
/// client's own instructions for the call). A body that is not UTF-8 is
/// parsed as bytes, for the same error as before.
pub(crate) fn decode_json<T: serde::de::DeserializeOwned>(
    body: &[u8],
) -> Result<T, serde_json::Error> {
    match std::str::from_utf8(body) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(body),
    }
}

/// The `Wechatpay-Serial` value: the id's text becomes the header value as
/// it is (no copy).
fn serial_header(serial: String) -> Result<HeaderValue, Error> {
    let unusable = |serial: &str| {
        Error::Config(format!(
            "the WeChat Pay key id {serial:?} cannot be sent as the Wechatpay-Serial header; copy the id (PUB_KEY_ID_…) exactly from the merchant platform"
        ))
    };
    // What `HeaderValue` refuses: control characters other than tab, DEL.
    if serial
        .bytes()
        .any(|b| (b < b' ' && b != b'\t') || b == 0x7f)
    {
        return Err(unusable(&serial));
    }
    HeaderValue::try_from(serial).map_err(|_| unusable("…"))
}

/// A signing failure inside the hook surfaces as a signing error, not a transport one.
pub(crate) fn map_transport(error: coupon_http::Error) -> Error {
    if error.is_hook() {
        let sign_error = std::error::Error::source(&error)
            .and_then(|s| s.downcast_ref::<wxpay_sign::Error>())
            .map(|e| Error::Config(format!("signing the request failed: {e}")));
        if let Some(e) = sign_error {
            return e;
        }
    }
    Error::Transport(error)
}

#[cfg(test)]
mod tests {
    use super::decode_json;

    #[test]
    fn json_is_decoded_from_text_and_bad_bytes_fail_as_before() {
        let value: serde_json::Value =
            decode_json("{\"name\":\"满减券\",\"n\":[1,2]}".as_bytes()).unwrap();
        assert_eq!(value["name"], "满减券");
        assert_eq!(value["n"][1], 2);
        // Not UTF-8 (inside a string, and outside one): the same error as from bytes.
        for body in [
            &b"{\"name\":\"\xff\"}"[..],
            &b"{\"n\":1}\xff"[..],
            b"{\"n\":",
        ] {
            let ours = decode_json::<serde_json::Value>(body)
                .unwrap_err()
                .to_string();
            let before = serde_json::from_slice::<serde_json::Value>(body)
                .unwrap_err()
                .to_string();
            assert_eq!(ours, before);
        }
    }
}
