//! The `sslsocket` command line against real peers on 127.0.0.1.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../../../tests/common/mod.rs"]
mod common;

use std::process::{Command, Output, Stdio};

use common::*;
use serde_json::Value;
use sslsocket_host::testpki;

fn sslsocket(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sslsocket"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run sslsocket")
}

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

fn describe(output: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
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
