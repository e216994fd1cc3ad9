//! sslsocket's extension of `wasi:tls`, beside the draft's `client`: `details.connect` (what the
//! connection negotiated and the peer's certificates, checked against `openssl s_server`) and
//! `server.acceptor` (the server side, answering our own connector with client certificates).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use sslsocket_testkit::{KeyKind, TestPki, openssl_s_server};
use sslsocket_wasi_tls_host::{
    Outcome, PROVIDER, RunOptions, TEST_CLIENT_WITH_SETTINGS, plug, run_command,
};

/// Runs the test command (with sslsocket's extension) composed with the provider.
fn run(env: &[(&str, &str)]) -> Outcome {
    let composed = plug(TEST_CLIENT_WITH_SETTINGS, PROVIDER).unwrap();
    let env = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    run_command(
        &composed,
        &RunOptions {
            env,
            ..RunOptions::default()
        },
    )
    .unwrap()
}

#[test]
fn details_say_what_the_handshake_agreed_and_hold_the_peer_certificate() {
    let pki = TestPki::new("wasi-tls-details", KeyKind::EcdsaP256);
    let server = openssl_s_server(
        &pki.server_cert,
        &pki.server_key,
        &["-www", "-tls1_2", "-alpn", "http/1.1"],
    );
    let port = server.port.to_string();
    let outcome = run(&[
        ("TLS_PORT", &port),
        ("CA_PEM", &pki.ca.cert_pem),
        ("ALPN", "h2,http/1.1"),
        ("DETAILS", "1"),
        ("EXPECT_PEER_PEM", &pki.server.cert_pem),
    ]);
    assert!(outcome.success, "{outcome:?}");
    let stdout = &outcome.stdout;
    assert!(
        stdout.contains("client details: TLSv1.2 ECDHE-ECDSA-") && stdout.contains("alpn=http/1.1"),
        "{stdout}"
    );
    assert!(stdout.contains("peer certificates: 1"), "{stdout}");
    assert!(
        stdout.contains("client peer leaf as expected: true"),
        "{stdout}"
    );
    assert!(stdout.contains("response: HTTP/1.0 200 ok"), "{stdout}");
}

#[test]
fn an_acceptor_serves_our_connector_and_sees_its_client_certificate() {
    let pki = TestPki::new("wasi-tls-acceptor", KeyKind::EcdsaP256);
    let outcome = run(&[
        ("LOOPBACK", "1"),
        ("CA_PEM", &pki.ca.cert_pem),
        ("SERVER_CERT_PEM", &pki.server.cert_pem),
        ("SERVER_KEY_PEM", &pki.server.key_pem),
        ("CLIENT_CERT_PEM", &pki.client.cert_pem),
        ("CLIENT_KEY_PEM", &pki.client.key_pem),
        ("EXPECT_PEER_PEM", &pki.client.cert_pem),
    ]);
    assert!(outcome.success, "{outcome:?}");
    let stdout = &outcome.stdout;
    for line in [
        "server details: TLSv1.3 ",
        "server peer leaf as expected: true",
        "client details: TLSv1.3 ",
        "server got: ping",
        "client got: pong",
        "client receive: true",
        "server send: true",
    ] {
        assert!(stdout.contains(line), "{line:?} missing in\n{stdout}");
    }
    // Without a server identity, accept is an error value.
    let outcome = run(&[
        ("LOOPBACK", "1"),
        ("SERVER_CERT_PEM", &pki.server.cert_pem),
        ("SERVER_KEY_PEM", "garbage"),
    ]);
    assert!(
        outcome.stdout.starts_with("failed: server identity: "),
        "{}",
        outcome.stdout
    );
}
