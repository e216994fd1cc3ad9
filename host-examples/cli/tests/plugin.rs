//! The example plugin `host-examples/tls-get` (a WASI command that imports `sslsocket:tls`),
//! composed with the sslsocket component by `sslsocket plug`, run by our Rust host
//! (`sslsocket run`, the wasmtime crate's command world) and by `jco run` (Node), against
//! `openssl s_server -www` on 127.0.0.1.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::process::{Command, Output, Stdio};

use common::*;
use sslsocket_testkit as common;
use support::*;

#[test]
fn the_composed_plugin_imports_only_wasi() {
    let dir = TempDir::new("plug-imports");
    let (composed, printed) = composed_tls_get(dir.path());
    let imports: Vec<&str> = printed
        .split_once("imports ")
        .map(|(_, list)| list.split_whitespace().collect())
        .unwrap_or_default();
    assert!(imports.contains(&"wasi:sockets/tcp@0.2.12"), "{printed}");
    assert!(
        imports.iter().all(|name| name.starts_with("wasi:")),
        "{printed}"
    );
    let bytes = std::fs::read(&composed).unwrap();
    assert!(bytes.len() > std::fs::metadata(tls_get_wasm()).unwrap().len() as usize);

    // The plugin alone cannot run: its sslsocket:tls imports are unsatisfied.
    let alone = sslsocket(&["run", text(tls_get_wasm()), "https://127.0.0.1:1/"]);
    assert!(!alone.status.success());
    assert!(
        String::from_utf8_lossy(&alone.stderr).contains("sslsocket plug"),
        "{}",
        describe(&alone)
    );
}

#[test]
fn plug_refuses_what_is_not_a_plugin() {
    let dir = TempDir::new("plug-bad");
    let garbage = dir.write("garbage.wasm", b"\0asm\x01\0\0\0 not a component");
    let out = dir.path().join("out.wasm");
    let output = sslsocket(&["plug", text(&garbage), "--out", text(&out)]);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot compose"));
    assert!(!out.exists());

    // The sslsocket component itself imports no sslsocket:tls interface: nothing to plug.
    let component = component_file(dir.path());
    let output = sslsocket(&["plug", text(&component), "--out", text(&out)]);
    assert!(!output.status.success(), "{}", describe(&output));
}

#[test]
fn tls_get_in_the_rust_host_verifies_and_prints_the_session() {
    let pki = TestPki::new("plug-rust-host", KeyKind::EcdsaP256);
    let server = openssl_s_server(&pki.server_cert, &pki.server_key, &["-www"]);
    let dir = TempDir::new("plug-rust-host-out");
    let (composed, _) = composed_tls_get(dir.path());
    let url = format!("https://localhost:{}/", server.port);
    let output = sslsocket_run(&composed, &pki, &["--cafile", text(&pki.ca_pem), &url]);
    assert_fetched(&output, "TLSv1.3");

    // Without the CA the handshake fails and the plugin says why.
    let output = sslsocket_run(&composed, &pki, &[&url]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("ssl error: unable-to-get-local-issuer-certificate"),
        "{}",
        describe(&output)
    );
    assert!(!stdout.contains("status:"), "{stdout}");
}

#[test]
fn tls_get_under_jco_run_verifies_and_prints_the_session() {
    let Some(node) = node_package() else { return };
    let pki = TestPki::new("plug-jco", KeyKind::EcdsaP256);
    let server = openssl_s_server(&pki.server_cert, &pki.server_key, &["-www", "-tls1_2"]);
    let dir = TempDir::new("plug-jco-out");
    let (composed, _) = composed_tls_get(dir.path());
    let url = format!("https://127.0.0.1:{}/", server.port);
    // jco 1.35's `run` preopens no directory: the --jco-import module preopens the PKI's.
    let output = Command::new(node.join("node_modules/.bin/jco"))
        .arg("run")
        .arg("--jco-import")
        .arg(node.join("scripts/jco-run-preopens.mjs"))
        .arg(&composed)
        .arg("--cafile")
        .arg(&pki.ca_pem)
        .arg(&url)
        .env("JCO_RUN_PREOPENS", pki.dir.path())
        .stdin(Stdio::null())
        .output()
        .expect("run jco");
    assert_fetched(&output, "TLSv1.2");
}

/// `sslsocket run --dir <pki dir> COMPOSED ARGS...`.
fn sslsocket_run(composed: &std::path::Path, pki: &TestPki, args: &[&str]) -> Output {
    let mut all: Vec<&str> = vec!["run", "--dir", text(pki.dir.path()), text(composed)];
    all.extend_from_slice(args);
    sslsocket(&all)
}

/// The plugin printed a verified session with `protocol` and the `-www` page's status line.
fn assert_fetched(output: &Output, protocol: &str) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", describe(output));
    assert!(
        stdout.contains(&format!("protocol: {protocol}\n")),
        "{stdout}"
    );
    assert!(stdout.contains("cipher: "), "{stdout}");
    assert!(
        stdout.contains(&format!("  0 subject: {SERVER_SUBJECT}\n")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("    issuer: {CA_SUBJECT}\n")),
        "{stdout}"
    );
    assert!(stdout.contains("status: HTTP/1.0 200 ok\n"), "{stdout}");
    assert!(!stdout.contains("ssl error"), "{stdout}");
}
