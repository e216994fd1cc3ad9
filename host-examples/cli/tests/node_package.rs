//! The Node.js package (`host-examples/node`): its `node --test` suite (the `node:tls`-style API
//! in a worker thread against `openssl s_server` / `s_client`, Python's `ssl` and itself) run on
//! the component this binary embeds (`sslsocket component`, transpiled by jco).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::process::{Command, Stdio};

use common::TempDir;
use sslsocket_testkit as common;
use support::*;

#[test]
fn node_package_tests_pass() {
    let Some(node) = node_package() else { return };
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
