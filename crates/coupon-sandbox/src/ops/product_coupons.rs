//! Product coupons: create (with the first stock or stock bundle), get,
//! update (display only), deactivate (with its stocks).

use coupon_model::ValidationContext;
use coupon_model::product_coupon::{
    CreateProductCouponBody, CreateProductCouponResponse, CreatedStockBundle,
    DeactivateProductCouponBody, ProductCoupon, ProductCouponState, UpdateProductCouponBody,
    UsageMode,
};
use coupon_model::stock::StockState;

use super::{Call, Reply, check, refused};
use crate::respond::ApiError;
use crate::state::{ProductCouponRecord, State};
use crate::timeutil::timestamp;

/// The first id handed to a product coupon created through the API.
const FIRST_PRODUCT_COUPON_ID: u64 = 1_000_100_000;

impl State {
    fn next_product_coupon_id(&mut self) -> String {
        loop {
            self.seq.product_coupon = self.seq.product_coupon.wrapping_add(1);
            let id = FIRST_PRODUCT_COUPON_ID
                .wrapping_add(self.seq.product_coupon)
                .to_string();
            if !self.product_coupons.contains_key(&id) {
                return id;
            }
        }
    }

    /// `POST …/product-coupons`: the product coupon and its first stock
    /// (`SINGLE`) or stock bundle (sequential), all `AUDITING` until the
    /// review delay has passed.
    pub(crate) fn create_product_coupon(
        &mut self,
        call: &Call<'_>,
        body: CreateProductCouponBody,
    ) -> Result<Reply<CreateProductCouponResponse>, ApiError> {
        let id = self.next_product_coupon_id();
        let owner = call.brand().to_owned();
        let product_coupon = ProductCoupon {
            product_coupon_id: id.as_str().into(),
            scope: Some(body.scope),
            coupon_type: Some(body.coupon_type),
            usage_mode: Some(body.usage_mode.clone()),
            single_usage_info: body.single_usage_info,
            sequential_usage_info: body.sequential_usage_info,
            display_info: Some(body.display_info),
            out_product_no: body.out_product_no,
            state: Some(ProductCouponState::Auditing),
            ..ProductCoupon::default()
        };
        self.product_coupons.insert(
            id.clone(),
            ProductCouponRecord {
                owner: owner.clone(),
                product_coupon: product_coupon.clone(),
                review_until: Some(call.now.saturating_add(call.review_delay)),
            },
        );
        let (stock, stock_bundle) = match (body.usage_mode, body.stock, body.stock_bundle) {
            (UsageMode::Sequential, _, Some(new)) => {
                let bundle = self.create_bundle(call, &product_coupon, new);
                (None, Some(CreatedStockBundle::Bundle(bundle)))
            }
            (_, Some(new), _) => {
                let i = self.create_stock_record(call, &id, new, None);
                let stock = self.stocks.get(i).map(|r| State::render_stock(r, call.now));
                (stock, None)
            }
            // Validation requires the one matching the usage mode.
            _ => (None, None),
        };
        let record = self.product_coupons.get(&id);
        let product_coupon = record
            .map(|r| State::render_product_coupon(r, call.now))
            .unwrap_or(product_coupon);
        Ok(Reply::of(CreateProductCouponResponse {
            product_coupon,
            stock,
            stock_bundle,
        }))
    }

    /// `GET …/product-coupons/{id}`.
    pub(crate) fn get_product_coupon(&self, call: &Call<'_>) -> Result<ProductCoupon, ApiError> {
        let id = call.params.get("product_coupon_id");
        let record = self.owned_product_coupon(call, id, "path")?;
        Ok(State::render_product_coupon(record, call.now))
    }

    /// `PATCH …/product-coupons/{id}`: the display info, checked against the
    /// coupon's scope; coupons already sent keep the display they were sent with.
    pub(crate) fn update_product_coupon(
        &mut self,
        call: &Call<'_>,
        body: UpdateProductCouponBody,
    ) -> Result<Reply<ProductCoupon>, ApiError> {
        let id = call.params.get("product_coupon_id").to_owned();
        let record = self.owned_product_coupon(call, &id, "path")?;
        if record.product_coupon.state == Some(ProductCouponState::Deactivated) {
            return Err(refused(
                None,
                format!(
                    "商品券已失效,无法修改 (product coupon {id} is DEACTIVATED; create a new one)"
                ),
            ));
        }
        let ctx = ValidationContext::from_product_coupon(&record.product_coupon);
        check(body.validate(Some(&ctx)))?;
        let record = self
            .product_coupons
            .get_mut(&id)
            .ok_or_else(|| super::no_product_coupon(&id))?;
        record.product_coupon.display_info = Some(body.display_info);
        Ok(Reply::of(State::render_product_coupon(record, call.now)))
    }

    /// `POST …/product-coupons/{id}/deactivate`: the product coupon and every
    /// stock of it not yet deactivated (same request number, time and reason);
    /// coupons already sent stay usable.
    pub(crate) fn deactivate_product_coupon(
        &mut self,
        call: &Call<'_>,
        body: DeactivateProductCouponBody,
    ) -> Result<Reply<ProductCoupon>, ApiError> {
        let id = call.params.get("product_coupon_id").to_owned();
        let record = self.owned_product_coupon(call, &id, "path")?;
        if record.product_coupon.state == Some(ProductCouponState::Deactivated) {
            return Err(refused(
                None,
                format!(
                    "商品券已失效 (product coupon {id} is already DEACTIVATED, by request {}; nothing to do)",
                    record
                        .product_coupon
                        .deactivate_request_no
                        .as_ref()
                        .map_or("-", |n| n.as_str())
                ),
            ));
        }
        let when = timestamp(call.now);
        let number = body.out_request_no.as_str();
        for stock in self
            .stocks
            .iter_mut()
            .filter(|s| s.stock.product_coupon_id.as_str() == id)
        {
            if stock.stock.state != Some(StockState::Deactivated) {
                stock.stock.state = Some(StockState::Deactivated);
                stock.stock.deactivate_request_no = Some(number.into());
                stock.stock.deactivate_time = Some(when.clone());
                stock.stock.deactivate_reason = Some(body.deactivate_reason.clone());
            }
        }
        let record = self
            .product_coupons
            .get_mut(&id)
            .ok_or_else(|| super::no_product_coupon(&id))?;
        let pc = &mut record.product_coupon;
        pc.state = Some(ProductCouponState::Deactivated);
        pc.deactivate_request_no = Some(number.into());
        pc.deactivate_time = Some(when);
        pc.deactivate_reason = Some(body.deactivate_reason);
        Ok(Reply::of(State::render_product_coupon(record, call.now)))
    }
}
