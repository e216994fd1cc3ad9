//! The socket. Mirrors `QSslSocket` (with the `QTcpSocket` / `QIODevice` members
//! it inherits), over rustls and any [`Transport`].
//!
//! Everything is non-blocking underneath: [`SslSocket::process`] does the work that can be done
//! now (connect, handshake, flush, read, decrypt) and queues Qt's signals as [`Event`]s. The
//! `wait_for_*` calls are loops of `process` and [`Transport::wait`] with a deadline.
//!
//! This file holds the socket's data and its Qt API; `socket/phase.rs` says where TLS is,
//! `socket/machine.rs` makes one `process` step, and `buffers.rs` holds and moves the bytes.

mod exchange;
mod machine;
mod phase;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use rustls::{HandshakeKind, ServerConfig};

pub use self::exchange::MemoryTurn;
use self::machine::rejected;
use self::phase::Phase;
use super::buffers::Buffers;
use super::cipher::Cipher;
use super::errors::{SocketError, SslErrorEntry};
use super::events::{Event, Mode, SocketState};
use super::protocol::Protocol;
use super::settings::SslConfiguration;
use super::tls_config;
use super::x509::OcspStatus;
use super::x509::SharedVerifyLog;
use crate::engine::keying_material::ExportError;
use crate::engine::tls_connection::TlsConnection;
use crate::pki::{Certificate, Key};
use crate::transport::{Interest, SocketOption, Transport};
use sslsocket_crypto as crypto;

/// Whether ALPN agreed on a protocol. Mirrors `QSslConfiguration::NextProtocolNegotiationStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextProtocolNegotiationStatus {
    /// Not negotiated (no handshake yet, or no protocols offered).
    None,
    /// A protocol was agreed.
    Negotiated,
    /// Protocols were offered but the peer chose none.
    Unsupported,
}

/// A TLS-capable TCP socket. Mirrors `QSslSocket`.
pub struct SslSocket<T: Transport> {
    /// Shared with the configuration object it came from and with other sockets until one of
    /// them changes it (copy on write, as Qt's implicitly shared `QSslConfiguration`).
    config: Arc<SslConfiguration>,
    /// Where the TCP connection is.
    state: SocketState,
    /// Where TLS is, with the rustls connection; the legal combinations with `state` are
    /// written on [`Phase`]. The mode is read from it.
    phase: Phase,
    transport: Option<T>,
    /// Closed transports, kept until the socket is dropped or the caller says no pollable of
    /// them is out ([`Self::release_closed_transports`]): on WASI, pollables handed out by
    /// `subscribe` are children of their streams and must not outlive them.
    retired: Vec<T>,
    /// Where `shutdown_write` (the half-close) is. Not part of [`Phase`]: it applies the same
    /// to plain and encrypted connections (a FIN or a `close_notify`), so as a phase it would
    /// double every variant. It acts only while `Connected` (a close overrides it) and is
    /// `Open` again when a new connection opens.
    write_shutdown: WriteShutdown,
    log: SharedVerifyLog,
    /// The read buffer, the outboxes and their limits.
    buffers: Buffers,
    events: VecDeque<Event>,
    error: Option<SocketError>,
    peer_name: String,
    peer_port: u16,
    /// A connection was ever opened (or handed over): about the socket's history, not its
    /// connection (which the phase describes), so it outlives every phase; it chooses the
    /// error of a read or wait on an unconnected socket.
    ever_opened: bool,
    /// The session store of the server that accepted this socket, for resumption.
    server_resumption: Option<tls_config::ServerResumption>,
    /// The server's ready-made rustls configuration, valid while `config` is unchanged.
    server_config: Option<Arc<ServerConfig>>,
    /// Socket options set by the caller, applied to each new connection.
    socket_options: Vec<(SocketOption, u64)>,
}

impl<T: Transport> Default for SslSocket<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Transport> SslSocket<T> {
    /// A new unconnected socket in plain mode with the global defaults (`QSslSocket()`).
    pub fn new() -> Self {
        Self {
            config: SslConfiguration::default_configuration(),
            state: SocketState::Unconnected,
            phase: Phase::Plain,
            transport: None,
            retired: Vec::new(),
            write_shutdown: WriteShutdown::Open,
            log: SharedVerifyLog::default(),
            buffers: Buffers::default(),
            events: VecDeque::new(),
            error: None,
            peer_name: String::new(),
            peer_port: 0,
            ever_opened: false,
            server_resumption: None,
            server_config: None,
            socket_options: Vec::new(),
        }
    }

    /// A socket over an already connected transport, e.g. one accepted by a server, in plain
    /// mode and `Connected` state (`setSocketDescriptor`).
    pub fn from_transport(transport: T) -> Self {
        let mut socket = Self::new();
        socket.take_transport(transport);
        socket.state = SocketState::Connected;
        socket
    }

    /// Takes a connection the caller made (`setSocketDescriptor`; Node's `new TLSSocket(socket)`,
    /// Python's `wrap_bio`): streams the host handed over, or a memory connection. The socket
    /// keeps its settings and moves to `Connected` in plain mode; a handshake starts with
    /// [`Self::start_client_handshake`] or [`Self::start_server_handshake`].
    ///
    /// # Errors
    /// `InvalidState` unless unconnected.
    pub fn adopt(&mut self, transport: T) -> Result<(), SocketError> {
        self.check_state_unconnected()?;
        self.reset_connection();
        self.peer_name.clear();
        self.take_transport(transport);
        self.set_state(SocketState::Connected);
        Ok(())
    }

    fn take_transport(&mut self, transport: T) {
        self.peer_port = transport.peer_addr().map_or(0, |a| a.port());
        self.transport = Some(transport);
        self.ever_opened = true;
        self.apply_socket_options();
    }

    // ----- socket options -----

    /// Sets a TCP socket option (`setSocketOption`): now if connected, else when the next
    /// connection is made. Values: see [`SocketOption`].
    ///
    /// # Errors
    /// `UnsupportedSocketOperation` for `LowDelay` (`wasi:sockets` 0.2 has no TCP_NODELAY, so
    /// Nagle's algorithm stays on), for options TCP or `wasi:sockets` lack, and on a connection
    /// without a socket (memory mode, streams the caller brought); `InvalidInput` for a value
    /// out of range. The option is then left as it was.
    pub fn set_socket_option(
        &mut self,
        option: SocketOption,
        value: u64,
    ) -> Result<(), SocketError> {
        option.check(value)?;
        if let Some(transport) = self.transport.as_mut() {
            transport.set_option(option, value)?;
        }
        self.socket_options.retain(|(o, _)| *o != option);
        self.socket_options.push((option, value));
        Ok(())
    }

    /// A TCP socket option (`socketOption`): the connection's value when connected (the
    /// system's, which may differ from the one set: Linux doubles buffer sizes), else the value
    /// set for the next connection.
    ///
    /// # Errors
    /// As [`Self::set_socket_option`]; `InvalidState` when not connected and never set.
    pub fn socket_option(&self, option: SocketOption) -> Result<u64, SocketError> {
        if let Some(transport) = self.transport.as_ref() {
            return Ok(transport.option(option)?);
        }
        option.supported()?;
        self.socket_options
            .iter()
            .find(|(o, _)| *o == option)
            .map(|(_, value)| *value)
            .ok_or_else(|| SocketError::invalid_state("not connected, and the option was not set"))
    }

    /// Applies the options set before the connection existed; one the connection refuses is an
    /// `error` event (the socket stays usable).
    pub(super) fn apply_socket_options(&mut self) {
        let Some(transport) = self.transport.as_mut() else {
            return;
        };
        for &(option, value) in &self.socket_options {
            if let Err(e) = transport.set_option(option, value) {
                self.events.push_back(Event::Error(e.into()));
            }
        }
    }

    // ----- connecting -----

    /// Starts a plain TCP connection (`connectToHost`).
    ///
    /// # Errors
    /// `InvalidState` unless unconnected, `InvalidInput` for an empty host or port 0, or the
    /// error that prevented starting.
    pub fn connect_to_host(&mut self, host: &str, port: u16) -> Result<(), SocketError> {
        self.open(host, port, false)
    }

    /// Starts a TCP connection followed by a TLS client handshake (`connectToHostEncrypted`).
    ///
    /// # Errors
    /// As [`Self::connect_to_host`], plus `UnsupportedProtocol` / `InvalidInput` when the TLS
    /// settings cannot work; in that case nothing is sent.
    pub fn connect_to_host_encrypted(&mut self, host: &str, port: u16) -> Result<(), SocketError> {
        self.check_state_unconnected()?;
        self.client_config()?;
        self.open(host, port, true)
    }

    /// Starts a delayed client handshake (`startClientHandShake`).
    ///
    /// # Errors
    /// `InvalidState` unless connected in plain mode; TLS configuration errors.
    pub fn start_client_handshake(&mut self) -> Result<(), SocketError> {
        self.check_can_start_handshake()?;
        self.begin_client_handshake()?;
        self.step();
        Ok(())
    }

    /// Starts a delayed server handshake with the local certificate and key
    /// (`startServerHandShake`).
    ///
    /// # Errors
    /// `InvalidState` unless connected in plain mode or without an identity; TLS configuration
    /// errors.
    pub fn start_server_handshake(&mut self) -> Result<(), SocketError> {
        self.check_can_start_handshake()?;
        let config = self.server_config()?;
        let mut conn =
            TlsConnection::server(config).map_err(|e| SocketError::SslInternal(e.to_string()))?;
        // A STARTTLS client may send its hello right behind the command: whatever was read but
        // not consumed by the application belongs to the handshake.
        self.buffers.hand_unread_to(&mut conn);
        self.begin_tls(conn);
        self.step();
        Ok(())
    }

    /// Closes gracefully: flushes, sends `close_notify`, closes (`disconnectFromHost`).
    pub fn disconnect_from_host(&mut self) {
        match self.state {
            SocketState::Unconnected | SocketState::Closing => {}
            SocketState::HostLookup | SocketState::Connecting => self.abort(),
            SocketState::Connected => {
                if !self.phase.is_encrypted() {
                    self.buffers.discard_tls();
                }
                self.set_state(SocketState::Closing);
                self.step();
            }
        }
    }

    /// Half-closes: once the queued data is sent, sends `close_notify` (an encrypted socket) or
    /// shuts down the sending direction of the TCP connection (a plain one), and keeps reading
    /// until the peer closes too, which then disconnects the socket without an error (Node's
    /// `socket.end()`, Python's `shutdown(SHUT_WR)`). Writing afterwards is an error. A no-op when
    /// already called.
    ///
    /// # Errors
    /// `InvalidState` unless connected, or while a handshake runs.
    pub fn shutdown_write(&mut self) -> Result<(), SocketError> {
        if self.state != SocketState::Connected {
            return Err(SocketError::invalid_state("the socket is not connected"));
        }
        if self.phase.before_encrypted() {
            return Err(SocketError::invalid_state(
                "the handshake has not finished: half-close after `encrypted`",
            ));
        }
        if self.write_shutdown == WriteShutdown::Open {
            self.write_shutdown = WriteShutdown::Requested;
            self.step();
        }
        Ok(())
    }

    /// As [`Self::disconnect_from_host`], and discards unread data (`close`).
    pub fn close(&mut self) {
        self.disconnect_from_host();
        self.buffers.discard_unread();
    }

    /// Drops the connection at once, discarding pending output (`abort`).
    pub fn abort(&mut self) {
        self.buffers.discard_output();
        self.drop_connection(Duration::ZERO);
    }

    // ----- waiting -----

    /// Waits until connected (`waitForConnected`); `msecs < 0` waits forever.
    ///
    /// # Errors
    /// `SocketTimeout` or the connection error.
    pub fn wait_for_connected(&mut self, msecs: i32) -> Result<(), SocketError> {
        self.wait_until(msecs, |s| match s.state {
            SocketState::Connected | SocketState::Closing => Some(Ok(())),
            SocketState::Unconnected => Some(Err(s.closed_error())),
            _ => None,
        })
    }

    /// Waits until the handshake has finished (`waitForEncrypted`). Succeeds too when the
    /// handshake of the last connection finished and the connection has ended since (a peer may
    /// answer and close at once, even before the wait starts): the socket did become encrypted;
    /// `state` and `error` tell the rest.
    ///
    /// # Errors
    /// `SocketTimeout`, `SslHandshakeFailed`, `InvalidState` without a handshake, or the
    /// connection error.
    pub fn wait_for_encrypted(&mut self, msecs: i32) -> Result<(), SocketError> {
        self.wait_until(msecs, |s| {
            if s.phase.was_encrypted() {
                Some(Ok(()))
            } else if s.state == SocketState::Unconnected {
                Some(Err(s.closed_error()))
            } else if s.state == SocketState::Connected && !s.phase.uses_tls() {
                Some(Err(SocketError::invalid_state(
                    "no handshake was started: call start-client-handshake, start-server-handshake or connect-to-host-encrypted",
                )))
            } else {
                None
            }
        })
    }

    /// Waits until data can be read (`waitForReadyRead`); returns at once when data is buffered.
    ///
    /// # Errors
    /// `SocketTimeout`, `RemoteHostClosed` (or the error that closed the connection).
    pub fn wait_for_ready_read(&mut self, msecs: i32) -> Result<(), SocketError> {
        self.wait_until(msecs, |s| {
            if s.buffers.available() > 0 {
                Some(Ok(()))
            } else if s.state == SocketState::Unconnected {
                Some(Err(s.closed_error()))
            } else {
                None
            }
        })
    }

    /// Waits until every queued byte is on the network (`waitForBytesWritten`); returns at once
    /// when nothing is queued (`write` already sends what it can).
    ///
    /// # Errors
    /// `InvalidState` when unconnected, `SocketTimeout`, or the connection error.
    pub fn wait_for_bytes_written(&mut self, msecs: i32) -> Result<(), SocketError> {
        if !self.ever_opened {
            return Err(self.closed_error());
        }
        // Written data counts as written even if the peer closed right after reading it; data
        // lost with a failed connection stays counted in `bytes_to_write`.
        self.wait_until(msecs, |s| {
            if s.bytes_to_write() == 0 {
                Some(Ok(()))
            } else if s.state == SocketState::Unconnected {
                Some(Err(s.closed_error()))
            } else {
                None
            }
        })
    }

    /// Waits until unconnected (`waitForDisconnected`).
    ///
    /// # Errors
    /// `InvalidState` when already unconnected, `SocketTimeout`.
    pub fn wait_for_disconnected(&mut self, msecs: i32) -> Result<(), SocketError> {
        if self.state == SocketState::Unconnected {
            return Err(SocketError::invalid_state("the socket is not connected"));
        }
        self.wait_until(msecs, |s| {
            (s.state == SocketState::Unconnected).then_some(Ok(()))
        })
    }

    // ----- non-blocking progress and signals -----

    /// Does the work that can be done now without blocking, within a bounded slice (at most
    /// 256 KiB read from and written to the network); errors become `Error` events.
    ///
    /// A flight held at the end of a handshake for the application's first bytes (see
    /// [`Self::write`]) leaves now if none came and the application has read everything: it
    /// had its turn to answer.
    pub fn process(&mut self) {
        if self.held_flight_due() {
            self.phase.release();
        }
        self.step();
    }

    /// Whether a held flight leaves with the next `process`: the application has read
    /// everything, so it had its turn to answer.
    fn held_flight_due(&self) -> bool {
        self.phase.holds() && self.buffers.available() == 0
    }

    /// One `process` step without ending the turn: what the socket's own calls (`write`,
    /// reads, connecting) run, so a held flight still waits for the application's bytes.
    fn step(&mut self) {
        if let Err(e) = self.advance() {
            self.fail(e);
        }
        self.check_budget();
    }

    /// Removes and returns the queued signals, oldest first.
    pub fn take_events(&mut self) -> Vec<Event> {
        self.events.drain(..).collect()
    }

    /// Whether signals are queued.
    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// What the socket waits for, for building a pollable; `None` when there is no connection
    /// to wait on.
    pub fn interest(&self) -> Option<Interest> {
        match self.state {
            SocketState::Unconnected => None,
            SocketState::HostLookup | SocketState::Connecting => Some(Interest::default()),
            SocketState::Connected | SocketState::Closing => Some(Interest {
                readable: !self.input_paused(),
                writable: self.buffers.plain_pending()
                    || self.phase.wants_write()
                    // A held flight leaves with the next `process` once everything is read:
                    // nobody may sleep on it.
                    || self.held_flight_due()
                    || (self.phase.is_encrypted() && self.buffers.tls_pending())
                    || self.state == SocketState::Closing
                    || self.write_shutdown == WriteShutdown::Requested,
            }),
        }
    }

    /// The transport of the current connection.
    pub fn transport(&self) -> Option<&T> {
        self.transport.as_ref()
    }

    /// The transport of the current connection, to subscribe to.
    pub fn transport_mut(&mut self) -> Option<&mut T> {
        self.transport.as_mut()
    }

    /// Drops the transports of earlier connections, kept since they closed because a pollable
    /// made from them may still be out. Call it when none is (WASI drops a stream's pollables
    /// before the stream): the peer of a connection the caller handed over sees its end then.
    pub fn release_closed_transports(&mut self) {
        self.retired.clear();
    }

    // ----- data -----

    /// Reads up to `max_size` bytes (`read`), after doing pending non-blocking work; empty when
    /// nothing is buffered, also at the end of the stream (the connection closed and everything
    /// read: [`Self::at_end`]), as Qt returns an empty array there.
    ///
    /// # Errors
    /// `InvalidState` when the socket was never connected.
    pub fn read(&mut self, max_size: usize) -> Result<Vec<u8>, SocketError> {
        self.check_readable()?;
        Ok(self.buffers.take(max_size))
    }

    /// Reads all buffered bytes (`readAll`).
    ///
    /// # Errors
    /// As [`Self::read`].
    pub fn read_all(&mut self) -> Result<Vec<u8>, SocketError> {
        self.read(usize::MAX)
    }

    /// Reads one line including its `\n`, at most `max_size` bytes (0: no limit); without a
    /// full line, what is buffered (`readLine`).
    ///
    /// # Errors
    /// As [`Self::read`].
    pub fn read_line(&mut self, max_size: usize) -> Result<Vec<u8>, SocketError> {
        self.check_readable()?;
        let limit = if max_size == 0 { usize::MAX } else { max_size };
        let n = self.buffers.line_len(limit);
        Ok(self.buffers.take(n))
    }

    /// Whether a full line is buffered (`canReadLine`).
    pub fn can_read_line(&self) -> bool {
        self.buffers.has_line()
    }

    /// Reads one byte (`getChar`).
    ///
    /// # Errors
    /// As [`Self::read`].
    pub fn get_char(&mut self) -> Result<Option<u8>, SocketError> {
        self.check_readable()?;
        Ok(self.buffers.pop())
    }

    /// Queues `data` for sending (`write`) and returns its length. The first write after a
    /// handshake leaves in one transport write with the handshake's last flight (the client's
    /// Finished, a TLS 1.3 server's session tickets), which waits for it until the next
    /// [`Self::process`] or wait.
    ///
    /// # Errors
    /// `InvalidState` when unconnected or closing.
    pub fn write(&mut self, data: &[u8]) -> Result<u64, SocketError> {
        match self.state {
            SocketState::Unconnected => {
                return Err(SocketError::invalid_state("the socket is not connected"));
            }
            SocketState::Closing => {
                return Err(SocketError::invalid_state("the socket is closing"));
            }
            _ if self.write_shutdown != WriteShutdown::Open => {
                return Err(SocketError::invalid_state(
                    "the sending side is shut down (shutdown-write)",
                ));
            }
            _ => {}
        }
        if self.phase.uses_tls() {
            self.buffers.queue_tls(data);
        } else {
            self.buffers.queue_plain(data);
        }
        self.step();
        Ok(data.len() as u64)
    }

    /// Writes one byte (`putChar`).
    ///
    /// # Errors
    /// As [`Self::write`].
    pub fn put_char(&mut self, c: u8) -> Result<(), SocketError> {
        self.write(&[c]).map(|_| ())
    }

    /// Bytes ready to read (`bytesAvailable`).
    pub fn bytes_available(&self) -> u64 {
        self.buffers.available() as u64
    }

    /// The limit of the read buffer in bytes; 0 means no limit (`readBufferSize`).
    pub fn read_buffer_size(&self) -> u64 {
        self.buffers.read_buffer_size() as u64
    }

    /// Limits the read buffer (`setReadBufferSize`): once `size` bytes wait to be read, the
    /// socket stops reading from the network until the application reads, so a fast peer is
    /// held back by TCP flow control instead of growing memory. 0 means no limit (the default).
    /// The limit may be exceeded by the TLS records already received (tests bound it by 64 KiB).
    pub fn set_read_buffer_size(&mut self, size: u64) {
        self.buffers
            .set_read_buffer_size(usize::try_from(size).unwrap_or(usize::MAX));
    }

    /// The most bytes waiting to be sent before the socket stops reading from its peer; 0
    /// means no limit (the default for sockets made by the application).
    pub fn write_buffer_size(&self) -> u64 {
        self.buffers.write_buffer_size() as u64
    }

    /// Limits the output waiting to be sent (`bytes-to-write`): past `size` bytes the socket
    /// stops reading from its peer until the output drains, so an echo or proxy loop cannot
    /// queue without bound for a peer that does not read. 0 means no limit.
    pub fn set_write_buffer_size(&mut self, size: u64) {
        self.buffers
            .set_write_buffer_size(usize::try_from(size).unwrap_or(usize::MAX));
    }

    /// Application bytes not yet on the network (`bytesToWrite`).
    pub fn bytes_to_write(&self) -> u64 {
        self.buffers.to_write()
    }

    /// Whether the connection is closed and everything was read (`atEnd`).
    pub fn at_end(&self) -> bool {
        self.state == SocketState::Unconnected && self.buffers.available() == 0
    }

    // ----- state -----

    /// The connection state (`state`).
    pub fn state(&self) -> SocketState {
        self.state
    }

    /// The mode (`mode`).
    pub fn mode(&self) -> Mode {
        self.phase.mode()
    }

    /// Whether encrypted (`isEncrypted`).
    pub fn is_encrypted(&self) -> bool {
        self.phase.is_encrypted()
    }

    /// The memory the TLS connection's buffers hold (`None` without one).
    #[cfg(test)]
    pub(crate) fn tls_buffer_capacity(&self) -> Option<usize> {
        self.phase.connection().map(TlsConnection::buffer_capacity)
    }

    /// The last error (`error`).
    pub fn error(&self) -> Option<&SocketError> {
        self.error.as_ref()
    }

    /// The host name given to `connect_to_host*` (`peerName`).
    pub fn peer_name(&self) -> &str {
        &self.peer_name
    }

    /// The peer's address, while connected (`peerAddress`).
    pub fn peer_address(&self) -> Option<std::net::SocketAddr> {
        self.transport.as_ref().and_then(Transport::peer_addr)
    }

    /// The local address, while connected (`localAddress`, `localPort`).
    pub fn local_address(&self) -> Option<std::net::SocketAddr> {
        self.transport.as_ref().and_then(Transport::local_addr)
    }

    /// The port given to `connect_to_host*` (`peerPort`), 0 when unconnected.
    pub fn peer_port(&self) -> u16 {
        if self.state == SocketState::Unconnected {
            0
        } else {
            self.peer_port
        }
    }

    // ----- configuration -----

    /// The TLS settings (`sslConfiguration`).
    pub fn config(&self) -> &SslConfiguration {
        &self.config
    }

    /// The TLS settings, to change them for the next handshake; copied first if they are
    /// shared.
    pub fn config_mut(&mut self) -> &mut SslConfiguration {
        self.server_config = None;
        Arc::make_mut(&mut self.config)
    }

    /// The TLS settings as a shared value (`sslConfiguration`): no copy is made.
    pub fn ssl_configuration(&self) -> Arc<SslConfiguration> {
        Arc::clone(&self.config)
    }

    /// Uses `config` for the next handshake (`setSslConfiguration`), shared, not copied: many
    /// sockets can hold one configuration for the cost of a pointer each.
    /// The peer verify name is the socket's own, as in Qt (`QSslSocket::peerVerifyName`, not
    /// part of `QSslConfiguration`): a name set on the socket is kept.
    pub fn set_ssl_configuration(&mut self, config: Arc<SslConfiguration>) {
        let name = self.config.peer_verify_name().to_owned();
        self.config = config;
        if !name.is_empty() && name != self.config.peer_verify_name() {
            self.config_mut().set_peer_verify_name(name);
        }
    }

    /// Sets the protocol (`setProtocol`).
    ///
    /// # Errors
    /// `UnsupportedProtocol` for SSL 2 and 3; the setting is left unchanged.
    pub fn set_protocol(&mut self, protocol: Protocol) -> Result<(), SocketError> {
        self.config_mut().set_protocol(protocol)
    }

    /// Sets the cipher list (`setCiphers`).
    ///
    /// # Errors
    /// `InvalidInput` for an empty list.
    pub fn set_ciphers(&mut self, ciphers: Vec<Cipher>) -> Result<(), SocketError> {
        self.config_mut().set_ciphers(ciphers)
    }

    /// Sets the private key (`setPrivateKey`).
    ///
    /// # Errors
    /// `InvalidInput` for a public key.
    pub fn set_private_key(&mut self, key: Key) -> Result<(), SocketError> {
        self.config_mut().set_private_key(key)
    }

    /// The negotiated version, once encrypted (`sessionProtocol`).
    pub fn session_protocol(&self) -> Option<Protocol> {
        let conn = self.phase.encrypted()?;
        Protocol::from_negotiated(conn.protocol_version()?)
    }

    /// The ALPN protocol agreed on, once encrypted (`nextNegotiatedProtocol`).
    pub fn next_negotiated_protocol(&self) -> Option<Vec<u8>> {
        let conn = self.phase.encrypted()?;
        conn.alpn_protocol().map(<[u8]>::to_vec)
    }

    /// Whether ALPN was agreed (`nextProtocolNegotiationStatus`).
    pub fn next_protocol_negotiation_status(&self) -> NextProtocolNegotiationStatus {
        match (self.phase.is_encrypted(), self.next_negotiated_protocol()) {
            (true, Some(_)) => NextProtocolNegotiationStatus::Negotiated,
            (true, None) if !self.config.allowed_next_protocols().is_empty() => {
                NextProtocolNegotiationStatus::Unsupported
            }
            _ => NextProtocolNegotiationStatus::None,
        }
    }

    /// Keying material derived from the session (`exportKeyingMaterial` in Node, OpenSSL's
    /// `SSL_export_keying_material`): RFC 8446 §7.5 under TLS 1.3, RFC 5705 under TLS 1.2 (where
    /// no context differs from an empty one). Both ends of a connection get the same bytes.
    ///
    /// # Errors
    /// `InvalidState` unless encrypted; `InvalidInput` for a length of 0 or over 65535, a label
    /// TLS reserves for itself, or a context over 65535 bytes; `SslInternal` when the
    /// handshake's secret was not kept (more than 4,096 handshakes in progress at once).
    pub fn export_keying_material(
        &self,
        label: &[u8],
        context: Option<&[u8]>,
        length: usize,
    ) -> Result<Vec<u8>, SocketError> {
        let conn = self.phase.encrypted().ok_or_else(|| {
            SocketError::invalid_state("keying material is exported once the socket is encrypted")
        })?;
        if length == 0 || length > usize::from(u16::MAX) {
            return Err(SocketError::invalid_input(
                "the length of exported keying material is 1 to 65535 bytes",
            ));
        }
        let mut out = vec![0; length];
        conn.export_keying_material(label, context, &mut out)
            .map_err(|e| match e {
                ExportError::Unavailable => SocketError::SslInternal(
                    "the handshake's secret was not kept (too many handshakes at once)".into(),
                ),
                ExportError::Invalid(why) => SocketError::invalid_input(why),
            })?;
        Ok(out)
    }

    /// Whether the handshake resumed an earlier session (`isSessionResumed`-like).
    pub fn session_resumed(&self) -> bool {
        self.phase.encrypted().and_then(|c| c.handshake_kind()) == Some(HandshakeKind::Resumed)
    }

    /// The key exchange group negotiated, e.g. `X25519` (Qt's `ephemeralServerKey` info).
    pub fn key_exchange_group(&self) -> Option<String> {
        let conn = self.phase.encrypted()?;
        Some(crypto::group_name(
            conn.negotiated_key_exchange_group()?.name(),
        ))
    }

    /// Shares a server's session store and ticketer with this socket's server handshakes, and
    /// its rustls configuration (built from the same settings) while this socket's settings are
    /// unchanged.
    pub(crate) fn set_server_context(
        &mut self,
        resumption: tls_config::ServerResumption,
        config: Option<Arc<ServerConfig>>,
    ) {
        self.server_resumption = Some(resumption);
        self.server_config = config;
    }

    /// The negotiated cipher, once encrypted (`currentCipher`).
    pub fn current_cipher(&self) -> Option<Cipher> {
        let conn = self.phase.encrypted()?;
        Cipher::from_suite(conn.negotiated_cipher_suite()?.suite())
    }

    // ----- peer verification -----

    /// The peer's chain as sent, leaf first (`peerCertificateChain`).
    pub fn peer_certificate_chain(&self) -> Vec<Certificate> {
        let logged = self.log.chain();
        if !logged.is_empty() {
            return logged;
        }
        self.phase
            .connection()
            .and_then(|c| c.peer_certificates())
            .map(|certs| {
                certs
                    .iter()
                    .map(|c| Certificate::from(c.clone().into_owned()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The peer's leaf certificate (`peerCertificate`).
    pub fn peer_certificate(&self) -> Option<Certificate> {
        self.peer_certificate_chain().into_iter().next()
    }

    /// The stapled OCSP responses checked in the last handshake (`ocspResponses`).
    pub fn ocsp_responses(&self) -> Vec<OcspStatus> {
        self.log.ocsp_responses()
    }

    /// The OCSP response the server stapled in the last handshake, as it sent it (DER), when
    /// the client checked one (OCSP stapling enabled, verifying the peer); Node's
    /// `'OCSPResponse'` event. Qt has no such getter (it hands out the verdict only).
    pub fn stapled_ocsp_response(&self) -> Option<Vec<u8>> {
        self.log.stapled_ocsp()
    }

    /// The verification errors of the last handshake (`sslHandshakeErrors`).
    pub fn ssl_errors(&self) -> Vec<SslErrorEntry> {
        self.log.errors()
    }

    /// Ignores every verification error of this socket's handshakes (`ignoreSslErrors`).
    pub fn ignore_ssl_errors(&mut self) {
        self.log.ignore_all();
    }

    /// Ignores exactly these errors, each for its certificate or for any certificate when `None`
    /// (`ignoreSslErrors(QList<QSslError>)`). Replaces an earlier list.
    pub fn ignore_ssl_errors_list(&mut self, errors: Vec<(super::SslError, Option<Certificate>)>) {
        self.log.ignore(errors);
    }

    /// Whether the handshake is stopped on certificate errors.
    pub fn is_handshake_interrupted(&self) -> bool {
        self.phase.is_interrupted()
    }

    /// Resumes a handshake interrupted on errors (`continueInterruptedHandshake`). It goes on if
    /// the errors have been ignored since; otherwise the handshake fails.
    ///
    /// # Errors
    /// `InvalidState` when no handshake is interrupted; `SslHandshakeFailed` when the errors
    /// were not ignored (the connection is then dropped).
    pub fn continue_interrupted_handshake(&mut self) -> Result<(), SocketError> {
        if !self.phase.is_interrupted() {
            return Err(SocketError::invalid_state("no handshake is interrupted"));
        }
        self.phase.resume();
        let (ignored, errors) = self.log.resume();
        if !ignored {
            let error = rejected(&errors);
            self.fail(error.clone());
            return Err(error);
        }
        self.step();
        Ok(())
    }

    // ----- helpers -----

    /// Whether reading from the network waits: the read buffer holds its limit, the output
    /// waiting to be sent passes its limit, or the instance's memory budget is used up
    /// (handshake records are read regardless: they hold no application data).
    fn input_paused(&self) -> bool {
        (self.buffers.read_full() || self.buffers.output_full())
            && !self.phase.connection().is_some_and(|c| c.is_handshaking())
    }

    fn check_state_unconnected(&self) -> Result<(), SocketError> {
        if self.state == SocketState::Unconnected {
            Ok(())
        } else {
            Err(SocketError::invalid_state(
                "the socket is already connected or connecting; call abort or disconnect-from-host first",
            ))
        }
    }

    fn check_can_start_handshake(&self) -> Result<(), SocketError> {
        if self.state != SocketState::Connected {
            return Err(SocketError::invalid_state(
                "a handshake needs a connected socket",
            ));
        }
        if !matches!(self.phase, Phase::Plain) {
            return Err(SocketError::invalid_state(
                "a handshake was already started on this connection",
            ));
        }
        Ok(())
    }

    fn check_readable(&mut self) -> Result<(), SocketError> {
        self.step();
        if self.state == SocketState::Unconnected && !self.ever_opened {
            return Err(SocketError::invalid_state("the socket is not connected"));
        }
        Ok(())
    }

    /// The error to report when a wait finds the socket unconnected.
    fn closed_error(&self) -> SocketError {
        self.error
            .clone()
            .unwrap_or_else(|| SocketError::invalid_state("the socket is not connected"))
    }

    // ----- the verification log and the rustls configurations -----

    /// The rustls client configuration for these settings (shared by sockets with the same).
    fn client_config(&self) -> Result<Arc<rustls::ClientConfig>, SocketError> {
        tls_config::client_config(&self.config)
    }

    /// The rustls server configuration: the accepting server's ready-made one, one built with
    /// its session store, or the one shared by sockets with these settings.
    fn server_config(&mut self) -> Result<Arc<ServerConfig>, SocketError> {
        match (self.server_config.take(), &self.server_resumption) {
            (Some(config), _) => Ok(config),
            (None, Some(resumption)) => Ok(Arc::new(tls_config::server_config(
                &self.config,
                Some(resumption),
            )?)),
            (None, None) => tls_config::socket_server_config(&self.config),
        }
    }
}

/// Where a connection's half-close is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum WriteShutdown {
    /// Both directions are open.
    Open,
    /// `shutdown_write` was called; queued output, `close_notify` or the FIN are still to go.
    Requested,
    /// The sending direction is shut down; reading goes on until the peer closes.
    Done,
}
