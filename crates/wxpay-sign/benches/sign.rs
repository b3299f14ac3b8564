//! Criterion benchmarks: request signing, response verification, webhook decryption.
//!
//! Run, per backend:
//!
//! ```sh
//! cargo bench -p wxpay-sign --bench sign -- --warm-up-time 1 --measurement-time 3
//! cargo bench -p wxpay-sign --bench sign --no-default-features --features aws-lc -- \
//!     --warm-up-time 1 --measurement-time 3
//! ```
//!
//! `sh crates/wxpay-sign/benches/compare_openssl.sh` runs both backends beside
//! `openssl speed -seconds 3 rsa2048` and prints the ratios (see
//! docs/benchmarks.md).
//!
//! Every benchmark runs twice: `wall/…` measures wall-clock time (criterion's
//! default) and `cpu/…` measures the benchmark thread's CPU time
//! (`CLOCK_THREAD_CPUTIME_ID`). `openssl speed` divides by CPU time unless
//! given `-elapsed`, so on a shared, busy machine `cpu/…` is the like-for-like
//! comparison.

use std::hint::black_box;
use std::sync::Arc;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use wxpay_sign::{
    AEAD_AES_256_GCM, ApiV3Key, ManualClock, PrivateKey, ResponseSigner, SignableRequest, Signer,
    Verifier, decrypt_resource, encrypt_resource,
};

const TS: i64 = 1_700_000_000;
const NONCE: &str = "593BEC0C930BF1AFEB40B4A08C8FB242";

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn body() -> Vec<u8> {
    r#"{"out_request_no":"34657_20250101_123456","stock":{"remark":"满减券","coupon_code_mode":"UPLOAD","stock_send_rule":{"max_count":10000000,"max_count_per_day":10000,"max_count_per_user":1}}}"#
        .as_bytes()
        .to_vec()
}

fn bench_sign<M: Measurement>(c: &mut Criterion<M>, prefix: &str) {
    let key = PrivateKey::from_pem(&fixture("merchant_key.pem")).unwrap();
    let signer = Signer::brand("120344", "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB", key);
    let body = body();
    let req = SignableRequest::new(
        "POST",
        "/brand/marketing/product-coupon/product-coupons/1000000013/stocks",
        &body,
    );
    let mut g = c.benchmark_group(format!("{prefix}/sign"));
    g.throughput(Throughput::Elements(1));
    g.bench_function("authorization_header", |b| {
        b.iter(|| signer.sign(black_box(&req), TS, NONCE).unwrap())
    });
    g.bench_function("raw_36_bytes", |b| {
        let msg = [0x5au8; 36];
        b.iter(|| signer.sign_message(black_box(&msg)).unwrap())
    });
    g.finish();
}

fn bench_verify<M: Measurement>(c: &mut Criterion<M>, prefix: &str) {
    let platform = ResponseSigner::new(
        "PUB_KEY_ID_0114232134912410000000000000",
        PrivateKey::from_pem(&fixture("wechatpay_key.pem")).unwrap(),
    );
    let verifier = Verifier::builder()
        .public_key(platform.serial(), platform.public_key())
        .clock(Arc::new(ManualClock::new(TS)))
        .build()
        .unwrap();
    let body = body();
    let headers = platform.sign(&body, TS, NONCE).unwrap();
    let mut map = http::HeaderMap::new();
    headers.apply_to(&mut map).unwrap();

    let mut g = c.benchmark_group(format!("{prefix}/verify"));
    g.throughput(Throughput::Elements(1));
    g.bench_function("response", |b| {
        b.iter(|| {
            verifier
                .verify(black_box(&headers), black_box(&body))
                .unwrap()
        })
    });
    g.bench_function("response_from_header_map", |b| {
        b.iter(|| {
            verifier
                .verify_headers(black_box(&map), black_box(&body))
                .unwrap()
        })
    });
    g.finish();
}

fn bench_webhook<M: Measurement>(c: &mut Criterion<M>, prefix: &str) {
    let key = ApiV3Key::new("TestApiV3Key0123456789abcdefABCD").unwrap();
    let plain: Vec<u8> = fixture("kat/webhook_plain.json")
        .into_bytes()
        .into_iter()
        .cycle()
        .take(1024)
        .collect();
    let ct = encrypt_resource(&key, "Wx1Nonce0a9B", "product_coupon", &plain).unwrap();
    let mut g = c.benchmark_group(format!("{prefix}/webhook"));
    g.throughput(Throughput::Bytes(1024));
    g.bench_function("decrypt_1KiB", |b| {
        b.iter(|| {
            decrypt_resource(
                &key,
                AEAD_AES_256_GCM,
                "Wx1Nonce0a9B",
                "product_coupon",
                black_box(&ct),
            )
            .unwrap()
        })
    });
    g.finish();
}

/// On-CPU time of the calling thread (`CLOCK_THREAD_CPUTIME_ID`), in nanoseconds.
struct ThreadCpuTime;

fn thread_cpu_ns() -> Option<u64> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return None;
    }
    Some(u64::try_from(ts.tv_sec).ok()? * 1_000_000_000 + u64::try_from(ts.tv_nsec).ok()?)
}

impl Measurement for ThreadCpuTime {
    type Intermediate = (Option<u64>, std::time::Instant);
    type Value = u64;

    fn start(&self) -> Self::Intermediate {
        (thread_cpu_ns(), std::time::Instant::now())
    }

    fn end(&self, (cpu, wall): Self::Intermediate) -> u64 {
        match (cpu, thread_cpu_ns()) {
            (Some(a), Some(b)) => b.saturating_sub(a),
            _ => u64::try_from(wall.elapsed().as_nanos()).unwrap_or(u64::MAX),
        }
    }

    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }

    fn zero(&self) -> u64 {
        0
    }

    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        &NanosFormatter
    }
}

struct NanosFormatter;

impl ValueFormatter for NanosFormatter {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (div, unit) = if typical < 1e3 {
            (1.0, "ns (cpu)")
        } else if typical < 1e6 {
            (1e3, "µs (cpu)")
        } else {
            (1e6, "ms (cpu)")
        };
        values.iter_mut().for_each(|v| *v /= div);
        unit
    }

    fn scale_throughputs(&self, _: f64, t: &Throughput, values: &mut [f64]) -> &'static str {
        let (n, unit) = match *t {
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) => {
                (n as f64 / (1024.0 * 1024.0), "MiB/s (cpu)")
            }
            Throughput::Elements(n) => (n as f64, "elem/s (cpu)"),
            Throughput::Bits(n) => (n as f64, "bit/s (cpu)"),
        };
        values.iter_mut().for_each(|v| *v = n * 1e9 / *v);
        unit
    }

    fn scale_for_machines(&self, _: &mut [f64]) -> &'static str {
        "ns"
    }
}

fn wall(c: &mut Criterion<WallTime>) {
    bench_sign(c, "wall");
    bench_verify(c, "wall");
    bench_webhook(c, "wall");
}

fn cpu(c: &mut Criterion<ThreadCpuTime>) {
    bench_sign(c, "cpu");
    bench_verify(c, "cpu");
    bench_webhook(c, "cpu");
}

criterion_group!(wall_benches, wall);
criterion_group! {
    name = cpu_benches;
    config = Criterion::default().with_measurement(ThreadCpuTime);
    targets = cpu
}
criterion_main!(wall_benches, cpu_benches);
