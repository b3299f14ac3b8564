//! `validate`, usage errors and missing configuration: the binary's exit codes
//! and exact output shapes, no network.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::{Value, json};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Runs the binary with a clean `WXPAY_*` environment.
fn run(args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wxpay-coupon"));
    for (name, _) in std::env::vars() {
        if name.starts_with("WXPAY_") {
            command.env_remove(name);
        }
    }
    command.args(args).output().expect("run wxpay-coupon")
}

fn validate(kind: &str, file: &str, context: Option<&str>) -> Output {
    let file = fixture(file);
    let mut args = vec!["validate", "--kind", kind, "--file", file.to_str().unwrap()];
    let context = context.map(fixture);
    if let Some(context) = &context {
        args.extend(["--context", context.to_str().unwrap()]);
    }
    run(&args)
}

fn stdout_json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_valid_document_exits_0_with_an_empty_violation_list() {
    for (kind, file, context) in [
        (
            "list-stocks-response",
            "000_list_stocks_response_deactivated.json",
            None,
        ),
        ("product-coupon", "product_coupon_1000000013.json", None),
        (
            "add-stock-request",
            "add_stock_request_valid.json",
            Some("product_coupon_1000000013.json"),
        ),
    ] {
        let output = validate(kind, file, context);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{kind} {file}: {}",
            stderr(&output)
        );
        assert_eq!(
            stdout_json(&output),
            json!({"valid": true, "violations": []})
        );
        assert!(output.stderr.is_empty(), "{}", stderr(&output));
    }
}

#[test]
fn an_invalid_document_exits_5_and_lists_every_violation() {
    let output = validate("add-stock-request", "001_add_stock_request.json", None);
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    let value = stdout_json(&output);
    let object = value.as_object().unwrap();
    assert_eq!(
        object.keys().collect::<Vec<_>>(),
        ["valid", "violations"],
        "exactly two keys"
    );
    assert_eq!(value["valid"], json!(false));
    let violations = value["violations"].as_array().unwrap();
    let pairs: Vec<(&str, &str)> = violations
        .iter()
        .map(|v| {
            let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
            assert_eq!(keys, ["message", "path", "rule"]);
            assert!(!v["message"].as_str().unwrap().is_empty());
            (v["rule"].as_str().unwrap(), v["path"].as_str().unwrap())
        })
        .collect();
    assert_eq!(
        pairs,
        [
            (
                "available-days-excludes-irregular",
                "/stock/single_usage_rule/coupon_available_period/irregular_available_period_list"
            ),
            (
                "wait-days-needs-available-days",
                "/stock/sequential_usage_rule/coupon_available_period/wait_days_after_receive"
            ),
        ]
    );
    // stderr: one summary line, one `rule path: message` line per violation,
    // and what to do next.
    let err = stderr(&output);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 4, "{err}");
    assert!(
        lines[3].trim_start().starts_with("next: fix each field"),
        "{err}"
    );
    assert!(lines[0].starts_with("error: "), "{err}");
    assert!(lines[0].contains("2 documented rule(s)"), "{err}");
    assert!(
        lines[1]
            .trim()
            .starts_with("available-days-excludes-irregular /stock/single_usage_rule/"),
        "{err}"
    );
}

#[test]
fn context_enables_the_product_coupon_rules() {
    // Valid without context; with the page-003 product coupon (SEQUENTIAL) the
    // single-use stock breaks the usage-mode rules.
    let output = validate("add-stock-request", "add_stock_request_valid.json", None);
    assert_eq!(output.status.code(), Some(0));
    let output = validate(
        "add-stock-request",
        "add_stock_request_valid.json",
        Some("003_update_product_coupon_response.json"),
    );
    assert_eq!(output.status.code(), Some(5));
    let rules: Vec<String> = stdout_json(&output)["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["rule"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        rules,
        [
            "single-rule-iff-single-mode",
            "sequential-rule-iff-sequential-mode"
        ]
    );
}

#[test]
fn a_user_coupon_and_a_stock_are_checked_with_their_own_rules() {
    let output = validate("stock", "001_add_stock_response.json", None);
    assert_eq!(output.status.code(), Some(5));
    let value = stdout_json(&output);
    assert!(
        value["violations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["rule"] == "deactivation-iff-deactivated" && v["path"] == "/deactivate_time"),
        "{value}"
    );
}

#[test]
fn a_file_of_the_wrong_kind_exits_1_naming_the_kind() {
    let output = validate("stock", "003_update_product_coupon_request.json", None);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let err = stderr(&output);
    assert!(err.contains("does not parse as a stock"), "{err}");
    assert_eq!(
        err.lines().count(),
        2,
        "one line and what to do next: {err}"
    );
    assert!(
        err.lines()
            .last()
            .unwrap()
            .trim_start()
            .starts_with("next: "),
        "{err}"
    );

    // Fields the kind does not have could not be checked: refused (fail
    // closed), naming them, whether none or only some belong to the kind.
    let output = validate("list-stocks-response", "add_stock_request_valid.json", None);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(output.stdout.is_empty());
    let err = stderr(&output);
    assert!(
        err.contains(
            "none of its fields (/out_request_no, /stock) belong to a list-stocks response"
        ),
        "{err}"
    );
    let output = validate("product-coupon", "001_add_stock_response.json", None);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(output.stdout.is_empty());
    let err = stderr(&output);
    assert!(
        err.contains("/stock_id")
            && err.contains("was not checked")
            && err.contains("check --kind"),
        "{err}"
    );

    let output = validate("user-coupon", "does_not_exist.json", None);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("cannot read --file"),
        "{}",
        stderr(&output)
    );

    let output = validate(
        "add-stock-request",
        "add_stock_request_valid.json",
        Some("new_stock_valid.json"),
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("--context") && stderr(&output).contains("a product coupon"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn usage_errors_exit_1_and_help_exits_0() {
    for args in [
        &["validate", "--kind", "coupon", "--file", "x.json"][..],
        &["no-such-command"][..],
        &["stocks", "list"][..],
        &["stocks"][..],
        &[][..],
    ] {
        let output = run(args);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(!output.stderr.is_empty());
    }
    let output = run(&["--help"]);
    assert_eq!(output.status.code(), Some(0));
    let help = String::from_utf8_lossy(&output.stdout);
    for command in [
        "stocks",
        "user-coupons",
        "product-coupons",
        "validate",
        "webhook",
        "sandbox",
        "demo",
    ] {
        assert!(help.contains(command), "{help}");
    }
}

#[test]
fn missing_configuration_exits_1_naming_what_to_set() {
    let output = run(&["stocks", "list", "--product-coupon-id", "1000000013"]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    for name in [
        "WXPAY_BRAND_ID (--brand-id)",
        "WXPAY_BRAND_SERIAL_NO",
        "WXPAY_BRAND_PRIVATE_KEY",
        "WXPAY_PUBLIC_KEY_ID",
        "WXPAY_PUBLIC_KEY (--public-key)",
    ] {
        assert!(err.contains(name), "{err}");
    }

    let display = fixture("display_info_all_scope.json");
    let output = run(&[
        "product-coupons",
        "update",
        "--product-coupon-id",
        "1000000013",
        "--out-request-no",
        "cli_update_0001",
        "--display-info",
        display.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    for name in [
        "WXPAY_BRAND_ID (--brand-id)",
        "WXPAY_MCHID (--mchid)",
        "WXPAY_MCH_PRIVATE_KEY",
    ] {
        assert!(err.contains(name), "{err}");
    }

    let output = run(&["webhook", "decode", "--headers", "h.json", "--body", "b"]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    for name in [
        "WXPAY_PUBLIC_KEY_ID",
        "WXPAY_PUBLIC_KEY (--public-key)",
        "WXPAY_APIV3_KEY (--apiv3-key)",
    ] {
        assert!(err.contains(name), "{err}");
    }
}

#[test]
fn the_apiv3_key_is_never_echoed() {
    let secret = "S3cr3tS3cr3tS3cr3tS3cr3tS3cr3t12";
    let output = Command::new(env!("CARGO_BIN_EXE_wxpay-coupon"))
        .args(["webhook", "decode", "--help"])
        .env("WXPAY_APIV3_KEY", secret)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("WXPAY_APIV3_KEY"), "{help}");
    assert!(!help.contains(secret), "{help}");
}

#[test]
fn a_new_stock_is_checked_as_stocks_add_takes_it_with_relative_pointers() {
    let output = validate("new-stock", "new_stock_valid.json", None);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout_json(&output),
        json!({"valid": true, "violations": []})
    );

    let output = validate("new-stock", "new_stock_invalid.json", None);
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    let paths: Vec<String> = stdout_json(&output)["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            format!(
                "{} {}",
                v["rule"].as_str().unwrap(),
                v["path"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        paths,
        [
            "remark-length /remark",
            "max-count-per-user-range /stock_send_rule/max_count_per_user"
        ]
    );
}

/// Input that cannot be read as the kind is an input error (exit 1), never
/// "valid": not UTF-8, not an object, too deep, endless, unknown nested fields.
#[test]
fn unreadable_input_fails_closed_with_exit_1() {
    let dir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("validate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path.to_string_lossy().into_owned()
    };
    let deep = format!(
        "{{\"product_coupon_id\":\"1\",\"display_info\":{}{}}}",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let cases = [
        (
            write("latin1.json", b"{\"product_coupon_id\":\"\xff\"}"),
            "not a JSON document",
        ),
        (
            write("array.json", b"[\"1\",null,null]"),
            "holds a JSON array",
        ),
        (write("deep.json", deep.as_bytes()), "not a JSON document"),
        (
            write(
                "nested.json",
                br#"{"product_coupon_id":"1","display_info":{"name":"abc","nmae":"x"}}"#,
            ),
            "/display_info/nmae",
        ),
        ("/dev/zero".to_owned(), "larger than"),
    ];
    for (path, needle) in cases {
        let output = run(&["validate", "--kind", "product-coupon", "--file", &path]);
        assert_eq!(output.status.code(), Some(1), "{path}: {}", stderr(&output));
        assert!(output.stdout.is_empty(), "{path}");
        assert!(
            stderr(&output).contains(needle),
            "{path}: {}",
            stderr(&output)
        );
    }
}

/// Every failure's report ends with what to do next.
#[test]
fn every_error_report_ends_with_what_to_do() {
    for args in [
        vec!["validate", "--kind", "stock", "--file", "/nonexistent.json"],
        vec!["stocks", "list", "--product-coupon-id", "1"],
        vec!["call", "no-such-operation"],
    ] {
        let output = run(&args);
        assert_ne!(output.status.code(), Some(0), "{args:?}");
        let err = stderr(&output);
        let last = err.lines().last().unwrap_or_default();
        assert!(last.trim_start().starts_with("next: "), "{args:?}: {err}");
        assert!(last.len() > "  next: ".len() + 10, "{args:?}: {err}");
    }
}
