//! The keys directory does not trust the filesystem: links are never followed,
//! key files are never overwritten, and only a private directory of the
//! current user is used. Reusing a directory with the credentials it holds
//! (what `wxpay-coupon sandbox --keys-dir DIR` does on a restart) still works.
#![cfg(unix)]

mod common;

use std::fs;
use std::os::unix::fs::{PermissionsExt as _, symlink};
use std::path::{Path, PathBuf};

use coupon_sandbox::{Credentials, Error, MAX_KEYS_FILE_BYTES};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "coupon-sandbox-keysdir-test-{}-{name}",
        std::process::id()
    ));
    let _ = fs::remove_dir_all(&dir);
    dir
}

fn assert_refused(err: Error, what: &str) {
    let text = err.to_string();
    assert!(matches!(err, Error::KeysDir { .. }), "{text}");
    assert!(text.contains(what), "{text}");
    assert!(text.contains("mktemp -d"), "says what to do: {text}");
}

#[test]
fn a_new_directory_is_created_private() {
    let dir = temp_dir("new");
    common::creds()
        .write_keys_dir(&dir, "http://127.0.0.1:1")
        .unwrap();
    let mode = fs::metadata(&dir).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn restarting_on_the_loaded_credentials_reuses_the_directory() {
    let dir = temp_dir("reuse");
    common::creds()
        .write_keys_dir(&dir, "http://127.0.0.1:1")
        .unwrap();
    let loaded = Credentials::load_keys_dir_if_present(&dir)
        .unwrap()
        .unwrap();
    loaded.write_keys_dir(&dir, "http://127.0.0.1:2").unwrap();
    let env = fs::read_to_string(dir.join("wxpay.env")).unwrap();
    assert!(env.contains("WXPAY_BASE_URL=http://127.0.0.1:2\n"), "{env}");
    assert!(!env.contains("127.0.0.1:1"), "{env}");
    let mode = fs::metadata(dir.join("wxpay.env"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn existing_other_keys_are_refused_and_left_alone() {
    let dir = temp_dir("other");
    common::creds()
        .write_keys_dir(&dir, "http://127.0.0.1:1")
        .unwrap();
    let before = fs::read(dir.join("brand_private_key.pem")).unwrap();
    let other = common::creds().with_apiv3_key(&"k".repeat(32)).unwrap();
    // Same keys, other APIv3 key: the PEM files match, wxpay.env is replaced.
    other.write_keys_dir(&dir, "http://127.0.0.1:1").unwrap();

    let different = Credentials::generate().unwrap();
    let err = different
        .write_keys_dir(&dir, "http://127.0.0.1:1")
        .unwrap_err();
    assert_refused(err, "holds other keys");
    assert_eq!(fs::read(dir.join("brand_private_key.pem")).unwrap(), before);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_symlinked_directory_is_refused() {
    let real = temp_dir("real");
    fs::create_dir(&real).unwrap();
    fs::set_permissions(&real, fs::Permissions::from_mode(0o700)).unwrap();
    let link = temp_dir("link");
    symlink(&real, &link).unwrap();

    let err = common::creds()
        .write_keys_dir(&link, "http://127.0.0.1:1")
        .unwrap_err();
    assert_refused(err, "symbolic link");
    assert_eq!(fs::read_dir(&real).unwrap().count(), 0, "nothing written");

    // And a link to a directory holding credentials is not read either.
    common::creds()
        .write_keys_dir(&real, "http://127.0.0.1:1")
        .unwrap();
    let err = Credentials::load_keys_dir_if_present(&link).unwrap_err();
    assert_refused(err, "symbolic link");
    let _ = fs::remove_file(&link);
    let _ = fs::remove_dir_all(&real);
}

#[test]
fn a_directory_writable_by_others_is_refused() {
    for mode in [0o777, 0o770, 0o702] {
        let dir = temp_dir(&format!("open-{mode:o}"));
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(mode)).unwrap();
        let err = common::creds()
            .write_keys_dir(&dir, "http://127.0.0.1:1")
            .unwrap_err();
        assert_refused(err, "writable by group or others");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0, "nothing written");
        let _ = fs::remove_dir_all(&dir);
    }
}

/// Only root can give a directory away; as another user this is vacuous.
#[test]
fn a_directory_of_another_user_is_refused() {
    let dir = temp_dir("foreign");
    fs::create_dir(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    if std::os::unix::fs::chown(&dir, Some(65_534), Some(65_534)).is_err() {
        let _ = fs::remove_dir_all(&dir);
        return;
    }
    let err = common::creds()
        .write_keys_dir(&dir, "http://127.0.0.1:1")
        .unwrap_err();
    assert_refused(err, "owned by uid 65534");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn links_inside_the_directory_are_not_followed() {
    let dir = temp_dir("inner-link");
    fs::create_dir(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
    let victim = dir.join("victim.txt");
    fs::write(&victim, b"precious").unwrap();
    symlink(&victim, dir.join("brand_private_key.pem")).unwrap();

    let err = common::creds()
        .write_keys_dir(&dir, "http://127.0.0.1:1")
        .unwrap_err();
    assert_refused(err, "symbolic link");
    assert_eq!(fs::read(&victim).unwrap(), b"precious");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn loading_stops_at_the_size_bound_and_refuses_devices() {
    let dir = temp_dir("huge");
    common::creds()
        .write_keys_dir(&dir, "http://127.0.0.1:1")
        .unwrap();
    let env = dir.join("wxpay.env");
    let mut text = fs::read_to_string(&env).unwrap();
    text.push_str(&"#".repeat(MAX_KEYS_FILE_BYTES as usize));
    fs::write(&env, text).unwrap();
    let err = Credentials::load_keys_dir(&dir).unwrap_err();
    assert!(err.to_string().contains("larger than"), "{err}");

    fs::remove_file(&env).unwrap();
    symlink(Path::new("/dev/zero"), &env).unwrap();
    let err = Credentials::load_keys_dir(&dir).unwrap_err();
    assert_refused(err, "symbolic link");
    let _ = fs::remove_dir_all(&dir);
}
