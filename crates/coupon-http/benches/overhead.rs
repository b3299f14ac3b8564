//! Per-call overhead of `Transport::execute` over a bare `hyper-util` pooled client,
//! both doing the same sequential GETs against a local hyper server on loopback.
//!
//! Run: `cargo bench -p coupon-http --bench overhead -- --warm-up-time 1 --measurement-time 3`

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use coupon_http::{
    HttpConnector, HyperConnector, HyperConnectorConfig, NoopHook, RequestTemplate, RetryPolicy,
    Transport, default_user_agent,
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http::{Method, Request, Response, Uri, header};
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
        http::HeaderValue::from_static("08F4A1B2C3D4E5F60718293A4B5C6D7E"),
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

fn overhead(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let base = rt.block_on(start_server());

    let transport = Transport::builder()
        .primary_base_url(base.clone())
        .without_backup()
        .retry_policy(RetryPolicy::default())
        .build()
        .expect("transport");
    let template = RequestTemplate::new(Method::GET, PATH, "/v3/marketing/product-coupon/ping")
        .with_header(
            header::ACCEPT,
            http::HeaderValue::from_static("application/json"),
        );

    let mut tcp = TcpConnector::new();
    tcp.set_nodelay(true);
    let bare: Client<TcpConnector, Full<Bytes>> = Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_timer(TokioTimer::new())
        .build(tcp);
    let uri: Uri = format!("{base}{PATH}").parse().expect("uri");
    let user_agent = http::HeaderValue::try_from(default_user_agent()).expect("user agent");

    let mut group = c.benchmark_group("sequential_gets");
    group.throughput(Throughput::Elements(CALLS));

    group.bench_function("bare_hyper_util", |b| {
        b.iter(|| {
            rt.block_on(async {
                for _ in 0..CALLS {
                    let request = Request::builder()
                        .method(Method::GET)
                        .uri(uri.clone())
                        .header(header::ACCEPT, "application/json")
                        .header(header::USER_AGENT, user_agent.clone())
                        .body(Full::new(Bytes::new()))
                        .expect("request");
                    let response = bare.request(request).await.expect("bare call");
                    let body = response
                        .into_body()
                        .collect()
                        .await
                        .expect("body")
                        .to_bytes();
                    assert_eq!(body.len(), BODY.len());
                }
            })
        })
    });

    // The default connector alone (no retry loop, hook, timeout or spans): shows
    // how the overhead splits between the connector and `Transport`.
    let mut config = HyperConnectorConfig::default();
    config.allow_http = true;
    let connector = HyperConnector::new(config).expect("connector");
    group.bench_function("hyper_connector_call", |b| {
        b.iter(|| {
            rt.block_on(async {
                for _ in 0..CALLS {
                    let request = Request::builder()
                        .method(Method::GET)
                        .uri(uri.clone())
                        .header(header::ACCEPT, "application/json")
                        .header(header::USER_AGENT, user_agent.clone())
                        .body(Bytes::new())
                        .expect("request");
                    let response = connector.call(request).await.expect("call");
                    assert_eq!(response.body().len(), BODY.len());
                }
            })
        })
    });
    group.bench_function("transport_execute", |b| {
        b.iter(|| {
            rt.block_on(async {
                for _ in 0..CALLS {
                    let response = transport
                        .execute(&template, &NoopHook)
                        .await
                        .expect("transport call");
                    assert_eq!(response.body().len(), BODY.len());
                }
            })
        })
    });

    group.finish();
}

criterion_group!(benches, overhead);
criterion_main!(benches);
