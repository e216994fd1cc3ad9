//! Build-script support of the sslsocket workspace: builds a package of the workspace for
//! `wasm32-wasip2` with the sslsocket guest's flags, as host-examples/rust/build.rs does for the
//! component and host-examples/cli/build.rs for the provider's `primitives` example.
//!
//! The build is a nested `cargo build --release --target wasm32-wasip2` on the workspace
//! manifest, in a target directory of its own (`$CARGO_TARGET_DIR/<name>`, or
//! `<workspace>/target/<name>`), so that it never waits on the outer cargo's build-directory
//! lock; the outer build's environment does not leak into it. The guest's flags: WebAssembly SIMD
//! (`+simd128`; `SSLSOCKET_GUEST_FEATURES` replaces the list) and 32-bit RustCrypto words
//! (`--cfg cpubits="32"`).
#![warn(unused_crate_dependencies)]

use std::env;
use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The WebAssembly features the guest is compiled for by default: those every current wasmtime
/// (and browser) enables without configuration. `SSLSOCKET_GUEST_FEATURES` replaces the list,
/// e.g. `-simd128` for hosts without SIMD. `+wide-arithmetic` is refused: see
/// [`MISCOMPILED_FEATURES`].
pub const DEFAULT_GUEST_FEATURES: &str = "+simd128";

/// Target features the pinned toolchain miscompiles, with the reason; `GuestBuild::run` refuses
/// them. LLVM's WebAssembly stackifier reads a local before the multi-result instruction that
/// sets it (`i64.mul_wide_u`, `i64.add128`), so code using 128-bit arithmetic computes wrong
/// values: llvm/llvm-project#199910 and #98323, fixed by #200429 (June 2026), which rustc 1.95's
/// LLVM lacks. Seen here: with `+wide-arithmetic` and LTO, `format!("{}", 548998.43f64)` prints
/// garbage in wasmtime, and the float formatting of core traps on its own assertion. Crypto
/// arithmetic is 128-bit arithmetic, so the guest is not built this way until the toolchain has
/// the fix.
pub const MISCOMPILED_FEATURES: &[(&str, &str)] = &[(
    "+wide-arithmetic",
    "rustc 1.95's LLVM miscompiles multi-result instructions such as i64.mul_wide_u \
     (llvm/llvm-project#199910, fixed by #200429): the guest's arithmetic would compute wrong values",
)];

/// Other flags of the guest build. `cpubits="32"` makes the RustCrypto arithmetic crates
/// (`crypto-bigint`, `p256`/`p384` field code, `aes`, `polyval`) use 32-bit words: wasm32 has
/// no 64x64->128 multiply, so their default 64-bit words on wasm32 cost emulated 128-bit
/// products. Measured in BENCHMARKS.md: full ECDSA client handshakes 6.2 -> 5.4 ms, RSA-2048
/// server handshakes 22 -> 13 ms.
pub const GUEST_CFG: &[&str] = &["--cfg", "cpubits=\"32\""];

/// A nested build of a workspace package for the guest.
pub struct GuestBuild<'a> {
    /// What to build, after `cargo build --release --target wasm32-wasip2`: e.g.
    /// `["-p", "sslsocket"]`.
    pub args: &'a [&'a str],
    /// The name of its target directory under `$CARGO_TARGET_DIR` (or `<workspace>/target`).
    pub target_dir_name: &'a str,
    /// What is built, for error messages (e.g. "the sslsocket guest component").
    pub what: &'a str,
    /// The environment variable that skips the build with a prebuilt file, for error messages.
    pub override_var: &'a str,
}

impl GuestBuild<'_> {
    /// Builds into the target directory and returns it (the artifacts are under
    /// `wasm32-wasip2/release/`). The nested cargo's output goes to this build script's stderr,
    /// which cargo shows when the build fails.
    ///
    /// # Errors
    /// The wasm32-wasip2 target cannot be installed, cargo cannot run, or the build failed; the
    /// message says what to do.
    pub fn run(&self, workspace: &Path) -> Result<PathBuf, String> {
        println!("cargo:rerun-if-env-changed=SSLSOCKET_GUEST_FEATURES");
        let targets = match env::var_os("CARGO_TARGET_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => workspace.join("target"),
        };
        ensure_wasm_target(workspace, &targets)?;
        let target_dir = targets.join(self.target_dir_name);
        let cargo = env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
        let mut command = Command::new(cargo);
        command
            .args(["build", "--release", "--target", "wasm32-wasip2"])
            .args(self.args)
            .arg("--manifest-path")
            .arg(workspace.join("Cargo.toml"))
            .arg("--target-dir")
            .arg(&target_dir)
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
        let features = env::var("SSLSOCKET_GUEST_FEATURES")
            .unwrap_or_else(|_| DEFAULT_GUEST_FEATURES.to_owned());
        if let Some((feature, why)) = miscompiled_feature(&features) {
            return Err(format!(
                "SSLSOCKET_GUEST_FEATURES={features}: {feature} is refused: {why}"
            ));
        }
        let mut rustflags = vec![format!("-Ctarget-feature={features}")];
        rustflags.extend(GUEST_CFG.iter().map(|f| (*f).to_owned()));
        command.env("CARGO_ENCODED_RUSTFLAGS", rustflags.join("\x1f"));
        let what = self.what;
        let status = command
            .status()
            .map_err(|e| format!("cannot run cargo to build {what}: {e}"))?;
        if status.success() {
            Ok(target_dir)
        } else {
            Err(format!(
                "building {what} for wasm32-wasip2 failed ({status}); see the cargo output above. \
                 Set {}=/path/to/file.wasm to embed a prebuilt one.",
                self.override_var
            ))
        }
    }
}

/// The first of [`MISCOMPILED_FEATURES`] that a `-Ctarget-feature` list turns on, with its reason.
fn miscompiled_feature(features: &str) -> Option<(&'static str, &'static str)> {
    MISCOMPILED_FEATURES
        .iter()
        .find(|(feature, _)| features.split(',').any(|f| f.trim() == *feature))
        .copied()
}

/// Writes `bytes` to `dest`, only when the content changed (so rustc reruns only then).
///
/// # Errors
/// `dest` cannot be written.
pub fn write_if_changed(dest: &Path, bytes: &[u8]) -> Result<(), String> {
    if fs::read(dest).ok().as_deref() == Some(bytes) {
        return Ok(());
    }
    fs::write(dest, bytes).map_err(|e| format!("cannot write {}: {e}", dest.display()))
}

/// Copies `src` to `dest`, replacing it only when the content changed.
///
/// # Errors
/// `src` cannot be read or `dest` written.
pub fn copy_if_changed(src: &Path, dest: &Path) -> Result<(), String> {
    let bytes = fs::read(src).map_err(|e| format!("cannot read {}: {e}", src.display()))?;
    write_if_changed(dest, &bytes)
}

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

/// Prefixes of per-package variables cargo sets for a build script.
const LEAKY_PREFIXES: &[&str] = &["CARGO_CFG_", "CARGO_FEATURE_", "CARGO_PKG_", "DEP_"];

/// Makes sure the Rust standard library for `wasm32-wasip2` is installed, before the long build
/// starts: with rustup, installs it (`rustup target add wasm32-wasip2`, as rustup does not do it
/// by itself everywhere); without rustup, stops at once with the fix. Build scripts running at
/// the same time take turns (a lock file in `targets`): two `rustup target add` at once
/// conflict.
fn ensure_wasm_target(workspace: &Path, targets: &Path) -> Result<(), String> {
    fs::create_dir_all(targets).map_err(|e| format!("cannot create {}: {e}", targets.display()))?;
    let lock_path = targets.join("wasm32-wasip2-install.lock");
    let lock = fs::File::create(&lock_path)
        .map_err(|e| format!("cannot create {}: {e}", lock_path.display()))?;
    lock.lock()
        .map_err(|e| format!("cannot lock {}: {e}", lock_path.display()))?;
    // The lock is released when `lock` is dropped, at the end of this function.
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

#[cfg(test)]
mod tests {
    use super::miscompiled_feature;

    #[test]
    fn wide_arithmetic_is_refused_wherever_it_is_in_the_list() {
        assert_eq!(miscompiled_feature("+simd128"), None);
        assert_eq!(miscompiled_feature("-simd128"), None);
        assert_eq!(miscompiled_feature("+simd128,-wide-arithmetic"), None);
        for list in [
            "+wide-arithmetic",
            "+simd128,+wide-arithmetic",
            "+simd128, +wide-arithmetic",
        ] {
            assert_eq!(
                miscompiled_feature(list).map(|(feature, _)| feature),
                Some("+wide-arithmetic"),
                "{list}"
            );
        }
    }
}
