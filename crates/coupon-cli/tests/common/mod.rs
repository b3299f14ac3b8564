//! Helpers shared by the CLI tests: an in-process sandbox, its keys
//! directory, and the binary configured from that directory's `wxpay.env`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use coupon_sandbox::{Credentials, Sandbox};
use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_wxpay-coupon");

/// One set of keys for every test (RSA generation is the slow part).
pub fn credentials() -> Credentials {
    static CREDS: OnceLock<Credentials> = OnceLock::new();
    CREDS
        .get_or_init(|| Credentials::generate().unwrap())
        .clone()
}

pub fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// A fresh directory under cargo's per-test-target temp dir.
pub fn temp_dir(name: &str) -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "coupon-cli-{name}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `NAME=value` lines of a `wxpay.env` (single-quoted values unquoted).
pub fn read_env_file(path: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|line| {
            let (name, value) = line.split_once('=').unwrap();
            let value = match value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
                Some(quoted) => quoted.replace(r"'\''", "'"),
                None => value.to_owned(),
            };
            (name.to_owned(), value)
        })
        .collect()
}

/// A running in-process sandbox and the environment pointing the CLI at it.
pub struct Env {
    pub sandbox: Sandbox,
    pub vars: Vec<(String, String)>,
    pub dir: PathBuf,
}

pub async fn start(name: &str) -> Env {
    let sandbox = Sandbox::builder()
        .credentials(credentials())
        .start()
        .await
        .unwrap();
    let dir = temp_dir(name);
    sandbox
        .credentials()
        .write_keys_dir(&dir, &sandbox.base_url())
        .unwrap();
    let vars = read_env_file(&dir.join("wxpay.env"));
    assert_eq!(vars.len(), 10, "{vars:?}");
    assert!(vars.contains(&("WXPAY_BASE_URL".into(), sandbox.base_url())));
    Env { sandbox, vars, dir }
}

pub fn command(vars: &[(String, String)], args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    for (name, _) in std::env::vars() {
        if name.starts_with("WXPAY_") {
            command.env_remove(name);
        }
    }
    command.envs(vars.iter().map(|(k, v)| (k, v))).args(args);
    command
}

impl Env {
    /// Runs the CLI on a blocking thread while the sandbox keeps serving.
    pub async fn run(&self, args: &[&str]) -> Output {
        let mut command = command(&self.vars, args);
        tokio::task::spawn_blocking(move || command.output().unwrap())
            .await
            .unwrap()
    }
}

pub fn stdout_json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            stderr(output)
        )
    })
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
