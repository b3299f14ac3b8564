//! The admin channel of a running sandbox: routes under [`ADMIN_PREFIX`], a
//! path no WeChat Pay API uses, without WeChat Pay authentication — and only
//! for loopback callers:
//!
//! | route | what |
//! |---|---|
//! | `GET /sandbox-admin/v1/deliveries` | `{"deliveries": […]}`: the notification delivery log ([`Delivery`]) |
//! | `POST /sandbox-admin/v1/reset` | back to the seeded state; `{"reset": true}` |
//! | `GET /sandbox-admin/v1/wechatpay-keys` | `{"mode": …, "keys": […]}`: the WeChat Pay keys ([`WechatPayKeyInfo`]) |
//! | `POST /sandbox-admin/v1/wechatpay-keys/rotate[?retire_previous=true][&after_requests=N]` | a rotation ([`Sandbox::rotate_wechatpay_key_with`](crate::Sandbox::rotate_wechatpay_key_with)); `{"rotated": key or null, "after_requests": N, "mode", "keys"}` |
//! | `POST /sandbox-admin/v1/wechatpay-keys/retire?id=ID` | retires a key; `{"retired": key, "mode", "keys"}` |
//!
//! The sandbox binds loopback addresses only, so every caller is local; on
//! top of that the `Host` header must name a loopback host (a web page cannot
//! reach the routes through DNS rebinding), and every `POST` needs the header
//! `X-Sandbox-Admin: 1` (a web page cannot send it without a CORS preflight,
//! which the sandbox never grants). Answers are JSON, signed like every other.
//!
//! [`deliveries`], [`reset`], [`wechatpay_keys`], [`rotate_wechatpay_key`] and
//! [`retire_wechatpay_key`] call these routes (the CLI's
//! `wxpay-coupon sandbox deliveries` / `reset` / `keys` / `rotate-key` /
//! `retire-key`).

use bytes::Bytes;
use http::header::{HOST, HeaderMap};
use http::{Method, Request, StatusCode, Uri};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use percent_encoding::percent_decode_str;
use serde::Deserialize;
use serde_json::json;
use wxpay_sign::PrivateKey;

use crate::delivery::Delivery;
use crate::error::{Error, Result};
use crate::server::Shared;
use crate::wechatpay_keys::{WechatPayKeyInfo, WechatPayKeyMode};

/// The path prefix of the admin routes.
pub const ADMIN_PREFIX: &str = "/sandbox-admin/";
/// The delivery log route.
pub const DELIVERIES_PATH: &str = "/sandbox-admin/v1/deliveries";
/// The reset route.
pub const RESET_PATH: &str = "/sandbox-admin/v1/reset";
/// The WeChat Pay keys route.
pub const WECHATPAY_KEYS_PATH: &str = "/sandbox-admin/v1/wechatpay-keys";
/// The key rotation route.
pub const ROTATE_KEY_PATH: &str = "/sandbox-admin/v1/wechatpay-keys/rotate";
/// The key retirement route.
pub const RETIRE_KEY_PATH: &str = "/sandbox-admin/v1/wechatpay-keys/retire";
/// The header every `POST` route requires (value `1`).
pub const ADMIN_HEADER: &str = "x-sandbox-admin";
/// Every admin route, for the answers to unknown ones.
const ROUTES: &str = "GET /sandbox-admin/v1/deliveries, POST /sandbox-admin/v1/reset, GET /sandbox-admin/v1/wechatpay-keys, POST /sandbox-admin/v1/wechatpay-keys/rotate, POST /sandbox-admin/v1/wechatpay-keys/retire?id=ID";
/// The largest admin answer [`deliveries`] reads (64 MiB).
const MAX_ADMIN_ANSWER_BYTES: usize = 64 * 1024 * 1024;

fn error(status: StatusCode, code: &str, message: &str) -> (StatusCode, Vec<u8>) {
    let body = json!({ "code": code, "message": message });
    (status, body.to_string().into_bytes())
}

fn loopback_host(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(HOST).and_then(|v| v.to_str().ok()) else {
        // HTTP/2 carries the authority in the URI; hyper fills it there.
        return true;
    };
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The value of query parameter `name`, percent-decoded.
fn query_param(uri: &Uri, name: &str) -> Option<String> {
    uri.query()?.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (key == name).then(|| percent_decode_str(value).decode_utf8_lossy().into_owned())
    })
}

/// The keys, as the key routes answer them.
fn keys_json(shared: &Shared) -> serde_json::Value {
    json!({ "mode": shared.keys.mode(), "keys": shared.keys.infos() })
}

fn ok(body: serde_json::Value) -> (StatusCode, Vec<u8>) {
    (StatusCode::OK, body.to_string().into_bytes())
}

fn refused(e: &Error) -> (StatusCode, Vec<u8>) {
    match e {
        Error::NotFound(_) => error(StatusCode::NOT_FOUND, "NOT_FOUND", &e.to_string()),
        Error::Refused(_) => error(StatusCode::BAD_REQUEST, "INVALID_REQUEST", &e.to_string()),
        _ => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "SYSTEM_ERROR",
            &e.to_string(),
        ),
    }
}

/// `POST …/wechatpay-keys/rotate`: generates the new key pair off the
/// runtime's threads, then rotates now or schedules the rotation.
async fn rotate(shared: &Shared, uri: &Uri) -> (StatusCode, Vec<u8>) {
    let retire_previous = query_param(uri, "retire_previous").is_some_and(|v| v == "true");
    let after_requests = match query_param(uri, "after_requests") {
        None => 0,
        Some(v) => match v.parse::<u64>() {
            Ok(n) => n,
            Err(_) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "PARAM_ERROR",
                    "after_requests must be a whole number of requests",
                );
            }
        },
    };
    let key = match tokio::task::spawn_blocking(PrivateKey::generate).await {
        Ok(Ok(key)) => key,
        Ok(Err(e)) => return refused(&Error::crypto("generating an RSA key")(e)),
        Err(e) => return refused(&Error::Internal(format!("key generation task failed: {e}"))),
    };
    let now = shared.clock.now_unix();
    match shared
        .keys
        .schedule_rotation(after_requests, key, retire_previous, now)
    {
        Ok(rotated) => {
            let mut body = keys_json(shared);
            body["rotated"] = json!(rotated);
            body["after_requests"] = json!(after_requests);
            body["retire_previous"] = json!(retire_previous);
            ok(body)
        }
        Err(e) => refused(&e),
    }
}

/// Answers an admin request, or `None` when the path is not an admin route.
pub(crate) async fn handle(
    shared: &Shared,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Option<(StatusCode, Vec<u8>)> {
    let path = uri.path();
    if !path.starts_with(ADMIN_PREFIX) {
        return None;
    }
    if !loopback_host(headers) {
        return Some(error(
            StatusCode::FORBIDDEN,
            "NO_AUTH",
            "the sandbox admin routes answer loopback hosts only (Host: 127.0.0.1:PORT or localhost:PORT)",
        ));
    }
    let known = matches!(
        path,
        DELIVERIES_PATH | RESET_PATH | WECHATPAY_KEYS_PATH | ROTATE_KEY_PATH | RETIRE_KEY_PATH
    );
    if !known {
        return Some(error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            &format!("admin routes: {ROUTES}"),
        ));
    }
    let write = matches!(path, RESET_PATH | ROTATE_KEY_PATH | RETIRE_KEY_PATH);
    let expected = if write { Method::POST } else { Method::GET };
    if method != expected {
        return Some(error(
            StatusCode::METHOD_NOT_ALLOWED,
            "NOT_FOUND",
            &format!("use {expected} {path}; admin routes: {ROUTES}"),
        ));
    }
    if write && headers.get(ADMIN_HEADER).and_then(|v| v.to_str().ok()) != Some("1") {
        return Some(error(
            StatusCode::FORBIDDEN,
            "NO_AUTH",
            &format!("POST {path} needs the header X-Sandbox-Admin: 1"),
        ));
    }
    Some(match path {
        DELIVERIES_PATH => ok(json!({ "deliveries": shared.store.deliveries() })),
        RESET_PATH => match shared.store.reset(&shared.creds) {
            Ok(()) => ok(json!({ "reset": true })),
            Err(e) => refused(&e),
        },
        WECHATPAY_KEYS_PATH => ok(keys_json(shared)),
        ROTATE_KEY_PATH => rotate(shared, uri).await,
        _ => match query_param(uri, "id") {
            None => error(
                StatusCode::BAD_REQUEST,
                "PARAM_ERROR",
                "name the key to retire: ?id=PUB_KEY_ID_… or ?id=SERIAL",
            ),
            Some(id) => match shared.keys.retire(&id) {
                Ok(retired) => {
                    let mut body = keys_json(shared);
                    body["retired"] = json!(retired);
                    ok(body)
                }
                Err(e) => refused(&e),
            },
        },
    })
}

async fn call(base_url: &str, method: Method, path: &str) -> Result<Bytes> {
    let url = format!("{}{path}", base_url.trim_end_matches('/'));
    let fail = |reason: String| Error::Admin {
        url: url.clone(),
        reason,
    };
    crate::webhook::check_webhook_url(&url).map_err(|e| fail(e.to_string()))?;
    let request = Request::builder()
        .method(method)
        .uri(&url)
        .header(ADMIN_HEADER, "1")
        .header("accept", "application/json")
        .body(Full::new(Bytes::new()))
        .map_err(|e| fail(e.to_string()))?;
    let client = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(0)
        .build_http::<Full<Bytes>>();
    let exchange = async {
        let response = client
            .request(request)
            .await
            .map_err(|e| fail(e.to_string()))?;
        let status = response.status();
        let body = Limited::new(response.into_body(), MAX_ADMIN_ANSWER_BYTES)
            .collect()
            .await
            .map_err(|e| fail(format!("cannot read the answer: {e}")))?
            .to_bytes();
        if !status.is_success() {
            return Err(fail(format!(
                "it answered {status}: {}",
                String::from_utf8_lossy(&body)
            )));
        }
        Ok(body)
    };
    tokio::time::timeout(std::time::Duration::from_secs(30), exchange)
        .await
        .map_err(|_| fail("no answer within 30 s".to_owned()))?
}

/// The delivery log of the sandbox running at `base_url` (`http://127.0.0.1:PORT`).
pub async fn deliveries(base_url: &str) -> Result<Vec<Delivery>> {
    #[derive(Deserialize)]
    struct Answer {
        deliveries: Vec<Delivery>,
    }
    let body = call(base_url, Method::GET, DELIVERIES_PATH).await?;
    let answer: Answer = serde_json::from_slice(&body).map_err(|e| Error::Admin {
        url: format!("{base_url}{DELIVERIES_PATH}"),
        reason: format!("the answer does not parse: {e}"),
    })?;
    Ok(answer.deliveries)
}

/// Resets the sandbox running at `base_url` to its seeded state.
pub async fn reset(base_url: &str) -> Result<()> {
    call(base_url, Method::POST, RESET_PATH).await.map(|_| ())
}

/// The WeChat Pay keys of the sandbox at `base_url`: its key mode and every
/// key, oldest first, retired ones included.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct WechatPayKeys {
    /// The kinds of key it signs with.
    pub mode: WechatPayKeyMode,
    /// Its keys.
    pub keys: Vec<WechatPayKeyInfo>,
}

/// What a rotation through the admin channel did.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Rotation {
    /// The new key, or `None` when the rotation waits for `after_requests`
    /// requests.
    pub rotated: Option<WechatPayKeyInfo>,
    /// How many requests the rotation waits for (0: made at once).
    pub after_requests: u64,
    /// Whether the key it replaces is retired with it.
    pub retire_previous: bool,
    /// The key mode.
    pub mode: WechatPayKeyMode,
    /// Every key now.
    pub keys: Vec<WechatPayKeyInfo>,
}

fn parse<T: serde::de::DeserializeOwned>(base_url: &str, path: &str, body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| Error::Admin {
        url: format!("{base_url}{path}"),
        reason: format!("the answer does not parse: {e}"),
    })
}

/// The WeChat Pay keys of the sandbox running at `base_url`.
pub async fn wechatpay_keys(base_url: &str) -> Result<WechatPayKeys> {
    let body = call(base_url, Method::GET, WECHATPAY_KEYS_PATH).await?;
    parse(base_url, WECHATPAY_KEYS_PATH, &body)
}

/// Rotates the WeChat Pay key of the sandbox running at `base_url` (see
/// [`Sandbox::rotate_wechatpay_key_with`](crate::Sandbox::rotate_wechatpay_key_with)):
/// now, or once `after_requests` more requests have arrived; retiring the
/// key it replaces when `retire_previous`.
pub async fn rotate_wechatpay_key(
    base_url: &str,
    retire_previous: bool,
    after_requests: u64,
) -> Result<Rotation> {
    let path = format!(
        "{ROTATE_KEY_PATH}?retire_previous={retire_previous}&after_requests={after_requests}"
    );
    let body = call(base_url, Method::POST, &path).await?;
    parse(base_url, ROTATE_KEY_PATH, &body)
}

/// Retires the WeChat Pay key `id` of the sandbox running at `base_url`; the
/// keys after it.
pub async fn retire_wechatpay_key(base_url: &str, id: &str) -> Result<WechatPayKeys> {
    let path = format!(
        "{RETIRE_KEY_PATH}?id={}",
        percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC)
    );
    let body = call(base_url, Method::POST, &path).await?;
    parse(base_url, RETIRE_KEY_PATH, &body)
}
