//! Builds the crypto provider's `primitives` example (`crates/sslsocket-crypto/examples/`) for
//! `wasm32-wasip2`, for the guest rows of `sslsocket bench`'s `primitives` group, and copies it
//! into `OUT_DIR`; `SSLSOCKET_PRIMITIVES_COMPONENT` (set for rustc) names the copy, which the
//! binary embeds.
//!
//! As host-examples/rust/build.rs does for the sslsocket guest: a nested `cargo build --release
//! --target wasm32-wasip2 -p sslsocket-crypto --features bench --example primitives` on the
//! workspace manifest, in a target directory of its own (`$CARGO_TARGET_DIR/primitives`, or
//! `<workspace>/target/primitives`) so that it never waits on the outer cargo's lock, with the
//! guest's flags: WebAssembly SIMD (`+simd128`, or `SSLSOCKET_GUEST_FEATURES`) and 32-bit
//! RustCrypto words (`--cfg cpubits="32"`). So the guest rows measure the provider as the shipped
//! component runs it.
//!
//! `SSLSOCKET_PRIMITIVES_WASM=/path/primitives.wasm` skips the nested build and embeds that file;
//! `SSLSOCKET_PRIMITIVES_WASM=` (empty) skips it and embeds nothing: `sslsocket bench` then
//! prints the native rows of the group only.

use std::env;
use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Environment variables of the outer build that must not reach the nested cargo (the list of
/// host-examples/rust/build.rs).
const LEAKY_VARS: &[&str] = &[
    "CARGO_ENCODED_RUSTFLAGS",
    "RUSTFLAGS",
    "CARGO_ENCODED_RUSTDOCFLAGS",
    "RUSTDOCFLAGS",
    "CARGO_BUILD_TARGET",
    "CARGO_BUILD_TARGET_DIR",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_RUSTFLAGS",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_MANIFEST_DIR",
    "CARGO_MANIFEST_PATH",
    "CARGO_MANIFEST_LINKS",
    "CARGO_CRATE_NAME",
    "CARGO_PKG_NAME",
    "RUSTC_WORKSPACE_WRAPPER",
    "CLIPPY_ARGS",
    "CLIPPY_CONF_DIR",
    "TARGET",
    "HOST",
    "OUT_DIR",
    "OPT_LEVEL",
    "PROFILE",
    "DEBUG",
    "NUM_JOBS",
    "RUSTC_LINKER",
    "CARGO_LLVM_COV",
    "LLVM_PROFILE_FILE",
];

/// Prefixes of per-package variables cargo sets for this build script.
const LEAKY_PREFIXES: &[&str] = &["CARGO_CFG_", "CARGO_FEATURE_", "CARGO_PKG_", "DEP_"];

/// The guest's WebAssembly features by default (as host-examples/rust/build.rs).
const DEFAULT_GUEST_FEATURES: &str = "+simd128";

/// The guest's other flags (as host-examples/rust/build.rs): 32-bit RustCrypto words.
const GUEST_CFG: &[&str] = &["--cfg", "cpubits=\"32\""];

/// The override: a `.wasm` file to embed, or empty to embed nothing.
const OVERRIDE: &str = "SSLSOCKET_PRIMITIVES_WASM";

fn main() -> Result<(), String> {
    println!("cargo:rerun-if-env-changed={OVERRIDE}");
    println!("cargo:rerun-if-env-changed=SSLSOCKET_GUEST_FEATURES");
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    let dest = out_dir.join("primitives.wasm");
    println!(
        "cargo:rustc-env=SSLSOCKET_PRIMITIVES_COMPONENT={}",
        dest.display()
    );

    if let Some(path) = env::var_os(OVERRIDE) {
        if path.is_empty() {
            return write_if_changed(&dest, &[]);
        }
        let path = PathBuf::from(path);
        println!("cargo:rerun-if-changed={}", path.display());
        let bytes = fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        return write_if_changed(&dest, &bytes);
    }

    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").ok_or("no CARGO_MANIFEST_DIR")?);
    let workspace = manifest_dir.join("../..");
    let crypto = workspace.join("crates").join("sslsocket-crypto");
    for watched in ["src", "examples", "testdata", "Cargo.toml"] {
        println!("cargo:rerun-if-changed={}", crypto.join(watched).display());
    }
    for watched in ["Cargo.toml", "Cargo.lock"] {
        println!(
            "cargo:rerun-if-changed={}",
            workspace.join(watched).display()
        );
    }
    let target_dir = match env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir).join("primitives"),
        None => workspace.join("target").join("primitives"),
    };
    build_example(&workspace, &target_dir)?;
    let built = target_dir
        .join("wasm32-wasip2")
        .join("release")
        .join("examples")
        .join("primitives.wasm");
    let bytes = fs::read(&built).map_err(|e| format!("cannot read {}: {e}", built.display()))?;
    write_if_changed(&dest, &bytes)
}

/// Runs the nested cargo build of the example; its output goes to this script's stderr, which
/// cargo shows when the build fails.
fn build_example(workspace: &Path, target_dir: &Path) -> Result<(), String> {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut command = Command::new(cargo);
    command
        .args(["build", "--release", "--target", "wasm32-wasip2"])
        .args(["-p", "sslsocket-crypto", "--features", "bench"])
        .args(["--example", "primitives"])
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target_dir)
        .current_dir(workspace)
        .stdin(Stdio::null())
        .stdout(Stdio::from(io::stderr()))
        .stderr(Stdio::from(io::stderr()));
    for (name, _) in env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        if LEAKY_VARS.contains(&name) || LEAKY_PREFIXES.iter().any(|p| name.starts_with(p)) {
            command.env_remove(name);
        }
    }
    let features =
        env::var("SSLSOCKET_GUEST_FEATURES").unwrap_or_else(|_| DEFAULT_GUEST_FEATURES.to_owned());
    let mut rustflags = vec![format!("-Ctarget-feature={features}")];
    rustflags.extend(GUEST_CFG.iter().map(|f| (*f).to_owned()));
    command.env("CARGO_ENCODED_RUSTFLAGS", rustflags.join("\x1f"));
    let status = command
        .status()
        .map_err(|e| format!("cannot run cargo to build the primitives example: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "building the crypto provider's primitives example for wasm32-wasip2 failed ({status}); \
             see the cargo output above (is the target installed? `rustup target add \
             wasm32-wasip2`). Set {OVERRIDE}=/path/to/primitives.wasm to embed a prebuilt one, or \
             {OVERRIDE}= (empty) to build without the guest rows of `bench`'s primitives group."
        ))
    }
}

/// Writes `bytes` to `dest`, only when the content changed (so rustc reruns only then).
fn write_if_changed(dest: &Path, bytes: &[u8]) -> Result<(), String> {
    if fs::read(dest).ok().as_deref() == Some(bytes) {
        return Ok(());
    }
    fs::write(dest, bytes).map_err(|e| format!("cannot write {}: {e}", dest.display()))
}
