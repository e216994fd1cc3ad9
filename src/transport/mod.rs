//! TCP for the engine. The engine drives a [`Transport`] without knowing what is under it:
//! `wasi:sockets` streams inside the component ([`wasi`]), `std::net` natively ([`std`]).

#[cfg(not(target_arch = "wasm32"))]
pub mod std;
#[cfg(target_arch = "wasm32")]
pub mod wasi;

use ::std::io;
use ::std::net::SocketAddr;
use ::std::time::Duration;

use crate::engine::SocketError;

/// How far an outgoing connection has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectProgress {
    /// Still resolving the host name.
    HostLookup,
    /// Resolved; the TCP connection is being established.
    Connecting,
    /// Connected.
    Connected,
}

/// What a blocked caller waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Interest {
    /// Data (or end of stream) to read.
    pub readable: bool,
    /// Room to write.
    pub writable: bool,
}

/// A non-blocking TCP connection.
pub trait Transport: Sized {
    /// Starts connecting to `host:port`. Returns at once where the platform allows.
    ///
    /// # Errors
    /// The socket error that prevents even starting, e.g. `SocketAccess`.
    fn connect(host: &str, port: u16) -> Result<Self, SocketError>;

    /// Advances an outgoing connection without blocking.
    ///
    /// # Errors
    /// `HostNotFound`, `ConnectionRefused`, `SocketAccess`, `Network`...
    fn poll_connect(&mut self) -> Result<ConnectProgress, SocketError>;

    /// Reads without blocking: `Ok(0)` is the end of the stream, `WouldBlock` means nothing yet.
    ///
    /// # Errors
    /// `WouldBlock`, or the I/O error.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize>;

    /// Writes without blocking; `WouldBlock` means no room yet.
    ///
    /// # Errors
    /// `WouldBlock`, or the I/O error.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize>;

    /// Blocks until the connection may make progress on `interest` (or the connect step
    /// advances), or `timeout` passes. Spurious wake-ups are allowed.
    fn wait(&mut self, interest: Interest, timeout: Option<Duration>);

    /// Flushes what was written, within `timeout`, and closes the connection.
    fn shutdown(&mut self, timeout: Duration);

    /// The peer's address, once connected.
    fn peer_addr(&self) -> Option<SocketAddr>;

    /// The local address, once connected.
    fn local_addr(&self) -> Option<SocketAddr>;
}
