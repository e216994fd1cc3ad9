//! Many TLS clients in one component instance, driven by one host thread: opens `connections`
//! sockets to an echo server and keeps them all open, then sends a distinct payload on every one
//! at once and checks each echo byte for byte. Used by `sslsocket bench --connections` and by the
//! scale test; the server side is usually [`crate::serve::run`] in another session.

use std::collections::HashMap;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use sslsocket_host::poll_set::{Key, PollSet};
use sslsocket_host::{EncodingFormat, Session, SessionConfig, SocketEvent, SslServer, SslSocket};

use crate::serve::{self, Behaviour, Event, ServeOptions};

/// What [`run`] does.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// The server's host name (verified against its certificate) and port.
    pub host: String,
    /// The server's port.
    pub port: u16,
    /// How many connections to hold open at once.
    pub connections: usize,
    /// Bytes each connection sends and expects back.
    pub payload: usize,
    /// The most connections handshaking at the same time (the rest wait their turn).
    pub max_handshaking: usize,
    /// PEM of the CA that issued the server's certificate.
    pub ca_pem: String,
    /// The whole run fails if it takes longer.
    pub deadline: Duration,
}

/// What [`run`] measured.
#[derive(Clone, Debug, Default)]
pub struct LoadReport {
    /// Connections that were open and encrypted at the same time.
    pub connections: usize,
    /// From the first connect to the last connection encrypted.
    pub open_time: Duration,
    /// From the first payload written to the last echo checked.
    pub echo_time: Duration,
    /// Guest memory before the first socket was made.
    pub memory_before: usize,
    /// Guest memory with every connection open and idle.
    pub memory_open: usize,
    /// Guest memory after every payload was echoed.
    pub memory_after_echo: usize,
}

impl LoadReport {
    /// Guest memory per idle open connection, in bytes.
    pub fn memory_per_connection(&self) -> usize {
        self.memory_open.saturating_sub(self.memory_before) / self.connections.max(1)
    }
}

/// One client connection.
struct Client {
    socket: SslSocket,
    id: usize,
    received: Vec<u8>,
}

/// Opens the connections, moves the payloads, closes everything. Fails on the first connection
/// that fails, or when the deadline passes.
///
/// # Errors
/// A failed connection, a wrong echo, the deadline, or a trap.
pub fn run(session: &mut Session, options: &LoadOptions) -> anyhow::Result<LoadReport> {
    run_with_progress(session, options, |_| {})
}

/// How far [`run_with_progress`] has come.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Connections encrypted so far, of how many.
    Opened(usize, usize),
    /// Connections whose echo came back, of how many.
    Echoed(usize, usize),
}

/// [`run`], reporting its progress to `progress` as connections open and echoes come back (for
/// a progress bar).
///
/// # Errors
/// As [`run`].
pub fn run_with_progress(
    session: &mut Session,
    options: &LoadOptions,
    mut progress: impl FnMut(Progress),
) -> anyhow::Result<LoadReport> {
    let mut set = PollSet::new();
    let mut clients: HashMap<Key, Client> = HashMap::new();
    let result = drive(session, options, &mut set, &mut clients, &mut progress);
    // Close everything, whatever happened; pollables go before their sockets.
    set.clear(session)?;
    for client in clients.into_values() {
        client.socket.abort(session)?;
        client.socket.drop(session)?;
    }
    result
}

fn drive(
    session: &mut Session,
    options: &LoadOptions,
    set: &mut PollSet,
    clients: &mut HashMap<Key, Client>,
    progress: &mut impl FnMut(Progress),
) -> anyhow::Result<LoadReport> {
    let deadline = Instant::now() + options.deadline;
    let mut report = LoadReport {
        memory_before: session.guest_memory(),
        ..LoadReport::default()
    };

    // Phase 1: open every connection, a bounded number handshaking at a time.
    let started = Instant::now();
    let mut opened = 0usize;
    let mut handshaking = 0usize;
    let mut encrypted = 0usize;
    while encrypted < options.connections {
        while opened < options.connections && handshaking < options.max_handshaking.max(1) {
            let socket = session.new_socket()?;
            let key = set.insert(socket);
            clients.insert(
                key,
                Client {
                    socket,
                    id: opened,
                    received: Vec::new(),
                },
            );
            socket
                .add_ca_certificates_pem(session, &options.ca_pem)?
                .map_err(|e| anyhow!("the CA certificate: {e:?}"))?;
            socket
                .connect_to_host_encrypted(session, &options.host, options.port)?
                .map_err(|e| anyhow!("connection {opened}: {e:?}"))?;
            opened += 1;
            handshaking += 1;
        }
        for key in wait(session, set, deadline, "open")? {
            let client = client(clients, key)?;
            client.socket.process(session)?;
            for event in client.socket.take_events(session)? {
                match event {
                    SocketEvent::Encrypted => {
                        handshaking -= 1;
                        encrypted += 1;
                        progress(Progress::Opened(encrypted, options.connections));
                    }
                    SocketEvent::Error(e) => bail!("connection {}: {e:?}", client.id),
                    _ => {}
                }
            }
        }
    }
    report.open_time = started.elapsed();
    report.connections = encrypted;
    report.memory_open = session.guest_memory();

    // Phase 2: every connection sends its own payload at once; every echo is checked.
    let started = Instant::now();
    for (&key, client) in clients.iter() {
        client
            .socket
            .write(session, &payload(client.id, options.payload))?
            .map_err(|e| anyhow!("connection {}: write: {e:?}", client.id))?;
        set.touch(session, key)?;
    }
    let mut done = 0usize;
    while done < clients.len() {
        for key in wait(session, set, deadline, "echo")? {
            let client = client(clients, key)?;
            client.socket.process(session)?;
            for event in client.socket.take_events(session)? {
                if let SocketEvent::Error(e) = event {
                    bail!("connection {}: {e:?}", client.id);
                }
            }
            let data = client
                .socket
                .read_all(session)?
                .map_err(|e| anyhow!("connection {}: read: {e:?}", client.id))?;
            if data.is_empty() {
                continue;
            }
            client.received.extend_from_slice(&data);
            if client.received.len() >= options.payload {
                if client.received != payload(client.id, options.payload) {
                    bail!(
                        "connection {}: the echo differs from what was sent",
                        client.id
                    );
                }
                client.received = Vec::new();
                done += 1;
                progress(Progress::Echoed(done, options.connections));
            }
        }
    }
    report.echo_time = started.elapsed();
    report.memory_after_echo = session.guest_memory();
    Ok(report)
}

/// What the server side of a load run saw.
#[derive(Clone, Debug, Default)]
pub struct ServerReport {
    /// Connections that finished their handshake.
    pub accepted: usize,
    /// The most connections open at the same time.
    pub peak_open: usize,
    /// Handshake failures, time-outs and accept errors, described.
    pub failures: Vec<String>,
    /// Guest memory with the server listening and no connection.
    pub memory_before: usize,
    /// Guest memory when the most connections were open.
    pub memory_at_peak: usize,
}

impl ServerReport {
    /// Guest memory per open connection at the peak, in bytes.
    pub fn memory_per_connection(&self) -> usize {
        self.memory_at_peak.saturating_sub(self.memory_before) / self.peak_open.max(1)
    }
}

/// Starts an echo server ([`crate::serve::run`]) in a new component instance on its own thread,
/// listening on 127.0.0.1 with the certificate chain `cert_pem` (PEM, leaf first) and the private
/// key `key_pem` (PEM), sized for `connections` clients at once. It returns once `connections`
/// connections have ended (or failed). Returns the port and the thread.
///
/// # Errors
/// Setting up the server failed.
pub fn spawn_echo_server(
    cert_pem: &str,
    key_pem: &str,
    connections: usize,
    config: SessionConfig,
) -> anyhow::Result<(u16, JoinHandle<anyhow::Result<ServerReport>>)> {
    let (cert_pem, key_pem) = (cert_pem.to_owned(), key_pem.to_owned());
    let (tx, rx) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        let setup = (|| -> anyhow::Result<(Session, SslServer)> {
            let mut session = Session::new(config)?;
            let server = session.new_server()?;
            set_identity(&mut session, server, &cert_pem, &key_pem)?;
            server.set_max_pending_connections(&mut session, SERVER_PENDING)?;
            let backlog = u32::try_from(connections)
                .unwrap_or(u32::MAX)
                .max(SERVER_PENDING);
            server.set_listen_backlog_size(&mut session, backlog)?;
            server
                .listen(&mut session, "127.0.0.1", 0)?
                .map_err(|e| anyhow!("listen: {e:?}"))?;
            Ok((session, server))
        })();
        let (mut session, server) = match setup {
            Ok(ready) => ready,
            Err(e) => {
                let _ = tx.send(Err(format!("{e:#}")));
                return Err(e);
            }
        };
        let _ = tx.send(Ok(server.server_port(&mut session)?));
        let mut report = ServerReport {
            memory_before: session.guest_memory(),
            ..ServerReport::default()
        };
        let mut open = 0usize;
        let mut options = ServeOptions::new(Behaviour::Echo);
        options.max_connections = Some(connections as u64);
        serve::run(
            &mut session,
            server,
            &options,
            |session, event| match event {
                Event::Accepted(_) => {
                    report.accepted += 1;
                    open += 1;
                    if open > report.peak_open {
                        report.peak_open = open;
                        report.memory_at_peak = session.guest_memory();
                    }
                }
                Event::Closed { .. } => open = open.saturating_sub(1),
                Event::Received { .. } => {}
                other => report.failures.push(format!("{other:?}")),
            },
        )?;
        server.drop(&mut session)?;
        Ok(report)
    });
    match rx.recv() {
        Ok(Ok(port)) => Ok((port, thread)),
        Ok(Err(e)) => Err(anyhow!("the echo server: {e}")),
        Err(_) => Err(anyhow!("the echo server thread ended before listening")),
    }
}

/// Gives `server` the chain `cert_pem` (PEM, leaf first) and the key `key_pem` (PEM).
///
/// # Errors
/// Either does not parse or they do not match; a trap.
pub fn set_identity(
    session: &mut Session,
    server: SslServer,
    cert_pem: &str,
    key_pem: &str,
) -> anyhow::Result<()> {
    let chain = session
        .certificates_from_pem(cert_pem)?
        .map_err(|e| anyhow!("the server certificate: {e:?}"))?;
    server.set_local_certificate_chain(session, &chain.iter().collect::<Vec<_>>())?;
    for cert in chain {
        cert.drop(session)?;
    }
    let key = session
        .private_key_from_data(key_pem.as_bytes(), EncodingFormat::Pem)?
        .map_err(|e| anyhow!("the server key: {e:?}"))?;
    server
        .set_private_key(session, &key)?
        .map_err(|e| anyhow!("the server key: {e:?}"))?;
    key.drop(session)?;
    Ok(())
}

/// Connections the echo server handshakes (or holds untaken) at once.
const SERVER_PENDING: u32 = 128;

/// The distinct payload of connection `id`.
pub fn payload(id: usize, len: usize) -> Vec<u8> {
    let mut state = (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

fn wait(
    session: &mut Session,
    set: &mut PollSet,
    deadline: Instant,
    phase: &str,
) -> anyhow::Result<Vec<Key>> {
    let left = deadline
        .checked_duration_since(Instant::now())
        .with_context(|| format!("the deadline passed in the {phase} phase"))?;
    Ok(set.wait(session, &[], Some(left))?.sockets)
}

fn client(clients: &mut HashMap<Key, Client>, key: Key) -> anyhow::Result<&mut Client> {
    clients
        .get_mut(&key)
        .ok_or_else(|| anyhow!("no client under key {key}"))
}
