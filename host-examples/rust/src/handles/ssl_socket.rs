//! [`SslSocket`]: the `ssl-socket` resource (`QSslSocket`), every method of the WIT and a few
//! conveniences (`write_all`, `read_exact`, plain-data reports).

use tokio::io::{AsyncRead, AsyncWrite};
use wasmtime::component::{Resource, ResourceAny};
use wasmtime_wasi::p2::{DynInputStream, DynOutputStream};

use super::streams::{streams, tcp_streams};
use crate::*;

/// A handle to an `ssl-socket` resource in a [`Session`]. Drop it with [`SslSocket::drop`].
#[derive(Clone, Copy, Debug)]
pub struct SslSocket(pub ResourceAny);

impl SslSocket {
    forward! {
        via ssl_socket_api;
        /// `connect-to-host`: starts a plain TCP connection.
        fn connect_to_host => call_connect_to_host(host: &str, port: u16) -> Result<(), ErrorCode>;
        /// `connect-to-host-encrypted`: connects, then runs a TLS client handshake.
        fn connect_to_host_encrypted => call_connect_to_host_encrypted(host: &str, port: u16) -> Result<(), ErrorCode>;
        /// `start-client-handshake`: upgrades a plain connected socket (STARTTLS).
        fn start_client_handshake => call_start_client_handshake() -> Result<(), ErrorCode>;
        /// `disconnect-from-host`: flushes, sends close_notify and closes.
        fn disconnect_from_host => call_disconnect_from_host() -> ();
        /// `shutdown-write`: half-close (close_notify and FIN, reading goes on).
        fn shutdown_write => call_shutdown_write() -> Result<(), ErrorCode>;
        /// `close`.
        fn close => call_close() -> ();
        /// `abort`.
        fn abort => call_abort() -> ();
        /// `wait-for-connected(msecs)`.
        fn wait_for_connected => call_wait_for_connected(msecs: i32) -> Result<(), ErrorCode>;
        /// `wait-for-encrypted(msecs)`.
        fn wait_for_encrypted => call_wait_for_encrypted(msecs: i32) -> Result<(), ErrorCode>;
        /// `wait-for-ready-read(msecs)`.
        fn wait_for_ready_read => call_wait_for_ready_read(msecs: i32) -> Result<(), ErrorCode>;
        /// `wait-for-bytes-written(msecs)`.
        fn wait_for_bytes_written => call_wait_for_bytes_written(msecs: i32) -> Result<(), ErrorCode>;
        /// `wait-for-disconnected(msecs)`.
        fn wait_for_disconnected => call_wait_for_disconnected(msecs: i32) -> Result<(), ErrorCode>;
        /// `process`: does the work that can be done without blocking.
        fn process => call_process() -> ();
        /// `take-events`: the queued signals, oldest first.
        fn take_events => call_take_events() -> Vec<SocketEvent>;
        /// `read(max-size)`.
        fn read => call_read(max_size: u64) -> Result<Vec<u8>, ErrorCode>;
        /// `read-all`.
        fn read_all => call_read_all() -> Result<Vec<u8>, ErrorCode>;
        /// `read-line(max-size)`.
        fn read_line => call_read_line(max_size: u64) -> Result<Vec<u8>, ErrorCode>;
        /// `can-read-line`.
        fn can_read_line => call_can_read_line() -> bool;
        /// `get-char`.
        fn get_char => call_get_char() -> Result<Option<u8>, ErrorCode>;
        /// `put-char`.
        fn put_char => call_put_char(c: u8) -> Result<(), ErrorCode>;
        /// `write(data)`: queues data, returns its length.
        fn write => call_write(data: &[u8]) -> Result<u64, ErrorCode>;
        /// `bytes-available`.
        fn bytes_available => call_bytes_available() -> u64;
        /// `bytes-to-write`.
        fn bytes_to_write => call_bytes_to_write() -> u64;
        /// `at-end`.
        fn at_end => call_at_end() -> bool;
        /// `read-buffer-size`: 0 means no limit.
        fn read_buffer_size => call_read_buffer_size() -> u64;
        /// `set-read-buffer-size`: stop reading from the network once this much waits.
        fn set_read_buffer_size => call_set_read_buffer_size(size: u64) -> ();
        /// `write-buffer-size`.
        fn write_buffer_size => call_write_buffer_size() -> u64;
        /// `set-write-buffer-size`: stop reading from the peer while this much waits to be sent.
        fn set_write_buffer_size => call_set_write_buffer_size(size: u64) -> ();
        /// `state`.
        fn state => call_state() -> SocketState;
        /// `mode`.
        fn mode => call_mode() -> Mode;
        /// `is-encrypted`.
        fn is_encrypted => call_is_encrypted() -> bool;
        /// `error`: the last error.
        fn error => call_error() -> Option<ErrorCode>;
        /// `error-string`.
        fn error_string => call_error_string() -> String;
        /// `peer-address`.
        fn peer_address => call_peer_address() -> Option<String>;
        /// `peer-port`.
        fn peer_port => call_peer_port() -> u16;
        /// `peer-name`.
        fn peer_name => call_peer_name() -> String;
        /// `protocol`: the setting for the next handshake.
        fn protocol => call_protocol() -> Protocol;
        /// `set-protocol`.
        fn set_protocol => call_set_protocol(protocol: Protocol) -> Result<(), ErrorCode>;
        /// `session-protocol`: the negotiated version.
        fn session_protocol => call_session_protocol() -> Option<Protocol>;
        /// `ciphers`.
        fn ciphers => call_ciphers() -> Vec<Cipher>;
        /// `set-ciphers`: the ciphers offered (client) or accepted (server), most preferred first.
        fn set_ciphers => call_set_ciphers(ciphers: &[Cipher]) -> Result<(), ErrorCode>;
        /// `set-ciphers-by-name("A:B")`.
        fn set_ciphers_by_name => call_set_ciphers_by_name(names: &str) -> Result<(), ErrorCode>;
        /// `reset-ciphers`: back to the global default list.
        fn reset_ciphers => call_reset_ciphers() -> ();
        /// `current-cipher`.
        fn current_cipher => call_current_cipher() -> Option<Cipher>;
        /// `key-exchange-groups`: the groups offered or accepted, most preferred first.
        fn key_exchange_groups => call_key_exchange_groups() -> Vec<String>;
        /// `set-key-exchange-groups`: IANA names such as `X25519MLKEM768` or `secp256r1`.
        fn set_key_exchange_groups => call_set_key_exchange_groups(groups: &[String]) -> Result<(), ErrorCode>;
        /// `add-ca-certificates-pem`: returns how many were added.
        fn add_ca_certificates_pem => call_add_ca_certificates_pem(pem: &str) -> Result<u32, ErrorCode>;
        /// `add-ca-certificates-from-path`: every certificate in `path`, a file or a directory
        /// with wildcards, under a directory the session preopened; returns how many were added.
        fn add_ca_certificates_from_path => call_add_ca_certificates_from_path(path: &str) -> Result<u32, ErrorCode>;
        /// `reset-ca-certificates`: back to the global CA database.
        fn reset_ca_certificates => call_reset_ca_certificates() -> ();
        /// `ignore-ssl-errors`.
        fn ignore_ssl_errors => call_ignore_ssl_errors() -> ();
        /// `peer-verify-name`.
        fn peer_verify_name => call_peer_verify_name() -> String;
        /// `set-peer-verify-name`.
        fn set_peer_verify_name => call_set_peer_verify_name(name: &str) -> ();
        /// `set-handshake-must-interrupt-on-error`: pause the handshake on certificate errors.
        fn set_handshake_must_interrupt_on_error => call_set_handshake_must_interrupt_on_error(interrupt: bool) -> ();
        /// `continue-interrupted-handshake`.
        fn continue_interrupted_handshake => call_continue_interrupted_handshake() -> Result<(), ErrorCode>;
        /// `peer-verify-mode`.
        fn peer_verify_mode => call_peer_verify_mode() -> PeerVerifyMode;
        /// `export-keying-material(label, context, length)`: RFC 5705 / RFC 8446 §7.5.
        fn export_keying_material => call_export_keying_material(label: &str, context: Option<&[u8]>, length: u32) -> Result<Vec<u8>, ErrorCode>;
        /// `set-socket-option(option, value)`.
        fn set_socket_option => call_set_socket_option(option: SocketOption, value: u64) -> Result<(), ErrorCode>;
        /// `socket-option(option)`.
        fn socket_option => call_socket_option(option: SocketOption) -> Result<u64, ErrorCode>;
        /// `dangerous-key-logging`.
        fn dangerous_key_logging => call_dangerous_key_logging() -> bool;
        /// `set-dangerous-key-logging`: NSS key-log lines as `key-log-line` events. Dangerous.
        fn set_dangerous_key_logging => call_set_dangerous_key_logging(enabled: bool) -> ();
        /// `set-peer-verify-mode`.
        fn set_peer_verify_mode => call_set_peer_verify_mode(mode: PeerVerifyMode) -> ();
        /// `add-crls(data, format)`: returns how many CRLs were added.
        fn add_crls => call_add_crls(data: &[u8], format: EncodingFormat) -> Result<u32, ErrorCode>;
        /// `set-ocsp-stapling-enabled`: ask for and check the server's stapled OCSP response.
        fn set_ocsp_stapling_enabled => call_set_ocsp_stapling_enabled(enabled: bool) -> ();
        /// `ocsp-stapling-enabled`.
        fn ocsp_stapling_enabled => call_ocsp_stapling_enabled() -> bool;
        /// `set-ocsp-response`: the DER OCSP response a server-mode socket staples.
        fn set_ocsp_response => call_set_ocsp_response(der: &[u8]) -> Result<(), ErrorCode>;
        /// `start-server-handshake`: upgrades a plain connected socket as the TLS server.
        fn start_server_handshake => call_start_server_handshake() -> Result<(), ErrorCode>;
        /// `local-address`.
        fn local_address => call_local_address() -> Option<String>;
        /// `local-port`.
        fn local_port => call_local_port() -> u16;
        /// `allowed-next-protocols`: the ALPN protocols set.
        fn allowed_next_protocols => call_allowed_next_protocols() -> Vec<String>;
        /// `next-negotiated-protocol`: the ALPN protocol agreed, once encrypted.
        fn next_negotiated_protocol => call_next_negotiated_protocol() -> Option<String>;
        /// `next-protocol-negotiation-status`.
        fn next_protocol_negotiation_status => call_next_protocol_negotiation_status() -> NextProtocolNegotiationStatus;
        /// `session-resumed`: whether the handshake resumed an earlier session.
        fn session_resumed => call_session_resumed() -> bool;
        /// `key-exchange-group`, e.g. `X25519`.
        fn key_exchange_group => call_key_exchange_group() -> Option<String>;
        /// `adopt-streams`: a connection the host made, as `wasi:io` streams in the session's
        /// table (see [`SslSocket::adopt_tcp`] and [`SslSocket::adopt_io`] for the usual ways).
        fn adopt_streams => call_adopt_streams(input: Resource<DynInputStream>, output: Resource<DynOutputStream>) -> Result<(), ErrorCode>;
        /// `open-memory`: memory mode, the caller carries the bytes.
        fn open_memory => call_open_memory() -> Result<(), ErrorCode>;
        /// `feed-incoming(data)`: memory mode, bytes from the peer; returns how many it took.
        fn feed_incoming => call_feed_incoming(data: &[u8]) -> Result<u64, ErrorCode>;
        /// `end-incoming`: memory mode, the peer's end of stream.
        fn end_incoming => call_end_incoming() -> Result<(), ErrorCode>;
        /// `take-outgoing(max-size)`: memory mode, bytes for the peer.
        fn take_outgoing => call_take_outgoing(max_size: u64) -> Result<Vec<u8>, ErrorCode>;
        /// `outgoing-pending`: memory mode, how many bytes wait to be taken.
        fn outgoing_pending => call_outgoing_pending() -> u64;
        /// `outgoing-at-end`: memory mode, the socket sends nothing more and all was taken.
        fn outgoing_at_end => call_outgoing_at_end() -> bool;
        /// `exchange(incoming, read-max, outgoing-max)`: memory mode, a carrier's whole turn in
        /// one call (feed, process, read, take, events and the end flags).
        fn exchange => call_exchange(incoming: &[u8], read_max: u64, outgoing_max: u64) -> Result<MemoryTurn, ErrorCode>;
        /// `stapled-ocsp-response`: the OCSP response the server stapled, as sent (DER), when this
        /// client checked one.
        fn stapled_ocsp_response => call_stapled_ocsp_response() -> Option<Vec<u8>>;
    }

    /// Hands the socket a TCP connection the host made (accepted by its own listener, say), as
    /// `adopt-streams` (Qt's `setSocketDescriptor`). The socket becomes `connected` in plain
    /// mode; start TLS with `start_client_handshake` or `start_server_handshake`. Its half-close
    /// and close shut down the stream's sending side (the peer reads its end of stream).
    ///
    /// ```
    /// # fn main() -> anyhow::Result<()> {
    /// use std::io::{Read, Write};
    /// use std::net::{TcpListener, TcpStream};
    /// use sslsocket_host::{NetworkPolicy, Session, SessionConfig};
    ///
    /// // The host accepts the connection itself (one acceptor for many instances, say)...
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let mut peer = TcpStream::connect(listener.local_addr()?)?;
    /// let (accepted, _) = listener.accept()?;
    ///
    /// // ...and gives it to a socket of an instance that has no network access at all.
    /// let mut session = Session::new(SessionConfig::new().network(NetworkPolicy::deny_all()))?;
    /// let socket = session.new_socket()?;
    /// socket.adopt_tcp(&mut session, accepted)??;
    /// peer.write_all(b"EHLO")?;
    /// assert_eq!(socket.read_exact(&mut session, 4, 5000)??, b"EHLO");
    /// // With an identity set, `start_server_handshake` would now upgrade it (STARTTLS).
    /// socket.write(&mut session, b"250 OK")??;
    /// socket.shutdown_write(&mut session)??;
    /// socket.wait_for_bytes_written(&mut session, 5000)??;
    /// let _ = socket.wait_for_ready_read(&mut session, 100)?; // the stream's end goes here
    /// let mut answer = String::new();
    /// peer.read_to_string(&mut answer)?;
    /// assert_eq!(answer, "250 OK");
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// The outer error: switching the stream to non-blocking mode failed, or a trap.
    pub fn adopt_tcp(&self, session: &mut Session, stream: std::net::TcpStream) -> CallResult<()> {
        let (input, output) = tcp_streams(session, stream)?;
        self.adopt_streams(session, input, output)
    }

    /// Hands the socket any byte stream as a reader and a writer (a Unix socket, a pipe, an
    /// in-process duplex), as `adopt-streams`. The writer is dropped when the socket half-closes
    /// or closes: use a writer whose drop ends the stream (tokio's `OwnedWriteHalf` does).
    ///
    /// # Errors
    /// A trap.
    pub fn adopt_io(
        &self,
        session: &mut Session,
        reader: impl AsyncRead + Send + 'static,
        writer: impl AsyncWrite + Send + 'static,
    ) -> CallResult<()> {
        let (input, output) = streams(session, reader, writer)?;
        self.adopt_streams(session, input, output)
    }

    /// `set-allowed-next-protocols`: the ALPN protocols to offer (client) or accept (server), most
    /// preferred first.
    pub fn set_allowed_next_protocols(
        &self,
        session: &mut Session,
        protocols: &[&str],
    ) -> CallResult<()> {
        let list: Vec<String> = protocols.iter().map(|p| (*p).to_owned()).collect();
        let (api, store) = session.ssl_socket_api();
        api.call_set_allowed_next_protocols(store, self.0, &list)
    }

    /// `set-local-certificate-chain`: the local certificate followed by its intermediates.
    pub fn set_local_certificate_chain(
        &self,
        session: &mut Session,
        chain: &[&Certificate],
    ) -> wasmtime::Result<()> {
        let list = Certificate::handles(chain);
        let (api, store) = session.ssl_socket_api();
        api.call_set_local_certificate_chain(store, self.0, &list)
    }

    /// `subscribe`: a pollable that is ready when `process` may make progress. Drop it (with
    /// [`Pollable::drop`]) before the socket.
    pub fn subscribe(&self, session: &mut Session) -> wasmtime::Result<Pollable> {
        let (api, store) = session.ssl_socket_api();
        api.call_subscribe(store, self.0).map(Pollable)
    }

    /// `ignore-ssl-errors-list`: ignores exactly these errors, each for the given certificate
    /// (`None`: for any certificate). Replaces any earlier list.
    pub fn ignore_ssl_errors_list(
        &self,
        session: &mut Session,
        errors: &[(SslError, Option<&Certificate>)],
    ) -> wasmtime::Result<()> {
        let list: Vec<(SslError, Option<ResourceAny>)> = errors
            .iter()
            .map(|(error, cert)| (*error, cert.map(|c| c.0)))
            .collect();
        let (api, store) = session.ssl_socket_api();
        api.call_ignore_ssl_errors_list(store, self.0, &list)
    }

    /// `add-ca-certificate`.
    pub fn add_ca_certificate(
        &self,
        session: &mut Session,
        cert: &Certificate,
    ) -> wasmtime::Result<()> {
        let (api, store) = session.ssl_socket_api();
        api.call_add_ca_certificate(store, self.0, cert.0)
    }

    /// `add-ca-certificates`.
    pub fn add_ca_certificates(
        &self,
        session: &mut Session,
        certificates: &[&Certificate],
    ) -> wasmtime::Result<()> {
        let list = Certificate::handles(certificates);
        let (api, store) = session.ssl_socket_api();
        api.call_add_ca_certificates(store, self.0, &list)
    }

    /// `set-ca-certificates`: replaces this socket's CA database.
    pub fn set_ca_certificates(
        &self,
        session: &mut Session,
        certificates: &[&Certificate],
    ) -> wasmtime::Result<()> {
        let list = Certificate::handles(certificates);
        let (api, store) = session.ssl_socket_api();
        api.call_set_ca_certificates(store, self.0, &list)
    }

    /// `ca-certificates`: this socket's CA database (the global one until changed). The handles
    /// are the caller's to drop.
    pub fn ca_certificates(&self, session: &mut Session) -> wasmtime::Result<Vec<Certificate>> {
        let (api, store) = session.ssl_socket_api();
        Ok(Certificate::typed(api.call_ca_certificates(store, self.0)?))
    }

    /// `set-local-certificate`.
    pub fn set_local_certificate(
        &self,
        session: &mut Session,
        cert: &Certificate,
    ) -> wasmtime::Result<()> {
        let (api, store) = session.ssl_socket_api();
        api.call_set_local_certificate(store, self.0, cert.0)
    }

    /// `local-certificate`: the certificate this socket presents, if set.
    pub fn local_certificate(
        &self,
        session: &mut Session,
    ) -> wasmtime::Result<Option<Certificate>> {
        let (api, store) = session.ssl_socket_api();
        Ok(api.call_local_certificate(store, self.0)?.map(Certificate))
    }

    /// `set-private-key`.
    pub fn set_private_key(&self, session: &mut Session, key: &Key) -> CallResult<()> {
        let (api, store) = session.ssl_socket_api();
        api.call_set_private_key(store, self.0, key.0)
    }

    /// `private-key`: the private key set, if any.
    pub fn private_key(&self, session: &mut Session) -> wasmtime::Result<Option<Key>> {
        let (api, store) = session.ssl_socket_api();
        Ok(api.call_private_key(store, self.0)?.map(Key))
    }

    /// `peer-certificate`.
    pub fn peer_certificate(&self, session: &mut Session) -> wasmtime::Result<Option<Certificate>> {
        let (api, store) = session.ssl_socket_api();
        Ok(api.call_peer_certificate(store, self.0)?.map(Certificate))
    }

    /// `peer-certificate-chain`, leaf first.
    pub fn peer_certificate_chain(
        &self,
        session: &mut Session,
    ) -> wasmtime::Result<Vec<Certificate>> {
        let (api, store) = session.ssl_socket_api();
        Ok(Certificate::typed(
            api.call_peer_certificate_chain(store, self.0)?,
        ))
    }

    /// `ssl-errors` of the last handshake. The certificates in the entries are owned by the caller;
    /// [`SslSocket::ssl_error_report`] is the convenient form.
    pub fn ssl_errors(&self, session: &mut Session) -> wasmtime::Result<Vec<SslErrorEntry>> {
        let (api, store) = session.ssl_socket_api();
        api.call_ssl_errors(store, self.0)
    }

    /// `ssl-errors` as plain data: each error with the subject of its certificate (the certificate
    /// handles are dropped).
    pub fn ssl_error_report(&self, session: &mut Session) -> wasmtime::Result<Vec<SslErrorReport>> {
        let entries = self.ssl_errors(session)?;
        let mut report = Vec::with_capacity(entries.len());
        for entry in entries {
            report.push(SslErrorReport {
                error: entry.error,
                message: entry.message,
                certificate: subject_of(session, entry.certificate)?,
            });
        }
        Ok(report)
    }

    /// `ocsp-responses`: each stapled response checked in the last handshake. The certificates in
    /// the entries are owned by the caller; [`SslSocket::ocsp_report`] is the convenient form.
    pub fn ocsp_responses(&self, session: &mut Session) -> wasmtime::Result<Vec<OcspResponse>> {
        let (api, store) = session.ssl_socket_api();
        api.call_ocsp_responses(store, self.0)
    }

    /// `ocsp-responses` as plain data: each stapled response checked in the last handshake, with
    /// the subjects of its certificates (the certificate handles are dropped).
    pub fn ocsp_report(&self, session: &mut Session) -> wasmtime::Result<Vec<OcspReport>> {
        let responses = self.ocsp_responses(session)?;
        let mut report = Vec::with_capacity(responses.len());
        for response in responses {
            report.push(OcspReport {
                certificate_status: response.certificate_status,
                revocation_reason: response.revocation_reason,
                responder: subject_of(session, response.responder)?,
                subject: Certificate(response.subject).into_subject(session)?,
            });
        }
        Ok(report)
    }

    /// The subjects of the peer's chain, leaf first (the certificate handles are dropped).
    pub fn peer_chain_subjects(&self, session: &mut Session) -> wasmtime::Result<Vec<String>> {
        let chain = self.peer_certificate_chain(session)?;
        let mut subjects = Vec::with_capacity(chain.len());
        for cert in chain {
            subjects.push(cert.into_subject(session)?);
        }
        Ok(subjects)
    }

    /// Writes all of `data` and waits until it has been written to the network.
    pub fn write_all(&self, session: &mut Session, data: &[u8], msecs: i32) -> CallResult<()> {
        let mut rest = data;
        while !rest.is_empty() {
            let written = match self.write(session, rest)? {
                Ok(n) => usize::try_from(n).unwrap_or(usize::MAX).min(rest.len()),
                Err(e) => return Ok(Err(e)),
            };
            if written == 0 {
                return Ok(Err(ErrorCode::Unknown(
                    "write accepted no bytes".to_owned(),
                )));
            }
            rest = rest.get(written..).unwrap_or_default();
        }
        if self.bytes_to_write(session)? == 0 {
            return Ok(Ok(()));
        }
        self.wait_for_bytes_written(session, msecs)
    }

    /// Reads exactly `len` bytes, waiting up to `msecs` for each new piece of data.
    pub fn read_exact(&self, session: &mut Session, len: usize, msecs: i32) -> CallResult<Vec<u8>> {
        let mut data = Vec::with_capacity(len);
        while data.len() < len {
            if self.bytes_available(session)? == 0
                && let Err(e) = self.wait_for_ready_read(session, msecs)?
            {
                return Ok(Err(e));
            }
            let want = u64::try_from(len - data.len()).unwrap_or(u64::MAX);
            match self.read(session, want)? {
                Ok(chunk) => data.extend_from_slice(&chunk),
                Err(e) => return Ok(Err(e)),
            }
        }
        Ok(Ok(data))
    }

    /// Drops the socket resource.
    pub fn drop(self, session: &mut Session) -> wasmtime::Result<()> {
        session.drop_resource(self.0)
    }

    /// `ssl-configuration`: the TLS settings as a configuration, shared. The handle is the
    /// caller's to drop.
    pub fn ssl_configuration(&self, session: &mut Session) -> wasmtime::Result<SslConfiguration> {
        let (api, store) = session.ssl_socket_api();
        api.call_ssl_configuration(store, self.0)
            .map(SslConfiguration)
    }

    /// `set-ssl-configuration`: uses `configuration`, shared, not copied.
    pub fn set_ssl_configuration(
        &self,
        session: &mut Session,
        configuration: &SslConfiguration,
    ) -> wasmtime::Result<()> {
        let (api, store) = session.ssl_socket_api();
        api.call_set_ssl_configuration(store, self.0, configuration.0)
    }
}

/// The subject of an optional certificate handle, dropping the handle.
fn subject_of(
    session: &mut Session,
    handle: Option<ResourceAny>,
) -> wasmtime::Result<Option<String>> {
    handle
        .map(|handle| Certificate(handle).into_subject(session))
        .transpose()
}
