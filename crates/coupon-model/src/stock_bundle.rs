//! Stock bundles (批次组): the stocks that are the successive steps of one
//! multi-use coupon. Create answers a [`StockBundle`]; update and
//! update-budget take the stock bodies ([`UpdateStockBody`](crate::stock::UpdateStockBody),
//! [`UpdateBudgetBody`](crate::stock::UpdateBudgetBody)); stores are
//! associated with [`StoreListBody`](crate::store::StoreListBody).

use serde::{Deserialize, Serialize};

use crate::ids::{BrandId, OutRequestNo, StockBundleId};
use crate::stock::{NewStockBundle, Stock};
use crate::validate::{Checker, Path, ValidationContext, Violations, check_out_request_no};

/// The request types of this resource's operations (defined by the table in
/// [`crate::operations`]).
pub use crate::operations::{
    AssociateStoresForStockBundleRequest, CreateStockBundleRequest,
    DisassociateStoresForStockBundleRequest, UpdateStockBundleBudgetRequest,
    UpdateStockBundleRequest,
};

/// A stock bundle as returned by the API (`StockBundleEntity`): its id and
/// its stocks, one per step, each with `stock_bundle_info` and its own
/// `state`. The bundle itself has no state.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StockBundle {
    /// The bundle id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stock_bundle_id: Option<StockBundleId>,
    /// The stocks, in step order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stock_list: Option<Vec<Stock>>,
    /// The brand (partner side).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand_id: Option<BrandId>,
}

impl StockBundle {
    /// The stocks of the bundle (empty when `stock_list` is absent).
    pub fn stocks(&self) -> &[Stock] {
        self.stock_list.as_deref().unwrap_or(&[])
    }
}

/// The JSON body of `create-stock-bundle`:
/// `{"out_request_no", "stock_bundle": {…}}`, plus `brand_id` on the partner
/// side. The bundle carries a `progressive_bundle_usage_rule` (one discount
/// per use).
///
/// Required (request type, strict): `out_request_no`, `stock_bundle`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateStockBundleBody {
    /// Idempotency key, 6–40 characters of `[0-9A-Za-z_-]`.
    pub out_request_no: OutRequestNo,
    /// The bundle to create.
    pub stock_bundle: NewStockBundle,
    /// The brand the partner acts for (partner side only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand_id: Option<BrandId>,
}

impl CreateStockBundleBody {
    /// A body creating `stock_bundle`.
    pub fn new(out_request_no: impl Into<OutRequestNo>, stock_bundle: NewStockBundle) -> Self {
        Self {
            out_request_no: out_request_no.into(),
            stock_bundle,
            brand_id: None,
        }
    }

    /// Checks `out-request-no-format` and the bundle's rules; with `ctx` (the
    /// product coupon), the (context) rules too. Pointers are relative to the
    /// body (`/stock_bundle/…`).
    pub fn validate(&self, ctx: Option<&ValidationContext>) -> Result<(), Violations> {
        let mut c = Checker::request();
        let p = Path::ROOT;
        check_out_request_no(&mut c, &p.key("out_request_no"), &self.out_request_no);
        self.stock_bundle.check(&mut c, &p.key("stock_bundle"), ctx);
        c.finish()
    }
}

impl_request_body!(
    CreateStockBundleBody,
    validate = |b| b.validate(None),
    brand_id
);
