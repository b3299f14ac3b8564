//! Load benchmark: client CPU per signed and verified call against the
//! physical floor, then the sandbox under load.
//!
//! ```sh
//! cargo bench -p coupon-e2e --bench load                      # ring (default)
//! cargo bench -p coupon-e2e --bench load --no-default-features --features aws-lc
//! cargo bench -p coupon-e2e --bench load -- --tasks 32 --calls 6000 --op-calls 1000
//! ```
//!
//! **Per-call CPU.** Three operations — a partner `PATCH` (update-product-coupon,
//! a ~350 B answer), a brand get-product-coupon (~330 B) and a brand
//! list-stocks of 20 stocks (a ~30 KB page) — are each called `--op-calls` times from one task
//! (sequential) and from `--tasks` concurrent tasks through `coupon-client`,
//! against the in-process sandbox. The floor of a call is one RSA-2048
//! signature plus one verification at the rates `openssl speed -seconds 3
//! rsa2048` reports in the same run (run before and after the measurements;
//! the mean is used); each figure is printed as a ratio to it, and to one
//! sign + one verify of the same shapes with the compiled-in backend.
//!
//! **Sandbox under load.** Then `--tasks` tasks make `--calls` list-stocks
//! calls and send coupons from one stock (the state's write path) while a
//! probe measures how long the sandbox takes to answer a get-product-coupon,
//! idle and under each load: the sandbox's responsiveness.
//!
//! The sandbox runs on its own runtime whose threads are named `sandbox`, the
//! probe on one named `probe`; the client's CPU is the on-CPU time (from
//! `/proc/self/task/*/schedstat`) of every other thread of the process, so the
//! sandbox's own signing and verification is not charged to the client.
//!
//! **Profiling.** `--profile OP --calls N` runs N calls of OP (`patch`, `get`,
//! `list`) on a current-thread runtime inside `profiled_calls`, then N sign +
//! verify of the same shapes inside `profiled_crypto`, for an instruction
//! profile of one call (see `docs/benchmarks.md`):
//!
//! ```sh
//! valgrind --tool=callgrind --separate-threads=yes --collect-atstart=no \
//!     --toggle-collect='*profiled_calls*' --toggle-collect='*profiled_crypto*' \
//!     target/release/deps/load-… --profile patch --calls 50
//! ```

use std::collections::HashMap;
use std::error::Error;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use coupon_client::coupon_http::RetryPolicy;
use coupon_client::coupon_model::common::NormalCouponUsageRule;
use coupon_client::coupon_model::product_coupon::{
    CreateProductCouponBody, CreateProductCouponRequest, GetProductCouponRequest,
    ProductCouponDisplayInfo, ProductCouponScope, ProductCouponType, SingleUsageInfo,
    UpdateProductCouponBody, UpdateProductCouponRequest,
};
use coupon_client::coupon_model::stock::{ListStocksRequest, StockSendRule};
use coupon_client::coupon_model::user_coupon::{
    SendUserProductCouponBody, SendUserProductCouponRequest,
};
use coupon_client::wxpay_sign::{ResponseSigner, SignableRequest, SignatureHeaders, Signer};
use coupon_client::{BrandClient, PartnerClient};
use coupon_e2e::{Sandbox, brand_client, partner_client, seed, valid_stock};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

const BACKEND: &str = if cfg!(feature = "aws-lc") {
    "aws-lc"
} else {
    "ring"
};

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
    match arg_text(name)? {
        Some(value) => Ok(value.parse()?),
        None => Ok(default),
    }
}

fn arg_text(name: &str) -> Result<Option<String>> {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == name) {
        Some(i) => Ok(Some(
            args.get(i + 1)
                .ok_or(format!("{name} needs a value"))?
                .clone(),
        )),
        None => Ok(None),
    }
}

/// The operations whose per-call CPU is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    /// Partner `PATCH …/product-coupons/{id}`: a small body and answer.
    Patch,
    /// Brand `GET …/product-coupons/{id}`: no body, a small answer.
    Get,
    /// Brand `GET …/product-coupons/{id}/stocks?page_size=20`: a ~30 KB answer.
    List,
}

impl Op {
    const ALL: [Op; 3] = [Op::Patch, Op::Get, Op::List];

    fn label(self) -> &'static str {
        match self {
            Op::Patch => "update-product-coupon (partner PATCH)",
            Op::Get => "get-product-coupon (brand GET)",
            Op::List => "list-stocks, 20 stocks (brand GET)",
        }
    }

    fn parse(text: &str) -> Result<Self> {
        match text {
            "patch" => Ok(Op::Patch),
            "get" => Ok(Op::Get),
            "list" => Ok(Op::List),
            other => Err(format!("unknown operation {other:?}: patch, get or list").into()),
        }
    }
}

/// One prepared request (built before the measured calls).
#[derive(Clone)]
enum OpRequest {
    Patch(UpdateProductCouponRequest),
    Get(GetProductCouponRequest),
    List(ListStocksRequest),
}

/// What one call of an operation signs and verifies.
struct Shape {
    signer: Signer,
    method: &'static str,
    path: String,
    body: Vec<u8>,
    /// The answer, re-serialised (the length on the wire, give or take
    /// whitespace), and its signature headers.
    answer: Vec<u8>,
    headers: SignatureHeaders,
}

#[derive(Clone)]
struct Clients {
    brand: BrandClient,
    partner: PartnerClient,
    brand_id: String,
}

impl Clients {
    fn request(&self, op: Op, tag: &str) -> OpRequest {
        match op {
            Op::Patch => OpRequest::Patch(UpdateProductCouponRequest::new(
                seed::PRODUCT_COUPON_ID,
                UpdateProductCouponBody::new(
                    tag,
                    ProductCouponDisplayInfo::new(
                        "压测满减券",
                        "https://wxpaylogo.qpic.cn/wxpaylogo/load/2",
                    ),
                )
                .with_brand_id(self.brand_id.as_str()),
            )),
            Op::Get => OpRequest::Get(GetProductCouponRequest::new(seed::PRODUCT_COUPON_ID)),
            Op::List => {
                OpRequest::List(ListStocksRequest::new(seed::PRODUCT_COUPON_ID).with_page_size(20))
            }
        }
    }

    /// Sends `request`; the verified, parsed answer is dropped.
    async fn send(&self, request: &OpRequest) -> std::result::Result<(), coupon_client::Error> {
        match request {
            OpRequest::Patch(r) => drop(self.partner.call(r).await?),
            OpRequest::Get(r) => drop(self.brand.call(r).await?),
            OpRequest::List(r) => drop(self.brand.call(r).await?),
        }
        Ok(())
    }

    /// The shapes one call of `op` signs and verifies (one call is made to
    /// get the answer).
    async fn shape(&self, sandbox: &Sandbox, op: Op) -> Result<Shape> {
        let creds = sandbox.credentials();
        let pc = seed::PRODUCT_COUPON_ID;
        let request = self.request(op, "load_shape_0001");
        let (signer, method, path, body, answer) = match &request {
            OpRequest::Patch(r) => (
                creds.merchant_signer(),
                "PATCH",
                format!("/v3/marketing/partner/product-coupon/product-coupons/{pc}"),
                serde_json::to_vec(&r.body)?,
                serde_json::to_vec(&self.partner.call(r).await?)?,
            ),
            OpRequest::Get(r) => (
                creds.brand_signer(),
                "GET",
                format!("/brand/marketing/product-coupon/product-coupons/{pc}"),
                Vec::new(),
                serde_json::to_vec(&self.brand.call(r).await?)?,
            ),
            OpRequest::List(r) => (
                creds.brand_signer(),
                "GET",
                format!("/brand/marketing/product-coupon/product-coupons/{pc}/stocks?page_size=20"),
                Vec::new(),
                serde_json::to_vec(&self.brand.call(r).await?)?,
            ),
        };
        let responder = ResponseSigner::new(
            &creds.wechatpay_public_key_id,
            creds.wechatpay_private_key.clone(),
        );
        let headers = responder.sign_now(&answer)?;
        Ok(Shape {
            signer,
            method,
            path,
            body,
            answer,
            headers,
        })
    }
}

/// One sign + one verify of `shape` with the backend, `rounds` times.
#[inline(never)]
fn sign_and_verify(sandbox: &Sandbox, shape: &Shape, rounds: usize) -> Result<()> {
    let verifier = sandbox.verifier()?;
    for _ in 0..rounds {
        let request = SignableRequest::new(shape.method, &shape.path, &shape.body);
        let auth = shape.signer.sign_now(&request)?;
        std::hint::black_box(auth);
        verifier.verify(&shape.headers, &shape.answer)?;
    }
    Ok(())
}

/// CPU nanoseconds of one sign + one verify of `shape` (this thread).
fn backend_ns(sandbox: &Sandbox, shape: &Shape, rounds: usize) -> Result<f64> {
    sign_and_verify(sandbox, shape, 5)?;
    let cpu0 = current_thread_cpu_ns()?;
    sign_and_verify(sandbox, shape, rounds)?;
    Ok((current_thread_cpu_ns()? - cpu0) as f64 / rounds as f64)
}

/// RSA-2048 sign/s and verify/s (CPU time) from `openssl speed`.
#[derive(Clone, Copy)]
struct OpensslRates {
    sign: f64,
    verify: f64,
}

impl OpensslRates {
    /// Nanoseconds of one sign plus one verify.
    fn floor_ns(self) -> f64 {
        1e9 / self.sign + 1e9 / self.verify
    }
}

/// Runs `openssl speed -seconds N rsa2048` and reads its
/// `rsa 2048 bits <s> <s> <sign/s> <verify/s>` line.
fn openssl_speed(seconds: usize) -> Result<OpensslRates> {
    let out = Command::new("openssl")
        .args(["speed", "-seconds", &seconds.to_string(), "rsa2048"])
        .output()
        .map_err(|e| format!("cannot run `openssl speed` (is openssl installed?): {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("rsa 2048 bits") || l.starts_with("rsa  2048 bits"))
        .ok_or_else(|| format!("no `rsa 2048 bits` line in openssl's output:\n{text}"))?;
    let numbers: Vec<f64> = line
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    match numbers[..] {
        [.., sign, verify] => Ok(OpensslRates { sign, verify }),
        _ => Err(format!("cannot read {line:?}").into()),
    }
}

fn openssl_version() -> String {
    Command::new("openssl")
        .arg("version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|e| format!("openssl: {e}"))
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn cpu_model() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_default();
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{model} ({cpus} cpus)")
}

/// One measured batch.
struct Measurement {
    op: Op,
    tasks: usize,
    calls: usize,
    wall: Duration,
    client_ns_per_call: f64,
}

/// Makes `calls` calls of `op` from `tasks` concurrent tasks on `rt` and
/// measures the client's CPU (every thread but the sandbox's and the probe's).
fn measure(
    rt: &tokio::runtime::Runtime,
    clients: &Clients,
    op: Op,
    tasks: usize,
    calls: usize,
    batch: &mut u32,
) -> Result<Measurement> {
    *batch += 1;
    let per_task = (calls / tasks).max(1);
    let mut prepare = |count: usize| -> Vec<Vec<OpRequest>> {
        *batch += 1;
        (0..tasks)
            .map(|t| {
                (0..count)
                    .map(|n| clients.request(op, &format!("load_{batch:03}_{t:02}_{n:06}")))
                    .collect()
            })
            .collect()
    };
    // Warm-up: one connection per task in the pool, caches.
    let warm = prepare(5);
    let measured = prepare(per_task);
    let run = |batches: Vec<Vec<OpRequest>>| {
        rt.block_on(async {
            let mut handles = Vec::with_capacity(tasks);
            for requests in batches {
                let clients = clients.clone();
                handles.push(tokio::spawn(async move {
                    for request in &requests {
                        clients.send(request).await?;
                    }
                    Ok::<_, coupon_client::Error>(())
                }));
            }
            for handle in handles {
                handle.await??;
            }
            Ok::<_, Box<dyn Error>>(())
        })
    };
    run(warm)?;
    let before = thread_cpu()?;
    let started = Instant::now();
    run(measured)?;
    let wall = started.elapsed();
    let after = thread_cpu()?;
    Ok(Measurement {
        op,
        tasks,
        calls: per_task * tasks,
        wall,
        client_ns_per_call: client_cpu_between(&before, &after) as f64 / (per_task * tasks) as f64,
    })
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

/// `--profile OP`: `calls` calls of `op` inside [`profiled_calls`], then as
/// many sign + verify of the same shapes inside [`profiled_crypto`], the
/// client on a current-thread runtime on this thread (so an instruction
/// profile of this thread holds the whole client: hyper's connection tasks
/// and the timers run here too).
fn profile(op: Op, calls: usize) -> Result<()> {
    let sandbox_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("sandbox")
        .enable_all()
        .build()?;
    let sandbox = sandbox_rt.block_on(Sandbox::start())?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let clients = rt.block_on(async {
        Clients {
            brand: brand_client(&sandbox, RetryPolicy::no_retry()),
            partner: partner_client(&sandbox, RetryPolicy::no_retry()),
            brand_id: sandbox.credentials().brand_id.clone(),
        }
    });
    let shape = rt.block_on(clients.shape(&sandbox, op))?;
    let requests: Vec<OpRequest> = (0..calls + 20)
        .map(|n| clients.request(op, &format!("profile_{n:08}")))
        .collect();
    let (warm, measured) = requests.split_at(20);
    rt.block_on(async {
        for request in warm {
            clients.send(request).await?;
        }
        Ok::<_, coupon_client::Error>(())
    })?;
    sign_and_verify(&sandbox, &shape, 5)?;
    profiled_calls(&rt, &clients, measured)?;
    profiled_crypto(&sandbox, &shape, calls)?;
    println!(
        "profiled {calls} calls of {} and {calls} sign + verify ({BACKEND})",
        op.label()
    );
    drop(clients);
    sandbox_rt.block_on(sandbox.shutdown());
    Ok(())
}

#[inline(never)]
fn profiled_calls(
    rt: &tokio::runtime::Runtime,
    clients: &Clients,
    requests: &[OpRequest],
) -> Result<()> {
    rt.block_on(async {
        for request in requests {
            clients.send(request).await?;
        }
        Ok::<_, coupon_client::Error>(())
    })?;
    Ok(())
}

#[inline(never)]
fn profiled_crypto(sandbox: &Sandbox, shape: &Shape, rounds: usize) -> Result<()> {
    sign_and_verify(sandbox, shape, rounds)
}

fn main() -> Result<()> {
    if let Some(op) = arg_text("--profile")? {
        return profile(Op::parse(&op)?, arg("--calls", 50)?.max(1));
    }
    let tasks = arg("--tasks", 16)?.max(1);
    let calls = arg("--calls", 3000)?.max(tasks);
    let op_calls = arg("--op-calls", 600)?.max(tasks);
    let openssl_seconds = arg("--openssl-seconds", 3)?.max(1);
    let per_task = calls / tasks;
    let calls = per_task * tasks;

    let sandbox_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("sandbox")
        .enable_all()
        .build()?;
    let sandbox = sandbox_rt.block_on(Sandbox::start())?;

    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("client")
        .enable_all()
        .build()?;
    let clients = client_rt.block_on(async {
        Clients {
            brand: brand_client(&sandbox, RetryPolicy::no_retry()),
            partner: partner_client(&sandbox, RetryPolicy::no_retry()),
            brand_id: sandbox.credentials().brand_id.clone(),
        }
    });
    let client = clients.brand.clone();
    println!(
        "backend {BACKEND} · {} · {} · load average {}",
        openssl_version(),
        cpu_model(),
        load_average()
    );

    // Per-call CPU against the floor.
    let openssl_before = openssl_speed(openssl_seconds)?;
    let mut batch = 0;
    let mut rows = Vec::new();
    for op in Op::ALL {
        let shape = client_rt.block_on(clients.shape(&sandbox, op))?;
        let backend = backend_ns(&sandbox, &shape, 200)?;
        for t in [1, tasks] {
            let m = measure(&client_rt, &clients, op, t, op_calls, &mut batch)?;
            rows.push((m, backend, shape.answer.len()));
        }
    }
    let openssl_after = openssl_speed(openssl_seconds)?;
    let floor = (openssl_before.floor_ns() + openssl_after.floor_ns()) / 2.0;
    println!(
        "floor: one RSA-2048 sign + one verify at `openssl speed -seconds {openssl_seconds} rsa2048` rates \
         (before / after the calls): sign {:.1} / {:.1} /s, verify {:.0} / {:.0} /s → {:.1} µs",
        openssl_before.sign,
        openssl_after.sign,
        openssl_before.verify,
        openssl_after.verify,
        floor / 1e3
    );
    println!(
        "{:<38} {:>5} {:>6} {:>9} {:>13} {:>13} {:>7} {:>9}",
        "operation",
        "tasks",
        "calls",
        "calls/s",
        "client µs/call",
        "backend s+v µs",
        "× floor",
        "× backend"
    );
    for (m, backend, answer_len) in &rows {
        println!(
            "{:<38} {:>5} {:>6} {:>9.0} {:>14.1} {:>14.1} {:>7.3} {:>9.3}   ({answer_len} B answer)",
            m.op.label(),
            m.tasks,
            m.calls,
            m.calls as f64 / m.wall.as_secs_f64(),
            m.client_ns_per_call / 1e3,
            backend / 1e3,
            m.client_ns_per_call / floor,
            m.client_ns_per_call / backend,
        );
    }
    println!(
        "goal: ≤ 1.35 × floor with aws-lc (issue 11), 1 and {tasks} tasks · load average {}",
        load_average()
    );

    // The sandbox under load: list-stocks, then sends, with a probe.
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

    println!(
        "load: {tasks} tasks, {calls} list-stocks calls (page_size 20) against the in-process sandbox, \
         with a probe"
    );
    println!("  wall time            {:>10.3} s", wall.as_secs_f64());
    println!(
        "  throughput           {:>10.0} calls/s",
        calls as f64 / wall.as_secs_f64()
    );
    println!(
        "  client CPU per call  {:>10.1} µs ({:.3} × floor)",
        client_ns_per_call / 1e3,
        client_ns_per_call / floor
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
    drop(clients);
    drop(probe_client);
    client_rt.shutdown_background();
    probe_rt.shutdown_background();
    sandbox_rt.block_on(sandbox.shutdown());
    Ok(())
}
