//! `bench [NAME]`: how many calls per second, and how much client CPU per
//! call, one operation takes against a base URL (the sandbox, or a staging
//! host), so integrators can size their services.
//!
//! The request is built as `call NAME` builds it (`--param`, `--query`,
//! `--body`, `--file`, `--partner`, `--no-validate`), once, and sent
//! `--calls` times one after another (sequential), then `--calls` times
//! from `--concurrency` tasks at once (concurrent). Every call is signed
//! afresh and its answer verified and parsed, as in a service. Without
//! NAME the operation is get-stock (a read) of the sandbox's seeded stock.
//!
//! Without `--base-url` (`WXPAY_BASE_URL`) the sandbox is started in this
//! process, on its own runtime whose threads are named `sandbox`, with fresh
//! credentials (the configured identities are not used). The client CPU is
//! the on-CPU time of every other thread of the process, from Linux
//! `/proc/self/task/*/schedstat` (nanoseconds): the runtime's workers and
//! blocking threads included, the embedded sandbox's own signing and
//! verification excluded. Against an external base URL the server is
//! another process and every thread counts. A JSON report goes to stdout:
//! calls/s, client CPU per call, latency percentiles and the errors counted
//! (the first one quoted).
//!
//! Hosts: loopback hosts are benchmarked freely; any other host only when
//! named with `--allow-host`; WeChat Pay's production hosts only with
//! `--production` (a benchmark must not hammer WeChat Pay).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use coupon_model::operation::{Operation, OperationVisitor, Side};
use coupon_sandbox::{Sandbox, seed};
use serde::Serialize;

use crate::commands::call::{
    CallArgs, SideClient, build_request, key_value, side_client, side_client_with,
};
use crate::config::{AnySideConfig, HostArgs};
use crate::error::CliError;
use crate::output::{note, print_json};

/// WeChat Pay's production API hosts (primary and backup).
const PRODUCTION_HOSTS: [&str; 2] = ["api.mch.weixin.qq.com", "api2.mch.weixin.qq.com"];

/// The operation benchmarked when none is named: a read.
const DEFAULT_OPERATION: &str = "get-stock";

/// Name prefix of the embedded sandbox's threads (excluded from the client
/// CPU).
const SANDBOX_THREADS: &str = "sandbox";

/// Arguments of `bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The operation (see `wxpay-coupon operations`) [default: get-stock of
    /// the sandbox's seeded stock, a read]. Prefer reads or idempotent
    /// writes: every call is real.
    #[arg(value_name = "NAME")]
    name: Option<String>,

    /// Call as the service provider (merchant scheme, /v3/… paths) instead of
    /// the brand.
    #[arg(long)]
    partner: bool,

    /// A path placeholder, e.g. --param product_coupon_id=1000000013.
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = key_value)]
    params: Vec<(String, String)>,

    /// A query parameter, e.g. --query page_size=10.
    #[arg(long = "query", value_name = "KEY=VALUE", value_parser = key_value)]
    query: Vec<(String, String)>,

    /// The JSON request body exactly as on the wire (`-` reads stdin), sent
    /// unchanged on every call: a write's idempotency key
    /// (`out_request_no`, …) repeats, so WeChat Pay answers the repeats
    /// with the first result.
    #[arg(long, value_name = "FILE|-")]
    body: Option<std::path::PathBuf>,

    /// The image to upload (upload-image only).
    #[arg(long, value_name = "PATH")]
    file: Option<std::path::PathBuf>,

    /// Send without checking the documented rules first.
    #[arg(long)]
    no_validate: bool,

    /// Calls of each run (the sequential one, then the concurrent one); a
    /// few hundred give a steady figure.
    #[arg(long, value_name = "N", default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    calls: u32,

    /// Calls in flight at once in the concurrent run.
    #[arg(long, value_name = "C", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1024))]
    concurrency: u32,

    /// A host other than loopback that may be benchmarked (a staging host),
    /// e.g. --allow-host staging.example.com; repeatable.
    #[arg(long = "allow-host", value_name = "HOST")]
    allow_hosts: Vec<String>,

    /// Allow WeChat Pay's production hosts (api.mch.weixin.qq.com,
    /// api2.mch.weixin.qq.com) given as --base-url / --backup-base-url.
    /// Every call is a real, signed call counted against the merchant;
    /// benchmark the sandbox or a staging host instead.
    #[arg(long)]
    production: bool,

    #[command(flatten)]
    config: AnySideConfig,
}

/// `bench [NAME] …`.
pub(crate) async fn bench(args: BenchArgs) -> Result<(), CliError> {
    let external = args.config.hosts.base_url.is_some();
    if external {
        let production = check_hosts(&args.config.hosts, &args.allow_hosts, args.production)?;
        if !production.is_empty() {
            note(format!(
                "warning: benchmarking WeChat Pay's production API ({}): {} real, signed calls \
                 counted against your merchant account",
                production.join(", "),
                u64::from(args.calls) * 2 + u64::from(args.concurrency.min(args.calls))
            ));
        }
    } else if args.config.hosts.backup_base_url.is_some() {
        return Err(CliError::Config(
            "bench: --backup-base-url (WXPAY_BACKUP_BASE_URL) needs --base-url too; \
             without --base-url the sandbox is started in this process"
                .to_owned(),
        ));
    }
    let BenchArgs {
        name,
        partner,
        mut params,
        query,
        body,
        file,
        no_validate,
        calls,
        concurrency,
        allow_hosts: _,
        production: _,
        config,
    } = args;
    let name = name.unwrap_or_else(|| {
        if params.is_empty() {
            params = vec![
                (
                    "product_coupon_id".to_owned(),
                    seed::PRODUCT_COUPON_ID.to_owned(),
                ),
                (
                    "stock_id".to_owned(),
                    format!("{}001", seed::PRODUCT_COUPON_ID),
                ),
            ];
        }
        DEFAULT_OPERATION.to_owned()
    });
    let call_args = CallArgs {
        name,
        partner,
        params,
        query,
        body,
        file,
        no_validate,
        repeat: 1,
        config,
    };
    // The embedded sandbox (when there is one) lives until the end of the
    // runs; its runtime is shut down without waiting.
    let mut embedded = None;
    let (spec, client, base_url) = if let Some(base_url) = call_args.config.hosts.base_url.clone() {
        let (spec, client) = side_client(&call_args, "bench")?;
        (spec, client, base_url)
    } else {
        let server = Embedded::start().await?;
        let base_url = server.sandbox.base_url();
        let (spec, client) =
            side_client_with(&call_args, |side| sandbox_client(&server.sandbox, side))?;
        embedded = Some(server);
        (spec, client, base_url)
    };
    let cpu = CpuMeter {
        exclude_sandbox: embedded.is_some(),
    };
    let plan = Plan {
        calls: calls as usize,
        concurrency: concurrency.min(calls) as usize,
    };
    let visit = BenchOne {
        args: &call_args,
        client,
        plan,
        cpu,
    };
    let outcome = coupon_model::operation::visit_operation(spec.name, visit)
        .ok_or_else(|| CliError::Input(format!("operation {} has no request type", spec.name)))?
        .await;
    if let Some(server) = embedded.take() {
        server.stop();
    }
    let (sequential, concurrent, first_error) = outcome?;
    let report = Report {
        operation: spec.name,
        side: if call_args.partner {
            "partner"
        } else {
            "brand"
        },
        base_url,
        server: if external {
            "external (another process: its CPU is not counted)"
        } else {
            "embedded sandbox (in this process, fresh credentials; its threads are not counted)"
        },
        cpu_time: cpu.source(),
        sequential,
        concurrent,
        first_error: first_error.as_ref().map(ToString::to_string),
    };
    print_json(&report)?;
    for run in [&report.sequential, &report.concurrent] {
        note(format!(
            "{} at once: {:.0} calls/s, client CPU {} per call, latency p50 {:.2} ms, p99 {:.2} ms, {} errors",
            run.concurrency,
            run.calls_per_s,
            run.client_cpu_ms_per_call
                .map_or_else(|| "unknown".to_owned(), |ms| format!("{ms:.3} ms")),
            run.latency_ms.p50,
            run.latency_ms.p99,
            run.errors
        ));
    }
    match first_error {
        Some(error) if report.sequential.ok + report.concurrent.ok == 0 => Err(error),
        _ => Ok(()),
    }
}

/// Refuses the hosts a benchmark must not hit: WeChat Pay's production
/// hosts without `production`, and any other host that is neither loopback
/// nor in `allowed`. Returns the production hosts allowed.
fn check_hosts(
    hosts: &HostArgs,
    allowed: &[String],
    production: bool,
) -> Result<Vec<String>, CliError> {
    let urls = hosts
        .base_url
        .iter()
        .chain(hosts.backup_base_url.iter())
        .map(String::as_str);
    let allowed: Vec<String> = allowed.iter().map(|h| normalize_host(h)).collect();
    let mut production_hosts = Vec::new();
    let mut unlisted = None;
    for url in urls {
        let Some(host) = host_of(url) else {
            return Err(CliError::Config(format!(
                "bench: cannot read the host of {url:?} (--base-url / --backup-base-url)"
            )));
        };
        if PRODUCTION_HOSTS.contains(&host.as_str()) {
            production_hosts.push(host);
        } else if !is_loopback(&host) && !allowed.contains(&host) {
            unlisted.get_or_insert(host);
        }
    }
    production_hosts.sort();
    production_hosts.dedup();
    if !production_hosts.is_empty() && !production {
        return Err(CliError::Config(format!(
            "bench refuses WeChat Pay's production API ({}): benchmarks must not hammer \
             WeChat Pay; leave out --base-url to benchmark the sandbox started in this \
             process, point --base-url (WXPAY_BASE_URL) at a running sandbox \
             (`wxpay-coupon sandbox`) or a staging host, or add --production if you \
             really mean it",
            production_hosts.join(", ")
        )));
    }
    if let Some(host) = unlisted {
        return Err(CliError::Config(format!(
            "bench refuses {host}: only loopback hosts are benchmarked unless named; \
             add --allow-host {host} if it is your staging host"
        )));
    }
    Ok(production_hosts)
}

/// The host of a URL, normalized (see [`normalize_host`]); `None` when it
/// does not parse.
fn host_of(url: &str) -> Option<String> {
    let uri: http::Uri = url.trim().parse().ok()?;
    Some(normalize_host(uri.host()?))
}

/// Lowercase, without a trailing dot or IPv6 brackets.
fn normalize_host(host: &str) -> String {
    host.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

/// `localhost` or a loopback address.
fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host.ends_with(".localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The sandbox started in this process, on its own runtime (threads named
/// [`SANDBOX_THREADS`]).
struct Embedded {
    runtime: tokio::runtime::Runtime,
    sandbox: Sandbox,
}

impl Embedded {
    async fn start() -> Result<Self, CliError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .thread_name(SANDBOX_THREADS)
            .enable_all()
            .build()
            .map_err(|e| CliError::Config(format!("cannot start the sandbox's runtime: {e}")))?;
        let sandbox = runtime
            .spawn(Sandbox::start())
            .await
            .map_err(|e| CliError::Config(format!("the sandbox did not start: {e}")))??;
        Ok(Self { runtime, sandbox })
    }

    /// Stops the sandbox and its runtime (without blocking this one).
    fn stop(self) {
        drop(self.sandbox);
        self.runtime.shutdown_background();
    }
}

/// A client of `side` for the embedded sandbox, from its credentials.
fn sandbox_client(sandbox: &Sandbox, side: Side) -> Result<SideClient, CliError> {
    Ok(match side {
        Side::Brand => SideClient::Brand(super::sandbox::brand_client_of(sandbox)?),
        Side::Partner => SideClient::Partner(super::sandbox::partner_client_of(sandbox)?),
    })
}

/// How many calls, how many at once.
#[derive(Clone, Copy)]
struct Plan {
    calls: usize,
    concurrency: usize,
}

/// Builds the request of the visited operation and runs both passes.
struct BenchOne<'a> {
    args: &'a CallArgs,
    client: SideClient,
    plan: Plan,
    cpu: CpuMeter,
}

type Outcome = (Run, Run, Option<CliError>);
type BenchFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Outcome, CliError>> + 'a>>;

impl<'a> OperationVisitor for BenchOne<'a> {
    type Output = BenchFuture<'a>;

    fn visit<O: Operation>(self) -> BenchFuture<'a> {
        Box::pin(async move {
            let request = Arc::new(build_request::<O>(self.args)?);
            let client = self.client;
            let (plan, cpu) = (self.plan, self.cpu);
            // Warm-up, not counted: keys (a certificate download), a
            // connection per concurrent task.
            let warm = pass::<O>(&client, &request, plan.concurrency, plan.concurrency, cpu).await;
            let sequential = pass::<O>(&client, &request, plan.calls, 1, cpu).await;
            let concurrent = pass::<O>(&client, &request, plan.calls, plan.concurrency, cpu).await;
            let first_error = warm
                .first_error
                .or(sequential.first_error)
                .or(concurrent.first_error);
            Ok((sequential.run, concurrent.run, first_error))
        })
    }
}

/// What one pass measured.
struct Pass {
    run: Run,
    first_error: Option<CliError>,
}

/// The figures of one run (the JSON report's `sequential` / `concurrent`).
#[derive(Serialize)]
struct Run {
    concurrency: usize,
    calls: usize,
    ok: usize,
    errors: usize,
    wall_ms: f64,
    calls_per_s: f64,
    /// Client CPU time per call; `null` where `/proc/self/task` is missing.
    client_cpu_ms_per_call: Option<f64>,
    latency_ms: Latency,
}

#[derive(Serialize)]
struct Latency {
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
}

/// `calls` calls from `tasks` tasks (the calls shared out evenly).
async fn pass<O: Operation>(
    client: &SideClient,
    request: &Arc<O>,
    calls: usize,
    tasks: usize,
    meter: CpuMeter,
) -> Pass {
    let cpu_before = meter.snapshot();
    let started = Instant::now();
    let mut handles = Vec::with_capacity(tasks);
    for task in 0..tasks {
        let share = calls / tasks + usize::from(task < calls % tasks);
        let client = client.clone();
        let request = Arc::clone(request);
        handles.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(share);
            let mut errors = 0;
            let mut first_error = None;
            for _ in 0..share {
                let sent = Instant::now();
                let outcome = match &client {
                    SideClient::Brand(c) => c.call_any(&*request).await.map(drop),
                    SideClient::Partner(c) => c.call_any(&*request).await.map(drop),
                };
                match outcome {
                    Ok(()) => latencies.push(sent.elapsed()),
                    Err(e) => {
                        errors += 1;
                        first_error.get_or_insert(e);
                    }
                }
            }
            (latencies, errors, first_error)
        }));
    }
    let mut latencies = Vec::with_capacity(calls);
    let mut errors = 0;
    let mut first_error = None;
    for handle in handles {
        match handle.await {
            Ok((l, e, first)) => {
                latencies.extend(l);
                errors += e;
                if let Some(first) = first {
                    first_error.get_or_insert(CliError::Client(first));
                }
            }
            Err(join) => {
                errors += 1;
                first_error
                    .get_or_insert(CliError::Config(format!("a benchmark task failed: {join}")));
            }
        }
    }
    let wall = started.elapsed();
    let cpu_ns = cpu_before
        .zip(meter.snapshot())
        .map(|(before, after)| meter.client_ns_between(&before, &after));
    Pass {
        run: Run {
            concurrency: tasks,
            calls,
            ok: latencies.len(),
            errors,
            wall_ms: millis(wall),
            calls_per_s: calls as f64 / wall.as_secs_f64().max(1e-9),
            client_cpu_ms_per_call: cpu_ns.map(|ns| ns as f64 / 1e6 / calls.max(1) as f64),
            latency_ms: latency(latencies),
        },
        first_error,
    }
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Percentiles of the successful calls' latencies (0 when none succeeded).
fn latency(mut samples: Vec<Duration>) -> Latency {
    samples.sort_unstable();
    let at = |q: f64| {
        let last = samples.len().saturating_sub(1);
        samples
            .get(((last as f64) * q).round() as usize)
            .map_or(0.0, |d| millis(*d))
    };
    Latency {
        p50: at(0.5),
        p90: at(0.9),
        p99: at(0.99),
        max: at(1.0),
    }
}

/// On-CPU time of this process's threads: the client's (every thread but
/// the embedded sandbox's, when it is excluded).
#[derive(Clone, Copy)]
struct CpuMeter {
    exclude_sandbox: bool,
}

/// Per thread id: the thread's name and its on-CPU nanoseconds so far.
type ThreadTimes = HashMap<String, (String, u64)>;

impl CpuMeter {
    /// Where the CPU figures come from.
    fn source(self) -> &'static str {
        match (self.snapshot().is_some(), self.exclude_sandbox) {
            (false, _) => "unavailable on this system (needs Linux /proc/self/task/*/schedstat)",
            (true, true) => {
                "on-CPU time of this process's threads (Linux /proc/self/task/*/schedstat, ns): \
                 the client runtime's workers and blocking threads, not the embedded \
                 sandbox's threads"
            }
            (true, false) => {
                "on-CPU time of all this process's threads (Linux /proc/self/task/*/schedstat, \
                 ns): the client runtime's workers and blocking threads"
            }
        }
    }

    /// Every live thread's on-CPU time (Linux).
    fn snapshot(self) -> Option<ThreadTimes> {
        let mut out = HashMap::new();
        for entry in std::fs::read_dir("/proc/self/task").ok()? {
            let Ok(entry) = entry else { continue };
            let dir = entry.path();
            let tid = entry.file_name().to_string_lossy().into_owned();
            // A thread that ended meanwhile is skipped.
            let (Ok(comm), Ok(sched)) = (
                std::fs::read_to_string(dir.join("comm")),
                std::fs::read_to_string(dir.join("schedstat")),
            ) else {
                continue;
            };
            let ns = sched.split_whitespace().next()?.parse().ok()?;
            out.insert(tid, (comm.trim().to_owned(), ns));
        }
        (!out.is_empty()).then_some(out)
    }

    /// The client's on-CPU nanoseconds between two snapshots.
    fn client_ns_between(self, before: &ThreadTimes, after: &ThreadTimes) -> u64 {
        after
            .iter()
            .filter(|(_, (name, _))| !(self.exclude_sandbox && name.starts_with(SANDBOX_THREADS)))
            .map(|(tid, (_, ns))| ns.saturating_sub(before.get(tid).map_or(0, |(_, b)| *b)))
            .sum()
    }
}

/// The JSON report.
#[derive(Serialize)]
struct Report {
    operation: &'static str,
    side: &'static str,
    base_url: String,
    server: &'static str,
    cpu_time: &'static str,
    sequential: Run,
    concurrent: Run,
    first_error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_read_case_insensitively_with_a_trailing_dot() {
        assert_eq!(
            host_of("https://API.mch.weixin.qq.com.").as_deref(),
            Some("api.mch.weixin.qq.com")
        );
        assert_eq!(
            host_of("https://api2.mch.weixin.qq.com:443").as_deref(),
            Some("api2.mch.weixin.qq.com")
        );
        assert_eq!(
            host_of("http://127.0.0.1:8080").as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(host_of("not a url"), None);
    }

    #[test]
    fn the_threads_cpu_time_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            let meter = CpuMeter {
                exclude_sandbox: true,
            };
            let before = meter.snapshot().unwrap();
            let mut x = 0u64;
            for i in 0..100_000u64 {
                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
            }
            let after = meter.snapshot().unwrap();
            // Never negative; the same snapshot twice is zero.
            assert_eq!(meter.client_ns_between(&after, &after), 0);
            assert!(meter.client_ns_between(&before, &after) < 1_000_000_000_000);
        }
    }

    fn hosts(base: &str, backup: Option<&str>) -> HostArgs {
        HostArgs {
            base_url: Some(base.to_owned()),
            backup_base_url: backup.map(str::to_owned),
        }
    }

    #[test]
    fn loopback_is_benchmarked_other_hosts_only_when_allowed() {
        for url in [
            "http://127.0.0.1:8080",
            "http://localhost:1",
            "http://[::1]:9",
            "http://127.0.0.2",
        ] {
            assert_eq!(
                check_hosts(&hosts(url, None), &[], false).unwrap(),
                Vec::<String>::new()
            );
        }
        let staging = hosts("https://staging.example.com", None);
        let err = check_hosts(&staging, &[], false).unwrap_err().to_string();
        assert!(err.contains("--allow-host staging.example.com"), "{err}");
        check_hosts(&staging, &["Staging.Example.com.".to_owned()], false).unwrap();
        // A production backup is refused even when the primary is allowed.
        let err = check_hosts(
            &hosts("http://127.0.0.1:1", Some("https://api2.mch.weixin.qq.com")),
            &[],
            false,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("must not hammer"), "{err}");
        assert_eq!(
            check_hosts(&hosts("https://API.mch.weixin.qq.com.", None), &[], true).unwrap(),
            vec!["api.mch.weixin.qq.com".to_owned()]
        );
        assert!(check_hosts(&hosts("not a url", None), &[], true).is_err());
    }

    #[test]
    fn latencies_of_no_call_are_zero() {
        let l = latency(Vec::new());
        assert_eq!((l.p50, l.max), (0.0, 0.0));
        let l = latency((1..=100).map(Duration::from_millis).collect());
        assert_eq!((l.p50, l.p99, l.max), (51.0, 99.0, 100.0));
    }
}
