//! The `sslsocket` command line against real peers on 127.0.0.1.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::process::{Command, Output, Stdio};

use common::*;
use serde_json::Value;
use sslsocket_testkit as common;
use sslsocket_testkit::testpki;
use support::{describe, sslsocket, text};

/// The JSON lines of stdout; panics on a line that is not a JSON object with an `event`.
fn events(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            let value: Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON: {line:?}: {e}"));
            assert!(value["event"].is_string(), "no event in {line}");
            value
        })
        .collect()
}

fn find<'a>(events: &'a [Value], name: &str) -> Option<&'a Value> {
    events.iter().find(|e| e["event"] == name)
}

#[test]
fn connect_json_prints_encrypted_event() {
    let pki = TestPki::new("cli-ok", KeyKind::EcdsaP256);
    let server = openssl_s_server(
        &pki.server_cert,
        &pki.server_key,
        &["-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256"],
    );
    let port = server.port.to_string();
    let ca = pki.ca_pem.to_str().unwrap();
    let output = sslsocket(&[
        "connect",
        "127.0.0.1",
        &port,
        "--ca",
        ca,
        "--json",
        "--timeout",
        "1000",
        "--send",
        "hello from the cli\\n",
    ]);
    assert!(output.status.success(), "{}", describe(&output));
    let events = events(&output);
    let encrypted = find(&events, "encrypted").unwrap_or_else(|| panic!("{}", describe(&output)));
    assert_eq!(encrypted["protocol"], "TLSv1.3");
    assert_eq!(encrypted["cipher"], "TLS_AES_128_GCM_SHA256");
    assert_eq!(encrypted["peer-chain"], serde_json::json!([SERVER_SUBJECT]));
    assert!(
        find(&events, "connected").is_some(),
        "{}",
        describe(&output)
    );
    assert!(
        find(&events, "ssl-errors").is_none(),
        "{}",
        describe(&output)
    );
    assert!(find(&events, "error").is_none(), "{}", describe(&output));
    assert!(
        server.wait_for_output("hello from the cli", std::time::Duration::from_secs(5)),
        "{:?}",
        server.output()
    );
}

#[test]
fn connect_reads_to_the_end_of_the_stream_without_an_error() {
    // `openssl s_server -www` answers one request and closes: the normal end of a stream.
    let pki = TestPki::new("cli-www", KeyKind::EcdsaP256);
    let server = openssl_s_server(&pki.server_cert, &pki.server_key, &["-www"]);
    let port = server.port.to_string();
    let ca = pki.ca_pem.to_str().unwrap();
    let output = sslsocket(&[
        "connect",
        "localhost",
        &port,
        "--ca",
        ca,
        "--json",
        "--send",
        "GET / HTTP/1.0\\r\\n\\r\\n",
    ]);
    assert!(output.status.success(), "{}", describe(&output));
    let list = events(&output);
    let text: String = list
        .iter()
        .filter(|e| e["event"] == "data")
        .filter_map(|e| e["text"].as_str())
        .collect();
    assert!(text.starts_with("HTTP/1.0 200 ok"), "{}", describe(&output));
    assert!(find(&list, "error").is_none(), "{}", describe(&output));
    let position = |name: &str| list.iter().position(|e| e["event"] == name);
    assert!(
        position("end-of-stream").is_some() && position("end-of-stream") < position("disconnected"),
        "{}",
        describe(&output)
    );
}

#[test]
fn connect_json_self_signed_fails_unless_ignored() {
    let dir = TempDir::new("cli-self-signed");
    let rogue = testpki::self_signed("rogue.localhost", &["localhost", "127.0.0.1"]).unwrap();
    let cert = dir.write("rogue.pem", &rogue.cert_pem);
    let key = dir.write("rogue.key", &rogue.key_pem);
    let server = openssl_s_server(&cert, &key, &[]);
    let port = server.port.to_string();

    let output = sslsocket(&["connect", "localhost", &port, "--json", "--timeout", "1000"]);
    assert!(!output.status.success(), "{}", describe(&output));
    let list = events(&output);
    let errors = find(&list, "ssl-errors").unwrap_or_else(|| panic!("{}", describe(&output)));
    assert_eq!(
        errors["errors"][0]["error"],
        "self-signed-certificate",
        "{}",
        describe(&output)
    );
    assert_eq!(
        errors["errors"][0]["certificate"],
        "CN=rogue.localhost, O=sslsocket test"
    );
    assert!(find(&list, "encrypted").is_none());
    // The connection the handshake failed on is gone, but the event keeps its peer.
    let connected = find(&list, "connected").unwrap_or_else(|| panic!("{}", describe(&output)));
    assert_eq!(
        connected["peer-address"],
        "127.0.0.1",
        "{}",
        describe(&output)
    );
    assert_eq!(connected["peer-port"], server.port);
    let position = |name: &str| list.iter().position(|e| e["event"] == name);
    assert!(
        position("error") > position("ssl-errors"),
        "error after ssl-errors: {}",
        describe(&output)
    );

    let output = sslsocket(&[
        "connect",
        "localhost",
        &port,
        "--json",
        "--timeout",
        "1000",
        "--ignore-errors",
        "all",
    ]);
    assert!(output.status.success(), "{}", describe(&output));
    let list = events(&output);
    assert!(find(&list, "encrypted").is_some(), "{}", describe(&output));
    let ignored = find(&list, "ssl-errors").unwrap_or_else(|| panic!("{}", describe(&output)));
    assert_eq!(ignored["errors"][0]["error"], "self-signed-certificate");

    // A list of tolerated errors: accepted when it covers what was reported, refused otherwise.
    let output = sslsocket(&[
        "connect",
        "localhost",
        &port,
        "--json",
        "--timeout",
        "500",
        "--ignore-errors",
        "self-signed-certificate",
    ]);
    assert!(output.status.success(), "{}", describe(&output));
    let output = sslsocket(&[
        "connect",
        "localhost",
        &port,
        "--json",
        "--timeout",
        "500",
        "--ignore-errors",
        "host-name-mismatch",
    ]);
    assert!(!output.status.success(), "{}", describe(&output));
}

#[test]
fn connect_starttls_and_client_certificate() {
    let pki = TestPki::new("cli-starttls", KeyKind::EcdsaP256);
    let server = python_starttls_server(&pki.dir, &pki.server_cert, &pki.server_key);
    let port = server.port.to_string();
    let ca = pki.ca_pem.to_str().unwrap();
    let output = sslsocket(&[
        "connect",
        "localhost",
        &port,
        "--ca",
        ca,
        "--starttls",
        "--json",
        "--timeout",
        "1000",
        "--send",
        "echo me\\n",
    ]);
    assert!(output.status.success(), "{}", describe(&output));
    let list = events(&output);
    let plain: Vec<&Value> = list.iter().filter(|e| e["event"] == "plain-data").collect();
    assert_eq!(plain.len(), 2, "{}", describe(&output));
    assert_eq!(plain[0]["text"], "220 sslsocket-test ESMTP ready\r\n");
    assert!(find(&list, "encrypted").is_some(), "{}", describe(&output));
    assert_eq!(
        find(&list, "data").map(|d| d["text"].clone()),
        Some(Value::from("echo me\n")),
        "{}",
        describe(&output)
    );

    let ca_flag = pki.ca_pem.to_str().unwrap();
    let server = openssl_s_server(
        &pki.server_cert,
        &pki.server_key,
        &["-tls1_2", "-Verify", "1", "-CAfile", ca_flag],
    );
    let port = server.port.to_string();
    let cert = pki.client_cert.to_str().unwrap();
    let key = pki.client_key.to_str().unwrap();
    let output = sslsocket(&[
        "connect",
        "localhost",
        &port,
        "--ca",
        ca,
        "--cert",
        cert,
        "--key",
        key,
        "--json",
        "--timeout",
        "500",
    ]);
    assert!(output.status.success(), "{}", describe(&output));
    assert_eq!(
        find(&events(&output), "encrypted").unwrap()["protocol"],
        "TLSv1.2"
    );
    let output = sslsocket(&[
        "connect",
        "localhost",
        &port,
        "--ca",
        ca,
        "--json",
        "--timeout",
        "500",
    ]);
    assert!(
        !output.status.success(),
        "without a client certificate: {}",
        describe(&output)
    );
}

#[test]
fn demo_runs() {
    let output = sslsocket(&["demo", "--json"]);
    assert!(output.status.success(), "{}", describe(&output));
    let list = events(&output);
    let done = find(&list, "done").unwrap();
    assert_eq!(done["ok"], true);
    let echo = find(&list, "echo").unwrap();
    assert_eq!(echo["ok"], true);
}

/// The `ssl-errors` event of `connect --json` as (error, certificate subject) pairs.
fn cli_errors(output: &Output) -> Vec<(String, String)> {
    let list = events(output);
    let errors = find(&list, "ssl-errors").unwrap_or_else(|| panic!("{}", describe(output)));
    errors["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["error"].as_str().unwrap().to_owned(),
                e["certificate"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

/// What the library reports for the same server (a fresh session, default settings).
fn library_errors(host: &str, port: u16) -> Vec<(String, String)> {
    let mut session = session();
    let socket = session.new_socket().unwrap();
    let (result, _) = handshake(&mut session, socket, host, port);
    assert!(result.is_err(), "{result:?}");
    socket
        .ssl_error_report(&mut session)
        .unwrap()
        .into_iter()
        .map(|r| {
            (
                sslsocket_host::names::ssl_error(r.error).to_owned(),
                r.certificate.unwrap_or_default(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(e, c)| ((*e).to_owned(), (*c).to_owned()))
        .collect()
}

#[test]
fn connect_json_lists_the_same_errors_as_the_library() {
    use common::scenarios::{self, leaf_params, root};

    let dir = TempDir::new("cli-matrix");
    let names = ["localhost", "127.0.0.1"];
    let leaf_subject = scenarios::subject("leaf");

    // Scenario 4: a self-signed leaf.
    let leaf = scenarios::self_signed("leaf", &leaf_params("leaf", &names));
    let server = scenarios::serve(&dir, &leaf, &[], &[]);
    let port = server.port.to_string();
    let output = sslsocket(&["connect", "localhost", &port, "--json", "--timeout", "2000"]);
    assert!(!output.status.success(), "{}", describe(&output));
    let expected = pairs(&[("self-signed-certificate", &leaf_subject)]);
    assert_eq!(cli_errors(&output), expected, "{}", describe(&output));
    assert_eq!(library_errors("localhost", server.port), expected);

    // ... with --verify-mode none nothing is reported, with query the errors are listed.
    let output = sslsocket(&[
        "connect",
        "localhost",
        &port,
        "--json",
        "--timeout",
        "500",
        "--verify-mode",
        "none",
    ]);
    assert!(output.status.success(), "{}", describe(&output));
    assert!(
        find(&events(&output), "ssl-errors").is_none(),
        "{}",
        describe(&output)
    );
    let output = sslsocket(&[
        "connect",
        "localhost",
        &port,
        "--json",
        "--timeout",
        "500",
        "--verify-mode",
        "query",
    ]);
    assert!(output.status.success(), "{}", describe(&output));
    assert_eq!(cli_errors(&output), expected, "{}", describe(&output));
    let output = sslsocket(&["connect", "localhost", &port, "--verify-mode", "sometimes"]);
    assert!(!output.status.success(), "{}", describe(&output));
    drop(server);

    // Scenario 15: an expired leaf from an untrusted CA, sent alone.
    let other = root("other root");
    let mut params = leaf_params("leaf", &names);
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    let leaf = scenarios::issue("leaf", &params, &other);
    let server = scenarios::serve(&dir, &leaf, &[], &[]);
    let port = server.port.to_string();
    let output = sslsocket(&["connect", "localhost", &port, "--json", "--timeout", "2000"]);
    assert!(!output.status.success(), "{}", describe(&output));
    let expected = pairs(&[
        ("unable-to-get-local-issuer-certificate", &leaf_subject),
        ("unable-to-verify-first-certificate", &leaf_subject),
        ("certificate-expired", &leaf_subject),
    ]);
    assert_eq!(cli_errors(&output), expected, "{}", describe(&output));
    assert_eq!(library_errors("localhost", server.port), expected);

    // --ignore-errors with every reported error passes; one missing fails.
    let all = "unable-to-get-local-issuer-certificate,unable-to-verify-first-certificate,certificate-expired";
    let output = sslsocket(&[
        "connect",
        "localhost",
        &port,
        "--json",
        "--timeout",
        "500",
        "--ignore-errors",
        all,
    ]);
    assert!(output.status.success(), "{}", describe(&output));
    assert!(
        find(&events(&output), "encrypted").is_some(),
        "{}",
        describe(&output)
    );
    assert_eq!(cli_errors(&output), expected, "{}", describe(&output));
    let output = sslsocket(&[
        "connect",
        "localhost",
        &port,
        "--json",
        "--timeout",
        "500",
        "--ignore-errors",
        "unable-to-get-local-issuer-certificate,certificate-expired",
    ]);
    assert!(!output.status.success(), "{}", describe(&output));
    assert_eq!(cli_errors(&output), expected, "{}", describe(&output));
}

#[test]
fn connect_crl_reports_a_revoked_leaf() {
    use common::scenarios::{self, leaf_params, root};

    let dir = TempDir::new("cli-crl");
    let root1 = root("root1");
    let mut params = leaf_params("leaf", &["localhost"]);
    params.serial_number = Some(rcgen::SerialNumber::from(0x5ee1_u64));
    let leaf = scenarios::issue("leaf", &params, &root1);
    let server = scenarios::serve(&dir, &leaf, &[], &[]);
    let port = server.port.to_string();
    let ca = dir.write("root1.pem", root1.pem());
    let crl = dir.write("root1.crl", scenarios::crl_pem(&root1, &[0x5ee1]));
    let ca = ca.to_str().unwrap();
    let output = sslsocket(&[
        "connect",
        "localhost",
        &port,
        "--ca",
        ca,
        "--json",
        "--timeout",
        "500",
    ]);
    assert!(output.status.success(), "{}", describe(&output));
    let output = sslsocket(&[
        "connect",
        "localhost",
        &port,
        "--ca",
        ca,
        "--crl",
        crl.to_str().unwrap(),
        "--json",
        "--timeout",
        "500",
    ]);
    assert!(!output.status.success(), "{}", describe(&output));
    assert_eq!(
        cli_errors(&output),
        pairs(&[("certificate-revoked", &scenarios::subject("leaf"))]),
        "{}",
        describe(&output)
    );
    let bad = dir.write(
        "bad.crl",
        "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n",
    );
    let output = sslsocket(&[
        "connect",
        "localhost",
        &port,
        "--crl",
        bad.to_str().unwrap(),
        "--json",
    ]);
    assert!(!output.status.success(), "{}", describe(&output));
    assert_eq!(
        find(&events(&output), "error").map(|e| e["error"].clone()),
        Some(Value::from("invalid-input")),
        "{}",
        describe(&output)
    );
}

/// `serve --ocsp-response` staples what `openssl ocsp` made; `connect --ocsp` checks it and prints
/// it as an `ocsp` event; a revoked answer fails the connection with `certificate-revoked`.
#[test]
fn serve_staples_ocsp_and_connect_checks_it() {
    use common::scenarios::{self, OcspStatus, leaf_params, root};

    let dir = TempDir::new("cli-ocsp");
    let root1 = root("root1");
    let leaf = scenarios::issue("leaf", &leaf_params("leaf", &["localhost"]), &root1);
    let ca = dir.write("root1.pem", root1.pem());
    let cert = dir.write("leaf.pem", &leaf.cert_pem);
    let key = dir.write("leaf.key", &leaf.key_pem);
    for (status, wanted) in [(OcspStatus::Good, "good"), (OcspStatus::Revoked, "revoked")] {
        let der = scenarios::ocsp_response(
            &dir,
            root1.pem(),
            (root1.pem(), &root1.cert.key_pem),
            &leaf.cert_pem,
            status,
            &[],
        );
        let staple = dir.write("staple.der", der);
        let server = Serve::start(&[
            "--port",
            "0",
            "--cert",
            cert.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
            "--ocsp-response",
            staple.to_str().unwrap(),
            "--json",
            "--max-connections",
            "1",
        ]);
        let port = server.port.to_string();
        let output = sslsocket(&[
            "connect",
            "localhost",
            &port,
            "--ca",
            ca.to_str().unwrap(),
            "--ocsp",
            "--json",
            "--timeout",
            "2000",
        ]);
        let list = events(&output);
        let ocsp = find(&list, "ocsp").unwrap_or_else(|| panic!("{}", describe(&output)));
        assert_eq!(ocsp["status"], wanted, "{}", describe(&output));
        assert_eq!(ocsp["subject"], scenarios::subject("leaf"));
        assert_eq!(ocsp["responder"], scenarios::subject("root1"));
        if wanted == "good" {
            assert!(output.status.success(), "{}", describe(&output));
            assert_eq!(ocsp["revocation-reason"], "none");
        } else {
            assert!(!output.status.success(), "{}", describe(&output));
            assert_eq!(ocsp["revocation-reason"], "key-compromise");
            assert_eq!(
                cli_errors(&output),
                pairs(&[("certificate-revoked", &scenarios::subject("leaf"))]),
                "{}",
                describe(&output)
            );
        }
        drop(server);
    }
    let garbage = dir.write("garbage.der", b"not an OCSP response");
    let output = Command::new(env!("CARGO_BIN_EXE_sslsocket"))
        .args([
            "serve",
            "--port",
            "0",
            "--cert",
            cert.to_str().unwrap(),
            "--key",
        ])
        .arg(&key)
        .arg("--ocsp-response")
        .arg(&garbage)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        describe(&output).contains("not a DER OCSP response"),
        "{}",
        describe(&output)
    );
}

/// `openssl x509 -noout <flag>` on a PEM file, the value after `=`.
fn openssl_x509(file: &std::path::Path, flag: &[&str]) -> String {
    let output = Command::new("openssl")
        .arg("x509")
        .arg("-in")
        .arg(file)
        .arg("-noout")
        .args(flag)
        .output()
        .expect("openssl x509");
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    text.trim()
        .split_once('=')
        .map(|(_, v)| v.to_owned())
        .unwrap_or_default()
}

#[test]
fn cert_prints_certificate_details() {
    use common::scenarios::{self, ca_params, leaf_params, root, sub_ca};

    let dir = TempDir::new("cli-cert");
    let root1 = root("root1");
    let int = sub_ca(
        "int",
        ca_params(
            "int",
            rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained),
        ),
        &root1,
    );
    let mut params = leaf_params("leaf", &["localhost", "127.0.0.1"]);
    params.serial_number = Some(rcgen::SerialNumber::from(0x01_0203_u64));
    let leaf = scenarios::issue("leaf", &params, &int);
    let leaf_file = dir.write("leaf.pem", &leaf.cert_pem);
    let both = dir.write("both.pem", format!("{}{}", leaf.cert_pem, int.pem()));
    let der = dir.write("root.der", &root1.cert.cert_der);

    // JSON: one object per certificate.
    let output = sslsocket(&["cert", both.to_str().unwrap(), "--json"]);
    assert!(output.status.success(), "{}", describe(&output));
    let lines: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{}", describe(&output));
    let (l, i) = (&lines[0], &lines[1]);
    assert_eq!(l["subject"], "CN=leaf, O=sslsocket test");
    assert_eq!(l["issuer"], "CN=int, O=sslsocket test");
    assert_eq!(l["serial"], "01:02:03");
    assert_eq!(l["version"], "3");
    assert_eq!(l["not-before"], "2020-01-01T00:00:00Z");
    assert_eq!(l["not-after"], "2045-01-01T00:00:00Z");
    assert_eq!(l["expired"], false);
    assert_eq!(
        l["subject-alternative-names"],
        serde_json::json!(["DNS:localhost", "IP Address:127.0.0.1"])
    );
    assert_eq!(l["is-ca"], false);
    assert_eq!(l["self-signed"], false);
    assert_eq!(l["public-key-algorithm"], "ec");
    assert_eq!(l["public-key-bits"], 256);
    assert_eq!(
        l["sha256-fingerprint"],
        openssl_x509(&leaf_file, &["-fingerprint", "-sha256"]).as_str()
    );
    assert_eq!(
        l["sha1-fingerprint"],
        openssl_x509(&leaf_file, &["-fingerprint", "-sha1"]).as_str()
    );
    assert_eq!(i["subject"], "CN=int, O=sslsocket test");
    assert_eq!(i["is-ca"], true);
    assert_eq!(i["self-signed"], false);
    assert_eq!(i["index"], 1);

    // DER, one self-signed root.
    let output = sslsocket(&["cert", der.to_str().unwrap(), "--json"]);
    assert!(output.status.success(), "{}", describe(&output));
    let root_json: Value =
        serde_json::from_str(String::from_utf8_lossy(&output.stdout).trim()).unwrap();
    assert_eq!(root_json["subject"], "CN=root1, O=sslsocket test");
    assert_eq!(root_json["self-signed"], true);
    assert_eq!(root_json["is-ca"], true);

    // Text, like openssl x509 -text.
    let output = sslsocket(&["cert", leaf_file.to_str().unwrap()]);
    assert!(output.status.success(), "{}", describe(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    for needle in [
        "Subject: CN=leaf, O=sslsocket test",
        "Issuer: CN=int, O=sslsocket test",
        "Serial Number: 01:02:03",
        "Not Before: Jan  1 00:00:00 2020 GMT",
        "Not After : Jan  1 00:00:00 2045 GMT",
        "DNS:localhost, IP Address:127.0.0.1",
        "CA:FALSE",
        "Public-Key: (256 bit)",
    ] {
        assert!(text.contains(needle), "{needle:?} in {text}");
    }
    let sha256 = openssl_x509(&leaf_file, &["-fingerprint", "-sha256"]);
    assert!(
        text.contains(&format!("SHA256 Fingerprint={sha256}")),
        "{text}"
    );

    // Garbage and missing files fail cleanly.
    let garbage = dir.write("garbage.pem", "not a certificate\n");
    let output = sslsocket(&["cert", garbage.to_str().unwrap(), "--json"]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let error: Value =
        serde_json::from_str(String::from_utf8_lossy(&output.stdout).trim()).unwrap();
    assert_eq!(error["error"], "invalid-input");
    let output = sslsocket(&["cert", "/nonexistent/cert.pem"]);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
}

/// `serve --ticket-key-file`: separate processes given the same key resume each other's sessions
/// (one client instance, one session cache); another key gives a full handshake; a file holding
/// the previous key and the current one opens tickets under both (a bad file: see
/// `serve_refuses_bad_options`).
#[test]
fn serve_processes_sharing_a_ticket_key_resume_each_others_sessions() {
    let pki = TestPki::new("cli-tickets", KeyKind::EcdsaP256);
    let (old, new) = ([1u8; 48], [2u8; 48]);
    let old_file = pki.dir.write("old.key", old);
    let new_file = pki.dir.write("new.key", new);
    let rotated_file = pki.dir.write("rotated.key", [old, new].concat());
    let serve = |file: &std::path::Path| {
        Serve::with_pki(
            &pki,
            &[
                "--json",
                "--echo",
                "--ticket-key-file",
                file.to_str().unwrap(),
            ],
        )
    };
    let (a, b, other, rotated) = (
        serve(&old_file),
        serve(&old_file),
        serve(&new_file),
        serve(&rotated_file),
    );
    let mut session = session();
    let mut resumed = |port: u16| {
        let socket = socket_trusting(&mut session, &pki.ca.cert_pem);
        let (result, _) = handshake(&mut session, socket, "localhost", port);
        result.expect("handshake");
        // The echo comes after the server's tickets: once it is here, so are they.
        assert_eq!(round_trip(&mut session, socket, b"hi\n"), b"hi\n");
        let resumed = socket.session_resumed(&mut session).unwrap();
        socket.disconnect_from_host(&mut session).unwrap();
        resumed
    };
    assert!(!resumed(a.port), "the first connection is a full handshake");
    assert!(
        resumed(b.port),
        "another process with the same key opens A's ticket"
    );
    assert!(!resumed(other.port), "another key cannot");
    assert!(
        resumed(rotated.port),
        "a rotated server still opens tickets under the previous key"
    );
    assert!(
        resumed(other.port),
        "and its new tickets are sealed with the current key"
    );
}

/// A running `sslsocket serve --json ...`: its port (from the first line) and its stdout lines.
struct Serve {
    child: std::process::Child,
    port: u16,
    lines: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Serve {
    /// `sslsocket serve --port 0 --cert <server cert> --key <server key>`, then `args`.
    fn with_pki(pki: &TestPki, args: &[&str]) -> Self {
        Self::with_pki_and_env(pki, args, &[])
    }

    /// [`Serve::with_pki`] with environment variables set for the process.
    fn with_pki_and_env(pki: &TestPki, args: &[&str], env: &[(&str, &std::path::Path)]) -> Self {
        let identity = [
            "--port",
            "0",
            "--cert",
            pki.server_cert.to_str().unwrap(),
            "--key",
            pki.server_key.to_str().unwrap(),
        ];
        Self::start_with_env(&[&identity[..], args].concat(), env)
    }

    fn start(args: &[&str]) -> Self {
        Self::start_with_env(args, &[])
    }

    /// [`Serve::start`] with environment variables set for the process.
    fn start_with_env(args: &[&str], env: &[(&str, &std::path::Path)]) -> Self {
        use std::io::BufRead as _;
        let mut child = Command::new(env!("CARGO_BIN_EXE_sslsocket"))
            .envs(env.iter().copied())
            .arg("serve")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("run sslsocket serve");
        let stdout = child.stdout.take().unwrap();
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        {
            let lines = std::sync::Arc::clone(&lines);
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    let _ = tx.send(line.clone());
                    lines.lock().unwrap().push(line);
                }
            });
        }
        let first = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("serve prints the port first");
        let value: Value = serde_json::from_str(&first).unwrap();
        assert_eq!(value["event"], "listening", "{first}");
        assert_eq!(value["address"], "127.0.0.1");
        let port = u16::try_from(value["port"].as_u64().unwrap()).unwrap();
        assert_ne!(port, 0);
        Self { child, port, lines }
    }

    /// Waits for the process to exit (it does after --max-connections); its JSON events.
    fn finish(mut self) -> (std::process::ExitStatus, Vec<Value>) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if std::time::Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("serve did not exit: {:?}", self.lines.lock().unwrap());
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        std::thread::sleep(std::time::Duration::from_millis(50));
        let events = self
            .lines
            .lock()
            .unwrap()
            .iter()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
            .collect();
        (status, events)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `openssl s_client` with `input` on stdin, keeping stdin open until `until` shows up in
/// its output (or 10 s pass); returns the output.
fn s_client(port: u16, args: &[&str], input: &[u8], until: &str) -> String {
    let mut client = common::server::SClient::start(port, args);
    client.send(input);
    client.wait_for_output(until);
    client.finish()
}

#[test]
fn serve_www_answers_curl_and_s_client() {
    let pki = TestPki::new("cli-serve-www", KeyKind::EcdsaP256);
    let server = Serve::with_pki(&pki, &["--www", "--json", "--max-connections", "2"]);
    let port = server.port;
    let url = format!("https://localhost:{port}/");
    let curl = Command::new("curl")
        .args(["-sS", "--max-time", "20", "--cacert"])
        .arg(&pki.ca_pem)
        .arg("--resolve")
        .arg(format!("localhost:{port}:127.0.0.1"))
        .arg(&url)
        .output()
        .expect("curl");
    let page = String::from_utf8_lossy(&curl.stdout);
    assert!(
        curl.status.success(),
        "{page}{}",
        String::from_utf8_lossy(&curl.stderr)
    );
    assert!(page.contains("Protocol: TLSv1.3"), "{page}");
    assert!(page.contains("Request: GET / HTTP/1.1"), "{page}");

    let output = s_client(
        port,
        &[
            "-verify_return_error",
            "-CAfile",
            pki.ca_pem.to_str().unwrap(),
            "-servername",
            "localhost",
        ],
        b"GET / HTTP/1.0\r\n\r\n",
        "Client certificate:",
    );
    assert!(output.contains("Verify return code: 0 (ok)"), "{output}");
    assert!(output.contains("HTTP/1.0 200 OK"), "{output}");
    assert!(output.contains("Client certificate: (none)"), "{output}");

    let (status, events) = server.finish();
    assert!(status.success(), "{events:?}");
    let accepted: Vec<&Value> = events.iter().filter(|e| e["event"] == "accepted").collect();
    assert_eq!(accepted.len(), 2, "{events:?}");
    for a in &accepted {
        assert_eq!(a["protocol"], "TLSv1.3");
        assert!(a["cipher"].is_string());
        assert_eq!(a["resumed"], false);
        assert_eq!(a["client-certificate"], Value::Null);
        assert!(a["peer"].as_str().unwrap().starts_with("127.0.0.1:"));
    }
    let closed = events.iter().filter(|e| e["event"] == "closed").count();
    assert_eq!(closed, 2, "{events:?}");
    // The run ends with its summary line.
    let summary = events.last().unwrap();
    assert_eq!(summary["event"], "summary", "{events:?}");
    assert_eq!(summary["accepted"], 2, "{summary}");
    assert!(summary["bytes_received"].as_u64().unwrap() > 0, "{summary}");
}

#[test]
fn serve_echo_with_s_client_and_client_certificates() {
    let pki = TestPki::new("cli-serve-echo", KeyKind::EcdsaP256);
    let server = Serve::with_pki(
        &pki,
        &[
            "--ca",
            pki.ca_pem.to_str().unwrap(),
            "--verify-peer",
            "--alpn",
            "h2,http/1.1",
            "--echo",
            "--json",
            "--max-connections",
            "2",
        ],
    );
    let output = s_client(
        server.port,
        &[
            "-tls1_2",
            "-alpn",
            "http/1.1",
            "-CAfile",
            pki.ca_pem.to_str().unwrap(),
            "-cert",
            pki.client_cert.to_str().unwrap(),
            "-key",
            pki.client_key.to_str().unwrap(),
        ],
        b"hello echo\n",
        "hello echo",
    );
    assert!(output.contains("ALPN protocol: http/1.1"), "{output}");
    assert!(output.contains("hello echo"), "{output}");
    // Without a client certificate: refused.
    let refused = s_client(server.port, &["-tls1_2"], b"", "alert");
    assert!(refused.contains("alert"), "{refused}");

    let (status, events) = server.finish();
    assert!(status.success(), "{events:?}");
    let accepted = find(&events, "accepted").unwrap_or_else(|| panic!("{events:?}"));
    assert_eq!(accepted["protocol"], "TLSv1.2");
    assert_eq!(accepted["alpn"], "http/1.1");
    assert_eq!(accepted["client-certificate"], CLIENT_SUBJECT);
    let received = find(&events, "received").unwrap_or_else(|| panic!("{events:?}"));
    assert_eq!(received["bytes"], 11);
    let failed = find(&events, "handshake-failed").unwrap_or_else(|| panic!("{events:?}"));
    assert_eq!(failed["error"], "ssl-handshake-failed");
}

#[test]
fn serve_refuses_bad_options() {
    let pki = TestPki::new("cli-serve-bad", KeyKind::EcdsaP256);
    let short_key = pki.dir.write("short.key", [0u8; 47]);
    // A key that is no key, a ticket key file of the wrong size: an error line and exit code 1
    // before listening.
    let key = pki.server_key.to_str().unwrap();
    for (key, extra, message) in [
        (pki.ca_pem.to_str().unwrap(), None, ""),
        (
            key,
            Some(short_key.to_str().unwrap()),
            "one or two 48-byte keys",
        ),
    ] {
        let mut args = vec![
            "serve",
            "--port",
            "0",
            "--cert",
            pki.server_cert.to_str().unwrap(),
        ];
        args.extend(["--key", key, "--json"]);
        if let Some(file) = extra {
            args.extend(["--ticket-key-file", file]);
        }
        let output = sslsocket(&args);
        assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
        let list = events(&output);
        assert_eq!(list.len(), 1, "{}", describe(&output));
        assert_eq!(list[0]["event"], "error");
        assert!(
            list[0]["message"]
                .as_str()
                .unwrap_or_default()
                .contains(message),
            "{}",
            describe(&output)
        );
    }
}

#[test]
fn bench_smoke_reports_every_benchmark() {
    let output = sslsocket(&[
        "bench",
        "--mib",
        "1",
        "--handshakes",
        "3",
        "--connections",
        "40",
        "--primitives-ms",
        "20",
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let list = events(&output);
    let value = |bench: &str, client: &str, case_part: &str| -> f64 {
        let row = list
            .iter()
            .find(|e| {
                e["bench"] == bench
                    && e["client"] == client
                    && e["case"].as_str().is_some_and(|c| c.contains(case_part))
            })
            .unwrap_or_else(|| {
                panic!(
                    "no {bench} {client} row for {case_part} in {}",
                    describe(&output)
                )
            });
        row["value"].as_f64().expect("a numeric value")
    };
    for client in ["guest", "native"] {
        assert!(value("throughput", client, "TLS_AES_128_GCM_SHA256") > 0.0);
        assert!(value("throughput", client, "CHACHA20") > 0.0);
        assert!(value("throughput", client, "received") > 0.0);
        for case in [
            "client, ECDSA P-256, TLS 1.3, full",
            "client, ECDSA P-256, TLS 1.3, resumed",
            "server, ECDSA P-256",
        ] {
            assert!(value("handshakes", client, case) > 0.0, "{case}");
        }
    }
    // The upload over a connection the host made (adopt_tcp), beside the guest's own.
    assert!(value("throughput", "guest", "MiB, host connection") > 0.0);
    assert!(value("throughput", "ratio", "MiB, host connection") > 0.0);
    // The crypto primitives on their own: every one in the guest, natively, and their ratio.
    for case in [
        "AES-128-GCM seal",
        "AES-256-GCM seal",
        "ChaCha20-Poly1305 seal",
        "X25519 ECDHE",
        "P-256 ECDHE",
        "X25519MLKEM768",
        "ML-KEM-768",
        "ECDSA P-256 SHA-256 sign",
        "ECDSA P-256 SHA-256 verify",
        "RSA-2048 PKCS#1 v1.5 SHA-256 sign",
        "RSA-2048 PKCS#1 v1.5 SHA-256 verify",
        "RSA-2048 PSS SHA-256 sign",
        "RSA-2048 PSS SHA-256 verify",
    ] {
        for client in ["guest", "native", "ratio"] {
            assert!(value("primitives", client, case) > 0.0, "{client} {case}");
        }
    }
    assert!(value("workers", "guest", "full, 1 worker(s)") > 0.0);
    assert!(value("workers", "guest", "resumed across") > 0.0);
    assert!(value("workers", "ratio", "workers / 1") > 0.0);
    assert!(value("workers", "guest", "1 worker(s), workers' CPU") >= 0.0);
    assert!(value("cold-start", "guest", "instantiate") > 0.0);
    assert!(value("cold-start", "guest", "first encrypted byte") > 0.0);
    let per_connection = list
        .iter()
        .filter(|e| e["bench"] == "scale" && e["unit"] == "B/conn")
        .filter_map(|e| e["value"].as_f64())
        .collect::<Vec<_>>();
    assert_eq!(
        per_connection.len(),
        2,
        "client and server memory per connection"
    );
    assert!(
        per_connection.iter().all(|&v| v > 0.0),
        "{per_connection:?}"
    );
}

#[test]
fn compiled_component_is_cached_and_a_damaged_cache_is_replaced() {
    let dir = TempDir::new("component-cache");
    let run = || {
        let output = Command::new(env!("CARGO_BIN_EXE_sslsocket"))
            .args(["demo", "--json"])
            .env("SSLSOCKET_CACHE_DIR", dir.path())
            .env_remove("SSLSOCKET_CACHE")
            .stdin(Stdio::null())
            .output()
            .expect("run sslsocket");
        assert!(output.status.success(), "{}", describe(&output));
    };
    let cached = || -> Vec<std::path::PathBuf> {
        std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "cwasm"))
            .collect()
    };
    run();
    let files = cached();
    assert_eq!(files.len(), 1, "one compiled component: {files:?}");
    let compiled = std::fs::read(&files[0]).unwrap();
    assert!(compiled.len() > 1024);

    // A damaged file is not loaded: the component is compiled again and the file replaced.
    std::fs::write(&files[0], b"not machine code").unwrap();
    run();
    assert_eq!(cached(), files);
    assert_eq!(std::fs::read(&files[0]).unwrap().len(), compiled.len());
}

#[test]
fn serve_holds_many_clients_from_load() {
    // `sslsocket load` opens 300 connections from one instance, all open at once, and checks an
    // echo on each; `sslsocket serve --echo` answers them from another.
    const CONNECTIONS: &str = "300";
    let pki = TestPki::new("cli-serve-load", KeyKind::EcdsaP256);
    let server = Serve::with_pki(
        &pki,
        &[
            "--echo",
            "--json",
            "--backlog",
            "512",
            "--memory-mib",
            "256",
            "--max-connections",
            CONNECTIONS,
        ],
    );
    let output = sslsocket(&[
        "load",
        "--port",
        &server.port.to_string(),
        "--connections",
        CONNECTIONS,
        "--payload",
        "2048",
        "--ca-file",
        pki.ca_pem.to_str().unwrap(),
        "--json",
    ]);
    assert!(output.status.success(), "{}", describe(&output));
    let list = events(&output);
    let report = find(&list, "load").unwrap();
    assert_eq!(report["connections"], 300);
    assert!(report["memory_per_connection"].as_u64().unwrap() > 0);
    let (status, served) = server.finish();
    assert!(status.success());
    let accepted = served.iter().filter(|e| e["event"] == "accepted").count();
    assert_eq!(accepted, 300);
}

/// `cert` opens PKCS#12 bundles written by `openssl pkcs12 -export` (modern and `-legacy`):
/// the certificate with its private key, then the CA; a wrong passphrase is `invalid-input`.
#[test]
fn cert_reads_pkcs12_bundles() {
    let pki = TestPki::new("cli-p12", KeyKind::EcdsaP256);
    let pass_file = pki.dir.write("pass.txt", "s3cret\n");
    for (flags, name) in [(&[][..], "modern.p12"), (&["-legacy"][..], "legacy.pfx")] {
        let bundle = pki.pkcs12(flags, "pass:s3cret", name);
        let bundle = bundle.to_str().unwrap();

        let output = sslsocket(&["cert", bundle, "--passphrase", "s3cret", "--json"]);
        assert!(output.status.success(), "{}", describe(&output));
        let lines: Vec<Value> = String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2, "{}", describe(&output));
        assert_eq!(lines[0]["subject"], SERVER_SUBJECT);
        assert_eq!(lines[0]["pkcs12-role"], "certificate");
        assert_eq!(lines[0]["private-key-algorithm"], "ec");
        assert_eq!(lines[0]["private-key-bits"], 256);
        let extensions = lines[0]["extensions"].as_array().unwrap();
        assert!(
            extensions.iter().any(|e| e["name"] == "subjectAltName"
                && e["oid"] == "2.5.29.17"
                && e["critical"] == false),
            "{extensions:?}"
        );
        assert_eq!(lines[1]["subject"], CA_SUBJECT);
        assert_eq!(lines[1]["pkcs12-role"], "ca-certificate");

        let output = sslsocket(&["cert", bundle, "--passphrase-file", text(&pass_file)]);
        assert!(output.status.success(), "{}", describe(&output));
        let printed = String::from_utf8_lossy(&output.stdout);
        for needle in [
            "PKCS#12 bundle: a certificate, its private key (ec, 256 bit) and 1 CA certificate",
            "Certificate 1 of 2 (certificate):",
            "Certificate 2 of 2 (ca-certificate):",
            "Subject: CN=localhost, O=sslsocket test",
            "X509v3 extensions:",
            "subjectAltName: ",
        ] {
            assert!(printed.contains(needle), "{needle:?} in {printed}");
        }

        // A .p12 / .pfx name alone means a bundle (with an empty passphrase): wrong here.
        for args in [
            &["cert", bundle, "--json"][..],
            &["cert", bundle, "--passphrase", "wrong", "--json"],
        ] {
            let output = sslsocket(args);
            assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
            let error: Value =
                serde_json::from_str(String::from_utf8_lossy(&output.stdout).trim()).unwrap();
            assert_eq!(error["error"], "invalid-input", "{}", describe(&output));
            assert!(
                error["message"].as_str().unwrap().contains("passphrase"),
                "{}",
                describe(&output)
            );
        }
    }
}

/// `verify CHAIN --ca FILE --host NAME` lists the errors `connect` reports for a server sending
/// that chain, in the same order: expired leaf, wrong host, unknown CA, and a good chain.
#[test]
fn verify_lists_the_same_errors_as_a_connection() {
    use common::scenarios::{self, Cert, ca_params, leaf_params, root, sub_ca};

    let dir = TempDir::new("cli-verify");
    let names = ["localhost", "127.0.0.1"];
    let root1 = root("root1");
    let root_file = dir.write("root1.pem", root1.pem());
    let int = sub_ca(
        "int",
        ca_params(
            "int",
            rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained),
        ),
        &root1,
    );
    let good = scenarios::issue("leaf", &leaf_params("leaf", &names), &int);
    let mut params = leaf_params("leaf", &names);
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    let expired = scenarios::issue("leaf", &params, &int);
    let stranger = scenarios::issue("leaf", &leaf_params("leaf", &names), &root("stranger"));

    // (what, leaf, what the server sends after it, host to check, expected errors; empty:
    // verifies)
    let with_int: &[&Cert] = &[&int.cert];
    type Case<'a> = (&'a str, &'a Cert, &'a [&'a Cert], &'a str, &'a [&'a str]);
    let cases: [Case<'_>; 4] = [
        ("good", &good, with_int, "localhost", &[]),
        (
            "expired",
            &expired,
            with_int,
            "localhost",
            &["certificate-expired"],
        ),
        (
            "wrong host",
            &good,
            with_int,
            "wrong.example",
            &["host-name-mismatch"],
        ),
        (
            "unknown CA",
            &stranger,
            &[],
            "localhost",
            &[
                "unable-to-get-local-issuer-certificate",
                "unable-to-verify-first-certificate",
            ],
        ),
    ];
    for (what, leaf, sent, host, expected) in cases {
        let pems: String = std::iter::once(leaf)
            .chain(sent.iter().copied())
            .map(|c| c.cert_pem.as_str())
            .collect();
        let chain = dir.write("chain.pem", pems);
        let output = sslsocket(&[
            "verify",
            text(&chain),
            "--ca",
            text(&root_file),
            "--host",
            host,
            "--json",
        ]);
        assert_eq!(
            output.status.success(),
            expected.is_empty(),
            "{what}: {}",
            describe(&output)
        );
        let verdict: Value =
            serde_json::from_str(String::from_utf8_lossy(&output.stdout).trim()).unwrap();
        let verified: Vec<(String, String)> = verdict["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["error"].as_str().unwrap().to_owned(),
                    e["certificate"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect();
        let names: Vec<&str> = verified.iter().map(|(e, _)| e.as_str()).collect();
        assert_eq!(names, expected, "{what}: {}", describe(&output));

        // The same chain sent by a server: connect reports the same list.
        let server = scenarios::serve(&dir, leaf, sent, &[]);
        let port = server.port.to_string();
        let output = sslsocket(&[
            "connect",
            "localhost",
            &port,
            "--ca",
            text(&root_file),
            "--peer-verify-name",
            host,
            "--json",
            "--timeout",
            "2000",
        ]);
        if expected.is_empty() {
            assert!(output.status.success(), "{what}: {}", describe(&output));
        } else {
            assert_eq!(
                cli_errors(&output),
                verified,
                "{what}: {}",
                describe(&output)
            );
        }
    }

    // Text output names the errors; a missing chain file is a usage error (2).
    let chain = dir.write("chain.pem", format!("{}{}", expired.cert_pem, int.pem()));
    let output = sslsocket(&["verify", text(&chain), "--ca", text(&root_file)]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(
        out.contains(
            "certificate-expired: The certificate has expired [CN=leaf, O=sslsocket test]"
        ),
        "{out}"
    );
    assert!(out.contains("verification failed: 1 error"), "{out}");
    let output = sslsocket(&["verify", "/nonexistent/chain.pem"]);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
}

/// The key-log lines of a file, as a set.
fn key_log_lines(path: &std::path::Path) -> std::collections::BTreeSet<String> {
    common::key_log_lines(
        &std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
}

#[test]
fn connect_honours_sslkeylogfile_and_exports_keying_material_as_openssl_does() {
    let pki = TestPki::new("cli-keylog", KeyKind::EcdsaP256);
    let theirs = pki.dir.path().join("openssl.keys");
    let server = openssl_s_server(
        &pki.server_cert,
        &pki.server_key,
        &[
            "-keylogfile",
            theirs.to_str().unwrap(),
            "-keymatexport",
            "EXPERIMENTAL-cli",
            "-keymatexportlen",
            "24",
        ],
    );
    let ours = pki.dir.path().join("ours.keys");
    let output = Command::new(env!("CARGO_BIN_EXE_sslsocket"))
        .env("SSLKEYLOGFILE", &ours)
        .args([
            "connect",
            "localhost",
            &server.port.to_string(),
            "--ca",
            pki.ca_pem.to_str().unwrap(),
            "--json",
            "--timeout",
            "1000",
            "--keymatexport",
            "EXPERIMENTAL-cli",
            "--keymatexportlen",
            "24",
            "--send",
            "hi\\n",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        !stdout.contains("TRAFFIC_SECRET"),
        "secrets stay out of stdout: {stdout}"
    );
    let events = events(&output);
    let exported = find(&events, "keying-material").unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        server.wait_for_output("Keying material: ", std::time::Duration::from_secs(5)),
        "{:?}",
        server.output()
    );
    let openssl = server
        .output()
        .iter()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Keying material: ")
                .map(str::to_owned)
        })
        .unwrap();
    assert_eq!(exported["keying-material"], openssl.as_str());
    assert_eq!(key_log_lines(&ours), key_log_lines(&theirs));
    assert_eq!(key_log_lines(&ours).len(), 5, "the five TLS 1.3 secrets");
}

#[test]
fn serve_honours_sslkeylogfile() {
    let pki = TestPki::new("cli-serve-keylog", KeyKind::EcdsaP256);
    let ours = pki.dir.path().join("serve.keys");
    let server = Serve::with_pki_and_env(
        &pki,
        &["--echo", "--json", "--max-connections", "1"],
        &[("SSLKEYLOGFILE", &ours)],
    );
    let theirs = pki.dir.path().join("s_client.keys");
    let output = s_client(
        server.port,
        &[
            "-CAfile",
            pki.ca_pem.to_str().unwrap(),
            "-tls1_2",
            "-keylogfile",
            theirs.to_str().unwrap(),
        ],
        b"hello\n",
        "hello",
    );
    assert!(output.contains("Verify return code: 0 (ok)"), "{output}");
    let (status, events) = server.finish();
    assert!(status.success(), "{events:?}");
    assert_eq!(key_log_lines(&ours), key_log_lines(&theirs));
    assert_eq!(key_log_lines(&ours).len(), 1, "TLS 1.2: the master secret");
}
