//! The keys directory on disk, written and read without trusting the
//! filesystem: the directory must be one the sandbox created or one owned by
//! the current user and not writable by group or others (never a symbolic
//! link); key files are created with create-new (`O_CREAT | O_EXCL`) semantics
//! and read with `O_NOFOLLOW`, up to [`MAX_KEYS_FILE_BYTES`].

use std::fs;
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The largest file read from a keys directory (64 KiB): a PEM RSA-2048 key is
/// about 1.7 KiB and `wxpay.env` under 1 KiB. Reading stops there.
pub const MAX_KEYS_FILE_BYTES: u64 = 64 * 1024;

/// What to do instead, appended to every refusal.
const ADVICE: &str = "pass a new path (the sandbox creates it, mode 0700) or a private \
                      directory of your own, e.g. `--keys-dir \"$(mktemp -d)\"`";

fn refuse(path: &Path, kind: io::ErrorKind, reason: String) -> Error {
    Error::KeysDir {
        action: "use",
        path: path.to_owned(),
        source: io::Error::new(kind, format!("{reason}; {ADVICE}")),
    }
}

fn io_error<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> Error + 'a {
    move |source| Error::KeysDir {
        action,
        path: path.to_owned(),
        source,
    }
}

/// Checks that `meta` (from `symlink_metadata`, so links are seen as links)
/// describes a directory the current user may trust: not a symbolic link,
/// a directory, owned by the current user, not writable by group or others.
fn check_dir_metadata(dir: &Path, meta: &fs::Metadata) -> Result<()> {
    if meta.file_type().is_symlink() {
        return Err(refuse(
            dir,
            io::ErrorKind::PermissionDenied,
            "it is a symbolic link, and the sandbox does not follow links in its keys directory"
                .to_owned(),
        ));
    }
    if !meta.is_dir() {
        return Err(refuse(
            dir,
            io::ErrorKind::InvalidInput,
            "it exists and is not a directory".to_owned(),
        ));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let me = rustix::process::geteuid().as_raw();
        if meta.uid() != me {
            return Err(refuse(
                dir,
                io::ErrorKind::PermissionDenied,
                format!(
                    "it is owned by uid {}, not by you (uid {me}), so its owner could swap the keys",
                    meta.uid()
                ),
            ));
        }
        let mode = meta.mode() & 0o7777;
        if mode & 0o022 != 0 {
            return Err(refuse(
                dir,
                io::ErrorKind::PermissionDenied,
                format!(
                    "it is writable by group or others (mode {mode:04o}); `chmod go-w` it or use \
                     another directory"
                ),
            ));
        }
    }
    Ok(())
}

/// Checks an existing keys directory before reading from it.
pub(crate) fn check_existing_dir(dir: &Path) -> Result<()> {
    let meta = fs::symlink_metadata(dir).map_err(io_error("read", dir))?;
    check_dir_metadata(dir, &meta)
}

/// Makes `dir` ready for writing: creates it (mode 0700, parents with default
/// permissions) when missing, otherwise checks it. Returns its canonical path.
pub(crate) fn prepare_dir(dir: &Path) -> Result<PathBuf> {
    match fs::symlink_metadata(dir) {
        Ok(meta) => check_dir_metadata(dir, &meta)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                fs::create_dir_all(parent).map_err(io_error("create", parent))?;
            }
            let mut builder = fs::DirBuilder::new();
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt as _;
                builder.mode(0o700);
            }
            match builder.create(dir) {
                Ok(()) => {}
                // Created by someone else in between: check it like any other.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => check_existing_dir(dir)?,
                Err(e) => return Err(io_error("create", dir)(e)),
            }
        }
        Err(e) => return Err(io_error("read", dir)(e)),
    }
    fs::canonicalize(dir).map_err(io_error("resolve", dir))
}

/// Opens `path` for reading without following a final symbolic link.
fn open_nofollow(path: &Path) -> io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    }
    #[cfg(not(unix))]
    {
        if fs::symlink_metadata(path)?.file_type().is_symlink() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "is a symbolic link",
            ));
        }
    }
    options.open(path)
}

/// Reads a regular file of at most [`MAX_KEYS_FILE_BYTES`], not following a
/// final symbolic link. The bytes are zeroized on drop (keys).
pub(crate) fn read_bounded(path: &Path) -> Result<Zeroizing<Vec<u8>>> {
    let file = open_nofollow(path).map_err(|source| {
        // ELOOP is how O_NOFOLLOW reports a link.
        if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
            refuse(
                path,
                io::ErrorKind::PermissionDenied,
                "it is a symbolic link, and the sandbox does not follow links in its keys directory"
                    .to_owned(),
            )
        } else {
            io_error("read", path)(source)
        }
    })?;
    let meta = file.metadata().map_err(io_error("read", path))?;
    if !meta.is_file() {
        return Err(refuse(
            path,
            io::ErrorKind::InvalidInput,
            "it is not a regular file".to_owned(),
        ));
    }
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(MAX_KEYS_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io_error("read", path))?;
    if bytes.len() as u64 > MAX_KEYS_FILE_BYTES {
        return Err(refuse(
            path,
            io::ErrorKind::InvalidData,
            format!(
                "it is larger than {MAX_KEYS_FILE_BYTES} bytes, which no keys-directory file is"
            ),
        ));
    }
    Ok(bytes)
}

/// [`read_bounded`] as UTF-8 text.
pub(crate) fn read_bounded_text(path: &Path) -> Result<Zeroizing<String>> {
    let bytes = read_bounded(path)?;
    match std::str::from_utf8(&bytes) {
        Ok(text) => Ok(Zeroizing::new(text.to_owned())),
        Err(_) => Err(refuse(
            path,
            io::ErrorKind::InvalidData,
            "it is not UTF-8 text".to_owned(),
        )),
    }
}

/// Creates `path` with create-new semantics (never through a link, never over
/// an existing file) and writes `contents`. `mode` is applied at creation.
fn create_new(path: &Path, contents: &[u8], mode: u32) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options
            .mode(mode)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

/// Writes a key file with create-new semantics. When the file already exists
/// it is kept only if it is a regular file (not a link) of the current user
/// with exactly `contents` and no wider permissions than `mode` — the case of
/// a sandbox restarted on the keys it loaded from this directory; anything else
/// is refused, never overwritten.
pub(crate) fn write_new_or_same(path: &Path, contents: &[u8], mode: u32) -> Result<()> {
    match create_new(path, contents, mode) {
        Ok(()) => return Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(io_error("write", path)(e)),
    }
    let existing = read_bounded(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let meta = fs::symlink_metadata(path).map_err(io_error("read", path))?;
        let me = rustix::process::geteuid().as_raw();
        let extra = meta.mode() & 0o777 & !mode;
        if meta.uid() != me || extra != 0 {
            return Err(refuse(
                path,
                io::ErrorKind::PermissionDenied,
                format!(
                    "it already exists with owner uid {} and mode {:04o}; key files must be \
                     yours with mode {mode:04o} at most",
                    meta.uid(),
                    meta.mode() & 0o7777
                ),
            ));
        }
    }
    if existing.as_slice() != contents {
        return Err(refuse(
            path,
            io::ErrorKind::AlreadyExists,
            "it already exists and holds other keys; the sandbox never overwrites a key file"
                .to_owned(),
        ));
    }
    Ok(())
}

/// Replaces `dir/name` atomically: the new contents go to a fresh file created
/// with create-new semantics, which is then renamed over `name` (a rename
/// replaces a link itself, never its target). `dir` must have passed
/// [`prepare_dir`].
pub(crate) fn replace_file(dir: &Path, name: &str, contents: &[u8], mode: u32) -> Result<()> {
    let suffix = crate::credentials::random_hex::<8>()?;
    let temp = dir.join(format!(".{name}.{suffix}.tmp"));
    let target = dir.join(name);
    create_new(&temp, contents, mode).map_err(io_error("write", &temp))?;
    fs::rename(&temp, &target).map_err(|e| {
        let _ = fs::remove_file(&temp);
        io_error("write", &target)(e)
    })
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "coupon-sandbox-keysdir-{}-{name}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_missing_directory_is_created_private() {
        let dir = scratch("new").join("nested");
        let canonical = prepare_dir(&dir).unwrap();
        let mode = fs::metadata(&canonical).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        let _ = fs::remove_dir_all(dir.parent().unwrap());
    }

    #[test]
    fn oversized_files_stop_at_the_bound() {
        let dir = scratch("big");
        prepare_dir(&dir).unwrap();
        let file = dir.join("big.pem");
        fs::write(&file, vec![b'a'; MAX_KEYS_FILE_BYTES as usize + 1]).unwrap();
        let err = read_bounded(&file).unwrap_err();
        assert!(err.to_string().contains("larger than"), "{err}");
        fs::write(&file, vec![b'a'; MAX_KEYS_FILE_BYTES as usize]).unwrap();
        assert_eq!(
            read_bounded(&file).unwrap().len() as u64,
            MAX_KEYS_FILE_BYTES
        );
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn dev_zero_is_not_a_regular_file() {
        let err = read_bounded(Path::new("/dev/zero")).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
    }

    #[test]
    fn replace_file_replaces_a_link_not_its_target() {
        let dir = scratch("replace");
        prepare_dir(&dir).unwrap();
        let victim = dir.join("victim");
        fs::write(&victim, b"keep me").unwrap();
        std::os::unix::fs::symlink(&victim, dir.join("wxpay.env")).unwrap();
        replace_file(&dir, "wxpay.env", b"new", 0o600).unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"keep me");
        assert_eq!(fs::read(dir.join("wxpay.env")).unwrap(), b"new");
        assert!(
            !fs::symlink_metadata(dir.join("wxpay.env"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
        let _ = fs::remove_dir_all(&dir);
    }
}
