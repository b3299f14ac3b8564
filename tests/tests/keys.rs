//! The client's WeChat Pay key handling against the sandbox's keys, end to
//! end on loopback: certificates downloaded once before the first call and
//! named in `Wechatpay-Serial`, a rotation that makes an answer name an
//! unknown serial (one refresh, the same answer verified again, the request
//! never resent), refreshes that fail and keep the old keys, an expired
//! certificate, and a public-key-only account that never sees a certificate
//! request.
//!
//! The sandbox counts its certificate downloads
//! ([`Sandbox::certificate_requests`]) among all the requests it saw
//! ([`Sandbox::requests_seen`]); the tests assert on both.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use coupon_client::coupon_model::operations::{
    GetProductCouponRequest, UpdateProductCouponRequest,
};
use coupon_client::coupon_model::product_coupon::{
    ProductCouponDisplayInfo, UpdateProductCouponBody,
};
use coupon_client::wxpay_sign::{Clock, ManualClock, PrivateKey};
use coupon_client::{CertificateRefresh, CertificateStatus, ErrorKind, PartnerClient};
use coupon_e2e::{Fault, Sandbox, brand_client, fast_retries, seed, transport_to};
use coupon_sandbox::{Credentials, KeyRotation, WechatPayKeyMode};

/// One set of credentials for every test here (generating them is the slow
/// part); each test still runs its own sandbox.
fn credentials() -> Credentials {
    static CREDENTIALS: OnceLock<Credentials> = OnceLock::new();
    CREDENTIALS
        .get_or_init(|| Credentials::generate().unwrap())
        .clone()
}

/// A key pair for the sandbox's rotations.
fn rotation_key() -> PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::generate().unwrap()).clone()
}

async fn start(mode: WechatPayKeyMode, clock: Option<Arc<dyn Clock>>) -> Sandbox {
    let mut builder = Sandbox::builder()
        .credentials(credentials())
        .wechatpay_keys(mode);
    if let Some(clock) = clock {
        builder = builder.clock(clock);
    }
    builder.start().await.unwrap()
}

/// How the partner client gets its WeChat Pay keys.
enum Keys {
    /// The APIv3 key only: certificates are downloaded.
    Certificates,
    /// The sandbox's public key and the APIv3 key.
    PublicKeyAndApiV3,
}

/// A partner client for the sandbox's service provider acting for its brand,
/// with no scheduled refresh and no rate limit on the on-demand one unless
/// `refresh` says otherwise.
fn partner(
    sandbox: &Sandbox,
    keys: Keys,
    refresh: Option<CertificateRefresh>,
    clock: Option<Arc<dyn Clock>>,
) -> PartnerClient {
    let creds = sandbox.credentials();
    let mut builder = PartnerClient::builder()
        .mchid(&creds.mchid)
        .brand_id(&creds.brand_id)
        .serial_no(&creds.mch_serial_no)
        .private_key(creds.mch_private_key.clone())
        .apiv3_key(creds.apiv3_key.clone())
        .certificate_refresh(refresh.unwrap_or_else(|| {
            CertificateRefresh::default()
                .with_interval(None)
                .with_min_on_demand_interval(Duration::ZERO)
        }))
        .transport(transport_to(
            &sandbox.base_url(),
            None,
            fast_retries(),
            Duration::from_secs(10),
        ));
    if let Keys::PublicKeyAndApiV3 = keys {
        builder = builder.wechatpay_public_key(
            &creds.wechatpay_public_key_id,
            creds.wechatpay_public_key.clone(),
        );
    }
    if let Some(clock) = clock {
        builder = builder.clock(clock);
    }
    builder.build().unwrap()
}

fn get_product_coupon() -> GetProductCouponRequest {
    GetProductCouponRequest::new(seed::PRODUCT_COUPON_ID)
}

fn update_product_coupon(sandbox: &Sandbox, out_request_no: &str) -> UpdateProductCouponRequest {
    UpdateProductCouponRequest::new(
        seed::PRODUCT_COUPON_ID,
        UpdateProductCouponBody::new(
            out_request_no,
            ProductCouponDisplayInfo::new(
                "全场满减轮换",
                "https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx",
            ),
        )
        .with_brand_id(sandbox.credentials().brand_id.clone()),
    )
}

/// Requests other than certificate downloads the sandbox saw.
fn api_requests(sandbox: &Sandbox) -> u64 {
    sandbox.requests_seen() - sandbox.certificate_requests()
}

/// The ids of the keys the client holds now, sorted.
fn held(client: &PartnerClient) -> Vec<String> {
    let mut ids: Vec<String> = client.verifier().keys().ids().map(str::to_owned).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn a_certificates_only_client_downloads_once_before_its_first_call_and_names_the_certificate()
{
    // In the both mode an answer to a request naming no key is signed with
    // the public key, which a client holding only certificates cannot
    // verify (and cannot download): every call below succeeding with one
    // download shows that the client names its certificate.
    let sandbox = start(WechatPayKeyMode::Both, None).await;
    let client = partner(&sandbox, Keys::Certificates, None, None);
    assert_eq!(sandbox.certificate_requests(), 0, "nothing before a call");
    assert!(held(&client).is_empty());

    let coupon = client.call(&get_product_coupon()).await.unwrap();
    assert_eq!(coupon.product_coupon_id.as_str(), seed::PRODUCT_COUPON_ID);
    assert_eq!(
        sandbox.certificate_requests(),
        1,
        "downloaded before the call"
    );
    assert_eq!(api_requests(&sandbox), 1);

    let certificate = sandbox.platform_certificates()[0].serial().to_owned();
    assert_eq!(held(&client), vec![certificate.clone()]);
    // The key a request names is the one its sensitive fields would use.
    let fields = client.sensitive_fields().await.unwrap();
    assert_eq!(fields.key_id(), certificate);

    for n in 0..3 {
        client.call(&get_product_coupon()).await.unwrap();
        client
            .call(&update_product_coupon(
                &sandbox,
                &format!("e2e_keys_names_{n}"),
            ))
            .await
            .unwrap();
    }
    assert_eq!(sandbox.certificate_requests(), 1, "no further download");
    assert_eq!(api_requests(&sandbox), 7);
}

#[tokio::test]
async fn the_newest_of_several_certificates_is_named() {
    // A minute between the two certificates, so that one is newer.
    let clock = Arc::new(ManualClock::new(1_752_537_600));
    let sandbox = start(WechatPayKeyMode::Certificates, Some(clock.clone())).await;
    let old = sandbox.platform_certificates()[0].serial().to_owned();
    clock.advance(60);
    let new = sandbox
        .rotate_wechatpay_key_with(KeyRotation::new().with_key(rotation_key()))
        .await
        .unwrap()
        .unwrap()
        .id;
    let client = partner(&sandbox, Keys::Certificates, None, Some(clock.clone()));
    client.call(&get_product_coupon()).await.unwrap();
    assert_eq!(sandbox.certificate_requests(), 1);
    let mut both = vec![old.clone(), new.clone()];
    both.sort();
    assert_eq!(held(&client), both, "every delivered certificate is held");
    assert_eq!(client.sensitive_fields().await.unwrap().key_id(), new);

    for _ in 0..2 {
        client.call(&get_product_coupon()).await.unwrap();
    }
    assert_eq!(sandbox.certificate_requests(), 1);
}

#[tokio::test]
async fn a_rotation_makes_the_next_answer_name_an_unknown_serial_refreshed_once_never_resent() {
    let sandbox = start(WechatPayKeyMode::Certificates, None).await;
    let client = partner(&sandbox, Keys::Certificates, None, None);
    client.call(&get_product_coupon()).await.unwrap();
    let old = sandbox.platform_certificates()[0].serial().to_owned();
    assert_eq!(held(&client), vec![old.clone()]);

    // Old and new in flight: the client names the old certificate and is
    // answered with it — nothing to refresh.
    let new = sandbox
        .rotate_wechatpay_key_with(KeyRotation::new().with_key(rotation_key()))
        .await
        .unwrap()
        .unwrap()
        .id;
    assert_ne!(new, old);
    client.call(&get_product_coupon()).await.unwrap();
    assert_eq!(sandbox.certificate_requests(), 1);

    // Retired: the write naming the old certificate is answered with the new
    // one, which the client does not hold.
    sandbox.retire_wechatpay_key(&old).unwrap();
    let (downloads, writes) = (sandbox.certificate_requests(), api_requests(&sandbox));
    let updated = client
        .call(&update_product_coupon(&sandbox, "e2e_keys_rotation_0001"))
        .await
        .unwrap();
    assert_eq!(updated.display_info.as_ref().unwrap().name, "全场满减轮换");
    assert_eq!(
        sandbox.certificate_requests() - downloads,
        1,
        "one refresh for the unknown serial"
    );
    assert_eq!(
        api_requests(&sandbox) - writes,
        1,
        "the write was sent once"
    );
    assert_eq!(
        held(&client),
        vec![new.clone()],
        "the set is what the download delivers: the new certificate, not the retired one"
    );
    assert_eq!(client.sensitive_fields().await.unwrap().key_id(), new);

    // Then the client names the new certificate: no further download.
    client.call(&get_product_coupon()).await.unwrap();
    client.call(&get_product_coupon()).await.unwrap();
    assert_eq!(sandbox.certificate_requests() - downloads, 1);
}

#[tokio::test]
async fn a_serial_still_unknown_after_the_refresh_fails_closed_without_a_resend() {
    let sandbox = start(WechatPayKeyMode::Certificates, None).await;
    let client = partner(&sandbox, Keys::Certificates, None, None);
    client.call(&get_product_coupon()).await.unwrap();
    let (downloads, writes) = (sandbox.certificate_requests(), api_requests(&sandbox));

    sandbox.inject(Fault::WrongSerial, 1);
    let err = client
        .call(&update_product_coupon(&sandbox, "e2e_keys_unknown_0001"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Verification, "{err}");
    assert_eq!(sandbox.certificate_requests() - downloads, 1, "one refresh");
    assert_eq!(api_requests(&sandbox) - writes, 1, "never resent");
    // The write took effect on the sandbox; only its answer was refused.
    let stored = sandbox.product_coupon(seed::PRODUCT_COUPON_ID).unwrap();
    assert_eq!(stored.display_info.unwrap().name, "全场满减轮换");

    client.call(&get_product_coupon()).await.unwrap();
    assert_eq!(sandbox.certificate_requests() - downloads, 1);
}

#[tokio::test]
async fn a_failed_refresh_keeps_the_old_keys() {
    let sandbox = start(WechatPayKeyMode::Certificates, None).await;
    let client = partner(&sandbox, Keys::Certificates, None, None);
    client.call(&get_product_coupon()).await.unwrap();
    let before = held(&client);
    assert_eq!(before.len(), 1);

    // An explicit refresh whose download fails on every attempt.
    sandbox.inject(Fault::ServerErrorBeforeHandling, 3);
    let downloads = sandbox.certificate_requests();
    let err = client.refresh_certificates().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Api, "{err}");
    assert_eq!(
        sandbox.certificate_requests() - downloads,
        3,
        "every attempt"
    );
    assert_eq!(sandbox.pending_faults(), 0);
    assert_eq!(held(&client), before);
    client.call(&get_product_coupon()).await.unwrap();
    assert_eq!(sandbox.certificate_requests() - downloads, 3);

    // A download whose answer does not verify is refused as well.
    sandbox.inject(Fault::BadSignature, 1);
    let err = client.refresh_certificates().await.unwrap_err();
    assert!(err.kind().is_verification(), "{err}");
    assert_eq!(held(&client), before);

    // An on-demand refresh that fails: the old certificate is retired, so
    // the answer names the new one; the download after it (the second
    // request: the call itself passes a zero delay) is refused.
    let old = before[0].clone();
    sandbox
        .rotate_wechatpay_key_with(
            KeyRotation::new()
                .retire_previous()
                .with_key(rotation_key()),
        )
        .await
        .unwrap();
    sandbox.inject(Fault::Slow(Duration::ZERO), 1);
    sandbox.inject(Fault::BadSignature, 1);
    let downloads = sandbox.certificate_requests();
    let err = client.call(&get_product_coupon()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Verification, "{err}");
    assert_eq!(sandbox.certificate_requests() - downloads, 1);
    assert_eq!(held(&client), vec![old.clone()], "the old set is kept");

    // The next unknown serial refreshes again (no rate limit here) and the
    // call succeeds.
    client.call(&get_product_coupon()).await.unwrap();
    assert_eq!(sandbox.certificate_requests() - downloads, 2);
    let new = sandbox.platform_certificates()[0].serial().to_owned();
    assert_ne!(new, old);
    assert_eq!(held(&client), vec![new]);
}

#[tokio::test]
async fn the_on_demand_refresh_is_rate_limited() {
    let sandbox = start(WechatPayKeyMode::Certificates, None).await;
    let refresh = CertificateRefresh::default()
        .with_interval(None)
        .with_min_on_demand_interval(Duration::from_secs(3600));
    let client = partner(&sandbox, Keys::Certificates, Some(refresh), None);
    client.call(&get_product_coupon()).await.unwrap();
    let downloads = sandbox.certificate_requests();
    for _ in 0..3 {
        sandbox.inject(Fault::WrongSerial, 1);
        let err = client.call(&get_product_coupon()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Verification, "{err}");
    }
    assert_eq!(
        sandbox.certificate_requests() - downloads,
        1,
        "one download per interval"
    );
    // Calls answered with a key the client holds are unaffected.
    client.call(&get_product_coupon()).await.unwrap();
}

#[tokio::test]
async fn an_expired_certificate_is_refused_with_its_own_error_kind() {
    let clock = Arc::new(ManualClock::new(1_752_537_600));
    let sandbox = Sandbox::builder()
        .credentials(credentials())
        .wechatpay_keys(WechatPayKeyMode::Certificates)
        .certificate_validity(Duration::from_secs(86_400))
        .clock(clock.clone())
        .start()
        .await
        .unwrap();
    let certificate = sandbox.platform_certificates()[0].clone();
    assert_eq!(certificate.not_after(), clock.now_unix() + 86_400);

    // A client configured with the certificate (e.g. saved by
    // `wxpay-coupon certificates download`), downloading nothing.
    let creds = sandbox.credentials();
    let client = PartnerClient::builder()
        .mchid(&creds.mchid)
        .brand_id(&creds.brand_id)
        .serial_no(&creds.mch_serial_no)
        .private_key(creds.mch_private_key.clone())
        .wechatpay_certificate(certificate.clone())
        .clock(clock.clone())
        .transport(transport_to(
            &sandbox.base_url(),
            None,
            fast_retries(),
            Duration::from_secs(10),
        ))
        .build()
        .unwrap();
    client.call(&get_product_coupon()).await.unwrap();

    clock.advance(2 * 86_400);
    let err = client.call(&get_product_coupon()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CertificateExpired, "{err}");
    assert!(err.kind().is_verification());
    assert_eq!(sandbox.certificate_requests(), 0);

    // A downloading client refuses the expired certificate too, and gets
    // going again once the sandbox rotates to a valid one.
    let downloading = partner(&sandbox, Keys::Certificates, None, Some(clock.clone()));
    let err = downloading.call(&get_product_coupon()).await.unwrap_err();
    assert!(
        err.kind().is_verification() || err.kind() == ErrorKind::Config,
        "{err}"
    );
    assert!(held(&downloading).is_empty(), "nothing expired is taken");
    sandbox
        .rotate_wechatpay_key_with(KeyRotation::new().with_key(rotation_key()))
        .await
        .unwrap();
    downloading.call(&get_product_coupon()).await.unwrap();
    let fresh = sandbox.platform_certificates()[0].serial().to_owned();
    assert!(held(&downloading).contains(&fresh));
}

#[tokio::test]
async fn a_public_key_only_account_never_sees_a_certificate_request() {
    let sandbox = start(WechatPayKeyMode::PublicKey, None).await;
    assert!(sandbox.platform_certificates().is_empty());

    // A client holding the public key (and the APIv3 key, as every service
    // provider does) makes no certificate request at all.
    let client = partner(&sandbox, Keys::PublicKeyAndApiV3, None, None);
    for n in 0..2 {
        client.call(&get_product_coupon()).await.unwrap();
        client
            .call(&update_product_coupon(
                &sandbox,
                &format!("e2e_keys_pk_{n}"),
            ))
            .await
            .unwrap();
    }
    let brand = brand_client(&sandbox, fast_retries());
    brand.call(&get_product_coupon()).await.unwrap();
    assert_eq!(sandbox.certificate_requests(), 0);
    assert_eq!(api_requests(&sandbox), 5);

    // Asked to download, it learns there are none (404) and keeps its key.
    let before = held(&client);
    let status = client.refresh_certificates().await.unwrap();
    assert!(
        matches!(status, CertificateStatus::PublicKeyOnly),
        "{status:?}"
    );
    assert_eq!(sandbox.certificate_requests(), 1);
    assert_eq!(held(&client), before);
    client.call(&get_product_coupon()).await.unwrap();
    assert_eq!(sandbox.certificate_requests(), 1);

    // A client with nothing but the APIv3 key is told what to configure.
    let certificates_only = partner(&sandbox, Keys::Certificates, None, None);
    let err = certificates_only
        .call(&get_product_coupon())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    assert!(err.to_string().contains("public key"), "{err}");
}
