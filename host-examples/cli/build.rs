//! Builds the crypto provider's `primitives` example (`crates/sslsocket-crypto/examples/`) for
//! `wasm32-wasip2`, for the guest rows of `sslsocket bench`'s `primitives` group, and copies it
//! into `OUT_DIR`; `SSLSOCKET_PRIMITIVES_COMPONENT` (set for rustc) names the copy, which the
//! binary embeds.
//!
//! As host-examples/rust/build.rs does for the sslsocket guest (the `sslsocket-guest-build`
//! crate): a nested `cargo build --release --target wasm32-wasip2 -p sslsocket-crypto --features
//! bench --example primitives` in a target directory of its own (`$CARGO_TARGET_DIR/primitives`),
//! with the guest's flags, so the guest rows measure the provider as the shipped component runs
//! it.
//!
//! `SSLSOCKET_PRIMITIVES_WASM=/path/primitives.wasm` skips the nested build and embeds that file;
//! `SSLSOCKET_PRIMITIVES_WASM=` (empty) skips it and embeds nothing: `sslsocket bench` then
//! prints the native rows of the group only.

use std::env;
use std::fs;
use std::path::PathBuf;

use sslsocket_guest_build::{GuestBuild, copy_if_changed, write_if_changed};

/// The override: a `.wasm` file to embed, or empty to embed nothing.
const OVERRIDE: &str = "SSLSOCKET_PRIMITIVES_WASM";

fn main() -> Result<(), String> {
    println!("cargo:rerun-if-env-changed={OVERRIDE}");
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
    let target_dir = GuestBuild {
        args: &[
            "-p",
            "sslsocket-crypto",
            "--features",
            "bench",
            "--example",
            "primitives",
        ],
        target_dir_name: "primitives",
        what: "the crypto provider's primitives example",
        override_var: OVERRIDE,
    }
    .run(&workspace)?;
    copy_if_changed(
        &target_dir
            .join("wasm32-wasip2")
            .join("release")
            .join("examples")
            .join("primitives.wasm"),
        &dest,
    )
}
