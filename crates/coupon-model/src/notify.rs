//! The notification URL WeChat Pay posts product-coupon events to (one per
//! brand; one per service provider for all its brands).

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;
use crate::validate::{Checker, Path, RuleId, Violations};

/// The request types of this resource's operations (defined by the table in
/// [`crate::operations`]).
pub use crate::operations::{GetNotifyConfigRequest, SetNotifyConfigRequest};

/// The JSON body of `set-notify-config`.
///
/// Required (request type, strict): `notify_url`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetNotifyConfigBody {
    /// Where notifications go: an absolute HTTPS URL with a path and no
    /// query, reachable from the internet (WeChat Pay refuses
    /// `localhost`, `127.0.0.1` and private addresses).
    pub notify_url: String,
}

impl SetNotifyConfigBody {
    /// A body setting `notify_url`.
    pub fn new(notify_url: impl Into<String>) -> Self {
        Self {
            notify_url: notify_url.into(),
        }
    }

    /// Checks `notify-url-format`: `https://` (or `http://`), a host, no
    /// query, no fragment. Whether the host is public is not checked.
    pub fn validate(&self) -> Result<(), Violations> {
        let mut c = Checker::request();
        if let Err(why) = check_url(&self.notify_url) {
            c.report(
                RuleId::NotifyUrlFormat,
                &Path::ROOT.key("notify_url"),
                format!("notify_url {why}; give an absolute URL such as https://example.com/wxpay/notify"),
            );
        }
        c.finish()
    }
}

impl_request_body!(
    SetNotifyConfigBody,
    validate = SetNotifyConfigBody::validate
);

/// Why `url` is not an acceptable notification URL.
fn check_url(url: &str) -> Result<(), &'static str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or("must start with https:// (or http://)")?;
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain spaces or control characters");
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() {
        return Err("has no host");
    }
    if rest.contains('?') {
        return Err("must not carry a query string");
    }
    if rest.contains('#') {
        return Err("must not carry a fragment");
    }
    Ok(())
}

/// The notification settings (`get-notify-config`, `set-notify-config`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NotifyUrlConfig {
    /// Where notifications go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_url: Option<String>,
    /// When it was last set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_time: Option<Timestamp>,
}
