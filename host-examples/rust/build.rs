//! Builds the `sslsocket` guest component and copies it into `OUT_DIR` for `include_bytes!`.
//!
//! The guest is built by a nested `cargo build --release --target wasm32-wasip2 -p sslsocket` on
//! the workspace manifest, in its own target directory (`$CARGO_TARGET_DIR/guest`, or
//! `<workspace>/target/guest`) so that it never waits on the outer cargo's build-directory lock.
//! It is built with WebAssembly SIMD (`+simd128`; `SSLSOCKET_GUEST_FEATURES` changes the list) and
//! 32-bit RustCrypto words (`--cfg cpubits="32"`). Setting `SSLSOCKET_COMPONENT` to a `.wasm`
//! file skips the nested build and embeds that file.

use std::env;
use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Environment variables of the outer build that must not reach the nested cargo.
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

/// The WebAssembly features the guest is compiled for by default: those every current wasmtime
/// (and browser) enables without configuration.
const DEFAULT_GUEST_FEATURES: &str = "+simd128";

/// Other flags of the guest build. `cpubits="32"` makes the RustCrypto arithmetic crates
/// (`crypto-bigint`, `p256`/`p384` field code, `aes`, `polyval`) use 32-bit words: wasm32 has
/// no 64x64->128 multiply, so their default 64-bit words on wasm32 cost emulated 128-bit
/// products. Measured in BENCHMARKS.md: full ECDSA client handshakes 6.2 -> 5.4 ms, RSA-2048
/// server handshakes 22 -> 13 ms.
const GUEST_CFG: &[&str] = &["--cfg", "cpubits=\"32\""];

/// Prefixes of per-package variables cargo sets for this build script.
const LEAKY_PREFIXES: &[&str] = &["CARGO_CFG_", "CARGO_FEATURE_", "CARGO_PKG_", "DEP_"];

fn main() -> Result<(), String> {
    println!("cargo:rerun-if-env-changed=SSLSOCKET_COMPONENT");
    println!("cargo:rerun-if-env-changed=SSLSOCKET_GUEST_FEATURES");
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    let dest = out_dir.join("sslsocket.wasm");

    if let Some(path) = env::var_os("SSLSOCKET_COMPONENT") {
        let path = PathBuf::from(path);
        println!("cargo:rerun-if-changed={}", path.display());
        return copy(&path, &dest);
    }

    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").ok_or("no CARGO_MANIFEST_DIR")?);
    let workspace = manifest_dir.join("../..");
    for watched in ["src", "crates", "wit", "Cargo.toml", "Cargo.lock"] {
        println!(
            "cargo:rerun-if-changed={}",
            workspace.join(watched).display()
        );
    }
    let target_dir = match env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir).join("guest"),
        None => workspace.join("target").join("guest"),
    };
    build_guest(&workspace, &target_dir)?;
    copy(
        &target_dir
            .join("wasm32-wasip2")
            .join("release")
            .join("sslsocket.wasm"),
        &dest,
    )
}

/// Makes sure the Rust standard library for `wasm32-wasip2` is installed, before the long build
/// starts: with rustup, installs it (`rustup target add wasm32-wasip2`, as rustup does not do it
/// by itself everywhere); without rustup, stops at once with the fix.
fn ensure_wasm_target(workspace: &Path) -> Result<(), String> {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| OsString::from("rustc"));
    let libdir = Command::new(&rustc)
        .args(["--print", "target-libdir", "--target", "wasm32-wasip2"])
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    if libdir.is_some_and(|dir| has_core(&dir)) {
        return Ok(());
    }
    let added = Command::new("rustup")
        .args(["target", "add", "wasm32-wasip2"])
        .current_dir(workspace)
        .stdin(Stdio::null())
        .stdout(Stdio::from(io::stderr()))
        .stderr(Stdio::from(io::stderr()))
        .status();
    match added {
        Ok(status) if status.success() => {
            println!(
                "cargo:warning=installed the wasm32-wasip2 target (rustup target add wasm32-wasip2)"
            );
            Ok(())
        }
        Ok(status) => Err(format!(
            "the wasm32-wasip2 target is missing and `rustup target add wasm32-wasip2` failed ({status})"
        )),
        Err(_) => Err(
            "the wasm32-wasip2 target is missing and rustup is not available: install the Rust \
             standard library for wasm32-wasip2 (with rustup: `rustup target add wasm32-wasip2`)"
                .to_owned(),
        ),
    }
}

/// Whether a target library directory holds `libcore`.
fn has_core(dir: &Path) -> bool {
    fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("libcore-"))
    })
}

/// Runs the nested cargo build of the guest; its output goes to this script's stderr, which cargo
/// shows when the build fails.
fn build_guest(workspace: &Path, target_dir: &Path) -> Result<(), String> {
    ensure_wasm_target(workspace)?;
    let cargo = env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut command = Command::new(cargo);
    command
        .arg("build")
        .arg("--release")
        .arg("--target")
        .arg("wasm32-wasip2")
        .arg("-p")
        .arg("sslsocket")
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
    // WebAssembly SIMD lets LLVM vectorise the pure-Rust crypto (measured in BENCHMARKS.md);
    // every wasmtime enables it by default. `SSLSOCKET_GUEST_FEATURES` replaces the list, e.g.
    // `+simd128,+wide-arithmetic` for hosts that enable the wide-arithmetic proposal (wasmtime:
    // `Config::wasm_wide_arithmetic`, which this host does); with 32-bit words it no longer
    // measurably helps (BENCHMARKS.md).
    let features =
        env::var("SSLSOCKET_GUEST_FEATURES").unwrap_or_else(|_| DEFAULT_GUEST_FEATURES.to_owned());
    let mut rustflags = vec![format!("-Ctarget-feature={features}")];
    rustflags.extend(GUEST_CFG.iter().map(|f| (*f).to_owned()));
    command.env("CARGO_ENCODED_RUSTFLAGS", rustflags.join("\x1f"));
    let status = command
        .status()
        .map_err(|e| format!("cannot run cargo to build the sslsocket guest component: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "building the sslsocket guest component failed ({status}); see the cargo output above. \
             Set SSLSOCKET_COMPONENT=/path/to/sslsocket.wasm to embed a prebuilt component."
        ))
    }
}

/// Copies the component to `dest`, replacing it only when the content changed.
fn copy(src: &Path, dest: &Path) -> Result<(), String> {
    let bytes = fs::read(src).map_err(|e| format!("cannot read {}: {e}", src.display()))?;
    if fs::read(dest).ok().as_deref() == Some(bytes.as_slice()) {
        return Ok(());
    }
    fs::write(dest, &bytes).map_err(|e| format!("cannot write {}: {e}", dest.display()))
}
