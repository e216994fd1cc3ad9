//! sslsocket: Qt's `QSslSocket`, rebuilt as a WebAssembly component.
//!
//! The crate has three parts:
//!
//! - [`pki`]: certificates and keys (`QSslCertificate`, `QSslKey`): parse, inspect, encode.
//! - [`engine`]: `QSslSocket`'s behaviour over rustls, with no WASI in it, driven through the
//!   [`transport::Transport`] trait. It runs natively in unit tests and benchmarks and inside the
//!   component alike.
//! - [`transport`]: TCP for the engine: `wasi:sockets` inside the component, `std::net` natively.
//!
//! `pki` and `engine` both stand on [`sslsocket_crypto`] (`crates/sslsocket-crypto`), a crate of
//! its own: the pure-Rust rustls crypto provider on the RustCrypto crates (cipher suites, key
//! exchange, signatures, keys, randomness) and the policy on top of it (AEAD suites only, no
//! SHA-1 or MD5 signatures, RSA key sizes).
//!
//! On `wasm32`, the `component` module is the thin wit-bindgen adapter that exports the WIT
//! interface in `wit/` (`sslsocket:tls`).
#![deny(unsafe_code)]

pub mod engine;
pub mod pki;
pub mod transport;

#[cfg(target_arch = "wasm32")]
mod component;

/// The generated bindings of the `sslsocket` world: the one place allowed to use `unsafe`.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code, missing_docs, clippy::all)]
mod bindings {
    wit_bindgen::generate!({
        path: "wit",
        world: "sslsocket",
        with: {
            "wasi:io/poll@0.2.12": wasip2::io::poll,
        },
    });
}
