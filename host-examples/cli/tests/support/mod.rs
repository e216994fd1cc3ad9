//! Helpers of the CLI's tests: running the `sslsocket` binary, and what needs other toolchains
//! than cargo's host target: the `tls-get` plugin built for `wasm32-wasip2`, and the Node
//! package (`host-examples/node`, npm, jco).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The target directory of this build (`CARGO_TARGET_DIR`, else `<workspace>/target`).
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"))
}

/// Runs the `sslsocket` binary under test.
pub fn sslsocket(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sslsocket"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run sslsocket")
}

/// A path as a command-line argument (the tests' temporary paths are UTF-8).
pub fn text(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// Status, stdout and stderr of `output`, for assertion messages.
pub fn describe(output: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// `host-examples/tls-get` built for `wasm32-wasip2` (release), once per test process. The nested
/// cargo has a target directory of its own, so it never waits on the outer build's lock.
pub fn tls_get_wasm() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let target = target_dir().join("plugin");
        let output = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .args([
                "build",
                "--release",
                "--target",
                "wasm32-wasip2",
                "-p",
                "tls-get",
            ])
            .arg("--manifest-path")
            .arg(workspace().join("Cargo.toml"))
            .env("CARGO_TARGET_DIR", &target)
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .stdin(Stdio::null())
            .output()
            .expect("run cargo");
        assert!(
            output.status.success(),
            "cannot build tls-get:\n{}",
            describe(&output)
        );
        target.join("wasm32-wasip2/release/tls-get.wasm")
    })
}

/// `sslsocket component --out dir/sslsocket.wasm`: the embedded component; returns its path.
pub fn component_file(dir: &Path) -> PathBuf {
    let out = dir.join("sslsocket.wasm");
    let written = sslsocket(&["component", "--out", text(&out)]);
    assert!(written.status.success(), "{}", describe(&written));
    out
}

/// `sslsocket plug` of [`tls_get_wasm`] into `dir/tls-get.wasm`; returns its path and what
/// `plug` printed.
pub fn composed_tls_get(dir: &Path) -> (PathBuf, String) {
    let out = dir.join("tls-get.wasm");
    let output = sslsocket(&["plug", text(tls_get_wasm()), "--out", text(&out)]);
    assert!(
        output.status.success(),
        "plug failed:\n{}",
        describe(&output)
    );
    (out, String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The Node package's directory with its dependencies installed (`npm ci` when `node_modules` is
/// missing or older than `package-lock.json`), or `None` (the test is then skipped) when Node or
/// npm is missing. Under `CI=true` a missing tool fails instead.
pub fn node_package() -> Option<&'static Path> {
    static READY: OnceLock<Option<PathBuf>> = OnceLock::new();
    READY
        .get_or_init(|| {
            let dir = workspace().join("host-examples/node");
            for tool in ["node", "npm"] {
                let found = Command::new(tool)
                    .arg("--version")
                    .stdout(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success());
                if !found {
                    assert!(
                        std::env::var("CI").as_deref() != Ok("true"),
                        "{tool} is not installed (scripts/test names the command that installs Node.js and npm)"
                    );
                    eprintln!("skipped: {tool} is not installed");
                    return None;
                }
            }
            if !installed(&dir) {
                let output = Command::new("npm")
                    .args(["ci", "--no-audit", "--no-fund"])
                    .current_dir(&dir)
                    .stdin(Stdio::null())
                    .output()
                    .expect("run npm");
                assert!(
                    output.status.success(),
                    "npm ci failed:\n{}",
                    describe(&output)
                );
            }
            Some(dir)
        })
        .as_deref()
}

/// Whether `node_modules` was installed from the current `package-lock.json`.
fn installed(dir: &Path) -> bool {
    let modified = |p: PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    match (
        modified(dir.join("node_modules/.package-lock.json")),
        modified(dir.join("package-lock.json")),
    ) {
        (Some(installed), Some(lock)) => installed >= lock,
        _ => false,
    }
}
