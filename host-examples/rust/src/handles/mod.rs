//! Typed handles to the component's resources (`ssl-socket`, `ssl-server`, `certificate`,
//! `key`, pollables), their methods, and plain-data reports of what they hold; and, in
//! `functions.rs`, the WIT's constructors, static functions and free functions as `Session`
//! methods.
//!
//! One file per resource. Together they cover the whole exported WIT: the `coverage` test fails
//! when a WIT function has no method here.

/// Declares handle methods that forward to the generated `call_*` functions of the `via` API.
macro_rules! forward {
    (via $api:ident; $( $(#[$doc:meta])* fn $name:ident => $call:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty; )*) => {
        $(
            $(#[$doc])*
            pub fn $name(&self, session: &mut Session $(, $arg: $ty)*) -> wasmtime::Result<$ret> {
                let (api, store) = session.$api();
                api.$call(store, self.0 $(, $arg)*)
            }
        )*
    };
}

mod certificate;
#[cfg(test)]
mod coverage;
mod functions;
mod key;
mod pkcs12_bundle;
mod pollable;
mod reports;
mod ssl_configuration;
mod ssl_server;
mod ssl_socket;
mod streams;
mod tcp_streams;

pub use certificate::Certificate;
pub use key::Key;
pub use pkcs12_bundle::Pkcs12Bundle;
pub use pollable::Pollable;
pub use reports::{OcspReport, SslErrorReport};
pub use ssl_configuration::SslConfiguration;
pub use ssl_server::SslServer;
pub use ssl_socket::SslSocket;
