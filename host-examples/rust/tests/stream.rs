//! `TlsStream` (std::io over the component) against `openssl s_server` on 127.0.0.1.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{Read, Write};

use common::*;
use sslsocket_host::{ErrorCode, SslError, TlsError, TlsStream};
use sslsocket_testkit as common;

#[test]
fn write_all_and_read_to_end_against_openssl() {
    let pki = TestPki::new("stream-www", KeyKind::EcdsaP256);
    let server = openssl_s_server(&pki.server_cert, &pki.server_key, &["-www"]);
    let mut stream = TlsStream::builder()
        .ca_file(&pki.ca_pem)
        .connect("localhost", server.port)
        .unwrap();
    assert_eq!(stream.protocol().unwrap().as_deref(), Some("TLSv1.3"));
    assert_eq!(
        stream.peer_chain().unwrap(),
        vec![SERVER_SUBJECT.to_owned()]
    );
    stream.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    stream.flush().unwrap();
    let mut page = Vec::new();
    stream.read_to_end(&mut page).unwrap();
    let page = String::from_utf8_lossy(&page);
    assert!(page.starts_with("HTTP/1.0 200 ok"), "{page}");
    assert!(page.contains("TLSv1.3"), "{page}");
}

/// A certificate error is an `io::Error` whose source is a `TlsError` listing the ssl-errors.
#[test]
fn certificate_errors_surface_in_the_io_error() {
    let pki = TestPki::new("stream-errors", KeyKind::EcdsaP256);
    let server = openssl_s_server(&pki.server_cert, &pki.server_key, &["-www"]);

    let error = TlsStream::connect("localhost", server.port)
        .err()
        .expect("an untrusted CA is refused");
    let tls = error
        .get_ref()
        .and_then(|e| e.downcast_ref::<TlsError>())
        .unwrap_or_else(|| panic!("no TlsError in {error:?}"));
    assert!(
        matches!(tls.code, ErrorCode::SslHandshakeFailed(_)),
        "{tls:?}"
    );
    let errors: Vec<SslError> = tls.ssl_errors.iter().map(|e| e.error).collect();
    assert_eq!(
        errors,
        vec![
            SslError::UnableToGetLocalIssuerCertificate,
            SslError::UnableToVerifyFirstCertificate
        ]
    );
    assert!(
        error
            .to_string()
            .contains("unable-to-get-local-issuer-certificate"),
        "{error}"
    );

    let error = TlsStream::builder()
        .ca_file(&pki.ca_pem)
        .verify_name("other.example")
        .connect("localhost", server.port)
        .err()
        .expect("the wrong name is refused");
    let tls = error.get_ref().unwrap().downcast_ref::<TlsError>().unwrap();
    assert_eq!(tls.ssl_errors[0].error, SslError::HostNameMismatch);
    assert_eq!(
        tls.ssl_errors[0].certificate.as_deref(),
        Some(SERVER_SUBJECT)
    );

    let error = TlsStream::builder()
        .alpn(&[""])
        .connect("localhost", server.port)
        .err()
        .expect("an empty ALPN name is refused");
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput, "{error}");
}
