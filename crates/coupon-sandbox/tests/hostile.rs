//! Hostile requests through the real HTTP stack: arbitrary methods, paths
//! (percent-encoded junk under every prefix), queries, bodies and
//! `Authorization` headers — some of them correctly signed, so that the junk
//! reaches routing, query parsing and the handlers. Every one gets a signed
//! WeChat Pay-format answer (never a dropped connection, never a 5xx), and
//! the sandbox keeps serving afterwards.

mod common;

use bytes::Bytes;
use common::{Harness, PARTNER, STOCKS, USERS};
use coupon_sandbox::seed;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRng, TestRunner};
use wxpay_sign::{Clock as _, SignableRequest};

#[derive(Debug, Clone)]
enum Auth {
    /// Signed correctly for the path's prefix.
    Correct,
    /// Signed with the other scheme.
    OtherScheme,
    /// Any printable ASCII.
    Junk(String),
    /// No header.
    Missing,
}

#[derive(Debug, Clone)]
struct Hostile {
    method: Method,
    path_and_query: String,
    body: Vec<u8>,
    content_type: bool,
    auth: Auth,
}

fn encoded(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..max).prop_map(|chars| {
        utf8_percent_encode(&chars.into_iter().collect::<String>(), NON_ALPHANUMERIC).to_string()
    })
}

fn hostile() -> impl Strategy<Value = Hostile> {
    let segment = || {
        prop_oneof![
            encoded(8),
            Just(seed::PRODUCT_COUPON_ID.to_owned()),
            Just(seed::OPENID.to_owned()),
        ]
    };
    let junk_path = (
        prop_oneof![
            Just("/brand/".to_owned()),
            Just("/v3/".to_owned()),
            Just("/".to_owned()),
            Just(format!("{STOCKS}/")),
        ],
        prop::collection::vec(segment(), 0..3),
        prop_oneof![
            Just(""),
            Just("/stocks"),
            Just("/coupons"),
            Just("/stocks/x")
        ],
    )
        .prop_map(|(prefix, segments, suffix)| format!("{prefix}{}{suffix}", segments.join("/")));
    // Mostly the real routes, with junk or real path parameters.
    let path = prop_oneof![
        2 => segment().prop_map(|s| format!("{STOCKS}/{s}/stocks")),
        2 => segment().prop_map(|s| format!("{USERS}/{s}/coupons")),
        2 => segment().prop_map(|s| format!("{PARTNER}/{s}")),
        1 => junk_path,
    ];
    let name = prop_oneof![
        Just("page_size".to_owned()),
        Just("page_token".to_owned()),
        Just("state".to_owned()),
        Just("stock_bundle_id".to_owned()),
        Just("appid".to_owned()),
        Just("product_coupon_id".to_owned()),
        Just("stock_id".to_owned()),
        Just("coupon_state".to_owned()),
        encoded(6),
    ];
    let value = prop_oneof![
        Just(seed::APPID.to_owned()),
        Just("-1".to_owned()),
        Just("50".to_owned()),
        Just("%FF".to_owned()),
        encoded(12),
    ];
    let query = prop::collection::vec((name, value), 0..5);
    let body = prop_oneof![
        Just(Vec::new()),
        prop::collection::vec(any::<u8>(), 0..64),
        Just(br#"{"out_request_no":"abcdef","stock":{}}"#.to_vec()),
        Just(br#"{"out_request_no":"abcdef","display_info":{"name":"abc","image_url":"u"},"brand_id":"120344"}"#.to_vec()),
        Just(b"null".to_vec()),
        Just(b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[".to_vec()),
    ];
    let method = prop_oneof![
        2 => Just(Method::GET),
        2 => Just(Method::POST),
        2 => Just(Method::PATCH),
        1 => Just(Method::PUT),
        1 => Just(Method::DELETE),
    ];
    let auth = prop_oneof![
        5 => Just(Auth::Correct),
        1 => Just(Auth::OtherScheme),
        1 => "[ -~]{0,80}".prop_map(Auth::Junk),
        1 => Just(Auth::Missing),
    ];
    (method, path, query, body, prop::bool::weighted(0.8), auth).prop_map(
        |(method, mut path, query, body, content_type, auth)| {
            if !query.is_empty() {
                let pairs: Vec<String> = query.iter().map(|(n, v)| format!("{n}={v}")).collect();
                path = format!("{path}?{}", pairs.join("&"));
            }
            Hostile {
                method,
                path_and_query: path,
                body,
                content_type,
                auth,
            }
        },
    )
}

#[test]
fn hostile_requests_get_a_signed_answer_and_the_sandbox_keeps_serving() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let h = runtime.block_on(Harness::start());
    let client = runtime
        .block_on(async { Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>() });
    let creds = h.sandbox.credentials().clone();
    let codes = std::cell::RefCell::new(std::collections::BTreeSet::new());
    // A fixed seed: the same hostile requests on every run.
    let config = Config {
        cases: 160,
        failure_persistence: None,
        ..Config::default()
    };
    let rng = TestRng::deterministic_rng(config.rng_algorithm);
    let mut runner = TestRunner::new_with_rng(config, rng);
    runner
        .run(&hostile(), |req| {
            let brand = req.path_and_query.starts_with("/brand/");
            let (right, wrong) = if brand {
                (creds.brand_signer(), creds.merchant_signer())
            } else {
                (creds.merchant_signer(), creds.brand_signer())
            };
            let sign = |signer: wxpay_sign::Signer| {
                let signable =
                    SignableRequest::new(req.method.as_str(), &req.path_and_query, &req.body);
                signer
                    .sign(&signable, h.clock.now_unix(), &wxpay_sign::generate_nonce())
                    .unwrap()
                    .to_header_value()
            };
            let authorization = match &req.auth {
                Auth::Correct => Some(sign(right)),
                Auth::OtherScheme => Some(sign(wrong)),
                Auth::Junk(text) => Some(http::HeaderValue::from_str(text).unwrap()),
                Auth::Missing => None,
            };
            let mut builder = Request::builder()
                .method(req.method.clone())
                .uri(format!("{}{}", h.sandbox.base_url(), req.path_and_query))
                .header("Accept", "application/json")
                .header("Wechatpay-Serial", &creds.wechatpay_public_key_id);
            if req.content_type {
                builder = builder.header("Content-Type", "application/json");
            }
            if let Some(value) = authorization {
                builder = builder.header("Authorization", value);
            }
            let request = builder
                .body(Full::new(Bytes::from(req.body.clone())))
                .unwrap();
            let (status, headers, body) = runtime.block_on(async {
                let response = client
                    .request(request)
                    .await
                    .expect("an answer, not a dropped connection");
                let status = response.status();
                let headers = response.headers().clone();
                let body = response.into_body().collect().await.unwrap().to_bytes();
                (status, headers, body)
            });
            prop_assert!(
                status == StatusCode::OK || status.is_client_error(),
                "{status} for {req:?}: {}",
                String::from_utf8_lossy(&body)
            );
            h.sandbox
                .verifier()
                .unwrap()
                .verify_headers(&headers, &body)
                .map_err(|e| TestCaseError::fail(format!("unsigned answer for {req:?}: {e}")))?;
            if status != StatusCode::OK {
                let error: coupon_model::ApiErrorBody = serde_json::from_slice(&body)
                    .map_err(|e| TestCaseError::fail(format!("not an error body: {e}")))?;
                prop_assert!(!error.message.is_empty());
                codes.borrow_mut().insert(error.code.as_str().to_owned());
            }
            Ok(())
        })
        .unwrap();

    // Not vacuous: junk was refused at authentication, and signed junk got
    // past it into routing and the handlers.
    let codes = codes.into_inner();
    assert!(codes.contains("SIGN_ERROR"), "{codes:?}");
    assert!(
        codes.contains("NOT_FOUND") && codes.contains("PARAM_ERROR"),
        "{codes:?}"
    );

    // Still serving normal calls.
    let reply = runtime.block_on(h.get(format!("{STOCKS}/1000000013/stocks?page_size=1")));
    assert_eq!(reply.status, StatusCode::OK);
}
