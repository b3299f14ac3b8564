//! The seed corpora, built from the page examples in `crates/*/tests/fixtures`.

use coupon_sandbox::seed::{APPID, OPENID, PRODUCT_COUPON_ID};
use http::HeaderMap;
use wxpay_sign::{SignableRequest, Signer};

use crate::targets::{
    NONCE, NOW, RESPONSE_TYPES, envelope, fixed, flags, operation_selector, sign_into,
};

/// One seed input of one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seed {
    /// The target (a name of [`TARGETS`](crate::TARGETS)).
    pub target: &'static str,
    /// The file name under `fuzz/seeds/<target>/`.
    pub name: String,
    /// The input.
    pub data: Vec<u8>,
}

macro_rules! fixture {
    ($crate_dir:literal, $file:literal) => {
        (
            $file,
            include_bytes!(concat!("../../", $crate_dir, "/tests/fixtures/", $file)).as_slice(),
        )
    };
}

/// Page examples and synthetic documents, with the type each one is.
fn documents() -> Vec<(&'static str, &'static str, &'static [u8])> {
    let model = |(file, bytes): (&'static str, &'static [u8]), ty: &'static str| (ty, file, bytes);
    vec![
        model(
            fixture!("coupon-model", "000_list_stocks_response_bundle.json"),
            "list_stocks",
        ),
        model(
            fixture!("coupon-model", "000_list_stocks_response_deactivated.json"),
            "list_stocks",
        ),
        model(
            fixture!("coupon-model", "001_add_stock_request.json"),
            "add_stock_body",
        ),
        model(
            fixture!("coupon-model", "001_add_stock_response.json"),
            "stock",
        ),
        model(
            fixture!("coupon-model", "002_list_user_coupons_response.json"),
            "list_user_coupons",
        ),
        model(
            fixture!("coupon-model", "003_update_product_coupon_request.json"),
            "update_product_coupon_body",
        ),
        model(
            fixture!("coupon-model", "003_update_product_coupon_response.json"),
            "product_coupon",
        ),
        model(
            fixture!("coupon-model", "synthetic_error_param.json"),
            "error_body",
        ),
        model(
            fixture!("coupon-model", "synthetic_notification.json"),
            "notification",
        ),
        model(
            fixture!("coupon-model", "synthetic_send_payload.json"),
            "send_event",
        ),
        model(
            fixture!("coupon-cli", "add_stock_request_valid.json"),
            "add_stock_body",
        ),
        model(fixture!("coupon-cli", "new_stock_valid.json"), "new_stock"),
        model(
            fixture!("coupon-cli", "new_stock_invalid.json"),
            "new_stock",
        ),
        model(
            fixture!("coupon-cli", "product_coupon_1000000013.json"),
            "product_coupon",
        ),
    ]
}

/// Every operation's answer fixture (one per operation; a test in
/// coupon-model keeps them in step with the field index).
const OPERATION_FIXTURES: &[(&str, &[u8])] = &[
    (
        "associate-stores",
        include_bytes!(
            "../../coupon-model/tests/fixtures/operations/associate-stores.response.json"
        ),
    ),
    (
        "associate-stores-for-stock-bundle",
        include_bytes!(
            "../../coupon-model/tests/fixtures/operations/associate-stores-for-stock-bundle.response.json"
        ),
    ),
    (
        "confirm-send-user-product-coupon",
        include_bytes!(
            "../../coupon-model/tests/fixtures/operations/confirm-send-user-product-coupon.response.json"
        ),
    ),
    (
        "create-image-generation-task",
        include_bytes!(
            "../../coupon-model/tests/fixtures/operations/create-image-generation-task.response.json"
        ),
    ),
    (
        "create-product-coupon",
        include_bytes!(
            "../../coupon-model/tests/fixtures/operations/create-product-coupon.response.json"
        ),
    ),
    (
        "create-stock",
        include_bytes!("../../coupon-model/tests/fixtures/operations/create-stock.response.json"),
    ),
    (
        "create-stock-bundle",
        include_bytes!(
            "../../coupon-model/tests/fixtures/operations/create-stock-bundle.response.json"
        ),
    ),
    (
        "deactivate-product-coupon",
        include_bytes!(
            "../../coupon-model/tests/fixtures/operations/deactivate-product-coupon.response.json"
        ),
    ),
    (
        "deactivate-stock",
        include_bytes!(
            "../../coupon-model/tests/fixtures/operations/deactivate-stock.response.json"
        ),
    ),
    (
        "deactivate-user-coupon-bundle",
        include_bytes!(
            "../../coupon-model/tests/fixtures/operations/deactivate-user-coupon-bundle.response.json"
        ),
    ),
    (
        "deactivate-user-product-coupon",
        include_bytes!(
            "../../coupon-model/tests/fixtures/operations/deactivate-user-product-coupon.response.json"
        ),
    ),
    (
        "disassociate-stores",
        include_bytes!(
            "../../coupon-model/tests/fixtures/operations/disassociate-stores.response.json"
        ),
    ),
    (
        "disassociate-stores-for-stock-bundle",
        include_bytes!(
            "../../coupon-model/tests/fixtures/operations/disassociate-stores-for-stock-bundle.response.json"
        ),
    ),
    (
        "get-image-generation-task",
        include_bytes!(
            "../../coupon-model/tests/fixtures/operations/get-image-generation-task.response.json"
        ),
    ),
    (
        "get-notify-config",
        include_bytes!(
            "../../coupon-model/tests/fixtures/operations/get-notify-config.response.json"
        ),
    ),
    (
        "get-product-coupon",
        include_bytes!(
            "../../coupon-model/tests/fixtures/operations/get-product-coupon.response.json"
        ),
    ),
    (
        "get-stock",
        include_bytes!("../../coupon-model/tests/fixtures/operations/get-stock.response.json"),
    ),
    (
        "get-user-product-coupon",
        include_bytes!(
            "../../coupon-model/tests/fixtures/operations/get-user-product-coupon.response.json"
        ),
    ),
    (
        "list-associated-stores",
        include_bytes!(
            "../../coupon-model/tests/fixtures/operations/list-associated-stores.response.json"
        ),
    ),
    (
        "list-stocks",
        include_bytes!("../../coupon-model/tests/fixtures/operations/list-stocks.response.json"),
    ),
    (
        "list-user-product-coupons",
        include_bytes!(
            "../../coupon-model/tests/fixtures/operations/list-user-product-coupons.response.json"
        ),
    ),
    (
        "pre-send-user-product-coupon",
        include_bytes!(
            "../../coupon-model/tests/fixtures/operations/pre-send-user-product-coupon.response.json"
        ),
    ),
    (
        "return-user-product-coupon",
        include_bytes!(
            "../../coupon-model/tests/fixtures/operations/return-user-product-coupon.response.json"
        ),
    ),
    (
        "send-user-coupon-bundle",
        include_bytes!(
            "../../coupon-model/tests/fixtures/operations/send-user-coupon-bundle.response.json"
        ),
    ),
    (
        "send-user-product-coupon",
        include_bytes!(
            "../../coupon-model/tests/fixtures/operations/send-user-product-coupon.response.json"
        ),
    ),
    (
        "set-notify-config",
        include_bytes!(
            "../../coupon-model/tests/fixtures/operations/set-notify-config.response.json"
        ),
    ),
    (
        "update-product-coupon",
        include_bytes!(
            "../../coupon-model/tests/fixtures/operations/update-product-coupon.response.json"
        ),
    ),
    (
        "update-stock",
        include_bytes!("../../coupon-model/tests/fixtures/operations/update-stock.response.json"),
    ),
    (
        "update-stock-budget",
        include_bytes!(
            "../../coupon-model/tests/fixtures/operations/update-stock-budget.response.json"
        ),
    ),
    (
        "update-stock-bundle",
        include_bytes!(
            "../../coupon-model/tests/fixtures/operations/update-stock-bundle.response.json"
        ),
    ),
    (
        "update-stock-bundle-budget",
        include_bytes!(
            "../../coupon-model/tests/fixtures/operations/update-stock-bundle-budget.response.json"
        ),
    ),
    (
        "upload-coupon-codes",
        include_bytes!(
            "../../coupon-model/tests/fixtures/operations/upload-coupon-codes.response.json"
        ),
    ),
    (
        "upload-image",
        include_bytes!("../../coupon-model/tests/fixtures/operations/upload-image.response.json"),
    ),
    (
        "use-user-product-coupon",
        include_bytes!(
            "../../coupon-model/tests/fixtures/operations/use-user-product-coupon.response.json"
        ),
    ),
];

fn document(file: &str) -> &'static [u8] {
    documents()
        .into_iter()
        .find(|(_, f, _)| *f == file)
        .map(|(_, _, bytes)| bytes)
        .unwrap_or_default()
}

fn stem(file: &str) -> &str {
    file.strip_suffix(".json").unwrap_or(file)
}

/// `Name: value` lines for `headers`.
fn head_lines(headers: &HeaderMap) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in headers {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.push(b'\n');
    }
    out
}

fn join(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// Every seed of every target, deterministic (RSA PKCS#1 v1.5 signatures over
/// fixed inputs at a fixed time with a fixed nonce).
pub fn seeds() -> Vec<Seed> {
    let mut out = Vec::new();
    let mut add =
        |target: &'static str, name: String, data: Vec<u8>| out.push(Seed { target, name, data });

    // authorization: real headers of both schemes over the page examples, and
    // near misses.
    let key = || fixed().merchant_key.clone();
    let serial = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";
    let brand = Signer::brand("120344", serial, key());
    let merchant = Signer::merchant("1900000001", serial, key());
    let stocks =
        format!("/brand/marketing/product-coupon/product-coupons/{PRODUCT_COUPON_ID}/stocks");
    let patch = format!("/v3/marketing/partner/product-coupon/product-coupons/{PRODUCT_COUPON_ID}");
    let signed = [
        (
            "brand_get",
            &brand,
            "GET",
            format!("{stocks}?page_size=5"),
            &b""[..],
        ),
        (
            "brand_post",
            &brand,
            "POST",
            stocks.clone(),
            document("001_add_stock_request.json"),
        ),
        (
            "merchant_patch",
            &merchant,
            "PATCH",
            patch.clone(),
            document("003_update_product_coupon_request.json"),
        ),
    ];
    for (name, signer, method, path, body) in &signed {
        if let Ok(auth) = signer.sign(&SignableRequest::new(method, path, body), NOW, NONCE) {
            let text = auth.as_str().to_owned();
            add(
                "authorization",
                (*name).to_owned(),
                text.clone().into_bytes(),
            );
            add(
                "authorization",
                format!("{name}_duplicate_param"),
                format!("{text},nonce_str=\"again\"").into_bytes(),
            );
            add(
                "authorization",
                format!("{name}_unquoted"),
                text.replace('"', "").into_bytes(),
            );
        }
    }
    add(
        "authorization",
        "empty_params".into(),
        b"WECHATPAY2-SHA256-RSA2048 ".to_vec(),
    );

    // signature_headers and response: every document, signed like an answer.
    for (ty, file, bytes) in documents() {
        let mut headers = HeaderMap::new();
        sign_into(&mut headers, bytes);
        let head = head_lines(&headers);
        add(
            "signature_headers",
            stem(file).to_owned(),
            join(&[&head, b"\n", bytes]),
        );
        let probe = String::from_utf8_lossy(&head)
            .lines()
            .map(|l| {
                if l.starts_with("wechatpay-signature:") {
                    "wechatpay-signature: WECHATPAY/SIGNTEST/ZnV6eg==".to_owned()
                } else {
                    l.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        add(
            "signature_headers",
            format!("{}_probe", stem(file)),
            join(&[probe.as_bytes(), b"\n\n", bytes]),
        );
        if let Some(index) = RESPONSE_TYPES.iter().position(|(name, _)| *name == ty) {
            let selector = u8::try_from(index).unwrap_or_default();
            add(
                "response",
                stem(file).to_owned(),
                join(&[&[selector], bytes]),
            );
        }
    }

    // response: every operation's answer, from its fixture with every
    // documented field (crates/coupon-model/tests/fixtures/operations).
    for (name, bytes) in OPERATION_FIXTURES {
        if let Some(selector) = operation_selector(name, false) {
            add(
                "response",
                format!("op_{name}"),
                join(&[&[selector], bytes]),
            );
        }
    }

    // webhook: raw and verified, the envelope signed here, the payload encrypted here.
    let payload = document("synthetic_send_payload.json");
    if let Some(envelope) = envelope("PRODUCT_COUPON.SEND", payload) {
        let mut headers = HeaderMap::new();
        sign_into(&mut headers, &envelope);
        add(
            "webhook",
            "raw_verified_send".into(),
            join(&[&[0], &head_lines(&headers), b"\n", &envelope]),
        );
    }
    add(
        "webhook",
        "signed_notification".into(),
        join(&[
            &[1],
            b"Content-Type: application/json\n\n",
            document("synthetic_notification.json"),
        ]),
    );
    add(
        "webhook",
        "encrypted_send_payload".into(),
        join(&[&[2], b"PRODUCT_COUPON.SEND\n\n", payload]),
    );

    // sandbox_request: the four operations of the pages, signed and not.
    let ok = flags::SIGN | flags::SERIAL | flags::JSON;
    let requests: [(&str, u8, String, &[u8]); 4] = [
        ("list_stocks", 0, format!("{stocks}?page_size=5"), b""),
        (
            "add_stock",
            1,
            stocks.clone(),
            document("001_add_stock_request.json"),
        ),
        (
            "list_user_coupons",
            0,
            format!(
                "/brand/marketing/product-coupon/users/{OPENID}/coupons?appid={APPID}&page_size=2"
            ),
            b"",
        ),
        (
            "update_product_coupon",
            2,
            patch,
            document("003_update_product_coupon_request.json"),
        ),
    ];
    for (name, method, target, body) in requests {
        for (suffix, bits) in [("signed", ok), ("unsigned", flags::JSON)] {
            add(
                "sandbox_request",
                format!("{name}_{suffix}"),
                join(&[
                    &[method | bits],
                    target.as_bytes(),
                    b"\nX-Fuzz: 1\n\n",
                    body,
                ]),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_operation_has_its_answer_seed() {
        for spec in coupon_model::operations::OPERATIONS {
            assert!(
                super::OPERATION_FIXTURES
                    .iter()
                    .any(|(n, _)| *n == spec.name),
                "add {}'s answer fixture to OPERATION_FIXTURES",
                spec.name
            );
        }
    }
}
