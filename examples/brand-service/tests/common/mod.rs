//! Shared set-up of the end-to-end tests: databases (a fresh SQLite file, or
//! a fresh PostgreSQL database when `BRAND_SERVICE_TEST_DATABASE_URL` is set),
//! the sandbox, a notification "front" between the sandbox and the service
//! instances, and service instances that each run on their own Tokio runtime
//! (so that a crash can be played by dropping the runtime mid-request).

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use brand_service::{BrandService, NOTIFY_PATH, Recovery, ServiceConfig, Store, sandbox};
use coupon_client::wxpay_sign::{Clock as _, SystemClock};
use coupon_sandbox::{Credentials, Sandbox, WebhookOptions, WebhookRetry};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

pub const PG_ENV: &str = "BRAND_SERVICE_TEST_DATABASE_URL";

/// A fresh SQLite file in the temporary directory.
pub fn sqlite_url(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!(
        "brand-service-test-{test}-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    format!("sqlite://{}/service.db", dir.display())
}

/// A fresh database on the PostgreSQL server of `BRAND_SERVICE_TEST_DATABASE_URL`,
/// or `None` (with a message) when the variable is unset.
pub async fn postgres_url(test: &str) -> Option<String> {
    let Ok(base) = std::env::var(PG_ENV) else {
        eprintln!(
            "skipped {test} on PostgreSQL: set {PG_ENV}=postgres://USER@HOST:PORT/DB to run it (.ci/run does)"
        );
        return None;
    };
    sqlx::any::install_default_drivers();
    let admin = sqlx::AnyPool::connect(&base)
        .await
        .unwrap_or_else(|e| panic!("{PG_ENV} does not connect: {e}"));
    let name = format!(
        "bs_{}_{}",
        test,
        coupon_client::wxpay_sign::generate_nonce()
            .to_lowercase()
            .chars()
            .take(12)
            .collect::<String>()
    );
    sqlx::Executor::execute(&admin, format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap();
    admin.close().await;
    let (head, query) = match base.split_once('?') {
        Some((h, q)) => (h, format!("?{q}")),
        None => (base.as_str(), String::new()),
    };
    let slash = head
        .rfind('/')
        .filter(|&i| i > "postgres://".len())
        .unwrap();
    Some(format!("{}/{name}{query}", &head[..slash]))
}

/// One delivery that reached the front, and what the instances answered.
#[derive(Debug, Clone)]
pub struct Arrival {
    pub headers: HeaderMap,
    pub body: Bytes,
    pub answers: Vec<u16>,
    pub answered: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Answer 503 without forwarding (the service is "down").
    Hold,
    /// Forward to the first target.
    Forward,
    /// Forward to every target at once, each copy signed anew (as WeChat
    /// Pay's redeliveries are); answer 2xx when one of them did.
    FanOut,
}

struct FrontState {
    credentials: Credentials,
    mode: Mutex<Mode>,
    targets: Mutex<Vec<String>>,
    lose_answers: AtomicUsize,
    arrivals: Mutex<Vec<Arrival>>,
    signal: mpsc::UnboundedSender<Arrival>,
}

/// The sandbox's notify URL: forwards notifications to service instances as
/// the test says, and records them.
pub struct Front {
    pub url: String,
    state: Arc<FrontState>,
    signals: tokio::sync::Mutex<mpsc::UnboundedReceiver<Arrival>>,
}

async fn front_route(
    State(state): State<Arc<FrontState>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let mode = *state.mode.lock().unwrap();
    let targets = state.targets.lock().unwrap().clone();
    let post = |url: String, headers: HeaderMap| {
        let body = body.to_vec();
        async move {
            coupon_sandbox::post_webhook(&url, headers, body)
                .await
                .map_or(502, |s| s.as_u16())
        }
    };
    let answers: Vec<u16> = match mode {
        Mode::Hold => Vec::new(),
        Mode::Forward => vec![post(targets[0].clone(), headers.clone()).await],
        Mode::FanOut => {
            let calls = targets.iter().enumerate().map(|(i, url)| {
                let headers = if i == 0 {
                    headers.clone()
                } else {
                    coupon_sandbox::sign_notification(
                        &state.credentials,
                        SystemClock.now_unix(),
                        &body,
                        WebhookOptions::new(),
                    )
                    .unwrap()
                };
                post(url.clone(), headers)
            });
            futures_join_all(calls).await
        }
    };
    let mut answered = match mode {
        Mode::Hold => 503,
        _ => answers
            .iter()
            .copied()
            .find(|s| (200..300).contains(s))
            .or(answers.first().copied())
            .unwrap_or(502),
    };
    if (200..300).contains(&answered)
        && state
            .lose_answers
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    {
        answered = 500;
    }
    let arrival = Arrival {
        headers,
        body,
        answers,
        answered,
    };
    state.arrivals.lock().unwrap().push(arrival.clone());
    let _ = state.signal.send(arrival);
    StatusCode::from_u16(answered).unwrap()
}

/// `join_all` without the futures crate: polls every call on its own task.
async fn futures_join_all<F>(calls: impl Iterator<Item = F>) -> Vec<u16>
where
    F: std::future::Future<Output = u16> + Send + 'static,
{
    let handles: Vec<_> = calls.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

impl Front {
    pub async fn start(credentials: Credentials) -> Front {
        let (signal, signals) = mpsc::unbounded_channel();
        let state = Arc::new(FrontState {
            credentials,
            mode: Mutex::new(Mode::Hold),
            targets: Mutex::new(Vec::new()),
            lose_answers: AtomicUsize::new(0),
            arrivals: Mutex::new(Vec::new()),
            signal,
        });
        let app = Router::new()
            .route("/notify", post(front_route))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/notify", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Front {
            url,
            state,
            signals: tokio::sync::Mutex::new(signals),
        }
    }

    /// Notifications are answered 503 and not forwarded.
    pub fn hold(&self) {
        *self.state.mode.lock().unwrap() = Mode::Hold;
    }

    /// Notifications go to `instance`.
    pub fn forward_to(&self, instance: &Instance) {
        *self.state.targets.lock().unwrap() = vec![instance.notify_url()];
        *self.state.mode.lock().unwrap() = Mode::Forward;
    }

    /// Every notification goes to every instance at once.
    pub fn fan_out(&self, instances: &[&Instance]) {
        *self.state.targets.lock().unwrap() = instances.iter().map(|i| i.notify_url()).collect();
        *self.state.mode.lock().unwrap() = Mode::FanOut;
    }

    /// The next `n` successful answers reach the sandbox as 500 (the service
    /// handled the notification, the answer was lost): the sandbox redelivers.
    pub fn lose_answers(&self, n: usize) {
        self.state.lose_answers.store(n, Ordering::SeqCst);
    }

    /// Every delivery so far.
    pub fn arrivals(&self) -> Vec<Arrival> {
        self.state.arrivals.lock().unwrap().clone()
    }

    /// Waits for the next delivery to reach the front.
    pub async fn next_arrival(&self) -> Arrival {
        tokio::time::timeout(Duration::from_secs(60), self.signals.lock().await.recv())
            .await
            .expect("a notification reaches the front")
            .expect("the front is running")
    }
}

/// One service instance on its own runtime.
pub struct Instance {
    pub url: String,
    pub service: BrandService,
    runtime: Option<Runtime>,
}

impl Instance {
    pub async fn start(env: &Env, name: &str, config: ServiceConfig) -> Instance {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let creds = env.credentials.clone();
        let base_url = env.sandbox.base_url();
        let db = env.db.clone();
        let config = config
            .with_instance_id(name)
            .with_default_appid(sandbox::APPID);
        let (url, service) = runtime
            .spawn(async move {
                let store = Store::connect(&db).await.unwrap();
                let client = sandbox::brand_client(&creds, &base_url).unwrap();
                let handler = sandbox::webhook_handler(&client, &creds);
                let service = BrandService::new(store, client, handler, config);
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let url = format!("http://{}", listener.local_addr().unwrap());
                tokio::spawn(service.clone().serve(listener, std::future::pending()));
                (url, service)
            })
            .await
            .unwrap();
        Instance {
            url,
            service,
            runtime: Some(runtime),
        }
    }

    pub fn notify_url(&self) -> String {
        format!("{}{NOTIFY_PATH}", self.url)
    }

    /// The startup recovery pass, on the instance's runtime.
    pub async fn recover(&self) -> Recovery {
        let service = self.service.clone();
        self.runtime
            .as_ref()
            .unwrap()
            .spawn(async move { service.recover_pending_sends(Duration::ZERO).await })
            .await
            .unwrap()
            .unwrap()
    }

    /// Stops the instance the hard way: every task of its runtime (open
    /// requests included) is dropped where it stands.
    pub fn crash(mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// The sandbox, its front and a stock to send from.
pub struct Env {
    pub db: String,
    pub credentials: Credentials,
    pub front: Front,
    pub sandbox: Sandbox,
    pub product_coupon_id: String,
    pub stock_id: String,
}

impl Env {
    pub async fn start(db: String) -> Env {
        let credentials = tokio::task::spawn_blocking(Credentials::generate)
            .await
            .unwrap()
            .unwrap();
        let front = Front::start(credentials.clone()).await;
        // Redeliveries come quickly and keep coming: tests wait on outcomes
        // (settled deliveries), never on time.
        let retry = WebhookRetry::new()
            .with_first_delay(Duration::from_millis(5))
            .with_max_delay(Duration::from_millis(20))
            .with_max_attempts(3_000)
            // A loaded CI machine may be slow to answer; a timeout would only
            // add a redelivery, but the tests count what happens exactly.
            .with_answer_timeout(Duration::from_secs(30));
        let sandbox = Sandbox::builder()
            .credentials(credentials.clone())
            .notify_url(front.url.clone())
            .webhook_retry(retry)
            .start()
            .await
            .unwrap();
        let client = sandbox::brand_client(&credentials, &sandbox.base_url()).unwrap();
        let now = SystemClock.now_unix();
        let (product_coupon_id, stock_id) = sandbox::create_stock(&client, "e2e_stock_0001", now)
            .await
            .unwrap();
        Env {
            db,
            credentials,
            front,
            sandbox,
            product_coupon_id,
            stock_id,
        }
    }

    pub fn send_body(&self, openid: &str) -> Value {
        serde_json::json!({
            "openid": openid,
            "product_coupon_id": self.product_coupon_id,
            "stock_id": self.stock_id,
        })
    }

    /// A store on the test's own runtime, to look at what the instances wrote.
    pub async fn probe(&self) -> Store {
        Store::connect(&self.db).await.unwrap()
    }
}

/// One HTTP call to an instance: status and JSON body (`Null` when empty).
pub async fn http(
    method: &str,
    url: &str,
    idempotency_key: Option<&str>,
    body: Option<&Value>,
) -> Result<(u16, Value), String> {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut request = http::Request::builder()
        .method(method)
        .uri(url)
        .header("content-type", "application/json");
    if let Some(key) = idempotency_key {
        request = request.header("idempotency-key", key);
    }
    let request = request
        .body(Full::new(Bytes::from(
            body.map(|b| b.to_string()).unwrap_or_default(),
        )))
        .map_err(|e| e.to_string())?;
    let response = client.request(request).await.map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    let value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).map_err(|e| format!("{e}: {bytes:?}"))?
    };
    Ok((status, value))
}

/// `http` that must answer.
pub async fn call(
    method: &str,
    url: &str,
    idempotency_key: Option<&str>,
    body: Option<&Value>,
) -> (u16, Value) {
    http(method, url, idempotency_key, body)
        .await
        .unwrap_or_else(|e| panic!("{method} {url}: {e}"))
}
