//! The production path: `https://` through the default connector (hyper-rustls,
//! ALPN) against a real TLS server on 127.0.0.1 (tokio-rustls + hyper's server),
//! trusting the test CA of `tests/fixtures/` (see its README) through
//! [`TransportBuilder::add_root_certificate_pem`].
//!
//! The server reports each TLS handshake (the ALPN protocol it negotiated, or the
//! handshake error) on a channel and records the HTTP version of every request its
//! HTTP layer sees, so the tests assert what happened on the server side. Nothing
//! waits on time: each test awaits the server's handshake report.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use coupon_http::{
    ErrorKind, HyperConnector, HyperConnectorConfig, NoopHook, RequestTemplate, RetryPolicy,
    RootCertificates, Transport, TransportBuilder,
};
use http::{Method, StatusCode, Version};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use proptest::prelude::*;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;

const CA: &str = include_str!("fixtures/ca.pem");
const SERVER_CERT: &str = include_str!("fixtures/server.pem");
const SERVER_KEY: &str = include_str!("fixtures/server.key");
const UNTRUSTED_CERT: &str = include_str!("fixtures/untrusted-server.pem");
const UNTRUSTED_KEY: &str = include_str!("fixtures/untrusted-server.key");

const H2: &[u8] = b"h2";
const H1: &[u8] = b"http/1.1";

/// What the server saw of one TLS handshake.
#[derive(Debug)]
enum Handshake {
    /// Completed; the ALPN protocol negotiated, if any.
    Done(Option<Vec<u8>>),
    /// Failed, with the server-side error.
    Failed(String),
}

struct TlsServer {
    url: String,
    handshakes: mpsc::UnboundedReceiver<Handshake>,
    /// HTTP version of every request that reached the HTTP layer.
    requests: Arc<Mutex<Vec<Version>>>,
}

/// The server's rustls provider: the same backend as the client's.
fn server_provider() -> rustls::crypto::CryptoProvider {
    #[cfg(feature = "aws-lc")]
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    #[cfg(all(feature = "ring", not(feature = "aws-lc")))]
    let provider = rustls::crypto::ring::default_provider();
    provider
}

impl TlsServer {
    /// Serves `cert`/`key` on 127.0.0.1, offering `alpn`, answering every request
    /// with 200 "ok" and a `Request-ID`.
    async fn start(cert: &str, key: &str, alpn: &[&[u8]]) -> Self {
        Self::start_with_provider(cert, key, alpn, server_provider()).await
    }

    /// [`TlsServer::start`] with a given server-side crypto provider.
    async fn start_with_provider(
        cert: &str,
        key: &str,
        alpn: &[&[u8]],
        provider: rustls::crypto::CryptoProvider,
    ) -> Self {
        let chain = CertificateDer::pem_slice_iter(cert.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let key = PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap();
        let provider = Arc::new(provider);
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        let acceptor = TlsAcceptor::from(Arc::new(config));

        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("https://{}", listener.local_addr().unwrap());
        let (tx, handshakes) = mpsc::unbounded_channel();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let (acceptor, tx, seen) = (acceptor.clone(), tx.clone(), seen.clone());
                tokio::spawn(async move {
                    let tls = match acceptor.accept(tcp).await {
                        Ok(tls) => tls,
                        Err(e) => {
                            let _ = tx.send(Handshake::Failed(e.to_string()));
                            return;
                        }
                    };
                    let alpn = tls.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
                    let _ = tx.send(Handshake::Done(alpn));
                    let service = service_fn(move |request: http::Request<Incoming>| {
                        seen.lock().unwrap().push(request.version());
                        async {
                            Ok::<_, Infallible>(
                                http::Response::builder()
                                    .header("Request-ID", "tls-request-1")
                                    .body(Full::new(Bytes::from_static(b"ok")))
                                    .unwrap(),
                            )
                        }
                    });
                    let _ = auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        Self {
            url,
            handshakes,
            requests,
        }
    }

    /// The server's report of the next handshake.
    async fn next_handshake(&mut self) -> Handshake {
        self.handshakes.recv().await.unwrap()
    }

    fn request_versions(&self) -> Vec<Version> {
        self.requests.lock().unwrap().clone()
    }
}

/// One attempt, no failover: a refused certificate is reported at once.
fn builder(url: &str) -> TransportBuilder {
    Transport::builder()
        .primary_base_url(url)
        .without_backup()
        .retry_policy(RetryPolicy::no_retry())
}

fn get() -> RequestTemplate {
    RequestTemplate::new(Method::GET, "/v3/ping?x=1", "/v3/ping")
}

/// Calls a server offering `alpn` with the test CA trusted; returns the ALPN
/// protocol the server negotiated and the HTTP versions its HTTP layer saw.
async fn call_trusted(
    alpn: &[&[u8]],
    transport: TransportBuilder,
) -> (Option<Vec<u8>>, Vec<Version>) {
    let mut server = TlsServer::start(SERVER_CERT, SERVER_KEY, alpn).await;
    let transport = transport.primary_base_url(&server.url).build().unwrap();
    let response = transport.execute(&get(), &NoopHook).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.body().as_ref(), b"ok");
    assert_eq!(response.request_id(), Some("tls-request-1"));
    let Handshake::Done(negotiated) = server.next_handshake().await else {
        panic!("the TLS handshake should have succeeded");
    };
    (negotiated, server.request_versions())
}

// ---------------------------------------------------------------- success

#[tokio::test]
async fn https_with_custom_root_negotiates_http2_when_the_server_offers_h2() {
    let transport = builder("https://127.0.0.1")
        .add_root_certificate_pem(CA)
        .unwrap();
    let (alpn, versions) = call_trusted(&[H2, H1], transport).await;
    assert_eq!(alpn.as_deref(), Some(H2));
    assert_eq!(versions, [Version::HTTP_2]);
}

#[tokio::test]
async fn https_with_custom_root_uses_http1_when_the_server_offers_only_http1() {
    // Two PEM calls accumulate: the test CA stays trusted after another certificate
    // is added.
    let transport = builder("https://127.0.0.1")
        .add_root_certificate_pem(CA)
        .unwrap()
        .add_root_certificate_pem(UNTRUSTED_CERT)
        .unwrap();
    let (alpn, versions) = call_trusted(&[H1], transport).await;
    assert_eq!(alpn.as_deref(), Some(H1));
    assert_eq!(versions, [Version::HTTP_11]);
}

#[tokio::test]
async fn https_without_alpn_on_the_server_falls_back_to_http1() {
    let transport =
        builder("https://127.0.0.1").root_certificates(RootCertificates::from_pem(CA).unwrap());
    let (alpn, versions) = call_trusted(&[], transport).await;
    assert_eq!(alpn, None);
    assert_eq!(versions, [Version::HTTP_11]);
}

/// The connector speaks TLS with the compiled-in backend's provider: a server that
/// offers only the hybrid post-quantum group X25519MLKEM768, which rustls' aws-lc-rs
/// provider supports and its ring provider does not, completes the handshake.
#[cfg(feature = "aws-lc")]
#[tokio::test]
async fn with_aws_lc_the_connector_uses_the_aws_lc_rs_provider() {
    let mut provider = rustls::crypto::aws_lc_rs::default_provider();
    provider.kx_groups = vec![rustls::crypto::aws_lc_rs::kx_group::X25519MLKEM768];
    let mut server = TlsServer::start_with_provider(SERVER_CERT, SERVER_KEY, &[H1], provider).await;
    let transport = builder(&server.url)
        .add_root_certificate_pem(CA)
        .unwrap()
        .build()
        .unwrap();
    let response = transport.execute(&get(), &NoopHook).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let handshake = server.next_handshake().await;
    assert!(matches!(handshake, Handshake::Done(_)), "{handshake:?}");
}

// ---------------------------------------------------------------- refusal

/// Calls `server` and expects the certificate to be refused before any HTTP.
async fn assert_certificate_refused(mut server: TlsServer, transport: TransportBuilder) {
    let transport = transport.primary_base_url(&server.url).build().unwrap();
    let err = transport.execute(&get(), &NoopHook).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connect, "{err}");
    assert_eq!(err.attempts(), 1);
    let message = err.to_string();
    assert!(message.contains("certificate was refused"), "{message}");
    assert!(message.contains("add_root_certificate_pem"), "{message}");
    assert!(message.contains("UnknownIssuer"), "{message}");
    // The client aborted the handshake with an "unknown CA" alert...
    let handshake = server.next_handshake().await;
    let Handshake::Failed(server_error) = handshake else {
        panic!("the server's TLS handshake should have failed: {handshake:?}");
    };
    assert!(server_error.contains("UnknownCA"), "{server_error}");
    // ...and nothing reached its HTTP layer.
    assert_eq!(server.request_versions(), []);
}

#[tokio::test]
async fn certificate_not_signed_by_the_custom_root_is_refused() {
    let server = TlsServer::start(UNTRUSTED_CERT, UNTRUSTED_KEY, &[H2, H1]).await;
    let transport = builder("https://127.0.0.1")
        .add_root_certificate_pem(CA)
        .unwrap();
    assert_certificate_refused(server, transport).await;
}

#[tokio::test]
async fn default_webpki_roots_refuse_the_test_ca() {
    let server = TlsServer::start(SERVER_CERT, SERVER_KEY, &[H2, H1]).await;
    assert_certificate_refused(server, builder("https://127.0.0.1")).await;
}

// ---------------------------------------------------------------- PEM input

fn config_error_message(pem: &str) -> String {
    let err = Transport::builder()
        .add_root_certificate_pem(pem)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    err.to_string()
}

#[test]
fn pem_without_a_certificate_is_a_config_error_that_says_what_to_pass() {
    for pem in ["", "not a certificate", SERVER_KEY] {
        let message = config_error_message(pem);
        assert!(
            message.contains("no -----BEGIN CERTIFICATE----- block"),
            "{message}"
        );
    }
}

#[test]
fn broken_pem_block_is_a_config_error() {
    let broken = "-----BEGIN CERTIFICATE-----\n!!!not base64!!!\n-----END CERTIFICATE-----\n";
    let message = config_error_message(broken);
    assert!(message.contains("block 1 could not be read"), "{message}");

    let unterminated = CA.replace("-----END CERTIFICATE-----", "");
    let message = config_error_message(&unterminated);
    assert!(message.contains("could not be read"), "{message}");
}

#[test]
fn pem_block_that_is_not_x509_is_a_config_error() {
    // Valid PEM and base64, but the DER is no certificate.
    let not_x509 = "-----BEGIN CERTIFICATE-----\nAQIDBAUGBwg=\n-----END CERTIFICATE-----\n";
    let message = config_error_message(not_x509);
    assert!(
        message.contains("not a well-formed X.509 certificate"),
        "{message}"
    );
}

#[test]
fn pem_with_several_certificates_and_other_blocks_keeps_every_certificate() {
    let bundle = format!("{SERVER_KEY}\n{CA}\n{UNTRUSTED_CERT}");
    let RootCertificates::Custom(certs) = RootCertificates::from_pem(&bundle).unwrap() else {
        panic!("from_pem builds RootCertificates::Custom");
    };
    let expected: Vec<_> = [CA, UNTRUSTED_CERT]
        .iter()
        .map(|pem| CertificateDer::from_pem_slice(pem.as_bytes()).unwrap())
        .collect();
    assert_eq!(certs, expected);
}

#[test]
fn custom_roots_that_are_empty_or_malformed_are_refused_by_the_connector() {
    for roots in [
        RootCertificates::Custom(Vec::new()),
        RootCertificates::Custom(vec![CertificateDer::from(vec![1, 2, 3])]),
    ] {
        let mut config = HyperConnectorConfig::default();
        config.roots = roots;
        let err = HyperConnector::new(config).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary text, bare or inside a CERTIFICATE block, never panics: it is a
    /// certificate or a `Config` error.
    #[test]
    fn any_pem_input_parses_or_is_a_config_error(body in ".{0,300}", wrap in any::<bool>()) {
        let pem = if wrap {
            format!("-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n")
        } else {
            body
        };
        if let Err(e) = RootCertificates::from_pem(&pem) {
            prop_assert_eq!(e.kind(), ErrorKind::Config);
        }
    }
}
