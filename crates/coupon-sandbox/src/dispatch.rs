//! From an authenticated HTTP request to an operation's answer: routing by the
//! shared operation table (method, path suffix, placeholders), percent-decoding,
//! body parsing with JSON-pointer errors, the partner's `brand_id`, replays of
//! request numbers, and the call into the operation's handler (`ops`).
//!
//! The sandbox routes with `coupon_model::operation::route` but shares nothing
//! else with the clients: parsing, checks and answers are its own.

use std::borrow::Cow;

use coupon_model::RequestBody;
use coupon_model::coupon_bundle::{DeactivateUserCouponBundleBody, SendUserCouponBundleBody};
use coupon_model::coupon_code::UploadCouponCodesBody;
use coupon_model::ids::BrandId;
use coupon_model::image_task::CreateImageGenerationTaskBody;
use coupon_model::media::{ImageFile, ImageMeta, UploadImageRequest};
use coupon_model::notify::SetNotifyConfigBody;
use coupon_model::operation::{BodyKind, BrandIdPlacement, OperationSpec, Side};
use coupon_model::product_coupon::{
    CreateProductCouponBody, DeactivateProductCouponBody, UpdateProductCouponBody,
};
use coupon_model::stock::{
    CreateStockBody, DeactivateStockBody, UpdateBudgetBody, UpdateStockBody,
};
use coupon_model::stock_bundle::CreateStockBundleBody;
use coupon_model::store::StoreListBody;
use coupon_model::user_coupon::{
    ConfirmUserProductCouponBody, DeactivateUserProductCouponBody, PreSendUserProductCouponBody,
    ReturnUserProductCouponBody, SendUserProductCouponBody, UseUserProductCouponBody,
};
use http::header::CONTENT_TYPE;
use http::request::Parts;
use percent_encoding::percent_decode_str;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::engine::Store;
use crate::ops::{Call, Params, Reply, SAME_NUMBER_OTHER_DATA, WithBrand, check, internal};
use crate::paging::Query;
use crate::respond::ApiError;
use crate::schema;
use crate::server::lock;
use crate::state::{Replay, State};

/// A request matched to an operation of the table.
#[derive(Debug)]
pub(crate) struct Routed {
    /// The operation.
    pub spec: &'static OperationSpec,
    /// The side its path prefix names.
    pub side: Side,
    /// Its decoded placeholders.
    pub params: Params,
}

impl Routed {
    /// Whether the body is `multipart/form-data` (image upload).
    pub(crate) fn is_multipart(&self) -> bool {
        self.spec.body == BodyKind::Multipart
    }
}

/// Finds the operation of the table a request addresses; `404 NOT_FOUND`
/// (signed) when none does.
pub(crate) fn route(parts: &Parts) -> Result<Routed, ApiError> {
    let path = parts.uri.path();
    let method = parts.method.as_str();
    match coupon_model::operation::route(method, path) {
        Ok(found) => {
            let mut params = Vec::with_capacity(found.params.len());
            for (name, raw) in found.params.iter() {
                let value = percent_decode_str(raw).decode_utf8().map_err(|_| {
                    ApiError::param(
                        name,
                        "path",
                        "路径参数不是合法的 UTF-8 (the path parameter is not valid percent-encoded UTF-8)",
                    )
                })?;
                params.push((name, value.into_owned()));
            }
            Ok(Routed {
                spec: found.spec,
                side: found.side,
                params: Params(params),
            })
        }
        Err(true) => Err(ApiError::not_found(format!(
            "{method} {path} 不存在 (that path takes another method; `wxpay-coupon operations` lists each operation's method and paths)"
        ))),
        Err(false) => Err(ApiError::not_found(format!(
            "{method} {path} 不存在 (no operation of the product-coupon API has this path; `wxpay-coupon operations` lists them all)"
        ))),
    }
}

/// The bytes the request's signature covers: the body, or for image upload
/// the `meta` JSON part (the whole body when the form does not parse, so the
/// signature check fails rather than the parser).
pub(crate) fn signed_body<'b>(
    routed: &Result<Routed, ApiError>,
    parts: &Parts,
    body: &'b [u8],
) -> Cow<'b, [u8]> {
    match routed {
        Ok(r) if r.is_multipart() => match multipart(parts, body) {
            Ok((meta, _)) => Cow::Owned(meta.to_vec()),
            Err(_) => Cow::Borrowed(body),
        },
        _ => Cow::Borrowed(body),
    }
}

/// The `meta` and `file` parts of a `multipart/form-data` body.
fn multipart<'b>(parts: &Parts, body: &'b [u8]) -> Result<(&'b [u8], &'b [u8]), ApiError> {
    let bad = |why: &str| {
        ApiError::param(
            "/",
            "body",
            format!(
                "请求体不是合法的 multipart/form-data ({why}; send a `meta` part with the JSON {{\"filename\",\"sha256\"}} and a `file` part with the image, Content-Type: multipart/form-data; boundary=…)"
            ),
        )
    };
    let content_type = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut pieces = content_type.split(';');
    if !pieces
        .next()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("multipart/form-data"))
    {
        return Err(ApiError::invalid_request(format!(
            "HTTP 请求不符合微信支付 APIv3 接口规则 (image upload is sent as Content-Type: multipart/form-data, got {content_type:?})"
        ))
        .with_detail(Some("Content-Type".into()), "header", None, None));
    }
    let boundary = pieces
        .filter_map(|p| p.trim().strip_prefix("boundary="))
        .next()
        .map(|b| b.trim_matches('"'))
        .filter(|b| !b.is_empty())
        .ok_or_else(|| bad("no boundary in Content-Type"))?;
    let delimiter = format!("--{boundary}");
    let mut meta = None;
    let mut file = None;
    for section in split(body, delimiter.as_bytes()).skip(1) {
        if section.starts_with(b"--") {
            break;
        }
        let section = section.strip_prefix(b"\r\n").unwrap_or(section);
        let section = section.strip_suffix(b"\r\n").unwrap_or(section);
        let Some(head_end) = find(section, b"\r\n\r\n") else {
            return Err(bad("a part has no blank line after its headers"));
        };
        let head = String::from_utf8_lossy(&section[..head_end]).to_ascii_lowercase();
        let content = &section[head_end + 4..];
        if head.contains("name=\"meta\"") {
            meta = Some(content);
        } else if head.contains("name=\"file\"") {
            file = Some(content);
        }
    }
    match (meta, file) {
        (Some(meta), Some(file)) => Ok((meta, file)),
        (None, _) => Err(bad("no `meta` part")),
        (_, None) => Err(bad("no `file` part")),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn split<'b, 'n>(
    mut haystack: &'b [u8],
    needle: &'n [u8],
) -> impl Iterator<Item = &'b [u8]> + use<'b, 'n> {
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        match find(haystack, needle) {
            Some(at) => {
                let piece = &haystack[..at];
                haystack = &haystack[at + needle.len()..];
                Some(piece)
            }
            None => {
                done = true;
                Some(haystack)
            }
        }
    })
}

/// Parses a JSON body; not JSON → `400 PARAM_ERROR` at `/`.
fn parse_json(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::param(
            "/",
            "body",
            format!("请求体不是合法的 JSON (the body is not valid JSON: {e}); send a JSON object with Content-Type: application/json"),
        )
    })
}

/// Appends a JSON-pointer token (escaping `~` and `/`).
fn push_token(pointer: &mut String, token: &str) {
    pointer.push('/');
    pointer.push_str(&token.replace('~', "~0").replace('/', "~1"));
}

/// The typed body, or `400 PARAM_ERROR` whose `detail.field` is the JSON
/// pointer of the missing or mistyped field.
pub(crate) fn typed<B: DeserializeOwned>(value: &Value) -> Result<B, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let mut pointer = String::new();
        for segment in e.path().iter() {
            match segment {
                serde_path_to_error::Segment::Seq { index } => {
                    push_token(&mut pointer, &index.to_string())
                }
                serde_path_to_error::Segment::Map { key } => push_token(&mut pointer, key),
                serde_path_to_error::Segment::Enum { variant } => push_token(&mut pointer, variant),
                serde_path_to_error::Segment::Unknown => {}
            }
        }
        let inner = e.inner().to_string();
        if let Some(field) = inner
            .strip_prefix("missing field `")
            .and_then(|r| r.split('`').next())
        {
            push_token(&mut pointer, field);
            return ApiError::param(
                &pointer,
                "body",
                format!("缺少必填参数 {pointer} (the required field {pointer} is missing; add it)"),
            );
        }
        let shown = if pointer.is_empty() { "/" } else { &pointer };
        ApiError::param(
            shown,
            "body",
            format!(
                "参数格式错误: {shown} (the field does not match the documented request: {inner})"
            ),
        )
    })
}

/// How a write's body is validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rules {
    /// The body's own rules (`RequestBody::validate_request`), before the handler.
    Body,
    /// The handler validates against the stored product coupon.
    InHandler,
}

/// One request on its way to a handler.
struct Ctx<'a> {
    routed: &'a Routed,
    query: &'a Query,
    now: i64,
    body: &'a [u8],
}

fn to_json<T: Serialize>(value: &T) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(internal)
}

impl Store {
    /// Runs an authenticated, routed request: its answer body.
    pub(crate) fn handle(
        &self,
        routed: &Routed,
        parts: &Parts,
        body: &[u8],
    ) -> Result<Vec<u8>, ApiError> {
        let query = Query::parse(parts.uri.query())?;
        let ctx = Ctx {
            routed,
            query: &query,
            now: self.now(),
            body,
        };
        use Rules::{Body, InHandler};
        match routed.spec.name {
            "create-product-coupon" => {
                self.write::<CreateProductCouponBody, _, _>(&ctx, Body, |s, c, b| {
                    s.create_product_coupon(c, b)
                })
            }
            "get-product-coupon" => self.read(&ctx, |s, c| s.get_product_coupon(c)),
            "update-product-coupon" => {
                self.write::<UpdateProductCouponBody, _, _>(&ctx, InHandler, |s, c, b| {
                    s.update_product_coupon(c, b)
                })
            }
            "deactivate-product-coupon" => {
                self.write::<DeactivateProductCouponBody, _, _>(&ctx, Body, |s, c, b| {
                    s.deactivate_product_coupon(c, b)
                })
            }
            "create-stock" => {
                self.write::<CreateStockBody, _, _>(&ctx, InHandler, |s, c, b| s.create_stock(c, b))
            }
            "get-stock" => self.read(&ctx, |s, c| s.get_stock(c)),
            "list-stocks" => self.read(&ctx, |s, c| s.list_stocks(c)),
            "update-stock" => {
                self.write::<UpdateStockBody, _, _>(&ctx, Body, |s, c, b| s.update_stock(c, b))
            }
            "update-stock-budget" => self
                .write::<UpdateBudgetBody, _, _>(&ctx, Body, |s, c, b| s.update_stock_budget(c, b)),
            "deactivate-stock" => self
                .write::<DeactivateStockBody, _, _>(&ctx, Body, |s, c, b| s.deactivate_stock(c, b)),
            "associate-stores" | "associate-stores-for-stock-bundle" => {
                self.write::<StoreListBody, _, _>(&ctx, Body, |s, c, b| s.stores(c, b, true))
            }
            "disassociate-stores" | "disassociate-stores-for-stock-bundle" => {
                self.write::<StoreListBody, _, _>(&ctx, Body, |s, c, b| s.stores(c, b, false))
            }
            "list-associated-stores" => self.read(&ctx, |s, c| s.list_associated_stores(c)),
            "upload-coupon-codes" => {
                self.write::<UploadCouponCodesBody, _, _>(&ctx, Body, |s, c, b| {
                    s.upload_coupon_codes(c, b)
                })
            }
            "create-stock-bundle" => {
                self.write::<CreateStockBundleBody, _, _>(&ctx, InHandler, |s, c, b| {
                    s.create_stock_bundle(c, b)
                })
            }
            "update-stock-bundle" => self
                .write::<UpdateStockBody, _, _>(&ctx, Body, |s, c, b| s.update_stock_bundle(c, b)),
            "update-stock-bundle-budget" => {
                self.write::<UpdateBudgetBody, _, _>(&ctx, Body, |s, c, b| {
                    s.update_stock_bundle_budget(c, b)
                })
            }
            "send-user-product-coupon" => {
                self.write::<SendUserProductCouponBody, _, _>(&ctx, Body, |s, c, b| {
                    s.send_coupon(c, b)
                })
            }
            "pre-send-user-product-coupon" => {
                self.write::<PreSendUserProductCouponBody, _, _>(&ctx, Body, |s, c, b| {
                    s.pre_send_coupon(c, b)
                })
            }
            "confirm-send-user-product-coupon" => {
                self.write::<ConfirmUserProductCouponBody, _, _>(&ctx, Body, |s, c, b| {
                    s.confirm_coupon(c, b)
                })
            }
            "use-user-product-coupon" => {
                self.write::<UseUserProductCouponBody, _, _>(&ctx, Body, |s, c, b| {
                    s.use_coupon(c, b)
                })
            }
            "return-user-product-coupon" => {
                self.write::<ReturnUserProductCouponBody, _, _>(&ctx, Body, |s, c, b| {
                    s.return_coupon(c, b)
                })
            }
            "deactivate-user-product-coupon" => self
                .write::<DeactivateUserProductCouponBody, _, _>(&ctx, Body, |s, c, b| {
                    s.deactivate_coupon(c, b)
                }),
            "get-user-product-coupon" => self.read(&ctx, |s, c| s.get_coupon(c)),
            "list-user-product-coupons" => self.read(&ctx, |s, c| s.list_coupons(c)),
            "get-notify-config" => self.read(&ctx, |s, c| s.get_notify_config(c)),
            "set-notify-config" => {
                self.write::<SetNotifyConfigBody, _, _>(&ctx, Body, |s, c, b| {
                    s.set_notify_config(c, b)
                })
            }
            "upload-image" => self.upload_image(&ctx, parts),
            "create-image-generation-task" => {
                self.write::<CreateImageGenerationTaskBody, _, _>(&ctx, Body, |s, c, b| {
                    s.create_image_task(c, b)
                })
            }
            "get-image-generation-task" => self.read(&ctx, |s, c| s.get_image_task(c)),
            "send-user-coupon-bundle" => {
                self.write::<SendUserCouponBundleBody, _, _>(&ctx, Body, |s, c, b| {
                    s.send_coupon_bundle(c, b)
                })
            }
            "deactivate-user-coupon-bundle" => {
                self.write::<DeactivateUserCouponBundleBody, _, _>(&ctx, Body, |s, c, b| {
                    s.deactivate_coupon_bundle(c, b)
                })
            }
            other => Err(ApiError::not_found(format!(
                "the sandbox has no handler for operation {other} yet"
            ))),
        }
    }

    /// The brand a call acts for: the brand's own; on the partner side the
    /// `brand_id` it names (body or query, per the table), which must have
    /// authorised the service provider (`403 NO_AUTH` otherwise); `None` for
    /// the service provider's own settings.
    fn acting_brand(
        &self,
        ctx: &Ctx<'_>,
        body_brand: Option<&BrandId>,
    ) -> Result<Option<String>, ApiError> {
        let routed = ctx.routed;
        if routed.side == Side::Brand {
            return Ok(Some(self.brand_id().to_owned()));
        }
        let (named, field, location) = match routed.spec.partner_brand_id {
            BrandIdPlacement::NotSent => return Ok(None),
            BrandIdPlacement::Body => (
                body_brand.map(|b| b.as_str()).filter(|b| !b.is_empty()),
                "/brand_id",
                "body",
            ),
            BrandIdPlacement::Query => (ctx.query.non_empty("brand_id")?, "brand_id", "query"),
        };
        let Some(named) = named else {
            return Err(ApiError::param(
                field,
                location,
                format!(
                    "缺少必填参数 brand_id (a service provider names the brand it acts for: brand_id in the {location})"
                ),
            ));
        };
        if !self.brands().iter().any(|b| b == named) {
            return Err(ApiError::no_auth(format!(
                "缺少业务相关权限 (brand_id {named:?} has not authorised this service provider; the sandbox's brands are {})",
                self.brands().join(" and ")
            ))
            .with_detail(Some(field.into()), location, Some("no authorisation".into()), None));
        }
        Ok(Some(named.to_owned()))
    }

    /// A reading operation: the answer is rendered under the lock and
    /// serialised after it.
    fn read<R, F>(&self, ctx: &Ctx<'_>, run: F) -> Result<Vec<u8>, ApiError>
    where
        R: Serialize + WithBrand,
        F: FnOnce(&State, &Call<'_>) -> Result<R, ApiError>,
    {
        let brand = self.acting_brand(ctx, None)?;
        let mut answer = {
            let state = lock(&self.state);
            let call = self.call(ctx, brand.as_deref());
            run(&state, &call)?
        };
        if let (Side::Partner, Some(brand)) = (ctx.routed.side, &brand) {
            answer.set_brand(brand);
        }
        Ok(to_json(&answer)?.into_bytes())
    }

    fn call<'c>(&self, ctx: &'c Ctx<'c>, brand: Option<&'c str>) -> Call<'c> {
        Call {
            side: ctx.routed.side,
            brand,
            now: ctx.now,
            params: &ctx.routed.params,
            query: ctx.query,
            review_delay: self.review_delay_secs(),
        }
    }

    /// A writing operation: parse, authorise, replay or run, remember, notify.
    fn write<B, R, F>(&self, ctx: &Ctx<'_>, rules: Rules, run: F) -> Result<Vec<u8>, ApiError>
    where
        B: RequestBody,
        R: Serialize + WithBrand,
        F: FnOnce(&mut State, &Call<'_>, B) -> Result<Reply<R>, ApiError>,
    {
        let spec = ctx.routed.spec;
        let value = parse_json(ctx.body)?;
        if let Some(shape) = schema::for_operation(spec.name) {
            schema::check(&value, shape)?;
        }
        let body: B = typed(&value)?;
        let brand = self.acting_brand(ctx, RequestBody::brand_id(&body))?;
        let key = spec.idempotency_key;
        let number = key
            .and_then(|k| value.get(k))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let mut request = value;
        if let Some(map) = request.as_object_mut() {
            map.remove("brand_id");
        }
        let target = ctx.routed.params.target();
        let replay_key = number.as_ref().map(|n| {
            format!(
                "{}\u{1f}{}\u{1f}{n}",
                brand.as_deref().unwrap_or("sp"),
                spec.name
            )
        });
        let partner = ctx.routed.side == Side::Partner;
        let (answer, notices) = {
            let mut state = lock(&self.state);
            if let Some(replay) = replay_key.as_ref().and_then(|k| state.replays.get(k)) {
                return if replay.target == target && replay.request == request {
                    let answer = if partner {
                        &replay.partner_answer
                    } else {
                        &replay.brand_answer
                    };
                    Ok(answer.clone().into_bytes())
                } else {
                    let key = key.unwrap_or("out_request_no");
                    Err(ApiError::already_exists(format!(
                        "{key} 已被使用,相同单号但请求数据不一致 ({key} {:?} was already used for a different {} request; resend the identical request to get the same answer, or use a new {key})",
                        number.as_deref().unwrap_or_default(),
                        spec.name
                    ))
                    .with_detail(Some(format!("/{key}")), "body", Some("already used".into()), None)
                    .with_business_code(SAME_NUMBER_OTHER_DATA))
                };
            }
            if rules == Rules::Body {
                check(body.validate_request())?;
            }
            let call = self.call(ctx, brand.as_deref());
            let reply = run(&mut state, &call, body)?;
            let brand_answer = to_json(&reply.answer)?;
            let mut for_partner = reply.answer;
            if let Some(brand) = &brand {
                for_partner.set_brand(brand);
            }
            let partner_answer = to_json(&for_partner)?;
            let answer = if partner {
                partner_answer.clone()
            } else {
                brand_answer.clone()
            };
            if let Some(k) = replay_key {
                state.replays.insert(
                    k,
                    Replay {
                        target,
                        request,
                        brand_answer,
                        partner_answer,
                    },
                );
            }
            (answer, reply.notices)
        };
        self.after_write(notices);
        Ok(answer.into_bytes())
    }

    /// `upload-image`: the multipart form's `meta` and `file`, validated.
    fn upload_image(&self, ctx: &Ctx<'_>, parts: &Parts) -> Result<Vec<u8>, ApiError> {
        let (meta, file) = multipart(parts, ctx.body)?;
        let value = parse_json(meta)?;
        let meta: ImageMeta = typed(&value)?;
        self.acting_brand(ctx, None)?;
        let request = UploadImageRequest::new(meta, ImageFile(file.to_vec()));
        check(request.validate())?;
        let answer = {
            let mut state = lock(&self.state);
            state.upload_image(&request.body, file)?.answer
        };
        self.after_write(Vec::new());
        Ok(to_json(&answer)?.into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, OnceLock};

    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::credentials::Credentials;
    use crate::engine::EngineConfig;

    fn creds() -> Credentials {
        static CREDS: OnceLock<Credentials> = OnceLock::new();
        CREDS
            .get_or_init(|| Credentials::generate().unwrap())
            .clone()
    }

    /// One store for every case (state accumulates, as in a long-running sandbox).
    fn store() -> &'static Store {
        static STORE: OnceLock<Store> = OnceLock::new();
        STORE.get_or_init(|| {
            let clock = Arc::new(wxpay_sign::ManualClock::new(1_756_000_000));
            let keys = crate::wechatpay_keys::KeyRing::new(
                &creds(),
                crate::WechatPayKeyMode::default(),
                crate::DEFAULT_CERTIFICATE_VALIDITY,
                1_756_000_000,
            )
            .unwrap();
            Store::new(&creds(), Arc::new(keys), clock, EngineConfig::default()).unwrap()
        })
    }

    fn parts(method: &str, path: &str) -> Parts {
        http::Request::builder()
            .method(method)
            .uri(path)
            .body(())
            .unwrap()
            .into_parts()
            .0
    }

    #[test]
    fn pointers_name_missing_and_mistyped_fields() {
        let missing =
            typed::<coupon_model::stock::CreateStockBody>(&json!({ "out_request_no": "abcdef" }))
                .unwrap_err();
        assert_eq!(
            missing.body.detail.unwrap().field.as_deref(),
            Some("/stock")
        );
        let mistyped = typed::<coupon_model::coupon_code::UploadCouponCodesBody>(
            &json!({ "out_request_no": "abcdef", "code_list": ["a", {"x": 1}] }),
        )
        .unwrap_err();
        assert_eq!(
            mistyped.body.detail.unwrap().field.as_deref(),
            Some("/code_list/1")
        );
        let nested = typed::<coupon_model::stock::UpdateBudgetBody>(
            &json!({ "out_request_no": "abcdef", "update_mode": "MAX_COUNT", "target_max_count": "9" }),
        )
        .unwrap_err();
        assert_eq!(
            nested.body.detail.unwrap().field.as_deref(),
            Some("/target_max_count")
        );
    }

    #[test]
    fn every_operation_routes_on_each_side_it_exists_on() {
        for spec in coupon_model::OPERATIONS {
            for side in [Side::Brand, Side::Partner] {
                let Some(template) = spec.path_template(side) else {
                    continue;
                };
                let path = template.replace('{', "x%7B").replace('}', "");
                let routed = route(&parts(spec.method.as_str(), &path)).unwrap();
                assert_eq!(routed.spec.name, spec.name);
                assert_eq!(routed.side, side);
                assert!(routed.params.0.iter().all(|(_, v)| v.starts_with("x{")));
            }
        }
        assert!(
            route(&parts(
                "PUT",
                "/brand/marketing/product-coupon/product-coupons"
            ))
            .is_err()
        );
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            "[a-zA-Z0-9_/ -]{0,12}".prop_map(Value::from),
            Just(Value::from(crate::seed::PRODUCT_COUPON_ID)),
            Just(Value::from("1000000013002")),
            Just(Value::from(crate::seed::APPID)),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                prop::collection::btree_map(
                    prop_oneof![
                        Just("out_request_no".to_owned()),
                        Just("send_request_no".to_owned()),
                        Just("stock".to_owned()),
                        Just("stock_send_rule".to_owned()),
                        Just("display_info".to_owned()),
                        Just("brand_id".to_owned()),
                        Just("product_coupon_id".to_owned()),
                        Just("stock_id".to_owned()),
                        Just("appid".to_owned()),
                        Just("update_mode".to_owned()),
                        Just("code_list".to_owned()),
                        Just("store_list".to_owned()),
                        "[a-z_]{1,10}"
                    ],
                    inner,
                    0..6
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn arbitrary_bodies_get_an_answer_never_a_panic_or_a_5xx(
            body in json_value(),
            raw in prop::collection::vec(any::<u8>(), 0..64),
            which in 0usize..64,
        ) {
            let store = store();
            let specs: Vec<_> = coupon_model::OPERATIONS.iter().filter(|s| s.method.as_str() != "GET").collect();
            let spec = specs[which % specs.len()];
            let side = if which % 2 == 0 { Side::Brand } else { Side::Partner };
            let Some(template) = spec.path_template(side) else { return Ok(()) };
            let path = template
                .replace("{product_coupon_id}", crate::seed::PRODUCT_COUPON_ID)
                .replace("{stock_id}", "1000000013002")
                .replace("{stock_bundle_id}", crate::seed::STOCK_BUNDLE_ID)
                .replace("{openid}", crate::seed::OPENID)
                .replace("{coupon_code}", "123446500003")
                .replace(['{', '}'], "");
            let p = parts(spec.method.as_str(), &path);
            let routed = route(&p).unwrap();
            let bytes = serde_json::to_vec(&body).unwrap();
            for b in [&bytes, &raw] {
                if let Err(e) = store.handle(&routed, &p, b) {
                    prop_assert!(e.status.is_client_error(), "{}: {:?}", spec.name, e.body);
                }
            }
        }
    }
}
