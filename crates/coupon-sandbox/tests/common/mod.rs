//! Raw-HTTP helpers: requests signed with `wxpay_sign::Signer` directly and
//! sent with hyper-util's client on loopback (no SDK client involved).
#![allow(dead_code)]

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use coupon_sandbox::{Credentials, Sandbox};
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use wxpay_sign::{Clock, ManualClock, SignableRequest, Signer};

pub const STOCKS: &str = "/brand/marketing/product-coupon/product-coupons";
pub const USERS: &str = "/brand/marketing/product-coupon/users";
pub const PARTNER: &str = "/v3/marketing/partner/product-coupon/product-coupons";
pub const NOW: i64 = 1_756_000_000;

/// One set of generated credentials per test binary (key generation is slow).
pub fn creds() -> Credentials {
    static CREDS: OnceLock<Credentials> = OnceLock::new();
    CREDS
        .get_or_init(|| Credentials::generate().expect("generate credentials"))
        .clone()
}

pub struct Harness {
    pub sandbox: Sandbox,
    pub clock: Arc<ManualClock>,
    client: Client<HttpConnector, Full<Bytes>>,
}

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }

    pub fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_default().to_owned()
    }

    pub fn field(&self) -> String {
        self.json()["detail"]["field"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

/// What to put in a request.
pub struct Call<'a> {
    pub method: Method,
    pub path_and_query: String,
    pub body: &'a [u8],
    pub signer: Option<Signer>,
    /// Timestamp to sign with (default: the sandbox clock's reading).
    pub timestamp: Option<i64>,
    /// Body actually sent (default: `body`); lets a test sign one body and send another.
    pub sent_body: Option<&'a [u8]>,
    /// Path and query actually sent (default: `path_and_query`).
    pub sent_path: Option<String>,
    pub wechatpay_serial: Option<String>,
}

impl Harness {
    /// The harness of the seed-data tests: new stocks stay `AUDITING` for an
    /// hour of the (frozen) clock, so they are observed in that state.
    pub async fn start() -> Harness {
        Self::start_with(|b| b.review_delay(std::time::Duration::from_secs(3600))).await
    }

    /// A sandbox configured by `configure`, on a manual clock at [`NOW`].
    pub async fn start_with(
        configure: impl FnOnce(coupon_sandbox::SandboxBuilder) -> coupon_sandbox::SandboxBuilder,
    ) -> Harness {
        let clock = Arc::new(ManualClock::new(NOW));
        let builder = Sandbox::builder()
            .credentials(creds())
            .clock(clock.clone() as Arc<dyn Clock>);
        let sandbox = configure(builder).start().await.expect("sandbox starts");
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(0)
            .build_http();
        Harness {
            sandbox,
            clock,
            client,
        }
    }

    /// A brand call signed like a correct client.
    pub fn brand<'a>(
        &self,
        method: Method,
        path_and_query: impl Into<String>,
        body: &'a [u8],
    ) -> Call<'a> {
        let creds = self.sandbox.credentials();
        Call {
            method,
            path_and_query: path_and_query.into(),
            body,
            signer: Some(creds.brand_signer()),
            timestamp: None,
            sent_body: None,
            sent_path: None,
            wechatpay_serial: Some(creds.wechatpay_public_key_id.clone()),
        }
    }

    /// A partner call signed like a correct client.
    pub fn partner<'a>(
        &self,
        method: Method,
        path_and_query: impl Into<String>,
        body: &'a [u8],
    ) -> Call<'a> {
        Call {
            method,
            path_and_query: path_and_query.into(),
            body,
            signer: Some(self.sandbox.credentials().merchant_signer()),
            timestamp: None,
            sent_body: None,
            sent_path: None,
            wechatpay_serial: None,
        }
    }

    pub async fn try_send(
        &self,
        call: Call<'_>,
    ) -> Result<Reply, hyper_util::client::legacy::Error> {
        let mut builder = Request::builder()
            .method(call.method.clone())
            .uri(format!(
                "{}{}",
                self.sandbox.base_url(),
                call.sent_path.as_deref().unwrap_or(&call.path_and_query)
            ))
            .header("Accept", "application/json");
        if !call.body.is_empty() {
            builder = builder.header("Content-Type", "application/json");
        }
        if let Some(signer) = &call.signer {
            let request =
                SignableRequest::new(call.method.as_str(), &call.path_and_query, call.body);
            let timestamp = call.timestamp.unwrap_or_else(|| self.clock.now_unix());
            let auth = signer
                .sign(&request, timestamp, &wxpay_sign::generate_nonce())
                .expect("sign");
            builder = builder.header("Authorization", auth.to_header_value());
        }
        if let Some(serial) = &call.wechatpay_serial {
            builder = builder.header("Wechatpay-Serial", serial);
        }
        let sent = call.sent_body.unwrap_or(call.body);
        let request = builder
            .body(Full::new(Bytes::copy_from_slice(sent)))
            .expect("request");
        let response = self.client.request(request).await?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    pub async fn send(&self, call: Call<'_>) -> Reply {
        self.try_send(call).await.expect("an HTTP response")
    }

    /// Sends and checks the answer verifies with the sandbox's public key.
    pub async fn send_verified(&self, call: Call<'_>) -> Reply {
        let reply = self.send(call).await;
        self.verify(&reply).expect("the response verifies");
        reply
    }

    pub fn verify(&self, reply: &Reply) -> Result<(), wxpay_sign::Error> {
        self.sandbox
            .verifier()
            .expect("verifier")
            .verify_headers(&reply.headers, &reply.body)
    }

    pub async fn get(&self, path_and_query: impl Into<String>) -> Reply {
        self.send_verified(self.brand(Method::GET, path_and_query, b""))
            .await
    }
}

/// A valid add-stock body for product coupon 1000000013 (scope ALL, SINGLE).
pub fn add_stock_body(out_request_no: &str, remark: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "out_request_no": out_request_no,
        "stock": {
            "remark": remark,
            "coupon_code_mode": "UPLOAD",
            "stock_send_rule": { "max_count": 1000, "max_count_per_user": 1 },
            "single_usage_rule": {
                "coupon_available_period": {
                    "available_begin_time": "2025-09-01T00:00:00+08:00",
                    "available_end_time": "2025-09-30T23:59:59+08:00",
                    "available_days": 10
                }
            },
            "usage_rule_display_info": {
                "coupon_usage_method_list": ["OFFLINE"],
                "usage_description": "全场可用"
            },
            "coupon_display_info": { "code_display_mode": "QRCODE" },
            "notify_config": { "notify_appid": "wx4fd12345678" },
            "store_scope": "ALL"
        }
    }))
    .expect("json")
}
