//! One TLS connection: rustls driven through its unbuffered API, with buffers of our own that an
//! idle connection gives back.
//!
//! rustls' buffered `Connection` keeps a 4 KiB receive buffer for its whole life once it has
//! read anything, which is most of what an idle connection costs in the guest. Here the bytes
//! read from the network, the records waiting to be sent and the decrypted application data
//! live in three buffers of this type, sized to what they hold and freed by
//! [`TlsConnection::release_idle`] when empty. The interface is the small part of rustls'
//! buffered one the socket uses (`read_tls`, `process_new_packets`, `write_tls`, ...); the
//! negotiated parameters come from rustls' [`CommonState`] (`Deref`).

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::ops::Deref;
use std::sync::Arc;

use rustls::client::UnbufferedClientConnection;
use rustls::pki_types::ServerName;
use rustls::server::UnbufferedServerConnection;
use rustls::unbuffered::{ConnectionState, EncodeError, EncryptError, UnbufferedStatus};
use rustls::{ClientConfig, CommonState, Error, ServerConfig};

use super::alerts::{self, Alert};
use super::budget;
use super::events::Event;
use super::keying_material::{self, ExportError, ExporterKeys, Random};

/// What one read from the network asks for at least (rustls' own read size).
const READ_SIZE: usize = 4096;
/// The most received bytes held: a handshake message rustls joins from several records (it
/// allows 64 KiB) and the record behind it.
const MAX_INCOMING: usize = 0x1_0000 + MAX_RECORD;
/// The largest TLS record on the wire (header, 16 KiB of data, expansion).
const MAX_RECORD: usize = 5 + 16 * 1024 + 2048;
/// The most encrypted bytes queued before [`TlsConnection::write_plaintext`] takes no more: four
/// transport writes' worth (`wasi:io` output streams take 64 KiB at a time), so a sender keeps
/// encrypting while the host still writes what it took (BENCHMARKS.md, "Encrypting ahead").
const OUTGOING_LIMIT: usize = 256 * 1024;
/// The same while the instance's memory budget is used up: one transport write's worth.
const OUTGOING_LIMIT_TIGHT: usize = 64 * 1024;
/// A TLS record header: content type, version, length.
const HEADER: usize = 5;

/// A client or server TLS connection and its buffers.
pub(crate) struct TlsConnection {
    side: Side,
    /// Bytes read from the network and not yet taken by rustls (exactly those: `len` is what is
    /// held).
    incoming: Vec<u8>,
    /// Records to send, the rest of rustls' state's output.
    out: Output,
    /// The error that ended the connection; every later call returns it again.
    failed: Option<Error>,
    /// The hello randoms, looked for in the first records each way while handshaking; `None`
    /// once the handshake is over.
    hellos: Option<Box<Hellos>>,
    /// What the exporter needs, once the handshake gave it.
    exporter: Option<Box<ExporterKeys>>,
    /// Whether the handshake's secrets are kept as NSS key-log lines (the dangerous setting).
    log_keys: bool,
    /// TLS 1.3 session tickets reported so far.
    tickets_reported: u32,
}

/// The hello randoms of a handshake in progress.
#[derive(Default)]
struct Hellos {
    client: Option<Random>,
    server: Option<Random>,
    /// The first record each way was looked at (incoming, outgoing): no need to look again.
    incoming_seen: bool,
    outgoing_seen: bool,
}

/// The two kinds of connection.
enum Side {
    Client(UnbufferedClientConnection),
    Server(UnbufferedServerConnection),
}

/// What rustls' states produce: kept apart from `Side` and `incoming`, which a state borrows.
#[derive(Default)]
struct Output {
    /// Encrypted records waiting for the network.
    outgoing: Vec<u8>,
    /// Decrypted application data waiting for the socket.
    plaintext: VecDeque<u8>,
    /// Whether the peer sent `close_notify`.
    peer_closed: bool,
    /// Whether `close_notify` is to be sent as soon as rustls can encrypt it.
    close_notify_wanted: bool,
    /// Whether it was queued.
    close_notify_queued: bool,
    /// Signals not yet taken ([`TlsConnection::take_events`]): alerts, key-log lines, tickets.
    events: Vec<Event>,
}

impl TlsConnection {
    /// A client connection to `name`.
    ///
    /// # Errors
    /// The configuration cannot make a connection (rustls' error).
    pub(crate) fn client(
        config: Arc<ClientConfig>,
        name: ServerName<'static>,
    ) -> Result<Self, Error> {
        Ok(Self::new(Side::Client(UnbufferedClientConnection::new(
            config, name,
        )?)))
    }

    /// A server connection.
    ///
    /// # Errors
    /// The configuration cannot make a connection (rustls' error).
    pub(crate) fn server(config: Arc<ServerConfig>) -> Result<Self, Error> {
        Ok(Self::new(Side::Server(UnbufferedServerConnection::new(
            config,
        )?)))
    }

    /// Keeps the handshake's secrets as NSS key-log lines (`SSLKEYLOGFILE`): dangerous, anyone
    /// with them decrypts the connection. The configuration must capture every label
    /// ([`keying_material::capture`] with `all`).
    pub(crate) fn dangerous_log_keys(&mut self) {
        self.log_keys = true;
    }

    /// Takes the signals of the connection since the last call, oldest first: alerts sent and
    /// received, key-log lines, TLS 1.3 session tickets received.
    pub(crate) fn take_events(&mut self) -> Vec<Event> {
        if let Side::Client(conn) = &self.side {
            let tickets = conn.tls13_tickets_received();
            for _ in self.tickets_reported..tickets {
                self.out.events.push(Event::NewSessionTicketReceived);
            }
            self.tickets_reported = tickets;
        }
        std::mem::take(&mut self.out.events)
    }

    /// Fills `out` with keying material for `label` and `context` (RFC 5705, RFC 8446 §7.5).
    ///
    /// # Errors
    /// `Unavailable` before the handshake is done (or when its secret was not captured),
    /// `Invalid` for a reserved label or a length the hash cannot give.
    pub(crate) fn export_keying_material(
        &self,
        label: &[u8],
        context: Option<&[u8]>,
        out: &mut [u8],
    ) -> Result<(), ExportError> {
        if self.is_handshaking() {
            return Err(ExportError::Unavailable);
        }
        let suite = self
            .negotiated_cipher_suite()
            .ok_or(ExportError::Unavailable)?;
        self.exporter
            .as_ref()
            .ok_or(ExportError::Unavailable)?
            .export(suite, label, context, out)
    }

    /// Whether this is the server side.
    pub(crate) fn is_server(&self) -> bool {
        matches!(self.side, Side::Server(_))
    }

    /// Takes bytes that arrived before the handshake started (a STARTTLS client's hello sent
    /// right behind the command).
    pub(crate) fn feed(&mut self, bytes: &[u8]) {
        self.incoming.extend_from_slice(bytes);
    }

    /// Reads from the network what the next record needs (at least [`READ_SIZE`]). `Ok(0)`: the
    /// end of the stream, or the peer's `close_notify` came before.
    ///
    /// # Errors
    /// The reader's, or `InvalidData` when a handshake message is larger than rustls allows.
    pub(crate) fn read_tls(&mut self, reader: &mut dyn Read) -> io::Result<usize> {
        if self.out.peer_closed {
            return Ok(0);
        }
        let held = self.incoming.len();
        if held >= MAX_INCOMING {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "message buffer full",
            ));
        }
        let record_rest = match self.incoming.get(3..HEADER) {
            Some(&[high, low]) => {
                (HEADER + usize::from(u16::from_be_bytes([high, low]))).saturating_sub(held)
            }
            _ => 0,
        };
        let want = record_rest.max(READ_SIZE).min(MAX_INCOMING - held);
        self.incoming.resize(held + want, 0);
        let read = reader.read(self.incoming.get_mut(held..).unwrap_or_default());
        let n = *read.as_ref().unwrap_or(&0);
        self.incoming.truncate(held + n);
        read
    }

    /// Runs what was read through rustls: handshake messages, decrypted application data (then
    /// [`Self::take_plaintext`]), the peer's `close_notify` ([`Self::peer_closed`]); queues what
    /// rustls answers.
    ///
    /// # Errors
    /// rustls' error (a failed handshake, a bad record, ...), again on every later call; the
    /// alert rustls sends for it is queued.
    pub(crate) fn process_new_packets(&mut self) -> Result<(), Error> {
        self.pump(&[]).map(|_| ())
    }

    /// Moves the decrypted application data to the end of `to`.
    pub(crate) fn take_plaintext(&mut self, to: &mut VecDeque<u8>) {
        let (front, back) = self.out.plaintext.as_slices();
        to.extend(front);
        to.extend(back);
        self.out.plaintext.clear();
    }

    /// Whether the peer sent `close_notify`.
    pub(crate) fn peer_closed(&self) -> bool {
        self.out.peer_closed
    }

    /// Encrypts application data once the handshake allows it, as much as fits under the
    /// limit of queued records; returns how much (0: the queue is full, or too early).
    ///
    /// # Errors
    /// The connection failed, or rustls cannot encrypt more under these keys.
    pub(crate) fn write_plaintext(&mut self, data: &[u8]) -> Result<usize, Error> {
        let limit = if budget::exhausted() {
            OUTGOING_LIMIT_TIGHT
        } else {
            OUTGOING_LIMIT
        };
        let room = limit.saturating_sub(self.out.outgoing.len());
        let data = data.get(..data.len().min(room)).unwrap_or_default();
        if data.is_empty() {
            return Ok(0);
        }
        self.pump(data)
    }

    /// Queues `close_notify` (now, or as soon as the handshake lets rustls encrypt it).
    pub(crate) fn send_close_notify(&mut self) {
        self.out.close_notify_wanted = true;
        // A failed connection has nothing more to say.
        let _ = self.pump(&[]);
    }

    /// Whether records wait to be sent.
    pub(crate) fn wants_write(&self) -> bool {
        !self.out.outgoing.is_empty()
    }

    /// Writes queued records to the network in one call; returns how many bytes left.
    ///
    /// # Errors
    /// The writer's.
    pub(crate) fn write_tls(&mut self, writer: &mut dyn Write) -> io::Result<usize> {
        if self.out.outgoing.is_empty() {
            return Ok(0);
        }
        let n = writer.write(&self.out.outgoing)?;
        self.out.outgoing.drain(..n.min(self.out.outgoing.len()));
        Ok(n)
    }

    /// Frees the memory of the buffers that are empty: what makes an idle connection cheap.
    pub(crate) fn release_idle(&mut self) {
        if self.incoming.is_empty() {
            self.incoming = Vec::new();
        }
        if self.out.outgoing.is_empty() {
            self.out.outgoing = Vec::new();
        }
        if self.out.plaintext.is_empty() {
            self.out.plaintext = VecDeque::new();
        }
    }

    /// Frees every buffer: the connection ended, what it still held goes nowhere.
    pub(crate) fn discard_buffers(&mut self) {
        self.incoming = Vec::new();
        self.out.outgoing = Vec::new();
        self.out.plaintext = VecDeque::new();
    }

    /// The memory the buffers hold (part of the socket's memory budget).
    pub(crate) fn buffer_capacity(&self) -> usize {
        self.incoming.capacity() + self.out.outgoing.capacity() + self.out.plaintext.capacity()
    }

    fn new(side: Side) -> Self {
        Self {
            side,
            incoming: Vec::new(),
            out: Output::default(),
            failed: None,
            hellos: Some(Box::default()),
            exporter: None,
            log_keys: false,
            tickets_reported: 0,
        }
    }

    /// [`Self::step_rustls`], watching the handshake's hellos and collecting its secrets.
    fn pump(&mut self, data: &[u8]) -> Result<usize, Error> {
        if self.hellos.is_none() {
            return self.step_rustls(data);
        }
        let sent_before = self.out.outgoing.len();
        self.watch_hello(true, 0);
        let result = self.step_rustls(data);
        self.watch_hello(false, sent_before);
        self.collect_secrets();
        result
    }

    /// Notes the random of the first record received (`incoming`) or sent, from byte `from`.
    fn watch_hello(&mut self, incoming: bool, from: usize) {
        let server = self.is_server();
        let Some(hellos) = self.hellos.as_deref_mut() else {
            return;
        };
        let (seen, records) = if incoming {
            (&mut hellos.incoming_seen, self.incoming.as_slice())
        } else {
            let sent = self.out.outgoing.get(from..).unwrap_or_default();
            (&mut hellos.outgoing_seen, sent)
        };
        if *seen {
            return;
        }
        // Received by a server or sent by a client: the ClientHello.
        let client_hello = incoming == server;
        let found = keying_material::hello_random(records, if client_hello { 1 } else { 2 });
        match found {
            Ok(None) => return,
            Ok(Some(random)) if client_hello => hellos.client = Some(random),
            Ok(Some(random)) => hellos.server = Some(random),
            Err(()) => {}
        }
        *seen = true;
    }

    /// Takes the secrets rustls logged for this handshake: the exporter's, and every line when
    /// keys are logged. Once the handshake is over, the hellos are forgotten.
    fn collect_secrets(&mut self) {
        let Some(hellos) = self.hellos.as_deref() else {
            return;
        };
        if let Some(client) = hellos.client {
            let secrets = keying_material::take(&client);
            if self.log_keys {
                self.out.events.extend(
                    secrets
                        .iter()
                        .map(|s| Event::KeyLogLine(s.key_log_line(&client))),
                );
            }
            let randoms = [client, hellos.server.unwrap_or_default()];
            if let Some(keys) = ExporterKeys::from_secrets(&secrets, randoms) {
                self.exporter = Some(Box::new(keys));
            }
        }
        if !self.is_handshaking() || self.failed.is_some() {
            self.hellos = None;
        }
    }

    /// Steps rustls until it waits for the network or the application, encrypting `data` when
    /// it may; returns how much of `data` it took.
    fn step_rustls(&mut self, data: &[u8]) -> Result<usize, Error> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        let mut written = 0;
        // Each turn handles one state; rustls gives a handful per call at most.
        loop {
            let rest = data.get(written..).unwrap_or_default();
            let (discard, step) = match &mut self.side {
                Side::Client(conn) => self
                    .out
                    .handle(conn.process_tls_records(&mut self.incoming), rest),
                Side::Server(conn) => self
                    .out
                    .handle(conn.process_tls_records(&mut self.incoming), rest),
            };
            self.incoming.drain(..discard.min(self.incoming.len()));
            match step {
                Ok(Step::Continue) => {}
                Ok(Step::Wrote(n)) => written += n,
                Ok(Step::Wait) => return Ok(written),
                Err(error) => {
                    let queued_before = self.out.outgoing.len();
                    self.queue_alert();
                    self.note_failure_alert(&error, queued_before);
                    self.failed = Some(error.clone());
                    return Err(error);
                }
            }
        }
    }

    /// Reports the alert a failure brought: the one received, or the one rustls queued from
    /// byte `from` on, read from its record when it is not encrypted, else the one rustls sends
    /// for such an error.
    fn note_failure_alert(&mut self, error: &Error, from: usize) {
        if let Error::AlertReceived(description) = error {
            self.out
                .events
                .push(Event::AlertReceived(Alert::fatal(*description)));
            return;
        }
        let queued = self.out.outgoing.get(from..).unwrap_or_default();
        if queued.is_empty() {
            return;
        }
        let alert = plaintext_alert(queued).or_else(|| alerts::sent_for(error));
        if let Some(alert) = alert {
            self.out.events.push(Event::AlertSent(alert));
        }
    }

    /// After an error, queues what rustls still has to send, ending with its alert. Only while
    /// rustls holds records: once they are out it would look at the input again, and run the
    /// record that failed through it once more.
    fn queue_alert(&mut self) {
        // A record a call; the bound only guards against a state that queues nothing.
        for _ in 0..16 {
            if !CommonState::wants_write(self) {
                return;
            }
            let (discard, step) = match &mut self.side {
                Side::Client(conn) => {
                    let status = conn.process_tls_records(&mut self.incoming);
                    (status.discard, self.out.output_step(status.state))
                }
                Side::Server(conn) => {
                    let status = conn.process_tls_records(&mut self.incoming);
                    (status.discard, self.out.output_step(status.state))
                }
            };
            self.incoming.drain(..discard.min(self.incoming.len()));
            if step.is_err() {
                return;
            }
        }
    }
}

impl Drop for TlsConnection {
    fn drop(&mut self) {
        // A handshake that never finished leaves no secrets waiting for it.
        if let Some(client) = self.hellos.as_ref().and_then(|h| h.client) {
            drop(keying_material::take(&client));
        }
    }
}

impl Deref for TlsConnection {
    type Target = CommonState;

    fn deref(&self) -> &CommonState {
        match &self.side {
            Side::Client(conn) => conn,
            Side::Server(conn) => conn,
        }
    }
}

impl std::fmt::Debug for TlsConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConnection")
            .field("server", &self.is_server())
            .field("incoming", &self.incoming.len())
            .field("outgoing", &self.out.outgoing.len())
            .field("plaintext", &self.out.plaintext.len())
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

/// What [`TlsConnection::pump`] does after a state.
enum Step {
    /// Ask rustls for the next state.
    Continue,
    /// Application data was encrypted (this much); ask again.
    Wrote(usize),
    /// rustls waits for the network or the application.
    Wait,
}

impl Output {
    /// Handles one state of rustls; `data` is application data to encrypt when it may.
    fn handle<Data>(
        &mut self,
        status: UnbufferedStatus<'_, '_, Data>,
        data: &[u8],
    ) -> (usize, Result<Step, Error>) {
        let step = match status.state {
            Err(error) => Err(error),
            Ok(ConnectionState::ReadTraffic(mut traffic)) => loop {
                match traffic.next_record() {
                    Some(Ok(record)) => self.plaintext.extend(record.payload),
                    Some(Err(error)) => break Err(error),
                    None => break Ok(Step::Continue),
                }
            },
            Ok(ConnectionState::WriteTraffic(mut traffic)) => {
                if !data.is_empty() {
                    append(&mut self.outgoing, |out| traffic.encrypt(data, out))
                        .map(|()| Step::Wrote(data.len()))
                } else if self.close_notify_wanted && !self.close_notify_queued {
                    self.close_notify_queued = true;
                    self.events.push(Event::AlertSent(Alert::CLOSE_NOTIFY));
                    append(&mut self.outgoing, |out| traffic.queue_close_notify(out))
                        .map(|()| Step::Wait)
                } else {
                    Ok(Step::Wait)
                }
            }
            Ok(ConnectionState::PeerClosed) => {
                self.peer_closed = true;
                self.events.push(Event::AlertReceived(Alert::CLOSE_NOTIFY));
                Ok(Step::Continue)
            }
            Ok(ConnectionState::ReadEarlyData(_)) => Err(Error::General(
                "early data arrived, which this connection never accepts".into(),
            )),
            other => self.output_step(other),
        };
        (status.discard, step)
    }

    /// Handles the states that produce output or wait: the rest of [`Self::handle`], and all
    /// that an error leaves to do.
    fn output_step<Data>(
        &mut self,
        state: Result<ConnectionState<'_, '_, Data>, Error>,
    ) -> Result<Step, Error> {
        match state {
            Ok(ConnectionState::EncodeTlsData(mut encode)) => {
                append(&mut self.outgoing, |out| encode.encode(out)).map(|()| Step::Continue)
            }
            // Queued here; the socket sends it when it may.
            Ok(ConnectionState::TransmitTlsData(transmit)) => {
                transmit.done();
                Ok(Step::Continue)
            }
            Ok(_) => Ok(Step::Wait),
            Err(error) => Err(error),
        }
    }
}

/// The first unencrypted alert record in `records` (content type 21 with a two-byte body).
fn plaintext_alert(mut records: &[u8]) -> Option<Alert> {
    while let Some(&[kind, _, _, high, low]) = records.get(..HEADER) {
        let len = usize::from(u16::from_be_bytes([high, low]));
        if let (21, 2, Some(&[level, description])) = (kind, len, records.get(HEADER..HEADER + 2)) {
            return Some(Alert::from_wire(level, description));
        }
        records = records.get(HEADER + len..)?;
    }
    None
}

/// The size an encoder says it needs.
trait Needs {
    fn required_size(&self) -> Option<usize>;
}

impl Needs for EncodeError {
    fn required_size(&self) -> Option<usize> {
        match self {
            Self::InsufficientSize(e) => Some(e.required_size),
            _ => None,
        }
    }
}

impl Needs for EncryptError {
    fn required_size(&self) -> Option<usize> {
        match self {
            Self::InsufficientSize(e) => Some(e.required_size),
            _ => None,
        }
    }
}

/// Appends what `fill` writes to `out`, giving it the room it asks for.
fn append<E: Needs + std::fmt::Display>(
    out: &mut Vec<u8>,
    mut fill: impl FnMut(&mut [u8]) -> Result<usize, E>,
) -> Result<(), Error> {
    let start = out.len();
    let mut room = 0;
    loop {
        out.resize(start + room, 0);
        match fill(out.get_mut(start..).unwrap_or_default()) {
            Ok(n) => {
                out.truncate(start + n);
                return Ok(());
            }
            Err(e) => match e.required_size() {
                Some(size) if size > room => room = size,
                _ => {
                    out.truncate(start);
                    return Err(Error::General(e.to_string()));
                }
            },
        }
    }
}
