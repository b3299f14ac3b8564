//! Shared fixture helpers.
#![allow(dead_code)]

use std::path::PathBuf;

use wxpay_sign::{PrivateKey, PublicKey};

pub const TS: i64 = 1_700_000_000;
pub const NONCE: &str = "593BEC0C930BF1AFEB40B4A08C8FB242";
pub const MERCHANT_SERIAL: &str = "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB";
pub const PUB_KEY_ID: &str = "PUB_KEY_ID_0114232134912410000000000000";
pub const CERT_SERIAL: &str = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";

pub fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn text(name: &str) -> String {
    std::fs::read_to_string(path(name)).unwrap()
}

pub fn bytes(name: &str) -> Vec<u8> {
    std::fs::read(path(name)).unwrap()
}

pub fn merchant_key() -> PrivateKey {
    PrivateKey::from_pem(&text("merchant_key.pem")).unwrap()
}

pub fn wechatpay_key() -> PrivateKey {
    PrivateKey::from_pem(&text("wechatpay_key.pem")).unwrap()
}

pub fn wechatpay_pub() -> PublicKey {
    PublicKey::from_pem(&text("wechatpay_pub.pem")).unwrap()
}
