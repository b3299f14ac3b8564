//! `operations` and `call`: every operation of the table from the shell.
//!
//! `call NAME` reads `--param`s into the path, `--query`s into the query and
//! `--body` (the wire JSON) into the operation's typed body, refusing a field
//! the operation does not know; validates unless `--no-validate`; sends with
//! the brand identity (or the service provider's with `--partner`); prints
//! the verified answer, read into its typed response and written back.
//! `--repeat N` sends it N times from one process and reports on stderr
//! when the WeChat Pay keys held change between calls (a certificate
//! download or refresh).

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;

use clap::Args;
use coupon_client::{BrandClient, PartnerClient};
use coupon_model::media::ImageFile;
use coupon_model::operation::{
    BodyKind, Operation, OperationSpec, OperationVisitor, Side, find, visit_operation,
};
use coupon_model::operations::OPERATIONS;
use serde::Serialize;
use serde_json::Value;

use crate::commands::{MAX_JSON_BYTES, read_file_bounded};
use crate::config::AnySideConfig;
use crate::error::CliError;
use crate::output::{note, print_json, print_text};

/// One line of `operations`: the stable contract scripts read.
#[derive(Serialize)]
struct OperationLine {
    name: &'static str,
    method: &'static str,
    brand_path: Option<&'static str>,
    partner_path: Option<&'static str>,
}

/// `operations`: one JSON object per operation.
pub(crate) fn operations() -> Result<(), CliError> {
    let lines: Vec<OperationLine> = OPERATIONS
        .iter()
        .map(|spec| OperationLine {
            name: spec.name,
            method: spec.method.as_str(),
            brand_path: spec.brand_path,
            partner_path: spec.partner_path,
        })
        .collect();
    print_json(&lines)
}

/// Arguments of `call`.
#[derive(Debug, Args)]
pub struct CallArgs {
    /// The operation (see `wxpay-coupon operations`), e.g. list-stocks.
    #[arg(value_name = "NAME")]
    pub(crate) name: String,

    /// Call as the service provider (merchant scheme, /v3/… paths) instead of
    /// the brand.
    #[arg(long)]
    pub(crate) partner: bool,

    /// A path placeholder, e.g. --param product_coupon_id=1000000013.
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = key_value)]
    pub(crate) params: Vec<(String, String)>,

    /// A query parameter, e.g. --query page_size=10.
    #[arg(long = "query", value_name = "KEY=VALUE", value_parser = key_value)]
    pub(crate) query: Vec<(String, String)>,

    /// The JSON request body exactly as on the wire (`-` reads stdin);
    /// `brand_id` included where the partner side needs it (else the
    /// configured brand is used).
    #[arg(long, value_name = "FILE|-")]
    pub(crate) body: Option<PathBuf>,

    /// The image to upload (upload-image only: JPG or PNG, at most 2 MiB).
    #[arg(long, value_name = "PATH")]
    pub(crate) file: Option<PathBuf>,

    /// Send without checking the documented rules first (WeChat Pay still
    /// checks them).
    #[arg(long)]
    pub(crate) no_validate: bool,

    /// Make the same call N times in this one process, printing each answer
    /// (a change of the WeChat Pay keys held between calls — a certificate
    /// download or refresh — is reported on stderr).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) repeat: u32,

    #[command(flatten)]
    pub(crate) config: AnySideConfig,
}

pub(crate) fn key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("{text:?} is not KEY=VALUE")),
    }
}

/// `call NAME …`.
pub(crate) async fn call(args: CallArgs) -> Result<(), CliError> {
    let (spec, client) = side_client(&args, "call")?;
    let visit = CallOne {
        args: &args,
        client: &client,
    };
    visit_operation(spec.name, visit)
        .ok_or_else(|| CliError::Input(format!("operation {} has no request type", spec.name)))?
        .await
}

/// The operation named by `args` and a client of the side it is called on
/// (`command` names the command in configuration errors).
pub(crate) fn side_client(
    args: &CallArgs,
    command: &'static str,
) -> Result<(&'static OperationSpec, SideClient), CliError> {
    side_client_with(args, |side| {
        Ok(match side {
            Side::Brand => SideClient::Brand(args.config.brand_client(command)?),
            Side::Partner => SideClient::Partner(args.config.partner_client(command)?),
        })
    })
}

/// [`side_client`] with the client of a side made by `client_of` (the
/// configuration in `args` is not read).
pub(crate) fn side_client_with(
    args: &CallArgs,
    client_of: impl FnOnce(Side) -> Result<SideClient, CliError>,
) -> Result<(&'static OperationSpec, SideClient), CliError> {
    let spec = find(&args.name).ok_or_else(|| {
        CliError::Input(format!(
            "no operation {:?}; `wxpay-coupon operations` lists them all",
            args.name
        ))
    })?;
    let side = if args.partner {
        Side::Partner
    } else {
        Side::Brand
    };
    if !spec.has_side(side) {
        return Err(CliError::Input(format!(
            "{} exists only on the {} side; {}",
            spec.name,
            if args.partner { "brand" } else { "partner" },
            if args.partner {
                "drop --partner"
            } else {
                "add --partner"
            }
        )));
    }
    let client = client_of(side)?;
    let client = if args.no_validate {
        client.without_validation()
    } else {
        client
    };
    Ok((spec, client))
}

/// The client of the chosen side.
#[derive(Clone)]
pub(crate) enum SideClient {
    Brand(BrandClient),
    Partner(PartnerClient),
}

impl SideClient {
    fn without_validation(self) -> Self {
        match self {
            Self::Brand(c) => Self::Brand(c.without_validation()),
            Self::Partner(c) => Self::Partner(c.without_validation()),
        }
    }

    /// The ids of the WeChat Pay keys the client holds now.
    fn key_ids(&self) -> Vec<String> {
        match self {
            Self::Brand(c) => c.verifier().key_ids(),
            Self::Partner(c) => c.verifier().key_ids(),
        }
    }
}

/// Builds the typed request of the visited operation and sends it.
struct CallOne<'a> {
    args: &'a CallArgs,
    client: &'a SideClient,
}

/// Sends the request `--repeat` times, printing each answer as pretty JSON
/// in the typed response's field order.
type CallFuture<'a> = Pin<Box<dyn Future<Output = Result<(), CliError>> + 'a>>;

impl<'a> OperationVisitor for CallOne<'a> {
    type Output = CallFuture<'a>;

    fn visit<O: Operation>(self) -> CallFuture<'a> {
        Box::pin(async move {
            // Built once (a body on stdin can be read only once), sent N times.
            let request = build_request::<O>(self.args)?;
            let mut keys = self.client.key_ids();
            for _ in 0..self.args.repeat {
                let answer = match self.client {
                    SideClient::Brand(c) => c.call_any(&request).await?,
                    SideClient::Partner(c) => c.call_any(&request).await?,
                };
                let text = serde_json::to_string_pretty(&answer).map_err(|e| {
                    CliError::Input(format!("cannot write the answer as JSON: {e}"))
                })?;
                print_text(&text)?;
                let now = self.client.key_ids();
                if now != keys {
                    note(format!(
                        "WeChat Pay keys held: [{}] (were [{}])",
                        now.join(", "),
                        keys.join(", ")
                    ));
                    keys = now;
                }
            }
            Ok(())
        })
    }
}

/// The typed request from the flags: body, then placeholders, then query.
pub(crate) fn build_request<O: Operation>(args: &CallArgs) -> Result<O, CliError> {
    let spec = O::SPEC;
    let mut request = match spec.body {
        BodyKind::None => {
            if args.body.is_some() || args.file.is_some() {
                return Err(CliError::Input(format!(
                    "{} takes no body: pass its parameters with --param and --query",
                    spec.name
                )));
            }
            // The body type of a GET (`NoBody`) reads from anything.
            O::from_body(
                serde_json::from_value(Value::Null)
                    .map_err(|e| CliError::Input(format!("{}: {e}", spec.name)))?,
            )
        }
        BodyKind::Json => {
            if args.file.is_some() {
                return Err(CliError::Input(format!(
                    "--file is for upload-image; {} takes --body",
                    spec.name
                )));
            }
            let path = args.body.as_deref().ok_or_else(|| {
                CliError::Input(format!(
                    "{} needs --body FILE (the JSON body as on the wire; - reads stdin)",
                    spec.name
                ))
            })?;
            let value = read_body(path)?;
            O::from_body(typed_body::<O::Body>(&value, spec.name)?)
        }
        BodyKind::Multipart => upload_request::<O>(args)?,
    };
    for (name, value) in &args.params {
        request
            .set_path_param(name, value)
            .map_err(|e| CliError::Input(format!("--param {e}")))?;
    }
    let missing: Vec<&str> = spec
        .placeholders()
        .filter(|p| !args.params.iter().any(|(name, _)| name == p))
        .collect();
    if !missing.is_empty() {
        return Err(CliError::Input(format!(
            "{} needs {}",
            spec.name,
            missing
                .iter()
                .map(|p| format!("--param {p}=…"))
                .collect::<Vec<_>>()
                .join(" ")
        )));
    }
    for (name, value) in &args.query {
        request
            .set_query_param(name, value)
            .map_err(|e| CliError::Input(format!("--query {e}")))?;
    }
    Ok(request)
}

/// Reads `--body`: a file, or stdin for `-`, at most [`MAX_JSON_BYTES`].
fn read_body(path: &Path) -> Result<Value, CliError> {
    let bytes = if path == Path::new("-") {
        read_stdin_bounded()?
    } else {
        read_file_bounded(path, "--body", MAX_JSON_BYTES)?
    };
    serde_json::from_slice(&bytes)
        .map_err(|e| CliError::Input(format!("--body {} is not JSON: {e}", path.display())))
}

fn read_stdin_bounded() -> Result<Vec<u8>, CliError> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_JSON_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::Input(format!("cannot read --body from stdin: {e}")))?;
    if bytes.len() > MAX_JSON_BYTES {
        return Err(CliError::Input(format!(
            "--body on stdin is larger than {MAX_JSON_BYTES} bytes; request bodies are small JSON documents"
        )));
    }
    Ok(bytes)
}

/// The body read into `B`: a field the type does not know is refused by
/// name, so a typo never silently disappears.
fn typed_body<B: serde::de::DeserializeOwned>(
    value: &Value,
    operation: &str,
) -> Result<B, CliError> {
    let mut unknown = Vec::new();
    let body: B = serde_ignored::deserialize(value, |path| unknown.push(super::pointer(&path)))
        .map_err(|e| CliError::Input(format!("--body does not fit {operation}: {e}")))?;
    if !unknown.is_empty() {
        return Err(CliError::Input(format!(
            "--body has field{} {operation} does not know: {}; check the spelling against the API documentation",
            if unknown.len() == 1 { "" } else { "s" },
            unknown.join(", ")
        )));
    }
    Ok(body)
}

/// The upload request from `--file` (its name becomes `meta.filename`).
fn upload_request<O: Operation>(args: &CallArgs) -> Result<O, CliError> {
    if args.body.is_some() {
        return Err(CliError::Input(
            "upload-image takes --file PATH instead of --body".to_owned(),
        ));
    }
    let path = args.file.as_deref().ok_or_else(|| {
        CliError::Input("upload-image needs --file PATH (a JPG or PNG image)".to_owned())
    })?;
    let filename = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| {
            CliError::Input(format!("--file {} has no usable file name", path.display()))
        })?
        .to_owned();
    let bytes = read_file_bounded(path, "--file", coupon_model::media::MAX_IMAGE_BYTES)?;
    let meta = coupon_model::media::ImageMeta::new(filename);
    let body = serde_json::to_value(&meta)
        .map_err(|e| CliError::Input(format!("cannot build the image meta: {e}")))?;
    let mut request = O::from_body(typed_body::<O::Body>(&body, O::SPEC.name)?);
    let any: &mut dyn std::any::Any = &mut request;
    if let Some(upload) = any.downcast_mut::<coupon_model::operations::UploadImageRequest>() {
        upload.file = ImageFile(bytes);
    }
    Ok(request)
}
