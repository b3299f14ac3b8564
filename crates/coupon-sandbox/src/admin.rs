//! The admin channel of a running sandbox: routes under [`ADMIN_PREFIX`], a
//! path no WeChat Pay API uses, without WeChat Pay authentication — and only
//! for loopback callers:
//!
//! | route | what |
//! |---|---|
//! | `GET /sandbox-admin/v1/deliveries` | `{"deliveries": […]}`: the notification delivery log ([`Delivery`]) |
//! | `POST /sandbox-admin/v1/reset` | back to the seeded state; `{"reset": true}` |
//!
//! The sandbox binds loopback addresses only, so every caller is local; on
//! top of that the `Host` header must name a loopback host (a web page cannot
//! reach the routes through DNS rebinding), and `reset` needs the header
//! `X-Sandbox-Admin: 1` (a web page cannot send it without a CORS preflight,
//! which the sandbox never grants). Answers are JSON, signed like every other.
//!
//! [`deliveries`] and [`reset`] call these routes (the CLI's
//! `wxpay-coupon sandbox deliveries` / `reset`).

use bytes::Bytes;
use http::header::{HOST, HeaderMap};
use http::{Method, Request, StatusCode, Uri};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::Deserialize;
use serde_json::json;

use crate::delivery::Delivery;
use crate::error::{Error, Result};
use crate::server::Shared;

/// The path prefix of the admin routes.
pub const ADMIN_PREFIX: &str = "/sandbox-admin/";
/// The delivery log route.
pub const DELIVERIES_PATH: &str = "/sandbox-admin/v1/deliveries";
/// The reset route.
pub const RESET_PATH: &str = "/sandbox-admin/v1/reset";
/// The header `reset` requires (value `1`).
pub const ADMIN_HEADER: &str = "x-sandbox-admin";
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

/// Answers an admin request, or `None` when the path is not an admin route.
pub(crate) fn handle(
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
    Some(match (method, path) {
        (&Method::GET, DELIVERIES_PATH) => {
            let body = json!({ "deliveries": shared.store.deliveries() });
            (StatusCode::OK, body.to_string().into_bytes())
        }
        (&Method::POST, RESET_PATH) => {
            if headers.get(ADMIN_HEADER).and_then(|v| v.to_str().ok()) != Some("1") {
                return Some(error(
                    StatusCode::FORBIDDEN,
                    "NO_AUTH",
                    "reset needs the header X-Sandbox-Admin: 1",
                ));
            }
            match shared.store.reset(&shared.creds) {
                Ok(()) => (
                    StatusCode::OK,
                    json!({ "reset": true }).to_string().into_bytes(),
                ),
                Err(e) => error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "SYSTEM_ERROR",
                    &e.to_string(),
                ),
            }
        }
        (_, DELIVERIES_PATH | RESET_PATH) => error(
            StatusCode::METHOD_NOT_ALLOWED,
            "NOT_FOUND",
            "use GET /sandbox-admin/v1/deliveries or POST /sandbox-admin/v1/reset",
        ),
        _ => error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "admin routes: GET /sandbox-admin/v1/deliveries, POST /sandbox-admin/v1/reset",
        ),
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
