//! The endpoint table: every route this crate calls, in one place. Path templates
//! come from `coupon-model` (the single source of those facts); the method is kept
//! here as an [`http::Method`] and checked against the model in a test.

use coupon_model::product_coupon::UpdateProductCouponRequest;
use coupon_model::stock::{AddStockRequest, ListStocksRequest};
use coupon_model::user_coupon::ListUserCouponsRequest;
use http::Method;

use crate::error::Error;

/// One route: method, path template (logged instead of the real path) and the
/// signing scheme it needs.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    pub(crate) method: Method,
    pub(crate) path_template: &'static str,
}

/// `GET` — list the stocks of a product coupon (page 000).
pub(crate) const LIST_STOCKS: Endpoint = Endpoint {
    method: Method::GET,
    path_template: ListStocksRequest::PATH_TEMPLATE,
};

/// `POST` — add a stock to a product coupon (page 001).
pub(crate) const ADD_STOCK: Endpoint = Endpoint {
    method: Method::POST,
    path_template: AddStockRequest::PATH_TEMPLATE,
};

/// `GET` — list a user's coupons (page 002).
pub(crate) const LIST_USER_COUPONS: Endpoint = Endpoint {
    method: Method::GET,
    path_template: ListUserCouponsRequest::PATH_TEMPLATE,
};

/// `PATCH` — a service provider updates a product coupon (page 003).
pub(crate) const PARTNER_UPDATE_PRODUCT_COUPON: Endpoint = Endpoint {
    method: Method::PATCH,
    path_template: UpdateProductCouponRequest::PATH_TEMPLATE,
};

impl Endpoint {
    /// Substitutes the one `{…}` placeholder with the percent-encoded value and
    /// appends the query. An empty value (`/users//coupons`) or a dot segment
    /// (`.`/`..`, which percent-encoding leaves alone and intermediaries may
    /// resolve) is refused: the signed path would not name the intended object.
    pub(crate) fn path(
        &self,
        name: &'static str,
        param: &str,
        query: &[(&'static str, String)],
    ) -> Result<String, Error> {
        if matches!(param, "" | "." | "..") {
            return Err(Error::InvalidParameter {
                name,
                value: param.to_owned(),
            });
        }
        let encoded = crate::encode::segment(param);
        let mut out = String::with_capacity(self.path_template.len() + encoded.len() + 64);
        match (self.path_template.find('{'), self.path_template.find('}')) {
            (Some(open), Some(close)) if open < close => {
                out.push_str(&self.path_template[..open]);
                out.push_str(&encoded);
                out.push_str(&self.path_template[close + 1..]);
            }
            _ => out.push_str(self.path_template),
        }
        crate::encode::append_query(&mut out, query);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_agree_with_the_model() {
        assert_eq!(LIST_STOCKS.method.as_str(), ListStocksRequest::METHOD);
        assert_eq!(ADD_STOCK.method.as_str(), AddStockRequest::METHOD);
        assert_eq!(
            LIST_USER_COUPONS.method.as_str(),
            ListUserCouponsRequest::METHOD
        );
        assert_eq!(
            PARTNER_UPDATE_PRODUCT_COUPON.method.as_str(),
            UpdateProductCouponRequest::METHOD
        );
    }

    #[test]
    fn substitutes_and_encodes() {
        assert_eq!(
            LIST_STOCKS
                .path(
                    "product_coupon_id",
                    "1000000013",
                    &[("state", "DEACTIVATED".into()), ("page_size", "10".into())]
                )
                .unwrap(),
            "/brand/marketing/product-coupon/product-coupons/1000000013/stocks?state=DEACTIVATED&page_size=10"
        );
        assert_eq!(
            LIST_USER_COUPONS.path("openid", "o/../x", &[]).unwrap(),
            "/brand/marketing/product-coupon/users/o%2F..%2Fx/coupons"
        );
    }

    #[test]
    fn empty_and_dot_segments_are_refused() {
        for value in ["", ".", ".."] {
            let err = LIST_USER_COUPONS.path("openid", value, &[]).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidRequest, "{value:?}");
            assert!(err.to_string().contains("openid"), "{err}");
            assert!(err.violations().is_none());
        }
        // A dot inside a value is ordinary data.
        assert!(LIST_USER_COUPONS.path("openid", "a.b", &[]).is_ok());
        assert!(LIST_USER_COUPONS.path("openid", "...", &[]).is_ok());
    }
}
