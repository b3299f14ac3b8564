//! Image upload (`upload-image`): a `multipart/form-data` request whose
//! `meta` part is [`ImageMeta`] (the signed JSON) and whose `file` part is
//! the image ([`ImageFile`]). The answer's URL is what display settings
//! (`image_url`, `background_url`, …) take.

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::validate::{Checker, Path, RuleId, Violations};

/// The request types of this resource's operations (defined by the table in
/// [`crate::operations`]).
pub use crate::operations::UploadImageRequest;

/// The largest image the API takes: 2 MiB.
pub const MAX_IMAGE_BYTES: usize = 2 * 1024 * 1024;

/// The `meta` part of an image upload; the request signature covers its
/// JSON text byte for byte.
///
/// Required: `filename`. `sha256` is the file's SHA-256 in lowercase hex;
/// left empty, the client computes it (this crate has no crypto).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ImageMeta {
    /// The file name, ending in `.jpg`, `.jpeg` or `.png`.
    pub filename: String,
    /// The file's SHA-256, 64 lowercase hex digits (empty: to be computed).
    #[serde(default)]
    pub sha256: String,
}

impl ImageMeta {
    /// Meta for `filename`, the digest to be computed by the client.
    pub fn new(filename: impl Into<String>) -> Self {
        Self {
            filename: filename.into(),
            sha256: String::new(),
        }
    }

    /// Checks `image-file` on the name (a JPG or PNG extension) and on
    /// `sha256` (64 hex digits, when given).
    pub fn validate(&self) -> Result<(), Violations> {
        let mut c = Checker::request();
        self.check(&mut c);
        c.finish()
    }

    fn check(&self, c: &mut Checker) {
        if media_type_of_name(&self.filename).is_none() {
            c.report(
                RuleId::ImageFile,
                &Path::ROOT.key("filename"),
                format!(
                    "filename \"{}\" must end in .jpg, .jpeg or .png: the API takes JPG and PNG images",
                    crate::text::excerpt(&self.filename, 64)
                ),
            );
        }
        let digest_ok = self.sha256.is_empty()
            || (self.sha256.len() == 64 && self.sha256.bytes().all(|b| b.is_ascii_hexdigit()));
        if !digest_ok {
            c.report(
                RuleId::ImageFile,
                &Path::ROOT.key("sha256"),
                "sha256 must be the file's SHA-256 as 64 hex digits (or empty, to have it computed)"
                    .to_owned(),
            );
        }
    }
}

impl_request_body!(ImageMeta, validate = ImageMeta::validate);

/// The image bytes of an upload (`Debug` shows only the size).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct ImageFile(pub Vec<u8>);

impl ImageFile {
    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The size in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `image/jpeg` or `image/png`, from the file's first bytes; `None` for
    /// anything else.
    pub fn media_type(&self) -> Option<&'static str> {
        if self.0.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some("image/jpeg")
        } else if self.0.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some("image/png")
        } else {
            None
        }
    }
}

impl From<Vec<u8>> for ImageFile {
    fn from(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }
}

impl fmt::Debug for ImageFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ImageFile({} bytes)", self.0.len())
    }
}

impl crate::operations::UploadImageRequest {
    /// An upload of `bytes` named `filename` (the client computes `sha256`).
    pub fn from_file(filename: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        Self::new(ImageMeta::new(filename), ImageFile(bytes.into()))
    }

    /// `image-file` on the file (the request's `validate()` runs it after
    /// the meta's checks): not empty, a JPG or PNG by its first bytes,
    /// matching the name's extension, at most [`MAX_IMAGE_BYTES`].
    pub(crate) fn validate_extra(&self) -> Result<(), Violations> {
        let mut c = Checker::request();
        let p = Path::ROOT.key("file");
        if self.file.is_empty() {
            c.report(
                RuleId::ImageFile,
                &p,
                "the file is empty; upload a JPG or PNG image".to_owned(),
            );
        } else if self.file.len() > MAX_IMAGE_BYTES {
            c.report(
                RuleId::ImageFile,
                &p,
                format!("the file has {} bytes; the API takes images of at most 2 MiB ({MAX_IMAGE_BYTES} bytes)", self.file.len()),
            );
        } else {
            match (self.file.media_type(), media_type_of_name(&self.body.filename)) {
                (None, _) => c.report(
                    RuleId::ImageFile,
                    &p,
                    "the file is neither a JPG nor a PNG image (by its first bytes); the API takes only those".to_owned(),
                ),
                (Some(actual), Some(named)) if actual != named => c.report(
                    RuleId::ImageFile,
                    &p,
                    format!("the file is {actual} but its name says {named}; name it after its type"),
                ),
                _ => {}
            }
        }
        c.finish()
    }
}

/// The media type a file name's extension announces.
pub fn media_type_of_name(filename: &str) -> Option<&'static str> {
    let ext = filename.rsplit_once('.')?.1.to_ascii_lowercase();
    match ext.as_str() {
        "jpg" | "jpeg" => Some("image/jpeg"),
        "png" => Some("image/png"),
        _ => None,
    }
}

/// The answer of `upload-image`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UploadImageResponse {
    /// The uploaded image's URL, for `image_url`, `background_url`, ….
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
}
