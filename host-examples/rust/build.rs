//! Builds the `sslsocket` guest component and copies it into `OUT_DIR` for `include_bytes!`.
//!
//! The guest is built by a nested `cargo build --release --target wasm32-wasip2 -p sslsocket` on
//! the workspace manifest, in its own target directory (`$CARGO_TARGET_DIR/guest`, or
//! `<workspace>/target/guest`), with the guest's flags (WebAssembly SIMD, 32-bit RustCrypto
//! words): see the `sslsocket-guest-build` crate. Setting `SSLSOCKET_COMPONENT` to a `.wasm`
//! file skips the nested build and embeds that file.

use std::env;
use std::path::PathBuf;

use sslsocket_guest_build::{GuestBuild, copy_if_changed};

fn main() -> Result<(), String> {
    println!("cargo:rerun-if-env-changed=SSLSOCKET_COMPONENT");
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    let dest = out_dir.join("sslsocket.wasm");

    if let Some(path) = env::var_os("SSLSOCKET_COMPONENT") {
        let path = PathBuf::from(path);
        println!("cargo:rerun-if-changed={}", path.display());
        return copy_if_changed(&path, &dest);
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
    let target_dir = GuestBuild {
        args: &["-p", "sslsocket"],
        target_dir_name: "guest",
        what: "the sslsocket guest component",
        override_var: "SSLSOCKET_COMPONENT",
    }
    .run(&workspace)?;
    copy_if_changed(
        &target_dir
            .join("wasm32-wasip2")
            .join("release")
            .join("sslsocket.wasm"),
        &dest,
    )
}
