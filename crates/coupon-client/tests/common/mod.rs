//! Helpers shared by the wiremock tests: keys, clients against a mock
//! server, and a responder that signs like WeChat Pay.
#![allow(dead_code)]

use std::sync::OnceLock;
use std::time::Duration;

use coupon_client::coupon_http::{RetryPolicy, Transport};
use coupon_client::wxpay_sign::{PrivateKey, ResponseSigner, SignatureHeaders};
use coupon_client::{BrandClient, PartnerClient};
use wiremock::{MockServer, Request, Respond, ResponseTemplate};

pub const PUB_KEY_ID: &str = "PUB_KEY_ID_0000000000000000000000000001";

pub struct Keys {
    pub client: PrivateKey,
    pub wechatpay: PrivateKey,
}

pub fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys {
        client: PrivateKey::generate().unwrap(),
        wechatpay: PrivateKey::generate().unwrap(),
    })
}

pub fn transport(server: &MockServer) -> Transport {
    Transport::builder()
        .primary_base_url(server.uri())
        .without_backup()
        .retry_policy(RetryPolicy::no_retry())
        .request_timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

pub fn brand(server: &MockServer) -> BrandClient {
    BrandClient::builder()
        .brand_id("1001")
        .serial_no("CLIENTSERIAL01")
        .private_key(keys().client.clone())
        .wechatpay_public_key(PUB_KEY_ID, keys().wechatpay.public_key())
        .transport(transport(server))
        .build()
        .unwrap()
}

pub fn partner(server: &MockServer) -> PartnerClient {
    PartnerClient::builder()
        .mchid("1900000001")
        .serial_no("CLIENTSERIAL02")
        .private_key(keys().client.clone())
        .wechatpay_public_key(PUB_KEY_ID, keys().wechatpay.public_key())
        .transport(transport(server))
        .build()
        .unwrap()
}

/// How a signed response should be tampered with.
#[derive(Clone, Copy)]
pub enum Tamper {
    None,
    Probe,
    BadSignature,
    UnknownSerial,
    Stale,
}

/// A wiremock responder that signs its body like WeChat Pay.
pub struct Signed {
    pub status: u16,
    pub body: String,
    pub tamper: Tamper,
}

impl Respond for Signed {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let serial = if matches!(self.tamper, Tamper::UnknownSerial) {
            "PUB_KEY_ID_UNKNOWN"
        } else {
            PUB_KEY_ID
        };
        let signer = ResponseSigner::new(serial, keys().wechatpay.clone());
        let mut now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        if matches!(self.tamper, Tamper::Stale) {
            now -= 301;
        }
        let signed = signer
            .sign(
                self.body.as_bytes(),
                now,
                "NONCE0123456789ABCDEFGHIJKLMNOPQ",
            )
            .unwrap();
        let signature = match self.tamper {
            Tamper::Probe => format!("WECHATPAY/SIGNTEST/{}", signed.signature()),
            Tamper::BadSignature => signer
                .sign(b"other body", now, signed.nonce())
                .unwrap()
                .signature()
                .to_owned(),
            _ => signed.signature().to_owned(),
        };
        let headers = SignatureHeaders::new(now, signed.nonce(), signature, serial);
        let mut map = http::HeaderMap::new();
        headers.apply_to(&mut map).unwrap();
        let mut t = ResponseTemplate::new(self.status)
            .set_body_raw(self.body.clone().into_bytes(), "application/json")
            .insert_header(
                "Request-ID",
                "08F0F4B4BE0610A8031890C0BB0120D4C60F28A2AC01-0",
            );
        for (name, value) in map.iter() {
            t = t.insert_header(name.as_str(), value.to_str().unwrap());
        }
        t
    }
}

// ---------------------------------------------------------------------------
// Platform certificates: keys, certificates, the /v3/certificates answer and
// responders signing with any key.
// ---------------------------------------------------------------------------

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use coupon_client::wxpay_sign::{
    ApiV3Key, Clock, PlatformCertificate, SystemClock, encrypt_resource,
};

/// The APIv3 key of the tests (never a real one).
pub const APIV3_KEY: &str = "0123456789abcdefABCDEF0123456789";

pub const CERTIFICATES_PATH: &str = "/v3/certificates";

pub fn apiv3_key() -> ApiV3Key {
    ApiV3Key::new(APIV3_KEY).unwrap()
}

/// Two more WeChat Pay keys, for platform certificates.
pub fn cert_keys() -> &'static [PrivateKey; 2] {
    static KEYS: OnceLock<[PrivateKey; 2]> = OnceLock::new();
    KEYS.get_or_init(|| {
        [
            PrivateKey::generate().unwrap(),
            PrivateKey::generate().unwrap(),
        ]
    })
}

pub fn now() -> i64 {
    SystemClock.now_unix()
}

/// A certificate for `key` valid from `from` to `to` (Unix seconds).
pub fn certificate(key: &PrivateKey, serial: &str, from: i64, to: i64) -> PlatformCertificate {
    PlatformCertificate::self_signed(key, serial, from, to).unwrap()
}

/// A certificate valid for a year around now.
pub fn current_certificate(key: &PrivateKey, serial: &str) -> PlatformCertificate {
    certificate(key, serial, now() - 86_400, now() + 365 * 86_400)
}

/// The body of a `/v3/certificates` answer delivering `certs`, each
/// encrypted with `apiv3` as WeChat Pay does.
pub fn certificates_body(apiv3: &ApiV3Key, certs: &[&PlatformCertificate]) -> String {
    let data: Vec<serde_json::Value> = certs
        .iter()
        .enumerate()
        .map(|(i, cert)| {
            let nonce = format!("nonce{i:07}");
            serde_json::json!({
                "serial_no": cert.serial(),
                "effective_time": "2025-01-01T00:00:00+08:00",
                "expire_time": "2030-01-01T00:00:00+08:00",
                "encrypt_certificate": {
                    "algorithm": "AEAD_AES_256_GCM",
                    "nonce": nonce,
                    "associated_data": "certificate",
                    "ciphertext": encrypt_resource(apiv3, &nonce, "certificate", cert.to_pem().as_bytes()).unwrap(),
                }
            })
        })
        .collect();
    serde_json::json!({ "data": data }).to_string()
}

/// A response template whose body is signed by `key` under `serial` at
/// `clock`'s time.
pub fn signed_by(
    status: u16,
    body: &str,
    serial: &str,
    key: &PrivateKey,
    clock: &dyn Clock,
) -> ResponseTemplate {
    let signed = ResponseSigner::new(serial, key.clone())
        .sign_with_clock(body.as_bytes(), clock)
        .unwrap();
    let mut map = http::HeaderMap::new();
    signed.apply_to(&mut map).unwrap();
    let mut t = ResponseTemplate::new(status)
        .set_body_raw(body.as_bytes().to_vec(), "application/json")
        .insert_header(
            "Request-ID",
            "08F0F4B4BE0610A8031890C0BB0120D4C60F28A2AC01-0",
        );
    for (name, value) in map.iter() {
        t = t.insert_header(name.as_str(), value.to_str().unwrap());
    }
    t
}

/// A responder signing a fixed body with one key, counting its answers.
pub struct SignedWith {
    pub status: u16,
    pub body: String,
    pub serial: String,
    pub key: PrivateKey,
    pub clock: Arc<dyn Clock>,
}

impl SignedWith {
    pub fn new(body: impl Into<String>, serial: &str, key: &PrivateKey) -> Self {
        Self {
            status: 200,
            body: body.into(),
            serial: serial.to_owned(),
            key: key.clone(),
            clock: Arc::new(SystemClock),
        }
    }

    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
}

impl Respond for SignedWith {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        signed_by(
            self.status,
            &self.body,
            &self.serial,
            &self.key,
            &*self.clock,
        )
    }
}

/// A responder signing each answer with the next of several (serial, key)
/// pairs, round robin.
pub struct RoundRobin {
    pub body: String,
    pub signers: Vec<(String, PrivateKey)>,
    pub next: AtomicUsize,
}

impl Respond for RoundRobin {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let i = self.next.fetch_add(1, Ordering::SeqCst) % self.signers.len();
        let (serial, key) = &self.signers[i];
        signed_by(200, &self.body, serial, key, &SystemClock)
    }
}

/// How many requests the server received for `path`.
pub async fn received(server: &MockServer, path: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == path)
        .count()
}
