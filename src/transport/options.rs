//! TCP socket options. Mirrors `QAbstractSocket::SocketOption`, with the keep-alive timing and
//! the hop limit `wasi:sockets` adds.

use super::TransportError;

/// A TCP socket option and how its value is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SocketOption {
    /// `LowDelayOption` (TCP_NODELAY): not in `wasi:sockets` 0.2, so never supported here.
    LowDelay,
    /// `KeepAliveOption`: 1 on, 0 off.
    KeepAlive,
    /// `MulticastTtlOption`: not for TCP.
    MulticastTtl,
    /// `MulticastLoopbackOption`: not for TCP.
    MulticastLoopback,
    /// `TypeOfServiceOption`: not in `wasi:sockets`.
    TypeOfService,
    /// `SendBufferSizeSocketOption`, in bytes.
    SendBufferSize,
    /// `ReceiveBufferSizeSocketOption`, in bytes.
    ReceiveBufferSize,
    /// `PathMtuSocketOption`: not in `wasi:sockets`.
    PathMtu,
    /// Time idle before the first keep-alive probe, in milliseconds (TCP_KEEPIDLE).
    KeepAliveIdleTime,
    /// Time between keep-alive probes, in milliseconds (TCP_KEEPINTVL).
    KeepAliveInterval,
    /// Unanswered probes before the connection is dropped (TCP_KEEPCNT).
    KeepAliveCount,
    /// The IP hop limit (TTL) of outgoing packets (IP_TTL / IPV6_UNICAST_HOPS).
    HopLimit,
}

impl SocketOption {
    /// Refuses the options no transport here can set, and values no transport accepts.
    ///
    /// # Errors
    /// `Unsupported` for `LowDelay` (WASI 0.2 has no TCP_NODELAY) and the options TCP or
    /// `wasi:sockets` lack; `InvalidInput` for a zero time, count, size or hop limit, a hop
    /// limit over 255, or a keep-alive value other than 0 and 1.
    pub fn check(self, value: u64) -> Result<(), TransportError> {
        self.supported()?;
        match self {
            Self::KeepAlive if value > 1 => Err(TransportError::InvalidInput(
                "keep-alive is 1 (on) or 0 (off)".into(),
            )),
            Self::HopLimit if !(1..=255).contains(&value) => Err(TransportError::InvalidInput(
                "the hop limit is 1 to 255".into(),
            )),
            Self::KeepAlive | Self::HopLimit => Ok(()),
            _ if value == 0 => Err(TransportError::InvalidInput(format!(
                "{self:?} must be above 0"
            ))),
            _ => Ok(()),
        }
    }

    /// Refuses the options no transport here can set or read.
    ///
    /// # Errors
    /// `Unsupported` for `LowDelay` (WASI 0.2 has no TCP_NODELAY) and the options TCP or
    /// `wasi:sockets` lack.
    pub fn supported(self) -> Result<(), TransportError> {
        match self {
            Self::LowDelay
            | Self::MulticastTtl
            | Self::MulticastLoopback
            | Self::TypeOfService
            | Self::PathMtu => Err(TransportError::Unsupported),
            _ => Ok(()),
        }
    }
}
