//! The identities the sandbox accepts and the key pair it signs with, plus
//! writing/reading them as a keys directory (`wxpay.env` + PEM files).

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use rand_core::{OsRng, RngCore};
use wxpay_sign::{ApiV3Key, PrivateKey, PublicKey};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::keysdir;
use crate::wechatpay_keys::WechatPayKeyMode;

/// Brand private key file name in a keys directory.
pub const BRAND_PRIVATE_KEY_FILE: &str = "brand_private_key.pem";
/// Merchant (service provider) private key file name in a keys directory.
pub const MCH_PRIVATE_KEY_FILE: &str = "mch_private_key.pem";
/// The sandbox's WeChat Pay public key file name (what clients verify with).
pub const WXPAY_PUBLIC_KEY_FILE: &str = "wxpay_public_key.pem";
/// The sandbox's own signing key file name (kept so a restarted sandbox can reuse the directory).
pub const SANDBOX_WXPAY_PRIVATE_KEY_FILE: &str = "sandbox_wxpay_private_key.pem";
/// The environment file name: `set -a; . DIR/wxpay.env` configures the CLI.
pub const ENV_FILE: &str = "wxpay.env";

/// Default brand id: the one of page 003's example, so its request body works verbatim.
pub const DEFAULT_BRAND_ID: &str = "120344";
/// Default merchant (service provider) id: the one of page 003's example.
pub const DEFAULT_MCHID: &str = "1900000001";

/// Everything a client needs to talk to the sandbox, and the sandbox's own
/// WeChat Pay key pair.
///
/// `Debug` shows ids and serials only, never key material or the APIv3 key.
/// Build one with [`Credentials::generate`] or [`Credentials::load_keys_dir`];
/// to change the APIv3 key use [`Credentials::with_apiv3_key`] (it keeps the
/// text form needed for `wxpay.env` in step).
#[derive(Clone)]
pub struct Credentials {
    /// The brand id accepted on `/brand/…` paths (`brand_id="…"`).
    pub brand_id: String,
    /// Serial of the brand's API certificate (`serial_no="…"` on brand calls).
    pub brand_serial_no: String,
    /// The brand's API private key (clients sign brand calls with it).
    pub brand_private_key: PrivateKey,
    /// The merchant / service-provider id accepted on `/v3/…` paths (`mchid="…"`).
    pub mchid: String,
    /// Serial of the merchant's API certificate.
    pub mch_serial_no: String,
    /// The merchant's API private key.
    pub mch_private_key: PrivateKey,
    /// The sandbox's WeChat Pay public key id (`PUB_KEY_ID_…`), sent as `Wechatpay-Serial`.
    pub wechatpay_public_key_id: String,
    /// The sandbox's own signing key (responses and webhooks).
    pub wechatpay_private_key: PrivateKey,
    /// The public half of `wechatpay_private_key` (clients verify with it).
    pub wechatpay_public_key: PublicKey,
    /// The APIv3 key webhooks are encrypted with.
    pub apiv3_key: ApiV3Key,
    /// The APIv3 key's text (`ApiV3Key` does not give its bytes back; needed for `wxpay.env`).
    apiv3_key_text: Zeroizing<String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("brand_id", &self.brand_id)
            .field("brand_serial_no", &self.brand_serial_no)
            .field("brand_private_key", &"<redacted>")
            .field("mchid", &self.mchid)
            .field("mch_serial_no", &self.mch_serial_no)
            .field("mch_private_key", &"<redacted>")
            .field("wechatpay_public_key_id", &self.wechatpay_public_key_id)
            .field("wechatpay_private_key", &"<redacted>")
            .field("apiv3_key", &"<redacted>")
            .finish_non_exhaustive()
    }
}

fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut buf = [0u8; N];
    OsRng.try_fill_bytes(&mut buf).map_err(|e| Error::Random {
        reason: e.to_string(),
    })?;
    Ok(buf)
}

pub(crate) fn random_hex<const N: usize>() -> Result<String> {
    Ok(random_bytes::<N>()?
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect())
}

impl Credentials {
    /// Fresh credentials: three RSA-2048 key pairs (brand, merchant, the
    /// sandbox's WeChat Pay key), random 40-hex-digit certificate serials, a
    /// random `PUB_KEY_ID_…` and a random 32-character APIv3 key. Brand id
    /// [`DEFAULT_BRAND_ID`], mchid [`DEFAULT_MCHID`].
    ///
    /// Key generation is CPU-heavy (fast with the workspace's dev-profile
    /// `opt-level = 3` override for `num-bigint-dig`/`rsa`); tests should
    /// generate once and share the result.
    pub fn generate() -> Result<Self> {
        let generate = || PrivateKey::generate().map_err(Error::crypto("generating an RSA key"));
        let brand_private_key = generate()?;
        let mch_private_key = generate()?;
        let wechatpay_private_key = generate()?;
        let apiv3 = wxpay_sign::try_generate_nonce_of_len(32)
            .map_err(Error::crypto("generating the APIv3 key"))?;
        Self::from_parts(
            Ids {
                brand_id: DEFAULT_BRAND_ID.to_owned(),
                brand_serial_no: random_hex::<20>()?,
                mchid: DEFAULT_MCHID.to_owned(),
                mch_serial_no: random_hex::<20>()?,
                wechatpay_public_key_id: format!("PUB_KEY_ID_{}", random_hex::<14>()?),
            },
            brand_private_key,
            mch_private_key,
            wechatpay_private_key,
            &apiv3,
        )
    }

    fn from_parts(
        ids: Ids,
        brand_private_key: PrivateKey,
        mch_private_key: PrivateKey,
        wechatpay_private_key: PrivateKey,
        apiv3_key: &str,
    ) -> Result<Self> {
        let key =
            ApiV3Key::new(apiv3_key.as_bytes()).map_err(Error::crypto("loading the APIv3 key"))?;
        Ok(Self {
            brand_id: ids.brand_id,
            brand_serial_no: ids.brand_serial_no,
            brand_private_key,
            mchid: ids.mchid,
            mch_serial_no: ids.mch_serial_no,
            mch_private_key,
            wechatpay_public_key_id: ids.wechatpay_public_key_id,
            wechatpay_public_key: wechatpay_private_key.public_key(),
            wechatpay_private_key,
            apiv3_key: key,
            apiv3_key_text: Zeroizing::new(apiv3_key.to_owned()),
        })
    }

    /// Replaces the APIv3 key (exactly 32 bytes of text, as on the merchant platform).
    pub fn with_apiv3_key(mut self, apiv3_key: &str) -> Result<Self> {
        self.apiv3_key =
            ApiV3Key::new(apiv3_key.as_bytes()).map_err(Error::crypto("loading the APIv3 key"))?;
        self.apiv3_key_text = Zeroizing::new(apiv3_key.to_owned());
        Ok(self)
    }

    /// The APIv3 key as text (what `WXPAY_APIV3_KEY` holds). Secret: do not log it.
    pub fn apiv3_key_text(&self) -> &str {
        &self.apiv3_key_text
    }

    /// A signer for brand calls (`WECHATPAY-BRAND-SHA256-RSA2048`) with these credentials.
    pub fn brand_signer(&self) -> wxpay_sign::Signer {
        wxpay_sign::Signer::brand(
            self.brand_id.clone(),
            self.brand_serial_no.clone(),
            self.brand_private_key.clone(),
        )
    }

    /// A signer for partner calls (`WECHATPAY2-SHA256-RSA2048`) with these credentials.
    pub fn merchant_signer(&self) -> wxpay_sign::Signer {
        wxpay_sign::Signer::merchant(
            self.mchid.clone(),
            self.mch_serial_no.clone(),
            self.mch_private_key.clone(),
        )
    }

    /// Writes the keys directory `dir`:
    /// `brand_private_key.pem`, `mch_private_key.pem` and
    /// `sandbox_wxpay_private_key.pem` (mode 0600), `wxpay_public_key.pem` (0644), and
    /// `wxpay.env` (mode 0600) with one shell-safe `WXPAY_…=value` line per
    /// variable — `WXPAY_BASE_URL` (= `base_url`), `WXPAY_BRAND_ID`, `WXPAY_BRAND_SERIAL_NO`,
    /// `WXPAY_BRAND_PRIVATE_KEY`, `WXPAY_MCHID`, `WXPAY_MCH_SERIAL_NO`,
    /// `WXPAY_MCH_PRIVATE_KEY`, `WXPAY_PUBLIC_KEY_ID`, `WXPAY_PUBLIC_KEY`,
    /// `WXPAY_APIV3_KEY` — with absolute PEM paths, so `set -a; . DIR/wxpay.env`
    /// configures the CLI against that sandbox.
    ///
    /// The filesystem is not trusted:
    /// - `dir` is created with mode 0700 when missing; an existing `dir` is used
    ///   only when it is a real directory (not a symbolic link) owned by the
    ///   current user and not writable by group or others;
    /// - key files are created with create-new semantics (`O_CREAT | O_EXCL`,
    ///   which never follows a link) and are never overwritten: an existing key
    ///   file is accepted only when it already holds exactly these keys (a sandbox
    ///   restarted on the credentials it loaded from `dir`), is a regular file of
    ///   the current user and is no more permissive than its mode above;
    /// - `wxpay.env` (whose base URL changes on every start) is written to a new
    ///   file and renamed over the old one.
    ///
    /// Anything else fails with [`Error::KeysDir`] saying what to do (use a new
    /// path, or a private directory such as one made by `mktemp -d`).
    pub fn write_keys_dir(&self, dir: &Path, base_url: &str) -> Result<()> {
        self.write_keys_dir_for(dir, base_url, WechatPayKeyMode::Both)
    }

    /// [`Credentials::write_keys_dir`] for a sandbox running in `mode`. In the
    /// [certificates](WechatPayKeyMode::Certificates) mode the sandbox has no
    /// WeChat Pay public key to publish: `wxpay_public_key.pem` is not
    /// written and `wxpay.env` omits `WXPAY_PUBLIC_KEY_ID` and
    /// `WXPAY_PUBLIC_KEY`, so that a client configured from it downloads the
    /// platform certificates with `WXPAY_APIV3_KEY`.
    pub fn write_keys_dir_for(
        &self,
        dir: &Path,
        base_url: &str,
        mode: WechatPayKeyMode,
    ) -> Result<()> {
        let dir = keysdir::prepare_dir(dir)?;
        let brand = dir.join(BRAND_PRIVATE_KEY_FILE);
        let mch = dir.join(MCH_PRIVATE_KEY_FILE);
        let public = dir.join(WXPAY_PUBLIC_KEY_FILE);
        let own = dir.join(SANDBOX_WXPAY_PRIVATE_KEY_FILE);
        keysdir::write_new_or_same(
            &brand,
            self.brand_private_key.to_pkcs8_pem().as_bytes(),
            0o600,
        )?;
        keysdir::write_new_or_same(&mch, self.mch_private_key.to_pkcs8_pem().as_bytes(), 0o600)?;
        keysdir::write_new_or_same(
            &own,
            self.wechatpay_private_key.to_pkcs8_pem().as_bytes(),
            0o600,
        )?;
        if mode.has_public_key() {
            keysdir::write_new_or_same(
                &public,
                self.wechatpay_public_key.to_spki_pem().as_bytes(),
                0o644,
            )?;
        }

        let mut env = Zeroizing::new(String::new());
        env.push_str("# WeChat Pay product-coupon sandbox credentials (generated, test only).\n");
        env.push_str(&format!(
            "# Load with: set -a; . {}\n",
            shell_quote(&dir.join(ENV_FILE).to_string_lossy())
        ));
        let path_str = |p: &PathBuf| p.to_string_lossy().into_owned();
        let mut vars: Vec<(&str, String)> = vec![
            ("WXPAY_BASE_URL", base_url.to_owned()),
            ("WXPAY_BRAND_ID", self.brand_id.clone()),
            ("WXPAY_BRAND_SERIAL_NO", self.brand_serial_no.clone()),
            ("WXPAY_BRAND_PRIVATE_KEY", path_str(&brand)),
            ("WXPAY_MCHID", self.mchid.clone()),
            ("WXPAY_MCH_SERIAL_NO", self.mch_serial_no.clone()),
            ("WXPAY_MCH_PRIVATE_KEY", path_str(&mch)),
        ];
        if mode.has_public_key() {
            vars.push(("WXPAY_PUBLIC_KEY_ID", self.wechatpay_public_key_id.clone()));
            vars.push(("WXPAY_PUBLIC_KEY", path_str(&public)));
        } else {
            env.push_str(
                "# No WXPAY_PUBLIC_KEY_ID / WXPAY_PUBLIC_KEY: this sandbox signs with platform\n# certificates only (--wechatpay-keys certificates); clients download them\n# with WXPAY_APIV3_KEY.\n",
            );
        }
        vars.push(("WXPAY_APIV3_KEY", self.apiv3_key_text.to_string()));
        for (name, value) in vars {
            env.push_str(name);
            env.push('=');
            env.push_str(&shell_quote(&value));
            env.push('\n');
        }
        keysdir::replace_file(&dir, ENV_FILE, env.as_bytes(), 0o600)
    }

    /// Reads a keys directory written by [`Credentials::write_keys_dir`] (or
    /// [`write_keys_dir_for`](Credentials::write_keys_dir_for)): the ids and
    /// the APIv3 key from `wxpay.env`, the keys from the PEM files next to it
    /// (the sandbox's own signing key from `sandbox_wxpay_private_key.pem`).
    /// A directory written for the certificates mode names no public key id:
    /// a fresh one is made (the key pair stays the same).
    ///
    /// Like writing, reading does not trust the filesystem: `dir` must be a real
    /// directory of the current user, not writable by group or others; files are
    /// opened without following links, must be regular files, and are read up to
    /// [`MAX_KEYS_FILE_BYTES`](crate::MAX_KEYS_FILE_BYTES) (a larger one is an error).
    pub fn load_keys_dir(dir: &Path) -> Result<Self> {
        keysdir::check_existing_dir(dir)?;
        let text = keysdir::read_bounded_text(&dir.join(ENV_FILE))?;
        let vars = parse_env(&text);
        let invalid = |reason: String| Error::InvalidKeysDir {
            path: dir.to_owned(),
            reason,
        };
        let get = |name: &str| -> Result<String> {
            vars.iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.to_string())
                .filter(|v| !v.is_empty())
                .ok_or_else(|| invalid(format!("{ENV_FILE} lacks {name}")))
        };
        let ids = Ids {
            brand_id: get("WXPAY_BRAND_ID")?,
            brand_serial_no: get("WXPAY_BRAND_SERIAL_NO")?,
            mchid: get("WXPAY_MCHID")?,
            mch_serial_no: get("WXPAY_MCH_SERIAL_NO")?,
            // Absent when the directory was written for the certificates
            // mode: the key pair then has no published public key id yet.
            wechatpay_public_key_id: match get("WXPAY_PUBLIC_KEY_ID") {
                Ok(id) => id,
                Err(_) => format!("PUB_KEY_ID_{}", random_hex::<14>()?),
            },
        };
        let apiv3 = Zeroizing::new(get("WXPAY_APIV3_KEY")?);
        let key = |file: &str| -> Result<PrivateKey> {
            let pem = keysdir::read_bounded_text(&dir.join(file))?;
            PrivateKey::from_pem(&pem).map_err(|e| invalid(format!("{file}: {e}")))
        };
        let creds = Self::from_parts(
            ids,
            key(BRAND_PRIVATE_KEY_FILE)?,
            key(MCH_PRIVATE_KEY_FILE)?,
            key(SANDBOX_WXPAY_PRIVATE_KEY_FILE)?,
            &apiv3,
        )
        .map_err(|e| invalid(e.to_string()))?;
        Ok(creds)
    }

    /// [`Credentials::load_keys_dir`] when `dir/wxpay.env` exists (as anything: a
    /// link or a non-file there is refused by the load, not skipped), `None`
    /// otherwise.
    pub fn load_keys_dir_if_present(dir: &Path) -> Result<Option<Self>> {
        match fs::symlink_metadata(dir.join(ENV_FILE)) {
            Ok(_) => Self::load_keys_dir(dir).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(Error::KeysDir {
                action: "read",
                path: dir.join(ENV_FILE),
                source,
            }),
        }
    }
}

struct Ids {
    brand_id: String,
    brand_serial_no: String,
    mchid: String,
    mch_serial_no: String,
    wechatpay_public_key_id: String,
}

/// Quotes `value` for a POSIX shell: unchanged when it only holds safe
/// characters, otherwise single-quoted (with `'\''` for embedded quotes).
pub(crate) fn shell_quote(value: &str) -> String {
    let safe = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-./:@%+,".contains(&b));
    if safe {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

/// Parses `NAME=value` lines as [`shell_quote`] writes them (comments and
/// blank lines skipped; single quotes and backslash escapes undone).
pub(crate) fn parse_env(text: &str) -> Vec<(String, Zeroizing<String>)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((name, raw)) = line.split_once('=') else {
            continue;
        };
        let mut value = Zeroizing::new(String::with_capacity(raw.len()));
        let mut chars = raw.chars();
        let mut quoted = false;
        while let Some(c) = chars.next() {
            match (quoted, c) {
                (false, '\'') | (true, '\'') => quoted = !quoted,
                (false, '\\') => {
                    if let Some(next) = chars.next() {
                        value.push(next);
                    }
                }
                (_, c) => value.push(c),
            }
        }
        out.push((name.trim().to_owned(), value));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn safe_values_stay_bare() {
        assert_eq!(shell_quote("PUB_KEY_ID_0A1B"), "PUB_KEY_ID_0A1B");
        assert_eq!(shell_quote("/tmp/keys/a.pem"), "/tmp/keys/a.pem");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }

    proptest! {
        #[test]
        fn quote_then_parse_round_trips(value in "[ -~]{0,40}") {
            let line = format!("X={}\n", shell_quote(&value));
            let parsed = parse_env(&line);
            prop_assert_eq!(parsed.len(), 1);
            prop_assert_eq!(parsed[0].1.as_str(), value.as_str());
        }
    }
}
