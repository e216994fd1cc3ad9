//! Why a transport operation failed, in the transport's own terms. The engine maps these to
//! `QAbstractSocket::SocketError` (`engine::SocketError`); the transports know nothing above them.

use std::fmt;

/// Why connecting, listening or accepting failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// The host name could not be resolved.
    HostNotFound,
    /// The peer refused the connection.
    ConnectionRefused,
    /// The peer reset or aborted the connection.
    ConnectionReset,
    /// The host did not grant the network access needed.
    AccessDenied,
    /// Out of sockets or memory.
    OutOfResources,
    /// The operation timed out.
    TimedOut,
    /// The address is already in use.
    AddressInUse,
    /// The address cannot be bound here.
    AddressNotAvailable,
    /// The platform does not support the operation.
    Unsupported,
    /// Another network error, for example an unreachable peer.
    Network,
    /// An argument was rejected, with the reason.
    InvalidInput(String),
    /// The connection is not in a state that allows the operation, with the reason.
    InvalidState(String),
    /// Anything else, with what the platform said.
    Other(String),
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::HostNotFound => f.write_str("host not found"),
            Self::ConnectionRefused => f.write_str("connection refused"),
            Self::ConnectionReset => f.write_str("connection reset by the peer"),
            Self::AccessDenied => f.write_str("network access denied"),
            Self::OutOfResources => f.write_str("out of sockets or memory"),
            Self::TimedOut => f.write_str("timed out"),
            Self::AddressInUse => f.write_str("address in use"),
            Self::AddressNotAvailable => f.write_str("address not available"),
            Self::Unsupported => f.write_str("operation not supported"),
            Self::Network => f.write_str("network error"),
            Self::InvalidInput(why) => write!(f, "invalid input: {why}"),
            Self::InvalidState(why) => write!(f, "invalid state: {why}"),
            Self::Other(what) => write!(f, "transport error: {what}"),
        }
    }
}

impl std::error::Error for TransportError {}
