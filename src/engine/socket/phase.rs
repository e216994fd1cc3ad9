//! Where a socket's connection is with TLS: one value, [`Phase`], holding the rustls connection
//! and the few facts each step of TLS needs (errors reported, interrupted, `close_notify` sent,
//! a flight held), so that no combination outside the table on [`Phase`] can be written down.
//! The socket's state machine ([`super::machine`]) decides when to move from one phase to the
//! next; this file says what each phase holds and moves the rustls connection between them.

use crate::engine::tls_connection::TlsConnection;

use crate::engine::events::Mode;

/// Where a connection is on its way to and through TLS, with what each step needs. The
/// socket's [`SocketState`](crate::engine::SocketState) says where the TCP connection is; this
/// says where TLS is.
///
/// # Legal combinations
///
/// The mode ([`Mode`]) is not stored: it is read from the phase ([`Phase::mode`]): `Plain`
/// without a rustls connection, else `SslClient` or `SslServer` after the connection's side.
///
/// | phase             | socket state                                  | mode                      |
/// |-------------------|-----------------------------------------------|---------------------------|
/// | `Plain`           | any                                           | `Plain`                   |
/// | `ClientOnConnect` | `HostLookup`, `Connecting`                    | `Plain`                   |
/// | `Handshaking`     | `Connected`, `Closing`                        | `SslClient` / `SslServer` |
/// | `Encrypted`       | `Connected`, `Closing`                        | `SslClient` / `SslServer` |
/// | `Closed`          | `Unconnected`                                 | `SslClient` / `SslServer` |
///
/// `Plain` while `Unconnected` is a socket never connected, or whose connection ended before
/// TLS began; while `Connected` a plain socket, or one whose STARTTLS has not begun yet.
/// `interrupted` is only ever set in `Handshaking` (the verifier runs during handshakes only).
///
/// # Transitions
///
/// - opening a connection: any → `Plain` (`connect_to_host`) or `ClientOnConnect`
///   (`connect_to_host_encrypted`);
/// - TCP connected: `ClientOnConnect` → `Handshaking` (client);
/// - `start_client_handshake` / `start_server_handshake`: `Plain` (while `Connected`) →
///   `Handshaking`;
/// - rustls finished the handshake and it is not interrupted: `Handshaking` → `Encrypted`;
/// - the connection dropped: `Handshaking` / `Encrypted` → `Closed`, `ClientOnConnect` →
///   `Plain`.
///
/// `close_notify` can be sent in `Handshaking` (the socket closes while the handshake runs) and
/// carries over into `Encrypted` should the handshake still finish; `errors_reported` carries
/// over too, since the check for new verification results runs on every packet.
#[derive(Default)]
pub(super) enum Phase {
    /// No TLS on this connection (so far).
    #[default]
    Plain,
    /// `connect_to_host_encrypted` was called: the client handshake starts once TCP connects;
    /// application data waits for it.
    ClientOnConnect,
    /// The handshake runs; application data waits for it.
    Handshaking {
        /// The rustls connection.
        conn: TlsConnection,
        /// `sslErrors` was queued for this handshake.
        errors_reported: bool,
        /// The handshake stopped on certificate errors: nothing moves (rustls' next flight
        /// and any data stay unsent) until the caller continues or aborts.
        interrupted: bool,
        /// `close_notify` was queued: the socket is closing while the handshake runs.
        close_notify_sent: bool,
    },
    /// The handshake finished and `encrypted` was queued.
    Encrypted {
        /// The rustls connection.
        conn: TlsConnection,
        /// `sslErrors` was queued for this connection's handshake.
        errors_reported: bool,
        /// `close_notify` was queued: no more application data goes into rustls.
        close_notify_sent: bool,
        /// The last flight of the handshake waits to leave with the application's next bytes:
        /// a client's Finished (TLS 1.3, or a resumed TLS 1.2 handshake), a TLS 1.3 server's
        /// session tickets when the client's request came with its Finished. Two writes in a
        /// row would let Nagle's algorithm (which `wasi:sockets` cannot turn off) hold the second
        /// until the peer's delayed ACK of the first, up to 40 ms. The hold ends with the
        /// application's next write, a close, more data from the peer, or the next `process`
        /// once the application has read everything (so by the end of its turn: whoever waits
        /// then sees the socket writable).
        held: bool,
    },
    /// The connection ended after TLS began. The rustls connection is kept until the next
    /// connection for what it learnt (the peer's certificates, the mode).
    Closed {
        /// The rustls connection, no longer driven.
        conn: TlsConnection,
        /// The handshake had finished (`encrypted` was queued) before the connection ended.
        encrypted: bool,
    },
}

impl Phase {
    /// The mode this phase means.
    pub(super) fn mode(&self) -> Mode {
        match self.connection() {
            None => Mode::Plain,
            Some(conn) if conn.is_server() => Mode::SslServer,
            Some(_) => Mode::SslClient,
        }
    }

    /// Whether the connection is or will be TLS: application data waits for the handshake.
    pub(super) fn uses_tls(&self) -> bool {
        !matches!(self, Self::Plain)
    }

    /// Whether a handshake is to come or runs: `ClientOnConnect` or `Handshaking`.
    pub(super) fn before_encrypted(&self) -> bool {
        matches!(self, Self::ClientOnConnect | Self::Handshaking { .. })
    }

    /// Whether the handshake runs (`Handshaking`, interrupted or not).
    pub(super) fn is_handshaking(&self) -> bool {
        matches!(self, Self::Handshaking { .. })
    }

    /// Whether the connection is encrypted (`Encrypted`).
    pub(super) fn is_encrypted(&self) -> bool {
        matches!(self, Self::Encrypted { .. })
    }

    /// Whether this connection's handshake finished: `Encrypted`, or `Closed` after it (the
    /// peer may close in the same read that finishes the handshake).
    pub(super) fn was_encrypted(&self) -> bool {
        matches!(
            self,
            Self::Encrypted { .. }
                | Self::Closed {
                    encrypted: true,
                    ..
                }
        )
    }

    /// Whether the handshake is stopped on certificate errors.
    pub(super) fn is_interrupted(&self) -> bool {
        matches!(
            self,
            Self::Handshaking {
                interrupted: true,
                ..
            }
        )
    }

    /// The rustls connection, driven or not (`Handshaking`, `Encrypted`, `Closed`).
    pub(super) fn connection(&self) -> Option<&TlsConnection> {
        match self {
            Self::Handshaking { conn, .. }
            | Self::Encrypted { conn, .. }
            | Self::Closed { conn, .. } => Some(conn),
            Self::Plain | Self::ClientOnConnect => None,
        }
    }

    /// The rustls connection while it is driven (`Handshaking`, `Encrypted`).
    pub(super) fn live_mut(&mut self) -> Option<&mut TlsConnection> {
        match self {
            Self::Handshaking { conn, .. } | Self::Encrypted { conn, .. } => Some(conn),
            Self::Plain | Self::ClientOnConnect | Self::Closed { .. } => None,
        }
    }

    /// The rustls connection once encrypted.
    pub(super) fn encrypted(&self) -> Option<&TlsConnection> {
        match self {
            Self::Encrypted { conn, .. } => Some(conn),
            _ => None,
        }
    }

    /// Whether rustls has records to send that may leave now (not a held flight).
    pub(super) fn wants_write(&self) -> bool {
        match self {
            Self::Handshaking { conn, .. } => conn.wants_write(),
            Self::Encrypted { conn, held, .. } => !*held && conn.wants_write(),
            Self::Plain | Self::ClientOnConnect | Self::Closed { .. } => false,
        }
    }

    /// The connection whose records may be sent now, and whether application data may go into
    /// it (encrypted, no `close_notify` yet). A held flight is let go once application data
    /// waits (`data_waiting`) or the socket closes or half-closes (`closing`); until then
    /// `None`, as without a driven connection.
    pub(super) fn sending(
        &mut self,
        data_waiting: bool,
        closing: bool,
    ) -> Option<(&mut TlsConnection, bool)> {
        match self {
            Self::Handshaking { conn, .. } => Some((conn, false)),
            Self::Encrypted {
                conn,
                close_notify_sent,
                held,
                ..
            } => {
                if *held {
                    if !data_waiting && !closing {
                        return None;
                    }
                    *held = false;
                }
                Some((conn, !*close_notify_sent))
            }
            Self::Plain | Self::ClientOnConnect | Self::Closed { .. } => None,
        }
    }

    /// Whether `sslErrors` was queued for this connection's handshake (`false` without one).
    pub(super) fn errors_reported(&self) -> bool {
        match self {
            Self::Handshaking {
                errors_reported, ..
            }
            | Self::Encrypted {
                errors_reported, ..
            } => *errors_reported,
            Self::Plain | Self::ClientOnConnect | Self::Closed { .. } => false,
        }
    }

    /// Records that `sslErrors` was queued.
    pub(super) fn mark_errors_reported(&mut self) {
        if let Self::Handshaking {
            errors_reported, ..
        }
        | Self::Encrypted {
            errors_reported, ..
        } = self
        {
            *errors_reported = true;
        }
    }

    /// Stops a running handshake on its certificate errors; returns whether it did (only a
    /// handshake can be interrupted).
    pub(super) fn interrupt(&mut self) -> bool {
        match self {
            Self::Handshaking { interrupted, .. } => {
                *interrupted = true;
                true
            }
            _ => false,
        }
    }

    /// Lets an interrupted handshake go on.
    pub(super) fn resume(&mut self) {
        if let Self::Handshaking { interrupted, .. } = self {
            *interrupted = false;
        }
    }

    /// `Handshaking` → `Encrypted`, moving the connection; returns whether it moved.
    pub(super) fn finish_handshake(&mut self) -> bool {
        match std::mem::take(self) {
            Self::Handshaking {
                conn,
                errors_reported,
                close_notify_sent,
                interrupted: _,
            } => {
                *self = Self::Encrypted {
                    conn,
                    errors_reported,
                    close_notify_sent,
                    held: false,
                };
                true
            }
            other => {
                *self = other;
                false
            }
        }
    }

    /// Whether a flight is held.
    pub(super) fn holds(&self) -> bool {
        matches!(self, Self::Encrypted { held: true, .. })
    }

    /// Holds what rustls has queued (the handshake's last flight) for the application's next
    /// bytes; nothing when nothing is queued.
    pub(super) fn hold(&mut self) {
        if let Self::Encrypted { conn, held, .. } = self {
            *held = conn.wants_write();
        }
    }

    /// Lets a held flight go with the next flush.
    pub(super) fn release(&mut self) {
        if let Self::Encrypted { held, .. } = self {
            *held = false;
        }
    }

    /// Queues `close_notify` on a driven connection, once; returns whether it was queued now.
    pub(super) fn send_close_notify(&mut self) -> bool {
        match self {
            Self::Handshaking {
                conn,
                close_notify_sent,
                ..
            }
            | Self::Encrypted {
                conn,
                close_notify_sent,
                ..
            } if !*close_notify_sent => {
                conn.send_close_notify();
                *close_notify_sent = true;
                true
            }
            _ => false,
        }
    }

    /// The connection dropped: a rustls connection is kept (`Closed`) without its buffers, a
    /// pending handshake is forgotten (`Plain`).
    pub(super) fn end(&mut self) {
        *self = match std::mem::take(self) {
            Self::Handshaking { mut conn, .. } => {
                conn.discard_buffers();
                Self::Closed {
                    conn,
                    encrypted: false,
                }
            }
            Self::Encrypted { mut conn, .. } => {
                conn.discard_buffers();
                Self::Closed {
                    conn,
                    encrypted: true,
                }
            }
            closed @ Self::Closed { .. } => closed,
            Self::Plain | Self::ClientOnConnect => Self::Plain,
        };
    }
}
