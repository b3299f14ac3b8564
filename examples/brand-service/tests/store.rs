//! The store's atomic decisions, on SQLite and (with
//! `BRAND_SERVICE_TEST_DATABASE_URL`) PostgreSQL: delivery keys are unique
//! and forgotten after the replay window; an event claim holds for its lease
//! against other workers, is taken over once the lease has expired or the
//! claim was released, and a finished event stays finished. Time is the
//! service's clock, passed in: no test waits for it.

mod common;

use std::time::Duration;

use brand_service::Store;
use brand_service::store::{Claim, NewEvent, REPLAY_WINDOW_SECS, SendSpec, SendState};
use common::{postgres_url, sqlite_url};

const LEASE: Duration = Duration::from_secs(120);

fn event(code: &str) -> NewEvent {
    NewEvent {
        event_type: "PRODUCT_COUPON.SEND".to_owned(),
        coupon_code: code.to_owned(),
        notification_id: "N-1".to_owned(),
        openid: "oStoreTest-0000000000000001".to_owned(),
        appid: Some("wx233544546545989".to_owned()),
        product_coupon_id: "1000000013".to_owned(),
        stock_id: "1000000013001".to_owned(),
        action_request_no: Some(format!("cf_{code}")),
    }
}

async fn decisions(db: String) {
    let store = Store::connect(&db).await.unwrap();
    // Connecting again applies nothing twice.
    let other = Store::connect(&db).await.unwrap();
    other.ping().await.unwrap();

    // Replay guard: a key once; forgotten after the window.
    assert!(
        store
            .record_delivery("k:1000:n1", "N-1", 1_000)
            .await
            .unwrap()
    );
    assert!(
        !other
            .record_delivery("k:1000:n1", "N-1", 1_000)
            .await
            .unwrap()
    );
    assert!(
        store
            .record_delivery("k:1001:n2", "N-1", 1_001)
            .await
            .unwrap()
    );
    let later = 1_000 + REPLAY_WINDOW_SECS + 1;
    assert!(
        store
            .record_delivery("k:later:n3", "N-2", later)
            .await
            .unwrap()
    );
    assert!(
        store
            .record_delivery("k:1000:n1", "N-1", later)
            .await
            .unwrap()
    );

    // Claims: one worker at a time, for the lease.
    let e = event("5550001");
    let Claim::Claimed(row) = store.claim_event(&e, "dead", 1_000, LEASE).await.unwrap() else {
        panic!("the first receipt claims");
    };
    assert_eq!((row.state.as_str(), row.attempts), ("processing", 1));
    assert!(matches!(
        other.claim_event(&e, "b", 1_119, LEASE).await.unwrap(),
        Claim::Busy(row) if row.claimed_by.as_deref() == Some("dead")
    ));
    // The lease is over: another worker takes it over.
    let Claim::Claimed(row) = other.claim_event(&e, "b", 1_120, LEASE).await.unwrap() else {
        panic!("an expired claim is taken over");
    };
    assert_eq!((row.claimed_by.as_deref(), row.attempts), (Some("b"), 2));
    // The first worker comes back too late: it no longer holds the claim.
    assert!(
        !store
            .finish_event(
                ("PRODUCT_COUPON.SEND", "5550001"),
                "dead",
                1_121,
                "confirmed",
                None,
                None
            )
            .await
            .unwrap()
    );
    assert!(
        other
            .finish_event(
                ("PRODUCT_COUPON.SEND", "5550001"),
                "b",
                1_121,
                "confirmed",
                Some("EFFECTIVE"),
                None
            )
            .await
            .unwrap()
    );
    assert!(matches!(
        store.claim_event(&e, "c", 9_999, LEASE).await.unwrap(),
        Claim::Done(row) if row.outcome.as_deref() == Some("confirmed")
    ));

    // A released claim is taken at once by the next delivery.
    let e2 = event("5550002");
    assert!(matches!(
        store.claim_event(&e2, "a", 2_000, LEASE).await.unwrap(),
        Claim::Claimed(_)
    ));
    store
        .release_event("PRODUCT_COUPON.SEND", "5550002", "a", "500 SYSTEM_ERROR")
        .await
        .unwrap();
    let Claim::Claimed(row) = other.claim_event(&e2, "b", 2_001, LEASE).await.unwrap() else {
        panic!("a released claim is taken at once");
    };
    assert_eq!(row.last_error.as_deref(), Some("500 SYSTEM_ERROR"));

    // Events that need no action are recorded once.
    let mut used = event("5550001");
    used.event_type = "PRODUCT_COUPON.USE".to_owned();
    assert!(store.record_event(&used, 3_000).await.unwrap());
    assert!(!other.record_event(&used, 3_001).await.unwrap());
    assert_eq!(store.events_of("5550001").await.unwrap().len(), 2);

    // Sends: an Idempotency-Key maps to one row, whatever number the second
    // request drew.
    let spec = SendSpec {
        openid: "oStoreTest-0000000000000001".to_owned(),
        appid: "wx233544546545989".to_owned(),
        product_coupon_id: "1000000013".to_owned(),
        stock_id: "1000000013001".to_owned(),
    };
    let (first, created) = store
        .insert_send("snd_first_000001", Some("key-1"), &spec, 10)
        .await
        .unwrap();
    assert!(created);
    let (second, created) = other
        .insert_send("snd_second_00001", Some("key-1"), &spec, 11)
        .await
        .unwrap();
    assert!(!created);
    assert_eq!(second.send_request_no, first.send_request_no);
    assert_eq!(store.pending_sends(10, 10).await.unwrap().len(), 1);
    assert!(store.pending_sends(9, 10).await.unwrap().is_empty());
    store
        .settle_send(
            "snd_first_000001",
            SendState::Sent,
            Some("5550009"),
            Some("CONFIRMING"),
            None,
            12,
        )
        .await
        .unwrap();
    // A late settlement of the same send changes nothing.
    store
        .settle_send(
            "snd_first_000001",
            SendState::Failed,
            None,
            None,
            Some("late"),
            13,
        )
        .await
        .unwrap();
    let row = store.send("snd_first_000001").await.unwrap().unwrap();
    assert_eq!(
        (row.state, row.coupon_code.as_deref()),
        (SendState::Sent, Some("5550009"))
    );
    assert!(store.pending_sends(100, 10).await.unwrap().is_empty());
    assert_eq!(
        store.coupon("5550009").await.unwrap().unwrap().openid,
        spec.openid
    );
}

#[tokio::test]
async fn decisions_on_sqlite() {
    decisions(sqlite_url("store")).await;
}

#[tokio::test]
async fn decisions_on_postgres() {
    if let Some(db) = postgres_url("store").await {
        decisions(db).await;
    }
}
