//! `wxpay-coupon sandbox`: notifications (`--notify-url`, `sandbox
//! deliveries`), `sandbox reset`, and the state file (`--state-file`,
//! `--reset`), through the binary.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};

use coupon_sandbox::{DeliveryOutcome, Sandbox, WebhookReceiver, seed};
use serde_json::{Value, json};
use wxpay_sign::Clock as _;

mod common;
use common::*;

fn at(unix: i64) -> String {
    coupon_model::time::DateTime::from_unix_timestamp(unix, 480)
        .unwrap()
        .to_rfc3339()
}

/// A create-product-coupon body whose stock sends from yesterday for 30 days.
fn product_coupon_body(dir: &Path, out_request_no: &str) -> String {
    let now = wxpay_sign::SystemClock.now_unix();
    let body = json!({
        "out_request_no": out_request_no,
        "scope": "ALL",
        "type": "NORMAL",
        "usage_mode": "SINGLE",
        "single_usage_info": { "normal_coupon": { "threshold": 10000, "discount_amount": 1000 } },
        "display_info": { "name": "命令行满减券", "image_url": "https://wxpaylogo.qpic.cn/wxpaylogo/x/y" },
        "stock": {
            "coupon_code_mode": "WECHATPAY",
            "stock_send_rule": { "max_count": 100, "max_count_per_user": 1 },
            "single_usage_rule": { "coupon_available_period": {
                "available_begin_time": at(now - 86_400),
                "available_end_time": at(now + 30 * 86_400)
            } },
            "usage_rule_display_info": { "coupon_usage_method_list": ["OFFLINE"], "usage_description": "到店使用" },
            "coupon_display_info": { "code_display_mode": "QRCODE" },
            "notify_config": { "notify_appid": seed::APPID },
            "store_scope": "NONE"
        }
    });
    let path = dir.join(format!("{out_request_no}.json"));
    std::fs::write(&path, serde_json::to_vec(&body).unwrap()).unwrap();
    path.to_string_lossy().into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn deliveries_and_reset_go_through_the_admin_channel() {
    let receiver = WebhookReceiver::start(|_, _| http::StatusCode::NO_CONTENT)
        .await
        .unwrap();
    let sandbox = Sandbox::builder()
        .credentials(credentials())
        .notify_url(receiver.url())
        .start()
        .await
        .unwrap();
    let dir = temp_dir("deliveries");
    sandbox
        .credentials()
        .write_keys_dir(&dir, &sandbox.base_url())
        .unwrap();
    let vars = read_env_file(&dir.join("wxpay.env"));
    let env = Env { sandbox, vars, dir };

    let body = product_coupon_body(&env.dir, "cli_pc_0001");
    let created = env
        .run(&["call", "create-product-coupon", "--body", &body])
        .await;
    assert_eq!(created.status.code(), Some(0), "{}", stderr(&created));
    let created = stdout_json(&created);
    let pc = created["product_coupon_id"].as_str().unwrap().to_owned();
    let stock = created["stock"]["stock_id"].as_str().unwrap().to_owned();
    let send = env.dir.join("send.json");
    std::fs::write(
        &send,
        serde_json::to_vec(&json!({ "product_coupon_id": pc, "stock_id": stock, "appid": seed::APPID, "send_request_no": "cli_send_0001" })).unwrap(),
    )
    .unwrap();
    let sent = env
        .run(&[
            "call",
            "send-user-product-coupon",
            "--param",
            "openid=oCliUser-00000000000000001",
            "--body",
            send.to_str().unwrap(),
        ])
        .await;
    assert_eq!(sent.status.code(), Some(0), "{}", stderr(&sent));
    let code = stdout_json(&sent)["coupon_code"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(receiver.next().await.is_some(), "the notification arrived");
    env.sandbox.settled_deliveries().await;

    let listed = env.run(&["sandbox", "deliveries"]).await;
    assert_eq!(listed.status.code(), Some(0), "{}", stderr(&listed));
    let listed = stdout_json(&listed);
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["coupon_code"], code.as_str());
    assert_eq!(listed[0]["event_type"], "PRODUCT_COUPON.SEND");
    assert_eq!(listed[0]["outcome"], "DELIVERED");
    assert_eq!(listed[0]["attempts"][0]["status"], 204);
    assert_eq!(
        env.sandbox.deliveries()[0].outcome,
        DeliveryOutcome::Delivered
    );

    let reset = env.run(&["sandbox", "reset"]).await;
    assert_eq!(reset.status.code(), Some(0), "{}", stderr(&reset));
    assert!(env.sandbox.product_coupon(&pc).is_none());
    let listed = env.run(&["sandbox", "deliveries"]).await;
    assert_eq!(stdout_json(&listed), json!([]));

    // Nothing listening there: a usage error naming the URL.
    let output = command(
        &[],
        &["sandbox", "deliveries", "--base-url", "http://127.0.0.1:1"],
    )
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("127.0.0.1:1"),
        "{}",
        stderr(&output)
    );
}

/// Kills (and reaps) the child process when dropped, also during a panic.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `wxpay-coupon sandbox ARGS`; its base URL and the child.
fn spawn(args: &[&str]) -> (String, KillOnDrop) {
    let mut child = KillOnDrop(
        command(&[], args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut first = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let base = first.trim_end().to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{first:?}");
    (base, child)
}

/// Stops the sandbox as Ctrl-C would (SIGTERM) and waits for it to exit.
#[cfg(unix)]
fn terminate(mut child: KillOnDrop) {
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.0.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
}

#[cfg(unix)]
#[test]
fn the_state_file_survives_a_restart_and_reset_starts_over() {
    let dir = temp_dir("state-file");
    let keys = dir.join("keys");
    let state = dir.join("state.json");
    let args = [
        "sandbox",
        "--keys-dir",
        keys.to_str().unwrap(),
        "--state-file",
        state.to_str().unwrap(),
    ];
    let (_, child) = spawn(&args);
    let vars = read_env_file(&keys.join("wxpay.env"));
    let body = product_coupon_body(&dir, "cli_state_0001");
    let created = command(&vars, &["call", "create-product-coupon", "--body", &body])
        .output()
        .unwrap();
    assert_eq!(created.status.code(), Some(0), "{}", stderr(&created));
    let pc = stdout_json(&created)["product_coupon_id"]
        .as_str()
        .unwrap()
        .to_owned();
    terminate(child);
    let saved: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(saved["format"], "wxpay-coupon-sandbox-state");
    assert_eq!(saved["version"], 1);

    // Restarted on the same file (and keys): the product coupon is there.
    let (_, child) = spawn(&args);
    let vars = read_env_file(&keys.join("wxpay.env"));
    let param = format!("product_coupon_id={pc}");
    let got = command(&vars, &["call", "get-product-coupon", "--param", &param])
        .output()
        .unwrap();
    assert_eq!(got.status.code(), Some(0), "{}", stderr(&got));
    assert_eq!(stdout_json(&got)["product_coupon_id"], pc.as_str());
    terminate(child);

    // --reset: the seeded state again.
    let mut reset_args = args.to_vec();
    reset_args.push("--reset");
    let (_, child) = spawn(&reset_args);
    let vars = read_env_file(&keys.join("wxpay.env"));
    let got = command(&vars, &["call", "get-product-coupon", "--param", &param])
        .output()
        .unwrap();
    assert_eq!(got.status.code(), Some(2), "{}", stderr(&got));
    terminate(child);
}

#[test]
fn a_corrupt_state_file_is_refused_and_left_untouched() {
    let dir = temp_dir("corrupt-state");
    let state = dir.join("state.json");
    std::fs::write(&state, b"{\"format\": \"something else\"}").unwrap();
    for extra in [None, Some("--reset")] {
        let mut args = vec![
            "sandbox",
            "--keys-dir",
            dir.to_str().unwrap(),
            "--state-file",
            state.to_str().unwrap(),
        ];
        args.extend(extra);
        let output = command(&[], &args).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
        assert!(
            stderr(&output).contains("not a sandbox state file"),
            "{}",
            stderr(&output)
        );
        assert_eq!(
            std::fs::read(&state).unwrap(),
            b"{\"format\": \"something else\"}"
        );
    }
    let output = command(&[], &["sandbox", "--reset"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("--state-file"),
        "{}",
        stderr(&output)
    );
}
