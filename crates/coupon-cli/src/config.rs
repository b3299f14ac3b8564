//! Configuration shared by every command: flags, each with its `WXPAY_…`
//! environment variable, and turning them into clients.

use std::fmt;
use std::path::{Path, PathBuf};

use clap::Args;
use coupon_client::{BrandClient, PartnerClient, WebhookHandler};
use coupon_http::Transport;
use wxpay_sign::{ApiV3Key, PrivateKey, PublicKey, Verifier};
use zeroize::Zeroizing;

use crate::error::CliError;

/// A secret given on the command line or in the environment (the APIv3 key).
/// Zeroized on drop; `Debug` never shows it.
#[derive(Clone)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// The secret text. Never print it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

fn parse_secret(value: &str) -> Result<Secret, std::convert::Infallible> {
    Ok(Secret(Zeroizing::new(value.to_owned())))
}

/// The hosts: `--base-url` and `--backup-base-url`.
#[derive(Debug, Clone, Args)]
pub struct HostArgs {
    /// Primary base URL [default: https://api.mch.weixin.qq.com]. When given,
    /// the backup host is not used unless --backup-base-url is given too.
    #[arg(long, env = "WXPAY_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,

    /// Backup base URL used after a connection failure or timeout on the
    /// primary [default without --base-url: https://api2.mch.weixin.qq.com].
    #[arg(long, env = "WXPAY_BACKUP_BASE_URL", value_name = "URL")]
    pub backup_base_url: Option<String>,
}

/// The WeChat Pay public key responses and webhooks are verified with
/// (optional for service-provider commands given the APIv3 key: they then
/// download the platform certificates).
#[derive(Debug, Clone, Args)]
pub struct PublicKeyArgs {
    /// Id of the WeChat Pay public key (PUB_KEY_ID_…).
    #[arg(long, env = "WXPAY_PUBLIC_KEY_ID", value_name = "ID")]
    pub public_key_id: Option<String>,

    /// Path of the WeChat Pay public key (PEM).
    #[arg(long, env = "WXPAY_PUBLIC_KEY", value_name = "PEM")]
    pub public_key: Option<PathBuf>,
}

/// The APIv3 key: decrypts webhook resources and the platform certificates
/// `GET /v3/certificates` delivers.
#[derive(Debug, Clone, Args)]
pub struct ApiV3KeyArgs {
    /// APIv3 key (prefer the environment variable: command lines are visible
    /// to other users). Service-provider commands use it to download the
    /// WeChat Pay platform certificates when no public key is configured or
    /// an answer names a certificate they do not hold.
    #[arg(
        long,
        env = "WXPAY_APIV3_KEY",
        value_name = "KEY",
        hide_env_values = true,
        value_parser = parse_secret
    )]
    pub apiv3_key: Option<Secret>,
}

/// The brand's identity: id, API-certificate serial and private key.
#[derive(Debug, Clone, Args)]
pub struct BrandIdentityArgs {
    /// Brand id (for partner calls: the brand acted for, unless the request
    /// names one).
    #[arg(long, env = "WXPAY_BRAND_ID", value_name = "ID")]
    pub brand_id: Option<String>,

    /// Serial number of the brand's API certificate.
    #[arg(long, env = "WXPAY_BRAND_SERIAL_NO", value_name = "SERIAL")]
    pub brand_serial_no: Option<String>,

    /// Path of the brand's API private key (PEM).
    #[arg(long, env = "WXPAY_BRAND_PRIVATE_KEY", value_name = "PEM")]
    pub brand_private_key: Option<PathBuf>,
}

/// The service provider's identity: merchant id, API-certificate serial and
/// private key.
#[derive(Debug, Clone, Args)]
pub struct MerchantIdentityArgs {
    /// Service-provider merchant id.
    #[arg(long, env = "WXPAY_MCHID", value_name = "MCHID")]
    pub mchid: Option<String>,

    /// Serial number of the merchant's API certificate.
    #[arg(long, env = "WXPAY_MCH_SERIAL_NO", value_name = "SERIAL")]
    pub mch_serial_no: Option<String>,

    /// Path of the merchant's API private key (PEM).
    #[arg(long, env = "WXPAY_MCH_PRIVATE_KEY", value_name = "PEM")]
    pub mch_private_key: Option<PathBuf>,
}

/// Settings of brand commands (flags or environment; flags win).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Configuration (flags or environment)")]
pub struct BrandConfig {
    #[command(flatten)]
    hosts: HostArgs,

    #[command(flatten)]
    identity: BrandIdentityArgs,

    #[command(flatten)]
    public: PublicKeyArgs,
}

/// Settings of partner (service-provider) commands.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Configuration (flags or environment)")]
pub struct PartnerConfig {
    #[command(flatten)]
    hosts: HostArgs,

    #[command(flatten)]
    identity: MerchantIdentityArgs,

    #[command(flatten)]
    public: PublicKeyArgs,

    #[command(flatten)]
    apiv3: ApiV3KeyArgs,
}

/// Settings of commands that act on either side (`call`): both identities;
/// `--partner` picks the service provider's.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Configuration (flags or environment)")]
pub struct AnySideConfig {
    #[command(flatten)]
    pub(crate) hosts: HostArgs,

    #[command(flatten)]
    brand: BrandIdentityArgs,

    #[command(flatten)]
    merchant: MerchantIdentityArgs,

    #[command(flatten)]
    public: PublicKeyArgs,

    #[command(flatten)]
    apiv3: ApiV3KeyArgs,
}

/// Settings of `webhook decode`: the WeChat Pay public key, or the merchant
/// identity to download the platform certificates with; and the APIv3 key
/// the resource is encrypted with.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Configuration (flags or environment)")]
pub struct WebhookConfig {
    #[command(flatten)]
    public: PublicKeyArgs,

    #[command(flatten)]
    apiv3: ApiV3KeyArgs,

    #[command(flatten)]
    hosts: HostArgs,

    #[command(flatten)]
    merchant: MerchantIdentityArgs,
}

/// One missing setting: its flag and its environment variable.
struct Setting {
    flag: &'static str,
    env: &'static str,
}

const BRAND_ID: Setting = Setting {
    flag: "--brand-id",
    env: "WXPAY_BRAND_ID",
};
const BRAND_SERIAL_NO: Setting = Setting {
    flag: "--brand-serial-no",
    env: "WXPAY_BRAND_SERIAL_NO",
};
const BRAND_PRIVATE_KEY: Setting = Setting {
    flag: "--brand-private-key",
    env: "WXPAY_BRAND_PRIVATE_KEY",
};
const MCHID: Setting = Setting {
    flag: "--mchid",
    env: "WXPAY_MCHID",
};
const MCH_SERIAL_NO: Setting = Setting {
    flag: "--mch-serial-no",
    env: "WXPAY_MCH_SERIAL_NO",
};
const MCH_PRIVATE_KEY: Setting = Setting {
    flag: "--mch-private-key",
    env: "WXPAY_MCH_PRIVATE_KEY",
};
const PUBLIC_KEY_ID: Setting = Setting {
    flag: "--public-key-id",
    env: "WXPAY_PUBLIC_KEY_ID",
};
const PUBLIC_KEY: Setting = Setting {
    flag: "--public-key",
    env: "WXPAY_PUBLIC_KEY",
};
const APIV3_KEY: Setting = Setting {
    flag: "--apiv3-key",
    env: "WXPAY_APIV3_KEY",
};

/// Collects every missing setting of one command, to report them all at once.
struct Missing {
    what: &'static str,
    settings: Vec<&'static Setting>,
    hints: Vec<String>,
}

impl Missing {
    fn new(what: &'static str) -> Self {
        Self {
            what,
            settings: Vec::new(),
            hints: Vec::new(),
        }
    }

    fn is_empty(&self) -> bool {
        self.settings.is_empty()
    }

    /// Adds a sentence to the error (an alternative to the settings named).
    fn hint(&mut self, text: String) {
        self.hints.push(text);
    }

    fn check<'a, T>(&mut self, value: Option<&'a T>, setting: &'static Setting) -> Option<&'a T> {
        if value.is_none() {
            self.settings.push(setting);
        }
        value
    }

    fn into_error(self) -> CliError {
        let names: Vec<String> = self
            .settings
            .iter()
            .map(|s| format!("{} ({})", s.env, s.flag))
            .collect();
        let mut text = format!(
            "missing configuration for {}: set {}",
            self.what,
            names.join(", ")
        );
        for hint in &self.hints {
            text.push_str("; ");
            text.push_str(hint);
        }
        CliError::Config(text)
    }
}

/// The largest key file read: 64 KiB (a 4096-bit PEM key is about 3 KiB).
const MAX_KEY_FILE_BYTES: usize = 64 * 1024;

/// The text of a PEM file of at most [`MAX_KEY_FILE_BYTES`], zeroized when dropped.
fn read_pem(path: &Path, setting: &Setting) -> Result<Zeroizing<String>, CliError> {
    let bytes = Zeroizing::new(crate::commands::read_file_bounded(
        path,
        setting.flag,
        MAX_KEY_FILE_BYTES,
    )?);
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        CliError::Config(format!(
            "{} {} ({}) is not a PEM text file",
            setting.flag,
            path.display(),
            setting.env
        ))
    })?;
    Ok(Zeroizing::new(text.to_owned()))
}

fn load_private_key(path: &Path, setting: &Setting, what: &str) -> Result<PrivateKey, CliError> {
    PrivateKey::from_pem(&read_pem(path, setting)?).map_err(|e| {
        CliError::Config(format!(
            "cannot load the {what} from {} ({} / {}): {e}",
            path.display(),
            setting.flag,
            setting.env
        ))
    })
}

/// Builds the transport: `--base-url` (then no backup host unless
/// `--backup-base-url`), or the WeChat Pay defaults.
fn transport(hosts: &HostArgs) -> Result<Transport, CliError> {
    let mut builder = Transport::builder();
    if let Some(url) = &hosts.base_url {
        builder = builder.primary_base_url(url.clone());
        builder = match &hosts.backup_base_url {
            Some(backup) => builder.backup_base_url(backup.clone()),
            None => builder.without_backup(),
        };
    } else if let Some(backup) = &hosts.backup_base_url {
        builder = builder.backup_base_url(backup.clone());
    }
    builder.build().map_err(|e| {
        CliError::Config(format!(
            "invalid base URL (--base-url / WXPAY_BASE_URL, --backup-base-url): {e}"
        ))
    })
}

impl PublicKeyArgs {
    /// The key id and PEM path, recorded in `missing` when absent.
    fn get(&self, missing: &mut Missing) -> Option<(String, PathBuf)> {
        let id = missing.check(self.public_key_id.as_ref(), &PUBLIC_KEY_ID);
        let path = missing.check(self.public_key.as_ref(), &PUBLIC_KEY);
        id.cloned().zip(path.cloned())
    }

    /// Whether either setting was given.
    fn any(&self) -> bool {
        self.public_key_id.is_some() || self.public_key.is_some()
    }

    /// The key id and PEM path when the public key is optional (`Ok(None)`:
    /// neither setting given); half of it is still recorded as missing.
    fn get_optional(&self, missing: &mut Missing) -> Option<(String, PathBuf)> {
        if self.any() { self.get(missing) } else { None }
    }
}

impl ApiV3KeyArgs {
    /// The APIv3 key, checked.
    fn key(&self) -> Result<Option<ApiV3Key>, CliError> {
        self.apiv3_key
            .as_ref()
            .map(|secret| {
                ApiV3Key::new(secret.expose().as_bytes()).map_err(|e| {
                    CliError::Config(format!(
                        "invalid APIv3 key ({} / {}): {e}",
                        APIV3_KEY.flag, APIV3_KEY.env
                    ))
                })
            })
            .transpose()
    }
}

fn load_public_key(path: &Path) -> Result<PublicKey, CliError> {
    PublicKey::from_pem(&read_pem(path, &PUBLIC_KEY)?).map_err(|e| {
        CliError::Config(format!(
            "cannot load the WeChat Pay public key from {} ({} / {}): {e}",
            path.display(),
            PUBLIC_KEY.flag,
            PUBLIC_KEY.env
        ))
    })
}

/// A brand client from its settings; names every missing setting.
fn brand_client(
    command: &'static str,
    hosts: &HostArgs,
    identity: &BrandIdentityArgs,
    public: &PublicKeyArgs,
) -> Result<BrandClient, CliError> {
    let mut missing = Missing::new(command);
    let brand_id = missing
        .check(identity.brand_id.as_ref(), &BRAND_ID)
        .cloned();
    let serial = missing
        .check(identity.brand_serial_no.as_ref(), &BRAND_SERIAL_NO)
        .cloned();
    let key = missing
        .check(identity.brand_private_key.as_ref(), &BRAND_PRIVATE_KEY)
        .cloned();
    let public = public.get(&mut missing);
    let (Some(brand_id), Some(serial), Some(key), Some((key_id, public))) =
        (brand_id, serial, key, public)
    else {
        return Err(missing.into_error());
    };
    let key = load_private_key(&key, &BRAND_PRIVATE_KEY, "brand private key")?;
    let public = load_public_key(&public)?;
    Ok(BrandClient::builder()
        .brand_id(brand_id)
        .serial_no(serial)
        .private_key(key)
        .wechatpay_public_key(key_id, public)
        .transport(transport(hosts)?)
        .build()?)
}

/// What a partner client is made of.
struct PartnerSettings<'a> {
    command: &'static str,
    hosts: &'a HostArgs,
    identity: &'a MerchantIdentityArgs,
    public: &'a PublicKeyArgs,
    apiv3: &'a ApiV3KeyArgs,
    brand_id: Option<&'a String>,
    brand_required: bool,
}

/// A partner client from its settings, acting for `brand_id` by default
/// (required when `brand_required`); names every missing setting. The
/// WeChat Pay public key is optional when the APIv3 key is given: the client
/// then downloads the platform certificates (and uses both when both are
/// given).
fn partner_client(settings: PartnerSettings<'_>) -> Result<PartnerClient, CliError> {
    let PartnerSettings {
        command,
        hosts,
        identity,
        public,
        apiv3,
        brand_id,
        brand_required,
    } = settings;
    let mut missing = Missing::new(command);
    let brand_id = if brand_required {
        missing.check(brand_id, &BRAND_ID).cloned()
    } else {
        brand_id.cloned()
    };
    let mchid = missing.check(identity.mchid.as_ref(), &MCHID).cloned();
    let serial = missing
        .check(identity.mch_serial_no.as_ref(), &MCH_SERIAL_NO)
        .cloned();
    let key = missing
        .check(identity.mch_private_key.as_ref(), &MCH_PRIVATE_KEY)
        .cloned();
    let public = if apiv3.apiv3_key.is_some() {
        public.get_optional(&mut missing)
    } else {
        let got = public.get(&mut missing);
        if got.is_none() && !public.any() {
            missing.hint(format!(
                "or, for an account with WeChat Pay platform certificates, set {} ({}) instead of the public key to download them",
                APIV3_KEY.env, APIV3_KEY.flag
            ));
        }
        got
    };
    let (Some(mchid), Some(serial), Some(key)) = (mchid, serial, key) else {
        return Err(missing.into_error());
    };
    if !missing.is_empty() {
        return Err(missing.into_error());
    }
    let key = load_private_key(&key, &MCH_PRIVATE_KEY, "merchant private key")?;
    let mut builder = PartnerClient::builder()
        .mchid(mchid)
        .serial_no(serial)
        .private_key(key)
        .transport(transport(hosts)?);
    if let Some((key_id, path)) = public {
        builder = builder.wechatpay_public_key(key_id, load_public_key(&path)?);
    }
    if let Some(apiv3) = apiv3.key()? {
        builder = builder.apiv3_key(apiv3);
    }
    if let Some(brand_id) = brand_id {
        builder = builder.brand_id(brand_id);
    }
    Ok(builder.build()?)
}

impl BrandConfig {
    /// A brand client; names every missing setting.
    pub fn client(&self, command: &'static str) -> Result<BrandClient, CliError> {
        brand_client(command, &self.hosts, &self.identity, &self.public)
    }
}

impl PartnerConfig {
    /// A partner client acting for `brand_id` (the command's own
    /// `--brand-id`); names every missing setting, that one included.
    pub fn client(
        &self,
        command: &'static str,
        brand_id: Option<&String>,
    ) -> Result<PartnerClient, CliError> {
        partner_client(PartnerSettings {
            command,
            hosts: &self.hosts,
            identity: &self.identity,
            public: &self.public,
            apiv3: &self.apiv3,
            brand_id,
            brand_required: true,
        })
    }

    /// A partner client that downloads platform certificates: the APIv3 key
    /// is required, a brand is not.
    pub fn certificates_client(&self, command: &'static str) -> Result<PartnerClient, CliError> {
        if self.apiv3.apiv3_key.is_none() {
            let mut missing = Missing::new(command);
            missing.check(self.apiv3.apiv3_key.as_ref(), &APIV3_KEY);
            missing.check(self.identity.mchid.as_ref(), &MCHID);
            missing.check(self.identity.mch_serial_no.as_ref(), &MCH_SERIAL_NO);
            missing.check(self.identity.mch_private_key.as_ref(), &MCH_PRIVATE_KEY);
            return Err(missing.into_error());
        }
        partner_client(PartnerSettings {
            command,
            hosts: &self.hosts,
            identity: &self.identity,
            public: &self.public,
            apiv3: &self.apiv3,
            brand_id: None,
            brand_required: false,
        })
    }
}

impl AnySideConfig {
    /// A brand client; names every missing setting.
    pub fn brand_client(&self, command: &'static str) -> Result<BrandClient, CliError> {
        brand_client(command, &self.hosts, &self.brand, &self.public)
    }

    /// A partner client, acting by default for `WXPAY_BRAND_ID` /
    /// `--brand-id` when set (a request may name its own brand).
    pub fn partner_client(&self, command: &'static str) -> Result<PartnerClient, CliError> {
        partner_client(PartnerSettings {
            command,
            hosts: &self.hosts,
            identity: &self.merchant,
            public: &self.public,
            apiv3: &self.apiv3,
            brand_id: self.brand.brand_id.as_ref(),
            brand_required: false,
        })
    }
}

impl WebhookConfig {
    /// A webhook handler: with the WeChat Pay public key when it is given;
    /// with the merchant's platform certificates (downloaded with its
    /// identity and the APIv3 key) when the merchant identity is given; with
    /// both when both are. Names every missing setting.
    pub fn handler(&self, command: &'static str) -> Result<WebhookHandler, CliError> {
        let merchant_given = self.merchant.mchid.is_some()
            || self.merchant.mch_serial_no.is_some()
            || self.merchant.mch_private_key.is_some();
        if merchant_given && self.apiv3.apiv3_key.is_some() {
            let client = partner_client(PartnerSettings {
                command,
                hosts: &self.hosts,
                identity: &self.merchant,
                public: &self.public,
                apiv3: &self.apiv3,
                brand_id: None,
                brand_required: false,
            })?;
            let key = self.apiv3.key()?.ok_or_else(|| missing_apiv3(command))?;
            return Ok(client.webhook_handler(key));
        }
        let mut missing = Missing::new(command);
        let public = self.public.get(&mut missing);
        if public.is_none() && !self.public.any() {
            missing.hint(format!(
                "or, for an account with WeChat Pay platform certificates, set the merchant identity ({}, {}, {}) to download them",
                MCHID.env, MCH_SERIAL_NO.env, MCH_PRIVATE_KEY.env
            ));
        }
        let apiv3 = missing.check(self.apiv3.apiv3_key.as_ref(), &APIV3_KEY);
        let (Some((key_id, public)), Some(_)) = (public, apiv3) else {
            return Err(missing.into_error());
        };
        let public = load_public_key(&public)?;
        let verifier = Verifier::builder()
            .public_key(key_id, public)
            .build()
            .map_err(|e| CliError::Config(format!("WeChat Pay public key: {e}")))?;
        let key = self.apiv3.key()?.ok_or_else(|| missing_apiv3(command))?;
        Ok(WebhookHandler::new(verifier, key))
    }
}

fn missing_apiv3(command: &'static str) -> CliError {
    let mut missing = Missing::new(command);
    missing.settings.push(&APIV3_KEY);
    missing.into_error()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brand() -> BrandConfig {
        BrandConfig {
            hosts: HostArgs {
                base_url: None,
                backup_base_url: None,
            },
            identity: BrandIdentityArgs {
                brand_id: None,
                brand_serial_no: None,
                brand_private_key: None,
            },
            public: PublicKeyArgs {
                public_key_id: None,
                public_key: None,
            },
        }
    }

    #[test]
    fn missing_settings_are_all_named_with_flag_and_variable() {
        let mut config = brand();
        config.identity.brand_id = Some("120344".into());
        let err = config.client("stocks list").unwrap_err().to_string();
        for name in [
            "WXPAY_BRAND_SERIAL_NO (--brand-serial-no)",
            "WXPAY_BRAND_PRIVATE_KEY (--brand-private-key)",
            "WXPAY_PUBLIC_KEY_ID (--public-key-id)",
            "WXPAY_PUBLIC_KEY (--public-key)",
        ] {
            assert!(err.contains(name), "{err}");
        }
        assert!(!err.contains("WXPAY_BRAND_ID"), "{err}");
        assert!(err.contains("stocks list"), "{err}");
    }

    #[test]
    fn the_apiv3_key_never_shows_in_debug() {
        let config = WebhookConfig {
            public: PublicKeyArgs {
                public_key_id: None,
                public_key: None,
            },
            apiv3: ApiV3KeyArgs {
                apiv3_key: Some(parse_secret("0123456789abcdef0123456789abcdef").unwrap()),
            },
            hosts: HostArgs {
                base_url: None,
                backup_base_url: None,
            },
            merchant: MerchantIdentityArgs {
                mchid: None,
                mch_serial_no: None,
                mch_private_key: None,
            },
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("0123456789abcdef"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }
}
