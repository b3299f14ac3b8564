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
        Self::wrap(sandbox, clock)
    }

    /// A harness around a running sandbox on `clock`.
    pub fn wrap(sandbox: Sandbox, clock: Arc<ManualClock>) -> Harness {
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

/// The brand prefix of every path.
pub const BRAND_PREFIX: &str = "/brand/marketing/product-coupon";
/// The partner prefix of every path.
pub const PARTNER_PREFIX: &str = "/v3/marketing/partner/product-coupon";
/// A user that holds nothing at start.
pub const NEW_OPENID: &str = "oNewUser-0000000000000000001";

/// Which side of the API a call goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Brand,
    Partner,
}

pub const SIDES: [Side; 2] = [Side::Brand, Side::Partner];

impl Harness {
    /// Calls `method suffix` (a path suffix shared by both sides, e.g.
    /// `/product-coupons/1/stocks`) on `side`, for the sandbox's brand; the
    /// partner side names it in the body (writes) or the query (reads).
    pub async fn op(&self, side: Side, method: Method, suffix: &str, body: Option<Value>) -> Reply {
        let brand = self.sandbox.credentials().brand_id.clone();
        self.op_for(side, &brand, method, suffix, body).await
    }

    /// [`Harness::op`] naming `brand` on the partner side.
    pub async fn op_for(
        &self,
        side: Side,
        brand: &str,
        method: Method,
        suffix: &str,
        body: Option<Value>,
    ) -> Reply {
        let (prefix, body) = match side {
            Side::Brand => (BRAND_PREFIX, body),
            Side::Partner => (
                PARTNER_PREFIX,
                body.map(|mut b| {
                    if b.get("brand_id").is_none() && !suffix.starts_with("/notify-configs") {
                        b["brand_id"] = Value::from(brand);
                    }
                    b
                }),
            ),
        };
        let mut path = format!("{prefix}{suffix}");
        if side == Side::Partner && method == Method::GET && !suffix.starts_with("/notify-configs")
        {
            let sep = if path.contains('?') { '&' } else { '?' };
            path = format!("{path}{sep}brand_id={brand}");
        }
        let bytes = body
            .map(|b| serde_json::to_vec(&b).expect("json"))
            .unwrap_or_default();
        let call = match side {
            Side::Brand => self.brand(method, path, &bytes),
            Side::Partner => self.partner(method, path, &bytes),
        };
        self.send_verified(call).await
    }

    /// A successful call's JSON (panics with the answer otherwise).
    pub async fn ok(&self, side: Side, method: Method, suffix: &str, body: Option<Value>) -> Value {
        let reply = self.op(side, method.clone(), suffix, body).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "{method} {suffix} on {side:?}: {}",
            String::from_utf8_lossy(&reply.body)
        );
        reply.json()
    }
}

impl Reply {
    /// The business error number at the end of the Request-ID, if any.
    pub fn business_code(&self) -> Option<u32> {
        self.header("request-id")
            .rsplit_once('-')
            .and_then(|(_, n)| n.parse().ok())
    }

    /// Asserts a refusal: `status`, `code`, a non-empty message, and the
    /// Request-ID's business number.
    #[track_caller]
    pub fn assert_refused(&self, status: StatusCode, code: &str, number: Option<u32>) {
        let json = self.json();
        assert_eq!(self.status, status, "{json}");
        assert_eq!(json["code"], code, "{json}");
        assert!(
            json["message"].as_str().is_some_and(|m| !m.is_empty()),
            "a message says why: {json}"
        );
        assert_eq!(
            self.business_code(),
            number,
            "Request-ID {}",
            self.header("request-id")
        );
    }
}

/// RFC 3339 (+08:00) of `unix`.
pub fn at(unix: i64) -> String {
    coupon_model::time::DateTime::from_unix_timestamp(unix, 480)
        .unwrap()
        .to_rfc3339()
}

/// A new stock (the create body's `stock` object) for a storewide single-use
/// coupon: `mode`, limits, and the period `[begin, end]`.
pub fn new_stock(mode: &str, max_count: i64, per_user: i64, begin: i64, end: i64) -> Value {
    serde_json::json!({
        "remark": "沙箱批次",
        "coupon_code_mode": mode,
        "stock_send_rule": { "max_count": max_count, "max_count_per_user": per_user },
        "single_usage_rule": {
            "coupon_available_period": {
                "available_begin_time": at(begin),
                "available_end_time": at(end)
            }
        },
        "usage_rule_display_info": {
            "coupon_usage_method_list": ["OFFLINE"],
            "usage_description": "到店出示券码即可使用"
        },
        "coupon_display_info": { "code_display_mode": "QRCODE" },
        "notify_config": { "notify_appid": APPID },
        "store_scope": "SPECIFIC"
    })
}

pub const APPID: &str = coupon_sandbox::seed::APPID;

/// A create-product-coupon body: storewide, NORMAL, single use, with `stock`.
pub fn single_product_coupon(out_request_no: &str, stock: Value) -> Value {
    serde_json::json!({
        "out_request_no": out_request_no,
        "scope": "ALL",
        "type": "NORMAL",
        "usage_mode": "SINGLE",
        "single_usage_info": { "normal_coupon": { "threshold": 10000, "discount_amount": 1000 } },
        "display_info": {
            "name": "沙箱满100减10",
            "image_url": "https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx"
        },
        "out_product_no": "sandbox_product",
        "stock": stock
    })
}

/// A create-product-coupon body: storewide, DISCOUNT, sequential (3 uses),
/// with a stock bundle whose steps take 10, 20 and 30 % off.
pub fn sequential_product_coupon(out_request_no: &str, begin: i64, end: i64) -> Value {
    let mut bundle = new_stock("WECHATPAY", 100, 1, begin, end);
    let period = bundle["single_usage_rule"]["coupon_available_period"].clone();
    bundle.as_object_mut().unwrap().remove("single_usage_rule");
    bundle["progressive_bundle_usage_rule"] = serde_json::json!({
        "coupon_available_period": period,
        "discount_coupon_list": [
            { "threshold": 10000, "percent_off": 10 },
            { "threshold": 10000, "percent_off": 20 },
            { "threshold": 10000, "percent_off": 30 }
        ]
    });
    serde_json::json!({
        "out_request_no": out_request_no,
        "scope": "ALL",
        "type": "DISCOUNT",
        "usage_mode": "SEQUENTIAL",
        "sequential_usage_info": { "type": "EQUAL", "count": 3, "available_days": 30, "interval_days": 1 },
        "display_info": {
            "name": "沙箱三次折扣券",
            "image_url": "https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx"
        },
        "stock_bundle": bundle
    })
}

/// A send body.
pub fn send_body(pc: &str, stock: &str, send_request_no: &str) -> Value {
    serde_json::json!({
        "product_coupon_id": pc,
        "stock_id": stock,
        "appid": APPID,
        "send_request_no": send_request_no
    })
}

/// A confirm / return body (`out_request_no` plus the coupon's ids).
pub fn coupon_body(pc: &str, stock: &str, out_request_no: &str) -> Value {
    serde_json::json!({
        "product_coupon_id": pc,
        "stock_id": stock,
        "appid": APPID,
        "out_request_no": out_request_no
    })
}

/// A use body.
pub fn use_body(pc: &str, stock: &str, out_request_no: &str, now: i64) -> Value {
    let mut b = coupon_body(pc, stock, out_request_no);
    b["use_time"] = Value::from(at(now));
    b["associated_order_info"] = serde_json::json!({
        "transaction_id": "4200000000123456789",
        "out_trade_no": format!("trade_{out_request_no}"),
        "mchid": "1900000001"
    });
    b
}

/// A deactivate body (user coupon).
pub fn deactivate_body(pc: &str, stock: &str, out_request_no: &str) -> Value {
    let mut b = coupon_body(pc, stock, out_request_no);
    b["deactivate_reason"] = Value::from("商品下线");
    b
}
