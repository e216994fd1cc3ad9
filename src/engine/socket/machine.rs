//! The socket's state machine: one `process` step (connect, flush, receive, handshake, close)
//! and the transitions between phases ([`super::phase::Phase`]).

use std::io;
use std::time::{Duration, Instant};

use rustls::ProtocolVersion;
use rustls::pki_types::ServerName;

use super::phase::Phase;
use super::{SslSocket, WriteShutdown};
use crate::engine::buffers::{self, PROCESS_BUDGET, io_error};
use crate::engine::errors::{SocketError, SslErrorEntry};
use crate::engine::events::{Event, Mode, SocketState};
use crate::engine::tls_connection::TlsConnection;
use crate::transport::{ConnectProgress, Interest, Transport};

/// How long a failing connection may spend sending its alert.
const ALERT_FLUSH: Duration = Duration::from_millis(200);
/// How long a graceful close may spend flushing before the connection is dropped.
const SHUTDOWN_FLUSH: Duration = Duration::from_secs(2);

impl<T: Transport> SslSocket<T> {
    // ----- opening, waiting, starting TLS -----

    /// Opens a connection; with `encrypted`, the client handshake follows once connected.
    pub(super) fn open(
        &mut self,
        host: &str,
        port: u16,
        encrypted: bool,
    ) -> Result<(), SocketError> {
        self.check_state_unconnected()?;
        if host.trim().is_empty() {
            return Err(SocketError::invalid_input("the host name is empty"));
        }
        if port == 0 {
            return Err(SocketError::invalid_input("port 0 cannot be connected to"));
        }
        self.reset_connection();
        if encrypted {
            self.phase = Phase::ClientOnConnect;
        }
        self.peer_name = host.to_string();
        self.peer_port = port;
        self.ever_opened = true;
        self.set_state(SocketState::HostLookup);
        match T::connect(host, port).map_err(SocketError::from) {
            Ok(transport) => {
                self.transport = Some(transport);
                self.step();
                Ok(())
            }
            Err(e) => {
                self.fail(e.clone());
                Err(e)
            }
        }
    }

    /// Updates this socket's part of the memory budget (the capacity of its buffers and of its
    /// TLS connection's); a socket holding more than its share is dropped with `socket-resource`.
    pub(super) fn check_budget(&mut self) {
        let connection = self
            .phase
            .connection()
            .map_or(0, TlsConnection::buffer_capacity);
        if self.buffers.over_budget(connection) {
            self.fail(SocketError::SocketResource);
            self.buffers.release();
        }
    }

    /// Forgets the last connection: any phase → `Plain`.
    pub(super) fn reset_connection(&mut self) {
        self.phase = Phase::Plain;
        self.write_shutdown = WriteShutdown::Open;
        self.buffers.clear();
        self.error = None;
        self.log.start_handshake();
    }

    /// Runs `process` and waits on the transport until `done` has an answer, the deadline
    /// passes (`msecs < 0`: none) or the handshake is interrupted.
    pub(super) fn wait_until(
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
                // A blocking wait never returns holding what the server needs to finish its
                // handshake (a client's Finished): the caller may make no other call for a
                // while. (Session tickets may stay held: the answer they wait for may follow.)
                // Only sent: reading on here would take in data the caller has not waited for
                // (past a read buffer limit it may set next).
                if self.phase.holds() && self.phase.mode() == Mode::SslClient {
                    self.phase.release();
                    if let Err(e) = self.flush() {
                        self.fail(e);
                    }
                }
                return result;
            }
            if self.phase.is_interrupted() {
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
                (Some(transport), _) if !transport.can_wait() => {
                    return Err(SocketError::invalid_state(
                        "a memory-mode socket cannot wait: nothing arrives until the caller feeds the peer's bytes",
                    ));
                }
                (Some(transport), Some(interest)) => transport.wait(interest, remaining),
                _ => return Err(self.closed_error()),
            }
        }
    }

    /// `Plain` → `Handshaking` as a client.
    pub(super) fn begin_client_handshake(&mut self) -> Result<(), SocketError> {
        let config = self.client_config()?;
        let name = if self.config.peer_verify_name().is_empty() {
            self.peer_name.clone()
        } else {
            self.config.peer_verify_name().to_owned()
        };
        if name.is_empty() {
            return Err(SocketError::invalid_input(
                "no host name to verify the server against: set the peer verify name (a connection the caller brought has none)",
            ));
        }
        let server_name = ServerName::try_from(name.clone()).map_err(|_| {
            SocketError::invalid_input(format!("`{name}` is not a valid host name to verify"))
        })?;
        let conn = TlsConnection::client(config, server_name)
            .map_err(|e| SocketError::SslInternal(e.to_string()))?;
        self.begin_tls(conn);
        Ok(())
    }

    /// `Plain` → `Handshaking`.
    pub(super) fn begin_tls(&mut self, mut conn: TlsConnection) {
        if self.config.dangerous_key_logging() {
            conn.dangerous_log_keys();
        }
        self.log.start_handshake();
        self.phase = Phase::Handshaking {
            conn,
            errors_reported: false,
            interrupted: false,
            close_notify_sent: false,
        };
        self.events.push_back(Event::ModeChanged(self.phase.mode()));
    }

    // ----- the state machine: one `process` step -----

    /// Does what can be done now; the body of `process`.
    pub(super) fn advance(&mut self) -> Result<(), SocketError> {
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
            self.events.push_back(Event::Connected(self.peer_address()));
            self.apply_socket_options();
            if matches!(self.phase, Phase::ClientOnConnect) {
                self.phase = Phase::Plain;
                self.begin_client_handshake()?;
            }
        }
        if !matches!(self.state, SocketState::Connected | SocketState::Closing)
            || self.phase.is_interrupted()
        {
            return Ok(());
        }
        self.flush()?;
        self.receive()?;
        if self.phase.is_interrupted() {
            // rustls' next flight (the client's Finished) waits for the caller's decision.
            return Ok(());
        }
        self.flush()?;
        self.buffers.release_idle_output();
        if let Some(conn) = self.phase.live_mut() {
            conn.release_idle();
        }
        if self.state == SocketState::Closing {
            self.continue_close()?;
        } else if self.state == SocketState::Connected
            && self.write_shutdown == WriteShutdown::Requested
        {
            self.continue_shutdown_write()?;
        }
        Ok(())
    }

    /// Sends what can be sent: plain bytes, TLS records, then more application data.
    fn flush(&mut self) -> Result<(), SocketError> {
        let Some(transport) = self.transport.as_mut() else {
            return Ok(());
        };
        self.buffers.flush_plain(transport, &mut self.events)?;
        if self.buffers.plain_pending() {
            // TLS records must not overtake plain bytes written before STARTTLS.
            return Ok(());
        }
        // A held flight goes with the last records too: a close, or a half-close in place of
        // the answer it waited for.
        let closing =
            self.state == SocketState::Closing || self.write_shutdown == WriteShutdown::Requested;
        let Some((conn, feed)) = self.phase.sending(self.buffers.tls_pending(), closing) else {
            return Ok(());
        };
        let flushed = self
            .buffers
            .flush_tls(conn, transport, feed, &mut self.events);
        self.events.extend(conn.take_events());
        flushed
    }

    /// Reads what has arrived, runs it through TLS, and buffers the application data.
    fn receive(&mut self) -> Result<(), SocketError> {
        let output_full = self.buffers.output_full();
        if self.transport.is_none() {
            return Ok(());
        }
        let before = self.buffers.available();
        // A held flight goes out once the peer sends more without waiting for it.
        let was_holding = self.phase.holds();
        let received = match (self.phase.connection(), self.transport.as_mut()) {
            (None, Some(transport)) => Received {
                peer_closed: self.buffers.receive_plain(transport, output_full)?,
                ..Received::default()
            },
            _ => match self.receive_tls(output_full)? {
                Some(received) => received,
                // Interrupted: keep rustls' answer (and any data) until the caller decides.
                None => return Ok(()),
            },
        };
        let data_arrived = self.buffers.available() > before;
        if data_arrived {
            self.events.push_back(Event::ReadyRead);
        }
        // A connection only the caller moves (memory mode) holds nothing: its carrier decides how
        // the bytes travel, and a held flight would be invisible to a caller that takes what
        // was written after each call.
        let may_hold = self.transport.as_ref().is_some_and(Transport::can_wait);
        match received.completed_now {
            _ if !may_hold => {}
            // The client speaks next: its Finished waits for its first bytes.
            Some(Completed::ClientLast) => self.phase.hold(),
            // The client's request came with its Finished: the tickets wait for the answer.
            Some(Completed::Tls13Server) if data_arrived => self.phase.hold(),
            _ => {}
        }
        if was_holding && received.got_data {
            self.phase.release();
        }
        if received.peer_closed {
            self.peer_closed()?;
        }
        Ok(())
    }

    /// Reads TLS records within [`PROCESS_BUDGET`], runs them through rustls (reporting the
    /// verifier's findings, ending the handshake) and buffers the application data. `None`
    /// when the handshake was interrupted on certificate errors.
    fn receive_tls(&mut self, output_full: bool) -> Result<Option<Received>, SocketError> {
        let mut received = Received::default();
        let mut taken = 0usize;
        loop {
            let (Some(transport), Some(conn)) = (self.transport.as_mut(), self.phase.live_mut())
            else {
                return Ok(Some(received));
            };
            let mut blocked = false;
            // Backpressure: with the read buffer full, leave the rest in TCP. (Handshake
            // records are read regardless: they hold no application data.)
            let full = (self.buffers.read_full() || output_full) && !conn.is_handshaking();
            let read = if full {
                Err(io::Error::from(io::ErrorKind::WouldBlock))
            } else {
                buffers::read_tls(conn, transport)
            };
            match read {
                Ok(0) => received.peer_closed = true,
                Ok(n) => {
                    received.got_data = true;
                    taken += n;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => blocked = true,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_error(&e)),
            }
            let processed = self.log.run(|| conn.process_new_packets());
            self.events.extend(conn.take_events());
            if let Err(e) = processed {
                // Send what rustls queued, ending with its alert; best effort.
                buffers::send_alert(conn, transport);
                return Err(self.tls_failure(&e));
            }
            let handshake_done = !conn.is_handshaking();
            if !self.phase.errors_reported() {
                let (errors, interrupted) = self.log.verdict();
                if !errors.is_empty() {
                    self.report_ssl_errors(&errors);
                }
                if interrupted && self.phase.interrupt() {
                    self.events.push_back(Event::HandshakeInterruptedOnError);
                    return Ok(None);
                }
            }
            if handshake_done && self.phase.finish_handshake() {
                received.completed_now = self.phase.encrypted().and_then(Completed::of);
                self.events.push_back(Event::Encrypted);
            }
            if let Some(conn) = self.phase.live_mut() {
                self.buffers.take_plaintext(conn);
                received.peer_closed |= conn.peer_closed();
            }
            if blocked || received.peer_closed || taken >= PROCESS_BUDGET {
                return Ok(Some(received));
            }
        }
    }

    /// Queues `sslErrors` for the handshake's errors (once per handshake).
    fn report_ssl_errors(&mut self, errors: &[SslErrorEntry]) {
        self.phase.mark_errors_reported();
        self.events
            .extend(errors.iter().cloned().map(Event::PeerVerifyError));
        self.events
            .push_back(Event::SslErrors(errors.iter().map(|e| e.error).collect()));
    }

    /// The error for a failed `process_new_packets`, queueing `sslErrors` first when
    /// certificate verification failed.
    fn tls_failure(&mut self, e: &rustls::Error) -> SocketError {
        if self.phase.is_encrypted() {
            return SocketError::SslInternal(e.to_string());
        }
        let errors = self.log.errors();
        if matches!(e, rustls::Error::InvalidCertificate(_)) && !errors.is_empty() {
            if !self.phase.errors_reported() {
                self.report_ssl_errors(&errors);
            }
            if self.log.refused() {
                return rejected(&errors);
            }
        }
        if matches!(
            e,
            rustls::Error::InvalidCertificate(rustls::CertificateError::BadSignature)
        ) {
            // The chain was accepted (or its errors ignored): what failed is the handshake
            // signature made with the certificate's key.
            return SocketError::SslHandshakeFailed(format!(
                "the peer's handshake signature did not verify (forged, or made with an RSA key under 2048 bits): {e}"
            ));
        }
        SocketError::SslHandshakeFailed(e.to_string())
    }

    /// The peer closed: the end of a half-closed or closing connection, else an error.
    fn peer_closed(&mut self) -> Result<(), SocketError> {
        if self.phase.is_handshaking() {
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
        if self.phase.connection().is_none()
            && let Some(transport) = self.transport.as_mut()
            && !transport.shutdown_write().map_err(|e| io_error(&e))?
        {
            return Ok(());
        }
        self.write_shutdown = WriteShutdown::Done;
        Ok(())
    }

    /// Once the queued output is sent, sends `close_notify` (TLS connections, even during the
    /// handshake); returns whether all of it, `close_notify` included, has left rustls.
    fn send_close_notify_when_flushed(&mut self) -> Result<bool, SocketError> {
        if self.buffers.plain_pending() || (self.phase.is_encrypted() && self.buffers.tls_pending())
        {
            return Ok(false);
        }
        if self.phase.send_close_notify() {
            self.flush()?;
        }
        Ok(!self.phase.live_mut().is_some_and(|c| c.wants_write()))
    }

    // ----- the ends of a connection -----

    /// Records `error`, queues it and drops the connection.
    pub(super) fn fail(&mut self, error: SocketError) {
        self.error = Some(error.clone());
        self.events.push_back(Event::Error(error));
        // Give a queued alert a moment to leave before the connection closes.
        self.drop_connection(ALERT_FLUSH);
    }

    /// Closes the transport and moves to `Unconnected`, queueing `disconnected` if the socket
    /// was connected.
    pub(super) fn drop_connection(&mut self, flush: Duration) {
        let was_connected = matches!(self.state, SocketState::Connected | SocketState::Closing);
        if let Some(mut transport) = self.transport.take() {
            transport.shutdown(flush);
            self.retired.push(transport);
        }
        if let Some(conn) = self.phase.live_mut() {
            self.events.extend(conn.take_events());
        }
        self.phase.end();
        self.set_state(SocketState::Unconnected);
        if was_connected {
            self.events.push_back(Event::Disconnected);
        }
    }

    pub(super) fn set_state(&mut self, state: SocketState) {
        if self.state != state {
            self.state = state;
            self.events.push_back(Event::StateChanged(state));
        }
    }
}

/// What one `receive` found.
#[derive(Default)]
struct Received {
    /// TLS records arrived.
    got_data: bool,
    /// The handshake finished in this call, with a flight that may wait.
    completed_now: Option<Completed>,
    /// The peer closed (TCP end of stream, or `close_notify`).
    peer_closed: bool,
}

/// How a handshake that just finished ended, for what its last flight may wait for.
#[derive(Clone, Copy)]
enum Completed {
    /// A client sent the last flight (its Finished: TLS 1.3, or a resumed TLS 1.2 handshake).
    ClientLast,
    /// A TLS 1.3 server: what rustls queued now is its session tickets.
    Tls13Server,
}

impl Completed {
    /// How `conn`'s handshake ended; `None` when its last flight is one the peer waits for (a
    /// TLS 1.2 server's Finished, say).
    fn of(conn: &TlsConnection) -> Option<Self> {
        let tls13 = conn.protocol_version() == Some(ProtocolVersion::TLSv1_3);
        match conn.is_server() {
            false => Some(Self::ClientLast),
            true if tls13 => Some(Self::Tls13Server),
            true => None,
        }
    }
}

/// The handshake error for a certificate rejected because of `errors`.
pub(super) fn rejected(errors: &[SslErrorEntry]) -> SocketError {
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
