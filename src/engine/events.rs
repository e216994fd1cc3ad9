//! The queued Qt signals of a socket, and the `Mode` / `SocketState` enums they carry.

use super::alerts::Alert;
use super::errors::{SocketError, SslError, SslErrorEntry};

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
    /// One NSS key-log line of the handshake (Node's `'keylog'`), only with the dangerous
    /// key-logging setting on.
    KeyLogLine(String),
    /// `alertSent(level, type, description)` (Qt 6).
    AlertSent(Alert),
    /// `alertReceived(level, type, description)` (Qt 6).
    AlertReceived(Alert),
    /// `peerVerifyError(error)`: one certificate error found during the handshake, before
    /// `sslErrors` lists them all.
    PeerVerifyError(SslErrorEntry),
    /// `encryptedBytesWritten(n)`: TLS record bytes handed to the network.
    EncryptedBytesWritten(u64),
    /// `newSessionTicketReceived()`: the server sent a TLS 1.3 session ticket.
    NewSessionTicketReceived,
}
