//! Stores (门店) associated with stocks and stock bundles: the bodies and
//! answers of associate, disassociate and list associated stores.

use serde::{Deserialize, Serialize};

use crate::ids::{BrandId, PageToken, StoreId};

/// The request types of this resource's operations (defined by the table in
/// [`crate::operations`]).
pub use crate::operations::{
    AssociateStoresForStockBundleRequest, AssociateStoresRequest,
    DisassociateStoresForStockBundleRequest, DisassociateStoresRequest,
    ListAssociatedStoresRequest,
};

/// A store (`store_id`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct StoreInfo {
    /// The store id.
    pub store_id: StoreId,
}

impl StoreInfo {
    /// The store `store_id`.
    pub fn new(store_id: impl Into<StoreId>) -> Self {
        Self {
            store_id: store_id.into(),
        }
    }
}

/// A store that could not be associated or disassociated, and why.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FailedStoreInfo {
    /// The store id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_id: Option<StoreId>,
    /// An error code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// What went wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The JSON body of `associate-stores`, `disassociate-stores` and their
/// stock-bundle twins: the stores, plus `brand_id` on the partner side.
///
/// Required (request type, strict): `store_list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreListBody {
    /// The stores.
    pub store_list: Vec<StoreInfo>,
    /// The brand the partner acts for (partner side only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand_id: Option<BrandId>,
}

impl StoreListBody {
    /// A body naming `stores`.
    pub fn new<I, S>(stores: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<StoreId>,
    {
        Self {
            store_list: stores.into_iter().map(StoreInfo::new).collect(),
            brand_id: None,
        }
    }
}

impl_request_body!(StoreListBody, validate = |_| Ok(()), brand_id);

/// The answer of `associate-stores` / `disassociate-stores` (and their
/// stock-bundle twins): which stores succeeded and which failed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AssociateStoresResponse {
    /// How many stores the request named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_count: Option<i64>,
    /// The stores that succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_store_list: Option<Vec<StoreInfo>>,
    /// The stores that failed, with why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_store_list: Option<Vec<FailedStoreInfo>>,
}

/// The answer of `disassociate-stores` (the same shape).
pub type DisassociateStoresResponse = AssociateStoresResponse;

/// One page of `list-associated-stores`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ListAssociatedStoresResponse {
    /// Total associated stores; on the first page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_count: Option<i64>,
    /// The stores of this page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_list: Option<Vec<StoreInfo>>,
    /// Token of the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<PageToken>,
}
