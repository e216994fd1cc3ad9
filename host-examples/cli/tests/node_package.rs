//! The Node.js package (`host-examples/node`): its `node --test` suite (the `node:tls`-style API
//! in a worker thread against `openssl s_server` / `s_client`, Python's `ssl` and itself) run on
//! the component this binary embeds (`sslsocket component`, transpiled by jco); and its `npm pack`
//! tarball installed into an empty project on a PATH without cargo.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::process::{Command, Stdio};
use std::sync::Mutex;

use common::{KeyKind, TempDir, TestPki, openssl_s_server};
use sslsocket_testkit as common;
use support::*;

/// Both tests transpile into the package's `gen/`: one at a time.
static GEN: Mutex<()> = Mutex::new(());

#[test]
fn node_package_tests_pass() {
    let Some(node) = node_package() else { return };
    let _gen = GEN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let dir = TempDir::new("node-package");
    let component = component_file(dir.path());
    let output = Command::new("npm")
        .arg("test")
        .current_dir(node)
        .env("SSLSOCKET_COMPONENT", &component)
        .stdin(Stdio::null())
        .output()
        .expect("run npm test");
    let report = describe(&output);
    assert!(output.status.success(), "npm test failed:\n{report}");
    // The run ends with node:test's summary; a suite that ran nothing is a failure too.
    let stdout = String::from_utf8_lossy(&output.stdout);
    let passed = stdout
        .lines()
        .find_map(|l| l.trim_start_matches(['ℹ', '#', ' ']).strip_prefix("pass "))
        .and_then(|n| n.trim().parse::<u32>().ok());
    assert!(
        passed.is_some_and(|n| n > 0),
        "no passing Node test:\n{report}"
    );
    eprintln!("{stdout}");
}

#[test]
fn the_packed_tarball_installs_and_connects_in_an_empty_project_without_cargo() {
    let Some(node) = node_package() else { return };
    let dir = TempDir::new("node-tarball");
    let component = component_file(dir.path());
    let packed = {
        let _gen = GEN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // `prepack` transpiles the component it is given into gen/.
        Command::new("npm")
            .args(["pack", "--pack-destination"])
            .arg(dir.path())
            .current_dir(node)
            .env("SSLSOCKET_COMPONENT", &component)
            .stdin(Stdio::null())
            .output()
            .expect("run npm pack")
    };
    assert!(packed.status.success(), "{}", describe(&packed));
    let tarball = dir.path().join("sslsocket-0.1.0.tgz");
    assert!(tarball.exists(), "{}", describe(&packed));

    // A PATH with node and npm but no cargo: the package must not need the Rust toolchain.
    let path = "/usr/local/bin:/usr/bin:/bin";
    let node_bin = Command::new("sh")
        .args(["-c", "command -v node"])
        .env("PATH", path)
        .output()
        .unwrap();
    assert!(node_bin.status.success(), "node is not under {path}");
    let cargo = Command::new("sh")
        .args(["-c", "command -v cargo"])
        .env("PATH", path)
        .output()
        .unwrap();
    assert!(!cargo.status.success(), "cargo must not be on {path}");

    let project = dir.path().join("project");
    std::fs::create_dir(&project).unwrap();
    std::fs::write(
        project.join("package.json"),
        r#"{ "name": "tarball-check", "private": true, "type": "module" }"#,
    )
    .unwrap();
    // The package's one dependency comes from npm's cache where it can (`npm ci` filled it with
    // the tarball; the registry's metadata may still be fetched, as for `npm ci` itself).
    let install = Command::new("npm")
        .args(["install", "--prefer-offline", "--no-audit", "--no-fund"])
        .arg(&tarball)
        .current_dir(&project)
        .env("PATH", path)
        .stdin(Stdio::null())
        .output()
        .expect("run npm install");
    assert!(install.status.success(), "{}", describe(&install));
    let installed = project.join("node_modules/sslsocket");
    for file in [
        "gen/sslsocket.js",
        "gen/sslsocket.d.ts",
        "index.d.ts",
        "lib/raw.js",
    ] {
        assert!(
            installed.join(file).exists(),
            "{file} is not in the tarball"
        );
    }
    assert!(
        !installed.join("gen/sslsocket.wasm").exists(),
        "the component is shipped transpiled"
    );

    let pki = TestPki::new("node-tarball", KeyKind::EcdsaP256);
    let server = openssl_s_server(&pki.server_cert, &pki.server_key, &["-www"]);
    std::fs::write(project.join("check.mjs"), CHECK_SCRIPT).unwrap();
    let run = Command::new("node")
        .arg("check.mjs")
        .arg(server.port.to_string())
        .arg(&pki.ca_pem)
        .current_dir(&project)
        .env("PATH", path)
        .stdin(Stdio::null())
        .output()
        .expect("run node");
    let report = describe(&run);
    assert!(run.status.success(), "{report}");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("protocol TLSv1.3"), "{report}");
    assert!(stdout.contains("HTTP/1.0 200 ok"), "{report}");
    assert!(stdout.contains("raw true"), "{report}");
}

/// Connects with the installed package to `openssl s_server -www` on the port and CA file given,
/// prints the protocol and the answer; also loads `sslsocket/raw`.
const CHECK_SCRIPT: &str = r#"
import { connect } from 'sslsocket';
import { pki } from 'sslsocket/raw';
import { readFileSync } from 'node:fs';

const [port, caFile] = process.argv.slice(2);
const ca = readFileSync(caFile, 'utf8');
console.log('raw', typeof pki.Certificate.fromPem(ca).subject() === 'string');
const socket = connect({ host: 'localhost', port: Number(port), ca }, () => {
  console.log('protocol', socket.getProtocol());
  socket.write('GET / HTTP/1.0\r\n\r\n');
});
let answer = '';
socket.on('data', (data) => { answer += data; });
socket.on('end', () => { console.log(answer.split('\r\n')[0]); });
socket.on('error', (error) => { console.error(error); process.exitCode = 1; });
"#;
