//! A coupon's whole life through the real HTTP stack, on both sides: create
//! → stock → send → confirm → use → return → deactivate, every refused
//! transition with its status, code and Request-ID number, and nothing
//! changing on a refusal.

mod common;

use std::time::Duration;

use common::*;
use http::{Method, StatusCode};
use serde_json::{Value, json};

const DAY: i64 = 86_400;

/// Creates a storewide single-use product coupon with a stock on `side`:
/// `(product_coupon_id, stock_id)`.
async fn product_coupon_with_stock(
    h: &Harness,
    side: Side,
    no: &str,
    stock: Value,
) -> (String, String) {
    let created = h
        .ok(
            side,
            Method::POST,
            "/product-coupons",
            Some(single_product_coupon(no, stock)),
        )
        .await;
    let pc = created["product_coupon_id"].as_str().unwrap().to_owned();
    let stock = created["stock"]["stock_id"].as_str().unwrap().to_owned();
    (pc, stock)
}

fn coupon_path(openid: &str, code: &str, action: &str) -> String {
    format!("/users/{openid}/coupons/{code}{action}")
}

#[tokio::test]
async fn a_coupon_lives_its_whole_life_on_both_sides() {
    let h = Harness::start_with(|b| b).await;
    for side in SIDES {
        let tag = format!("{side:?}").to_lowercase();
        let stock = new_stock("WECHATPAY", 10, 1, NOW - DAY, NOW + 30 * DAY);
        let created = h
            .ok(
                side,
                Method::POST,
                "/product-coupons",
                Some(single_product_coupon(&format!("create_{tag}"), stock)),
            )
            .await;
        // Reviewed at once: the answer already shows the product coupon and its stock in effect.
        assert_eq!(created["state"], "EFFECTIVE", "{created}");
        assert_eq!(created["stock"]["state"], "SENDING");
        assert_eq!(created.get("brand_id").is_some(), side == Side::Partner);
        let pc = created["product_coupon_id"].as_str().unwrap().to_owned();
        let stock_id = created["stock"]["stock_id"].as_str().unwrap().to_owned();

        let got = h
            .ok(side, Method::GET, &format!("/product-coupons/{pc}"), None)
            .await;
        assert_eq!(got["display_info"]["name"], "沙箱满100减10");
        let got = h
            .ok(
                side,
                Method::GET,
                &format!("/product-coupons/{pc}/stocks/{stock_id}"),
                None,
            )
            .await;
        assert_eq!(got["sent_count_info"]["total_count"], 0);

        // Send: CONFIRMING, validity from the stock's period.
        let openid = format!("oLife-{tag}-000000000000001");
        let sent = h
            .ok(
                side,
                Method::POST,
                &format!("/users/{openid}/coupons"),
                Some(send_body(&pc, &stock_id, &format!("send_{tag}_0001"))),
            )
            .await;
        assert_eq!(sent["coupon_state"], "CONFIRMING", "{sent}");
        assert_eq!(sent["send_channel"], "API");
        assert_eq!(sent["valid_begin_time"], at(NOW));
        assert_eq!(sent["valid_end_time"], at(NOW + 30 * DAY));
        assert_eq!(sent["stock"]["stock_id"], stock_id.as_str());
        let code = sent["coupon_code"].as_str().unwrap().to_owned();
        let got = h
            .ok(
                side,
                Method::GET,
                &format!("{}?appid={APPID}", coupon_path(&openid, &code, "")),
                None,
            )
            .await;
        assert_eq!(got["coupon_state"], "CONFIRMING");
        let stock_now = h.sandbox.stock(&stock_id).unwrap();
        assert_eq!(stock_now.sent_count_info.unwrap().total_count, Some(1));

        // Used before it is confirmed: 268578367.
        let use1 = use_body(&pc, &stock_id, &format!("use_{tag}_0001"), NOW);
        let reply = h
            .op(
                side,
                Method::POST,
                &coupon_path(&openid, &code, "/use"),
                Some(use1.clone()),
            )
            .await;
        reply.assert_refused(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            Some(268_578_367),
        );
        // Returned before it is used: 268578367.
        let ret = coupon_body(&pc, &stock_id, &format!("return_{tag}_0001"));
        let reply = h
            .op(
                side,
                Method::POST,
                &coupon_path(&openid, &code, "/return"),
                Some(ret.clone()),
            )
            .await;
        reply.assert_refused(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            Some(268_578_367),
        );
        assert_eq!(
            h.sandbox
                .user_coupon(&openid, &code)
                .unwrap()
                .coupon_state
                .unwrap()
                .as_str(),
            "CONFIRMING",
            "refusals change nothing"
        );

        // Confirm: EFFECTIVE (the period has begun).
        let confirm = coupon_body(&pc, &stock_id, &format!("confirm_{tag}_0001"));
        let confirmed = h
            .ok(
                side,
                Method::POST,
                &coupon_path(&openid, &code, "/confirm"),
                Some(confirm.clone()),
            )
            .await;
        assert_eq!(confirmed["coupon_state"], "EFFECTIVE");
        assert_eq!(
            confirmed["confirm_request_no"],
            format!("confirm_{tag}_0001")
        );
        // A second confirm under another number: 268578367.
        let reply = h
            .op(
                side,
                Method::POST,
                &coupon_path(&openid, &code, "/confirm"),
                Some(coupon_body(&pc, &stock_id, &format!("confirm_{tag}_0002"))),
            )
            .await;
        reply.assert_refused(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            Some(268_578_367),
        );

        // Use: USED; the same request again is the same answer, byte for byte.
        let used = h
            .op(
                side,
                Method::POST,
                &coupon_path(&openid, &code, "/use"),
                Some(use1.clone()),
            )
            .await;
        assert_eq!(used.status, StatusCode::OK, "{}", used.json());
        assert_eq!(used.json()["coupon_state"], "USED");
        assert_eq!(
            used.json()["single_usage_detail"]["use_request_no"],
            format!("use_{tag}_0001")
        );
        let again = h
            .op(
                side,
                Method::POST,
                &coupon_path(&openid, &code, "/use"),
                Some(use1.clone()),
            )
            .await;
        assert_eq!(again.body, used.body);
        // Used again for another order: 272756745.
        let reply = h
            .op(
                side,
                Method::POST,
                &coupon_path(&openid, &code, "/use"),
                Some(use_body(&pc, &stock_id, &format!("use_{tag}_0002"), NOW)),
            )
            .await;
        reply.assert_refused(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            Some(272_756_745),
        );

        // Return: EFFECTIVE again, with the return recorded.
        let returned = h
            .ok(
                side,
                Method::POST,
                &coupon_path(&openid, &code, "/return"),
                Some(ret.clone()),
            )
            .await;
        assert_eq!(returned["coupon_state"], "EFFECTIVE");
        assert_eq!(
            returned["single_usage_detail"]["return_request_no"],
            format!("return_{tag}_0001")
        );
        let reply = h
            .op(
                side,
                Method::POST,
                &coupon_path(&openid, &code, "/return"),
                Some(coupon_body(&pc, &stock_id, &format!("return_{tag}_0002"))),
            )
            .await;
        reply.assert_refused(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            Some(268_578_367),
        );

        // Deactivate: DEACTIVATED; a deactivated coupon cannot be used.
        let deactivated = h
            .ok(
                side,
                Method::POST,
                &coupon_path(&openid, &code, "/deactivate"),
                Some(deactivate_body(
                    &pc,
                    &stock_id,
                    &format!("deact_{tag}_0001"),
                )),
            )
            .await;
        assert_eq!(deactivated["coupon_state"], "DEACTIVATED");
        assert_eq!(deactivated["deactivate_reason"], "商品下线");
        let reply = h
            .op(
                side,
                Method::POST,
                &coupon_path(&openid, &code, "/use"),
                Some(use_body(&pc, &stock_id, &format!("use_{tag}_0003"), NOW)),
            )
            .await;
        reply.assert_refused(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            Some(268_578_367),
        );
        let reply = h
            .op(
                side,
                Method::POST,
                &coupon_path(&openid, &code, "/deactivate"),
                Some(deactivate_body(
                    &pc,
                    &stock_id,
                    &format!("deact_{tag}_0002"),
                )),
            )
            .await;
        reply.assert_refused(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            Some(268_578_367),
        );

        // The list shows it, filtered by state.
        let list = h
            .ok(
                side,
                Method::GET,
                &format!("/users/{openid}/coupons?appid={APPID}&coupon_state=DEACTIVATED"),
                None,
            )
            .await;
        assert_eq!(list["total_count"], 1, "{list}");
        assert_eq!(list["user_coupon_list"][0]["coupon_code"], code.as_str());
    }
}

#[tokio::test]
async fn an_unknown_code_and_mismatched_ids_are_refused() {
    let h = Harness::start_with(|b| b).await;
    let (pc, stock) = product_coupon_with_stock(
        &h,
        Side::Brand,
        "create_mismatch",
        new_stock("WECHATPAY", 10, 1, NOW - DAY, NOW + DAY),
    )
    .await;
    let sent = h
        .ok(
            Side::Brand,
            Method::POST,
            &format!("/users/{NEW_OPENID}/coupons"),
            Some(send_body(&pc, &stock, "send_mismatch")),
        )
        .await;
    let code = sent["coupon_code"].as_str().unwrap();
    let reply = h
        .op(
            Side::Brand,
            Method::POST,
            &coupon_path(NEW_OPENID, "NO_SUCH_CODE", "/confirm"),
            Some(coupon_body(&pc, &stock, "confirm_unknown")),
        )
        .await;
    reply.assert_refused(StatusCode::NOT_FOUND, "NOT_FOUND", Some(268_578_851));
    let reply = h
        .op(
            Side::Brand,
            Method::POST,
            &coupon_path("oSomeoneElse-000000000000001", code, "/confirm"),
            Some(coupon_body(&pc, &stock, "confirm_other_user")),
        )
        .await;
    reply.assert_refused(StatusCode::NOT_FOUND, "NOT_FOUND", Some(268_578_851));
    let reply = h
        .op(
            Side::Brand,
            Method::POST,
            &coupon_path(NEW_OPENID, code, "/confirm"),
            Some(coupon_body(&pc, "1000000013002", "confirm_wrong_stock")),
        )
        .await;
    reply.assert_refused(StatusCode::BAD_REQUEST, "INVALID_REQUEST", None);
    assert_eq!(reply.field(), "/stock_id");
}

#[tokio::test]
async fn validity_moves_with_the_clock_pending_effective_expired() {
    let h = Harness::start_with(|b| b).await;
    // A period that starts in two days and lasts ten.
    let (pc, stock) = product_coupon_with_stock(
        &h,
        Side::Brand,
        "create_future",
        new_stock("WECHATPAY", 10, 5, NOW + 2 * DAY, NOW + 12 * DAY),
    )
    .await;
    let sent = h
        .ok(
            Side::Brand,
            Method::POST,
            &format!("/users/{NEW_OPENID}/coupons"),
            Some(send_body(&pc, &stock, "send_future")),
        )
        .await;
    assert_eq!(sent["valid_begin_time"], at(NOW + 2 * DAY));
    let code = sent["coupon_code"].as_str().unwrap().to_owned();
    let confirmed = h
        .ok(
            Side::Brand,
            Method::POST,
            &coupon_path(NEW_OPENID, &code, "/confirm"),
            Some(coupon_body(&pc, &stock, "confirm_future")),
        )
        .await;
    assert_eq!(confirmed["coupon_state"], "PENDING");
    let reply = h
        .op(
            Side::Brand,
            Method::POST,
            &coupon_path(NEW_OPENID, &code, "/use"),
            Some(use_body(&pc, &stock, "use_too_early", NOW)),
        )
        .await;
    reply.assert_refused(
        StatusCode::BAD_REQUEST,
        "INVALID_REQUEST",
        Some(272_755_715),
    );

    h.clock.advance(2 * DAY);
    let state = |h: &Harness| {
        h.sandbox
            .user_coupon(NEW_OPENID, &code)
            .unwrap()
            .coupon_state
            .unwrap()
            .as_str()
            .to_owned()
    };
    assert_eq!(state(&h), "EFFECTIVE");
    h.clock.advance(10 * DAY + 1);
    assert_eq!(state(&h), "EXPIRED");
    let reply = h
        .op(
            Side::Brand,
            Method::POST,
            &coupon_path(NEW_OPENID, &code, "/use"),
            Some(use_body(&pc, &stock, "use_too_late", NOW)),
        )
        .await;
    reply.assert_refused(
        StatusCode::BAD_REQUEST,
        "INVALID_REQUEST",
        Some(272_755_715),
    );
    // The stock's period has ended too: it stopped, and sends are refused.
    assert_eq!(
        h.sandbox.stock(&stock).unwrap().state.unwrap().as_str(),
        "STOPPED"
    );
    let reply = h
        .op(
            Side::Brand,
            Method::POST,
            &format!("/users/{NEW_OPENID}/coupons"),
            Some(send_body(&pc, &stock, "send_after_end")),
        )
        .await;
    reply.assert_refused(
        StatusCode::BAD_REQUEST,
        "INVALID_REQUEST",
        Some(268_577_984),
    );
}

#[tokio::test]
async fn available_days_count_from_receipt_and_unconfirmed_coupons_expire() {
    let h = Harness::start_with(|b| b).await;
    let mut stock = new_stock("WECHATPAY", 10, 5, NOW - DAY, NOW + 100 * DAY);
    stock["single_usage_rule"]["coupon_available_period"]["available_days"] = json!(7);
    stock["single_usage_rule"]["coupon_available_period"]["wait_days_after_receive"] = json!(1);
    let (pc, stock) = product_coupon_with_stock(&h, Side::Brand, "create_days", stock).await;
    let sent = h
        .ok(
            Side::Brand,
            Method::POST,
            &format!("/users/{NEW_OPENID}/coupons"),
            Some(send_body(&pc, &stock, "send_days")),
        )
        .await;
    assert_eq!(sent["valid_begin_time"], at(NOW + DAY));
    assert_eq!(sent["valid_end_time"], at(NOW + 8 * DAY - 1));
    let code = sent["coupon_code"].as_str().unwrap().to_owned();
    h.clock.advance(8 * DAY);
    assert_eq!(
        h.sandbox
            .user_coupon(NEW_OPENID, &code)
            .unwrap()
            .coupon_state
            .unwrap()
            .as_str(),
        "EXPIRED",
        "never confirmed, and its validity ended"
    );
    let reply = h
        .op(
            Side::Brand,
            Method::POST,
            &coupon_path(NEW_OPENID, &code, "/confirm"),
            Some(coupon_body(&pc, &stock, "confirm_late")),
        )
        .await;
    reply.assert_refused(
        StatusCode::BAD_REQUEST,
        "INVALID_REQUEST",
        Some(268_578_367),
    );
}

#[tokio::test]
async fn new_objects_stay_auditing_for_the_review_delay() {
    let h = Harness::start_with(|b| b.review_delay(Duration::from_secs(600))).await;
    for side in SIDES {
        let tag = format!("{side:?}").to_lowercase();
        let created = h
            .ok(
                side,
                Method::POST,
                "/product-coupons",
                Some(single_product_coupon(
                    &format!("create_review_{tag}"),
                    new_stock("WECHATPAY", 10, 1, NOW - DAY, NOW + 30 * DAY),
                )),
            )
            .await;
        assert_eq!(created["state"], "AUDITING");
        assert_eq!(created["stock"]["state"], "AUDITING");
        let pc = created["product_coupon_id"].as_str().unwrap().to_owned();
        let stock = created["stock"]["stock_id"].as_str().unwrap().to_owned();
        let reply = h
            .op(
                side,
                Method::POST,
                &format!("/users/{NEW_OPENID}/coupons"),
                Some(send_body(&pc, &stock, &format!("send_review_{tag}"))),
            )
            .await;
        reply.assert_refused(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            Some(268_577_984),
        );
        assert!(
            reply.json()["message"]
                .as_str()
                .unwrap()
                .contains("AUDITING")
        );
    }
    h.clock.advance(600);
    let listed = h
        .ok(
            Side::Brand,
            Method::GET,
            "/product-coupons/1000100001/stocks?state=SENDING",
            None,
        )
        .await;
    assert_eq!(listed["total_count"], 1, "{listed}");
    assert_eq!(
        h.sandbox
            .product_coupon("1000100001")
            .unwrap()
            .state
            .unwrap()
            .as_str(),
        "EFFECTIVE"
    );
    let reply = h
        .op(
            Side::Brand,
            Method::POST,
            &format!("/users/{NEW_OPENID}/coupons"),
            Some(send_body("1000100001", "1000100001001", "send_reviewed")),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
}

#[tokio::test]
async fn a_coupon_deleted_from_the_wallet_takes_no_more_operations() {
    let h = Harness::start_with(|b| b).await;
    let (pc, stock) = product_coupon_with_stock(
        &h,
        Side::Brand,
        "create_deleted",
        new_stock("WECHATPAY", 10, 5, NOW - DAY, NOW + DAY),
    )
    .await;
    let sent = h
        .ok(
            Side::Brand,
            Method::POST,
            &format!("/users/{NEW_OPENID}/coupons"),
            Some(send_body(&pc, &stock, "send_deleted")),
        )
        .await;
    let code = sent["coupon_code"].as_str().unwrap().to_owned();
    assert!(
        h.sandbox.delete_user_coupon(NEW_OPENID, &code).is_err(),
        "not in the wallet before confirm"
    );
    h.ok(
        Side::Brand,
        Method::POST,
        &coupon_path(NEW_OPENID, &code, "/confirm"),
        Some(coupon_body(&pc, &stock, "confirm_deleted")),
    )
    .await;
    assert_eq!(
        h.sandbox
            .delete_user_coupon(NEW_OPENID, &code)
            .unwrap()
            .coupon_state
            .unwrap()
            .as_str(),
        "DELETED"
    );
    for (action, body) in [
        ("/use", use_body(&pc, &stock, "use_deleted", NOW)),
        ("/deactivate", deactivate_body(&pc, &stock, "deact_deleted")),
    ] {
        h.op(
            Side::Brand,
            Method::POST,
            &coupon_path(NEW_OPENID, &code, action),
            Some(body),
        )
        .await
        .assert_refused(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            Some(268_578_367),
        );
    }
}
