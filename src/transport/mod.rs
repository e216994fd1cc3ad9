//! Transports for the engine. The engine drives a [`Transport`] without knowing what is under it:
//! `wasi:sockets` streams, or streams the caller handed over, inside the component (the `wasi`
//! module, built for wasm32 only), `std::net` natively (the `std` module, built natively only),
//! and in both a memory connection the caller moves (`memory`), chosen per socket by [`Carrier`].

mod carrier;
mod error;
pub mod memory;
mod options;
#[cfg(not(target_arch = "wasm32"))]
pub mod std;
#[cfg(target_arch = "wasm32")]
pub mod wasi;

pub use carrier::{Carrier, CarrierListener};
pub use error::TransportError;
pub use options::SocketOption;

use ::std::io;
use ::std::net::SocketAddr;
use ::std::time::Duration;

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
    /// The listening socket that accepts connections of this kind.
    type Listener: Listener<Transport = Self>;
    /// Something to wait on, for waiting on many connections at once.
    type Pollable;

    /// Starts connecting to `host:port`. Returns at once where the platform allows.
    ///
    /// # Errors
    /// What prevents even starting, e.g. [`TransportError::AccessDenied`].
    fn connect(host: &str, port: u16) -> Result<Self, TransportError>;

    /// Advances an outgoing connection without blocking.
    ///
    /// # Errors
    /// `HostNotFound`, `ConnectionRefused`, `AccessDenied`, `Network`...
    fn poll_connect(&mut self) -> Result<ConnectProgress, TransportError>;

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

    /// Whether [`Transport::wait`] can bring progress. `false` for a connection only the caller
    /// moves (memory mode): nothing arrives while it waits, so a blocking call returns at once.
    fn can_wait(&self) -> bool {
        true
    }

    /// What to wait on for `interest` (with [`Transport::wait_any`]); `None` when there is
    /// nothing to wait for.
    fn pollable(&self, interest: Interest) -> Option<Self::Pollable>;

    /// Blocks until one of `pollables` is ready or `timeout` passes.
    fn wait_any(pollables: &[Self::Pollable], timeout: Option<Duration>);

    /// Flushes what was written, within `timeout`, and closes the connection.
    fn shutdown(&mut self, timeout: Duration);

    /// Half-closes a plain connection without blocking: once everything written has left,
    /// shuts down the sending direction (TCP FIN) and keeps the receiving one open. Returns whether it
    /// is done; `false` means "call again when writable".
    ///
    /// # Errors
    /// The connection failed or is not connected.
    fn shutdown_write(&mut self) -> io::Result<bool>;

    /// The peer's address, once connected.
    fn peer_addr(&self) -> Option<SocketAddr>;

    /// The local address, once connected.
    fn local_addr(&self) -> Option<SocketAddr>;

    /// Sets a socket option (`value` checked by [`SocketOption::check`] first).
    ///
    /// # Errors
    /// `Unsupported` where the connection has no socket to set it on (memory mode, streams the
    /// caller brought) or the platform lacks it; `InvalidInput` for a value it refuses.
    fn set_option(&mut self, option: SocketOption, value: u64) -> Result<(), TransportError> {
        let _ = (option, value);
        Err(TransportError::Unsupported)
    }

    /// A socket option's value now.
    ///
    /// # Errors
    /// As [`Transport::set_option`].
    fn option(&self, option: SocketOption) -> Result<u64, TransportError> {
        let _ = option;
        Err(TransportError::Unsupported)
    }
}

/// A non-blocking listening TCP socket.
pub trait Listener: Sized {
    /// The connections it accepts.
    type Transport: Transport<Listener = Self>;

    /// Binds to `address:port` (port 0 picks one) and listens with room for `backlog`
    /// connections waiting to be accepted.
    ///
    /// # Errors
    /// `AddressInUse`, `AccessDenied`, `AddressNotAvailable`, `InvalidInput`...
    fn listen(address: &str, port: u16, backlog: u32) -> Result<Self, TransportError>;

    /// Accepts one waiting connection without blocking; `None` when there is none.
    ///
    /// # Errors
    /// The accept error (the listener stays usable).
    fn accept(&mut self) -> Result<Option<Self::Transport>, TransportError>;

    /// What to wait on for a new connection.
    fn pollable(&self) -> Option<<Self::Transport as Transport>::Pollable>;

    /// The address listened on.
    fn local_addr(&self) -> Option<SocketAddr>;
}
