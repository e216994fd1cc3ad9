//! The cargo-fuzz targets of `fuzz/` (certificate/key/CRL parsing, the engine as TLS server and
//! client fed arbitrary bytes, arbitrary sequences of socket and server calls), each run for a
//! bounded time from its seeds (`fuzz/seeds/<target>`, which also hold every crash found and
//! fixed): any panic or sanitizer report fails the test with libFuzzer's output.
//!
//! Needs the nightly toolchain and cargo-fuzz (`scripts/test` installs cargo-fuzz); without them the
//! test is skipped, except under `CI=true`, where it fails. `SSLSOCKET_FUZZ_SECONDS` sets the time
//! per target (default 12). Longer runs: see `fuzz/README.md`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const TARGETS: &[&str] = &["pki_parse", "tls_server", "tls_client", "api_calls"];

#[test]
fn fuzz_targets_find_no_crash() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fuzz = workspace.join("fuzz");
    if !cargo_fuzz_available(&fuzz) {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "cargo +nightly fuzz is not available (install the nightly toolchain and \
             `cargo install cargo-fuzz --locked`)"
        );
        eprintln!("skipped: cargo +nightly fuzz is not available");
        return;
    }
    let seconds: u32 = std::env::var("SSLSOCKET_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(12);
    // A target directory of its own: the nested cargo never waits on the outer build's lock.
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace.join("target"))
        .join("fuzz");
    for target in TARGETS {
        let corpus =
            std::env::temp_dir().join(format!("sslsocket-fuzz-{}-{target}", std::process::id()));
        std::fs::create_dir_all(&corpus).unwrap();
        let output = Command::new("cargo")
            .args(["+nightly", "fuzz", "run", target])
            .arg(&corpus)
            .arg(fuzz.join("seeds").join(target))
            .args([
                "--",
                &format!("-max_total_time={seconds}"),
                "-rss_limit_mb=2048",
                "-timeout=20",
            ])
            .current_dir(&fuzz)
            .env("CARGO_TARGET_DIR", &target_dir)
            .env_remove("RUSTFLAGS")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let _ = std::fs::remove_dir_all(&corpus);
        let log = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = log.lines().rev().take(60).collect();
        assert!(
            output.status.success(),
            "fuzz target {target} failed (the crashing input is under fuzz/artifacts/{target}):\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
        let runs = log
            .lines()
            .find_map(|l| {
                l.strip_prefix("Done ")?
                    .split_whitespace()
                    .next()?
                    .parse::<u64>()
                    .ok()
            })
            .unwrap_or(0);
        println!("{target}: {runs} runs in {seconds} s, no crash");
        assert!(runs > 0, "{target}: libFuzzer reported no runs:\n{log}");
    }
}

fn cargo_fuzz_available(fuzz: &Path) -> bool {
    Command::new("cargo")
        .args(["+nightly", "fuzz", "--version"])
        .current_dir(fuzz)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
