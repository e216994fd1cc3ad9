//! The queued Qt signals of a socket, and the `Mode` / `SocketState` enums they carry.

use super::errors::{SocketError, SslError};

/// The connection mode. Mirrors `QSslSocket::Mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Unencrypted.
    Plain,
    /// Client-side TLS, handshaking or encrypted.
    SslClient,
    /// Server-side TLS, handshaking or encrypted.
    SslServer,
}

/// The connection state. Mirrors `QAbstractSocket::SocketState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketState {
    /// Not connected.
    Unconnected,
    /// Resolving the host name.
    HostLookup,
    /// Establishing the TCP connection.
    Connecting,
    /// Connected; TLS may be handshaking.
    Connected,
    /// Flushing and closing.
    Closing,
}

/// A queued signal. Mirrors the signals of `QSslSocket` and `QAbstractSocket`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `hostFound()`
    HostFound,
    /// `connected()`, with the peer's address as it was then (`None` when the transport has
    /// none: memory mode, streams the caller brought without one).
    Connected(Option<std::net::SocketAddr>),
    /// `encrypted()`
    Encrypted,
    /// `modeChanged(mode)`
    ModeChanged(Mode),
    /// `sslErrors(errors)`
    SslErrors(Vec<SslError>),
    /// `handshakeInterruptedOnError(error)`: waiting for continue or abort.
    HandshakeInterruptedOnError,
    /// `readyRead()`
    ReadyRead,
    /// `bytesWritten(n)`
    BytesWritten(u64),
    /// `stateChanged(state)`
    StateChanged(SocketState),
    /// `disconnected()`
    Disconnected,
    /// `errorOccurred(error)`
    Error(SocketError),
}
