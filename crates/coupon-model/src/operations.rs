//! The operation table: every endpoint of the product-coupon API, brand and
//! partner, one entry each.
//!
//! An entry states the operation's wire facts once — name, method, the path
//! suffix both sides share, its placeholders and query parameters with their
//! types, where the partner side puts `brand_id`, the body and response
//! types, paging and the idempotency key — and generates from them the
//! request type (`…Request`, with `new`, builders for the optional query
//! parameters and the [`Operation`] impl), its [`OperationSpec`] constant and
//! its place in [`OPERATIONS`]. Adding an endpoint is one entry here plus its
//! body and response types in the module of its resource (see
//! `docs/architecture.md`).
//!
//! Every request type's documentation lists its method, both paths, its
//! body, response, paging and idempotency key.

use crate::coupon_bundle::{
    DeactivateUserCouponBundleBody, SendUserCouponBundleBody, UserCouponBundle,
};
use crate::coupon_code::{UploadCouponCodesBody, UploadCouponCodesResponse};
use crate::ids::{
    AppId, BrandId, CouponCode, OpenId, PageToken, ProductCouponId, StockBundleId, StockId, TaskId,
    UserCouponBundleId,
};
use crate::image_task::{
    CreateImageGenerationTaskBody, CreateImageGenerationTaskResponse, ImageGenerationTask,
};
use crate::media::{ImageFile, ImageMeta, UploadImageResponse};
use crate::notify::{NotifyUrlConfig, SetNotifyConfigBody};
use crate::operation::{
    BodyKind, BrandIdPlacement, BrandOperation, HttpMethod, NoBody, Operation, OperationSpec,
    OperationVisitor, Page, PagedOperation, ParamValue, PartnerOperation, QueryParam, RequestBody,
    Source,
};
use crate::product_coupon::{
    CreateProductCouponBody, CreateProductCouponResponse, DeactivateProductCouponBody,
    ProductCoupon, UpdateProductCouponBody,
};
use crate::stock::{
    CreateStockBody, DeactivateStockBody, ListStocksResponse, Stock, StockState, UpdateBudgetBody,
    UpdateStockBody,
};
use crate::stock_bundle::{CreateStockBundleBody, StockBundle};
use crate::store::{
    AssociateStoresResponse, ListAssociatedStoresResponse, StoreInfo, StoreListBody,
};
use crate::user_coupon::{
    ConfirmUserProductCouponBody, DeactivateUserProductCouponBody, ListUserCouponsResponse,
    PreSendUserProductCouponBody, PreSendUserProductCouponResponse, ReturnUserProductCouponBody,
    SendUserProductCouponBody, UseUserProductCouponBody, UserCoupon, UserCouponState,
};
use crate::validate::{Violations, validate_list_request};

macro_rules! method_of {
    (GET) => {
        HttpMethod::Get
    };
    (POST) => {
        HttpMethod::Post
    };
    (PATCH) => {
        HttpMethod::Patch
    };
}

macro_rules! side_path {
    (true, $prefix:expr, $path:literal) => {
        Some(concat!($prefix, $path))
    };
    (false, $prefix:expr, $path:literal) => {
        None
    };
}

macro_rules! side_doc {
    (true, $label:literal, $prefix:expr, $path:literal) => {
        concat!("| ", $label, " | `", $prefix, $path, "` |")
    };
    (false, $label:literal, $prefix:expr, $path:literal) => {
        concat!("| ", $label, " | — (not on this side) |")
    };
}

macro_rules! side_marker {
    (true, $marker:ident, $Req:ident) => {
        impl $marker for $Req {}
    };
    (false, $marker:ident, $Req:ident) => {};
}

macro_rules! builder_arg {
    ($ty:ty) => {
        impl Into<$ty>
    };
    ($ty:ty, exact) => {
        $ty
    };
}

macro_rules! body_ty {
    () => {
        NoBody
    };
    ($Body:ty) => {
        $Body
    };
}

macro_rules! body_ref {
    ($this:ident) => {{
        let _ = $this;
        None
    }};
    ($this:ident, $Body:ty) => {
        Some(&$this.body)
    };
}

macro_rules! opt_lit {
    () => {
        None
    };
    ($lit:literal) => {
        Some($lit)
    };
}

macro_rules! opt_name {
    () => {
        None
    };
    ($ident:ident) => {
        Some(stringify!($ident))
    };
}

macro_rules! body_name {
    () => {
        "NoBody"
    };
    ($Body:ty) => {
        stringify!($Body)
    };
}

macro_rules! paged_doc {
    () => {
        "| paged | no |"
    };
    ($items:ident, $Item:ty) => {
        concat!(
            "| paged | yes: items in `",
            stringify!($items),
            "`, each a [`",
            stringify!($Item),
            "`] |"
        )
    };
}

macro_rules! opt_lit_doc {
    ($label:literal) => {
        concat!("| ", $label, " | — |")
    };
    ($label:literal, $lit:literal) => {
        concat!("| ", $label, " | `", $lit, "` |")
    };
}

macro_rules! brand_id_get {
    (Body, $this:ident) => {
        RequestBody::brand_id(&$this.body)
    };
    (Query, $this:ident) => {
        $this.brand_id.as_ref()
    };
    (NotSent, $this:ident) => {{
        let _ = $this;
        None
    }};
}

macro_rules! brand_id_set {
    (Body, $this:ident, $value:ident) => {
        RequestBody::set_brand_id(&mut $this.body, $value)
    };
    (Query, $this:ident, $value:ident) => {
        $this.brand_id = $value
    };
    (NotSent, $this:ident, $value:ident) => {{
        let _ = ($this, $value);
    }};
}

macro_rules! operations {
    (
        $(
            $(#[$doc:meta])*
            $CONST:ident => $Req:ident {
                name: $name:literal,
                sample: $sample:literal,
                summary: $summary:literal,
                $method:ident $path:literal,
                brand: $brand:tt,
                partner: $partner:tt,
                source: $source:ident,
                path: { $($pp:ident : $ppty:ty),* $(,)? },
                query: { $($rq:ident : $rqty:ty),* $(,)? },
                optional: { $($oq:ident : $oqty:ty => $oqb:ident $([$exact:ident])?),* $(,)? },
                brand_id: $bid:ident,
                body: $bk:ident $(($Body:ty))?,
                $( extra: { $($xf:ident : $xty:ty),* $(,)? }, )?
                response: $Resp:ty,
                $( paged: $items:ident => $Item:ty, )?
                key: [$($key:literal)?],
            }
        )+
    ) => {
        $(
            #[doc = concat!("The wire facts of `", $name, "`: ", $summary)]
            pub const $CONST: OperationSpec = OperationSpec {
                name: $name,
                sample_name: $sample,
                summary: $summary,
                method: method_of!($method),
                path: $path,
                brand_path: side_path!($brand, brand_prefix!(), $path),
                partner_path: side_path!($partner, partner_prefix!(), $path),
                query: &[
                    $(QueryParam { name: stringify!($rq), required: true },)*
                    $(QueryParam { name: stringify!($oq), required: false },)*
                ],
                body: BodyKind::$bk,
                partner_brand_id: BrandIdPlacement::$bid,
                request_type: stringify!($Req),
                body_type: body_name!($($Body)?),
                response_type: stringify!($Resp),
                page_items: opt_name!($($items)?),
                idempotency_key: opt_lit!($($key)?),
                source: Source::$source,
            };

            #[doc = $summary]
            #[doc = ""]
            $(#[$doc])*
            #[doc = ""]
            #[doc = "| | |"]
            #[doc = "|---|---|"]
            #[doc = concat!("| operation | `", $name, "` (sample `", $sample, "`) |")]
            #[doc = concat!("| method | `", stringify!($method), "` |")]
            #[doc = side_doc!($brand, "brand path", brand_prefix!(), $path)]
            #[doc = side_doc!($partner, "partner path", partner_prefix!(), $path)]
            #[doc = concat!("| partner `brand_id` | ", stringify!($bid), " |")]
            #[doc = concat!("| body | ", stringify!($bk) $(, " [`", stringify!($Body), "`]")?, " |")]
            #[doc = concat!("| response | [`", stringify!($Resp), "`] |")]
            #[doc = paged_doc!($($items, $Item)?)]
            #[doc = opt_lit_doc!("idempotency key" $(, $key)?)]
            #[doc = concat!("| source | ", stringify!($source), " |")]
            #[derive(Debug, Clone, PartialEq)]
            pub struct $Req {
                $(
                    #[doc = concat!("Path parameter `{", stringify!($pp), "}`.")]
                    pub $pp: $ppty,
                )*
                $(
                    #[doc = concat!("Query parameter `", stringify!($rq), "` (required).")]
                    pub $rq: $rqty,
                )*
                $(
                    #[doc = concat!("Query parameter `", stringify!($oq), "`.")]
                    pub $oq: Option<$oqty>,
                )*
                $(
                    #[doc = concat!("The JSON body ([`", stringify!($Body), "`]).")]
                    pub body: $Body,
                )?
                $($(
                    #[doc = concat!("`", stringify!($xf), "` (not part of the JSON body).")]
                    pub $xf: $xty,
                )*)?
            }

            #[allow(clippy::new_without_default)]
            impl $Req {
                /// A request with its path parameters, required query
                /// parameters and body; optional query parameters are unset.
                pub fn new(
                    $($pp: impl Into<$ppty>,)*
                    $($rq: impl Into<$rqty>,)*
                    $(body: $Body,)?
                    $($($xf: $xty,)*)?
                ) -> Self {
                    Self {
                        $($pp: $pp.into(),)*
                        $($rq: $rq.into(),)*
                        $($oq: None,)*
                        $(body: { let body: $Body = body; body },)?
                        $($($xf,)*)?
                    }
                }

                /// Checks every documented rule of the request (the
                /// [`Operation::validate`] of this type): all violations.
                pub fn validate(&self) -> Result<(), Violations> {
                    <Self as Operation>::validate(self)
                }

                /// The query parameters that are set, unencoded, in the
                /// table's order (the [`Operation::query_pairs`] of this type).
                pub fn query_pairs(&self) -> Vec<(&'static str, String)> {
                    <Self as Operation>::query_pairs(self)
                }

                $(
                    #[doc = concat!("With query parameter `", stringify!($oq), "`.")]
                    pub fn $oqb(mut self, value: builder_arg!($oqty $(, $exact)?)) -> Self {
                        self.$oq = Some(value.into());
                        self
                    }
                )*
            }

            impl Operation for $Req {
                const SPEC: &'static OperationSpec = &$CONST;
                type Body = body_ty!($($Body)?);
                type Response = $Resp;

                fn from_body(body: Self::Body) -> Self {
                    let _ = &body;
                    Self {
                        $($pp: Default::default(),)*
                        $($rq: Default::default(),)*
                        $($oq: None,)*
                        $(body: { let body: $Body = body; body },)?
                        $($($xf: Default::default(),)*)?
                    }
                }

                fn path_param(&self, name: &str) -> Option<&str> {
                    $(
                        if name == stringify!($pp) {
                            return Some(AsRef::<str>::as_ref(&self.$pp));
                        }
                    )*
                    let _ = name;
                    None
                }

                fn set_path_param(&mut self, name: &str, value: &str) -> Result<(), crate::ModelError> {
                    $(
                        if name == stringify!($pp) {
                            self.$pp = param(name, value)?;
                            return Ok(());
                        }
                    )*
                    let _ = value;
                    Err(unknown_param(name, "path placeholder", Self::SPEC.placeholders()))
                }

                fn query_pairs(&self) -> Vec<(&'static str, String)> {
                    #[allow(unused_mut)]
                    let mut pairs = Vec::new();
                    $(pairs.push((stringify!($rq), ParamValue::to_param(&self.$rq)));)*
                    $(
                        if let Some(value) = &self.$oq {
                            pairs.push((stringify!($oq), ParamValue::to_param(value)));
                        }
                    )*
                    pairs
                }

                fn set_query_param(&mut self, name: &str, value: &str) -> Result<(), crate::ModelError> {
                    $(
                        if name == stringify!($rq) {
                            self.$rq = param(name, value)?;
                            return Ok(());
                        }
                    )*
                    $(
                        if name == stringify!($oq) {
                            self.$oq = Some(param(name, value)?);
                            return Ok(());
                        }
                    )*
                    let _ = value;
                    Err(unknown_param(
                        name,
                        "query parameter",
                        Self::SPEC.query.iter().map(|q| q.name),
                    ))
                }

                fn body(&self) -> Option<&Self::Body> {
                    let this = self;
                    body_ref!(this $(, $Body)?)
                }

                fn brand_id(&self) -> Option<&BrandId> {
                    let this = self;
                    brand_id_get!($bid, this)
                }

                fn set_brand_id(&mut self, brand_id: Option<BrandId>) {
                    let this = self;
                    brand_id_set!($bid, this, brand_id)
                }

                fn validate(&self) -> Result<(), Violations> {
                    #[allow(unused_mut)]
                    let mut all = Vec::new();
                    $(
                        let _: Option<&$Body> = None;
                        if let Err(found) = RequestBody::validate_request(&self.body) {
                            all.extend(found);
                        }
                    )?
                    $(
                        let _ = stringify!($items);
                        if let Err(found) = validate_list_request(self.page_size) {
                            all.extend(found);
                        }
                    )?
                    $(
                        let _ = stringify!($($xf)*);
                        if let Err(found) = self.validate_extra() {
                            all.extend(found);
                        }
                    )?
                    Violations::new(all).map_or(Ok(()), Err)
                }
            }

            side_marker!($brand, BrandOperation, $Req);
            side_marker!($partner, PartnerOperation, $Req);

            $(
                impl PagedOperation for $Req {
                    type Item = $Item;

                    fn page_token(&self) -> Option<&PageToken> {
                        self.page_token.as_ref()
                    }

                    fn set_page_token(&mut self, token: Option<PageToken>) {
                        self.page_token = token;
                    }

                    fn into_page(response: $Resp) -> Page<$Item> {
                        Page {
                            items: response.$items.unwrap_or_default(),
                            next_page_token: response.next_page_token,
                            total_count: response.total_count,
                        }
                    }
                }
            )?
        )+

        /// Every operation of the table, in documentation order.
        pub static OPERATIONS: &[&OperationSpec] = &[$(&$CONST),+];

        /// Calls `visitor` with the request type of the operation named
        /// `name`; `None` when no operation has that name.
        pub fn visit_operation<V: OperationVisitor>(name: &str, visitor: V) -> Option<V::Output> {
            $(
                if name == $name {
                    return Some(visitor.visit::<$Req>());
                }
            )+
            None
        }
    };
}

/// Parses one parameter, naming it in the error.
fn param<T: ParamValue>(name: &str, value: &str) -> Result<T, crate::ModelError> {
    T::from_param(value).map_err(|expected| crate::ModelError::Parameter {
        name: name.to_owned(),
        message: format!("expected {expected}"),
    })
}

/// The error for a parameter the operation does not take, listing those it does.
fn unknown_param(
    name: &str,
    what: &str,
    known: impl Iterator<Item = &'static str>,
) -> crate::ModelError {
    let known: Vec<&str> = known.collect();
    crate::ModelError::Parameter {
        name: name.to_owned(),
        message: if known.is_empty() {
            format!("this operation takes no {what}")
        } else {
            format!(
                "not a {what} of this operation; it takes {}",
                known.join(", ")
            )
        },
    }
}

operations! {
    // ---------------------------------------------------------------- product coupons
    /// Creates the product coupon together with its first stock (single use)
    /// or stock bundle (sequential / progressive bundle) in one call.
    CREATE_PRODUCT_COUPON => CreateProductCouponRequest {
        name: "create-product-coupon",
        sample: "CreateProductCoupon",
        summary: "Create a product coupon with its first stock or stock bundle.",
        POST "/product-coupons",
        brand: true,
        partner: true,
        source: Official,
        path: {},
        query: {},
        optional: {},
        brand_id: Body,
        body: Json(CreateProductCouponBody),
        response: CreateProductCouponResponse,
        key: ["out_request_no"],
    }

    GET_PRODUCT_COUPON => GetProductCouponRequest {
        name: "get-product-coupon",
        sample: "GetProductCoupon",
        summary: "Get a product coupon.",
        GET "/product-coupons/{product_coupon_id}",
        brand: true,
        partner: true,
        source: Official,
        path: { product_coupon_id: ProductCouponId },
        query: {},
        optional: { brand_id: BrandId => with_brand_id },
        brand_id: Query,
        body: None,
        response: ProductCoupon,
        key: [],
    }

    /// Only coupons sent afterwards change (page 003).
    UPDATE_PRODUCT_COUPON => UpdateProductCouponRequest {
        name: "update-product-coupon",
        sample: "UpdateProductCoupon",
        summary: "Modify a product coupon's display information.",
        PATCH "/product-coupons/{product_coupon_id}",
        brand: true,
        partner: true,
        source: Official,
        path: { product_coupon_id: ProductCouponId },
        query: {},
        optional: {},
        brand_id: Body,
        body: Json(UpdateProductCouponBody),
        response: ProductCoupon,
        key: ["out_request_no"],
    }

    DEACTIVATE_PRODUCT_COUPON => DeactivateProductCouponRequest {
        name: "deactivate-product-coupon",
        sample: "DeactivateProductCoupon",
        summary: "Deactivate a product coupon.",
        POST "/product-coupons/{product_coupon_id}/deactivate",
        brand: true,
        partner: true,
        source: Official,
        path: { product_coupon_id: ProductCouponId },
        query: {},
        optional: {},
        brand_id: Body,
        body: Json(DeactivateProductCouponBody),
        response: ProductCoupon,
        key: ["out_request_no"],
    }

    // ---------------------------------------------------------------- stocks
    /// Page 001 calls it "add a stock". Safe to retry with the same
    /// `out_request_no` and body: WeChat Pay returns the stock it created.
    CREATE_STOCK => CreateStockRequest {
        name: "create-stock",
        sample: "CreateStock",
        summary: "Add a stock to a product coupon.",
        POST "/product-coupons/{product_coupon_id}/stocks",
        brand: true,
        partner: true,
        source: Official,
        path: { product_coupon_id: ProductCouponId },
        query: {},
        optional: {},
        brand_id: Body,
        body: Json(CreateStockBody),
        response: Stock,
        key: ["out_request_no"],
    }

    GET_STOCK => GetStockRequest {
        name: "get-stock",
        sample: "GetStock",
        summary: "Get a stock.",
        GET "/product-coupons/{product_coupon_id}/stocks/{stock_id}",
        brand: true,
        partner: true,
        source: Official,
        path: { product_coupon_id: ProductCouponId, stock_id: StockId },
        query: {},
        optional: { brand_id: BrandId => with_brand_id },
        brand_id: Query,
        body: None,
        response: Stock,
        key: [],
    }

    /// Page 000. Rate limit: 20 requests/s.
    LIST_STOCKS => ListStocksRequest {
        name: "list-stocks",
        sample: "ListStocks",
        summary: "List the stocks of a product coupon, one page at a time.",
        GET "/product-coupons/{product_coupon_id}/stocks",
        brand: true,
        partner: true,
        source: Official,
        path: { product_coupon_id: ProductCouponId },
        query: {},
        optional: {
            state: StockState => with_state,
            page_size: u32 => with_page_size [exact],
            page_token: PageToken => with_page_token,
            stock_bundle_id: StockBundleId => with_stock_bundle_id,
            brand_id: BrandId => with_brand_id,
        },
        brand_id: Query,
        body: None,
        response: ListStocksResponse,
        paged: stock_list => Stock,
        key: [],
    }

    /// Only `remark`, `usage_rule_display_info`, `coupon_display_info`,
    /// `notify_config` and `store_scope` can change.
    UPDATE_STOCK => UpdateStockRequest {
        name: "update-stock",
        sample: "UpdateStock",
        summary: "Modify a stock's display and notification settings.",
        PATCH "/product-coupons/{product_coupon_id}/stocks/{stock_id}",
        brand: true,
        partner: true,
        source: Official,
        path: { product_coupon_id: ProductCouponId, stock_id: StockId },
        query: {},
        optional: {},
        brand_id: Body,
        body: Json(UpdateStockBody),
        response: Stock,
        key: ["out_request_no"],
    }

    UPDATE_STOCK_BUDGET => UpdateStockBudgetRequest {
        name: "update-stock-budget",
        sample: "UpdateStockBudget",
        summary: "Change a stock's total or daily budget (max_count / max_count_per_day).",
        POST "/product-coupons/{product_coupon_id}/stocks/{stock_id}/update-budget",
        brand: true,
        partner: true,
        source: Official,
        path: { product_coupon_id: ProductCouponId, stock_id: StockId },
        query: {},
        optional: {},
        brand_id: Body,
        body: Json(UpdateBudgetBody),
        response: Stock,
        key: ["out_request_no"],
    }

    DEACTIVATE_STOCK => DeactivateStockRequest {
        name: "deactivate-stock",
        sample: "DeactivateStock",
        summary: "Deactivate a stock.",
        POST "/product-coupons/{product_coupon_id}/stocks/{stock_id}/deactivate",
        brand: true,
        partner: true,
        source: Official,
        path: { product_coupon_id: ProductCouponId, stock_id: StockId },
        query: {},
        optional: {},
        brand_id: Body,
        body: Json(DeactivateStockBody),
        response: Stock,
        key: ["out_request_no"],
    }

    ASSOCIATE_STORES => AssociateStoresRequest {
        name: "associate-stores",
        sample: "AssociateStores",
        summary: "Associate stores with a stock.",
        POST "/product-coupons/{product_coupon_id}/stocks/{stock_id}/associate-stores",
        brand: true,
        partner: true,
        source: Official,
        path: { product_coupon_id: ProductCouponId, stock_id: StockId },
        query: {},
        optional: {},
        brand_id: Body,
        body: Json(StoreListBody),
        response: AssociateStoresResponse,
        key: [],
    }

    DISASSOCIATE_STORES => DisassociateStoresRequest {
        name: "disassociate-stores",
        sample: "DisassociateStores",
        summary: "Disassociate stores from a stock.",
        POST "/product-coupons/{product_coupon_id}/stocks/{stock_id}/disassociate-stores",
        brand: true,
        partner: true,
        source: Official,
        path: { product_coupon_id: ProductCouponId, stock_id: StockId },
        query: {},
        optional: {},
        brand_id: Body,
        body: Json(StoreListBody),
        response: AssociateStoresResponse,
        key: [],
    }

    LIST_ASSOCIATED_STORES => ListAssociatedStoresRequest {
        name: "list-associated-stores",
        sample: "ListAssociatedStores",
        summary: "List the stores associated with a stock, one page at a time.",
        GET "/product-coupons/{product_coupon_id}/stocks/{stock_id}/associated-stores",
        brand: true,
        partner: true,
        source: Official,
        path: { product_coupon_id: ProductCouponId, stock_id: StockId },
        query: {},
        optional: {
            page_size: u32 => with_page_size [exact],
            page_token: PageToken => with_page_token,
            brand_id: BrandId => with_brand_id,
        },
        brand_id: Query,
        body: None,
        response: ListAssociatedStoresResponse,
        paged: store_list => StoreInfo,
        key: [],
    }

    /// Only for stocks whose `coupon_code_mode` is `UPLOAD`.
    UPLOAD_COUPON_CODES => UploadCouponCodesRequest {
        name: "upload-coupon-codes",
        sample: "UploadCouponCodes",
        summary: "Upload coupon codes to an UPLOAD stock.",
        POST "/product-coupons/{product_coupon_id}/stocks/{stock_id}/upload-coupon-codes",
        brand: true,
        partner: true,
        source: Official,
        path: { product_coupon_id: ProductCouponId, stock_id: StockId },
        query: {},
        optional: {},
        brand_id: Body,
        body: Json(UploadCouponCodesBody),
        response: UploadCouponCodesResponse,
        key: ["out_request_no"],
    }

    // ---------------------------------------------------------------- stock bundles
    CREATE_STOCK_BUNDLE => CreateStockBundleRequest {
        name: "create-stock-bundle",
        sample: "CreateStockBundle",
        summary: "Add a stock bundle (the stocks of a multi-use coupon) to a product coupon.",
        POST "/product-coupons/{product_coupon_id}/stock-bundles",
        brand: true,
        partner: true,
        source: Official,
        path: { product_coupon_id: ProductCouponId },
        query: {},
        optional: {},
        brand_id: Body,
        body: Json(CreateStockBundleBody),
        response: StockBundle,
        key: ["out_request_no"],
    }

    UPDATE_STOCK_BUNDLE => UpdateStockBundleRequest {
        name: "update-stock-bundle",
        sample: "UpdateStockBundle",
        summary: "Modify the display and notification settings of a stock bundle's stocks.",
        PATCH "/product-coupons/{product_coupon_id}/stock-bundles/{stock_bundle_id}",
        brand: true,
        partner: true,
        source: Official,
        path: { product_coupon_id: ProductCouponId, stock_bundle_id: StockBundleId },
        query: {},
        optional: {},
        brand_id: Body,
        body: Json(UpdateStockBody),
        response: StockBundle,
        key: ["out_request_no"],
    }

    UPDATE_STOCK_BUNDLE_BUDGET => UpdateStockBundleBudgetRequest {
        name: "update-stock-bundle-budget",
        sample: "UpdateStockBundleBudget",
        summary: "Change a stock bundle's total or daily budget.",
        POST "/product-coupons/{product_coupon_id}/stock-bundles/{stock_bundle_id}/update-budget",
        brand: true,
        partner: true,
        source: Official,
        path: { product_coupon_id: ProductCouponId, stock_bundle_id: StockBundleId },
        query: {},
        optional: {},
        brand_id: Body,
        body: Json(UpdateBudgetBody),
        response: StockBundle,
        key: ["out_request_no"],
    }

    ASSOCIATE_STORES_FOR_STOCK_BUNDLE => AssociateStoresForStockBundleRequest {
        name: "associate-stores-for-stock-bundle",
        sample: "AssociateStoresForStockBundle",
        summary: "Associate stores with a stock bundle.",
        POST "/product-coupons/{product_coupon_id}/stock-bundles/{stock_bundle_id}/associate-stores",
        brand: true,
        partner: true,
        source: Official,
        path: { product_coupon_id: ProductCouponId, stock_bundle_id: StockBundleId },
        query: {},
        optional: {},
        brand_id: Body,
        body: Json(StoreListBody),
        response: AssociateStoresResponse,
        key: [],
    }

    DISASSOCIATE_STORES_FOR_STOCK_BUNDLE => DisassociateStoresForStockBundleRequest {
        name: "disassociate-stores-for-stock-bundle",
        sample: "DisassociateStoresForStockBundle",
        summary: "Disassociate stores from a stock bundle.",
        POST "/product-coupons/{product_coupon_id}/stock-bundles/{stock_bundle_id}/disassociate-stores",
        brand: true,
        partner: true,
        source: Official,
        path: { product_coupon_id: ProductCouponId, stock_bundle_id: StockBundleId },
        query: {},
        optional: {},
        brand_id: Body,
        body: Json(StoreListBody),
        response: AssociateStoresResponse,
        key: [],
    }

    // ---------------------------------------------------------------- user coupons
    /// The coupon starts `CONFIRMING`; confirm it after the SEND notification.
    SEND_USER_PRODUCT_COUPON => SendUserProductCouponRequest {
        name: "send-user-product-coupon",
        sample: "SendUserProductCoupon",
        summary: "Send a coupon of a stock to a user.",
        POST "/users/{openid}/coupons",
        brand: true,
        partner: true,
        source: Official,
        path: { openid: OpenId },
        query: {},
        optional: {},
        brand_id: Body,
        body: Json(SendUserProductCouponBody),
        response: UserCoupon,
        key: ["send_request_no"],
    }

    /// The token is valid for 5 minutes; the user then claims the coupon in
    /// the receive component.
    PRE_SEND_USER_PRODUCT_COUPON => PreSendUserProductCouponRequest {
        name: "pre-send-user-product-coupon",
        sample: "PreSendUserProductCoupon",
        summary: "Pre-send a coupon: a token for the receive component.",
        POST "/users/{openid}/pre-send-coupon",
        brand: true,
        partner: true,
        source: Official,
        path: { openid: OpenId },
        query: {},
        optional: {},
        brand_id: Body,
        body: Json(PreSendUserProductCouponBody),
        response: PreSendUserProductCouponResponse,
        key: ["send_request_no"],
    }

    /// Without it the coupon never takes effect.
    CONFIRM_SEND_USER_PRODUCT_COUPON => ConfirmSendUserProductCouponRequest {
        name: "confirm-send-user-product-coupon",
        sample: "ConfirmSendUserProductCoupon",
        summary: "Confirm a sent coupon after its SEND notification.",
        POST "/users/{openid}/coupons/{coupon_code}/confirm",
        brand: true,
        partner: true,
        source: Official,
        path: { openid: OpenId, coupon_code: CouponCode },
        query: {},
        optional: {},
        brand_id: Body,
        body: Json(ConfirmUserProductCouponBody),
        response: UserCoupon,
        key: ["out_request_no"],
    }

    USE_USER_PRODUCT_COUPON => UseUserProductCouponRequest {
        name: "use-user-product-coupon",
        sample: "UseUserProductCoupon",
        summary: "Redeem (use) a user's coupon against an order.",
        POST "/users/{openid}/coupons/{coupon_code}/use",
        brand: true,
        partner: true,
        source: Official,
        path: { openid: OpenId, coupon_code: CouponCode },
        query: {},
        optional: {},
        brand_id: Body,
        body: Json(UseUserProductCouponBody),
        response: UserCoupon,
        key: ["out_request_no"],
    }

    RETURN_USER_PRODUCT_COUPON => ReturnUserProductCouponRequest {
        name: "return-user-product-coupon",
        sample: "ReturnUserProductCoupon",
        summary: "Return a used coupon (its order was refunded).",
        POST "/users/{openid}/coupons/{coupon_code}/return",
        brand: true,
        partner: true,
        source: Official,
        path: { openid: OpenId, coupon_code: CouponCode },
        query: {},
        optional: {},
        brand_id: Body,
        body: Json(ReturnUserProductCouponBody),
        response: UserCoupon,
        key: ["out_request_no"],
    }

    DEACTIVATE_USER_PRODUCT_COUPON => DeactivateUserProductCouponRequest {
        name: "deactivate-user-product-coupon",
        sample: "DeactivateUserProductCoupon",
        summary: "Deactivate a user's coupon.",
        POST "/users/{openid}/coupons/{coupon_code}/deactivate",
        brand: true,
        partner: true,
        source: Official,
        path: { openid: OpenId, coupon_code: CouponCode },
        query: {},
        optional: {},
        brand_id: Body,
        body: Json(DeactivateUserProductCouponBody),
        response: UserCoupon,
        key: ["out_request_no"],
    }

    GET_USER_PRODUCT_COUPON => GetUserProductCouponRequest {
        name: "get-user-product-coupon",
        sample: "GetUserProductCoupon",
        summary: "Get one of a user's coupons.",
        GET "/users/{openid}/coupons/{coupon_code}",
        brand: true,
        partner: true,
        source: Official,
        path: { openid: OpenId, coupon_code: CouponCode },
        query: { appid: AppId },
        optional: {
            product_coupon_id: ProductCouponId => with_product_coupon_id,
            stock_id: StockId => with_stock_id,
            brand_id: BrandId => with_brand_id,
        },
        brand_id: Query,
        body: None,
        response: UserCoupon,
        key: [],
    }

    /// Page 002.
    LIST_USER_PRODUCT_COUPONS => ListUserProductCouponsRequest {
        name: "list-user-product-coupons",
        sample: "ListUserProductCoupons",
        summary: "List a user's coupons, one page at a time.",
        GET "/users/{openid}/coupons",
        brand: true,
        partner: true,
        source: Official,
        path: { openid: OpenId },
        query: { appid: AppId },
        optional: {
            product_coupon_id: ProductCouponId => with_product_coupon_id,
            stock_id: StockId => with_stock_id,
            coupon_state: UserCouponState => with_coupon_state,
            page_size: u32 => with_page_size [exact],
            page_token: PageToken => with_page_token,
            user_coupon_bundle_id: UserCouponBundleId => with_user_coupon_bundle_id,
            brand_id: BrandId => with_brand_id,
        },
        brand_id: Query,
        body: None,
        response: ListUserCouponsResponse,
        paged: user_coupon_list => UserCoupon,
        key: [],
    }

    // ---------------------------------------------------------------- notify config
    /// A service provider has one URL for all its brands.
    GET_NOTIFY_CONFIG => GetNotifyConfigRequest {
        name: "get-notify-config",
        sample: "GetNotifyConfig",
        summary: "Get the notification URL.",
        GET "/notify-configs",
        brand: true,
        partner: true,
        source: Official,
        path: {},
        query: {},
        optional: {},
        brand_id: NotSent,
        body: None,
        response: NotifyUrlConfig,
        key: [],
    }

    /// Some guides write the path `…/notify-config`; the samples (and this
    /// SDK) use `…/notify-configs`.
    SET_NOTIFY_CONFIG => SetNotifyConfigRequest {
        name: "set-notify-config",
        sample: "SetNotifyConfig",
        summary: "Set the notification URL.",
        POST "/notify-configs",
        brand: true,
        partner: true,
        source: Official,
        path: {},
        query: {},
        optional: {},
        brand_id: NotSent,
        body: Json(SetNotifyConfigBody),
        response: NotifyUrlConfig,
        key: [],
    }

    // ---------------------------------------------------------------- media
    /// `multipart/form-data`: a `meta` part (this JSON: `filename`,
    /// `sha256`) and a `file` part; the signature covers the `meta` JSON.
    /// JPG or PNG, at most 2 MiB. Clients compute `sha256` when it is left
    /// empty.
    UPLOAD_IMAGE => UploadImageRequest {
        name: "upload-image",
        sample: "UploadImage",
        summary: "Upload an image; the answer's URL can be used in display settings.",
        POST "/media/upload-image",
        brand: true,
        partner: true,
        source: Official,
        path: {},
        query: {},
        optional: {},
        brand_id: NotSent,
        body: Multipart(ImageMeta),
        extra: { file: ImageFile },
        response: UploadImageResponse,
        key: [],
    }

    // ---------------------------------------------------------------- partner extras
    /// Known only from a third-party SDK's models
    /// (DotNetCore.SKIT.FlurlHttpClient.Wechat), not from the official samples.
    CREATE_IMAGE_GENERATION_TASK => CreateImageGenerationTaskRequest {
        name: "create-image-generation-task",
        sample: "CreateMarketingPartnerProductCouponImageGenerationTask",
        summary: "Start generating a coupon image (partner only).",
        POST "/image-generation-tasks",
        brand: false,
        partner: true,
        source: ThirdParty,
        path: {},
        query: {},
        optional: {},
        brand_id: Body,
        body: Json(CreateImageGenerationTaskBody),
        response: CreateImageGenerationTaskResponse,
        key: [],
    }

    /// Known only from a third-party SDK's models
    /// (DotNetCore.SKIT.FlurlHttpClient.Wechat), not from the official samples;
    /// that SDK sends no query parameter, this one sends `brand_id` and
    /// `image_generation_type` when set.
    GET_IMAGE_GENERATION_TASK => GetImageGenerationTaskRequest {
        name: "get-image-generation-task",
        sample: "GetMarketingPartnerProductCouponImageGenerationTaskByTaskId",
        summary: "Get an image-generation task (partner only).",
        GET "/image-generation-tasks/{task_id}",
        brand: false,
        partner: true,
        source: ThirdParty,
        path: { task_id: TaskId },
        query: {},
        optional: {
            brand_id: BrandId => with_brand_id,
            image_generation_type: String => with_image_generation_type,
        },
        brand_id: Query,
        body: None,
        response: ImageGenerationTask,
        key: [],
    }

    /// Known only from a third-party SDK's models
    /// (DotNetCore.SKIT.FlurlHttpClient.Wechat), not from the official samples.
    SEND_USER_COUPON_BUNDLE => SendUserCouponBundleRequest {
        name: "send-user-coupon-bundle",
        sample: "SendMarketingPartnerProductCouponUserCouponBundle",
        summary: "Send the coupons of a stock bundle to a user (partner only).",
        POST "/users/{openid}/coupon-bundles",
        brand: false,
        partner: true,
        source: ThirdParty,
        path: { openid: OpenId },
        query: {},
        optional: {},
        brand_id: Body,
        body: Json(SendUserCouponBundleBody),
        response: UserCouponBundle,
        key: ["send_request_no"],
    }

    /// Known only from a third-party SDK's models
    /// (DotNetCore.SKIT.FlurlHttpClient.Wechat), not from the official samples.
    DEACTIVATE_USER_COUPON_BUNDLE => DeactivateUserCouponBundleRequest {
        name: "deactivate-user-coupon-bundle",
        sample: "DeactivateMarketingPartnerProductCouponUserCouponBundle",
        summary: "Deactivate a user's coupon bundle (partner only).",
        POST "/users/{openid}/coupon-bundles/{user_coupon_bundle_id}/deactivate",
        brand: false,
        partner: true,
        source: ThirdParty,
        path: { openid: OpenId, user_coupon_bundle_id: UserCouponBundleId },
        query: {},
        optional: {},
        brand_id: Body,
        body: Json(DeactivateUserCouponBundleBody),
        response: UserCouponBundle,
        key: ["out_request_no"],
    }
}

/// The request of `create-stock` under the name page 001 uses ("add stock").
pub type AddStockRequest = CreateStockRequest;

/// The request of `list-user-product-coupons` under its shorter name.
pub type ListUserCouponsRequest = ListUserProductCouponsRequest;
