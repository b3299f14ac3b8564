//! What the transport logs: the path template, status, attempts and Request-ID, but
//! never the real path (it holds an openid), a header value or a body.

use std::io::Write;
use std::sync::{Arc, Mutex};

use coupon_http::{Attempt, BoxError, RequestTemplate, RetryPolicy, Transport};
use http::{HeaderMap, HeaderValue, Method, header};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

const OPENID: &str = "o4GgauInH_RCEdvrrNGrntXDuXXX";
const SECRET_SIGNATURE: &str = "c2lnbmF0dXJlLXRoYXQtbXVzdC1ub3QtbGVhaw";
const BODY_MARKER: &str = "body-marker-4711";

#[tokio::test]
async fn logs_carry_the_template_but_no_path_header_or_body() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_string(BODY_MARKER))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Request-ID", "REQ-123")
                .set_body_string(BODY_MARKER),
        )
        .mount(&server)
        .await;
    let transport = Transport::builder()
        .primary_base_url(server.uri())
        .without_backup()
        .retry_policy(RetryPolicy::new().with_base_delay(std::time::Duration::ZERO))
        .build()
        .unwrap();
    let template = RequestTemplate::new(
        Method::POST,
        format!("/brand/marketing/product-coupon/users/{OPENID}/coupons"),
        "/brand/marketing/product-coupon/users/{openid}/coupons",
    )
    .with_body(format!(r#"{{"openid":"{OPENID}","note":"{BODY_MARKER}"}}"#));
    let sign = |_: &Attempt<'_>, headers: &mut HeaderMap| -> Result<(), BoxError> {
        let value = format!("WECHATPAY-BRAND-SHA256-RSA2048 signature=\"{SECRET_SIGNATURE}\"");
        headers.insert(header::AUTHORIZATION, HeaderValue::try_from(value)?);
        Ok(())
    };

    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    let response = transport.execute(&template, &sign).await.unwrap();
    drop(guard);
    assert_eq!(response.status(), 200);

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("/brand/marketing/product-coupon/users/{openid}/coupons"),
        "{logs}"
    );
    assert!(logs.contains("coupon_http.call"), "{logs}");
    assert!(logs.contains("coupon_http.attempt"), "{logs}");
    assert!(logs.contains("request_id=\"REQ-123\""), "{logs}");
    assert!(logs.contains("status=200"), "{logs}");
    assert!(logs.contains("status=500"), "{logs}");
    assert!(logs.contains("attempts=2"), "{logs}");
    assert!(logs.contains("retrying"), "{logs}");
    assert!(logs.contains("reason=\"Internal Server Error\""), "{logs}");
    assert!(!logs.contains(OPENID), "openid leaked: {logs}");
    assert!(
        !logs.contains(SECRET_SIGNATURE),
        "authorization leaked: {logs}"
    );
    assert!(!logs.contains(BODY_MARKER), "body leaked: {logs}");
}

#[test]
fn debug_of_template_and_attempt_shows_no_path_or_body() {
    let template = RequestTemplate::new(
        Method::POST,
        format!("/brand/marketing/product-coupon/users/{OPENID}/coupons"),
        "/brand/marketing/product-coupon/users/{openid}/coupons",
    )
    .with_header(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    )
    .with_body(format!(r#"{{"openid":"{OPENID}","note":"{BODY_MARKER}"}}"#));
    let attempt = Attempt::new(
        2,
        &template.method,
        &template.path_and_query,
        &template.body,
    );

    for debug in [
        format!("{template:?}"),
        format!("{template:#?}"),
        format!("{attempt:?}"),
    ] {
        assert!(!debug.contains(OPENID), "openid leaked: {debug}");
        assert!(!debug.contains(BODY_MARKER), "body leaked: {debug}");
        assert!(debug.contains("POST"), "{debug}");
        assert!(debug.contains("body_len"), "{debug}");
    }
    assert!(format!("{template:?}").contains("{openid}"));
    assert!(format!("{template:?}").contains("content-type"));
}
