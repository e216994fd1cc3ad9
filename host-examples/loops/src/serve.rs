//! An `ssl-server` event loop: one thread serves many clients at once, like `openssl s_server`.
//!
//! The loop calls the server's `process`, takes the new encrypted connections, processes the
//! sockets that are ready (reading, answering, closing), reports what happened, and then waits
//! with one host-side `wasi:io/poll` on the server's pollables (`subscribe-all`) and those of
//! every socket ([`PollSet`], which keeps idle sockets' pollables between waits).
//!
//! ```no_run
//! # fn main() -> anyhow::Result<()> {
//! use sslsocket_host::{Session, SessionConfig};
//! use sslsocket_loops::serve::{self, Behaviour, ServeOptions};
//!
//! let mut session = Session::new(SessionConfig::new())?;
//! let server = session.new_server()?;
//! // ... set-local-certificate-chain, set-private-key, listen ...
//! serve::run(&mut session, server, &ServeOptions::new(Behaviour::Echo), |_, event| {
//!     println!("{event:?}");
//! })?;
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Receiver;
use std::time::Duration;

use sslsocket_host::poll_set::{Key, PollSet};
use sslsocket_host::wasmtime;
use sslsocket_host::{
    Alert, Doorbell, ErrorCode, Pollable, ServerEvent, Session, SocketEvent, SocketState, SslError,
    SslServer, SslSocket, names,
};

/// What the server does with the data of each connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Writes every byte back.
    Echo,
    /// Answers an HTTP request with a `200 OK` page describing the connection, then closes
    /// (`openssl s_server -www`).
    Www,
    /// Reads and reports the data, answers nothing.
    Sink,
}

/// How [`run`] serves.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// What to do with the data.
    pub behaviour: Behaviour,
    /// Return after this many connections have ended (closed, failed or timed out); `None`
    /// serves until `stop` is set.
    pub max_connections: Option<u64>,
    /// Return when this becomes true: checked at every wake-up, so whoever sets it rings the
    /// [`Inbox`]'s bell, or a [`ServeOptions::tick`] bounds the wait.
    pub stop: Option<Arc<AtomicBool>>,
    /// The longest single wait of the loop; `None`: wait until something happens (a loop
    /// whose stop rings its inbox's bell needs no tick).
    pub tick: Option<Duration>,
    /// Where connection numbers come from (each connection takes the next, from 1); loops
    /// that share one number their connections together.
    pub ids: Arc<AtomicU64>,
}

impl ServeOptions {
    /// Serve forever with this behaviour; a 200 ms tick for `stop`.
    pub fn new(behaviour: Behaviour) -> Self {
        Self {
            behaviour,
            max_connections: None,
            stop: None,
            tick: Some(Duration::from_millis(200)),
            ids: Arc::new(AtomicU64::new(1)),
        }
    }
}

/// Work handed to [`run_with_inbox`] from another thread: send it, then ring the bell (which
/// also wakes the loop to look at [`ServeOptions::stop`]).
#[derive(Debug)]
pub struct Inbox {
    /// The work.
    pub work: Receiver<Incoming>,
    /// Rung after each send, and to stop.
    pub bell: Doorbell,
}

/// What comes through an [`Inbox`].
#[derive(Debug)]
pub enum Incoming {
    /// A connection the host accepted, for the server (`incoming-connection`).
    Connection(TcpStream),
    /// A new 48-byte session ticket key for the server (`set-ticket-keys`: the key before it
    /// still opens tickets).
    TicketKey(Vec<u8>),
}

/// What a connection looked like once its handshake finished.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// A number for the connection, counting from 1.
    pub id: u64,
    /// `address:port` of the client.
    pub peer: String,
    /// `TLSv1.2` / `TLSv1.3`.
    pub protocol: Option<String>,
    /// The cipher (OpenSSL-style name for TLS 1.2, IANA for 1.3, as the component reports it).
    pub cipher: Option<String>,
    /// The ALPN protocol agreed.
    pub alpn: Option<String>,
    /// Whether the handshake resumed an earlier session.
    pub resumed: bool,
    /// The key exchange group.
    pub group: Option<String>,
    /// The subject of the client's certificate.
    pub client_certificate: Option<String>,
    /// The handshake's NSS key-log lines, when the server was set to log them
    /// (`set-dangerous-key-logging`): secrets, for `SSLKEYLOGFILE` only.
    pub key_log: Vec<String>,
}

/// What happened, as reported to the callback of [`run`].
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A connection finished its handshake.
    Accepted(Accepted),
    /// A connection's handshake failed; it was dropped.
    HandshakeFailed {
        /// The client's address.
        peer: Option<String>,
        /// Why.
        error: ErrorCode,
        /// Certificate errors in the client's certificate.
        ssl_errors: Vec<SslError>,
        /// The fatal alert the server sent, if any.
        alert_sent: Option<Alert>,
        /// The alert the client sent, if any.
        alert_received: Option<Alert>,
    },
    /// A connection did not finish its handshake in time; it was dropped.
    HandshakeTimedOut {
        /// The client's address.
        peer: Option<String>,
    },
    /// Accepting failed; the server keeps listening.
    AcceptError(ErrorCode),
    /// Bytes were received on a connection.
    Received {
        /// The connection.
        id: u64,
        /// How many.
        bytes: usize,
    },
    /// A connection ended.
    Closed {
        /// The connection.
        id: u64,
        /// `address:port` of the client.
        peer: String,
        /// The socket error that ended it, if it was not a clean close.
        error: Option<ErrorCode>,
    },
}

struct Connection {
    id: u64,
    socket: SslSocket,
    peer: String,
    info: Accepted,
    request: Vec<u8>,
    answered: bool,
    error: Option<ErrorCode>,
}

/// Serves on a listening `server` until the options say stop; reports every event to `report`
/// (which may call into the session, e.g. to print). Sockets still open at the end are aborted
/// and dropped; the server is left listening (close or drop it yourself).
///
/// # Errors
/// A trap in the component.
pub fn run(
    session: &mut Session,
    server: SslServer,
    options: &ServeOptions,
    report: impl FnMut(&mut Session, &Event),
) -> wasmtime::Result<()> {
    serve(session, server, options, None, report)
}

/// As [`run`], and serves the connections that come through `inbox` too (handed to the server
/// with `incoming-connection`): the server need not listen. The loop sleeps until a connection,
/// a socket, the server or the bell needs it.
///
/// # Errors
/// A trap in the component.
pub fn run_with_inbox(
    session: &mut Session,
    server: SslServer,
    options: &ServeOptions,
    inbox: &Inbox,
    report: impl FnMut(&mut Session, &Event),
) -> wasmtime::Result<()> {
    let bell = session.subscribe_doorbell(&inbox.bell)?;
    let result = serve(session, server, options, Some((inbox, &bell)), report);
    bell.drop(session)?;
    result
}

fn serve(
    session: &mut Session,
    server: SslServer,
    options: &ServeOptions,
    inbox: Option<(&Inbox, &Pollable)>,
    mut report: impl FnMut(&mut Session, &Event),
) -> wasmtime::Result<()> {
    let mut set = PollSet::new();
    let mut connections: HashMap<Key, Connection> = HashMap::new();
    // Connections to process now: new ones, and those whose pollable was ready.
    let mut due: Vec<Key> = Vec::new();
    let mut ended = 0u64;
    loop {
        if let Some((inbox, _)) = inbox {
            // Answer first: a connection sent while the queue drains rings again.
            inbox.bell.answer();
            while let Ok(work) = inbox.work.try_recv() {
                // Only a malformed peer address or a key of the wrong length is refused; the
                // sender's are not.
                let _ = match work {
                    Incoming::Connection(stream) => server.incoming_tcp(session, stream)?,
                    Incoming::TicketKey(key) => server.set_ticket_keys(session, &key)?,
                };
            }
        }
        server.process(session)?;
        for event in server.take_events(session)? {
            let event = match event {
                ServerEvent::PendingConnectionAvailable => continue,
                ServerEvent::HandshakeFailed(failure) => {
                    ended += 1;
                    Event::HandshakeFailed {
                        peer: failure.peer_address,
                        error: failure.error,
                        ssl_errors: failure.ssl_errors,
                        alert_sent: failure.alert_sent,
                        alert_received: failure.alert_received,
                    }
                }
                ServerEvent::HandshakeTimedOut(peer) => {
                    ended += 1;
                    Event::HandshakeTimedOut { peer }
                }
                ServerEvent::AcceptError(error) => Event::AcceptError(error),
            };
            report(session, &event);
        }
        while let Some(socket) = server.next_pending_connection(session)? {
            let next_id = options.ids.fetch_add(1, Ordering::Relaxed);
            let info = describe(session, socket, next_id)?;
            report(session, &Event::Accepted(info.clone()));
            let key = set.insert(socket);
            connections.insert(
                key,
                Connection {
                    id: next_id,
                    socket,
                    peer: info.peer.clone(),
                    info,
                    request: Vec::new(),
                    answered: false,
                    error: None,
                },
            );
            due.push(key);
        }

        for key in due.drain(..) {
            let Some(conn) = connections.get_mut(&key) else {
                continue;
            };
            if serve_one(session, conn, options.behaviour, &mut report)? {
                continue;
            }
            set.remove(session, key)?;
            if let Some(conn) = connections.remove(&key) {
                ended += 1;
                report(
                    session,
                    &Event::Closed {
                        id: conn.id,
                        peer: conn.peer.clone(),
                        error: conn.error.clone(),
                    },
                );
                conn.socket.drop(session)?;
            }
        }

        let limit_reached = options.max_connections.is_some_and(|max| ended >= max);
        let stopped = options
            .stop
            .as_ref()
            .is_some_and(|stop| stop.load(Ordering::SeqCst));
        if limit_reached || stopped {
            // Pollables are children of the sockets' streams: drop them first.
            set.clear(session)?;
            for conn in connections.into_values() {
                conn.socket.abort(session)?;
                conn.socket.drop(session)?;
            }
            return Ok(());
        }

        // One wait for everything: the listener, the handshakes, and every connection.
        let server_pollables = server.subscribe_all(session)?;
        let mut refs: Vec<&Pollable> = server_pollables.iter().collect();
        refs.extend(inbox.map(|(_, bell)| bell));
        let ready = set.wait(session, &refs, options.tick);
        drop(refs);
        for pollable in server_pollables {
            pollable.drop(session)?;
        }
        due = ready?.sockets;
    }
}

/// Takes the connection's events, keeping the error that ends it (a peer's close is not one).
fn note_errors(session: &mut Session, conn: &mut Connection) -> wasmtime::Result<()> {
    for event in conn.socket.take_events(session)? {
        if let SocketEvent::Error(code) = event
            && !matches!(code, ErrorCode::RemoteHostClosed)
        {
            conn.error = Some(code);
        }
    }
    Ok(())
}

/// Processes one connection; returns whether it is still open.
fn serve_one(
    session: &mut Session,
    conn: &mut Connection,
    behaviour: Behaviour,
    report: &mut impl FnMut(&mut Session, &Event),
) -> wasmtime::Result<bool> {
    let socket = conn.socket;
    socket.process(session)?;
    note_errors(session, conn)?;
    let data: Vec<u8> = socket.read_all(session)?.unwrap_or_default();
    if !data.is_empty() {
        report(
            session,
            &Event::Received {
                id: conn.id,
                bytes: data.len(),
            },
        );
        match behaviour {
            Behaviour::Echo => {
                let _ = socket.write(session, &data)?;
            }
            Behaviour::Www => conn.request.extend_from_slice(&data),
            Behaviour::Sink => {}
        }
    }
    if behaviour == Behaviour::Www && !conn.answered {
        let complete = conn.request.windows(4).any(|w| w == b"\r\n\r\n")
            || conn.request.windows(2).any(|w| w == b"\n\n");
        if complete {
            conn.answered = true;
            let page = www_page(&conn.info, &conn.request);
            let _ = socket.write(session, page.as_bytes())?;
            socket.disconnect_from_host(session)?;
        }
    }
    let state = socket.state(session)?;
    if state == SocketState::Unconnected {
        // A write can end the connection too (e.g. past the instance's memory budget). Events
        // are taken only now: one left queued (`ready-read` from the write's own processing)
        // keeps the socket's pollable ready, so that the data it announces gets read.
        note_errors(session, conn)?;
        return Ok(false);
    }
    // The client closed: finish our side too (echo has sent everything already).
    if socket.at_end(session)? && state == SocketState::Connected {
        socket.disconnect_from_host(session)?;
        return Ok(socket.state(session)? != SocketState::Unconnected);
    }
    Ok(true)
}

/// Reads what a freshly accepted connection negotiated.
fn describe(session: &mut Session, socket: SslSocket, id: u64) -> wasmtime::Result<Accepted> {
    let address = socket.peer_address(session)?;
    let port = socket.peer_port(session)?;
    let peer = match address {
        Some(a) if a.contains(':') => format!("[{a}]:{port}"),
        Some(a) => format!("{a}:{port}"),
        None => "unknown".to_owned(),
    };
    let client_certificate = match socket.peer_certificate(session)? {
        Some(cert) => {
            let subject = cert.subject(session)?;
            cert.drop(session)?;
            Some(subject)
        }
        None => None,
    };
    // The handshake's events: only its key-log lines matter now (it succeeded).
    let key_log = socket
        .take_events(session)?
        .into_iter()
        .filter_map(|event| match event {
            SocketEvent::KeyLogLine(line) => Some(line),
            _ => None,
        })
        .collect();
    Ok(Accepted {
        id,
        peer,
        key_log,
        protocol: socket
            .session_protocol(session)?
            .map(|p| names::protocol_display(p).to_owned()),
        cipher: socket.current_cipher(session)?.map(|c| c.name),
        alpn: socket.next_negotiated_protocol(session)?,
        resumed: socket.session_resumed(session)?,
        group: socket.key_exchange_group(session)?,
        client_certificate,
    })
}

/// The `--www` answer: a plain-text page describing the connection (`openssl s_server -www`).
fn www_page(info: &Accepted, request: &[u8]) -> String {
    let first_line = request
        .split(|&b| b == b'\n')
        .next()
        .map(|l| String::from_utf8_lossy(l).trim_end().to_owned())
        .unwrap_or_default();
    let none = "(none)";
    let body = format!(
        "sslsocket serve: QSslServer inside WebAssembly\n\
         Request: {first_line}\n\
         Client: {}\n\
         Protocol: {}\n\
         Cipher: {}\n\
         Key exchange group: {}\n\
         ALPN: {}\n\
         Session resumed: {}\n\
         Client certificate: {}\n",
        info.peer,
        info.protocol.as_deref().unwrap_or(none),
        info.cipher.as_deref().unwrap_or(none),
        info.group.as_deref().unwrap_or(none),
        info.alpn.as_deref().unwrap_or(none),
        if info.resumed { "yes" } else { "no" },
        info.client_certificate.as_deref().unwrap_or(none),
    );
    format!(
        "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}
