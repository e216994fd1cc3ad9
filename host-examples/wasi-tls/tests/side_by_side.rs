//! The same WASI 0.3 command, written only against `wasi:tls@0.3.0-draft`, run twice against the
//! same `openssl s_server`: once on wasmtime's host `wasi:tls`, once composed with sslsocket's
//! in-guest provider (and no host `wasi:tls` at all). Same requests, same results: a verified
//! handshake and the page, or the same refusal for a wrong name or an untrusted server.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use sslsocket_testkit::{KeyKind, TestPki, openssl_s_server};
use sslsocket_wasi_tls_host::{
    Outcome, PROVIDER, RunOptions, TEST_CLIENT, TEST_CLIENT_WITH_SETTINGS, plug, run_command,
};

/// Runs the test command both ways; returns (host, guest).
fn both_ways(port: u16, name: &str, pki: Option<&TestPki>) -> (Outcome, Outcome) {
    let options = |host_tls| RunOptions {
        host_tls,
        ca_file: pki.map(|pki| pki.ca_pem.clone()),
        env: vec![
            ("TLS_PORT".into(), port.to_string()),
            ("TLS_NAME".into(), name.into()),
        ],
    };
    let host = run_command(TEST_CLIENT, &options(true)).unwrap();
    let composed = plug(TEST_CLIENT, PROVIDER).unwrap();
    let guest = run_command(&composed, &options(false)).unwrap();
    (host, guest)
}

#[test]
fn host_and_guest_wasi_tls_give_the_same_page() {
    let pki = TestPki::new("wasi-tls-page", KeyKind::EcdsaP256);
    let server = openssl_s_server(&pki.server_cert, &pki.server_key, &["-www"]);
    let (host, guest) = both_ways(server.port, "localhost", Some(&pki));
    for (who, outcome) in [("host", &host), ("guest", &guest)] {
        assert!(outcome.success, "{who}: {outcome:?}");
        assert!(
            outcome
                .stdout
                .contains("handshake: ok\nresponse: HTTP/1.0 200 ok\n"),
            "{who}: {}",
            outcome.stdout
        );
        assert!(
            outcome
                .stdout
                .contains("response has the protocol line: true"),
            "{who}: {}",
            outcome.stdout
        );
    }
    assert_eq!(host.stdout, guest.stdout, "the same results both ways");
}

#[test]
fn host_and_guest_wasi_tls_refuse_a_wrong_name_and_an_untrusted_server() {
    let pki = TestPki::new("wasi-tls-refuse", KeyKind::EcdsaP256);
    let server = openssl_s_server(&pki.server_cert, &pki.server_key, &["-www"]);
    for (name, pki, why) in [
        ("wrong.example", Some(&pki), "HostNameMismatch"),
        ("localhost", None, "UnableToGetLocalIssuerCertificate"),
    ] {
        let (host, guest) = both_ways(server.port, name, pki);
        for (who, outcome) in [("host", &host), ("guest", &guest)] {
            assert!(!outcome.success, "{who} {name}: {outcome:?}");
            assert!(
                outcome.stdout.starts_with("failed: handshake: "),
                "{who} {name}: {}",
                outcome.stdout
            );
        }
        // Ours names every Qt error found; the host's says what rustls said.
        assert!(guest.stdout.contains(why), "{name}: {}", guest.stdout);
    }
}

#[test]
fn a_command_importing_wasi_tls_needs_a_provider() {
    let error = run_command(TEST_CLIENT, &RunOptions::default()).unwrap_err();
    assert!(format!("{error:#}").contains("wasi:tls"), "{error:#}");
    let composed = plug(TEST_CLIENT, PROVIDER).unwrap();
    assert!(
        plug(&composed, PROVIDER).is_err(),
        "nothing left to plug into"
    );
}

#[test]
fn the_settings_interface_adds_roots_a_client_certificate_and_alpn() {
    let pki = TestPki::new("wasi-tls-settings", KeyKind::EcdsaP256);
    let ca = pki.ca_pem.to_string_lossy().into_owned();
    let server = openssl_s_server(
        &pki.server_cert,
        &pki.server_key,
        &["-www", "-Verify", "1", "-CAfile", &ca, "-alpn", "http/1.1"],
    );
    let composed = plug(TEST_CLIENT_WITH_SETTINGS, PROVIDER).unwrap();
    let run = |extra: &[(&str, &str)]| {
        let mut env = vec![
            ("TLS_PORT".to_owned(), server.port.to_string()),
            ("TLS_NAME".to_owned(), "localhost".to_owned()),
        ];
        env.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        run_command(
            &composed,
            &RunOptions {
                env,
                ..RunOptions::default()
            },
        )
        .unwrap()
    };
    let ca_pem = pki.ca.cert_pem.as_str();
    let (cert, key) = (pki.client.cert_pem.as_str(), pki.client.key_pem.as_str());

    // Without the CA (and no SSL_CERT_FILE) the server (which sends its CA along) is not trusted.
    let untrusted = run(&[]);
    assert!(
        untrusted.stdout.contains("SelfSignedCertificateInChain"),
        "{untrusted:?}"
    );
    // With it, but without a client certificate, the server refuses us.
    let anonymous = run(&[("CA_PEM", ca_pem)]);
    assert!(
        anonymous.stdout.contains("settings: 1 CA certificate(s)"),
        "{anonymous:?}"
    );
    // (TLS 1.3: our handshake ends before the server checks; its alert ends the connection.)
    assert!(
        !anonymous.stdout.contains("200 ok") && anonymous.stdout.contains("tls receive: false"),
        "{anonymous:?}"
    );
    // With both, and ALPN, the page comes, over http/1.1.
    let full = run(&[
        ("CA_PEM", ca_pem),
        ("CLIENT_CERT_PEM", cert),
        ("CLIENT_KEY_PEM", key),
        ("ALPN", "h2,http/1.1"),
    ]);
    assert!(full.success, "{full:?}");
    assert!(
        full.stdout.contains("response: HTTP/1.0 200 ok"),
        "{}",
        full.stdout
    );
    assert!(
        server.wait_for_output(
            "depth=0 CN = sslsocket client",
            std::time::Duration::from_secs(5)
        ),
        "the server verified our client certificate: {:?}",
        server.output()
    );
    // Offering only h2 to a server that speaks only http/1.1 is refused (no_application_protocol):
    // the protocols set are the ones sent.
    let h2_only = run(&[
        ("CA_PEM", ca_pem),
        ("CLIENT_CERT_PEM", cert),
        ("CLIENT_KEY_PEM", key),
        ("ALPN", "h2"),
    ]);
    assert!(
        h2_only.stdout.contains("failed: handshake: ")
            && h2_only.stdout.contains("NoApplicationProtocol"),
        "{h2_only:?}"
    );
    // Bad input is an error value, not a trap.
    let bad = run(&[("CA_PEM", "not a certificate")]);
    assert!(bad.stdout.starts_with("failed: CA_PEM: "), "{}", bad.stdout);
    let bad_alpn = run(&[("ALPN", "h2,")]);
    assert!(
        bad_alpn.stdout.starts_with("failed: ALPN: "),
        "{}",
        bad_alpn.stdout
    );
    let bad_key = run(&[("CLIENT_CERT_PEM", cert), ("CLIENT_KEY_PEM", "garbage")]);
    assert!(
        bad_key.stdout.starts_with("failed: client identity: "),
        "{}",
        bad_key.stdout
    );
}
