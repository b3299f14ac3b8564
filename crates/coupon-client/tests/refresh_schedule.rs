//! The scheduled certificate refresh, on tokio's paused clock: every 12 h
//! after a successful download, retries with backoff after a failure (the
//! old keys still verify meanwhile), no task for a public-key-only client,
//! and the task ends with the last client. The HTTP stack is an in-memory
//! connector (paused time and real sockets do not mix); the wiremock tests
//! cover the wire.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use coupon_client::PartnerClient;
use coupon_client::coupon_http::{ConnectorFuture, HttpConnector, RetryPolicy, Transport};
use coupon_client::coupon_model::operations::GetProductCouponRequest;
use coupon_client::wxpay_sign::{PlatformCertificate, PrivateKey, ResponseSigner};
use tokio::sync::watch;
use tokio::time::Instant;

mod common;
use common::{apiv3_key, cert_keys, certificates_body, current_certificate, keys};

const PC_BODY: &str = r#"{"product_coupon_id":"1000000013","brand_id":"1001","scope":"ALL"}"#;
const HOUR: Duration = Duration::from_secs(3600);
const MINUTE: Duration = Duration::from_secs(60);

/// Answers `/v3/certificates` with a signed list (or 500 while `failing`),
/// everything else with a product coupon signed by the same certificate;
/// records when each download happened (tokio's clock, paused).
#[derive(Debug)]
struct FakeWechatPay {
    certificate: PlatformCertificate,
    key: PrivateKey,
    failing: AtomicBool,
    start: Instant,
    downloads: Mutex<Vec<Duration>>,
    count: watch::Sender<usize>,
}

impl FakeWechatPay {
    fn signed(&self, status: u16, body: String) -> http::Response<Bytes> {
        let signed = ResponseSigner::new(self.certificate.serial(), self.key.clone())
            .sign_now(body.as_bytes())
            .unwrap();
        let mut response = http::Response::builder().status(status);
        if let Some(headers) = response.headers_mut() {
            signed.apply_to(headers).unwrap();
        }
        response.body(Bytes::from(body)).unwrap()
    }

    fn download_times(&self) -> Vec<Duration> {
        self.downloads.lock().unwrap().clone()
    }
}

impl HttpConnector for FakeWechatPay {
    fn call(&self, request: http::Request<Bytes>) -> ConnectorFuture<'_> {
        let response = if request.uri().path() == "/v3/certificates" {
            self.downloads
                .lock()
                .unwrap()
                .push(Instant::now() - self.start);
            self.count.send_modify(|n| *n += 1);
            if self.failing.load(Ordering::SeqCst) {
                http::Response::builder()
                    .status(500)
                    .body(Bytes::from_static(b"{}"))
                    .unwrap()
            } else {
                self.signed(200, certificates_body(&apiv3_key(), &[&self.certificate]))
            }
        } else {
            self.signed(200, PC_BODY.to_owned())
        };
        Box::pin(async move { Ok(response) })
    }
}

fn fake() -> (Arc<FakeWechatPay>, watch::Receiver<usize>) {
    let [key, _] = cert_keys();
    let (count, rx) = watch::channel(0);
    let fake = Arc::new(FakeWechatPay {
        certificate: current_certificate(key, "5C4ED01E"),
        key: key.clone(),
        failing: AtomicBool::new(false),
        start: Instant::now(),
        downloads: Mutex::new(Vec::new()),
        count,
    });
    (fake, rx)
}

fn client(fake: &Arc<FakeWechatPay>) -> PartnerClient {
    let transport = Transport::builder()
        .primary_base_url("https://api.mch.weixin.qq.com")
        .without_backup()
        .retry_policy(RetryPolicy::no_retry())
        .connector(fake.clone())
        .build()
        .unwrap();
    PartnerClient::builder()
        .mchid("1900000001")
        .serial_no("CLIENTSERIAL02")
        .private_key(keys().client.clone())
        .brand_id("1001")
        .apiv3_key(apiv3_key())
        .transport(transport)
        .build()
        .unwrap()
}

async fn wait_for(rx: &mut watch::Receiver<usize>, downloads: usize) {
    rx.wait_for(|n| *n >= downloads).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn certificates_are_refreshed_every_12_hours_and_retried_with_backoff() {
    let (fake, mut rx) = fake();
    let client = client(&fake);
    let request = GetProductCouponRequest::new("1000000013");
    client.call(&request).await.unwrap();
    assert_eq!(fake.download_times(), vec![Duration::ZERO]);

    // The next refresh is 12 h after the download, not earlier.
    wait_for(&mut rx, 2).await;
    assert_eq!(fake.download_times(), vec![Duration::ZERO, 12 * HOUR]);

    // Refreshes fail from now on: retried after 1, 2, 4 minutes; the old
    // keys keep verifying answers meanwhile.
    fake.failing.store(true, Ordering::SeqCst);
    wait_for(&mut rx, 5).await;
    client.call(&request).await.unwrap();
    assert_eq!(
        fake.download_times()[2..],
        [24 * HOUR, 24 * HOUR + MINUTE, 24 * HOUR + 3 * MINUTE]
    );
    // Back to normal: the retry succeeds, and the schedule restarts from it.
    fake.failing.store(false, Ordering::SeqCst);
    wait_for(&mut rx, 7).await;
    assert_eq!(
        fake.download_times()[5..],
        [24 * HOUR + 7 * MINUTE, 36 * HOUR + 7 * MINUTE]
    );
    assert_eq!(client.verifier().key_ids(), vec!["5C4ED01E"]);

    // The task ends with the last client (and the handlers made from it).
    let handler = client.webhook_handler(apiv3_key());
    drop(client);
    tokio::time::sleep(13 * HOUR).await;
    assert_eq!(
        fake.download_times().len(),
        8,
        "the handler still holds the keys"
    );
    drop(handler);
    tokio::time::sleep(48 * HOUR).await;
    assert_eq!(fake.download_times().len(), 8);
}

#[tokio::test(start_paused = true)]
async fn an_on_demand_download_moves_the_schedule() {
    let (fake, mut rx) = fake();
    let client = client(&fake);
    client
        .call(&GetProductCouponRequest::new("1000000013"))
        .await
        .unwrap();
    tokio::time::sleep(5 * HOUR).await;
    client.refresh_certificates().await.unwrap();
    wait_for(&mut rx, 3).await;
    assert_eq!(
        fake.download_times(),
        vec![Duration::ZERO, 5 * HOUR, 17 * HOUR]
    );
}

#[tokio::test(start_paused = true)]
async fn a_client_answered_with_its_public_key_starts_no_schedule() {
    let (fake, _rx) = fake();
    let transport = Transport::builder()
        .primary_base_url("https://api.mch.weixin.qq.com")
        .without_backup()
        .retry_policy(RetryPolicy::no_retry())
        .connector(fake.clone())
        .build()
        .unwrap();
    // The fake signs with its certificate's key; configured as a public key
    // under that id, the client has nothing to download or refresh.
    let client = PartnerClient::builder()
        .mchid("1900000001")
        .serial_no("CLIENTSERIAL02")
        .private_key(keys().client.clone())
        .brand_id("1001")
        .wechatpay_public_key("5C4ED01E", fake.key.public_key())
        .apiv3_key(apiv3_key())
        .transport(transport)
        .build()
        .unwrap();
    client
        .call(&GetProductCouponRequest::new("1000000013"))
        .await
        .unwrap();
    tokio::time::sleep(72 * HOUR).await;
    client
        .call(&GetProductCouponRequest::new("1000000013"))
        .await
        .unwrap();
    assert!(fake.download_times().is_empty());
}
