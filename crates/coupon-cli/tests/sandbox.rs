//! The binary against the sandbox: each test starts one in-process (loopback),
//! writes its keys directory and runs `wxpay-coupon` configured from that
//! directory's `wxpay.env`, as a user would after `set -a; . DIR/wxpay.env`.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;

use coupon_sandbox::{Fault, WebhookOptions, seed};
use serde_json::Value;

mod common;
use common::*;

#[tokio::test(flavor = "multi_thread")]
async fn stocks_list_all_prints_every_stock_as_one_array() {
    let env = start("list-all").await;
    let output = env
        .run(&[
            "stocks",
            "list",
            "--product-coupon-id",
            seed::PRODUCT_COUPON_ID,
            "--all",
        ])
        .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let items = stdout_json(&output);
    let items = items.as_array().expect("one JSON array");
    assert!(items.len() >= 100, "{} stocks", items.len());
    assert_eq!(
        items.len(),
        env.sandbox.stock_count(seed::PRODUCT_COUPON_ID)
    );
    let ids: HashSet<&str> = items
        .iter()
        .map(|s| s["stock_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), items.len(), "no duplicates");
    assert!(
        items
            .iter()
            .all(|s| s["product_coupon_id"] == seed::PRODUCT_COUPON_ID)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_single_page_then_the_rest_from_its_token() {
    let env = start("page-token").await;
    let output = env
        .run(&[
            "stocks",
            "list",
            "--product-coupon-id",
            seed::PRODUCT_COUPON_ID,
            "--page-size",
            "50",
        ])
        .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let page = stdout_json(&output);
    let total = page["total_count"].as_u64().unwrap() as usize;
    assert_eq!(page["stock_list"].as_array().unwrap().len(), 50);
    let token = page["next_page_token"].as_str().unwrap().to_owned();

    let output = env
        .run(&[
            "stocks",
            "list",
            "--product-coupon-id",
            seed::PRODUCT_COUPON_ID,
            "--page-size",
            "50",
            "--page-token",
            &token,
            "--all",
        ])
        .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout_json(&output).as_array().unwrap().len(), total - 50);

    // A filter, and one bundle's stocks.
    let output = env
        .run(&[
            "stocks",
            "list",
            "--product-coupon-id",
            seed::BUNDLE_PRODUCT_COUPON_ID,
            "--stock-bundle-id",
            seed::STOCK_BUNDLE_ID,
            "--all",
        ])
        .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout_json(&output).as_array().unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn user_coupons_list_all_and_filtered() {
    let env = start("user-coupons").await;
    let base = [
        "user-coupons",
        "list",
        "--openid",
        seed::OPENID,
        "--appid",
        seed::APPID,
        "--all",
    ];
    let output = env.run(&base).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let all = stdout_json(&output);
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), env.sandbox.user_coupons(seed::OPENID).len());
    let states: HashSet<&str> = all
        .iter()
        .map(|c| c["coupon_state"].as_str().unwrap())
        .collect();
    assert_eq!(states.len(), 7, "{states:?}");

    let mut args = base.to_vec();
    args.extend(["--coupon-state", "used"]);
    let output = env.run(&args).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let used = stdout_json(&output);
    let used = used.as_array().unwrap();
    assert!(!used.is_empty());
    assert!(used.iter().all(|c| c["coupon_state"] == "USED"));
}

#[tokio::test(flavor = "multi_thread")]
async fn stocks_add_creates_once_and_product_coupons_update_applies() {
    let env = start("add-update").await;
    let before = env.sandbox.stock_count(seed::PRODUCT_COUPON_ID);
    let stock = fixture("new_stock_valid.json");
    let args = [
        "stocks",
        "add",
        "--product-coupon-id",
        seed::PRODUCT_COUPON_ID,
        "--out-request-no",
        "cli_add_0001",
        "--stock",
        &stock,
    ];
    let first = env.run(&args).await;
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let second = env.run(&args).await;
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    assert_eq!(stdout_json(&first), stdout_json(&second), "replayed");
    assert_eq!(env.sandbox.stock_count(seed::PRODUCT_COUPON_ID), before + 1);
    assert_eq!(stdout_json(&first)["remark"], "CLI fixture");

    let display = fixture("display_info_all_scope.json");
    let output = env
        .run(&[
            "product-coupons",
            "update",
            "--product-coupon-id",
            seed::PRODUCT_COUPON_ID,
            "--out-request-no",
            "cli_update_0001",
            "--display-info",
            &display,
        ])
        .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout_json(&output)["display_info"]["name"],
        "全场满100减10元"
    );
    let stored = env.sandbox.product_coupon(seed::PRODUCT_COUPON_ID).unwrap();
    assert_eq!(stored.display_info.unwrap().name, "全场满100减10元");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_stock_exits_5_and_sends_nothing() {
    let env = start("invalid").await;
    let stock = fixture("new_stock_invalid.json");
    let output = env
        .run(&[
            "stocks",
            "add",
            "--product-coupon-id",
            seed::PRODUCT_COUPON_ID,
            "--out-request-no",
            "cli_add_0002",
            "--stock",
            &stock,
        ])
        .await;
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    assert!(output.stdout.is_empty());
    let err = stderr(&output);
    assert!(err.starts_with("error: request not sent"), "{err}");
    assert!(
        err.contains("max-count-per-user-range /stock/stock_send_rule/max_count_per_user: "),
        "{err}"
    );
    assert!(err.contains("remark-length /stock/remark: "), "{err}");
    assert_eq!(env.sandbox.requests_seen(), 0, "nothing went on the wire");

    // So are an empty OpenID (it would be signed as /users//coupons) and
    // an empty AppID.
    for (openid, appid) in [("", seed::APPID), (seed::OPENID, "")] {
        let output = env
            .run(&["user-coupons", "list", "--openid", openid, "--appid", appid])
            .await;
        assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
        assert!(
            stderr(&output).starts_with("error: request not sent"),
            "{}",
            stderr(&output)
        );
    }

    // A whole add-stock body given as --stock gets a hint, and nothing is sent.
    let whole = fixture("add_stock_request_valid.json");
    let output = env
        .run(&[
            "stocks",
            "add",
            "--product-coupon-id",
            seed::PRODUCT_COUPON_ID,
            "--out-request-no",
            "cli_add_0003",
            "--stock",
            &whole,
        ])
        .await;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("looks like a whole add-stock body"),
        "{}",
        stderr(&output)
    );

    // A page size out of range is refused client-side too.
    let output = env
        .run(&[
            "stocks",
            "list",
            "--product-coupon-id",
            seed::PRODUCT_COUPON_ID,
            "--page-size",
            "51",
        ])
        .await;
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    assert!(stderr(&output).contains("page-size-range /page_size"));
    assert_eq!(env.sandbox.requests_seen(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_api_error_exits_2_with_its_request_id() {
    let env = start("api-error").await;
    let output = env
        .run(&["stocks", "list", "--product-coupon-id", "9999999999"])
        .await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(output.stdout.is_empty());
    let err = stderr(&output);
    let first = err.lines().next().unwrap();
    assert!(
        first.starts_with("error: WeChat Pay answered 404 NOT_FOUND"),
        "{err}"
    );
    assert!(err.contains("\n  status: 404\n"), "{err}");
    assert!(err.contains("\n  code: NOT_FOUND\n"), "{err}");
    let request_id = err
        .lines()
        .find_map(|l| l.trim().strip_prefix("Request-ID: "))
        .unwrap_or_else(|| panic!("no Request-ID line: {err}"));
    assert!(!request_id.is_empty() && request_id != "(none)", "{err}");
    assert!(
        first.contains(request_id),
        "the summary quotes it too: {err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signature_probe_exits_3_and_prints_nothing() {
    let env = start("probe").await;
    env.sandbox.inject(Fault::SignatureProbe, 1);
    let output = env
        .run(&[
            "stocks",
            "list",
            "--product-coupon-id",
            seed::PRODUCT_COUPON_ID,
            "--page-size",
            "1",
        ])
        .await;
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(
        output.stdout.is_empty(),
        "a discarded body is never printed"
    );
    let err = stderr(&output);
    assert!(err.contains("signature probe"), "{err}");
    assert!(err.contains("nothing to fix"), "{err}");

    env.sandbox.inject(Fault::BadSignature, 1);
    let output = env
        .run(&[
            "stocks",
            "list",
            "--product-coupon-id",
            seed::PRODUCT_COUPON_ID,
        ])
        .await;
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(stderr(&output).contains("signature verification failed"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_port_exits_4() {
    let env = start("transport").await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let output = env
        .run(&[
            "stocks",
            "list",
            "--product-coupon-id",
            seed::PRODUCT_COUPON_ID,
            "--base-url",
            &url,
        ])
        .await;
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    assert!(stderr(&output).starts_with("error: transport failure"));
}

#[tokio::test(flavor = "multi_thread")]
async fn webhook_decode_verifies_decrypts_and_rejects_probes() {
    let env = start("webhook").await;
    let event = env.sandbox.sample_send_event().unwrap();
    let write = |name: &str, options: WebhookOptions| {
        let (headers, body) = env.sandbox.build_webhook(&event, options).unwrap();
        let object: serde_json::Map<String, Value> = headers
            .iter()
            .map(|(k, v)| (k.to_string(), Value::String(v.to_str().unwrap().to_owned())))
            .collect();
        let headers_path = env.dir.join(format!("{name}_headers.json"));
        let body_path = env.dir.join(format!("{name}_body.json"));
        std::fs::write(&headers_path, serde_json::to_vec(&object).unwrap()).unwrap();
        std::fs::write(&body_path, body).unwrap();
        (
            headers_path.to_string_lossy().into_owned(),
            body_path.to_string_lossy().into_owned(),
        )
    };

    let (headers, body) = write("valid", WebhookOptions::new());
    let args = ["webhook", "decode", "--headers", &headers, "--body", &body];
    let output = env.run(&args).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let decoded = stdout_json(&output);
    assert_eq!(decoded["event_type"], "PRODUCT_COUPON.SEND");
    assert_eq!(decoded["notification"]["event_type"], "PRODUCT_COUPON.SEND");
    assert_eq!(decoded["event"]["coupon_code"], event.coupon_code.as_str());
    assert_eq!(decoded["event"]["openid"], seed::OPENID);
    assert!(decoded.get("plaintext").is_none());

    // A wrong APIv3 key: verified, but the resource does not decrypt.
    let mut wrong = command(&env.vars, &args);
    wrong.env("WXPAY_APIV3_KEY", "0123456789abcdef0123456789abcdef");
    let output = tokio::task::spawn_blocking(move || wrong.output().unwrap())
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(stderr(&output).contains("APIv3 key"), "{}", stderr(&output));

    let (headers, body) = write("probe", WebhookOptions::signature_probe());
    let output = env
        .run(&["webhook", "decode", "--headers", &headers, "--body", &body])
        .await;
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(output.stdout.is_empty());
    assert!(
        stderr(&output).contains("signature probe"),
        "{}",
        stderr(&output)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn webhook_sample_writes_what_decode_accepts_and_spoiled_ones_exit_3() {
    let env = start("webhook-sample").await;
    let dir = env.dir.to_str().unwrap().to_owned();
    let headers = env.dir.join("sample_headers.json");
    let body = env.dir.join("sample_body.json");
    let (headers, body) = (headers.to_str().unwrap(), body.to_str().unwrap());
    let sample = |spoil: Option<&'static str>| {
        let mut args = vec![
            "webhook",
            "sample",
            "--keys-dir",
            &dir,
            "--headers-out",
            headers,
            "--body-out",
            body,
        ];
        args.extend(spoil.map(|s| ["--spoil", s]).into_iter().flatten());
        args.iter().map(|a| a.to_string()).collect::<Vec<_>>()
    };
    let decode = ["webhook", "decode", "--headers", headers, "--body", body];

    let args = sample(None);
    let output = env
        .run(&args.iter().map(String::as_str).collect::<Vec<_>>())
        .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).contains("wxpay-coupon webhook decode --headers"));
    let output = env.run(&decode).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let decoded = stdout_json(&output);
    assert_eq!(decoded["event_type"], "PRODUCT_COUPON.SEND");
    assert_eq!(decoded["event"]["openid"], seed::OPENID);
    assert_eq!(
        decoded["event"]["brand_id"],
        env.sandbox.credentials().brand_id
    );

    for (spoil, expected) in [
        ("signature-probe", "signature probe"),
        ("bad-signature", "signature does not verify"),
        ("stale-timestamp", "timestamp"),
    ] {
        let args = sample(Some(spoil));
        let output = env
            .run(&args.iter().map(String::as_str).collect::<Vec<_>>())
            .await;
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let output = env.run(&decode).await;
        assert_eq!(
            output.status.code(),
            Some(3),
            "{spoil}: {}",
            stderr(&output)
        );
        assert!(output.stdout.is_empty(), "{spoil}");
        assert!(
            stderr(&output).contains(expected),
            "{spoil}: {}",
            stderr(&output)
        );
    }

    // Neither files nor --post: a usage error.
    let output = env.run(&["webhook", "sample", "--keys-dir", &dir]).await;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
}

#[test]
fn sandbox_writes_its_keys_dir_and_prints_the_base_url_first() {
    let dir = temp_dir("sandbox-cmd");
    let child = command(&[], &["sandbox", "--keys-dir", dir.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Whatever happens next, the server does not outlive the test.
    let mut child = KillOnDrop(child);
    let mut first = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let base_url = first.trim_end();
    assert!(base_url.starts_with("http://127.0.0.1:"), "{first:?}");
    for file in [
        "wxpay.env",
        "brand_private_key.pem",
        "mch_private_key.pem",
        "wxpay_public_key.pem",
    ] {
        assert!(dir.join(file).is_file(), "{file} missing");
    }
    let vars = read_env_file(&dir.join("wxpay.env"));
    let names: Vec<&str> = vars.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "WXPAY_BASE_URL",
            "WXPAY_BRAND_ID",
            "WXPAY_BRAND_SERIAL_NO",
            "WXPAY_BRAND_PRIVATE_KEY",
            "WXPAY_MCHID",
            "WXPAY_MCH_SERIAL_NO",
            "WXPAY_MCH_PRIVATE_KEY",
            "WXPAY_PUBLIC_KEY_ID",
            "WXPAY_PUBLIC_KEY",
            "WXPAY_APIV3_KEY",
        ]
    );
    for (name, value) in &vars {
        if name.ends_with("_KEY") && name != "WXPAY_APIV3_KEY" {
            assert!(Path::new(value).is_absolute(), "{name}={value}");
        }
    }
    // The CLI configured from that file alone talks to that sandbox.
    assert!(vars.contains(&("WXPAY_BASE_URL".to_owned(), base_url.to_owned())));
    let output = command(
        &vars,
        &[
            "stocks",
            "list",
            "--product-coupon-id",
            seed::PRODUCT_COUPON_ID,
            "--page-size",
            "1",
        ],
    )
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout_json(&output)["stock_list"].as_array().unwrap().len(),
        1
    );
}

/// Kills (and reaps) the child process when dropped, also during a panic.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn sandbox_refuses_a_non_loopback_listen_address() {
    let output = command(&[], &["sandbox", "--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("loopback"), "{}", stderr(&output));
}

#[test]
fn demo_exits_0_and_reports_every_step() {
    let output = command(&[], &["demo"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = String::from_utf8(output.stdout).unwrap();
    let steps: Vec<&str> = text.lines().filter(|l| l.starts_with("✓ ")).collect();
    for expected in [
        "✓ notify URL of the brand and of the service provider",
        "✓ brand: created product coupon",
        "✓ brand: sent coupon",
        "✓ webhook: PRODUCT_COUPON.SEND",
        "✓ brand: confirmed → EFFECTIVE · used for order",
        "✓ refused: using",
        "✓ brand: returned (order refunded) → EFFECTIVE · deactivated → DEACTIVATED",
        "✓ service provider 1900000001 for brand",
        "✓ service provider: sent coupon",
        "✓ webhook: PRODUCT_COUPON_SP.SEND",
        "✓ service provider: confirmed → EFFECTIVE · used for order",
        "✓ service provider: returned (order refunded) → EFFECTIVE · deactivated → DEACTIVATED",
        "✓ invalid request rejected before sending",
        "✓ signature probe (WECHATPAY/SIGNTEST/) rejected",
    ] {
        assert!(
            steps.iter().any(|s| s.starts_with(expected)),
            "missing {expected:?} in:\n{text}"
        );
    }
    assert_eq!(steps.len(), 14, "{text}");
    assert!(
        text.contains("-272756745)"),
        "the refusal's Request-ID: {text}"
    );
    assert!(text.contains("0 requests sent"), "{text}");
    assert!(text.contains("2 notification(s) delivered"), "{text}");
    assert!(text.lines().count() < 30, "a short report:\n{text}");
}
