//! Platform certificates from the shell, against wiremock on loopback:
//! `certificates download`, a public-key-only account (exit 2), calls that
//! verify with downloaded certificates and no public key configured,
//! `call --repeat`, expired certificates (exit 3) and `webhook decode`.

use std::process::Output;
use std::sync::OnceLock;

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};
use wxpay_sign::{ApiV3Key, PlatformCertificate, PrivateKey, ResponseSigner, encrypt_resource};

mod common;
use common::{command, stderr, stdout_json, temp_dir};

const APIV3_KEY: &str = "0123456789abcdefABCDEF0123456789";
const PUBLIC_KEY_ID: &str = "PUB_KEY_ID_0000000000000000000000000009";
const PC_PATH: &str = "/v3/marketing/partner/product-coupon/product-coupons/1000000013";
const PC_BODY: &str = r#"{"product_coupon_id":"1000000013","brand_id":"1001","scope":"ALL"}"#;

/// The merchant's key, WeChat Pay's public-key key and a certificate key.
fn keys() -> &'static [PrivateKey; 3] {
    static KEYS: OnceLock<[PrivateKey; 3]> = OnceLock::new();
    KEYS.get_or_init(|| {
        [
            PrivateKey::generate().unwrap(),
            PrivateKey::generate().unwrap(),
            PrivateKey::generate().unwrap(),
        ]
    })
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn certificate(serial: &str, from: i64, to: i64) -> PlatformCertificate {
    PlatformCertificate::self_signed(&keys()[2], serial, from, to).unwrap()
}

fn signed(body: &str, serial: &str, key: &PrivateKey) -> ResponseTemplate {
    let headers = ResponseSigner::new(serial, key.clone())
        .sign_now(body.as_bytes())
        .unwrap();
    let mut map = http::HeaderMap::new();
    headers.apply_to(&mut map).unwrap();
    let mut t =
        ResponseTemplate::new(200).set_body_raw(body.as_bytes().to_vec(), "application/json");
    for (name, value) in map.iter() {
        t = t.insert_header(name.as_str(), value.to_str().unwrap());
    }
    t
}

struct Signed(String, String, PrivateKey);

impl Respond for Signed {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        signed(&self.0, &self.1, &self.2)
    }
}

fn certificates_body(certs: &[&PlatformCertificate]) -> String {
    let key = ApiV3Key::new(APIV3_KEY).unwrap();
    let data: Vec<serde_json::Value> = certs
        .iter()
        .map(|cert| {
            serde_json::json!({
                "serial_no": cert.serial(),
                "effective_time": "2025-01-01T00:00:00+08:00",
                "expire_time": "2030-01-01T00:00:00+08:00",
                "encrypt_certificate": {
                    "algorithm": "AEAD_AES_256_GCM",
                    "nonce": "0123456789ab",
                    "associated_data": "certificate",
                    "ciphertext": encrypt_resource(&key, "0123456789ab", "certificate", cert.to_pem().as_bytes()).unwrap(),
                }
            })
        })
        .collect();
    serde_json::json!({ "data": data }).to_string()
}

/// `/v3/certificates` delivering `certs`, signed by the first of them.
async fn mount_certificates(server: &MockServer, certs: &[&PlatformCertificate]) {
    let signer = certs.iter().find(|c| c.is_valid_at(now())).unwrap();
    Mock::given(method("GET"))
        .and(path("/v3/certificates"))
        .respond_with(Signed(
            certificates_body(certs),
            signer.serial().to_owned(),
            keys()[2].clone(),
        ))
        .mount(server)
        .await;
}

async fn mount_business(server: &MockServer, serial: &str, key: &PrivateKey) {
    Mock::given(method("GET"))
        .and(path(PC_PATH))
        .respond_with(Signed(PC_BODY.to_owned(), serial.to_owned(), key.clone()))
        .mount(server)
        .await;
}

/// The merchant identity and the APIv3 key, pointed at `server`; no public key.
fn merchant_env(server: &MockServer, name: &str) -> Vec<(String, String)> {
    let dir = temp_dir(name);
    let key_path = dir.join("apiclient_key.pem");
    std::fs::write(&key_path, keys()[0].to_pkcs8_pem().as_bytes()).unwrap();
    vec![
        ("WXPAY_BASE_URL".into(), server.uri()),
        ("WXPAY_MCHID".into(), "1900000001".into()),
        ("WXPAY_MCH_SERIAL_NO".into(), "MCHSERIAL0001".into()),
        (
            "WXPAY_MCH_PRIVATE_KEY".into(),
            key_path.to_string_lossy().into_owned(),
        ),
        ("WXPAY_BRAND_ID".into(), "1001".into()),
        ("WXPAY_APIV3_KEY".into(), APIV3_KEY.into()),
    ]
}

/// Adds the WeChat Pay public key (id and PEM file) to `vars`.
fn with_public_key(mut vars: Vec<(String, String)>, name: &str) -> Vec<(String, String)> {
    let dir = temp_dir(name);
    let pem = dir.join("pub_key.pem");
    std::fs::write(&pem, keys()[1].public_key().to_spki_pem()).unwrap();
    vars.push(("WXPAY_PUBLIC_KEY_ID".into(), PUBLIC_KEY_ID.into()));
    vars.push((
        "WXPAY_PUBLIC_KEY".into(),
        pem.to_string_lossy().into_owned(),
    ));
    vars
}

async fn run(vars: &[(String, String)], args: &[&str]) -> Output {
    let mut command = command(vars, args);
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

async fn downloads(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/v3/certificates")
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn certificates_download_prints_and_writes_pem_with_serial_and_validity() {
    let server = MockServer::start().await;
    let old = certificate("0A0A0A", now() - 10 * 86_400, now() - 86_400);
    let new = certificate("0B0B0B", now() - 86_400, now() + 86_400);
    mount_certificates(&server, &[&new, &old]).await;
    let vars = merchant_env(&server, "cert-download");

    let out = run(&vars, &["certificates", "download"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let list = stdout_json(&out);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    let first = &list[0];
    assert_eq!(first["serial_no"], "0B0B0B");
    assert_eq!(first["valid_now"], true);
    assert!(first["not_before"].as_str().unwrap().ends_with('Z'));
    let pem = first["pem"].as_str().unwrap();
    assert_eq!(PlatformCertificate::from_pem(pem).unwrap(), new);
    assert_eq!(list[1]["valid_now"], false, "{}", list[1]);

    let dir = temp_dir("cert-out").join("certs");
    let out = run(
        &vars,
        &["certificates", "download", "--out", dir.to_str().unwrap()],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let list = stdout_json(&out);
    let file = list[0]["file"].as_str().unwrap();
    assert!(file.ends_with("wechatpay_0B0B0B.pem"), "{file}");
    assert!(list[0].get("pem").is_none());
    let saved = std::fs::read_to_string(file).unwrap();
    assert_eq!(PlatformCertificate::from_pem(&saved).unwrap(), new);
    assert!(dir.join("wechatpay_0A0A0A.pem").exists());
    // Nothing secret is printed.
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(
        !all.contains(APIV3_KEY) && !all.contains("PRIVATE KEY"),
        "{all}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_public_key_only_account_exits_2_naming_the_public_key_setting() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v3/certificates"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_string(r#"{"code":"NOT_FOUND","message":"no certificate"}"#),
        )
        .mount(&server)
        .await;
    let vars = merchant_env(&server, "cert-none");
    let out = run(&vars, &["certificates", "download"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("public-key-only"), "{err}");
    assert!(
        err.contains("WXPAY_PUBLIC_KEY_ID") && err.contains("WXPAY_PUBLIC_KEY "),
        "{err}"
    );

    // A call without a public key says the same, exit 1 (configuration).
    let out = run(
        &vars,
        &[
            "call",
            "get-product-coupon",
            "--partner",
            "--param",
            "product_coupon_id=1000000013",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("WXPAY_PUBLIC_KEY"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn calls_verify_with_downloaded_certificates_and_repeat_in_one_process() {
    let server = MockServer::start().await;
    let cert = certificate("0C0C0C", now() - 86_400, now() + 86_400);
    mount_certificates(&server, &[&cert]).await;
    mount_business(&server, cert.serial(), &keys()[2]).await;
    let vars = merchant_env(&server, "cert-call");
    let out = run(
        &vars,
        &[
            "call",
            "get-product-coupon",
            "--partner",
            "--param",
            "product_coupon_id=1000000013",
            "--repeat",
            "3",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let answers: Vec<serde_json::Value> = serde_json::Deserializer::from_slice(&out.stdout)
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(answers.len(), 3);
    assert!(
        answers
            .iter()
            .all(|a| a["product_coupon_id"] == "1000000013")
    );
    assert_eq!(downloads(&server).await, 1, "one download for three calls");
    // The key change is visible from the shell, once.
    let err = stderr(&out);
    assert_eq!(
        err.matches("WeChat Pay keys held: [0C0C0C]").count(),
        1,
        "{err}"
    );

    // With both the public key and the APIv3 key: answers signed with the
    // public key need no certificate at all.
    let server = MockServer::start().await;
    mount_certificates(&server, &[&cert]).await;
    mount_business(&server, PUBLIC_KEY_ID, &keys()[1]).await;
    let vars = with_public_key(merchant_env(&server, "cert-both"), "cert-both-pub");
    let out = run(
        &vars,
        &[
            "call",
            "get-product-coupon",
            "--partner",
            "--param",
            "product_coupon_id=1000000013",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(downloads(&server).await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_answer_signed_with_an_expired_certificate_exits_3() {
    let server = MockServer::start().await;
    let old = certificate("0D0D0D", now() - 10 * 86_400, now() - 86_400);
    let new = certificate("0E0E0E", now() - 86_400, now() + 86_400);
    mount_certificates(&server, &[&old, &new]).await;
    mount_business(&server, old.serial(), &keys()[2]).await;
    let vars = merchant_env(&server, "cert-expired");
    let out = run(
        &vars,
        &[
            "call",
            "get-product-coupon",
            "--partner",
            "--param",
            "product_coupon_id=1000000013",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("expired"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_public_key_or_the_apiv3_key_both_alternatives_are_named() {
    let server = MockServer::start().await;
    let vars: Vec<_> = merchant_env(&server, "cert-missing")
        .into_iter()
        .filter(|(k, _)| k != "WXPAY_APIV3_KEY")
        .collect();
    let out = run(
        &vars,
        &[
            "call",
            "get-product-coupon",
            "--partner",
            "--param",
            "product_coupon_id=1000000013",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("WXPAY_PUBLIC_KEY_ID") && err.contains("WXPAY_APIV3_KEY"),
        "{err}"
    );
    let out = run(&vars, &["certificates", "download"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("WXPAY_APIV3_KEY"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn webhook_decode_downloads_certificates_when_no_public_key_is_set() {
    let server = MockServer::start().await;
    let cert = certificate("0F0F0F", now() - 86_400, now() + 86_400);
    mount_certificates(&server, &[&cert]).await;
    let vars = merchant_env(&server, "cert-webhook");

    let plaintext = r#"{"brand_id":"1001","coupon_code":"CODE_0001","product_coupon_id":"1000000013","stock_id":"1000000013001","appid":"wx233544546545989","openid":"oh-394z-6CGkNoJrsDLTTUKiAnp4","receive_time":"2025-08-01T10:00:00+08:00","send_request_no":"send_0001","send_channel":"API","valid_begin_time":"2025-08-01T00:00:00+08:00","valid_end_time":"2025-08-31T23:59:59+08:00"}"#;
    let key = ApiV3Key::new(APIV3_KEY).unwrap();
    let body = serde_json::json!({
        "id": "EV-1",
        "create_time": "2025-08-01T10:00:00+08:00",
        "event_type": "PRODUCT_COUPON_SP.SEND",
        "resource_type": "encrypt-resource",
        "summary": "sent",
        "resource": {
            "original_type": "product_coupon",
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": encrypt_resource(&key, "nonceWEBHOOK", "product_coupon", plaintext.as_bytes()).unwrap(),
            "associated_data": "product_coupon",
            "nonce": "nonceWEBHOOK",
        }
    })
    .to_string();
    let signed = ResponseSigner::new(cert.serial(), keys()[2].clone())
        .sign_now(body.as_bytes())
        .unwrap();
    let mut map = http::HeaderMap::new();
    signed.apply_to(&mut map).unwrap();
    let headers: serde_json::Map<String, serde_json::Value> = map
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap().into()))
        .collect();
    let dir = temp_dir("cert-webhook-files");
    let headers_path = dir.join("h.json");
    let body_path = dir.join("b.json");
    std::fs::write(
        &headers_path,
        serde_json::Value::Object(headers).to_string(),
    )
    .unwrap();
    std::fs::write(&body_path, &body).unwrap();

    let out = run(
        &vars,
        &[
            "webhook",
            "decode",
            "--headers",
            headers_path.to_str().unwrap(),
            "--body",
            body_path.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let decoded = stdout_json(&out);
    assert_eq!(decoded["event_type"], "PRODUCT_COUPON_SP.SEND");
    assert_eq!(decoded["event"]["coupon_code"], "CODE_0001");
    assert_eq!(downloads(&server).await, 1);
}
