//! The brand service end to end, against the in-process sandbox: send →
//! the sandbox's SEND notification → confirm → use; duplicated and
//! redelivered notifications handled once; a crash between storing a send and
//! answering, and a restart, losing nothing and doing nothing twice; two
//! instances sharing one store. Each scenario runs on SQLite, and on
//! PostgreSQL when `BRAND_SERVICE_TEST_DATABASE_URL` is set.
//!
//! "Nothing done twice" is counted where it matters, at the sandbox: every
//! request the services make reaches it, and `requests_seen` must grow by
//! exactly the sends, confirms and uses expected.

mod common;

use std::time::Duration;

use brand_service::store::SendState;
use brand_service::{Recovery, ServiceConfig};
use common::{Env, Instance, call, http, postgres_url, sqlite_url};
use coupon_client::coupon_model::user_coupon::UserCouponState;
use coupon_client::wxpay_sign::{Clock as _, SystemClock};
use coupon_sandbox::{DeliveryOutcome, Fault, WebhookOptions};
use serde_json::json;

const SEND_EVENT: &str = "PRODUCT_COUPON.SEND";

fn config() -> ServiceConfig {
    ServiceConfig::new().unwrap()
}

fn coupon_state(env: &Env, openid: &str, code: &str) -> Option<UserCouponState> {
    env.sandbox
        .user_coupon(openid, code)
        .and_then(|c| c.coupon_state)
}

/// send → notification → confirm → use, with duplicates.
async fn lifecycle(db: String) {
    let env = Env::start(db).await;
    let a = Instance::start(&env, "a", config()).await;
    env.front.forward_to(&a);
    let start = env.sandbox.requests_seen();

    let (status, health) = call("GET", &format!("{}/health", a.url), None, None).await;
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));

    // Send: stored, sent, answered with the coupon.
    let openid = "oBrandSvcLife-00000000000001";
    let body = env.send_body(openid);
    let (status, sent) = call(
        "POST",
        &format!("{}/coupons", a.url),
        Some("life-1"),
        Some(&body),
    )
    .await;
    assert_eq!(status, 201, "{sent}");
    assert_eq!(sent["state"], "sent");
    assert_eq!(sent["coupon_state"], "CONFIRMING");
    let code = sent["coupon_code"].as_str().unwrap().to_owned();
    // The same Idempotency-Key again: the same send, nothing new sent. (The
    // SEND notification's confirm runs concurrently: let it finish first, so
    // the count below moves only if the repeated send reaches the sandbox.)
    env.sandbox.settled_deliveries().await;
    let seen = env.sandbox.requests_seen();
    let (status, again) = call(
        "POST",
        &format!("{}/coupons", a.url),
        Some("life-1"),
        Some(&body),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(again["send_request_no"], sent["send_request_no"]);
    assert_eq!(again["coupon_code"], sent["coupon_code"]);
    assert_eq!(env.sandbox.requests_seen(), seen);
    // …and the same key for another send is refused.
    let (status, _) = call(
        "POST",
        &format!("{}/coupons", a.url),
        Some("life-1"),
        Some(&env.send_body("oBrandSvcLife-00000000000099")),
    )
    .await;
    assert_eq!(status, 409);

    // The SEND notification arrives and the service confirms the coupon.
    let log = env.sandbox.settled_deliveries().await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].outcome, DeliveryOutcome::Delivered);
    assert_eq!(
        coupon_state(&env, openid, &code),
        Some(UserCouponState::Effective)
    );
    let (status, view) = call("GET", &format!("{}/coupons/{code}", a.url), None, None).await;
    assert_eq!(status, 200);
    assert_eq!(view["events"][0]["event_type"], SEND_EVENT);
    assert_eq!(view["events"][0]["outcome"], "confirmed");
    assert_eq!(
        view["events"][0]["confirm_request_no"],
        format!("cf_{code}")
    );
    assert_eq!(
        env.sandbox.requests_seen(),
        start + 2,
        "one send, one confirm"
    );

    // The same delivery again (same signature): the replay guard refuses it.
    let first = env.front.arrivals()[0].clone();
    let status =
        coupon_sandbox::post_webhook(&a.notify_url(), first.headers.clone(), first.body.to_vec())
            .await
            .unwrap();
    assert_eq!(status, 401);
    // The same notification signed anew (a redelivery): accepted, nothing done.
    let resigned = coupon_sandbox::sign_notification(
        &env.credentials,
        SystemClock.now_unix(),
        &first.body,
        WebhookOptions::new(),
    )
    .unwrap();
    let status = coupon_sandbox::post_webhook(&a.notify_url(), resigned, first.body.to_vec())
        .await
        .unwrap();
    assert_eq!(status, 204);
    assert_eq!(env.sandbox.requests_seen(), start + 2, "no second confirm");

    // A notification handled whose answer is lost: the sandbox redelivers it,
    // the service answers it without confirming again.
    env.front.lose_answers(1);
    let openid2 = "oBrandSvcLife-00000000000002";
    let (status, sent2) = call(
        "POST",
        &format!("{}/coupons", a.url),
        Some("life-2"),
        Some(&env.send_body(openid2)),
    )
    .await;
    assert_eq!(status, 201);
    let code2 = sent2["coupon_code"].as_str().unwrap().to_owned();
    let log = env.sandbox.settled_deliveries().await;
    let delivery = log
        .iter()
        .find(|d| d.coupon_code.as_deref() == Some(code2.as_str()))
        .unwrap();
    assert_eq!(delivery.outcome, DeliveryOutcome::Delivered);
    let statuses: Vec<_> = delivery.attempts.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [Some(500), Some(204)]);
    assert_eq!(
        coupon_state(&env, openid2, &code2),
        Some(UserCouponState::Effective)
    );
    assert_eq!(
        env.sandbox.requests_seen(),
        start + 4,
        "one send, one confirm"
    );
    let probe = env.probe().await;
    let event = probe.event(SEND_EVENT, &code2).await.unwrap().unwrap();
    assert_eq!((event.state.as_str(), event.attempts), ("done", 1));

    // Use: once for the order; the same order again is answered from the
    // database; another order is refused by WeChat Pay (used already).
    let use_url = format!("{}/coupons/{code}/use", a.url);
    let order =
        json!({ "out_trade_no": "life_order_0001", "transaction_id": "4200000000000000001" });
    let (status, used) = call("POST", &use_url, None, Some(&order)).await;
    assert_eq!(status, 200, "{used}");
    assert_eq!(used["state"], "used");
    assert_eq!(used["coupon_state"], "USED");
    let (status, again) = call("POST", &use_url, None, Some(&order)).await;
    assert_eq!(status, 200);
    assert_eq!(again["use_request_no"], used["use_request_no"]);
    assert_eq!(env.sandbox.requests_seen(), start + 5);
    let (status, refused) = call(
        "POST",
        &use_url,
        None,
        Some(&json!({ "out_trade_no": "life_order_0002" })),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["error"]["code"], "INVALID_REQUEST");
    assert_eq!(refused["use"]["state"], "pending");
    assert_eq!(
        coupon_state(&env, openid, &code),
        Some(UserCouponState::Used)
    );
    assert_eq!(env.sandbox.requests_seen(), start + 6);

    // An unknown coupon is not used.
    let (status, _) = call(
        "POST",
        &format!("{}/coupons/999999/use", a.url),
        None,
        Some(&order),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(env.sandbox.requests_seen(), start + 6);
}

/// A crash between storing a send and answering it, then a restart on the
/// same database: the new instance sends it again with the same number (the
/// sandbox replays it: one coupon), and the notification the sandbox kept
/// redelivering while no instance was up is confirmed by the new one, once.
async fn crash_and_restart(db: String) {
    let env = Env::start(db).await;
    let a = Instance::start(&env, "a", config()).await;
    env.front.hold();
    let start = env.sandbox.requests_seen();

    // The send takes effect at the sandbox, whose answer is held back; its
    // notification reaching the front tells the test so.
    env.sandbox.inject(Fault::Slow(Duration::from_secs(600)), 1);
    let openid = "oBrandSvcCrash-0000000000001";
    let body = env.send_body(openid);
    let url = format!("{}/coupons", a.url);
    let send = {
        let body = body.clone();
        tokio::spawn(async move { http("POST", &url, Some("crash-1"), Some(&body)).await })
    };
    let arrival = env.front.next_arrival().await;
    assert_eq!(arrival.answered, 503);
    let probe = env.probe().await;
    let rows = probe.sends_to(openid).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].state, rows[0].attempts), (SendState::Pending, 1));
    let number = rows[0].send_request_no.clone();

    // Crash: the request never gets its answer; the row stays pending.
    a.crash();
    assert!(send.await.unwrap().is_err(), "the caller saw the crash");
    assert_eq!(env.sandbox.user_coupons(openid).len(), 1);

    // Restart on the same database: the recovery pass sends it again.
    let b = Instance::start(&env, "b", config()).await;
    assert_eq!(
        b.recover().await,
        Recovery {
            sent: 1,
            ..Recovery::default()
        }
    );
    let rows = probe.sends_to(openid).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].send_request_no, number);
    assert_eq!((rows[0].state, rows[0].attempts), (SendState::Sent, 2));
    let code = rows[0].coupon_code.clone().unwrap();
    let coupons = env.sandbox.user_coupons(openid);
    assert_eq!(coupons.len(), 1, "the same send_request_no: one coupon");
    assert_eq!(coupons[0].coupon_code.as_str(), code);
    assert_eq!(
        coupons[0].send_request_no.as_ref().map(|n| n.as_str()),
        Some(number.as_str())
    );

    // The caller retries with its Idempotency-Key: the coupon, nothing sent.
    let seen = env.sandbox.requests_seen();
    let (status, sent) = call(
        "POST",
        &format!("{}/coupons", b.url),
        Some("crash-1"),
        Some(&body),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(sent["coupon_code"], code.as_str());
    assert_eq!(sent["send_request_no"], number.as_str());
    assert_eq!(env.sandbox.requests_seen(), seen);

    // The notification, redelivered all along, now reaches the new instance.
    assert_eq!(
        coupon_state(&env, openid, &code),
        Some(UserCouponState::Confirming)
    );
    env.front.forward_to(&b);
    let log = env.sandbox.settled_deliveries().await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].outcome, DeliveryOutcome::Delivered);
    assert!(log[0].attempts.len() >= 2);
    assert_eq!(
        coupon_state(&env, openid, &code),
        Some(UserCouponState::Effective)
    );
    let event = probe.event(SEND_EVENT, &code).await.unwrap().unwrap();
    assert_eq!(event.outcome.as_deref(), Some("confirmed"));
    assert_eq!(event.attempts, 1);

    // Exactly: the send, its replay, one confirm.
    assert_eq!(env.sandbox.requests_seen(), start + 3);

    // And the coupon is used through the new instance.
    let (status, used) = call(
        "POST",
        &format!("{}/coupons/{code}/use", b.url),
        None,
        Some(&json!({ "out_trade_no": "crash_order_0001" })),
    )
    .await;
    assert_eq!(status, 200, "{used}");
    assert_eq!(
        coupon_state(&env, openid, &code),
        Some(UserCouponState::Used)
    );
    assert_eq!(env.sandbox.requests_seen(), start + 4);
}

/// Two instances on one store receive every notification at the same time
/// (each copy signed anew): each is confirmed once.
async fn two_instances(db: String) {
    let env = Env::start(db).await;
    let a = Instance::start(&env, "a", config()).await;
    let b = Instance::start(&env, "b", config()).await;
    env.front.fan_out(&[&a, &b]);
    let start = env.sandbox.requests_seen();
    const N: usize = 6;
    let mut codes = Vec::new();
    for i in 0..N {
        let instance = if i % 2 == 0 { &a } else { &b };
        let openid = format!("oBrandSvcPair-{i:014}");
        let (status, sent) = call(
            "POST",
            &format!("{}/coupons", instance.url),
            Some(&format!("pair-{i}")),
            Some(&env.send_body(&openid)),
        )
        .await;
        assert_eq!(status, 201, "{sent}");
        codes.push((openid, sent["coupon_code"].as_str().unwrap().to_owned()));
    }
    let log = env.sandbox.settled_deliveries().await;
    assert_eq!(log.len(), N);
    assert!(log.iter().all(|d| d.outcome == DeliveryOutcome::Delivered));
    let probe = env.probe().await;
    for (openid, code) in &codes {
        assert_eq!(
            coupon_state(&env, openid, code),
            Some(UserCouponState::Effective)
        );
        let event = probe.event(SEND_EVENT, code).await.unwrap().unwrap();
        assert_eq!(event.outcome.as_deref(), Some("confirmed"));
    }
    // Both instances answered every delivery.
    for arrival in env.front.arrivals() {
        assert_eq!(arrival.answers.len(), 2);
    }
    assert_eq!(
        env.sandbox.requests_seen(),
        start + 2 * N as u64,
        "N sends, N confirms"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_on_sqlite() {
    lifecycle(sqlite_url("lifecycle")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_on_postgres() {
    if let Some(db) = postgres_url("lifecycle").await {
        lifecycle(db).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_and_restart_on_sqlite() {
    crash_and_restart(sqlite_url("crash")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_and_restart_on_postgres() {
    if let Some(db) = postgres_url("crash").await {
        crash_and_restart(db).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_sqlite() {
    two_instances(sqlite_url("pair")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_postgres() {
    if let Some(db) = postgres_url("pair").await {
        two_instances(db).await;
    }
}
