//! Builds the guests this crate embeds: the `wasi:tls` provider (`sslsocket-wasi-tls`, the engine
//! behind `wasi:tls@0.3.0-draft`) and the test command (`wasi-tls-client`, a WASI 0.3 command
//! importing `wasi:tls`) with nested `cargo build --release --target wasm32-wasip2` runs in
//! `$CARGO_TARGET_DIR/guest-wasi-tls` (see the `sslsocket-guest-build` crate), and the command
//! again with its `settings` feature (`wasi_tls_client_settings.wasm`). Setting
//! `SSLSOCKET_WASI_TLS_GUESTS` to a directory holding the three `.wasm` files skips the builds.

use std::env;
use std::path::PathBuf;

use sslsocket_guest_build::{GuestBuild, copy_if_changed};

fn main() -> Result<(), String> {
    println!("cargo:rerun-if-env-changed=SSLSOCKET_WASI_TLS_GUESTS");
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    if let Some(dir) = env::var_os("SSLSOCKET_WASI_TLS_GUESTS") {
        return copy_guests(&PathBuf::from(dir), &out_dir);
    }
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").ok_or("no CARGO_MANIFEST_DIR")?);
    let workspace = manifest_dir.join("../..");
    for watched in [
        "src",
        "crates",
        "host-examples/wasi-tls/client",
        "Cargo.toml",
        "Cargo.lock",
    ] {
        println!(
            "cargo:rerun-if-changed={}",
            workspace.join(watched).display()
        );
    }
    let target_dir = GuestBuild {
        args: &["-p", "sslsocket-wasi-tls", "-p", "wasi-tls-client"],
        target_dir_name: "guest-wasi-tls",
        what: "the wasi:tls provider and test command",
        override_var: "SSLSOCKET_WASI_TLS_GUESTS",
    }
    .run(&workspace)?;
    let release = target_dir.join("wasm32-wasip2").join("release");
    // The command with the `settings` feature: the same artifact name, so its own directory.
    let settings_dir = GuestBuild {
        args: &["-p", "wasi-tls-client", "--features", "settings"],
        target_dir_name: "guest-wasi-tls-settings",
        what: "the wasi:tls test command with sslsocket's settings",
        override_var: "SSLSOCKET_WASI_TLS_GUESTS",
    }
    .run(&workspace)?;
    copy_if_changed(
        &settings_dir.join("wasm32-wasip2/release/wasi_tls_client.wasm"),
        &release.join("wasi_tls_client_settings.wasm"),
    )?;
    copy_guests(&release, &out_dir)
}

fn copy_guests(from: &std::path::Path, to: &std::path::Path) -> Result<(), String> {
    for file in GUESTS {
        println!("cargo:rerun-if-changed={}", from.join(file).display());
        copy_if_changed(&from.join(file), &to.join(file))?;
    }
    Ok(())
}

/// The guests embedded: the provider, the test command, and the command with settings.
const GUESTS: [&str; 3] = [
    "sslsocket_wasi_tls.wasm",
    "wasi_tls_client.wasm",
    "wasi_tls_client_settings.wasm",
];
