//! [`coupon_client::ReplayGuard`] over the database: a delivery's key
//! (serial, signed timestamp, nonce) is unique in `webhook_deliveries`, so a
//! captured delivery sent again is refused by every instance sharing the store.

use coupon_client::coupon_http::BoxError;
use coupon_client::{Delivery, ReplayGuard};
use tokio::runtime::{Handle, RuntimeFlavor};

use crate::store::Store;

/// The replay guard of every instance sharing one [`Store`].
///
/// `ReplayGuard` is a synchronous trait called from inside the webhook
/// handler's async code, so the insert runs with
/// [`tokio::task::block_in_place`]: the guard needs Tokio's multi-thread
/// runtime (the binary's, and the tests'); on any other it refuses every
/// delivery (fail closed) with an error that says so.
#[derive(Debug, Clone)]
pub struct DbReplayGuard {
    store: Store,
}

impl DbReplayGuard {
    /// A guard recording deliveries in `store`.
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

impl ReplayGuard for DbReplayGuard {
    fn first_delivery(&self, delivery: &Delivery<'_>) -> Result<bool, BoxError> {
        let handle = Handle::try_current()
            .map_err(|_| BoxError::from("the replay guard runs only inside a Tokio runtime"))?;
        if handle.runtime_flavor() != RuntimeFlavor::MultiThread {
            return Err(BoxError::from(
                "the database replay guard needs Tokio's multi-thread runtime",
            ));
        }
        let key = delivery.key();
        let record = self
            .store
            .record_delivery(&key, delivery.notification_id, delivery.timestamp);
        tokio::task::block_in_place(|| handle.block_on(record)).map_err(BoxError::from)
    }
}
