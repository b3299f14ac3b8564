//! Per-call overhead of `Transport::execute` over a bare `hyper-util` pooled client,
//! both doing the same sequential GETs against a local hyper server on loopback.
//!
//! Run: `cargo bench -p coupon-http --bench overhead -- --warm-up-time 1 --measurement-time 3`
//!
//! The machine is shared (other builds run at the same time), so the workloads are
//! interleaved: every timed batch of one workload is preceded by an untimed batch of
//! each of the others, so load drifts hit all of them alike. Bursts of load still
//! inflate means, so the bench also records every timed batch and prints, at the
//! end, the median time per call of each workload and the ratios to the bare client
//! (`overhead ratio` lines): that is the figure to report.

use std::cell::RefCell;
use std::convert::Infallible;
use std::time::{Duration, Instant};

use bytes::Bytes;
use coupon_http::{
    HttpConnector, HyperConnector, HyperConnectorConfig, NoopHook, RequestTemplate, RetryPolicy,
    Transport, default_user_agent,
};
use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use http::{HeaderValue, Method, Request, Response, Uri, header};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector as TcpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::TcpListener;

/// Calls per measured iteration.
const CALLS: u64 = 100;
const PATH: &str = "/v3/marketing/product-coupon/ping?limit=10";
const BODY: &str = r#"{"data":[],"limit":10,"offset":0,"total_count":0}"#;

async fn handle(_: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let mut response = Response::new(Full::new(Bytes::from_static(BODY.as_bytes())));
    response.headers_mut().insert(
        "request-id",
        HeaderValue::from_static("08F4A1B2C3D4E5F60718293A4B5C6D7E"),
    );
    Ok(response)
}

/// Starts a keep-alive HTTP/1.1 server on 127.0.0.1 and returns its base URL.
async fn start_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service_fn(handle))
                    .await;
            });
        }
    });
    format!("http://{addr}")
}

/// The three workloads, each doing `CALLS` sequential GETs.
struct Workloads {
    rt: tokio::runtime::Runtime,
    bare: Client<TcpConnector, Full<Bytes>>,
    connector: HyperConnector,
    transport: Transport,
    template: RequestTemplate,
    uri: Uri,
    user_agent: HeaderValue,
    /// Every timed batch, per workload (indexed like `ALL`).
    batches: RefCell<[Vec<Duration>; 3]>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
enum Workload {
    /// A bare `hyper-util` legacy client: the baseline.
    Bare = 0,
    /// The default connector alone (no retry loop, hook, timeout or spans): shows how
    /// the overhead splits between the connector and `Transport`.
    Connector,
    /// `Transport::execute` with a no-op hook.
    Transport,
}

const ALL: [Workload; 3] = [Workload::Bare, Workload::Connector, Workload::Transport];

impl Workloads {
    fn new() -> Self {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let base = rt.block_on(start_server());

        let mut tcp = TcpConnector::new();
        tcp.set_nodelay(true);
        let bare = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_timer(TokioTimer::new())
            .build(tcp);

        let mut config = HyperConnectorConfig::default();
        config.allow_http = true;
        let connector = HyperConnector::new(config).expect("connector");

        let transport = Transport::builder()
            .primary_base_url(base.clone())
            .without_backup()
            .retry_policy(RetryPolicy::default())
            .build()
            .expect("transport");
        let template = RequestTemplate::new(Method::GET, PATH, "/v3/marketing/product-coupon/ping")
            .with_header(header::ACCEPT, HeaderValue::from_static("application/json"));

        Self {
            rt,
            bare,
            connector,
            transport,
            template,
            uri: format!("{base}{PATH}").parse().expect("uri"),
            user_agent: HeaderValue::try_from(default_user_agent()).expect("user agent"),
            batches: RefCell::default(),
        }
    }

    fn request<B>(&self, body: B) -> Request<B> {
        Request::builder()
            .method(Method::GET)
            .uri(self.uri.clone())
            .header(header::ACCEPT, "application/json")
            .header(header::USER_AGENT, self.user_agent.clone())
            .body(body)
            .expect("request")
    }

    fn run(&self, workload: Workload) {
        self.rt.block_on(async {
            for _ in 0..CALLS {
                let len = match workload {
                    Workload::Bare => {
                        let request = self.request(Full::new(Bytes::new()));
                        let response = self.bare.request(request).await.expect("bare call");
                        let body = response.into_body().collect().await.expect("body");
                        body.to_bytes().len()
                    }
                    Workload::Connector => {
                        let request = self.request(Bytes::new());
                        let response = self.connector.call(request).await.expect("call");
                        response.body().len()
                    }
                    Workload::Transport => {
                        let response = self
                            .transport
                            .execute(&self.template, &NoopHook)
                            .await
                            .expect("transport call");
                        response.body().len()
                    }
                };
                assert_eq!(len, BODY.len());
            }
        })
    }

    /// Times `measured` only, after an untimed batch of each other workload.
    fn interleaved(&self, measured: Workload, iters: u64) -> Duration {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            for other in ALL.into_iter().filter(|w| *w != measured) {
                self.run(other);
            }
            let start = Instant::now();
            self.run(measured);
            let elapsed = start.elapsed();
            total += elapsed;
            self.batches.borrow_mut()[measured as usize].push(elapsed);
        }
        total
    }

    /// Median time per call of each workload over all timed batches, and the ratio
    /// to the bare client.
    fn report(&self) {
        let mut batches = self.batches.borrow_mut();
        let medians: Vec<Option<Duration>> = batches
            .iter_mut()
            .map(|b| {
                b.sort();
                b.get(b.len() / 2).map(|m| *m / CALLS as u32)
            })
            .collect();
        let Some(bare) = medians[Workload::Bare as usize] else {
            return;
        };
        for (workload, median) in [
            "bare_hyper_util",
            "hyper_connector_call",
            "transport_execute",
        ]
        .iter()
        .zip(&medians)
        {
            if let Some(median) = median {
                println!(
                    "overhead ratio {workload}: median {:.2} µs/call, {:.3} x bare",
                    median.as_secs_f64() * 1e6,
                    median.as_secs_f64() / bare.as_secs_f64()
                );
            }
        }
    }
}

fn overhead(c: &mut Criterion) {
    let workloads = Workloads::new();
    let mut group = c.benchmark_group("sequential_gets");
    group.throughput(Throughput::Elements(CALLS));
    group.sampling_mode(SamplingMode::Flat);
    for (name, workload) in [
        ("bare_hyper_util", Workload::Bare),
        ("hyper_connector_call", Workload::Connector),
        ("transport_execute", Workload::Transport),
    ] {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| workloads.interleaved(workload, iters))
        });
    }
    group.finish();
    workloads.report();
}

criterion_group!(benches, overhead);
criterion_main!(benches);
