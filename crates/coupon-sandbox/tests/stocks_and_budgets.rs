//! Stocks and stock bundles through the real HTTP stack: budgets (total, per
//! day, per user), states that refuse sends, coupon codes (UPLOAD,
//! API_ASSIGN), stores, updates and deactivation, on both sides.

mod common;

use std::collections::BTreeSet;

use common::*;
use coupon_sandbox::seed;
use http::{Method, StatusCode};
use serde_json::{Value, json};
use wxpay_sign::Clock as _;

const DAY: i64 = 86_400;

async fn create(h: &Harness, side: Side, no: &str, stock: Value) -> (String, String) {
    let created = h
        .ok(
            side,
            Method::POST,
            "/product-coupons",
            Some(single_product_coupon(no, stock)),
        )
        .await;
    (
        created["product_coupon_id"].as_str().unwrap().to_owned(),
        created["stock"]["stock_id"].as_str().unwrap().to_owned(),
    )
}

async fn send(h: &Harness, side: Side, openid: &str, pc: &str, stock: &str, no: &str) -> Reply {
    h.op(
        side,
        Method::POST,
        &format!("/users/{openid}/coupons"),
        Some(send_body(pc, stock, no)),
    )
    .await
}

fn user(n: usize) -> String {
    format!("oBudgetUser-{n:016}")
}

#[tokio::test]
async fn budgets_total_per_user_and_per_day_are_enforced_on_send() {
    let h = Harness::start_with(|b| b).await;
    for side in SIDES {
        let tag = format!("{side:?}").to_lowercase();
        let mut stock = new_stock("WECHATPAY", 2, 1, NOW - DAY, NOW + 30 * DAY);
        stock["stock_send_rule"]["max_count_per_day"] = json!(1);
        let (pc, stock_id) = create(&h, side, &format!("create_budget_{tag}"), stock).await;
        let suffix = format!("/product-coupons/{pc}/stocks/{stock_id}");

        let first = send(&h, side, &user(1), &pc, &stock_id, &format!("s_{tag}_1")).await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.json());
        // Per user (unconfirmed coupons count): 272756740.
        send(&h, side, &user(1), &pc, &stock_id, &format!("s_{tag}_2"))
            .await
            .assert_refused(
                StatusCode::BAD_REQUEST,
                "INVALID_REQUEST",
                Some(272_756_740),
            );
        // Per day: refused until midnight Asia/Shanghai.
        let reply = send(&h, side, &user(2), &pc, &stock_id, &format!("s_{tag}_3")).await;
        reply.assert_refused(StatusCode::BAD_REQUEST, "INVALID_REQUEST", None);
        assert!(
            reply.json()["message"]
                .as_str()
                .unwrap()
                .contains("max_count_per_day")
        );
        let got = h.ok(side, Method::GET, &suffix, None).await;
        assert_eq!(
            got["sent_count_info"],
            json!({ "total_count": 1, "today_count": 1 })
        );

        // The next day starts at midnight Asia/Shanghai (UTC+8).
        let now = h.clock.now_unix();
        let midnight = ((now + 8 * 3600) / DAY + 1) * DAY - 8 * 3600;
        h.clock.set(midnight - 1);
        let got = h.ok(side, Method::GET, &suffix, None).await;
        assert_eq!(
            got["sent_count_info"]["today_count"], 1,
            "still the same day"
        );
        h.clock.set(midnight);
        let got = h.ok(side, Method::GET, &suffix, None).await;
        assert_eq!(got["sent_count_info"]["today_count"], 0, "a new day");
        let second = send(&h, side, &user(2), &pc, &stock_id, &format!("s_{tag}_4")).await;
        assert_eq!(second.status, StatusCode::OK, "{}", second.json());
        // Total: max_count 2 reached.
        h.clock.advance(DAY);
        let reply = send(&h, side, &user(3), &pc, &stock_id, &format!("s_{tag}_5")).await;
        reply.assert_refused(StatusCode::BAD_REQUEST, "INVALID_REQUEST", None);
        assert!(
            reply.json()["message"]
                .as_str()
                .unwrap()
                .contains("max_count")
        );

        // update-budget: the current value must match; a target below what was sent is refused.
        let budget = |no: &str, current: i64, target: i64| {
            json!({ "out_request_no": no, "update_mode": "MAX_COUNT",
                    "current_max_count": current, "target_max_count": target })
        };
        h.op(
            side,
            Method::POST,
            &format!("{suffix}/update-budget"),
            Some(budget(&format!("b_{tag}_1"), 5, 10)),
        )
        .await
        .assert_refused(StatusCode::BAD_REQUEST, "INVALID_REQUEST", None);
        h.op(
            side,
            Method::POST,
            &format!("{suffix}/update-budget"),
            Some(budget(&format!("b_{tag}_2"), 2, 1)),
        )
        .await
        .assert_refused(StatusCode::BAD_REQUEST, "INVALID_REQUEST", None);
        let raised = h
            .ok(
                side,
                Method::POST,
                &format!("{suffix}/update-budget"),
                Some(budget(&format!("b_{tag}_3"), 2, 3)),
            )
            .await;
        assert_eq!(raised["stock_send_rule"]["max_count"], 3);
        let third = send(&h, side, &user(3), &pc, &stock_id, &format!("s_{tag}_6")).await;
        assert_eq!(third.status, StatusCode::OK, "{}", third.json());
        let per_day = h
            .ok(
                side,
                Method::POST,
                &format!("{suffix}/update-budget"),
                Some(json!({ "out_request_no": format!("b_{tag}_4"), "update_mode": "MAX_COUNT_PER_DAY",
                             "current_max_count_per_day": 1, "target_max_count_per_day": 50 })),
            )
            .await;
        assert_eq!(per_day["stock_send_rule"]["max_count_per_day"], 50);
    }
}

#[tokio::test]
async fn only_sending_stocks_send() {
    let h = Harness::start().await;
    // Seeded stocks of 1000000013 cycle DEACTIVATED, SENDING, AUDITING, PAUSED, STOPPED.
    for (stock, state) in [
        ("1000000013001", "DEACTIVATED"),
        ("1000000013003", "AUDITING"),
        ("1000000013004", "PAUSED"),
        ("1000000013005", "STOPPED"),
    ] {
        for side in SIDES {
            let reply = send(
                &h,
                side,
                NEW_OPENID,
                seed::PRODUCT_COUPON_ID,
                stock,
                &format!("state_{stock}_{side:?}"),
            )
            .await;
            reply.assert_refused(
                StatusCode::BAD_REQUEST,
                "INVALID_REQUEST",
                Some(268_577_984),
            );
            assert!(reply.json()["message"].as_str().unwrap().contains(state));
        }
    }
    // Pausing and resuming (the brand platform's part) move a stock of ours.
    let h = Harness::start_with(|b| b).await;
    let (pc, stock) = create(
        &h,
        Side::Brand,
        "create_pause",
        new_stock("WECHATPAY", 10, 5, NOW - DAY, NOW + DAY),
    )
    .await;
    h.sandbox.pause_stock(&stock).unwrap();
    send(&h, Side::Brand, NEW_OPENID, &pc, &stock, "send_paused")
        .await
        .assert_refused(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            Some(268_577_984),
        );
    assert!(h.sandbox.pause_stock(&stock).is_err(), "already paused");
    h.sandbox.resume_stock(&stock).unwrap();
    assert_eq!(
        send(&h, Side::Brand, NEW_OPENID, &pc, &stock, "send_resumed")
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn upload_stocks_send_only_uploaded_codes_and_fail_when_they_run_out() {
    let h = Harness::start_with(|b| b).await;
    for side in SIDES {
        let tag = format!("{side:?}").to_lowercase();
        let (pc, stock) = create(
            &h,
            side,
            &format!("create_upload_{tag}"),
            new_stock("UPLOAD", 100, 5, NOW - DAY, NOW + DAY),
        )
        .await;
        let suffix = format!("/product-coupons/{pc}/stocks/{stock}");
        send(&h, side, NEW_OPENID, &pc, &stock, &format!("u_{tag}_0"))
            .await
            .assert_refused(StatusCode::BAD_REQUEST, "INVALID_REQUEST", None);
        let a = format!("CODE_{tag}_A");
        let b = format!("CODE_{tag}_B");
        let uploaded = h
            .ok(
                side,
                Method::POST,
                &format!("{suffix}/upload-coupon-codes"),
                Some(json!({ "out_request_no": format!("up_{tag}_1"), "code_list": [a, a, b, "bad code!"] })),
            )
            .await;
        assert_eq!(uploaded["total_count"], 4);
        assert_eq!(uploaded["success_code_list"], json!([a, b]));
        assert_eq!(uploaded["duplicate_code_list"], json!([a]));
        assert_eq!(uploaded["failed_code_list"][0]["coupon_code"], "bad code!");
        let again = h
            .ok(
                side,
                Method::POST,
                &format!("{suffix}/upload-coupon-codes"),
                Some(json!({ "out_request_no": format!("up_{tag}_2"), "code_list": [a] })),
            )
            .await;
        assert_eq!(again["already_exist_code_list"], json!([a]));
        let got = h.ok(side, Method::GET, &suffix, None).await;
        assert_eq!(
            got["coupon_code_count_info"],
            json!({ "total_count": 2, "available_count": 2 })
        );

        let mut codes = BTreeSet::new();
        for n in 1..=2 {
            let sent = send(&h, side, NEW_OPENID, &pc, &stock, &format!("u_{tag}_{n}")).await;
            assert_eq!(sent.status, StatusCode::OK, "{}", sent.json());
            codes.insert(sent.json()["coupon_code"].as_str().unwrap().to_owned());
        }
        assert_eq!(codes, BTreeSet::from([a.clone(), b.clone()]));
        let reply = send(&h, side, NEW_OPENID, &pc, &stock, &format!("u_{tag}_3")).await;
        reply.assert_refused(StatusCode::BAD_REQUEST, "INVALID_REQUEST", None);
        assert!(reply.json()["message"].as_str().unwrap().contains("upload"));
        let got = h.ok(side, Method::GET, &suffix, None).await;
        assert_eq!(got["coupon_code_count_info"]["available_count"], 0);
    }
    // Codes go to UPLOAD stocks only.
    let (_, stock) = create(
        &h,
        Side::Brand,
        "create_not_upload",
        new_stock("WECHATPAY", 100, 5, NOW - DAY, NOW + DAY),
    )
    .await;
    let pc = h.sandbox.stock(&stock).unwrap().product_coupon_id;
    h.op(
        Side::Brand,
        Method::POST,
        &format!("/product-coupons/{pc}/stocks/{stock}/upload-coupon-codes"),
        Some(json!({ "out_request_no": "up_wrong_mode", "code_list": ["X1"] })),
    )
    .await
    .assert_refused(StatusCode::BAD_REQUEST, "INVALID_REQUEST", None);
}

#[tokio::test]
async fn api_assign_stocks_take_the_code_from_the_send() {
    let h = Harness::start_with(|b| b).await;
    let (pc, stock) = create(
        &h,
        Side::Brand,
        "create_assign",
        new_stock("API_ASSIGN", 100, 5, NOW - DAY, NOW + DAY),
    )
    .await;
    let reply = send(&h, Side::Brand, NEW_OPENID, &pc, &stock, "assign_1").await;
    reply.assert_refused(StatusCode::BAD_REQUEST, "PARAM_ERROR", None);
    assert_eq!(reply.field(), "/coupon_code");
    let mut body = send_body(&pc, &stock, "assign_2");
    body["coupon_code"] = json!("MY_CODE_0001");
    let sent = h
        .ok(
            Side::Brand,
            Method::POST,
            &format!("/users/{NEW_OPENID}/coupons"),
            Some(body.clone()),
        )
        .await;
    assert_eq!(sent["coupon_code"], "MY_CODE_0001");
    body["send_request_no"] = json!("assign_3");
    h.op(
        Side::Brand,
        Method::POST,
        "/users/oAnotherUser-00000000000001/coupons",
        Some(body),
    )
    .await
    .assert_refused(StatusCode::BAD_REQUEST, "INVALID_REQUEST", None);
}

#[tokio::test]
async fn stores_are_associated_listed_and_disassociated() {
    let h = Harness::start_with(|b| b).await;
    for side in SIDES {
        let tag = format!("{side:?}").to_lowercase();
        let (pc, stock) = create(
            &h,
            side,
            &format!("create_stores_{tag}"),
            new_stock("WECHATPAY", 100, 5, NOW - DAY, NOW + DAY),
        )
        .await;
        let suffix = format!("/product-coupons/{pc}/stocks/{stock}");
        let stores: Vec<Value> = (1..=25)
            .map(|n| json!({ "store_id": format!("store_{n:03}") }))
            .collect();
        let done = h
            .ok(
                side,
                Method::POST,
                &format!("{suffix}/associate-stores"),
                Some(json!({ "store_list": stores })),
            )
            .await;
        assert_eq!(done["success_store_list"].as_array().unwrap().len(), 25);
        let first = h
            .ok(
                side,
                Method::GET,
                &format!("{suffix}/associated-stores?page_size=10"),
                None,
            )
            .await;
        assert_eq!(first["total_count"], 25);
        assert_eq!(first["store_list"].as_array().unwrap().len(), 10);
        let token = first["next_page_token"].as_str().unwrap();
        let second = h
            .ok(
                side,
                Method::GET,
                &format!("{suffix}/associated-stores?page_size=10&page_token={token}"),
                None,
            )
            .await;
        assert!(second.get("total_count").is_none());
        assert_eq!(second["store_list"][0]["store_id"], "store_011");
        let gone = h
            .ok(
                side,
                Method::POST,
                &format!("{suffix}/disassociate-stores"),
                Some(json!({ "store_list": [{ "store_id": "store_001" }, { "store_id": "never_there" }] })),
            )
            .await;
        assert_eq!(
            gone["success_store_list"],
            json!([{ "store_id": "store_001" }])
        );
        assert_eq!(gone["failed_store_list"][0]["store_id"], "never_there");
        let all = h
            .ok(
                side,
                Method::GET,
                &format!("{suffix}/associated-stores?page_size=50"),
                None,
            )
            .await;
        assert_eq!(all["total_count"], 24);
    }
}

#[tokio::test]
async fn stocks_update_and_deactivate_and_the_product_coupon_takes_its_stocks_along() {
    let h = Harness::start_with(|b| b).await;
    for side in SIDES {
        let tag = format!("{side:?}").to_lowercase();
        let (pc, stock) = create(
            &h,
            side,
            &format!("create_upd_{tag}"),
            new_stock("WECHATPAY", 100, 5, NOW - DAY, NOW + DAY),
        )
        .await;
        let suffix = format!("/product-coupons/{pc}/stocks/{stock}");
        let updated = h
            .ok(
                side,
                Method::PATCH,
                &suffix,
                Some(json!({ "out_request_no": format!("upd_{tag}_1"), "remark": "新备注", "store_scope": "ALL" })),
            )
            .await;
        assert_eq!(updated["remark"], "新备注");
        assert_eq!(updated["store_scope"], "ALL");
        assert_eq!(updated.get("brand_id").is_some(), side == Side::Partner);
        // An undocumented enum value is a PARAM_ERROR at its pointer.
        let reply = h
            .op(
                side,
                Method::PATCH,
                &suffix,
                Some(json!({ "out_request_no": format!("upd_{tag}_2"), "store_scope": "SOME" })),
            )
            .await;
        reply.assert_refused(StatusCode::BAD_REQUEST, "PARAM_ERROR", None);
        assert_eq!(reply.field(), "/store_scope");

        // A coupon sent before the stock is deactivated stays usable.
        let sent = send(
            &h,
            side,
            NEW_OPENID,
            &pc,
            &stock,
            &format!("upd_send_{tag}"),
        )
        .await
        .json();
        let code = sent["coupon_code"].as_str().unwrap().to_owned();
        let second = h
            .ok(
                side,
                Method::POST,
                &format!("/product-coupons/{pc}/stocks"),
                Some(json!({ "out_request_no": format!("add_{tag}_2"), "stock": new_stock("WECHATPAY", 100, 5, NOW - DAY, NOW + DAY) })),
            )
            .await;
        let second = second["stock_id"].as_str().unwrap().to_owned();
        let deactivated = h
            .ok(
                side,
                Method::POST,
                &format!("{suffix}/deactivate"),
                Some(json!({ "out_request_no": format!("deact_{tag}_1"), "deactivate_reason": "活动结束" })),
            )
            .await;
        assert_eq!(deactivated["state"], "DEACTIVATED");
        assert_eq!(
            deactivated["deactivate_request_no"],
            format!("deact_{tag}_1")
        );
        h.op(
            side,
            Method::PATCH,
            &suffix,
            Some(json!({ "out_request_no": format!("upd_{tag}_3"), "remark": "x" })),
        )
        .await
        .assert_refused(StatusCode::BAD_REQUEST, "INVALID_REQUEST", None);
        send(
            &h,
            side,
            "oAfterDeactivation-000000001",
            &pc,
            &stock,
            &format!("upd_send2_{tag}"),
        )
        .await
        .assert_refused(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            Some(268_577_984),
        );
        h.ok(
            side,
            Method::POST,
            &format!("/users/{NEW_OPENID}/coupons/{code}/confirm"),
            Some(coupon_body(&pc, &stock, &format!("upd_confirm_{tag}"))),
        )
        .await;

        // Deactivating the product coupon deactivates its other stocks.
        let pc_off = h
            .ok(
                side,
                Method::POST,
                &format!("/product-coupons/{pc}/deactivate"),
                Some(json!({ "out_request_no": format!("pc_off_{tag}"), "deactivate_reason": "下线" })),
            )
            .await;
        assert_eq!(pc_off["state"], "DEACTIVATED");
        assert_eq!(
            h.sandbox.stock(&second).unwrap().state.unwrap().as_str(),
            "DEACTIVATED"
        );
        h.op(
            side,
            Method::POST,
            &format!("/product-coupons/{pc}/stocks"),
            Some(json!({ "out_request_no": format!("add_{tag}_3"), "stock": new_stock("WECHATPAY", 100, 5, NOW - DAY, NOW + DAY) })),
        )
        .await
        .assert_refused(StatusCode::BAD_REQUEST, "INVALID_REQUEST", None);
        h.op(
            side,
            Method::POST,
            &format!("/product-coupons/{pc}/deactivate"),
            Some(
                json!({ "out_request_no": format!("pc_off2_{tag}"), "deactivate_reason": "下线" }),
            ),
        )
        .await
        .assert_refused(StatusCode::BAD_REQUEST, "INVALID_REQUEST", None);
        // The coupon sent earlier is still usable.
        let used = h
            .ok(
                side,
                Method::POST,
                &format!("/users/{NEW_OPENID}/coupons/{code}/use"),
                Some(use_body(&pc, &stock, &format!("upd_use_{tag}"), NOW)),
            )
            .await;
        assert_eq!(used["coupon_state"], "USED");
    }
}

#[tokio::test]
async fn stock_bundles_are_created_updated_budgeted_and_sent_whole() {
    let h = Harness::start_with(|b| b).await;
    for side in SIDES {
        let tag = format!("{side:?}").to_lowercase();
        let created = h
            .ok(
                side,
                Method::POST,
                "/product-coupons",
                Some(sequential_product_coupon(
                    &format!("create_seq_{tag}"),
                    NOW - DAY,
                    NOW + 60 * DAY,
                )),
            )
            .await;
        let pc = created["product_coupon_id"].as_str().unwrap().to_owned();
        let bundle = &created["stock_bundle"];
        let bundle_id = bundle["stock_bundle_id"].as_str().unwrap().to_owned();
        let steps = bundle["stock_list"].as_array().unwrap();
        assert_eq!(steps.len(), 3);
        for (i, step) in steps.iter().enumerate() {
            assert_eq!(step["stock_bundle_info"]["stock_bundle_index"], i);
            assert_eq!(
                step["progressive_bundle_usage_rule"]["discount_coupon"]["percent_off"],
                10 * (i + 1)
            );
        }
        let first_step = steps[0]["stock_id"].as_str().unwrap().to_owned();

        // Another bundle for the same product coupon.
        let more = h
            .ok(
                side,
                Method::POST,
                &format!("/product-coupons/{pc}/stock-bundles"),
                Some(json!({
                    "out_request_no": format!("bundle_{tag}_2"),
                    "stock_bundle": sequential_product_coupon("x_unused", NOW - DAY, NOW + DAY)["stock_bundle"].clone()
                })),
            )
            .await;
        assert_eq!(more["stock_list"].as_array().unwrap().len(), 3);

        let suffix = format!("/product-coupons/{pc}/stock-bundles/{bundle_id}");
        let updated = h
            .ok(
                side,
                Method::PATCH,
                &suffix,
                Some(json!({ "out_request_no": format!("bupd_{tag}"), "remark": "批次组备注" })),
            )
            .await;
        assert!(
            updated["stock_list"]
                .as_array()
                .unwrap()
                .iter()
                .all(|s| s["remark"] == "批次组备注")
        );
        let budget = h
            .ok(
                side,
                Method::POST,
                &format!("{suffix}/update-budget"),
                Some(
                    json!({ "out_request_no": format!("bbud_{tag}"), "update_mode": "MAX_COUNT",
                             "current_max_count": 100, "target_max_count": 200 }),
                ),
            )
            .await;
        assert!(
            budget["stock_list"]
                .as_array()
                .unwrap()
                .iter()
                .all(|s| s["stock_send_rule"]["max_count"] == 200)
        );
        let stores = h
            .ok(
                side,
                Method::POST,
                &format!("{suffix}/associate-stores"),
                Some(json!({ "store_list": [{ "store_id": "bundle_store" }] })),
            )
            .await;
        assert_eq!(stores["success_store_list"].as_array().unwrap().len(), 1);
        let stores = h
            .ok(
                side,
                Method::POST,
                &format!("{suffix}/disassociate-stores"),
                Some(json!({ "store_list": [{ "store_id": "bundle_store" }] })),
            )
            .await;
        assert_eq!(stores["success_store_list"].as_array().unwrap().len(), 1);

        // A send naming a step sends the whole bundle.
        let openid = format!("oBundleUser-{tag}-00000000001");
        let sent = h
            .ok(
                side,
                Method::POST,
                &format!("/users/{openid}/coupons"),
                Some(send_body(&pc, &first_step, &format!("bsend_{tag}"))),
            )
            .await;
        let info = &sent["user_product_coupon_bundle_info"];
        assert_eq!(info["total_count"], 3);
        let user_bundle = info["user_coupon_bundle_id"].as_str().unwrap().to_owned();
        let list = h
            .ok(
                side,
                Method::GET,
                &format!(
                    "/users/{openid}/coupons?appid={APPID}&user_coupon_bundle_id={user_bundle}"
                ),
                None,
            )
            .await;
        assert_eq!(list["total_count"], 3);
        let code = sent["coupon_code"].as_str().unwrap();
        h.ok(
            side,
            Method::POST,
            &format!("/users/{openid}/coupons/{code}/confirm"),
            Some(coupon_body(&pc, &first_step, &format!("bconf_{tag}"))),
        )
        .await;
        let used = h
            .ok(
                side,
                Method::POST,
                &format!("/users/{openid}/coupons/{code}/use"),
                Some(use_body(&pc, &first_step, &format!("buse_{tag}"), NOW)),
            )
            .await;
        assert_eq!(used["user_product_coupon_bundle_info"]["used_count"], 1);
        assert!(used["progressive_bundle_usage_detail"]["use_request_no"].is_string());
    }
}

#[tokio::test]
async fn the_partner_sends_and_deactivates_whole_coupon_bundles() {
    let h = Harness::start_with(|b| b).await;
    let created = h
        .ok(
            Side::Partner,
            Method::POST,
            "/product-coupons",
            Some(sequential_product_coupon(
                "create_cb",
                NOW - DAY,
                NOW + 60 * DAY,
            )),
        )
        .await;
    let pc = created["product_coupon_id"].as_str().unwrap().to_owned();
    let bundle = created["stock_bundle"]["stock_bundle_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let sent = h
        .ok(
            Side::Partner,
            Method::POST,
            &format!("/users/{NEW_OPENID}/coupon-bundles"),
            Some(json!({ "product_coupon_id": pc, "stock_bundle_id": bundle, "appid": APPID, "send_request_no": "cb_send_1" })),
        )
        .await;
    let list = sent["user_product_coupon_list"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    let id = sent["user_coupon_bundle_id"].as_str().unwrap().to_owned();
    let off = h
        .ok(
            Side::Partner,
            Method::POST,
            &format!("/users/{NEW_OPENID}/coupon-bundles/{id}/deactivate"),
            Some(
                json!({ "product_coupon_id": pc, "stock_bundle_id": bundle, "appid": APPID,
                         "out_request_no": "cb_off_1", "deactivate_reason": "活动取消" }),
            ),
        )
        .await;
    assert!(
        off["user_product_coupon_list"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["coupon_state"] == "DEACTIVATED")
    );
    h.op(
        Side::Partner,
        Method::POST,
        &format!("/users/{NEW_OPENID}/coupon-bundles/{id}/deactivate"),
        Some(
            json!({ "product_coupon_id": pc, "stock_bundle_id": bundle, "appid": APPID,
                     "out_request_no": "cb_off_2", "deactivate_reason": "again" }),
        ),
    )
    .await
    .assert_refused(
        StatusCode::BAD_REQUEST,
        "INVALID_REQUEST",
        Some(268_578_367),
    );
}
