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
