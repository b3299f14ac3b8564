//! Load benchmark: N concurrent tasks drive list-stocks through `coupon-client`
//! against the in-process sandbox, and the client-side CPU per call is compared with
//! the cost of one sign + one verify measured in the same run. Then the same tasks
//! send coupons from one stock (the state's write path). Throughout, a probe
//! measures how long the sandbox takes to answer a get-product-coupon, idle and
//! under each load: the sandbox's responsiveness.
//!
//! ```sh
//! cargo bench -p coupon-e2e --bench load                 # 16 tasks, 3000 calls
//! cargo bench -p coupon-e2e --bench load -- --tasks 32 --calls 6000
//! ```
//!
//! The sandbox runs on its own runtime whose threads are named `sandbox`, the
//! probe on one named `probe`; the client's CPU is the on-CPU time (from
//! `/proc/self/task/*/schedstat`) of every other thread of the process, so the
//! sandbox's own signing and verification is not charged to the client.

use std::collections::HashMap;
use std::error::Error;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use coupon_client::BrandClient;
use coupon_client::coupon_http::RetryPolicy;
use coupon_client::coupon_model::common::NormalCouponUsageRule;
use coupon_client::coupon_model::product_coupon::{
    CreateProductCouponBody, CreateProductCouponRequest, GetProductCouponRequest,
    ProductCouponDisplayInfo, ProductCouponScope, ProductCouponType, SingleUsageInfo,
};
use coupon_client::coupon_model::stock::{ListStocksRequest, StockSendRule};
use coupon_client::coupon_model::user_coupon::{
    SendUserProductCouponBody, SendUserProductCouponRequest,
};
use coupon_client::wxpay_sign::{SignableRequest, SignatureHeaders};
use coupon_e2e::{brand_client, seed, valid_stock};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// On-CPU nanoseconds per thread id, with the thread's name.
fn thread_cpu() -> Result<HashMap<String, (String, u64)>> {
    let mut out = HashMap::new();
    for entry in std::fs::read_dir("/proc/self/task")? {
        let dir = entry?.path();
        let tid = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let Ok(comm) = std::fs::read_to_string(dir.join("comm")) else {
            continue;
        };
        let Ok(sched) = std::fs::read_to_string(dir.join("schedstat")) else {
            continue;
        };
        let ns = sched
            .split_whitespace()
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        out.insert(tid, (comm.trim().to_owned(), ns));
    }
    Ok(out)
}

/// CPU nanoseconds spent between two snapshots by threads not named `sandbox…`.
fn client_cpu_between(
    before: &HashMap<String, (String, u64)>,
    after: &HashMap<String, (String, u64)>,
) -> u64 {
    after
        .iter()
        .filter(|(_, (name, _))| !name.starts_with("sandbox") && !name.starts_with("probe"))
        .map(|(tid, (_, ns))| ns.saturating_sub(before.get(tid).map_or(0, |(_, b)| *b)))
        .sum()
}

fn current_thread_cpu_ns() -> Result<u64> {
    let sched = std::fs::read_to_string("/proc/thread-self/schedstat")?;
    Ok(sched
        .split_whitespace()
        .next()
        .ok_or("empty schedstat")?
        .parse()?)
}

fn arg(name: &str, default: usize) -> Result<usize> {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == name) {
        Some(i) => Ok(args
            .get(i + 1)
            .ok_or(format!("{name} needs a value"))?
            .parse()?),
        None => Ok(default),
    }
}

/// Latencies (µs) of get-product-coupon calls made one after another, 2 ms
/// apart, until `stop` is set (or `max` samples).
async fn probe(
    client: BrandClient,
    stop: Arc<AtomicBool>,
    max: usize,
) -> std::result::Result<Vec<u64>, coupon_client::Error> {
    let request = GetProductCouponRequest::new(seed::PRODUCT_COUPON_ID);
    let mut samples = Vec::new();
    while !stop.load(Ordering::Relaxed) && samples.len() < max {
        let started = Instant::now();
        client.call(&request).await?;
        samples.push(u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX));
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok(samples)
}

/// `p50 / p99 / max` in milliseconds.
fn percentiles(mut samples: Vec<u64>) -> String {
    if samples.is_empty() {
        return "no samples".to_owned();
    }
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize] as f64 / 1e3;
    format!(
        "p50 {:>6.2} ms · p99 {:>6.2} ms · max {:>6.2} ms ({} samples)",
        at(0.5),
        at(0.99),
        at(1.0),
        samples.len()
    )
}

fn main() -> Result<()> {
    let tasks = arg("--tasks", 16)?.max(1);
    let calls = arg("--calls", 3000)?.max(tasks);
    let per_task = calls / tasks;
    let calls = per_task * tasks;

    let sandbox_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("sandbox")
        .enable_all()
        .build()?;
    let sandbox = sandbox_rt.block_on(coupon_sandbox::Sandbox::start())?;

    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("client")
        .enable_all()
        .build()?;
    let client = client_rt.block_on(async { brand_client(&sandbox, RetryPolicy::no_retry()) });
    let request = ListStocksRequest::new(seed::PRODUCT_COUPON_ID).with_page_size(20);
    let probe_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("probe")
        .enable_all()
        .build()?;
    let probe_client = probe_rt.block_on(async { brand_client(&sandbox, RetryPolicy::no_retry()) });
    let idle = probe_rt.block_on(probe(
        probe_client.clone(),
        Arc::new(AtomicBool::new(false)),
        200,
    ))?;

    // Warm up: connections, allocator, caches.
    client_rt.block_on(async {
        for _ in 0..50 {
            client.list_stocks(&request).await?;
        }
        Ok::<_, coupon_client::Error>(())
    })?;

    let stop = Arc::new(AtomicBool::new(false));
    let under_list = probe_rt.spawn(probe(probe_client.clone(), stop.clone(), usize::MAX));
    let before = thread_cpu()?;
    let started = Instant::now();
    client_rt.block_on(async {
        let mut handles = Vec::with_capacity(tasks);
        for _ in 0..tasks {
            let client = client.clone();
            let request = request.clone();
            handles.push(tokio::spawn(async move {
                for _ in 0..per_task {
                    client.list_stocks(&request).await?;
                }
                Ok::<_, coupon_client::Error>(())
            }));
        }
        for handle in handles {
            handle.await??;
        }
        Ok::<_, Box<dyn Error>>(())
    })?;
    let wall = started.elapsed();
    let after = thread_cpu()?;
    stop.store(true, Ordering::Relaxed);
    let under_list = probe_rt.block_on(under_list)??;

    // Sends: every task sends to its own users from one stock (the write path).
    let created = client_rt.block_on(
        client.call(&CreateProductCouponRequest::new(
            CreateProductCouponBody::single(
                "load_product_coupon",
                ProductCouponScope::All,
                ProductCouponType::Normal,
                ProductCouponDisplayInfo::new(
                    "压测满减券",
                    "https://wxpaylogo.qpic.cn/wxpaylogo/load/1",
                ),
                {
                    let mut stock = valid_stock("load");
                    stock.stock_send_rule = StockSendRule::new(100_000_000, 1);
                    stock
                },
            )
            .with_single_usage_info(SingleUsageInfo {
                normal_coupon: Some(NormalCouponUsageRule::new(10_000, 1_000)),
                discount_coupon: None,
            }),
        )),
    )?;
    let pc = created.product_coupon.product_coupon_id.clone();
    let stock = created.stock.ok_or("no stock")?.stock_id;
    let sends = per_task.min(200);
    let stop = Arc::new(AtomicBool::new(false));
    let under_sends = probe_rt.spawn(probe(probe_client.clone(), stop.clone(), usize::MAX));
    let send_started = Instant::now();
    client_rt.block_on(async {
        let mut handles = Vec::with_capacity(tasks);
        for t in 0..tasks {
            let client = client.clone();
            let (pc, stock) = (pc.clone(), stock.clone());
            handles.push(tokio::spawn(async move {
                for n in 0..sends {
                    let request = SendUserProductCouponRequest::new(
                        format!("oLoad-{t:04}-{n:012}"),
                        SendUserProductCouponBody::new(
                            pc.clone(),
                            stock.clone(),
                            seed::APPID,
                            format!("load_{t:04}_{n:06}"),
                        ),
                    );
                    client.call(&request).await?;
                }
                Ok::<_, coupon_client::Error>(())
            }));
        }
        for handle in handles {
            handle.await??;
        }
        Ok::<_, Box<dyn Error>>(())
    })?;
    let send_wall = send_started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let under_sends = probe_rt.block_on(under_sends)??;
    let client_ns_per_call = client_cpu_between(&before, &after) as f64 / calls as f64;

    // One sign + one verify of the same shapes, on this thread, same run.
    let creds = sandbox.credentials();
    let signer = creds.brand_signer();
    let verifier = sandbox.verifier()?;
    let path = format!(
        "/brand/marketing/product-coupon/product-coupons/{}/stocks?page_size=20",
        seed::PRODUCT_COUPON_ID
    );
    let body = serde_json::to_vec(&client_rt.block_on(client.list_stocks(&request))?)?;
    let responder = coupon_client::wxpay_sign::ResponseSigner::new(
        &creds.wechatpay_public_key_id,
        creds.wechatpay_private_key.clone(),
    );
    let headers: SignatureHeaders = responder.sign_now(&body)?;
    let rounds = 500;
    let cpu0 = current_thread_cpu_ns()?;
    for _ in 0..rounds {
        let auth = signer.sign_now(&SignableRequest::new("GET", &path, b""))?;
        std::hint::black_box(auth);
        verifier.verify(&headers, &body)?;
    }
    let baseline_ns = (current_thread_cpu_ns()? - cpu0) as f64 / rounds as f64;

    println!(
        "load: {tasks} tasks, {calls} list-stocks calls (page_size 20, {} B pages) against the in-process sandbox",
        body.len()
    );
    println!("  wall time            {:>10.3} s", wall.as_secs_f64());
    println!(
        "  throughput           {:>10.0} calls/s",
        calls as f64 / wall.as_secs_f64()
    );
    println!(
        "  client CPU per call  {:>10.1} µs",
        client_ns_per_call / 1e3
    );
    println!("  one sign + verify    {:>10.1} µs", baseline_ns / 1e3);
    println!(
        "  ratio                {:>10.3} (goal ≤ 1.3)",
        client_ns_per_call / baseline_ns
    );
    println!(
        "  sends                {:>10.0} calls/s ({} sends from one stock, {tasks} tasks)",
        (sends * tasks) as f64 / send_wall.as_secs_f64(),
        sends * tasks
    );
    println!("sandbox responsiveness (get-product-coupon from a separate client):");
    println!("  idle                 {}", percentiles(idle));
    println!("  under list load      {}", percentiles(under_list));
    println!("  under send load      {}", percentiles(under_sends));
    drop(client);
    drop(probe_client);
    client_rt.shutdown_background();
    probe_rt.shutdown_background();
    sandbox_rt.block_on(sandbox.shutdown());
    Ok(())
}
