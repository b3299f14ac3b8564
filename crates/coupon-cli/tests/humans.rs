//! The CLI for humans: tables, completions, and quiet stderr when piped.

mod common;
use common::*;

use coupon_sandbox::seed;

#[tokio::test(flavor = "multi_thread")]
async fn list_commands_print_aligned_tables() {
    let env = start("tables").await;
    let out = env
        .run(&[
            "stocks",
            "list",
            "--product-coupon-id",
            seed::PRODUCT_COUPON_ID,
            "--page-size",
            "3",
            "--output",
            "table",
        ])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0].trim_start().starts_with("stock_id"), "{text}");
    // Columns line up: every row has its second column where the header's is.
    let state_at = lines[0].find("state").unwrap();
    for row in &lines[1..] {
        assert!(
            row.trim_start().starts_with(seed::PRODUCT_COUPON_ID),
            "{row}"
        );
        let before: String = row.chars().take_while(|c| *c != ' ').collect();
        assert!(before.len() <= state_at);
    }
    assert!(stderr(&out).contains("--page-token"), "{}", stderr(&out));

    let out = env
        .run(&[
            "stocks",
            "list",
            "--product-coupon-id",
            seed::PRODUCT_COUPON_ID,
            "--all",
            "--output",
            "table",
        ])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let rows = String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .count()
        - 1;
    assert_eq!(rows, env.sandbox.stock_count(seed::PRODUCT_COUPON_ID));
    // Piped: no progress line, nothing on stderr.
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_all_walk_piped_prints_json_and_no_progress() {
    let env = start("quiet").await;
    let out = env
        .run(&[
            "user-coupons",
            "list",
            "--openid",
            seed::OPENID,
            "--appid",
            seed::APPID,
            "--all",
        ])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout_json(&out).as_array().is_some_and(|a| !a.is_empty()));
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
}

#[test]
fn completions_are_generated_for_each_shell() {
    for (shell, needle) in [
        ("bash", "_wxpay__coupon()"),
        ("zsh", "#compdef wxpay-coupon"),
        ("fish", "complete -c wxpay-coupon"),
    ] {
        let out = std::process::Command::new(BIN)
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(
            script.contains(needle),
            "{shell}: {}",
            &script[..200.min(script.len())]
        );
        assert!(
            script.contains("operations") && script.contains("call"),
            "{shell}"
        );
    }
    let out = std::process::Command::new(BIN)
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}
