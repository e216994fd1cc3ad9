//! sslsocket: Qt's `QSslSocket`, rebuilt as a WebAssembly component.
//!
//! The crate has three floors, each using only the ones below it (and the crypto provider,
//! `sslsocket-crypto`, a crate of its own under all of them):
//!
//! - [`pki`] and [`transport`]: certificates and keys (`QSslCertificate`, `QSslKey`: parse,
//!   inspect, encode), and transports for the engine (`wasi:sockets` or streams the caller
//!   handed over inside the component, `std::net` natively, memory connections in both) with
//!   their own error type. Neither knows the engine.
//! - [`engine`]: `QSslSocket`'s behaviour over rustls, with no WASI in it, driven through the
//!   [`transport::Transport`] trait. It runs natively in unit tests and benchmarks and inside the
//!   component alike; its own floors are listed in its docs.
//! - On `wasm32` with the `component` feature (the default), the `component` module: the thin
//!   wit-bindgen adapter that exports the WIT interface in `wit/` (`sslsocket:tls`), WIT types
//!   to engine types and back. Without the feature the crate is the engine as a library (the
//!   `wasi:tls` provider, `crates/sslsocket-wasi-tls`, uses it so).
//!
//! Under all of them, `byte_queue`: taking bytes out of a `VecDeque<u8>` a slice at a time.
//!
//! `ARCHITECTURE.md` at the repository root draws the whole house.
#![deny(unsafe_code)]
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod byte_queue;
pub mod engine;
pub mod pki;
pub mod transport;

#[cfg(all(target_arch = "wasm32", feature = "component"))]
mod component;

/// The generated bindings of the `sslsocket` world: the one place allowed to use `unsafe`.
#[cfg(all(target_arch = "wasm32", feature = "component"))]
#[allow(unsafe_code, missing_docs, clippy::all)]
mod bindings {
    wit_bindgen::generate!({
        path: "wit",
        world: "sslsocket",
        with: {
            "wasi:io/poll@0.2.12": wasip2::io::poll,
            "wasi:io/streams@0.2.12": wasip2::io::streams,
            "wasi:io/error@0.2.12": wasip2::io::error,
        },
    });
}
