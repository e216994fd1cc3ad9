//! A TLS server. Mirrors `QTcpServer` with Qt 6's `QSslServer`: it listens, accepts, runs the
//! server handshake of each new connection under a deadline (a peer that does not finish in time
//! is dropped, so slow clients cannot tie the server up), and queues the encrypted connections
//! for the application. In deferred mode connections are queued plain, for STARTTLS protocols.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::ServerConfig;
use rustls::server::{ProducesTickets, ServerSessionMemoryCache, StoresServerSessions};

use super::alerts::Alert;
use super::errors::{SocketError, SslError};
use super::events::{Event, SocketState};
use super::globals;
use super::settings::SslConfiguration;
use super::socket::SslSocket;
use super::tls_config::{self, ServerResumption};
use crate::transport::{Interest, Listener, Transport};
use sslsocket_crypto::{DEFAULT_TICKET_LIFETIME, TicketKey, Ticketer};

/// The default handshake deadline of accepted connections.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// The default limit of connections accepted but not yet taken (`maxPendingConnections`).
pub const DEFAULT_MAX_PENDING: usize = 30;
/// The default listen backlog (`listenBacklogSize`), as in Qt.
pub const DEFAULT_LISTEN_BACKLOG: u32 = 50;
/// The default read and write buffer limits of accepted connections: a client that sends
/// faster than the application reads, or does not read what it is sent, is held back by TCP
/// instead of growing the instance's memory (Qt leaves them unlimited).
pub const DEFAULT_CONNECTION_BUFFER: u64 = 1024 * 1024;

/// What happened on a server. Mirrors the signals of `QTcpServer` and `QSslServer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerEvent {
    /// A connection is ready to be taken with `next_pending_connection`
    /// (`pendingConnectionAvailable`; `newConnection` in deferred mode).
    PendingConnectionAvailable,
    /// A connection's handshake failed and it was dropped (`errorOccurred(socket, error)`, with
    /// `sslErrors` when certificate errors caused it).
    HandshakeFailed {
        /// The peer's address.
        peer: Option<SocketAddr>,
        /// Why.
        error: SocketError,
        /// The certificate errors found in the client's certificate, if any.
        ssl_errors: Vec<SslError>,
        /// The fatal alert this server sent for it, if any (`alertSent`).
        alert_sent: Option<Alert>,
        /// The alert the client sent, if any (`alertReceived`): why the client refused.
        alert_received: Option<Alert>,
    },
    /// A connection did not finish its handshake before the deadline and was dropped.
    HandshakeTimedOut {
        /// The peer's address.
        peer: Option<SocketAddr>,
    },
    /// Accepting failed (`acceptError`); the server keeps listening.
    AcceptError(SocketError),
}

/// A TLS server. Mirrors `QSslServer`.
pub struct SslServer<T: Transport> {
    listener: Option<T::Listener>,
    /// Shared with the accepted sockets (and the configuration object it came from) until
    /// changed.
    config: Arc<SslConfiguration>,
    sessions: Arc<dyn StoresServerSessions>,
    /// The ticketer of this server once its ticket key was set; before, the instance's default.
    ticketer: Option<Arc<Ticketer>>,
    handshaking: Vec<Handshaking<T>>,
    pending: VecDeque<SslSocket<T>>,
    max_pending: usize,
    listen_backlog: u32,
    handshake_timeout: Duration,
    deferred_handshake: bool,
    read_buffer_size: u64,
    write_buffer_size: u64,
    events: VecDeque<ServerEvent>,
    /// The rustls configuration every accepted connection shares, built from `config` on first
    /// use (so a connection costs its own state only); `None` after `config_mut`.
    shared_config: Option<Arc<ServerConfig>>,
}

impl<T: Transport> Default for SslServer<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Transport> SslServer<T> {
    /// A server that is not listening yet.
    pub fn new() -> Self {
        Self {
            listener: None,
            config: SslConfiguration::default_configuration(),
            sessions: ServerSessionMemoryCache::new(256),
            ticketer: None,
            handshaking: Vec::new(),
            pending: VecDeque::new(),
            max_pending: DEFAULT_MAX_PENDING,
            listen_backlog: DEFAULT_LISTEN_BACKLOG,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            deferred_handshake: false,
            read_buffer_size: DEFAULT_CONNECTION_BUFFER,
            write_buffer_size: DEFAULT_CONNECTION_BUFFER,
            events: VecDeque::new(),
            shared_config: None,
        }
    }

    /// Listens on `address:port`; port 0 picks a free port (`listen`).
    ///
    /// # Errors
    /// `InvalidState` when already listening; `InvalidState` without a local certificate and
    /// key unless the handshake is deferred; the bind or listen error.
    pub fn listen(&mut self, address: &str, port: u16) -> Result<(), SocketError> {
        if self.listener.is_some() {
            return Err(SocketError::invalid_state(
                "the server is already listening",
            ));
        }
        let has_identity = self.config.has_server_identity();
        if !self.deferred_handshake && !has_identity {
            return Err(SocketError::invalid_state(
                "a TLS server needs a local certificate and a private key before it listens",
            ));
        }
        self.listener = Some(T::Listener::listen(address, port, self.listen_backlog)?);
        Ok(())
    }

    /// Whether listening (`isListening`).
    pub fn is_listening(&self) -> bool {
        self.listener.is_some()
    }

    /// Stops listening and drops connections still handshaking (`close`). Pending connections
    /// stay available.
    pub fn close(&mut self) {
        self.listener = None;
        for mut entry in self.handshaking.drain(..) {
            entry.socket.abort();
        }
    }

    /// The address listened on (`serverAddress`, `serverPort`).
    pub fn server_address(&self) -> Option<SocketAddr> {
        self.listener.as_ref().and_then(Listener::local_addr)
    }

    /// The limit of connections accepted but not yet taken (`maxPendingConnections`).
    pub fn max_pending_connections(&self) -> usize {
        self.max_pending
    }

    /// Sets the limit (`setMaxPendingConnections`); at least 1.
    pub fn set_max_pending_connections(&mut self, n: usize) {
        self.max_pending = n.max(1);
    }

    /// The backlog of the next `listen` (`listenBacklogSize`).
    pub fn listen_backlog_size(&self) -> u32 {
        self.listen_backlog
    }

    /// Sets the backlog of the next `listen` (`setListenBacklogSize`); at least 1.
    pub fn set_listen_backlog_size(&mut self, size: u32) {
        self.listen_backlog = size.max(1);
    }

    /// The handshake deadline of new connections (`handshakeTimeout`).
    pub fn handshake_timeout(&self) -> Duration {
        self.handshake_timeout
    }

    /// Sets the handshake deadline (`setHandshakeTimeout`).
    pub fn set_handshake_timeout(&mut self, timeout: Duration) {
        self.handshake_timeout = timeout;
    }

    /// The read buffer limit of connections accepted from now on (see
    /// [`SslSocket::set_read_buffer_size`]); 0 means none. Default: 1 MiB.
    pub fn set_read_buffer_size(&mut self, size: u64) {
        self.read_buffer_size = size;
    }

    /// The write buffer limit of connections accepted from now on (see
    /// [`SslSocket::set_write_buffer_size`]); 0 means none. Default: 1 MiB.
    pub fn set_write_buffer_size(&mut self, size: u64) {
        self.write_buffer_size = size;
    }

    /// The read buffer limit of accepted connections.
    pub fn read_buffer_size(&self) -> u64 {
        self.read_buffer_size
    }

    /// The write buffer limit of accepted connections.
    pub fn write_buffer_size(&self) -> u64 {
        self.write_buffer_size
    }

    /// In deferred mode accepted connections are queued plain and the application calls
    /// `start_server_handshake` itself (STARTTLS).
    pub fn set_deferred_handshake(&mut self, deferred: bool) {
        self.deferred_handshake = deferred;
    }

    /// The settings accepted connections inherit (`sslConfiguration`).
    pub fn config(&self) -> &SslConfiguration {
        &self.config
    }

    /// The settings, to change them for connections accepted from now on; copied first if they
    /// are shared.
    pub fn config_mut(&mut self) -> &mut SslConfiguration {
        self.shared_config = None;
        Arc::make_mut(&mut self.config)
    }

    /// The settings as a shared value (`QSslServer::sslConfiguration`): no copy is made.
    pub fn ssl_configuration(&self) -> Arc<SslConfiguration> {
        Arc::clone(&self.config)
    }

    /// Uses `config` for connections accepted from now on (`QSslServer::setSslConfiguration`),
    /// shared with them, not copied.
    pub fn set_ssl_configuration(&mut self, config: Arc<SslConfiguration>) {
        self.shared_config = None;
        self.config = config;
    }

    /// Sets the key that seals and opens this server's session tickets (48 bytes: a 16-byte name,
    /// then a 32-byte secret). Servers holding the same key resume each other's sessions, in any
    /// instance, process or machine. Setting a new one rotates: tickets sealed under the one
    /// before still open, and the server no longer rotates by itself (Node's `setTicketKeys`).
    ///
    /// # Errors
    /// `InvalidInput` unless `key` is 48 bytes; `SslInternal` if the random generator failed.
    pub fn set_ticket_key(&mut self, key: &[u8]) -> Result<(), SocketError> {
        let key =
            TicketKey::from_bytes(key).map_err(|e| SocketError::invalid_input(e.to_string()))?;
        match &self.ticketer {
            Some(ticketer) => ticketer.set_key(key),
            None => {
                let ticketer = Ticketer::new(DEFAULT_TICKET_LIFETIME)
                    .map_err(|e| SocketError::SslInternal(e.to_string()))?;
                ticketer.set_key(key);
                self.ticketer = Some(Arc::new(ticketer));
                // The shared configuration holds the ticketer: build it again.
                self.shared_config = None;
            }
        }
        Ok(())
    }

    /// The key sealing this server's tickets now, to give to the servers that should resume its
    /// sessions (Node's `getTicketKeys`); `None` when there are no tickets (the random generator
    /// failed). Keep it as secret as a private key.
    pub fn ticket_key(&self) -> Option<Vec<u8>> {
        let ticketer = self.ticketer.clone().or_else(globals::default_ticketer)?;
        Some(ticketer.current_key().to_bytes().to_vec())
    }

    /// Takes a connection the caller accepted (`QSslServer::incomingConnection`): it is handled
    /// exactly like one this server accepted itself (inherited settings, the server handshake
    /// under the deadline, then the pending queue, or the pending queue at once when deferred).
    /// The server need not listen: a host can accept on its own listener and share the
    /// connections out between instances. The connection is taken even past
    /// `max_pending_connections`, which only paces the server's own listener: the caller is the
    /// one accepting.
    pub fn incoming_connection(&mut self, transport: T) {
        let mut socket = SslSocket::from_transport(transport);
        self.configure_connection(&mut socket);
        if self.deferred_handshake {
            self.pending.push_back(socket);
            self.events
                .push_back(ServerEvent::PendingConnectionAvailable);
            return;
        }
        let peer = socket.peer_address();
        match socket.start_server_handshake() {
            Ok(()) => self.handshaking.push(Handshaking {
                peer,
                deadline: Instant::now() + self.handshake_timeout,
                socket,
            }),
            Err(error) => self.events.push_back(ServerEvent::HandshakeFailed {
                peer,
                error,
                ssl_errors: Vec::new(),
                alert_sent: None,
                alert_received: None,
            }),
        }
    }

    /// A new unconnected socket configured as this server configures the connections it
    /// accepts: its settings (SNI identities and stapled OCSP response included), buffer limits,
    /// session cache and ticket key. For connections the caller carries all the way itself
    /// (`open-memory` or `adopt-streams`, then `start-server-handshake`), which then also
    /// applies its own handshake deadline; the server does not track the socket. Mirrors the
    /// socket `QSslServer::incomingConnection` configures from the server.
    pub fn connection_socket(&mut self) -> SslSocket<T> {
        let mut socket = SslSocket::new();
        self.configure_connection(&mut socket);
        socket
    }

    /// Accepts and advances handshakes without blocking; queues events.
    pub fn process(&mut self) {
        self.accept_new();
        let now = Instant::now();
        let mut still = Vec::with_capacity(self.handshaking.len());
        for mut entry in self.handshaking.drain(..) {
            let socket = &mut entry.socket;
            socket.process();
            if socket.is_encrypted() {
                self.pending.push_back(entry.socket);
                self.events
                    .push_back(ServerEvent::PendingConnectionAvailable);
            } else if socket.state() == SocketState::Unconnected {
                let events = socket.take_events();
                let alert = |sent: bool| {
                    events.iter().find_map(|e| match e {
                        Event::AlertSent(a) if sent => Some(*a),
                        Event::AlertReceived(a) if !sent => Some(*a),
                        _ => None,
                    })
                };
                self.events.push_back(ServerEvent::HandshakeFailed {
                    peer: entry.peer,
                    error: socket.error().cloned().unwrap_or_else(|| {
                        SocketError::SslHandshakeFailed("connection lost".into())
                    }),
                    ssl_errors: socket.ssl_errors().iter().map(|e| e.error).collect(),
                    alert_sent: alert(true),
                    alert_received: alert(false),
                });
            } else if now >= entry.deadline {
                socket.abort();
                self.events
                    .push_back(ServerEvent::HandshakeTimedOut { peer: entry.peer });
            } else {
                still.push(entry);
            }
        }
        self.handshaking = still;
    }

    /// Waits until a connection is pending (`waitForNewConnection`); `msecs < 0` waits forever.
    ///
    /// # Errors
    /// `InvalidState` when not listening and nothing is pending; `SocketTimeout`.
    pub fn wait_for_new_connection(&mut self, msecs: i32) -> Result<(), SocketError> {
        let deadline = u64::try_from(msecs)
            .ok()
            .map(|ms| Instant::now() + Duration::from_millis(ms));
        loop {
            self.process();
            if !self.pending.is_empty() {
                return Ok(());
            }
            if self.listener.is_none() && self.handshaking.is_empty() {
                return Err(SocketError::invalid_state("the server is not listening"));
            }
            let now = Instant::now();
            let mut timeout = match deadline {
                Some(deadline) if deadline <= now => return Err(SocketError::SocketTimeout),
                Some(deadline) => Some(deadline - now),
                None => None,
            };
            // Wake up for the earliest handshake deadline too.
            if let Some(first) = self.next_deadline() {
                let left = first.saturating_duration_since(now);
                timeout = Some(timeout.map_or(left, |t| t.min(left)));
            }
            T::wait_any(&self.pollables(), timeout);
        }
    }

    /// Whether a connection is pending (`hasPendingConnections`).
    pub fn has_pending_connections(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Takes the next pending connection (`nextPendingConnection`).
    pub fn next_pending_connection(&mut self) -> Option<SslSocket<T>> {
        self.pending.pop_front()
    }

    /// Removes and returns the queued events, oldest first.
    pub fn take_events(&mut self) -> Vec<ServerEvent> {
        self.events.drain(..).collect()
    }

    /// Whether `process` has something to report right away.
    pub fn has_events(&self) -> bool {
        !self.events.is_empty() || !self.pending.is_empty()
    }

    /// What to wait on: the listener and every handshaking connection.
    pub fn pollables(&self) -> Vec<T::Pollable> {
        let mut pollables: Vec<T::Pollable> = self
            .handshaking
            .iter()
            .filter_map(|Handshaking { socket, .. }| {
                let interest = socket.interest().unwrap_or(Interest {
                    readable: true,
                    writable: false,
                });
                socket.transport().and_then(|t| t.pollable(interest))
            })
            .collect();
        if self.pending.len() + self.handshaking.len() < self.max_pending {
            pollables.extend(self.listener.as_ref().and_then(Listener::pollable));
        }
        pollables
    }

    /// The earliest handshake deadline, if a connection is handshaking.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.handshaking.iter().map(|h| h.deadline).min()
    }

    /// How this server's connections resume sessions.
    /// Gives a connection socket this server's settings, buffer limits and session context.
    fn configure_connection(&mut self, socket: &mut SslSocket<T>) {
        socket.set_ssl_configuration(Arc::clone(&self.config));
        socket.set_read_buffer_size(self.read_buffer_size);
        socket.set_write_buffer_size(self.write_buffer_size);
        socket.set_server_context(self.resumption(), self.shared_config());
    }

    fn resumption(&self) -> ServerResumption {
        let ticketer = self.ticketer.clone().or_else(globals::default_ticketer);
        ServerResumption {
            sessions: Arc::clone(&self.sessions),
            ticketer: ticketer.map(|t| t as Arc<dyn ProducesTickets>),
        }
    }

    /// The shared rustls configuration, built now if needed; `None` when the settings do not
    /// make one (each handshake then reports why).
    fn shared_config(&mut self) -> Option<Arc<ServerConfig>> {
        if self.shared_config.is_none() {
            self.shared_config = tls_config::server_config(&self.config, Some(&self.resumption()))
                .ok()
                .map(Arc::new);
        }
        self.shared_config.clone()
    }

    fn accept_new(&mut self) {
        while self.pending.len() + self.handshaking.len() < self.max_pending {
            let Some(listener) = self.listener.as_mut() else {
                return;
            };
            match listener.accept() {
                Ok(Some(transport)) => self.incoming_connection(transport),
                Ok(None) => return,
                Err(error) => {
                    self.events
                        .push_back(ServerEvent::AcceptError(error.into()));
                    return;
                }
            }
        }
    }
}

/// A connection whose server handshake is running.
struct Handshaking<T: Transport> {
    socket: SslSocket<T>,
    deadline: Instant,
    peer: Option<SocketAddr>,
}
