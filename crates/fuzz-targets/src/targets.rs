//! The target functions.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use coupon_client::WebhookHandler;
use coupon_model::ValidationContext;
use coupon_model::error::ApiErrorBody;
use coupon_model::operation::{Operation, OperationVisitor, RequestBody, visit_operation};
use coupon_model::operations::OPERATIONS;
use coupon_model::product_coupon::{
    ProductCoupon, ProductCouponScope, ProductCouponType, UpdateProductCouponBody, UsageMode,
};
use coupon_model::stock::{AddStockBody, ListStocksResponse, NewStock, Stock};
use coupon_model::user_coupon::{ListUserCouponsResponse, UserCoupon};
use coupon_model::webhook::{Notification, ProductCouponSendEvent};
use coupon_sandbox::{Credentials, Sandbox};
use http::{HeaderMap, HeaderValue, Method, Request};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wxpay_sign::{
    ApiV3Key, Clock, ManualClock, ParsedAuthorization, PrivateKey, PublicKey, ResponseSigner,
    SignableRequest, SignatureHeaders, Verifier, encrypt_resource,
};

use crate::input::{header_map, split_head};

/// A fuzz target: its name and its function.
pub type Target = (&'static str, fn(&[u8]));

/// Every target: its name (the `fuzz/fuzz_targets/<name>.rs` and
/// `fuzz/seeds/<name>/` it owns) and its function.
pub const TARGETS: &[Target] = &[
    ("authorization", authorization),
    ("signature_headers", signature_headers),
    ("response", response),
    ("webhook", webhook),
    ("sandbox_request", sandbox_request),
];

/// The Unix time every signature of these targets is made and checked at.
pub const NOW: i64 = 1_756_000_000;
/// The WeChat Pay public key id of the fixed verifier.
pub(crate) const KEY_ID: &str = "PUB_KEY_ID_0114232134912410000000000000";
/// The fixed APIv3 key of the webhook target.
pub(crate) const APIV3_KEY: &str = "fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzz";
/// The resource nonce the webhook target encrypts with (12 characters).
pub(crate) const RESOURCE_NONCE: &str = "fuzzresource";
/// The nonce every signature of these targets carries.
pub(crate) const NONCE: &str = "FUZZNONCE0123456789ABCDEFGHIJKLM";

/// Keys and helpers shared by the targets (built once per process).
pub(crate) struct Fixed {
    pub signer: ResponseSigner,
    pub verifier: Verifier,
    pub handler: WebhookHandler,
    pub apiv3: ApiV3Key,
    pub merchant_key: PrivateKey,
}

/// The WeChat Pay key pair of `wxpay-sign`'s test fixtures, a manual clock at
/// [`NOW`], and [`APIV3_KEY`]. These are compile-time inputs: a failure here is
/// a broken build, so it panics.
pub(crate) fn fixed() -> &'static Fixed {
    static FIXED: OnceLock<Fixed> = OnceLock::new();
    FIXED.get_or_init(|| {
        let private = PrivateKey::from_pem(include_str!(
            "../../wxpay-sign/tests/fixtures/wechatpay_key.pem"
        ))
        .expect("fixture key");
        let public = PublicKey::from_pem(include_str!(
            "../../wxpay-sign/tests/fixtures/wechatpay_pub.pem"
        ))
        .expect("fixture public key");
        let merchant_key = PrivateKey::from_pem(include_str!(
            "../../wxpay-sign/tests/fixtures/merchant_key.pem"
        ))
        .expect("fixture merchant key");
        let verifier = || {
            Verifier::builder()
                .public_key(KEY_ID, public.clone())
                .clock(Arc::new(ManualClock::new(NOW)) as Arc<dyn Clock>)
                .build()
                .expect("verifier")
        };
        let apiv3 = || ApiV3Key::new(APIV3_KEY).expect("APIv3 key");
        Fixed {
            signer: ResponseSigner::new(KEY_ID, private),
            handler: WebhookHandler::new(verifier(), apiv3()),
            verifier: verifier(),
            apiv3: apiv3(),
            merchant_key,
        }
    })
}

/// The server-side `Authorization` parser on any UTF-8 text.
pub fn authorization(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(auth) = ParsedAuthorization::parse(text) {
        let _ = format!("{auth:?}");
        let _ = (
            auth.scheme(),
            auth.id(),
            auth.serial_no(),
            auth.timestamp(),
            auth.nonce_str(),
            auth.signature(),
        );
    }
}

/// `Name: value` lines, a blank line, a body: the `Wechatpay-*` header parser,
/// then full verification with the fixed public key at [`NOW`].
pub fn signature_headers(data: &[u8]) {
    let (head, body) = split_head(data);
    let headers = header_map(head);
    if let Ok(parsed) = SignatureHeaders::from_header_map(&headers) {
        let _ = format!("{parsed:?}");
    }
    let _ = fixed().verifier.verify_headers(&headers, body);
}

/// Signs `body` at [`NOW`] with the fixed WeChat Pay key and puts the
/// `Wechatpay-*` headers into `headers` (replacing any).
pub(crate) fn sign_into(headers: &mut HeaderMap, body: &[u8]) {
    if let Ok(signed) = fixed().signer.sign(body, NOW, NONCE) {
        let _ = signed.apply_to(headers);
    }
}

/// A `PRODUCT_COUPON`-style notification envelope whose resource is
/// `plaintext` encrypted with the fixed APIv3 key.
pub(crate) fn envelope(event_type: &str, plaintext: &[u8]) -> Option<Vec<u8>> {
    let ciphertext =
        encrypt_resource(&fixed().apiv3, RESOURCE_NONCE, "product_coupon", plaintext).ok()?;
    serde_json::to_vec(&serde_json::json!({
        "id": "EV-FUZZ",
        "create_time": "2025-08-24T09:46:40+08:00",
        "resource_type": "encrypt-resource",
        "event_type": event_type,
        "summary": "fuzz",
        "resource": {
            "original_type": "product_coupon",
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": ciphertext,
            "associated_data": "product_coupon",
            "nonce": RESOURCE_NONCE,
        }
    }))
    .ok()
}

/// `WebhookHandler::handle` with the fixed verifier and APIv3 key. The first
/// byte picks how much of the input the fuzzer controls:
/// - `0 mod 3`: headers and body exactly as given (`Name: value` lines, blank
///   line, body) — verification must hold the line;
/// - `1 mod 3`: headers and body as given, then signed correctly — the envelope
///   parser and decryption see arbitrary JSON;
/// - `2 mod 3`: the first line is the event type, the rest the *plaintext*
///   resource, encrypted into an envelope and signed — the payload parser sees
///   arbitrary JSON.
pub fn webhook(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let (head, body) = split_head(rest);
    let result = match mode % 3 {
        0 => fixed().handler.handle(&header_map(head), body),
        1 => {
            let mut headers = header_map(head);
            sign_into(&mut headers, body);
            fixed().handler.handle(&headers, body)
        }
        _ => {
            let event_type = std::str::from_utf8(head).unwrap_or("PRODUCT_COUPON.SEND");
            let Some(envelope) = envelope(event_type, body) else {
                return;
            };
            let mut headers = HeaderMap::new();
            headers.insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            sign_into(&mut headers, &envelope);
            fixed().handler.handle(&headers, &envelope)
        }
    };
    let status = WebhookHandler::status_for(&result);
    assert_eq!(
        status.is_success(),
        result.is_ok(),
        "status_for says {status} for {result:?}"
    );
}

/// Parses `json` as `T`; if that works, validates it, serialises it, parses
/// that again and checks nothing changed (value, bytes, validation).
fn round_trip<T>(name: &str, json: &[u8], validate: fn(&T) -> String)
where
    T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug,
{
    let Ok(value) = serde_json::from_slice::<T>(json) else {
        return;
    };
    let verdict = validate(&value);
    let bytes = serde_json::to_vec(&value)
        .unwrap_or_else(|e| panic!("{name}: a parsed value does not serialise: {e}"));
    let again: T = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!(
            "{name}: its own JSON does not parse back: {e}\n{}",
            String::from_utf8_lossy(&bytes)
        )
    });
    assert_eq!(again, value, "{name}: the round trip changed the value");
    let bytes_again = serde_json::to_vec(&again).unwrap_or_default();
    assert_eq!(bytes_again, bytes, "{name}: serialisation is not stable");
    assert_eq!(
        validate(&again),
        verdict,
        "{name}: validation differs after the round trip"
    );
}

/// A product-coupon context that turns on the context rules.
fn ctx() -> ValidationContext {
    ValidationContext {
        scope: Some(ProductCouponScope::All),
        coupon_type: Some(ProductCouponType::Normal),
        usage_mode: Some(UsageMode::Single),
        sequential_count: None,
        page_token_sent: Some(false),
    }
}

macro_rules! response_types {
    ($($name:literal => $ty:ty : $validate:expr;)+) => {
        /// The types of the [`response`] target, in selector order: the first
        /// input byte modulo the length picks one. **Append** new types (one line
        /// each in `response_types!`), so the committed seeds keep their meaning.
        pub const RESPONSE_TYPES: &[Target] = &[
            $(($name, |json: &[u8]| round_trip::<$ty>($name, json, $validate)),)+
        ];
    };
}

fn violations<E: std::fmt::Display>(result: Result<(), E>) -> String {
    result.err().map(|e| e.to_string()).unwrap_or_default()
}

response_types! {
    "list_stocks" => ListStocksResponse: |v| violations(v.validate(None)) + &violations(v.validate(Some(&ctx())));
    "stock" => Stock: |v| violations(v.validate(None)) + &violations(v.validate(Some(&ctx())));
    "list_user_coupons" => ListUserCouponsResponse: |v| violations(v.validate(None)) + &violations(v.validate(Some(&ctx())));
    "user_coupon" => UserCoupon: |v| violations(v.validate(None));
    "product_coupon" => ProductCoupon: |v| violations(v.validate(None));
    "error_body" => ApiErrorBody: |v| format!("{v:?}");
    "notification" => Notification: |v| format!("{v:?}");
    "send_event" => ProductCouponSendEvent: |v| violations(v.validate());
    "add_stock_body" => AddStockBody: |v| violations(v.validate(None)) + &violations(v.validate(Some(&ctx())));
    "new_stock" => NewStock: |v| format!("{v:?}");
    "update_product_coupon_body" => UpdateProductCouponBody: |v| violations(v.validate(None));
}

/// Parse + validate + round trip: the first byte picks the type from
/// [`RESPONSE_TYPES`], the rest is the JSON.
pub fn response(data: &[u8]) {
    let Some((&selector, json)) = data.split_first() else {
        return;
    };
    match response_selection(selector) {
        Selection::Type(check) => check(json),
        Selection::Operation { name, body } => {
            let _ = visit_operation(name, OperationRoundTrip { json, body });
        }
    }
}

/// What a `response` selector byte picks.
enum Selection {
    /// One of [`RESPONSE_TYPES`].
    Type(fn(&[u8])),
    /// The body (`body`) or the answer of an operation of the table.
    Operation { name: &'static str, body: bool },
}

/// Selector `s` picks, modulo their count, the [`RESPONSE_TYPES`] first, then
/// each operation's body and answer in table order (so seeds keep their
/// meaning while operations are appended).
fn response_selection(selector: u8) -> Selection {
    let types = RESPONSE_TYPES.len();
    let index = usize::from(selector) % (types + 2 * OPERATIONS.len());
    match index.checked_sub(types) {
        None => Selection::Type(RESPONSE_TYPES[index].1),
        Some(op) => Selection::Operation {
            name: OPERATIONS[op / 2].name,
            body: op % 2 == 0,
        },
    }
}

/// The selector byte of an operation's body or answer.
pub fn operation_selector(name: &str, body: bool) -> Option<u8> {
    let op = OPERATIONS.iter().position(|s| s.name == name)?;
    u8::try_from(RESPONSE_TYPES.len() + 2 * op + usize::from(!body)).ok()
}

/// The round trip of one operation's body (checked with its rules) or answer.
struct OperationRoundTrip<'a> {
    json: &'a [u8],
    body: bool,
}

impl OperationVisitor for OperationRoundTrip<'_> {
    type Output = ();

    fn visit<O: Operation>(self) {
        if self.body {
            round_trip_json::<O::Body>(O::SPEC.name, self.json, |b| {
                violations(b.validate_request())
            });
        } else {
            round_trip_json::<O::Response>(O::SPEC.name, self.json, |_| String::new());
        }
    }
}

/// [`round_trip`] for types compared through their JSON (the operation
/// table's body and answer types).
fn round_trip_json<T>(name: &str, json: &[u8], validate: fn(&T) -> String)
where
    T: DeserializeOwned + Serialize,
{
    let Ok(value) = serde_json::from_slice::<T>(json) else {
        return;
    };
    let verdict = validate(&value);
    let bytes = serde_json::to_vec(&value)
        .unwrap_or_else(|e| panic!("{name}: a parsed value does not serialise: {e}"));
    let again: T = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!(
            "{name}: its own JSON does not parse back: {e}\n{}",
            String::from_utf8_lossy(&bytes)
        )
    });
    let bytes_again = serde_json::to_vec(&again).unwrap_or_default();
    assert_eq!(
        bytes_again, bytes,
        "{name}: the round trip changed the value"
    );
    assert_eq!(
        validate(&again),
        verdict,
        "{name}: validation differs after the round trip"
    );
}

/// A sandbox on a private runtime, its verifier, and its credentials.
struct SandboxFixture {
    runtime: tokio::runtime::Runtime,
    sandbox: Sandbox,
    verifier: Verifier,
}

fn sandbox_fixture() -> &'static SandboxFixture {
    static SANDBOX: OnceLock<SandboxFixture> = OnceLock::new();
    SANDBOX.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let credentials = Credentials::generate().expect("sandbox credentials");
        let sandbox = runtime
            .block_on(
                Sandbox::builder()
                    .credentials(credentials)
                    .clock(Arc::new(ManualClock::new(NOW)) as Arc<dyn Clock>)
                    .start(),
            )
            .expect("the sandbox starts");
        let verifier = sandbox.verifier().expect("the sandbox's verifier");
        SandboxFixture {
            runtime,
            sandbox,
            verifier,
        }
    })
}

/// Flag bits of the [`sandbox_request`] input's first byte.
pub mod flags {
    /// Sign the request correctly (brand scheme on `/brand/…`, merchant otherwise).
    pub const SIGN: u8 = 1 << 3;
    /// Send the sandbox's `Wechatpay-Serial`.
    pub const SERIAL: u8 = 1 << 4;
    /// Send `Content-Type: application/json` and `Accept: application/json`.
    pub const JSON: u8 = 1 << 5;
}

const METHODS: [&str; 8] = [
    "GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS", "FUZZ",
];

/// One request through `Sandbox::serve_in_process`. The first byte: bits 0–2
/// pick the method, then [`flags`]; the rest is the request target on the first
/// line, `Name: value` header lines, a blank line and the body. The answer must
/// exist, be 200 or 4xx (never 5xx) and verify with the sandbox's key.
pub fn sandbox_request(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let (head, body) = split_head(rest);
    let mut lines = head.splitn(2, |&b| b == b'\n');
    let target = lines.next().unwrap_or_default();
    let headers = lines.next().unwrap_or_default();
    let Ok(method) = Method::from_bytes(METHODS[usize::from(first & 7)].as_bytes()) else {
        return;
    };
    let Ok(uri) = http::Uri::try_from(target) else {
        return;
    };
    let Some(path_and_query) = uri.path_and_query().map(|pq| pq.as_str().to_owned()) else {
        return;
    };
    if uri.scheme().is_some() || !path_and_query.starts_with('/') {
        return;
    }
    let fixture = sandbox_fixture();
    let creds = fixture.sandbox.credentials();
    let mut request = Request::new(Bytes::copy_from_slice(body));
    *request.method_mut() = method.clone();
    *request.uri_mut() = uri;
    *request.headers_mut() = header_map(headers);
    let h = request.headers_mut();
    if first & flags::JSON != 0 {
        h.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        h.insert(
            http::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
    }
    if first & flags::SERIAL != 0 {
        if let Ok(serial) = HeaderValue::from_str(&creds.wechatpay_public_key_id) {
            h.insert(wxpay_sign::WECHATPAY_SERIAL, serial);
        }
    }
    if first & flags::SIGN != 0 {
        let signer = if path_and_query.starts_with("/brand/") {
            creds.brand_signer()
        } else {
            creds.merchant_signer()
        };
        let signable = SignableRequest::new(method.as_str(), &path_and_query, body);
        if let Ok(auth) = signer.sign(&signable, NOW, NONCE) {
            h.insert(http::header::AUTHORIZATION, auth.to_header_value());
        }
    }
    let answer = fixture
        .runtime
        .block_on(fixture.sandbox.serve_in_process(request));
    let Some(answer) = answer else {
        panic!("no fault is queued, yet the sandbox dropped the request");
    };
    let status = answer.status();
    assert!(
        status.is_success() || status.is_client_error(),
        "{status} for {method} {path_and_query}: {}",
        String::from_utf8_lossy(answer.body())
    );
    if let Err(e) = fixture
        .verifier
        .verify_headers(answer.headers(), answer.body())
    {
        panic!("an unsigned or badly signed answer ({status}): {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeds;

    fn seed(target: &str, name: &str) -> Vec<u8> {
        seeds::seeds()
            .into_iter()
            .find(|s| s.target == target && s.name == name)
            .map(|s| s.data)
            .unwrap_or_else(|| panic!("no seed {target}/{name}"))
    }

    /// The seeds reach past verification and decryption: the raw seed is a
    /// webhook the handler accepts, and so are the ones signed or encrypted by
    /// the target.
    #[test]
    fn webhook_seeds_are_accepted_by_the_handler() {
        let raw = seed("webhook", "raw_verified_send");
        let (head, body) = split_head(&raw[1..]);
        let received = fixed().handler.handle(&header_map(head), body);
        assert!(received.is_ok(), "{received:?}");
    }

    /// Signed seeds get past authentication into the handlers (the page 003
    /// example breaks a rule of product coupon 1000000013: 400, not 401).
    #[test]
    fn signed_sandbox_seeds_pass_authentication_and_unsigned_ones_do_not() {
        for (name, ok) in [
            ("list_stocks", 200),
            ("list_user_coupons", 200),
            ("update_product_coupon", 400),
        ] {
            for (suffix, expected) in [("signed", ok), ("unsigned", 401)] {
                let data = seed("sandbox_request", &format!("{name}_{suffix}"));
                // Re-run the target's request building, keeping the answer.
                let (head, body) = split_head(&data[1..]);
                let target = head.split(|&b| b == b'\n').next().unwrap_or_default();
                let path = std::str::from_utf8(target).unwrap();
                let fixture = sandbox_fixture();
                let creds = fixture.sandbox.credentials();
                let method =
                    Method::from_bytes(METHODS[usize::from(data[0] & 7)].as_bytes()).unwrap();
                let mut request = Request::new(Bytes::copy_from_slice(body));
                *request.method_mut() = method.clone();
                *request.uri_mut() = path.parse().unwrap();
                let h = request.headers_mut();
                h.insert(
                    http::header::ACCEPT,
                    HeaderValue::from_static("application/json"),
                );
                if !body.is_empty() {
                    h.insert(
                        http::header::CONTENT_TYPE,
                        HeaderValue::from_static("application/json"),
                    );
                }
                if suffix == "signed" {
                    h.insert(
                        wxpay_sign::WECHATPAY_SERIAL,
                        HeaderValue::from_str(&creds.wechatpay_public_key_id).unwrap(),
                    );
                    let signer = if path.starts_with("/brand/") {
                        creds.brand_signer()
                    } else {
                        creds.merchant_signer()
                    };
                    let auth = signer
                        .sign(
                            &SignableRequest::new(method.as_str(), path, body),
                            NOW,
                            NONCE,
                        )
                        .unwrap();
                    h.insert(http::header::AUTHORIZATION, auth.to_header_value());
                }
                let answer = fixture
                    .runtime
                    .block_on(fixture.sandbox.serve_in_process(request))
                    .unwrap();
                assert_eq!(
                    answer.status().as_u16(),
                    expected,
                    "{name}_{suffix}: {}",
                    String::from_utf8_lossy(answer.body())
                );
            }
        }
    }
}
