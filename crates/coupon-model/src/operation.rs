//! The operation table's vocabulary: what one endpoint *is* ([`OperationSpec`],
//! pure data), and the traits every typed request implements ([`Operation`],
//! [`PagedOperation`], [`RequestBody`]).
//!
//! The table itself — one entry per endpoint, brand and partner — is
//! [`crate::operations`]. Clients sign, send and verify any [`Operation`] with
//! one generic call; servers (the sandbox) route with [`route`]; the CLI finds
//! operations by name with [`find`] and [`visit_operation`].
//!
//! # Paths
//! Both sides share the path *suffix* ([`OperationSpec::path`], e.g.
//! `/product-coupons/{product_coupon_id}/stocks`); the brand side prefixes it
//! with [`BRAND_PREFIX`] and signs with `WECHATPAY-BRAND-SHA256-RSA2048`, the
//! partner (service-provider) side prefixes [`PARTNER_PREFIX`], signs with
//! `WECHATPAY2-SHA256-RSA2048` and names the brand in `brand_id` (body, or
//! query for `GET`, see [`BrandIdPlacement`]).

use core::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::ModelError;
use crate::ids::{BrandId, PageToken};
use crate::validate::Violations;

/// The brand-side path prefix (`WECHATPAY-BRAND-SHA256-RSA2048`).
pub const BRAND_PREFIX: &str = brand_prefix!();
/// The partner (service-provider) path prefix (`WECHATPAY2-SHA256-RSA2048`).
pub const PARTNER_PREFIX: &str = partner_prefix!();

/// An HTTP method the API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "&'static str")]
pub enum HttpMethod {
    /// `GET`: no body; parameters in the path and query.
    Get,
    /// `POST`.
    Post,
    /// `PATCH`.
    Patch,
}

impl HttpMethod {
    /// `"GET"`, `"POST"` or `"PATCH"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Patch => "PATCH",
        }
    }
}

impl From<HttpMethod> for &'static str {
    fn from(method: HttpMethod) -> Self {
        method.as_str()
    }
}

impl fmt::Display for HttpMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which side of the API a call is made on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// A brand's own call: [`BRAND_PREFIX`], brand signing scheme.
    Brand,
    /// A service provider acting for a brand: [`PARTNER_PREFIX`], merchant
    /// signing scheme, `brand_id` in the request.
    Partner,
}

impl Side {
    /// The path prefix of this side.
    pub const fn prefix(self) -> &'static str {
        match self {
            Self::Brand => BRAND_PREFIX,
            Self::Partner => PARTNER_PREFIX,
        }
    }

    /// `"brand"` or `"partner"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Brand => "brand",
            Self::Partner => "partner",
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the request body travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BodyKind {
    /// No body (`GET`).
    None,
    /// `application/json`; the signature covers the exact bytes sent.
    Json,
    /// `multipart/form-data` with a `meta` JSON part and a `file` part; the
    /// signature covers the `meta` JSON text (image upload).
    Multipart,
}

/// Where the partner side carries the brand's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BrandIdPlacement {
    /// A `brand_id` field of the JSON body.
    Body,
    /// A `brand_id` query parameter.
    Query,
    /// Not sent: the operation is service-provider wide (notify config,
    /// image upload).
    NotSent,
}

/// Where the facts of an operation come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// The official WeChat Pay samples and API pages.
    Official,
    /// Known only from a third-party SDK's models
    /// (fudiwei/DotNetCore.SKIT.FlurlHttpClient.Wechat), not from the official
    /// samples: shapes may differ from what WeChat Pay really sends.
    ThirdParty,
}

/// A query parameter an operation takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct QueryParam {
    /// Its name on the wire.
    pub name: &'static str,
    /// Whether the request must carry it.
    pub required: bool,
}

/// One endpoint of the product-coupon API, as pure data: the single source of
/// its wire facts for the client, the sandbox, the CLI and the docs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OperationSpec {
    /// Stable kebab-case name: the official sample's operation name
    /// (`ListStocks` → `list-stocks`).
    pub name: &'static str,
    /// The official sample's (or third-party model's) operation name.
    pub sample_name: &'static str,
    /// One line saying what it does.
    pub summary: &'static str,
    /// The HTTP method.
    pub method: HttpMethod,
    /// The path suffix shared by both sides, with `{placeholder}`s.
    pub path: &'static str,
    /// The full brand path template, if the brand side has the operation.
    pub brand_path: Option<&'static str>,
    /// The full partner path template, if the partner side has the operation.
    pub partner_path: Option<&'static str>,
    /// The query parameters the request can fill, in the order they are sent
    /// (the partner-only `brand_id` included where it goes in the query).
    pub query: &'static [QueryParam],
    /// How the body travels.
    pub body: BodyKind,
    /// Where the partner side carries `brand_id`.
    pub partner_brand_id: BrandIdPlacement,
    /// The Rust request type.
    pub request_type: &'static str,
    /// The Rust body type (`NoBody` without a body).
    pub body_type: &'static str,
    /// The Rust response type.
    pub response_type: &'static str,
    /// For a paged list: the response field holding the page's items.
    pub page_items: Option<&'static str>,
    /// The idempotency key of a writing call (`out_request_no`,
    /// `send_request_no`): retrying with the same key and body is safe.
    pub idempotency_key: Option<&'static str>,
    /// Where the facts come from.
    pub source: Source,
}

impl OperationSpec {
    /// The full path template of `side`, if that side has the operation.
    pub const fn path_template(&self, side: Side) -> Option<&'static str> {
        match side {
            Side::Brand => self.brand_path,
            Side::Partner => self.partner_path,
        }
    }

    /// Whether `side` has the operation.
    pub const fn has_side(&self, side: Side) -> bool {
        self.path_template(side).is_some()
    }

    /// Whether the operation returns one page of a list (it takes
    /// `page_size` and `page_token` and answers `next_page_token`).
    pub const fn is_paged(&self) -> bool {
        self.page_items.is_some()
    }

    /// The `{placeholder}` names of the path, in order.
    pub fn placeholders(&self) -> impl Iterator<Item = &'static str> + 'static {
        let path: &'static str = self.path;
        path.split('/')
            .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
    }

    /// Matches a request path (no query, still percent-encoded) against this
    /// operation's template on `side`: the placeholder values, raw, in order.
    /// `None` when it does not match; a placeholder never matches an empty
    /// segment.
    pub fn match_path<'p>(&self, side: Side, path: &'p str) -> Option<PathParams<'p>> {
        let template = self.path_template(side)?;
        let mut params = PathParams::default();
        let mut actual = path.split('/');
        for expected in template.split('/') {
            let segment = actual.next()?;
            match expected.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => {
                    if segment.is_empty() {
                        return None;
                    }
                    params.push(name, segment)?;
                }
                None if expected == segment => {}
                None => return None,
            }
        }
        actual.next().is_none().then_some(params)
    }

    /// The query parameter `name`, if the operation takes it.
    pub fn query_param(&self, name: &str) -> Option<&QueryParam> {
        self.query.iter().find(|q| q.name == name)
    }
}

/// The placeholder values of a matched path (at most four).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PathParams<'p> {
    items: [(&'static str, &'p str); 4],
    len: usize,
}

impl<'p> PathParams<'p> {
    fn push(&mut self, name: &'static str, value: &'p str) -> Option<()> {
        let slot = self.items.get_mut(self.len)?;
        *slot = (name, value);
        self.len += 1;
        Some(())
    }

    /// The raw (percent-encoded) value of placeholder `name`.
    pub fn get(&self, name: &str) -> Option<&'p str> {
        self.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// `(name, raw value)` pairs in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &'p str)> + '_ {
        self.items.iter().take(self.len).copied()
    }

    /// How many placeholders were matched.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the path had no placeholder.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// A request routed by [`route`]: which operation, which side, and the raw
/// placeholder values.
#[derive(Debug, Clone, Copy)]
pub struct Route<'p> {
    /// The operation.
    pub spec: &'static OperationSpec,
    /// The side, from the path prefix.
    pub side: Side,
    /// The raw (percent-encoded) placeholder values.
    pub params: PathParams<'p>,
}

/// Finds the operation for `method` and `path` (no query, percent-encoded) on
/// either side. `Err(true)` when the path exists with another method (a 405),
/// `Err(false)` when nothing matches.
pub fn route<'p>(method: &str, path: &'p str) -> Result<Route<'p>, bool> {
    let side = if path.starts_with(BRAND_PREFIX) {
        Side::Brand
    } else if path.starts_with(PARTNER_PREFIX) {
        Side::Partner
    } else {
        return Err(false);
    };
    let mut path_known = false;
    for spec in crate::operations::OPERATIONS {
        if let Some(params) = spec.match_path(side, path) {
            if spec.method.as_str() == method {
                return Ok(Route { spec, side, params });
            }
            path_known = true;
        }
    }
    Err(path_known)
}

/// The operation named `name` (e.g. `"list-stocks"`).
pub fn find(name: &str) -> Option<&'static OperationSpec> {
    crate::operations::OPERATIONS
        .iter()
        .copied()
        .find(|spec| spec.name == name)
}

/// Calls `visitor` with the request type of the operation named `name`: the
/// type-level twin of [`find`], for code that must pick a typed operation at
/// run time (the CLI's `call NAME`).
pub trait OperationVisitor {
    /// What a visit produces.
    type Output;
    /// Called with the operation's request type.
    fn visit<O: Operation>(self) -> Self::Output;
}

pub use crate::operations::visit_operation;

/// The body of a request without one (`GET`). Serialises as nothing is sent;
/// deserialises from anything.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct NoBody;

impl Serialize for NoBody {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_unit()
    }
}

impl<'de> serde::Deserialize<'de> for NoBody {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(deserializer).map(|_| NoBody)
    }
}

impl RequestBody for NoBody {}

/// A request body type: the JSON object sent on the wire, exactly as the API
/// documents it.
pub trait RequestBody:
    Serialize + DeserializeOwned + Clone + fmt::Debug + Send + Sync + 'static
{
    /// Checks every documented rule that applies to this body without
    /// context; all violations, with JSON pointers relative to the body.
    fn validate_request(&self) -> Result<(), Violations> {
        Ok(())
    }

    /// The body's `brand_id`, for bodies that carry one (partner side).
    fn brand_id(&self) -> Option<&BrandId> {
        None
    }

    /// Sets (or clears) the body's `brand_id`; a no-op for bodies without one.
    fn set_brand_id(&mut self, brand_id: Option<BrandId>) {
        let _ = brand_id;
    }
}

/// A typed request of one operation of the table.
///
/// Implemented by every `…Request` type of this crate (see
/// [`crate::operations`]); clients are generic over it. A request holds its
/// path parameters (typed identifiers), its query parameters and its body.
pub trait Operation: Clone + fmt::Debug + Send + Sync + 'static {
    /// The operation's wire facts.
    const SPEC: &'static OperationSpec;
    /// The JSON body ([`NoBody`] for `GET`).
    type Body: RequestBody;
    /// The parsed 2xx answer.
    type Response: Serialize + DeserializeOwned + fmt::Debug + Send + Sync + 'static;

    /// A request with `body`, empty path parameters and no query parameters;
    /// fill them with [`set_path_param`](Self::set_path_param) and
    /// [`set_query_param`](Self::set_query_param).
    fn from_body(body: Self::Body) -> Self;

    /// The (unencoded) value of placeholder `name`.
    fn path_param(&self, name: &str) -> Option<&str>;

    /// Sets placeholder `name`; an error names an unknown placeholder.
    fn set_path_param(&mut self, name: &str, value: &str) -> Result<(), ModelError>;

    /// The query parameters that are set, unencoded, in the table's order.
    fn query_pairs(&self) -> Vec<(&'static str, String)>;

    /// Sets query parameter `name` from its wire text; an error names an
    /// unknown parameter or a value that does not parse.
    fn set_query_param(&mut self, name: &str, value: &str) -> Result<(), ModelError>;

    /// The body, for operations that send one.
    fn body(&self) -> Option<&Self::Body>;

    /// The `brand_id` the request names (partner side), in its body or query.
    fn brand_id(&self) -> Option<&BrandId>;

    /// Sets (or clears) the request's `brand_id`, wherever the operation
    /// carries it; a no-op for operations without one.
    fn set_brand_id(&mut self, brand_id: Option<BrandId>);

    /// Checks every documented rule of the request (body rules, page size):
    /// all violations. Path and query parameters are checked when the path is
    /// built (an empty identifier is refused there).
    fn validate(&self) -> Result<(), Violations>;
}

/// An operation the brand side has.
pub trait BrandOperation: Operation {}

/// An operation the partner (service-provider) side has.
pub trait PartnerOperation: Operation {}

/// A list operation answering one page at a time.
pub trait PagedOperation: Operation {
    /// One item of a page.
    type Item: Serialize + DeserializeOwned + fmt::Debug + Send + Sync + 'static;

    /// The `page_token` the request carries.
    fn page_token(&self) -> Option<&PageToken>;

    /// Sets the `page_token` (the previous page's `next_page_token`).
    fn set_page_token(&mut self, token: Option<PageToken>);

    /// Splits a page into its items and its `next_page_token`.
    fn into_page(response: Self::Response) -> Page<Self::Item>;
}

/// One page of a list answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The page's items (empty when the list field is absent).
    pub items: Vec<T>,
    /// The token of the next page; absent on the last.
    pub next_page_token: Option<PageToken>,
    /// The total count, on a first page.
    pub total_count: Option<i64>,
}

/// A value that travels as a query parameter or a path segment.
pub trait ParamValue: Sized {
    /// The wire text (unencoded).
    fn to_param(&self) -> String;
    /// Parses the wire text; the error says what was expected.
    fn from_param(value: &str) -> Result<Self, String>;
}

impl ParamValue for u32 {
    fn to_param(&self) -> String {
        self.to_string()
    }

    fn from_param(value: &str) -> Result<Self, String> {
        value
            .parse()
            .map_err(|_| "a whole number from 0 to 4294967295".to_owned())
    }
}

impl ParamValue for String {
    fn to_param(&self) -> String {
        self.clone()
    }

    fn from_param(value: &str) -> Result<Self, String> {
        Ok(value.to_owned())
    }
}
