//! The sandbox's WeChat Pay keys from the shell: `wxpay-coupon sandbox
//! --wechatpay-keys MODE [--rotate-after N]` run as a child process, then
//! `certificates download`, calls, and the admin subcommands `sandbox keys`,
//! `rotate-key` and `retire-key` against it.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Output, Stdio};

use coupon_sandbox::seed;
use serde_json::Value;
use wxpay_sign::PlatformCertificate;

mod common;
use common::*;

/// Kills (and reaps) the child process when dropped, also during a panic.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A sandbox child run with `args`, its base URL and its keys directory's
/// `wxpay.env`.
struct Running {
    _child: KillOnDrop,
    dir: PathBuf,
    vars: Vec<(String, String)>,
}

fn sandbox(name: &str, args: &[&str]) -> Running {
    let dir = temp_dir(name).join("keys");
    let mut all = vec!["sandbox", "--keys-dir", dir.to_str().unwrap()];
    all.extend_from_slice(args);
    let child = command(&[], &all)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);
    let mut first = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let base_url = first.trim_end().to_owned();
    assert!(base_url.starts_with("http://127.0.0.1:"), "{first:?}");
    let vars = read_env_file(&dir.join("wxpay.env"));
    assert!(vars.contains(&("WXPAY_BASE_URL".to_owned(), base_url)));
    Running {
        _child: child,
        dir,
        vars,
    }
}

impl Running {
    fn run(&self, args: &[&str]) -> Output {
        command(&self.vars, args).output().unwrap()
    }

    fn ok_json(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        stdout_json(&out)
    }
}

fn ids(keys: &Value) -> Vec<String> {
    keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["id"].as_str().unwrap().to_owned())
        .collect()
}

const GET_PC: [&str; 5] = [
    "call",
    "get-product-coupon",
    "--partner",
    "--param",
    "product_coupon_id=1000000013",
];

#[test]
fn a_certificates_sandbox_serves_its_certificate_and_rotates_through_the_cli() {
    let sb = sandbox("keys-certificates", &["--wechatpay-keys", "certificates"]);
    // No public key to publish: clients download the certificates.
    let names: Vec<&str> = sb.vars.iter().map(|(k, _)| k.as_str()).collect();
    assert!(!names.contains(&"WXPAY_PUBLIC_KEY_ID"), "{names:?}");
    assert!(!names.contains(&"WXPAY_PUBLIC_KEY"), "{names:?}");
    assert!(names.contains(&"WXPAY_APIV3_KEY"), "{names:?}");
    assert!(!sb.dir.join("wxpay_public_key.pem").exists());

    let keys = sb.ok_json(&["sandbox", "keys"]);
    assert_eq!(keys["mode"], "certificates");
    assert_eq!(keys["keys"].as_array().unwrap().len(), 1);
    let first = &keys["keys"][0];
    assert_eq!(first["kind"], "certificate");
    assert_eq!(first["default"], true);
    let old = first["id"].as_str().unwrap().to_owned();

    // `certificates download` prints the sandbox's certificate…
    let list = sb.ok_json(&["certificates", "download"]);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["serial_no"], old.as_str());
    assert_eq!(list[0]["valid_now"], true);
    let pem = list[0]["pem"].as_str().unwrap();
    let certificate = PlatformCertificate::from_pem(pem).unwrap();
    assert_eq!(certificate.serial(), old);
    assert_eq!(Some(pem), first["certificate_pem"].as_str());
    // …and writes it with --out.
    let out_dir = temp_dir("keys-certificates-out").join("certs");
    let list = sb.ok_json(&[
        "certificates",
        "download",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    let file = list[0]["file"].as_str().unwrap();
    assert!(file.ends_with(&format!("wechatpay_{old}.pem")), "{file}");
    let saved = std::fs::read_to_string(file).unwrap();
    assert_eq!(PlatformCertificate::from_pem(&saved).unwrap(), certificate);

    // Calls verify with the downloaded certificate.
    let mut args = GET_PC.to_vec();
    args.extend(["--repeat", "2"]);
    let out = sb.run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains(seed::PRODUCT_COUPON_ID));

    // Rotation, retiring the old certificate: downloads deliver the new one.
    let rotation = sb.ok_json(&["sandbox", "rotate-key", "--retire-previous"]);
    let new = rotation["rotated"]["id"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert_eq!(rotation["rotated"]["default"], true);
    let keys = sb.ok_json(&["sandbox", "keys"]);
    assert_eq!(ids(&keys), [old.clone(), new.clone()]);
    assert_eq!(keys["keys"][0]["retired"], true);
    let list = sb.ok_json(&["certificates", "download"]);
    let serials: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["serial_no"].as_str().unwrap())
        .collect();
    assert_eq!(serials, [new.as_str()]);
    let out = sb.run(&GET_PC);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // The default key cannot be retired; a second rotation then allows it.
    let out = sb.run(&["sandbox", "retire-key", &new]);
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("default"), "{}", stderr(&out));
    let newest = sb.ok_json(&["sandbox", "rotate-key"])["rotated"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let keys = sb.ok_json(&["sandbox", "retire-key", &new]);
    assert_eq!(ids(&keys), [old, new, newest]);
    assert_eq!(keys["keys"][1]["retired"], true);
}

#[test]
fn a_public_key_sandbox_has_no_certificates_and_rotates_after_requests() {
    let sb = sandbox(
        "keys-public",
        &["--wechatpay-keys", "public-key", "--rotate-after", "2"],
    );
    let keys = sb.ok_json(&["sandbox", "keys"]);
    assert_eq!(keys["mode"], "public-key");
    let old = ids(&keys);
    assert_eq!(old.len(), 1);
    assert!(old[0].starts_with("PUB_KEY_ID_"), "{old:?}");
    assert!(
        sb.vars
            .contains(&("WXPAY_PUBLIC_KEY_ID".to_owned(), old[0].clone()))
    );

    // Request 1: the certificate download is a 404, which the CLI reports
    // with exit 2, naming the public-key setting.
    let out = sb.run(&["certificates", "download"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("WXPAY_PUBLIC_KEY"),
        "{}",
        stderr(&out)
    );
    assert_eq!(ids(&sb.ok_json(&["sandbox", "keys"])), old, "not yet");

    // Request 2 makes the rotation: a new public key becomes the default.
    let list = [
        "stocks",
        "list",
        "--product-coupon-id",
        seed::PRODUCT_COUPON_ID,
        "--page-size",
        "1",
    ];
    sb.ok_json(&list);
    let keys = sb.ok_json(&["sandbox", "keys"]);
    let now = ids(&keys);
    assert_eq!(now.len(), 2, "{keys}");
    assert_eq!(now[0], old[0]);
    assert!(now[1].starts_with("PUB_KEY_ID_"));
    assert_eq!(keys["keys"][1]["default"], true);
    // Brand calls name the old key (wxpay.env) and are still answered with it.
    sb.ok_json(&list);
}
