//! `operations` and `call` against the in-process sandbox.

mod common;
use common::*;

use coupon_sandbox::seed;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread")]
async fn operations_lists_every_operation_with_both_paths() {
    let env = start("operations").await;
    let out = env.run(&["operations"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let list = stdout_json(&out);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), coupon_model::OPERATIONS.len());
    let stocks = list.iter().find(|o| o["name"] == "list-stocks").unwrap();
    assert_eq!(
        stocks,
        &serde_json::json!({
            "name": "list-stocks",
            "method": "GET",
            "brand_path": "/brand/marketing/product-coupon/product-coupons/{product_coupon_id}/stocks",
            "partner_path": "/v3/marketing/partner/product-coupon/product-coupons/{product_coupon_id}/stocks"
        })
    );
    for op in list {
        assert_eq!(op.as_object().unwrap().len(), 4, "{op}");
    }
    let task = list
        .iter()
        .find(|o| o["name"] == "get-image-generation-task")
        .unwrap();
    assert_eq!(task["brand_path"], Value::Null);
    for name in [
        "send-user-product-coupon",
        "upload-image",
        "create-product-coupon",
        "send-user-coupon-bundle",
    ] {
        assert!(list.iter().any(|o| o["name"] == name), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn call_sends_the_typed_request_and_prints_the_typed_answer() {
    let env = start("call-ok").await;
    let out = env
        .run(&[
            "call",
            "list-stocks",
            "--param",
            &format!("product_coupon_id={}", seed::PRODUCT_COUPON_ID),
            "--query",
            "page_size=2",
            "--query",
            "state=SENDING",
        ])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let page = stdout_json(&out);
    let stocks = page["stock_list"].as_array().unwrap();
    assert_eq!(stocks.len(), 2);
    assert!(stocks.iter().all(|s| s["state"] == "SENDING"));
    assert!(page["next_page_token"].is_string());

    // A partner update with the body on stdin; the brand comes from WXPAY_BRAND_ID.
    let body = dir_file(
        &env,
        "update.json",
        r#"{"out_request_no":"cli_update_0001","display_info":{"name":"全场满减新版","image_url":"https://wxpaylogo.qpic.cn/x.png"}}"#,
    );
    let out = env
        .run(&[
            "call",
            "update-product-coupon",
            "--partner",
            "--param",
            &format!("product_coupon_id={}", seed::PRODUCT_COUPON_ID),
            "--body",
            &body,
        ])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let coupon = stdout_json(&out);
    assert_eq!(coupon["display_info"]["name"], "全场满减新版");
    assert_eq!(
        coupon["brand_id"],
        env.sandbox.credentials().brand_id.as_str()
    );
}

fn dir_file(env: &Env, name: &str, text: &str) -> String {
    let path = env.dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn call_refuses_what_it_cannot_send_with_exit_1_or_5() {
    let env = start("call-refusals").await;
    let pc = format!("product_coupon_id={}", seed::PRODUCT_COUPON_ID);
    let before = env.sandbox.requests_seen();
    let typo = dir_file(
        &env,
        "typo.json",
        r#"{"out_request_no":"cli_update_0002","display_info":{"name":"全场满减新版"},"brandid":"x"}"#,
    );
    let not_json = dir_file(&env, "bad.json", "{not json");
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (vec!["call", "no-such-op"], 1, "wxpay-coupon operations"),
        (
            vec!["call", "list-stocks"],
            1,
            "--param product_coupon_id=…",
        ),
        (
            vec![
                "call",
                "list-stocks",
                "--param",
                &pc,
                "--query",
                "pagesize=1",
            ],
            1,
            "state, page_size",
        ),
        (
            vec![
                "call",
                "list-stocks",
                "--param",
                &pc,
                "--query",
                "page_size=x",
            ],
            1,
            "whole number",
        ),
        (
            vec![
                "call",
                "list-stocks",
                "--param",
                &pc,
                "--param",
                "stock_id=1",
            ],
            1,
            "stock_id",
        ),
        (
            vec!["call", "get-image-generation-task", "--param", "task_id=t"],
            1,
            "add --partner",
        ),
        (
            vec![
                "call",
                "update-product-coupon",
                "--partner",
                "--param",
                &pc,
                "--body",
                &typo,
            ],
            1,
            "brandid",
        ),
        (
            vec![
                "call",
                "update-product-coupon",
                "--partner",
                "--param",
                &pc,
                "--body",
                &not_json,
            ],
            1,
            "not JSON",
        ),
        (
            vec!["call", "update-product-coupon", "--partner", "--param", &pc],
            1,
            "needs --body",
        ),
        (
            vec!["call", "list-stocks", "--param", &pc, "--body", &typo],
            1,
            "takes no body",
        ),
        (
            vec!["call", "upload-image", "--file", "/dev/zero"],
            1,
            "larger than",
        ),
        (
            vec![
                "call",
                "list-stocks",
                "--param",
                &pc,
                "--query",
                "page_size=0",
            ],
            5,
            "page-size-range",
        ),
    ];
    for (args, code, needle) in cases {
        let out = env.run(&args).await;
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    assert_eq!(env.sandbox.requests_seen(), before, "nothing was sent");

    // --no-validate sends it; the sandbox refuses it (exit 2).
    let out = env
        .run(&[
            "call",
            "list-stocks",
            "--param",
            &pc,
            "--query",
            "page_size=0",
            "--no-validate",
        ])
        .await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("PARAM_ERROR"), "{}", stderr(&out));
}
