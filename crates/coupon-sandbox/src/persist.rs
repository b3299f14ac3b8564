//! The state file: the whole state (and the delivery log) as JSON with a
//! format marker and a version, written atomically (a temporary file in the
//! same directory, flushed to disk, then renamed over the old one), read back
//! on start. A file that is not JSON, not this format, another version, or
//! another sandbox identity's is refused with an error saying so — and left
//! exactly as it was.

use std::fs;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::delivery::{Delivery, DeliveryOutcome};
use crate::error::{Error, Result};
use crate::state::State;

/// The `format` marker of a state file.
pub const STATE_FILE_FORMAT: &str = "wxpay-coupon-sandbox-state";
/// The version of the state file's layout this sandbox reads and writes.
pub const STATE_FILE_VERSION: u32 = 1;
/// The largest state file read (256 MiB).
pub const MAX_STATE_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// What the file holds.
#[derive(Serialize, Deserialize)]
struct StateFile<S, D> {
    format: String,
    version: u32,
    /// When it was written (Unix seconds, sandbox clock).
    saved_at: i64,
    state: S,
    deliveries: D,
}

fn refuse(path: &Path, reason: impl Into<String>) -> Error {
    Error::StateFile {
        path: path.to_owned(),
        reason: reason.into(),
    }
}

/// Serialises the state and the delivery log.
pub(crate) fn to_bytes(state: &State, deliveries: &[Delivery], now: i64) -> Result<Vec<u8>> {
    let file = StateFile {
        format: STATE_FILE_FORMAT.to_owned(),
        version: STATE_FILE_VERSION,
        saved_at: now,
        state,
        deliveries,
    };
    serde_json::to_vec_pretty(&file).map_err(|source| Error::Json {
        what: "the sandbox state",
        source,
    })
}

/// Reads the state file at `path`: `None` when there is none. Refuses (without
/// touching the file) anything that is not this sandbox's state for
/// `brand_id` / `mchid`. Pending deliveries come back `INTERRUPTED`: they are
/// not resumed.
pub(crate) fn load(
    path: &Path,
    brand_id: &str,
    mchid: &str,
) -> Result<Option<(State, Vec<Delivery>)>> {
    let file = match fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(refuse(path, format!("it cannot be read: {e}"))),
    };
    let meta = file
        .metadata()
        .map_err(|e| refuse(path, format!("it cannot be read: {e}")))?;
    if !meta.is_file() {
        return Err(refuse(path, "it is not a regular file"));
    }
    let mut bytes = Vec::new();
    file.take(MAX_STATE_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| refuse(path, format!("it cannot be read: {e}")))?;
    if bytes.len() as u64 > MAX_STATE_FILE_BYTES {
        return Err(refuse(
            path,
            format!("it is larger than {MAX_STATE_FILE_BYTES} bytes"),
        ));
    }
    let value: Value = serde_json::from_slice(&bytes)
        .map_err(|e| refuse(path, format!("it is not JSON (corrupt or truncated?): {e}")))?;
    let format = value.get("format").and_then(Value::as_str);
    if format != Some(STATE_FILE_FORMAT) {
        return Err(refuse(
            path,
            format!(
                "it is not a sandbox state file (its \"format\" is {}, not {STATE_FILE_FORMAT:?})",
                format.map_or_else(|| "missing".to_owned(), |f| format!("{f:?}"))
            ),
        ));
    }
    let version = value.get("version").and_then(Value::as_u64);
    if version != Some(u64::from(STATE_FILE_VERSION)) {
        return Err(refuse(
            path,
            format!(
                "it is version {}, this sandbox reads version {STATE_FILE_VERSION}",
                version.map_or_else(|| "unknown".to_owned(), |v| v.to_string())
            ),
        ));
    }
    let file: StateFile<State, Vec<Delivery>> = serde_json::from_value(value)
        .map_err(|e| refuse(path, format!("its content does not parse (corrupt?): {e}")))?;
    let mut state = file.state;
    if state.brand_id != brand_id || state.mchid != mchid {
        return Err(refuse(
            path,
            format!(
                "it belongs to brand {} / service provider {}, not to this sandbox's brand {brand_id} / service provider {mchid}",
                state.brand_id, state.mchid
            ),
        ));
    }
    state.reindex();
    let mut deliveries = file.deliveries;
    for d in &mut deliveries {
        if d.outcome == DeliveryOutcome::Pending {
            d.outcome = DeliveryOutcome::Interrupted;
        }
    }
    Ok(Some((state, deliveries)))
}

/// Writes `bytes` to `path` atomically: a new temporary file next to it
/// (mode 0600 on Unix), flushed to disk, renamed over `path`.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let fail = |e: std::io::Error| refuse(path, format!("it cannot be written: {e}"));
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "state".to_owned());
    let suffix = crate::rng::random_u64();
    let temp = dir.join(format!(".{name}.{suffix:016x}.tmp"));
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let result = (|| {
        let mut file = options.open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&temp);
        return Err(fail(e));
    }
    Ok(())
}
