//! The socket state machine. Mirrors `QSslSocket` (with the `QTcpSocket` / `QIODevice` members
//! it inherits), over rustls and any [`Transport`].
//!
//! Everything is non-blocking underneath: [`SslSocket::process`] does the work that can be done
//! now (connect, handshake, flush, read, decrypt) and queues Qt's signals as [`Event`]s. The
//! `wait_for_*` calls are loops of `process` and [`Transport::wait`] with a deadline.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use rustls::server::StoresServerSessions;
use rustls::{
    ClientConnection, Connection, HandshakeKind, ProtocolVersion, ServerConfig, ServerConnection,
};

use super::budget;
use super::cipher::Cipher;
use super::errors::{SocketError, SslErrorEntry};
use super::events::{Event, Mode, SocketState};
use super::protocol::Protocol;
use super::settings::SslConfiguration;
use super::tls_config;
use super::x509::OcspStatus;
use super::x509::verifier::{self as verify, SharedVerifyLog};
use crate::crypto;
use crate::pki::{Certificate, Key};
use crate::transport::{ConnectProgress, Interest, Transport};

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

/// How long a failing connection may spend sending its alert.
const ALERT_FLUSH: Duration = Duration::from_millis(200);
/// How long a graceful close may spend flushing before the connection is dropped.
const SHUTDOWN_FLUSH: Duration = Duration::from_secs(2);
/// Plaintext handed to rustls per step (rustls itself caps its buffer at 64 KiB).
const WRITE_CHUNK: usize = 64 * 1024;
/// The most bytes of queued TLS records joined into one transport write.
const COALESCE: usize = 64 * 1024;
/// Plaintext moved out of rustls per step (one TLS record), on the stack.
const READ_CHUNK: usize = 16 * 1024;
/// The most bytes one `process` takes from the network, and gives to it: a busy connection gets
/// a bounded slice of each turn of an event loop, so it cannot starve the others.
const PROCESS_BUDGET: usize = 256 * 1024;

/// A TLS-capable TCP socket. Mirrors `QSslSocket`.
pub struct SslSocket<T: Transport> {
    config: SslConfiguration,
    state: SocketState,
    mode: Mode,
    transport: Option<T>,
    /// Closed transports, kept until the socket is dropped: on WASI, pollables handed out by
    /// `subscribe` are children of their streams and must not outlive them.
    retired: Vec<T>,
    tls: Option<Connection>,
    encrypted: bool,
    /// The `sslErrors` signal was queued for the current handshake.
    ssl_errors_reported: bool,
    /// The handshake stopped on certificate errors and waits for the caller's decision.
    interrupted: bool,
    handshake_on_connect: bool,
    close_notify_sent: bool,
    /// Where `shutdown_write` (the half-close) is.
    write_shutdown: WriteShutdown,
    log: SharedVerifyLog,
    /// Decrypted (or plain) bytes ready for the application.
    read_buf: VecDeque<u8>,
    /// The most `read_buf` may hold before reading from the network stops; 0: no limit.
    read_buffer_size: usize,
    /// The most bytes waiting to be sent before reading from the network stops; 0: no limit.
    write_buffer_size: usize,
    /// This socket's part of the instance's memory budget.
    account: budget::Account,
    /// Application bytes to send without TLS (plain mode, or written before STARTTLS).
    raw_out: VecDeque<u8>,
    /// Application bytes waiting for the handshake to finish or for room in rustls.
    tls_out: VecDeque<u8>,
    /// Application bytes handed to rustls whose records are not all on the network yet.
    tls_unflushed: u64,
    /// A TLS 1.3 server's session tickets wait to leave with its first answer: the client sent
    /// data with its Finished, so an answer is coming, and two writes in a row would let Nagle's
    /// algorithm (which `wasi:sockets` cannot turn off) hold the answer until the client's
    /// delayed ACK of the tickets, up to 40 ms.
    hold_tickets: bool,
    events: VecDeque<Event>,
    error: Option<SocketError>,
    peer_name: String,
    peer_port: u16,
    ever_opened: bool,
    /// The session store of the server that accepted this socket, for resumption.
    server_sessions: Option<Arc<dyn StoresServerSessions>>,
    /// The server's ready-made rustls configuration, valid while `config` is unchanged.
    server_config: Option<Arc<ServerConfig>>,
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
            config: SslConfiguration::default(),
            state: SocketState::Unconnected,
            mode: Mode::Plain,
            transport: None,
            retired: Vec::new(),
            tls: None,
            encrypted: false,
            ssl_errors_reported: false,
            interrupted: false,
            handshake_on_connect: false,
            close_notify_sent: false,
            write_shutdown: WriteShutdown::Open,
            log: SharedVerifyLog::default(),
            read_buf: VecDeque::new(),
            read_buffer_size: 0,
            write_buffer_size: 0,
            account: budget::Account::default(),
            raw_out: VecDeque::new(),
            tls_out: VecDeque::new(),
            tls_unflushed: 0,
            hold_tickets: false,
            events: VecDeque::new(),
            error: None,
            peer_name: String::new(),
            peer_port: 0,
            ever_opened: false,
            server_sessions: None,
            server_config: None,
        }
    }

    /// A socket over an already connected transport, e.g. one accepted by a server, in plain
    /// mode and `Connected` state (`setSocketDescriptor`).
    pub fn from_transport(transport: T) -> Self {
        let mut socket = Self::new();
        socket.peer_port = transport.peer_addr().map_or(0, |a| a.port());
        socket.transport = Some(transport);
        socket.state = SocketState::Connected;
        socket.ever_opened = true;
        socket
    }

    // ----- connecting -----

    /// Starts a plain TCP connection (`connectToHost`).
    ///
    /// # Errors
    /// `InvalidState` unless unconnected, `InvalidInput` for an empty host or port 0, or the
    /// error that prevented starting.
    pub fn connect_to_host(&mut self, host: &str, port: u16) -> Result<(), SocketError> {
        self.handshake_on_connect = false;
        self.open(host, port)
    }

    /// Starts a TCP connection followed by a TLS client handshake (`connectToHostEncrypted`).
    ///
    /// # Errors
    /// As [`Self::connect_to_host`], plus `UnsupportedProtocol` / `InvalidInput` when the TLS
    /// settings cannot work; in that case nothing is sent.
    pub fn connect_to_host_encrypted(&mut self, host: &str, port: u16) -> Result<(), SocketError> {
        self.check_state_unconnected()?;
        self.client_config()?;
        self.handshake_on_connect = true;
        let result = self.open(host, port);
        if result.is_err() {
            self.handshake_on_connect = false;
        }
        result
    }

    /// Starts a delayed client handshake (`startClientHandShake`).
    ///
    /// # Errors
    /// `InvalidState` unless connected in plain mode; TLS configuration errors.
    pub fn start_client_handshake(&mut self) -> Result<(), SocketError> {
        self.check_can_start_handshake()?;
        self.begin_client_handshake()?;
        self.process();
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
        let config = match self.server_config.take() {
            Some(config) => config,
            None => Arc::new(tls_config::server_config(
                &self.config,
                self.server_sessions.clone(),
            )?),
        };
        let mut conn =
            ServerConnection::new(config).map_err(|e| SocketError::SslInternal(e.to_string()))?;
        // A STARTTLS client may send its hello right behind the command: whatever was read but
        // not consumed by the application belongs to the handshake.
        let buffered: Vec<u8> = self.read_buf.drain(..).collect();
        let mut rest = buffered.as_slice();
        while !rest.is_empty() {
            match conn.read_tls(&mut rest) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
        self.begin_tls(Connection::Server(conn), Mode::SslServer);
        self.process();
        Ok(())
    }

    /// Closes gracefully: flushes, sends `close_notify`, closes (`disconnectFromHost`).
    pub fn disconnect_from_host(&mut self) {
        match self.state {
            SocketState::Unconnected | SocketState::Closing => {}
            SocketState::HostLookup | SocketState::Connecting => self.abort(),
            SocketState::Connected => {
                if !self.encrypted {
                    self.tls_out.clear();
                }
                self.set_state(SocketState::Closing);
                self.process();
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
        if (self.tls.is_some() && !self.encrypted) || self.handshake_on_connect {
            return Err(SocketError::invalid_state(
                "the handshake has not finished: half-close after `encrypted`",
            ));
        }
        if self.write_shutdown == WriteShutdown::Open {
            self.write_shutdown = WriteShutdown::Requested;
            self.process();
        }
        Ok(())
    }

    /// As [`Self::disconnect_from_host`], and discards unread data (`close`).
    pub fn close(&mut self) {
        self.disconnect_from_host();
        self.read_buf.clear();
    }

    /// Drops the connection at once, discarding pending output (`abort`).
    pub fn abort(&mut self) {
        self.raw_out.clear();
        self.tls_out.clear();
        self.tls_unflushed = 0;
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

    /// Waits until the handshake has finished (`waitForEncrypted`).
    ///
    /// # Errors
    /// `SocketTimeout`, `SslHandshakeFailed`, `InvalidState` without a handshake, or the
    /// connection error.
    pub fn wait_for_encrypted(&mut self, msecs: i32) -> Result<(), SocketError> {
        self.wait_until(msecs, |s| {
            if s.encrypted {
                Some(Ok(()))
            } else if s.state == SocketState::Unconnected {
                Some(Err(s.closed_error()))
            } else if s.state == SocketState::Connected && s.tls.is_none() && !s.handshake_on_connect {
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
            if !s.read_buf.is_empty() {
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
    pub fn process(&mut self) {
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
                writable: !self.raw_out.is_empty()
                    || (!self.hold_tickets && self.tls.as_ref().is_some_and(|c| c.wants_write()))
                    || (self.encrypted && !self.tls_out.is_empty())
                    || self.state == SocketState::Closing
                    || self.write_shutdown == WriteShutdown::Requested,
            }),
        }
    }

    /// The transport of the current connection.
    pub fn transport(&self) -> Option<&T> {
        self.transport.as_ref()
    }

    // ----- data -----

    /// Reads up to `max_size` bytes (`read`), after doing pending non-blocking work.
    ///
    /// # Errors
    /// `InvalidState` when unconnected with nothing buffered.
    pub fn read(&mut self, max_size: usize) -> Result<Vec<u8>, SocketError> {
        self.check_readable()?;
        let n = max_size.min(self.read_buf.len());
        Ok(self.take_read(n))
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
        let line_end = self
            .read_buf
            .iter()
            .position(|b| *b == b'\n')
            .map_or(self.read_buf.len(), |i| i + 1);
        let n = line_end.min(limit);
        Ok(self.take_read(n))
    }

    /// Whether a full line is buffered (`canReadLine`).
    pub fn can_read_line(&self) -> bool {
        self.read_buf.contains(&b'\n')
    }

    /// Reads one byte (`getChar`).
    ///
    /// # Errors
    /// As [`Self::read`].
    pub fn get_char(&mut self) -> Result<Option<u8>, SocketError> {
        self.check_readable()?;
        Ok(self.read_buf.pop_front())
    }

    /// Queues `data` for sending (`write`) and returns its length.
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
        if self.tls.is_some() || self.handshake_on_connect {
            self.tls_out.extend(data);
        } else {
            self.raw_out.extend(data);
        }
        self.process();
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
        self.read_buf.len() as u64
    }

    /// The limit of the read buffer in bytes; 0 means no limit (`readBufferSize`).
    pub fn read_buffer_size(&self) -> u64 {
        self.read_buffer_size as u64
    }

    /// Limits the read buffer (`setReadBufferSize`): once `size` bytes wait to be read, the
    /// socket stops reading from the network until the application reads, so a fast peer is
    /// held back by TCP flow control instead of growing memory. 0 means no limit (the default).
    /// The limit may be exceeded by the TLS records already received (tests bound it by 64 KiB).
    pub fn set_read_buffer_size(&mut self, size: u64) {
        self.read_buffer_size = usize::try_from(size).unwrap_or(usize::MAX);
    }

    /// The most bytes waiting to be sent before the socket stops reading from its peer; 0
    /// means no limit (the default for sockets made by the application).
    pub fn write_buffer_size(&self) -> u64 {
        self.write_buffer_size as u64
    }

    /// Limits the output waiting to be sent (`bytes-to-write`): past `size` bytes the socket
    /// stops reading from its peer until the output drains, so an echo or proxy loop cannot
    /// queue without bound for a peer that does not read. 0 means no limit.
    pub fn set_write_buffer_size(&mut self, size: u64) {
        self.write_buffer_size = usize::try_from(size).unwrap_or(usize::MAX);
    }

    /// Application bytes not yet on the network (`bytesToWrite`).
    pub fn bytes_to_write(&self) -> u64 {
        (self.raw_out.len() + self.tls_out.len()) as u64 + self.tls_unflushed
    }

    /// Whether the connection is closed and everything was read (`atEnd`).
    pub fn at_end(&self) -> bool {
        self.state == SocketState::Unconnected && self.read_buf.is_empty()
    }

    // ----- state -----

    /// The connection state (`state`).
    pub fn state(&self) -> SocketState {
        self.state
    }

    /// The mode (`mode`).
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Whether encrypted (`isEncrypted`).
    pub fn is_encrypted(&self) -> bool {
        self.encrypted
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

    /// The TLS settings, to change them for the next handshake (`setSslConfiguration`).
    pub fn config_mut(&mut self) -> &mut SslConfiguration {
        self.server_config = None;
        &mut self.config
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
        let conn = self.tls.as_ref().filter(|_| self.encrypted)?;
        Protocol::from_negotiated(conn.protocol_version()?)
    }

    /// The ALPN protocol agreed on, once encrypted (`nextNegotiatedProtocol`).
    pub fn next_negotiated_protocol(&self) -> Option<Vec<u8>> {
        let conn = self.tls.as_ref().filter(|_| self.encrypted)?;
        conn.alpn_protocol().map(<[u8]>::to_vec)
    }

    /// Whether ALPN was agreed (`nextProtocolNegotiationStatus`).
    pub fn next_protocol_negotiation_status(&self) -> NextProtocolNegotiationStatus {
        match (self.encrypted, self.next_negotiated_protocol()) {
            (true, Some(_)) => NextProtocolNegotiationStatus::Negotiated,
            (true, None) if !self.config.allowed_next_protocols().is_empty() => {
                NextProtocolNegotiationStatus::Unsupported
            }
            _ => NextProtocolNegotiationStatus::None,
        }
    }

    /// Whether the handshake resumed an earlier session (`isSessionResumed`-like).
    pub fn session_resumed(&self) -> bool {
        self.tls
            .as_ref()
            .filter(|_| self.encrypted)
            .and_then(|c| c.handshake_kind())
            == Some(HandshakeKind::Resumed)
    }

    /// The key exchange group negotiated, e.g. `X25519` (Qt's `ephemeralServerKey` info).
    pub fn key_exchange_group(&self) -> Option<String> {
        let conn = self.tls.as_ref().filter(|_| self.encrypted)?;
        Some(crypto::group_name(
            conn.negotiated_key_exchange_group()?.name(),
        ))
    }

    /// Shares a server's session store with this socket's server handshakes, and its rustls
    /// configuration (built from the same settings) while this socket's settings are unchanged.
    pub(crate) fn set_server_context(
        &mut self,
        sessions: Arc<dyn StoresServerSessions>,
        config: Option<Arc<ServerConfig>>,
    ) {
        self.server_sessions = Some(sessions);
        self.server_config = config;
    }

    /// The negotiated cipher, once encrypted (`currentCipher`).
    pub fn current_cipher(&self) -> Option<Cipher> {
        let conn = self.tls.as_ref().filter(|_| self.encrypted)?;
        Cipher::from_suite(conn.negotiated_cipher_suite()?.suite())
    }

    // ----- peer verification -----

    /// The peer's chain as sent, leaf first (`peerCertificateChain`).
    pub fn peer_certificate_chain(&self) -> Vec<Certificate> {
        let logged = verify::lock(&self.log).chain.clone();
        if !logged.is_empty() {
            return logged;
        }
        self.tls
            .as_ref()
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
        verify::lock(&self.log).ocsp_responses.clone()
    }

    /// The verification errors of the last handshake (`sslHandshakeErrors`).
    pub fn ssl_errors(&self) -> Vec<SslErrorEntry> {
        verify::lock(&self.log).errors.clone()
    }

    /// Ignores every verification error of this socket's handshakes (`ignoreSslErrors`).
    pub fn ignore_ssl_errors(&mut self) {
        verify::lock(&self.log).ignore_all = true;
    }

    /// Ignores exactly these errors, each for its certificate or for any certificate when `None`
    /// (`ignoreSslErrors(QList<QSslError>)`). Replaces an earlier list.
    pub fn ignore_ssl_errors_list(&mut self, errors: Vec<(super::SslError, Option<Certificate>)>) {
        verify::lock(&self.log).ignore_list = errors;
    }

    /// Whether the handshake is stopped on certificate errors.
    pub fn is_handshake_interrupted(&self) -> bool {
        self.interrupted
    }

    /// Resumes a handshake interrupted on errors (`continueInterruptedHandshake`). It goes on if
    /// the errors have been ignored since; otherwise the handshake fails.
    ///
    /// # Errors
    /// `InvalidState` when no handshake is interrupted; `SslHandshakeFailed` when the errors
    /// were not ignored (the connection is then dropped).
    pub fn continue_interrupted_handshake(&mut self) -> Result<(), SocketError> {
        if !self.interrupted {
            return Err(SocketError::invalid_state("no handshake is interrupted"));
        }
        self.interrupted = false;
        let (ignored, errors) = {
            let mut log = verify::lock(&self.log);
            log.interrupted = false;
            (log.errors_ignored(), log.errors.clone())
        };
        if !ignored {
            let error = rejected(&errors);
            self.fail(error.clone());
            return Err(error);
        }
        self.process();
        Ok(())
    }

    // ----- helpers -----

    fn open(&mut self, host: &str, port: u16) -> Result<(), SocketError> {
        self.check_state_unconnected()?;
        if host.trim().is_empty() {
            return Err(SocketError::invalid_input("the host name is empty"));
        }
        if port == 0 {
            return Err(SocketError::invalid_input("port 0 cannot be connected to"));
        }
        self.reset_connection();
        self.peer_name = host.to_string();
        self.peer_port = port;
        self.ever_opened = true;
        self.set_state(SocketState::HostLookup);
        match T::connect(host, port).map_err(SocketError::from) {
            Ok(transport) => {
                self.transport = Some(transport);
                self.process();
                Ok(())
            }
            Err(e) => {
                self.fail(e.clone());
                Err(e)
            }
        }
    }

    /// Takes `n` bytes from the read buffer, releasing its memory once empty (an idle
    /// connection should cost as little as possible).
    fn take_read(&mut self, n: usize) -> Vec<u8> {
        let data = self.read_buf.drain(..n).collect();
        release_if_empty(&mut self.read_buf);
        data
    }

    /// The most bytes the read buffer may hold before reading from the network stops.
    fn read_limit(&self) -> usize {
        match self.read_buffer_size {
            0 => usize::MAX,
            n => n,
        }
    }

    /// Whether reading from the network waits: the read buffer holds its limit, the output
    /// waiting to be sent passes its limit, or the instance's memory budget is used up
    /// (handshake records are read regardless: they hold no application data).
    fn input_paused(&self) -> bool {
        (self.read_buf.len() >= self.read_limit() || self.output_full())
            && !self.tls.as_ref().is_some_and(|c| c.is_handshaking())
    }

    /// Whether the output waiting to be sent passes its limit, or the instance's memory budget
    /// is used up.
    fn output_full(&self) -> bool {
        (self.write_buffer_size > 0
            && self.raw_out.len() + self.tls_out.len() >= self.write_buffer_size)
            || budget::exhausted()
    }

    /// Updates this socket's part of the memory budget (its buffers' capacity); a socket holding
    /// more than its share is dropped with `socket-resource`.
    fn check_budget(&mut self) {
        self.account
            .set(self.read_buf.capacity() + self.raw_out.capacity() + self.tls_out.capacity());
        if self.account.over_share() {
            self.fail(SocketError::SocketResource);
            self.read_buf = VecDeque::new();
            self.raw_out = VecDeque::new();
            self.tls_out = VecDeque::new();
            self.account.set(0);
        }
    }

    fn reset_connection(&mut self) {
        self.tls = None;
        self.encrypted = false;
        self.close_notify_sent = false;
        self.write_shutdown = WriteShutdown::Open;
        self.mode = Mode::Plain;
        self.read_buf.clear();
        self.raw_out.clear();
        self.tls_out.clear();
        self.tls_unflushed = 0;
        self.hold_tickets = false;
        self.error = None;
        let mut log = verify::lock(&self.log);
        log.errors.clear();
        log.chain.clear();
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
        if self.mode != Mode::Plain || self.tls.is_some() || self.handshake_on_connect {
            return Err(SocketError::invalid_state(
                "a handshake was already started on this connection",
            ));
        }
        Ok(())
    }

    fn check_readable(&mut self) -> Result<(), SocketError> {
        self.process();
        if self.state == SocketState::Unconnected && self.read_buf.is_empty() {
            return Err(SocketError::invalid_state(if self.ever_opened {
                "the connection is closed and no data is left to read"
            } else {
                "the socket is not connected"
            }));
        }
        Ok(())
    }

    /// The error to report when a wait finds the socket unconnected.
    fn closed_error(&self) -> SocketError {
        self.error
            .clone()
            .unwrap_or_else(|| SocketError::invalid_state("the socket is not connected"))
    }

    fn client_config(&self) -> Result<Arc<rustls::ClientConfig>, SocketError> {
        tls_config::client_config(&self.config)
    }

    fn begin_client_handshake(&mut self) -> Result<(), SocketError> {
        let config = self.client_config()?;
        let name = if self.config.peer_verify_name().is_empty() {
            self.peer_name.clone()
        } else {
            self.config.peer_verify_name().to_owned()
        };
        let server_name = ServerName::try_from(name.clone()).map_err(|_| {
            SocketError::invalid_input(format!("`{name}` is not a valid host name to verify"))
        })?;
        let conn = ClientConnection::new(config, server_name)
            .map_err(|e| SocketError::SslInternal(e.to_string()))?;
        self.begin_tls(Connection::Client(conn), Mode::SslClient);
        Ok(())
    }

    fn begin_tls(&mut self, conn: Connection, mode: Mode) {
        {
            let mut log = verify::lock(&self.log);
            log.errors.clear();
            log.chain.clear();
        }
        self.tls = Some(conn);
        self.ssl_errors_reported = false;
        self.interrupted = false;
        self.mode = mode;
        self.events.push_back(Event::ModeChanged(mode));
    }

    fn wait_until(
        &mut self,
        msecs: i32,
        done: impl Fn(&Self) -> Option<Result<(), SocketError>>,
    ) -> Result<(), SocketError> {
        let deadline = u64::try_from(msecs)
            .ok()
            .map(|ms| Instant::now() + Duration::from_millis(ms));
        loop {
            self.process();
            if let Some(result) = done(self) {
                return result;
            }
            if self.interrupted {
                // Nothing moves until the caller decides; sleep out the deadline.
                let Some(deadline) = deadline else {
                    return Err(interrupted_error());
                };
                if let (Some(transport), Some(left)) = (
                    self.transport.as_mut(),
                    deadline.checked_duration_since(Instant::now()),
                ) {
                    transport.wait(Interest::default(), Some(left));
                }
                return Err(SocketError::SocketTimeout);
            }
            let remaining = match deadline {
                Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => return Err(SocketError::SocketTimeout),
                },
                None => None,
            };
            let interest = self.interest();
            match (self.transport.as_mut(), interest) {
                (Some(transport), Some(interest)) => transport.wait(interest, remaining),
                _ => return Err(self.closed_error()),
            }
        }
    }

    fn advance(&mut self) -> Result<(), SocketError> {
        if matches!(
            self.state,
            SocketState::HostLookup | SocketState::Connecting
        ) {
            let Some(transport) = self.transport.as_mut() else {
                return Ok(());
            };
            let progress = transport.poll_connect()?;
            if progress != ConnectProgress::HostLookup && self.state == SocketState::HostLookup {
                self.events.push_back(Event::HostFound);
                self.set_state(SocketState::Connecting);
            }
            if progress != ConnectProgress::Connected {
                return Ok(());
            }
            self.set_state(SocketState::Connected);
            self.events.push_back(Event::Connected);
            if self.handshake_on_connect {
                self.handshake_on_connect = false;
                self.begin_client_handshake()?;
            }
        }
        if !matches!(self.state, SocketState::Connected | SocketState::Closing) || self.interrupted
        {
            return Ok(());
        }
        self.flush()?;
        self.receive()?;
        if self.interrupted {
            // rustls' next flight (the client's Finished) waits for the caller's decision.
            return Ok(());
        }
        self.flush()?;
        release_if_empty(&mut self.raw_out);
        release_if_empty(&mut self.tls_out);
        if self.state == SocketState::Closing {
            self.continue_close()?;
        } else if self.write_shutdown == WriteShutdown::Requested {
            self.continue_shutdown_write()?;
        }
        Ok(())
    }

    /// Sends what can be sent: plain bytes, TLS records, then more application data.
    fn flush(&mut self) -> Result<(), SocketError> {
        let Some(transport) = self.transport.as_mut() else {
            return Ok(());
        };
        let mut written = 0u64;
        while !self.raw_out.is_empty() && written < PROCESS_BUDGET as u64 {
            let (chunk, _) = self.raw_out.as_slices();
            match transport.write(chunk) {
                Ok(0) => break,
                Ok(n) => {
                    self.raw_out.drain(..n);
                    written += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_error(&e)),
            }
        }
        if written > 0 {
            self.events.push_back(Event::BytesWritten(written));
        }
        if !self.raw_out.is_empty() {
            // TLS records must not overtake plain bytes written before STARTTLS.
            return Ok(());
        }
        let Some(conn) = self.tls.as_mut() else {
            return Ok(());
        };
        if self.hold_tickets {
            if self.tls_out.is_empty() && self.state != SocketState::Closing {
                return Ok(());
            }
            self.hold_tickets = false;
        }
        let mut sent = 0usize;
        loop {
            // Application data goes into rustls first, so that what rustls has queued (session
            // tickets, say) and the data leave in one transport write.
            while self.encrypted && !self.close_notify_sent && !self.tls_out.is_empty() {
                let (chunk, _) = self.tls_out.as_slices();
                let chunk = chunk.get(..chunk.len().min(WRITE_CHUNK)).unwrap_or(chunk);
                let n = conn
                    .writer()
                    .write(chunk)
                    .map_err(|e| SocketError::SslInternal(e.to_string()))?;
                if n == 0 {
                    break;
                }
                self.tls_out.drain(..n);
                self.tls_unflushed += n as u64;
            }
            if !conn.wants_write() {
                return Ok(());
            }
            while conn.wants_write() {
                if sent >= PROCESS_BUDGET {
                    return Ok(());
                }
                match conn.write_tls(&mut TransportIo(&mut *transport)) {
                    Ok(0) => return Ok(()),
                    Ok(n) => sent += n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(io_error(&e)),
                }
            }
            if self.tls_unflushed > 0 {
                self.events
                    .push_back(Event::BytesWritten(self.tls_unflushed));
                self.tls_unflushed = 0;
            }
        }
    }

    /// Reads what has arrived, runs it through TLS, and buffers the application data.
    fn receive(&mut self) -> Result<(), SocketError> {
        let limit = self.read_limit();
        let output_full = self.output_full();
        let mut taken = 0usize;
        let Some(transport) = self.transport.as_mut() else {
            return Ok(());
        };
        let before = self.read_buf.len();
        // Held tickets go out once the peer sends more without waiting for an answer.
        let was_holding = self.hold_tickets;
        let mut got_data = false;
        let mut completed_now = false;
        let mut peer_closed = false;
        let mut buf = [0u8; READ_CHUNK];
        match self.tls.as_mut() {
            None => loop {
                if self.read_buf.len() >= limit || output_full || taken >= PROCESS_BUDGET {
                    break;
                }
                let room = (limit - self.read_buf.len()).min(buf.len());
                match transport.read(buf.get_mut(..room).unwrap_or_default()) {
                    Ok(0) => {
                        peer_closed = true;
                        break;
                    }
                    Ok(n) => {
                        self.read_buf.extend(buf.get(..n).unwrap_or_default());
                        taken += n;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(io_error(&e)),
                }
            },
            Some(conn) => loop {
                let mut blocked = false;
                // Backpressure: with the read buffer full, leave the rest in TCP. (Handshake
                // records are read regardless: they hold no application data.)
                let full = (self.read_buf.len() >= limit || output_full) && !conn.is_handshaking();
                let read = if full {
                    Err(io::Error::from(io::ErrorKind::WouldBlock))
                } else {
                    conn.read_tls(&mut TransportIo(&mut *transport))
                };
                match read {
                    Ok(0) => peer_closed = true,
                    Ok(n) => {
                        got_data = true;
                        taken += n;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => blocked = true,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(io_error(&e)),
                }
                let io_state = match verify::with_log(&self.log, || conn.process_new_packets()) {
                    Ok(io_state) => io_state,
                    Err(e) => {
                        // Send what rustls queued, ending with its alert; best effort.
                        for _ in 0..8 {
                            if !conn.wants_write()
                                || !matches!(conn.write_tls(&mut TransportIo(&mut *transport)), Ok(n) if n > 0)
                            {
                                break;
                            }
                        }
                        return Err(self.tls_failure(&e));
                    }
                };
                if !self.ssl_errors_reported {
                    let (errors, interrupted) = {
                        let log = verify::lock(&self.log);
                        (log.errors.clone(), log.interrupted)
                    };
                    if !errors.is_empty() {
                        self.ssl_errors_reported = true;
                        self.events
                            .push_back(Event::SslErrors(errors.iter().map(|e| e.error).collect()));
                    }
                    if interrupted {
                        // Keep rustls' answer (and any data) unsent until the caller decides.
                        self.interrupted = true;
                        self.events.push_back(Event::HandshakeInterruptedOnError);
                        return Ok(());
                    }
                }
                if !self.encrypted && !conn.is_handshaking() {
                    self.encrypted = true;
                    completed_now = conn.protocol_version() == Some(ProtocolVersion::TLSv1_3)
                        && matches!(conn, Connection::Server(_));
                    self.events.push_back(Event::Encrypted);
                }
                let mut remaining = io_state.plaintext_bytes_to_read();
                while remaining > 0 {
                    let want = remaining.min(buf.len());
                    let slot = buf.get_mut(..want).unwrap_or_default();
                    match conn.reader().read(slot) {
                        Ok(0) => break,
                        Ok(n) => {
                            self.read_buf.extend(slot.get(..n).unwrap_or_default());
                            remaining -= n;
                        }
                        Err(_) => break,
                    }
                }
                if io_state.peer_has_closed() {
                    peer_closed = true;
                }
                if blocked || peer_closed || taken >= PROCESS_BUDGET {
                    break;
                }
            },
        }
        if self.read_buf.len() > before {
            self.events.push_back(Event::ReadyRead);
            self.hold_tickets |= completed_now;
        }
        if was_holding && got_data {
            self.hold_tickets = false;
        }
        if peer_closed {
            self.peer_closed()?;
        }
        Ok(())
    }

    /// The error for a failed `process_new_packets`, queueing `sslErrors` first when
    /// certificate verification failed.
    fn tls_failure(&mut self, e: &rustls::Error) -> SocketError {
        if self.encrypted {
            return SocketError::SslInternal(e.to_string());
        }
        let errors = verify::lock(&self.log).errors.clone();
        if matches!(e, rustls::Error::InvalidCertificate(_)) && !errors.is_empty() {
            if !self.ssl_errors_reported {
                self.ssl_errors_reported = true;
                self.events
                    .push_back(Event::SslErrors(errors.iter().map(|e| e.error).collect()));
            }
            return rejected(&errors);
        }
        SocketError::SslHandshakeFailed(e.to_string())
    }

    fn peer_closed(&mut self) -> Result<(), SocketError> {
        if self.tls.is_some() && !self.encrypted {
            return Err(SocketError::SslHandshakeFailed(
                "the peer closed the connection during the handshake".into(),
            ));
        }
        if self.state == SocketState::Closing || self.write_shutdown != WriteShutdown::Open {
            // Both sides closed on purpose: a clean end, not an error.
            self.drop_connection(Duration::ZERO);
            return Ok(());
        }
        self.error = Some(SocketError::RemoteHostClosed);
        self.events
            .push_back(Event::Error(SocketError::RemoteHostClosed));
        self.drop_connection(SHUTDOWN_FLUSH);
        Ok(())
    }

    /// In `Closing`: once the output and `close_notify` are out, closes.
    fn continue_close(&mut self) -> Result<(), SocketError> {
        if self.send_close_notify_when_flushed()? {
            self.drop_connection(SHUTDOWN_FLUSH);
        }
        Ok(())
    }

    /// After `shutdown_write`: once the output is out, sends `close_notify` (TLS), or the TCP
    /// FIN (plain connections).
    ///
    /// An encrypted socket half-closes with `close_notify` alone (RFC 8446 6.1: the end of what
    /// the sender sends), without a TCP shutdown: jco's preview2-shim 0.26.1 implements
    /// `shutdown(send)` by destroying the whole connection, which would lose the answer.
    fn continue_shutdown_write(&mut self) -> Result<(), SocketError> {
        if !self.send_close_notify_when_flushed()? {
            return Ok(());
        }
        if self.tls.is_none()
            && let Some(transport) = self.transport.as_mut()
            && !transport.shutdown_write().map_err(|e| io_error(&e))?
        {
            return Ok(());
        }
        self.write_shutdown = WriteShutdown::Done;
        Ok(())
    }

    /// Once the queued output is sent, sends `close_notify` (encrypted sockets); returns whether
    /// all of it, `close_notify` included, has left rustls.
    fn send_close_notify_when_flushed(&mut self) -> Result<bool, SocketError> {
        if !self.raw_out.is_empty() || (self.encrypted && !self.tls_out.is_empty()) {
            return Ok(false);
        }
        if let Some(conn) = self.tls.as_mut() {
            if !self.close_notify_sent {
                conn.send_close_notify();
                self.close_notify_sent = true;
                self.flush()?;
            }
            if self.tls.as_ref().is_some_and(|c| c.wants_write()) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn fail(&mut self, error: SocketError) {
        self.error = Some(error.clone());
        self.events.push_back(Event::Error(error));
        // Give a queued alert a moment to leave before the connection closes.
        self.drop_connection(ALERT_FLUSH);
    }

    /// Closes the transport and moves to `Unconnected`, queueing `disconnected` if the socket
    /// was connected.
    fn drop_connection(&mut self, flush: Duration) {
        let was_connected = matches!(self.state, SocketState::Connected | SocketState::Closing);
        if let Some(mut transport) = self.transport.take() {
            transport.shutdown(flush);
            self.retired.push(transport);
        }
        self.encrypted = false;
        self.interrupted = false;
        self.handshake_on_connect = false;
        self.set_state(SocketState::Unconnected);
        if was_connected {
            self.events.push_back(Event::Disconnected);
        }
    }

    fn set_state(&mut self, state: SocketState) {
        if self.state != state {
            self.state = state;
            self.events.push_back(Event::StateChanged(state));
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

/// Frees the memory of an empty buffer.
fn release_if_empty(buf: &mut VecDeque<u8>) {
    if buf.is_empty() && buf.capacity() > 0 {
        *buf = VecDeque::new();
    }
}

/// Lets rustls read from and write to a transport.
struct TransportIo<'a, T>(&'a mut T);

impl<T: Transport> Read for TransportIo<'_, T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl<T: Transport> Write for TransportIo<'_, T> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    /// rustls hands over its queued records together: they go out in one transport write (up
    /// to [`COALESCE`] bytes), so a handshake flight is one TCP segment train rather than several
    /// small writes that Nagle's algorithm would hold back (`wasi:sockets` cannot turn it off).
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        let mut pieces = bufs.iter().filter(|b| !b.is_empty());
        let Some(first) = pieces.next() else {
            return Ok(0);
        };
        if first.len() >= COALESCE || bufs.len() == 1 {
            return self.0.write(first);
        }
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        let mut joined = Vec::with_capacity(total.min(COALESCE));
        joined.extend_from_slice(first);
        for piece in pieces {
            let room = COALESCE - joined.len();
            joined.extend_from_slice(piece.get(..room.min(piece.len())).unwrap_or_default());
            if joined.len() >= COALESCE {
                break;
            }
        }
        self.0.write(&joined)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The handshake error for a certificate rejected because of `errors`.
fn rejected(errors: &[SslErrorEntry]) -> SocketError {
    let reasons: Vec<&str> = errors.iter().map(|e| e.error.message()).collect();
    SocketError::SslHandshakeFailed(format!(
        "the peer's certificate was rejected: {}",
        reasons.join("; ")
    ))
}

fn interrupted_error() -> SocketError {
    SocketError::invalid_state(
        "the handshake is interrupted on certificate errors: call continue-interrupted-handshake or abort",
    )
}

fn io_error(e: &io::Error) -> SocketError {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => SocketError::ConnectionRefused,
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe => SocketError::RemoteHostClosed,
        io::ErrorKind::TimedOut => SocketError::SocketTimeout,
        io::ErrorKind::PermissionDenied => SocketError::SocketAccess,
        _ => SocketError::Network,
    }
}
