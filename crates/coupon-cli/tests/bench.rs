//! `bench` against the in-process sandbox: the report, errors counted, and
//! WeChat Pay's production hosts refused.

mod common;
use common::*;

use coupon_sandbox::seed;
use serde_json::Value;

fn pc_param() -> String {
    format!("product_coupon_id={}", seed::PRODUCT_COUPON_ID)
}

#[tokio::test(flavor = "multi_thread")]
async fn bench_reports_calls_per_second_and_cpu_per_call_for_both_runs() {
    let env = start("bench-get").await;
    let out = env
        .run(&[
            "bench",
            "get-product-coupon",
            "--param",
            &pc_param(),
            "--calls",
            "12",
            "--concurrency",
            "4",
        ])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let report = stdout_json(&out);
    assert_eq!(report["operation"], "get-product-coupon");
    assert_eq!(report["side"], "brand");
    assert_eq!(report["base_url"], env.sandbox.base_url());
    assert_eq!(report["first_error"], Value::Null);
    for (run, concurrency) in [("sequential", 1), ("concurrent", 4)] {
        let r = &report[run];
        assert_eq!(r["concurrency"], concurrency, "{report}");
        assert_eq!(
            (&r["calls"], &r["ok"], &r["errors"]),
            (&12.into(), &12.into(), &0.into())
        );
        assert!(r["calls_per_s"].as_f64().unwrap() > 0.0, "{report}");
        assert!(r["wall_ms"].as_f64().unwrap() > 0.0, "{report}");
        let latency = &r["latency_ms"];
        assert!(latency["p50"].as_f64().unwrap() > 0.0, "{report}");
        assert!(
            latency["p50"].as_f64() <= latency["max"].as_f64(),
            "{report}"
        );
        let cpu = &r["client_cpu_ms_per_call"];
        if cfg!(target_os = "linux") {
            // Each call signs with RSA-2048: well above zero, far below a second.
            assert!((0.0..1000.0).contains(&cpu.as_f64().unwrap()), "{report}");
        } else {
            assert_eq!(cpu, &Value::Null);
        }
    }
    assert!(report["server"].as_str().unwrap().starts_with("external"));
    if cfg!(target_os = "linux") {
        assert!(
            report["cpu_time"]
                .as_str()
                .unwrap()
                .contains("/proc/self/task")
        );
    }

    // A partner write, its body sent unchanged on every call.
    let body = env.dir.join("update.json");
    std::fs::write(
        &body,
        r#"{"out_request_no":"bench_update_0001","display_info":{"name":"全场满减压测","image_url":"https://wxpaylogo.qpic.cn/x.png"}}"#,
    )
    .unwrap();
    let out = env
        .run(&[
            "bench",
            "update-product-coupon",
            "--partner",
            "--param",
            &pc_param(),
            "--body",
            body.to_str().unwrap(),
            "--calls",
            "5",
            "--concurrency",
            "8",
        ])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let report = stdout_json(&out);
    assert_eq!(report["side"], "partner");
    assert_eq!(report["sequential"]["ok"], 5);
    // Never more tasks than calls.
    assert_eq!(report["concurrent"]["concurrency"], 5);
    assert_eq!(report["concurrent"]["ok"], 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_calls_are_counted_and_a_run_with_no_success_fails() {
    let env = start("bench-errors").await;
    let out = env
        .run(&[
            "bench",
            "get-product-coupon",
            "--param",
            "product_coupon_id=999999999",
            "--calls",
            "3",
            "--concurrency",
            "2",
        ])
        .await;
    // WeChat Pay's refusal: exit 2, after the report.
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let report = stdout_json(&out);
    for run in ["sequential", "concurrent"] {
        assert_eq!(report[run]["errors"], 3, "{report}");
        assert_eq!(report[run]["ok"], 0, "{report}");
    }
    assert!(report["first_error"].is_string(), "{report}");
}

#[tokio::test(flavor = "multi_thread")]
async fn production_hosts_are_refused_without_production() {
    let env = start("bench-production").await;
    let without_base_url: Vec<(String, String)> = env
        .vars
        .iter()
        .filter(|(name, _)| name != "WXPAY_BASE_URL")
        .cloned()
        .collect();
    for extra in [
        vec!["--base-url", "https://api.mch.weixin.qq.com"],
        vec!["--base-url", "https://API2.mch.weixin.qq.com./"],
        vec![
            "--base-url",
            "https://staging.example.com",
            "--backup-base-url",
            "https://api2.mch.weixin.qq.com",
        ],
    ] {
        let mut args = vec![
            "bench",
            "get-product-coupon",
            "--param",
            "product_coupon_id=1",
        ];
        args.extend(&extra);
        let mut command = command(&without_base_url, &args);
        let out = tokio::task::spawn_blocking(move || command.output().unwrap())
            .await
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{extra:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{extra:?}: nothing was measured");
        let err = stderr(&out);
        assert!(err.contains("must not hammer WeChat Pay"), "{err}");
        assert!(err.contains("--production"), "{err}");
    }

    // A host that is neither loopback nor named with --allow-host.
    let args = [
        "bench",
        "--base-url",
        "https://staging.example.com",
        "--calls",
        "1",
    ];
    let mut command = command(&without_base_url, &args);
    let out = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    assert!(stderr(&out).contains("--allow-host staging.example.com"));
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_base_url_the_sandbox_runs_in_process_and_a_read_is_the_default() {
    let env = start("bench-embedded").await;
    let without_base_url: Vec<(String, String)> = env
        .vars
        .iter()
        .filter(|(name, _)| name != "WXPAY_BASE_URL")
        .cloned()
        .collect();
    let mut command = command(
        &without_base_url,
        &["bench", "--calls", "4", "--concurrency", "2"],
    );
    let out = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let report = stdout_json(&out);
    assert_eq!(report["operation"], "get-stock", "{report}");
    assert_eq!(report["side"], "brand");
    let base_url = report["base_url"].as_str().unwrap();
    assert!(base_url.starts_with("http://127.0.0.1:"), "{report}");
    assert_ne!(base_url, env.sandbox.base_url());
    assert!(
        report["server"]
            .as_str()
            .unwrap()
            .contains("embedded sandbox")
    );
    for (run, concurrency) in [("sequential", 1), ("concurrent", 2)] {
        let r = &report[run];
        assert_eq!(r["concurrency"], concurrency, "{report}");
        assert_eq!((&r["ok"], &r["errors"]), (&4.into(), &0.into()), "{report}");
        if cfg!(target_os = "linux") {
            assert!(
                r["client_cpu_ms_per_call"].as_f64().unwrap() > 0.0,
                "{report}"
            );
        }
    }
    if cfg!(target_os = "linux") {
        assert!(
            report["cpu_time"]
                .as_str()
                .unwrap()
                .contains("not the embedded sandbox's threads"),
            "{report}"
        );
    }
    // The summary lines on stderr.
    assert!(stderr(&out).contains("calls/s"), "{}", stderr(&out));
}
