//! [`Pollable`]: a `wasi:io` pollable handed out by a `subscribe` method.

use wasmtime::component::Resource;
use wasmtime_wasi::p2::DynPollable;
use wasmtime_wasi::p2::bindings::sync::io::poll::HostPollable as _;

use crate::Session;

/// A `wasi:io` pollable returned by a `subscribe` method, owned by the host. Wait on several at
/// once with [`Session::poll`]; drop it with [`Pollable::drop`] (before the socket or server it
/// came from).
#[derive(Debug)]
pub struct Pollable(pub Resource<DynPollable>);

impl Pollable {
    /// Drops the pollable.
    pub fn drop(self, session: &mut Session) -> wasmtime::Result<()> {
        session.store.data_mut().table.drop(self.0)
    }
}
